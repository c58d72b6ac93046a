"""The named presets: each is a valid labelled mixture with the structure its one-line lesson promises."""

from __future__ import annotations

import numpy as np
import pytest

from core import datasets
from core.datasets import PRESETS, Preset, load_preset
from core.mixture import GaussianMixture
from tests.core.test_mixture import ROUNDING, assert_within_rounding

PRESET_KEYS = sorted(PRESETS)


@pytest.mark.parametrize("key", PRESET_KEYS)
def test_every_preset_is_a_labelled_mixture(key):
    preset = PRESETS[key]
    assert isinstance(preset, Preset) and preset.key == key and preset.title and preset.description
    mix = load_preset(key)
    assert isinstance(mix, GaussianMixture)
    assert load_preset(key) is mix, "presets are built once and cached"
    assert mix.n_components >= 2 and len(mix.classes) >= 2
    assert_within_rounding(mix.weights.sum(), 1.0, 1.0, "Σ weights")  # K positive terms summing to 1
    assert np.all(mix.weights > 0)
    # building again gives the same numbers (no randomness in the presets)
    again = preset.build()
    for name in ("weights", "means", "covs", "labels"):
        np.testing.assert_array_equal(getattr(again, name), getattr(mix, name))
    # everything fits the demos' plotting range, and the MMD kernel width is about the component scale
    xmin, xmax, ymin, ymax = mix.bounds(3.0)
    assert -10 < xmin < xmax < 10 and -10 < ymin < ymax < 10
    min_std = np.sqrt(np.linalg.eigvalsh(mix.covs).min())
    assert 0.1 <= preset.kernel_bandwidth / min_std <= 10


def test_unknown_preset():
    with pytest.raises(ValueError, match="unknown preset 'nope'"):
        load_preset("nope")


def test_ring():
    mix = datasets.ring(8, 2.0, 0.15)
    np.testing.assert_allclose(np.linalg.norm(mix.means, axis=1), 2.0)
    angles = np.sort(np.mod(np.arctan2(mix.means[:, 1], mix.means[:, 0]), 2 * np.pi))
    # each difference cancels two angles of size up to 2π (each from arctan2 of rounded cos, sin)
    assert_within_rounding(np.diff(angles), np.full(7, 2 * np.pi / 8), angles[1:] + angles[:-1], "angle steps")
    np.testing.assert_allclose(mix.weights, 1 / 8)
    np.testing.assert_allclose(mix.covs, np.broadcast_to(0.15**2 * np.eye(2), (8, 2, 2)))
    assert mix.labels.tolist() == [0, 1] * 4
    for key, std in [("ring8", 0.15), ("ring8_soft", 0.5), ("ring8_wide", 1.0)]:
        np.testing.assert_allclose(load_preset(key).covs[:, 0, 0], std**2)


def test_grid_is_a_centred_lattice_with_checkerboard_classes():
    mix = load_preset("grid25")
    assert mix.n_components == 25
    assert_within_rounding(mix.weights @ mix.means, np.zeros(2), mix.weights @ np.abs(mix.means), "Σ π_k μ_k")
    np.testing.assert_allclose(np.unique(mix.means[:, 0]), [-2, -1, 0, 1, 2])
    # lattice neighbours (distance 1) always have different classes
    d = np.linalg.norm(mix.means[:, None] - mix.means[None], axis=-1)
    i, j = np.nonzero(np.isclose(d, 1.0))
    assert len(i) == 2 * 40 and np.all(mix.labels[i] != mix.labels[j])


def test_two_moons_and_spiral():
    moons = load_preset("moons")
    assert moons.n_components == 28 and np.bincount(moons.labels).tolist() == [14, 14]
    upper, lower = moons.means[moons.labels == 0], moons.means[moons.labels == 1]
    # each moon is an arc of radius 1.5 about its own centre; the two are point-symmetric
    np.testing.assert_allclose(np.linalg.norm(upper - 1.5 * np.array([-0.5, -0.25]), axis=1), 1.5)
    np.testing.assert_allclose(np.linalg.norm(lower - 1.5 * np.array([0.5, 0.25]), axis=1), 1.5)
    # 1.5·(centre + (cos, sin)(angle)) with angles up to 2π: the coordinates round by ε·1.5·(|centre| + 1 + 2π)
    scale = 1.5 * (np.abs([0.5, 0.25]) + 1 + 2 * np.pi)
    assert_within_rounding(np.sort(upper, axis=0), np.sort(-lower, axis=0), scale, "moons point symmetry")

    spiral = load_preset("spiral")
    arm0, arm1 = spiral.means[spiral.labels == 0], spiral.means[spiral.labels == 1]
    assert len(arm0) == len(arm1) == 20
    np.testing.assert_allclose(arm1, -arm0)
    assert np.all(np.diff(np.linalg.norm(arm0, axis=1)) > 0), "radius grows along the arm"


def test_checkerboard():
    mix = load_preset("checkerboard")
    assert mix.n_components == 72
    square = np.floor(mix.means + 2).astype(int)  # board squares indexed 0..3 along each axis
    assert np.all((square.sum(1) % 2) == 0), "every component sits on a dark square"
    assert len({tuple(s) for s in square}) == 8
    np.testing.assert_array_equal(mix.labels, square[:, 1] % 2)


def test_smiley():
    mix = load_preset("smiley")
    assert np.bincount(mix.labels).tolist() == [24, 2, 9]
    eyes = mix.labels == 1
    np.testing.assert_allclose(mix.weights[eyes] / mix.weights[~eyes][0], 3.0)
    assert np.all(mix.covs[eyes, 1, 1] > mix.covs[eyes, 0, 0]), "eyes are elongated vertically"
    np.testing.assert_allclose(np.linalg.norm(mix.means[mix.labels == 0], axis=1), 2.5)


def test_ncsn_figure3():
    mix = load_preset("ncsn_fig3")
    np.testing.assert_allclose(mix.weights, [0.2, 0.8])
    np.testing.assert_allclose(mix.means, [[-5, -5], [5, 5]])
    np.testing.assert_allclose(mix.covs, [np.eye(2), np.eye(2)])


def test_pinwheel_covariances_point_along_rotated_spokes():
    mix = load_preset("pinwheel")
    for mean, cov in zip(mix.means, mix.covs, strict=True):
        vals, vecs = np.linalg.eigh(cov)
        # eigenvalues are exact to rounding of the matrix's norm, eigenvectors to that over the gap
        norm = np.abs(cov).sum(1).max()
        assert_within_rounding(vals, [0.08**2, 0.5**2], norm, "pinwheel variances")
        major = vecs[:, 1]
        spoke = np.arctan2(mean[1], mean[0]) + 0.6
        gap = 0.5**2 - 0.08**2
        assert abs(abs(major @ [np.cos(spoke), np.sin(spoke)]) - 1.0) <= ROUNDING * (2 + norm / gap)


def test_guidance_collapse_and_four_corners():
    gc = load_preset("guidance_collapse")
    assert gc.class_weights() == pytest.approx({0: 0.5, 1: 0.5})
    np.testing.assert_allclose(gc.for_class(0).means, [[-2, 0], [1, 0]])
    fc = load_preset("four_corners")
    np.testing.assert_allclose(fc.weights, [0.1, 0.4, 0.4, 0.1])
    np.testing.assert_allclose(np.abs(fc.means), 2.0)
