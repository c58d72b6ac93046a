"""Tab "Reverse trajectories": any registered sampler on the exact model, its paths over the target,
its real error against the exact mixture (with the noise floor) and the moment a path commits to a mode."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import plotly.graph_objects as go

from core.dataspec import data_bandwidth, load_data
from core.grids import GRIDS, make_grid
from core.metrics import data_noise_floor, mean_nll, mmd2, mode_tv
from core.models import ExactDenoiser
from core.processes import PROCESSES, make_process
from core.samplers.registry import SAMPLERS, get_sampler, run_sampler
from demos import plotting
from demos.data_input import data_dropdown, data_spec
from demos.inputs import MAX_PARTICLES, MAX_STEPS, MAX_WORK, check_superseded, choice, number
from demos.inputs import seed as check_seed
from demos.sharing import Control, as_bool, as_float, as_int, drop_invalid

TAB_ID = "reverse"
N_SHOWN_PATHS = 24  # readable subset drawn as lines (the "Paths shown" control thins or hides them)
MAX_SHOWN_PATHS = 64
N_CLOUD = 400  # particles whose every step is kept, for the step slider
COMMIT_LEVEL = 0.9
PATH_POINTS = 150  # points drawn along each path: a 1000-step DDPM path is thinned evenly, not a tangle
MAX_FRAMES = 48  # Play: frames evenly in log-SNR, sent at once and played in the browser

NOTES = r"""
**What to notice.** A sampler only ever sees the model's denoiser $\hat x_0(x_t)$ (here exact: Tweedie's formula
$\hat x_0 = (x_t + \sigma_t^2 \nabla\log p_t(x_t))/\alpha_t$, Efron 2011; Song et al. 2021), so the model is never
wrong. The error you read is then the sampler's: its discretisation error, plus the **prior mismatch** (every run
starts from $\mathcal N(0, \sigma_T^2 I)$, not from $p_T$; see the Forward tab's meter), plus, for plain Langevin,
its failure to move mass between separated modes (NCSN Fig. 3: 0.50 in the heavy mode of ncsn_fig3 where the truth is
0.80). DDIM with $\eta = 0$ (Song et al. 2021a, eq. 12) and DPM-Solver (Lu et al. 2022) integrate the
probability-flow ODE $dx/dt = f(t)x - \tfrac12 g(t)^2\nabla\log p_t(x)$; DDIM with $\eta > 0$, DDPM (Ho et al. 2020)
and Euler–Maruyama sample the reverse SDE (Anderson 1982) or a stochastic mix of the two.

**Reading the numbers.** The error is the unbiased **MMD²** against the exact mixture, in units of its **noise
floor**: the RMS of MMD² over 20 sets of exact samples of the same size, whose mean is known to be 0. Exact samples
themselves score above +2 units 5 % of the time and above +3 units 1 % of the time, so "≲ 2" reads "as good as
exact sampling 95 % of the time", and one run at 2–3 is weak evidence. The unbiased MMD² can be negative (about half
of all exact sets are): a negative value means "indistinguishable", not "better than exact". Mode TV and mean NLL
are shown beside what exact samples of the same size score (mode TV is not 0 for exact samples: ring8 scores
0.024 ± 0.006 at n = 2000). An NLL *below* the exact value means samples crowd the modes' centres (too little
spread), not a better sampler. The lower panel shows the exact posterior $p(k \mid x_t)$ along one path: the step
where one component passes 90 % is where the trajectory **commits to a mode**; few-step samplers commit late and
land between modes.
"""

SAMPLER_NOTES = {
    "ddim": "η = 0 is deterministic and integrates the probability-flow ODE (Euler in "
    "σ̃ = σ/α); η > 0 adds fresh noise each step (η = 1 is DDPM's posterior variance), so it no longer follows the ODE.",
    "ddpm": "A stochastic reverse-SDE sampler, accurate with many small steps (1000 in the paper) and poor with few.",
    "euler_maruyama": "On the reverse SDE: first order and stochastic; it needs "
    "many more steps than an ODE solver for the same error.",
    "pc": "A reverse-diffusion predictor plus Langevin "
    "corrector steps at each noise level (corrector first, as the official sampling.py).",
    "pf_euler": "Euler on the probability-flow ODE in EDM's frame: first order; "
    "S_churn > 0 adds EDM's stochastic churn.",
    "edm_heun": "Second order, 2N − 1 model calls for N "
    "steps on the Karras ρ = 7 grid (18 steps = 35 NFE, the paper's CIFAR-10 setting).",
    "pf_adaptive": "The probability-flow ODE with an adaptive Runge–Kutta solver: the number of model calls "
    "follows the tolerance, not the Steps slider.",
    "dpm_solver_2": "Exact in the linear part of the ODE, second order in the rest; two model calls per step.",
    "dpm_solver_3": "Third order, three model calls per step.",
    "dpmpp_2m": "A multistep second-order solver in x̂₀ that reuses the previous "
    "step's denoiser output (one model call per step), with first-order final steps.",
    "flow_euler": "Euler on the flow-matching ODE. Time runs as in Liu et al. "
    "and diffusers, t = 1 noise → t = 0 data; Lipman et al. count the other way. With the exact model it is "
    "algebraically DDIM η = 0 on the same nodes: differences come from where the grid puts them.",
    "flow_heun": "Heun on the flow-matching ODE (second order). t = 1 is noise here; Lipman et al. 2023 count the "
    "other way.",
    "annealed_langevin": "Langevin steps at each "
    "noise level from large to small, so mass settles between modes while they still overlap.",
    "langevin": "With separated modes it cannot move "
    "mass between them, so the weights it returns are those of where it started, not the data's (NCSN Fig. 3). "
    "The lower panel shows the mass per mode against the true weights.",
}
DIFFUSERS_NOTE = (
    "A real diffusers scheduler driven by the exact model. It runs its own 1000-step linear-β training schedule and "
    "its own timesteps (the timestep spacing parameter), not the Time grid chosen here; the title says what it used."
)


def sampler_note(sampler: str) -> str:
    """A few lines on the sampler in use (the notes follow the sampler, not only the DDIM default)."""
    spec = SAMPLERS.get(sampler)
    if spec is None:
        return ""
    if spec.diffusers:
        return f"**{spec.title}.** {DIFFUSERS_NOTE}"
    return f"**{spec.title}** ({spec.paper}). {SAMPLER_NOTES.get(sampler, '')}".rstrip()


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


def scene_note(name: str) -> str:
    """The scene's point; for the DPM-Solver++ scene, DDIM on the same grid and seed measured alongside."""
    note = SCENE_NOTES.get(name, "")
    if name == "DPM-Solver++ wins (wide ring, 10 steps)":
        values = {**{c.name: c.default for c in CONTROLS}, **SCENES[name]}
        mine = run(*_key(values))
        ddim = run(*_key({**values, "sampler": "ddim", "eta": 0.0}))
        note += (
            f" MMD² {mine['units']:+.1f} floor units against DDIM's {ddim['units']:+.1f} on the same grid and seed: "
            "same cost, second order wins."
        )
    return f"**Scene: {name}.** {note}" if note else ""


def _param_control(p):
    if p.choices is not None:
        return Control(p.name, p.default)
    if isinstance(p.default, bool):
        return Control(p.name, p.default, as_bool)
    return Control(p.name, p.default, as_float if math.isfinite(p.hi or 0) else float)


CONTROLS = [
    Control("preset", "ring8"),
    Control("process", "ddpm"),
    Control("grid", "leading"),
    Control("sampler", "ddim"),
    Control("steps", 20, as_int),
    Control("seed", 0, as_int),
    Control("particles", 2000, as_int),
    Control("step", None, as_int),  # None: the last step
    Control("inspect", 0, as_int),
    Control("paths", N_SHOWN_PATHS, as_int),
    *[_param_control(p) for p in PARAMS],
]
N_FIXED = 10  # controls before the sampler parameters


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


def _validate(preset, process, grid, sampler, steps, seed, particles, param_values):
    preset = data_spec(preset)
    process = choice(process, PROCESSES, "process")
    grid = choice(grid, GRIDS, "time grid")
    sampler = _sampler(sampler)
    steps = number(steps, 1, MAX_STEPS, "Steps", integer=True)
    particles = number(particles, 10, MAX_PARTICLES, "Particles", integer=True)
    spec = get_sampler(sampler)
    given = {p.name: v for p, v in zip(PARAMS, param_values) if v is not None}  # empty box: the default
    params = spec.validate({p.name: given.get(p.name, p.default) for p in spec.params})
    return preset, process, grid, sampler, steps, check_seed(seed), particles, tuple(sorted(params.items()))


def _key(values: dict) -> tuple:
    """run()'s cache key from control values by name."""
    names = ["preset", "process", "grid", "sampler", "steps", "seed", "particles"]
    return _validate(*[values[n] for n in names], [values.get(p.name, p.default) for p in PARAMS])


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
    assigned = mixture.responsibilities(result.samples).argmax(1)
    return dict(
        shares=np.bincount(assigned, minlength=mixture.n_components) / len(result.samples),
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
    own timesteps and spacing; for Langevin its own step counts (the grid only gives its noise levels)."""
    spec = get_sampler(out["sampler"])
    params = dict(out.get("params", ()))
    g = out["grid"]
    if spec.diffusers:
        spacing = params.get("spacing")
        where = f"diffusers '{spacing}' spacing" if spacing else "diffusers' own spacing"
        calls = f", {out['result'].nfe} model calls" if out["result"].nfe != g.n_steps else ""
        return f"{g.n_steps} steps, {where} (its own timesteps{calls})"
    if out["sampler"] == "langevin":
        return f"{params.get('n_steps', 1000)} Langevin steps of ε = {params.get('step_size', 0.1):g} on the data score"
    if out["sampler"] == "annealed_langevin":
        per = params.get("steps_per_level", 100)
        return f"{g.n_steps} noise levels × {per} Langevin steps"
    return g.label


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
    return f"{spec.title} on {PROCESS_SHORT.get(out.get('process'), out.get('process'))}"


def _progress(out: dict, k: int, last: int) -> str:
    """ "step k/n" where records are the grid's steps; otherwise say what a record is."""
    spec = get_sampler(out["sampler"])
    if spec.diffusers and last != out["grid"].n_steps:
        return f"scheduler update {k}/{last}"
    if out["sampler"] in ("langevin", "annealed_langevin"):
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
    shares = (
        np.array(
            [
                np.bincount(mixture.responsibilities(res.path[n]).argmax(1), minlength=mixture.n_components)
                for n in steps
            ]
        )
        / res.path.shape[1]
    )
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
    plotting.base_layout(fig, title, height=340, square=False)
    fig.update_layout(
        xaxis=dict(title="Langevin step"),
        yaxis=dict(title="share of particles", range=[0, 1]),
        legend=dict(y=-0.3),
        margin=dict(b=90),
    )
    return fig


def commitment_figure(out: dict, preset: str, inspect: int) -> go.Figure:
    """Exact posterior responsibilities p(k | x_t) along one path, at the grid's noise levels; for Langevin
    samplers the mass per mode over the steps against the true weights instead."""
    res, g = out["result"], out["grid"]
    mixture = load_data(preset)
    i = min(inspect, res.path.shape[1] - 1)
    if out["sampler"] in ("langevin", "annealed_langevin"):
        final = out["shares"]
        top = np.argsort(mixture.weights)[::-1][:2]
        got = " / ".join(f"{final[c]:.2f}" for c in top)
        truth = " / ".join(f"{mixture.weights[c]:.2f}" for c in top)
        return _mode_panel(out, preset, f"Mass per mode: ends at {got} (true {truth})")
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
    plotting.base_layout(fig, title, height=340, square=False)
    fig.update_layout(
        xaxis=dict(title="step"), yaxis=dict(title="probability", range=[0, 1]), legend=dict(y=-0.3), margin=dict(b=90)
    )
    return fig


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


def _shares_text(out: dict, preset: str) -> str:
    mixture = load_data(preset)
    if mixture.n_components > 4:
        gap = np.abs(out["shares"] - mixture.weights)
        k = int(gap.argmax())
        return f"largest gap: mode {k} holds {out['shares'][k]:.3f} (true {mixture.weights[k]:.3f})"
    got = " / ".join(f"{v:.2f}" for v in out["shares"])
    truth = " / ".join(f"{v:.2f}" for v in mixture.weights)
    return f"{got} (true {truth})"


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
    if preset is not None:
        rows.append(f"- **mode shares** {_shares_text(out, preset)}")
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


def _out(values: list) -> tuple[dict, str]:
    key = _validate(*values[:7], values[N_FIXED:])
    return dict(run(*key), sampler=key[3], params=key[7], process=key[1]), key[0]


def play_view(*values) -> go.Figure:
    """The main figure at Play's first frame, with every frame attached for the browser to play."""
    out, preset = _out(list(values))
    inspect = number(values[8], 0, N_CLOUD - 1, "Particle to inspect", integer=True)
    paths = number(values[9], 0, MAX_SHOWN_PATHS, "Paths shown", integer=True)
    frames = play_frames(out, inspect, paths)
    fig = reverse_figure(out, preset, frames[0]["value"], inspect, paths)
    return plotting.attach_frames(fig, frames, traces=[1, 2, 3, 4] if len(fig.data) > 4 else [1, 2, 3])


GIF_STYLES = [
    dict(kind="lines", color=plotting.PATH_COLOR, width=2),
    dict(kind="points", color="rgba(15, 23, 42, 0.7)", width=4),
    dict(kind="lines", color="#f59e0b", width=3),
    dict(kind="lines", color="#7c3aed", width=2),
]


def gif_export(*values) -> str:
    """The Play animation as a GIF file (server-side, Pillow), for slides."""
    from demos import export

    out, preset = _out(list(values))
    frames = play_frames(out, int(values[8] or 0), int(values[9] or 0))
    box = plotting.plot_box(load_data(preset))
    mixture = load_data(preset)
    _, _, logp = plotting.density_grid(mixture, box, 120)
    for f in frames:
        f["range"], f["z"] = box, np.exp(logp)
    return export.gif_file(frames, GIF_STYLES, f"reverse-{out['sampler']}")


def csv_export(*values) -> str:
    """The final samples (and each one's most likely component) as a CSV file."""
    from demos import export

    out, preset = _out(list(values))
    x = out["result"].samples
    comp = load_data(preset).responsibilities(x).argmax(1)
    rows = [[float(a), float(b), int(c)] for (a, b), c in zip(x, comp)]
    return export.csv_file(["x", "y", "component"], rows, f"reverse-{out['sampler']}")


def reverse_data(**values) -> dict:
    """The numbers behind the Reverse view: the final samples, NFE, MMD² (raw and in floor units), mode TV,
    mean NLL and mode shares, each with what exact sampling of the same size scores."""
    full = {c.name: c.default for c in CONTROLS}
    full.update(values)
    out, preset = _out([full[c.name] for c in CONTROLS])
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


def _check(values: list) -> None:
    """Cheap validation of a full list of control values (no sampling): for links, one value at a time."""
    _validate(*values[:7], values[N_FIXED:])
    if values[7] is not None:
        number(values[7], 0, 10**6, "Step", integer=True)
    number(values[8], 0, N_CLOUD - 1, "Particle to inspect", integer=True)
    number(values[9], 0, MAX_SHOWN_PATHS, "Paths shown", integer=True)


def load(values: list, note: str = "") -> list:
    """Updates for the tab's controls and outputs from a full list of control values (URL, scene, reset):
    each invalid value is dropped alone with a warning naming it."""
    import gradio as gr

    values = drop_invalid(CONTROLS, values, _check)
    fig, com, text, last = reverse_view(*values[:7], None, *values[8:])
    step = last if values[7] is None else min(int(values[7]), last)
    if step != last:
        fig, com, text, last = reverse_view(*values[:7], step, *values[8:])
    spec = get_sampler(values[3])
    names = {p.name for p in spec.params}
    shown = [None if isinstance(v, float) and not math.isfinite(v) else v for v in values[N_FIXED:]]
    params = [gr.update(value=v, visible=p.name in names) for p, v in zip(PARAMS, shown)]
    grid = gr.Dropdown(value=values[2], interactive=not spec.diffusers, info=_grid_info(spec))
    good = [*values[:7], None, *values[8:]]
    return [
        *values[:2],
        grid,
        *values[3:7],
        gr.Slider(maximum=last, value=step),
        *values[8:N_FIXED],
        *params,
        fig,
        com,
        text,
        last,
        "",
        good,
        note or sampler_note(values[3]),
    ]


def _grid_info(spec) -> str:
    if spec.diffusers:
        return "not used: diffusers rows run their own timesteps (see 'timestep spacing')"
    return "where the steps sit in time; every grid ends at clean data"


def warm_up() -> None:
    """Run the default setting once (noise floors, plotly) so the first visitor does not pay for it."""
    reverse_view(*[c.default for c in CONTROLS])


def build():
    import gradio as gr

    from demos import export
    from demos.inputs import latest_only, user_facing
    from demos.sharing import (
        KEYS_HINT,
        RESIZE_JS,
        clear_link_on_change,
        link_js,
        mirror_slider,
        on_first_show,
        page_setup,
        play_js,
        stop_js,
    )

    with gr.Tab("Reverse trajectories", id=TAB_ID) as tab:
        page_setup(gr)
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                scene = gr.Dropdown(list(SCENES), value=None, label="Scene", info="sets everything at once")
                preset = data_dropdown(gr)
                sampler = gr.Dropdown([(s.title, k) for k, s in SAMPLERS.items()], value="ddim", label="Sampler")
                process = gr.Dropdown(
                    [(make_process(k).name, k) for k in PROCESSES], value="ddpm", label="Forward process"
                )
                grid = gr.Dropdown(list(GRIDS), value="leading", label="Time grid", info=_grid_info(SAMPLERS["ddim"]))
                steps = gr.Slider(1, MAX_STEPS, value=20, step=1, label="Steps")
                particles = gr.Slider(100, MAX_PARTICLES, value=2000, step=100, label="Particles")
                seed_box = gr.Number(0, label="Seed", precision=0, minimum=0)
                with gr.Accordion("Sampler parameters", open=True):
                    param_boxes = [
                        _param_component(gr, p, p.name in {q.name for q in get_sampler("ddim").params}) for p in PARAMS
                    ]
                with gr.Row():
                    link_btn = gr.Button("Link to this view", size="sm")
                    reset = gr.Button("Reset", size="sm")
                link = gr.Textbox(label="Share this link", buttons=["copy"], interactive=False)
                with gr.Accordion("Export for slides", open=False):
                    gif_btn, csv_btn, files = export.controls(gr)
            with gr.Column(scale=3, min_width=320, elem_classes=["main-col"]):
                note = gr.Markdown(sampler_note("ddim"), elem_classes=["scene-note"])
                status = gr.Markdown(elem_classes=["status"])
                main = export.plot(gr, "rev-main", show_label=False, elem_classes=["rr-square"])
                with gr.Row():
                    step = gr.Slider(0, 20, value=20, step=1, label="Show step", scale=4, elem_classes=["rr-step"])
                    play = gr.Button(
                        "Play", size="sm", scale=1, min_width=70, variant="primary", elem_classes=["rr-play"]
                    )
                    stop = gr.Button("Stop", size="sm", scale=1, min_width=70, elem_classes=["rr-stop"])
                gr.Markdown(KEYS_HINT, elem_classes=["rr-keys"])
                with gr.Row():
                    inspect = gr.Slider(0, N_CLOUD - 1, value=0, step=1, label="Particle to inspect")
                    paths = gr.Slider(0, MAX_SHOWN_PATHS, value=N_SHOWN_PATHS, step=1, label="Paths shown")
                metrics = gr.Markdown(elem_classes=["rr-metrics"])
                commit = export.plot(gr, "rev-commit", show_label=False)
        gr.Markdown(NOTES, latex_delimiters=[{"left": "$", "right": "$", "display": False}])
        last_step = gr.State(20)
        good = gr.State([c.default for c in CONTROLS])  # the last setting that ran: a refused one snaps back
        play_status = gr.Textbox(visible=False)
        api_step = gr.Number(None, visible=False, label="Show step (empty: the last)", precision=0)
        api_run = gr.Button(visible=False)
        step_mirror = mirror_slider(gr, step)
        gr.api(user_facing(_api_signature(reverse_data)), api_name="reverse_data")

    controls = [preset, process, grid, sampler, steps, seed_box, particles, step, inspect, paths, *param_boxes]
    outputs = [main, commit, metrics, last_step]
    all_outputs = [*outputs, status, good, note]
    names = [c.name for c in CONTROLS]
    view = user_facing(latest_only(reverse_view, len(outputs), names))

    def refused(err: gr.Error, kept: list):
        """Keep the last good view, say why in the status line, and put the controls back to what it shows."""
        text = str(err.message).rstrip()
        text += "" if text.endswith((".", "!", "?")) else "."
        message = f"**Not run:** {text} The view shows the last setting that ran; the controls are back to it."
        restore = [gr.skip() if c.name == "step" else v for c, v in zip(CONTROLS, kept)]
        return [*restore, *[gr.skip()] * len(outputs), message, gr.skip(), gr.skip()]

    def full_view(*args, request: gr.Request = None):
        *values, kept = args
        try:
            fig, com, text, last = view(*values[:7], None, *values[8:], request)
        except gr.Error as err:
            return refused(err, kept)
        if not isinstance(last, int):  # superseded by a newer request: leave everything as it is
            return [gr.skip()] * (len(controls) + len(all_outputs))
        skips = [gr.skip()] * len(controls)
        skips[7] = gr.Slider(maximum=last, value=last)
        return [*skips, fig, com, text, last, "", [*values[:7], None, *values[8:]], gr.skip()]

    def step_view(*args, request: gr.Request = None):
        *values, kept = args
        try:
            out = view(*values, request)
        except gr.Error as err:
            return refused(err, kept)
        if not isinstance(out[3], int):
            return [gr.skip()] * (len(controls) + len(all_outputs))
        return [*[gr.skip()] * len(controls), *out, "", gr.skip(), gr.skip()]

    def on_sampler(*args, request: gr.Request = None):
        """One event: the sampler's usual process, grid and steps, and the view they give (issue 19)."""
        values = list(args[:-1])
        key = values[3] if values[3] in SAMPLERS else "ddim"
        spec = get_sampler(key)
        values[1:3], values[4] = [spec.default_process, spec.default_grid], spec.default_steps
        out = full_view(*values, args[-1], request=request)
        if out[len(controls) + len(outputs)] and str(out[len(controls) + len(outputs)]).startswith("**Not run"):
            return out
        names_ = {p.name for p in spec.params}
        out[1], out[4] = spec.default_process, spec.default_steps
        out[2] = gr.Dropdown(value=spec.default_grid, interactive=not spec.diffusers, info=_grid_info(spec))
        for j, p in enumerate(PARAMS):
            out[N_FIXED + j] = gr.update(visible=p.name in names_)
        out[-1] = sampler_note(key)
        return out

    def on_scene(name):
        if name not in SCENES:
            return [gr.skip()] * (len(controls) + len(all_outputs))
        return load([SCENES[name].get(c.name, c.default) for c in CONTROLS], scene_note(name))

    def on_reset():
        return [None, *load([c.default for c in CONTROLS])]

    def finish(*args):
        *values, status_value = args
        if status_value == "interrupted":
            return [gr.skip()] * (1 + len(outputs))
        fig, com, text, last = reverse_view(*values)
        return (gr.Slider(value=min(int(values[7]), last)), fig, com, text, last)

    full_outputs = [*controls, *all_outputs]
    # events that set the step slider's range read its hidden mirror, not the slider (demos/sharing.py, issue 19)
    full_inputs = [*controls[:7], step_mirror, *controls[8:], good]
    for c in (preset, process, grid, steps, seed_box, particles, *param_boxes):
        c.input(full_view, full_inputs, full_outputs, trigger_mode="always_last", api_visibility="private")
    sampler.input(on_sampler, full_inputs, full_outputs, api_visibility="private")
    for c in (step, inspect, paths):
        c.input(step_view, [*controls, good], full_outputs, trigger_mode="always_last", api_visibility="private")
    api_inputs = [*controls[:7], api_step, *controls[8:]]
    api_run.click(view, api_inputs, outputs, api_name="reverse")
    scene.input(user_facing(on_scene), scene, full_outputs, api_visibility="private")
    reset.click(user_facing(on_reset), None, [scene, *full_outputs], api_visibility="private")
    play.click(user_facing(play_view), controls, main, api_visibility="private").then(
        user_facing(finish),
        [*controls, play_status],
        [step, *outputs],
        js=play_js("rev-main", 7, len(controls)),
        api_visibility="private",
    )
    stop.click(None, js=stop_js("rev-main"), api_visibility="private")
    gif_btn.click(user_facing(gif_export), controls, files, api_visibility="private")
    csv_btn.click(user_facing(csv_export), controls, files, api_visibility="private")
    link_btn.click(None, controls, link, js=link_js(TAB_ID, CONTROLS), api_visibility="private")
    clear_link_on_change(controls, link, scene, reset)
    first_show = on_first_show(TAB_ID, view, names, len(outputs))
    tab.select(first_show, [*controls, main], outputs, api_visibility="private")
    tab.select(None, None, None, js=RESIZE_JS, api_visibility="private")
    return tab, controls, all_outputs


def _param_component(gr, p, visible: bool):
    kw = dict(label=p.label, info=p.help or None, visible=visible)
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
