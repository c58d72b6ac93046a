"""Tab "Forward diffusion": data noised by a chosen process, with the exact p_t, its score, the
schedule, a picture noised the same way and the prior-mismatch meter KL(p_t ‖ N(0, σ_t² I))."""

from __future__ import annotations

import reprlib
from functools import lru_cache
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

from core.dataspec import data_title, load_data
from core.processes import PROCESSES, make_process
from demos import plotting
from demos.data_input import data_dropdown, data_spec
from demos.inputs import choice, number, seed
from demos.sharing import Control, as_bool

TAB_ID = "forward"
N_PARTICLES = 1500
NO_NOISE = 1e-6  # below this σ the meter says "no noise yet" (the KL diverges as σ → 0)
PICTURE = Path(__file__).resolve().parent.parent / "assets" / "picture.png"

NOTES = r"""
**What to notice.** Every forward process is $x_t = \alpha(t)\,x_0 + \sigma(t)\,\varepsilon$, so for mixture
data the marginal is again a mixture, $p_t = \sum_k \pi_k\,\mathcal N(\alpha\mu_k,\ \alpha^2\Sigma_k + \sigma^2 I)$,
and its score $\nabla \log p_t$ (arrows) is exact. Variance-preserving processes (DDPM, Ho et al. 2020; VP SDE,
Song et al. 2021, eq. 11) shrink the data while adding noise; variance-exploding ones (NCSN, Song & Ermon 2019;
EDM, Karras et al. 2022) only add noise, so the plot widens. Sampling starts from $\mathcal N(0, \sigma_T^2 I)$ and
never from $p_T$ itself: the **prior mismatch** $\mathrm{KL}(p_t\,\|\,\mathcal N(0,\sigma_t^2 I))$ says what a
schedule stopped at $t$ would cost. Drag $t$ down and watch it grow: too-short schedules are a classic bug.
"""

SCENES = {
    "DDPM halfway (t = 250)": dict(preset="ring8", process="ddpm", t=250.0),
    "VE: the data explodes": dict(preset="smiley", process="ve", t=0.6),
    "Flow matching midpoint": dict(preset="moons", process="flow", t=0.5),
    "Too-short schedule (t = 300)": dict(preset="grid25", process="ddpm", t=300.0),
}


def time_range(process_key: str) -> tuple[float, float, float]:
    """(lowest t, highest t, slider step) in the process's own units; lowest t is clean data."""
    p = make_process(process_key)
    if p.discrete:
        return -1.0, float(p.t_max), 1.0
    step = 0.1 if p.t_max > 10 else 0.005
    return 0.0, float(p.t_max), step


CONTROLS = [
    Control("preset", "ring8"),
    Control("process", "ddpm"),
    Control("t", 250.0, float),
    Control("show_score", True, as_bool),
    Control("seed", 0, int),
]


@lru_cache(maxsize=32)
def _particles(preset: str, seed_value: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed_value)
    return load_data(preset).sample(N_PARTICLES, rng), rng.standard_normal((N_PARTICLES, 2))


@lru_cache(maxsize=1)
def _picture() -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(PICTURE).convert("RGB"), dtype=np.float64) / 127.5 - 1.0


def _coefficients(process_key: str, t: float, mixture) -> tuple[float, float]:
    p = make_process(process_key, mixture)
    return float(p.alpha(t)), float(p.sigma(t))


def _validate(preset, process, t, show_score, seed_value):
    preset = data_spec(preset)
    process = choice(process, PROCESSES, "process")
    lo, hi, _ = time_range(process)
    t = number(t, lo, hi, f"t for {process}")
    if not isinstance(show_score, (bool, np.bool_)):
        raise ValueError(f"Show score must be true or false, got {reprlib.repr(show_score)}.")
    return preset, process, t, bool(show_score), seed(seed_value)


def forward_figure(preset: str, process: str, t: float, show_score: bool = True, seed_value: int = 0) -> go.Figure:
    """Particles x_t = α x₀ + σ ε over the exact density p_t, with the exact score field."""
    preset, process, t, show_score, seed_value = _validate(preset, process, t, show_score, seed_value)
    mixture = load_data(preset)
    a, s = _coefficients(process, t, mixture)
    pt = mixture.diffused(a, s)
    box = plotting.plot_box(pt)
    x0, eps = _particles(preset, seed_value)
    xt = a * x0 + s * eps
    fig = go.Figure(plotting.density_trace(pt, box, name="exact p_t"))
    fig.add_trace(plotting.points_trace(xt, "particles x_t", size=3.5))
    if show_score:
        pts = plotting.field_points(box)
        fig.add_trace(plotting.arrows_trace(pts, pt.score(pts), 0.9 * (box[1] - box[0]) / 22))
    title = f"{data_title(preset)} · {make_process(process, mixture).name} · t = {t:g}  (α = {a:.3f}, σ = {s:.3f})"
    return plotting.set_box(plotting.base_layout(fig, title), box)


def schedule_figure(process: str, t: float) -> go.Figure:
    """α(t), σ(t) and log-SNR λ(t) = log(α/σ) over the process's time, current t marked."""
    lo, hi, _ = time_range(process)
    p = make_process(process)
    ts = np.linspace(lo, hi, 300)
    if process == "ve":
        ts = ts[1:]
    fig = go.Figure()
    fig.add_scatter(x=ts, y=p.alpha(ts), name="α(t)", line=dict(color=plotting.PALETTE[0], width=3))
    fig.add_scatter(x=ts, y=p.sigma(ts), name="σ(t)", line=dict(color=plotting.PALETTE[1], width=3))
    with np.errstate(divide="ignore"):
        lam = p.log_snr(ts)
    lam = np.where(np.isfinite(lam), lam, np.nan)
    fig.add_scatter(x=ts, y=lam, name="log-SNR λ(t)", yaxis="y2", line=dict(color="#6b7280", width=2, dash="dot"))
    fig.add_vline(x=t, line=dict(color="#111827", width=2, dash="dash"))
    plotting.base_layout(fig, "Schedule", height=300, square=False)
    fig.update_layout(
        yaxis=dict(title="α, σ"),
        yaxis2=dict(title="λ", overlaying="y", side="right", showgrid=False),
        xaxis=dict(title="t"),
        margin=dict(l=50, r=50, t=50, b=90),
        legend=dict(y=-0.4),
    )
    return fig


def noised_picture(preset: str, process: str, t: float, seed_value: int = 0) -> np.ndarray:
    """assets/picture.png (scaled to [-1, 1]) noised as α x₀ + σ ε, shown divided by √(α² + σ²)
    (the VE σ_max is the one chosen for the preset)."""
    a, s = _coefficients(process, t, load_data(preset))
    img = _picture()
    eps = np.random.default_rng(seed_value).standard_normal(img.shape)
    xt = (a * img + s * eps) / np.sqrt(a**2 + s**2)
    return np.clip((xt + 1) * 127.5, 0, 255).astype(np.uint8)


def prior_mismatch(preset: str, process: str, t: float, n: int = 20_000) -> tuple[float, float]:
    """Monte Carlo KL(p_t ‖ N(0, σ_t² I)) in nats with its standard error (exact p_t, fixed seed)."""
    mixture = load_data(preset)
    a, s = _coefficients(process, t, mixture)
    if s < NO_NOISE:
        return float("inf"), 0.0
    pt = mixture.diffused(a, s)
    x = pt.sample(n, np.random.default_rng(7))
    log_q = -0.5 * (x**2).sum(1) / s**2 - np.log(2 * np.pi * s**2)
    diff = pt.log_prob(x) - log_q
    return float(diff.mean()), float(diff.std(ddof=1) / np.sqrt(n))


def mismatch_text(preset: str, process: str, t: float) -> str:
    kl_t, se_t = prior_mismatch(preset, process, t)
    p = make_process(process, load_data(preset))
    kl_T, se_T = prior_mismatch(preset, process, float(p.t_max))
    verdict = "negligible" if kl_t < 0.01 else ("noticeable" if kl_t < 0.1 else "large: samples will be wrong")
    now = "∞ (no noise yet)" if not np.isfinite(kl_t) else f"{_nats(kl_t, se_t)} ({verdict})"
    return (
        f"**Prior mismatch** if sampling started at this t: KL(p_t ‖ N(0, σ_t² I)) = {now}  \n"
        f"At this process's end T = {p.t_max:g}: {_nats(kl_T, se_T)}."
    )


def _nats(value: float, se: float) -> str:
    """A Monte Carlo KL with its 2-s.e. band; values inside the band read as zero."""
    if abs(value) < 2 * se:
        return f"0 within Monte Carlo error (< {2 * se:.1e} nats)"
    return f"{value:.3g} ± {2 * se:.2g} nats"


def load(values: list) -> list:
    """Updates for the tab's controls and outputs from a full list of control values (URL, scene):
    the t slider gets the chosen process's range."""
    import gradio as gr

    figures = forward_view(*values)
    lo, hi, step = time_range(values[1])
    return [values[0], values[1], gr.Slider(minimum=lo, maximum=hi, step=step, value=values[2]), *values[3:], *figures]


def forward_view(preset, process, t, show_score=True, seed_value=0):
    """Everything the tab shows, for one setting: (main figure, schedule, picture, mismatch text)."""
    preset, process, t, show_score, seed_value = _validate(preset, process, t, show_score, seed_value)
    return (
        forward_figure(preset, process, t, show_score, seed_value),
        schedule_figure(process, t),
        noised_picture(preset, process, t, seed_value),
        mismatch_text(preset, process, t),
    )


def warm_up() -> None:
    """Build the default view once: plotly's first figures of each kind cost ~150 ms extra."""
    forward_view(*[c.default for c in CONTROLS])


def build():
    """Lay out the tab; returns (tab, controls, outputs) for the app's URL loader."""
    import gradio as gr

    from demos.inputs import user_facing
    from demos.sharing import RESIZE_JS, link_js, on_first_show

    with gr.Tab("Forward diffusion", id=TAB_ID) as tab:
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                scene = gr.Dropdown(list(SCENES), value=None, label="Scene", info="sets everything at once")
                preset = data_dropdown(gr)
                process = gr.Dropdown(
                    [(make_process(k).name, k) for k in PROCESSES], value="ddpm", label="Forward process"
                )
                show_score = gr.Checkbox(True, label="Show score arrows")
                seed_box = gr.Number(0, label="Seed", precision=0, minimum=0)
                link_btn = gr.Button("🔗 Link to this view", size="sm")
                link = gr.Textbox(label="Share this link", buttons=["copy"], interactive=False)
            with gr.Column(scale=3, min_width=320, elem_classes=["main-col"]):
                main = gr.Plot(show_label=False)
                lo, hi, step = time_range("ddpm")
                with gr.Row():
                    t = gr.Slider(lo, hi, value=250, step=step, label="t (process time)", scale=4)
                    play = gr.Button("▶ Play", size="sm", scale=1, min_width=70)
                    stop = gr.Button("■ Stop", size="sm", scale=1, min_width=70)
            with gr.Column(scale=2, min_width=280):
                schedule = gr.Plot(label="Schedule")
                picture = gr.Image(label="The same noise on a picture", height=220, interactive=False, buttons=[])
                mismatch = gr.Markdown()
        gr.Markdown(NOTES, latex_delimiters=[{"left": "$", "right": "$", "display": False}])
        timer = gr.Timer(0.5, active=False)

    controls = [preset, process, t, show_score, seed_box]
    outputs = [main, schedule, picture, mismatch]
    view = user_facing(forward_view)

    def on_process(process_key, t_value):
        lo, hi, step = time_range(process_key)
        frac = 0.25 if t_value is None else (float(t_value) - lo) / max(hi - lo, 1e-9)
        new_t = float(np.clip(lo + min(max(frac, 0.0), 1.0) * (hi - lo), lo, hi))
        if step == 1.0:
            new_t = float(round(new_t))
        return gr.Slider(minimum=lo, maximum=hi, step=step, value=new_t)

    def on_scene(name, *values):
        if name not in SCENES:
            return [gr.skip()] * (len(controls) + len(outputs))
        return load([SCENES[name].get(c.name, v) for c, v in zip(CONTROLS, values)])

    def tick(process_key, t_value):
        lo, hi, step = time_range(process_key)
        nxt = float(t_value) + (hi - lo) / 40
        return lo if nxt > hi else (round(nxt) if step == 1.0 else nxt)

    for c in (preset, show_score, seed_box):
        c.input(view, controls, outputs, trigger_mode="always_last", api_visibility="private")
    t.input(view, controls, outputs, trigger_mode="always_last", api_name="forward")
    process.input(on_process, [process, t], t, api_visibility="private").then(
        view, controls, outputs, api_visibility="private"
    )
    scene.input(user_facing(on_scene), [scene, *controls], [*controls, *outputs], api_visibility="private")
    play.click(lambda: gr.Timer(active=True), None, timer, api_visibility="private")
    stop.click(lambda: gr.Timer(active=False), None, timer, api_visibility="private")
    timer.tick(tick, [process, t], t, api_visibility="private", trigger_mode="always_last").then(
        view, controls, outputs, api_visibility="private"
    )
    link_btn.click(None, controls, link, js=link_js(TAB_ID, CONTROLS), api_visibility="private")
    first_show = on_first_show(TAB_ID, view, [c.name for c in CONTROLS], len(outputs))
    tab.select(first_show, [*controls, main], outputs, api_visibility="private")
    tab.select(None, None, None, js=RESIZE_JS, api_visibility="private")
    return tab, controls, outputs
