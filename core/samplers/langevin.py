"""Langevin dynamics on the score (Song & Ermon 2019, NCSN).

Unadjusted Langevin: x ← x + (ε/2) ∇log p(x) + √ε z (NCSN eq. 4). With well-separated modes it
cannot move mass between them, so the mode weights it returns reflect where it started (NCSN Fig. 3).
Annealed Langevin (NCSN Algorithm 1) runs it at decreasing noise levels σ_1 > … > σ_L with steps
α_i = ε σ_i²/σ_L², letting mass settle while the modes still overlap.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from core.models import score_from_x0
from core.samplers.base import require_finite_start


def langevin_steps(
    x: np.ndarray,
    score: Callable[[np.ndarray], np.ndarray],
    step: float,
    n_steps: int,
    noise: Callable[[tuple], np.ndarray],
    on_step: Callable[[int, np.ndarray], None],
    done: int = 0,
) -> np.ndarray:
    """n_steps unadjusted Langevin steps x ← x + (ε/2) ∇log p(x) + √ε z at one step size ε (NCSN eq. 4, the
    inner loop of NCSN Algorithm 1), updating x in place; `on_step(k, x)` after each, k counting on from `done`.
    Every Langevin run here, the registry's samplers and core.ncsn's comparison, is this loop."""
    half, root = 0.5 * step, math.sqrt(step)
    for k in range(done + 1, done + int(n_steps) + 1):
        x += half * score(x)
        x += root * noise(x.shape)
        on_step(k, x)
    return x


def _score_at(model, sigma):
    """∇log p_σ̃ in the scaled frame from the model's x̂₀ (α = 1, σ = σ̃)."""
    return lambda x: score_from_x0(x, model.denoise(x, 1.0, sigma), 1.0, sigma)


def langevin(model, x, grid, noise, callback, step_size=0.1, n_steps=1000):
    """Plain Langevin on the data score. The score is the exact one at the grid's smallest positive
    noise level σ̃_min (0.01 on the default VE grid), indistinguishable from ∇log p₀ at plot scale."""
    st = require_finite_start(grid, "Langevin dynamics")
    x = x / grid.alpha[0]
    return langevin_steps(x, _score_at(model, st[-2]), step_size, n_steps, noise, lambda k, x: callback(k, x, None))


def annealed_langevin(model, x, grid, noise, callback, eps=2e-5, steps_per_level=100):
    """NCSN Algorithm 1 on the grid's positive noise levels σ̃ (geometric on a VE log-SNR grid, as in
    the paper: 10 levels, T = 100 steps each, ε = 2e-5 with σ_L = 0.01), α_i = ε σ_i²/σ_L². Returns the last
    level's samples without a final denoising step, as the paper does."""
    levels = require_finite_start(grid, "Annealed Langevin")[:-1]
    x = x / grid.alpha[0]
    for i, sigma in enumerate(levels):
        a = eps * sigma**2 / levels[-1] ** 2
        done = i * int(steps_per_level)
        langevin_steps(x, _score_at(model, sigma), a, steps_per_level, noise, lambda k, x: callback(k, x, None), done)
    return x
