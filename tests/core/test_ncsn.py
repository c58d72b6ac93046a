"""core/ncsn.py against independent computations: the schedules, Algorithm 1's update, NCSNv2's rules
(Technique 1's largest distance by brute force, Technique 2's overlap against the exact chi law,
Technique 4's eq. (4) against NCSNv2's own form and against a simulated chain), and the NCSN Fig. 3
numbers of the claim registry reproduced with this module's samplers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import chi

from core import ncsn
from core.claims import all_claims, halves, shipped
from core.claims.ncsn import SEEDS, N
from core.datasets import load_preset
from core.metrics import mode_tv
from core.mixture import GaussianMixture
from core.processes import sigma_max_for


# ---------------------------------------------------------------------------- schedules
def test_geometric_sigmas_and_gamma_for_are_inverse():
    sig = ncsn.geometric_sigmas(20.0, ncsn.gamma_for(20.0, 0.01, 10), 10)
    assert len(sig) == 10
    assert sig[0] == 20.0
    assert sig[-1] == pytest.approx(0.01, rel=1e-12)
    ratios = sig[:-1] / sig[1:]
    assert np.allclose(ratios, ratios[0], rtol=1e-12)
    assert ratios[0] == pytest.approx(2000 ** (1 / 9), rel=1e-12)
    assert ncsn.gamma_for(5.0, 1.0, 1) == 1.0
    with pytest.raises(ValueError):
        ncsn.geometric_sigmas(1.0, 0.5, 3)


def test_step_sizes_are_algorithm_1s():
    sig = ncsn.geometric_sigmas(10.0, 2.0, 5)
    alpha = ncsn.step_sizes(sig, 3e-4)
    assert alpha[-1] == pytest.approx(3e-4)
    assert np.allclose(alpha / sig**2, 3e-4 / sig[-1] ** 2, rtol=1e-12)


def test_one_langevin_step_is_ncsn_update_exactly():
    """x₁ = x₀ + (α/2) ∇log p_σ(x₀) + √α z with the noise the sampler drew (same seeded stream)."""
    mixture = load_preset("ncsn_fig3")
    x0 = np.random.default_rng(0).uniform(-8, 8, (50, 2))
    sigma, eps = 3.0, 0.02
    rec = ncsn.annealed_langevin(mixture, x0, np.array([sigma]), eps, 1, np.random.default_rng(9))
    z = np.random.default_rng(9).standard_normal((1, 50, 2))[0]
    # exact perturbed score, computed here by hand: Σ_k r_k (μ_k - x)/(1 + σ²) for N(μ_k, I) components
    var = 1.0 + sigma**2
    logw = np.log(mixture.weights)[None] - 0.5 * ((x0[:, None] - mixture.means[None]) ** 2).sum(-1) / var
    r = np.exp(logw - logw.max(1, keepdims=True))
    r /= r.sum(1, keepdims=True)
    score = (r[..., None] * (mixture.means[None] - x0[:, None])).sum(1) / var
    expected = x0 + 0.5 * eps * score + math.sqrt(eps) * z
    assert np.allclose(rec.frames[1], expected, rtol=0, atol=1e-12)  # terms of size ~1-10
    assert np.array_equal(rec.frames[0], x0)


def test_records_frames_and_paths_consistently():
    mixture = load_preset("four_corners")
    sig = ncsn.geometric_sigmas(8.0, 2.0, 4)
    comp = ncsn.compare(mixture, sig, 1e-3, 7, 0.01, 300, seed=3, n_paths=5)
    for rec in (comp.plain, comp.annealed):
        assert rec.frames.shape == (5, 300, 2)
        assert np.array_equal(rec.frames[0], comp.x_init)
        assert rec.path_steps[0] == 0 and rec.path_steps[-1] == 28
        assert len(rec.path_steps) == 29  # 28 steps ≤ N_PATH_POINTS: every step kept
        for j in range(5):  # the path rows at level boundaries are the frames' first particles
            assert np.array_equal(rec.paths[j * 7], rec.frames[j][:5])
    assert comp.plain_shares.shape == comp.annealed_shares.shape == (5, 4)
    assert np.allclose(comp.plain_shares.sum(1), 1)
    again = ncsn.compare(mixture, sig, 1e-3, 7, 0.01, 300, seed=3, n_paths=5)
    assert np.array_equal(again.annealed.frames, comp.annealed.frames)
    assert np.array_equal(again.plain.paths, comp.plain.paths)
    other = ncsn.compare(mixture, sig, 1e-3, 7, 0.01, 300, seed=4, n_paths=5)
    assert not np.array_equal(other.x_init, comp.x_init)


def test_paths_are_thinned_evenly_for_long_runs():
    keep = ncsn._path_plan(1000)
    assert keep[0] == 0 and keep[-1] == 1000 and len(keep) == ncsn.N_PATH_POINTS + 1
    assert np.all(np.diff(keep) == 5)


def test_a_diverging_run_is_refused():
    mixture = load_preset("ring8")  # component variance 0.0225: a step of 1 is far beyond 4 × 0.0225
    with pytest.raises(ValueError, match="diverged"):
        with np.errstate(all="ignore"):
            ncsn.compare(mixture, np.array([0.01]), 2e-5, 200, 1.0, 50, seed=0)


# ---------------------------------------------------------------------------- Technique 1
def test_max_pairwise_distance_matches_brute_force():
    rng = np.random.default_rng(1)
    for pts in (
        rng.normal(size=(400, 2)) * [3, 1],
        rng.uniform(-1, 1, (30, 2)),
        np.c_[np.arange(100.0), np.zeros(100)],
    ):
        d = np.sqrt(((pts[:, None] - pts[None]) ** 2).sum(-1)).max()
        assert ncsn.max_pairwise_distance(pts) == pytest.approx(d, rel=1e-12)
    assert ncsn.max_pairwise_distance(np.zeros((1, 2))) == 0.0


def test_sigma1_rule_on_the_fig3_mixture():
    """Two unit Gaussians 14.14 apart: the largest distance of 10,000 samples exceeds the distance of the
    means and stays below it plus 2 × 5 sd; the closed-form stand-in is the VE process's σ_max."""
    mixture = load_preset("ncsn_fig3")
    rule = ncsn.sigma1_rule(mixture)
    assert 10 * math.sqrt(2) < rule < 10 * math.sqrt(2) + 10
    assert ncsn.sigma1_rule(mixture) == rule  # fixed seed
    assert ncsn.sigma1_from_means(mixture) == sigma_max_for(mixture.means, mixture.covs)
    assert ncsn.sigma1_rule(mixture, n=100) < rule  # a smaller "training set" spans less


# ---------------------------------------------------------------------------- Technique 2
def test_shell_overlap_is_vacuous_in_2d_and_near_half_for_cifar():
    assert all(ncsn.shell_overlap(g, 2) >= 0.997 for g in np.linspace(1, 100, 200))
    # NCSNv2's CIFAR-10 schedule: D = 3072, L = 232 levels from 50 to 0.01
    gamma = ncsn.gamma_for(50.0, 0.01, 232)
    assert 0.4 < ncsn.shell_overlap(gamma, 3072) < 0.7


@pytest.mark.parametrize("dim,gamma", [(3072, 1.0376), (3072, 1.05), (768, 1.08)])
def test_shell_overlap_matches_the_exact_chi_law_in_high_dimension(dim, gamma):
    """The criterion approximates ‖x‖/σ ~ χ_D by N(√D, ½); against the exact χ_D probability of the
    level-(i-1) shell [γ(√D - 3/√2), γ(√D + 3/√2)] it agrees to the approximation's error (< 0.03)."""
    lo, hi = gamma * (math.sqrt(dim) - 3 / math.sqrt(2)), gamma * (math.sqrt(dim) + 3 / math.sqrt(2))
    exact = chi.cdf(hi, dim) - chi.cdf(lo, dim)
    assert ncsn.shell_overlap(gamma, dim) == pytest.approx(exact, abs=0.03)


# ---------------------------------------------------------------------------- Technique 4
@pytest.mark.parametrize("eps,T,gamma,sigma_l", [(2e-5, 100, 2.33, 0.01), (7e-5, 5, 1.4, 0.01), (0.3, 3, 3.0, 1.0)])
def test_variance_ratio_is_ncsnv2_eq4_with_half_the_epsilon(eps, T, gamma, sigma_l):
    """NCSNv2 eq. (4), written for x ← x + α s + √(2α) z with α = ε' σ_i²/σ_L²:
    (1 - ε'/σ_L²)^{2T} (γ² - 2ε'/(σ_L² - σ_L²(1 - ε'/σ_L²)²)) + 2ε'/(σ_L² - σ_L²(1 - ε'/σ_L²)²), ε' = ε/2."""
    e = eps / 2
    q = 1 - e / sigma_l**2
    c = 2 * e / (sigma_l**2 - sigma_l**2 * q**2)
    paper = q ** (2 * T) * (gamma**2 - c) + c
    assert ncsn.variance_ratio(eps, T, gamma, sigma_l) == pytest.approx(paper, rel=1e-10)


def test_variance_ratio_matches_a_simulated_chain():
    """Data = (nearly) one point at 0, particles from level i-1's equilibrium N(0, γ²σ_i² I), T steps of
    Algorithm 1 at level i = L: the sample variance / σ_i² against eq. (4), within 5 standard errors."""
    point = GaussianMixture([1.0], [[0.0, 0.0]], [1e-4])
    sigma, gamma, T, n = 0.5, 2.0, 6, 200_000
    eps = 0.3 * sigma**2  # α = ε at the last level: x = ε/σ_L² = 0.3
    x0 = gamma * sigma * np.random.default_rng(0).standard_normal((n, 2))
    x = ncsn.annealed_langevin(point, x0, np.array([sigma]), eps, T, np.random.default_rng(1)).frames[-1]
    ratio = x.var() / (sigma**2 + 1e-8)
    predicted = ncsn.variance_ratio(eps, T, gamma, sigma)
    se = predicted * math.sqrt(2 / (2 * n))  # variance of a variance estimate, 2n coordinates
    assert abs(ratio - predicted) < 5 * se, (ratio, predicted, se)
    assert predicted > 1.1  # not trivially at equilibrium: the test can tell T = 6 steps from ∞


@pytest.mark.parametrize("T,gamma", [(5, 2.33), (100, 2.33), (100, 1.395), (1000, 1.2)])
def test_eps_rule_minimises_the_gap_of_eq4(T, gamma):
    sigma_l = 0.01
    best = ncsn.eps_rule(T, gamma, sigma_l)

    def gap(e):
        return abs(ncsn.variance_ratio(e, T, gamma, sigma_l) - 1)

    xs = np.exp(np.linspace(np.log(1e-9), np.log(1.99), 20_000)) * sigma_l**2  # brute force over ε
    assert gap(best) <= min(gap(e) for e in xs) + 1e-6
    assert gap(best) < gap(2e-5)


def test_eps_rule_shrinks_with_more_steps():
    values = [ncsn.eps_rule(T, 2.33, 0.01) for T in (1, 5, 20, 100, 1000)]
    assert all(a > b for a, b in zip(values, values[1:]))


# ---------------------------------------------------------------------------- starts and modes
def test_init_box_is_the_papers_for_fig3():
    assert ncsn.init_box(load_preset("ncsn_fig3")) == (-8.0, 8.0)


def test_initial_particles():
    mixture = load_preset("ncsn_fig3")
    box = ncsn.init_particles(mixture, 20_000, np.random.default_rng(0), "box", 20.0)
    assert box.min() >= -8 and box.max() <= 8
    assert box.mean(0) == pytest.approx([0, 0], abs=0.2)  # sd of the mean 16/√12/√20000 ≈ 0.03
    prior = ncsn.init_particles(mixture, 20_000, np.random.default_rng(0), "prior", 20.0)
    assert prior.std(0) == pytest.approx([20, 20], rel=0.03)  # sd of the sd ≈ 0.5 %
    with pytest.raises(ValueError):
        ncsn.init_particles(mixture, 10, np.random.default_rng(0), "grid", 1.0)


def test_mode_shares_and_tv_agree_with_the_metric():
    mixture = load_preset("four_corners")
    x = mixture.sample(3000, np.random.default_rng(2))
    shares = ncsn.mode_shares(x, mixture)
    assert shares.sum() == pytest.approx(1)
    assert ncsn.tv(shares, mixture.weights) == pytest.approx(mode_tv(x, mixture), abs=1e-15)


# ---------------------------------------------------------------------------- the registry's Fig. 3 numbers
@pytest.mark.slow
def test_fig3_claim_reproduced_by_this_modules_samplers():
    """The claim `ncsn_fig3_annealing` (core/claims/ncsn.py, run through the sampler registry) measured again
    with core/ncsn.py's own loops at its settings, on the first half of its seeds (each half decides the verdict,
    tests/core/test_claim_seeds.py): its verdict logic holds on our numbers too, and each method's share of the
    0.2 mode agrees with the shipped one within 0.03 (binomial sd at 2,000 particles: 0.009-0.011 per seed;
    different noise streams, so not identical)."""
    claim = all_claims()["ncsn_fig3_annealing"]
    mixture = load_preset("ncsn_fig3")
    s1 = sigma_max_for(mixture.means, mixture.covs)  # the VE grid's σ_max, as the claim's log-SNR grid
    alg1 = ncsn.geometric_sigmas(s1, ncsn.gamma_for(s1, 0.01, 10), 10)
    toy = ncsn.geometric_sigmas(20.0, ncsn.gamma_for(20.0, 1.0, 10), 10)
    values, seeds = {}, halves(SEEDS)[0]
    for seed in seeds:
        x_init = np.random.default_rng(100 + seed).uniform(-8, 8, (N, 2))
        rng = np.random.default_rng([seed, 7])
        plain = ncsn.plain_langevin(mixture, x_init, 0.1, 10, 100, rng).frames[-1]
        values[f"plain_seed{seed}"] = ncsn.mode_shares(plain, mixture)[0]
        for name, sigmas, eps in (("toy", toy, 0.1), ("alg1", alg1, 2e-5)):
            x = ncsn.annealed_langevin(mixture, x_init, sigmas, eps, 100, rng).frames[-1]
            values[f"{name}_seed{seed}"] = ncsn.mode_shares(x, mixture)[0]
    print(f"\nshare of the 0.2 mode, core/ncsn.py: { {k: round(float(v), 3) for k, v in values.items()} }")
    assert claim.verdict(values) == claim.expected
    ours = shipped().get("ncsn_fig3_annealing", {}).get("values")
    if ours is None:
        pytest.skip("assets/claims.json has no ncsn_fig3_annealing yet")
    for method in ("plain", "toy", "alg1"):
        mine = np.mean([values[f"{method}_seed{s}"] for s in seeds])
        theirs = np.mean([ours[f"{method}_seed{s}"] for s in seeds])
        assert abs(mine - theirs) < 0.03, (method, mine, theirs)
