"""Langevin dynamics on the score (Song & Ermon 2019, NCSN).

Unadjusted Langevin: x ← x + (ε/2) ∇log p(x) + √ε z (NCSN eq. 4). With well-separated modes it
cannot move mass between them, so the mode weights it returns reflect where it started (NCSN Fig. 3).
Annealed Langevin (NCSN Algorithm 1) runs it at decreasing noise levels σ_1 > … > σ_L with steps
α_i = ε σ_i²/σ_L², letting mass settle while the modes still overlap.
"""

from __future__ import annotations

from core.models import score_from_x0
from core.samplers.base import require_finite_start


def _score(model, x, sigma):
    return score_from_x0(x, model.denoise(x, 1.0, sigma), 1.0, sigma)


def langevin(model, x, grid, noise, callback, step_size=0.1, n_steps=1000):
    """Plain Langevin on the data score. The score is the exact one at the grid's smallest positive
    noise level σ̃_min (0.01 on the default VE grid), indistinguishable from ∇log p₀ at plot scale."""
    st = require_finite_start(grid, "Langevin dynamics")
    sigma = st[-2]
    x = x / grid.alpha[0]
    for i in range(int(n_steps)):
        x = x + 0.5 * step_size * _score(model, x, sigma) + step_size**0.5 * noise(x.shape)
        callback(i + 1, x, None)
    return x


def annealed_langevin(model, x, grid, noise, callback, eps=2e-5, steps_per_level=100):
    """NCSN Algorithm 1 on the grid's positive noise levels σ̃ (geometric on a VE log-SNR grid, as in
    the paper: 10 levels, T = 100 steps each, ε = 2e-5 with σ_L = 0.01). Returns the last level's
    samples without a final denoising step, as the paper does."""
    levels = require_finite_start(grid, "Annealed Langevin")[:-1]
    x = x / grid.alpha[0]
    step = 0
    for sigma in levels:
        a = eps * sigma**2 / levels[-1] ** 2
        for _ in range(int(steps_per_level)):
            x = x + 0.5 * a * _score(model, x, sigma) + a**0.5 * noise(x.shape)
            step += 1
            callback(step, x, None)
    return x
