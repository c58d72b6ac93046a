"""One probability-flow ODE under every schedule, and how straight its paths are in each process's frame.

Every process x_t = α x₀ + σ ε has, in the scaled frame x̃ = x/α with σ̃ = σ/α = e^{-λ}, the same PF-ODE

    dx̃/dσ̃ = (x̃ - D(x̃; σ̃))/σ̃ = -σ̃ ∇log p(x̃; σ̃)          (Karras et al. 2022, EDM, Sec. 2, eqs. 3-4),

so a schedule only decides how fast the clock t runs along it (Kingma et al. 2021, VDM, Sec. 5: the
continuous-time loss is invariant to the schedule except at its end points λ_min, λ_max). DDIM with η = 0 is
Euler's method on this ODE in σ̃ (Song et al. 2021a, Sec. 4.3; EDM, Sec. 3), so two processes given the same σ̃
nodes produce the same samples (`same_nodes`), whatever their α(t) and σ(t). What changes results is where
the nodes sit in λ (`ode_error` of different grids).

A path's *shape* is not schedule-free: the process's own coordinates x = α x̃ bend the same x̃(σ̃) curve
differently. Flow matching (α = 1 - t, σ = t; Lipman et al. 2023, Liu et al. 2023) and VP (α² + σ² = 1)
both go from the same noise z to the same sample, along different curves; `straightness` measures them.
On the flow path Euler in t is algebraically DDIM: x + (s - t)(ε̂ - x̂₀) = (1 - s) x̂₀ + s ε̂.

Time runs from data (t_min, σ = 0) to noise (t_max) for every process here: t = 1 is noise for flow matching,
as in diffusers and Liu et al.; Lipman et al. 2023 put noise at t = 0 and data at t = 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from core.grids import Grid, karras_grid, logsnr_grid, sigma_tilde_range, timestep_grid
from core.grids import karras_nodes as karras_nodes  # EDM eq. 5 lives in core.grids; re-exported for callers here
from core.likelihood import ode_clock, record_times
from core.mixture import GaussianMixture
from core.models import ExactDenoiser, Marginal
from core.processes import VE, ForwardProcess
from core.samplers.registry import run_sampler

NODE_PLACEMENTS = {
    "karras": "Karras ρ = 7 (EDM eq. 5)",
    "logsnr": "uniform in λ (DPM-Solver)",
    "uniform": "uniform in the process's t",
}


# ---------------------------------------------------------------------------- grids from σ̃ nodes
def common_range(processes, sigma_min: float = 0.002, sigma_max: float = 80.0) -> tuple[float, float]:
    """[σ_min, σ_max] narrowed to what every process carries."""
    for p in processes:
        lo, hi = sigma_tilde_range(p)
        sigma_min, sigma_max = max(sigma_min, lo), min(sigma_max, hi)
    if not 0 < sigma_min < sigma_max:
        raise ValueError("these processes share no range of noise levels")
    return sigma_min, sigma_max


def placement_nodes(a: ForwardProcess, b: ForwardProcess, placement: str, steps: int) -> np.ndarray:
    """`steps` decreasing σ̃ nodes inside the range both processes carry (σ̃ ∈ [0.002, 80] at most), placed by
    one of NODE_PLACEMENTS: Karras ρ = 7 (EDM eq. 5), uniformly in λ = -log σ̃ (DPM-Solver), or uniformly in
    process a's own time t (nodes below the range dropped; if none is left, the top node alone)."""
    lo, hi = common_range([a, b])
    if placement == "karras":
        return karras_nodes(steps, lo, hi)
    if placement == "logsnr":
        return np.geomspace(hi, lo, steps)
    if placement != "uniform":
        raise ValueError(f"unknown node placement {placement!r}; choose one of {', '.join(NODE_PLACEMENTS)}")
    t_hi = float(a.t_from_sigma_tilde(hi))
    t_lo = 0.0 if a.discrete else a.t_min
    t = np.linspace(t_hi, t_lo, steps + 1)[:-1]
    st = np.asarray(a.sigma_tilde(t), dtype=np.float64)
    return st[st >= lo] if np.any(st >= lo) else np.array([hi])


def flow_nodes(n: int, sigma_max: float = 80.0) -> np.ndarray:
    """The σ̃ = t/(1 - t) of n flow-matching times uniform in t from t(σ_max) = σ_max/(1 + σ_max) down to
    (but without) t = 0: the flow's own uniform grid, started where VP and EDM can also start."""
    t = np.linspace(sigma_max / (1 + sigma_max), 0.0, n + 1)[:-1]
    return t / (1 - t)


def grid_at(process: ForwardProcess, sigma_tilde: np.ndarray, label: str = "") -> Grid:
    """A grid of `process` whose nodes carry the given decreasing σ̃, then clean data.

    A discrete chain has only integer timesteps: its nodes are the nearest ones (duplicates merged), so
    their σ̃ differ from the ones asked for."""
    st = np.asarray(sigma_tilde, dtype=np.float64)
    t = process.t_from_sigma_tilde(st)
    if process.discrete:
        t = np.unique(np.clip(np.round(t), 0, process.T - 1))[::-1]
    alpha, sigma = np.asarray(process.alpha(t), float), np.asarray(process.sigma(t), float)
    data_t = 0.0 if isinstance(process, VE) else process.t_min
    t_all = np.append(t, data_t)
    return Grid(
        t_all,
        np.append(alpha, 1.0),
        np.append(sigma, 0.0),
        np.append(process.d_alpha(t), process.d_alpha(data_t)),
        np.append(process.d_sigma(t), 0.0),
        label,
    )


def _path(key: str, mixture: GaussianMixture, grid: Grid, x_start: np.ndarray) -> np.ndarray:
    """Every particle's states (n + 1, N, 2) of the deterministic registry sampler `key` from x_start."""
    x_start = np.asarray(x_start, dtype=np.float64)
    res = run_sampler(key, ExactDenoiser(mixture), grid, len(x_start), 0, n_paths=len(x_start), x_init=x_start)
    return res.path


def run_ddim(mixture: GaussianMixture, grid: Grid, x_start: np.ndarray) -> np.ndarray:
    """DDIM η = 0 (Song et al. 2021a, eq. 12) on the exact denoiser from x_start at the grid's first node:
    (n + 1, N, 2) states."""
    return _path("ddim", mixture, grid, x_start)


def run_flow_euler(mixture: GaussianMixture, grid: Grid, x_start: np.ndarray) -> np.ndarray:
    """Euler on dx/dt = α' x̂₀ + σ' ε̂ in the process's own time t (the registry's `flow_euler`)."""
    return _path("flow_euler", mixture, grid, x_start)


# ---------------------------------------------------------------------------- one ODE, every schedule
@dataclass(frozen=True)
class SameNodes:
    """DDIM η = 0 of several processes from the same scaled noise on the same σ̃ nodes."""

    keys: tuple[str, ...]
    grids: tuple[Grid, ...]
    scaled: tuple[np.ndarray, ...]  # per process (n + 1, N, 2): x/α at each node
    deviation: np.ndarray  # per process: max over nodes of max |x̃ - x̃_ref| / max(1, max |x̃_ref|)
    final_difference: np.ndarray  # per process: max |x₀ - x₀_ref| over the samples


def same_nodes(
    mixture: GaussianMixture, processes: dict[str, ForwardProcess], sigma_tilde: np.ndarray, z: np.ndarray
) -> SameNodes:
    """Each process in `processes` (the first is the reference) starts from x̃ = σ̃₀ z, i.e. x = α₀ σ̃₀ z, and
    runs DDIM η = 0 on the nodes `sigma_tilde` (discrete chains: the nearest integer timesteps)."""
    keys = tuple(processes)
    grids, scaled = [], []
    for key in keys:
        g = grid_at(processes[key], sigma_tilde, f"{len(sigma_tilde)} σ̃ nodes")
        x_start = g.alpha[0] * g.sigma_tilde[0] * z
        path = run_ddim(mixture, g, x_start)
        grids.append(g)
        scaled.append(path / g.alpha[:, None, None])
    ref = scaled[0]
    deviation, final = [], []
    for s in scaled:
        if s.shape != ref.shape:  # a discrete chain merged nodes: compare what both reach, the samples
            deviation.append(np.nan)
        else:
            scale = np.maximum(1.0, np.abs(ref).max(axis=(1, 2)))
            deviation.append(float((np.abs(s - ref).max(axis=(1, 2)) / scale).max()))
        final.append(float(np.abs(s[-1] - ref[-1]).max()))
    return SameNodes(keys, tuple(grids), tuple(scaled), np.array(deviation), np.array(final))


def lambda_curve(process: ForwardProcess, n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """(relative time u = (t - t_min)/(t_max - t_min), λ(t) = log(α/σ)) over the process's range, finite
    values only (λ = +∞ at clean data, -∞ where α = 0)."""
    lo = 0.0 if isinstance(process, VE) else process.t_min
    t = np.linspace(lo, process.t_max, n)
    with np.errstate(divide="ignore"):
        lam = np.asarray(process.log_snr(t), dtype=np.float64)
    keep = np.isfinite(lam)
    return (t[keep] - process.t_min) / (process.t_max - process.t_min), lam[keep]


def relative_time(process: ForwardProcess, t) -> np.ndarray:
    return (np.asarray(t, dtype=np.float64) - process.t_min) / (process.t_max - process.t_min)


# ---------------------------------------------------------------------------- exact ODE solutions
def exact_endpoint(mixture: GaussianMixture, process: ForwardProcess, t0: float, x0: np.ndarray, rtol=1e-9):
    """The PF-ODE solved accurately (RK45) from x0 at the process's time t0 down to clean data."""
    return exact_path(mixture, process, t0, x0, n_record=0, rtol=rtol)[1][-1]


def exact_path(
    mixture: GaussianMixture, process: ForwardProcess, t0: float, x0: np.ndarray, n_record: int = 200, rtol=1e-9
) -> tuple[np.ndarray, np.ndarray]:
    """(times, states (J, N, 2)) of the PF-ODE dx/dt = v(x, t) from x0 at t0 down to t_min, recorded at times
    spread evenly in λ (core.likelihood.record_times), in the process's own coordinates."""
    clock, name = ode_clock(process)
    t_start = float(process.sigma(t0)) if name == "σ" else float(t0)
    marginal = Marginal(clock, ExactDenoiser(mixture))
    x0 = np.asarray(x0, dtype=np.float64)
    shape = x0.shape

    def rhs(t, y):
        return marginal.velocity(y.reshape(shape), t).ravel()

    if n_record:
        times = record_times(clock, n_record)
        times = np.unique(np.append(times[times < t_start], t_start))[::-1]
    else:
        times = np.array([t_start, clock.t_min])
    sol = solve_ivp(rhs, (t_start, clock.t_min), x0.ravel(), rtol=rtol, atol=rtol, t_eval=times)
    if not sol.success:
        raise RuntimeError(f"ODE solver failed: {sol.message}")
    return sol.t, sol.y.T.reshape(len(sol.t), *shape)


def placement_grid(process: ForwardProcess, placement: str, n: int) -> Grid:
    """n steps of `process` placed by one of NODE_PLACEMENTS (Karras and λ-uniform: σ̃ ∈ [0.002, 80] and the
    process's range)."""
    if placement == "karras":
        return karras_grid(process, n)
    if placement == "logsnr":
        return logsnr_grid(process, n, sigma_min=0.002)
    if placement == "uniform":
        return timestep_grid(process, n, "linspace")
    raise ValueError(f"unknown node placement {placement!r}; choose one of {', '.join(NODE_PLACEMENTS)}")


def start_state(grid: Grid, z: np.ndarray) -> np.ndarray:
    """Sampling's start: x = σ₀ z at the grid's first node (the prior N(0, σ₀² I))."""
    return grid.sigma[0] * z


def endpoint_error(samples: np.ndarray, exact: np.ndarray) -> float:
    """Mean Euclidean distance between each sample and its exact ODE endpoint from the same start."""
    return float(np.linalg.norm(samples - exact, axis=1).mean())


def solver_error(mixture: GaussianMixture, grid: Grid, x_start: np.ndarray, exact: np.ndarray, sampler="ddim"):
    """`endpoint_error` of DDIM η = 0 ("ddim") or Euler in the process's own time ("euler") on `grid` from
    x_start, against exact endpoints already solved from that start."""
    run = run_ddim if sampler == "ddim" else run_flow_euler
    return endpoint_error(run(mixture, grid, x_start)[-1], exact)


def ode_error(mixture: GaussianMixture, process: ForwardProcess, grid: Grid, z: np.ndarray, sampler="ddim"):
    """(samples, mean distance to the exact ODE solution from the same start) of DDIM η = 0 ("ddim") or
    Euler in the process's own time ("euler") on `grid`."""
    x_start = start_state(grid, z)
    run = run_ddim if sampler == "ddim" else run_flow_euler
    samples = run(mixture, grid, x_start)[-1]
    exact = exact_endpoint(mixture, process, float(grid.t[0]), x_start)
    return samples, endpoint_error(samples, exact)


# ---------------------------------------------------------------------------- straightness
@dataclass(frozen=True)
class Straightness:
    ratio: np.ndarray  # (N,) length / distance between the end points (1 = a straight segment)
    turning: np.ndarray  # (N,) total turning angle ∫|κ| ds in radians
    curvature: np.ndarray  # (N,) mean curvature = turning / length (1 / units of x)
    length: np.ndarray  # (N,)


def straightness(path: np.ndarray) -> Straightness:
    """Geometry of polylines path (J, N, 2): length / chord, total turning angle, mean curvature."""
    seg = np.diff(path, axis=0)  # (J - 1, N, 2)
    seg_len = np.linalg.norm(seg, axis=2)
    length = seg_len.sum(0)
    chord = np.linalg.norm(path[-1] - path[0], axis=1)
    a, b = seg[:-1], seg[1:]
    cross = a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]
    dot = (a * b).sum(-1)
    moving = (seg_len[:-1] > 0) & (seg_len[1:] > 0)
    turning = np.where(moving, np.abs(np.arctan2(cross, dot)), 0.0).sum(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return Straightness(length / chord, turning, turning / length, length)
