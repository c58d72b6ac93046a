"""NCSN (Song & Ermon 2019) and NCSNv2 (Song & Ermon 2020) on exact scores.

* Noise levels: a geometric sequence σ_1 > σ_2 > … > σ_L with ratio γ = σ_{i-1}/σ_i (NCSN Sec. 4.1;
  NCSNv2 Technique 2).
* Annealed Langevin dynamics, NCSN Algorithm 1, in NCSN's own convention:

      for i = 1..L:  α_i = ε σ_i² / σ_L²
          repeat T times:  x ← x + (α_i/2) ∇log p_{σ_i}(x) + √α_i z,   z ~ N(0, I)

  with the exact perturbed score of p_σ = p₀ * N(0, σ² I), i.e. the mixture Σ π_k N(μ_k, Σ_k + σ² I)
  (NCSN's 2D toy code uses N(μ_k, σ² I) instead). Plain Langevin is the same update on the data score
  ∇log p₀ with a fixed step (NCSN eq. 4). Both are recorded at every level boundary (the same step
  counts for plain Langevin) and along a few paths.
* NCSNv2's rules for the schedule, made computable:
  - Technique 1: σ_1 ≈ the largest Euclidean distance between two training points. A mixture has no
    training set, so `sigma1_rule` takes the largest pairwise distance of RULE_SAMPLES exact samples (a
    fixed seed): that is what the paper computes on its data. `sigma1_from_means` is the closed-form
    stand-in (largest distance between means + 3 sd of the widest component on each side), the σ_max
    the VE process uses (core/processes.py); both are reported.
  - Technique 2: γ such that Φ(√(2D)(γ-1) + 3γ) - Φ(√(2D)(γ-1) - 3γ) ≈ 0.5 (`shell_overlap`). Its
    derivation approximates ‖x‖ for x ~ N(0, σ² I_D) by N(√D σ, σ²/2), a high-dimensional argument; in
    D = 2 the expression is ≥ 0.997 for every γ ≥ 1, so the rule does not pick a γ here.
  - Technique 4: for a given T and γ, choose ε so that eq. (4), the variance ratio s_T²/σ_i² after T
    steps at level i (data = one point, level i-1 in equilibrium), is as close to 1 as possible
    (`eps_rule`). NCSNv2 writes its sampler as x ← x + α s + √(2α) z with α = ε' σ_i²/σ_L², i.e.
    ε' = ε/2 in the convention above; `variance_ratio` uses ours and its test checks both forms.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from core.mixture import GaussianMixture
from core.samplers.base import NoiseSource
from core.samplers.langevin import langevin_steps

RULE_SAMPLES = 10_000  # size of the "training set" whose largest pairwise distance is Technique 1's σ_1
RULE_SEED = 2020
N_PATH_POINTS = 200  # points recorded along each path (thinned evenly over all steps)
INITS = ("box", "prior")


# ---------------------------------------------------------------------------- schedules
def geometric_sigmas(sigma_1: float, gamma: float, n_levels: int) -> np.ndarray:
    """σ_i = σ_1 γ^{-(i-1)}, i = 1..L (NCSN Sec. 4.1; NCSNv2 Technique 2)."""
    if not (sigma_1 > 0 and gamma >= 1 and n_levels >= 1):
        raise ValueError("need σ_1 > 0, γ ≥ 1 and at least one level")
    return sigma_1 * float(gamma) ** -np.arange(int(n_levels), dtype=np.float64)


def gamma_for(sigma_1: float, sigma_L: float, n_levels: int) -> float:
    """The ratio of the geometric sequence of n_levels from sigma_1 down to sigma_L."""
    if n_levels < 2:
        return 1.0
    return float((sigma_1 / sigma_L) ** (1.0 / (n_levels - 1)))


def step_sizes(sigmas: np.ndarray, eps: float) -> np.ndarray:
    """α_i = ε σ_i²/σ_L² (NCSN Algorithm 1): the step shrinks with the noise level, α_L = ε."""
    sigmas = np.asarray(sigmas, dtype=np.float64)
    return eps * (sigmas / sigmas[-1]) ** 2


# ---------------------------------------------------------------------------- Technique 1
def max_pairwise_distance(points: np.ndarray) -> float:
    """The largest Euclidean distance between two of the points (attained between convex-hull vertices)."""
    pts = np.asarray(points, dtype=np.float64)
    if len(pts) < 2:
        return 0.0
    if len(pts) > 64:
        from scipy.spatial import ConvexHull, QhullError

        try:
            pts = pts[ConvexHull(pts).vertices]
        except QhullError:  # all points on a line: the hull is degenerate, use the extreme points
            pass
    d = pts[:, None] - pts[None]
    return float(np.sqrt((d**2).sum(-1).max()))


def sigma1_rule(mixture: GaussianMixture, n: int = RULE_SAMPLES, seed: int = RULE_SEED) -> float:
    """NCSNv2 Technique 1 on the mixture: the largest pairwise distance of n exact samples (fixed seed)."""
    return max_pairwise_distance(mixture.sample(n, np.random.default_rng(seed)))


def sigma1_from_means(mixture: GaussianMixture) -> float:
    """The closed-form stand-in: largest distance between means + 3 sd of the widest component each side."""
    from core.processes import sigma_max_for

    return sigma_max_for(mixture.means, mixture.covs)


# ---------------------------------------------------------------------------- Technique 2
def shell_overlap(gamma: float, dim: int = 2) -> float:
    """NCSNv2 Technique 2's criterion Φ(√(2D)(γ-1) + 3γ) - Φ(√(2D)(γ-1) - 3γ) (the paper wants ≈ 0.5)."""
    from scipy.stats import norm

    c = math.sqrt(2 * dim) * (gamma - 1)
    return float(norm.cdf(c + 3 * gamma) - norm.cdf(c - 3 * gamma))


# ---------------------------------------------------------------------------- Technique 4
def variance_ratio(eps: float, n_steps: int, gamma: float, sigma_L: float) -> float:
    """NCSNv2 eq. (4) in NCSN's step convention: s_T²/σ_i² after T Langevin steps at level i, for data
    concentrated at one point (p_{σ_i} = N(0, σ_i² I)) and particles starting in equilibrium at level
    i-1 (variance γ² σ_i²). With x = ε/σ_L² each step is x ← a x + √α_i z, a = 1 - x/2, so

        s_T²/σ_i² = a^{2T} (γ² - c) + c,   c = x / (1 - a²)   (the chain's stationary variance / σ_i²).
    """
    x = eps / sigma_L**2
    a = 1.0 - 0.5 * x
    c = x / (1.0 - a * a)
    return float(a ** (2 * int(n_steps)) * (gamma**2 - c) + c)


def eps_rule(n_steps: int, gamma: float, sigma_L: float) -> float:
    """NCSNv2 Technique 4: the ε that brings eq. (4) closest to 1 for these T and γ (NCSN convention).

    The ratio depends on ε only through x = ε/σ_L²: for x → 0 the chain does not move (ratio → γ²),
    for larger x it forgets its start but its stationary variance c = 1/(1 - x/4) overshoots 1; the best
    x lies in between. Found on a log grid of x, then refined by a bounded scalar minimisation."""
    from scipy.optimize import minimize_scalar

    def gap(log_x):
        return abs(variance_ratio(math.exp(log_x) * sigma_L**2, n_steps, gamma, sigma_L) - 1.0)

    grid = np.linspace(math.log(1e-8), math.log(1.9), 400)
    i = int(np.argmin([gap(v) for v in grid]))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    best = minimize_scalar(gap, bounds=(lo, hi), method="bounded", options=dict(xatol=1e-10))
    return float(math.exp(best.x) * sigma_L**2)


# ---------------------------------------------------------------------------- initial particles
def init_box(mixture: GaussianMixture) -> tuple[float, float]:
    """The square [lo, hi]² around the data's 3-sd bounds: [-8, 8]² for the NCSN Fig. 3 mixture, as in
    the paper's toy (`runners/toy_runner.py`)."""
    x0, x1, y0, y1 = mixture.bounds(3.0)
    return float(min(x0, y0)), float(max(x1, y1))


def init_particles(mixture: GaussianMixture, n: int, rng: np.random.Generator, kind: str, sigma_1: float):
    """n starting points: uniform over `init_box` ("box", NCSN Fig. 3) or N(0, σ_1² I) ("prior")."""
    if kind == "box":
        lo, hi = init_box(mixture)
        return rng.uniform(lo, hi, (n, 2))
    if kind == "prior":
        return sigma_1 * rng.standard_normal((n, 2))
    raise ValueError(f"unknown initialisation {kind!r}; choose one of {INITS}")


# ---------------------------------------------------------------------------- modes
def mode_of(x: np.ndarray, mixture: GaussianMixture) -> np.ndarray:
    """The most likely component of each point under the data mixture (as core.metrics.mode_tv)."""
    return mixture.responsibilities(x).argmax(1)


def mode_shares(x: np.ndarray, mixture: GaussianMixture) -> np.ndarray:
    """Share of the points whose most likely component is k, for each k (sums to 1)."""
    return np.bincount(mode_of(x, mixture), minlength=mixture.n_components) / len(x)


def tv(shares: np.ndarray, weights: np.ndarray) -> float:
    """½ Σ_k |share_k - π_k|: equals core.metrics.mode_tv on the same points."""
    return float(0.5 * np.abs(np.asarray(shares) - np.asarray(weights)).sum())


# ---------------------------------------------------------------------------- the two samplers
@dataclass(frozen=True)
class LangevinRecord:
    """One run's states: frames[j] after j·T steps (j = 0..L; frame 0 = the start, the same for both
    methods), paths (n_path_points, n_paths, 2) thinned evenly, path_steps the step count of each path row."""

    sigmas: np.ndarray  # (L,)
    steps: np.ndarray  # (L,) α_i
    frames: np.ndarray  # (L+1, n, 2)
    paths: np.ndarray  # (P, m, 2)
    path_steps: np.ndarray  # (P,)


def _path_plan(total_steps: int) -> np.ndarray:
    """Which step counts to keep along the paths: evenly thinned, always 0 and the last."""
    return np.unique(np.linspace(0, total_steps, min(total_steps, N_PATH_POINTS) + 1).round().astype(int))


def _run(
    x: np.ndarray,
    plan: list[tuple[Callable, float]],
    steps_per_level: int,
    rng: np.random.Generator,
    n_paths: int,
    progress: Callable[[int], None] | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """T Langevin steps x ← x + (α/2) score(x) + √α z per entry (score, α) of `plan` (the registry's
    `langevin_steps`), with noise from `rng`; frames after each entry and paths at the thinned step counts."""
    x = np.array(x, dtype=np.float64)
    frames = [x.copy()]
    keep = _path_plan(len(plan) * steps_per_level)
    paths = [x[:n_paths].copy()]
    kept = set(keep[1:].tolist())

    def record(step, x):
        if step in kept:
            paths.append(x[:n_paths].copy())

    noise = NoiseSource(rng)
    for level, (score, alpha) in enumerate(plan):
        langevin_steps(x, score, alpha, steps_per_level, noise, record, level * steps_per_level)
        frames.append(x.copy())
        if progress is not None:
            progress(level)
    return np.array(frames), np.array(paths), keep


def annealed_langevin(
    mixture: GaussianMixture,
    x_init: np.ndarray,
    sigmas: np.ndarray,
    eps: float,
    steps_per_level: int,
    rng: np.random.Generator,
    n_paths: int = 0,
    progress: Callable[[int], None] | None = None,
) -> LangevinRecord:
    """NCSN Algorithm 1 with the exact score of p_{σ_i} (no final denoising step, as in the paper)."""
    sigmas = np.asarray(sigmas, dtype=np.float64)
    alphas = step_sizes(sigmas, eps)
    plan = [(mixture.diffused(1.0, s).score, a) for s, a in zip(sigmas, alphas)]
    frames, paths, keep = _run(x_init, plan, steps_per_level, rng, n_paths, progress)
    return LangevinRecord(sigmas, alphas, frames, paths, keep)


def plain_langevin(
    mixture: GaussianMixture,
    x_init: np.ndarray,
    step: float,
    n_levels: int,
    steps_per_level: int,
    rng: np.random.Generator,
    n_paths: int = 0,
    progress: Callable[[int], None] | None = None,
) -> LangevinRecord:
    """Langevin on the data score ∇log p₀ with a fixed step (NCSN eq. 4), L·T steps recorded like
    Algorithm 1 (a frame after every T steps), so both methods spend the same number of score calls."""
    plan = [(mixture.score, step)] * int(n_levels)
    frames, paths, keep = _run(x_init, plan, steps_per_level, rng, n_paths, progress)
    return LangevinRecord(np.zeros(n_levels), np.full(n_levels, step), frames, paths, keep)


@dataclass(frozen=True)
class Comparison:
    """Plain and annealed Langevin from the same particles, with the mode shares at every frame."""

    x_init: np.ndarray
    plain: LangevinRecord
    annealed: LangevinRecord
    plain_shares: np.ndarray  # (L+1, K)
    annealed_shares: np.ndarray  # (L+1, K)


def compare(
    mixture: GaussianMixture,
    sigmas: np.ndarray,
    eps: float,
    steps_per_level: int,
    plain_step: float,
    n: int,
    seed: int,
    init: str = "box",
    n_paths: int = 0,
    progress: Callable[[float], None] | None = None,
) -> Comparison:
    """Plain vs annealed Langevin (NCSN Fig. 3) from the same n starting points; seeded and deterministic:
    the start from `seed`, each method's noise from its own stream (seed, 1) and (seed, 2)."""
    sigmas = np.asarray(sigmas, dtype=np.float64)
    x0 = init_particles(mixture, n, np.random.default_rng(seed), init, float(sigmas[0]))
    L = len(sigmas)

    def tick(offset):
        return None if progress is None else (lambda level: progress((offset + level + 1) / (2 * L)))

    plain = plain_langevin(
        mixture, x0, plain_step, L, steps_per_level, np.random.default_rng([seed, 1]), n_paths, tick(0)
    )
    annealed = annealed_langevin(
        mixture, x0, sigmas, eps, steps_per_level, np.random.default_rng([seed, 2]), n_paths, tick(L)
    )
    if not (np.isfinite(plain.frames[-1]).all() and np.isfinite(annealed.frames[-1]).all()):
        raise ValueError("Langevin diverged with these step sizes (non-finite particles): use a smaller ε or step.")
    shares_p = np.array([mode_shares(f, mixture) for f in plain.frames])
    shares_a = np.array([mode_shares(f, mixture) for f in annealed.frames])
    return Comparison(x0, plain, annealed, shares_p, shares_a)
