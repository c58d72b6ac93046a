"""The best Gaussian reverse step, known exactly here: the full-covariance generalisation of IDDPM's
learned diagonal Σ (Nichol & Dhariwal 2021, Sec. 3.1).

The true reverse kernel of any process x = α x₀ + σ ε is q(x_s | x_t) = ∫ q(x_s | x_t, x₀) p(x₀ | x_t) dx₀,
with q(x_s | x_t, x₀) = N(c_x x_t + c_0 x₀, β̃ I) the Gaussian posterior of core/samplers/ancestral.py. Its
first two moments follow from those of p(x₀ | x_t):

    E[x_s | x_t]   = c_x x_t + c_0 E[x₀ | x_t]
    Cov[x_s | x_t] = β̃ I + c_0² Cov[x₀ | x_t],   Cov[x₀ | x_t] = (σ_t²/α_t²)(I + σ_t² ∇² log p_t(x_t))

(Tweedie's formula to second order, Efron 2011; the Jacobian of x̂₀ is (I + σ² ∇²log p_t)/α). Among Gaussian
kernels N(μ(x_t), Σ(x_t)) the one with these moments is the best (it minimises KL(q(x_s | x_t) ‖ N) point by
point), so "optimal Gaussian step" samples from it. Nichol & Dhariwal 2021 (IDDPM, Sec. 3.1) learn a diagonal
Σθ = exp(v log β + (1 - v) log β̃), one interpolation between β and β̃ per dimension; this kernel is the
full-covariance generalisation of what that diagonal approximates (a full 2×2 matrix per point here).

Bao et al. 2022 (Analytic-DPM, Theorem 1) restrict the kernel to N(μ, σ*² I) with one variance per step
shared by all x_t; the optimal one is the average of the per-point variance,

    σ*² = β̃ + c_0² E_{x_t ~ p_t}[tr Cov[x₀ | x_t]] / d,

their eq. (7) written without the score: E tr Cov[x₀|x_t] = (σ²/α²)(d - σ² E‖∇log p_t‖²). For a mixture
that expectation has no closed form (it integrates the squared responsibilities, ratios of Gaussians, over
the plane), so it is not "exact" in the sense of the rest of this file: we compute the one 2D integral by
Gauss–Hermite quadrature on each diffused component (deterministic; n × n nodes per component, n from 12
down to 5 so that K n² ≤ `ANALYTIC_POINTS`), where
Analytic-DPM uses a Monte Carlo average over training data. Since it depends on σ̃ = σ/α alone, it is tabulated
once per mixture on a grid of log σ̃ and read off a cubic spline. Against a 400,000-point Monte Carlo average it
agrees to about 1e-3 relative on the presets, 5e-2 at worst (grid25 near t = 50 of 1000, where the little
mass between sharp modes carries much of the trace); tests/core/test_optimal_step.py checks it.

Both samplers take every step from the Gaussian, the last one (to σ = 0: β̃ = 0, c_0 = 1) included: it
draws x₀ ~ N(x̂₀, Cov[x₀ | x_1]) rather than returning the mean.

Without the exact mixture (a learned model), Cov[x₀ | x_t] = (σ²/α) ∂x̂₀/∂x_t is taken from central
differences of the denoiser (4 more evaluations per step); the Analytic-DPM row needs the exact mixture.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from core.mixture import GaussianMixture
from core.models import ExactDenoiser
from core.samplers.ancestral import posterior

ANALYTIC_POINTS = 2000  # quadrature points per step for E_{p_t} tr Cov[x₀ | x_t] (about a 2,000-particle step)
FD_STEP = 1e-4  # relative step of the central differences of a model without a mixture


def exact_mixture(model) -> GaussianMixture | None:
    """The data mixture behind a model, looking through wrappers (`.inner`): None if it is not exact."""
    seen = 0
    while model is not None and seen < 10:
        if isinstance(model, ExactDenoiser):
            return model.mixture
        model, seen = getattr(model, "inner", None), seen + 1
    return None


def posterior_x0_covariance(mixture: GaussianMixture, x, alpha: float, sigma: float) -> np.ndarray:
    """Cov[x₀ | α x₀ + σ ε = x] = (σ²/α²)(I + σ² ∇²log p_t(x)), shape (N, 2, 2), symmetric PSD (clipped)."""
    hess = mixture.diffused(alpha, sigma).hessian(x)
    cov = (sigma**2 / alpha**2) * (np.eye(2) + sigma**2 * hess)
    return _psd(cov)


def jacobian_x0_covariance(model, x, x0, alpha: float, sigma: float) -> np.ndarray:
    """Cov[x₀ | x_t] = (σ²/α) ∂x̂₀/∂x_t for any denoiser, by central differences (symmetrised, clipped)."""
    h = FD_STEP * max(1.0, float(np.sqrt(alpha**2 + sigma**2)))
    jac = np.empty((len(x), 2, 2))
    for j in range(2):
        e = np.zeros(2)
        e[j] = h
        jac[:, :, j] = (model.denoise(x + e, alpha, sigma) - model.denoise(x - e, alpha, sigma)) / (2 * h)
    cov = (sigma**2 / alpha) * jac
    return _psd(cov)


def _eigen2(cov: np.ndarray):
    """Closed-form eigen-decomposition of symmetric 2×2 matrices: (λ₁ ≥ λ₂, angle θ of λ₁'s eigenvector)."""
    a, b, d = cov[:, 0, 0], 0.5 * (cov[:, 0, 1] + cov[:, 1, 0]), cov[:, 1, 1]
    mid, r = 0.5 * (a + d), np.hypot(0.5 * (a - d), b)
    return mid + r, mid - r, 0.5 * np.arctan2(2 * b, a - d)


def _from_eigen(l1, l2, theta) -> np.ndarray:
    c, s = np.cos(theta), np.sin(theta)
    out = np.empty((len(l1), 2, 2))
    out[:, 0, 0] = l1 * c * c + l2 * s * s
    out[:, 1, 1] = l1 * s * s + l2 * c * c
    out[:, 0, 1] = out[:, 1, 0] = (l1 - l2) * c * s
    return out


def _psd(cov: np.ndarray) -> np.ndarray:
    """Symmetric part with negative eigenvalues (rounding, or a model's error) set to zero."""
    l1, l2, theta = _eigen2(cov)
    return _from_eigen(np.maximum(l1, 0.0), np.maximum(l2, 0.0), theta)


def _sqrt_psd(cov: np.ndarray) -> np.ndarray:
    """The symmetric square root of PSD 2×2 matrices (negative eigenvalues clipped)."""
    l1, l2, theta = _eigen2(cov)
    return _from_eigen(np.sqrt(np.maximum(l1, 0.0)), np.sqrt(np.maximum(l2, 0.0)), theta)


def step_moments(model, x, a_t, s_t, a_s, s_s):
    """(E[x_s | x_t], Cov[x_s | x_t], x̂₀) of the true reverse kernel for the points x (N, 2)."""
    x0 = model.denoise(x, a_t, s_t)
    mixture = exact_mixture(model)
    if mixture is not None:
        cov0 = posterior_x0_covariance(mixture, x, a_t, s_t)
    else:
        cov0 = jacobian_x0_covariance(model, x, x0, a_t, s_t)
    c_x, c_0, _, beta_tilde = posterior(a_t, s_t, a_s, s_s)
    mean = c_x * x + c_0 * x0
    cov = beta_tilde * np.eye(2) + c_0**2 * cov0
    return mean, cov, x0


def _require_alpha(grid, what):
    if grid.alpha[0] <= 0:
        raise ValueError(f"{what} needs α > 0 at the first node (Cov[x₀ | x_t] divides by α); use a Karras grid")


def optimal_gaussian(model, x, grid, noise, callback):
    """Sample each step from N(E[x_s | x_t], Cov[x_s | x_t]): the exact moments of the true reverse kernel."""
    _require_alpha(grid, "The optimal Gaussian step")
    for i in range(grid.n_steps):
        mean, cov, x0 = step_moments(model, x, grid.alpha[i], grid.sigma[i], grid.alpha[i + 1], grid.sigma[i + 1])
        x = mean + np.einsum("nij,nj->ni", _sqrt_psd(cov), noise(x.shape))
        callback(i + 1, x, x0)
    return x


@lru_cache(maxsize=8)
def _gauss_hermite(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes z (n², 2) and weights w (n²,) with Σ w f(z) ≈ E f(Z), Z ~ N(0, I₂)."""
    t, w = np.polynomial.hermite_e.hermegauss(n)
    w = w / w.sum()
    zz = np.stack(np.meshgrid(t, t, indexing="ij"), -1).reshape(-1, 2)
    return zz, np.outer(w, w).ravel()


def quadrature_nodes(n_components: int) -> int:
    """Nodes per axis: 12 for a few components, fewer for many (checkerboard, 72: 5), K n² ≤ ANALYTIC_POINTS."""
    return int(np.clip(np.floor(np.sqrt(ANALYTIC_POINTS / n_components)), 5, 12))


def mean_posterior_trace(mixture: GaussianMixture, alpha: float, sigma: float, nodes: int | None = None) -> float:
    """E_{x ~ p_t} tr Cov[x₀ | x] by Gauss–Hermite quadrature on each diffused component."""
    pt = mixture.diffused(alpha, sigma)
    nodes = quadrature_nodes(pt.n_components) if nodes is None else nodes
    z, w = _gauss_hermite(nodes)
    chol = np.linalg.cholesky(pt.covs)  # (K, 2, 2)
    pts = (pt.means[:, None, :] + np.einsum("kij,nj->kni", chol, z)).reshape(-1, 2)
    cov = (sigma**2 / alpha**2) * (np.eye(2) + sigma**2 * pt.hessian(pts))
    trace = np.maximum(cov[:, 0, 0] + cov[:, 1, 1], 0.0).reshape(len(pt.weights), -1)
    return float(pt.weights @ (trace @ w))


# E tr Cov[x₀ | x_t] depends on (α, σ) only through σ̃ = σ/α (x_t/α = x₀ + σ̃ ε carries the same information),
# and smoothly: it is tabulated once per mixture at TABLE_NODES values of log σ̃ and read off a cubic spline.
TABLE_RANGE = (1e-3, 1e3)
TABLE_NODES = 161
_TRACE_SPLINES: dict = {}


def _fingerprint(mixture: GaussianMixture) -> bytes:
    import hashlib

    parts = (mixture.weights, mixture.means, mixture.covs)
    return hashlib.sha1(b"".join(np.ascontiguousarray(a, dtype=np.float64).tobytes() for a in parts)).digest()


def expected_posterior_trace(mixture: GaussianMixture, alpha: float, sigma: float) -> float:
    """E_{x ~ p_t} tr Cov[x₀ | x], read off the mixture's spline in log σ̃ (quadrature outside its range)."""
    from scipy.interpolate import CubicSpline

    st = sigma / alpha
    if not TABLE_RANGE[0] <= st <= TABLE_RANGE[1]:
        return mean_posterior_trace(mixture, 1.0, st)
    key = _fingerprint(mixture)
    if key not in _TRACE_SPLINES:
        nodes = np.linspace(np.log(TABLE_RANGE[0]), np.log(TABLE_RANGE[1]), TABLE_NODES)
        values = [mean_posterior_trace(mixture, 1.0, float(np.exp(v))) for v in nodes]
        if len(_TRACE_SPLINES) > 32:
            _TRACE_SPLINES.clear()
        _TRACE_SPLINES[key] = CubicSpline(nodes, np.log(np.maximum(values, 1e-300)))
    return float(np.exp(_TRACE_SPLINES[key](np.log(st))))


def analytic_dpm(model, x, grid, noise, callback):
    """Analytic-DPM (Bao et al. 2022, Theorem 1) on the DDPM chain: the DDPM posterior mean with the optimal
    shared isotropic variance σ*² = β̃ + c_0² E_{p_t} tr Cov[x₀ | x_t] / 2 (exact model only)."""
    _require_alpha(grid, "Analytic-DPM")
    mixture = exact_mixture(model)
    if mixture is None:
        raise ValueError("Analytic-DPM's optimal variance is computed from the exact mixture; use the exact model")
    for i in range(grid.n_steps):
        a_t, s_t, a_s, s_s = grid.alpha[i], grid.sigma[i], grid.alpha[i + 1], grid.sigma[i + 1]
        x0 = model.denoise(x, a_t, s_t)
        c_x, c_0, _, beta_tilde = posterior(a_t, s_t, a_s, s_s)
        var = beta_tilde + c_0**2 * expected_posterior_trace(mixture, a_t, s_t) / 2
        x = c_x * x + c_0 * x0 + np.sqrt(var) * noise(x.shape)
        callback(i + 1, x, x0)
    return x


def between_mode_share(mixture: GaussianMixture, x, a_t, s_t, a_s, s_s) -> np.ndarray:
    """Per point x_t: the share of tr Cov[x_s | x_t] that lies *between* the components of the true reverse
    kernel (a mixture of Gaussians, one per data component: law of total covariance). Near 0 the kernel is
    one Gaussian and the optimal Gaussian step is the true step; near 1 it is several well-separated lobes
    that no single Gaussian can represent."""
    pt = mixture.diffused(a_t, s_t)
    r = pt.responsibilities(x)  # (N, K)
    c_x, c_0, _, beta_tilde = posterior(a_t, s_t, a_s, s_s)
    covs, means = mixture.covs, mixture.means
    gain = a_t * np.einsum("kij,kjl->kil", covs, np.linalg.inv(pt.covs))  # α Σ_k C_k⁻¹
    within_k = covs - a_t * np.einsum("kij,kjl->kil", gain, covs)  # V_k, independent of x
    m = means[None] + np.einsum("kij,nkj->nki", gain, x[:, None, :] - a_t * means[None])  # (N, K, 2)
    mean = np.einsum("nk,nki->ni", r, m)
    between = np.einsum("nk,nki->n", r, m**2) - (mean**2).sum(1)
    within = r @ np.trace(within_k, axis1=1, axis2=2)
    total = 2 * beta_tilde + c_0**2 * (within + between)
    return c_0**2 * np.maximum(between, 0.0) / total
