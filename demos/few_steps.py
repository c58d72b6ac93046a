"""Tab "Few steps": sampling in 1-50 steps against an exact teacher.

Four parts. (1) The true reverse kernel q(x_s | x_t) of a K-step sampler is a Gaussian mixture here
(core/reverse_kernel.py): beside it DDPM's Gaussian and the best (moment-matched) Gaussian, and ancestral
sampling with each kernel at K = 1 … 50 (Xiao et al. 2022, DD-GAN). (2) Reflow (Liu et al. 2023): the exact
1-rectified flow's couplings, a 2-rectified flow trained on them (core/reflow.py), their paths, straightness,
transport cost and Euler errors. (3) Progressive distillation (Salimans & Ho 2022) from the exact DDIM-64
teacher down to one step, beside exact DDIM-N, the ideal student and direct distillation (core/distill.py).
(4) One comparison: error vs NFE of every few-step method on the same noise.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core import distill as PD
from core import reflow as R
from core.claims import note, quote, shipped
from core.dataspec import load_data
from core.grids import make_grid
from core.mixture import plot_box
from core.processes import make_process
from core.reverse_kernel import KERNELS, ReverseKernel, ancestral_samples, gaussian_log_prob, step_kls
from demos import kit, plotting
from demos.inputs import check_superseded, user_facing

TAB_ID = "fewsteps"
TITLE = "Few steps"
T = 1000  # DDPM's chain (linear β)
K_CURVE = (1, 2, 4, 8, 16, 50)
KL_DRAWS = 4000  # Monte Carlo draws of the kernel at the chosen point
KL_POINTS = 500  # x_t ~ p_t per step of the summed KL
N_PATHS = 40
KERNEL_COLORS = {"exact": "#111827", "moment": "#16a34a", "ddpm": "#dc2626"}
XY = 6.0  # x_t's coordinates (p_t of the presets lies within ±4 at every t)
FLOW_COLORS = {1: "rgba(37, 99, 235, 0.75)", 2: "rgba(234, 88, 12, 0.8)"}


def _process():
    return make_process("ddpm")


def jump(t: int, steps: int) -> int:
    """The timestep s one step of a K-step sampler lands on from t: s = t − 1000/K (−1: clean data)."""
    return max(int(round(t - T / steps)), -1)


def _coefficients(t: int) -> tuple[float, float]:
    if t < 0:
        return 1.0, 0.0
    p = _process()
    return float(p.alpha(t)), float(p.sigma(t))


def kernel_at(preset: str, t: int, steps: int) -> ReverseKernel:
    return ReverseKernel(load_data(preset), *_coefficients(t), *_coefficients(jump(t, steps)))


CONTROLS = [
    kit.Control("preset", "data", "ring8", label="Data"),
    kit.Control("t", "int", 349, label="Timestep t of x_t", noun="Timestep t", lo=1, hi=T - 1, step=1),
    kit.Control(
        "steps", "int", 4, label="Steps K (one step jumps 1000/K timesteps)", noun="Steps K", lo=1, hi=T, step=1
    ),
    kit.Control("x", "float", 1.0, label="x_t: first coordinate", noun="x_t (x)", lo=-XY, hi=XY, step=0.05),
    kit.Control("y", "float", 0.0, label="x_t: second coordinate", noun="x_t (y)", lo=-XY, hi=XY, step=0.05),
    kit.Control("particles", "int", 1000, label="Particles", noun="Particles", lo=500, hi=2000, step=500),
    kit.Control("seed", "seed", 0, label="Seed"),
    kit.Control("pairs", "int", 4000, label="Reflow pairs (z, ODE(z))", noun="Pairs", lo=500, hi=R.MAX_PAIRS, step=500),
    kit.Control(
        "width", "int", 64, label="2-RF width (3 hidden layers)", noun="Width", lo=min(R.WIDTHS), hi=max(R.WIDTHS),
        step=32,
    ),
    kit.Control(
        "train_steps", "int", 2000, label="2-RF training steps", noun="Training steps", lo=200, hi=R.MAX_STEPS, step=100
    ),
    kit.Control(
        "d_width", "int", PD.SHIPPED_SETTINGS.width, label="Students' width (3 hidden layers)", noun="Student width",
        lo=min(PD.WIDTHS), hi=max(PD.WIDTHS), step=32,
    ),
    kit.Control(
        "d_steps", "int", PD.SHIPPED_SETTINGS.steps, label="Adam steps per round", noun="Steps per round",
        lo=PD.MIN_STEPS, hi=PD.MAX_STEPS, step=100,
    ),
]  # fmt: skip
KERNEL_NAMES_IN = ("preset", "t", "steps", "x", "y")
CURVE_NAMES_IN = ("preset", "particles", "seed")
REFLOW_NAMES_IN = ("preset", "pairs", "width", "train_steps", "seed", "particles")
DISTILL_NAMES_IN = ("preset", "d_width", "d_steps", "seed", "particles")
NFE_NAMES_IN = ("preset", "pairs", "width", "train_steps", "d_width", "d_steps", "seed", "particles")


def _settings(preset, pairs, width, train_steps, seed) -> R.ReflowSettings:
    return R.ReflowSettings(spec=preset, pairs=pairs, width=width, steps=train_steps, seed=seed).validated()


def _distill_settings(preset, d_width, d_steps, seed) -> PD.DistillSettings:
    return PD.DistillSettings(spec=preset, width=d_width, steps=d_steps, seed=seed).validated()


def _check(values: dict) -> dict:
    """The reflow settings' own rule (its work cap) and the students' sizes, in sentences."""
    _settings(values["preset"], values["pairs"], values["width"], values["train_steps"], values["seed"])
    _distill_settings(values["preset"], values["d_width"], values["d_steps"], values["seed"])
    return values


def _validated(names, **given) -> dict:
    values = {**SPEC.defaults(), **given}
    for name in names:
        values[name] = SPEC.control(name).check(values[name], values)
    return values


# ---------------------------------------------------------------------------- view 1: the kernel at a point
def kernel_numbers(preset: str, t: int, steps: int, x: float, y: float) -> dict:
    """The kernel at x_t: its lobes, KL to the best Gaussian and to DDPM's (Monte Carlo over the kernel)."""
    kernel = kernel_at(preset, t, steps)
    x_t = np.array([[x, y]])
    rng = np.random.default_rng(0)
    pts = np.repeat(x_t, KL_DRAWS, 0)
    draws = kernel.sample(pts, rng)
    log_q = kernel.log_prob(draws, pts)
    mean, cov = kernel.moments(x_t)
    kl_best = log_q - gaussian_log_prob(draws, np.repeat(mean, KL_DRAWS, 0), np.repeat(cov, KL_DRAWS, 0))
    ddpm_mean, beta_tilde = kernel.ddpm_gaussian(x_t)
    if beta_tilde > 0:
        ddpm_cov = np.repeat(beta_tilde * np.eye(2)[None], KL_DRAWS, 0)
        kl_ddpm = float(np.mean(log_q - gaussian_log_prob(draws, np.repeat(ddpm_mean, KL_DRAWS, 0), ddpm_cov)))
    else:
        kl_ddpm = float("inf")  # a point mass
    law = kernel.at(x_t)
    return dict(
        s=jump(t, steps),
        law=law,
        mean=mean[0],
        cov=cov[0],
        ddpm_mean=ddpm_mean[0],
        beta_tilde=beta_tilde,
        kl_best=float(kl_best.mean()),
        kl_best_se=float(kl_best.std() / np.sqrt(KL_DRAWS)),
        kl_ddpm=kl_ddpm,
        lobes=int((law.weights >= 0.01).sum()),
    )


def _gaussian_contour(mean, cov, box, color, name, n=70) -> go.Contour:
    xs, ys = np.linspace(box[0], box[1], n), np.linspace(box[2], box[3], n)
    pts = np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2)
    logp = gaussian_log_prob(pts, np.broadcast_to(mean, pts.shape), np.broadcast_to(cov, (len(pts), 2, 2)))
    z = np.exp(logp - logp.max()).reshape(n, n)
    return go.Contour(
        x=xs.astype(np.float32), y=ys.astype(np.float32), z=z.astype(np.float32), name=name, showlegend=True,
        contours=dict(coloring="none", start=0.05, end=0.95, size=0.3), line=dict(color=color, width=2.5),
        showscale=False, hoverinfo="skip",
    )  # fmt: skip


def kernel_figure(preset, t, steps, x, y, k: dict) -> go.Figure:
    law = k["law"]
    box = plot_box(law, margin=0.3)
    fig = go.Figure(plotting.density_trace(law, box, n=90, name="exact q(x_s | x_t)"))
    fig.add_trace(_gaussian_contour(k["mean"], k["cov"], box, KERNEL_COLORS["moment"], KERNELS["moment"]))
    if k["beta_tilde"] > 0:
        cov = k["beta_tilde"] * np.eye(2)
        fig.add_trace(_gaussian_contour(k["ddpm_mean"], cov, box, KERNEL_COLORS["ddpm"], KERNELS["ddpm"]))
    else:
        fig.add_trace(
            plotting.points_trace(k["ddpm_mean"][None], "DDPM's step: a point mass (β̃ = 0)", color="#dc2626", size=12)
        )
    s = "x₀ (data)" if k["s"] < 0 else f"s = {k['s']}"
    title = f"x_t = ({x:g}, {y:g}): one step of K = {steps}, t = {t} → {s}"  # x_t first: a wrapped title keeps it
    fig = plotting.base_layout(fig, title, height=520)
    return plotting.set_box(fig, box)


def kernel_text(t, steps, k: dict) -> str:
    ddpm = "∞ (a point mass at the mean)" if not np.isfinite(k["kl_ddpm"]) else f"{k['kl_ddpm']:.3f} nats"
    return (
        f"The exact kernel has **{k['lobes']} lobe(s)** with ≥ 1 % of its mass. "
        f"KL(q ‖ best Gaussian) = **{k['kl_best']:.3f} ± {k['kl_best_se']:.3f} nats** at this x_t; "
        f"KL(q ‖ DDPM's Gaussian) = {ddpm} ({KL_DRAWS:,} draws of q). β̃ = {k['beta_tilde']:.4g}."
    )


def kernel_view(preset, t, steps, x, y):
    """(kernel figure, numbers) for one point x_t and one step of a K-step sampler."""
    v = _validated(KERNEL_NAMES_IN, preset=preset, t=t, steps=steps, x=x, y=y)
    return _kernel_outputs(v["preset"], v["t"], v["steps"], v["x"], v["y"])


@lru_cache(maxsize=64)
def _kernel_outputs(preset, t, steps, x, y):
    k = kernel_numbers(preset, t, steps, x, y)
    return kernel_figure(preset, t, steps, x, y, k), kernel_text(t, steps, k)


# ---------------------------------------------------------------------------- view 2: error vs K
@lru_cache(maxsize=16)
def k_curve(preset: str, particles: int, seed: int) -> dict:
    """Error in floor units of each kernel at each K of K_CURVE, and the summed KL to the best Gaussian."""
    mixture = load_data(preset)
    out = {kernel: [] for kernel in KERNELS}
    out["kl"] = []
    for steps in K_CURVE:
        check_superseded()
        for kernel in KERNELS:
            out[kernel].append(R.floor_units(preset, ancestral_samples(preset, kernel, steps, particles, seed)))
        grid = make_grid(make_process("ddpm", mixture), "trailing", steps)
        out["kl"].append(float(step_kls(mixture, grid, KL_POINTS, seed).sum()))
    return {k: np.array(v) for k, v in out.items()}


def curve_figure(c: dict, particles: int) -> go.Figure:
    fig = make_subplots(
        rows=1, cols=2, horizontal_spacing=0.16,
        subplot_titles=("Ancestral sampling's MMD²", "Σ over steps of KL(q ‖ best Gaussian)"),
    )  # fmt: skip
    for kernel, name in KERNELS.items():
        fig.add_scatter(
            x=K_CURVE, y=np.maximum(c[kernel], 0.3), customdata=c[kernel], name=name, mode="lines+markers",
            line=dict(color=KERNEL_COLORS[kernel], width=3), row=1, col=1,
            hovertemplate="K = %{x}: %{customdata:+.1f} floor units<extra></extra>",
        )  # fmt: skip
    fig.add_hrect(y0=0.3, y1=2, fillcolor="#9ca3af", opacity=0.25, line_width=0, row=1, col=1)
    fig.add_scatter(
        x=K_CURVE, y=c["kl"], name="summed KL (nats)", mode="lines+markers",
        line=dict(color=plotting.PALETTE[3], width=3), row=1, col=2,
    )  # fmt: skip
    fig.update_xaxes(type="log", title_text="steps K", tickvals=list(K_CURVE))
    fig.update_yaxes(type="log", dtick=1, title_text="floor units (grey: ≤ 2, as exact)", row=1, col=1)
    fig.update_yaxes(title_text="nats", rangemode="tozero", row=1, col=2)
    plotting.base_layout(fig, f"Error vs steps, {particles:,} particles, same noise", square=False)
    return plotting.legend_below(plotting.fit_subplot_titles(fig), 260)


def curve_text(c: dict) -> str:
    head = "| kernel | " + " | ".join(f"K = {k}" for k in K_CURVE) + " |"
    rows = [head, "|---|" + "---|" * len(K_CURVE)]
    for kernel, name in KERNELS.items():
        rows.append(f"| {name} | " + " | ".join(f"{v:+.1f}" for v in c[kernel]) + " |")
    rows.append("| Σ KL to the best Gaussian (nats) | " + " | ".join(f"{v:.2f}" for v in c["kl"]) + " |")
    return "\n".join(rows) + "\n\nMMD² in noise-floor units: ≲ 2 is as good as exact sampling."


def curve_view(preset, particles, seed, progress=None):
    """(error-vs-K figure, table) for the chosen data, particles and seed."""
    v = _validated(CURVE_NAMES_IN, preset=preset, particles=particles, seed=seed)
    if progress is not None:
        progress(0.0, desc="Ancestral sampling with three kernels at K = 1 … 50")
    return _curve_outputs(v["preset"], v["particles"], v["seed"])


@lru_cache(maxsize=16)
def _curve_outputs(preset, particles, seed):
    c = k_curve(preset, particles, seed)
    return curve_figure(c, particles), curve_text(c)


# ---------------------------------------------------------------------------- view 3: reflow
@lru_cache(maxsize=16)
def reflow_numbers(settings: R.ReflowSettings, particles: int, seed: int) -> dict:
    return R.compare(settings.spec, R.get_reflow(settings), particles, seed)


def reflow_figure(preset: str, out: dict | None, one: R.Coupling) -> go.Figure:
    mixture = load_data(preset)
    box = plot_box(mixture)
    box = (min(box[0], -3.0), max(box[1], 3.0), min(box[2], -3.0), max(box[3], 3.0))
    fig = make_subplots(rows=1, cols=2, subplot_titles=("1-rectified flow (exact)", "2-rectified flow (reflow)"),
                        horizontal_spacing=0.06)  # fmt: skip
    panels = [(1, one.path)] + ([(2, out["path_2"])] if out is not None else [])
    for col, path in panels:
        fig.add_trace(plotting.contour_trace(mixture, box, "#9ca3af", "data p₀"), row=1, col=col)
        fig.add_trace(
            plotting.paths_trace(path[:, :N_PATHS], f"{N_PATHS} paths", color=FLOW_COLORS[col], width=1.6),
            row=1, col=col,
        )  # fmt: skip
        fig.add_trace(plotting.points_trace(path[-1, :N_PATHS], "endpoints", size=5), row=1, col=col)
        plotting.set_box(fig, box, row=1, col=col)
    plotting.base_layout(fig, "Paths from the same noise z (t = 1) to the data (t = 0)", height=480, square=False)
    plotting.fit_subplot_titles(fig)
    for col in (1, 2):
        fig.update_yaxes(scaleanchor=f"x{'' if col == 1 else col}", scaleratio=1, row=1, col=col)
    fig.update_traces(showlegend=False)
    return fig


def reflow_curve_figure(out: dict) -> go.Figure:
    fig = go.Figure()
    for which, name in ((1, "1-RF (exact velocity)"), (2, "2-RF (reflow, learned)")):
        e = out[f"euler_{which}"]
        fig.add_scatter(
            x=list(e), y=np.maximum(list(e.values()), 0.3), customdata=list(e.values()), name=name,
            mode="lines+markers", line=dict(color=FLOW_COLORS[which], width=3),
            hovertemplate="%{x} Euler steps: %{customdata:+.1f} floor units<extra></extra>",
        )  # fmt: skip
    fig.add_hrect(y0=0.3, y1=2, fillcolor="#9ca3af", opacity=0.25, line_width=0)
    fig.update_xaxes(type="log", title_text="Euler steps (NFE)", tickvals=list(R.EULER_STEPS))
    fig.update_yaxes(type="log", title_text="MMD² floor units")
    return plotting.legend_below(plotting.base_layout(fig, "Few-step Euler on each flow", square=False), 250)


def reflow_text(settings: R.ReflowSettings, out: dict, flow: R.RectifiedFlow) -> str:
    where = "shipped" if flow.shipped else f"trained here in {flow.net.meta.get('seconds', 0):.1f} s"
    e1, e2 = out["euler_1"], out["euler_2"]
    return "\n".join([
        f"2-rectified flow: {settings.depth}×{settings.width} MLP, {settings.steps:,} steps on "
        f"{settings.pairs:,} pairs ({where}). Measured on fresh noise:",
        "",
        "| flow | straightness S | transport cost E‖x₀ − z‖² | Euler 1 / 2 / 4 | accurate solve |",
        "|---|---|---|---|---|",
        f"| 1-RF (exact) | {out['straightness_1']:.4f} | {out['cost_1']:.3f} | "
        f"{e1[1]:+.0f} / {e1[2]:+.0f} / {e1[4]:+.1f} | {out['fine_1']:+.1f} |",
        f"| 2-RF (reflow) | {out['straightness_2']:.4f} | {out['cost_2']:.3f} | "
        f"{e2[1]:+.1f} / {e2[2]:+.1f} / {e2[4]:+.1f} | {out['fine_2']:+.1f} |",
        "",
        "Errors in MMD² noise-floor units (≲ 2: as exact). The accurate solve of the 1-RF is the ideal one-step "
        "student (the exact map z ↦ ODE(z)); the 2-RF's accurate solve shows its training error, its Euler rows "
        "the cost of what curvature is left.",
    ])  # fmt: skip


PROMPT = (
    "This setting's 2-rectified flow is not trained yet: press **Train the 2-rectified flow** (couplings and "
    "training, about 10-20 s). The shipped default students show at once."
)


def reflow_view(preset, pairs, width, train_steps, seed, particles):
    """(paths figure, Euler-error figure, numbers) with the 2-RF if it is shipped or trained; else the 1-RF
    alone and a prompt to train."""
    v = _validated(REFLOW_NAMES_IN, preset=preset, pairs=pairs, width=width, train_steps=train_steps, seed=seed,
                   particles=particles)  # fmt: skip
    settings = _settings(v["preset"], v["pairs"], v["width"], v["train_steps"], v["seed"])
    if R.cached_reflow(settings) is None:
        one = R.couplings(settings.spec, v["particles"], v["seed"] + 10_000)
        return reflow_figure(settings.spec, None, one), go.Figure(), PROMPT
    return _reflow_outputs(settings, v["particles"], v["seed"])


def reflow_train(preset, pairs, width, train_steps, seed, particles, progress=None):
    """Train this setting's 2-rectified flow (heavy: one at a time, ≤ 20 s at the defaults), then draw."""
    v = _validated(REFLOW_NAMES_IN, preset=preset, pairs=pairs, width=width, train_steps=train_steps, seed=seed,
                   particles=particles)  # fmt: skip
    settings = _settings(v["preset"], v["pairs"], v["width"], v["train_steps"], v["seed"])

    def report(step, total, loss):
        check_superseded()
        if progress is not None:
            progress(step / total, desc=f"reflow: step {step:,}/{total:,}, loss {loss:.4f}")

    R.get_reflow(settings, report)
    return _reflow_outputs(settings, v["particles"], v["seed"])


def _reflow_outputs(settings: R.ReflowSettings, particles: int, seed: int):
    out = reflow_numbers(settings, particles, seed)
    one = R.Coupling(out["z"], out["path_1"][-1], out["path_1"])
    flow = R.cached_reflow(settings)
    return reflow_figure(settings.spec, out, one), reflow_curve_figure(out), reflow_text(settings, out, flow)


def reflow_data(
    preset: str = "ring8",
    pairs: int = 4000,
    width: int = 64,
    train_steps: int = 2000,
    seed: int = 0,
    particles: int = 1000,
) -> dict:
    """The numbers behind the reflow view (training first if needed): straightness, transport cost, Euler-k and
    accurate-solve errors of the 1- and 2-rectified flows on the same fresh noise."""
    v = _validated(REFLOW_NAMES_IN, preset=preset, pairs=pairs, width=width, train_steps=train_steps, seed=seed,
                   particles=particles)  # fmt: skip
    settings = _settings(v["preset"], v["pairs"], v["width"], v["train_steps"], v["seed"])
    R.get_reflow(settings)
    out = reflow_numbers(settings, v["particles"], v["seed"])
    keys = ("straightness_1", "straightness_2", "cost_1", "cost_2", "fine_1", "fine_2")
    return {
        "settings": {**settings.__dict__},
        **{k: out[k] for k in keys},
        "euler_1": {str(k): v for k, v in out["euler_1"].items()},
        "euler_2": {str(k): v for k, v in out["euler_2"].items()},
    }


def kernel_data(preset: str = "ring8", t: int = 349, steps: int = 4, x: float = 1.0, y: float = 0.0) -> dict:
    """The numbers behind the kernel view: the exact kernel's components at x_t, its moments, DDPM's Gaussian,
    and the KL of the kernel to each Gaussian."""
    v = _validated(KERNEL_NAMES_IN, preset=preset, t=t, steps=steps, x=x, y=y)
    k = kernel_numbers(v["preset"], v["t"], v["steps"], v["x"], v["y"])
    law = k["law"]
    return {
        "t": v["t"],
        "s": k["s"],
        "weights": law.weights.tolist(),
        "means": law.means.tolist(),
        "covs": law.covs.tolist(),
        "mean": k["mean"].tolist(),
        "cov": k["cov"].tolist(),
        "ddpm_mean": k["ddpm_mean"].tolist(),
        "beta_tilde": k["beta_tilde"],
        "kl_best_gaussian": k["kl_best"],
        "kl_best_gaussian_se": k["kl_best_se"],
        "kl_ddpm_gaussian": k["kl_ddpm"] if np.isfinite(k["kl_ddpm"]) else None,
    }


# ---------------------------------------------------------------------------- view 4: progressive distillation
SHOW_N = (8, 4, 2, 1)  # the rounds drawn (every round is in the table)


def _units(value: float) -> str:
    """Floor units as shown in tables: a decimal below 100, whole numbers above."""
    return f"{value:+.1f}" if abs(value) < 100 else f"{value:+.0f}"


N_SHOWN = 500  # samples drawn per panel


def distill_figure(preset: str, ev: dict) -> go.Figure:
    mixture = load_data(preset)
    box = plot_box(mixture)
    cols = len(SHOW_N) + 1
    titles = [f"N = {n}" for n in SHOW_N] + ["ideal"]
    titles += [f"DDIM-{n}" for n in SHOW_N] + ["direct"]
    fig = make_subplots(rows=2, cols=cols, subplot_titles=titles, horizontal_spacing=0.02, vertical_spacing=0.09)
    panels = [(1, i + 1, ev["samples"]["student"][n], ev["student"][n]) for i, n in enumerate(SHOW_N)]
    panels += [(2, i + 1, ev["samples"]["ddim"][n], ev["ddim"][n]) for i, n in enumerate(SHOW_N)]
    panels += [(1, cols, ev["samples"]["ideal"], ev["ideal"]), (2, cols, ev["samples"]["direct"], ev["direct"])]
    for row, col, x, units in panels:
        fig.add_trace(plotting.contour_trace(mixture, box, "#9ca3af", "data p₀", n=50), row=row, col=col)
        color = plotting.PALETTE[0] if row == 1 else plotting.PALETTE[1]
        fig.add_trace(plotting.points_trace(x[:N_SHOWN], "samples", color=color, size=3), row=row, col=col)
        plotting.set_box(fig, box, row=row, col=col)
        fig.add_annotation(
            text=_units(units), x=0.97, y=0.03, xanchor="right", yanchor="bottom", showarrow=False,
            xref=f"x{'' if (row - 1) * cols + col == 1 else (row - 1) * cols + col} domain",
            yref=f"y{'' if (row - 1) * cols + col == 1 else (row - 1) * cols + col} domain",
            font=dict(size=12, color="#111827"), bgcolor="rgba(255,255,255,0.8)",
        )  # fmt: skip
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    for i in range(1, 2 * cols + 1):
        fig.update_yaxes(scaleanchor=f"x{'' if i == 1 else i}", scaleratio=1, row=(i - 1) // cols + 1,
                         col=(i - 1) % cols + 1)  # fmt: skip
    fig.update_traces(showlegend=False)
    title = "Progressive distillation: students (top) vs exact DDIM (bottom)"
    fig = plotting.base_layout(fig, title, height=460, square=False)
    fig.update_annotations(font_size=12)
    return fig


def distill_text(d: PD.Distilled, ev: dict) -> str:
    s = d.settings
    where = "shipped" if d.shipped else "trained here"
    secs = sum(r["seconds"] for r in d.meta["rounds"]) + d.meta["direct"]["seconds"]
    rows = ["| N | student | exact DDIM-N | RMS distance to the ideal map |", "|---|---|---|---|"]
    for n in PD.ROUNDS:
        rows.append(f"| {n} | {ev['student'][n]:+.1f} | {_units(ev['ddim'][n])} | {ev['gap'][n]:.3f} |")
    return "\n".join([
        f"Students: {PD.DEPTH}×{s.width} MLPs ({PD.PARAMETERISATIONS[s.parameterisation]}, cosine schedule), "
        f"{s.steps:,} Adam steps per round "
        f"(the first, from scratch, {PD.FIRST_ROUND}×; {where}, {secs:.0f} s of training). "
        f"The first teacher is exact DDIM-{PD.START} "
        f"({ev['ddim'][PD.START]:+.1f}). MMD² in noise-floor units (≲ 2: as exact); the numbers in the panels:",
        "",
        *rows,
        "",
        f"Ideal student (the exact PF-ODE map, one step): **{ev['ideal']:+.1f}**. Direct distillation (z ↦ ODE(z) on "
        f"{PD.PAIRS:,} exact pairs, {sum(PD.round_steps(s.steps)):,} Adam steps, the same budget): "
        f"**{ev['direct']:+.1f}** (RMS distance to the ideal map {ev['gap_direct']:.3f}).",
    ])  # fmt: skip


def _prompt() -> str:
    return (
        "These students are not trained yet: press **Train the distilled students** (six rounds and the direct "
        f"control). Live training is capped at about 20 s here: at width 64, at most {PD.max_steps(64):,} Adam steps "
        f"per round. Every preset's default students (width {PD.SHIPPED_SETTINGS.width}, "
        f"{PD.SHIPPED_SETTINGS.steps:,} steps per round) are shipped and show at once; the claim below says what "
        "they reach on ring8."
    )


@lru_cache(maxsize=16)
def _distill_outputs(settings: PD.DistillSettings, particles: int, seed: int):
    ev = PD.evaluate(settings, particles, seed)
    return distill_figure(settings.spec, ev), distill_text(PD.get(settings), ev)


def distill_view(preset, d_width, d_steps, seed, particles):
    """(samples figure, table) of every round's student beside exact DDIM-N, the ideal and the direct student,
    if these students are shipped or trained; else a prompt to train."""
    v = _validated(DISTILL_NAMES_IN, preset=preset, d_width=d_width, d_steps=d_steps, seed=seed, particles=particles)
    settings = _distill_settings(v["preset"], v["d_width"], v["d_steps"], v["seed"])
    if PD.cached(settings) is None:
        return go.Figure(), _prompt()
    return _distill_outputs(settings, v["particles"], v["seed"])


def distill_train(preset, d_width, d_steps, seed, particles, progress=None):
    """Train these students (heavy: one at a time, within the live work cap), then draw."""
    v = _validated(DISTILL_NAMES_IN, preset=preset, d_width=d_width, d_steps=d_steps, seed=seed, particles=particles)
    settings = _distill_settings(v["preset"], v["d_width"], v["d_steps"], v["seed"])
    if PD.cached(settings) is None:
        settings.trainable()

    def report(done, total, text):
        check_superseded()
        if progress is not None:
            progress(done / total, desc=text)

    PD.get(settings, report)
    return _distill_outputs(settings, v["particles"], v["seed"])


def distill_data(
    preset: str = "ring8",
    d_width: int = PD.SHIPPED_SETTINGS.width,
    d_steps: int = PD.SHIPPED_SETTINGS.steps,
    seed: int = 0,
    particles: int = 1000,
) -> dict:
    """The numbers behind the distillation view (training first if needed, within the live cap): per round the
    student's and exact DDIM-N's error in floor units, the ideal and direct students', and the training log."""
    v = _validated(DISTILL_NAMES_IN, preset=preset, d_width=d_width, d_steps=d_steps, seed=seed, particles=particles)
    settings = _distill_settings(v["preset"], v["d_width"], v["d_steps"], v["seed"])
    d = PD.get(settings)
    ev = PD.evaluate(settings, v["particles"], v["seed"])
    return {
        "settings": {**settings.__dict__},
        "shipped": d.shipped,
        "student": {str(n): ev["student"][n] for n in PD.ROUNDS},
        "ddim": {str(n): ev["ddim"][n] for n in (*PD.ROUNDS, PD.START)},
        "ideal": ev["ideal"],
        "direct": ev["direct"],
        "gap_to_ideal": {str(n): ev["gap"][n] for n in PD.ROUNDS},
        "training": d.meta,
    }


# ---------------------------------------------------------------------------- view 5: error vs NFE
NFE_COLORS = {
    "student": plotting.PALETTE[0], "ddim": "#111827", "kernel": plotting.PALETTE[2], "rf1": "rgba(37, 99, 235, 0.5)",
    "rf2": plotting.PALETTE[4], "direct": plotting.PALETTE[3], "dpmpp": plotting.PALETTE[5],
    "heun": plotting.PALETTE[6],
}  # fmt: skip


@lru_cache(maxsize=16)
def nfe_numbers(preset, pairs, width, train_steps, d_width, d_steps, seed, particles) -> dict:
    """Error in floor units at NFE 1, 2, 4, 8 of each few-step method on the same noise z (the exact kernel
    samples its own ancestral noise): the rows whose students are not trained are left out."""
    rows: dict[str, dict] = {}
    dset = _distill_settings(preset, d_width, d_steps, seed)
    ev = None
    if PD.cached(dset) is not None:
        ev = PD.evaluate(dset, particles, seed)
        rows["student"] = {n: ev["student"][n] for n in PD.NFES}
        rows["direct"] = {1: ev["direct"]}
    one = R.couplings(preset, particles, seed + 10_000)
    den = PD.exact_denoiser(preset)
    rows["ddim"] = {n: R.floor_units(preset, PD.ddim(den, one.z, n)) for n in PD.NFES}
    rows["rf1"] = {n: R.floor_units(preset, R.euler_exact(preset, one.z, n)) for n in PD.NFES}
    rset = _settings(preset, pairs, width, train_steps, seed)
    flow = R.cached_reflow(rset)
    if flow is not None:
        rows["rf2"] = {n: R.floor_units(preset, flow.euler(one.z, n)) for n in PD.NFES}
    c = k_curve(preset, particles, seed)
    rows["kernel"] = {n: float(c["exact"][K_CURVE.index(n)]) for n in PD.NFES}
    for key, racer in SOLVERS.items():
        rows[key] = solver_row(preset, racer, one.z)
    return dict(rows=rows, ideal=R.floor_units(preset, one.x0))


SOLVERS = {"dpmpp": "dpmpp_logsnr", "heun": "edm_heun"}
"""The race's best ODE solvers on the exact model (its racers: registry sampler, process, grid, NFE per budget)."""


def solver_row(preset: str, racer_id: str, z: np.ndarray) -> dict[int, float]:
    """{NFE really spent: floor units} of a race racer at the budgets NFES, from x_T = σ_T z (the same noise as the
    other rows); a budget that buys no new step (EDM Heun spends 2n − 1: 1, 3, 7) adds no point."""
    from core.models import ExactDenoiser
    from core.race import RACERS
    from core.samplers.registry import run_sampler

    racer, mixture = RACERS[racer_id], load_data(preset)
    row = {}
    for budget in PD.NFES:
        config = racer.configure(budget, mixture)
        if config is None:
            continue
        steps, params = config
        grid = make_grid(make_process(racer.process, mixture), racer.grid, steps)
        res = run_sampler(racer.sampler, ExactDenoiser(mixture), grid, len(z), 0, params, n_paths=1,
                          x_init=grid.sigma[0] * z)  # fmt: skip
        row[res.nfe] = R.floor_units(preset, res.samples)
    return row


NFE_SHORT = {
    "student": "distilled student",
    "direct": "direct (1 step)",
    "ddim": "exact DDIM",
    "rf1": "1-RF Euler (exact)",
    "rf2": "2-RF Euler (reflow)",
    "kernel": "exact kernel",
    "dpmpp": "DPM-Solver++(2M)",
    "heun": "EDM Heun",
}  # the table's row names (a phone's width)
NFE_NAMES = {
    "student": "progressive distillation (student)",
    "direct": "direct distillation (1 step)",
    "ddim": "exact DDIM (cosine schedule)",
    "rf1": "Euler on the exact 1-rectified flow",
    "rf2": "Euler on the 2-rectified flow (reflow)",
    "kernel": "ancestral, exact reverse kernel",
    "dpmpp": "DPM-Solver++(2M), log-SNR grid (race)",
    "heun": "EDM Heun, Karras grid (race)",
}


def nfe_figure(out: dict) -> go.Figure:
    fig = go.Figure()
    for key, name in NFE_NAMES.items():
        if key not in out["rows"]:
            continue
        row = out["rows"][key]
        dash = "dot" if key == "kernel" else None
        fig.add_scatter(
            x=list(row), y=np.maximum(list(row.values()), 0.3), customdata=list(row.values()), name=name,
            mode="lines+markers", line=dict(color=NFE_COLORS[key], width=3, dash=dash),
            marker=dict(size=12 if key == "direct" else 8),
            hovertemplate="NFE %{x}: %{customdata:+.1f} floor units<extra>" + name + "</extra>",
        )  # fmt: skip
    fig.add_scatter(
        x=list(PD.NFES), y=[max(out["ideal"], 0.3)] * len(PD.NFES),
        name=f"ideal student (exact map), {out['ideal']:+.1f}", mode="lines",
        line=dict(color="#6b7280", dash="dash", width=2), hoverinfo="skip",
    )  # fmt: skip
    fig.add_hrect(y0=0.3, y1=2, fillcolor="#9ca3af", opacity=0.25, line_width=0)
    fig.update_xaxes(type="log", title_text="NFE (the kernel: steps K)", tickvals=list(PD.NFES))
    fig.update_yaxes(type="log", title_text="floor units (grey: ≤ 2)")
    plotting.base_layout(fig, "Error vs NFE, same noise", height=520, square=False)
    fig.update_layout(legend=dict(y=-0.3), margin=dict(b=60))
    return fig


def _cell(row: dict, n: int) -> str:
    """A solver's error at NFE n; one that cannot spend exactly n (EDM Heun: 2k − 1) shows its run at the largest
    NFE below, with that NFE."""
    if n in row:
        return _units(row[n])
    below = [m for m in row if m < n]
    return f"{_units(row[max(below)])} ({max(below)})" if below else "–"


def nfe_text(out: dict) -> str:
    head = "| method (NFE →) | " + " | ".join(str(n) for n in PD.NFES) + " |"
    rows = [head, "|---|" + "---|" * len(PD.NFES)]
    for key in NFE_NAMES:
        if key in out["rows"]:
            row = out["rows"][key]
            cells = " | ".join(
                _cell(row, n) if key in SOLVERS else _units(row[n]) if n in row else "–" for n in PD.NFES
            )
            rows.append(f"| {NFE_SHORT[key]} | {cells} |")
    missing = [NFE_NAMES[k] for k in ("student", "rf2") if k not in out["rows"]]
    tail = f" Not trained for these settings (train them above): {', '.join(missing)}." if missing else ""
    return (
        "\n".join(rows) + f"\n\nIdeal student (the exact PF-ODE map, solved accurately): {out['ideal']:+.1f}. The "
        "exact kernel is what a perfect multimodal generator could reach (its K steps are not network "
        "evaluations of a model we have). DPM-Solver++(2M) and EDM Heun are the race's solvers on the exact model "
        "from the same noise; Heun spends 2k − 1 evaluations for k steps (its NFE in brackets)." + tail
    )


def nfe_view(preset, pairs, width, train_steps, d_width, d_steps, seed, particles, progress=None):
    """(error-vs-NFE figure, table): students, exact DDIM, both flows, the exact kernel, the race's DPM-Solver++(2M)
    and EDM Heun, and the ideal."""
    v = _validated(NFE_NAMES_IN, preset=preset, pairs=pairs, width=width, train_steps=train_steps, d_width=d_width,
                   d_steps=d_steps, seed=seed, particles=particles)  # fmt: skip
    if progress is not None:
        progress(0.0, desc="Every few-step method at NFE 1, 2, 4, 8")
    out = nfe_numbers(*(v[n] for n in NFE_NAMES_IN))
    return nfe_figure(out), nfe_text(out)


# ---------------------------------------------------------------------------- notes, scenes, spec
def _notes() -> str:
    return (
        r"""
**The true reverse kernel is a mixture (DD-GAN's premise).** A K-step sampler jumps from $x_t$ to $x_s$,
$s = t - 1000/K$. With mixture data the true kernel is exact:
$q(x_s\mid x_t) = \sum_k r_k(x_t)\,\mathcal N\big(c_x x_t + c_0 m_k(x_t),\ \tilde\beta I + c_0^2 V_k\big)$, each
data component's Gaussian posterior $\mathcal N(m_k, V_k)$ of $x_0$ pushed through DDPM's Gaussian posterior
$q(x_s\mid x_t, x_0) = \mathcal N(c_x x_t + c_0 x_0, \tilde\beta I)$ (Ho et al. 2020, eqs. 6-7). Xiao et al. 2022
(DD-GAN, Sec. 3.1) note that the Gaussian form of the denoising distribution is justified only for small steps,
that with large steps the true denoising distribution is multimodal, and model it with a conditional GAN so that a
few steps suffice. Move $x_t$, $t$ and $K$: with small jumps the three laws coincide; with large ones the kernel
splits into lobes that no Gaussian represents. The best Gaussian (the kernel's own mean and covariance, which
minimises $\mathrm{KL}(q\,\|\,\mathcal N)$; IDDPM's learned diagonal $\Sigma$ approximates its diagonal) smears
them; DDPM's $\tilde\beta$ is far too narrow (a point mass at $K = 1$). Ancestral sampling with the exact kernel
lands on the noise floor at every $K$, even 1: it shows what a *perfect* multimodal generator could reach, not that
a GAN learns it.

**Reflow (Liu et al. 2023).** The 1-rectified flow from $z \sim \mathcal N(0, I)$ to the data has velocity
$v(x, t) = \mathbb E[z - x_0 \mid x_t = x]$ on $x_t = (1-t)x_0 + tz$: exact here, so its couplings
$(z, \mathrm{ODE}(z))$ are exact. Reflow (Sec. 2) trains a new flow (a small MLP) on their straight
interpolations. Straightness $S = \int_0^1 \mathbb E\|(z - x_0) - v(x_t, t)\|^2\,dt$ along the flow's own paths $x_t$
(Sec. 2) is 0 for straight paths, which one Euler step follows exactly; Theorem 3.5 (arXiv v1; D.5 in the ICLR
version) says rectification does not increase convex transport costs such as $\mathbb E\|x_0 - z\|^2$. The errors
split into the method's and the training's: the 1-RF's accurate solve is the ideal student (the exact map), the
2-RF's accurate solve shows its training error.

**Progressive distillation (Salimans & Ho 2022).** The teacher is DDIM on the exact denoiser, on the paper's cosine
schedule $\alpha_t = \cos(\pi t/2)$, $\sigma_t = \sin(\pi t/2)$. A student MLP predicts
$v = \alpha_t\varepsilon - \sigma_t x$ (Sec. 4), so $\hat x = \alpha_t z_t - \sigma_t \hat v$. Algorithm 2 (Sec. 3):
two teacher DDIM steps $t \to t - \tfrac{1}{2N} \to t - \tfrac1N$ reach $z_{t''}$; the student's target is the
$\tilde x$ with which *one* DDIM step lands there, $\tilde x = (z_{t''} - \tfrac{\sigma_{t''}}{\sigma_t} z_t)
/ (\alpha_{t''} - \tfrac{\sigma_{t''}}{\sigma_t}\alpha_t)$; the loss on $v$ is the paper's "SNR+1" weighting of
$\|\tilde x - \hat x\|^2$. Each student starts from its teacher's weights and becomes the next teacher: $N$ = 32,
16, 8, 4, 2, 1 from the exact DDIM-64. Because the teacher is exact, the error splits: exact DDIM-$N$ is what the
same number of steps costs without distillation, the **ideal student** (the exact PF-ODE map $z \mapsto x_0$,
solved accurately) is what a perfect one-step student would reach, and the student's distance to it is what
training lost. The **direct distillation** control regresses $z \mapsto \mathrm{ODE}(z)$ on exact pairs with the
same number of Adam steps (the route of Luhman & Luhman 2021): with a cheap exact teacher nothing forces the
progressive detour.

"""
        + _x_prediction_note()
        + r"""

**One comparison.** Error vs the number of network evaluations on the same noise: the distilled students, exact
DDIM, Euler on the exact 1-rectified flow and on the 2-rectified flow, and ancestral sampling with the exact
reverse kernel (what a perfect DD-GAN generator could reach); the ideal student is the dashed line.

"""
        + "\n\n".join(
            note(k)
            for k in (
                "ddgan_gaussian_small_steps",
                "reflow_straightens",
                "reflow_transport_cost",
                "progressive_distillation",
                "distill_x_prediction",
            )
        )
    )


def _x_prediction_note() -> str:
    """The x-prediction finding (claim distill_x_prediction), its numbers read from the registry."""
    from core.claims.distill import LONG_STEPS, X_SEEDS

    v = shipped().get("distill_x_prediction", {}).get("values")
    if v is None:
        return "**x-prediction.** Not measured yet: run `python -m core.claims --write distill_x_prediction`."
    first = PD.ROUNDS[0]
    head = (
        "**x-prediction, a finding.** The paper (Sec. 4) also proposes predicting $x$ directly, with the "
        r"'truncated SNR' weighting $\max(\|x-\hat x\|^2, \|\varepsilon-\hat\varepsilon\|^2)$. Trained alike on "
        f"ring8 with the shipped budget (means of seeds {X_SEEDS[0]}-{X_SEEDS[-1]}), such students score "
        f"{quote(v['x_student_4'], '+.1f')} floor units at $N = 4$ where the v-students score "
        rf"{quote(v['v_student_4'], '+.1f')}. At $t = 1/{first}$ the first student's $\hat x$ lies "
        rf"{quote(v['x_fit_1'], '.3f')} (RMS) from the exact $E[x \mid z_t]$, its training target "
        rf"{quote(v['target_1'], '.3f')}, and $z_t/\alpha_t$, no denoising at all, {quote(v['identity_1'], '.3f')}: "
    )
    if v["x_fit_1"] > 2 * v["target_1"]:  # twice as far from E[x | z_t] as what it is trained on
        fit = (
            r"it fails to fit small $t$. A likely reason: there $\hat x$ must reproduce $z_t/\alpha_t$ closely; "
            r"v-prediction's $\hat x = \alpha_t z_t - \sigma_t \hat v$ passes $z_t$ through, an $x$-predicting MLP "
            "has to learn it. "
        )
    else:
        fit = "it fits small $t$. "
    return (
        head + fit + f"With {LONG_STEPS:,} Adam steps per round instead of {PD.SHIPPED_SETTINGS.steps:,} they reach "
        f"{quote(v['xlong_student_4'], '+.1f')} at $N = 4$. The claim below has every round and seed."
    )


SCENES = {
    "Four steps: the kernel splits into lobes": dict(t=349, steps=4, x=1.0, y=0.0),
    "One step: the kernel is the data": dict(t=999, steps=1, x=0.0, y=0.0),
    "Fifty steps: the kernel is Gaussian": dict(t=500, steps=50, x=1.0, y=0.5),
    "Eight steps, near a mode": dict(t=249, steps=8, x=1.0, y=0.0),
    "Moons: the kernel and reflow": dict(preset="moons", t=349, steps=4, x=0.5, y=0.0),
    "Reflow on the ring": dict(preset="ring8"),
    "Progressive distillation, 64 → 1 steps": dict(preset="ring8", d_width=64, d_steps=600),
    "Distillation on the moons": dict(preset="moons", d_width=64, d_steps=600),
}
SCENE_NOTES = {
    "Four steps: the kernel splits into lobes": "The third step of a 4-step sampler (t = 349 → 99): the exact "
    "kernel has a lobe per mode; the best Gaussian covers them with one ellipse, DDPM's β̃ circle is far too small.",
    "One step: the kernel is the data": "With one step the kernel is p(x₀ | x_T), nearly the data itself; DDPM's "
    "step is a point mass at the mean.",
    "Fifty steps: the kernel is Gaussian": "A 20-timestep jump: the three laws nearly coincide (DDPM's premise).",
    "Eight steps, near a mode": "Close to a mode fewer lobes carry mass, yet no Gaussian fits them.",
    "Moons: the kernel and reflow": "Any data: the kernel follows its components; the moons' shipped 2-RF below.",
    "Reflow on the ring": "Curved 1-RF paths become nearly straight after one reflow.",
    "Progressive distillation, 64 → 1 steps": "Below the reflow: each round's student at N steps beside exact "
    "DDIM-N, then every method's error vs NFE. Exact DDIM collapses at few steps; the students do not.",
    "Distillation on the moons": "The shipped students of the moons: the same rounds on curved data.",
}
DEFAULT_NOTE = "Move x_t, t or K to see one step's kernel; the curves below compare K = 1 … 50."

SPEC = kit.Tab(
    id=TAB_ID,
    title=TITLE,
    controls=CONTROLS,
    views=[
        kit.View(kernel_view, ("kernel", "kernel_text"), api_name="fewsteps_kernel", inputs=KERNEL_NAMES_IN),
        kit.View(curve_view, ("curve", "curve_text"), api_name="fewsteps_curve", inputs=CURVE_NAMES_IN),
        kit.View(
            reflow_view, ("reflow", "reflow_curve", "reflow_text"), api_name="fewsteps_reflow", inputs=REFLOW_NAMES_IN
        ),
        kit.View(distill_view, ("distill", "distill_text"), api_name="fewsteps_distill", inputs=DISTILL_NAMES_IN),
        kit.View(nfe_view, ("nfe", "nfe_text"), api_name="fewsteps_nfe", inputs=NFE_NAMES_IN),
    ],
    scenes=SCENES,
    scene_notes=SCENE_NOTES,
    default_note=DEFAULT_NOTE,
    check=_check,
)


def layout(ui: kit.UI) -> None:
    import gradio as gr

    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            ui.scene_picker()
            ui.control("preset")
            for name in ("t", "steps", "particles", "seed"):
                ui.control(name)
            gr.Markdown("**Reflow**")
            for name in ("pairs", "width", "train_steps"):
                ui.control(name)
            ui.parts["train"] = gr.Button("Train the 2-rectified flow", variant="primary", size="sm")
            gr.Markdown("**Progressive distillation**")
            for name in ("d_width", "d_steps"):
                ui.control(name)
            ui.parts["train_distill"] = gr.Button("Train the distilled students", variant="primary", size="sm")
            ui.link_row()
        with gr.Column(scale=3, min_width=320, elem_classes=["main-col"]):
            ui.note()
            with gr.Row():
                ui.control("x", elem_classes=["rr-step"])
                ui.control("y")
            ui.plot("kernel")
            ui.output("kernel_text", gr.Markdown())
            ui.plot("curve")
            ui.output("curve_text", gr.Markdown())
            ui.plot("reflow")
            ui.plot("reflow_curve")
            ui.output("reflow_text", gr.Markdown())
            ui.plot("distill")
            ui.output("distill_text", gr.Markdown())
            ui.plot("nfe")
            ui.output("nfe_text", gr.Markdown())
    gr.Markdown(_notes(), latex_delimiters=[{"left": "$", "right": "$", "display": False}])
    gr.api(user_facing(kernel_data), api_name="fewsteps_kernel_data")
    gr.api(user_facing(reflow_data), api_name="fewsteps_reflow_data", concurrency_id=kit.HEAVY, concurrency_limit=1)
    gr.api(user_facing(distill_data), api_name="fewsteps_distill_data", concurrency_id=kit.HEAVY, concurrency_limit=1)


def build() -> kit.UI:
    """The tab from its spec, plus training on its two buttons (in the one-at-a-time group of trainings); after a
    training the error-vs-NFE comparison is drawn again with the new students."""
    import gradio as gr

    from demos.inputs import latest_only

    ui = kit.build(SPEC, layout)
    nfe_outputs = [ui.outputs[n] for n in SPEC.views[4].outputs]
    for button, fn, names, view in (
        ("train", reflow_train, REFLOW_NAMES_IN, SPEC.views[2]),
        ("train_distill", distill_train, DISTILL_NAMES_IN, SPEC.views[3]),
    ):
        outputs = [ui.outputs[n] for n in view.outputs]

        def train(*values, progress=gr.Progress(), fn=fn):
            return fn(*values, progress=progress)

        train.__name__ = fn.__name__
        ui.parts[button].click(
            user_facing(latest_only(train, len(outputs), list(names))),
            ui.inputs(list(names)),
            outputs,
            api_name="fewsteps_train" if button == "train" else "fewsteps_train_distill",
            concurrency_id=kit.HEAVY,
            concurrency_limit=1,
        ).then(
            user_facing(latest_only(nfe_view, len(nfe_outputs), list(NFE_NAMES_IN))),
            ui.inputs(list(NFE_NAMES_IN)),
            nfe_outputs,
            api_visibility="private",
        )
    return ui
