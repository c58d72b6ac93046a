"""What every sampler shares: the call shape, the noise source and the step callback.

A sampler is one function `fn(model, x, grid, noise, callback, **params) -> x` (the shape of
k-diffusion's `sampling.py`): `model.denoise(x, α, σ)` gives x̂₀, `grid` the noise levels, `noise(shape)`
standard normal draws, and `callback(i, x, x0)` is told the state after each step i = 1..n so that
paths are recorded without the sampler knowing about plots.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from core.grids import Grid
from core.models import Denoiser

Callback = Callable[[int, np.ndarray, "np.ndarray | None"], None]


class NoiseSource:
    """Standard normal draws from a seeded numpy Generator; `torch_generator()` seeds diffusers rows."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng

    def __call__(self, shape) -> np.ndarray:
        return self.rng.standard_normal(shape)

    def torch_generator(self):
        import torch

        return torch.Generator().manual_seed(int(self.rng.integers(2**62)))


class SamplerFn(Protocol):
    def __call__(
        self, model: Denoiser, x: np.ndarray, grid: Grid, noise: NoiseSource, callback: Callback, **params
    ) -> np.ndarray: ...


def require_finite_start(grid: Grid, what: str) -> np.ndarray:
    """σ̃ = σ/α per node, refusing grids that start at α = 0 (σ̃ = ∞), where x/α is undefined."""
    st = grid.sigma_tilde
    if not np.isfinite(st[0]):
        raise ValueError(
            f"{what} works in the scaled frame x/α and cannot start at α = 0; use a Karras or log-SNR grid"
        )
    return st
