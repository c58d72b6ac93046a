"""Exact log-likelihood through the probability-flow ODE, with the exact divergence.

In the scaled frame x̃ = x/α, σ̃ = σ/α every process has the same marginals p(x̃; σ̃) = p₀ ∗ N(0, σ̃²I)
and the same probability-flow ODE (Karras et al. 2022, EDM, eq. 3)

    dx̃/dσ̃ = -σ̃ ∇log p(x̃; σ̃).

Along a solution the instantaneous change of variables (Chen et al. 2018, Neural ODEs, Theorem 1)
gives d/dσ̃ log p(x̃(σ̃); σ̃) = -∇·(-σ̃ ∇log p) = σ̃ tr ∇²log p(x̃; σ̃), so that

    log p₀(x) = log p(x̃(σ̃_max); σ̃_max) - ∫₀^σ̃_max σ̃ tr ∇²log p(x̃(σ̃); σ̃) dσ̃

(Song et al. 2021b, Score SDE, eq. 39 and Appendix D.2). Score SDE estimates the trace with
Hutchinson's estimator; in 2D with an exact mixture it is `GaussianMixture.laplacian`, so the only
errors left are the ODE solver's and the prior's: the exact prior p(·; σ̃_max) (a mixture again), or
the N(0, σ̃_max² I) a trained model would have to assume.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from core.mixture import LOG_2PI, GaussianMixture


@dataclass(frozen=True)
class LikelihoodResult:
    log_prob: np.ndarray  # (N,) log p(x; σ̃_min): log p₀(x) when σ̃_min = 0
    prior: np.ndarray  # (N,) log prior density at the ODE's end point x̃(σ̃_max)
    divergence: np.ndarray  # (N,) ∫ σ̃ tr ∇²log p dσ̃ along each path; log_prob = prior - divergence
    x_end: np.ndarray  # (N, 2) x̃(σ̃_max)
    nfe: int  # evaluations of the ODE's right-hand side (each: one score and one Laplacian)


def gaussian_log_prob(x: np.ndarray, std: float) -> np.ndarray:
    """log N(x; 0, std² I) in 2D."""
    return -0.5 * (x**2).sum(1) / std**2 - 2 * np.log(std) - LOG_2PI


def pf_ode_log_likelihood(
    mixture: GaussianMixture,
    x,
    sigma_max: float = 80.0,
    sigma_min: float = 0.0,
    prior: str = "exact",
    method: str = "RK45",
    rtol: float = 1e-8,
    atol: float = 1e-8,
) -> LikelihoodResult:
    """log p(x; σ̃_min) for points x (N, 2) by integrating the PF-ODE and its divergence from σ̃_min to σ̃_max.

    `prior` is "exact" (the diffused mixture at σ̃_max) or "gaussian" (N(0, σ̃_max² I)). The whole
    batch is one ODE for `scipy.integrate.solve_ivp`: one adaptive step size, its error measured as the
    RMS over all coordinates, so a point in a stiff far tail may end up above `atol` while the batch
    meets it (at 1e-8: ≤ 1.1e-4 nats on every point we tried, typically 1e-7).
    """
    if prior not in ("exact", "gaussian"):
        raise ValueError(f"prior must be 'exact' or 'gaussian', got {prior!r}")
    if not 0 <= sigma_min < sigma_max:
        raise ValueError("need 0 ≤ σ̃_min < σ̃_max")
    x = np.asarray(x, dtype=np.float64).reshape(-1, 2)
    n = len(x)
    calls = 0

    def rhs(sigma, y):
        nonlocal calls
        calls += 1
        pts = y[: 2 * n].reshape(n, 2)
        p = mixture.diffused(1.0, sigma)
        return np.concatenate([(-sigma * p.score(pts)).ravel(), sigma * p.laplacian(pts)])

    y0 = np.concatenate([x.ravel(), np.zeros(n)])
    sol = solve_ivp(rhs, (sigma_min, sigma_max), y0, method=method, rtol=rtol, atol=atol)
    if not sol.success:
        raise RuntimeError(f"ODE solver failed: {sol.message}")
    x_end = sol.y[: 2 * n, -1].reshape(n, 2)
    divergence = sol.y[2 * n :, -1]
    if prior == "exact":
        log_prior = mixture.diffused(1.0, sigma_max).log_prob(x_end)
    else:
        log_prior = gaussian_log_prob(x_end, sigma_max)
    return LikelihoodResult(log_prior - divergence, log_prior, divergence, x_end, calls)
