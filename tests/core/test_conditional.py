"""Inpainting (naive replacement, RePaint) and SDEdit against independent computations.

The paper claims themselves (RePaint harmonises, SDEdit's tradeoff and t₀ range) are registered claims
(core/claims/conditional.py) measured by tests/core/test_claims.py; here: the machinery they rest on.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from core import conditional as C
from core.datasets import load_preset
from core.mixture import GaussianMixture


@pytest.fixture(scope="module")
def corners():
    return load_preset("four_corners")


# ---------------------------------------------------------------------------- 1D helpers
def test_wasserstein1_against_scipy(corners):
    """W₁ between a sample set and the mixture CDF equals scipy's W₁ between the samples and a huge exact
    sample (whose own W₁ to the CDF is ~1e-3): agreement to that size."""
    mix = corners.conditional_x2_given_x1(2.0)
    rng = np.random.default_rng(0)
    x = rng.normal(0.5, 1.2, 3000)
    big = C.sample_1d(mix, 400_000, rng)
    assert C.wasserstein1(x, mix) == pytest.approx(stats.wasserstein_distance(x, big), abs=5e-3)


def test_wasserstein1_of_a_shifted_gaussian_is_the_shift():
    """For F and its translate by d, W₁ = |d|: a closed form for a single component."""
    from core.mixture import Mixture1D

    mix = Mixture1D(np.array([1.0]), np.array([0.0]), np.array([1.0]))
    x = stats.norm.ppf((np.arange(20000) + 0.5) / 20000) + 0.7  # a deterministic 'sample' of N(0.7, 1)
    assert C.wasserstein1(x, mix) == pytest.approx(0.7, abs=2e-3)


def test_sample_1d_matches_the_mixture(corners):
    mix = corners.conditional_x2_given_x1(2.0)
    x = C.sample_1d(mix, 200_000, np.random.default_rng(1))
    assert (x > 0).mean() == pytest.approx(C.mass_above(mix), abs=4 * math.sqrt(0.16 / 200_000))
    assert C.mass_above(mix) == pytest.approx(0.2, abs=1e-9)  # four_corners' designed answer


def test_denoise_1d_is_tweedie(corners):
    """x̂₀ = (y + σ² ∂ log p_t(y)) / α with the score by numerical differentiation of the diffused 1D density."""
    mix = corners.conditional_x2_given_x1(2.0)
    y = np.linspace(-3, 3, 13)
    a, s = 0.6, 0.8

    def log_pt(v):
        var = a**2 * mix.variances + s**2
        return np.log((mix.weights * stats.norm.pdf(v[:, None], a * mix.means, np.sqrt(var))).sum(1))

    h = 1e-5
    score = (log_pt(y + h) - log_pt(y - h)) / (2 * h)
    # the central difference's error is ~h² |∂³ log p| ≈ 1e-9 here; the division by α = 0.6 keeps its size
    np.testing.assert_allclose(C.denoise_1d(mix, y, a, s), (y + s**2 * score) / a, atol=1e-7)


# ---------------------------------------------------------------------------- RePaint schedule
def test_schedule_without_resampling_goes_straight_down():
    assert C.repaint_schedule(5, 1, 1) == [0, 1, 2, 3, 4, 5]
    assert C.schedule_nfe(50, 1, 1) == 50


def test_schedule_of_algorithm_1():
    """j = 1: every step but the last is done U times (Lugmayr et al. 2022, Algorithm 1: 'if u < U and t > 1')."""
    levels = C.repaint_schedule(4, 3, 1)
    assert levels == [0, 1, 0, 1, 0, 1, 2, 1, 2, 1, 2, 3, 2, 3, 2, 3, 4]
    assert C.schedule_nfe(4, 3, 1) == 3 * 3 + 1
    assert C.schedule_nfe(50, 10, 1) == 49 * 10 + 1


def test_schedule_with_jumps_goes_back_j_levels():
    levels = C.repaint_schedule(6, 2, 2)
    ups = [(a, b) for a, b in zip(levels[:-1], levels[1:]) if b < a]
    assert ups and all(a - b == 1 for a, b in ups)  # one level per move ...
    assert levels[0] == 0 and levels[-1] == 6 and min(levels) == 0
    # ... in runs of j = 2 moves up, from the jump points 5, 3 (and not 1: it cannot go back 2 levels)
    assert levels == [0, 1, 2, 3, 2, 1, 2, 3, 4, 5, 4, 3, 4, 5, 6]
    with pytest.raises(ValueError):
        C.repaint_schedule(5, 0, 1)


# ---------------------------------------------------------------------------- inpainting runs
def test_same_seed_same_initial_noise(corners):
    """All methods start from the same noise: the x₂ column of the first state is the same for every U."""
    grid = C.ddpm_grid(10)
    paths = [C.repaint(corners, 2.0, grid, 50, 7, u, 1, n_paths=50).path[0] for u in (1, 3)]
    ref = C.reference_ddpm(corners, 2.0, grid, 50, 7, n_paths=50).path[0]
    np.testing.assert_array_equal(paths[0], paths[1])
    np.testing.assert_array_equal(paths[0], ref)


def test_known_coordinate_is_exact_at_the_end(corners):
    res = C.repaint(corners, 2.0, C.ddpm_grid(20), 300, 0, 2, 1)
    assert res.x2.shape == (300,) and np.isfinite(res.x2).all()
    assert res.nfe == C.schedule_nfe(20, 2, 1)


def test_inpainting_an_independent_coordinate_is_exact():
    """When x₂ is independent of x₁ (one Gaussian with diagonal covariance), inpainting is just sampling
    the x₂ marginal: naive replacement is as good as RePaint, both within the W₁ noise floor (4 units)."""
    mix2d = GaussianMixture([1.0], [[0.5, -1.0]], np.diag([0.3**2, 0.7**2])[None])
    mix = mix2d.conditional_x2_given_x1(0.9)
    floor = C.w1_floor(mix, 2000)
    grid = C.ddpm_grid(100)
    for u in (1, 3):
        e = C.inpaint_errors(C.repaint(mix2d, 0.9, grid, 2000, 3, u, 1).x2, mix, floor)
        assert abs(e["w1_units"]) < 4, (u, e)


def test_exact_reference_sampler_is_within_its_noise_floor(corners):
    """The exact reference: direct draws from p(x₂ | x₁) are within the W₁ floor (|units| ≤ 3 over 5 seeds),
    and P(x₂ > 0) within 3 MC sd of the exact 0.2. The DDPM run on the exact 1D conditional converges to it
    with the steps: measured +3.2 units at 50 steps (4,000 samples, seed 0), within the floor at 250."""
    mix = corners.conditional_x2_given_x1(2.0)
    floor = C.w1_floor(mix, 4000)
    for s in range(5):
        e = C.inpaint_errors(C.exact_draws(corners, 2.0, 4000, 100 + s), mix, floor)
        assert abs(e["w1_units"]) <= 3, e
        assert abs(e["p_pos"] - 0.2) <= 3 * math.sqrt(0.16 / 4000), e
    coarse = C.inpaint_errors(C.reference_ddpm(corners, 2.0, C.ddpm_grid(50), 4000, 0).x2, mix, floor)
    fine = C.inpaint_errors(C.reference_ddpm(corners, 2.0, C.ddpm_grid(250), 4000, 0).x2, mix, floor)
    assert abs(fine["w1_units"]) <= 3, fine
    assert fine["w1_units"] < coarse["w1_units"], (coarse, fine)


def test_w1_floor_is_the_scatter_of_exact_draws(corners):
    """W₁ of n exact draws shrinks like 1/√n: the floor's mean at 4n is about half that at n."""
    mix = corners.conditional_x2_given_x1(2.0)
    small, large = C.w1_floor(mix, 500), C.w1_floor(mix, 2000)
    assert large.mean == pytest.approx(small.mean / 2, rel=0.35)
    assert small.sd > 0 and large.sd > 0


# ---------------------------------------------------------------------------- SDEdit
def test_sdedit_grid_spans_zero_to_t0():
    g = C.sdedit_grid(0.4, 20)
    assert g.t[0] == 399 and g.t[-1] == -1 and g.sigma[-1] == 0 and g.alpha[-1] == 1
    assert np.all(np.diff(g.t) < 0) and len(g.t) == 21


def test_sdedit_at_tiny_t0_returns_the_guide(corners):
    """t₀ → 0 adds almost no noise (σ(t=0) = 0.01) and denoises back: outputs stay within a few σ of the
    guide, pulled slightly towards the data."""
    guide = C.guide_points(corners, "square", 200)
    res = C.sdedit(corners, guide, 0.001, 5, 0)
    assert np.linalg.norm(res.outputs - guide, axis=1).max() < 0.1


def test_sdedit_at_t0_one_samples_the_data(corners):
    """From t₀ = 1 the guide is forgotten (α = 0.006): the outputs are samples of the data, MMD² within the
    floor (|units| ≤ 3) whatever the guide."""
    from core.metrics import mmd2, noise_floor

    floor = noise_floor(corners, "mmd2", 1000, 0.2)
    for stroke in ("square", "line"):
        guide = C.guide_points(corners, stroke, 1000)
        out = C.sdedit(corners, guide, 1.0, 200, 1).outputs
        assert abs(floor.in_units(mmd2(out, corners, 0.2))) <= 3, stroke


def test_strokes_and_typed_points(corners):
    for stroke in C.STROKES[:-1]:
        g = C.guide_points(corners, stroke, 100, 0)
        assert g.shape == (100, 2) and np.isfinite(g).all()
    typed = C.guide_points(corners, "typed", 10, 0, "0, 0; 1.5, -0.5")
    assert typed.tolist() == [[0.0, 0.0]] * 5 + [[1.5, -0.5]] * 5
    for bad, message in [
        ("", "Type guide points"),
        ("1, 2, 3", "Guide point 1 .* must be two numbers"),
        ("0, 0; a, b", "Guide point 2: 'a' must be a number"),
        ("1, 1e9", r"too far out: keep \|x\| and \|y\| ≤ 50"),
        ("1, nan", "'nan' must be a number"),
        (";".join(["0,0"] * 51), "At most 50"),
    ]:
        with pytest.raises(ValueError, match=message):
            C.parse_points(bad)
    with pytest.raises(ValueError, match="Unknown stroke"):
        C.guide_points(corners, "circle", 10)


def test_realism_threshold_is_the_5_percent_quantile(corners):
    """By construction 95 % of exact samples lie above it (MC error of a share at n = 20,000: ±0.003)."""
    th = C.realism_threshold(corners)
    x = corners.sample(20000, np.random.default_rng(5))
    assert (corners.log_prob(x) >= th).mean() == pytest.approx(0.95, abs=0.01)


def test_scores_of_exact_samples(corners):
    x = corners.sample(2000, np.random.default_rng(6))
    s = C.sdedit_scores(corners, x, x, C.realism_threshold(corners))
    assert s["distance"] == 0 and s["realism"] == pytest.approx(0.95, abs=0.02)


def test_quadrature_check_of_the_conditional_mass(corners):
    """P(x₂ > 0 | x₁ = 2) by quadrature of the joint density, independently of Mixture1D."""
    num, _ = integrate.quad(lambda y: np.exp(corners.log_prob(np.array([[2.0, y]])))[0], 0, 10)
    den, _ = integrate.quad(lambda y: np.exp(corners.log_prob(np.array([[2.0, y]])))[0], -10, 10)
    assert num / den == pytest.approx(C.mass_above(corners.conditional_x2_given_x1(2.0)), abs=1e-8)
