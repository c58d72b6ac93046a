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
from demos.inputs import MAX_PARTICLES, MAX_STEPS, MAX_WORK, check_superseded, choice, number, seed
from demos.sharing import Control, as_bool

TAB_ID = "reverse"
N_SHOWN_PATHS = 24  # readable subset drawn as lines
N_CLOUD = 400  # particles whose every step is kept, for the step slider
COMMIT_LEVEL = 0.9

NOTES = r"""
**What to notice.** A sampler only ever sees the model's denoiser $\hat x_0(x_t)$ (here exact: Tweedie's formula
$\hat x_0 = (x_t + \sigma_t^2 \nabla\log p_t(x_t))/\alpha_t$, Efron 2011; Song et al. 2021), so the error you read is
the sampler's own discretisation error. DDIM (Song et al. 2021a, eq. 12) and DPM-Solver (Lu et al. 2022) integrate the
probability-flow ODE $dx/dt = f(t)x - \tfrac12 g(t)^2\nabla\log p_t(x)$; DDPM (Ho et al. 2020) and Euler–Maruyama
integrate the reverse SDE (Anderson 1982). The error is the **MMD²** against the exact mixture, in units of its
**noise floor** (its spread over sets of exact samples of the same size): |value| ≲ 2 is as good as exact sampling.
The lower panel shows the exact posterior $p(k \mid x_t)$ along one path: the step where one component passes 90 % is
where the trajectory **commits to a mode**; few-step samplers commit late and land between modes.
"""

PARAMS = list({p.name: p for spec in SAMPLERS.values() for p in spec.params}.values())

SCENES = {
    "DDIM, 10 steps on the sharp ring": dict(
        preset="ring8", process="ddpm", grid="leading", sampler="ddim", steps=10, eta=0.0
    ),
    "DDPM, 1000 steps": dict(
        preset="ring8", process="ddpm", grid="leading", sampler="ddpm", steps=1000, particles=1000
    ),
    "EDM Heun, 18 steps (35 NFE)": dict(preset="grid25", process="edm", grid="karras", sampler="edm_heun", steps=18),
    "Langevin gets the weights wrong": dict(
        preset="ncsn_fig3", process="ve", grid="logsnr", sampler="langevin", steps=10, particles=1000
    ),
    "Annealed Langevin fixes them": dict(
        preset="ncsn_fig3", process="ve", grid="logsnr", sampler="annealed_langevin", steps=10, particles=1000
    ),
    "Flow matching Euler, 10 steps": dict(
        preset="moons", process="flow", grid="linspace", sampler="flow_euler", steps=10
    ),
}


def _param_control(p):
    if p.choices is not None:
        return Control(p.name, p.default)
    if isinstance(p.default, bool):
        return Control(p.name, p.default, as_bool)
    return Control(p.name, p.default, float)


CONTROLS = [
    Control("preset", "ring8"),
    Control("process", "ddpm"),
    Control("grid", "leading"),
    Control("sampler", "ddim"),
    Control("steps", 20, int),
    Control("seed", 0, int),
    Control("particles", 2000, int),
    Control("step", None, int),  # None: the last step
    Control("inspect", 0, int),
    *[_param_control(p) for p in PARAMS],
]


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


def _validate(preset, process, grid, sampler, steps, seed_value, particles, param_values):
    preset = data_spec(preset)
    process = choice(process, PROCESSES, "process")
    grid = choice(grid, GRIDS, "time grid")
    sampler = choice(sampler, SAMPLERS, "sampler")
    steps = number(steps, 1, MAX_STEPS, "Steps", integer=True)
    particles = number(particles, 10, MAX_PARTICLES, "Particles", integer=True)
    spec = get_sampler(sampler)
    given = {p.name: v for p, v in zip(PARAMS, param_values) if v is not None}  # empty box: the default
    params = spec.validate({p.name: given.get(p.name, p.default) for p in spec.params})
    return preset, process, grid, sampler, steps, seed(seed_value), particles, tuple(sorted(params.items()))


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
        result=result,
        grid=g,
        mmd2=value,
        units=floor.in_units(value),
        tv=mode_tv(result.samples, mixture),
        tv_floor=tv_floor,
        nll=mean_nll(result.samples, mixture),
        nll_floor=nll_floor,
    )


def reverse_figure(out: dict, preset: str, step: int, inspect: int) -> go.Figure:
    """Paths of a readable subset over the exact target; the cloud at the chosen step; one path highlighted."""
    res = out["result"]
    mixture = load_data(preset)
    box = plotting.plot_box(mixture)
    last = len(res.path) - 1
    k = min(step, last)
    fig = go.Figure(plotting.density_trace(mixture, box, name="exact target p₀"))
    fig.add_trace(plotting.paths_trace(res.path[: k + 1, :N_SHOWN_PATHS], name=f"{N_SHOWN_PATHS} paths"))
    if k == last:
        fig.add_trace(plotting.points_trace(res.samples, f"{len(res.samples)} samples", size=3.5))
    else:
        fig.add_trace(plotting.points_trace(res.path[k], f"{res.path.shape[1]} particles at step {k}", size=4))
    i = min(inspect, res.path.shape[1] - 1)
    fig.add_trace(
        go.Scatter(
            x=res.path[: k + 1, i, 0],
            y=res.path[: k + 1, i, 1],
            mode="lines+markers",
            name=f"particle #{i}",
            line=dict(color="#f59e0b", width=3),
            marker=dict(size=5),
        )
    )
    x0 = res.denoised[:k, i]
    if len(x0) and np.isfinite(x0).all():
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
    spec = get_sampler(out["sampler"])
    title = f"{spec.title} · {out['grid'].label} · step {k}/{last}"
    return plotting.set_box(plotting.base_layout(fig, title), box)


def commitment_figure(out: dict, preset: str, inspect: int) -> go.Figure:
    """Exact posterior responsibilities p(k | x_t) along one path, at the grid's noise levels."""
    res, g = out["result"], out["grid"]
    mixture = load_data(preset)
    i = min(inspect, res.path.shape[1] - 1)
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
        return plotting.base_layout(fig, "When does the path commit to a mode?", height=300, square=False)
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


def metrics_text(out: dict) -> str:
    """The run's figures, each beside what exact sampling gives (one line each: wraps on a phone)."""
    res = out["result"]
    sig = "within the noise floor" if abs(out["units"]) <= 2 else "significantly off"
    f, n = out["tv_floor"], out["nll_floor"]
    return (
        f"**NFE {res.nfe}** · **MMD² {out['units']:+.1f} floor units** ({sig}; raw {out['mmd2']:.2e}) · "
        f"mode TV {out['tv']:.3f} (exact sampling: {f.mean:.3f} ± {f.sd:.3f}) · "
        f"mean NLL {out['nll']:.3f} (exact: {n.mean:.3f} ± {n.sd:.3f}) · wall time {res.seconds * 1000:.0f} ms"
    )


def reverse_view(preset, process, grid, sampler, steps, seed_value, particles, step, inspect, *param_values):
    """(paths figure, commitment figure, metrics markdown) for one setting."""
    key = _validate(preset, process, grid, sampler, steps, seed_value, particles, param_values)
    out = dict(run(*key), sampler=key[3])
    last = len(out["result"].path) - 1
    step = last if step is None else number(step, 0, 10**6, "Step", integer=True)
    inspect = number(inspect, 0, N_CLOUD - 1, "Particle to inspect", integer=True)
    return (
        reverse_figure(out, key[0], step, inspect),
        commitment_figure(out, key[0], inspect),
        metrics_text(out),
        last,
    )


def load(values: list) -> list:
    """Updates for the tab's controls and outputs from a full list of control values (URL, scene)."""
    import gradio as gr

    fig, com, text, last = reverse_view(*values[:7], None, *values[8:])
    step = last if values[7] is None else min(int(values[7]), last)
    if step != last:
        fig, com, text, last = reverse_view(*values[:7], step, *values[8:])
    names = {p.name for p in get_sampler(values[3]).params}
    shown = [None if isinstance(v, float) and not math.isfinite(v) else v for v in values[9:]]
    params = [gr.update(value=v, visible=p.name in names) for p, v in zip(PARAMS, shown)]
    return [*values[:7], gr.Slider(maximum=last, value=step), values[8], *params, fig, com, text, last]


def warm_up() -> None:
    """Run the default setting once (noise floors, plotly) so the first visitor does not pay for it."""
    reverse_view(*[c.default for c in CONTROLS])


def build():
    import gradio as gr

    from demos.inputs import latest_only, user_facing
    from demos.sharing import RESIZE_JS, link_js, on_first_show

    with gr.Tab("Reverse trajectories", id=TAB_ID) as tab:
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                scene = gr.Dropdown(list(SCENES), value=None, label="Scene", info="sets everything at once")
                preset = data_dropdown(gr)
                sampler = gr.Dropdown([(s.title, k) for k, s in SAMPLERS.items()], value="ddim", label="Sampler")
                process = gr.Dropdown(
                    [(make_process(k).name, k) for k in PROCESSES], value="ddpm", label="Forward process"
                )
                grid = gr.Dropdown(list(GRIDS), value="leading", label="Time grid")
                steps = gr.Slider(1, MAX_STEPS, value=20, step=1, label="Steps")
                particles = gr.Slider(100, MAX_PARTICLES, value=2000, step=100, label="Particles")
                seed_box = gr.Number(0, label="Seed", precision=0, minimum=0)
                with gr.Accordion("Sampler parameters", open=True):
                    param_boxes = [
                        _param_component(gr, p, p.name in {q.name for q in get_sampler("ddim").params}) for p in PARAMS
                    ]
                link_btn = gr.Button("🔗 Link to this view", size="sm")
                link = gr.Textbox(label="Share this link", buttons=["copy"], interactive=False)
            with gr.Column(scale=3, min_width=320, elem_classes=["main-col"]):
                metrics = gr.Markdown()
                main = gr.Plot(show_label=False)
                with gr.Row():
                    step = gr.Slider(0, 20, value=20, step=1, label="Show step", scale=4)
                    play = gr.Button("▶ Play", size="sm", scale=1, min_width=80)
                inspect = gr.Slider(0, N_CLOUD - 1, value=0, step=1, label="Particle to inspect")
                commit = gr.Plot(show_label=False)
        gr.Markdown(NOTES, latex_delimiters=[{"left": "$", "right": "$", "display": False}])
        timer = gr.Timer(0.6, active=False)
        last_step = gr.State(20)

    controls = [preset, process, grid, sampler, steps, seed_box, particles, step, inspect, *param_boxes]
    outputs = [main, commit, metrics, last_step]
    view = user_facing(latest_only(reverse_view, len(outputs), [c.name for c in CONTROLS]))

    def full_view(*values, request: gr.Request = None):
        fig, com, text, last = view(*values[:7], None, *values[8:], request)
        if not isinstance(last, int):  # superseded by a newer request: leave everything as it is
            return fig, com, text, last, gr.skip()
        return fig, com, text, last, gr.Slider(maximum=last, value=last)

    def on_sampler(key):
        spec = get_sampler(key) if key in SAMPLERS else get_sampler("ddim")
        names = {p.name for p in spec.params}
        return [
            spec.default_process,
            spec.default_grid,
            spec.default_steps,
            *[gr.update(visible=p.name in names) for p in PARAMS],
        ]

    def on_scene(name):
        if name not in SCENES:
            return [gr.skip()] * (len(controls) + len(outputs))
        return load([SCENES[name].get(c.name, c.default) for c in CONTROLS])

    def tick(current, last):
        current = int(current or 0)
        return 0 if current >= last else min(last, current + max(1, last // 30))

    full_outputs = [*outputs, step]
    for c in (preset, process, grid, steps, seed_box, particles, *param_boxes):
        c.input(full_view, controls, full_outputs, trigger_mode="always_last", api_visibility="private")
    sampler.input(on_sampler, sampler, [process, grid, steps, *param_boxes], api_visibility="private").then(
        full_view, controls, full_outputs, api_visibility="private"
    )
    step.input(view, controls, outputs, trigger_mode="always_last", api_name="reverse")
    inspect.input(view, controls, outputs, trigger_mode="always_last", api_visibility="private")
    scene.input(user_facing(on_scene), scene, [*controls, *outputs], api_visibility="private")
    play.click(lambda: (gr.Timer(active=True), 0), None, [timer, step], api_visibility="private")
    timer.tick(tick, [step, last_step], step, api_visibility="private").then(
        view, controls, outputs, api_visibility="private"
    ).then(lambda s, last: gr.Timer(active=int(s) < int(last)), [step, last_step], timer, api_visibility="private")
    link_btn.click(None, controls, link, js=link_js(TAB_ID, CONTROLS), api_visibility="private")
    first_show = on_first_show(TAB_ID, view, [c.name for c in CONTROLS], len(outputs))
    tab.select(first_show, [*controls, main], outputs, api_visibility="private")
    tab.select(None, None, None, js=RESIZE_JS, api_visibility="private")
    return tab, controls, outputs


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
