"""Tab "Latent diffusion": real 8×8 digits through a 2D autoencoder latent whose prior is an exact Gaussian mixture
(Rombach et al. 2022, LDM, in miniature). Any registered step sampler draws latents, the decoder turns them into
images, and the error splits into the sampler's share (exact, in the latent) and the autoencoder's (its ceiling);
classifier-free guidance by class in the latent; the latent scale (Stable Diffusion's 0.18215) as a control."""

from __future__ import annotations

import functools
import inspect
from functools import lru_cache

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core import latent as L
from core.claims import note
from core.dataspec import load_data
from core.samplers.registry import SAMPLERS, get_sampler
from demos import kit, plotting
from demos.inputs import MAX_WORK, check_superseded, user_facing

TAB_ID = "latent"
TITLE = "Latent diffusion"
SCALES = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)  # × the unit-variance latent
W_ROW = (0.0, 1.0, 3.0, 7.0)  # guidance scales of the image rows (the chosen w is added)
CURVE_N = 300  # particles per point of the scale curve
N_PATHS = 24
N_IMAGES = 40  # decoded samples shown (5 rows of 8)
CFG_IMAGES = 8  # images per guidance scale
CFG_N = 250  # guided samples per w of the image rows (the share read as the class is over these)
DIGIT_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]  # fmt: skip
AE_NAMES = ("ae_width", "ae_steps", "ae_seed")


def _scale_label(f: float) -> str:
    return f"× {f:g}" + (" (unit variance)" if f == 1 else "")


CONTROLS = [
    kit.Control(
        "ae_width",
        "choice",
        "64",
        label="Autoencoder width",
        choices=tuple(str(w) for w in L.WIDTHS),
        widget="radio",
        noun="Autoencoder width",
    ),  # fmt: skip
    kit.Control(
        "ae_steps",
        "int",
        L.DEFAULT.steps,
        label="Autoencoder training steps",
        lo=L.STEP_RANGE[0],
        hi=L.STEP_RANGE[1],
        step=100,
        noun="Autoencoder training steps",
    ),  # fmt: skip
    kit.Control("ae_seed", "seed", 0, label="Autoencoder seed"),
    kit.Control(
        "components",
        "int",
        3,
        label="Mixture components per class",
        lo=L.COMPONENT_RANGE[0],
        hi=L.COMPONENT_RANGE[1],
        step=1,
        help="EM on each digit's latents",
        noun="Components per class",
    ),  # fmt: skip
    kit.Control(
        "sampler",
        "choice",
        "ddim",
        label="Sampler",
        choices=tuple((SAMPLERS[k].title, k) for k in L.sampler_keys()),
        noun="sampler",
    ),  # fmt: skip
    kit.Control("steps", "int", 20, label="Steps", lo=1, hi=1000, step=1, noun="Steps"),
    kit.Control(
        "particles", "int", 1000, label="Latent samples", lo=L.IMAGE_N, hi=2000, step=100, noun="Latent samples"
    ),  # fmt: skip
    kit.Control("seed", "seed", 0, label="Seed"),
    kit.Control(
        "scale",
        "choice",
        "1",
        label="Latent scale (× the unit-variance latent)",
        choices=tuple((_scale_label(f), f"{f:g}") for f in SCALES),
        help="Stable Diffusion multiplies its VAE latents by 0.18215 to reach unit variance",
        noun="scale",
    ),  # fmt: skip
    kit.Control("label", "int", 3, label="Class c (draw a …)", lo=0, hi=9, step=1, noun="Class"),
    kit.Control(
        "w",
        "float",
        3.0,
        label="Guidance w (Ho & Salimans)",
        help="diffusers guidance_scale = 1 + w",
        lo=0.0,
        hi=10.0,
        step=0.1,
        noun="Guidance w",
    ),  # fmt: skip
]
NAMES = [c.name for c in CONTROLS]


def _settings(ae_width, ae_steps, ae_seed) -> L.Settings:
    return L.Settings(int(ae_width), int(ae_steps), int(ae_seed))


def _nfe(sampler: str, steps: int) -> int:
    """Model evaluations of one run (an adaptive solver: counted as 3 per step, its usual cost)."""
    count = get_sampler(sampler).count(steps)
    return 3 * steps if count is None else count


def _work(particles: int, nfe: int) -> int:
    """Particle-evaluations of one draw of the main and guided views: the unguided and the guided run at w, and
    the image rows' guided runs (CFG_N samples at each w of W_ROW and the chosen w). The scale curve fits its own
    samples to MAX_WORK (`scale_curve`)."""
    return (2 * particles + (len(W_ROW) + 1) * CFG_N) * nfe


def _check(values: dict) -> dict:
    """The work cap: the runs of one draw (`_work`) at most MAX_WORK particle-evaluations."""
    nfe = _nfe(values["sampler"], values["steps"])
    if _work(values["particles"], nfe) > MAX_WORK:
        most = max(0, (MAX_WORK // nfe - (len(W_ROW) + 1) * CFG_N) // 2)
        raise ValueError(
            f"{values['particles']:,} samples with {nfe:,} model evaluations each (and the guided rows) is over this "
            f"server's cap of {MAX_WORK:,} particle-evaluations; at {values['steps']} steps use at most {most:,} "
            "samples, or fewer steps."
        )
    return values


def _checked(given: dict) -> dict:
    """The given controls checked by their specs (judged with the others at their defaults), and the work cap
    when the samples are among them."""
    values = {**SPEC.defaults(), **given}
    for c in CONTROLS:
        if c.name in given:
            values[c.name] = c.check(values[c.name], values)
    return _check(values) if "particles" in given else values


def checked(fn):
    """A view of the tab: its arguments (from the page, a link or the API) checked by the controls' specs, then
    `fn` on the canonical values, cached (`cache_clear` clears it)."""
    cached = lru_cache(maxsize=16)(fn)
    names = list(inspect.signature(fn).parameters)

    @functools.wraps(fn)
    def view(*args, **kwargs):
        values = _checked({**dict(zip(names, args)), **kwargs})
        return cached(**{n: values[n] for n in names})

    view.cache_clear = cached.cache_clear
    return view


# ---------------------------------------------------------------------------- computations (cached)
def _spec(ae, components) -> str:
    return L.latent_spec(ae, components, 0)


@lru_cache(maxsize=16)
def _run(ae, components, sampler, steps, particles, seed, factor, label=None, w=0.0):
    check_superseded()
    return L.run_latent(_spec(ae, components), sampler, steps, particles, seed, factor, label, w, n_paths=N_PATHS)


@lru_cache(maxsize=8)
def _reference(ae, components) -> dict:
    """What no sampler can change: exact latent samples decoded, the autoencoder's and PCA's reconstructions of
    real digits, real digits themselves (image MMD² in real-vs-real floor units, L.IMAGE_N images each)."""
    spec = _spec(ae, components)
    model = L.autoencoder(ae)
    train_x, _ = L.digits().train
    pick = train_x[np.random.default_rng(1).choice(len(train_x), L.IMAGE_N, replace=False)]
    exact = load_data(spec).sample(L.IMAGE_N, np.random.default_rng(2))
    return dict(
        exact_latent=L.latent_units(spec, load_data(spec).sample(L.IMAGE_N, np.random.default_rng(3))),
        exact_images=L.image_units(model.decode(exact)),
        recon_images=L.image_units(model.decode(model.encode(pick))),
        pca_images=L.image_units(L.pca().decode(L.pca().encode(pick))),
        real_images=L.image_units(pick),
    )


def error_split(ae, components, samples: np.ndarray) -> dict:
    """The sampler's error in the latent and in images, beside the autoencoder's ceiling (`_reference`)."""
    spec = _spec(ae, components)
    model = L.autoencoder(ae)
    return dict(
        sampler_latent=L.latent_units(spec, samples),
        sampler_images=L.image_units(model.decode(samples[: L.IMAGE_N])),
        **_reference(ae, components),
    )


@lru_cache(maxsize=8)
def scale_curve(ae, components, sampler, steps, seed) -> dict:
    """The scale curve: shipped for the default autoencoder at the scenes' samplers and steps (assets/latent/
    scale_curves.json, `python -m core.latent --curves`), computed otherwise (`compute_scale_curve`)."""
    if ae == L.DEFAULT and components == L.SCALE_COMPONENTS:
        shipped = L.shipped_scale_curves().get("tab", {}).get(f"{sampler}/{steps}/{seed}")
        if shipped is not None:
            return shipped
    return compute_scale_curve(ae, components, sampler, steps, seed)


def compute_scale_curve(ae, components, sampler, steps, seed) -> dict:
    """Over SCALES, the same sampler and steps: KL(p_T ‖ N(0, σ_T² I)) and the samples' MMD² (floor units, in
    the unit latent) with CURVE_N samples, fewer where its seven runs would pass a quarter of the work cap."""
    spec = _spec(ae, components)
    n = min(CURVE_N, max(50, MAX_WORK // 4 // (len(SCALES) * _nfe(sampler, steps)) // 50 * 50))
    kl, kl_se, units = [], [], []
    for f in SCALES:
        check_superseded()
        k, se = L.prior_kl(spec, sampler, steps, f)
        kl.append(k)
        kl_se.append(se)
        units.append(L.latent_units(spec, L.run_latent(spec, sampler, steps, n, seed, f).samples))
    return dict(scale=list(SCALES), kl=kl, kl_se=kl_se, units=units, particles=n)


# ---------------------------------------------------------------------------- figures
def tile(images: np.ndarray, cols: int) -> np.ndarray:
    """Images (n, 64) as one mosaic of 8×8 tiles, `cols` per row, one blank pixel between tiles (NaN)."""
    n = len(images)
    rows = -(-n // cols)
    out = np.full((rows * (L.SIDE + 1) - 1, cols * (L.SIDE + 1) - 1), np.nan)
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        out[r * (L.SIDE + 1) : r * (L.SIDE + 1) + L.SIDE, c * (L.SIDE + 1) : c * (L.SIDE + 1) + L.SIDE] = img.reshape(
            L.SIDE, L.SIDE
        )
    return out


def images_figure(rows: list[tuple[str, np.ndarray]], title: str, cols: int = 8) -> go.Figure:
    """Rows of images (label, (n, 64)) as one grey mosaic, ink dark on white, each row labelled on the left."""
    blocks = []
    for i, (_, imgs) in enumerate(rows):
        if i:
            blocks.append(np.full((1, cols * (L.SIDE + 1) - 1), np.nan))
        blocks.append(tile(imgs, cols))
    mosaic = np.concatenate(blocks, 0)
    fig = go.Figure(
        go.Heatmap(
            z=mosaic[::-1].astype(np.float32),
            zmin=0,
            zmax=1,
            colorscale="Greys",
            showscale=False,
            hoverinfo="skip",
            name="images",
        )  # fmt: skip
    )
    # row labels at the middle of each row's block
    height = mosaic.shape[0]
    y, ticks = height, []
    for i, (label, imgs) in enumerate(rows):
        block = tile(imgs, cols).shape[0]
        ticks.append((y - (1 if i else 0) - block / 2 - 0.5, label))
        y -= block + (1 if i else 0)
    fig.update_yaxes(tickvals=[t for t, _ in ticks], ticktext=[lbl for _, lbl in ticks], showgrid=False)
    fig.update_xaxes(showticklabels=False, showgrid=False)
    plotting.base_layout(fig, title, height=180 + 44 * len(rows) * (1 if cols > 8 else 1.2))
    fig.update_layout(margin=dict(l=95 if any(label for label, _ in rows) else 20))
    return fig


def latent_figure(ae, components, run, sampler: str, steps: int) -> go.Figure:
    spec = _spec(ae, components)
    mixture = load_data(spec)
    model = L.autoencoder(ae)
    train_x, labels = L.digits().train
    z = model.encode(train_x)
    box = plotting.plot_box(mixture)
    fig = go.Figure(plotting.density_trace(mixture, box, name="latent prior (exact mixture)"))
    for c in range(10):
        digit = plotting.points_trace(z[labels == c], f"digit {c}", color=DIGIT_COLORS[c], size=4)
        digit.showlegend = False  # each class is named on the plot, at its mean (a ten-line legend crowds a phone)
        fig.add_trace(digit)
    for c in range(10):  # annotations: drawn above the WebGL points (an SVG text trace would sit below them)
        cx, cy = np.median(z[labels == c], axis=0)
        fig.add_annotation(x=cx, y=cy, text=f"<b>{c}</b>", showarrow=False, font=dict(size=22, color=DIGIT_COLORS[c]),
                           bgcolor="rgba(255, 255, 255, 0.7)")  # fmt: skip
    fig.add_trace(plotting.contour_trace(mixture, box, "#334155", "prior contours"))
    fig.add_trace(plotting.paths_trace(run.path, f"{SAMPLERS[sampler].title} paths"))
    fig.add_trace(plotting.points_trace(run.samples, "samples", color="rgba(15, 23, 42, 0.8)", size=3, symbol="x"))
    title = f"Latent: {SAMPLERS[sampler].title} ({steps} steps) on the exact prior"
    fig = plotting.set_box(plotting.base_layout(fig, title, height=None), box)
    return fig


def _split_table(s: dict, sampler: str, steps: int) -> str:
    f = lambda v: f"{v:+.1f}" if np.isfinite(v) else "diverged"  # noqa: E731
    return (
        "| | latent: MMD² vs the exact prior (floor units) | images: MMD² vs held-out digits (floor units) |\n"
        "|---|---|---|\n"
        f"| **{SAMPLERS[sampler].title}, {steps} steps** (decoded) | **{f(s['sampler_latent'])}** | "
        f"**{f(s['sampler_images'])}** |\n"
        f"| exact samples of the prior (decoded) | {f(s['exact_latent'])} | {f(s['exact_images'])} |\n"
        f"| real digits through the autoencoder | — | {f(s['recon_images'])} |\n"
        f"| real digits through PCA | — | {f(s['pca_images'])} |\n"
        f"| real training digits | — | {f(s['real_images'])} |\n"
    )


def _split_text(s: dict, sampler: str, steps: int) -> str:
    sampler_part = s["sampler_images"] - s["exact_images"]
    return (
        _split_table(s, sampler, steps)
        + f"\n**The split.** In the latent the sampler is {s['sampler_latent']:+.1f} floor units from the exact prior "
        "(|·| ≲ 2: as good as exact sampling); that part a better sampler or more steps can fix. Decoded, exact "
        f"samples still sit **{s['exact_images']:.0f}** units from real digits, about where the autoencoder's own "
        f"reconstructions of real digits sit ({s['recon_images']:.0f}): that is the autoencoder's ceiling, which "
        f"no sampler can pass. This sampler adds {sampler_part:+.0f} units on top of it."
    )


@checked
def latent_view(ae_width, ae_steps, ae_seed, components, sampler, steps, particles, seed, scale):
    """(latent figure, decoded samples, error split markdown) for one sampler run in the latent."""
    ae = _settings(ae_width, ae_steps, ae_seed)
    factor = float(scale)
    run = _run(ae, components, sampler, steps, particles, seed, factor)
    if not np.all(np.isfinite(run.samples)):
        raise ValueError(f"{SAMPLERS[sampler].title} diverged at {steps} steps here; try more steps.")
    model = L.autoencoder(ae)
    images = model.decode(run.samples[:N_IMAGES])
    split = error_split(ae, components, run.samples)
    rows = [("", images[i * 8 : i * 8 + 8]) for i in range(N_IMAGES // 8)]
    title = f"Decoded: {SAMPLERS[sampler].title}, {steps} steps, scale × {factor:g}"
    return (
        latent_figure(ae, components, run, sampler, steps),
        images_figure(rows, title),
        _split_text(split, sampler, steps),
    )


def cfg_rows(ae, components, sampler, steps, seed, factor, label, w) -> list[tuple[float, np.ndarray, float]]:
    """(w, the first CFG_IMAGES decoded guided samples, share of them read as the class) per w of W_ROW and the
    chosen w: CFG_N samples each, the same noise for every w."""
    model = L.autoencoder(ae)
    out = []
    for wi in sorted({*W_ROW, float(w)}):
        run = _run(ae, components, sampler, steps, CFG_N, seed, factor, label, wi)
        decoded = model.decode(run.samples)
        out.append((wi, decoded[:CFG_IMAGES], float((L.read_as(decoded) == label).mean())))
    return out


@checked
def cfg_view(ae_width, ae_steps, ae_seed, components, sampler, steps, particles, seed, scale, label, w):
    """(guided latent samples over the class density, images per w, numbers) for 'draw a <label>'."""
    ae = _settings(ae_width, ae_steps, ae_seed)
    factor = float(scale)
    mixture = load_data(_spec(ae, components))
    run = _run(ae, components, sampler, steps, particles, seed, factor, label, float(w))
    box = plotting.plot_box(mixture)
    fig = go.Figure(plotting.contour_trace(mixture, box, "#9ca3af", "p(z)"))
    fig.add_trace(plotting.contour_trace(mixture.for_class(label), box, DIGIT_COLORS[label], f"p(z | c = {label})"))
    fig.add_trace(plotting.points_trace(run.samples, f"guided samples, w = {w:g}", color="rgba(220, 38, 38, 0.5)"))
    fig = plotting.set_box(plotting.base_layout(fig, f"Draw a {label}: CFG in the latent, w = {w:g}", height=None), box)
    rows = cfg_rows(ae, components, sampler, steps, seed, factor, label, w)
    images = images_figure(
        [(f"w = {wi:g}: {share:.0%}", imgs) for wi, imgs, share in rows],
        f"Decoded per w (% read as a {label})",
    )
    shares = ", ".join(f"w = {wi:g}: **{share:.0%}**" for wi, _, share in rows)
    text = (
        f"Share of {CFG_N} decoded guided samples per w that a logistic regression on pixels (held-out accuracy "
        f"{_classifier_accuracy():.0%} on real digits) reads as a {label}: {shares}. w = 0 samples the exact "
        f"class-conditional prior p(z | c = {label}); larger w pushes samples away from the other classes."
    )
    return fig, images, text


@lru_cache(maxsize=1)
def _classifier_accuracy() -> float:
    test, labels = L.digits().test
    return float((L.read_as(test) == labels).mean())


def scale_figure(curve: dict, factor: float) -> go.Figure:
    titles = ("KL, nats", "MMD², floor units")  # short: side by side on a phone
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.14, subplot_titles=titles)
    # a Monte Carlo KL within 2 standard errors of 0 is drawn at that resolution, as an upper bound (▼)
    kl, se = np.array(curve["kl"]), np.array(curve["kl_se"])
    resolved = kl > 2 * se
    kl = np.where(resolved, kl, 2 * se)
    fig.add_scatter(x=curve["scale"], y=kl, mode="lines+markers", name="KL at the first grid node (▼: below 2 s.e.)",
                    row=1, col=1, line=dict(color=plotting.PALETTE[0], width=2.5),
                    marker=dict(size=9, symbol=np.where(resolved, "circle", "triangle-down").tolist()))  # fmt: skip
    fig.add_scatter(x=curve["scale"], y=curve["units"], mode="lines+markers", name="MMD² of the samples", row=1,
                    col=2, line=dict(color=plotting.PALETTE[1], width=2.5))  # fmt: skip
    i = SCALES.index(factor)
    for col, y in ((1, kl[i]), (2, curve["units"][i])):
        fig.add_scatter(x=[factor], y=[y], mode="markers", showlegend=False, row=1, col=col,
                        marker=dict(color="#111827", size=13, symbol="diamond"))  # fmt: skip
    fig.update_xaxes(type="log", title_text="latent scale")
    fig.update_yaxes(type="log", row=1, col=1)
    plotting.base_layout(fig, "Latent scale: same sampler and steps", square=False)
    return plotting.legend_below(plotting.fit_subplot_titles(fig), 250)


@checked
def scale_view(ae_width, ae_steps, ae_seed, components, sampler, steps, seed, scale):
    """(KL and sample error over the latent scale, numbers) for the chosen sampler and steps."""
    ae = _settings(ae_width, ae_steps, ae_seed)
    curve = scale_curve(ae, components, sampler, steps, seed)
    model = L.autoencoder(ae)
    cells = " · ".join(f"× {f:g}: {u:+.1f}" for f, u in zip(SCALES, curve["units"]))
    kls = " · ".join(
        f"× {f:g}: {k:.2g}" if k > 2 * e else f"× {f:g}: < {2 * e:.0e}"
        for f, k, e in zip(SCALES, curve["kl"], curve["kl_se"])
    )
    text = (
        f"The encoder's own latent has standard deviation {model.scale:.3g}, so the unit-variance constant here is "
        f"1/{model.scale:.3g} = {1 / model.scale:.4g} (Stable Diffusion's: {L.SD_SCALE}). "
        f"{SAMPLERS[sampler].title}, {steps} steps, {curve['particles']} samples per scale: sample error {cells}; "
        f"prior mismatch KL(p_T ‖ N(0, σ_T² I)) in nats (Monte Carlo; '<' where it is within 2 standard errors of 0): "
        f"{kls}."
    )
    return scale_figure(curve, float(scale)), text


@checked
def autoencoder_view(ae_width, ae_steps, ae_seed):
    """(originals vs reconstructions, the AE's and PCA's latents, its training loss, numbers): the perceptual
    compression stage."""
    ae = _settings(ae_width, ae_steps, ae_seed)
    model = L.autoencoder(ae)
    test, labels = L.digits().test
    pick = test[[int(np.flatnonzero(labels == c)[0]) for c in range(10)]]
    rows = [
        ("real", pick),
        ("autoencoder", model.decode(model.encode(pick))),
        ("PCA", L.pca().decode(L.pca().encode(pick))),
    ]
    recon = images_figure(rows, "Held-out digits through a 2D latent", cols=10)
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Autoencoder latent", "PCA latent"), horizontal_spacing=0.1)
    for col, enc in ((1, model), (2, L.pca())):
        z = enc.encode(test)
        for c in range(10):
            fig.add_trace(
                go.Scattergl(x=z[labels == c, 0], y=z[labels == c, 1], mode="markers", name=f"digit {c}",
                             marker=dict(color=DIGIT_COLORS[c], size=4), showlegend=col == 1, hoverinfo="skip"),
                row=1, col=col,
            )  # fmt: skip
    plotting.base_layout(fig, "Held-out digits in each latent", height=420, square=False)
    fig.update_layout(legend=dict(y=-0.15))
    ae_mse, pca_mse = L.reconstruction_mse(model, test), L.reconstruction_mse(L.pca(), test)
    info = model.info
    trained = f"{info.get('cpu_seconds', float('nan')):.1f} s of CPU" + (
        f" ({info['stopped']})" if info.get("stopped") else ""
    )
    text = (
        f"Autoencoder: {ae.describe()}, trained in {trained}. Mean squared error per pixel on the "
        f"{len(test)} held-out digits: autoencoder **{ae_mse:.4f}**, PCA **{pca_mse:.4f}** (pixels in [0, 1])."
    )
    return recon, fig, _loss_figure(model), text


# ---------------------------------------------------------------------------- training on its button
def _loss_figure(model) -> go.Figure:
    curve = np.array(model.info.get("loss_curve") or [[0, np.nan]])
    fig = go.Figure(go.Scatter(x=curve[:, 0], y=curve[:, 1], mode="lines", name="batch loss",
                               line=dict(color=plotting.PALETTE[0], width=2.5)))  # fmt: skip
    plotting.base_layout(fig, "Autoencoder training loss", height=320, square=False)
    fig.update_xaxes(title_text="step")
    fig.update_yaxes(type="log", title_text="MSE per pixel")
    return fig


def train_autoencoder(ae_width="64", ae_steps=L.DEFAULT.steps, ae_seed=0, progress=None):
    """Train (or fetch) the autoencoder of these settings, ≤ 20 s of CPU, with a progress bar: a sentence saying
    where it came from (the tab then redraws every view with it)."""
    values = {n: v for n, v in zip(AE_NAMES, (ae_width, ae_steps, ae_seed))}
    for c in CONTROLS:
        if c.name in values:
            values[c.name] = c.check(values[c.name], values)
    ae = _settings(**values)

    def report(step, total, loss):
        check_superseded()
        if progress is not None:
            progress(step / total, desc=f"training the autoencoder: step {step:,}/{total:,}, loss {loss:.4f}")

    model, source = L.get_autoencoder(ae, report)
    where = {"cache": "already trained", "shipped": "the shipped default", "trained": "trained now"}[source]
    return f"Autoencoder {ae.describe()}: {where}."


# ---------------------------------------------------------------------------- numbers for the API
def latent_data(
    ae_width: str = "64",
    ae_steps: int = L.DEFAULT.steps,
    ae_seed: int = 0,
    components: int = 3,
    sampler: str = "ddim",
    steps: int = 20,
    particles: int = 1000,
    seed: int = 0,
    scale: str = "1",
    label: int = 3,
    w: float = 3.0,
) -> dict:
    """The numbers and images behind the tab, as arrays: the latent prior's spec, the samples (unit latent), the
    decoded images (n × 64, [0, 1]), the error split, the guided shares per w and the scale curve."""
    values = SPEC.validate(dict(zip(NAMES, (ae_width, ae_steps, ae_seed, components, sampler, steps, particles,
                                            seed, scale, label, w))))  # fmt: skip
    ae = _settings(values["ae_width"], values["ae_steps"], values["ae_seed"])
    factor = float(values["scale"])
    run = _run(
        ae, values["components"], values["sampler"], values["steps"], values["particles"], values["seed"], factor
    )
    model = L.autoencoder(ae)
    cfg = cfg_rows(ae, values["components"], values["sampler"], values["steps"], values["seed"],
                   factor, values["label"], values["w"])  # fmt: skip
    return {
        "latent_prior_spec": _spec(ae, values["components"]),
        "latent_std_before_scaling": model.scale,
        "nfe": run.nfe,
        "samples": run.samples.round(6).tolist(),
        "decoded_images": model.decode(run.samples[:N_IMAGES]).round(4).tolist(),
        "error_split": error_split(ae, values["components"], run.samples),
        "cfg": [{"w": wi, "share_read_as_class": share, "images": imgs.round(4).tolist()} for wi, imgs, share in cfg],
        "scale_curve": scale_curve(ae, values["components"], values["sampler"], values["steps"], values["seed"]),
    }


# ---------------------------------------------------------------------------- notes, scenes, spec
def _notes() -> str:
    return r"""
**What to notice.** Latent diffusion (Rombach et al. 2022, LDM, Sec. 3) separates *perceptual compression* from
*generative modelling*: an autoencoder $\mathcal E, \mathcal D$ is trained once so that $\mathcal D(\mathcal E(x))
\approx x$, and a diffusion model learns the distribution of the latents $z = \mathcal E(x)$ with the usual loss
$\mathbb E\,\|\varepsilon - \varepsilon_\theta(z_t, t)\|^2$ (Sec. 3.2, eq. 2); samples are decoded, $x = \mathcal D(z)$.
Here the images are scikit-learn's 8×8 digits, the latent has **2** dimensions, and the latent prior is a Gaussian
mixture fitted by EM to each digit's latents: its diffused score is exact, so every error that remains between
decoded samples and real digits beyond the sampler's (measured in the latent) is the autoencoder's. Sec. 4.1 of the
paper studies this tradeoff over the downsampling factor f: too little compression leaves the diffusion model the
perceptual detail to learn (slow training), too much (f = 32) loses information and caps quality; f = 4-16 balance
the two. A 2D latent is extreme compression: see how blurry exact samples come out (the table's "exact samples"
row), however good the sampler. The prior is an ordinary data spec: the `/latent_data` endpoint returns it as
`gmm:` text, which every other tab's Data box accepts.

**The latent scale.** The diffusion sees $c\cdot z$. Stable Diffusion multiplies its VAE's latents by 0.18215 so that
they have about unit variance; Rombach explains it as letting latent spaces of different autoencoders use the same
noise schedules, and LDM's Sec. 4.3.2 notes that the signal-to-noise ratio set by the latent's scale significantly
affects results. The control rescales the unit-variance latent (this app also centres it: our MLP's latent is not
centred) and the curve measures the prior mismatch and the sample error at every scale, same sampler, same steps.

**What the miniature does not have**: a convolutional autoencoder with a KL or VQ regulariser and perceptual and
adversarial losses (Sec. 3.1), a U-Net denoiser (here the exact one), cross-attention conditioning on text
(Sec. 3.3: here a class label, through classifier-free guidance, Ho & Salimans 2022, eq. 6), and a latent with
spatial structure (here a 2D point).

""" + "\n\n".join(note(k) for k in ("ldm_error_split", "ldm_latent_scale"))


SCENES = {
    "DDIM, 20 steps: the sampler's share vs the autoencoder's": dict(sampler="ddim", steps=20),
    "DDIM, 5 steps: a sampler error you can see": dict(sampler="ddim", steps=5),
    "EDM Heun, 18 steps": dict(sampler="edm_heun", steps=18),
    "Draw a 3 with guidance w = 3": dict(label=3, w=3.0),
    "Draw a 7 without guidance (w = 0)": dict(label=7, w=0.0),
    "Latent scale × 0.1 (too small a latent)": dict(scale="0.1", sampler="ddim", steps=20),
    "Latent scale × 100 (too large: the prior mismatch grows)": dict(scale="100", sampler="ddim", steps=20),
    "One component per class": dict(components=1),
}
SCENE_NOTES = {
    "Latent scale × 0.1 (too small a latent)": "At a tenth of unit variance the data's structure is as small as the "
    "schedule's last noise levels: DDIM's few steps smear it (compare the curve below).",
    "Latent scale × 100 (too large: the prior mismatch grows)": "At a hundred times unit variance the diffused "
    "latent at T still remembers the data: N(0, σ_T² I) no longer matches p_T (the KL panel).",
}
MAIN_INPUTS = ("ae_width", "ae_steps", "ae_seed", "components", "sampler", "steps", "particles", "seed", "scale")
SCALE_INPUTS = ("ae_width", "ae_steps", "ae_seed", "components", "sampler", "steps", "seed", "scale")

SPEC = kit.Tab(
    id=TAB_ID,
    title=TITLE,
    controls=CONTROLS,
    views=[
        # the autoencoder's controls redraw through "Train the autoencoder" (build), not on every change
        kit.View(
            latent_view,
            ("latent", "images", "split"),
            api_name="latent",
            inputs=MAIN_INPUTS,
            triggers=("components", "sampler", "steps", "particles", "seed", "scale"),
        ),  # fmt: skip
        kit.View(
            cfg_view,
            ("cfg", "cfg_images", "cfg_text"),
            api_name="latent_cfg",
            inputs=(*MAIN_INPUTS, "label", "w"),
            triggers=("components", "sampler", "steps", "particles", "seed", "scale", "label", "w"),
        ),  # fmt: skip
        kit.View(
            scale_view,
            ("scale_curve", "scale_text"),
            api_name="latent_scale",
            inputs=SCALE_INPUTS,
            triggers=("components", "sampler", "steps", "seed", "scale"),
        ),  # fmt: skip
        kit.View(
            autoencoder_view,
            ("recon", "ae_latents", "train_loss", "ae_text"),
            api_name=None,
            inputs=AE_NAMES,
            triggers=(),
        ),  # fmt: skip
    ],
    scenes=SCENES,
    scene_notes=SCENE_NOTES,
    check=_check,
)


def layout(ui: kit.UI) -> None:
    import gradio as gr

    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            ui.scene_picker()
            gr.Markdown("**Diffusion in the latent**")
            for name in ("sampler", "steps", "particles", "seed", "components", "scale"):
                ui.control(name)
            gr.Markdown("**Guidance: draw a class**")
            ui.control("label")
            ui.control("w", elem_classes=["rr-step"])
            gr.Markdown("**The autoencoder**")
            for name in AE_NAMES:
                ui.control(name)
            ui.parts["train"] = gr.Button("Train the autoencoder", variant="secondary")
            ui.parts["train_text"] = gr.Markdown()
            ui.link_row()
        with gr.Column(scale=3, min_width=320, elem_classes=["main-col"]):
            ui.note()
            with gr.Row():
                ui.plot("latent", min_width=300, elem_classes=["rr-square"])
                ui.plot("images", min_width=300)
            ui.output("split", gr.Markdown())
            with gr.Row():
                ui.plot("cfg", min_width=300, elem_classes=["rr-square"])
                ui.plot("cfg_images", min_width=300)
            ui.output("cfg_text", gr.Markdown())
            ui.plot("scale_curve")
            ui.output("scale_text", gr.Markdown())
            ui.plot("recon")
            ui.plot("ae_latents")
            ui.plot("train_loss")
            ui.output("ae_text", gr.Markdown())
    gr.Markdown(_notes(), latex_delimiters=[{"left": "$", "right": "$", "display": False}])
    gr.api(user_facing(latent_data), api_name="latent_data")


def build() -> kit.UI:
    """The tab from its spec, plus what only it has: training on its button (one at a time, with progress), then
    every view redrawn with the new autoencoder."""
    import gradio as gr

    from demos.inputs import latest_only

    ui = kit.build(SPEC, layout)
    controls = ui.inputs()
    ae_controls = [ui.controls[n] for n in AE_NAMES]
    outputs = [ui.parts["train_text"]]

    def train(ae_width="64", ae_steps=L.DEFAULT.steps, ae_seed=0, progress=gr.Progress()):
        return train_autoencoder(ae_width, ae_steps, ae_seed, progress=progress)

    train.__name__ = "train_autoencoder"

    def redraw(*values):
        return kit.load_updates(SPEC, ui, dict(zip(NAMES, values)))

    ui.parts["train"].click(
        user_facing(latest_only(train, len(outputs), list(AE_NAMES))),
        ae_controls,
        outputs,
        api_name="latent_train",
        concurrency_id=kit.HEAVY,
        concurrency_limit=1,
    ).success(user_facing(redraw), controls, list(kit.loads_to(SPEC, ui)), api_visibility="private")
    return ui
