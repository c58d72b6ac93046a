"""One model interface: a denoiser x̂₀(x, α, σ) ≈ E[x₀ | α x₀ + σ ε = x].

Everything that samples talks to a `Denoiser`, whatever stands behind it (the exact mixture, a
classifier-free-guided combination, a learned network). ε̂, the score and the velocity follow from
x̂₀ by the same three lines everywhere (Karras et al. 2022, EDM, Table 1; Kingma et al. 2021, VDM):

    ε̂ = (x - α x̂₀)/σ,   ∇log p_t = -ε̂/σ,   v = α' x̂₀ + σ' ε̂.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from core.mixture import GaussianMixture
from core.processes import ForwardProcess


class Denoiser(Protocol):
    def denoise(self, x: np.ndarray, alpha: float, sigma: float) -> np.ndarray:
        """x̂₀ for points x (N, 2) observed at noise level (α, σ)."""


def eps_from_x0(x, x0, alpha, sigma):
    return (x - alpha * x0) / sigma


def score_from_x0(x, x0, alpha, sigma):
    return (alpha * x0 - x) / sigma**2


@dataclass(frozen=True)
class ExactDenoiser:
    """Tweedie's posterior mean under the true mixture: exact for every (α, σ), finite at α→0, σ→0."""

    mixture: GaussianMixture

    def denoise(self, x, alpha, sigma):
        return self.mixture.posterior_mean_x0(x, float(alpha), float(sigma))


@dataclass(frozen=True)
class GuidedDenoiser:
    """Classifier-free guidance (Ho & Salimans 2022, eq. 6): ε̃ = (1+w) ε_c - w ε_u.

    The combination is linear in ε, hence the same in x̂₀. w = 0 is the conditional model; diffusers'
    guidance scale is s = 1 + w. With exact models this equals classifier guidance with γ = 1 + w
    (Dhariwal & Nichol 2021): ∇log p_t(x) + γ ∇log p_t(c | x).
    """

    conditional: Denoiser
    unconditional: Denoiser
    w: float

    def denoise(self, x, alpha, sigma):
        xc = self.conditional.denoise(x, alpha, sigma)
        if self.w == 0:
            return xc
        return (1 + self.w) * xc - self.w * self.unconditional.denoise(x, alpha, sigma)


class CountingDenoiser:
    """Wraps a denoiser and counts its calls: one call on a batch is one function evaluation (NFE)."""

    def __init__(self, inner: Denoiser):
        self.inner = inner
        self.calls = 0

    def denoise(self, x, alpha, sigma):
        self.calls += 1
        return self.inner.denoise(x, alpha, sigma)


class Marginal:
    """The diffused marginal p_t of a process, seen through a denoiser (exact, guided or learned).

    Gives x̂₀, ε̂, score and velocity at process time t; when the denoiser is exact it also gives
    the density, Hessian and the divergence of the probability-flow drift.
    """

    def __init__(self, process: ForwardProcess, denoiser: Denoiser):
        self.process = process
        self.denoiser = denoiser

    def coefficients(self, t: float) -> tuple[float, float]:
        return float(self.process.alpha(t)), float(self.process.sigma(t))

    def x0(self, x, t):
        a, s = self.coefficients(t)
        return self.denoiser.denoise(x, a, s)

    def eps(self, x, t):
        a, s = self.coefficients(t)
        if isinstance(self.denoiser, ExactDenoiser):
            return -s * self.mixture(t).score(x)
        return eps_from_x0(x, self.denoiser.denoise(x, a, s), a, s)

    def score(self, x, t):
        """∇log p_t. For the exact denoiser straight from the diffused mixture: identical up to rounding
        to (α x̂₀ - x)/σ², but finite at σ = 0 (t = t_min) and free of that formula's cancellation."""
        a, s = self.coefficients(t)
        if isinstance(self.denoiser, ExactDenoiser):
            return self.mixture(t).score(x)
        return score_from_x0(x, self.denoiser.denoise(x, a, s), a, s)

    def velocity(self, x, t):
        """v = α'(t) x̂₀ + σ'(t) ε̂: the probability-flow ODE drift f x - ½ g² ∇log p_t, written as in
        flow matching (Lipman et al. 2023, eq. 6 with the conditional path x = α x₀ + σ ε)."""
        a, s = self.coefficients(t)
        x0 = self.denoiser.denoise(x, a, s)
        da, ds = float(self.process.d_alpha(t)), float(self.process.d_sigma(t))
        if isinstance(self.denoiser, ExactDenoiser):
            # σ' ε̂ = -σσ' ∇log p_t; σσ' = ½ d(σ²)/dt is finite where σ' is not (VP at t = 0: σ = 0, σ' = ∞)
            ss = s * ds
            if not np.isfinite(ss):
                ss = 0.5 * float(self.process.diffusion_sq(t)) + float(self.process.drift_coef(t)) * s**2
            return da * x0 - ss * self.mixture(t).score(x)
        return da * x0 + ds * eps_from_x0(x, x0, a, s)

    # -- exact only -------------------------------------------------------------
    def mixture(self, t) -> GaussianMixture:
        """p_t as a mixture: means α μ_k, covariances α² Σ_k + σ² I."""
        if not isinstance(self.denoiser, ExactDenoiser):
            raise TypeError("the density of p_t is known in closed form only for the exact denoiser")
        a, s = self.coefficients(t)
        return self.denoiser.mixture.diffused(a, s)

    def pf_divergence(self, x, t):
        """∇·(f x - ½ g² ∇log p_t) = 2 f - ½ g² tr ∇² log p_t (Song et al. 2021, eq. 39, exact trace).

        Where α = 0 (flow matching at t = 1) f and g² are infinite; there the velocity form
        v = α' x̂₀ - σσ' ∇log p_t gives ∇·v = -σσ' tr ∇² log p_t, since x̂₀ = E[x₀] no longer depends on x."""
        f, g2 = float(self.process.drift_coef(t)), float(self.process.diffusion_sq(t))
        lap = self.mixture(t).laplacian(x)
        if np.isfinite(f) and np.isfinite(g2):
            return 2 * f - 0.5 * g2 * lap
        _, s = self.coefficients(t)
        return -s * float(self.process.d_sigma(t)) * lap
