"""Probability-flow ODE samplers.

In the scaled frame x̃ = x/α, σ̃ = σ/α every process has the same ODE,
    dx̃/dσ̃ = (x̃ - D(x̃; σ̃))/σ̃ = -σ̃ ∇log p(x̃; σ̃)          (Karras et al. 2022, EDM, eq. 3),
so Euler, Heun (with EDM's stochastic churn) and an adaptive scipy solver run on any grid. The
flow-matching samplers instead integrate dx/dt = v = α' x̂₀ + σ' ε̂ in the process's own time.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from core.samplers.base import require_finite_start


def edm_sampler(model, x, grid, noise, callback, s_churn=0.0, s_tmin=0.0, s_tmax=float("inf"), s_noise=1.0, heun=True):
    """Karras et al. 2022, Algorithm 2 (Heun steps, stochastic churn), in σ̃ = σ/α.

    γ_i = min(S_churn/n, √2 - 1) on S_tmin ≤ σ_i ≤ S_tmax; σ̂ = σ_i(1 + γ_i);
    x̂ = x + √(σ̂² - σ_i²) S_noise z; d = (x̂ - D(x̂; σ̂))/σ̂; x' = x̂ + (σ_{i+1} - σ̂) d;
    Heun's correction with d' at (x', σ_{i+1}) unless σ_{i+1} = 0. With S_churn = 0 it is
    Algorithm 1, the deterministic PF-ODE Heun sampler (2n - 1 evaluations); heun=False is Euler.
    """
    st = require_finite_start(grid, "The EDM sampler")
    n = grid.n_steps
    xt = x / grid.alpha[0]
    for i in range(n):
        sigma, sigma_next = st[i], st[i + 1]
        gamma = min(s_churn / n, np.sqrt(2) - 1) if s_tmin <= sigma <= s_tmax else 0.0
        sigma_hat = sigma * (1 + gamma)
        if gamma > 0:
            xt = xt + np.sqrt(sigma_hat**2 - sigma**2) * s_noise * noise(xt.shape)
        x0 = model.denoise(xt, 1.0, sigma_hat)
        d = (xt - x0) / sigma_hat
        x_next = xt + (sigma_next - sigma_hat) * d
        if heun and sigma_next > 0:
            d_prime = (x_next - model.denoise(x_next, 1.0, sigma_next)) / sigma_next
            x_next = xt + (sigma_next - sigma_hat) * 0.5 * (d + d_prime)
        xt = x_next
        callback(i + 1, grid.alpha[i + 1] * xt, x0)
    return grid.alpha[-1] * xt


def pf_ode_adaptive(model, x, grid, noise, callback, method="RK45", rtol=1e-5, atol=1e-5):
    """The PF-ODE dx̃/dσ̃ = (x̃ - D)/σ̃ solved by scipy's `solve_ivp` from σ̃_0 to 0 (Song et al. 2021b,
    Sec. 4.3, which uses RK45). The drift tends to -σ̃ ∇log p₀ → 0 at σ̃ = 0, so the solver ends on the
    data exactly. One step size for the whole batch; the grid's nodes are only where the path is read."""
    st = require_finite_start(grid, "The adaptive ODE solver")
    shape = x.shape

    def drift(sigma, y):
        xt = y.reshape(shape)
        if sigma <= 0:
            return np.zeros_like(y)
        return ((xt - model.denoise(xt, 1.0, sigma)) / sigma).ravel()

    sol = solve_ivp(drift, (st[0], 0.0), (x / grid.alpha[0]).ravel(), method=method, rtol=rtol, atol=atol, t_eval=st)
    if not sol.success:
        raise RuntimeError(f"ODE solver failed: {sol.message}")
    for i in range(1, len(sol.t)):
        callback(i, grid.alpha[i] * sol.y[:, i].reshape(shape), None)
    return grid.alpha[-1] * sol.y[:, -1].reshape(shape)


def _velocity(model, x, grid, i):
    a, s = grid.alpha[i], grid.sigma[i]
    x0 = model.denoise(x, a, s)
    return grid.d_alpha[i] * x0 + grid.d_sigma[i] * (x - a * x0) / s, x0


def flow_ode(model, x, grid, noise, callback, heun=False):
    """Euler (or Heun) on dx/dt = v(x, t) = α'(t) x̂₀ + σ'(t) ε̂ in the process's time t. On the
    flow-matching path (α = 1 - t, σ = t) v = ε̂ - x̂₀ is the rectified-flow / flow-matching velocity
    (Liu et al. 2023, Lipman et al. 2023). Heun's last step, into σ = 0, is an Euler step."""
    if np.any(np.diff(grid.t) == 0):
        raise ValueError(
            "this sampler integrates in the process's time and needs a process that reaches σ = 0 continuously (not VE)"
        )
    for i in range(grid.n_steps):
        dt = grid.t[i + 1] - grid.t[i]
        v, x0 = _velocity(model, x, grid, i)
        x_next = x + dt * v
        if heun and grid.sigma[i + 1] > 0:
            v_next, _ = _velocity(model, x_next, grid, i + 1)
            x_next = x + dt * 0.5 * (v + v_next)
        x = x_next
        callback(i + 1, x, x0)
    return x
