"""Tab "CFG guidance scale": classifier-free guidance on exact class-conditional models, the fidelity-vs-diversity
curves over the guidance scale, and classifier guidance (ADM) with the exact noisy classifier (= CFG with
w = γ − 1) and with a small classifier trained live, whose gradient errors show where the two guidances part."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core import classifier as K
from core.claims import note
from core.datasets import PRESETS, load_preset
from core.dataspec import load_data
from core.mixture import MixtureError
from demos import kit, plotting
from demos.data_input import data_spec
from demos.inputs import check_superseded

TAB_ID = "cfg"
W_CURVE = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.0, 10.0)
W_MAX = 10.0
GUIDANCE_PRESETS = [k for k in PRESETS if len(load_preset(k).classes) > 1]
OVERLAYS = {
    "none": "CFG only",
    "exact": "+ classifier guidance, exact p_t(c|x)",
    "learned": "+ classifier guidance, learned classifier",
}
HEAT_N = 56  # heatmap grid per side
CG_COLOR, LEARNED_COLOR = "rgba(22, 163, 74, 0.9)", "rgba(147, 51, 234, 0.55)"


def _notes() -> str:
    return r"""
**What to notice.** Classifier-free guidance (Ho & Salimans 2022, eq. 6) samples with
$\tilde\varepsilon = (1+w)\,\varepsilon(x_t, c) - w\,\varepsilon(x_t)$, i.e. the score
$\nabla\log p_t(x\mid c) + w\,\nabla\log p_t(c\mid x)$. **Two conventions:** the paper's $w$ (0 = no guidance) and
diffusers' `guidance_scale` $s = 1 + w$ (1 = no guidance); the slider is $w$. Here both models are exact, so what you
see is guidance itself, not a training artefact. As $w$ grows, **fidelity** rises (share of samples the exact
classifier assigns to the class, mean $\log p(c\mid x)$) while **diversity** falls: samples leave the modes the class
shares with others (mode TV within the class grows) and, beyond the paper's range ($w = 7$, our own observation),
overshoot past the modes (spread grows). The
guided field is not the score of any noised distribution, so it does not sample $p(x\mid c)^{1+w}p(x)^{-w}$ exactly.
Samples: DDIM $\eta=0$ on the exact guided denoiser.

**Classifier guidance** (Dhariwal & Nichol 2021, ADM, Sec. 4 and Algorithm 2 with DDIM) adds a noisy classifier's
gradient to the unconditional score: $\nabla\log p_t(x) + \gamma\,\nabla\log p_t(c\mid x)$. With the **exact**
classifier of the diffused mixture, $\nabla\log p_t(c\mid x) = \nabla\log p_t(x\mid c) - \nabla\log p_t(x)$ (Bayes),
so it *is* CFG with $w = \gamma - 1$: the overlay "exact" draws both from the same noise and they coincide to rounding.
A **learned** classifier (a small MLP trained live with cross-entropy on noised samples at random $t$, as ADM trains
its classifier) is right where it saw data and wrong elsewhere: the heatmap below shows the angle between its
gradient and the exact one at the chosen $t$, and its guided samples beside the exact ones. That gap is why
classifier guidance needs a good noise-aware classifier, and one reason CFG replaced it.

""" + "\n\n".join(note(k) for k in ("cfg_mode_collapse", "cfg_fidelity_overshoot", "classifier_guidance_is_cfg"))


SCENES = {
    "Guidance collapses modes": dict(preset="guidance_collapse", label=0, w=3.0, overlay="none"),
    "Fidelity up, then overshoot": dict(preset="ring8_soft", label=0, w=7.0, overlay="none"),
    "Separated classes: nothing to gain": dict(preset="ring8", label=0, w=3.0, overlay="none"),
    "Classifier guidance = CFG (exact classifier)": dict(preset="guidance_collapse", label=0, w=3.0, overlay="exact"),
    "A learned classifier's guidance": dict(preset="guidance_collapse", label=0, w=3.0, overlay="learned"),
    "Smiley: guide to the mouth (class 2)": dict(preset="smiley", label=2, w=2.0, overlay="none"),
}

DEFAULT_PRESET = "guidance_collapse"


def _classes(preset: str) -> list[int]:
    return load_data(preset).classes.tolist()


def _class_range(values: dict) -> tuple[int, int, int]:
    """The classes of the chosen data span the class control's range (the data's own check reports bad data)."""
    try:
        classes = _classes(values.get("preset", DEFAULT_PRESET))
    except Exception:  # data that does not load: its own control refuses it, the range is only a fallback
        classes = _classes(DEFAULT_PRESET)
    return min(classes), max(classes), 1


CONTROLS = [
    kit.Control("preset", "data", DEFAULT_PRESET, label="Data (with classes)", presets=tuple(GUIDANCE_PRESETS)),
    kit.Control("label", "int", 0, label="Class c", range_of=_class_range, noun="Class"),
    kit.Control(
        "w",
        "float",
        3.0,
        label="Guidance w (Ho & Salimans)",
        help="diffusers guidance_scale = 1 + w",
        lo=0.0,
        hi=W_MAX,
        step=0.1,
        noun="Guidance w",
    ),
    kit.Control("particles", "int", 1000, label="Particles", lo=100, hi=2000, step=100, noun="Particles"),
    kit.Control("steps", "int", 50, label="DDIM steps", lo=5, hi=200, step=1, noun="Steps"),
    kit.Control("seed", "seed", 0, label="Seed"),
    kit.Control(
        "overlay",
        "choice",
        "none",
        label="Overlay",
        help="classifier guidance at γ = 1 + w, from the same noise",
        choices=tuple((v, k) for k, v in OVERLAYS.items()),
        noun="overlay",
    ),
    kit.Control(
        "train_steps",
        "int",
        K.DEFAULT_STEPS,
        label="Training steps",
        lo=100,
        hi=K.MAX_STEPS,
        step=100,
        help=f"batches of {K.BATCH}; about 2-10 s per 1,000 steps on this machine",
        noun="Training steps",
    ),
    kit.Control(
        "heat_t", "int", 100, label="Heatmap timestep t", lo=0, hi=K.PROCESS.T - 1, step=1, noun="Heatmap timestep t"
    ),
]
NAMES = [c.name for c in CONTROLS]


def _check(values: dict) -> dict:
    """Guidance needs two classes, and the class must be one of the data's."""
    mixture = load_data(values["preset"])
    if not SPEC.accepts(mixture):
        raise ValueError(
            "Guidance needs data with at least two classes; give your mixture's components different classes."
        )
    classes = mixture.classes.tolist()
    if values["label"] not in classes:
        raise ValueError(f"Class must be one of {classes} for this preset.")
    return values


def _validate(preset, label, w, particles, steps, seed, overlay="none", train_steps=K.DEFAULT_STEPS, heat_t=100):
    """The controls checked by their spec (the class against the data's classes), in CONTROLS order."""
    values = SPEC.validate(dict(zip(NAMES, (preset, label, w, particles, steps, seed, overlay, train_steps, heat_t))))
    return tuple(values[name] for name in NAMES)


def guided_samples(preset: str, label: int, w: float, particles: int, steps: int, seed_value: int) -> np.ndarray:
    return K.cfg_samples(load_data(preset), label, w, particles, steps, seed_value)


def tradeoff(preset: str, label: int, samples: np.ndarray) -> dict:
    """Fidelity (in-class share, mean log p(c|x)) and diversity (mode TV within the class, rms spread)."""
    out = K.tradeoff(load_data(preset), label, samples)
    out.pop("mode_share")
    return out


@lru_cache(maxsize=16)
def curves(preset: str, label: int, particles: int, steps: int, seed_value: int) -> dict:
    """The tradeoff at each w of W_CURVE (cached per preset, class and size: ~1 s to compute)."""
    rows = []
    for w in W_CURVE:
        check_superseded()
        rows.append(tradeoff(preset, label, guided_samples(preset, label, w, particles, steps, seed_value)))
    return {k: np.array([r[k] for r in rows]) for k in rows[0]}


# ---------------------------------------------------------------------------- the learned classifier
def _progress_callback(progress):
    def report(i, n, loss):
        check_superseded()
        if progress is not None:
            progress(i / n, desc=f"training the classifier: step {i:,}/{n:,}, loss {loss:.3f}")

    return report


def learned_classifier(preset: str, train_steps: int, seed_value: int, progress=None) -> K.LearnedClassifier:
    """The classifier trained on this data for (steps, seed): cached; trained (≤ 20 s, with progress) once."""
    key = (preset, train_steps, seed_value)
    clf = K.cached_classifier(key)
    if clf is None:
        clf = K.remember_classifier(
            key, K.train_classifier(load_data(preset), train_steps, seed_value, _progress_callback(progress))
        )
    return clf


@lru_cache(maxsize=32)
def _cg_samples(preset, label, w, particles, steps, seed_value, kind, train_steps):
    mixture = load_data(preset)
    clf = K.exact_classifier(mixture) if kind == "exact" else learned_classifier(preset, train_steps, seed_value)
    return K.classifier_guided_samples(mixture, clf, label, 1 + w, particles, steps, seed_value)


def cg_samples(preset, label, w, particles, steps, seed_value, kind, train_steps, progress=None):
    """Classifier-guided samples with γ = 1 + w (exact or learned classifier), same noise as CFG's."""
    if kind == "learned":
        learned_classifier(preset, train_steps, seed_value, progress)  # train first, with the progress bar
    return _cg_samples(preset, label, w, particles, steps, seed_value, kind, train_steps)


# ---------------------------------------------------------------------------- figures
def samples_figure(preset: str, label: int, w: float, samples: np.ndarray, overlay=None) -> go.Figure:
    mixture = load_data(preset)
    box = plotting.plot_box(mixture)
    fig = go.Figure(plotting.contour_trace(mixture, box, "#9ca3af", "unconditional p(x)"))
    fig.add_trace(plotting.contour_trace(mixture.for_class(label), box, plotting.PALETTE[0], f"p(x | c = {label})"))
    fig.add_trace(plotting.points_trace(samples, f"guided samples, w = {w:g}", color="rgba(220, 38, 38, 0.5)"))
    if overlay is not None:
        kind, cg = overlay
        name = f"classifier guidance ({'exact' if kind == 'exact' else 'learned'} classifier), γ = {1 + w:g}"
        color = CG_COLOR if kind == "exact" else LEARNED_COLOR
        fig.add_trace(plotting.points_trace(cg, name, color=color, size=8 if kind == "exact" else 4.5,
                                            symbol="circle-open" if kind == "exact" else "circle"))  # fmt: skip
    title = f"w = {w:g} (diffusers scale s = {1 + w:g}) · class {label}"
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
    plotting.base_layout(fig, "The tradeoff over w (diamonds: current w)", square=False)
    return plotting.legend_below(fig, 220)


def _overlay_text(preset, label, w, samples, kind, cg) -> str:
    if kind == "exact":
        diff = float(np.abs(cg - samples).max())
        return (
            f" Classifier guidance with the exact p_t(c|x) at γ = {1 + w:g}, same noise: the samples differ from "
            f"CFG's by at most **{diff:.1e}** (rounding): with exact models the two guidances are one."
        )
    t, c = tradeoff(preset, label, cg), tradeoff(preset, label, samples)
    return (
        f" With the **learned** classifier (γ = {1 + w:g}): {t['in_class']:.1%} in class (CFG {c['in_class']:.1%}), "
        f"mode TV {t['mode_tv']:.3f} (CFG {c['mode_tv']:.3f}), spread {t['spread']:.3f} (CFG {c['spread']:.3f})."
    )


def guidance_view(
    preset,
    label,
    w,
    particles,
    steps,
    seed,
    overlay="none",
    train_steps=K.DEFAULT_STEPS,
    heat_t=100,
    progress=None,
):
    """(samples figure, tradeoff curves, numbers markdown). `train_steps` and `heat_t` are the classifier
    panel's settings (the learned overlay uses `train_steps`); every control is an argument so that the API's
    arguments are the link's."""
    key = _validate(preset, label, w, particles, steps, seed, overlay, train_steps, heat_t)
    preset, label, w, particles, steps, seed_value, overlay, train_steps, _ = key
    samples = guided_samples(preset, label, w, particles, steps, seed_value)
    now = tradeoff(preset, label, samples)
    text = (
        f"At w = {w:g}: **{now['in_class']:.1%}** of samples in class {label}, mean log p(c|x) = "
        f"{now['log_post'] + 0.0:.3g}; mode TV within the class {now['mode_tv']:.3f}, spread {now['spread']:.3f}."
    )
    shown = None
    if overlay != "none":
        cg = cg_samples(preset, label, w, particles, steps, seed_value, overlay, train_steps, progress)
        shown = (overlay, cg)
        text += _overlay_text(preset, label, w, samples, overlay, cg)
    return (
        samples_figure(preset, label, w, samples, shown),
        curves_figure(curves(preset, label, particles, steps, seed_value), w, now),
        text,
    )


def guidance_data(
    preset: str = "guidance_collapse",
    label: int = 0,
    w: float = 3.0,
    particles: int = 1000,
    steps: int = 50,
    seed: int = 0,
    overlay: str = "none",
    train_steps: int = K.DEFAULT_STEPS,
) -> dict:
    """The numbers behind the guidance view: the tradeoff at w and over W_CURVE, the CFG samples, and with an
    overlay the classifier-guided samples and their largest difference from CFG's."""
    key = _validate(preset, label, w, particles, steps, seed, overlay, train_steps, 100)
    preset, label, w, particles, steps, seed_value, overlay, train_steps, _ = key
    samples = guided_samples(preset, label, w, particles, steps, seed_value)
    c = curves(preset, label, particles, steps, seed_value)
    out = {
        "preset": preset,
        "label": label,
        "w": w,
        "diffusers_guidance_scale": 1 + w,
        "tradeoff": tradeoff(preset, label, samples),
        "curves": {"w": list(W_CURVE), **{k: v.tolist() for k, v in c.items()}},
        "samples": samples.round(6).tolist(),
    }
    if overlay != "none":
        cg = cg_samples(preset, label, w, particles, steps, seed_value, overlay, train_steps)
        out["classifier_guidance"] = {
            "classifier": overlay,
            "gamma": 1 + w,
            "tradeoff": tradeoff(preset, label, cg),
            "max_abs_difference_from_cfg": float(np.abs(cg - samples).max()),
            "samples": cg.round(6).tolist(),
        }
    return out


# ---------------------------------------------------------------------------- classifier panel
def _heat_points(box):
    xs = np.linspace(box[0], box[1], HEAT_N)
    ys = np.linspace(box[2], box[3], HEAT_N)
    xx, yy = np.meshgrid(xs, ys)
    return xs, ys, np.stack([xx.ravel(), yy.ravel()], 1)


def gradient_errors(preset, label, heat_t, clf) -> dict:
    """Angle (degrees) and norm error of the learned ∇log p_t(c|x) on a grid, and near vs far from the data."""
    mixture = load_data(preset)
    a, s = float(K.PROCESS.alpha(heat_t)), float(K.PROCESS.sigma(heat_t))
    pt = mixture.diffused(a, s)
    box = plotting.plot_box(mixture)
    xs, ys, pts = _heat_points(box)
    exact = K.exact_classifier(mixture)
    err = K.gradient_error(exact, clf, pts, a, s, label)
    logp = pt.log_prob(pts)
    near = logp >= logp.max() + np.log(0.05)  # within 5 % of the density's peak: where training data lies
    far = logp <= logp.max() + np.log(1e-4)
    med = lambda v, m: float(np.median(v[m])) if m.any() else float("nan")  # noqa: E731
    return dict(
        xs=xs,
        ys=ys,
        angle=err["angle"].reshape(HEAT_N, HEAT_N),
        norm_error=err["norm_error"].reshape(HEAT_N, HEAT_N),
        alpha=a,
        sigma=s,
        near_angle=med(err["angle"], near),
        far_angle=med(err["angle"], far),
        near_norm=med(err["norm_error"], near),
        far_norm=med(err["norm_error"], far),
        box=box,
    )


def loss_figure(clf: K.LearnedClassifier) -> go.Figure:
    steps = np.arange(1, len(clf.losses) + 1)
    k = max(1, len(steps) // 50)
    smooth = np.convolve(clf.losses, np.ones(k) / k, mode="valid")
    fig = go.Figure()
    fig.add_scatter(x=steps, y=clf.losses, mode="lines", name="batch loss", line=dict(color="#cbd5e1", width=1))
    fig.add_scatter(
        x=steps[k - 1 :], y=smooth, mode="lines", name=f"mean of {k}", line=dict(color=plotting.PALETTE[0], width=3)
    )
    title = f"Training: cross-entropy over random t ({clf.steps:,} steps, {clf.seconds:.1f} s)"
    plotting.base_layout(fig, title, height=380, square=False)
    fig.update_xaxes(title_text="step")
    fig.update_yaxes(title_text="loss (nats)")
    return fig


def heatmap_figure(preset, label, heat_t, g: dict) -> go.Figure:
    mixture = load_data(preset)
    fig = go.Figure(
        go.Heatmap(
            x=g["xs"].astype(np.float32),
            y=g["ys"].astype(np.float32),
            z=g["angle"].astype(np.float32),
            zmin=0,
            zmax=180,
            colorscale="Magma",
            reversescale=True,
            colorbar=dict(title="angle °", thickness=12, tickvals=[0, 45, 90, 135, 180]),
            name="angle error",
            hovertemplate="x %{x:.2f}, y %{y:.2f}: %{z:.0f}°<extra></extra>",
        )
    )
    pt = mixture.diffused(g["alpha"], g["sigma"])
    fig.add_trace(plotting.contour_trace(pt, g["box"], "#0f172a", f"p_t at t = {heat_t}"))
    title = (
        f"Learned vs exact ∇log p_t(c={label} | x) at t = {heat_t}: median angle {g['near_angle']:.0f}° near the "
        f"data, {g['far_angle']:.0f}° far from it"
    )
    return plotting.set_box(plotting.base_layout(fig, title, height=520), g["box"])


def compare_figure(preset, label, w, exact_cg, learned_cg) -> go.Figure:
    mixture = load_data(preset)
    box = plotting.plot_box(mixture)
    fig = go.Figure(plotting.contour_trace(mixture.for_class(label), box, plotting.PALETTE[0], f"p(x | c = {label})"))
    fig.add_trace(plotting.points_trace(exact_cg, "exact classifier (= CFG)", color="rgba(220, 38, 38, 0.45)"))
    fig.add_trace(plotting.points_trace(learned_cg, "learned classifier", color=LEARNED_COLOR))
    title = f"Classifier guidance at γ = {1 + w:g}: exact vs learned classifier"
    return plotting.set_box(plotting.base_layout(fig, title, height=520), box)


def classifier_view(
    preset,
    label,
    w,
    particles,
    steps,
    seed,
    overlay="none",
    train_steps=K.DEFAULT_STEPS,
    heat_t=100,
    progress=None,
):
    """(loss curve, gradient-error heatmap, exact-vs-learned guided samples, numbers markdown); trains the
    classifier for (data, training steps, seed) the first time (cached after)."""
    key = _validate(preset, label, w, particles, steps, seed, overlay, train_steps, heat_t)
    preset, label, w, particles, steps, seed_value, _, train_steps, heat_t = key
    clf = learned_classifier(preset, train_steps, seed_value, progress)
    g = gradient_errors(preset, label, heat_t, clf)
    exact_cg = cg_samples(preset, label, w, particles, steps, seed_value, "exact", train_steps)
    learned_cg = cg_samples(preset, label, w, particles, steps, seed_value, "learned", train_steps)
    te, tl = tradeoff(preset, label, exact_cg), tradeoff(preset, label, learned_cg)
    text = (
        f"Trained {clf.steps:,} steps in {clf.seconds:.1f} s, final loss {clf.losses[-50:].mean():.3f}. "
        f"At t = {heat_t} the learned gradient is off by a median **{g['near_angle']:.0f}°** near the data and "
        f"**{g['far_angle']:.0f}°** far from it (norm error {g['near_norm']:.2f} vs {g['far_norm']:.2f}). "
        f"Guided samples at γ = {1 + w:g}: exact classifier {te['in_class']:.1%} in class, mode TV "
        f"{te['mode_tv']:.3f}; learned {tl['in_class']:.1%}, mode TV {tl['mode_tv']:.3f}."
    )
    return (
        loss_figure(clf),
        heatmap_figure(preset, label, heat_t, g),
        compare_figure(preset, label, w, exact_cg, learned_cg),
        text,
    )


def classifier_data(
    preset: str = "guidance_collapse",
    label: int = 0,
    w: float = 3.0,
    particles: int = 1000,
    steps: int = 50,
    seed: int = 0,
    train_steps: int = K.DEFAULT_STEPS,
    heat_t: int = 100,
) -> dict:
    """The numbers behind the classifier panel: training losses and time, the gradient errors near and far
    from the data at heat_t, and the tradeoff of exact vs learned classifier guidance."""
    key = _validate(preset, label, w, particles, steps, seed, "none", train_steps, heat_t)
    preset, label, w, particles, steps, seed_value, _, train_steps, heat_t = key
    clf = learned_classifier(preset, train_steps, seed_value)
    g = gradient_errors(preset, label, heat_t, clf)
    exact_cg = cg_samples(preset, label, w, particles, steps, seed_value, "exact", train_steps)
    learned_cg = cg_samples(preset, label, w, particles, steps, seed_value, "learned", train_steps)
    return {
        "preset": preset,
        "label": label,
        "gamma": 1 + w,
        "train_steps": clf.steps,
        "train_seconds": clf.seconds,
        "losses": clf.losses.round(5).tolist(),
        "heat_t": heat_t,
        "median_angle_near_data": g["near_angle"],
        "median_angle_far_from_data": g["far_angle"],
        "median_norm_error_near_data": g["near_norm"],
        "median_norm_error_far_from_data": g["far_norm"],
        "exact_classifier_guidance": tradeoff(preset, label, exact_cg),
        "learned_classifier_guidance": tradeoff(preset, label, learned_cg),
    }


PROMPT = "Press **Train the classifier** to train it for these settings."
PANEL = ("loss", "heat", "compare", "clf_text")  # the classifier panel's outputs, as classifier_view returns them


def panel_if_ready(*values):
    """The classifier panel if its classifier is already trained for these settings, else a prompt."""
    try:
        preset, _, _, _, _, seed_value, _, train_steps, _ = _validate(*values)
    except ValueError:
        return None, None, None, ""
    if K.cached_classifier((preset, train_steps, seed_value)) is None:
        return None, None, None, PROMPT
    return classifier_view(*values)


# ---------------------------------------------------------------------------- the tab
SPEC = kit.Tab(
    id=TAB_ID,
    title="CFG guidance scale",
    controls=CONTROLS,
    # the data is not a trigger: a new data set first picks a class it has (`build`); the classifier panel's
    # sliders only redraw the panel, and training runs on its button (`build`)
    views=[
        kit.View(
            guidance_view,
            ("main", "curve", "numbers"),
            api_name="guidance",
            triggers=("w", "label", "particles", "steps", "seed", "overlay"),
        ),
    ],
    scenes=SCENES,
    check=_check,
    accepts=lambda mixture: len(mixture.classes) > 1,
)


def warm_up() -> None:
    guidance_view(**SPEC.defaults())


def layout(ui: kit.UI) -> None:
    import gradio as gr

    from demos.inputs import user_facing

    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            ui.scene_picker()
            ui.control("preset")
            # a dropdown of the data's classes (the kit's number is a slider); allow_custom_value: an API call is
            # judged by our own check against the data's classes, not by the first preset's choices (issue 20:
            # smiley's class 2 was refused)
            ui.controls["label"] = gr.Dropdown(
                _classes(DEFAULT_PRESET), value=0, label="Class c", allow_custom_value=True
            )
            for name in ("overlay", "particles", "steps", "seed"):
                ui.control(name)
            ui.link_row()
        with gr.Column(scale=3, min_width=320, elem_classes=["main-col"]):
            ui.control("w", elem_classes=["rr-step"])
            ui.output("numbers", gr.Markdown())
            with gr.Row():
                ui.plot("main", min_width=300)
                ui.plot("curve", min_width=300)
            with gr.Accordion("Classifier guidance with a learned classifier (ADM)", open=False):
                with gr.Row():
                    ui.control("train_steps")
                    ui.control("heat_t")
                ui.parts["train"] = gr.Button("Train the classifier", variant="primary", size="sm")
                ui.output("clf_text", gr.Markdown(PROMPT))
                ui.plot("loss")
                with gr.Row():
                    ui.plot("heat", min_width=300)
                    ui.plot("compare", min_width=300)
    gr.Markdown(_notes(), latex_delimiters=[{"left": "$", "right": "$", "display": False}])
    gr.api(user_facing(guidance_data), api_name="guidance_data")
    gr.api(user_facing(classifier_data), api_name="classifier_data", concurrency_id=kit.HEAVY, concurrency_limit=1)


def build() -> kit.UI:
    """The tab from its spec, plus what only it has: the class list that follows the data, the classifier
    panel that follows the view, and training on its button (in the one-at-a-time group of trainings)."""
    import gradio as gr

    from demos.inputs import latest_only, user_facing

    ui = kit.build(SPEC, layout)
    controls = ui.inputs()
    preset, label = ui.controls["preset"], ui.controls["label"]
    panel = [ui.outputs[n] for n in PANEL]

    def on_data(*values):
        """New data: its classes in the dropdown, the class kept if the data has it (else its first), redrawn."""
        values = dict(zip(NAMES, values))
        classes = _classes(data_spec(values["preset"], GUIDANCE_PRESETS))
        if values["label"] not in classes:
            values["label"] = classes[0]
        out = kit.load_updates(SPEC, ui, values)
        out[label] = gr.Dropdown(choices=classes, value=out[label])
        return out

    def class_choices(spec):
        """The dropdown's classes follow the data however it was set (a scene, a link, "Use in all tabs")."""
        try:
            return gr.Dropdown(choices=_classes(data_spec(spec, GUIDANCE_PRESETS)))
        except (ValueError, MixtureError):
            return gr.skip()

    preset.input(user_facing(on_data), controls, list(kit.loads_to(SPEC, ui)), api_visibility="private")
    preset.change(user_facing(class_choices), preset, label, api_visibility="private")

    # The panel follows the main figure, whatever redrew it, so it never shows another setting's classifier
    # (not a second listener on the controls: see git history of this tab); its own sliders redraw only it.
    refresh = user_facing(panel_if_ready)
    ui.outputs["main"].change(refresh, controls, panel, api_visibility="private")
    for name in ("train_steps", "heat_t"):
        ui.controls[name].input(refresh, controls, panel, trigger_mode="always_last", api_visibility="private")

    def train(*values, progress=gr.Progress()):
        return classifier_view(*values, progress=progress)

    train.__name__ = "classifier_view"
    ui.parts["train"].click(
        user_facing(latest_only(train, len(panel), NAMES)),
        controls,
        panel,
        api_name="classifier",
        concurrency_id=kit.HEAVY,
        concurrency_limit=1,
    )
    return ui
