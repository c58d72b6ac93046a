"""Tab "Learned vs exact": train a small MLP denoiser the way DDPM does (live, capped), see where its score is
wrong against the exact one, and split a sampler's error into the model's part and the sampler's part."""

from __future__ import annotations

import inspect
import math
from collections import OrderedDict
from itertools import count

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
from demos import kit, plotting
from demos.inputs import check_superseded

TAB_ID = "learned"
TITLE = "Learned vs exact"
LABEL = TITLE
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
# width, depth and the steps shown are numbers offered as radio buttons (their values are checked in `_check`)
CONTROLS = [
    kit.Control("preset", "data", DEFAULTS.spec, label="Data"),
    kit.Control(
        "prediction",
        "choice",
        DEFAULTS.prediction,
        label="Network predicts",
        choices=tuple(PREDICTION_LABELS.items()),
        widget="radio",
        noun="prediction",
    ),
    kit.Control(
        "weighting",
        "choice",
        DEFAULTS.weighting,
        label="Loss weighting over t",
        help="EDM's preconditioning fixes what the network predicts",
        choices=tuple(WEIGHTING_LABELS.items()),
        widget="radio",
        noun="weighting",
    ),
    kit.Control("width", "int", DEFAULTS.width, label="Width", choices=learned.WIDTHS, noun="Width"),
    kit.Control("depth", "int", DEFAULTS.depth, label="Hidden layers", choices=learned.DEPTHS, noun="Depth"),
    kit.Control(
        "train_steps",
        "int",
        DEFAULTS.steps,
        label="Training steps",
        lo=learned.STEP_RANGE[0],
        hi=learned.STEP_RANGE[1],
        step=100,
        help="capped at 150 M parameter-steps (≈ 20 s)",
        noun="Training steps",
    ),
    kit.Control("seed", "seed", DEFAULTS.seed, label="Seed"),
    kit.Control("t", "int", 20, label="t (DDPM timestep of the error map)", lo=T_RANGE[0], hi=T_RANGE[1], step=1),
    kit.Control(
        "sampler",
        "choice",
        "ddim",
        label="Sampler (error budget)",
        choices=tuple((get_sampler(k).title, k) for k in BUDGET_SAMPLERS),
        noun="sampler",
    ),
    kit.Control("steps", "int", 50, label="Steps shown", choices=BUDGET_STEPS, noun="Steps"),
]
NAMES = [c.name for c in CONTROLS]
TRAIN_NAMES = ("preset", "prediction", "weighting", "width", "depth", "train_steps", "seed")  # define the model

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
density's 90 % (solid) and 99 % (dashed) regions. NCSN's motivation (Song & Ermon 2019, Sec. 3.2.1) is visible: where
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


def _settings(values: dict) -> learned.Settings:
    """The model's settings from checked control values (ValueError if the work cap refuses them)."""
    return learned.Settings(*(values[n] for n in TRAIN_NAMES)).validated()


def _check(values: dict) -> dict:
    """The cross-control rules: the model's settings (a network size of the list, the work cap) and a step
    count the error budget has."""
    _settings(values)
    if values["steps"] not in BUDGET_STEPS:
        raise ValueError(f"Steps must be one of {BUDGET_STEPS}.")
    return values


def _checked(**given) -> tuple[dict, learned.Settings]:
    values = SPEC.validate(given)
    return values, _settings(values)


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
        how = f"trained in this session in {info.get('seconds', 0):.1f} s, kept in memory"
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
    return plotting.legend_below(fig, 260)


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
# Every view takes the controls by name, in the order of CONTROLS (positional calls work too).
OUTPUTS = ("status", "loss", "heat", "budget", "samples", "numbers")  # learned_view's, the /learned endpoint's
SHOWN = ("heat", "status", "loss", "budget", "samples", "numbers", "pending")  # shown_view's: what a load draws


def _figures(model, source: str, v: dict, settings: learned.Settings, progress=None) -> dict:
    """Every output of a known model, by name."""
    err = error_map(model, settings.spec, v["t"])
    b = budget(model, settings.spec, v["sampler"], settings.seed, progress)
    return {
        "status": source_text(model, source),
        "loss": loss_figure(model),
        "heat": error_figure(err, settings.spec, v["t"]),
        "budget": budget_figure(b, v["sampler"], v["steps"]),
        "samples": samples_figure(b, settings.spec, v["steps"]),
        "numbers": numbers_text(model, err, b, v["t"], v["steps"]),
    }


def learned_view(
    preset="ring8", prediction="eps", weighting="uniform", width=DEFAULTS.width, depth=DEFAULTS.depth,
    train_steps=DEFAULTS.steps, seed=0, t=20, sampler="ddim", steps=50, progress=None,
):  # fmt: skip
    """(model text, loss curve, error heatmap, budget curves, samples, numbers) for one setting, training the
    model first if it is neither shipped nor in memory (the /learned endpoint: heavy, one training at a time)."""
    v, settings = _checked(preset=preset, prediction=prediction, weighting=weighting, width=width, depth=depth,
                           train_steps=train_steps, seed=seed, t=t, sampler=sampler, steps=steps)  # fmt: skip
    model, source = model_for(settings, progress)
    out = _figures(model, source, v, settings, progress)
    return tuple(out[name] for name in OUTPUTS)


_PENDING = count(1)


def waiting_figure(title: str) -> go.Figure:
    """The placeholder of a figure whose model is being trained (a figure, so the plot says why it waits)."""
    fig = plotting.base_layout(go.Figure(), title, height=300, square=False)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def shown_view(
    preset="ring8", prediction="eps", weighting="uniform", width=DEFAULTS.width, depth=DEFAULTS.depth,
    train_steps=DEFAULTS.steps, seed=0, t=20, sampler="ddim", steps=50, progress=None,
):  # fmt: skip
    """What a training setting's change, a scene, a link or the first show draws (SHOWN): a shipped model or one
    in memory at once (the same figures as `learned_view`); otherwise placeholders, a status saying it trains,
    and a new `pending` token, whose change starts the training in the one-at-a-time queue of trainings
    (`build`), after which this view is drawn again. A known model leaves `pending` as it is."""
    import gradio as gr

    v, settings = _checked(preset=preset, prediction=prediction, weighting=weighting, width=width, depth=depth,
                           train_steps=train_steps, seed=seed, t=t, sampler=sampler, steps=steps)  # fmt: skip
    model = learned.cached_model(settings)
    if model is not None:
        out = _figures(model, "shipped" if model.shipped else "cache", v, settings, progress)
        return (*(out[name] for name in SHOWN[:-1]), gr.skip())
    size = learned.n_parameters(settings.width, settings.depth)
    status = (
        f"**Model:** {settings.describe()}, {size:,} parameters; not in memory: training now (one training at "
        "a time, at most ≈ 20 s), then every figure follows."
    )
    wait = f"Training the {settings.depth}×{settings.width} MLP …"
    return (
        waiting_figure(wait), status, waiting_figure(wait), waiting_figure(wait), waiting_figure(wait), "",
        f"{settings.key}#{next(_PENDING)}",
    )  # fmt: skip


def train_view(
    preset="ring8", prediction="eps", weighting="uniform", width=DEFAULTS.width, depth=DEFAULTS.depth,
    train_steps=DEFAULTS.steps, seed=0, t=20, sampler="ddim", steps=50, progress=None,
) -> str:  # fmt: skip
    """Train the model of these settings if it is not known yet (heavy), and say so: `shown_view` draws it."""
    _, settings = _checked(preset=preset, prediction=prediction, weighting=weighting, width=width, depth=depth,
                           train_steps=train_steps, seed=seed, t=t, sampler=sampler, steps=steps)  # fmt: skip
    model, source = model_for(settings, progress)
    return source_text(model, source)


def _known_model(settings):
    model = learned.cached_model(settings)
    if model is None:
        raise ValueError("This model is not trained yet: it trains when its settings are chosen (or by /learned).")
    return model


def error_view(
    preset="ring8", prediction="eps", weighting="uniform", width=DEFAULTS.width, depth=DEFAULTS.depth,
    train_steps=DEFAULTS.steps, seed=0, t=20, sampler="ddim", steps=50,
):  # fmt: skip
    """(error heatmap, numbers) when only t moves (the model and the budget are cached)."""
    v, settings = _checked(preset=preset, prediction=prediction, weighting=weighting, width=width, depth=depth,
                           train_steps=train_steps, seed=seed, t=t, sampler=sampler, steps=steps)  # fmt: skip
    model = _known_model(settings)
    err = error_map(model, settings.spec, v["t"])
    b = budget(model, settings.spec, v["sampler"], settings.seed)
    return error_figure(err, settings.spec, v["t"]), numbers_text(model, err, b, v["t"], v["steps"])


def budget_view(
    preset="ring8", prediction="eps", weighting="uniform", width=DEFAULTS.width, depth=DEFAULTS.depth,
    train_steps=DEFAULTS.steps, seed=0, t=20, sampler="ddim", steps=50, progress=None,
):  # fmt: skip
    """(budget curves, samples, numbers) when the sampler or the steps change."""
    v, settings = _checked(preset=preset, prediction=prediction, weighting=weighting, width=width, depth=depth,
                           train_steps=train_steps, seed=seed, t=t, sampler=sampler, steps=steps)  # fmt: skip
    model = _known_model(settings)
    err = error_map(model, settings.spec, v["t"])
    b = budget(model, settings.spec, v["sampler"], settings.seed, progress)
    return (
        budget_figure(b, v["sampler"], v["steps"]),
        samples_figure(b, settings.spec, v["steps"]),
        numbers_text(model, err, b, v["t"], v["steps"]),
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
    v, settings = _checked(preset=preset, prediction=prediction, weighting=weighting, width=width, depth=depth,
                           train_steps=train_steps, seed=seed, t=t, sampler=sampler, steps=steps)  # fmt: skip
    t, sampler, steps = v["t"], v["sampler"], v["steps"]
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


# ---------------------------------------------------------------------------- the tab
SPEC = kit.Tab(
    id=TAB_ID,
    title=TITLE,
    controls=CONTROLS,
    # one view draws the tab on a load and on a training setting's change; training itself, the t slider and the
    # error budget's controls are this tab's own events (`build`), since they redraw only part of its outputs
    views=[kit.View(shown_view, SHOWN, api_name=None, triggers=TRAIN_NAMES)],
    scenes=SCENES,
    check=_check,
)


def warm_up() -> None:
    """The default view (shipped model, its error map and budget) so the first visitor gets it at once."""
    shown_view(**SPEC.defaults())


def _radio(ui: kit.UI, name: str, **kwargs):
    """A number offered as radio buttons (the kit makes a number a slider)."""
    import gradio as gr

    c = SPEC.control(name)
    ui.controls[name] = gr.Radio(list(c.choices), value=c.default, label=c.label, **kwargs)


def layout(ui: kit.UI) -> None:
    import gradio as gr

    from demos.inputs import user_facing

    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            ui.scene_picker()
            for name in ("preset", "prediction", "weighting"):
                ui.control(name)
            _radio(ui, "width")
            _radio(ui, "depth")
            for name in ("train_steps", "seed", "sampler"):
                ui.control(name)
            _radio(ui, "steps")
            ui.link_row()
        with gr.Column(scale=3, min_width=320, elem_classes=["main-col"]):
            ui.output("status", gr.Markdown())
            ui.plot("heat")
            ui.control("t", elem_classes=["rr-step"])
            ui.output("numbers", gr.Markdown())
            with gr.Row():
                ui.plot("budget", min_width=300)
                ui.plot("samples", min_width=300)
            ui.plot("loss")
            ui.output("pending", gr.Textbox(visible="hidden"))
    gr.Markdown(NOTES, latex_delimiters=[{"left": "$", "right": "$", "display": False}])
    ui.parts["api"] = gr.Button(visible=False)
    gr.api(user_facing(learned_data), api_name="learned_data", concurrency_id=kit.HEAVY, concurrency_limit=1)


def build() -> kit.UI:
    """The tab from its spec, plus what only it has: training in the one-at-a-time queue of trainings when a
    view asks for it (then the view is drawn again with the controls as they are by then), the t slider and the
    error budget's controls redrawing their own outputs, the prediction radio disabled under EDM's weighting,
    and the /learned endpoint (train if needed, then every figure)."""
    import gradio as gr

    from demos.inputs import latest_only, user_facing

    ui = kit.build(SPEC, layout)
    controls = ui.inputs()
    out = ui.outputs

    def handler(fn, n_outputs: int):
        takes_progress = "progress" in inspect.signature(fn).parameters

        def run(*values, progress=gr.Progress()):
            return fn(*values, progress=progress) if takes_progress else fn(*values)

        params = inspect.signature(fn).parameters.values()  # the API's names and defaults are the view's
        run.__signature__ = inspect.Signature(
            [p.replace(default=gr.Progress()) if p.name == "progress" else p for p in params]
        )
        run.__name__, run.__doc__ = fn.__name__, fn.__doc__
        return user_facing(latest_only(run if takes_progress else fn, n_outputs, NAMES))

    heavy = dict(concurrency_id=kit.HEAVY, concurrency_limit=1)
    out["pending"].change(handler(train_view, 1), controls, out["status"], api_visibility="private", **heavy).success(
        handler(shown_view, len(SHOWN)), controls, [out[n] for n in SHOWN], api_visibility="private"
    )
    ui.controls["t"].input(
        handler(error_view, 2), controls, [out["heat"], out["numbers"]], trigger_mode="always_last",
        api_name="learned_error",
    )  # fmt: skip
    for k, name in enumerate(("sampler", "steps")):
        api = dict(api_name="learned_budget") if k == 0 else dict(api_visibility="private")
        ui.controls[name].input(
            handler(budget_view, 3), controls, [out[n] for n in ("budget", "samples", "numbers")],
            trigger_mode="always_last", **api,
        )  # fmt: skip
    ui.controls["weighting"].change(
        lambda w: gr.update(interactive=w != "edm"), ui.controls["weighting"], ui.controls["prediction"],
        api_visibility="private",
    )  # fmt: skip
    ui.parts["api"].click(
        handler(learned_view, len(OUTPUTS)), controls, [out[n] for n in OUTPUTS], api_name="learned", **heavy
    )
    return ui
