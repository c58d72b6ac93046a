"""The sampler race: every registered sampler, ours and the diffusers rows, at one budget of model
evaluations (NFE), from the same initial noise, scored against the exact target.

* `race(spec, budget)`: each racer takes the most steps whose NFE fits the budget, by its registry entry's
  `nfe` (Heun and DPM-Solver-2 spend 2n - 1 evaluations, DPM-Solver-3 3n - 2, predictor-corrector 2n,
  annealed Langevin 10 levels × T, a diffusers row one call per timestep of its scheduler) and reports the
  NFE it really spent.
* `curves(spec)`: error vs NFE for every racer at `CURVE_NFES`, with wall times, and for the deterministic
  ones a trajectory-level error against the same sampler at a high NFE (`ref_nfe`) from the same start,
  from which the order of convergence p (error ∝ NFE^-p) is fitted where the paths have stopped switching
  modes (every particle within half the narrowest component's std of its reference endpoint).
* `grid_factor(spec, solver)`: one solver, and DDIM η = 0 beside it, on the five time grids of the DDPM
  process (leading, trailing, linspace, Karras, log-SNR).

Every sampler starts from x_T = σ_T z with the same z (the registry's `initial_noise` with one seed), so
the same seed gives the reverse tab's run. diffusers rows run on the DDPM (linear β) process their
schedulers were built for, on their own timesteps. The error is the unbiased MMD² against the exact
mixture in units of its noise floor (`core.metrics.data_noise_floor`): |units| ≲ 2 is exact sampling.

`python -m core.race --write` recomputes the shipped curves (`assets/race_curves.json`: every preset at
the default seed and particle count), so the tab paints without computing.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from core.dataspec import canonical, data_bandwidth, load_data
from core.grids import make_grid
from core.metrics import data_noise_floor, mmd2
from core.mixture import GaussianMixture
from core.models import ExactDenoiser
from core.processes import make_process
from core.samplers.registry import SAMPLERS, get_sampler, run_sampler
from core.samplers.spec import SamplerSpec

SHIPPED = Path(__file__).resolve().parents[1] / "assets" / "race_curves.json"
DEFAULT_SEED = 0
DEFAULT_PARTICLES = 2000
CURVE_NFES = (4, 6, 10, 20, 30, 50, 100, 200)
GRID_NFES = (6, 10, 20, 50, 100)
GRID_NAMES = ("leading", "trailing", "linspace", "karras", "logsnr")
GRID_SOLVERS = ("dpmpp_2m", "ddim", "dpm_solver_2", "dpm_solver_3", "edm_heun")  # PF-ODE Euler = DDIM on any grid
N_PATHS = 200  # particles whose endpoints are compared with the reference run for the order
REF_NFE = 2000  # about this many evaluations for the reference run of a deterministic racer
REF_STEPS_DISCRETE = 1000  # timestep grids of the DDPM chain stop at every timestep
REF_STEPS_DIFFUSERS = 500  # diffusers' multistep schedulers fail at 1000 "leading" steps
FIT_FRACTION = 4  # the order is fitted on NFE ≤ ref NFE / 4
FIT_POINTS = 3  # on the last this many of them where no path switches modes
SETTLED = 0.5  # a path "switched modes" if it ends in another component, this many narrowest stds away
REFERENCE_LABEL = "DDPM ancestral, 1000 steps"


# ---------------------------------------------------------------------------- racers
@dataclass(frozen=True)
class Racer:
    """One entry of the race: a registry sampler with its process, grid and parameters. Its facts (NFE per
    run, how a budget is spent, order, kind) are the registry's (`SamplerSpec`); `data_params(mixture)` gives
    parameters that depend on the data (plain Langevin's step)."""

    id: str
    label: str
    sampler: str
    process: str = "ddpm"
    grid: str = "leading"
    params: dict = field(default_factory=dict)
    data_params: Callable[[GaussianMixture], dict] | None = None

    @property
    def spec(self) -> SamplerSpec:
        return get_sampler(self.sampler)

    @property
    def diffusers(self) -> bool:
        return self.spec.diffusers

    @property
    def family(self) -> str:
        return "diffusers" if self.diffusers else "ours"

    @property
    def order(self) -> int | None:
        """The method's theoretical order if this racer is deterministic (None: stochastic)."""
        return self.spec.order_with(self.params)

    def min_nfe(self) -> int:
        return next(n for n in range(1, 1001) if self.configure(n, None) is not None)

    def configure(self, nfe: int, mixture: GaussianMixture | None) -> tuple[int, dict] | None:
        """(steps, params) for a budget of `nfe` evaluations; None if the racer cannot run within it."""
        params = dict(self.params)
        if self.data_params is not None and mixture is not None:
            params.update(self.data_params(mixture))
        return self.spec.fit_budget(nfe, params)

    @property
    def spacing(self) -> str | None:
        if not any(p.name == "spacing" for p in self.spec.params):
            return None
        return self.spec.validate(self.params)["spacing"]


def langevin_step(mixture: GaussianMixture) -> float:
    """ε = σ_min²/5 (σ_min² the smallest component variance): unadjusted Langevin diverges inside a
    component once ε > 4σ², and NCSN's ε = 0.1 is for components of std 1."""
    return mixture.min_variance / 5


def _langevin(mixture: GaussianMixture) -> dict:
    return {"step_size": langevin_step(mixture)}


OURS = [
    Racer("ddpm", "DDPM ancestral, σ²=β̃", "ddpm", params={"variance": "beta_tilde"}),
    Racer("ddpm_beta", "DDPM ancestral, σ²=β", "ddpm", params={"variance": "beta"}),
    Racer("ddim", "DDIM η=0", "ddim", params={"eta": 0.0}),
    Racer("ddim_eta05", "DDIM η=0.5", "ddim", params={"eta": 0.5}),
    Racer("ddim_eta1", "DDIM η=1", "ddim", params={"eta": 1.0}),
    Racer("ddim_sigma_hat", "DDIM σ̂", "ddim", params={"sigma_hat": True}),
    Racer("em_vp", "Euler–Maruyama (VP, uniform t)", "euler_maruyama", "vp", "linspace"),
    Racer("em_ddpm", "Euler–Maruyama (DDPM leading)", "euler_maruyama"),
    Racer("pc", "Predictor–corrector (VE, snr 0.16)", "pc", "ve", "logsnr", {"snr": 0.16}),
    Racer("pf_euler", "PF-ODE Euler (Karras)", "pf_euler", "edm", "karras"),
    Racer("edm_heun", "EDM Heun (Karras ρ=7)", "edm_heun", "edm", "karras"),
    Racer(
        "edm_churn",
        "EDM Heun + churn 40",
        "edm_heun",
        "edm",
        "karras",
        {"s_churn": 40.0, "s_tmin": 0.05, "s_tmax": 50.0, "s_noise": 1.003},
    ),
    Racer("dpm2", "DPM-Solver-2 (log-SNR)", "dpm_solver_2", "ddpm", "logsnr"),
    Racer("dpm3", "DPM-Solver-3 (log-SNR)", "dpm_solver_3", "ddpm", "logsnr"),
    Racer("dpmpp_leading", "DPM-Solver++(2M) (leading)", "dpmpp_2m"),
    Racer("dpmpp_logsnr", "DPM-Solver++(2M) (log-SNR)", "dpmpp_2m", "ddpm", "logsnr"),
    Racer("flow_euler", "Flow matching Euler (uniform t)", "flow_euler", "flow", "linspace"),
    Racer("flow_heun", "Flow matching Heun (uniform t)", "flow_heun", "flow", "linspace"),
    Racer("annealed", "NCSN annealed Langevin (10 levels)", "annealed_langevin", "ve", "logsnr"),
    Racer("langevin", "Plain Langevin (ε=σ_min²/5)", "langevin", "ve", "logsnr", data_params=_langevin),
]
LINSPACE = {"spacing": "linspace"}  # the class default of every diffusers scheduler below but DDPM, DDIM, PNDM
DIFFUSERS = [
    Racer("d_ddpm", "diffusers DDPM", "diffusers:DDPM", params={"spacing": "leading"}),
    Racer("d_ddim", "diffusers DDIM η=0", "diffusers:DDIM", params={"eta": 0.0, "spacing": "leading"}),
    Racer("d_ddim_eta1", "diffusers DDIM η=1", "diffusers:DDIM", params={"eta": 1.0, "spacing": "leading"}),
    Racer("d_dpmpp", "diffusers DPM-Solver++(2M)", "diffusers:DPMSolverMultistep", params=LINSPACE),
    Racer("d_dpmpp_single", "diffusers DPM-Solver++ single-step", "diffusers:DPMSolverSinglestep"),
    Racer("d_unipc", "diffusers UniPC", "diffusers:UniPCMultistep", params=LINSPACE),
    Racer("d_deis", "diffusers DEIS", "diffusers:DEISMultistep", params=LINSPACE),
    Racer("d_pndm", "diffusers PNDM", "diffusers:PNDM", params={"spacing": "leading"}),
    Racer("d_euler", "diffusers Euler", "diffusers:EulerDiscrete", params=LINSPACE),
    Racer("d_euler_a", "diffusers Euler ancestral", "diffusers:EulerAncestralDiscrete", params=LINSPACE),
    Racer("d_heun", "diffusers Heun", "diffusers:HeunDiscrete", params=LINSPACE),
    Racer("d_lms", "diffusers LMS", "diffusers:LMSDiscrete", params=LINSPACE),
]
"""diffusers rows with each scheduler's own default timestep spacing (what a diffusers user gets)."""


def registry_racers(raced) -> list[Racer]:
    """A racer at its registry defaults (process, grid, parameters) for every registered sampler that none of
    `raced` runs, so that a new registry entry races without an edit here. Adaptive solvers (their NFE follows
    a tolerance) and oracle samplers (they use the exact mixture beyond x̂₀) do not race."""
    taken = {r.sampler for r in raced}
    return [
        Racer(key, spec.title, key, spec.default_process, spec.default_grid)
        for key, spec in SAMPLERS.items()
        if key not in taken and spec.nfe is not None and not spec.oracle
    ]


RACERS = {r.id: r for r in [*OURS, *DIFFUSERS, *registry_racers([*OURS, *DIFFUSERS])]}
REFERENCE = Racer("reference", REFERENCE_LABEL, "ddpm", params={"variance": "beta_tilde"})


def diffusers_timesteps(sampler: str, spacing: str | None, steps: int) -> tuple[float, ...] | None:
    """The timesteps (one model call each) of a diffusers row set up for `steps` steps (None: refused)."""
    from core.samplers.diffusers_rows import timesteps

    return timesteps(get_sampler(sampler).fixed["scheduler_class"], spacing, steps)


def _diffusers_quiet() -> None:
    import diffusers

    diffusers.utils.logging.set_verbosity_error()  # DPMSolverSinglestep warns on every odd step count


# ---------------------------------------------------------------------------- describing a run's grid
def _short(values, fmt) -> str:
    v = list(values)
    if len(v) <= 4:
        return ", ".join(fmt(x) for x in v)
    return f"{fmt(v[0])}, {fmt(v[1])}, {fmt(v[2])}, …, {fmt(v[-1])}"


def grid_text(racer: Racer, steps: int, mixture: GaussianMixture | None = None) -> str:
    """The grid a racer really used at `steps` steps, in words and first nodes (diffusers: its own)."""
    if racer.diffusers:
        ts = diffusers_timesteps(racer.sampler, racer.spacing, steps) or ()
        spacing = f"{racer.spacing} spacing" if racer.spacing else "timesteps"
        return f"DDPM linear β · diffusers' own {spacing} · t = {_short(ts, lambda t: f'{t:.0f}')}"
    if racer.spec.own_schedule:
        return f"its {racer.spec.own_schedule}, N = {steps}"
    if racer.spec.grid_role == "levels":
        return f"{racer.process.upper()} · {steps} noise levels, log-spaced"
    if racer.spec.grid_role == "floor":
        return "data score only (no noise levels)"
    proc = make_process(racer.process, mixture)
    grid = make_grid(proc, racer.grid, steps)
    if proc.discrete and racer.grid in ("leading", "trailing", "linspace"):
        nodes = f"t = {_short(grid.t[:-1], lambda t: f'{t:.0f}')}"
    elif racer.process == "flow":
        nodes = f"t = {_short(grid.t, lambda t: f'{t:.2g}')}"
    else:
        nodes = f"σ̃ = {_short(grid.sigma_tilde, lambda s: f'{s:.3g}')}"
    return f"{racer.process.upper()} · {racer.grid} · {nodes}"


# ---------------------------------------------------------------------------- one run
@dataclass
class Run:
    racer: str  # Racer.id
    steps: int
    nfe: int  # evaluations really spent
    units: float  # MMD² in noise-floor units (nan: diverged)
    mmd2: float
    seconds: float  # the sampler loop's wall time
    samples: np.ndarray  # (N, 2)


_REFUSALS: dict[tuple[str, str, str], str | None] = {}


def refusal(racer: Racer, spec: str) -> str | None:
    """Why `racer` cannot run on data `spec` at any budget, in its sampler's own words (the ValueError the Reverse
    tab shows, e.g. no distilled student is shipped for these data), from a one-particle run at its fewest
    steps; None if it runs. Cached per racer and data."""
    key = (racer.id, racer.sampler, canonical(spec))
    if key not in _REFUSALS:
        mixture = load_data(spec)
        steps, params = racer.configure(racer.min_nfe(), mixture)
        if racer.diffusers:
            _diffusers_quiet()
        grid = make_grid(make_process(racer.process, mixture), racer.grid, steps)
        try:
            run_sampler(racer.sampler, ExactDenoiser(mixture), grid, 1, 0, params, n_paths=1)
            _REFUSALS[key] = None
        except ValueError as err:
            _REFUSALS[key] = str(err)
    return _REFUSALS[key]


def run_racer(racer: Racer, spec: str, nfe: int, seed: int, particles: int, check=None) -> Run | None:
    """`racer` at a budget of `nfe` on data `spec`: None if it cannot run within the budget, or on these data at
    all (its sampler refuses them: `refusal`, asked only when a run raises)."""
    mixture = load_data(spec)
    config = racer.configure(nfe, mixture)
    if config is None:
        return None
    steps, params = config
    if racer.diffusers:
        _diffusers_quiet()
    model = ExactDenoiser(mixture) if check is None else _Checked(ExactDenoiser(mixture), check)
    grid = make_grid(make_process(racer.process, mixture), racer.grid, steps)
    try:
        result = run_sampler(racer.sampler, model, grid, particles, seed, params, n_paths=1)
    except ValueError:
        if refusal(racer, spec) is None:  # not a refusal of these data: a failure to report
            raise
        return None
    samples = result.samples
    value, units = score(spec, samples)
    return Run(racer.id, steps, result.nfe, units, value, result.seconds, samples)


_SCORES: dict[tuple[str, bytes], tuple[float, float]] = {}


def score(spec: str, samples: np.ndarray) -> tuple[float, float]:
    """(MMD², floor units) of a sample set; sets identical to one already scored are looked up (DDIM η = 1
    and DDPM β̃ give bit-identical samples from one seed, and so do several diffusers rows)."""
    if not np.all(np.isfinite(samples)):
        return float("nan"), float("nan")
    import hashlib

    key = (spec, hashlib.sha1(np.ascontiguousarray(samples).tobytes()).digest())
    if key not in _SCORES:
        if len(_SCORES) > 20_000:
            _SCORES.clear()
        value = mmd2(samples, load_data(spec), data_bandwidth(spec))
        _SCORES[key] = (float(value), float(data_noise_floor(spec, "mmd2", len(samples)).in_units(value)))
    return _SCORES[key]


class _Checked:
    """Calls `check()` (which may raise to cancel) before each model evaluation."""

    def __init__(self, inner, check):
        self.inner, self.check = inner, check

    def denoise(self, x, alpha, sigma):
        self.check()
        return self.inner.denoise(x, alpha, sigma)


def _progress(progress, fraction: float, text: str) -> None:
    if progress is not None:
        progress(fraction, text)


def race(
    spec: str,
    budget: int,
    seed: int = DEFAULT_SEED,
    particles: int = DEFAULT_PARTICLES,
    racers=None,
    progress=None,
    check=None,
) -> dict[str, Run | None]:
    """Every racer (default: all) at `budget` NFE from the same noise: {racer id: Run, or None if it cannot
    run within the budget}. `progress(fraction, text)` is told about each racer; `check()` may cancel."""
    spec = canonical(spec)
    racers = list(RACERS.values()) if racers is None else racers
    out = {}
    for i, racer in enumerate(racers):
        _progress(progress, i / len(racers), f"{racer.label} at {budget} NFE")
        out[racer.id] = run_racer(racer, spec, budget, seed, particles, check)
    return out


def reference_run(spec: str, seed: int = DEFAULT_SEED, particles: int = DEFAULT_PARTICLES, check=None) -> Run:
    """DDPM ancestral at 1000 steps (Ho et al. 2020's own sampler), shown beside the race for scale."""
    return run_racer(REFERENCE, canonical(spec), 1000, seed, particles, check)


# ---------------------------------------------------------------------------- curves and orders
def ref_steps(racer: Racer) -> int:
    """Steps of the high-NFE reference run of a deterministic racer."""
    if racer.diffusers:
        return REF_STEPS_DIFFUSERS
    if racer.grid in ("leading", "trailing", "linspace") and make_process(racer.process).discrete:
        return REF_STEPS_DISCRETE
    return racer.spec.fit_budget(REF_NFE, racer.params)[0]


def fitted_order(nfes, errors, ref_nfe: float = math.inf) -> float:
    """p in error ∝ NFE^-p from errors measured against a reference run at `ref_nfe`.

    The reference carries the same leading error term C·ref_nfe^-p, so the measured distance is
    C(n^-p - ref_nfe^-p); p is fitted to that on log-log (with ref_nfe = ∞: the plain slope)."""
    n, e = np.asarray(nfes, dtype=float), np.asarray(errors, dtype=float)
    if not math.isfinite(ref_nfe):
        return float(-np.polyfit(np.log(n), np.log(e), 1)[0])
    from scipy.optimize import minimize_scalar

    def misfit(p):
        model = np.log(n**-p - ref_nfe**-p)
        return float(np.var(np.log(e) - model))  # log C is the mean residual

    return float(minimize_scalar(misfit, bounds=(0.05, 8.0), method="bounded", options={"xatol": 1e-6}).x)


def settled_order(nfes, errors, switched, ref_nfe: int) -> tuple[float | None, str]:
    """(order p, a sentence) from path errors: fitted on the last FIT_POINTS NFE ≤ ref_nfe / FIT_FRACTION,
    provided no path ends in another mode than its reference there (`switched[i]`: how many do)."""
    nfes, errors, switched = (np.asarray(a, dtype=float) for a in (nfes, errors, switched))
    usable = np.flatnonzero((nfes <= ref_nfe / FIT_FRACTION) & np.isfinite(errors) & (errors > 0))
    tail = usable[-FIT_POINTS:]
    if len(tail) < FIT_POINTS:
        return None, "too few points to fit an order"
    moving = [i for i in tail if switched[i] > 0]
    if moving:
        i = moving[-1]
        return None, f"no order: paths still switch modes at NFE {int(nfes[i])} ({int(switched[i])} of {N_PATHS})"
    p = fitted_order(nfes[tail], errors[tail], ref_nfe)
    return p, f"p = {p:.2f} on NFE {int(nfes[tail[0]])}–{int(nfes[tail[-1]])} (reference NFE {ref_nfe})"


def switched_modes(ends: np.ndarray, ref: np.ndarray, mixture: GaussianMixture) -> int:
    """How many paths end in another mode than their reference: another most likely component, and
    farther than SETTLED narrowest stds from the reference endpoint (so that a path on the boundary
    between two overlapping components does not count)."""
    other = mixture.responsibilities(ends).argmax(1) != mixture.responsibilities(ref).argmax(1)
    far = np.sqrt(((ends - ref) ** 2).sum(1)) > SETTLED * np.sqrt(mixture.min_variance)
    return int((other & far).sum())


def _endpoints(racer: Racer, spec: str, seed: int, steps: int, m: int) -> tuple[np.ndarray, int]:
    mixture = load_data(spec)
    if racer.diffusers:
        _diffusers_quiet()
    grid = make_grid(make_process(racer.process, mixture), racer.grid, steps)
    result = run_sampler(racer.sampler, ExactDenoiser(mixture), grid, m, seed, dict(racer.params), n_paths=1)
    return result.samples, result.nfe


def path_order(racer: Racer, spec: str, seed: int = DEFAULT_SEED, nfes=CURVE_NFES, m: int = N_PATHS) -> dict:
    """The trajectory-level convergence of a deterministic racer: for the first m particles (the same
    starts as any run with this seed), the RMS distance of each endpoint at each budget to its endpoint
    at the reference NFE, how many paths end in another mode, and the fitted order."""
    spec = canonical(spec)
    mixture = load_data(spec)
    ref, ref_nfe = _endpoints(racer, spec, seed, ref_steps(racer), m)
    out = {"nfe": [], "path_error": [], "switched": [], "ref_nfe": int(ref_nfe)}
    for nfe in nfes:
        config = racer.configure(nfe, mixture)
        if config is None:
            continue
        ends, spent = _endpoints(racer, spec, seed, config[0], m)
        if out["nfe"] and spent == out["nfe"][-1]:
            continue
        out["nfe"].append(int(spent))
        out["path_error"].append(float(np.sqrt(((ends - ref) ** 2).sum(1).mean())))
        out["switched"].append(switched_modes(ends, ref, mixture))
    out["order"], out["order_note"] = settled_order(out["nfe"], out["path_error"], out["switched"], ref_nfe)
    return out


def racer_curve(racer: Racer, spec: str, seed: int, particles: int, nfes=CURVE_NFES, check=None) -> dict:
    """Error vs NFE of one racer: MMD² units, real NFE, wall time; path error and order if deterministic."""
    spec = canonical(spec)
    mixture = load_data(spec)
    curve = {"label": racer.label, "family": racer.family, "theory": racer.order, "nominal": [], "nfe": []}
    curve.update(units=[], seconds=[], steps=[], grid=[])
    for nfe in nfes:
        run = run_racer(racer, spec, nfe, seed, particles, check)
        if run is None:
            continue
        if curve["nfe"] and run.nfe == curve["nfe"][-1]:  # the budget bought no extra step
            continue
        curve["nominal"].append(int(nfe))
        curve["nfe"].append(int(run.nfe))
        curve["steps"].append(int(run.steps))
        curve["units"].append(run.units)
        curve["seconds"].append(run.seconds)
        curve["grid"].append(grid_text(racer, run.steps, mixture))
    if racer.order is not None:
        order = path_order(racer, spec, seed, nfes)
        curve.update({k: order[k] for k in ("path_error", "switched", "ref_nfe", "order", "order_note")})
    else:
        curve.update(order=None, order_note="stochastic: fresh noise at every step, no pathwise order")
    return curve


def curves(
    spec: str,
    seed: int = DEFAULT_SEED,
    particles: int = DEFAULT_PARTICLES,
    racers=None,
    nfes=CURVE_NFES,
    progress=None,
    check=None,
) -> dict:
    """Error vs NFE for every racer (JSON-ready): {"spec", "seed", "particles", "nfes", "floor_sd",
    "racers": {id: curve}, "reference": {...}, "seconds"}."""
    spec = canonical(spec)
    racers = list(RACERS.values()) if racers is None else racers
    start, cpu = time.perf_counter(), time.process_time()
    floor = data_noise_floor(spec, "mmd2", particles)
    out = {"spec": spec, "seed": int(seed), "particles": int(particles), "nfes": [int(n) for n in nfes]}
    out.update(floor_sd=floor.sd, racers={})
    for i, racer in enumerate(racers):
        _progress(progress, i / (len(racers) + 1), f"error vs NFE: {racer.label}")
        out["racers"][racer.id] = racer_curve(racer, spec, seed, particles, nfes, check)
    _progress(progress, len(racers) / (len(racers) + 1), REFERENCE_LABEL)
    ref = reference_run(spec, seed, particles, check)
    out["reference"] = {"label": REFERENCE_LABEL, "nfe": ref.nfe, "units": ref.units, "seconds": ref.seconds}
    out["seconds"], out["cpu_seconds"] = time.perf_counter() - start, time.process_time() - cpu
    return out


def grid_factor(
    spec: str,
    solver: str = "dpmpp_2m",
    seed: int = DEFAULT_SEED,
    particles: int = DEFAULT_PARTICLES,
    nfes=GRID_NFES,
    progress=None,
    check=None,
) -> dict:
    """`solver` and DDIM η = 0 on each of the five grids of the DDPM process: {"solver", "grids": {grid:
    {solver key: {"nfe": [...], "units": [...]}}}} (DPM-Solver-2 and Heun spend 2n - 1 per n steps)."""
    if solver not in GRID_SOLVERS:
        raise ValueError(f"unknown solver {solver!r} for the grid panel; choose one of {', '.join(GRID_SOLVERS)}")
    spec = canonical(spec)
    solvers = [solver] if solver == "ddim" else [solver, "ddim"]
    out = {"spec": spec, "solver": solver, "solvers": solvers, "nfes": list(nfes), "grids": {}}
    jobs = [(g, s) for g in GRID_NAMES for s in solvers]
    for i, (g, s) in enumerate(jobs):
        _progress(progress, i / len(jobs), f"{get_sampler(s).title} on the {g} grid")
        racer = grid_racer(s, g)
        cell = {"nfe": [], "units": [], "steps": []}
        for nfe in nfes:
            run = run_racer(racer, spec, nfe, seed, particles, check)
            if run is None or (cell["nfe"] and run.nfe == cell["nfe"][-1]):
                continue
            cell["nfe"].append(int(run.nfe))
            cell["units"].append(run.units)
            cell["steps"].append(int(run.steps))
        out["grids"].setdefault(g, {})[s] = cell
    return out


def grid_racer(solver: str, grid: str) -> Racer:
    """The racer for `solver` on the DDPM process with `grid` (NFE per step from the registry)."""
    params = {"eta": 0.0} if solver == "ddim" else {}
    return Racer(f"{solver}@{grid}", f"{get_sampler(solver).title} ({grid})", solver, "ddpm", grid, params)


# ---------------------------------------------------------------------------- the shipped file
def default_results(spec: str, progress=None, check=None) -> dict:
    """What the tab ships for one data spec: the curves and the grid panel at the default settings."""
    return {
        "curves": curves(spec, progress=progress, check=check),
        "grid": grid_factor(spec, GRID_SOLVERS[0], progress=progress, check=check),
    }


@lru_cache(maxsize=1)
def shipped() -> dict:
    """{preset: default_results} from assets/race_curves.json (empty if missing)."""
    if not SHIPPED.exists():
        return {}
    return json.loads(SHIPPED.read_text())


def _rounded(obj):
    """Floats at 6 significant digits (the JSON stays small; wall times need no more)."""
    if isinstance(obj, float):
        return obj if not math.isfinite(obj) else float(f"{obj:.6g}")
    if isinstance(obj, dict):
        return {k: _rounded(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_rounded(v) for v in obj]
    return obj


def write(presets=None, racers=None) -> dict:
    """Recompute the shipped results of `presets` (default: all) and merge each, as soon as it is done, into
    assets/race_curves.json as it is then (so several writers on different presets do not undo each other).
    With `racers` (ids), only those racers' curves are recomputed and merged into the preset's shipped curves
    (a new registry entry ships without recomputing the others)."""
    from core.datasets import PRESETS

    for key in list(PRESETS) if presets is None else presets:
        t0 = time.perf_counter()
        shipped.cache_clear()
        if racers is None:
            result = _rounded(default_results(key))
        else:
            result = shipped()[key]
            new = curves(key, racers=[RACERS[r] for r in racers])["racers"]
            both = {**result["curves"]["racers"], **_rounded(new)}
            result["curves"]["racers"] = {rid: both[rid] for rid in RACERS if rid in both}
        results = {**shipped(), key: result}
        results = {k: results[k] for k in PRESETS if k in results}
        SHIPPED.write_text(json.dumps(results, ensure_ascii=False, separators=(",", ":")) + "\n")
        print(f"{key}: {time.perf_counter() - t0:.1f} s", flush=True)
    shipped.cache_clear()
    return shipped()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Recompute the sampler race's shipped curves.")
    parser.add_argument("--write", action="store_true", help="write assets/race_curves.json")
    parser.add_argument(
        "--racers", nargs="+", help="with --write: only these racer ids, merged into the shipped curves"
    )
    parser.add_argument("presets", nargs="*", help="presets (default: all)")
    args = parser.parse_args(argv)
    if args.write:
        write(args.presets or None, args.racers)
        return
    for key in args.presets or ["ring8"]:
        t0 = time.perf_counter()
        c = curves(key)
        print(f"{key}: {time.perf_counter() - t0:.1f} s wall, {c['cpu_seconds']:.1f} s CPU")
        for rid, cur in c["racers"].items():
            pts = " ".join(f"{n}:{u:.1f}" for n, u in zip(cur["nfe"], cur["units"]))
            print(f"  {rid:15s} {cur['order_note']:60s} {pts}")


if __name__ == "__main__":
    main()
