"""Memorisation: a finite training set is itself a mixture, and its exact score reproduces it.

N points drawn from the data p are the mixture (1/N) Σ_k N(μ_k, w² I) of N tiny components (width w → 0: the
empirical distribution). Its exact denoiser is the optimal denoiser of that training set, the minimiser of the
denoising loss on it, and sampling with it returns the training points. We measure the share of samples within
`RADIUS` of a training point (beside the chance share of fresh draws from p) and MMD² to p in noise-floor units,
which at large N barely sees the copying.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from core.dataspec import data_bandwidth, load_data
from core.grids import timestep_grid
from core.metrics import data_noise_floor, mmd2
from core.mixture import GaussianMixture
from core.processes import DiscreteVP
from core.samplers.registry import run_sampler

WIDTH = 1e-3  # the training set's components' standard deviation
RADIUS = 0.01  # "on a training point": within this distance of one
SAMPLER_STEPS = 100  # DDIM (η = 0) on DDPM's chain, leading spacing
PARTICLES = 500


class TrainingSetDenoiser:
    """The exact denoiser of the training-set mixture (1/N) Σ_k N(μ_k, w² I), written for isotropic equal widths:
    E[x₀ | α x₀ + σ ε = x] = Σ_k r_k [μ_k + α w² (x − α μ_k)/(α² w² + σ²)], r = softmax(−‖x − α μ_k‖² / 2(α²w² + σ²)).
    The same as `GaussianMixture.posterior_mean_x0` of that mixture (a test checks), with one distance matrix per
    call instead of N 2×2 covariances."""

    def __init__(self, points: np.ndarray, width: float = WIDTH):
        self.points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        self.width = float(width)

    def mixture(self) -> GaussianMixture:
        n = len(self.points)
        covs = np.broadcast_to(self.width**2 * np.eye(2), (n, 2, 2)).copy()
        return GaussianMixture(np.full(n, 1.0 / n), self.points, covs)

    def denoise(self, x, alpha, sigma):
        x = np.asarray(x, dtype=np.float64)
        var = alpha**2 * self.width**2 + sigma**2
        scaled = alpha * self.points
        d2 = (x**2).sum(1)[:, None] - 2 * x @ scaled.T + (scaled**2).sum(1)[None, :]
        logits = -0.5 * d2 / var
        r = np.exp(logits - logits.max(1, keepdims=True))
        mean_mu = (r @ self.points) / r.sum(1, keepdims=True)
        return mean_mu + (alpha * self.width**2 / var) * (x - alpha * mean_mu)


def training_set(spec: str, n: int, seed: int) -> np.ndarray:
    """n training points drawn from the data spec (its own seed stream)."""
    return load_data(spec).sample(int(n), np.random.default_rng(10_000 + seed))


def near_share(samples: np.ndarray, points: np.ndarray, radius: float = RADIUS) -> float:
    """The share of samples within `radius` of some training point."""
    distance, _ = cKDTree(points).query(samples)
    return float((distance < radius).mean())


@dataclass(frozen=True)
class Memorisation:
    points: np.ndarray  # (N, 2) the training set
    samples: np.ndarray  # (n, 2) DDIM samples of the training set's exact model
    population: np.ndarray  # (n, 2) fresh draws from p: the chance level
    near: float  # share of samples within RADIUS of a training point
    chance: float  # the same share for the fresh draws
    mmd2_units: float  # MMD² of the samples to p, in noise-floor units
    mmd2_units_population: float  # ... of the fresh draws (≈ 0 ± 1)


def memorisation(spec: str, n_train: int, seed: int, particles: int = PARTICLES, check=None) -> Memorisation:
    """Sample the training set's exact model (DDIM, SAMPLER_STEPS steps, η = 0) and measure the copying."""
    points = training_set(spec, n_train, seed)
    grid = timestep_grid(DiscreteVP(), SAMPLER_STEPS, "leading")
    result = run_sampler("ddim", TrainingSetDenoiser(points), grid, particles, seed, {"eta": 0.0}, n_paths=0)
    population = load_data(spec).sample(particles, np.random.default_rng(20_000 + seed))
    floor = data_noise_floor(spec, "mmd2", particles)
    h = data_bandwidth(spec)
    mixture = load_data(spec)
    return Memorisation(
        points,
        result.samples,
        population,
        near_share(result.samples, points),
        near_share(population, points),
        floor.in_units(mmd2(result.samples, mixture, h)),
        floor.in_units(mmd2(population, mixture, h)),
    )
