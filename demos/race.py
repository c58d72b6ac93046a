"""Tab "Sampler race": every registered sampler, ours and the diffusers rows, at one budget of model
evaluations from the same initial noise, over the exact target; error-vs-NFE curves with measured orders of
convergence; and the time grid as a factor of its own (core/race.py does the measuring)."""

from __future__ import annotations

import math
import threading
from functools import lru_cache

import numpy as np
import plotly.graph_objects as go

from core import race as R
from core.claims import all_claims, note, shipped
from core.claims.race import grid_cases, grid_scene_title
from core.dataspec import data_title, load_data
from core.metrics import EXACT_LIKE_UNITS
from core.samplers.registry import get_sampler
from demos import kit, plotting
from demos.inputs import check_superseded

TAB_ID = "race"
LABEL = "Sampler race"
MIN_BUDGET, MAX_BUDGET = 2, 100
PARTICLE_CHOICES = (500, 1000, 2000)
SHOW = {
    "ours": "our samplers",
    "diffusers": "diffusers rows",
    "deterministic": "deterministic (with orders)",
    "all": "all",
}
X_AXES = {"nfe": "NFE", "wall": "wall time"}
Y_AXES = {"mmd": "MMD² (floor units)", "path": "path error vs reference"}
COLUMNS = 4  # small multiples per row: ~75 px each on a phone, room for an 11-character name at PANEL_FONT
PANEL_FONT = 12  # px: a panel's title lines (10 px was unreadable on a projector)
PANEL_PX, TITLE_PX = 170, 52  # a panel's height on a desktop, and its three title lines
SHORT = {  # panel titles (the table has the full names): about 11 characters fit a phone's panel
    "ddpm": "DDPM β̃", "ddpm_beta": "DDPM β", "ddim": "DDIM", "ddim_eta05": "DDIM η=.5", "ddim_eta1": "DDIM η=1",
    "ddim_sigma_hat": "DDIM σ̂", "em_vp": "EM (VP)", "em_ddpm": "EM (DDPM)", "pc": "PC (VE)",
    "pf_euler": "Euler (EDM)", "edm_heun": "EDM Heun", "edm_churn": "EDM churn", "dpm2": "DPM-2",
    "dpm3": "DPM-3", "dpmpp_leading": "2M leading", "dpmpp_logsnr": "2M log-SNR", "flow_euler": "Flow Euler",
    "flow_heun": "Flow Heun", "annealed": "Annealed L.", "langevin": "Langevin", "d_ddpm": "d·DDPM",
    "d_ddim": "d·DDIM", "d_ddim_eta1": "d·DDIM η=1", "d_dpmpp": "d·DPM++2M", "d_dpmpp_single": "d·DPM++1S",
    "d_unipc": "d·UniPC", "d_deis": "d·DEIS", "d_pndm": "d·PNDM", "d_euler": "d·Euler", "d_euler_a": "d·Euler A",
    "d_heun": "d·Heun", "d_lms": "d·LMS", "distilled": "Distilled",
}  # fmt: skip
PANEL_POINTS = 400  # samples drawn per panel (the score uses all of them)
HEAT_N = 36
Y_FLOOR = 0.5  # MMD² units at or below this are drawn here on the log axis ("at the floor")
FLOOR_UNITS = EXACT_LIKE_UNITS  # |units| ≤ 2: as good as exact sampling ~95 % of the time (core/metrics.py)
SAME = 1e-9  # two racers whose samples agree to this are one sampler written twice (DDIM η = 1 and DDPM β̃)
# Work caps (a race runs ~32 samplers): components × particles × budget, i.e. the 5×5 grid at 2,000
# particles races up to 57 NFE, the checkerboard (72 components) up to 20; live curves (≈ 420 NFE per
# sampler plus the reference runs) up to the sharp ring's components × 2,000 particles.
RACE_CAP = 72 * 2000 * 20
CURVES_CAP = 8 * 2000

CONTROLS = [
    kit.Control("preset", "data", "ring8", label="Data"),
    kit.Control("budget", "int", 20, label="NFE budget", lo=MIN_BUDGET, hi=MAX_BUDGET, step=1, noun="NFE budget"),
    kit.Control("seed", "seed", R.DEFAULT_SEED, label="Seed"),
    # a number offered as a dropdown (`layout`); its values are checked in `_check`
    kit.Control(
        "particles",
        "int",
        R.DEFAULT_PARTICLES,
        label="Particles",
        choices=PARTICLE_CHOICES,
        noun="Particles",
    ),
    kit.Control(
        "show",
        "choice",
        "ours",
        label="Curves of",
        choices=tuple((v, k) for k, v in SHOW.items()),
        widget="radio",
        noun="curve selection",
    ),
    kit.Control(
        "x_axis",
        "choice",
        "nfe",
        label="x axis",
        choices=tuple((v, k) for k, v in X_AXES.items()),
        widget="radio",
        noun="x axis",
    ),
    kit.Control(
        "y_axis",
        "choice",
        "mmd",
        label="y axis",
        choices=tuple((v, k) for k, v in Y_AXES.items()),
        widget="radio",
        noun="y axis",
    ),
    kit.Control(
        "grid_solver",
        "choice",
        R.GRID_SOLVERS[0],
        label="Solver on the five grids",
        choices=tuple((get_sampler(k).title, k) for k in R.GRID_SOLVERS),
        noun="solver for the grid panel",
    ),
]
NAMES = [c.name for c in CONTROLS]

SCENES = {
    "DPM-Solver at 10 NFE vs DDPM at 1000 (smooth ring)": dict(preset="ring8_wide", budget=10),
    "DPM-Solver at 10 NFE vs DDPM at 1000 (sharp ring)": dict(preset="ring8", budget=10),
    grid_scene_title(): dict(preset="ring8", budget=20, grid_solver="dpmpp_2m", show="all"),
    "EDM's Karras schedule at 50 NFE": dict(preset="ring8", budget=50),
    "Orders of convergence": dict(preset="ring8", budget=50, show="deterministic", y_axis="path"),
    "Orders on the smooth ring": dict(preset="ring8_wide", budget=20, show="deterministic", y_axis="path"),
    "Wall time instead of NFE": dict(preset="ring8", budget=20, show="all", x_axis="wall"),
}

OUR_CLAIMS = ("flow_euler_is_ddim", "race_orders", "grid_vs_solver")
CITED = ("dpm_solver_grid", "edm_nfe", "em_vs_ddim_grid", *OUR_CLAIMS)


def _notes() -> str:
    claims = "\n\n".join(f"- {note(k)}" for k in CITED if k in all_claims())
    grid = shipped().get("grid_vs_solver")
    decided = grid_cases(grid["values"]) if grid else "(not measured yet)"
    return rf"""
**What to notice.** Every sampler gets the same budget of model evaluations (NFE) and starts from the same noise
$z$ ($x_T = \sigma_T z$), on data whose exact density is known, so each panel's error is the sampler's own. The error
is the MMD² to the exact mixture in **noise-floor units** (its spread over exact sample sets of the same size):
$\le {FLOOR_UNITS:g}$ is as good as exact sampling. A sampler whose NFE cannot hit the budget (Heun and DPM-Solver-2
spend $2n-1$ per $n$ steps, DPM-Solver-3 $3n-2$, predictor–corrector $2n$, annealed Langevin 10 levels × T) takes the
nearest budget below and its title says the NFE it spent. The diffusers rows run the real schedulers on the DDPM
(linear β) process they were built for, with each scheduler's **own default timestep spacing**, named in the table.
The **distilled student** is not a solver on the exact model but a small network distilled from exact DDIM-64 by
progressive distillation (Salimans & Ho 2022; the Few steps tab): its NFE are its own network's calls on its own
cosine schedule, students exist for N = 1, 2, 4, 8, 16, 32 steps, and they are shipped for every preset.

**Orders of convergence.** For each deterministic sampler the endpoints of {R.N_PATHS} paths are compared with the
same sampler's endpoints at a high NFE from the same start; the order $p$ (error ∝ NFE$^{{-p}}$) is fitted on the
last {R.FIT_POINTS} budgets (allowing for the reference's own error), and only where no path still ends in another
mode than its reference (otherwise the curve says so). Theory: Euler and DDIM 1; Heun, DPM-Solver-2 and
DPM-Solver++(2M) 2; DPM-Solver-3 3 (Karras et al. 2022; Lu et al. 2022a,b). A grid that does not start at the same
noise level for every step count (DDIM's "leading" spacing starts at $T - T/n$) adds an $O(1/n)$ error of its own.

**The grid as a factor.** The same solver on five time grids of the same process. EDM (Karras et al. 2022, Sec. 3)
treats the time steps as a design choice separate from the solver; here the grid alone can decide whether
DPM-Solver++(2M) beats DDIM η = 0 (one grid where it wins, another where it loses, each beyond noise): it does
{decided} (ring8 is the sharp ring, ring8_wide the smooth one; each grid's difference is in claim
`grid_vs_solver` below). Flow-matching Euler is DDIM η = 0 on the flow path's $(\alpha, \sigma)$
(identical to rounding), so what it gains in few steps is its time grid.

{claims}
"""


# ---------------------------------------------------------------------------- validation
def _check(values: dict) -> dict:
    """The race's own rules: the particle counts it caches, and its work cap."""
    particles, budget = values["particles"], values["budget"]
    if particles not in PARTICLE_CHOICES:
        raise ValueError(f"Particles must be one of {', '.join(map(str, PARTICLE_CHOICES))}; got {particles}.")
    k = load_data(values["preset"]).n_components
    if k * particles * budget > RACE_CAP:
        top = RACE_CAP // (k * particles)
        raise ValueError(
            f"A race of every sampler at {budget} NFE on {k} components × {particles:,} particles is over this "
            f"shared app's work cap: use a budget of at most {max(top, 0)} NFE, or fewer particles."
        )
    return values


def _validate(preset, budget, seed, particles, show="ours", x_axis="nfe", y_axis="mmd", grid_solver=None) -> tuple:
    """The controls checked by their spec (the race's rules included), in CONTROLS order (the data canonical)."""
    given = (preset, budget, seed, particles, show, x_axis, y_axis, grid_solver or R.GRID_SOLVERS[0])
    values = SPEC.validate(dict(zip(NAMES, given)))
    return tuple(values[name] for name in NAMES)


# ---------------------------------------------------------------------------- computing, cached
_LOCK = threading.Lock()
_CURVES: dict[tuple, dict] = {}
_GRIDS: dict[tuple, dict] = {}


def _is_default(seed_value: int, particles: int) -> bool:
    return seed_value == R.DEFAULT_SEED and particles == R.DEFAULT_PARTICLES


_RACES: dict[tuple, tuple] = {}


def race_runs(spec: str, budget: int, seed_value: int, particles: int, progress=None) -> tuple:
    """((racer, Run or None), ...) for every racer, sorted best first (those that cannot run last); cached."""
    key = (spec, budget, seed_value, particles)
    with _LOCK:
        if key in _RACES:
            return _RACES[key]
    runs = R.race(spec, budget, seed_value, particles, progress=progress, check=check_superseded)
    racers = list(R.RACERS.values())
    ranked = sorted(racers, key=lambda r: (runs[r.id] is None, _sort_key(runs[r.id]) if runs[r.id] else 0.0))
    out = tuple((r, runs[r.id]) for r in ranked)
    with _LOCK:
        if len(_RACES) >= 16:
            _RACES.pop(next(iter(_RACES)))
        _RACES[key] = out
    return out


def _sort_key(run) -> float:
    return math.inf if not math.isfinite(run.units) else run.units


@lru_cache(maxsize=16)
def reference(spec: str, seed_value: int, particles: int):
    return R.reference_run(spec, seed_value, particles, check=check_superseded)


def _live_curves_allowed(spec: str, particles: int) -> None:
    k = load_data(spec).n_components
    if k * particles > CURVES_CAP:
        raise ValueError(
            f"Error-vs-NFE curves for {k} components at {particles:,} particles are only shipped for the default "
            f"seed ({R.DEFAULT_SEED}) and {R.DEFAULT_PARTICLES:,} particles; a live recompute is capped at "
            f"{CURVES_CAP // k:,} particles for this data."
        )


def shown_racers(show: str) -> list:
    """The racers a "Curves of" choice draws (the same filter as `_curve_items`, on the registry)."""
    keep = {
        "ours": lambda r: r.family == "ours",
        "diffusers": lambda r: r.family == "diffusers",
        "deterministic": lambda r: r.order is not None,
    }.get(show, lambda r: True)
    return [r for r in R.RACERS.values() if keep(r)]


def curves(spec: str, seed_value: int, particles: int, show: str = "all", progress=None) -> dict:
    """The error-vs-NFE curves: shipped for every preset at the default settings, else computed live for the
    racers `show` draws (the diffusers rows cost more than ours: LMS alone ~11 s) and cached per racer, so
    another selection computes only the curves it adds."""
    key = (spec, seed_value, particles)
    if _is_default(seed_value, particles) and spec in R.shipped():
        return R.shipped()[spec]["curves"]
    with _LOCK:
        have = _CURVES.get(key)
    missing = [r for r in shown_racers(show) if have is None or r.id not in have["racers"]]
    if not missing:
        return have
    _live_curves_allowed(spec, particles)
    new = R.curves(spec, seed_value, particles, racers=missing, progress=progress, check=check_superseded)
    if have is not None:
        both = {**have["racers"], **new["racers"]}
        new["racers"] = {rid: both[rid] for rid in R.RACERS if rid in both}  # registry order
        new["seconds"] += have["seconds"]
        new["cpu_seconds"] += have["cpu_seconds"]
    with _LOCK:
        if key not in _CURVES and len(_CURVES) >= 8:
            _CURVES.pop(next(iter(_CURVES)))
        _CURVES[key] = new
    return new


def grid_panel(spec: str, solver: str, seed_value: int, particles: int, progress=None) -> dict:
    key = (spec, solver, seed_value, particles)
    shipped = R.shipped().get(spec, {}).get("grid")
    if _is_default(seed_value, particles) and shipped is not None and shipped["solver"] == solver:
        return shipped
    with _LOCK:
        if key in _GRIDS:
            return _GRIDS[key]
    _live_curves_allowed(spec, particles)
    out = R.grid_factor(spec, solver, seed_value, particles, progress=progress, check=check_superseded)
    with _LOCK:
        if len(_GRIDS) >= 16:
            _GRIDS.pop(next(iter(_GRIDS)))
        _GRIDS[key] = out
    return out


# ---------------------------------------------------------------------------- figures
def frozen(fig: go.Figure) -> go.Figure:
    """The figure with its JSON computed once: gr.Plot only calls `to_json()`, so a cached figure is sent
    again without re-serialising (the race's small multiples are ~0.5 MB)."""
    text = fig.to_json()
    fig.to_json = lambda *args, **kwargs: text
    return fig


def _fmt_units(u: float) -> str:
    return "diverged" if not math.isfinite(u) else f"{u:+.1f} u"


@lru_cache(maxsize=32)
def race_figure(spec: str, budget: int, seed_value: int, particles: int) -> go.Figure:
    """Small multiples: the final samples of every racer over the exact density, best first, each titled with
    its rank, its error in floor units and the NFE it spent; the DDPM 1000-step run first, for scale."""
    mixture = load_data(spec)
    box = plotting.plot_box(mixture)
    density = plotting.density_image(mixture, box, HEAT_N)
    ref = reference(spec, seed_value, particles)
    ran = [(r, run) for r, run in race_runs(spec, budget, seed_value, particles) if run is not None]
    panels = [(f"DDPM 1000<br>steps (ref.)<br>{_fmt_units(ref.units)}", ref)]
    panels += [
        (f"{i}. {_fmt_units(run.units)}<br>{SHORT.get(r.id, r.label)}<br>NFE {run.nfe}", run)
        for i, (r, run) in enumerate(ran, 1)
    ]
    cols = COLUMNS
    rows = math.ceil(len(panels) / cols)
    plot_px = rows * (PANEL_PX + TITLE_PX)  # three short title lines above each panel: fit a phone
    gap_x, gap_y = 0.012, TITLE_PX / plot_px
    width = (1 - gap_x * (cols - 1)) / cols
    height = (1 - gap_y * (rows - 1)) / rows
    traces, layout, notes, images = [], {}, [], []
    for i, (title, run) in enumerate(panels):
        row, col = divmod(i, cols)
        ax = "" if i == 0 else str(i + 1)
        x0 = col * (width + gap_x)
        y1 = 1 - row * (height + gap_y)
        axis = dict(range=[box[0], box[1]], showticklabels=False, showgrid=False, zeroline=False, fixedrange=True)
        layout[f"xaxis{ax}"] = dict(axis, domain=[x0, min(x0 + width, 1.0)], anchor=f"y{ax}")
        layout[f"yaxis{ax}"] = dict(
            axis,
            range=[box[2], box[3]],
            domain=[max(y1 - height, 0.0), min(y1, 1.0)],
            anchor=f"x{ax}",
            scaleanchor=f"x{ax}",
        )
        images.append(dict(density, xref=f"x{ax}", yref=f"y{ax}"))
        pts = run.samples[:PANEL_POINTS]
        pts = pts[np.all(np.isfinite(pts), axis=1)]
        traces.append(
            go.Scattergl(
                x=pts[:, 0].astype(np.float32), y=pts[:, 1].astype(np.float32), xaxis=f"x{ax}", yaxis=f"y{ax}",
                mode="markers", marker=dict(size=2.5, color="#dc2626" if i == 0 else plotting.SAMPLE_COLOR),
                hoverinfo="skip", showlegend=False,
            )
        )  # fmt: skip
        notes.append(
            dict(
                text=title, x=x0, y=y1, xref="paper", yref="paper", xanchor="left", yanchor="bottom",
                showarrow=False, align="left", font=dict(size=PANEL_FONT),
            )
        )  # fmt: skip
    title = (
        f"Every sampler at {budget} NFE, same noise, best first · {data_title(spec)} · {particles:,} particles · "
        f"u = MMD² in floor units, ≤ {FLOOR_UNITS:g} u: exact sampling"
    )
    fig = go.Figure(traces)
    plotting.base_layout(fig, title, height=100, square=False)  # the title at the top, below the plot's toolbar
    top = fig.layout.margin.t + TITLE_PX  # the margin under the title holds the first row's panel titles
    fig.update_layout(
        **layout, annotations=notes, images=images, showlegend=False, height=plot_px + top + 10,
        margin=dict(l=8, r=8, b=10, t=top),
    )  # fmt: skip
    return frozen(fig)


def _curve_items(data: dict, show: str) -> list[tuple[str, dict]]:
    """The curves a "Curves of" choice draws; a racer that cannot run on these data (no point) is left out."""
    items = [(k, c) for k, c in data["racers"].items() if c["nfe"]]
    if show == "ours":
        items = [(k, c) for k, c in items if c["family"] == "ours"]
    elif show == "diffusers":
        items = [(k, c) for k, c in items if c["family"] == "diffusers"]
    elif show == "deterministic":
        items = [(k, c) for k, c in items if c.get("theory") is not None]
    return items


def _order_text(c: dict) -> str:
    if c.get("theory") is None:
        return ""
    return f"p = {c['order']:.2f}" if c.get("order") is not None else "p: –"


def curves_figure(data: dict, show: str, x_axis: str, y_axis: str, budget: int) -> go.Figure:
    """Log-log error vs NFE (or wall time) per sampler, the noise floor as a band, orders beside the curves."""
    fig = go.Figure()
    path = y_axis == "path"
    items = _curve_items(data, show)
    if path:
        items = [(k, c) for k, c in items if c.get("path_error")]
    ends = []
    for i, (_, c) in enumerate(items):
        color = plotting.PALETTE[i % len(plotting.PALETTE)]
        dash = ("solid", "dash", "dot", "dashdot")[(i // len(plotting.PALETTE)) % 4]
        if path:
            nfe, y = np.array(c["nfe"]), np.array(c["path_error"])
            seconds = None
            # path runs use their own NFE list: match wall times by NFE where the MMD curve has them
            by_nfe = dict(zip(c["nfe"], c["seconds"]))
            seconds = np.array([by_nfe.get(n, np.nan) for n in c["nfe"]])
            settled = np.array(c["switched"]) == 0
        else:
            nfe, y, seconds = np.array(c["nfe"]), np.array(c["units"], dtype=float), np.array(c["seconds"])
            settled = np.ones(len(nfe), bool)
        x = nfe if x_axis == "nfe" else seconds
        shown = np.maximum(np.nan_to_num(y, nan=np.inf), Y_FLOOR) if not path else y
        order = _order_text(c)
        name = f"{c['label']}" + (f" · {order}" if order else "")
        hover = [
            f"{c['label']}<br>NFE {n} · {f'path error {v:.2e}' if path else _fmt_units(v)}"
            f" · {s * 1000:.1f} ms<br>{c['grid'][j] if j < len(c['grid']) and not path else ''}"
            for j, (n, v, s) in enumerate(zip(nfe, y, seconds))
        ]
        fig.add_trace(
            go.Scatter(
                x=x, y=shown, mode="lines+markers", name=name, line=dict(color=color, dash=dash, width=2),
                marker=dict(size=6, symbol=np.where(settled, "circle", "circle-open")), hovertext=hover,
                hoverinfo="text",
            )
        )  # fmt: skip
        if order and len(x) and np.isfinite(x[-1]):
            ends.append((x[-1], shown[-1], order, color))
    notes = [
        dict(x=math.log10(xe), y=math.log10(ye) if ye > 0 else 0, text=text, showarrow=False, xanchor="left",
             xshift=6, font=dict(size=11, color=color))
        for xe, ye, text, color in ends
    ]  # fmt: skip
    ref = data["reference"]
    if not path:
        fig.add_trace(
            go.Scatter(
                x=[ref["nfe"] if x_axis == "nfe" else ref["seconds"]], y=[max(ref["units"], Y_FLOOR)],
                mode="markers", name=f"{ref['label']} ({_fmt_units(ref['units'])})",
                marker=dict(symbol="star", size=14, color="#111827"),
            )
        )  # fmt: skip
        fig.add_hrect(
            y0=Y_FLOOR * 0.8, y1=FLOOR_UNITS, fillcolor="rgba(22, 163, 74, 0.12)", line_width=0, layer="below",
            annotation_text=f"noise floor (≤ {FLOOR_UNITS:g} u: exact sampling)", annotation_position="bottom left",
            annotation_font=dict(size=11, color="#166534"),
        )  # fmt: skip
    if x_axis == "nfe":
        fig.add_vline(x=budget, line=dict(color="#6b7280", dash="dot"))
    what = "path error vs the same sampler at high NFE" if path else "MMD² in noise-floor units"
    title = f"Error vs {X_AXES[x_axis]} · {what} · {data_title(data['spec'])} · {data['particles']:,} particles" + (
        " · hollow: paths still switch modes" if path else f" · ≤ {Y_FLOOR:g} drawn at {Y_FLOOR:g}"
    )
    plotting.base_layout(fig, title, square=False)
    if x_axis == "nfe":
        ticks = [*data["nfes"], 1000] if not path else data["nfes"]
        fig.update_xaxes(type="log", title="NFE (model evaluations)", tickvals=ticks, ticktext=nfe_labels(ticks))
    else:
        fig.update_xaxes(type="log", title="wall time (s)", dtick=1)
    fig.update_yaxes(type="log", title="path error (RMS)" if path else "MMD² (noise-floor units)", dtick=1)
    fig.update_layout(margin=dict(r=70))
    plotting.legend_below(fig, CURVES_PX, font=12)
    if not items:
        notes.append(dict(text="No sampler in this selection has a path error.", showarrow=False, x=0.5, y=0.5,
                          xref="paper", yref="paper"))  # fmt: skip
    fig.update_layout(annotations=[*fig.layout.annotations, *notes])
    return frozen(fig)


CURVES_PX = 420  # the plot area of the error-vs-NFE figures; their legends go below it, one entry per line
LABEL_SHARE = 0.13  # of a log axis's length one NFE label needs: ~30 px of a phone's ~230 px axis


def nfe_labels(ticks) -> list[str]:
    """Labels of NFE ticks on a log axis: a tick within LABEL_SHARE of the axis of the last labelled one keeps its
    mark but no label, so that a phone's axis never prints "4" over "6"; the last tick (the reference's 1000 on
    the curves) is always labelled, its too-close neighbour not."""
    logs = [math.log10(n) for n in ticks]
    gap = LABEL_SHARE * (max(logs) - min(logs))
    keep, last = [], None
    for x in logs:
        keep.append(last is None or x - last >= gap)
        last = x if keep[-1] else last
    keep[-1] = True
    if len(keep) > 1 and logs[-1] - logs[-2] < gap:
        keep[-2] = False
    return [str(n) if k else "" for n, k in zip(ticks, keep)]


GRID_COLORS = dict(zip(R.GRID_NAMES, plotting.PALETTE))


def grid_figure(data: dict) -> go.Figure:
    """One solver (solid) and DDIM η = 0 (dashed) on the five grids of the DDPM process, error vs NFE."""
    fig = go.Figure()
    solver = data["solver"]
    for g in R.GRID_NAMES:
        for s in data["solvers"]:
            cell = data["grids"][g][s]
            units = np.array(cell["units"], dtype=float)
            fig.add_trace(
                go.Scatter(
                    x=cell["nfe"], y=np.maximum(np.nan_to_num(units, nan=np.inf), Y_FLOOR), mode="lines+markers",
                    name=f"{get_sampler(s).title} · {g}", line=dict(color=GRID_COLORS[g], width=2.5 if s == solver
                    else 1.5, dash="solid" if s == solver else "dash"),
                    hovertext=[f"{get_sampler(s).title} on {g}<br>NFE {n} ({k} steps) · {_fmt_units(u)}"
                               for n, k, u in zip(cell["nfe"], cell["steps"], units)],
                    hoverinfo="text",
                )
            )  # fmt: skip
    fig.add_hrect(y0=Y_FLOOR * 0.8, y1=FLOOR_UNITS, fillcolor="rgba(22, 163, 74, 0.12)", line_width=0, layer="below")
    others = " (solid) and DDIM η=0 (dashed)" if len(data["solvers"]) > 1 else ""
    title = f"The grid as a factor: {get_sampler(solver).title}{others} on five grids · DDPM linear β · " + data_title(
        data["spec"]
    )
    plotting.base_layout(fig, title, square=False)
    fig.update_xaxes(type="log", title="NFE", tickvals=data["nfes"], ticktext=nfe_labels(data["nfes"]))
    fig.update_yaxes(type="log", title="MMD² (noise-floor units)", dtick=1)
    plotting.legend_below(fig, CURVES_PX, font=12)
    return frozen(fig)


# ---------------------------------------------------------------------------- text
def race_table(spec: str, budget: int, seed_value: int, particles: int) -> str:
    """The race as a Markdown table: rank, sampler, the grid it really used, steps, NFE, error, wall time."""
    lines = [
        "| # | sampler | grid it used | steps | NFE | MMD² (u) | wall ms |",
        "|---|---|---|---|---|---|---|",
    ]
    seen: list[tuple[np.ndarray, str]] = []
    mixture = load_data(spec)
    out_of_budget = []
    rank = 0
    for r, run in race_runs(spec, budget, seed_value, particles):
        if run is None:
            reason = R.refusal(r, spec)  # it cannot run on these data at all, in its sampler's words
            out_of_budget.append(f"{r.label} ({reason.rstrip('.') if reason else f'needs ≥ {r.min_nfe()} NFE'})")
            continue
        rank += 1
        twin = next((label for x, label in seen if np.abs(x - run.samples).max() <= SAME), None)
        same = f" (= {twin}: the same samples)" if twin else ""
        seen.append((run.samples, r.label))
        lines.append(
            f"| {rank} | {r.label}{same} | {R.grid_text(r, run.steps, mixture)} | {run.steps} | {run.nfe} | "
            f"{_fmt_units(run.units)} | {run.seconds * 1000:.0f} |"
        )
    ref = reference(spec, seed_value, particles)
    lines.append(
        f"| – | {R.REFERENCE_LABEL} (for scale) | DDPM · leading · t = 999, …, 0 | 1000 | {ref.nfe} | "
        f"{_fmt_units(ref.units)} | {ref.seconds * 1000:.0f} |"
    )
    if out_of_budget:
        lines.append(f"\nCannot run within {budget} NFE: " + "; ".join(out_of_budget) + ".")
    return "\n".join(lines)


def summary_text(spec: str, budget: int, seed_value: int, particles: int, data: dict | None) -> str:
    ran = [(r, run) for r, run in race_runs(spec, budget, seed_value, particles) if run is not None]
    best_r, best = ran[0]
    exact = [r.label for r, run in ran if math.isfinite(run.units) and run.units <= FLOOR_UNITS]
    ref = reference(spec, seed_value, particles)
    total = sum(run.seconds for _, run in ran)
    text = (
        f"**{budget} NFE, {len(ran)} samplers, seed {seed_value}.** Best: **{best_r.label}** "
        f"({_fmt_units(best.units)}, NFE {best.nfe}). Within the noise floor (≤ {FLOOR_UNITS:g} u): "
        f"{len(exact)} of {len(ran)}. DDPM at 1000 steps: {_fmt_units(ref.units)}. Sampling time of the whole race "
        f"{total:.2f} s."
    )
    if data is not None:
        shipped = " (shipped)" if _is_default(seed_value, particles) and spec in R.shipped() else ""
        text += f" Curves: {len(data['racers'])} samplers at NFE {', '.join(map(str, data['nfes']))}{shipped}."
    return text


# ---------------------------------------------------------------------------- the view
def _message_figure(text: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=text, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper", font=dict(size=14))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return plotting.base_layout(fig, "Not computed", height=300, square=False)


def _desc(progress):
    return lambda fraction, text: progress(fraction, desc=text)


def _curves_part(spec, seed_value, particles, show, x_axis, y_axis, budget, progress) -> tuple[go.Figure, dict | None]:
    try:
        data = curves(spec, seed_value, particles, show, progress=_desc(progress))
    except ValueError as err:
        return _message_figure(plotting.wrap_title(str(err), size=14)), None
    return _curves_cached(spec, seed_value, particles, show, x_axis, y_axis, budget, data), data


def _grid_part(spec, grid_solver, seed_value, particles, progress) -> go.Figure:
    try:
        g = grid_panel(spec, grid_solver, seed_value, particles, progress=_desc(progress))
    except ValueError as err:
        return _message_figure(plotting.wrap_title(str(err), size=14))
    return _grid_cached(g["spec"], g["solver"], seed_value, particles, g)


def _noop(*args, **kwargs) -> None:
    return None


def race_view(preset, budget, seed, particles, show, x_axis, y_axis, grid_solver, progress=None):
    """(race figure, summary markdown, race table, curves figure, grid figure) for one setting (the main
    figure first: "Use in all tabs" clears a tab's first output so that it redraws when shown)."""
    given = (preset, budget, seed, particles, show, x_axis, y_axis, grid_solver)
    spec, budget, seed_value, particles, show, x_axis, y_axis, grid_solver = _validate(*given)
    progress = progress or _noop
    race_runs(spec, budget, seed_value, particles, progress=_desc(progress))
    reference(spec, seed_value, particles)
    race_fig = race_figure(spec, budget, seed_value, particles)
    table = race_table(spec, budget, seed_value, particles)
    curve_fig, data = _curves_part(spec, seed_value, particles, show, x_axis, y_axis, budget, progress)
    grid_fig = _grid_part(spec, grid_solver, seed_value, particles, progress)
    return race_fig, summary_text(spec, budget, seed_value, particles, data), table, curve_fig, grid_fig


def curves_view(preset, budget, seed, particles, show, x_axis, y_axis, grid_solver, progress=None):
    """The error-vs-NFE figure alone (the curve selection and the axes change only it)."""
    given = (preset, budget, seed, particles, show, x_axis, y_axis, grid_solver)
    spec, budget, seed_value, particles, show, x_axis, y_axis, grid_solver = _validate(*given)
    return _curves_part(spec, seed_value, particles, show, x_axis, y_axis, budget, progress or _noop)[0]


def grid_view(preset, budget, seed, particles, show, x_axis, y_axis, grid_solver, progress=None):
    """The grid panel alone (its solver changes only it)."""
    given = (preset, budget, seed, particles, show, x_axis, y_axis, grid_solver)
    spec, budget, seed_value, particles, show, x_axis, y_axis, grid_solver = _validate(*given)
    return _grid_part(spec, grid_solver, seed_value, particles, progress or _noop)


_FIGS: dict[tuple, go.Figure] = {}


def _curves_cached(spec, seed_value, particles, show, x_axis, y_axis, budget, data) -> go.Figure:
    key = ("curves", spec, seed_value, particles, show, x_axis, y_axis, budget, id(data))
    if key not in _FIGS:
        if len(_FIGS) > 64:
            _FIGS.clear()
        _FIGS[key] = curves_figure(data, show, x_axis, y_axis, budget)
    return _FIGS[key]


def _grid_cached(spec, solver, seed_value, particles, data) -> go.Figure:
    key = ("grid", spec, solver, seed_value, particles, id(data))
    if key not in _FIGS:
        if len(_FIGS) > 64:
            _FIGS.clear()
        _FIGS[key] = grid_figure(data)
    return _FIGS[key]


def race_data(preset, budget, seed, particles) -> dict:  # the API names its arguments after these
    """The numbers behind the tab, as data: the race (every sampler: NFE, steps, the grid it used, MMD² and
    its floor units, wall time), the DDPM 1000-step reference, the error-vs-NFE curves with path errors and
    fitted orders (if shipped or computable here) and the grid panel of the default solver."""
    spec, budget, seed_value, particles, *_ = _validate(preset, budget, seed, particles)
    mixture = load_data(spec)
    rows = []
    for r, run in race_runs(spec, budget, seed_value, particles):
        row = {"id": r.id, "label": r.label, "sampler": r.sampler, "family": r.family}
        if run is None:
            row.update(ran=False, min_nfe=r.min_nfe())
        else:
            row.update(ran=True, steps=run.steps, nfe=run.nfe, units=_num(run.units), mmd2=_num(run.mmd2))
            row.update(seconds=run.seconds, grid=R.grid_text(r, run.steps, mixture))
        rows.append(row)
    ref = reference(spec, seed_value, particles)
    out = {"spec": spec, "budget": budget, "seed": seed_value, "particles": particles, "race": rows}
    out["reference"] = {"label": R.REFERENCE_LABEL, "nfe": ref.nfe, "units": _num(ref.units)}
    try:
        out["curves"] = _clean(curves(spec, seed_value, particles))
        out["grid"] = _clean(grid_panel(spec, R.GRID_SOLVERS[0], seed_value, particles))
    except ValueError as err:
        out["curves_refused"] = str(err)
    return out


def _num(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _clean(obj):
    """JSON-safe: NaN/∞ become None."""
    if isinstance(obj, float):
        return _num(obj)
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    return obj


SPEC = kit.Tab(
    id=TAB_ID,
    title=LABEL,
    controls=CONTROLS,
    # the curve selection and axes redraw only the curves, the grid's solver only the grid panel (`build`)
    views=[
        kit.View(
            race_view,
            ("race", "summary", "table", "curves", "grid"),
            api_name="race",
            triggers=("budget", "preset", "seed", "particles"),
        ),
    ],
    scenes=SCENES,
    check=_check,
)


def warm_up() -> None:
    """The default race and its figures, so the first visitor does not wait for them."""
    race_view(**SPEC.defaults())


def layout(ui: kit.UI) -> None:
    import gradio as gr

    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            ui.scene_picker()
            ui.control("preset")
            ui.control("budget", elem_classes=["rr-step"])
            # a number offered as a dropdown (the kit's number is a slider): Gradio refuses other counts on the API
            c = SPEC.control("particles")
            ui.controls["particles"] = gr.Dropdown(list(c.choices), value=c.default, label=c.label)
            for name in ("seed", "show", "x_axis", "y_axis", "grid_solver"):
                ui.control(name)
            ui.link_row()
            ui.parts["numbers_button"] = gr.Button("Numbers as data (JSON)", size="sm")
        with gr.Column(scale=3, min_width=320, elem_classes=["main-col"]):
            ui.output("summary", gr.Markdown())
            ui.plot("race")
            with gr.Accordion("The race as a table", open=False):
                ui.output("table", gr.Markdown())
            ui.plot("curves")
            ui.plot("grid")
            with gr.Accordion("The numbers (JSON)", open=False):
                ui.parts["numbers"] = gr.JSON(show_label=False)
    gr.Markdown(_notes(), latex_delimiters=[{"left": "$", "right": "$", "display": False}])


def build() -> kit.UI:
    """The tab from its spec, plus what only it has: views that redraw one figure of the main view's five (the
    curves on their selection and axes, the grid panel on its solver) and the numbers as JSON."""
    import gradio as gr

    from demos.inputs import latest_only, user_facing

    ui = kit.build(SPEC, layout)
    controls = ui.inputs()

    def compute_curves(*values, progress=gr.Progress()):
        return curves_view(*values, progress=progress)

    def compute_grid(*values, progress=gr.Progress()):
        return grid_view(*values, progress=progress)

    for fn, output, triggers in (
        (compute_curves, "curves", ("show", "x_axis", "y_axis")),
        (compute_grid, "grid", ("grid_solver",)),
    ):
        runner = user_facing(latest_only(fn, 1, NAMES))
        for name in triggers:
            ui.controls[name].input(
                runner, controls, ui.outputs[output], trigger_mode="always_last", api_visibility="private"
            )
    ui.parts["numbers_button"].click(user_facing(race_data), controls[:4], ui.parts["numbers"], api_name="race_data")
    return ui
