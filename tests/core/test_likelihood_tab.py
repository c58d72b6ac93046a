"""The PF-ODE likelihood in each process's own time (core/likelihood.py: process_log_likelihood), as the
"PF-ODE & likelihood" tab uses it, against the closed-form log p₀ of the mixture.

Measured at the tab's default tolerance (rtol = atol = 1e-8, RK45) with the exact prior, 12 samples and
8 points of the [-3, 3]² box per preset: max |gap| 1.2e-6 (ring8, VP) to 2.8e-6 (grid25, flow) nats over
VP, sub-VP, VE (in σ), EDM and flow; NFE 250-680. With N(0, σ_T² I): up to 3e-3 (VP), 1.6e-2 (EDM),
2.3 nats (VE, σ_max = 4.9 for ring8: NCSNv2's rule leaves a large prior mismatch), and the flow's
prior is exact (α_T = 0)."""

from __future__ import annotations

import numpy as np
import pytest

from core.datasets import load_preset
from core.likelihood import (
    LIKELIHOOD_PROCESSES,
    entropy,
    gap_curve,
    gaussian_log_prob,
    ode_clock,
    pf_drift_and_divergence,
    pf_ode_log_likelihood,
    process_log_likelihood,
)
from core.mixture import GaussianMixture
from core.models import ExactDenoiser, Marginal
from core.processes import make_process

DEFAULT_RTOL = 1e-8  # demos/pf_ode.py's default


def _points(mixture, n=12, n_box=8, seed=0):
    rng = np.random.default_rng(seed)
    return np.concatenate([mixture.sample(n, rng), rng.uniform(-3, 3, (n_box, 2))])


@pytest.mark.parametrize("preset", ["ring8", "grid25", "moons"])
@pytest.mark.parametrize("process", LIKELIHOOD_PROCESSES)
def test_ode_log_likelihood_within_1e4_nats_at_the_default_tolerance(preset, process):
    mixture = load_preset(preset)
    x = _points(mixture)
    res = process_log_likelihood(mixture, x, make_process(process, mixture), "exact", rtol=DEFAULT_RTOL)
    gap = np.abs(res.log_prob - mixture.log_prob(x))
    print(f"\n{preset} {process}: max |gap| {gap.max():.1e}, mean {gap.mean():.1e}, NFE {res.nfe}")
    assert gap.max() < 1e-4
    np.testing.assert_allclose(res.log_prob, res.prior + res.integral)
    np.testing.assert_array_equal(res.path[0], x)
    np.testing.assert_array_equal(res.path[-1], res.x_end)


def test_the_gap_falls_as_rtol_tightens():
    """Mean |gap| on ring8 / VP at rtol 1e-3, 1e-5, 1e-7, 1e-9 (exact prior): 4.8e-2, 7.8e-4, 2.5e-6, 1.1e-8
    measured (NFE 86, 152, 362, 752); with the N(0, σ_T² I) prior it stops at the prior mismatch (3.4e-4)."""
    mixture = load_preset("ring8")
    x = _points(mixture)
    rtols = [1e-3, 1e-5, 1e-7, 1e-9]
    curve = gap_curve(mixture, x, make_process("vp"), rtols)
    print(f"\nmean |gap| exact prior {curve['mean_exact']}, Gaussian {curve['mean_gaussian']}, NFE {curve['nfe']}")
    assert np.all(np.diff(curve["mean_exact"]) < 0)
    assert curve["mean_exact"][0] > 1e-3 and curve["mean_exact"][-1] < 1e-6  # the check can fail both ways
    assert np.all(np.diff(curve["nfe"]) > 0)
    floor = curve["mean_gaussian"][-1]
    assert floor > 100 * curve["mean_exact"][-1]  # the Gaussian prior's gap is its mismatch, not the solver
    assert abs(curve["mean_gaussian"][-2] - floor) < 0.1 * floor


@pytest.mark.parametrize("process", ["vp", "subvp", "edm", "flow"])
def test_the_drift_and_divergence_match_the_marginals_velocity_form(process):
    """f x - ½g²∇log p_t (the solver's one-pass form) against Marginal's α' x̂₀ + σ' ε̂ with Tweedie's x̂₀,
    and its divergence against Marginal.pf_divergence, at the ends and inside (flow at t = 1: α = 0)."""
    mixture = load_preset("pinwheel")
    p = make_process(process)
    marginal = Marginal(p, ExactDenoiser(mixture))
    x = _points(mixture, 10, 10)
    for u in (0.0, 1e-3, 0.3, 0.9, 1.0):
        t = p.t_min + u * (p.t_max - p.t_min)
        v, div = pf_drift_and_divergence(mixture, p, t, x)
        scale = max(1.0, float(np.abs(v).max()))
        np.testing.assert_allclose(v, marginal.velocity(x, t), atol=1e-9 * scale)
        np.testing.assert_allclose(div, marginal.pf_divergence(x, t), rtol=1e-9, atol=1e-9)


def test_the_gaussian_prior_changes_only_the_prior_term():
    mixture = load_preset("ring8")
    x = _points(mixture)
    for key in ("vp", "edm", "ve"):
        process = make_process(key, mixture)
        exact = process_log_likelihood(mixture, x, process, "exact")
        gauss = process_log_likelihood(mixture, x, process, "gaussian")
        np.testing.assert_array_equal(exact.x_end, gauss.x_end)
        s_T = float(process.sigma(process.t_max))
        np.testing.assert_allclose(gauss.prior, gaussian_log_prob(exact.x_end, s_T))
        np.testing.assert_allclose(gauss.log_prob - exact.log_prob, gauss.prior - exact.prior, atol=1e-12)
        np.testing.assert_allclose(gauss.exact_prior, exact.prior)


def test_flow_matching_reaches_its_prior_exactly():
    """α(1) = 0: p_1 = N(0, I), so the Gaussian prior is the exact one (no prior mismatch)."""
    mixture = load_preset("moons")
    x = _points(mixture)
    res = process_log_likelihood(mixture, x, make_process("flow"), "gaussian")
    np.testing.assert_allclose(res.prior, res.exact_prior, atol=1e-12)
    assert res.alpha[-1] == 0.0 and res.sigma[-1] == 1.0


def test_edm_and_ve_agree_with_the_scaled_frame_solver():
    """EDM's own time is σ̃; VE is integrated in σ: both are the σ̃-frame ODE of pf_ode_log_likelihood, a
    separate implementation (its divergence written as σ̃ tr∇²log p, ours as Marginal.pf_divergence)."""
    mixture = load_preset("grid25")
    x = _points(mixture)
    for key, sigma_max in (("edm", 80.0), ("ve", make_process("ve", mixture).sigma_max)):
        ours = process_log_likelihood(mixture, x, make_process(key, mixture))
        theirs = pf_ode_log_likelihood(mixture, x, sigma_max=sigma_max)
        np.testing.assert_allclose(ours.log_prob, theirs.log_prob, atol=1e-5)
        np.testing.assert_allclose(ours.x_end, theirs.x_end, atol=1e-5 * sigma_max)


def test_the_running_log_density_follows_the_exact_p_t():
    """Anchored at the exact prior, prior + ∫_t^T ∇·v is the ODE's log p_t(x(t)) at every recorded t."""
    mixture = load_preset("ring8")
    x = _points(mixture, 6, 4)
    process = make_process("vp")
    res = process_log_likelihood(mixture, x, process, relative_times=np.linspace(0, 1, 11))
    assert np.isin(np.linspace(0, 1, 11), res.t).sum() >= 10  # the asked times are recorded (rounding aside)
    worst = 0.0
    for j in range(0, len(res.t), 5):
        a, s = float(res.alpha[j]), float(res.sigma[j])
        exact = mixture.diffused(a, s).log_prob(res.path[j])
        ode = res.prior + res.integral - res.running[j]
        worst = max(worst, float(np.abs(ode - exact).max()))
    assert worst < 1e-4


def test_discrete_chains_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="discrete chain"):
        ode_clock(make_process("ddpm"))
    with pytest.raises(ValueError, match="prior"):
        process_log_likelihood(load_preset("ring8"), np.zeros((1, 2)), make_process("vp"), prior="uniform")
    with pytest.raises(ValueError, match="finite"):
        process_log_likelihood(load_preset("ring8"), [[np.nan, 0.0]], make_process("vp"))


def test_entropy_of_a_gaussian_matches_its_closed_form():
    """H(N(μ, Σ)) = 1 + log 2π + ½ log det Σ in 2D; the Monte Carlo estimate within 4 standard errors."""
    cov = np.array([[0.5, 0.2], [0.2, 0.3]])
    g = GaussianMixture([1.0], [[1.0, -2.0]], [cov])
    h, se = entropy(g, n=20_000, seed=3)
    exact = 1 + np.log(2 * np.pi) + 0.5 * np.log(np.linalg.det(cov))
    assert abs(h - exact) < 4 * se and se < 0.01
