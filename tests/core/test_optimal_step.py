"""The optimal Gaussian reverse step (core/samplers/optimal.py) against independent computations.

Cov[x₀ | x_t] comes from the Hessian (Tweedie's second-order formula). The checks here never use the
Hessian: self-normalised importance sampling with the prior as proposal (x₀ ~ p₀, weight ∝ N(x_t; α x₀, σ² I))
estimates E[x_s | x_t] and Cov[x_s | x_t] from the data sampler and the Gaussian likelihood alone; the law
of total covariance over the mixture's components gives a closed form by another route; plain Monte Carlo
over p_t checks the quadrature of Analytic-DPM's expectation.
"""

from __future__ import annotations

import numpy as np
import pytest

from core.datasets import load_preset
from core.grids import timestep_grid
from core.models import ExactDenoiser
from core.processes import DiscreteVP
from core.samplers import optimal
from core.samplers.ancestral import posterior
from core.samplers.registry import run_sampler

PROCESS = DiscreteVP()


def _coeffs(t, s):
    return float(PROCESS.alpha(t)), float(PROCESS.sigma(t)), float(PROCESS.alpha(s)), float(PROCESS.sigma(s))


def _importance_moments(mixture, x_t, a_t, s_t, a_s, s_s, n, rng):
    """Monte Carlo E[x_s | x_t], Cov[x_s | x_t] and the effective sample size: x₀ from the prior, weighted
    by the likelihood, then x_s ~ q(x_s | x_t, x₀) drawn for each weighted x₀."""
    x0 = mixture.sample(n, rng)
    logw = -0.5 * ((x_t - a_t * x0) ** 2).sum(1) / s_t**2
    w = np.exp(logw - logw.max())
    w /= w.sum()
    c_x, c_0, _, beta_tilde = posterior(a_t, s_t, a_s, s_s)
    xs = c_x * x_t + c_0 * x0 + np.sqrt(beta_tilde) * rng.standard_normal(x0.shape)
    mean = w @ xs
    d = xs - mean
    cov = np.einsum("n,ni,nj->ij", w, d, d)
    return mean, cov, 1.0 / (w**2).sum()


@pytest.mark.parametrize(
    "preset, t, s, point",
    [
        ("ring8", 200, 150, (1.0, 0.3)),  # between two modes: a two-lobed posterior
        ("ring8", 400, 300, (0.2, -0.5)),
        ("pinwheel", 150, 100, (0.4, 0.6)),  # anisotropic, rotated covariances
        ("ncsn_fig3", 500, 400, (0.5, 0.5)),  # between the two far modes
    ],
)
def test_step_moments_match_importance_sampling(preset, t, s, point):
    mixture = load_preset(preset)
    a_t, s_t, a_s, s_s = _coeffs(t, s)
    x_t = np.array([point])
    mean, cov, _ = optimal.step_moments(ExactDenoiser(mixture), x_t, a_t, s_t, a_s, s_s)
    mc_mean, mc_cov, ess = _importance_moments(mixture, x_t[0], a_t, s_t, a_s, s_s, 400_000, np.random.default_rng(1))
    assert ess > 2_000, f"too few effective samples ({ess:.0f}) for a meaningful check"
    # Monte Carlo standard errors: sd/√ESS for the mean, about √(2/ESS) · scale for the covariance entries
    scale = np.sqrt(np.trace(mc_cov) / 2)
    np.testing.assert_allclose(mean[0], mc_mean, atol=5 * scale / np.sqrt(ess))
    np.testing.assert_allclose(cov[0], mc_cov, atol=5 * np.sqrt(2 / ess) * scale**2)
    # the covariance is not just the posterior's β̃: the x₀ uncertainty adds to it
    beta_tilde = posterior(a_t, s_t, a_s, s_s)[3]
    assert np.trace(cov[0]) > 2 * beta_tilde * 1.05


def _total_covariance(mixture, x, alpha, sigma):
    """Cov[x₀ | x] = Σ_k r_k (V_k + m_k m_kᵀ) - x̂₀ x̂₀ᵀ, with each component's Gaussian posterior
    N(m_k, V_k): V_k = Σ_k - α Σ_k C_k⁻¹ α Σ_k, m_k = μ_k + α Σ_k C_k⁻¹ (x - α μ_k), C_k = α² Σ_k + σ² I."""
    r = mixture.diffused(alpha, sigma).responsibilities(x)
    out = []
    for xi, ri in zip(x, r):
        second, first = np.zeros((2, 2)), np.zeros(2)
        for k in range(mixture.n_components):
            S = mixture.covs[k]
            gain = alpha * S @ np.linalg.inv(alpha**2 * S + sigma**2 * np.eye(2))
            m = mixture.means[k] + gain @ (xi - alpha * mixture.means[k])
            V = S - gain @ (alpha * S)
            second += ri[k] * (V + np.outer(m, m))
            first += ri[k] * m
        out.append(second - np.outer(first, first))
    return np.array(out)


@pytest.mark.parametrize("preset", ["ring8", "pinwheel", "smiley"])
@pytest.mark.parametrize("t", [20, 150, 600])
def test_tweedie_covariance_equals_the_law_of_total_covariance(preset, t):
    mixture = load_preset(preset)
    a, s = float(PROCESS.alpha(t)), float(PROCESS.sigma(t))
    x = mixture.diffused(a, s).sample(30, np.random.default_rng(t))
    ours = optimal.posterior_x0_covariance(mixture, x, a, s)
    ref = _total_covariance(mixture, x, a, s)
    # (σ²/α²)(I + σ²H): I and σ²H cancel to a factor up to σ²/(α²|Σ|) ≈ 1e5 at t = 600; scale the tolerance
    cancel = (s**2 / a**2) * (1 + s**2 * np.abs(mixture.diffused(a, s).hessian(x)).max())
    np.testing.assert_allclose(ours, ref, atol=1e-9 * cancel + 1e-12)


def test_jacobian_route_equals_the_hessian_route():
    """A model without a mixture (a learned one) gets Cov[x₀|x_t] = (σ²/α) ∂x̂₀/∂x from central differences."""

    class Opaque:  # hides the mixture: only denoise() is visible
        def __init__(self, inner):
            self._inner = inner

        def denoise(self, x, a, s):
            return self._inner.denoise(x, a, s)

    mixture = load_preset("ring8")
    a, s = float(PROCESS.alpha(100)), float(PROCESS.sigma(100))
    x = mixture.diffused(a, s).sample(40, np.random.default_rng(0))
    model = Opaque(ExactDenoiser(mixture))
    assert optimal.exact_mixture(model) is None
    fd = optimal.jacobian_x0_covariance(model, x, None, a, s)
    exact = optimal.posterior_x0_covariance(mixture, x, a, s)
    # central differences: error O(h²·x̂₀''') ≈ 1e-8 relative here, far above rounding (~1e-16/h²·|x̂₀| ≈ 1e-8)
    np.testing.assert_allclose(fd, exact, atol=1e-5 * np.abs(exact).max())


def test_covariances_are_symmetric_positive_semidefinite():
    mixture = load_preset("grid25")
    for t in (0, 5, 50, 500, 999):
        a, s = float(PROCESS.alpha(t)), float(PROCESS.sigma(t))
        x = mixture.diffused(a, s).sample(200, np.random.default_rng(t))
        cov = optimal.posterior_x0_covariance(mixture, x, a, s)
        np.testing.assert_array_equal(cov, np.swapaxes(cov, 1, 2))
        assert np.linalg.eigvalsh(cov).min() >= -1e-12 * np.abs(cov).max()
        root = optimal._sqrt_psd(cov)
        np.testing.assert_allclose(root @ root, cov, atol=1e-10 * max(np.abs(cov).max(), 1e-30))


@pytest.mark.parametrize("preset", ["ring8", "smiley", "checkerboard"])
@pytest.mark.parametrize("t", [10, 100, 400])
def test_analytic_dpm_expectation_against_monte_carlo(preset, t):
    """E_{p_t} tr Cov[x₀|x_t] by quadrature vs a 200,000-point Monte Carlo average (its own error stated)."""
    mixture = load_preset(preset)
    a, s = float(PROCESS.alpha(t)), float(PROCESS.sigma(t))
    x = mixture.diffused(a, s).sample(200_000, np.random.default_rng(7))
    tr = np.trace(optimal.posterior_x0_covariance(mixture, x, a, s), axis1=1, axis2=2)
    mc, se = tr.mean(), tr.std() / np.sqrt(len(tr))
    quad = optimal.mean_posterior_trace(mixture, a, s)
    # quadrature error measured ≤ 1e-2 relative on these presets and times; plus 4 Monte Carlo s.e.
    assert abs(quad - mc) <= 1e-2 * mc + 4 * se


def test_analytic_dpm_variance_is_beta_for_standard_normal_data():
    """Ho et al. 2020 (Sec. 3.2): σ² = β is optimal for x₀ ~ N(0, I). With Cov[x₀|x_t] = σ_t² I on VP,
    β̃ + c₀² σ_t² = β exactly; and at t ≈ T, where the data are forgotten, Cov[x₀|x_t] → Cov[x₀]."""
    from core.mixture import GaussianMixture

    normal = GaussianMixture([1.0], [[0.0, 0.0]], [1.0])
    for t, s in ((999, 899), (500, 450), (60, 40), (1, 0)):
        a_t, s_t, a_s, s_s = _coeffs(t, s)
        _, c_0, beta, beta_tilde = posterior(a_t, s_t, a_s, s_s)
        var = beta_tilde + c_0**2 * optimal.mean_posterior_trace(normal, a_t, s_t) / 2
        np.testing.assert_allclose(var, beta, rtol=1e-9)
    mixture = load_preset("ring8")
    a_t, s_t, _, _ = _coeffs(999, 899)
    prior_trace = np.trace(np.cov(mixture.sample(400_000, np.random.default_rng(0)).T))  # MC s.e. ≈ 0.2 %
    np.testing.assert_allclose(optimal.mean_posterior_trace(mixture, a_t, s_t), prior_trace, rtol=1e-2)


def test_samplers_run_through_the_registry_and_are_seeded():
    mixture = load_preset("ring8")
    grid = timestep_grid(PROCESS, 20, "leading")
    for key in ("optimal_gaussian", "analytic_dpm"):
        a = run_sampler(key, ExactDenoiser(mixture), grid, 300, 5, n_paths=4)
        b = run_sampler(key, ExactDenoiser(mixture), grid, 300, 5, n_paths=4)
        c = run_sampler(key, ExactDenoiser(mixture), grid, 300, 6, n_paths=4)
        np.testing.assert_array_equal(a.samples, b.samples)
        assert not np.allclose(a.samples, c.samples)
        assert a.nfe == 20 and np.isfinite(a.samples).all()


def test_refusals_are_readable():
    from core.processes import make_process

    mixture = load_preset("ring8")
    flow = timestep_grid(make_process("flow", mixture), 10)  # starts at α = 0
    with pytest.raises(ValueError, match="needs α > 0"):
        run_sampler("optimal_gaussian", ExactDenoiser(mixture), flow, 10, 0)

    class Opaque:
        def denoise(self, x, a, s):
            return x

    with pytest.raises(ValueError, match="exact model"):
        run_sampler("analytic_dpm", Opaque(), timestep_grid(PROCESS, 5), 10, 0)
