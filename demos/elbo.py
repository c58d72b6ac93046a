"""Tab "ELBO & schedules": the variational bound with the exact denoiser (core/elbo.py).

Left: VDM's continuous-time diffusion loss L∞ under four schedules with the same end points, the discrete-time
L_T approaching it, and the spread of the one-sample training estimator each schedule gives (Kingma et al. 2021,
Sec. 5). Right: −ELBO point by point against the exact −log p(x) and the PF-ODE's, and where the gap comes
from (Ho et al. 2020, Sec. 3 and Appendix A)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core import elbo as E
from core.claims import note
from core.dataspec import load_data
from core.likelihood import pf_ode_log_likelihood
from demos import kit, plotting
from demos.inputs import check_superseded

TAB_ID = "elbo"
TITLE = "ELBO & schedules"
T_SHOWN = (10, 100, 1000)
T_CURVE = (2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
# Work per change, in draws × mixture components (each draw costs its Gauss–Hermite nodes at ~100-160 log-SNRs):
# 192 draws for the schedules' table and 32 points for the bound on an 8-component mixture, fewer on larger ones.
TABLE_WORK, POINT_WORK = 1536, 256
N_ODE = 16  # of the points, at most this many also through the PF-ODE


def _draws(preset: str, work: int, most: int, least: int) -> int:
    return int(np.clip(work // load_data(preset).n_components, least, most))


ENDS = {
    "ddpm": ("DDPM's chain (g from −10.1 to 9.2)", E.ddpm_endpoints()),
    "wide": ("wide (g from −12 to 20)", (-12.0, 20.0)),
    "narrow": ("narrow (g from −6 to 4)", (-6.0, 4.0)),
}
COLORS = {"linear_beta": "#dc2626", "cosine": "#d97706", "edm": "#2563eb", "log_snr": "#16a34a"}

CONTROLS = [
    kit.Control("preset", "data", "ring8", label="Data"),
    kit.Control(
        "ends",
        "choice",
        "ddpm",
        label="Log-SNR end points g = log(α²/σ²)",
        noun="End points",
        choices=tuple((label, key) for key, (label, _) in ENDS.items()),
    ),
    kit.Control("seed", "seed", 0, label="Seed"),
]
SCENES = {
    "DDPM's end points on the ring": dict(preset="ring8", ends="ddpm"),
    "Wide end points: the bound is tight": dict(preset="ring8", ends="wide"),
    "Narrow end points: the decoder's share grows": dict(preset="ring8", ends="narrow"),
    "Sharp modes: a larger decoder gap": dict(preset="grid25", ends="ddpm"),
}
SCENE_NOTES = {
    "DDPM's end points on the ring": "Four schedules, one L∞; their L₁₀ and their estimator's spread differ.",
    "Wide end points: the bound is tight": "At g_max = 20 the Gaussian decoder adds almost no smoothing: the "
    "gap to −log p(x) all but vanishes.",
    "Narrow end points: the decoder's share grows": "At g_max = 4 the decoder's noise σ̃₀ = 0.14 is close to the "
    "ring's mode width: the gap is large, and below −log p at points far from their mode.",
    "Sharp modes: a larger decoder gap": "The gap grows with the data's Fisher information: sharper modes lose "
    "more to the decoder's smoothing.",
}
DEFAULT_NOTE = "Change the data or the end points; every number is recomputed from the exact denoiser."


def _notes() -> str:
    return r"""
**The bound.** Ho et al. 2020 (Sec. 3, eq. 5 and Appendix A) write the negative ELBO of a diffusion model as a
prior term $L_T$, denoising terms $L_{t-1}$ (KL divergences between Gaussian posteriors and the reverse steps)
and a decoder term $L_0$. Kingma et al. 2021 (VDM) take $T \to \infty$ (Sec. 5): with log-SNR
$g = \log(\alpha^2/\sigma^2)$, $v = e^g$ and the denoiser $\hat x$,
$-\mathrm{ELBO}(x) = \mathrm{KL}(q(z_1|x)\,\|\,\mathcal N(0, I)) + \mathbb E[-\log p(x|z_0)] + L_\infty(x)$ with
$L_\infty(x) = \tfrac12 \int_{v_{min}}^{v_{max}} \mathbb E_\epsilon \|x - \hat x(z_v)\|^2\, dv$.
Here $\hat x$ is the exact $\mathbb E[x \mid z]$; $L_\infty$ is computed by Simpson's rule in $g$ with
Gauss–Hermite quadrature over $\epsilon$, the decoder is $\mathcal N(x; z_0/\alpha_0, \tilde\sigma_0^2 I)$.

**What to notice (left).** VDM Sec. 5: the continuous-time loss depends on the schedule only through its end
points; the schedule's shape changes the variance of the one-sample estimator
$\tfrac12 (-g'(u))\, e^{g(u)} \|x - \hat x\|^2$, $u \sim U[0, 1]$ (which VDM minimises by learning the schedule),
and the discrete-time loss $L_T = \tfrac12 \sum_i (\mathrm{SNR}(s_i) - \mathrm{SNR}(t_i))\,
\mathbb E\|x - \hat x(z_{t_i})\|^2$, which approaches $L_\infty$ from above as $T$ grows. The "best" spread is
the smallest any schedule with these end points can give (sampling $g$ with density
$\propto e^g \sqrt{\mathbb E\|x - \hat x\|^4}$).

**What to notice (right).** With the exact denoiser the bound is tight up to its two ends:
$-\mathrm{ELBO}(x) + \log p(x) = \mathbb E_{z_1|x}[\log q(z_1) - \log \mathcal N(z_1; 0, I)] +
\big(\log p(x) - \mathbb E_\epsilon \log p_{\tilde\sigma_0}(x + \tilde\sigma_0 \epsilon)\big)$ (the prior's and the
Gaussian decoder's mismatch, from closed-form densities alone; the two sides agree point by point). Averaged over
$x \sim p$ the decoder's part is the entropy the smoothing by $\tilde\sigma_0$ adds, $\ge 0$; at a single point
far from its mode it is negative: the bound holds for the model's density $p * \mathcal N(0, 2\tilde\sigma_0^2 I)$,
not for the data's. The PF-ODE (Song et al. 2021b) gives $\log p(x)$ itself with the exact score.

""" + "\n\n".join(note(k) for k in ("vdm_schedule_invariance", "vdm_estimator_variance", "elbo_tight_exact_score"))


# ---------------------------------------------------------------------------- computations (cached)
def _ends(ends: str) -> tuple[float, float]:
    return ENDS[ends][1]


@lru_cache(maxsize=16)
def schedule_numbers(preset: str, ends: str, seed: int) -> dict:
    """L∞ (± se over x), and per schedule L_T over T_CURVE and the one-sample estimator's sd; the best sd."""
    g_min, g_max = _ends(ends)
    n = _draws(preset, TABLE_WORK, 192, 48)
    table = E.error_table(load_data(preset), g_min, g_max, n=n, seed=seed, check=check_superseded)
    linf, se = E.diffusion_loss(table)
    rows = {}
    for name in E.SCHEDULES:
        s = E.Schedule(name, g_min, g_max)
        rows[name] = dict(L_T={T: E.discrete_loss(table, s, T) for T in T_CURVE}, sd=E.estimator_sd(table, s))
    return dict(table=table, linf=linf, se=se, rows=rows, best=E.best_sd(table))


@lru_cache(maxsize=16)
def tightness(preset: str, ends: str, seed: int) -> dict:
    """Per-point −ELBO, its terms, the predicted gap, and the PF-ODE's −log p for the first N_ODE points (the
    number of points scales down with the mixture's components: POINT_WORK)."""
    mixture = load_data(preset)
    g_min, g_max = _ends(ends)
    x = mixture.sample(_draws(preset, POINT_WORK, 32, 6), np.random.default_rng(seed + 1))
    pb = E.point_bound(mixture, x, g_min, g_max)
    prior, decoder = E.predicted_gap(mixture, x, g_min, g_max)
    ode = pf_ode_log_likelihood(
        mixture, x[:N_ODE], sigma_max=float(np.exp(-0.5 * g_min)), prior="gaussian", rtol=1e-7, atol=1e-7
    )
    return dict(pb=pb, prior=prior, decoder=decoder, ode_nll=-ode.log_prob, model=-E.model_log_prob(mixture, x, g_max))


# ---------------------------------------------------------------------------- figures
def schedules_figure(preset: str, ends: str, out: dict) -> go.Figure:
    g_min, g_max = _ends(ends)
    table = out["table"]
    fig = make_subplots(
        rows=1,
        cols=3,
        horizontal_spacing=0.08,
        subplot_titles=("log-SNR g(u) of each schedule", "½ eᵍ E‖x − x̂‖² (area = L∞) and p(g)", "L_T → L∞"),
    )
    u = np.linspace(0, 1, 401)
    integrand = 0.5 * np.exp(table.g) * table.m2
    fig.add_trace(
        go.Scatter(x=table.g, y=integrand, name="½ eᵍ mmse(g)", line=dict(color="#111827", width=3), fill="tozeroy"),
        row=1,
        col=2,
    )
    for name in E.SCHEDULES:
        s = E.Schedule(name, g_min, g_max)
        g, slope = s.g_and_slope(u)
        color = COLORS[name]
        fig.add_trace(go.Scatter(x=u, y=g, name=s.label, line=dict(color=color), legendgroup=name), row=1, col=1)
        density = 1 / -slope  # of g when u ~ U[0, 1]
        fig.add_trace(
            go.Scatter(x=g, y=density, line=dict(color=color, dash="dot"), legendgroup=name, showlegend=False),
            row=1,
            col=2,
        )
        L_T = out["rows"][name]["L_T"]
        fig.add_trace(
            go.Scatter(
                x=list(L_T), y=list(L_T.values()), mode="lines+markers", line=dict(color=color),
                legendgroup=name, showlegend=False,
            ),
            row=1,
            col=3,
        )  # fmt: skip
    fig.add_hline(y=out["linf"], line=dict(color="#111827", dash="dash"), row=1, col=3)
    fig.update_xaxes(title_text="u (0: data, 1: noise)", row=1, col=1)
    fig.update_yaxes(title_text="g", row=1, col=1)
    fig.update_xaxes(title_text="g = log SNR", row=1, col=2)
    fig.update_yaxes(title_text="nats per unit g (dotted: density of g)", row=1, col=2)
    fig.update_xaxes(title_text="T", type="log", row=1, col=3)
    fig.update_yaxes(title_text="L_T (nats; dashed: L∞)", type="log", row=1, col=3)
    title = f"L∞ = {out['linf']:.3f} ± {out['se']:.3f} nats for every schedule ({ENDS[ends][0]})"
    return plotting.base_layout(fig, title, height=460, square=False)


def schedules_text(out: dict) -> str:
    head = "| schedule | " + " | ".join(f"L_{T}" for T in T_SHOWN) + " | sd of the one-sample estimator |"
    lines = [head, "|" + "---|" * (len(T_SHOWN) + 2)]
    for name in E.SCHEDULES:
        row = out["rows"][name]
        cells = " | ".join(f"{row['L_T'][T]:.2f}" for T in T_SHOWN)
        lines.append(f"| {E.SCHEDULE_LABELS[name]} | {cells} | {row['sd']:.1f} |")
    lines.append(f"| best possible (same ends) | | | | {out['best']:.1f} |")
    return (
        f"**L∞ = {out['linf']:.3f} ± {out['se']:.3f} nats** (mean over {out['table'].per_draw.shape[0]} draws "
        "x ~ p, ± its standard error), the same integral under every schedule.\n\n" + "\n".join(lines)
    )


def tightness_figure(preset: str, ends: str, out: dict) -> go.Figure:
    pb = out["pb"]
    predicted = out["prior"] + out["decoder"]
    order = np.argsort(pb.nll)
    fig = make_subplots(
        rows=1, cols=2, horizontal_spacing=0.12,
        subplot_titles=("−ELBO − (−log p), per point", "the gap's two sources, per point"),
    )  # fmt: skip
    k = np.arange(len(order))
    fig.add_trace(go.Bar(x=k, y=pb.gap[order], name="−ELBO + log p(x) (denoiser)", marker_color="#2563eb"), 1, 1)
    fig.add_trace(
        go.Scatter(x=k, y=predicted[order], mode="markers", name="predicted: prior + decoder mismatch",
                   marker=dict(color="#111827", symbol="x", size=9)),
        1, 1,
    )  # fmt: skip
    n_ode = len(out["ode_nll"])
    ode_gap = out["ode_nll"] - pb.nll[:n_ode]
    ode_k = np.searchsorted(np.sort(pb.nll), pb.nll[:n_ode])
    fig.add_trace(
        go.Scatter(x=ode_k, y=ode_gap, mode="markers", name="PF-ODE −log p − (−log p)",
                   marker=dict(color="#16a34a", size=8)),
        1, 1,
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(x=pb.nll, y=out["decoder"], mode="markers", name="decoder mismatch",
                   marker=dict(color="#dc2626", size=7)),
        1, 2,
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(x=pb.nll, y=out["prior"], mode="markers", name="prior mismatch", marker=dict(color="#d97706")),
        1, 2,
    )  # fmt: skip
    fig.add_hline(y=0, line=dict(color="#6b7280", width=1))
    fig.update_xaxes(title_text="points, by −log p(x)", row=1, col=1)
    fig.update_yaxes(title_text="nats", row=1, col=1)
    fig.update_xaxes(title_text="−log p(x)", row=1, col=2)
    title = f"gap: mean {pb.gap.mean():+.4f} nats over {len(pb.gap)} points x ~ p (predicted {predicted.mean():+.4f})"
    return plotting.base_layout(fig, title, height=440, square=False)


def tightness_text(out: dict) -> str:
    pb = out["pb"]
    gap, predicted = pb.gap, out["prior"] + out["decoder"]
    n = len(gap)
    below = int((gap < 0).sum())
    ode = out["ode_nll"]
    model_ok = int((pb.neg_elbo - out["prior"] >= out["model"] - 2e-3).sum())
    return (
        f"Mean over {n} points: −log p(x) = {pb.nll.mean():.4f}; −ELBO = {pb.neg_elbo.mean():.4f} "
        f"(prior {pb.prior.mean():.4f} + reconstruction {pb.recon.mean():.4f} + L∞ {pb.diffusion.mean():.4f}); "
        f"gap {gap.mean():+.4f} ± {gap.std(ddof=1) / np.sqrt(n):.4f}, predicted from the prior's and decoder's "
        f"mismatch {predicted.mean():+.4f} (largest per-point difference {np.abs(gap - predicted).max():.1e}, "
        "the quadrature's error). "
        f"{below} of {n} points have −ELBO < −log p(x); with the exact prior, {model_ok} of {n} satisfy "
        "−ELBO ≥ −log p_model(x), p_model = p ∗ N(0, 2σ̃₀² I). PF-ODE (Gaussian prior, rtol 1e-7) on "
        f"{len(ode)} of them: mean −log p error {np.mean(ode - pb.nll[: len(ode)]):+.1e} nats."
    )


# ---------------------------------------------------------------------------- views
def _checked(preset, ends, seed) -> tuple:
    """The controls checked by their specs (a sentence a user can act on otherwise), as a cache key."""
    values = SPEC.validate(dict(preset=preset, ends=ends, seed=seed))
    return values["preset"], values["ends"], values["seed"]


def elbo_view(preset="ring8", ends="ddpm", seed=0):
    """The schedules view: figure and table."""
    return _schedules_outputs(*_checked(preset, ends, seed))


def tightness_view(preset="ring8", ends="ddpm", seed=0):
    """The tightness view: figure and numbers."""
    return _tightness_outputs(*_checked(preset, ends, seed))


@lru_cache(maxsize=16)
def _schedules_outputs(preset: str, ends: str, seed: int):
    out = schedule_numbers(preset, ends, seed)
    return schedules_figure(preset, ends, out), schedules_text(out)


@lru_cache(maxsize=16)
def _tightness_outputs(preset: str, ends: str, seed: int):
    out = tightness(preset, ends, seed)
    return tightness_figure(preset, ends, out), tightness_text(out)


def elbo_data(preset: str = "ring8", ends: str = "ddpm", seed: int = 0) -> dict:
    """The numbers of both views as JSON."""
    key = _checked(preset, ends, seed)
    s, t = schedule_numbers(*key), tightness(*key)
    return dict(
        linf=s["linf"],
        linf_se=s["se"],
        schedules={n: dict(sd=r["sd"], L_T={str(T): v for T, v in r["L_T"].items()}) for n, r in s["rows"].items()},
        best_sd=s["best"],
        points=t["pb"].x.tolist(),
        neg_elbo=t["pb"].neg_elbo.tolist(),
        nll=t["pb"].nll.tolist(),
        predicted_gap=(t["prior"] + t["decoder"]).tolist(),
    )


SPEC = kit.Tab(
    id=TAB_ID,
    title=TITLE,
    controls=CONTROLS,
    views=[
        kit.View(elbo_view, ("schedules", "schedules_text"), api_name="elbo"),
        kit.View(tightness_view, ("tightness", "tightness_text"), api_name="elbo_tightness"),
    ],
    scenes=SCENES,
    scene_notes=SCENE_NOTES,
    default_note=DEFAULT_NOTE,
)


def layout(ui: kit.UI) -> None:
    import gradio as gr

    from demos.inputs import user_facing

    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            ui.scene_picker()
            ui.control("preset")
            ui.control("ends")
            ui.control("seed")
            ui.link_row()
        with gr.Column(scale=3, min_width=320, elem_classes=["main-col"]):
            ui.note()
            ui.plot("schedules")
            ui.output("schedules_text", gr.Markdown())
            ui.plot("tightness")
            ui.output("tightness_text", gr.Markdown())
    gr.Markdown(_notes(), latex_delimiters=[{"left": "$", "right": "$", "display": False}])
    gr.api(user_facing(elbo_data), api_name="elbo_data")


def build() -> kit.UI:
    return kit.build(SPEC, layout)
