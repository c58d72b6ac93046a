"""Tab "CFG guidance scale": classifier-free guidance on exact class-conditional models, and the
fidelity-vs-diversity curves over the guidance scale."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.datasets import PRESETS, load_preset
from core.dataspec import load_data
from core.grids import timestep_grid
from core.models import ExactDenoiser, GuidedDenoiser
from core.processes import DiscreteVP
from core.samplers.registry import run_sampler
from demos import plotting
from demos.data_input import data_dropdown, data_spec
from demos.inputs import check_superseded, number, seed
from demos.sharing import Control

TAB_ID = "cfg"
W_CURVE = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.0, 10.0)
W_MAX = 10.0
GUIDANCE_PRESETS = [k for k in PRESETS if len(load_preset(k).classes) > 1]

NOTES = r"""
**What to notice.** Classifier-free guidance (Ho & Salimans 2022, eq. 6) samples with
$\tilde\varepsilon = (1+w)\,\varepsilon(x_t, c) - w\,\varepsilon(x_t)$, i.e. the score
$\nabla\log p_t(x\mid c) + w\,\nabla\log p_t(c\mid x)$. **Two conventions:** the paper's $w$ (0 = no guidance) and
diffusers' `guidance_scale` $s = 1 + w$ (1 = no guidance); the slider is $w$. Here both models are exact, so what you
see is guidance itself, not a training artefact. As $w$ grows, **fidelity** rises (share of samples the exact
classifier assigns to the class, mean $\log p(c\mid x)$) while **diversity** falls: samples leave the modes the class
shares with others (mode TV within the class grows) and, at large $w$, overshoot past the modes (spread grows). The
guided field is not the score of any noised distribution, so it does not sample $p(x\mid c)^{1+w}p(x)^{-w}$ exactly.
Samples: DDIM $\eta=0$ on the exact guided denoiser.
"""

SCENES = {
    "Guidance collapses modes": dict(preset="guidance_collapse", label=0, w=3.0),
    "Fidelity up, then overshoot": dict(preset="ring8_soft", label=0, w=7.0),
    "Separated classes: nothing to gain": dict(preset="ring8", label=0, w=3.0),
}

CONTROLS = [
    Control("preset", "guidance_collapse"),
    Control("label", 0, int),
    Control("w", 3.0, float),
    Control("particles", 1000, int),
    Control("steps", 50, int),
    Control("seed", 0, int),
]


def _validate(preset, label, w, particles, steps, seed_value):
    preset = data_spec(preset, GUIDANCE_PRESETS)
    classes = load_data(preset).classes.tolist()
    if len(classes) < 2:
        raise ValueError(
            "Guidance needs data with at least two classes; give your mixture's components different classes."
        )
    label = number(label, min(classes), max(classes), "Class", integer=True)
    if label not in classes:
        raise ValueError(f"Class must be one of {classes} for this preset.")
    w = number(w, 0.0, W_MAX, "Guidance w")
    particles = number(particles, 100, 2000, "Particles", integer=True)
    steps = number(steps, 5, 200, "Steps", integer=True)
    return preset, label, w, particles, steps, seed(seed_value)


def guided_samples(preset: str, label: int, w: float, particles: int, steps: int, seed_value: int) -> np.ndarray:
    mixture = load_data(preset)
    model = GuidedDenoiser(ExactDenoiser(mixture.for_class(label)), ExactDenoiser(mixture), w)
    grid = timestep_grid(DiscreteVP(), steps, "leading")
    return run_sampler("ddim", model, grid, particles, seed_value, {"eta": 0.0}, n_paths=0).samples


def tradeoff(preset: str, label: int, samples: np.ndarray) -> dict:
    """Fidelity (in-class share, mean log p(c|x)) and diversity (mode TV within the class, rms spread)."""
    mixture = load_data(preset)
    post = np.clip(mixture.class_posterior(samples, label), 1e-300, 1.0)
    resp = mixture.responsibilities(samples)
    nearest = resp.argmax(1)
    in_class = mixture.labels[nearest] == label
    sub = mixture.for_class(label)
    idx = np.flatnonzero(mixture.labels == label)
    share = np.array([(nearest[in_class] == k).mean() if in_class.any() else 0.0 for k in idx])
    spread = np.sqrt(((samples - mixture.means[nearest]) ** 2).sum(1).mean())
    return dict(
        in_class=float(in_class.mean()),
        log_post=float(np.log(post).mean()),
        mode_tv=float(0.5 * np.abs(share - sub.weights).sum()),
        spread=float(spread),
    )


@lru_cache(maxsize=16)
def curves(preset: str, label: int, particles: int, steps: int, seed_value: int) -> dict:
    """The tradeoff at each w of W_CURVE (cached per preset, class and size: ~1 s to compute)."""
    rows = []
    for w in W_CURVE:
        check_superseded()
        rows.append(tradeoff(preset, label, guided_samples(preset, label, w, particles, steps, seed_value)))
    return {k: np.array([r[k] for r in rows]) for k in rows[0]}


def samples_figure(preset: str, label: int, w: float, samples: np.ndarray) -> go.Figure:
    mixture = load_data(preset)
    box = plotting.plot_box(mixture)
    fig = go.Figure(plotting.contour_trace(mixture, box, "#9ca3af", "unconditional p(x)"))
    fig.add_trace(plotting.contour_trace(mixture.for_class(label), box, plotting.PALETTE[0], f"p(x | c = {label})"))
    fig.add_trace(plotting.points_trace(samples, f"guided samples, w = {w:g}", color="rgba(220, 38, 38, 0.5)"))
    title = f"w = {w:g} (diffusers guidance_scale {1 + w:g}), class {label}"
    return plotting.set_box(plotting.base_layout(fig, title, height=520), box)


def curves_figure(c: dict, w: float, now: dict) -> go.Figure:
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Fidelity ↑", "Diversity loss ↑"), horizontal_spacing=0.14)
    series = [
        (1, "in_class", "share in class", 0),
        (1, "log_post", "exp(mean log p(c|x))", 1),
        (2, "mode_tv", "mode TV within class", 2),
        (2, "spread", "rms spread around modes", 3),
    ]
    for col, key, name, color in series:
        y, cur = (np.exp(c[key]), np.exp(now[key])) if key == "log_post" else (c[key], now[key])
        fig.add_scatter(
            x=W_CURVE,
            y=y,
            name=name,
            mode="lines+markers",
            row=1,
            col=col,
            line=dict(color=plotting.PALETTE[color], width=2.5),
        )
        fig.add_scatter(
            x=[w],
            y=[cur],
            mode="markers",
            showlegend=False,
            row=1,
            col=col,
            marker=dict(
                color=plotting.PALETTE[color], size=13, symbol="diamond", line=dict(color="#111827", width=1.5)
            ),
        )
    fig.update_xaxes(title_text="guidance w")
    plotting.base_layout(fig, "The tradeoff over w (diamonds: current w)", height=380, square=False)
    fig.update_layout(legend=dict(y=-0.25))
    return fig


def guidance_view(preset, label, w, particles, steps, seed_value):
    """(samples figure, tradeoff curves, numbers markdown)."""
    preset, label, w, particles, steps, seed_value = _validate(preset, label, w, particles, steps, seed_value)
    samples = guided_samples(preset, label, w, particles, steps, seed_value)
    now = tradeoff(preset, label, samples)
    text = (
        f"At w = {w:g}: **{now['in_class']:.1%}** of samples in class {label}, mean log p(c|x) = "
        f"{now['log_post'] + 0.0:.3f}; mode TV within the class {now['mode_tv']:.3f}, spread {now['spread']:.3f}."
    )
    return (
        samples_figure(preset, label, w, samples),
        curves_figure(curves(preset, label, particles, steps, seed_value), w, now),
        text,
    )


def load(values: list) -> list:
    import gradio as gr

    figures = guidance_view(*values)
    classes = load_data(values[0]).classes.tolist()
    return [values[0], gr.Dropdown(choices=classes, value=int(values[1])), *values[2:], *figures]


def warm_up() -> None:
    guidance_view(*[c.default for c in CONTROLS])


def build():
    import gradio as gr

    from demos.inputs import latest_only, user_facing
    from demos.sharing import RESIZE_JS, link_js, on_first_show

    with gr.Tab("CFG guidance scale", id=TAB_ID) as tab:
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                scene = gr.Dropdown(list(SCENES), value=None, label="Scene", info="sets everything at once")
                preset = data_dropdown(gr, "guidance_collapse", GUIDANCE_PRESETS, label="Data (with classes)")
                label = gr.Dropdown([0, 1], value=0, label="Class c")
                particles = gr.Slider(100, 2000, value=1000, step=100, label="Particles")
                steps = gr.Slider(5, 200, value=50, step=1, label="DDIM steps")
                seed_box = gr.Number(0, label="Seed", precision=0, minimum=0)
                link_btn = gr.Button("🔗 Link to this view", size="sm")
                link = gr.Textbox(label="Share this link", buttons=["copy"], interactive=False)
            with gr.Column(scale=3, min_width=320, elem_classes=["main-col"]):
                w = gr.Slider(
                    0,
                    W_MAX,
                    value=3.0,
                    step=0.1,
                    label="Guidance w (Ho & Salimans)",
                    info="diffusers guidance_scale = 1 + w",
                )
                numbers = gr.Markdown()
                with gr.Row():
                    main = gr.Plot(show_label=False, min_width=300)
                    curve = gr.Plot(show_label=False, min_width=300)
        gr.Markdown(NOTES, latex_delimiters=[{"left": "$", "right": "$", "display": False}])

    controls = [preset, label, w, particles, steps, seed_box]
    outputs = [main, curve, numbers]
    view = user_facing(latest_only(guidance_view, len(outputs), [c.name for c in CONTROLS]))

    def on_preset(*values):
        return load([values[0], int(load_data(values[0]).classes[0]), *values[2:]])

    def on_scene(name, *values):
        if name not in SCENES:
            return [gr.skip()] * (len(controls) + len(outputs))
        return load([SCENES[name].get(c.name, v) for c, v in zip(CONTROLS, values)])

    w.input(view, controls, outputs, trigger_mode="always_last", api_name="guidance")
    for c in (label, particles, steps, seed_box):
        c.input(view, controls, outputs, trigger_mode="always_last", api_visibility="private")
    preset.input(user_facing(on_preset), controls, [*controls, *outputs], api_visibility="private")
    scene.input(user_facing(on_scene), [scene, *controls], [*controls, *outputs], api_visibility="private")
    link_btn.click(None, controls, link, js=link_js(TAB_ID, CONTROLS), api_visibility="private")
    first_show = on_first_show(TAB_ID, view, [c.name for c in CONTROLS], len(outputs))
    tab.select(first_show, [*controls, main], outputs, api_visibility="private")
    tab.select(None, None, None, js=RESIZE_JS, api_visibility="private")
    return tab, controls, outputs
