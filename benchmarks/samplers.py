"""Accuracy against the exact target vs number of function evaluations (NFE), for every sampler.

    python -m benchmarks.samplers                      # ring8 (sharp) and ring8_wide (smooth), a few minutes
    python -m benchmarks.samplers --presets grid25 --nfe 10 50 --no-diffusers

Each cell is the unbiased MMD² between 2,000 samples and the exact mixture, in units of its noise floor:
(value - mean over exact sample sets) / spread over exact sample sets (`core.metrics.data_noise_floor`).
Exact samples give |units| ≲ 2 (the largest of 200 exact sets is about 4), so a cell under ~3 cannot be
told apart from exact sampling. One seed per cell: ±1–2 units is noise.

A sampler that spends k evaluations per step gets the most steps whose NFE fits the column (EDM/flow Heun
and DPM-Solver-2 use 2n - 1, DPM-Solver-3 3n - 2, predictor-corrector 2n, annealed Langevin 10 levels × T);
the NFE actually spent is shown in brackets when it differs. The rows are the race's racers (`core.race`),
whose NFE counts and budgets are the registry's. diffusers rows drive the real schedulers
(`core.samplers.diffusers_rows`) on their own timesteps, at each scheduler's own default timestep spacing
("linspace" but for DDPM, DDIM and PNDM), with our exact model inside.

Then: the order of convergence of each deterministic sampler, measured per trajectory against a
tight-tolerance (DOP853, 1e-12) solution of the same probability-flow ODE from the same start; the wall
time per run; and the ratio of our loop's wall time to diffusers' loop for the same sampler, once with the
exact mixture denoiser and once with a free one (N(0, I) data, x̂₀ = αx/(α²+σ²)), which isolates the
loops' own overhead. The helpers here (`mmd_units`, `trajectory_errors`, `fitted_order`) are the ones
the tests in tests/core use, so the table and the tests measure the same thing.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from core import race
from core.datasets import PRESETS, load_preset
from core.evaluate import N_POINTS, mmd_units
from core.grids import Grid, make_grid
from core.metrics import data_noise_floor
from core.mixture import GaussianMixture
from core.models import ExactDenoiser, Marginal
from core.processes import make_process
from core.race import Racer
from core.samplers.registry import run_sampler

NFE_COLUMNS = (5, 10, 20, 50, 100, 1000)
DEFAULT_PRESETS = ("ring8", "ring8_wide")
WITHIN_FLOOR = 4.0
"""A single 2,000-point run at most this many floor units above exact sampling counts as exact: the
largest of 200 exact sample sets was 3.5–4.0 units on ring8, ring8_wide, grid25 and pinwheel."""


# ---------------------------------------------------------------------------- table rows
OUR_ROWS = [r for r in race.RACERS.values() if not r.diffusers]
"""The race's racers: a registry sampler with its process, grid and parameters; NFE per run, budget and order
come from the registry (`core.samplers.spec.SamplerSpec`), and a new registry entry gets a row by itself."""
DIFFUSERS_ROWS = [r for r in race.RACERS.values() if r.diffusers]
"""diffusers rows at each scheduler's own default timestep spacing, as in the race."""


@dataclass
class Cell:
    units: float
    nfe: int
    seconds: float
    error: str = ""  # why the run failed, if it did


def run_cell(row: Racer, preset: str, nfe: int, seed: int = 0) -> Cell | None:
    """One row at a budget of `nfe`: MMD² in noise-floor units, the NFE spent and the wall time."""
    config = row.configure(nfe, load_preset(preset))
    if config is None or race.refusal(row, preset) is not None:  # over budget, or no such sampler for these data
        return None
    steps, params = config
    try:
        units, result = mmd_units(row.sampler, preset, row.process, row.grid, steps, params, seed)
    except Exception as exc:  # a scheduler that breaks at this size is a finding, not a reason to stop
        return Cell(float("nan"), 0, float("nan"), f"{type(exc).__name__}: {exc}")
    return Cell(units, result.nfe, result.seconds)


# ---------------------------------------------------------------------------- order of convergence
ORDER_CASES = [
    Racer("ddim", "DDIM η=0", "ddim", "edm", "karras"),
    Racer("pf_euler", "PF-ODE Euler", "pf_euler", "edm", "karras"),
    Racer("edm_heun", "EDM Heun", "edm_heun", "edm", "karras"),
    Racer("dpm_solver_2", "DPM-Solver-2", "dpm_solver_2", "edm", "karras"),
    Racer("dpm_solver_3", "DPM-Solver-3", "dpm_solver_3", "edm", "karras"),
    Racer("dpmpp_2m", "DPM-Solver++(2M)", "dpmpp_2m", "edm", "karras"),
    Racer("flow_euler", "Flow matching Euler", "flow_euler", "flow", "linspace"),
    Racer("flow_heun", "Flow matching Heun", "flow_heun", "flow", "linspace"),
]
"""Deterministic samplers on one process and grid each; the theoretical order is the registry's (`.order`)."""
ORDER_STEPS = (40, 80, 160, 320)


def reference_solution(mixture: GaussianMixture, process, grid: Grid, x_start: np.ndarray, at_end: bool):
    """The PF-ODE solved by DOP853 at rtol = atol = 1e-12 from `x_start` at the grid's first node.

    Scaled-frame grids (Karras, log-SNR) all end at the same σ̃_min and then jump to σ = 0 in one step
    whose size does not shrink with n, so they are compared at σ̃_min (`at_end=False`), integrating
    dx̃/dσ̃ = -σ̃ ∇log p(x̃; σ̃). Flow-matching grids are compared at t = 0, integrating dx/dt = v(x, t)
    (regular at both ends of [0, 1])."""
    n = len(x_start)
    if at_end:
        marginal = Marginal(process, ExactDenoiser(mixture))

        def drift(t, y):
            return marginal.velocity(y.reshape(n, 2), t).ravel()

        span, y0 = (grid.t[0], grid.t[-1]), x_start
    else:

        def drift(s, y):
            return (-s * mixture.diffused(1.0, s).score(y.reshape(n, 2))).ravel()

        st = grid.sigma_tilde
        span, y0 = (st[0], st[-2]), x_start / grid.alpha[0]
    sol = solve_ivp(drift, span, y0.ravel(), method="DOP853", rtol=1e-12, atol=1e-12)
    if not sol.success:
        raise RuntimeError(sol.message)
    return sol.y[:, -1].reshape(n, 2)


def trajectory_errors(case: Racer, preset: str, steps=ORDER_STEPS, n_particles: int = 64, seed: int = 0):
    """RMS distance, over particles, between each sampler path and the reference ODE solution."""
    mixture = load_preset(preset)
    process = make_process(case.process, mixture)
    at_end = case.process == "flow"
    errors = []
    for n in steps:
        grid = make_grid(process, case.grid, n)
        result = run_sampler(
            case.sampler, ExactDenoiser(mixture), grid, n_particles, seed, case.params, n_paths=n_particles
        )
        ref = reference_solution(mixture, process, grid, result.path[0], at_end)
        got = result.samples if at_end else result.path[-2] / grid.alpha[-2]
        errors.append(float(np.sqrt(((got - ref) ** 2).sum(1).mean())))
    return np.array(errors)


def fitted_order(steps, errors) -> float:
    """p in error ∝ n^-p, by least squares on log-log."""
    return float(-np.polyfit(np.log(steps), np.log(errors), 1)[0])


# ---------------------------------------------------------------------------- printing
def _fmt(cell: Cell | None, nominal: int) -> str:
    if cell is None:
        return "–"
    if cell.error:
        return "fails"
    text = "nan" if not np.isfinite(cell.units) else f"{cell.units:.1f}"
    return text if cell.nfe == nominal else f"{text} ({cell.nfe})"


def _print_table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")

    def line(cells):
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    print(line(header))
    print("-" * len(line(header)))
    for r in rows:
        print(line(r))


def accuracy_tables(presets, nfes, rows, seed=0):
    """Print one accuracy-vs-NFE table per preset, and return the runs of the first preset."""
    first = {}
    for preset in presets:
        floor = data_noise_floor(preset, "mmd2", N_POINTS)
        body, failures = [], []
        for row in rows:
            cells = [run_cell(row, preset, nfe, seed) for nfe in nfes]
            body.append([row.label, *(_fmt(c, nfe) for c, nfe in zip(cells, nfes, strict=True))])
            failures += [
                f"  {row.label}, NFE {k}: {c.error}" for c, k in zip(cells, nfes, strict=True) if c and c.error
            ]
            if preset == presets[0]:
                first[row.label] = cells
        title = (
            f"{PRESETS[preset].title} [{preset}], N = {N_POINTS}: MMD² in noise-floor units "
            f"(exact samples: mean {floor.mean:.2e}, sd {floor.sd:.2e} over {floor.repeats} sets; "
            f"≤ {WITHIN_FLOOR:g} = within the floor)"
        )
        _print_table(title, ["sampler", *(f"NFE {n}" for n in nfes)], body)
        if failures:
            print("failed runs:", *failures, sep="\n")
    return first


def wall_time_table(runs, nfes, preset):
    body = [
        [label, *("–" if c is None or c.error else f"{c.seconds:.3f}" for c in cells)] for label, cells in runs.items()
    ]
    _print_table(
        f"Wall time per run, seconds ({PRESETS[preset].title}, N = {N_POINTS}, exact denoiser)",
        ["sampler", *(f"NFE {n}" for n in nfes)],
        body,
    )


def adaptive_table(presets, tolerances=(1e-2, 1e-3, 1e-4, 1e-5, 1e-6), seed=0):
    """The adaptive PF-ODE solver is steered by its tolerance, not its NFE."""
    body = []
    for tol in tolerances:
        cells = []
        for preset in presets:
            units, result = mmd_units("pf_adaptive", preset, "edm", "karras", 10, {"rtol": tol, "atol": tol}, seed)
            cells.append(f"{units:.1f} (NFE {result.nfe}, {result.seconds:.2f} s)")
        body.append([f"RK45 rtol=atol={tol:g}", *cells])
    _print_table(
        "PF-ODE, adaptive solve_ivp from σ̃ = 80 to 0 (one step size for the batch): MMD² units (NFE, wall time)",
        ["solver", *presets],
        body,
    )


def order_table(presets=("ring8", "ring8_wide", "grid25"), steps=ORDER_STEPS):
    body = []
    for case in ORDER_CASES:
        cells = [case.label, f"{case.process}/{case.grid}", str(case.order)]
        for preset in presets:
            errors = trajectory_errors(case, preset, steps)
            cells.append(f"{fitted_order(steps, errors):.2f}  ({errors[0]:.1e} → {errors[-1]:.1e})")
        body.append(cells)
    _print_table(
        f"Order of convergence per trajectory (64 paths, n = {', '.join(map(str, steps))} steps) against DOP853 at "
        "1e-12: fitted p in error ∝ n^-p (RMS error at the first → last n)",
        ["sampler", "process/grid", "theory", *presets],
        body,
    )


class FreeDenoiser:
    """x̂₀ for N(0, I) data: costs nothing, so a run's time is the sampler loop's own overhead."""

    def denoise(self, x, alpha, sigma):
        return alpha * x / (alpha**2 + sigma**2)


TIMING_PAIRS = [
    (Racer("ddpm", "DDPM σ²=β̃", "ddpm"), Racer("d_ddpm", "diffusers DDPM", "diffusers:DDPM")),
    (Racer("ddim", "DDIM η=0", "ddim"), Racer("d_ddim", "diffusers DDIM η=0", "diffusers:DDIM")),
    (
        Racer("ddim_eta1", "DDIM η=1", "ddim", params={"eta": 1.0}),
        Racer("d_ddim_eta1", "diffusers DDIM η=1", "diffusers:DDIM", params={"eta": 1.0}),
    ),
    (
        Racer("dpmpp", "DPM-Solver++(2M)", "dpmpp_2m"),
        Racer("d_dpmpp", "diffusers DPM++(2M)", "diffusers:DPMSolverMultistep"),
    ),
    (Racer("pf_euler", "PF-ODE Euler", "pf_euler"), Racer("d_euler", "diffusers Euler", "diffusers:EulerDiscrete")),
    (Racer("edm_heun", "EDM Heun", "edm_heun"), Racer("d_heun", "diffusers Heun", "diffusers:HeunDiscrete")),
]
"""Our loop and diffusers' loop for the same method, both at the registry's default spacing ("leading"), on
the DDPM process."""


def _median_seconds(row: Racer, preset: str, nfe: int, model, repeats: int) -> float:
    mixture = load_preset(preset)
    steps, params = row.configure(nfe, mixture)
    grid = make_grid(make_process(row.process, mixture), row.grid, steps)
    model = model or ExactDenoiser(mixture)
    return float(
        np.median([run_sampler(row.sampler, model, grid, N_POINTS, s, params).seconds for s in range(repeats)])
    )


def timing_ratio_table(preset, nfes=(20, 500), repeats=3):
    body = []
    for ours, theirs in TIMING_PAIRS:
        cells = [f"{ours.label} / {theirs.label}"]
        for nfe in nfes:
            for model in (None, FreeDenoiser()):
                a = _median_seconds(ours, preset, nfe, model, repeats)
                b = _median_seconds(theirs, preset, nfe, model, repeats)
                cells.append(f"{a:.3f} / {b:.3f} = {a / b:.2f}")
        body.append(cells)
    header = ["ours / diffusers, same NFE"]
    for nfe in nfes:
        header += [f"NFE {nfe}, exact model (s)", f"NFE {nfe}, free model (s)"]
    _print_table(
        f"Wall time, our loop / diffusers' loop ({PRESETS[preset].title}, N = {N_POINTS}, median of {repeats} runs)",
        header,
        body,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=list(DEFAULT_PRESETS), choices=sorted(PRESETS))
    parser.add_argument("--nfe", nargs="+", type=int, default=list(NFE_COLUMNS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-diffusers", action="store_true", help="skip the diffusers rows and the timing ratios")
    args = parser.parse_args(argv)

    if not args.no_diffusers:
        import diffusers

        diffusers.utils.logging.set_verbosity_error()  # DPMSolverSinglestep warns on every odd step count
    start = time.perf_counter()
    rows = OUR_ROWS + ([] if args.no_diffusers else DIFFUSERS_ROWS)
    runs = accuracy_tables(args.presets, args.nfe, rows, args.seed)
    adaptive_table(args.presets, seed=args.seed)
    order_table()
    wall_time_table(runs, args.nfe, args.presets[0])
    if not args.no_diffusers:
        timing_ratio_table(args.presets[0])
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
