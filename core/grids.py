"""Time grids for sampling: a choice the user makes, not a constant of a sampler.

A `Grid` lists n+1 decreasing times and their (α, σ); its last node is always clean data (α = 1,
σ = 0), so a grid of n steps takes a sampler from noise to data. Three families:

* timestep spacing (DDIM, Song et al. 2021a, Sec. 4.2; diffusers' "leading" / "trailing" / "linspace"),
* Karras et al. 2022 (EDM) eq. 5: σ_i = (σ_max^{1/ρ} + i/(n-1)(σ_min^{1/ρ} - σ_max^{1/ρ}))^ρ,
* uniform in log-SNR λ = log(α/σ) (Lu et al. 2022, DPM-Solver, Sec. 3.3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.processes import VE, ForwardProcess


@dataclass(frozen=True)
class Grid:
    t: np.ndarray
    alpha: np.ndarray
    sigma: np.ndarray
    d_alpha: np.ndarray  # α'(t) per node, for samplers that integrate in the process's own time
    d_sigma: np.ndarray
    label: str = ""

    @property
    def n_steps(self) -> int:
        return len(self.t) - 1

    @property
    def sigma_tilde(self) -> np.ndarray:
        """σ/α per node: the noise level in the scaled (EDM) frame (inf where α = 0)."""
        with np.errstate(divide="ignore"):
            return self.sigma / self.alpha


def _data_time(process: ForwardProcess) -> float:
    return 0.0 if isinstance(process, VE) else process.t_min


def _with_data_node(process: ForwardProcess, t: np.ndarray, label: str) -> Grid:
    """Append the clean-data node unless the times already end there."""
    t = np.asarray(t, dtype=np.float64)
    alpha, sigma = process.alpha(t), process.sigma(t)
    if sigma[-1] > 0:
        t = np.append(t, _data_time(process))
        alpha, sigma = np.append(alpha, 1.0), np.append(sigma, 0.0)
    grid = Grid(t, alpha, sigma, process.d_alpha(t), process.d_sigma(t), label)
    if np.any(np.diff(grid.sigma_tilde) >= 0):
        raise ValueError("grid noise levels must strictly decrease; use fewer steps")
    return grid


def timestep_grid(process: ForwardProcess, n: int, spacing: str = "leading") -> Grid:
    """n steps evenly spaced in the process's own time.

    Discrete processes (T timesteps) follow diffusers: "leading" = (T//n)·[n-1, …, 0] (never visits
    T-1), "trailing" = round(T, T - T/n, …) - 1, "linspace" = round(linspace(T-1, 0, n)). Continuous
    processes are uniform in t from t_max down to the data end, whatever the spacing.
    """
    n = int(n)
    if n < 1:
        raise ValueError("need at least one step")
    if process.discrete:
        T = process.T
        if n > T:
            raise ValueError(f"at most {T} steps on a {T}-step process")
        if spacing == "leading":
            t = (np.arange(n) * (T // n))[::-1]
        elif spacing == "trailing":
            # [:n]: float rounding makes arange return n + 1 values (the last one ≈ 0, i.e. t = -1) for
            # 62 of the n ≤ 1000, e.g. n = 61; diffusers' own `np.arange(T, 0, -T / n)` has the same flaw
            t = np.round(np.arange(T, 0, -T / n))[:n].astype(int) - 1
        elif spacing == "linspace":
            t = np.round(np.linspace(0, T - 1, n))[::-1]
        else:
            raise ValueError(f"unknown spacing {spacing!r}; use leading, trailing or linspace")
        return _with_data_node(process, np.append(t, -1.0), f"{n} steps, {spacing} spacing")
    lo = _data_time(process)
    data_reached = process.sigma(lo) == 0
    t = np.linspace(process.t_max, lo, n + 1 if data_reached else n)
    return _with_data_node(process, t, f"{n} steps, uniform in t")


def sigma_tilde_range(process: ForwardProcess) -> tuple[float, float]:
    """(smallest positive, largest finite) σ̃ a process carries: discrete chains start at timestep 0, VE at
    σ_min; continuous processes reach σ̃ → 0 (1e-4 is used) and flow matching σ̃ → ∞ (1e4 is used)."""
    lo_t = 0.0 if process.discrete or isinstance(process, VE) else None
    lo = float(process.sigma_tilde(lo_t)) if lo_t is not None else 1e-4
    with np.errstate(divide="ignore"):
        hi = float(process.sigma_tilde(process.t_max))
    return lo, (hi if np.isfinite(hi) else 1e4)


def _clipped_range(process: ForwardProcess, sigma_min: float, sigma_max: float) -> tuple[float, float]:
    """[σ_min, σ_max] narrowed to the σ̃ the process reaches."""
    lo, hi = sigma_tilde_range(process)
    sigma_min, sigma_max = max(sigma_min, lo), min(sigma_max, hi)
    if not 0 < sigma_min < sigma_max:
        raise ValueError(f"need 0 < σ_min < σ_max within the process's range [{lo:.3g}, {hi:.3g}]")
    return sigma_min, sigma_max


def karras_grid(
    process: ForwardProcess, n: int, sigma_min: float = 0.002, sigma_max: float = 80.0, rho: float = 7.0
) -> Grid:
    """EDM eq. 5 in σ̃ = σ/α, n noise levels then σ = 0 (n steps), clipped to what the process reaches."""
    n = int(n)
    if n < 1:
        raise ValueError("need at least one step")
    if rho <= 0:
        raise ValueError("ρ must be positive")
    sigma_min, sigma_max = _clipped_range(process, sigma_min, sigma_max)
    st = karras_nodes(n, sigma_min, sigma_max, rho)
    return _with_data_node(process, process.t_from_sigma_tilde(st), f"{n} steps, Karras ρ={rho:g}")


def karras_nodes(n: int, sigma_min: float, sigma_max: float, rho: float = 7.0) -> np.ndarray:
    """EDM eq. 5: n decreasing σ̃_i = (σ_max^{1/ρ} + i/(n-1)(σ_min^{1/ρ} - σ_max^{1/ρ}))^ρ, i = 0..n-1, from
    σ_max to σ_min (k-diffusion's `get_sigmas_karras` without the appended 0)."""
    ramp = np.linspace(0, 1, n) if n > 1 else np.zeros(1)
    inv = 1.0 / rho
    return (sigma_max**inv + ramp * (sigma_min**inv - sigma_max**inv)) ** rho


def logsnr_grid(
    process: ForwardProcess, n: int, sigma_min: float | None = None, sigma_max: float | None = None
) -> Grid:
    """n noise levels uniform in λ = -log σ̃ between σ_max and σ_min (process range by default)."""
    n = int(n)
    if n < 1:
        raise ValueError("need at least one step")
    sigma_min, sigma_max = _clipped_range(
        process, 2e-3 if sigma_min is None else sigma_min, np.inf if sigma_max is None else sigma_max
    )
    st = np.exp(np.linspace(np.log(sigma_max), np.log(sigma_min), n))
    return _with_data_node(process, process.t_from_sigma_tilde(st), f"{n} steps, uniform in log-SNR")


GRIDS = {
    "leading": lambda p, n: timestep_grid(p, n, "leading"),
    "trailing": lambda p, n: timestep_grid(p, n, "trailing"),
    "linspace": lambda p, n: timestep_grid(p, n, "linspace"),
    "karras": lambda p, n: karras_grid(p, n),
    "logsnr": lambda p, n: logsnr_grid(p, n),
}
"""Grid name → builder(process, n_steps)."""


def make_grid(process: ForwardProcess, name: str, n: int) -> Grid:
    if name not in GRIDS:
        raise ValueError(f"unknown grid {name!r}; choose one of {sorted(GRIDS)}")
    return GRIDS[name](process, n)
