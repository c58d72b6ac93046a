"""The sampler race's findings: flow-matching Euler is DDIM on the same path, the orders of convergence of the
deterministic samplers as measured per trajectory, and the time grid against the solver (core/race.py)."""

from __future__ import annotations

import math

import numpy as np

from core import race as R
from core.claims import DEPENDS, FAILS, HOLDS, Claim
from core.datasets import load_preset
from core.grids import make_grid
from core.models import ExactDenoiser
from core.processes import make_process
from core.samplers.registry import run_sampler

ROUNDING = 1e-9  # |difference| of two float64 samplers that agree algebraically (measured ~1e-14 on scale 2)


# ------------------------------------------------------------------------------------------ flow = DDIM
def measure_flow() -> dict[str, float]:
    mixture = load_preset("ring8")
    v = {}
    for n in (10, 20):
        grid = make_grid(make_process("flow", mixture), "linspace", n)
        flow = run_sampler("flow_euler", ExactDenoiser(mixture), grid, 2000, 0, n_paths=1).samples
        ddim = run_sampler("ddim", ExactDenoiser(mixture), grid, 2000, 0, {"eta": 0.0}, n_paths=1).samples
        v[f"max_diff_{n}"] = float(np.abs(flow - ddim).max())
        v[f"flow_{n}"] = R.run_racer(R.RACERS["flow_euler"], "ring8", n, 0, 2000).units
        v[f"ddim_leading_{n}"] = R.run_racer(R.RACERS["ddim"], "ring8", n, 0, 2000).units
    return v


def verdict_flow(v: dict[str, float]) -> str:
    """Depends (on the grid) if Euler on the flow path is DDIM η = 0 on the same (α, σ) to rounding and beats
    DDIM on DDPM's leading grid; holds if it beats DDIM without being DDIM; fails if it does not beat it."""
    same = all(v[f"max_diff_{n}"] <= ROUNDING for n in (10, 20))
    fewer_steps = all(v[f"flow_{n}"] < 0.75 * v[f"ddim_leading_{n}"] for n in (10, 20))
    if not fewer_steps:
        return FAILS
    return DEPENDS if same else HOLDS


def summary_flow(v: dict[str, float]) -> str:
    return (
        f"Euler on the flow path and DDIM η = 0 on the same (α, σ) nodes differ by at most "
        f"{max(v['max_diff_10'], v['max_diff_20']):.1e} (ring8, 2,000 particles, 10 and 20 steps): one sampler. "
        f"Its few-step advantage is the grid: uniform t scores {v['flow_10']:.1f} / {v['flow_20']:.1f} floor units at "
        f"10 / 20 NFE, DDIM on DDPM's leading grid {v['ddim_leading_10']:.1f} / {v['ddim_leading_20']:.1f}."
    )


# ------------------------------------------------------------------------------------------ orders
ORDER_RACERS = ("ddim", "pf_euler", "edm_heun", "dpm2", "dpm3", "dpmpp_logsnr", "dpmpp_leading", "flow_euler")
ORDER_RACERS += ("flow_heun",)
ORDER_PRESETS = ("ring8", "ring8_wide")
ORDER_TOL = 0.35  # a 3-point fit near the asymptotic regime: ±0.35 of the method's order


def _fixed_start(rid: str) -> bool:
    """Grids whose first node does not move with the step count (all but DDIM's leading spacing)."""
    return R.RACERS[rid].grid != "leading"


def measure_orders() -> dict[str, float]:
    v = {}
    for preset in ORDER_PRESETS:
        for rid in ORDER_RACERS:
            out = R.path_order(R.RACERS[rid], preset)
            v[f"{preset}_{rid}"] = out["order"] if out["order"] is not None else 0.0  # 0: paths still switch
    return v


def _ok(v: dict[str, float], preset: str, rid: str) -> bool:
    return abs(v[f"{preset}_{rid}"] - R.RACERS[rid].order) <= ORDER_TOL


def verdict_orders(v: dict[str, float]) -> str:
    """Holds if every sampler converges at its order within ±0.35; depends if those on grids with a fixed
    first node do and some on DDIM's leading grid (whose start moves with n: an O(1/n) error) do not."""
    fixed = [(p, r) for p in ORDER_PRESETS for r in ORDER_RACERS if _fixed_start(r)]
    moving = [(p, r) for p in ORDER_PRESETS for r in ORDER_RACERS if not _fixed_start(r)]
    if not all(_ok(v, p, r) for p, r in fixed):
        return FAILS
    return HOLDS if all(_ok(v, p, r) for p, r in moving) else DEPENDS


def summary_orders(v: dict[str, float]) -> str:
    def row(preset):
        return ", ".join(f"{R.RACERS[r].label} {v[f'{preset}_{r}']:.2f}" for r in ORDER_RACERS)

    off = [
        f"{R.RACERS[r].label} on {p} ({v[f'{p}_{r}']:.2f}, theory {R.RACERS[r].order})"
        for p in ORDER_PRESETS
        for r in ORDER_RACERS
        if not _ok(v, p, r)
    ]
    text = f"Fitted p, ring8: {row('ring8')}. ring8_wide: {row('ring8_wide')}."
    if off:
        text += " Off by more than 0.35: " + "; ".join(off) + "."
    return text


# ------------------------------------------------------------------------------------------ grid vs solver
GRID_PRESETS = ("ring8", "ring8_wide")
GRID_NFES = (10, 20)
AT_FLOOR = 3.0  # floor units: below this a cell is exact sampling (one seed), so ratios are taken from 3
DECIDED = 0.3  # decades (a factor 2): a case where neither factor moves the error this much decides nothing


def _spread(values) -> float:
    """log10(max / min) of errors floored at AT_FLOOR: how many decades a factor moves the error."""
    values = [max(u if math.isfinite(u) else 1e4, AT_FLOOR) for u in values]
    return math.log10(max(values) / min(values))


def measure_grid() -> dict[str, float]:
    v = {}
    for preset in GRID_PRESETS:
        cells = {}
        for solver in R.GRID_SOLVERS:
            data = R.grid_factor(preset, solver, nfes=GRID_NFES)
            for g in R.GRID_NAMES:
                cells[(solver, g)] = data["grids"][g][solver]["units"]
        for i, nfe in enumerate(GRID_NFES):
            by_grid = [_spread([cells[(s, g)][i] for g in R.GRID_NAMES]) for s in R.GRID_SOLVERS]
            by_solver = [_spread([cells[(s, g)][i] for s in R.GRID_SOLVERS]) for g in R.GRID_NAMES]
            v[f"{preset}_{nfe}_grid"] = float(np.median(by_grid))
            v[f"{preset}_{nfe}_solver"] = float(np.median(by_solver))
            v[f"{preset}_{nfe}_dpmpp_grid"] = by_grid[R.GRID_SOLVERS.index("dpmpp_2m")]
            v[f"{preset}_{nfe}_ddim_grid"] = by_grid[R.GRID_SOLVERS.index("ddim")]
    return v


def _decided(v, p, n) -> bool:
    return max(v[f"{p}_{n}_grid"], v[f"{p}_{n}_solver"]) >= DECIDED


def verdict_grid(v: dict[str, float]) -> str:
    """Holds if changing the grid moves the error more than changing the solver (median spreads, in decades)
    in every case where either moves it by a factor 2 or more; fails if in none; depends otherwise."""
    cases = [v[f"{p}_{n}_grid"] > v[f"{p}_{n}_solver"] for p in GRID_PRESETS for n in GRID_NFES if _decided(v, p, n)]
    if not cases:
        return DEPENDS
    return HOLDS if all(cases) else FAILS if not any(cases) else DEPENDS


def summary_grid(v: dict[str, float]) -> str:
    parts = [
        f"{p} at {n} NFE: grid {v[f'{p}_{n}_grid']:.2f} vs solver {v[f'{p}_{n}_solver']:.2f} decades "
        f"(DPM-Solver++(2M) across grids {v[f'{p}_{n}_dpmpp_grid']:.2f}, DDIM {v[f'{p}_{n}_ddim_grid']:.2f})"
        + ("" if _decided(v, p, n) else ", nearly every cell at the floor")
        for p in GRID_PRESETS
        for n in GRID_NFES
    ]
    return (
        "Median spread of the error: "
        + "; ".join(parts)
        + ". Swapping the solver moves the error more than swapping the grid, but the grid decides whether "
        "DPM-Solver++(2M) wins; DDIM hardly cares."
    )


CLAIMS = [
    Claim(
        key="flow_euler_is_ddim",
        paper="Liu et al. 2023 (rectified flow); Lipman et al. 2023 (flow matching)",
        claim="Straight flow-matching paths sample well in fewer steps than diffusion's.",
        method="ring8 (std 0.15); Euler on the flow path (α = 1 - t, σ = t, uniform t) vs DDIM η = 0 on the same "
        "grid's (α, σ), and vs DDIM on DDPM's leading grid; 10 and 20 steps; 2,000 samples, seed 0; MMD² floor "
        "units and the largest coordinate difference.",
        measure=measure_flow,
        verdict=verdict_flow,
        summary=summary_flow,
        expected=DEPENDS,
        tab="race",
        scene="tab=race&preset=ring8&budget=10",
    ),
    Claim(
        key="race_orders",
        paper="Karras et al. 2022 (EDM), Sec. 3; Lu et al. 2022a,b (DPM-Solver, DPM-Solver++)",
        claim="Euler and DDIM are first-order, Heun, DPM-Solver-2 and DPM-Solver++(2M) second-order and "
        "DPM-Solver-3 third-order in the step size.",
        method="ring8 and ring8_wide; 200 paths per sampler from seed 0; RMS distance of each endpoint at NFE 4-200 "
        "to the same sampler's endpoint at ~2,000 NFE (1,000 steps on DDPM's timestep grids) from the same start; "
        "p fitted on the last 3 budgets ≤ a quarter of the reference's NFE, allowing for its own error, where no "
        "path ends in another mode; tolerance ±0.35.",
        measure=measure_orders,
        verdict=verdict_orders,
        summary=summary_orders,
        expected=DEPENDS,
        tab="race",
        scene="tab=race&preset=ring8&budget=50&show=deterministic&y_axis=path",
    ),
    Claim(
        key="grid_vs_solver",
        paper="Karras et al. 2022 (EDM), Sec. 3",
        claim="The time steps are a design choice separate from the solver, and choosing them well matters as "
        "much as choosing a higher-order solver.",
        method="ring8 and ring8_wide at 10 and 20 NFE; DDIM η = 0, DPM-Solver++(2M), DPM-Solver-2, DPM-Solver-3 and "
        "EDM Heun on the DDPM process's leading, trailing, linspace, Karras and log-SNR grids; 2,000 samples, "
        "seed 0; spread = log10(max/min) of MMD² floor units (floored at 3), median over solvers (grid) or grids "
        "(solver).",
        measure=measure_grid,
        verdict=verdict_grid,
        summary=summary_grid,
        expected=FAILS,
        tab="race",
        scene="tab=race&preset=ring8&budget=20&grid_solver=dpmpp_2m&show=all",
    ),
]
