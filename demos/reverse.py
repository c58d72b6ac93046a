"""Tab "Reverse trajectories": any registered sampler on the exact model, its paths over the target,
its real error against the exact mixture (with the noise floor) and the moment a path commits to a mode."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from itertools import count
from typing import Any

import numpy as np
import plotly.graph_objects as go

from core.claims import ncsn as claims_ncsn
from core.claims import quote
from core.dataspec import data_bandwidth, load_data
from core.grids import GRIDS, make_grid
from core.metrics import FLOOR_REPEATS, ON_DEMAND_REPEATS, data_noise_floor, mean_nll, mmd2, mode_tv
from core.models import ExactDenoiser
from core.ncsn import mode_shares
from core.processes import PROCESSES, make_process
from core.samplers.registry import SAMPLERS, get_sampler, run_sampler
from demos import kit, plotting
from demos.inputs import MAX_PARTICLES, MAX_STEPS, MAX_WORK, check_superseded, number
from demos.sharing import as_int

TAB_ID = "reverse"
N_SHOWN_PATHS = 24  # readable subset drawn as lines (the "Paths shown" control thins or hides them)
MAX_SHOWN_PATHS = 64
N_CLOUD = 400  # particles whose every step is kept, for the step slider
COMMIT_LEVEL = 0.9
PATH_POINTS = 150  # points drawn along each path: a 1000-step DDPM path is thinned evenly, not a tangle
MAX_FRAMES = 48  # Play: frames evenly in log-SNR, sent at once and played in the browser


def notes() -> str:
    """The tab's notes; the measured numbers in them are read from the registry (NCSN Fig. 3's shares: the
    claim `ncsn_fig3_annealing`) and from the shipped noise floors (core.metrics), through `quote`."""
    shares = claims_ncsn.mode_shares("plain")
    tv = data_noise_floor("ring8", "mode_tv", 2000)
    return rf"""
**What to notice.** A sampler only ever sees the model's denoiser $\hat x_0(x_t)$ (here exact: Tweedie's formula
$\hat x_0 = (x_t + \sigma_t^2 \nabla\log p_t(x_t))/\alpha_t$, Efron 2011; Song et al. 2021), so the model is never
wrong. The error you read is then the sampler's: its discretisation error, plus the **prior mismatch** (every run
starts from $\mathcal N(0, \sigma_T^2 I)$, not from $p_T$; see the Forward tab's meter), plus, for plain Langevin,
its failure to move mass between separated modes (NCSN Fig. 3; on ncsn_fig3 the light / heavy mode shares end at
{quote(shares["light"], ".2f")} / {quote(shares["heavy"], ".2f")} where the truth is
{quote(shares["true_light"], ".2f")} / {quote(shares["true_heavy"], ".2f")}: the mean over the claim's seeds). DDIM
with $\eta = 0$ (Song et al. 2021a, eq. 12) and DPM-Solver (Lu et al. 2022) integrate the probability-flow ODE
$dx/dt = f(t)x - \tfrac12 g(t)^2\nabla\log p_t(x)$; DDIM with $\eta > 0$, DDPM (Ho et al. 2020) and Euler–Maruyama
sample the reverse SDE (Anderson 1982) or a stochastic mix of the two.

**Reading the numbers.** The error is the unbiased **MMD²** against the exact mixture, in units of its **noise
floor**: the RMS of MMD² over many sets of exact samples of the same size ({FLOOR_REPEATS} shipped for the presets at
the app's particle counts, {ON_DEMAND_REPEATS} computed once for anything else), whose mean is known to be 0. Exact
samples themselves score above +2 units 5 % of the time and above +3 units 1 % of the time, so "≲ 2" reads "as good
as exact sampling 95 % of the time", and one run at 2–3 is weak evidence. The unbiased MMD² can be negative (about
half of all exact sets are): a negative value means "indistinguishable", not "better than exact". Mode TV and mean
NLL are shown beside what exact samples of the same size score (mode TV is not 0 for exact samples: ring8 scores
{quote(tv.mean, ".3f")} ± {quote(tv.sd, ".3f")} at n = 2000). An NLL *below* the exact value means samples crowd the
modes' centres (too little spread), not a better sampler. The lower panel shows the exact posterior
$p(k \mid x_t)$ along one path: the step where one component passes 90 % is where the trajectory **commits to a
mode**; few-step samplers commit late and land between modes.
"""


NOTES = notes()

DIFFUSERS_NOTE = (
    "A real diffusers scheduler driven by the exact model. It runs its own 1000-step linear-β training schedule and "
    "its own timesteps (the timestep spacing parameter), not the Time grid chosen here; the title says what it used."
)


def sampler_note(sampler: str) -> str:
    """A few lines on the sampler in use, from its registry entry (the notes follow the sampler)."""
    spec = SAMPLERS.get(sampler)
    if spec is None:
        return ""
    if spec.diffusers:
        return f"**{spec.title}.** {DIFFUSERS_NOTE}"
    return f"**{spec.title}** ({spec.paper}). {spec.note}".rstrip()


PARAMS = list({p.name: p for spec in SAMPLERS.values() for p in spec.params}.values())

SCENES = {
    "DDIM, 10 steps on the sharp ring": dict(
        preset="ring8", process="ddpm", grid="leading", sampler="ddim", steps=10, eta=0.0
    ),
    "DDPM, 1000 steps": dict(
        preset="ring8", process="ddpm", grid="leading", sampler="ddpm", steps=1000, particles=1000, paths=8
    ),
    "EDM Heun, 18 steps (35 NFE)": dict(preset="grid25", process="edm", grid="karras", sampler="edm_heun", steps=18),
    "DPM-Solver++ wins (wide ring, 10 steps)": dict(
        preset="ring8_wide", process="ddpm", grid="logsnr", sampler="dpmpp_2m", steps=10
    ),
    "Langevin gets the weights wrong": dict(
        preset="ncsn_fig3", process="ve", grid="logsnr", sampler="langevin", steps=10, particles=1000, paths=8
    ),
    "Annealed Langevin fixes them": dict(
        preset="ncsn_fig3", process="ve", grid="logsnr", sampler="annealed_langevin", steps=10, particles=1000, paths=8
    ),
    "Flow matching Euler, 10 steps": dict(
        preset="moons", process="flow", grid="linspace", sampler="flow_euler", steps=10
    ),
}
SCENE_NOTES = {
    "DDIM, 10 steps on the sharp ring": "Ten deterministic DDIM steps on the 'leading' grid: samples land between "
    "the ring's modes and the MMD² is far above the noise floor. Raise Steps to 50 and watch it fall.",
    "DDPM, 1000 steps": "DDPM as in the paper, 1000 stochastic steps: as good as exact sampling. Press Play: frames "
    "are chosen evenly in log-SNR, so the 900 steps where little happens pass quickly.",
    "EDM Heun, 18 steps (35 NFE)": "EDM's deterministic Heun sampler with 18 steps on the Karras grid, 35 model "
    "calls: the CIFAR-10 setting of Karras et al. 2022, here on the sharp 5×5 grid.",
    "DPM-Solver++ wins (wide ring, 10 steps)": "DPM-Solver++(2M), 10 steps uniform in log-SNR, one model call per "
    "step like DDIM.",
    "Langevin gets the weights wrong": "Plain Langevin on the exact data score from a uniform start: the modes hold "
    "0.2 and 0.8 of the mass, but Langevin keeps where it started. Read the shares in the lower panel.",
    "Annealed Langevin fixes them": "The same Langevin updates, annealed from large to small noise (NCSN "
    "Algorithm 1): while the modes overlap mass can move, and the shares come out near 0.2 / 0.8.",
    "Flow matching Euler, 10 steps": "Euler on the flow-matching ODE, 10 steps uniform in t (t = 1 noise → 0 data). "
    "With the exact model this is DDIM η = 0 on the same nodes: the grid, not the method, makes the difference.",
}
SCENE_NOTE_DEFAULT = "Move Show step, or press Play to watch the paths form (frames evenly in log-SNR)."


def scene_note(name: str) -> str:
    """The scene's point; for the DPM-Solver++ scene, DDIM on the same grid and seed measured alongside."""
    note = SCENE_NOTES.get(name, "")
    if name == "DPM-Solver++ wins (wide ring, 10 steps)":
        values = SPEC.scene(name)
        mine = run(*_key(values))
        ddim = run(*_key({**values, "sampler": "ddim", "eta": 0.0}))
        note += (
            f" MMD² {quote(mine['units'], '+.1f')} floor units against DDIM's {quote(ddim['units'], '+.1f')} on the "
            "same grid and seed: "
            "same cost, second order wins."
        )
    return f"**Scene: {name}.** {note}" if note else ""


class _SceneNotes(dict):
    """Scene notes computed when a scene is chosen (one of them measures two runs), then kept."""

    def get(self, name, default=None):
        if name not in SCENES:
            return default
        if name not in self:
            self[name] = scene_note(name)
        return self[name]


# ---------------------------------------------------------------------------- controls
@dataclass(frozen=True)
class StepControl(kit.Control):
    """The step shown: a whole number, or None for the run's last step (its range follows the run, which only
    the run knows: the visible slider is the tab's own part, kept in step by `sync`)."""

    def parse(self, text: str):
        return None if str(text).strip().lower() in ("", "none", "null") else as_int(text)

    def check(self, value, values=None):
        return None if value is None else number(value, self.lo, self.hi, "Step", integer=True)

    def component(self, gr, value=None, **kwargs):
        return gr.Number(None, label="Show step (empty: the last)", precision=0, visible=False, **kwargs)

    def strategy(self, valid_only: bool = False):
        from hypothesis import strategies as st

        return st.one_of(st.none(), super().strategy(valid_only))


@dataclass(frozen=True)
class ParamControl(kit.Control):
    """A sampler parameter as a control: checked and drawn by its registry `Param` (an empty box is the default,
    a Number box where the range spans decades or has no end); shown only for the samplers that take it."""

    param: Any = None

    def check(self, value, values=None):
        return None if value is None else self.param.validate(value)

    def component(self, gr, value=None, **kwargs):
        p = self.param
        kw = dict(label=p.label, info=p.help or None, **kwargs)
        if p.choices is not None:
            return gr.Dropdown(list(p.choices), value=p.default, **kw)
        if isinstance(p.default, bool):
            return gr.Checkbox(p.default, **kw)
        if p.lo is not None and p.hi is not None and math.isfinite(p.hi) and (p.lo <= 0 or p.hi / p.lo < 1e3):
            return gr.Slider(p.lo, p.hi, value=p.default, step=1 if p.integer else (p.hi - p.lo) / 100, **kw)
        if not math.isfinite(p.default):  # a Number box cannot show ∞: empty means the default
            kw["info"] = f"{p.help} (empty = ∞)" if p.help else "empty = ∞"
            return gr.Number(None, **kw)
        return gr.Number(p.default, **kw)


def _param_control(p) -> ParamControl:
    if p.choices is not None:
        kind = "choice"
    elif isinstance(p.default, bool):
        kind = "bool"
    else:
        kind = "int" if p.integer else "float"
    return ParamControl(p.name, kind, p.default, label=p.label, help=p.help, lo=p.lo, hi=p.hi,
                        choices=tuple(p.choices or ()), param=p)  # fmt: skip


PANEL_TITLE = 15  # px: the mode panels' titles under the main plot ("ends at 0.51 / 0.49 (true …)" on one line)
GRID_HELP = "where the steps sit in time; every grid ends at clean data"
STATE_CONTROLS = ("process", "grid", "steps")  # what a sampler may ignore: disabled, with the reason, when it does


def unused_controls(spec) -> dict[str, str]:
    """The controls a sampler ignores, with why: a diffusers row runs its own 1000-step linear-β schedule and its
    own timesteps (it takes the step count only); plain Langevin (grid_role "floor") runs its `n_steps` at the
    grid's smallest noise level, which every grid of a process shares. The tab disables them and says why."""
    if spec.diffusers:
        return {
            "process": "not used: diffusers rows run their own 1000-step linear-β training schedule",
            "grid": "not used: diffusers rows run their own timesteps (see 'timestep spacing')",
        }
    if spec.own_schedule:
        return {
            "process": f"not used: it runs its {spec.own_schedule}",
            "grid": "not used: it runs its own schedule; Steps gives its N",
        }
    if spec.grid_role == "floor":
        return {
            "grid": "not used: plain Langevin runs at the data score (the smallest noise level)",
            "steps": "not used: plain Langevin runs its own number of steps (Sampler parameters)",
        }
    return {}


def control_states(spec) -> dict[str, dict]:
    """{control: gr.update arguments} for STATE_CONTROLS under this sampler: enabled with their usual help, or
    disabled with the reason."""
    unused = unused_controls(spec)
    usual = {c.name: c.help for c in CONTROLS if c.name in STATE_CONTROLS}
    return {n: dict(interactive=n not in unused, info=unused.get(n, usual[n])) for n in STATE_CONTROLS}


CONTROLS = [
    kit.Control("preset", "data", "ring8", label="Data"),
    kit.Control(
        "process",
        "choice",
        "ddpm",
        label="Forward process",
        choices=tuple((make_process(k).name, k) for k in PROCESSES),
        noun="process",
    ),  # fmt: skip
    kit.Control(
        "grid",
        "choice",
        "leading",
        label="Time grid",
        help=GRID_HELP,
        choices=tuple(GRIDS),
        noun="time grid",
    ),  # fmt: skip
    kit.Control("sampler", "choice", "ddim", label="Sampler", choices=tuple((s.title, k) for k, s in SAMPLERS.items())),
    kit.Control("steps", "int", 20, label="Steps", lo=1, hi=MAX_STEPS, step=1, noun="Steps"),
    kit.Control("seed", "seed", 0, label="Seed"),
    kit.Control("particles", "int", 2000, label="Particles", lo=10, hi=MAX_PARTICLES, step=10, noun="Particles"),
    StepControl("step", "int", None, lo=0, hi=10**6, step=1),  # None: the last step
    kit.Control(
        "inspect", "int", 0, label="Particle to inspect", lo=0, hi=N_CLOUD - 1, step=1, noun="Particle to inspect"
    ),  # fmt: skip
    kit.Control(
        "paths", "int", N_SHOWN_PATHS, label="Paths shown", lo=0, hi=MAX_SHOWN_PATHS, step=1, noun="Paths shown"
    ),  # fmt: skip
    *[_param_control(p) for p in PARAMS],
]
RUN_NAMES = ("preset", "process", "grid", "sampler", "steps", "seed", "particles")  # the others only redraw


class BudgetDenoiser:
    """Stops a run that would exceed the per-request work cap (e.g. an adaptive solver at rtol 1e-10)."""

    def __init__(self, inner, max_calls: int):
        self.inner, self.max_calls, self.calls = inner, max_calls, 0

    def denoise(self, x, alpha, sigma):
        self.calls += 1
        check_superseded()
        if self.calls > self.max_calls:
            raise ValueError(
                f"Stopped after {self.max_calls:,} model evaluations: the work cap of this shared app "
                f"({MAX_WORK:,} particle-evaluations per request). Use fewer particles, fewer steps "
                "or a looser tolerance."
            )
        return self.inner.denoise(x, alpha, sigma)


def _sampler(value) -> str:
    """A registered sampler key; the refusal names a few, not all 27 internal keys."""
    if not isinstance(value, str) or value not in SAMPLERS:
        import reprlib

        raise ValueError(
            f"Unknown sampler {reprlib.repr(value)}. Pick one from the Sampler list (keys such as ddim, ddpm, "
            "edm_heun, dpmpp_2m, flow_euler, langevin, diffusers:DDIM)."
        )
    return value


def _check(name: str, value):
    """One control's own check (its spec's range: the same as its slider's)."""
    return next(c for c in CONTROLS if c.name == name).check(value)


def _validate(preset, process, grid, sampler, steps, seed, particles, param_values):
    """run()'s key: the run's controls checked by their specs, and the chosen sampler's parameters by its
    registry entry (an empty box, None, is the default; other samplers' parameters are not read)."""
    preset, process, grid = _check("preset", preset), _check("process", process), _check("grid", grid)
    sampler = _sampler(sampler)
    steps, particles = _check("steps", steps), _check("particles", particles)
    spec = get_sampler(sampler)
    given = {p.name: v for p, v in zip(PARAMS, param_values) if v is not None}  # empty box: the default
    params = spec.validate({p.name: given.get(p.name, p.default) for p in spec.params})
    return preset, process, grid, sampler, steps, _check("seed", seed), particles, tuple(sorted(params.items()))


def _key(values: dict) -> tuple:
    """run()'s cache key from control values by name."""
    return _validate(*[values[n] for n in RUN_NAMES], [values.get(p.name, p.default) for p in PARAMS])


def _check_tab(values: dict) -> dict:
    """The tab's cross-control rule (Tab.check): the chosen sampler takes these parameters (cheap, no run)."""
    _key(values)
    return values


@lru_cache(maxsize=16)
def run(
    preset: str, process: str, grid: str, sampler: str, steps: int, seed_value: int, particles: int, params: tuple
) -> dict:
    """One sampler run with its metrics (cached: the step and particle sliders only redraw)."""
    mixture = load_data(preset)
    proc = make_process(process, mixture)
    g = make_grid(proc, grid, steps)
    model = BudgetDenoiser(ExactDenoiser(mixture), max(1, MAX_WORK // particles))
    result = run_sampler(sampler, model, g, particles, seed_value, dict(params), n_paths=N_CLOUD)
    if not np.all(np.isfinite(result.samples)):
        raise ValueError("This sampler diverged with these settings (non-finite samples); try more steps.")
    h = data_bandwidth(preset)
    floor = data_noise_floor(preset, "mmd2", particles)
    tv_floor = data_noise_floor(preset, "mode_tv", particles)
    nll_floor = data_noise_floor(preset, "nll", particles)
    value = mmd2(result.samples, mixture, h)
    return dict(
        shares=mode_shares(result.samples, mixture),
        result=result,
        grid=g,
        mmd2=value,
        units=floor.in_units(value),
        tv=mode_tv(result.samples, mixture),
        tv_floor=tv_floor,
        nll=mean_nll(result.samples, mixture),
        nll_floor=nll_floor,
    )


def run_label(out: dict) -> str:
    """What the run really used, for titles: the grid for samplers that step on it; for diffusers rows their
    own timesteps and spacing; for Langevin what its registry entry says it did (the grid only gives its noise
    levels)."""
    spec = get_sampler(out["sampler"])
    params = dict(out.get("params", ()))
    g = out["grid"]
    if spec.diffusers:
        spacing = params.get("spacing")
        where = f"diffusers '{spacing}' spacing" if spacing else "diffusers' own spacing"
        calls = f", {out['result'].nfe} model calls" if out["result"].nfe != g.n_steps else ""
        return f"{g.n_steps} steps, {where} (its own timesteps{calls})"
    if spec.own_schedule:
        return f"{g.n_steps} steps, {spec.own_schedule}"
    return spec.describe(g.n_steps, params) or g.label


def _langevin(out: dict) -> bool:
    """A Langevin sampler (records per Langevin step, not per grid node): the registry's kind."""
    return get_sampler(out["sampler"]).kind == "Langevin"


PROCESS_SHORT = {
    "ddpm": "DDPM",
    "cosine": "cosine",
    "vp": "VP",
    "subvp": "sub-VP",
    "ve": "VE",
    "edm": "EDM",
    "flow": "flow",
}


def _head(out: dict) -> str:
    """ "DDIM on VP": the sampler and the process it ran on (diffusers rows: their own VP schedule)."""
    spec = get_sampler(out["sampler"])
    if spec.diffusers:
        return f"{spec.title} (own VP schedule)"
    if spec.own_schedule:
        return spec.title
    return f"{spec.title} on {PROCESS_SHORT.get(out.get('process'), out.get('process'))}"


def _progress(out: dict, k: int, last: int) -> str:
    """ "step k/n" where records are the grid's steps; otherwise say what a record is."""
    spec = get_sampler(out["sampler"])
    if spec.diffusers and last != out["grid"].n_steps:
        return f"scheduler update {k}/{last}"
    if _langevin(out):
        return f"Langevin step {k}/{last}"
    return f"step {k}/{last}"


def _thin(path: np.ndarray, k: int, points: int = PATH_POINTS) -> np.ndarray:
    """Records 0..k of a path, thinned evenly to at most `points` (the k-th always kept)."""
    if k + 1 <= points:
        return path[: k + 1]
    idx = np.unique(np.append(np.linspace(0, k, points).round().astype(int), k))
    return path[idx]


FRAME_PATH_POINTS = 40  # points per path in a Play frame: frames stay small (a 48-frame DDPM-1000 is ~0.5 MB)


def _frame_traces(res, k: int, n_paths: int, i: int, points: int = PATH_POINTS):
    """(paths polyline, cloud, highlighted path) at record k."""
    paths = _thin(res.path[:, :n_paths], k, points) if n_paths else np.zeros((0, 0, 2))
    segs = plotting.path_segments(paths) if n_paths else np.zeros((0, 2))
    cloud = res.path[k]
    return segs, cloud, _thin(res.path[:, i], k, points)


def reverse_figure(out: dict, preset: str, step: int, inspect: int, paths: int = N_SHOWN_PATHS) -> go.Figure:
    """Paths of a readable subset over the exact target; the cloud at the chosen step; one path highlighted.
    Paths are thinned to PATH_POINTS points each; `paths` = 0 hides them."""
    res = out["result"]
    mixture = load_data(preset)
    box = plotting.plot_box(mixture)
    last = len(res.path) - 1
    k = min(step, last)
    n_paths = min(int(paths), res.path.shape[1])
    fig = go.Figure(plotting.density_trace(mixture, box, name="exact target p₀"))
    segs, _, mine = _frame_traces(res, k, n_paths, min(inspect, res.path.shape[1] - 1))
    trace = go.Scatter(
        x=segs[:, 0].astype(np.float32),
        y=segs[:, 1].astype(np.float32),
        mode="lines",
        line=dict(color=plotting.PATH_COLOR, width=plotting.PATH_WIDTH),
        name=f"{n_paths} paths",
        hoverinfo="skip",
        visible=True if n_paths else "legendonly",
    )
    fig.add_trace(trace)
    if k == last:
        fig.add_trace(plotting.points_trace(res.samples, f"{len(res.samples)} samples", size=3.5))
    else:
        fig.add_trace(plotting.points_trace(res.path[k], f"{res.path.shape[1]} particles at step {k}", size=4))
    i = min(inspect, res.path.shape[1] - 1)
    fig.add_trace(
        go.Scatter(
            x=mine[:, 0],
            y=mine[:, 1],
            mode="lines+markers",
            name=f"particle #{i}",
            line=dict(color="#f59e0b", width=3),
            marker=dict(size=5),
        )
    )
    x0 = res.denoised[:k, i]
    if len(x0) and np.isfinite(x0).all():
        x0 = _thin(x0, len(x0) - 1)
        fig.add_trace(
            go.Scatter(
                x=x0[:, 0],
                y=x0[:, 1],
                mode="lines+markers",
                name=f"x̂₀ of particle #{i}",
                line=dict(color="#7c3aed", width=2, dash="dot"),
                marker=dict(size=5),
            )
        )
    title = f"{_head(out)} · {run_label(out)} · {_progress(out, k, last)}"
    return plotting.set_box(plotting.base_layout(fig, title, height=None), box)


def _frame_steps(out: dict) -> np.ndarray:
    """Records to play: evenly in log-SNR where records are grid nodes, evenly in index otherwise."""
    res, g = out["result"], out["grid"]
    n = len(res.path)
    if n == len(g.t) and not get_sampler(out["sampler"]).diffusers:
        with np.errstate(divide="ignore"):
            lam = -np.log(g.sigma_tilde)
        return plotting.frame_indices(lam, MAX_FRAMES)
    return np.unique(np.linspace(0, n - 1, min(n, MAX_FRAMES)).round().astype(int))


def play_frames(out: dict, inspect: int, paths: int) -> list[dict]:
    """Play's frames (demos.plotting.attach_frames): paths so far, the cloud, the inspected path."""
    res = out["result"]
    last = len(res.path) - 1
    n_paths = min(int(paths), res.path.shape[1])
    i = min(inspect, res.path.shape[1] - 1)
    frames = []
    for k in _frame_steps(out):
        segs, cloud, mine = _frame_traces(res, int(k), n_paths, i, FRAME_PATH_POINTS)
        title = f"{_head(out)} · {run_label(out)} · {_progress(out, int(k), last)}"
        frames.append(dict(value=int(k), title=title, traces=[segs, cloud, mine, np.zeros((0, 2))]))
    return frames


def _mode_panel(out: dict, preset: str, title: str) -> go.Figure:
    """Mass per mode over the recorded steps (tracked particles, by most likely component) against the true
    weights: what Langevin gets right or wrong (NCSN Fig. 3)."""
    res = out["result"]
    mixture = load_data(preset)
    steps = _thin(np.arange(len(res.path))[:, None, None].repeat(2, 2), len(res.path) - 1)[:, 0, 0].astype(int)
    fig = go.Figure()
    shares = np.array([mode_shares(res.path[n], mixture) for n in steps])
    top = np.argsort(mixture.weights)[::-1][:6]
    for rank, comp in enumerate(top):
        colour = plotting.PALETTE[rank % len(plotting.PALETTE)]
        fig.add_scatter(x=steps, y=shares[:, comp], name=f"mode {comp}", line=dict(color=colour, width=3))
        fig.add_scatter(
            x=[steps[0], steps[-1]],
            y=[mixture.weights[comp]] * 2,
            name=f"true weight {mixture.weights[comp]:.2f}",
            line=dict(color=colour, width=2, dash="dash"),
        )
    plotting.base_layout(fig, title, square=False, title_size=PANEL_TITLE)
    fig.update_layout(xaxis=dict(title="Langevin step"), yaxis=dict(title="share of particles", range=[0, 1]))
    return plotting.legend_below(fig, 180)


def commitment_figure(out: dict, preset: str, inspect: int) -> go.Figure:
    """Exact posterior responsibilities p(k | x_t) along one path, at the grid's noise levels; for Langevin
    samplers the mass per mode over the steps against the true weights instead."""
    res, g = out["result"], out["grid"]
    mixture = load_data(preset)
    i = min(inspect, res.path.shape[1] - 1)
    if _langevin(out):
        return _mode_panel(
            out, preset, f"Mass per mode: ends at {plotting.shares_text(out['shares'], mixture.weights)}"
        )
    fig = go.Figure()
    if len(res.path) != len(g.t) or get_sampler(out["sampler"]).diffusers:
        fig.add_annotation(
            text="p(k | x_t) is shown for samplers that step on the chosen grid's nodes.",
            showarrow=False,
            x=0.5,
            y=0.5,
            xref="paper",
            yref="paper",
        )
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        return plotting.base_layout(fig, "When does the path commit to a mode?", height=200, square=False)
    resp = np.array(
        [
            mixture.diffused(a, s).responsibilities(res.path[n, i])[0]
            if s > 0
            else mixture.responsibilities(res.path[n, i])[0]
            for n, (a, s) in enumerate(zip(g.alpha, g.sigma))
        ]
    )
    top = np.argsort(resp[-1])[::-1][:6]
    steps = np.arange(len(resp))
    for rank, comp in enumerate(top):
        fig.add_scatter(
            x=steps,
            y=resp[:, comp],
            stackgroup="r",
            name=f"component {comp}",
            line=dict(width=0.5, color=plotting.PALETTE[rank % len(plotting.PALETTE)]),
        )
    other = 1 - resp[:, top].sum(1)
    fig.add_scatter(
        x=steps, y=np.clip(other, 0, 1), stackgroup="r", name="others", line=dict(width=0.5, color="#d1d5db")
    )
    committed = np.flatnonzero(resp.max(1) >= COMMIT_LEVEL)
    title = f"p(component | x_t) along particle #{i}"
    if len(committed):
        first = next((n for n in range(len(resp)) if (resp[n:].max(1) >= COMMIT_LEVEL).all()), None)
        if first is not None:
            fig.add_vline(x=first, line=dict(color="#111827", dash="dash"))
            title += f": commits at step {first} (σ̃ = {g.sigma_tilde[first]:.3g})"
    plotting.base_layout(fig, title, square=False, title_size=PANEL_TITLE)
    fig.update_layout(xaxis=dict(title="step"), yaxis=dict(title="probability", range=[0, 1]))
    return plotting.legend_below(fig, 180)


def _mmd_verdict(units: float) -> str:
    if units > 3:
        return "worse than exact sampling (exact sets exceed +3 only 1 % of the time)"
    if units > 2:
        return "borderline: exact sets score 2–3 about 4 % of the time"
    if units < -2:
        return "below the exact spread (chance: the unbiased estimate can be negative)"
    if units < 0:
        return "as good as exact (negative is chance: the unbiased MMD² of exact sets is negative half the time)"
    return "as good as exact sampling (95 % of exact sets score ≤ +2)"


def _band_verdict(value: float, floor, low: str, high: str) -> str:
    z = (value - floor.mean) / floor.sd if floor.sd > 0 else 0.0
    if z > 3:
        return high
    if z < -3:
        return low
    return "as exact sampling" if abs(z) <= 2 else "borderline"


def metrics_text(out: dict, preset: str | None = None) -> str:
    """The run's numbers, each beside what exact sampling of the same size gives, with a verdict."""
    res = out["result"]
    f, n = out["tv_floor"], out["nll_floor"]
    tv_verdict = _band_verdict(out["tv"], f, "as exact sampling", "mass in the wrong modes")
    nll_verdict = _band_verdict(
        out["nll"],
        n,
        "below exact: samples crowd the modes' centres (too little spread), not better",
        "above exact: samples in low-density places",
    )
    rows = [
        f"- **MMD² {out['units']:+.1f} floor units** (raw {out['mmd2']:.2e}): {_mmd_verdict(out['units'])}",
        f"- **mode TV {out['tv']:.3f}**, exact sampling {f.mean:.3f} ± {f.sd:.3f}: {tv_verdict}",
        f"- **mean NLL {out['nll']:.3f}**, exact sampling {n.mean:.3f} ± {n.sd:.3f}: {nll_verdict}",
    ]
    if preset is not None and len(out["shares"]) <= plotting.MAX_SHARES_SHOWN:  # more modes: mode TV says it
        rows.append(f"- **mode shares** {plotting.shares_text(out['shares'], load_data(preset).weights)}")
    rows.append(f"- **cost {res.nfe} NFE**, {res.seconds * 1000:.0f} ms")
    return "\n".join(rows)


def reverse_view(
    preset, process, grid, sampler, steps, seed, particles, step, inspect, paths=N_SHOWN_PATHS, *param_values
):
    """(paths figure, commitment figure, metrics markdown, last step) for one setting."""
    key = _validate(preset, process, grid, sampler, steps, seed, particles, param_values)
    out = dict(run(*key), sampler=key[3], params=key[7], process=key[1])
    last = len(out["result"].path) - 1
    step = last if step is None else number(step, 0, 10**6, "Step", integer=True)
    inspect = number(inspect, 0, N_CLOUD - 1, "Particle to inspect", integer=True)
    paths = number(paths, 0, MAX_SHOWN_PATHS, "Paths shown", integer=True)
    return (
        reverse_figure(out, key[0], step, inspect, paths),
        commitment_figure(out, key[0], inspect),
        metrics_text(out, key[0]),
        last,
    )


def _values(values: dict) -> list:
    """Control values by name → the positional list of `reverse_view` (CONTROLS order)."""
    return [values[c.name] for c in CONTROLS]


def _out(values: dict) -> tuple[dict, str]:
    key = _key(values)
    return dict(run(*key), sampler=key[3], params=key[7], process=key[1]), key[0]


def play_view(**values) -> go.Figure:
    """The main figure at Play's first frame, with every frame attached for the browser to play."""
    out, preset = _out(values)
    inspect, paths = _check("inspect", values["inspect"]), _check("paths", values["paths"])
    frames = play_frames(out, inspect, paths)
    fig = reverse_figure(out, preset, frames[0]["value"], inspect, paths)
    return plotting.attach_frames(fig, frames, traces=[1, 2, 3, 4] if len(fig.data) > 4 else [1, 2, 3])


GIF_STYLES = [
    dict(kind="lines", color=plotting.PATH_COLOR, width=2),
    dict(kind="points", color="rgba(15, 23, 42, 0.7)", width=4),
    dict(kind="lines", color="#f59e0b", width=3),
    dict(kind="lines", color="#7c3aed", width=2),
]


def gif_export(**values) -> str:
    """The Play animation as a GIF file (server-side, Pillow), for slides."""
    from demos import export

    out, preset = _out(values)
    frames = play_frames(out, int(values["inspect"] or 0), int(values["paths"] or 0))
    box = plotting.plot_box(load_data(preset))
    mixture = load_data(preset)
    _, _, logp = plotting.density_grid(mixture, box, 120)
    for f in frames:
        f["range"], f["z"] = box, np.exp(logp)
    return export.gif_file(frames, GIF_STYLES, f"reverse-{out['sampler']}")


def csv_export(**values) -> str:
    """The final samples (and each one's most likely component) as a CSV file."""
    from demos import export

    out, preset = _out(values)
    x = out["result"].samples
    comp = load_data(preset).responsibilities(x).argmax(1)
    rows = [[float(a), float(b), int(c)] for (a, b), c in zip(x, comp)]
    return export.csv_file(["x", "y", "component"], rows, f"reverse-{out['sampler']}")


def reverse_data(**values) -> dict:
    """The numbers behind the Reverse view: the final samples, NFE, MMD² (raw and in floor units), mode TV,
    mean NLL and mode shares, each with what exact sampling of the same size scores."""
    out, preset = _out({**SPEC.defaults(), **values})
    res, f, n = out["result"], out["tv_floor"], out["nll_floor"]
    return {
        "sampler": out["sampler"],
        "ran": run_label(out),
        "nfe": res.nfe,
        "seconds": res.seconds,
        "samples": res.samples.round(6).tolist(),
        "mmd2": out["mmd2"],
        "mmd2_floor_units": out["units"],
        "mode_tv": out["tv"],
        "mode_tv_exact": {"mean": f.mean, "sd": f.sd},
        "mean_nll": out["nll"],
        "mean_nll_exact": {"mean": n.mean, "sd": n.sd},
        "mode_shares": out["shares"].tolist(),
        "weights": load_data(preset).weights.tolist(),
    }


def _api_signature(fn):
    """reverse_data's API arguments: the URL's names (step, inspect and paths only concern the figure)."""
    import inspect as _inspect

    kind = _inspect.Parameter.POSITIONAL_OR_KEYWORD
    params = []
    for c in CONTROLS:
        if c.name in ("step", "inspect", "paths"):
            continue
        default = c.default
        kind_of = type(default) if default is not None else int
        if isinstance(default, float) and not math.isfinite(default):
            default, kind_of = None, float | None
        params.append(_inspect.Parameter(c.name, kind, default=default, annotation=kind_of))

    def api(*args, **kwargs):
        values = dict(zip([p.name for p in params], args))
        values.update(kwargs)
        return fn(**values)

    api.__signature__ = _inspect.Signature(params, return_annotation=dict)
    api.__annotations__ = {p.name: p.annotation for p in params} | {"return": dict}
    api.__name__, api.__doc__ = fn.__name__, fn.__doc__
    return api


_syncs = count()


def tab_view(progress=None, **values):
    """The tab's view of every control by name: (main figure, commitment figure, metrics, sync). Drawn by
    every load (link, scene, Reset, first show) and by the inspect / paths controls. A load (called without
    `progress`) also returns `sync`: the values that ran and the run's last step, from which `on_sync` sets
    what only the run knows (the step slider's range, the sampler's parameter boxes and note); a redraw
    leaves it alone."""
    import gradio as gr

    main, commit, text, last = reverse_view(*_values(values))
    if progress is not None:
        return main, commit, text, gr.skip()
    values = SPEC.validate(values)
    shown = last if values["step"] is None else min(values["step"], last)
    return main, commit, text, dict(values=values, last=last, step=shown, n=next(_syncs))


def warm_up() -> None:
    """Run the default setting once (noise floors, plotly) so the first visitor does not pay for it."""
    reverse_view(*[c.default for c in CONTROLS])


SPEC = kit.Tab(
    id=TAB_ID,
    title="Reverse trajectories",
    controls=CONTROLS,
    views=[
        kit.View(tab_view, ("main", "commit", "metrics", "sync"), api_name="reverse", triggers=("inspect", "paths"))
    ],
    scenes=SCENES,
    scene_notes=_SceneNotes(),
    default_note=SCENE_NOTE_DEFAULT,
    check=_check_tab,
)


def layout(ui: kit.UI) -> None:
    import gradio as gr

    from demos import export
    from demos.inputs import user_facing
    from demos.sharing import KEYS_HINT

    shown = {p.name for p in get_sampler(SPEC.defaults()["sampler"]).params}
    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            ui.scene_picker()
            for name in ("preset", "sampler", "process", "grid", "steps", "particles", "seed"):
                ui.control(name)
            with gr.Accordion("Sampler parameters", open=True):
                for p in PARAMS:
                    ui.control(p.name, visible=p.name in shown)
            ui.link_row()
            with gr.Accordion("Export for slides", open=False):
                ui.parts["gif"], ui.parts["csv"], ui.parts["files"] = export.controls(gr)
        with gr.Column(scale=3, min_width=320, elem_classes=["main-col"]):
            ui.note()
            ui.parts["sampler_note"] = gr.Markdown(sampler_note("ddim"), elem_classes=["scene-note"])
            ui.parts["status"] = gr.Markdown(elem_classes=["status"])
            ui.plot("main", elem_classes=["rr-square"])
            with gr.Row():
                ui.parts["slider"] = gr.Slider(
                    0, 20, value=20, step=1, label="Show step", scale=4, elem_classes=["rr-step"]
                )
                ui.parts["play"] = gr.Button(
                    "Play", size="sm", scale=1, min_width=70, variant="primary", elem_classes=["rr-play"]
                )
                ui.parts["stop"] = gr.Button("Stop", size="sm", scale=1, min_width=70, elem_classes=["rr-stop"])
            gr.Markdown(KEYS_HINT, elem_classes=["rr-keys"])
            with gr.Row():
                ui.control("inspect")
                ui.control("paths")
            ui.output("metrics", gr.Markdown(elem_classes=["rr-metrics"]))
            ui.plot("commit")
    gr.Markdown(NOTES, latex_delimiters=[{"left": "$", "right": "$", "display": False}])
    ui.control("step")  # hidden: the step shown (None: the last), what links and the API read
    ui.output("sync", gr.State(None))
    ui.parts["good"] = gr.State(SPEC.defaults())  # the last setting that ran: a refused one snaps back to it
    ui.parts["play_status"] = gr.Textbox(visible=False)
    gr.api(user_facing(_api_signature(reverse_data)), api_name="reverse_data")


def build() -> kit.UI:
    """The tab from its spec, plus what only it has: a new run on the run's controls with a refused setting
    kept out (the last good view stays, the controls go back, a message says why), the sampler's usual
    setting when the sampler changes, the step slider whose range is the run's, Play / Stop and the exports."""
    import gradio as gr

    from demos.inputs import latest_only, user_facing
    from demos.sharing import link_js, play_js, stale_js, stop_js

    ui = kit.build(SPEC, layout)
    p, names = ui.parts, SPEC.names
    controls = ui.inputs()
    slider, step_box = p["slider"], ui.controls["step"]
    figures = [ui.outputs[n] for n in ("main", "commit", "metrics")]
    param_boxes = [ui.controls[q.name] for q in PARAMS]
    shown = [slider, *figures, p["status"], p["good"], p["sampler_note"]]
    outputs = [*controls, *shown]
    view = user_facing(latest_only(reverse_view, 4, names))  # a refusal arrives as gr.Error: `refused` shows it
    private = dict(api_visibility="private")
    nothing = [gr.skip()] * len(outputs)

    def refused(err: gr.Error, kept: dict):
        """Keep the last good view, say why in the status line, and put the controls back to what it shows."""
        text = str(err.message).rstrip()
        text += "" if text.endswith((".", "!", "?")) else "."
        message = f"**Not run:** {text} The view shows the last setting that ran; the controls are back to it."
        restore = [gr.skip() if n == "step" else kept[n] for n in names]
        return [*restore, *[gr.skip()] * 4, message, gr.skip(), gr.skip()]

    def full_view(*args, request: gr.Request = None):
        *values, kept = args
        values = {**dict(zip(names, values)), "step": None}
        try:
            main, commit, text, last = view(*_values(values), request)
        except gr.Error as err:
            return refused(err, kept)
        if not isinstance(last, int):  # superseded by a newer request: leave everything as it is
            return nothing
        updates = [last if n == "step" else gr.skip() for n in names]
        return [*updates, gr.Slider(maximum=last, value=last), main, commit, text, "", values, gr.skip()]

    def step_view(*args, request: gr.Request = None):
        *values, shown_step, kept = args
        values = {**dict(zip(names, values)), "step": shown_step}
        try:
            out = view(*_values(values), request)
        except gr.Error as err:
            return refused(err, kept)
        if not isinstance(out[3], int):
            return nothing
        return [*[gr.skip()] * (len(controls) + 1), *out[:3], "", gr.skip(), gr.skip()]

    def on_sampler(*args, request: gr.Request = None):
        """One event: the sampler's usual process, grid and steps, and the view they give (issue 19)."""
        values = dict(zip(names, args[:-1]))
        key = values["sampler"] if values["sampler"] in SAMPLERS else "ddim"
        spec = get_sampler(key)
        values.update(process=spec.default_process, grid=spec.default_grid, steps=spec.default_steps)
        out = full_view(*_values(values), args[-1], request=request)
        if str(out[len(controls) + 4]).startswith("**Not run"):
            return out
        takes = {q.name for q in spec.params}
        at = names.index
        for name, state in control_states(spec).items():
            out[at(name)] = gr.update(value=values[name], **state)
        for q in PARAMS:
            out[at(q.name)] = gr.update(visible=q.name in takes)
        out[-1] = sampler_note(key)
        return out

    def on_sync(sync):
        """After a load: the step slider on the run's range, the sampler's boxes, grid and note, no message."""
        if not sync:
            return {slider: gr.skip()}
        values = sync["values"]
        spec = get_sampler(values["sampler"])
        takes = {q.name for q in spec.params}
        return {
            slider: gr.Slider(maximum=sync["last"], value=sync["step"]),
            p["status"]: "",
            p["good"]: values,
            p["sampler_note"]: sampler_note(values["sampler"]),
            **{ui.controls[name]: gr.update(**state) for name, state in control_states(spec).items()},
            **{box: gr.update(visible=q.name in takes) for q, box in zip(PARAMS, param_boxes)},
        }

    def finish(*args):
        *values, status_value = args
        if status_value == "interrupted":
            return [gr.skip()] * 4
        values = dict(zip(names, values))
        main, commit, text, last = reverse_view(*_values(values))
        return (gr.Slider(value=min(int(values["step"]), last)), main, commit, text)

    run_controls = [ui.controls[n] for n in RUN_NAMES if n != "sampler"] + param_boxes
    for c in run_controls:
        c.input(user_facing(full_view), [*controls, p["good"]], outputs, trigger_mode="always_last", **private)
    ui.controls["sampler"].input(user_facing(on_sampler), [*controls, p["good"]], outputs, **private)
    slider.input(user_facing(step_view), [*controls, slider, p["good"]], outputs, trigger_mode="always_last", **private)
    slider.input(None, [*controls, p["link"]], p["link"], js=stale_js(link_js(TAB_ID, SPEC.controls)), **private)
    slider.change(None, slider, step_box, js="(v) => v", **private)  # links, Play and the API read the box
    state_boxes = [ui.controls[name] for name in STATE_CONTROLS]
    sync_outputs = [slider, p["status"], p["good"], p["sampler_note"], *state_boxes, *param_boxes]
    ui.outputs["sync"].change(user_facing(on_sync), ui.outputs["sync"], sync_outputs, **private)

    main_id = f"{TAB_ID}-main"
    by_name = lambda fn: user_facing(lambda *values: fn(**dict(zip(names, values))))  # noqa: E731
    p["play"].click(by_name(play_view), controls, ui.outputs["main"], **private).then(
        user_facing(finish),
        [*controls, p["play_status"]],
        [slider, *figures],
        js=play_js(main_id, names.index("step"), len(controls)),
        **private,
    )
    p["stop"].click(None, js=stop_js(main_id), **private)
    p["gif"].click(by_name(gif_export), controls, p["files"], **private)
    p["csv"].click(by_name(csv_export), controls, p["files"], **private)
    return ui
