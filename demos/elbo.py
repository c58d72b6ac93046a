"""Tab "ELBO & schedules": the variational bound with the exact denoiser (core/elbo.py).

Left: VDM's continuous-time diffusion loss L∞ under four schedules with the same end points, the discrete-time
L_T approaching it, and the spread of the one-sample training estimator each schedule gives (Kingma et al. 2021,
Sec. 5). Right: −ELBO point by point against the exact −log p(x) and the PF-ODE's, and where the gap comes
from (Ho et al. 2020, Sec. 2 eq. 5, Sec. 3 and Appendix A)."""

from __future__ import annotations

from collections import OrderedDict
from functools import lru_cache

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core import elbo as E
from core import memorisation as M
from core.claims import note, quote, seeds_in, shipped
from core.dataspec import canonical, load_data
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
T_DISCRETE = (5, 10, 20, 50, 100)  # the discrete bound's T, all computed at once (8 points, GH 6 × 6)
N_DISCRETE, GH_DISCRETE = 8, 6
TRAIN_SIZES = M.MLP_SIZES  # N = 1024 only from the shipped study (its exact model takes ~5 s to sample live)
LIVE_SIZES = (16, 64, 256)  # the exact training-set model sampled live (data or seeds the study did not ship)
LIVE_MLPS = 8  # MLPs trained here on request, kept in memory (most recent)
VARIANCE_COLORS = {"beta_tilde": "#dc2626", "beta": "#d97706", "analytic": "#2563eb", "optimal": "#16a34a"}
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
    kit.Control(
        "steps",
        "choice",
        "10",
        label="DDPM steps T (the discrete bound)",
        noun="Steps T",
        choices=tuple(str(T) for T in T_DISCRETE),
        widget="radio",
    ),
    kit.Control(
        "train_n",
        "choice",
        "64",
        label="Training points N (memorisation)",
        noun="Training points N",
        choices=tuple(str(n) for n in TRAIN_SIZES),
        widget="radio",
    ),
    kit.Control(
        "train_mlp",
        "bool",
        False,
        label="Train the MLP on these points here (data or seeds the study did not ship; under 20 s)",
        noun="Train the MLP",
    ),
]
SCENES = {
    "DDPM's end points on the ring": dict(preset="ring8", ends="ddpm"),
    "Wide end points: the bound is tight": dict(preset="ring8", ends="wide"),
    "Narrow end points: the decoder's share grows": dict(preset="ring8", ends="narrow"),
    "Sharp modes: a larger decoder gap": dict(preset="grid25", ends="ddpm"),
    "Five steps: the variance is the bound": dict(preset="ring8", steps="5"),
    "Memorisation: 16 training points": dict(preset="ring8", train_n="16"),
    "Memorisation: 1024 training points": dict(preset="ring8", train_n="1024"),
}
SCENE_NOTES = {
    "DDPM's end points on the ring": "Four schedules, one L∞; their L₁₀ and their estimator's spread differ.",
    "Wide end points: the bound is tight": "At g_max = 20 the Gaussian decoder adds almost no smoothing: the "
    "gap to −log p(x) all but vanishes.",
    "Narrow end points: the decoder's share grows": "At g_max = 4 the decoder's noise σ̃₀ = e⁻² is close to the "
    "ring's mode width: the gap is large, and below −log p at points far from their mode.",
    "Five steps: the variance is the bound": "With T = 5, β̃ makes DDPM's bound thousands of nats; β and "
    "Analytic-DPM's σ*² a few; the optimal covariance least (bottom plots).",
    "Memorisation: 16 training points": "The exact model of 16 training points returns them: nearly every "
    "sample sits on one (bottom); the MLP trained on the same points copies them in part.",
    "Memorisation: 1024 training points": "With 1024 training points the exact model still copies them and the "
    "MLP no longer does; yet two MLPs trained on different training sets draw samples as far apart as two exact "
    "models do (bottom right): this small network is not precise enough for Kadkhodaie et al.'s test.",
    "Sharp modes: a larger decoder gap": "The gap grows with the data's Fisher information: sharper modes lose "
    "more to the decoder's smoothing.",
}
DEFAULT_NOTE = "Change the data or the end points; every number is recomputed from the exact denoiser."


def shipped_row(preset: str, ends: str) -> str:
    """The finer tightness numbers of this case if shipped (assets/elbo/tightness.json, `python -m core.elbo
    --write`), as a sentence for the view's text; "" for a case not shipped."""
    r = E.shipped_tightness().get(f"{preset}/{ends}")
    if r is None:
        return ""
    return (
        f"\n\n**Finer quadrature, shipped for this case** ({E.SHIPPED_POINTS} points, log-SNR step {E.SHIPPED_STEP}, "
        f"Gauss–Hermite {E.SHIPPED_GH} × {E.SHIPPED_GH}; `python -m core.elbo --write`): gap {r['gap']:+.5f} ± "
        f"{r['gap_se']:.5f} nats, predicted {r['prior'] + r['decoder']:+.5f} (prior {r['prior']:+.5f}, decoder "
        f"{r['decoder']:+.5f}); largest per-point difference {r['worst']:.1e}; {100 * r['below']:.0f} % of the points "
        "below −log p."
    )


def memorisation_notes() -> str:
    """The memorisation paragraphs of the notes: what is shown, what to notice (numbers read from the claims
    registry through `quote`), and what the papers claim."""
    seeds = f"{len(M.MLP_SEEDS)} seeds ({M.MLP_SEEDS[0]}-{M.MLP_SEEDS[-1]})"
    steps = " / ".join(f"{k:,}" for k in M.STEP_SIZES)
    text = f"""**Memorisation** (last). N points drawn from the data are themselves a mixture of N tiny components; its
exact score is the optimal denoiser of that training set (the minimiser of the denoising loss on it), and sampling
with it returns the training points. The share of samples within {M.RADIUS} of a training point measures the
copying; MMD² to the data, which compares distributions, loses sight of it as N grows. Beside it, the MLP of the
"Learned vs exact" tab ({M.MLP_DEPTH} layers of {M.MLP_WIDTH}, ε prediction, uniform t, {M.MLP_STEPS:,} steps: the
most its training cap allows) trained on the same N points and sampled from the same noise,
for N = {" / ".join(map(str, M.MLP_SIZES))} and {seeds}, each seed its own training set; and at N =
{" and ".join(map(str, M.STEP_N))} the same MLP after {steps} training steps (shipped by `python -m core.memorisation
--write`). Two measures of the transition: how much each model copies (its share on a training point; the median
distance of its samples to the nearest training point, in units of the same for fresh draws from p: 1 for no copying,
→ 0 for copies), and the test of Kadkhodaie et al. 2024 (Sec. 2): two models trained on *disjoint* training sets
(two seeds), sampled from the same noise, draw nearly the same points when they generalise, different training points
when they memorise."""
    result = shipped().get("memorisation_mlp_transition")
    if result is not None and f"ratio_mlp_N{M.STEP_N[0]}_S{M.STEP_SIZES[0]}" in result["values"]:
        v, small, large = result["values"], M.MLP_SIZES[0], M.MLP_SIZES[-1]
        first, last = M.STEP_SIZES[0], M.STEP_SIZES[-1]
        n_judged = len(seeds_in({k: x for k, x in v.items() if k.startswith("judged_")}))
        text += f"""

**What to notice (memorisation).** At N = {small} the MLP's samples lie {quote(v[f"ratio_mlp_N{small}"], ".2f")}
times as far from the nearest training point as fresh draws do (mean over the seeds; the exact model's
{quote(v[f"ratio_exact_N{small}"], ".3f")}): it copies its points in part. At N = {large}:
{quote(v[f"ratio_mlp_N{large}"], ".2f")} ({quote(v[f"judged_ratio_N{large}"], ".2f")} over the {n_judged} seeds the
claim judges), close to fresh draws' 1, while the exact model of the same points is still at
{quote(v[f"ratio_exact_N{large}"], ".3f")}: the network generalises where the optimum of its loss would not. Over
training at N = {small} the ratio goes from {quote(v[f"ratio_mlp_N{small}_S{first}"], ".2f")} after {first:,} steps
to {quote(v[f"ratio_mlp_N{small}_S{last}"], ".2f")} after {last:,}: the longer it trains on the same points, the
nearer it moves to the optimum of its loss, the exact model, which copies every point. How often its samples land
*on* a training point is another matter: see the claim's seed-by-seed line below."""
    return (
        text
        + """

Carlini et al. 2023 extract memorised training images from trained diffusion models; Kadkhodaie et al. 2024
(Sec. 2) report that networks trained on small sets memorise them, and that networks trained on non-overlapping
subsets learn nearly the same score once the training set is large enough: a transition from memorisation to
generalisation whose N depends on the data's complexity and the network's capacity. Here the "images" are points in
2D and the network is tiny: the numbers say what happens at this scale, not at theirs."""
    )


def _notes() -> str:
    return (
        r"""
**The bound.** Ho et al. 2020 (Sec. 2, eq. 5, derived in Appendix A; its terms in Sec. 3) write the negative
ELBO of a diffusion model as a prior term $L_T$, denoising terms $L_{t-1}$ (KL divergences between Gaussian
posteriors and the reverse steps) and a decoder term $L_0$. Kingma et al. 2021 (VDM) take $T \to \infty$
(Sec. 5): with log-SNR $g = \log(\alpha^2/\sigma^2)$, $v = e^g$ and the denoiser $\hat x$,
$-\mathrm{ELBO}(x) = \mathrm{KL}(q(z_1|x)\,\|\,\mathcal N(0, I)) + \mathbb E[-\log p(x|z_0)] + L_\infty(x)$ with
$L_\infty(x) = \tfrac12 \int_{v_{min}}^{v_{max}} \mathbb E_\epsilon \|x - \hat x(z_v)\|^2\, dv$.
Here $\hat x$ is the exact $\mathbb E[x \mid z]$; $L_\infty$ is computed by Simpson's rule in $g$ with
Gauss–Hermite quadrature over $\epsilon$, the decoder is $\mathcal N(x; z_0/\alpha_0, \tilde\sigma_0^2 I)$.

**What to notice (left).** VDM Sec. 5.1: the continuous-time loss depends on the schedule only through its end
points SNR_min and SNR_max; the schedule's shape changes the variance of the one-sample estimator
$\tfrac12 (-g'(u))\, e^{g(u)} \|x - \hat x\|^2$, $u \sim U[0, 1]$ (which VDM minimises by learning the schedule,
Sec. 5.3 and App. I.2), and the discrete-time loss (Sec. 4) $L_T = \tfrac12 \sum_i (\mathrm{SNR}(s_i) -
\mathrm{SNR}(t_i))\, \mathbb E\|x - \hat x(z_{t_i})\|^2$, which approaches $L_\infty$ from above as $T$ grows
(Sec. 4.1: more steps give a lower loss when the denoiser is good enough, as the exact one is). The "best" spread is
the smallest any schedule with these end points can give (sampling $g$ with density
$\propto e^g \sqrt{\mathbb E\|x - \hat x\|^4}$).

**What to notice (right).** With the exact denoiser the bound is tight up to its two ends:
$-\mathrm{ELBO}(x) + \log p(x) = \mathbb E_{z_1|x}[\log q(z_1) - \log \mathcal N(z_1; 0, I)] +
\big(\log p(x) - \mathbb E_\epsilon \log p_{\tilde\sigma_0}(x + \tilde\sigma_0 \epsilon)\big)$ (the prior's and the
Gaussian decoder's mismatch, from closed-form densities alone; the two sides agree point by point). Averaged over
$x \sim p$ the decoder's part is the entropy the smoothing by $\tilde\sigma_0$ adds, $\ge 0$; at a single point
far from its mode it is negative: the bound holds for the model's density $p * \mathcal N(0, 2\tilde\sigma_0^2 I)$,
not for the data's. The PF-ODE (Song et al. 2021b) gives $\log p(x)$ itself with the exact score. For four
cases (ring8 with DDPM's and the wide end points, ring8_soft, grid25) finer numbers over more points are shipped and
shown under the plots.

**DDPM's discrete bound, term by term** (bottom). The bound $L_T + \sum_{t>1} L_{t-1} + L_0$ of Ho et al. 2020
(eq. 5) on $T$ of DDPM's 1000 timesteps (spread evenly, the same end points for every $T$), with the exact
reverse mean and four reverse variances: DDPM's $\tilde\beta_t$ and $\beta_t$ (Sec. 3.2), Analytic-DPM's optimal
shared $\sigma_t^{*2}$ (Bao et al. 2022, Theorem 1), and the optimal per-point covariance (a full 2×2 matrix: the
full-covariance generalisation of what IDDPM's learned diagonal $\Sigma_\theta$, an interpolation between $\beta_t$
and $\tilde\beta_t$, approximates; Nichol & Dhariwal 2021 Sec. 3.1). Each term is a closed-form
Gaussian KL averaged over $x_t \sim q(x_t|x_0)$ by Gauss–Hermite quadrature. What to notice: with few steps the
variance is most of the bound ($\tilde\beta_t$ is far too small for a long jump), and the gap to $-\log p$ closes as
$T$ grows, fastest with the optimal covariance.

"""
        + memorisation_notes()
        + "\n\n"
        + "\n\n".join(
            note(k)
            for k in (
                "vdm_schedule_invariance",
                "vdm_estimator_variance",
                "elbo_tight_exact_score",
                "iddpm_learned_variance_bound",
                "memorisation_exact_training_set",
                "memorisation_mlp_transition",
                "memorisation_mlp_same_samples",
            )
        )
    )


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


@lru_cache(maxsize=8)
def discrete_numbers(preset: str, seed: int) -> dict:
    """DDPM's bound term by term for every T of T_DISCRETE and every reverse variance, on N_DISCRETE points."""
    mixture = load_data(preset)
    x0 = mixture.sample(N_DISCRETE, np.random.default_rng(seed + 2))
    bounds = {}
    for T in T_DISCRETE:
        for choice in E.VARIANCES:
            check_superseded()
            bounds[T, choice] = E.discrete_bound(mixture, x0, T, choice, n_gh=GH_DISCRETE)
    return dict(bounds=bounds, nll=float(bounds[T_DISCRETE[0], "beta"].nll.mean()))


# ---------------------------------------------------------------------------- figures
SMALL_PX = 250  # the plot area's height of the small figures; their legends go below it (plotting.legend_below)


def _small(fig: go.Figure, title: str, x: str, y: str) -> go.Figure:
    fig.update_xaxes(title_text=x)
    fig.update_yaxes(title_text=y)
    return plotting.legend_below(plotting.base_layout(fig, title, square=False), SMALL_PX)


def schedules_figures(preset: str, ends: str, out: dict) -> tuple[go.Figure, go.Figure, go.Figure]:
    """(g(u) of each schedule; the integrand ½ eᵍ mmse(g) with each schedule's density of g; L_T over T)."""
    g_min, g_max = _ends(ends)
    table = out["table"]
    u = np.linspace(0, 1, 401)
    paths, integrand, losses = go.Figure(), go.Figure(), go.Figure()
    integrand.add_trace(
        go.Scatter(
            x=table.g, y=0.5 * np.exp(table.g) * table.m2, name="½ eᵍ E‖x − x̂‖² (area: L∞)",
            line=dict(color="#111827", width=3), fill="tozeroy",
        )
    )  # fmt: skip
    for name in E.SCHEDULES:
        s = E.Schedule(name, g_min, g_max)
        g, slope = s.g_and_slope(u)
        line = dict(color=COLORS[name])
        paths.add_trace(go.Scatter(x=u, y=g, name=s.label, line=line))
        integrand.add_trace(
            go.Scatter(x=g, y=1 / -slope, name=f"density of g: {s.label}", line={**line, "dash": "dot"})
        )
        L_T = out["rows"][name]["L_T"]
        losses.add_trace(go.Scatter(x=list(L_T), y=list(L_T.values()), mode="lines+markers", name=s.label, line=line))
    losses.add_hline(y=out["linf"], line=dict(color="#111827", dash="dash"))
    losses.update_xaxes(type="log")
    losses.update_yaxes(type="log")
    return (
        _small(paths, f"Four schedules, one pair of end points ({ENDS[ends][0]})", "u (0: data, 1: noise)", "g"),
        _small(
            integrand,
            f"L∞ = {out['linf']:.3f} ± {out['se']:.3f} nats for every schedule: the area under the black curve",
            "g = log SNR",
            "nats per unit g; density of g",
        ),
        _small(losses, "L_T falls to L∞ (dashed) as T grows", "T (steps)", "L_T (nats)"),
    )


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


def tightness_figures(preset: str, ends: str, out: dict) -> tuple[go.Figure, go.Figure]:
    """(−ELBO − (−log p) per point beside its prediction and the PF-ODE's error; the gap's two sources)."""
    pb = out["pb"]
    predicted = out["prior"] + out["decoder"]
    order = np.argsort(pb.nll)
    k = np.arange(len(order))
    gaps = go.Figure()
    gaps.add_trace(go.Bar(x=k, y=pb.gap[order], name="−ELBO + log p(x) (from the denoiser)", marker_color="#2563eb"))
    gaps.add_trace(
        go.Scatter(x=k, y=predicted[order], mode="markers", name="predicted: prior + decoder mismatch",
                   marker=dict(color="#111827", symbol="x", size=9)),
    )  # fmt: skip
    n_ode = len(out["ode_nll"])
    gaps.add_trace(
        go.Scatter(x=np.searchsorted(np.sort(pb.nll), pb.nll[:n_ode]), y=out["ode_nll"] - pb.nll[:n_ode],
                   mode="markers", name="PF-ODE −log p + log p", marker=dict(color="#16a34a", size=8)),
    )  # fmt: skip
    gaps.add_hline(y=0, line=dict(color="#6b7280", width=1))
    sources = go.Figure()
    sources.add_trace(
        go.Scatter(x=pb.nll, y=out["decoder"], mode="markers", name="decoder mismatch", marker=dict(color="#dc2626"))
    )
    sources.add_trace(
        go.Scatter(x=pb.nll, y=out["prior"], mode="markers", name="prior mismatch", marker=dict(color="#d97706"))
    )
    sources.add_hline(y=0, line=dict(color="#6b7280", width=1))
    title = f"Gap {pb.gap.mean():+.4f} nats on average over {len(k)} points x ~ p (predicted {predicted.mean():+.4f})"
    return (
        _small(gaps, title, "points, by −log p(x)", "nats"),
        _small(sources, "Where the gap comes from, point by point", "−log p(x)", "nats"),
    )


def discrete_figures(steps: int, out: dict) -> tuple[go.Figure, go.Figure]:
    """(the terms L_{t−1} of the chosen T, step by step, per variance; the bound's gap to −log p over T)."""
    terms, over_t = go.Figure(), go.Figure()
    for choice in E.VARIANCES:
        line = dict(color=VARIANCE_COLORS[choice])
        b = out["bounds"][steps, choice]
        k = np.arange(len(b.steps), 0, -1)  # the step into level k − 1: T − 1 … 1
        terms.add_trace(
            go.Scatter(x=k, y=b.steps.mean(1), mode="lines+markers", name=E.VARIANCE_LABELS[choice], line=line)
        )
        gaps = [float(np.mean(out["bounds"][T, choice].total - out["bounds"][T, choice].nll)) for T in T_DISCRETE]
        over_t.add_trace(
            go.Scatter(x=list(T_DISCRETE), y=gaps, mode="lines+markers", name=E.VARIANCE_LABELS[choice], line=line)
        )
    terms.update_yaxes(type="log")
    over_t.update_xaxes(type="log")
    over_t.update_yaxes(type="log")
    return (
        _small(terms, f"DDPM's terms L_(t−1) at T = {steps}: the variance choice", "t (T: noise … 1: data)", "nats"),
        _small(over_t, "DDPM's bound − (−log p) over T", "T (steps)", "nats"),
    )


def discrete_text(steps: int, out: dict) -> str:
    lines = ["| reverse variance | L_T | Σ L_(t−1) | L_0 | −ELBO | gap to −log p |", "|---|---|---|---|---|---|"]
    for choice in E.VARIANCES:
        b = out["bounds"][steps, choice]
        cells = (b.prior.mean(), b.steps.sum(0).mean(), b.decoder.mean(), b.total.mean(), (b.total - b.nll).mean())
        lines.append(f"| {E.VARIANCE_LABELS[choice]} | " + " | ".join(f"{v:.4g}" for v in cells) + " |")
    return (
        f"**T = {steps}**, mean over {N_DISCRETE} points x₀ ~ p (−log p = {out['nll']:.4f}); the mean of each step "
        "is exact, E[x_(t−1) | x_t] = c_x x_t + c₀ x̂₀(x_t); only the variance differs.\n\n" + "\n".join(lines)
    )


@lru_cache(maxsize=8)
def _memorisation(preset: str, seed: int, train_n: int) -> M.Memorisation:
    return M.memorisation(preset, train_n, seed)


def shipped_case(preset: str, seed: int, train_n: int) -> dict | None:
    """The shipped study's (N, seed) case for this data (values and samples), or None if it was not shipped."""
    study = M.shipped_study()
    if not study or canonical(preset) != canonical(study["spec"]):
        return None
    row = study["rows"].get(str(train_n))
    if row is None or str(seed) not in row["seeds"]:
        return None
    return dict(values=row["seeds"][str(seed)], samples={k: np.array(v) for k, v in row["samples"][str(seed)].items()})


def memorisation_figure(preset: str, points, population, exact, mlp, title: str) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=population[:, 0], y=population[:, 1], mode="markers", name="fresh draws from p",
                   marker=dict(color="#9ca3af", size=4)),
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(x=exact[:, 0], y=exact[:, 1], mode="markers", name="samples of the training set's exact model",
                   marker=dict(color="#2563eb", size=5, opacity=0.6)),
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(x=points[:, 0], y=points[:, 1], mode="markers", name="training points",
                   marker=dict(color="#dc2626", size=9, symbol="circle-open", line=dict(width=2))),
    )  # fmt: skip
    if mlp is not None:
        fig.add_trace(
            go.Scatter(x=mlp[:, 0], y=mlp[:, 1], mode="markers", name="samples of the MLP trained on them",
                       marker=dict(color="#16a34a", size=6, symbol="x")),
        )  # fmt: skip
    box = plotting.plot_box(load_data(preset))
    return plotting.set_box(plotting.base_layout(fig, title, height=480), box)


def _spread(values: list[float]) -> tuple[float, float, float]:
    return float(np.mean(values)), float(np.mean(values) - np.min(values)), float(np.max(values) - np.mean(values))


def transition_figure(train_n: int) -> go.Figure:
    """Over N (shipped study): each model's median distance to the nearest training point in units of fresh draws'
    (mean, bars: min-max over seeds; 1: no copying, → 0: copies), and the paired distance of two models trained on
    disjoint training sets from the same noise beside the training points' spacing; below, the MLP's distance ratio
    over training steps at the smallest N (the same measure, the same seeds)."""
    study = M.shipped_study()
    titles = ("copying over N", "two training sets", "copying over training steps")
    fig = make_subplots(rows=2, cols=2, horizontal_spacing=0.16, vertical_spacing=0.2,
                        specs=[[{}, {}], [{"colspan": 2}, None]], subplot_titles=titles)  # fmt: skip
    if not study:
        return plotting.base_layout(fig, "The MLP study is not shipped: python -m core.memorisation --write")
    sizes = [int(n) for n in study["rows"]]
    colors = {"exact": "#2563eb", "mlp": "#16a34a", "chance": "#9ca3af"}
    names = {"exact": "exact training-set model", "mlp": "MLP trained on the points"}
    for key in ("exact", "mlp"):
        stats = [_spread([v[f"ratio_{key}"] for v in study["rows"][str(n)]["seeds"].values()]) for n in sizes]
        fig.add_scatter(x=sizes, y=[m for m, _, _ in stats], mode="lines+markers", name=names[key], row=1, col=1,
                        line=dict(color=colors[key], width=2.5), legendgroup=key,
                        error_y=dict(type="data", symmetric=False, array=[hi for _, _, hi in stats],
                                     arrayminus=[lo for _, lo, _ in stats]))  # fmt: skip
    fig.add_scatter(x=sizes, y=[1.0] * len(sizes), mode="lines", row=1, col=1, name="fresh draws from p (no copying)",
                    line=dict(color=colors["chance"], dash="dot"))  # fmt: skip
    for key in ("exact", "mlp"):
        stats = [
            _spread([v for k, v in study["rows"][str(n)]["pairs"].items() if k.startswith(f"pair_{key}_")])
            for n in sizes
        ]
        fig.add_scatter(x=sizes, y=[m for m, _, _ in stats], mode="lines+markers", row=1, col=2, showlegend=False,
                        line=dict(color=colors[key], width=2.5), legendgroup=key,
                        error_y=dict(type="data", symmetric=False, array=[hi for _, _, hi in stats],
                                     arrayminus=[lo for _, lo, _ in stats]))  # fmt: skip
    spacing = [_spread([v["spacing"] for v in study["rows"][str(n)]["seeds"].values()])[0] for n in sizes]
    fig.add_scatter(x=sizes, y=spacing, mode="lines", row=1, col=2, name="training points' spacing",
                    line=dict(color="#9ca3af", dash="dash"))  # fmt: skip
    steps_rows = study.get("steps_rows", {})
    shades = ("#16a34a", "#86efac", "#065f46")
    for shade, (n, by_steps) in zip(shades, steps_rows.items()):
        steps = [int(k) for k in by_steps]
        stats = [_spread([v["ratio_mlp"] for v in by_steps[str(k)].values()]) for k in steps]
        fig.add_scatter(x=steps, y=[m for m, _, _ in stats], mode="lines+markers", name=f"MLP, N = {n}", row=2,
                        col=1, line=dict(color=shade, width=2.5, dash="solid" if n == str(train_n) else "dot"),
                        error_y=dict(type="data", symmetric=False, array=[hi for _, _, hi in stats],
                                     arrayminus=[lo for _, lo, _ in stats]))  # fmt: skip
    if steps_rows:
        steps = [int(k) for k in next(iter(steps_rows.values()))]
        fig.add_scatter(x=steps, y=[1.0] * len(steps), mode="lines", row=2, col=1, showlegend=False,
                        line=dict(color=colors["chance"], dash="dot"))  # fmt: skip
        fig.update_xaxes(type="log", title_text="training steps", tickvals=steps,
                         ticktext=[f"{k:,}" for k in steps], row=2, col=1)  # fmt: skip
    if train_n in sizes:
        for col in (1, 2):
            fig.add_vline(x=train_n, line=dict(color="#111827", dash="dot"), row=1, col=col)
    # short titles and four ticks: the two panels sit side by side on a phone; the text below says what each shows
    for col in (1, 2):
        fig.update_xaxes(type="log", title_text="N", tickvals=sizes, ticktext=[str(n) for n in sizes], row=1, col=col)
    fig.update_yaxes(type="log", dtick=1)  # powers of 10 only: the digits 2 … 9 between them overlapped on a phone
    # a few tenths to 1: linear; no 0 label, which sat on the first x tick on a phone
    fig.update_yaxes(type="linear", rangemode="tozero", tickvals=[0.25, 0.5, 0.75, 1.0], row=2, col=1)
    plotting.base_layout(fig, f"Memorisation to generalisation over N and training steps ({study['network']} MLP)",
                         height=640, square=False)  # fmt: skip
    return plotting.legend_below(fig, 2 * SMALL_PX + 120)


def memorisation_text(preset: str, seed: int, train_n: int, live: M.Memorisation | None, case: dict | None) -> str:
    study = M.shipped_study()
    if case is not None:
        v = case["values"]
        if "seconds" in case:  # trained here: no other seed to pair it with
            source = (
                f"the MLP trained here just now ({case['seconds']['wall']:.1f} s; the transition plot below is the "
                f"shipped study's, {study.get('spec', 'ring8')})"
            )
            pairs = ""
        else:
            source = "shipped study"
            row = study["rows"][str(train_n)]["pairs"]
            pair = lambda k: np.mean([x for key, x in row.items() if key.startswith(f"pair_{k}_")])  # noqa: E731
            pairs = (
                " Two models trained on disjoint training sets, same noise (the right plot): median distance between "
                f"their samples, exact models {pair('exact'):.3f}, MLPs {pair('mlp'):.3f} (mean over the seed "
                f"pairs), against the training points' spacing {v['spacing']:.3f} (fresh draws' median distance to "
                "the nearest training point): a distance far below it would mean the two models draw the same points."
            )
        return (
            f"N = {train_n} points of {preset}, seed {seed} ({source}: DDIM, η = 0, {M.SAMPLER_STEPS} steps, "
            f"{M.PARTICLES} samples from the same noise for both models; the plot shows {M.KEPT} of each). On a "
            f"training point (within {M.RADIUS}): exact training-set model **{100 * v['near_exact']:.1f} %**, MLP "
            f"({M.MLP_DEPTH}x{M.MLP_WIDTH}, {M.MLP_STEPS:,} steps) **{100 * v['near_mlp']:.1f} %**, fresh draws from "
            f"p {100 * v['chance']:.1f} %. Median distance to the nearest training point, in units of fresh draws' "
            f"(the top left plot below, log scale): exact {v['ratio_exact']:.3f}, MLP {v['ratio_mlp']:.3f}. MMD² to "
            f"p: exact {v['mmd_exact']:+.1f}, MLP {v['mmd_mlp']:+.1f} noise-floor units." + pairs
        )
    out = live
    return (
        f"The training set's exact model: N = {len(out.points)} points of the data as a mixture of N components of "
        f"width {M.WIDTH:g}; DDIM (η = 0, {M.SAMPLER_STEPS} steps), {len(out.samples)} samples. "
        f"**{100 * out.near:.1f} %** lie within {M.RADIUS} of a training point, against {100 * out.chance:.1f} % of "
        f"fresh draws from p. MMD² to p: {out.mmd2_units:+.1f} noise-floor units (fresh draws: "
        f"{out.mmd2_units_population:+.1f}). This model is the optimum of the denoising loss on the training set: a "
        "network that generalises has not reached it. The MLP trained on the points is shipped for "
        f'{study.get("spec", "ring8")}, seeds {", ".join(map(str, M.MLP_SEEDS))}; tick "Train the MLP" to train '
        "it here on these points."
    )


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
    values = SPEC.validate({**SPEC.defaults(), "preset": preset, "ends": ends, "seed": seed})
    return values["preset"], values["ends"], values["seed"]


def elbo_view(preset="ring8", ends="ddpm", seed=0):
    """The schedules view: figure and table."""
    return _schedules_outputs(*_checked(preset, ends, seed))


def tightness_view(preset="ring8", ends="ddpm", seed=0):
    """The tightness view: figure and numbers."""
    return _tightness_outputs(*_checked(preset, ends, seed))


def discrete_view(preset="ring8", seed=0, steps="10"):
    """The discrete bound's view: two figures and a table (`steps`: one of T_DISCRETE, as its text)."""
    values = SPEC.validate({**SPEC.defaults(), "preset": preset, "seed": seed, "steps": str(steps)})
    out, T = discrete_numbers(values["preset"], values["seed"]), int(values["steps"])
    return (*discrete_figures(T, out), discrete_text(T, out))


_LIVE: OrderedDict = OrderedDict()  # (preset, seed, N) → the case of an MLP trained here


def live_case(preset: str, seed: int, n: int, progress=None) -> dict:
    """The MLP of the study trained here on `training_set(preset, n, seed)` and the exact model of the same points,
    sampled from the same noise (`core.memorisation.mlp_case`, behind the progress bar; a newer request stops it);
    kept for the LIVE_MLPS most recent requests."""
    key = (preset, seed, n)
    if key not in _LIVE:

        def report(step, total, loss):
            check_superseded()
            if progress is not None:
                progress(
                    step / total, desc=f"training the MLP on {n} points: step {step:,} of {total:,}, loss {loss:.3f}"
                )

        out = M.mlp_case(preset, n, seed, progress=report)
        samples = {k: x[: M.KEPT] for k, x in out["samples"].items()}
        _LIVE[key] = dict(values=out["values"], samples=samples, seconds=out["seconds"])
        while len(_LIVE) > LIVE_MLPS:
            _LIVE.popitem(last=False)
    _LIVE.move_to_end(key)
    return _LIVE[key]


def memorisation_view(preset="ring8", seed=0, train_n="64", train_mlp=False, progress=None):
    """The memorisation view: samples over the training points, the transition over N and training steps, and the
    numbers. From the shipped study (exact model and MLP, same noise) where it has this data, seed and N; else the
    exact model live (N ≤ 256), and with `train_mlp` the MLP trained here on the same points (under 20 s, behind
    the progress bar)."""
    given = {"preset": preset, "seed": seed, "train_n": str(train_n), "train_mlp": train_mlp}
    values = SPEC.validate({**SPEC.defaults(), **given})
    preset, seed, n = values["preset"], values["seed"], int(values["train_n"])
    live = values["train_mlp"] and shipped_case(preset, seed, n) is None and n in LIVE_SIZES
    if live:
        live_case(preset, seed, n, progress)
    return _memorisation_outputs(preset, seed, n, live)


@lru_cache(maxsize=16)
def _memorisation_outputs(preset: str, seed: int, n: int, live: bool = False):
    case = live_case(preset, seed, n) if live else shipped_case(preset, seed, n)
    if case is not None:
        points = M.training_set(preset, n, seed)
        population = load_data(preset).sample(M.KEPT, np.random.default_rng(20_000 + seed))
        v = case["values"]
        title = (
            f"N = {n}: on a training point, exact model {100 * v['near_exact']:.1f} %, MLP {100 * v['near_mlp']:.1f} % "
            f"(chance {100 * v['chance']:.1f} %)"
        )
        fig = memorisation_figure(preset, points, population, case["samples"]["exact"], case["samples"]["mlp"], title)
        return fig, transition_figure(n), memorisation_text(preset, seed, n, None, case)
    if n not in LIVE_SIZES:
        raise ValueError(
            f"N = {n} training points is shipped for {M.shipped_study().get('spec', 'ring8')}, seeds "
            f"{', '.join(map(str, M.MLP_SEEDS))} only; choose N ≤ {LIVE_SIZES[-1]} for other data or seeds."
        )
    out = _memorisation(preset, seed, n)
    title = (
        f"N = {n}: {100 * out.near:.1f} % of samples on a training point (chance {100 * out.chance:.1f} %); "
        f"MMD² {out.mmd2_units:+.1f} floor units"
    )
    fig = memorisation_figure(preset, out.points, out.population, out.samples, None, title)
    return fig, transition_figure(n), memorisation_text(preset, seed, n, out, None)


@lru_cache(maxsize=16)
def _schedules_outputs(preset: str, ends: str, seed: int):
    out = schedule_numbers(preset, ends, seed)
    return (*schedules_figures(preset, ends, out), schedules_text(out))


@lru_cache(maxsize=16)
def _tightness_outputs(preset: str, ends: str, seed: int):
    out = tightness(preset, ends, seed)
    return (*tightness_figures(preset, ends, out), tightness_text(out) + shipped_row(preset, ends))


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
        kit.View(
            elbo_view,
            ("paths", "integrand", "losses", "schedules_text"),
            api_name="elbo",
            inputs=("preset", "ends", "seed"),
        ),
        kit.View(
            tightness_view,
            ("gaps", "sources", "tightness_text"),
            api_name="elbo_tightness",
            inputs=("preset", "ends", "seed"),
        ),
        kit.View(
            discrete_view,
            ("terms", "over_t", "discrete_text"),
            api_name="elbo_discrete",
            inputs=("preset", "seed", "steps"),
        ),
        kit.View(
            memorisation_view,
            ("memorised", "transition", "memorised_text"),
            api_name="elbo_memorisation",
            inputs=("preset", "seed", "train_n", "train_mlp"),
        ),
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
            with gr.Row():
                ui.plot("integrand", min_width=300)
                ui.plot("losses", min_width=300)
            with gr.Row():
                ui.plot("paths", min_width=300)
                with gr.Column(min_width=300):
                    ui.output("schedules_text", gr.Markdown())
            with gr.Row():
                ui.plot("gaps", min_width=300)
                ui.plot("sources", min_width=300)
            ui.output("tightness_text", gr.Markdown())
            gr.Markdown("**DDPM's discrete bound, term by term** (Ho et al. 2020, eq. 5; Nichol & Dhariwal 2021)")
            ui.control("steps")
            with gr.Row():
                ui.plot("terms", min_width=300)
                ui.plot("over_t", min_width=300)
            ui.output("discrete_text", gr.Markdown())
            gr.Markdown(
                "**Memorisation: a training set's exact model and an MLP trained on it** (Carlini et al. 2023; "
                "Kadkhodaie et al. 2024)"
            )
            ui.control("train_n")
            ui.control("train_mlp")
            with gr.Row():
                ui.plot("memorised", min_width=300)
                with gr.Column(min_width=300):
                    ui.output("memorised_text", gr.Markdown())
            ui.plot("transition")
    gr.Markdown(_notes(), latex_delimiters=[{"left": "$", "right": "$", "display": False}])
    gr.api(user_facing(elbo_data), api_name="elbo_data")


def build() -> kit.UI:
    return kit.build(SPEC, layout)
