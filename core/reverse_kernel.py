"""The exact reverse kernel q(x_s | x_t) of mixture data: itself a Gaussian mixture (DD-GAN's premise).

For any process x = α x₀ + σ ε and s < t, q(x_s | x_t) = ∫ q(x_s | x_t, x₀) p(x₀ | x_t) dx₀ with the Gaussian
posterior q(x_s | x_t, x₀) = N(c_x x_t + c_0 x₀, β̃ I) (Ho et al. 2020, eqs. 6-7; `core.samplers.ancestral`).
When p₀ = Σ_k π_k N(μ_k, Σ_k), p(x₀ | x_t) is a mixture of the components' Gaussian posteriors,

    p(x₀ | x_t) = Σ_k r_k(x_t) N(m_k(x_t), V_k),   C_k = α_t² Σ_k + σ_t² I,
    m_k = μ_k + α_t Σ_k C_k⁻¹ (x_t − α_t μ_k),    V_k = Σ_k − α_t² Σ_k C_k⁻¹ Σ_k,

with r_k(x_t) the responsibilities under the diffused mixture p_t. Integrating the Gaussian posterior over each
component's Gaussian gives the exact kernel

    q(x_s | x_t) = Σ_k r_k(x_t) N(c_x x_t + c_0 m_k(x_t),  β̃ I + c_0² V_k),

a Gaussian mixture for every jump t → s, however large. Xiao et al. 2022 (Denoising Diffusion GANs, Sec. 3.1
and Fig. 2) argue that the true denoising distribution is multimodal for large steps, so that a Gaussian kernel
(DDPM's) is accurate only for small steps (or Gaussian data), and model it with a conditional GAN to sample
in few steps. Here the kernel is exact, so what a perfect few-step generator could reach is measured, not
learned: ancestral sampling with it (the registry's sampler `exact_kernel`, core/samplers/few_step.py) draws
exact samples of p₀ at any number of steps. Among Gaussians the one with the kernel's own mean and covariance
(`moments`) minimises KL(q ‖ N); `gaussian_kl` measures that gap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from core.grids import Grid, make_grid
from core.mixture import LOG_2PI, GaussianMixture, _as_points
from core.samplers.ancestral import posterior


@dataclass(frozen=True)
class ReverseKernel:
    """q(x_s | x_t) for one jump (α_t, σ_t) → (α_s, σ_s) of a mixture's diffusion, s < t."""

    mixture: GaussianMixture
    a_t: float
    s_t: float
    a_s: float
    s_s: float

    def __post_init__(self):
        if not (self.s_t > 0 and self.a_t > 0 and self.s_t / self.a_t > self.s_s / self.a_s):
            raise ValueError("the kernel needs a jump to a smaller noise level s < t, with σ_t > 0 and α_t > 0")

    @property
    def coefficients(self) -> tuple[float, float, float]:
        """(c_x, c_0, β̃) of the Gaussian posterior q(x_s | x_t, x₀)."""
        c_x, c_0, _, beta_tilde = posterior(self.a_t, self.s_t, self.a_s, self.s_s)
        return float(c_x), float(c_0), float(beta_tilde)

    def _gain(self) -> tuple[np.ndarray, np.ndarray]:
        """(α Σ_k C_k⁻¹, V_k), both (K, 2, 2) and independent of x_t."""
        covs = self.mixture.covs
        c = self.a_t**2 * covs + self.s_t**2 * np.eye(2)
        gain = self.a_t * np.einsum("kij,kjl->kil", covs, np.linalg.inv(c))
        v = covs - self.a_t * np.einsum("kij,kjl->kil", gain, covs)
        return gain, 0.5 * (v + np.swapaxes(v, 1, 2))

    def components(self, x_t) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(weights (N, K), means (N, K, 2), covariances (K, 2, 2)) of the kernel at each x_t."""
        x = _as_points(x_t)
        c_x, c_0, beta_tilde = self.coefficients
        gain, v = self._gain()
        mu = self.mixture.means
        m = mu[None] + np.einsum("kij,nkj->nki", gain, x[:, None, :] - self.a_t * mu[None])
        r = self.mixture.diffused(self.a_t, self.s_t).responsibilities(x)
        return r, c_x * x[:, None, :] + c_0 * m, beta_tilde * np.eye(2) + c_0**2 * v

    def at(self, x_t) -> GaussianMixture:
        """The kernel at one point x_t as a GaussianMixture (its density, score, samples); components whose
        responsibility underflows to 0 are left out."""
        r, means, covs = self.components(np.asarray(x_t, dtype=np.float64).reshape(1, 2))
        keep = r[0] > 0
        return GaussianMixture(r[0, keep], means[0, keep], covs[keep], self.mixture.labels[keep])

    def log_prob(self, x_s, x_t) -> np.ndarray:
        """log q(x_s[i] | x_t[i]) for paired rows."""
        x_s = _as_points(x_s)
        r, means, covs = self.components(x_t)
        inv = np.linalg.inv(covs)
        logdet = np.log(np.linalg.det(covs))
        d = x_s[:, None, :] - means
        quad = np.einsum("nki,kij,nkj->nk", d, inv, d)
        with np.errstate(divide="ignore"):
            log_r = np.log(r)
        return logsumexp(log_r - 0.5 * (quad + logdet + 2 * LOG_2PI), axis=1)

    def sample(self, x_t, rng: np.random.Generator) -> np.ndarray:
        """One draw of x_s ~ q(· | x_t[i]) per row: a component k ~ r(x_t), then its Gaussian."""
        r, means, covs = self.components(x_t)
        k = _categorical(r, rng.random(len(r)))
        chol = np.linalg.cholesky(covs)
        return means[np.arange(len(r)), k] + np.einsum("nij,nj->ni", chol[k], rng.standard_normal((len(r), 2)))

    def moments(self, x_t) -> tuple[np.ndarray, np.ndarray]:
        """(mean (N, 2), covariance (N, 2, 2)) of the kernel at each x_t, by the law of total covariance over its
        components: the moment-matched Gaussian, the best Gaussian kernel in KL(q ‖ N)."""
        r, means, covs = self.components(x_t)
        mean = np.einsum("nk,nki->ni", r, means)
        second = np.einsum("nk,kij->nij", r, covs) + np.einsum("nk,nki,nkj->nij", r, means, means)
        cov = second - mean[:, :, None] * mean[:, None, :]
        return mean, 0.5 * (cov + np.swapaxes(cov, 1, 2))

    def ddpm_gaussian(self, x_t) -> tuple[np.ndarray, float]:
        """DDPM's kernel with the exact mean: N(c_x x_t + c_0 E[x₀ | x_t], β̃ I) (Ho et al. 2020, Algorithm 2)
        as (mean (N, 2), variance β̃)."""
        c_x, c_0, beta_tilde = self.coefficients
        x = _as_points(x_t)
        return c_x * x + c_0 * self.mixture.posterior_mean_x0(x, self.a_t, self.s_t), beta_tilde


def _categorical(p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Row-wise inverse-CDF draws: index k with cumsum(p)[k-1] ≤ u < cumsum(p)[k]."""
    cdf = np.cumsum(p, axis=1)
    k = (u[:, None] * cdf[:, -1:] >= cdf).sum(1)
    return np.minimum(k, p.shape[1] - 1)


def gaussian_log_prob(x, mean, cov) -> np.ndarray:
    """log N(x[i]; mean[i], cov[i]) for paired rows (cov (N, 2, 2))."""
    d = x - mean
    det = cov[:, 0, 0] * cov[:, 1, 1] - cov[:, 0, 1] * cov[:, 1, 0]
    quad = (cov[:, 1, 1] * d[:, 0] ** 2 - 2 * cov[:, 0, 1] * d[:, 0] * d[:, 1] + cov[:, 0, 0] * d[:, 1] ** 2) / det
    return -0.5 * (quad + np.log(det) + 2 * LOG_2PI)


def gaussian_kl(kernel: ReverseKernel, x_t, rng: np.random.Generator) -> np.ndarray:
    """KL(q(· | x_t) ‖ N(moments)) per x_t, each by one Monte Carlo draw x_s ~ q (average over many x_t for
    the expected KL of a step; its standard error is the rows' sd / √N)."""
    x_t = _as_points(x_t)
    x_s = kernel.sample(x_t, rng)
    mean, cov = kernel.moments(x_t)
    return kernel.log_prob(x_s, x_t) - gaussian_log_prob(x_s, mean, cov)


def step_kls(mixture: GaussianMixture, grid: Grid, n: int, seed: int) -> np.ndarray:
    """The expected KL(q(x_s | x_t) ‖ best Gaussian) of each step of the grid, x_t ~ p_t (n draws per step)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(grid.n_steps):
        a_t, s_t = float(grid.alpha[i]), float(grid.sigma[i])
        kernel = ReverseKernel(mixture, a_t, s_t, float(grid.alpha[i + 1]), float(grid.sigma[i + 1]))
        out.append(float(gaussian_kl(kernel, mixture.diffused(a_t, s_t).sample(n, rng), rng).mean()))
    return np.array(out)


KERNELS = {
    "exact": "exact kernel (a mixture)",
    "moment": "moment-matched Gaussian (best Gaussian)",
    "ddpm": "DDPM's Gaussian (exact mean, β̃)",
}
"""The three reverse kernels compared: the exact one (the registry's `exact_kernel` sampler), the best Gaussian
(`optimal_gaussian`: the exact moments) and DDPM's (`ddpm`: the exact mean, variance β̃)."""
SAMPLER = {"exact": "exact_kernel", "moment": "optimal_gaussian", "ddpm": "ddpm"}


def ancestral_samples(spec: str, kernel: str, steps: int, n: int, seed: int) -> np.ndarray:
    """n samples of ancestral sampling with `kernel` over K = `steps` steps of DDPM's linear-β chain (trailing
    timesteps: the first step starts at t = 999 for every K), from the same noise for every kernel."""
    from core.dataspec import load_data
    from core.models import ExactDenoiser
    from core.processes import make_process
    from core.samplers.registry import run_sampler

    mixture = load_data(spec)
    grid = make_grid(make_process("ddpm", mixture), "trailing", steps)
    return run_sampler(SAMPLER[kernel], ExactDenoiser(mixture), grid, n, seed, n_paths=1).samples
