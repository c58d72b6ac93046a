"""Memorisation by the training set's exact model (core/memorisation.py), against independent computations."""

from __future__ import annotations

import numpy as np
import pytest

from core import memorisation as M


def test_training_set_denoiser_is_the_mixtures_tweedie():
    points = M.training_set("ring8", 40, 0)
    model = M.TrainingSetDenoiser(points, width=0.05)
    x = 2 * np.random.default_rng(1).standard_normal((300, 2))
    for alpha, sigma in ((1.0, 0.02), (0.8, 0.6), (0.05, 1.0)):
        expected = model.mixture().posterior_mean_x0(x, alpha, sigma)
        np.testing.assert_allclose(model.denoise(x, alpha, sigma), expected, atol=1e-10)


def test_near_share_by_brute_force():
    rng = np.random.default_rng(2)
    points, samples = rng.random((30, 2)), rng.random((400, 2))
    brute = (np.linalg.norm(samples[:, None] - points[None], axis=-1).min(1) < 0.05).mean()
    assert M.near_share(samples, points, 0.05) == brute


def test_small_training_sets_are_reproduced():
    """N = 16: nearly every sample lies on a training point (chance: none), and MMD² to p is far above its
    noise floor while fresh draws from p sit within it."""
    out = M.memorisation("ring8", 16, 0)
    assert out.near > 0.95 and out.chance < 0.02
    assert out.mmd2_units > 20
    assert abs(out.mmd2_units_population) < 4


def test_every_sample_is_near_some_training_point_as_width_shrinks():
    points = M.training_set("ring8", 8, 3)
    model = M.TrainingSetDenoiser(points, width=1e-4)
    x0 = model.denoise(np.random.default_rng(4).standard_normal((200, 2)) * 0.01 + points[0], 1.0, 1e-3)
    assert np.abs(x0 - points[0]).max() == pytest.approx(0.0, abs=1e-3)
