"""Tab "Forward diffusion": data noised by a chosen process, with the exact p_t, its score, the
schedule, a picture noised the same way and the prior-mismatch meter KL(p_t ‖ N(0, σ_t² I))."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

from core.dataspec import data_title, load_data
from core.processes import PROCESSES, make_process
from demos import export, kit, plotting
from demos.inputs import user_facing

TAB_ID = "forward"
N_PARTICLES = 1500
NO_NOISE = 1e-6  # below this σ the meter says "no noise yet" (the KL diverges as σ → 0)
MAX_FRAMES = 32  # Play: frames evenly in log-SNR, sent at once and played in the browser
FRAME_GRID = 64  # density pixels per side in a Play frame (the still view uses 120)
SCHEDULE_PX = 180  # the schedule panel's plot area; its legend goes below the axis
PICTURE = Path(__file__).resolve().parent.parent / "assets" / "picture.png"

NOTES = r"""
**What to notice.** Every forward process is $x_t = \alpha(t)\,x_0 + \sigma(t)\,\varepsilon$, so for mixture
data the marginal is again a mixture, $p_t = \sum_k \pi_k\,\mathcal N(\alpha\mu_k,\ \alpha^2\Sigma_k + \sigma^2 I)$,
and its score $\nabla \log p_t$ (arrows) is exact. Variance-preserving processes (DDPM, Ho et al. 2020; VP SDE,
Song et al. 2021, eq. 11) shrink the data while adding noise; variance-exploding ones (NCSN, Song & Ermon 2019;
EDM, Karras et al. 2022) only add noise, so the plot widens. Sampling starts from $\mathcal N(0, \sigma_T^2 I)$ and
never from $p_T$ itself: the **prior mismatch** $\mathrm{KL}(p_t\,\|\,\mathcal N(0,\sigma_t^2 I))$ says what a
schedule stopped at $t$ would cost. Drag $t$ down and watch it grow: too-short schedules are a classic bug.

**Time conventions.** The lowest $t$ is clean data for DDPM ($t = -1$ here: index 0 is already the first noising
step), VP, sub-VP, EDM and flow ($\sigma = 0$); VE starts at $\sigma_{\min} = 0.01$, never exactly clean. Flow
matching here uses $x_t = (1-t)\,x_0 + t\,\varepsilon$ (Liu et al. 2023; diffusers): $t = 1$ is noise. Lipman et al.
2023 run time the other way ($t = 0$ noise, $t = 1$ data): their $t$ is $1 - t$ here. VE's $\sigma_{\max}$ is chosen
for the data (Song & Ermon 2020, Technique 1), so it differs between presets.
"""

SCENES = {
    "DDPM halfway (t = 250)": dict(preset="ring8", process="ddpm", t=250.0),
    "VE: the data explodes": dict(preset="smiley", process="ve", t=0.6, fixed_axes=True),
    "Flow matching midpoint": dict(preset="moons", process="flow", t=0.5),
    "Too-short schedule (t = 300)": dict(preset="grid25", process="ddpm", t=300.0),
}
SCENE_NOTES = {
    "DDPM halfway (t = 250)": "At t = 250 of 999 the ring is already blurred into a disc, but the density is far "
    "from N(0, I): the prior-mismatch meter is large. Press Play to watch it dissolve evenly in log-SNR.",
    "VE: the data explodes": "VE only adds noise (α = 1): with fixed axes the smiley is a dot in the middle at "
    "σ = 0.5 and spreads over the whole box by σ_max. Press Play: nothing shrinks, everything widens.",
    "Flow matching midpoint": "Flow matching mixes linearly: x_t = (1 − t) x₀ + t ε. At t = 0.5 the moons are "
    "half-size and half-noise, and the score arrows still point to them.",
    "Too-short schedule (t = 300)": "Stopping the schedule at t = 300 leaves the 5×5 grid visible: the KL meter "
    "says how far p_t is from the N(0, σ²I) a sampler would start from (large: samples will be wrong).",
}
SCENE_NOTE_DEFAULT = "Move t, or press Play to noise the data from t = 0 to T (frames evenly in log-SNR)."


def time_range(process_key: str) -> tuple[float, float, float]:
    """(lowest t, highest t, slider step) in the process's own units. The lowest t is clean data except for
    VE (σ(0) = σ_min = 0.01); a discrete process's t = -1 stands for clean data (index 0 is one noising step)."""
    p = make_process(process_key)
    if p.discrete:
        return -1.0, float(p.t_max), 1.0
    step = 0.1 if p.t_max > 10 else 0.005
    return 0.0, float(p.t_max), step


def time_info(process_key: str) -> str:
    """What the ends of the t slider mean for this process (the slider's help line)."""
    lo, hi, _ = time_range(process_key)
    if make_process(process_key).discrete:
        return f"t = −1 is clean data x₀ (index 0 is already one noising step); t = {hi:g} is pure noise"
    if process_key == "ve":
        return "t = 0 is σ = 0.01 (VE never reaches clean data); t = 1 is σ_max, chosen for the data"
    if process_key == "flow":
        return "t = 0 is data, t = 1 noise (Lipman et al. 2023 count the other way: their t = 1 − t)"
    return f"t = 0 is clean data; t = {hi:g} is pure noise"


PROCESS_CHOICES = [(make_process(k).name, k) for k in PROCESSES]
CONTROLS = [
    kit.Control("preset", "data", "ring8", label="Data"),
    kit.Control(
        "process",
        "choice",
        "ddpm",
        label="Forward process",
        choices=tuple(PROCESS_CHOICES),
    ),
    kit.Control(
        "t",
        "float",
        250.0,
        label="t (process time)",
        range_of=lambda values: time_range(values.get("process", "ddpm")),
        depends_on=("process",),
        help_of=lambda values: time_info(values.get("process", "ddpm")),
        noun=lambda values: f"t for {values.get('process', 'ddpm')}",
    ),
    kit.Control("show_score", "bool", True, label="Show score arrows"),
    kit.Control("seed", "seed", 0, label="Seed"),
    kit.Control("fixed_axes", "bool", False, label="Fixed axes", help="one view for every t (VE's growth shows)"),
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


def _validate(preset, process, t, show_score, seed, fixed_axes=False):
    """The controls checked by their spec (the t range of the chosen process), in CONTROLS order."""
    values = SPEC.validate(dict(zip(SPEC.names, (preset, process, t, show_score, seed, fixed_axes))))
    return tuple(values[name] for name in SPEC.names)


def _box(preset: str, process: str, t: float, fixed_axes: bool):
    """The view: around p_t, or (fixed axes) one box for every t, around p_t at both ends of time."""
    mixture = load_data(preset)
    if not fixed_axes:
        return plotting.plot_box(mixture.diffused(*_coefficients(process, t, mixture)))
    return _fixed_box(preset, process)


@lru_cache(maxsize=64)
def _fixed_box(preset: str, process: str):
    mixture = load_data(preset)
    lo, hi, _ = time_range(process)
    boxes = [
        plotting.plot_box(mixture.diffused(*_coefficients(process, u, mixture))) for u in (lo, 0.5 * (lo + hi), hi)
    ]
    return min(b[0] for b in boxes), max(b[1] for b in boxes), min(b[2] for b in boxes), max(b[3] for b in boxes)


def _title(preset: str, process: str, t: float, a: float, s: float) -> str:
    name = make_process(process, load_data(preset)).name
    return f"{data_title(preset)} · {name} · t = {t:g}  (α = {a:.3f}, σ = {s:.3f})"


def _frame_data(preset, process, t, show_score, seed, box, n_grid=120):
    """What one picture of the main plot holds: exact p_t on the box, particles, score arrows."""
    mixture = load_data(preset)
    a, s = _coefficients(process, t, mixture)
    pt = mixture.diffused(a, s)
    x0, eps = _particles(preset, seed)
    arrows = None
    if show_score:
        pts = plotting.field_points(box)
        arrows = plotting.arrow_segments(pts, pt.score(pts), 0.9 * (box[1] - box[0]) / 22)
    return pt, a, s, a * x0 + s * eps, arrows


def forward_figure(
    preset: str, process: str, t: float, show_score: bool = True, seed: int = 0, fixed_axes: bool = False
) -> go.Figure:
    """Particles x_t = α x₀ + σ ε over the exact density p_t, with the exact score field (arrows with heads).
    `fixed_axes`: one view for every t (VE's growth shows), instead of a view that follows p_t."""
    preset, process, t, show_score, seed, fixed_axes = _validate(preset, process, t, show_score, seed, fixed_axes)
    box = _box(preset, process, t, fixed_axes)
    pt, a, s, xt, arrows = _frame_data(preset, process, t, show_score, seed, box)
    fig = go.Figure(plotting.density_trace(pt, box, name="exact p_t"))
    fig.add_trace(plotting.points_trace(xt, "particles x_t", size=3.5))
    if show_score:
        fig.add_trace(
            go.Scatter(
                x=arrows[:, 0].astype(np.float32),
                y=arrows[:, 1].astype(np.float32),
                mode="lines",
                line=dict(color="#0f766e", width=1.6),
                name="score ∇log p_t",
                hoverinfo="skip",
            )
        )
    return plotting.set_box(plotting.base_layout(fig, _title(preset, process, t, a, s), height=None), box)


def play_times(preset: str, process: str, max_frames: int = MAX_FRAMES) -> np.ndarray:
    """Times for Play from clean data to pure noise, evenly in log-SNR λ (where the picture changes)."""
    lo, hi, _ = time_range(process)
    p = make_process(process, load_data(preset))
    ts = np.linspace(lo, hi, 2001)
    if p.discrete:
        ts = np.arange(lo, hi + 1)
    with np.errstate(divide="ignore"):
        lam = p.log_snr(ts)
    picks = plotting.frame_indices(lam, max_frames)
    out = ts[picks]
    return np.unique(np.round(out) if p.discrete else np.round(out, 4))


def play_frames(preset, process, t, show_score=True, seed=0, fixed_axes=False) -> list[dict]:
    """Play's frames (see demos.plotting.attach_frames): particles, arrows, density and view per time."""
    preset, process, t, show_score, seed, fixed_axes = _validate(preset, process, t, show_score, seed, fixed_axes)
    frames = []
    for u in play_times(preset, process):
        u = float(u)
        box = _box(preset, process, u, fixed_axes)
        pt, a, s, xt, arrows = _frame_data(preset, process, u, show_score, seed, box)
        _, _, logp = plotting.density_grid(pt, box, FRAME_GRID)
        traces = [xt] if arrows is None else [xt, np.full((1, 2), np.nan)]  # arrows hidden while playing
        frames.append(dict(value=u, title=_title(preset, process, u, a, s), traces=traces, z=np.exp(logp), range=box))
    return frames


def play_view(preset, process, t, show_score=True, seed=0, fixed_axes=False) -> go.Figure:
    """The main figure at Play's first frame, with every frame attached for the browser to play."""
    frames = play_frames(preset, process, t, show_score, seed, fixed_axes)
    fig = forward_figure(preset, process, frames[0]["value"], show_score, seed, fixed_axes)
    return plotting.attach_frames(fig, frames, traces=[1, 2] if show_score else [1], heatmap=0)


GIF_STYLES = [dict(kind="points", color="rgba(15, 23, 42, 0.6)", width=3), dict(kind="lines", color="#0f766e", width=1)]


def gif_export(preset, process, t, show_score=True, seed=0, fixed_axes=False) -> str:
    """The Play animation as a GIF file (server-side, Pillow), for slides."""
    frames = play_frames(preset, process, t, show_score, seed, fixed_axes)
    return export.gif_file(frames, GIF_STYLES, f"forward-{process}")


def csv_export(preset, process, t, show_score=True, seed=0, fixed_axes=False) -> str:
    """The particles x_t shown (with the x₀ and ε they were made of) as a CSV file."""
    preset, process, t, show_score, seed, fixed_axes = _validate(preset, process, t, show_score, seed, fixed_axes)
    a, s = _coefficients(process, t, load_data(preset))
    x0, eps = _particles(preset, seed)
    xt = a * x0 + s * eps
    rows = np.column_stack([xt, x0, eps])
    return export.csv_file(["x_t", "y_t", "x0", "y0", "eps_x", "eps_y"], rows.tolist(), f"forward-{process}-t{t:g}")


def forward_data(preset: str = "ring8", process: str = "ddpm", t: float = 250.0, seed: int = 0) -> dict:
    """The numbers behind the Forward view: α(t), σ(t), the particles x_t (with x₀ and ε), the prior
    mismatch KL(p_t ‖ N(0, σ_t² I)) in nats with its Monte Carlo standard error (null where σ = 0)."""
    preset, process, t, _, seed, _ = _validate(preset, process, t, True, seed, False)
    mixture = load_data(preset)
    a, s = _coefficients(process, t, mixture)
    x0, eps = _particles(preset, seed)
    kl, se = prior_mismatch(preset, process, t)
    return {
        "preset": preset,
        "process": process,
        "t": t,
        "alpha": a,
        "sigma": s,
        "particles": (a * x0 + s * eps).round(6).tolist(),
        "x0": x0.round(6).tolist(),
        "eps": eps.round(6).tolist(),
        "kl_nats": kl if np.isfinite(kl) else None,
        "kl_standard_error": se,
    }


def schedule_figure(process: str, t: float, preset: str = "ring8") -> go.Figure:
    """α(t), σ(t) and log-SNR λ(t) = log(α/σ) over the process's time, current t marked. The process is
    built with the data (VE's σ_max is the preset's, as in the main plot and its title)."""
    lo, hi, _ = time_range(process)
    p = make_process(process, load_data(preset))
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
    name = "VE, σ_max = " + f"{p.sigma_max:.3g}" if process == "ve" else p.name
    plotting.base_layout(fig, f"Schedule: {name}", square=False)
    fig.update_layout(
        yaxis=dict(title="α, σ"),
        yaxis2=dict(title="λ", overlaying="y", side="right", showgrid=False),
        xaxis=dict(title="t"),
        margin=dict(l=50, r=50),
    )
    return plotting.legend_below(fig, SCHEDULE_PX)


def noised_picture(preset: str, process: str, t: float, seed: int = 0) -> np.ndarray:
    """assets/picture.png (scaled to [-1, 1]) noised as α x₀ + σ ε, shown divided by √(α² + σ²)
    (the VE σ_max is the one chosen for the preset)."""
    a, s = _coefficients(process, t, load_data(preset))
    img = _picture()
    eps = np.random.default_rng(seed).standard_normal(img.shape)
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


def forward_view(preset, process, t, show_score=True, seed=0, fixed_axes=False):
    """Everything the tab shows, for one setting: (main figure, schedule, picture as a PNG file named by its
    content, mismatch text)."""
    preset, process, t, show_score, seed, fixed_axes = _validate(preset, process, t, show_score, seed, fixed_axes)
    return (
        forward_figure(preset, process, t, show_score, seed, fixed_axes),
        schedule_figure(process, t, preset),
        export.image_file(noised_picture(preset, process, t, seed), "forward-picture"),
        mismatch_text(preset, process, t),
    )


def warm_up() -> None:
    """Build the default view once: plotly's first figures of each kind cost ~150 ms extra."""
    forward_view(**SPEC.defaults())


SPEC = kit.Tab(
    id=TAB_ID,
    title="Forward diffusion",
    controls=CONTROLS,
    views=[kit.View(forward_view, ("main", "schedule", "picture", "mismatch"), api_name="forward")],
    scenes=SCENES,
    scene_notes=SCENE_NOTES,
    default_note=SCENE_NOTE_DEFAULT,
)


def layout(ui: kit.UI) -> None:
    import gradio as gr

    from demos import export
    from demos.sharing import KEYS_HINT

    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            ui.scene_picker()
            for name in ("preset", "process", "show_score", "fixed_axes", "seed"):
                ui.control(name)
            ui.link_row()
            with gr.Accordion("Export for slides", open=False):
                ui.parts["gif"], ui.parts["csv"], ui.parts["files"] = export.controls(gr, csv_label="Particles as CSV")
        with gr.Column(scale=3, min_width=320, elem_classes=["main-col"]):
            ui.note()
            ui.plot("main", elem_classes=["rr-square"])
            with gr.Row():
                ui.control("t", scale=4, elem_classes=["rr-step"])
                ui.parts["play"] = gr.Button(
                    "Play", size="sm", scale=1, min_width=70, variant="primary", elem_classes=["rr-play"]
                )
                ui.parts["stop"] = gr.Button("Stop", size="sm", scale=1, min_width=70, elem_classes=["rr-stop"])
            gr.Markdown(KEYS_HINT, elem_classes=["rr-keys"])
        with gr.Column(scale=2, min_width=280):
            ui.plot("schedule", label="Schedule")
            ui.output(
                "picture", gr.Image(label="The same noise on a picture", height=220, interactive=False, buttons=[])
            )
            ui.output("mismatch", gr.Markdown())
    gr.Markdown(NOTES, latex_delimiters=[{"left": "$", "right": "$", "display": False}])
    ui.parts["play_status"] = gr.Textbox(visible=False)
    gr.api(user_facing(forward_data), api_name="forward_data")


def build() -> kit.UI:
    """The tab from its spec, plus what only it has: Play / Stop and the exports."""
    import gradio as gr

    from demos.sharing import play_js, stop_js

    ui = kit.build(SPEC, layout)
    controls, p = ui.inputs(), ui.parts
    view_outputs = [ui.outputs[n] for n in SPEC.views[0].outputs]

    def finish(*args):
        *values, status = args
        if status == "interrupted":
            return [gr.skip()] * (1 + len(view_outputs))
        values = dict(zip(SPEC.names, values))
        return (gr.Slider(value=values["t"]), *forward_view(**values))

    main_id = f"{TAB_ID}-main"
    p["play"].click(user_facing(play_view), controls, ui.outputs["main"], api_visibility="private").then(
        user_facing(finish),
        [*controls, p["play_status"]],
        [ui.controls["t"], *view_outputs],
        js=play_js(main_id, SPEC.names.index("t"), len(controls)),
        api_visibility="private",
    )
    p["stop"].click(None, js=stop_js(main_id), api_visibility="private")
    p["gif"].click(user_facing(gif_export), controls, p["files"], api_visibility="private")
    p["csv"].click(user_facing(csv_export), controls, p["files"], api_visibility="private")
    return ui
