"""Tab "PF-ODE & likelihood": the probability-flow ODE as an exact likelihood (Song et al. 2021b), as one ODE
under every schedule (Kingma et al. 2021; Karras et al. 2022), and the shape of flow matching's paths
(Lipman et al. 2023; Liu et al. 2023). Three views share the tab's controls; each is a pure function of them."""

from __future__ import annotations

import math
import reprlib
import time
from collections import OrderedDict
from functools import lru_cache

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.claims.pf_ode import STRAIGHT_SE, liu_straightness
from core.dataspec import data_title, load_data
from core.likelihood import LIKELIHOOD_PROCESSES, entropy, gaussian_log_prob, process_log_likelihood
from core.ode_paths import (
    NODE_PLACEMENTS,
    common_range,
    exact_endpoint,
    exact_path,
    flow_nodes,
    grid_at,
    karras_nodes,
    lambda_curve,
    placement_grid,
    relative_time,
    run_ddim,
    run_flow_euler,
    same_nodes,
    start_state,
    straightness,
)
from core.processes import PROCESSES, make_process
from demos import kit, plotting
from demos.data_input import data_spec
from demos.inputs import check_superseded, number, seed, user_facing
from demos.sharing import as_float

TAB_ID = "pfode"
LABEL = "PF-ODE & likelihood"
VIEWS = {
    "likelihood": "Exact likelihood",
    "schedules": "One ODE, every schedule",
    "flow": "Flow matching's paths",
}
RTOLS = (1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9)
DEFAULT_RTOL = 1e-8
PRIORS = {"exact": "exact p_T", "gaussian": "N(0, σ_T² I)"}
MAX_POINTS = 40
MAX_COORD = 50.0  # |x|, |y| of a user's point; the presets live within ±5
N_SAMPLE_POINTS = 12
GRID_SIDE = 5
T_STEPS = 100  # the t slider's resolution: t/T in steps of 0.01, each one a recorded time of the solve
N_PARTICLES = 300  # schedules and flow views
N_SHOWN = 16  # paths drawn
N_STRAIGHT = 100  # paths whose straightness is measured
MAX_STEPS = 50
EULER_STEPS = (1, 2, 3, 5, 7, 10, 15, 20, 30, 50)
FLOW_TRIO = ("flow", "vp", "edm")
PROCESS_COLORS = {"flow": "#16a34a", "vp": "#2563eb", "edm": "#9333ea", "subvp": "#0891b2", "ve": "#ea580c"}
HEADERS_POINTS = ["x", "y"]


def short_name(process: str) -> str:
    """A process's name without its parenthesis, for titles and legends ("EDM", not the key "edm")."""
    return make_process(process).name.split(" (")[0]


class _Tolerance(kit.Control):
    """The solver tolerance: a choice of numbers (a link's "1e-08" is read as a number, and a value within
    rounding of a choice is that choice)."""

    def parse(self, text: str):
        return as_float(text)

    def check(self, value, values=None):
        rtol = number(value, 1e-10, 1e-2, "rtol")
        if not any(math.isclose(rtol, r, rel_tol=1e-6) for r in RTOLS):
            raise ValueError(f"rtol must be one of {', '.join(f'{r:g}' for r in RTOLS)}.")
        return min(RTOLS, key=lambda r: abs(math.log(r / rtol)))


class _Points(kit.Control):
    """The points to solve: a table (text "x,y;x,y" in a link); none means samples of the data, which the
    check writes out so that the table shows what is solved."""

    def check(self, value, values=None):
        pts = parse_points(value)
        if pts is None:
            values = values or {}
            pts = sample_points(data_spec(values.get("preset", "ring8")), seed(values.get("seed", 0)))
        return [list(p) for p in pts]

    def component(self, gr, value=None, **kwargs):
        return gr.Dataframe(
            [list(p) for p in sample_points("ring8")],
            headers=HEADERS_POINTS,
            datatype=["number", "number"],
            column_count=2,
            type="array",
            interactive=True,
            label=self.label,
            **kwargs,
        )


CONTROLS = [
    kit.Control(
        "view", "choice", "likelihood", label="View", choices=tuple((v, k) for k, v in VIEWS.items()), widget="radio"
    ),  # fmt: skip
    kit.Control("preset", "data", "ring8", label="Data"),
    kit.Control(
        "process",
        "choice",
        "vp",
        label="Process",
        help="the PF-ODE's time (views 1 and 2)",
        choices=tuple((make_process(k).name, k) for k in LIKELIHOOD_PROCESSES),
    ),
    kit.Control(
        "process_b",
        "choice",
        "edm",
        label="Second process",
        help="given the same σ̃ nodes",
        noun="second process",
        choices=tuple((make_process(k).name, k) for k in PROCESSES),
    ),
    kit.Control(
        "prior", "choice", "exact", label="Prior at T", choices=tuple((v, k) for k, v in PRIORS.items()), widget="radio"
    ),  # fmt: skip
    _Tolerance("rtol", "choice", DEFAULT_RTOL, label="Solver rtol = atol", choices=tuple((f"{r:g}", r) for r in RTOLS)),
    # position along the ODE, t/T: 0 = data, 1 = the prior (each value a recorded time of the solve)
    kit.Control(
        "t",
        "float",
        0.5,
        label="t / T along the ODE (0 = data, 1 = prior)",
        noun="t / T",
        lo=0.0,
        hi=1.0,
        step=1 / T_STEPS,
    ),  # fmt: skip
    kit.Control("steps", "int", 10, label="Steps", noun="Steps", lo=1, hi=MAX_STEPS, step=1),
    kit.Control(
        "grid",
        "choice",
        "karras",
        label="Node placement",
        noun="node placement",
        choices=tuple((v, k) for k, v in NODE_PLACEMENTS.items()),
        widget="radio",
    ),  # fmt: skip
    kit.Control("seed", "seed", 0, label="Seed"),
    _Points(
        "points",
        "text",
        "",
        label=f"Your points (edit a cell, add rows; at most {MAX_POINTS}; |x|, |y| ≤ {MAX_COORD:g})",
    ),
]
NAMES = [c.name for c in CONTROLS]  # the /pfode endpoint's arguments

SCENES = {
    "Exact likelihood under VP": dict(view="likelihood", preset="ring8", process="vp", prior="exact"),
    "VE's prior mismatch (σ_max by NCSNv2's rule)": dict(
        view="likelihood", preset="ring8", process="ve", prior="gaussian"
    ),
    "A loose tolerance shows in the gap": dict(view="likelihood", preset="grid25", process="edm", rtol=1e-4),
    "Flow matching: the prior is exact": dict(view="likelihood", preset="moons", process="flow", prior="gaussian"),
    "VP and EDM: one ODE": dict(view="schedules", preset="ring8", process="vp", process_b="edm", grid="karras"),
    "DDPM's integer timesteps": dict(view="schedules", preset="ring8", process="vp", process_b="ddpm"),
    "Flow's paths on its own grid": dict(view="flow", preset="ring8", grid="uniform", steps=10),
    "Flow on Karras nodes: the advantage goes": dict(view="flow", preset="ring8", grid="karras", steps=10),
}

NOTES = r"""
**Time runs from data to noise.** Here every process has data at $t = 0$ (DDPM: timestep $-1$) and noise at $t = T$:
flow matching has $x_t = (1-t)\,x_0 + t\,\varepsilon$ with noise at $t = 1$, as in Liu et al. 2023 and diffusers.
**Lipman et al. 2023 run the other way**: their $x_0$ is noise and $x_1$ data ($\mu_t = t\,x_1$,
$\sigma_t = 1-(1-\sigma_{\min})t$).

**Exact likelihood.** The probability-flow ODE
$\frac{dx}{dt} = f(t)\,x - \tfrac12 g(t)^2\,\nabla\log p_t(x) =: v(x,t)$ (Song et al. 2021b, eq. 13) moves samples
of $p_0$ into samples of $p_T$. By the instantaneous change of variables (Chen et al. 2018, Thm. 1),
$\frac{d}{dt}\log p_t(x(t)) = -\nabla\!\cdot v$, so $\log p_0(x) = \log p_T(x(T)) + \int_0^T \nabla\!\cdot v\,dt$
with $\nabla\!\cdot v = 2f - \tfrac12 g^2\,\mathrm{tr}\,\nabla^2\log p_t$ (Song et al. 2021b, eq. 39). Score SDE
estimates the trace with Hutchinson's estimator; in 2D with an exact mixture it is exact, so the **gap** to the
closed-form $\log p_0$ has two parts only: the solver's (RK45, shrinking with `rtol`) and the prior's, if one starts
from $\mathcal N(0,\sigma_T^2 I)$ instead of the exact $p_T$. A model's expected NLL can never beat the **entropy**
$H(p_0) = -\mathbb E_{p_0}\log p_0$: $\mathbb E_{p}[-\log q] = H(p) + \mathrm{KL}(p\,\|\,q)$. Paths are drawn in the
frame $x/\sqrt{\alpha^2+\sigma^2}$ (VP's own $x$), so VE and EDM fit on the page.

**One ODE, every schedule.** In the scaled frame $\tilde x = x/\alpha$,
$\tilde\sigma = \sigma/\alpha = e^{-\lambda}$, $\lambda = \log(\alpha/\sigma)$, every process has the same ODE
$d\tilde x/d\tilde\sigma = (\tilde x - D(\tilde x;\tilde\sigma))/\tilde\sigma$ (Karras et al. 2022, Sec. 2,
eqs. 3-4; Kingma et al. 2021, Sec. 5: the schedule matters only through $\lambda_{\min}, \lambda_{\max}$). DDIM with
$\eta = 0$ is Euler's method on it (Song et al. 2021a, Sec. 4.3), so two processes given the same $\tilde\sigma$
nodes produce the same samples: their clocks run differently (the $\lambda(t)$ curves), the path does not. DDPM's
and IDDPM's chains have integer timesteps only: the nearest ones move the nodes. What changes the result is **where
the nodes sit in λ**.

**Flow matching's paths.** Flow matching's conditional paths $x_t = (1-t)x_0 + t\varepsilon$ are straight lines
(Lipman et al. 2023, Sec. 4.1; Liu et al. 2023); its *marginal* ODE paths, drawn here from the same noise in each
process's own coordinates, need not be: with data variance $s^2$ the flow's $\mathrm{Var}\,x_t = (1-t)^2 s^2 + t^2$
dips below both ends, so paths fall inward and come back out, while VP's $\alpha^2 s^2 + \sigma^2$ is monotone.
Straightness, three ways: Liu et al.'s $S = \int_0^1 \mathbb E\lVert (x_1 - x_0) - \dot x_u\rVert^2 du$ in each
process's own time rescaled to $u \in [0, 1]$ (0 = a straight line at constant speed; Liu et al. 2023, Sec. 2), length
/ end-point distance (1 = straight, whatever the speed) and total turning angle $\int|\kappa|\,ds$; they can
disagree, because S also weighs how the speed varies along the path. On the flow's
path Euler in $t$ is exactly DDIM: $x + (s - t)(\hat\varepsilon - \hat x_0) = (1-s)\hat x_0 + s\hat\varepsilon$, so
its few-step advantage comes from its time grid, which you can swap here. Liu et al.'s *reflow* (not shown) is what
straightens the marginal paths.
"""


CLAIM_KEYS = ("pf_ode_exact_likelihood", "one_ode_every_schedule", "flow_straighter_paths")


def notes_markdown() -> str:
    """The notes, then what the registered claims measured (assets/claims.json, core.claims)."""
    from core.claims import note

    return NOTES + "\n**Measured here.**\n\n" + "\n\n".join(f"- {note(k)}" for k in CLAIM_KEYS)


# ---------------------------------------------------------------------------- input checks
def parse_points(value) -> tuple[tuple[float, float], ...] | None:
    """Points from text "x,y;x,y" (or one per line), a list of rows, a pandas DataFrame or a Gradio dataframe
    dict. Empty rows are skipped; None when there are no points at all (the view then uses data samples)."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        rows = [r.split(",") for r in text.replace("\n", ";").split(";") if r.strip()]
    elif isinstance(value, dict) and "data" in value:
        rows = value["data"]
    elif hasattr(value, "values") and hasattr(value, "columns"):  # pandas
        rows = value.values.tolist()
    elif isinstance(value, (list, tuple, np.ndarray)):
        rows = list(value)
    else:
        raise ValueError(f"Points must be a table of x, y values or text 'x,y;x,y', got {reprlib.repr(value)}.")
    points = []
    for i, row in enumerate(rows, 1):
        cells = list(row) if isinstance(row, (list, tuple, np.ndarray)) else [row]
        if all(_blank(c) for c in cells):
            continue
        if len(cells) != 2 or any(_blank(c) for c in cells):
            raise ValueError(f"Point {i} needs exactly two numbers, x and y; got {reprlib.repr(row)}.")
        xy = tuple(number(c, -math.inf, math.inf, f"Point {i}'s coordinate") for c in cells)
        if max(abs(xy[0]), abs(xy[1])) > MAX_COORD:
            raise ValueError(
                f"Point {i} ({xy[0]:g}, {xy[1]:g}) is too far out: keep |x| and |y| ≤ {MAX_COORD:g} "
                "(the data lie within a few units of the origin; farther out log p₀ is below -10⁴ and says nothing)."
            )
        points.append(xy)
        if len(points) > MAX_POINTS:
            raise ValueError(f"At most {MAX_POINTS} points per solve on this shared app; remove some rows.")
    return tuple(points) or None


def _blank(cell) -> bool:
    return (
        cell is None or (isinstance(cell, str) and not cell.strip()) or (isinstance(cell, float) and math.isnan(cell))
    )


def points_text(points) -> str:
    return ";".join(f"{x:.6g},{y:.6g}" for x, y in points)


def sample_points(preset: str, seed_value: int = 0, n: int = N_SAMPLE_POINTS) -> tuple[tuple[float, float], ...]:
    """n exact samples of the data, rounded to 4 decimals (what the table shows is what is solved)."""
    x = load_data(preset).sample(n, np.random.default_rng(seed_value))
    return tuple((round(float(a), 4), round(float(b), 4)) for a, b in x)


def grid_points(preset: str, side: int = GRID_SIDE) -> tuple[tuple[float, float], ...]:
    """A side × side grid over the middle 80 % of the plotted box: tails and gaps between modes included."""
    x0, x1, y0, y1 = plotting.plot_box(load_data(preset))
    xs = np.linspace(x0 + 0.1 * (x1 - x0), x1 - 0.1 * (x1 - x0), side)
    ys = np.linspace(y0 + 0.1 * (y1 - y0), y1 - 0.1 * (y1 - y0), side)
    return tuple((round(float(a), 4), round(float(b), 4)) for b in ys for a in xs)


def _check(values: dict) -> dict:
    """t on the slider's grid of recorded times."""
    return {**values, "t": round(values["t"] * T_STEPS) / T_STEPS}


def _validate(view, preset, process, process_b, prior, rtol, t, steps, grid, seed, points):
    values = SPEC.validate(
        dict(zip(NAMES, (view, preset, process, process_b, prior, rtol, t, steps, grid, seed, points)))
    )
    *head, rows = (values[n] for n in NAMES)
    return (*head, tuple(tuple(p) for p in rows))


# ---------------------------------------------------------------------------- likelihood view
_SOLVES: OrderedDict = OrderedDict()
_MAX_SOLVES = 16
_GAP_FIGURES: OrderedDict = OrderedDict()


def likelihood_solves(preset: str, process: str, points: tuple, progress=None) -> dict:
    """The PF-ODE log-likelihood of the points at every tolerance of RTOLS (one solve each; the two priors
    share it), recorded at t/T = 0, 0.01, …, 1 for the t slider. Cached: prior, rtol and t only redraw."""
    key = (preset, process, points)
    if key in _SOLVES:
        _SOLVES.move_to_end(key)
        return _SOLVES[key]
    out = _solve_all(preset, process, points, progress)
    _SOLVES[key] = out
    if len(_SOLVES) > _MAX_SOLVES:
        _SOLVES.popitem(last=False)
    return out


def _solve_all(preset: str, process: str, points: tuple, progress) -> dict:
    mixture = load_data(preset)
    proc = make_process(process, mixture)
    x = np.array(points, dtype=np.float64)
    exact = mixture.log_prob(x)
    solves, seconds = {}, {}
    for k, rtol in enumerate(RTOLS):
        check_superseded()
        if progress is not None:
            progress(k / len(RTOLS), desc=f"PF-ODE solve at rtol {rtol:g}")
        t0 = time.perf_counter()
        solves[rtol] = process_log_likelihood(
            mixture, x, proc, "exact", rtol=rtol, relative_times=np.linspace(0, 1, T_STEPS + 1)
        )
        seconds[rtol] = time.perf_counter() - t0
    h, h_se = entropy(mixture)
    return dict(points=x, exact=exact, solves=solves, seconds=seconds, entropy=h, entropy_se=h_se)


def _prior_values(res, prior: str) -> np.ndarray:
    if prior == "exact":
        return res.exact_prior
    return gaussian_log_prob(res.x_end, float(res.sigma[-1]))


def likelihood_numbers(out: dict, prior: str, rtol: float) -> dict:
    res = out["solves"][rtol]
    log_prior = _prior_values(res, prior)
    ode = log_prior + res.integral
    other = _prior_values(res, "gaussian" if prior == "exact" else "exact") + res.integral
    return dict(res=res, log_prior=log_prior, ode=ode, gap=ode - out["exact"], other_gap=other - out["exact"])


def _record_index(res, t_rel: float) -> int:
    u = (res.t - res.t[0]) / (res.t[-1] - res.t[0])
    return int(np.argmin(np.abs(u - t_rel)))


def _normaliser(alpha, sigma):
    return np.sqrt(np.asarray(alpha) ** 2 + np.asarray(sigma) ** 2)


def likelihood_figure(preset: str, process: str, out: dict, nums: dict, t_rel: float) -> go.Figure:
    """ODE paths from the points into the prior over the exact p_t at the chosen t, in the frame x/√(α²+σ²)."""
    mixture = load_data(preset)
    res = nums["res"]
    j = _record_index(res, t_rel)
    c = _normaliser(res.alpha, res.sigma)
    a, s = float(res.alpha[j]), float(res.sigma[j])
    box = _likelihood_box(mixture)
    fig = go.Figure(plotting.density_trace(mixture.diffused(a / c[j], s / c[j]), box, name="exact p_t"))
    paths = res.path / c[:, None, None]
    fig.add_trace(plotting.paths_trace(paths, name="PF-ODE paths, drawn as x/√(α²+σ²)", width=1.6))
    fig.add_trace(
        go.Scatter(
            x=out["points"][:, 0],
            y=out["points"][:, 1],
            mode="markers+text",
            text=[str(i + 1) for i in range(len(out["points"]))],
            textposition="top right",
            textfont=dict(size=11, color="#111827"),
            marker=dict(symbol="x", size=9, color="#111827"),
            name="your points (t = 0)",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=paths[j, :, 0],
            y=paths[j, :, 1],
            mode="markers",
            marker=dict(size=9, color="#f59e0b", line=dict(color="#111827", width=1)),
            name="x(t)",
            hoverinfo="skip",
        )
    )
    proc = make_process(process, mixture)
    clock = "σ" if res.clock == "σ" else "t"
    title = f"{data_title(preset)} · {proc.name} · {clock} = {res.t[j]:.3g} of {res.t[-1]:.3g} · t/T = {t_rel:.2f}"
    return plotting.set_box(plotting.base_layout(fig, title, height=540), box)


def _likelihood_box(mixture):
    x0, x1, y0, y1 = plotting.plot_box(mixture)
    half = max(0.5 * (x1 - x0), 0.5 * (y1 - y0), 3.2)
    cx, cy = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
    return cx - half, cx + half, cy - half, cy + half


def gap_figure(process: str, out: dict, prior: str, rtol: float) -> go.Figure:
    """Mean |gap| against the solver tolerance, with the exact prior and with N(0, σ_T² I)."""
    exact = out["exact"]
    fig = go.Figure()
    for kind, color, dash in (("exact", plotting.PALETTE[0], "solid"), ("gaussian", plotting.PALETTE[1], "dash")):
        gaps = [
            float(np.abs(_prior_values(out["solves"][r], kind) + out["solves"][r].integral - exact).mean())
            for r in RTOLS
        ]
        fig.add_scatter(
            x=list(RTOLS),
            y=[max(g, 1e-14) for g in gaps],
            mode="lines+markers",
            name=f"prior {PRIORS[kind]}",
            line=dict(color=color, width=3, dash=dash),
        )
        if kind == prior:
            k = RTOLS.index(rtol)
            fig.add_scatter(
                x=[rtol],
                y=[max(gaps[k], 1e-14)],
                mode="markers",
                marker=dict(size=16, color=color, symbol="circle-open", line=dict(width=3)),
                name=f"rtol = {rtol:g}",
            )
    nfe = [out["solves"][r].nfe for r in RTOLS]
    title = f"Mean |gap| vs rtol · {make_process(process).name}"
    plotting.base_layout(fig, title, height=400, square=False)
    fig.update_layout(
        xaxis=dict(
            title=f"rtol = atol (tighter →) · NFE {nfe[0]}–{nfe[-1]}",
            type="log",
            autorange="reversed",
            exponentformat="power",
        ),
        yaxis=dict(title="nats", type="log", exponentformat="power"),
        legend=dict(y=-0.42),
        margin=dict(b=140),
    )
    return fig


def likelihood_rows(out: dict, nums: dict) -> list[list]:
    x, exact, res = out["points"], out["exact"], nums["res"]
    return [
        [
            i + 1,
            float(x[i, 0]),
            float(x[i, 1]),
            round(float(nums["ode"][i]), 6),
            round(float(exact[i]), 6),
            float(f"{nums['gap'][i]:.2e}"),
            round(float(nums["log_prior"][i]), 6),
            round(float(res.integral[i]), 6),
        ]
        for i in range(len(x))
    ]


LIKELIHOOD_HEADERS = ["#", "x", "y", "ODE log p₀", "exact log p₀", "gap", "log prior(x_T)", "∫ ∇·v dt"]


def likelihood_text(preset: str, process: str, out: dict, nums: dict, prior: str, rtol: float, t_rel) -> str:
    res = nums["res"]
    gap, other = np.abs(nums["gap"]), np.abs(nums["other_gap"])
    mismatch = np.abs(_prior_values(res, "gaussian") - res.exact_prior)
    box = plotting.plot_box(load_data(preset))
    outside = int(
        np.sum(
            (out["points"][:, 0] < box[0])
            | (out["points"][:, 0] > box[1])
            | (out["points"][:, 1] < box[2])
            | (out["points"][:, 1] > box[3])
        )
    )
    j = _record_index(res, t_rel)
    a, s = float(res.alpha[j]), float(res.sigma[j])
    exact_t = load_data(preset).diffused(a, s).log_prob(res.path[j])
    ode_t = nums["log_prior"] + res.integral - res.running[j]
    proc = make_process(process, load_data(preset))
    other_name = PRIORS["gaussian" if prior == "exact" else "exact"]
    lines = [
        f"**{len(gap)} points · {proc.name} · prior {PRIORS[prior]} · rtol = atol = {rtol:g} · NFE {res.nfe} · "
        f"{out['seconds'][rtol] * 1000:.0f} ms.** Mean |gap| **{gap.mean():.1e} nats** (max {gap.max():.1e}); "
        f"with the prior {other_name}: {other.mean():.1e} (max {other.max():.1e}).",
        f"Prior mismatch |log N(x_T; 0, σ_T² I) − log p_T(x_T)|: mean {mismatch.mean():.1e} nats "
        f"(σ_T = {float(res.sigma[-1]):.3g}, α_T = {float(res.alpha[-1]):.2g}).",
        f"**Entropy of the data H(p₀) = {out['entropy']:.3f} ± {2 * out['entropy_se']:.3f} nats**: the expected NLL "
        "of exact samples, which no model's expected NLL can beat (E_p[−log q] = H(p) + KL(p ‖ q)). Your "
        f"{len(out['exact'])} points' mean NLL: {-out['exact'].mean():.3f} (exact), {-nums['ode'].mean():.3f} (ODE); "
        "a few points are not an expectation over p₀, and points near the modes' centres score below H(p₀).",
        f"At t/T = {t_rel:.2f}: the ODE's running log p_t(x(t)) vs the exact one, mean |difference| "
        f"{np.abs(ode_t - exact_t).mean():.1e} nats.",
    ]
    if outside:
        lines.append(f"{outside} point(s) lie outside the plotted box; their numbers are in the table.")
    return "  \n".join(lines)


def likelihood_view(preset, process, prior, rtol, t_rel, points, progress=None):
    out = likelihood_solves(preset, process, points, progress)
    nums = likelihood_numbers(out, prior, rtol)
    key = (preset, process, points, prior, rtol)
    if key not in _GAP_FIGURES:
        _GAP_FIGURES[key] = gap_figure(process, out, prior, rtol)
        if len(_GAP_FIGURES) > 4 * _MAX_SOLVES:
            _GAP_FIGURES.popitem(last=False)
    return (
        likelihood_figure(preset, process, out, nums, t_rel),
        _GAP_FIGURES[key],
        _table(LIKELIHOOD_HEADERS, likelihood_rows(out, nums)),
        likelihood_text(preset, process, out, nums, prior, rtol, t_rel),
    )


# ---------------------------------------------------------------------------- schedules view
def _noise(seed_value: int, n: int = N_PARTICLES) -> np.ndarray:
    return np.random.default_rng(seed_value).standard_normal((n, 2))


def schedule_nodes(a, b, placement: str, steps: int) -> np.ndarray:
    """`steps` σ̃ nodes inside the range both processes carry (σ̃ ∈ [0.002, 80] at most), placed by Karras ρ = 7,
    uniformly in λ, or uniformly in process A's own time t."""
    lo, hi = common_range([a, b])
    if placement == "karras":
        return karras_nodes(steps, lo, hi)
    if placement == "logsnr":
        return np.geomspace(hi, lo, steps)
    t_hi = float(a.t_from_sigma_tilde(hi))
    t_lo = 0.0 if a.discrete else a.t_min
    t = np.linspace(t_hi, t_lo, steps + 1)[:-1]
    st = np.asarray(a.sigma_tilde(t), dtype=np.float64)
    return st[st >= lo] if np.any(st >= lo) else np.array([hi])


@lru_cache(maxsize=16)
def schedules_run(preset: str, process: str, process_b: str, steps: int, placement: str, seed_value: int) -> dict:
    mixture = load_data(preset)
    a, b = make_process(process, mixture), make_process(process_b, mixture)
    z = _noise(seed_value)
    nodes = schedule_nodes(a, b, placement, steps)
    labels = (process, process_b if process_b != process else f"{process_b} (again)")
    same = same_nodes(mixture, dict(zip(labels, (a, b))), nodes, z)
    # what does change the result: the same sampler and process, nodes placed differently (same start σ̃)
    hi = float(nodes[0])
    x_start = float(a.alpha(a.t_from_sigma_tilde(hi))) * hi * z
    reference = exact_endpoint(mixture, a, float(a.t_from_sigma_tilde(hi)), x_start)
    errors = {}
    for name in NODE_PLACEMENTS:
        check_superseded()
        st = nodes if name == placement else schedule_nodes(a, b, name, steps)
        g = grid_at(a, np.concatenate([[hi], st[st < hi * (1 - 1e-9)]]))
        xs = g.alpha[0] * g.sigma_tilde[0] * z
        errors[name] = float(np.linalg.norm(run_ddim(mixture, g, xs)[-1] - reference, axis=1).mean())
    return dict(nodes=nodes, same=same, errors=errors, keys=(process, process_b))


def schedules_figure(preset: str, process: str, process_b: str, run: dict) -> go.Figure:
    mixture = load_data(preset)
    same = run["same"]
    box = plotting.plot_box(mixture)
    fig = go.Figure(plotting.density_trace(mixture, box, name="exact p₀"))
    styles = ((PROCESS_COLORS.get(process, "#2563eb"), "solid", 5), ("#dc2626", "dot", 9))
    for key, scaled, (color, dash, size) in zip(run["keys"], same.scaled, styles):
        fig.add_trace(
            go.Scatter(
                x=_breaks(scaled[:, :N_SHOWN, 0]),
                y=_breaks(scaled[:, :N_SHOWN, 1]),
                mode="lines+markers",
                line=dict(color=color, width=2.5 if dash == "solid" else 2, dash=dash),
                marker=dict(size=size, symbol="circle" if dash == "solid" else "circle-open", color=color),
                name=f"{make_process(key, mixture).name}: x/α at the nodes",
                hoverinfo="skip",
            )
        )
    dev = same.deviation[1]
    agree = (
        f"agree to {dev:.0e} of |x̃|" if np.isfinite(dev) else f"samples differ by up to {same.final_difference[1]:.2g}"
    )
    a, b = (short_name(k) for k in run["keys"])
    title = f"Same σ̃ nodes, scaled frame x/α · {a} vs {b}: {agree}"
    return plotting.set_box(plotting.base_layout(fig, title, height=540), box)


def _breaks(paths: np.ndarray) -> np.ndarray:
    """(steps, m) → one array with NaN between particles (paths start outside the box at σ̃ = 80)."""
    steps, m = paths.shape
    out = np.full((m, steps + 1), np.nan)
    out[:, :steps] = paths.T
    return out.ravel().astype(np.float32)


def lambda_figure(preset: str, process: str, process_b: str, run: dict) -> go.Figure:
    mixture = load_data(preset)
    fig = go.Figure()
    for key, g, color, symbol in zip(
        run["keys"], run["same"].grids, (PROCESS_COLORS.get(process, "#2563eb"), "#dc2626"), ("circle", "x")
    ):
        p = make_process(key, mixture)
        u, lam = lambda_curve(p)
        fig.add_scatter(x=u, y=lam, mode="lines", name=f"λ(t) {p.name}", line=dict(color=color, width=3))
        with np.errstate(divide="ignore"):
            node_lam = -np.log(g.sigma_tilde[:-1])
        fig.add_scatter(
            x=relative_time(p, g.t[:-1]),
            y=node_lam,
            mode="markers",
            marker=dict(size=10, color=color, symbol=symbol, line=dict(width=1.5, color=color)),
            name=f"nodes on {key}",
        )
    plotting.base_layout(fig, "λ(t) = log(α/σ): the same λ nodes reached at different times", 400, square=False)
    fig.update_layout(
        xaxis=dict(title="relative time (t − t_min)/(t_max − t_min): 0 = data, 1 = noise"),
        yaxis=dict(title="λ"),
        legend=dict(y=-0.42),
        margin=dict(b=150),
    )
    return fig


SCHEDULE_HEADERS = ["node", "σ̃ asked", "λ", "t (A)", "t (B)", "σ̃ on B", "max |x̃_A − x̃_B| / max(1, |x̃|)"]


def schedule_rows(run: dict) -> list[list]:
    same = run["same"]
    ga, gb = same.grids
    rows = []
    comparable = same.scaled[0].shape == same.scaled[1].shape
    for i, st in enumerate(run["nodes"]):
        dev = ""
        if comparable:
            ref = same.scaled[0][i]
            dev = float(f"{np.abs(same.scaled[1][i] - ref).max() / max(1.0, np.abs(ref).max()):.1e}")
        tb = float(gb.t[i]) if i < len(gb.t) - 1 else float("nan")
        sb = float(gb.sigma_tilde[i]) if i < len(gb.t) - 1 else float("nan")
        rows.append(
            [
                i,
                float(f"{st:.5g}"),
                round(float(-np.log(st)), 4),
                float(f"{ga.t[i]:.5g}"),
                float(f"{tb:.5g}") if np.isfinite(tb) else "",
                float(f"{sb:.5g}") if np.isfinite(sb) else "",
                dev,
            ]
        )
    return rows


def schedules_text(process: str, process_b: str, steps: int, placement: str, run: dict) -> str:
    same = run["same"]
    dev, fin = same.deviation[1], same.final_difference[1]
    b = make_process(process_b)
    if np.isfinite(dev):
        head = (
            f"**{process} and {process_b} on the same {len(run['nodes'])} σ̃ nodes ({NODE_PLACEMENTS[placement]}): "
            f"DDIM η = 0 paths in x/α agree to {dev:.1e} of |x̃| at every node; samples to {fin:.1e}.** "
            "Same ODE, different clocks (right: λ(t))."
        )
    else:
        head = (
            f"**{b.name} has integer timesteps only: the nearest ones move the nodes (and merge some), so its "
            f"samples differ from {process}'s by up to {fin:.2g}.** Continuous processes agree to rounding."
        )
    if b.discrete and np.isfinite(dev):
        head = (
            f"**{b.name}: nodes rounded to integer timesteps, so the paths differ by {dev:.1e} of |x̃| "
            f"(samples by up to {fin:.2g}),** while continuous processes agree to rounding (~1e-15)."
        )
    rows = " · ".join(f"{NODE_PLACEMENTS[k]}: **{v:.3f}**" for k, v in run["errors"].items())
    return (
        f"{head}  \nWhat changes the result is **where the nodes sit in λ**: DDIM η = 0 on {process}, {steps} steps "
        f"from the same start, mean distance to the exact ODE solution: {rows}."
    )


@lru_cache(maxsize=32)
def schedules_view(preset, process, process_b, steps, placement, seed_value):
    run = schedules_run(preset, process, process_b, steps, placement, seed_value)
    return (
        schedules_figure(preset, process, process_b, run),
        lambda_figure(preset, process, process_b, run),
        _table(SCHEDULE_HEADERS, schedule_rows(run)),
        schedules_text(process, process_b, steps, placement, run),
    )


# ---------------------------------------------------------------------------- flow view
@lru_cache(maxsize=8)
def flow_paths(preset: str, seed_value: int) -> dict:
    """Exact ODE paths of flow, VP and EDM from the same noise z (x_T = σ_T z), own coordinates, and their
    straightness over N_STRAIGHT paths: length / chord and turning (core.ode_paths), and Liu et al. 2023's S
    (core.claims.pf_ode.liu_straightness, the claim's own measure)."""
    mixture = load_data(preset)
    z = _noise(seed_value + 1, N_STRAIGHT)
    out = {}
    for key in FLOW_TRIO:
        check_superseded()
        p = make_process(key, mixture)
        t, path = exact_path(mixture, p, p.t_max, p.sigma(p.t_max) * z, n_record=100)
        out[key] = dict(
            t=t,
            path=path,
            alpha=np.asarray(p.alpha(t), float),
            geometry=straightness(path),
            S=liu_straightness(p, t, path),
        )
    return out


@lru_cache(maxsize=24)
def _flow_start(preset: str, key: str, placement: str, seed_value: int) -> tuple[np.ndarray, np.ndarray]:
    """(start x = σ₀ z at the placement's first node, the exact ODE solution from there): every step count of
    a placement starts at the same node."""
    mixture = load_data(preset)
    p = make_process(key, mixture)
    g0 = placement_grid(p, placement, 2)
    x_start = start_state(g0, _noise(seed_value))
    return x_start, exact_endpoint(mixture, p, float(g0.t[0]), x_start)


@lru_cache(maxsize=64)
def flow_error_at(preset: str, placement: str, seed_value: int, steps: int) -> dict[str, float]:
    """Mean distance to the exact ODE solution from the same start after `steps` steps: Euler in each
    process's own time (flow, VP; EDM: in σ), and DDIM η = 0 on VP."""
    mixture = load_data(preset)
    out = {}
    for key in FLOW_TRIO:
        check_superseded()
        x_start, ref = _flow_start(preset, key, placement, seed_value)
        g = placement_grid(make_process(key, mixture), placement, steps)
        out[key] = float(np.linalg.norm(run_flow_euler(mixture, g, x_start)[-1] - ref, axis=1).mean())
        if key == "vp":
            out["vp_ddim"] = float(np.linalg.norm(run_ddim(mixture, g, x_start)[-1] - ref, axis=1).mean())
    return out


def flow_errors(preset: str, placement: str, seed_value: int) -> dict[str, list[float]]:
    """flow_error_at over EULER_STEPS, as series."""
    rows = [flow_error_at(preset, placement, seed_value, n) for n in EULER_STEPS]
    return {key: [r[key] for r in rows] for key in rows[0]}


@lru_cache(maxsize=32)
def flow_identities(preset: str, steps: int, placement: str, seed_value: int) -> dict:
    """|flow Euler − DDIM on flow| on the chosen grid, and |DDIM on VP with the flow's uniform-t nodes − flow
    Euler on them| (x/α), both from the same noise."""
    mixture = load_data(preset)
    z = _noise(seed_value)
    flow = make_process("flow")
    g = placement_grid(flow, placement, steps)
    x = start_state(g, z)
    same_process = float(np.abs(run_flow_euler(mixture, g, x)[-1] - run_ddim(mixture, g, x)[-1]).max())
    nodes = flow_nodes(steps)
    gf, gv = grid_at(flow, nodes), grid_at(make_process("vp"), nodes)
    xt = nodes[0] * z
    euler = run_flow_euler(mixture, gf, gf.alpha[0] * xt)[-1]
    ddim_vp = run_ddim(mixture, gv, gv.alpha[0] * xt)[-1]
    return dict(flow_euler_vs_ddim=same_process, vp_ddim_flow_nodes=float(np.abs(euler - ddim_vp).max()))


def flow_figure(preset: str, steps: int, placement: str, seed_value: int, paths: dict) -> go.Figure:
    """Left: exact paths of flow and VP from the same noise, own coordinates, with few-step Euler on top.
    Right: the same paths in the scaled frame x/α (EDM's own coordinates), where they coincide."""
    mixture = load_data(preset)
    box = _likelihood_box(mixture)
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("own x_t: flow vs VP", "x/α: one path"),
        horizontal_spacing=0.08,
    )
    fig.add_trace(plotting.density_trace(mixture, box, n=90, name="exact p₀"), row=1, col=1)
    fig.add_trace(plotting.density_trace(mixture, box, n=90, name="exact p₀"), row=1, col=2)
    z = _noise(seed_value)[:N_SHOWN]
    for key in ("flow", "vp"):
        color = PROCESS_COLORS[key]
        p = make_process(key, mixture)
        path = paths[key]["path"][:, :N_SHOWN]
        fig.add_trace(plotting.paths_trace(path, name=f"{p.name}: exact ODE", color=color, width=2), row=1, col=1)
        g = placement_grid(p, placement, steps)
        euler = run_flow_euler(mixture, g, start_state(g, z))
        fig.add_trace(
            go.Scatter(
                x=_breaks(euler[:, :, 0]),
                y=_breaks(euler[:, :, 1]),
                mode="lines+markers",
                line=dict(color=color, width=1, dash="dot"),
                marker=dict(size=6, color=color, symbol="diamond"),
                name=f"{short_name(key)}: {steps} Euler steps",
                hoverinfo="skip",
            ),
            row=1,
            col=1,
        )
    for key, dash in (("flow", "solid"), ("vp", "dash"), ("edm", "dot")):
        sc = paths[key]["path"][:, :N_SHOWN] / np.maximum(paths[key]["alpha"], 1e-300)[:, None, None]
        sc = np.where(np.isfinite(sc) & (np.abs(sc) < 1e6), sc, np.nan)
        fig.add_trace(
            go.Scatter(
                x=_breaks(sc[:, :, 0]),
                y=_breaks(sc[:, :, 1]),
                mode="lines",
                line=dict(color=PROCESS_COLORS[key], width=2.5 if dash == "solid" else 2, dash=dash),
                name=f"{key} in x/α",
                hoverinfo="skip",
            ),
            row=1,
            col=2,
        )
    g_flow, g_vp = paths["flow"]["geometry"], paths["vp"]["geometry"]
    s_flow, s_vp = np.mean(paths["flow"]["S"]), np.mean(paths["vp"]["S"])
    title = (
        f"Same noise · flow vs VP: Liu's S {s_flow:.2f} vs {s_vp:.2f}<br>"
        f"length/chord {np.mean(g_flow.ratio):.2f} vs {np.mean(g_vp.ratio):.2f}"
    )
    plotting.base_layout(fig, title, height=520, square=False)
    fig.update_annotations(font=dict(size=13))
    fig.update_layout(margin=dict(t=fig.layout.margin.t + 24))
    for col in (1, 2):
        plotting.set_box(fig, box, row=1, col=col)
    fig.update_yaxes(scaleanchor="x", scaleratio=1, row=1, col=1)
    fig.update_yaxes(scaleanchor="x2", scaleratio=1, row=1, col=2)
    fig.update_layout(legend=dict(y=-0.12))
    return fig


def euler_figure(placement: str, steps: int, errors: dict) -> go.Figure:
    fig = go.Figure()
    series = (
        ("flow", "Euler in t, flow (= DDIM)", PROCESS_COLORS["flow"], "solid"),
        ("vp", "Euler in t, VP", PROCESS_COLORS["vp"], "solid"),
        ("vp_ddim", "DDIM η = 0, VP", PROCESS_COLORS["vp"], "dash"),
        ("edm", "Euler in σ, EDM (= DDIM)", PROCESS_COLORS["edm"], "solid"),
    )
    for key, name, color, dash in series:
        wide = key == "flow"  # drawn first and wide: curves that coincide with it stay visible on top
        fig.add_scatter(
            x=list(EULER_STEPS),
            y=[max(v, 1e-12) for v in errors[key]],
            mode="lines+markers",
            name=name,
            line=dict(color=color, width=9 if wide else 3, dash=dash),
            marker=dict(size=12 if wide else 7),
            opacity=0.45 if wide else 1.0,
        )
    fig.add_vline(x=steps, line=dict(color="#111827", dash="dash"))
    title = f"Distance to the exact ODE solution · nodes {NODE_PLACEMENTS[placement]} · equal curves: same σ̃ nodes"
    plotting.base_layout(fig, title, height=420, square=False)
    fig.update_layout(
        xaxis=dict(title="steps", type="log"),
        yaxis=dict(title="mean error", type="log", exponentformat="power"),
        legend=dict(y=-0.42),
        margin=dict(b=150),
    )
    return fig


FLOW_HEADERS = [
    "process",
    "Liu et al.'s S (mean)",
    "length / chord (mean)",
    "median",
    "turning (rad)",
    "mean curvature",
    "Euler error",
    "DDIM error",
]


def flow_rows(preset: str, steps: int, placement: str, seed_value: int, paths: dict) -> list[list]:
    at = flow_error_at(preset, placement, seed_value, steps)
    mixture = load_data(preset)
    rows = []
    for key in FLOW_TRIO:
        geo = paths[key]["geometry"]
        rows.append(
            [
                make_process(key, mixture).name,
                round(float(np.mean(paths[key]["S"])), 4),
                round(float(np.mean(geo.ratio)), 4),
                round(float(np.median(geo.ratio)), 4),
                round(float(np.mean(geo.turning)), 3),
                round(float(np.mean(geo.curvature)), 4),
                round(at[key], 4),
                round(at["vp_ddim"] if key == "vp" else at[key], 4),
            ]
        )
    return rows


def _compared(flow: np.ndarray, vp: np.ndarray) -> str:
    """How the flow's paths compare with VP's by one per-path measure (lower = straighter), paired over the same
    noise draws, with the claim's rule: a difference beyond STRAIGHT_SE standard errors."""
    d = flow - vp
    se = float(d.std(ddof=1) / np.sqrt(len(d)))
    if abs(d.mean()) <= STRAIGHT_SE * se:
        return f"as straight (difference {d.mean():+.2f} ± {se:.2f})"
    return f"{'straighter' if d.mean() < 0 else '**less** straight'} ({d.mean():+.2f} ± {se:.2f})"


def flow_text(steps: int, placement: str, paths: dict, errors: dict, ident: dict) -> str:
    gf, gv, ge = (paths[k]["geometry"] for k in FLOW_TRIO)
    sf, sv, se_ = (paths[k]["S"] for k in FLOW_TRIO)
    return (
        f"**From the same noise, are the flow's exact ODE paths straighter than VP's?** By Liu et al.'s S "
        f"(0 = straight, speed included, in each process's own time rescaled to [0, 1]): {np.mean(sf):.2f} vs "
        f"{np.mean(sv):.2f}, {_compared(sf, sv)}. By length / chord (1 = straight, shape only): "
        f"{np.mean(gf.ratio):.2f} vs {np.mean(gv.ratio):.2f}, {_compared(gf.ratio, gv.ratio)}; turning "
        f"{np.mean(gf.turning):.2f} vs {np.mean(gv.turning):.2f} rad. Over {len(gf.ratio)} paths; the two measures "
        f"can disagree (EDM: S {np.mean(se_):.2f}, length / chord {np.mean(ge.ratio):.3f}, {np.mean(ge.turning):.2f} "
        "rad; its paths start 80× farther out). In the scaled frame they are one path.  \n"
        f"**Identities:** flow Euler − DDIM on the same grid: {ident['flow_euler_vs_ddim']:.1e}; DDIM on VP with the "
        f"flow's {steps} uniform-t nodes − flow Euler on them: {ident['vp_ddim_flow_nodes']:.1e}. So the flow's "
        f"few-step advantage is its grid: swap the node placement ({NODE_PLACEMENTS[placement]} now)."
    )


@lru_cache(maxsize=32)
def flow_view(preset, steps, placement, seed_value):
    paths = flow_paths(preset, seed_value)
    errors = flow_errors(preset, placement, seed_value)
    ident = flow_identities(preset, steps, placement, seed_value)
    return (
        flow_figure(preset, steps, placement, seed_value, paths),
        euler_figure(placement, steps, errors),
        _table(FLOW_HEADERS, flow_rows(preset, steps, placement, seed_value, paths)),
        flow_text(steps, placement, paths, errors, ident),
    )


# ---------------------------------------------------------------------------- the tab
def _table(headers, rows):
    import pandas as pd

    return pd.DataFrame(rows, columns=headers)


def pfode_view(view, preset, process, process_b, prior, rtol, t, steps, grid, seed, points, progress=None):
    """(main figure, side figure, table of numbers, summary) for one setting of the tab's controls."""
    view, preset, process, process_b, prior, rtol, t, steps, grid, seed, pts = _validate(
        view, preset, process, process_b, prior, rtol, t, steps, grid, seed, points
    )
    if view == "likelihood":
        return likelihood_view(preset, process, prior, rtol, t, pts, progress)
    if view == "schedules":
        return schedules_view(preset, process, process_b, steps, grid, seed)
    return flow_view(preset, steps, grid, seed)


VISIBLE = {
    "likelihood": {"process", "prior", "rtol", "t", "points"},
    "schedules": {"process", "process_b", "steps", "grid", "seed"},
    "flow": {"steps", "grid", "seed"},
}

SPEC = kit.Tab(
    id=TAB_ID,
    title=LABEL,
    controls=CONTROLS,
    # a new data's samples replace the points first (build), so the data control is not a plain trigger
    views=[
        kit.View(
            pfode_view,
            ("main", "side", "table", "summary"),
            api_name="pfode",
            triggers=("t", "view", "process", "process_b", "prior", "rtol", "steps", "grid", "seed", "points"),
        )
    ],
    scenes=SCENES,
    check=_check,
)


def warm_up() -> None:
    """The default likelihood solves, and the other two views' defaults (a few seconds, once)."""
    for view in VIEWS:
        pfode_view(**{**SPEC.defaults(), "view": view})


LINK_JS = (
    "(...values) => { const names = " + str(NAMES).replace("'", '"') + ";"
    " const p = new URLSearchParams({tab: '" + TAB_ID + "'});"
    " names.forEach((n, i) => { let v = values[i];"
    "  if (n === 'points') { const rows = (v && v.data) ? v.data : (Array.isArray(v) ? v : []);"
    "   v = rows.filter(r => r && r.length >= 2 && r[0] !== '' && r[0] !== null)"
    "     .map(r => r[0] + ',' + r[1]).join(';'); }"
    "  p.set(n, String(v)); });"
    " return window.location.origin + window.location.pathname + '?' + p.toString(); }"
)


def layout(ui: kit.UI) -> None:
    import gradio as gr

    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            ui.scene_picker()
            ui.control("view")
            ui.control("preset")
            for name in ("process", "process_b", "prior", "rtol", "steps", "grid", "seed"):
                ui.control(name, visible=name in VISIBLE["likelihood"])
            # the link writes the points table as text (the kit's link would write the table object)
            with gr.Row():
                ui.parts["points_link_button"] = gr.Button("Link to this view", size="sm")
                ui.parts["reset"] = gr.Button("Reset", size="sm")
            ui.parts["points_link"] = gr.Textbox(label="Share this link", buttons=["copy"], interactive=False)
        with gr.Column(scale=3, min_width=320, elem_classes=["main-col"]):
            ui.output("summary", gr.Markdown())
            ui.plot("main")
            ui.control("t", elem_classes=["rr-step"])
            ui.plot("side")
            ui.output("table", gr.Dataframe(label="The numbers", interactive=False, wrap=True))
            with gr.Group():
                ui.control("points")
                with gr.Row():
                    ui.parts["samples"] = gr.Button("Samples of the data", size="sm")
                    ui.parts["grid_points"] = gr.Button(f"A grid of points ({GRID_SIDE}×{GRID_SIDE})", size="sm")
    gr.Markdown(notes_markdown(), latex_delimiters=[{"left": "$", "right": "$", "display": False}])


def build() -> kit.UI:
    """The tab from its spec, plus what only it has: controls shown only in the views that use them, the
    points table (refilled with a new data's samples, two buttons, written as text in the link)."""
    import gradio as gr

    from demos.sharing import stale_js

    ui = kit.build(SPEC, layout)
    c, p = ui.controls, ui.parts
    controls, outputs = ui.inputs(), [ui.outputs[n] for n in SPEC.views[0].outputs]
    runner = user_facing(kit._view_runner(SPEC.views[0], NAMES))
    private = dict(api_visibility="private")
    buttons = [p["samples"], p["grid_points"]]
    hideable = [n for n in NAMES if n not in ("view", "preset")]

    def on_view(view):
        shown = VISIBLE.get(view, set())
        return [gr.update(visible=n in shown) for n in hideable] + [gr.update(visible="points" in shown)] * 2

    def on_samples(preset, seed_value):
        return [list(q) for q in sample_points(data_spec(preset), seed(seed_value))]

    def on_preset(preset, seed_value):
        try:
            return on_samples(preset, seed_value)
        except ValueError:
            return gr.skip()

    def on_grid(preset):
        return [list(q) for q in grid_points(data_spec(preset))]

    # `change`: a scene, Reset or link that sets the view shows its controls too
    c["view"].change(on_view, c["view"], [*(c[n] for n in hideable), *buttons], **private)
    c["preset"].input(user_facing(on_preset), [c["preset"], c["seed"]], c["points"], **private).then(
        runner, controls, outputs, **private
    )
    p["samples"].click(user_facing(on_samples), [c["preset"], c["seed"]], c["points"], **private).then(
        runner, controls, outputs, **private
    )
    p["grid_points"].click(user_facing(on_grid), c["preset"], c["points"], **private).then(
        runner, controls, outputs, **private
    )
    link = p["points_link"]
    p["points_link_button"].click(None, controls, link, js=LINK_JS, **private)
    for event in [*(component.input for component in [*controls, p["scene"]]), p["reset"].click]:
        event(None, [*controls, link], link, js=stale_js(LINK_JS), **private)  # a stale link never stays shown
    return ui
