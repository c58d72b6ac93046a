"""The diffused marginal p_t and the denoiser interface, against Monte Carlo and independent formulas.

Statistical tests use fixed seeds; each states its per-comparison false-failure rate, chosen so that the
whole file fails by chance with probability below ~2e-3 (never tuned by changing seeds).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from core.datasets import PRESETS, load_preset
from core.mixture import GaussianMixture
from core.models import (
    CountingDenoiser,
    ExactDenoiser,
    GuidedDenoiser,
    Marginal,
    eps_from_x0,
    score_from_x0,
)
from core.processes import PROCESSES, make_process
from tests.core.test_mixture import assert_within_rounding, posterior_mean_magnitude, term_magnitudes

PROCESS_NAMES = sorted(PROCESSES)
PRESET_KEYS = sorted(PRESETS)


def forward_noise(mix: GaussianMixture, alpha: float, sigma: float, n: int, rng: np.random.Generator):
    """Monte Carlo x_t = α x₀ + σ ε with x₀ drawn here from the raw parameters (component by rng.choice,
    then μ_k + L_k z with L_k the Cholesky factor), not with GaussianMixture.sample."""
    k = rng.choice(len(mix.weights), size=n, p=mix.weights)
    chol = np.linalg.cholesky(mix.covs)
    x0 = mix.means[k] + np.einsum("nij,nj->ni", chol[k], rng.standard_normal((n, 2)))
    return alpha * x0 + sigma * rng.standard_normal((n, 2)), x0


def times_for(proc) -> list[float]:
    """Three times per process: small, medium and large noise (σ̃ = σ/α = 0.1, 0.8, 4)."""
    return [float(proc.t_from_sigma_tilde(s)) for s in (0.1, 0.8, 4.0)]


def mixture_moments(mix: GaussianMixture):
    mean = mix.weights @ mix.means
    second = np.einsum("k,kij->ij", mix.weights, mix.covs + mix.means[:, :, None] * mix.means[:, None, :])
    return mean, second - np.outer(mean, mean)


def projected_cdf(mix: GaussianMixture, u: np.ndarray):
    """CDF of u·x for x ~ mix: a 1D mixture with means u·μ_k and variances uᵀΣ_k u."""
    m, s = mix.means @ u, np.sqrt(np.einsum("i,kij,j->k", u, mix.covs, u))
    return lambda y: (mix.weights * stats.norm.cdf((np.asarray(y)[:, None] - m) / s)).sum(1)


_ANGLES = 0.3 + np.array([0, 2, 4]) * np.pi / 3  # three fixed directions, 60° apart
DIRECTIONS = np.stack([np.cos(_ANGLES), np.sin(_ANGLES)], 1)


# ---------------------------------------------------------------------------- p_t vs forward noising
@pytest.mark.parametrize("name", PROCESS_NAMES)
@pytest.mark.parametrize("key", ["pinwheel", "ncsn_fig3"])
def test_exact_marginal_matches_forward_noising(name, key):
    """For 3 times per process: moments, two-sample and one-sample KS tests on 3 projections, and a
    chi-square test of binned counts against bin probabilities integrated from p_t's log_prob.

    7 p-values per time, 3 times, 7 processes, 2 presets = 294 tests at level 1e-5 (false-failure
    probability ≤ 3e-3 over the whole parametrisation, by the union bound); means at 5 standard errors
    (2-sided 6e-7 each); covariances at 6 % of the largest entry (the standard error of a sample
    variance is about √(2/n) ≈ 1 % at n = 20,000, so this is ~6 standard errors)."""
    mix = load_preset(key)
    proc = make_process(name, mix)
    marginal = Marginal(proc, ExactDenoiser(mix))
    rng = np.random.default_rng([PROCESS_NAMES.index(name), len(key)])
    n = 20_000
    for t in times_for(proc):
        a, s = marginal.coefficients(t)
        pt = marginal.mixture(t)
        xt, _ = forward_noise(mix, a, s, n, rng)
        # moments
        mean, cov = mixture_moments(pt)
        assert np.all(np.abs(xt.mean(0) - mean) < 5 * np.sqrt(np.diag(cov) / n)), (t, xt.mean(0), mean)
        np.testing.assert_allclose(np.cov(xt.T), cov, rtol=0.06, atol=0.06 * np.abs(cov).max())
        # two-sample KS: forward-noised data vs draws from the diffused mixture; one-sample KS vs its CDF
        ref = pt.sample(n, rng)
        for u in DIRECTIONS:
            assert stats.ks_2samp(xt @ u, ref @ u).pvalue > 1e-5, (t, u)
            assert stats.kstest(xt @ u, projected_cdf(pt, u)).pvalue > 1e-5, (t, u)
        # chi-square on a 6×6 grid of bins over the central region plus one "outside" bin; bin masses by
        # a midpoint rule on a sub-grid 1/6 of the narrowest standard deviation apart
        sd = np.sqrt(np.diag(cov))
        lo, hi = mean - 2 * sd, mean + 2 * sd
        h = np.sqrt(np.linalg.eigvalsh(pt.covs).min()) / 6
        nx = np.maximum(np.ceil((hi - lo) / h / 6).astype(int) * 6, 6)
        gx = lo[0] + (np.arange(nx[0]) + 0.5) * (hi[0] - lo[0]) / nx[0]
        gy = lo[1] + (np.arange(nx[1]) + 0.5) * (hi[1] - lo[1]) / nx[1]
        xx, yy = np.meshgrid(gx, gy, indexing="ij")
        dens = np.exp(pt.log_prob(np.stack([xx.ravel(), yy.ravel()], 1))).reshape(xx.shape)
        cell = (hi[0] - lo[0]) / nx[0] * (hi[1] - lo[1]) / nx[1]
        mass = dens.reshape(6, nx[0] // 6, 6, nx[1] // 6).sum((1, 3)) * cell
        counts, _, _ = np.histogram2d(xt[:, 0], xt[:, 1], bins=6, range=[[lo[0], hi[0]], [lo[1], hi[1]]])
        expected = np.append(mass.ravel(), 1 - mass.sum()) * n
        observed = np.append(counts.ravel(), n - counts.sum())
        keep = expected > 5  # the chi-square approximation needs expected counts ≳ 5
        observed = np.append(observed[keep], observed[~keep].sum())
        expected = np.append(expected[keep], expected[~keep].sum())
        if expected[-1] == 0:
            observed, expected = observed[:-1], expected[:-1]
        assert stats.chisquare(observed, expected).pvalue > 1e-5, (t, observed, expected)


# ---------------------------------------------------------------------------- Tweedie
@pytest.mark.parametrize("alpha,sigma", [(0.95, 0.3), (0.6, 0.8), (0.1, 1.0)])
@pytest.mark.parametrize("key", ["pinwheel", "guidance_collapse"])
def test_tweedie_denoiser_matches_importance_sampling(key, alpha, sigma):
    """E[x₀ | x_t] by self-normalised importance sampling with the prior as proposal: x₀ⁱ ~ p₀ (M = 2·10⁵),
    wᵢ ∝ N(x_t; α x₀ⁱ, σ² I). Standard error by the delta method, se² = Σ wᵢ²(x₀ⁱ - x̂)²/(Σ wᵢ)²;
    tolerance 5 se + 1e-9 per coordinate (2-sided false-failure rate 6e-7; 6 × 12 × 2 comparisons)."""
    mix = load_preset(key)
    rng = np.random.default_rng([int(alpha * 100), int(sigma * 100), len(key)])
    _, x0 = forward_noise(mix, 1.0, 0.0, 200_000, rng)
    xt, _ = forward_noise(mix, alpha, sigma, 12, rng)
    exact = ExactDenoiser(mix).denoise(xt, alpha, sigma)
    for x, want in zip(xt, exact, strict=True):
        logw = -0.5 * np.sum((x - alpha * x0) ** 2, axis=1) / sigma**2
        w = np.exp(logw - logw.max())
        est = w @ x0 / w.sum()
        se = np.sqrt((w[:, None] ** 2 * (x0 - est) ** 2).sum(0)) / w.sum()
        ess = w.sum() ** 2 / (w**2).sum()
        assert ess > 200, f"too few effective samples ({ess:.0f}) for a meaningful check"
        assert np.all(np.abs(est - want) < 5 * se + 1e-9), (x, est, want, se)


@pytest.mark.parametrize("key", PRESET_KEYS)
def test_tweedie_forms_agree(key):
    """x̂₀ = (x + σ²∇log p_t)/α (Tweedie); ε̂ = -σ∇log p_t; x = α x̂₀ + σ ε̂ (where α is not small)."""
    mix = load_preset(key)
    rng = np.random.default_rng(PRESET_KEYS.index(key))
    den = ExactDenoiser(mix)
    for alpha, sigma in [(0.99, 0.05), (0.8, 0.6), (0.3, 0.95), (1.0, 5.0)]:
        xt, _ = forward_noise(mix, alpha, sigma, 200, rng)
        x0 = den.denoise(xt, alpha, sigma)
        score = mix.diffused(alpha, sigma).score(xt)
        np.testing.assert_allclose(x0, (xt + sigma**2 * score) / alpha, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(score_from_x0(xt, x0, alpha, sigma), score, rtol=1e-7, atol=1e-7)
        np.testing.assert_allclose(eps_from_x0(xt, x0, alpha, sigma), -sigma * score, rtol=1e-8, atol=1e-8)


def test_denoiser_limits():
    """σ → 0: x̂₀ → x/α exactly; α → 0 or σ → ∞: x̂₀ → E[x₀] (the posterior is the prior)."""
    mix = load_preset("smiley")
    den = ExactDenoiser(mix)
    x = mix.sample(100, np.random.default_rng(0))
    # Σ_k r_k [μ_k + (x/α - μ_k)]: the terms μ_k and x/α - μ_k cancel to x/α (to rounding of their size)
    scale = posterior_mean_magnitude(mix, 0.5 * x, 0.5, 0.0)
    assert_within_rounding(den.denoise(0.5 * x, 0.5, 0.0), x, scale, "x̂₀ at σ = 0")
    np.testing.assert_allclose(den.denoise(x, 1.0, 1e-9), x, rtol=1e-9, atol=1e-9)
    prior_mean = mix.weights @ mix.means  # a sum of K terms π_k μ_k
    scale = np.broadcast_to(mix.weights @ np.abs(mix.means), x.shape)
    assert_within_rounding(den.denoise(x, 0.0, 1.0), np.broadcast_to(prior_mean, x.shape), scale, "x̂₀ at α = 0")
    # at σ = 80 the data term moves the mean by O(|Σ_data| |x| / σ²)
    far = 80 * np.random.default_rng(1).standard_normal((100, 2))
    np.testing.assert_allclose(den.denoise(far, 1.0, 80.0), np.broadcast_to(prior_mean, far.shape), atol=0.1)


# ---------------------------------------------------------------------------- Marginal
def sample_points(mix, proc, t, n, seed):
    a, s = float(proc.alpha(t)), float(proc.sigma(t))
    return forward_noise(mix, a, s, n, np.random.default_rng(seed))[0]


@pytest.mark.parametrize("name", PROCESS_NAMES)
def test_marginal_score_eps_and_velocity(name):
    mix = load_preset("pinwheel")
    proc = make_process(name, mix)
    exact = Marginal(proc, ExactDenoiser(mix))
    generic = Marginal(proc, CountingDenoiser(ExactDenoiser(mix)))  # goes through x̂₀ only
    for t in times_for(proc):
        x = sample_points(mix, proc, t, 300, 3)
        a, s = exact.coefficients(t)
        pt = mix.diffused(a, s)
        score = pt.score(x)
        terms = term_magnitudes(pt, x)["score"]  # Σ_k r_k |s_k|: a score near 0 is made by cancellation
        assert_within_rounding(exact.score(x, t), score, terms, "exact score")
        np.testing.assert_allclose(generic.score(x, t), score, rtol=1e-7, atol=1e-7 * np.abs(score).max())
        assert_within_rounding(exact.eps(x, t), -s * score, s * terms, "exact ε̂")
        np.testing.assert_allclose(generic.eps(x, t), exact.eps(x, t), rtol=1e-7, atol=1e-8)
        np.testing.assert_allclose(exact.x0(x, t), ExactDenoiser(mix).denoise(x, a, s), rtol=0, atol=0)
        # the probability-flow ODE drift f x - ½ g² ∇log p_t (Song et al. 2021, eq. 13)
        f, g2 = float(proc.drift_coef(t)), float(proc.diffusion_sq(t))
        drift = f * x - 0.5 * g2 * score
        scale = np.abs(drift).max()
        np.testing.assert_allclose(exact.velocity(x, t), drift, rtol=1e-8, atol=1e-10 * scale)
        np.testing.assert_allclose(generic.velocity(x, t), drift, rtol=1e-6, atol=1e-8 * scale)
    assert generic.denoiser.calls > 0


def test_flow_matching_velocity_is_eps_minus_x0():
    mix = load_preset("moons")
    proc = make_process("flow")
    m = Marginal(proc, ExactDenoiser(mix))
    for t in (0.1, 0.5, 0.9, 1.0):
        x = sample_points(mix, proc, t, 200, 4)
        np.testing.assert_allclose(m.velocity(x, t), m.eps(x, t) - m.x0(x, t), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", PROCESS_NAMES)
def test_pf_divergence_matches_finite_differences(name):
    """∇·v by central differences of the velocity, h = 1e-5·(noise scale): truncation ~1e-10 relative."""
    mix = load_preset("smiley")
    proc = make_process(name, mix)
    m = Marginal(proc, ExactDenoiser(mix))
    for t in times_for(proc) + ([1.0] if name == "flow" else []):  # flow: α(1) = 0, f = g² = ∞
        x = sample_points(mix, proc, t, 100, 5)
        h = 1e-5 * np.sqrt(np.linalg.eigvalsh(m.mixture(t).covs).min())
        e = np.eye(2) * h
        fd = sum((m.velocity(x + e[i], t)[:, i] - m.velocity(x - e[i], t)[:, i]) / (2 * h) for i in range(2))
        div = m.pf_divergence(x, t)
        np.testing.assert_allclose(div, fd, rtol=1e-5, atol=1e-6 * np.abs(div).max())


@pytest.mark.parametrize("name", PROCESS_NAMES)
def test_continuity_equation(name):
    """The PF-ODE transports p_t: ∂_t log p_t = -∇·v - v·∇log p_t. Left side by central differences in t
    of the exact log-density (so this also checks α', σ' against α, σ), right side from the Marginal."""
    mix = load_preset("ring8_soft")
    proc = make_process(name, mix)
    m = Marginal(proc, ExactDenoiser(mix))
    for t in times_for(proc):
        x = sample_points(mix, proc, t, 100, 6)
        h = 1e-3 if proc.discrete else 1e-6 * (proc.t_max - proc.t_min)
        if proc.discrete:  # stay inside one linear piece of log ᾱ
            t = np.floor(t) + 0.5
        dlogp = (m.mixture(t + h).log_prob(x) - m.mixture(t - h).log_prob(x)) / (2 * h)
        rhs = -m.pf_divergence(x, t) - np.sum(m.velocity(x, t) * m.score(x, t), axis=1)
        np.testing.assert_allclose(rhs, dlogp, rtol=1e-5, atol=1e-6 * np.abs(dlogp).max())


def test_guided_denoiser():
    """w = 0 is the conditional model; otherwise x̂₀ = (1+w) x̂₀(c) - w x̂₀, i.e. the score of
    p_t(x) p_t(c | x)^{1+w} (Ho & Salimans 2022 eq. 6 = Dhariwal & Nichol classifier guidance, γ = 1+w),
    with ∇log p_t(c | x) taken here by central differences of the exact class posterior."""
    mix = load_preset("guidance_collapse")
    cond, uncond = ExactDenoiser(mix.for_class(0)), ExactDenoiser(mix)
    x = forward_noise(mix, 0.8, 0.6, 200, np.random.default_rng(8))[0]
    np.testing.assert_array_equal(GuidedDenoiser(cond, uncond, 0.0).denoise(x, 0.8, 0.6), cond.denoise(x, 0.8, 0.6))
    w = 2.5
    g = GuidedDenoiser(cond, uncond, w)
    xc, xu = cond.denoise(x, 0.8, 0.6), uncond.denoise(x, 0.8, 0.6)
    terms = (1 + w) * np.abs(xc) + w * np.abs(xu)
    assert_within_rounding(g.denoise(x, 0.8, 0.6), (1 + w) * xc - w * xu, terms, "guided x̂₀")
    pt = mix.diffused(0.8, 0.6)
    h = 1e-6
    e = np.eye(2) * h
    log_post = lambda y: np.log(pt.class_posterior(y, 0))  # noqa: E731
    grad_log_post = np.stack([(log_post(x + e[i]) - log_post(x - e[i])) / (2 * h) for i in range(2)], 1)
    np.testing.assert_allclose(
        score_from_x0(x, g.denoise(x, 0.8, 0.6), 0.8, 0.6),
        pt.score(x) + (1 + w) * grad_log_post,
        rtol=1e-6,
        atol=1e-6,
    )


def test_counting_denoiser_and_exact_only_methods():
    mix = load_preset("ring8")
    counter = CountingDenoiser(ExactDenoiser(mix))
    m = Marginal(make_process("vp"), counter)
    x = np.zeros((5, 2))
    m.x0(x, 0.5)
    m.score(x, 0.5)
    m.velocity(x, 0.5)
    assert counter.calls == 3
    with pytest.raises(TypeError, match="exact denoiser"):
        m.mixture(0.5)
    with pytest.raises(TypeError, match="exact denoiser"):
        m.pf_divergence(x, 0.5)


# ---------------------------------------------------------------------------- edge cases
def edge_times(proc) -> list[float]:
    span = proc.t_max - proc.t_min
    ts = [proc.t_min, proc.t_min + 1e-9 * span, proc.t_min + 1e-4 * span, proc.t_max - 1e-6 * span, proc.t_max]
    return ts + ([0.0] if proc.discrete else [])


@pytest.mark.parametrize("name", PROCESS_NAMES)
def test_edge_times_give_finite_values(name):
    """Every preset at t_min, just above it, near and at t_max: p_t's log_prob, score, laplacian, Hessian
    and the denoiser are finite, and so are the Marginal's score, ε̂, velocity and PF divergence."""
    rng = np.random.default_rng(PROCESS_NAMES.index(name))
    for key in PRESET_KEYS:
        mix = load_preset(key)
        proc = make_process(name, mix)
        m = Marginal(proc, ExactDenoiser(mix))
        for t in edge_times(proc):
            a, s = m.coefficients(t)
            pt = m.mixture(t)
            x = np.concatenate([forward_noise(mix, a, s, 50, rng)[0], 30 * (a + s) * rng.standard_normal((10, 2))])
            values = {
                "log_prob": pt.log_prob(x),
                "score": pt.score(x),
                "laplacian": pt.laplacian(x),
                "hessian": pt.hessian(x),
                "denoise": m.x0(x, t),
                "marginal score": m.score(x, t),
                "eps": m.eps(x, t),
                "velocity": m.velocity(x, t),
                "pf_divergence": m.pf_divergence(x, t),
            }
            for what, v in values.items():
                assert np.all(np.isfinite(v)), f"{key} {name} t={t}: {what} not finite"


@pytest.mark.parametrize("sigma", [0.0, 1e-300, 1e-12, 1e-6, 80.0, 1e4])
def test_extreme_noise_levels_give_finite_values(sigma):
    """σ → 0 and σ = 80 (EDM's σ_max) and beyond, on every preset, directly through (α = 1, σ)."""
    rng = np.random.default_rng(int(sigma > 1))
    for key in PRESET_KEYS:
        mix = load_preset(key)
        pt = mix.diffused(1.0, sigma)
        x = np.concatenate([forward_noise(mix, 1.0, sigma, 50, rng)[0], (3 + sigma) * rng.standard_normal((10, 2))])
        for what, v in {
            "log_prob": pt.log_prob(x),
            "score": pt.score(x),
            "laplacian": pt.laplacian(x),
            "hessian": pt.hessian(x),
            "denoise": ExactDenoiser(mix).denoise(x, 1.0, sigma),
        }.items():
            assert np.all(np.isfinite(v)), f"{key} σ={sigma}: {what} not finite"
