"""Rectified flow and reflow (core/reflow.py) against independent computations: the exact 1-rectified flow's
velocity is E[z − x₀ | x_t]; on Gaussian data its map and straightness are known in closed form; its couplings
land on the data; the 2-rectified flow trained on them is straighter and better at one Euler step; training is
deterministic for a seed; the shipped students reproduce."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from core import reflow as R
from core.dataspec import load_data
from core.mlp import MLP

GAUSS = "gmm:1,0.5,-0.3,0.4"  # one isotropic component: N((0.5, -0.3), 0.4² I)


def test_exact_velocity_is_the_conditional_mean_of_z_minus_x0():
    """On x_t = (1 − t) x₀ + t z, E[z − x₀ | x_t] = (x_t − E[x₀ | x_t]) / t (Tweedie's denoiser, no score)."""
    mixture = load_data("ring8")
    v = R.exact_velocity(mixture)
    for t in (0.9, 0.5, 0.1):
        x = mixture.diffused(1 - t, t).sample(200, np.random.default_rng(1))
        expected = (x - mixture.posterior_mean_x0(x, 1 - t, t)) / t
        np.testing.assert_allclose(v(x, t), expected, atol=1e-9)


def test_gaussian_data_map_and_straightness_in_closed_form():
    """N(0, I) → N(μ, s²I): p_t = N((1 − t)μ, r(t)² I), r² = (1 − t)²s² + t², so the flow's path is
    x_t = (1 − t)μ + r(t) z, its map z ↦ μ + s z, and S = E‖z‖² ∫₀¹ (1 − s − r'(t))² dt (by quadrature)."""
    mu, s = np.array([0.5, -0.3]), 0.4
    pair = R.couplings(GAUSS, 400, 0)
    np.testing.assert_allclose(pair.x0, mu + s * pair.z, atol=1e-4)

    def r_dot(t):
        return ((1 - t) * -(s**2) + t) / np.sqrt((1 - t) ** 2 * s**2 + t**2)

    exact = quad(lambda t: (1 - s - r_dot(t)) ** 2, 0, 1)[0] * np.mean((pair.z**2).sum(1))
    nodes = np.linspace(1, 0, R.PATH_NODES)
    measured = R.straightness(R.exact_velocity(load_data(GAUSS)), pair.path, nodes)
    assert measured == pytest.approx(exact, rel=2e-3)


def test_straightness_is_speed_minus_cost():
    """Along any path ∫ v dt is the chord, so S = E∫‖v‖² dt − E‖z − x₀‖²: a second way to compute it."""
    pair = R.couplings("ring8", 500, 3)
    nodes = np.linspace(1, 0, R.PATH_NODES)
    v = R.exact_velocity(load_data("ring8"))
    speed = np.array([np.mean((v(x, t) ** 2).sum(1)) for x, t in zip(pair.path, nodes)])
    second = np.trapezoid(speed[::-1], nodes[::-1]) - R.transport_cost(pair.z, pair.x0)
    assert R.straightness(v, pair.path, nodes) == pytest.approx(second, rel=2e-2)


def test_couplings_are_accurate_and_land_on_the_data():
    pair = R.couplings("ring8", 2000, 0)
    assert R.floor_units("ring8", pair.x0) < 3.0  # the ideal one-step student: the exact map
    tighter = R.solve_ode(R.exact_velocity(load_data("ring8")), pair.z[:200], np.array([1.0, 0.0]), rtol=1e-9)
    assert np.abs(tighter[-1] - pair.x0[:200]).max() < 1e-3


def test_settings_are_checked_with_sentences():
    with pytest.raises(ValueError, match="Width must be one of"):
        R.ReflowSettings(width=7).validated()
    with pytest.raises(ValueError, match="Training steps"):
        R.ReflowSettings(steps=10**6).validated()
    with pytest.raises(ValueError, match="Pairs"):
        R.ReflowSettings(pairs=3).validated()


def test_training_is_deterministic_and_the_fine_solve_converged():
    settings = R.ReflowSettings(pairs=500, steps=200, width=32, depth=2, seed=4)
    a, b = R.train_reflow(settings), R.train_reflow(settings)
    for (wa, ba), (wb, bb) in zip(a.net.layers, b.net.layers):
        np.testing.assert_array_equal(wa, wb)
        np.testing.assert_array_equal(ba, bb)
    z = np.random.default_rng(0).standard_normal((300, 2))
    assert np.abs(a.solve(z)[-1] - a.solve(z, 4 * R.FINE_STEPS)[-1]).max() < 1e-3


@pytest.mark.slow
def test_reflow_straightens_and_enables_few_steps():
    """A short reflow (1,000 steps) on ring8 already cuts the straightness by 100× and the one-step Euler error
    by 50× against the exact 1-rectified flow's, on fresh noise."""
    flow = R.train_reflow(R.ReflowSettings(steps=1000, pairs=2000, seed=1))
    out = R.compare("ring8", flow, 1000, 1)
    assert out["straightness_2"] < out["straightness_1"] / 100
    assert out["euler_2"][1] < out["euler_1"][1] / 50
    assert out["cost_2"] < out["cost_1"] + 0.05


@pytest.mark.slow
def test_shipped_student_reproduces():
    """Retraining ring8's default 2-rectified flow gives the shipped student's behaviour: its Euler samples agree
    (the same weights on this machine; on another CPU rounding may move them slightly)."""
    path = R.ASSETS / "reflow_ring8.npz"
    shipped = R.RectifiedFlow(MLP.load(path))
    fresh = R.train_reflow(shipped.settings)
    z = np.random.default_rng(7).standard_normal((500, 2))
    for k in (1, 4):
        assert np.abs(fresh.euler(z, k) - shipped.euler(z, k)).max() < 2e-2


def test_every_preset_ships_a_small_student():
    from core.datasets import PRESETS

    total = 0
    for key in PRESETS:
        path = R.shipped_path(R.ReflowSettings(spec=key))
        assert path is not None and path.exists(), f"run `python -m core.reflow --write {key}`"
        assert path.stat().st_size < 200_000
        total += path.stat().st_size
        flow = R.cached_reflow(R.ReflowSettings(spec=key))
        assert flow.shipped and flow.settings == R.ReflowSettings(spec=key)
    assert total < 600_000
