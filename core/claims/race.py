"""The sampler race's findings: flow-matching Euler is DDIM on the same path, the orders of convergence of the
deterministic samplers as measured per trajectory, and whether the time grid decides between two solvers
(core/race.py)."""

from __future__ import annotations

import numpy as np

from core import race as R
from core.claims import (
    DEPENDS,
    FAILS,
    HOLDS,
    Claim,
    floor_caveat,
    floor_uncertainty,
    over_seeds,
    per_seed,
    seed_se,
    seed_spread,
    seed_verdicts,
    standard_error,
)
from core.claims._seeded import mean_se
from core.datasets import load_preset
from core.grids import make_grid
from core.models import ExactDenoiser
from core.processes import make_process
from core.samplers.registry import run_sampler

ROUNDING = 1e-9  # |difference| of two float64 samplers that agree algebraically (measured ~1e-14 on scale 2)


# ------------------------------------------------------------------------------------------ flow = DDIM
FLOW_SEEDS = tuple(range(5))  # the verdict must be the same on each seed alone (core.claims.seed_verdicts)


def _flow_one(seed: int) -> dict[str, float]:
    mixture = load_preset("ring8")
    v = {}
    for n in (10, 20):
        grid = make_grid(make_process("flow", mixture), "linspace", n)
        flow = run_sampler("flow_euler", ExactDenoiser(mixture), grid, 2000, seed, n_paths=1).samples
        ddim = run_sampler("ddim", ExactDenoiser(mixture), grid, 2000, seed, {"eta": 0.0}, n_paths=1).samples
        v[f"max_diff_{n}"] = float(np.abs(flow - ddim).max())
        v[f"flow_{n}"] = R.run_racer(R.RACERS["flow_euler"], "ring8", n, seed, 2000).units
        v[f"ddim_leading_{n}"] = R.run_racer(R.RACERS["ddim"], "ring8", n, seed, 2000).units
    return v


def measure_flow() -> dict[str, float]:
    """_flow_one over FLOW_SEEDS: each value per seed and its mean (core.claims.over_seeds)."""
    return over_seeds(_flow_one, FLOW_SEEDS)


def verdict_flow(v: dict[str, float]) -> str:
    """Depends (on the grid) if Euler on the flow path is DDIM η = 0 on the same (α, σ) to rounding and beats
    DDIM on DDPM's leading grid; holds if it beats DDIM without being DDIM; fails if it does not beat it."""
    same = all(v[f"max_diff_{n}"] <= ROUNDING for n in (10, 20))
    fewer_steps = all(v[f"flow_{n}"] < 0.75 * v[f"ddim_leading_{n}"] for n in (10, 20))
    if not fewer_steps:
        return FAILS
    return DEPENDS if same else HOLDS


def summary_flow(v: dict[str, float]) -> str:
    worst = max(v[f"max_diff_{n}_seed{s}"] for n in (10, 20) for s in FLOW_SEEDS)

    def cell(key):
        return seed_spread(v, key, FLOW_SEEDS, ".1f")

    return (
        f"Euler on the flow path and DDIM η = 0 on the same (α, σ) nodes differ by at most {worst:.1e} (ring8, "
        "2,000 particles, 10 and 20 steps, every seed): one sampler. Its few-step advantage is the grid: uniform t "
        f"scores {cell('flow_10')} / {cell('flow_20')} floor units at 10 / 20 NFE, DDIM on DDPM's leading grid "
        f"{cell('ddim_leading_10')} / {cell('ddim_leading_20')} (mean over the seeds, their range in brackets). "
        + seed_verdicts(verdict_flow, v, FLOW_SEEDS)
    )


# ------------------------------------------------------------------------------------------ orders
ORDER_RACERS = ("ddim", "pf_euler", "edm_heun", "dpm2", "dpm3", "dpmpp_logsnr", "dpmpp_leading", "flow_euler")
ORDER_RACERS += ("flow_heun",)
ORDER_PRESETS = ("ring8", "ring8_wide")
ORDER_SEEDS = tuple(range(8))  # each seed: 200 other paths; the seed-to-seed spread of p is up to ±0.2 (DPM-Solver-3)
ORDER_TOL = 0.35  # a 3-point fit near the asymptotic regime: ±0.35 of the method's order


def _orders_one(seed: int) -> dict[str, float]:
    """Fitted pathwise order p per preset and sampler for one seed's paths (a seed whose paths still switch modes
    at the fitted budgets gives no p and counts as p = 0)."""
    v = {}
    for preset in ORDER_PRESETS:
        for rid in ORDER_RACERS:
            order = R.path_order(R.RACERS[rid], preset, seed)["order"]
            v[f"{preset}_{rid}"] = order if order is not None else 0.0
    return v


def measure_orders() -> dict[str, float]:
    """_orders_one over ORDER_SEEDS: each p per seed and its mean (core.claims.over_seeds)."""
    return over_seeds(_orders_one, ORDER_SEEDS)


def _status(v: dict[str, float], preset: str, rid: str) -> str:
    """ "ok" if the seed mean of p is within ±0.35 of the order by more than 3 standard errors, "off" if it is
    outside by more than 3 standard errors, "edge" otherwise (the seeds do not decide). A seed alone
    (core.claims.one_seed) has no standard error: its p is judged by the ±0.35 line alone, "ok" or "off"."""
    k = f"{preset}_{rid}"
    excess = abs(v[k] - R.RACERS[rid].order) - ORDER_TOL
    ps = per_seed(v, k, ORDER_SEEDS)
    if ps is not None and abs(excess) <= 3 * standard_error(ps):
        return "edge"
    return "off" if excess > 0 else "ok"


def verdict_orders(v: dict[str, float]) -> str:
    """Holds if every sampler's seed-mean p is within ±0.35 of its order on both rings (by 3 standard errors);
    fails if a sampler is off on both; depends otherwise (on the sharp ring the budgets we can fit are
    pre-asymptotic, and DDIM's leading grid starts at T - T/n, an O(1/n) error of its own). On a seed alone, the
    same rule with each p against the ±0.35 line alone (`_status`)."""
    status = {(p, r): _status(v, p, r) for p in ORDER_PRESETS for r in ORDER_RACERS}
    if all(s == "ok" for s in status.values()):
        return HOLDS
    both = [r for r in ORDER_RACERS if all(status[(p, r)] == "off" for p in ORDER_PRESETS)]
    return FAILS if both else DEPENDS


def summary_orders(v: dict[str, float]) -> str:
    def cell(p, r):
        return f"{R.RACERS[r].label} {mean_se(v, f'{p}_{r}', ORDER_SEEDS, '.2f')}"

    rows = " · ".join(f"{p}: " + ", ".join(cell(p, r) for r in ORDER_RACERS) for p in ORDER_PRESETS)
    text = f"Fitted p, mean ± standard error (lowest to highest seed) over seeds 0-{ORDER_SEEDS[-1]}: {rows}."
    for status, label in (("off", "Off by more than 0.35"), ("edge", "At the ±0.35 edge, within 3 standard errors")):
        cells = [
            f"{R.RACERS[r].label} on {p} (theory {R.RACERS[r].order})"
            for p in ORDER_PRESETS
            for r in ORDER_RACERS
            if _status(v, p, r) == status
        ]
        if cells:
            text += f" {label}: " + "; ".join(cells) + "."
    return text + " " + seed_verdicts(verdict_orders, v, ORDER_SEEDS)


# ------------------------------------------------------------------------------------------ the grid decides
RANK_PRESETS = ("ring8", "ring8_wide")
RANK_NFES = (10, 20)
RANK_SEEDS = tuple(range(8))  # paired runs (same start noise); the difference's SE is 0.1-2.5 floor units
RANK_MARGIN = 2.0  # floor units: a difference smaller than this is within exact sampling's scatter
RANK_SE = 3.0  # ... and it must also exceed 3 standard errors of the seed mean
SOLVERS = ("dpmpp_2m", "ddim")


def _grid_one(seed: int) -> dict[str, float]:
    """Per preset, NFE and grid, for one seed: DPM-Solver++(2M)'s and DDIM η = 0's MMD² (floor units) from the
    same start noise, and the first minus the second."""
    v = {}
    for preset in RANK_PRESETS:
        for nfe in RANK_NFES:
            for g in R.GRID_NAMES:
                units = {s: R.run_racer(R.grid_racer(s, g), preset, nfe, seed, 2000).units for s in SOLVERS}
                key = f"{preset}_{nfe}_{g}"
                v[f"{key}_dpmpp"], v[f"{key}_ddim"] = units["dpmpp_2m"], units["ddim"]
                v[f"{key}_diff"] = units["dpmpp_2m"] - units["ddim"]
    return v


def measure_grid() -> dict[str, float]:
    """_grid_one over RANK_SEEDS: each value per seed and its mean (core.claims.over_seeds; the differences are
    paired by seed), and the floor's own uncertainty."""
    return {**over_seeds(_grid_one, RANK_SEEDS), **floor_uncertainty(*((p, 2000) for p in RANK_PRESETS))}


def _sign(v: dict[str, float], key: str) -> int:
    """+1 if DPM-Solver++(2M) is worse than DDIM on this cell beyond noise, -1 if better, 0 if undecided: on the
    seed mean, beyond RANK_MARGIN units and RANK_SE standard errors of the paired differences; a seed alone
    (core.claims.one_seed) has no standard error and is judged by the RANK_MARGIN line alone."""
    d = v[f"{key}_diff"]
    return int(np.sign(d)) if abs(d) > max(RANK_MARGIN, RANK_SE * seed_se(v, f"{key}_diff", RANK_SEEDS)) else 0


def _grid_decides(v: dict[str, float], preset: str, nfe: int) -> bool:
    signs = {_sign(v, f"{preset}_{nfe}_{g}") for g in R.GRID_NAMES}
    return {-1, 1} <= signs


def verdict_grid(v: dict[str, float]) -> str:
    """Holds if in every case (preset, NFE) DPM-Solver++(2M) beats DDIM η = 0 on one grid and loses to it on
    another (each by more than 2 floor units and 3 standard errors); fails if in none; depends otherwise. On a
    seed alone, the same rule with each difference against the 2-unit line alone (`_sign`)."""
    cases = [_grid_decides(v, p, n) for p in RANK_PRESETS for n in RANK_NFES]
    return HOLDS if all(cases) else (FAILS if not any(cases) else DEPENDS)


def _case(v: dict[str, float], preset: str, nfe: int) -> str:
    def cell(g):
        key = f"{preset}_{nfe}_{g}_diff"
        diffs = per_seed(v, key, RANK_SEEDS)
        return f"{g} {v[key]:+.1f} ± {standard_error(diffs):.1f} ({min(diffs):+.1f} to {max(diffs):+.1f})"

    cells = ", ".join(cell(g) for g in R.GRID_NAMES)
    by = {s: [g for g in R.GRID_NAMES if _sign(v, f"{preset}_{nfe}_{g}") == s] for s in (-1, 1, 0)}
    wins = [f"2M wins on {', '.join(by[-1])}" if by[-1] else "", f"DDIM on {', '.join(by[1])}" if by[1] else ""]
    wins.append(f"tie on {', '.join(by[0])}" if by[0] else "")
    verdict = "the grid decides" if _grid_decides(v, preset, nfe) else "no grid reverses the order"
    return f"{preset} at {nfe} NFE: {cells} → {'; '.join(w for w in wins if w)} ({verdict})"


def summary_grid(v: dict[str, float]) -> str:
    return (
        f"DPM-Solver++(2M) minus DDIM η = 0, MMD² floor units, mean ± standard error (lowest to highest seed) over "
        f"seeds 0-{RANK_SEEDS[-1]}: "
        + " · ".join(_case(v, p, n) for p in RANK_PRESETS for n in RANK_NFES)
        + f". A difference counts beyond {RANK_MARGIN:g} units and {RANK_SE:g} standard errors ({floor_caveat(v)}). "
        + seed_verdicts(verdict_grid, v, RANK_SEEDS)
    )


def grid_cases(v: dict[str, float]) -> str:
    """Where the grid decides, in words, for the Race notes: "on ring8 at 10 and 20 NFE, on ring8_wide at
    neither" (read from the numbers, so the notes cannot say more than the claim measured)."""
    cases = []
    for preset in RANK_PRESETS:
        decided = [str(n) for n in RANK_NFES if _grid_decides(v, preset, n)]
        cases.append(f"on {preset} at {' and '.join(decided)} NFE" if decided else f"on {preset} at neither budget")
    return ", ".join(cases)


def grid_scene_title() -> str:
    """The title of the Race tab's scene of this claim (demos/race.py SCENES, core/syllabus.py)."""
    return "The grid decides whether DPM-Solver++(2M) beats DDIM"


CLAIMS = [
    Claim(
        key="flow_euler_is_ddim",
        paper="Liu et al. 2023 (rectified flow); Lipman et al. 2023 (flow matching)",
        claim="Straight flow-matching paths sample well in fewer steps than diffusion's.",
        method="ring8 (std 0.15); Euler on the flow path (α = 1 - t, σ = t, uniform t) vs DDIM η = 0 on the same "
        "grid's (α, σ), and vs DDIM on DDPM's leading grid; 10 and 20 steps; 2,000 samples, seeds "
        f"{FLOW_SEEDS[0]}-{FLOW_SEEDS[-1]} (verdict on the means, and on each seed alone); MMD² floor units and "
        "the largest coordinate difference.",
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
        method="ring8 and ring8_wide; 200 paths per sampler and seed, seeds 0-7; RMS distance of each endpoint at "
        "NFE 4-200 to the same sampler's endpoint at ~2,000 NFE (1,000 steps on DDPM's timestep grids) from the "
        "same start; p fitted on the last 3 budgets ≤ a quarter of the reference's NFE, allowing for its own "
        "error, where no path ends in another mode; tolerance ±0.35 on the mean over seeds (beyond 3 standard errors), "
        "and on each seed alone.",
        measure=measure_orders,
        verdict=verdict_orders,
        summary=summary_orders,
        expected=DEPENDS,
        tab="race",
        scene="tab=race&preset=ring8&budget=50&show=deterministic&y_axis=path",
    ),
    Claim(
        key="grid_vs_solver",
        paper="Karras et al. 2022 (EDM), Sec. 3 and Table 1 (the time steps); the comparison is this app's own",
        claim="EDM lists the time steps t_i as a design choice of their own, separate from the ODE solver, and "
        "places them densely at low noise (ρ = 7) because errors near σ_min have a large impact. EDM makes no claim "
        "about which factor matters more; the app's own observation: at 10-20 NFE the grid alone can decide "
        "whether the second-order DPM-Solver++(2M) beats first-order DDIM η = 0.",
        method="ring8 (std 0.15) and ring8_wide (std 1.0) at 10 and 20 NFE; DPM-Solver++(2M) and DDIM η = 0 on the "
        "DDPM process's leading, trailing, linspace, Karras and log-SNR grids; 2,000 samples, seeds 0-7 paired "
        "(same start noise); MMD² in floor units. A solver wins a cell if the seed-mean difference exceeds "
        "2 floor units and 3 standard errors (on a seed alone, 2 units); the grid decides a case if 2M wins on one "
        "grid and DDIM on another; verdict on the means, and on each seed alone.",
        measure=measure_grid,
        verdict=verdict_grid,
        summary=summary_grid,
        expected=DEPENDS,
        tab="race",
        scene="tab=race&preset=ring8&budget=20&grid_solver=dpmpp_2m&show=all",
    ),
]
