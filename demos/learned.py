"""Tab "Learned vs exact": train a small MLP denoiser the way DDPM does (live, capped), see where its score is
wrong against the exact one, and split a sampler's error into the model's part and the sampler's part."""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import plotly.graph_objects as go

from core import learned
from core.claims import note
from core.dataspec import data_bandwidth, load_data
from core.grids import make_grid
from core.metrics import data_noise_floor, mmd2
from core.models import ExactDenoiser
from core.processes import DiscreteVP, make_process
from core.samplers.registry import get_sampler, run_sampler
from demos import plotting
from demos.data_input import data_dropdown, data_spec
from demos.inputs import check_superseded, choice, number, seed
from demos.sharing import Control

TAB_ID = "learned"
LABEL = "Learned vs exact"
BUDGET_SAMPLERS = ("ddim", "ddpm", "dpmpp_2m", "edm_heun", "euler_maruyama", "optimal_gaussian")
BUDGET_STEPS = (5, 10, 20, 50, 100, 200)
BUDGET_PARTICLES = 1000
T_RANGE = (1, 999)  # DDPM timesteps of the error map (t = 0 is one step above clean data)
GRID_N = 80  # the error map's grid per axis
PREDICTION_LABELS = {"ε (Ho et al. 2020)": "eps", "x₀": "x0", "v (Salimans & Ho 2022)": "v"}
WEIGHTING_LABELS = {
    "uniform t (DDPM Algorithm 1)": "uniform",
    "P2 (Choi et al. 2022)": "p2",
    "EDM log-normal σ + preconditioning": "edm",
}
NEAR_COLOR, FAR_COLOR = "#111827", "#6b7280"

DEFAULTS = learned.default_settings()
CONTROLS = [
    Control("preset", DEFAULTS.spec),
    Control("prediction", DEFAULTS.prediction),
    Control("weighting", DEFAULTS.weighting),
    Control("width", DEFAULTS.width, int),
    Control("depth", DEFAULTS.depth, int),
    Control("train_steps", DEFAULTS.steps, int),
    Control("seed", DEFAULTS.seed, int),
    Control("t", 20, int),
    Control("sampler", "ddim"),
    Control("steps", 50, int),
]
N_TRAIN = 7  # the first N_TRAIN controls define the model

SCENES = {
    "Shipped model, ring of 8": dict(preset="ring8"),
    "Where the data are rare the score is wrong (t = 20)": dict(preset="ring8", t=20),
    "Higher noise: errors shrink everywhere (t = 300)": dict(preset="ring8", t=300),
    "Between two far modes (NCSN Fig. 3 data)": dict(preset="ncsn_fig3", t=50),
    "Soft modes: the learned model is nearly exact": dict(preset="ring8_soft", steps=50),
    "Error budget at 10 steps: the sampler's share": dict(preset="ring8_soft", steps=10),
    "Train live: v-prediction": dict(preset="ring8", prediction="v"),
    "Train live: EDM's weighting and preconditioning": dict(preset="ring8", weighting="edm"),
}

NOTES = (
    r"""
**What to notice.** The network is trained exactly as DDPM trains its U-Net (Ho et al. 2020, Algorithm 1): draw
$x_0$ from the data, a noise level $t$ and $\varepsilon$, and regress $x_t = \alpha_t x_0 + \sigma_t\varepsilon$ onto
what it should predict: $\varepsilon$, $x_0$, or $v = \alpha_t\varepsilon - \sigma_t x_0$ (Salimans & Ho 2022). The
weighting over $t$ changes where it spends its capacity: uniform $t$; P2 (Choi et al. 2022) multiplies the loss by
$1/(1+\mathrm{SNR}(t))$; EDM (Karras et al. 2022) draws $\ln\tilde\sigma \sim \mathcal N(-1.2, 1.2^2)$ and
preconditions the network, $D = c_\text{skip}\tilde x + c_\text{out} F(c_\text{in}\tilde x, \tfrac14\ln\tilde\sigma)$,
which then fixes what $F$ predicts. Because the true score is known here, the learned one's error can be **measured**,
not guessed: the heatmap is $\lVert\hat\varepsilon_\theta(x_t) - \varepsilon^*(x_t)\rVert$ at the chosen $t$, with the
density's 90 % (solid) and 99 % (dashed) regions. NCSN's motivation (Song & Ermon 2019, Sec. 3.1) is visible: where
data are rare the loss never looks, and the score there is poor.

**The error budget.** The same sampler, grid and initial noise run on the exact model and on the learned one. The
exact model's error is the sampler's own (discretisation and prior); the gap above it is what the model adds. With
few steps the sampler dominates; with many, only the model's error is left, and more steps no longer help. The two
do not simply add: with very few steps a smoother learned score can even offset part of the sampler's bias and score
better than the exact model. MMD² is in
units of its noise floor (|·| ≲ 2 ≈ exact sampling), which on sharp modes makes small blurs of the model large.

Shipped models (one per preset, the default settings) were trained by `python -m core.learned --write` and answer at
once; other settings train here, capped at 150 M parameter-steps (≈ 20 s of one core), and are kept in memory.
"""
    + "\n\n"
    + note("ncsn_learned_score_rare")
)


def _validate(values):
    preset, prediction, weighting, width, depth, train_steps, seed_value, t, sampler, steps = values
    preset = data_spec(preset)
    prediction = choice(prediction, learned.PREDICTIONS, "prediction")
    weighting = choice(weighting, learned.WEIGHTINGS, "weighting")
    width = number(width, 1, 10**6, "Width", integer=True)
    depth = number(depth, 1, 100, "Depth", integer=True)
    train_steps = number(train_steps, 1, 10**7, "Training steps", integer=True)
    settings = learned.Settings(preset, prediction, weighting, width, depth, train_steps, seed(seed_value))
    settings = settings.validated()
    t = number(t, *T_RANGE, "t", integer=True)
    sampler = choice(sampler, BUDGET_SAMPLERS, "sampler")
    steps = number(steps, 1, 1000, "Steps", integer=True)
    if steps not in BUDGET_STEPS:
        raise ValueError(f"Steps must be one of {BUDGET_STEPS}.")
    return settings, t, sampler, steps


# ---------------------------------------------------------------------------- the model
def model_for(settings: learned.Settings, progress=None):
    """(model, source) — shipped / cached at once, otherwise trained behind the progress bar."""

    def report(step, total, loss):
        check_superseded()
        if progress is not None:
            progress(step / total, desc=f"training: step {step:,} of {total:,}, loss {loss:.3f}")

    return learned.get_model(settings, report)


def source_text(model, source: str) -> str:
    info = model.info
    if source == "shipped":
        how = "shipped model (trained by `python -m core.learned --write`)"
    elif source == "trained":
        how = f"trained just now in {info.get('seconds', 0):.1f} s"
    else:
        how = f"trained earlier in this session ({info.get('seconds', 0):.1f} s), from memory"
    stopped = f" — {info['stopped']}" if info.get("stopped") else ""
    return f"**Model:** {model.settings.describe()}, {model.n_parameters:,} parameters; {how}{stopped}."


# ---------------------------------------------------------------------------- where it is wrong
_ERRORS: OrderedDict = OrderedDict()


def error_map(model, preset: str, t: int) -> dict:
    key = (model.settings.key, t)
    if key not in _ERRORS:
        mixture = load_data(preset)
        p = DiscreteVP()
        a, s = float(p.alpha(t)), float(p.sigma(t))
        box = learned.plot_box(mixture)
        out = learned.near_far_error(model, mixture, a, s, box, GRID_N)
        out.update(alpha=a, sigma=s, box=box, levels=learned.density_levels(mixture, a, s))
        _ERRORS[key] = out
        if len(_ERRORS) > 64:
            _ERRORS.popitem(last=False)
    return _ERRORS[key]


def error_figure(err: dict, preset: str, t: int) -> go.Figure:
    mixture = load_data(preset)
    pt = mixture.diffused(err["alpha"], err["sigma"])
    xs, ys = err["xs"], err["ys"]
    fig = go.Figure(
        go.Heatmap(
            x=xs.astype(np.float32),
            y=ys.astype(np.float32),
            z=err["grid"].astype(np.float32),
            colorscale="Magma",
            reversescale=True,
            zmin=0,
            zmax=max(1.5, float(np.quantile(err["grid"], 0.98))),
            # below the map, not beside it: on a phone the map keeps the width
            colorbar=dict(
                title=dict(text="‖ε̂−ε*‖", side="right"), orientation="h", y=-0.1, yanchor="top", len=0.8, thickness=10
            ),
            name="ε error",
            hovertemplate="x %{x:.2f}, y %{y:.2f}: %{z:.2f}<extra></extra>",
        )
    )
    xx, yy = np.meshgrid(xs, ys)
    logp = pt.log_prob(np.stack([xx.ravel(), yy.ravel()], 1)).reshape(xx.shape)
    for level, color, dash, name in (
        (err["levels"][0], NEAR_COLOR, "solid", "90 % of p_t (near)"),
        (err["levels"][1], FAR_COLOR, "dash", "99 % of p_t (outside: far)"),
    ):
        fig.add_trace(
            go.Contour(
                x=xs.astype(np.float32),
                y=ys.astype(np.float32),
                z=logp.astype(np.float32),
                contours=dict(coloring="none", start=level, end=level, size=1),
                line=dict(color=color, width=2, dash=dash),
                showscale=False,
                showlegend=True,
                name=name,
                hoverinfo="skip",
            )
        )
    title = (
        f"Learned ε error at t = {t} (σ̃ = {err['sigma'] / err['alpha']:.3g}) · "
        f"near {err['near']:.2f} · far {err['far']:.2f}"
    )
    fig = plotting.base_layout(fig, title, height=580)
    fig.update_layout(legend=dict(y=-0.3), margin=dict(b=120))
    return plotting.set_box(fig, err["box"])


# ---------------------------------------------------------------------------- the error budget
_BUDGETS: OrderedDict = OrderedDict()


def budget(model, preset: str, sampler: str, seed_value: int, progress=None) -> dict:
    """MMD² (floor units) of the exact and the learned model, same sampler / grid / noise, at BUDGET_STEPS."""
    key = (model.settings.key, sampler, seed_value)
    if key in _BUDGETS:
        _BUDGETS.move_to_end(key)
        return _BUDGETS[key]
    mixture = load_data(preset)
    spec = get_sampler(sampler)
    process = make_process(spec.default_process, mixture)
    floor = data_noise_floor(preset, "mmd2", BUDGET_PARTICLES)
    h = data_bandwidth(preset)
    out = dict(exact=[], learned=[], samples={}, process=process.name, grid=spec.default_grid)
    total, done = 2 * sum(BUDGET_STEPS), 0
    for steps in BUDGET_STEPS:
        grid = make_grid(process, spec.default_grid, steps)
        for name, m in (("exact", ExactDenoiser(mixture)), ("learned", model)):
            check_superseded()
            res = run_sampler(sampler, m, grid, BUDGET_PARTICLES, seed_value, n_paths=0)
            out[name].append(floor.in_units(mmd2(res.samples, mixture, h)))
            out["samples"][(name, steps)] = res.samples
            done += steps
            if progress is not None:
                progress(done / total, desc=f"error budget: {name} model, {steps} steps")
    _BUDGETS[key] = out
    if len(_BUDGETS) > 32:
        _BUDGETS.popitem(last=False)
    return out


def budget_figure(b: dict, sampler: str, steps: int) -> go.Figure:
    fig = go.Figure()
    x = list(BUDGET_STEPS)
    for name, color, label in (
        ("exact", "#2563eb", "exact model: the sampler's error"),
        ("learned", "#dc2626", "learned model: model + sampler"),
    ):
        fig.add_trace(go.Scatter(x=x, y=b[name], mode="lines+markers", name=label, line=dict(color=color, width=3)))
    fig.add_vline(x=steps, line=dict(color="#9ca3af", dash="dot"))
    fig.add_hrect(y0=-2, y1=2, fillcolor="#16a34a", opacity=0.12, line_width=0)
    spec = get_sampler(sampler)
    plotting.base_layout(fig, f"Error budget · {spec.title} · {b['grid']} grid", height=420, square=False)
    fig.update_xaxes(type="log", title="steps", tickvals=x, ticktext=[str(s) for s in x])
    fig.update_yaxes(type="log" if min(b["exact"] + b["learned"]) > 0 else "linear", title="MMD², floor units")
    if min(b["exact"] + b["learned"]) <= 0:
        fig.update_yaxes(type="linear")
    fig.update_layout(legend=dict(y=-0.25), margin=dict(b=100))
    return fig


def samples_figure(b: dict, preset: str, steps: int) -> go.Figure:
    mixture = load_data(preset)
    box = plotting.plot_box(mixture)
    fig = go.Figure(plotting.density_trace(mixture, box, name="exact target p₀"))
    fig.add_trace(
        plotting.points_trace(b["samples"][("exact", steps)], "exact model", color="rgba(37, 99, 235, 0.6)", size=3.5)
    )
    fig.add_trace(
        plotting.points_trace(
            b["samples"][("learned", steps)], "learned model", color="rgba(220, 38, 38, 0.6)", size=3.5
        )
    )
    i = BUDGET_STEPS.index(steps)
    title = f"Same noise, {steps} steps · exact {b['exact'][i]:+.1f} · learned {b['learned'][i]:+.1f} floor units"
    return plotting.set_box(plotting.base_layout(fig, title, height=520), box)


def loss_figure(model) -> go.Figure:
    curve = np.asarray(model.info.get("loss_curve") or [[0, math.nan]], dtype=float)
    fig = go.Figure(
        go.Scatter(
            x=curve[:, 0], y=curve[:, 1], mode="lines", name="training loss", line=dict(color="#7c3aed", width=3)
        )
    )
    weighting = {"uniform": "uniform t", "p2": "P2", "edm": "EDM"}[model.settings.weighting]
    plotting.base_layout(fig, f"Training loss · {weighting} · {model.info.get('steps_done', 0):,} steps", 300, False)
    fig.update_xaxes(title="step")
    fig.update_yaxes(title="loss", type="log")
    return fig


def numbers_text(model, err: dict, b: dict, t: int, steps: int) -> str:
    i = BUDGET_STEPS.index(steps)
    exact, learn = b["exact"][i], b["learned"][i]
    ratio = err["far"] / err["near"] if err["near"] > 0 else math.inf
    return (
        f"**Where it is wrong (t = {t}):** mean ε error {err['near']:.2f} near the data (inside 90 % of p_t) vs "
        f"{err['far']:.2f} far from it (outside 99 %), {ratio:.1f}×; on samples of p_t {err['on_data']:.2f}.  \n"
        f"**Error budget ({steps} steps):** exact model {exact:+.1f}, learned model {learn:+.1f} floor units: "
        f"the sampler's share is {exact:+.1f}, the model adds {learn - exact:+.1f}."
    )


# ---------------------------------------------------------------------------- views
def learned_view(*values, progress=None):
    """(model text, loss curve, error heatmap, budget curves, samples, numbers) for one setting."""
    settings, t, sampler, steps = _validate(values)
    model, source = model_for(settings, progress)
    err = error_map(model, settings.spec, t)
    b = budget(model, settings.spec, sampler, settings.seed, progress)
    return (
        source_text(model, source),
        loss_figure(model),
        error_figure(err, settings.spec, t),
        budget_figure(b, sampler, steps),
        samples_figure(b, settings.spec, steps),
        numbers_text(model, err, b, t, steps),
    )


def _known_model(settings):
    model = learned.cached_model(settings)
    if model is None:
        raise ValueError("This model is not trained yet: change a training setting to train it.")
    return model


def error_view(*values):
    """(error heatmap, numbers) when only t moves (the model and the budget are cached)."""
    settings, t, sampler, steps = _validate(values)
    model = _known_model(settings)
    err = error_map(model, settings.spec, t)
    b = budget(model, settings.spec, sampler, settings.seed)
    return error_figure(err, settings.spec, t), numbers_text(model, err, b, t, steps)


def budget_view(*values, progress=None):
    """(budget curves, samples, numbers) when the sampler or the steps change."""
    settings, t, sampler, steps = _validate(values)
    model = _known_model(settings)
    err = error_map(model, settings.spec, t)
    b = budget(model, settings.spec, sampler, settings.seed, progress)
    return (
        budget_figure(b, sampler, steps),
        samples_figure(b, settings.spec, steps),
        numbers_text(model, err, b, t, steps),
    )


def learned_data(
    preset: str = "ring8",
    prediction: str = "eps",
    weighting: str = "uniform",
    width: int = DEFAULTS.width,
    depth: int = DEFAULTS.depth,
    train_steps: int = DEFAULTS.steps,
    seed: int = 0,
    t: int = 20,
    sampler: str = "ddim",
    steps: int = 50,
) -> dict:
    """The numbers behind the view: the model, its training loss curve, the near / far ε errors at t, and the
    error budget (MMD² in floor units of the exact and the learned model at each step count). Trains the
    model if it is neither shipped nor cached (capped)."""
    values = [preset, prediction, weighting, width, depth, train_steps, seed, t, sampler, steps]
    settings, t, sampler, steps = _validate(values)
    model, source = model_for(settings)
    err = error_map(model, settings.spec, t)
    b = budget(model, settings.spec, sampler, settings.seed)
    return {
        "settings": dict(
            preset=settings.spec,
            prediction=settings.prediction,
            weighting=settings.weighting,
            width=settings.width,
            depth=settings.depth,
            train_steps=settings.steps,
            seed=settings.seed,
            t=t,
            sampler=sampler,
            steps=steps,
        ),
        "network_predicts": settings.target,
        "source": source,
        "parameters": model.n_parameters,
        "training_seconds": model.info.get("seconds"),
        "loss_curve": model.info.get("loss_curve", []),
        "t": t,
        "sigma_tilde": err["sigma"] / err["alpha"],
        "eps_error": {"near": err["near"], "far": err["far"], "on_data": err["on_data"]},
        "budget": {
            "sampler": sampler,
            "particles": BUDGET_PARTICLES,
            "steps": list(BUDGET_STEPS),
            "exact_floor_units": [round(v, 3) for v in b["exact"]],
            "learned_floor_units": [round(v, 3) for v in b["learned"]],
        },
    }


def load(values: list, progress=None) -> list:
    """Updates for the controls and outputs from a full list of control values (URL, scene)."""
    import gradio as gr

    from demos.data_input import data_update

    outputs = learned_view(*values, progress=progress)
    controls = list(values)
    controls[0] = data_update(gr, data_spec(values[0]))
    controls[1] = gr.update(value=values[1], interactive=values[2] != "edm")
    return [*controls, *outputs]


def warm_up() -> None:
    """The default view (shipped model, its error map and budget) so the first visitor gets it at once."""
    learned_view(*[c.default for c in CONTROLS])


def build():
    import gradio as gr

    from demos import export
    from demos.inputs import latest_only, user_facing
    from demos.sharing import RESIZE_JS, link_js, on_first_show

    names = [c.name for c in CONTROLS]
    with gr.Tab(LABEL, id=TAB_ID) as tab:
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                scene = gr.Dropdown(list(SCENES), value=None, label="Scene", info="sets everything at once")
                preset = data_dropdown(gr)
                prediction = gr.Radio(
                    [(k, v) for k, v in PREDICTION_LABELS.items()], value=DEFAULTS.prediction, label="Network predicts"
                )
                weighting = gr.Radio(
                    [(k, v) for k, v in WEIGHTING_LABELS.items()],
                    value=DEFAULTS.weighting,
                    label="Loss weighting over t",
                    info="EDM's preconditioning fixes what the network predicts",
                )
                width = gr.Radio(list(learned.WIDTHS), value=DEFAULTS.width, label="Width")
                depth = gr.Radio(list(learned.DEPTHS), value=DEFAULTS.depth, label="Hidden layers")
                train_steps = gr.Slider(
                    *learned.STEP_RANGE,
                    value=DEFAULTS.steps,
                    step=100,
                    label="Training steps",
                    info="capped at 150 M parameter-steps (≈ 20 s)",
                )
                seed_box = gr.Number(0, label="Seed", precision=0, minimum=0)
                sampler = gr.Dropdown(
                    [(get_sampler(k).title, k) for k in BUDGET_SAMPLERS], value="ddim", label="Sampler (error budget)"
                )
                steps = gr.Radio(list(BUDGET_STEPS), value=50, label="Steps shown")
                link_btn = gr.Button("Link to this view", size="sm")
                link = gr.Textbox(label="Share this link", buttons=["copy"], interactive=False)
            with gr.Column(scale=3, min_width=320, elem_classes=["main-col"]):
                status = gr.Markdown()
                heat = export.plot(gr, "learned-heat", show_label=False)
                t = gr.Slider(*T_RANGE, value=20, step=1, label="t (DDPM timestep of the error map)")
                numbers = gr.Markdown()
                with gr.Row():
                    budget_plot = export.plot(gr, "learned-budget", show_label=False, min_width=300)
                    samples = export.plot(gr, "learned-samples", show_label=False, min_width=300)
                loss = export.plot(gr, "learned-loss", show_label=False)
        gr.Markdown(NOTES, latex_delimiters=[{"left": "$", "right": "$", "display": False}])
        api_btn = gr.Button(visible=False)
        gr.api(user_facing(learned_data), api_name="learned_data")

    controls = [preset, prediction, weighting, width, depth, train_steps, seed_box, t, sampler, steps]
    outputs = [status, loss, heat, budget_plot, samples, numbers]

    def compute(*values, progress=gr.Progress()):
        return learned_view(*values, progress=progress)

    def compute_budget(*values, progress=gr.Progress()):
        return budget_view(*values, progress=progress)

    view = user_facing(latest_only(compute, len(outputs), names))
    err_view = user_facing(latest_only(error_view, 2, names))
    bud_view = user_facing(latest_only(compute_budget, 3, names))

    def on_scene(name, progress=gr.Progress()):
        if name not in SCENES:
            return [gr.skip()] * (len(controls) + len(outputs) + 1)
        values = [SCENES[name].get(c.name, c.default) for c in CONTROLS]
        return [*load(values, progress=progress), ""]

    def on_weighting(value):
        return gr.update(interactive=value != "edm")

    for c in controls[:N_TRAIN]:
        c.input(view, controls, outputs, trigger_mode="always_last", api_visibility="private")
    weighting.input(on_weighting, weighting, prediction, api_visibility="private")
    t.input(err_view, controls, [heat, numbers], trigger_mode="always_last", api_name="learned_error")
    for c in (sampler, steps):
        c.input(
            bud_view, controls, [budget_plot, samples, numbers], trigger_mode="always_last", api_visibility="private"
        )
    for c in controls:
        c.input(None, None, link, js="() => ''", api_visibility="private")  # a stale link never stays shown
    scene.input(user_facing(on_scene), scene, [*controls, *outputs, link], api_visibility="private")
    link_btn.click(None, controls, link, js=link_js(TAB_ID, CONTROLS), api_visibility="private")
    api_btn.click(view, controls, outputs, api_name="learned")
    first_show = on_first_show(TAB_ID, view, names, len(outputs))
    tab.select(first_show, [*controls, heat], outputs, api_visibility="private")
    tab.select(None, None, None, js=RESIZE_JS, api_visibility="private")
    return tab, controls, outputs
