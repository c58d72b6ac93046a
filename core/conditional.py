"""Conditional generation against exact conditionals: inpainting (naive replacement, RePaint) and SDEdit.

**Inpainting in 2D.** The first coordinate x₁ is known, the second is to be sampled; the right answer is the
exact conditional p(x₂ | x₁) of the mixture (`GaussianMixture.conditional_x2_given_x1`, a 1D mixture). All
methods run DDPM's ancestral sampler (Ho et al. 2020, Algorithm 2) with the exact denoiser on one time grid:

* *naive replacement*: after every reverse step the known coordinate is replaced by x₁ noised to the new
  level, x_known ~ N(α_s x₁, σ_s²), the sampled coordinate is kept;
* *RePaint* (Lugmayr et al. 2022, Algorithm 1): the same step, but each step is redone U times, the merged
  state being diffused back to the previous level in between, x_t ~ N(α_{t|s} x_s, σ²_{t|s} I), so that the
  sampled coordinate can adjust to the known one ("harmonisation"). Jump length j (the paper's Sec. 4.2 and
  its `get_schedule_jump`) resamples in jumps of j levels: j steps down, then one diffusion j levels back up,
  U − 1 times. j = 1 is Algorithm 1; U = 1 is naive replacement;
* the *exact reference*: direct draws from p(x₂ | x₁), and the same DDPM run on the exact 1D conditional
  model from the same initial noise (what a perfect inpainter with this sampler and grid would give).

Errors are measured in 1D: the mass P(x₂ > 0 | x₁) against its exact value, and the Wasserstein-1 distance
W₁ = ∫ |F̂ − F| dy between each sample set and the exact conditional CDF, with its noise floor (how W₁
scatters over sets of exact draws of the same size).

**SDEdit** (Meng et al. 2022): a guide of points that are not data is diffused to t₀,
x(t₀) = α(t₀) x_guide + σ(t₀) z, and denoised from there by the reverse SDE (here DDPM ancestral steps on
the exact model, N steps over [0, t₀]; t₀ is the fraction of DDPM's 1000 timesteps). Realism: the share of
outputs that lie on the data, i.e. whose log p₀ exceeds the 5 % quantile of log p₀ under exact samples
(exact sampling: 0.95); faithfulness: the mean distance of each output to its own guide point.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from core.grids import Grid, timestep_grid
from core.mixture import GaussianMixture, Mixture1D
from core.processes import DiscreteVP
from core.samplers.ancestral import posterior

PROCESS = DiscreteVP()  # DDPM's linear β, T = 1000: the chain RePaint and SDEdit ran on
FLOOR_REPEATS = 20
EXACT_QUANTILE = 0.05  # realism: log p₀ above the 5 % quantile of exact samples
REALISM_EXACT = 1.0 - EXACT_QUANTILE


# ---------------------------------------------------------------------------- grids and 1D helpers
def ddpm_grid(steps: int) -> Grid:
    """DDPM's chain on `steps` "leading" timesteps (980, 960, …, 0 for 50), then clean data."""
    return timestep_grid(PROCESS, steps, "leading")


def sample_1d(mix: Mixture1D, n: int, rng: np.random.Generator) -> np.ndarray:
    k = rng.choice(len(mix.weights), size=n, p=mix.weights / mix.weights.sum())
    return mix.means[k] + np.sqrt(mix.variances[k]) * rng.standard_normal(n)


def denoise_1d(mix: Mixture1D, y: np.ndarray, alpha: float, sigma: float) -> np.ndarray:
    """Tweedie's E[y₀ | α y₀ + σ ε = y] under a 1D mixture: Σ_k r_k [m_k + α v_k (y - α m_k)/(α² v_k + σ²)]."""
    var = alpha**2 * mix.variances + sigma**2
    d = y[:, None] - alpha * mix.means
    with np.errstate(divide="ignore"):
        log_w = np.log(mix.weights)
    ell = log_w - 0.5 * (d**2 / var + np.log(var))
    ell -= ell.max(1, keepdims=True)
    r = np.exp(ell)
    r /= r.sum(1, keepdims=True)
    return (r * (mix.means + alpha * mix.variances * d / var)).sum(1)


def wasserstein1(samples: np.ndarray, mix: Mixture1D, n_grid: int = 4000) -> float:
    """W₁ = ∫ |F̂(y) - F(y)| dy between a sample set and a 1D mixture (trapezoid rule on a fine grid)."""
    y = np.sort(np.asarray(samples, dtype=np.float64))
    sd = np.sqrt(mix.variances.max())
    lo = min(y[0], (mix.means - 8 * np.sqrt(mix.variances)).min()) - sd
    hi = max(y[-1], (mix.means + 8 * np.sqrt(mix.variances)).max()) + sd
    grid = np.linspace(lo, hi, n_grid)
    diff = np.abs(np.searchsorted(y, grid, side="right") / len(y) - mix.cdf(grid))
    return float(np.sum(0.5 * (diff[1:] + diff[:-1]) * np.diff(grid)))


def mass_above(mix: Mixture1D, level: float = 0.0) -> float:
    return float(1.0 - mix.cdf(level))


@dataclass(frozen=True)
class Floor1D:
    """How W₁ scatters over sets of n exact draws: value in units = (W₁ - mean)/sd."""

    mean: float
    sd: float
    repeats: int

    def in_units(self, value: float) -> float:
        return (value - self.mean) / self.sd


def w1_floor(mix: Mixture1D, n: int, repeats: int = FLOOR_REPEATS, seed: int = 24680) -> Floor1D:
    rng = np.random.default_rng(seed)
    values = np.array([wasserstein1(sample_1d(mix, n, rng), mix) for _ in range(repeats)])
    return Floor1D(float(values.mean()), float(values.std(ddof=1)), repeats)


# ---------------------------------------------------------------------------- RePaint
def repaint_schedule(n_steps: int, resamplings: int = 1, jump: int = 1) -> list[int]:
    """The levels visited (0 = the grid's noisiest node, n_steps = clean data), as RePaint's
    `get_schedule_jump`: going down one level per reverse step; at each level L with (n−1−L) % j = 0 and
    L ≥ j, jumping back up j levels, U − 1 times. j = 1 redoes every step but the last U times (Algorithm 1)."""
    n, u, j = int(n_steps), int(resamplings), int(jump)
    if n < 1 or u < 1 or j < 1:
        raise ValueError("steps, resamplings and jump length must be at least 1")
    left = {lv: u - 1 for lv in range(n) if lv >= j and (n - 1 - lv) % j == 0}
    levels, lv = [0], 0
    while lv < n:
        lv += 1
        levels.append(lv)
        if left.get(lv, 0) > 0:
            left[lv] -= 1
            for _ in range(j):
                lv -= 1
                levels.append(lv)
    return levels


def schedule_nfe(n_steps: int, resamplings: int = 1, jump: int = 1) -> int:
    """Model evaluations of a RePaint schedule: one per reverse (downward) move."""
    levels = repaint_schedule(n_steps, resamplings, jump)
    return int(sum(b > a for a, b in zip(levels[:-1], levels[1:])))


@dataclass
class InpaintResult:
    x2: np.ndarray  # (N,) sampled coordinate
    nfe: int
    path: np.ndarray  # (moves + 1, m) x₂ of the first m particles at each visited level
    levels: np.ndarray  # the level after each move (the schedule)


def repaint(
    mixture: GaussianMixture,
    x1: float,
    grid: Grid,
    n: int,
    seed: int,
    resamplings: int = 1,
    jump: int = 1,
    n_paths: int = 0,
    check: Callable[[], None] | None = None,
) -> InpaintResult:
    """Inpaint x₂ given x₁ with RePaint (U = `resamplings`, j = `jump`) on `grid`; U = 1 is naive replacement.

    The initial noise x ~ N(0, σ_T² I) comes first from the seeded generator, so every method run with the
    same seed starts from the same noise. `check()` is called between steps (e.g. to stop superseded work)."""
    from core.models import ExactDenoiser

    rng = np.random.default_rng(seed)
    model = ExactDenoiser(mixture)
    x = grid.sigma[0] * rng.standard_normal((n, 2))
    levels = repaint_schedule(grid.n_steps, resamplings, jump)
    m = min(n_paths, n)
    path = [x[:m, 1].copy()]
    nfe = 0
    for a, b in zip(levels[:-1], levels[1:]):
        if check is not None:
            check()
        a_t, s_t, a_s, s_s = grid.alpha[a], grid.sigma[a], grid.alpha[b], grid.sigma[b]
        if b > a:  # a reverse step, then the known coordinate replaced by x₁ noised to the new level
            x0 = model.denoise(x, a_t, s_t)
            nfe += 1
            c_x, c_0, _, beta_tilde = posterior(a_t, s_t, a_s, s_s)
            x = c_x * x + c_0 * x0
            if s_s > 0:
                x = x + np.sqrt(beta_tilde) * rng.standard_normal(x.shape)
            x[:, 0] = a_s * x1 + s_s * rng.standard_normal(n)
        else:  # diffuse the merged state back up: x_t ~ N(α_{t|s} x_s, σ²_{t|s} I), here t = b noisier
            a_ts = a_s / a_t
            var = s_s**2 - a_ts**2 * s_t**2
            x = a_ts * x + math.sqrt(max(var, 0.0)) * rng.standard_normal(x.shape)
        path.append(x[:m, 1].copy())
    return InpaintResult(x[:, 1].copy(), nfe, np.array(path), np.array(levels[1:]))


@dataclass(frozen=True)
class Denoiser1D:
    """Tweedie's posterior mean under a 1D mixture (`denoise_1d`), for the samplers' model interface."""

    mix: Mixture1D

    def denoise(self, y, alpha, sigma):
        return denoise_1d(self.mix, y, alpha, sigma)


def reference_ddpm(
    mixture: GaussianMixture, x1: float, grid: Grid, n: int, seed: int, n_paths: int = 0
) -> InpaintResult:
    """The registry's DDPM sampler (Ho et al. 2020, Algorithm 2) on the exact 1D conditional p(x₂ | x₁), from
    the same initial noise as `repaint` with the same seed (its x₂ column), the steps' noise following on the
    same stream: what a perfect inpainter with this sampler and grid would give."""
    from core.samplers.registry import initial_noise, run_sampler

    rng = np.random.default_rng(seed)
    y = initial_noise(grid, n, rng)[:, 1]
    model = Denoiser1D(mixture.conditional_x2_given_x1(float(x1)))
    res = run_sampler("ddpm", model, grid, n, rng, {"variance": "beta_tilde"}, n_paths=min(n_paths, n), x_init=y)
    return InpaintResult(res.samples, res.nfe, res.path, np.arange(1, grid.n_steps + 1))


def exact_draws(mixture: GaussianMixture, x1: float, n: int, seed: int) -> np.ndarray:
    """n direct draws from the exact conditional p(x₂ | x₁)."""
    return sample_1d(mixture.conditional_x2_given_x1(float(x1)), n, np.random.default_rng(seed))


def inpaint_errors(x2: np.ndarray, mix: Mixture1D, floor: Floor1D) -> dict:
    """P(x₂ > 0) with its Monte-Carlo error, W₁ to the exact conditional and W₁ in floor units."""
    p = float((x2 > 0).mean())
    w1 = wasserstein1(x2, mix)
    return dict(p_pos=p, p_err=math.sqrt(max(p * (1 - p), 1e-12) / len(x2)), w1=w1, w1_units=floor.in_units(w1))


# ---------------------------------------------------------------------------- SDEdit
STROKES = ("square", "line", "shifted", "scaled", "typed")
MAX_TYPED = 50


def parse_points(text: str) -> np.ndarray:
    """Guide points typed as "x, y; x, y; …" (at most MAX_TYPED, each coordinate within ±50), read by
    `core.points_to_mixture.typed_points`."""
    from core.points_to_mixture import typed_points

    pts = typed_points(text if isinstance(text, str) else None, MAX_TYPED, 50.0, "Guide point")
    if not len(pts):
        raise ValueError('Type guide points as "x, y; x, y", e.g. "0, 0; 1.5, -0.5".')
    return pts


def _data_frame(mixture: GaussianMixture) -> tuple[np.ndarray, float]:
    """The data's centre and RMS radius (from the mixture's exact mean and covariance)."""
    centre = mixture.weights @ mixture.means
    d = mixture.means - centre
    second = (mixture.weights * ((d**2).sum(1) + np.trace(mixture.covs, axis1=1, axis2=2))).sum()
    return centre, float(np.sqrt(second))


def guide_points(mixture: GaussianMixture, stroke: str, n: int, seed: int = 0, typed: str = "") -> np.ndarray:
    """n guide points for a stroke: a square's outline or a line across the data (evenly spaced), a copy of
    the data shifted by half its radius or scaled by ½ about its centre (exact draws), or typed points
    (each repeated so that every typed point gets n / len(points) outputs)."""
    centre, r = _data_frame(mixture)
    u = (np.arange(n) + 0.5) / n
    if stroke == "square":
        h = 0.5 * r  # half-side: half the data's RMS radius
        s = 4 * u
        side, f = np.floor(s).astype(int), s - np.floor(s)
        corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1], [-1, -1]], dtype=float)
        pts = corners[side] + (corners[side + 1] - corners[side]) * f[:, None]
        return centre + h * pts
    if stroke == "line":
        a, b = np.array([-0.9 * r, -0.35 * r]), np.array([0.9 * r, 0.35 * r])
        return centre + a + (b - a) * u[:, None]
    if stroke in ("shifted", "scaled"):
        x = mixture.sample(n, np.random.default_rng(seed + 7919))
        if stroke == "shifted":
            return x + np.array([0.5 * r, 0.25 * r])
        return centre + 0.5 * (x - centre)
    if stroke == "typed":
        pts = parse_points(typed)
        return pts[np.arange(n) * len(pts) // n]
    raise ValueError(f"Unknown stroke {stroke!r}. Choose one of: {', '.join(STROKES)}.")


def sdedit_grid(t0: float, steps: int) -> Grid:
    """`steps` DDPM timesteps evenly spaced from t₀·1000 - 1 down to 0, then clean data (N steps on [0, t₀])."""
    start = max(0, int(round(float(t0) * PROCESS.T)) - 1)
    t = np.unique(np.round(np.linspace(start, 0, max(1, int(steps)))))[::-1]
    t = np.append(t, -1.0)
    alpha, sigma = PROCESS.alpha(t), PROCESS.sigma(t)
    return Grid(t, alpha, sigma, PROCESS.d_alpha(t), PROCESS.d_sigma(t), f"{len(t) - 1} steps on [0, t₀]")


@dataclass
class SDEditResult:
    outputs: np.ndarray  # (N, 2)
    noised: np.ndarray  # (N, 2) the guide diffused to t₀
    path: np.ndarray  # (steps + 1, m, 2) the first m particles
    grid: Grid


def sdedit(mixture: GaussianMixture, guide: np.ndarray, t0: float, steps: int, seed: int, n_paths: int = 0):
    """SDEdit: diffuse the guide to t₀ and denoise with DDPM ancestral steps on the exact model."""
    from core.models import ExactDenoiser
    from core.samplers.registry import run_sampler

    grid = sdedit_grid(t0, steps)
    z = np.random.default_rng(seed + 104729).standard_normal(guide.shape)
    noised = grid.alpha[0] * guide + grid.sigma[0] * z
    res = run_sampler("ddpm", ExactDenoiser(mixture), grid, len(guide), seed, n_paths=n_paths, x_init=noised)
    return SDEditResult(res.samples, noised, res.path, grid)


_THRESHOLDS: dict[str, float] = {}


def realism_threshold(mixture: GaussianMixture, key: str | None = None) -> float:
    """The 5 % quantile of log p₀ under 20,000 exact samples (cached by `key`, e.g. the data spec)."""
    if key is not None and key in _THRESHOLDS:
        return _THRESHOLDS[key]
    x = mixture.sample(20000, np.random.default_rng(97531))
    value = float(np.quantile(mixture.log_prob(x), EXACT_QUANTILE))
    if key is not None:
        _THRESHOLDS[key] = value
    return value


def sdedit_scores(mixture: GaussianMixture, guide: np.ndarray, outputs: np.ndarray, threshold: float) -> dict:
    """Realism (share of outputs on the data; exact 0.95) and faithfulness (mean distance to own guide)."""
    logp = mixture.log_prob(outputs)
    return dict(
        realism=float((logp >= threshold).mean()),
        mean_logp=float(logp.mean()),
        distance=float(np.linalg.norm(outputs - guide, axis=1).mean()),
    )


T0_CURVE = (0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0)


def sdedit_curves(
    mixture: GaussianMixture,
    guide: np.ndarray,
    steps: int,
    seed: int,
    threshold: float,
    t0s=T0_CURVE,
    check: Callable[[], None] | None = None,
) -> dict:
    """Realism and faithfulness at each t₀ of `t0s` (same guide, same seed)."""
    rows = []
    for t0 in t0s:
        if check is not None:
            check()
        rows.append(sdedit_scores(mixture, guide, sdedit(mixture, guide, t0, steps, seed).outputs, threshold))
    out = {k: np.array([r[k] for r in rows]) for k in rows[0]}
    out["t0"] = np.array(t0s, dtype=float)
    return out


def first_realistic(curves: dict, level: float = 0.9) -> float:
    """The smallest t₀ of the curve whose realism reaches `level` (∞ if none does)."""
    hit = np.flatnonzero(curves["realism"] >= level)
    return float(curves["t0"][hit[0]]) if len(hit) else math.inf
