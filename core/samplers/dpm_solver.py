"""DPM-Solver (Lu et al. 2022a) and DPM-Solver++(2M) (Lu et al. 2022b), in the scaled frame.

With λ = log(α/σ) = -log σ̃ and h = λ_t - λ_s the exact solution of the PF-ODE is an exponential
integral of ε̂ (DPM-Solver, eq. 3.4) or of x̂₀ (DPM-Solver++, eq. 8); the solvers Taylor-expand that
integrand. Written in x̃ = x/α the α factors vanish, so the updates are process-independent.
The last step into σ = 0 (λ = ∞) is a plain denoising step, x̃ = x̂₀.
"""

from __future__ import annotations

import numpy as np

from core.samplers.base import require_finite_start


def _eps(model, xt, sigma):
    return (xt - model.denoise(xt, 1.0, sigma)) / sigma


def dpm_solver(model, x, grid, noise, callback, order=2):
    """Single-step DPM-Solver-2 (Algorithm 4, r₁ = ½) or -3 (Algorithm 5, r₁ = ⅓, r₂ = ⅔).

    Order 1 (= DDIM): x̃_t = x̃_s - σ̃_t (e^h - 1) ε_s. Order k costs k evaluations per step.
    """
    if order not in (2, 3):
        raise ValueError("DPM-Solver order must be 2 or 3")
    st = require_finite_start(grid, "DPM-Solver")
    xt = x / grid.alpha[0]
    for i in range(grid.n_steps):
        s, t = st[i], st[i + 1]
        x0 = model.denoise(xt, 1.0, s)
        if t == 0:
            xt = x0
        else:
            h = np.log(s / t)
            eps_s = (xt - x0) / s
            first = xt - t * np.expm1(h) * eps_s
            if order == 2:
                r1 = 0.5
                s1 = s * np.exp(-r1 * h)
                u = xt - s1 * np.expm1(r1 * h) * eps_s
                xt = first - t / (2 * r1) * np.expm1(h) * (_eps(model, u, s1) - eps_s)
            else:
                r1, r2 = 1 / 3, 2 / 3
                s1, s2 = s * np.exp(-r1 * h), s * np.exp(-r2 * h)
                u1 = xt - s1 * np.expm1(r1 * h) * eps_s
                d1 = _eps(model, u1, s1) - eps_s
                u2 = xt - s2 * np.expm1(r2 * h) * eps_s - (r2 / r1) * s2 * (np.expm1(r2 * h) / (r2 * h) - 1) * d1
                d2 = _eps(model, u2, s2) - eps_s
                xt = first - (t / r2) * (np.expm1(h) / h - 1) * d2
        callback(i + 1, grid.alpha[i + 1] * xt, x0)
    return grid.alpha[-1] * xt


def dpm_solver_pp_2m(model, x, grid, noise, callback, lower_order_final=True):
    """DPM-Solver++(2M), Lu et al. 2022b, Algorithm 2 (k-diffusion `sample_dpmpp_2m`):

        x̃_t = (σ̃_t/σ̃_s) x̃_s - (e^{-h} - 1) D,   D = (1 + 1/2r) x̂₀_i - (1/2r) x̂₀_{i-1},  r = h_{i-1}/h_i.

    The first step is first order and the last (into σ = 0) a denoising step. `lower_order_final` also
    makes the step before it first order when there are fewer than 15 steps: on DDPM grids the final
    jump in λ is so large that 1/2r blows up. diffusers' DPMSolverMultistepScheduler (order 2) does not
    do that; match it with lower_order_final=False.
    """
    st = require_finite_start(grid, "DPM-Solver++")
    n = grid.n_steps
    xt = x / grid.alpha[0]
    x0_prev, h_prev = None, None
    for i in range(n):
        s, t = st[i], st[i + 1]
        x0 = model.denoise(xt, 1.0, s)
        if t == 0:
            xt = x0
        else:
            h = np.log(s / t)
            first_order = x0_prev is None or (lower_order_final and n < 15 and i == n - 2)
            if first_order:
                d = x0
            else:
                r = h_prev / h
                d = (1 + 1 / (2 * r)) * x0 - (1 / (2 * r)) * x0_prev
            xt = (t / s) * xt - np.expm1(-h) * d
            h_prev = h
        x0_prev = x0
        callback(i + 1, grid.alpha[i + 1] * xt, x0)
    return grid.alpha[-1] * xt
