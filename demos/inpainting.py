"""Tab "Inpainting & SDEdit": conditional generation measured against the exact conditional.

Inpainting in 2D: x₁ is known, x₂ is sampled by naive replacement and by RePaint (Lugmayr et al. 2022) from the
same noise, against the exact p(x₂ | x₁) and an exact reference sampler. SDEdit (Meng et al. 2022): a guide that
is not data, diffused to t₀ and denoised with the exact model; realism and faithfulness over t₀."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core import conditional as C
from core.claims import note, quote, shipped
from core.dataspec import data_bandwidth, load_data
from core.metrics import data_noise_floor, mmd2
from core.mixture import MixtureError
from demos import kit, plotting
from demos.data_input import data_spec
from demos.inputs import MAX_PARTICLES, MAX_WORK, check_superseded, user_facing

TAB_ID = "inpaint"
TITLE = "Inpainting & SDEdit"
U_CURVE = (1, 2, 5, 10)
MAX_U, MAX_JUMP, MAX_INPAINT_STEPS = 20, 25, 250
# The x₁ slider starts with the widest range any data spec can need (means within ±50, stds up to 20), so that
# an API call is judged by our own check against the data's range, not by the slider's first range; the page's
# load narrows it to the data.
X1_LIMIT = 110.0
N_PATHS = 16
SD_POINTS, SD_PATHS, MAX_SD_STEPS = 600, 24, 200
# The team's earlier, independent run (reference/samplers-and-diffusers.md §5): four_corners, x₁ = 2,
# 50 DDPM steps, 4,000 samples. Shown beside ours on the U curve.
EARLIER = {1: 0.331, 2: 0.285, 5: 0.247, 10: 0.218}
METHOD_COLORS = {"exact": "#111827", "naive": "#dc2626", "repaint": "#2563eb", "reference": "#16a34a"}
PAPER_T0 = (0.3, 0.6)

STROKE_CHOICES = (
    ("a square", "square"),
    ("a line", "line"),
    ("a shifted copy of the data", "shifted"),
    ("a scaled copy of the data", "scaled"),
    ("points I type", "typed"),
)


def _x1_bounds(values: dict) -> tuple[float, float, float]:
    """The x₁ slider's range on the chosen data (the default data's while the data is not valid)."""
    try:
        lo, hi = x1_range(data_spec(values.get("preset", "four_corners")))
    except (ValueError, MixtureError):
        lo, hi = x1_range("four_corners")
    return lo, hi, 0.05


CONTROLS = [
    kit.Control("preset", "data", "four_corners", label="Data"),
    kit.Control("x1", "float", 2.0, label="Known x₁", noun="Known x₁", range_of=_x1_bounds, depends_on=("preset",)),
    kit.Control("resamplings", "int", 5, label="Resamplings U (RePaint)", noun="Resamplings U", lo=1, hi=MAX_U, step=1),
    kit.Control("jump", "int", 1, label="Jump length j", noun="Jump length j", lo=1, hi=MAX_JUMP, step=1),
    kit.Control("steps", "int", 50, label="DDPM steps", noun="Steps", lo=5, hi=MAX_INPAINT_STEPS, step=1),
    kit.Control("particles", "int", 2000, label="Particles", noun="Particles", lo=200, hi=MAX_PARTICLES, step=100),
    kit.Control("seed", "seed", 0, label="Seed"),
    kit.Control("stroke", "choice", "square", label="Guide stroke", noun="stroke", choices=STROKE_CHOICES),
    kit.Control("points", "text", "0, 0; 1, -1; -1.5, 0.5", label="Guide points (x, y; x, y; …)", noun="Guide points"),
    # the t₀ slider's values are T0_SLIDER (each one precomputed): its range is the check's
    kit.Control("t0", "float", 0.3, label="SDEdit t₀", noun="t₀", lo=0.02, hi=1.0, step=0.02),
    kit.Control(
        "sd_steps", "int", 50, label="SDEdit steps on [0, t₀]", noun="SDEdit steps", lo=5, hi=MAX_SD_STEPS, step=1
    ),
]
INPAINT_NAMES = ["preset", "x1", "resamplings", "jump", "steps", "particles", "seed"]  # the /inpaint endpoint's
SDEDIT_NAMES = ["preset", "stroke", "points", "t0", "sd_steps", "seed"]  # the /sdedit endpoint's

SCENES = {
    "RePaint U = 10 vs naive (x₁ = 2)": dict(preset="four_corners", x1=2.0, resamplings=10, jump=1, steps=50),
    "Naive replacement ignores the known part": dict(preset="four_corners", x1=2.0, resamplings=1, jump=1),
    "RePaint with jumps (U = 10, j = 10)": dict(preset="four_corners", x1=2.0, resamplings=10, jump=10),
    "Inpainting a moon": dict(preset="moons", x1=0.0, resamplings=5, jump=1),
    "SDEdit: a square at t₀ = 0.3": dict(preset="four_corners", stroke="square", t0=0.3),
    "SDEdit: t₀ = 0.6 forgets the guide": dict(preset="four_corners", stroke="line", t0=0.6),
    "SDEdit: a shifted copy of the ring": dict(preset="ring8", stroke="shifted", t0=0.2),
}
_REPAINT = shipped().get("repaint_harmonises", {}).get("values", {})  # the claim's numbers, quoted below
SCENE_NOTES = {
    "RePaint U = 10 vs naive (x₁ = 2)": "Ten resamplings per step bring P(x₂ > 0 | x₁ = 2) from naive's "
    f"{quote(_REPAINT['p_U1'], '.2f')} close to the exact {quote(_REPAINT['exact'], '.2f')} (the claim below: "
    f"{quote(_REPAINT['p_U10'], '.2f')} at U = 10).",
    "Naive replacement ignores the known part": "With U = 1 the sampled x₂ hardly feels x₁: its histogram "
    "keeps the prior's 50/50 split of the right-hand modes' share far more than the exact 20/80.",
    "RePaint with jumps (U = 10, j = 10)": "Jumps of 10 levels resample less often per evaluation: "
    "compare the error with j = 1 at a similar cost.",
    "Inpainting a moon": "Any data works: the exact conditional is always a 1D mixture.",
    "SDEdit: a square at t₀ = 0.3": "Each output stays near its own guide point but lands on the data.",
    "SDEdit: t₀ = 0.6 forgets the guide": "At t₀ = 0.6 on DDPM's chain "
    f"(α = {quote(C.sdedit_grid(0.6, 2).alpha[0], '.2f')}) the outputs are nearly fresh samples: realistic, but far "
    "from the guide.",
    "SDEdit: a shifted copy of the ring": "A copy of the data, shifted: SDEdit pulls it back onto the ring.",
}
SCENE_NOTE_DEFAULT = "Move x₁ or U to inpaint; move t₀ to edit the guide with SDEdit."


def _notes() -> str:
    return (
        r"""
**Inpainting.** The first coordinate $x_1$ is known; $x_2$ is sampled with DDPM's ancestral sampler on the exact
model. *Naive replacement* puts $x_1$, noised to the current level, in place of the first coordinate after every
step. *RePaint* (Lugmayr et al. 2022, Algorithm 1) redoes each step $U$ times, diffusing the merged state back to
the previous level in between ($x_t \sim \mathcal N(\sqrt{1-\beta_t}\,x_{t-1}, \beta_t I)$), so the generated
coordinate can adjust to the known one; with jump length $j$ it goes $j$ steps down and one diffusion $j$ levels
back up. The right answer is known: $p(x_2 \mid x_1)$ is a 1D mixture (black curve). The error is the mass
$P(x_2 > 0 \mid x_1)$ and the Wasserstein distance $W_1$ to the exact conditional in units of its noise floor
(the spread of $W_1$ over sets of exact draws of the same size; ≲ 2 is as good as exact). The green reference is
the same DDPM run on the exact 1D conditional model from the same noise: the sampler's own error, without any
inpainting error.

**SDEdit** (Meng et al. 2022): a guide of points that are not data is diffused to $t_0$,
$x(t_0) = \alpha(t_0)\,x_{guide} + \sigma(t_0)\,z$, and denoised from there (DDPM steps on $[0, t_0]$, exact
model; $t_0$ is the fraction of DDPM's 1000 steps). **Realism**: the share of outputs on the data, i.e. with
$\log p_0$ above the 5 % quantile of exact samples (exact sampling: """
        + quote(1 - C.EXACT_QUANTILE, ".2f")
        + r"""). **Faithfulness**: the mean distance of
each output to its own guide point (lower is more faithful). In the paper's Fig. 3 example (strokes on LSUN),
$t_0 \in [0.3, 0.6]$ gave outputs both realistic and faithful (shaded); the paper gives SDEdit for VE and VP
SDEs alike, and the mapping of $t_0$ to noise depends on the schedule.

"""
        + "\n\n".join(note(k) for k in ("repaint_harmonises", "sdedit_tradeoff", "sdedit_t0_range"))
    )


# ---------------------------------------------------------------------------- validation
def x1_range(spec: str) -> tuple[float, float]:
    """The x₁ slider's range: the data's horizontal extent (3 std), rounded out to 0.1."""
    lo, hi, _, _ = load_data(spec).bounds(3.0)
    return math.floor(lo * 10) / 10, math.ceil(hi * 10) / 10


def _inpaint_rules(values: dict) -> dict:
    """Inpainting's cross-control rules: j below the steps, and the work cap."""
    resamplings, jump, steps, particles = (values[n] for n in ("resamplings", "jump", "steps", "particles"))
    if jump >= steps:
        raise ValueError(f"Jump length j must be smaller than the number of steps ({steps}); got {jump}.")
    nfe = C.schedule_nfe(steps, resamplings, jump)
    if nfe * particles > MAX_WORK:
        raise ValueError(
            f"RePaint with U = {resamplings}, j = {jump} and {steps} steps makes {nfe:,} model evaluations; "
            f"× {particles:,} particles that exceeds this shared app's cap of {MAX_WORK:,}. "
            "Use fewer particles, steps or resamplings."
        )
    return values


def _sdedit_rules(values: dict) -> dict:
    """SDEdit's: typed guide points must read; t₀ as the slider means it (0.36000000000000004 is 0.36)."""
    if values["stroke"] == "typed":
        C.parse_points(values["points"])
    return {**values, "t0": round(values["t0"], 6)}


def _check(values: dict) -> dict:
    return _sdedit_rules(_inpaint_rules(values))


def _checked(names: list[str], given: dict, rules) -> dict:
    """The controls one half reads, each checked by its spec (in CONTROLS order), then that half's rules."""
    values = dict(given)
    for name in names:
        values[name] = SPEC.control(name).check(values[name], values)
    return rules(values)


def _validate_inpaint(preset, x1, resamplings, jump, steps, particles, seed):
    given = dict(zip(INPAINT_NAMES, (preset, x1, resamplings, jump, steps, particles, seed)))
    values = _checked(INPAINT_NAMES, given, _inpaint_rules)
    return tuple(values[n] for n in INPAINT_NAMES)


def _validate_sdedit(preset, stroke, points, t0, sd_steps, seed):
    """The SDEdit key: the points count only for the typed stroke (the others draw their own guide)."""
    values = _checked(
        SDEDIT_NAMES, dict(zip(SDEDIT_NAMES, (preset, stroke, points, t0, sd_steps, seed))), _sdedit_rules
    )
    if values["stroke"] != "typed":
        values["points"] = ""
    return tuple(values[n] for n in SDEDIT_NAMES)


# ---------------------------------------------------------------------------- inpainting
@lru_cache(maxsize=64)
def _floor(preset: str, x1: float, n: int) -> C.Floor1D:
    return C.w1_floor(load_data(preset).conditional_x2_given_x1(x1), n)


@lru_cache(maxsize=32)
def _run(preset, x1, resamplings, jump, steps, particles, seed_value) -> C.InpaintResult:
    """One inpainting run (U = 1: naive replacement), cached: moving another control only redraws."""
    mixture = load_data(preset)
    grid = C.ddpm_grid(steps)
    return C.repaint(
        mixture, x1, grid, particles, seed_value, resamplings, jump, n_paths=N_PATHS, check=check_superseded
    )


@lru_cache(maxsize=32)
def _reference(preset, x1, steps, particles, seed_value) -> C.InpaintResult:
    return C.reference_ddpm(load_data(preset), x1, C.ddpm_grid(steps), particles, seed_value, n_paths=N_PATHS)


@lru_cache(maxsize=32)
def u_curve(preset, x1, jump, steps, particles, seed_value) -> dict:
    """P(x₂ > 0) and W₁ in floor units for U in U_CURVE (those within the work cap)."""
    mix = load_data(preset).conditional_x2_given_x1(x1)
    floor = _floor(preset, x1, particles)
    rows = {}
    for u in U_CURVE:
        if u > 1 and jump >= steps:
            continue
        if C.schedule_nfe(steps, u, jump) * particles > MAX_WORK:
            continue
        rows[u] = C.inpaint_errors(_run(preset, x1, u, jump, steps, particles, seed_value).x2, mix, floor)
    return rows


def inpaint_results(preset, x1, resamplings, jump, steps, particles, seed_value) -> dict:
    mixture = load_data(preset)
    mix = mixture.conditional_x2_given_x1(x1)
    floor = _floor(preset, x1, particles)
    naive = _run(preset, x1, 1, 1, steps, particles, seed_value)
    rp = _run(preset, x1, resamplings, jump, steps, particles, seed_value)
    ref = _reference(preset, x1, steps, particles, seed_value)
    direct = C.exact_draws(mixture, x1, particles, seed_value)
    return dict(
        mix=mix,
        floor=floor,
        exact=C.mass_above(mix),
        runs={"naive": naive, "repaint": rp, "reference": ref},
        errors={
            "naive": C.inpaint_errors(naive.x2, mix, floor),
            "repaint": C.inpaint_errors(rp.x2, mix, floor),
            "reference": C.inpaint_errors(ref.x2, mix, floor),
            "direct": C.inpaint_errors(direct, mix, floor),
        },
        curve=u_curve(preset, x1, jump, steps, particles, seed_value),
    )


def _label(key: str, resamplings: int, jump: int) -> str:
    if key == "repaint":
        return f"RePaint U = {resamplings}" + (f", j = {jump}" if jump > 1 else "")
    return {"naive": "naive replacement", "reference": "reference: DDPM on exact p(x₂|x₁)"}[key]


def inpaint_figure(preset, x1, resamplings, jump, out: dict) -> go.Figure:
    """Left: the data with the known line x₁ and the inpainted points; right: histograms of x₂ over the exact
    conditional density, sharing the x₂ axis."""
    mixture = load_data(preset)
    box = plotting.plot_box(mixture)
    mix = out["mix"]
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, column_widths=[0.42, 0.58], horizontal_spacing=0.03)
    heat = plotting.density_trace(mixture, box, 100, name="data p₀")
    fig.add_trace(heat, row=1, col=1)
    fig.add_trace(
        go.Scatter(
            x=[x1, x1],
            y=[box[2], box[3]],
            mode="lines",
            line=dict(color="#111827", width=2, dash="dash"),
            name=f"known x₁ = {x1:g}",
        ),
        row=1,
        col=1,
    )
    rp = out["runs"]["repaint"].x2[:400]
    jitter = (np.random.default_rng(0).random(len(rp)) - 0.5) * 0.04 * (box[1] - box[0])
    fig.add_trace(
        go.Scattergl(
            x=(x1 + jitter).astype(np.float32),
            y=rp.astype(np.float32),
            mode="markers",
            marker=dict(color="rgba(37, 99, 235, 0.45)", size=4),
            name="RePaint samples (x₁, x₂)",
            showlegend=False,
            hoverinfo="skip",
        ),
        row=1,
        col=1,
    )
    ys = np.linspace(box[2], box[3], 400)
    dens = np.exp(mix.log_prob(ys))
    fig.add_trace(
        go.Scatter(
            x=dens.astype(np.float32),
            y=ys.astype(np.float32),
            mode="lines",
            line=dict(color=METHOD_COLORS["exact"], width=3),
            name="exact p(x₂ | x₁)",
        ),
        row=1,
        col=2,
    )
    edges = np.linspace(box[2], box[3], 61)
    centres = 0.5 * (edges[1:] + edges[:-1])
    for key in ("naive", "repaint", "reference"):
        counts, _ = np.histogram(out["runs"][key].x2, bins=edges)
        h = counts / (len(out["runs"][key].x2) * np.diff(edges))
        fig.add_trace(
            go.Scatter(
                x=h.astype(np.float32),
                y=centres.astype(np.float32),
                mode="lines",
                line=dict(color=METHOD_COLORS[key], width=2.2, shape="hvh", dash="dot" if key == "reference" else None),
                name=_label(key, resamplings, jump),
            ),
            row=1,
            col=2,
        )
    fig.add_hline(y=0, line=dict(color="#9ca3af", width=1), row=1, col=2)
    e = out["errors"]
    title = (
        f"P(x₂ > 0 | x₁ = {x1:g}): exact {out['exact']:.3f} · naive {e['naive']['p_pos']:.3f} · "
        f"{_label('repaint', resamplings, jump)}: {e['repaint']['p_pos']:.3f}"
    )
    plotting.base_layout(fig, title, height=580, square=False)
    fig.update_layout(legend=dict(y=-0.2))
    fig.update_xaxes(range=[box[0], box[1]], row=1, col=1, title_text="x₁", zeroline=False)
    fig.update_yaxes(range=[box[2], box[3]], row=1, col=1, title_text="x₂", zeroline=False)
    fig.update_xaxes(title_text="density of x₂", row=1, col=2, rangemode="tozero")
    return fig


def curve_figure(x1, resamplings, steps, particles, out: dict, preset: str) -> go.Figure:
    """P(x₂ > 0 | x₁) and W₁ in floor units against the resamplings U (U = 1 is naive)."""
    curve = out["curve"]
    us = sorted(curve)
    fig = make_subplots(rows=1, cols=2, subplot_titles=("P(x₂ > 0 | x₁)", "W₁, floor units"), horizontal_spacing=0.12)
    p = np.array([curve[u]["p_pos"] for u in us])
    err = np.array([curve[u]["p_err"] for u in us])
    fig.add_scatter(
        x=us,
        y=p,
        error_y=dict(type="data", array=2 * err, visible=True),
        mode="lines+markers",
        name="RePaint (ours), ±2 MC s.d.",
        line=dict(color=METHOD_COLORS["repaint"], width=2.5),
        row=1,
        col=1,
    )
    fig.add_hline(y=out["exact"], line=dict(color=METHOD_COLORS["exact"], dash="dash"), row=1, col=1)
    fig.add_scatter(
        x=[us[0], us[-1]],
        y=[out["exact"]] * 2,
        mode="lines",
        line=dict(color=METHOD_COLORS["exact"], dash="dash"),
        name=f"exact {out['exact']:.3f}",
        row=1,
        col=1,
    )
    if preset == "four_corners" and abs(x1 - 2.0) < 1e-9 and steps == 50:
        fig.add_scatter(
            x=list(EARLIER),
            y=list(EARLIER.values()),
            mode="markers",
            marker=dict(symbol="circle-open", size=12, color="#ea580c", line=dict(width=2)),
            name="team's earlier run (4,000 samples)",
            row=1,
            col=1,
        )
    w1 = np.array([curve[u]["w1_units"] for u in us])
    fig.add_scatter(
        x=us, y=w1, mode="lines+markers", showlegend=False, line=dict(color=METHOD_COLORS["repaint"], width=2.5),
        row=1, col=2,
    )  # fmt: skip
    ref = out["errors"]["reference"]["w1_units"]
    fig.add_hrect(y0=-2, y1=2, fillcolor="#16a34a", opacity=0.12, line_width=0, row=1, col=2)
    fig.add_scatter(
        x=[us[0], us[-1]],
        y=[ref, ref],
        mode="lines",
        line=dict(color=METHOD_COLORS["reference"], dash="dot"),
        name=f"reference DDPM {ref:+.1f}",
        row=1,
        col=2,
    )
    if resamplings in curve:
        for col, y in ((1, curve[resamplings]["p_pos"]), (2, curve[resamplings]["w1_units"])):
            fig.add_scatter(
                x=[resamplings],
                y=[y],
                mode="markers",
                showlegend=False,
                marker=dict(size=14, symbol="diamond", color=METHOD_COLORS["repaint"], line=dict(color="#111827")),
                row=1,
                col=col,
            )
    fig.update_xaxes(type="log", tickvals=list(U_CURVE))
    fig.update_xaxes(title_text="resamplings U (1 = naive)", row=1, col=1)
    fig.update_xaxes(title_text="U", row=1, col=2)
    plotting.base_layout(fig, f"Harmonisation over U · {particles:,} samples, {steps} steps", square=False)
    return plotting.legend_below(fig, 220)


def inpaint_text(resamplings, jump, out: dict) -> str:
    e, f = out["errors"], out["floor"]
    nfe = {k: r.nfe for k, r in out["runs"].items()}

    def row(name, key, nfe_value):
        name = name.replace("|", "\\|")  # a pipe would split the Markdown table's cell
        return (
            f"| {name} | {e[key]['p_pos']:.3f} ± {e[key]['p_err']:.3f} | "
            f"{e[key]['w1']:.3f} ({e[key]['w1_units']:+.1f}) | {nfe_value} |"
        )

    return "\n".join(
        [
            "| method | P(x₂ > 0 \\| x₁) | W₁ (floor units) | NFE |",
            "|---|---|---|---|",
            f"| **exact** p(x₂ \\| x₁) | **{out['exact']:.3f}** | 0 | — |",
            row("exact draws (the floor)", "direct", "—"),
            row(_label("naive", resamplings, jump), "naive", nfe["naive"]),
            row(_label("repaint", resamplings, jump), "repaint", nfe["repaint"]),
            row("reference: DDPM on the exact 1D conditional", "reference", nfe["reference"]),
            "",
            f"W₁ of exact draws of this size: {f.mean:.3f} ± {f.sd:.3f} (over {f.repeats} sets); |units| ≲ 2 is as "
            "good as exact sampling.",
        ]
    )


def inpaint_view(preset, x1, resamplings, jump, steps, particles, seed, progress=None):
    """(inpainting figure, U curve, numbers markdown) for one setting."""
    key = _validate_inpaint(preset, x1, resamplings, jump, steps, particles, seed)
    if progress is not None:
        progress(0.0, desc="Inpainting: naive, RePaint, the reference and the U curve")
    return _inpaint_outputs(*key)


@lru_cache(maxsize=64)
def _inpaint_outputs(preset, x1, resamplings, jump, steps, particles, seed_value):
    out = inpaint_results(preset, x1, resamplings, jump, steps, particles, seed_value)
    return (
        inpaint_figure(preset, x1, resamplings, jump, out),
        curve_figure(x1, resamplings, steps, particles, out, preset),
        inpaint_text(resamplings, jump, out),
    )


def inpaint_data(
    preset: str = "four_corners",
    x1: float = 2.0,
    resamplings: int = 5,
    jump: int = 1,
    steps: int = 50,
    particles: int = 2000,
    seed: int = 0,
) -> dict:
    """The numbers behind the inpainting view: the exact P(x₂ > 0 | x₁), each method's P with its Monte
    Carlo error, W₁ to the exact conditional (raw and in noise-floor units), NFE, the U curve, the sampled x₂."""
    key = _validate_inpaint(preset, x1, resamplings, jump, steps, particles, seed)
    out = inpaint_results(*key)
    return {
        "preset": key[0],
        "x1": key[1],
        "resamplings": key[2],
        "jump": key[3],
        "steps": key[4],
        "particles": key[5],
        "seed": key[6],
        "exact_p_positive": out["exact"],
        "w1_floor": {"mean": out["floor"].mean, "sd": out["floor"].sd, "repeats": out["floor"].repeats},
        "methods": {
            k: {**v, "nfe": out["runs"][k].nfe if k in out["runs"] else None} for k, v in out["errors"].items()
        },
        "u_curve": {str(u): v for u, v in out["curve"].items()},
        "x2": {k: r.x2.round(6).tolist() for k, r in out["runs"].items()},
    }


# ---------------------------------------------------------------------------- SDEdit
def _guide(preset, stroke, points, seed_value) -> np.ndarray:
    return C.guide_points(load_data(preset), stroke, SD_POINTS, seed_value, points)


T0_SLIDER = tuple(round(0.02 * k, 2) for k in range(1, 51))  # the t₀ slider's values: each one precomputed


@lru_cache(maxsize=1024)
def sd_run(preset, stroke, points, t0, sd_steps, seed_value):
    """One SDEdit run with its scores (cached: the curves fill this cache for every value of the t₀ slider)."""
    mixture = load_data(preset)
    guide = _guide(preset, stroke, points, seed_value)
    res = C.sdedit(mixture, guide, t0, sd_steps, seed_value, n_paths=SD_PATHS)
    scores = C.sdedit_scores(mixture, guide, res.outputs, C.realism_threshold(mixture, preset))
    return guide, res, scores


def mmd_units(preset: str, outputs: np.ndarray) -> float:
    """MMD² of the outputs to the data in noise-floor units (for the t₀ shown only: it is half a run's cost)."""
    floor = data_noise_floor(preset, "mmd2", len(outputs))
    return floor.in_units(mmd2(outputs, load_data(preset), data_bandwidth(preset)))


@lru_cache(maxsize=32)
def sd_curves(preset, stroke, points, sd_steps, seed_value) -> dict:
    """Realism and faithfulness at every value of the t₀ slider (T0_SLIDER), the same guide and seed: runs
    them all once (~1 s), so that moving t₀ afterwards only redraws."""
    rows = []
    for t0 in T0_SLIDER:
        check_superseded()
        rows.append(sd_run(preset, stroke, points, t0, sd_steps, seed_value)[2])
    out = {k: np.array([r[k] for r in rows]) for k in rows[0]}
    out["t0"] = np.array(T0_SLIDER)
    return out


def sdedit_figure(preset, stroke, t0, guide, res, scores) -> go.Figure:
    mixture = load_data(preset)
    box = plotting.plot_box(mixture)
    lo = np.minimum(guide.min(0), res.outputs.min(0))
    hi = np.maximum(guide.max(0), res.outputs.max(0))
    box = (min(box[0], lo[0] - 0.3), max(box[1], hi[0] + 0.3), min(box[2], lo[1] - 0.3), max(box[3], hi[1] + 0.3))
    fig = go.Figure(plotting.density_trace(mixture, box, name="data p₀"))
    fig.add_trace(plotting.paths_trace(res.path, name=f"{res.path.shape[1]} paths from x(t₀)", width=1.6))
    fig.add_trace(plotting.points_trace(guide, "guide", color="rgba(234, 88, 12, 0.8)", size=5, symbol="x-thin-open"))
    fig.add_trace(plotting.points_trace(res.outputs, "SDEdit outputs", size=4.5))
    title = (
        f"SDEdit · {stroke} guide · t₀ = {t0:g} (α = {res.grid.alpha[0]:.2f}, σ = {res.grid.sigma[0]:.2f}) · "
        f"realism {scores['realism']:.2f}"
    )
    fig.update_traces(marker=dict(line=dict(width=1.2, color="rgba(234, 88, 12, 0.8)")), selector=dict(name="guide"))
    return plotting.set_box(plotting.base_layout(fig, title, height=560), box)


def sd_curve_figure(curves: dict, t0: float, scores: dict) -> go.Figure:
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_scatter(
        x=curves["t0"],
        y=curves["realism"],
        name="realism: share on the data ↑",
        mode="lines+markers",
        line=dict(color=plotting.PALETTE[0], width=3),
    )
    fig.add_scatter(
        x=[0, 1],
        y=[C.REALISM_EXACT] * 2,
        mode="lines",
        name="exact sampling (0.95)",
        line=dict(color=plotting.PALETTE[0], dash="dot", width=1.5),
    )
    fig.add_scatter(
        x=curves["t0"],
        y=curves["distance"],
        name="distance to own guide ↓ (faithful)",
        mode="lines+markers",
        line=dict(color=plotting.PALETTE[1], width=3),
        secondary_y=True,
    )
    fig.add_vrect(
        x0=PAPER_T0[0], x1=PAPER_T0[1], fillcolor="#ca8a04", opacity=0.15, line_width=0, layer="below",
        annotation_text="paper's t₀ range", annotation_position="bottom right",
    )  # fmt: skip
    fig.add_vline(x=t0, line=dict(color="#111827", width=2))
    fig.add_scatter(
        x=[t0], y=[scores["realism"]], mode="markers", showlegend=False,
        marker=dict(size=13, symbol="diamond", color=plotting.PALETTE[0], line=dict(color="#111827")),
    )  # fmt: skip
    fig.add_scatter(
        x=[t0], y=[scores["distance"]], mode="markers", showlegend=False, secondary_y=True,
        marker=dict(size=13, symbol="diamond", color=plotting.PALETTE[1], line=dict(color="#111827")),
    )  # fmt: skip
    plotting.base_layout(fig, f"Realism vs faithfulness over t₀ (line: t₀ = {t0:g})", square=False)
    fig.update_xaxes(title_text="t₀ (fraction of DDPM's 1000 steps)", range=[0, 1.02])
    fig.update_yaxes(title_text="realism", range=[0, 1.02], secondary_y=False)
    fig.update_yaxes(title_text="mean distance", rangemode="tozero", secondary_y=True, showgrid=False)
    return plotting.legend_below(fig, 260)


def sdedit_text(t0, scores, curves) -> str:
    t_real = C.first_realistic(curves, 0.9)
    d1 = curves["distance"][-1]
    memory = 1 - scores["distance"] / d1 if d1 > 0 else 0.0
    real = f"t₀ ≥ {t_real:g}" if math.isfinite(t_real) else "no t₀ on the curve"
    return (
        f"At t₀ = {t0:g}: **realism {scores['realism']:.2f}** (exact sampling 0.95; MMD² to the data "
        f"{scores['mmd_units']:+.1f} floor units), **mean distance to the guide {scores['distance']:.2f}** "
        f"({memory:.0%} closer than fresh samples at t₀ = 1, {d1:.2f}). Realism reaches 0.9 for {real}; "
        f"the paper's range (its Fig. 3 example) is t₀ ∈ [{PAPER_T0[0]:g}, {PAPER_T0[1]:g}]."
    )


def sdedit_view(preset, stroke, points, t0, sd_steps, seed, progress=None):
    """(SDEdit figure, realism/faithfulness curves, numbers markdown)."""
    key = _validate_sdedit(preset, stroke, points, t0, sd_steps, seed)
    if progress is not None:
        progress(0.0, desc="SDEdit: every t₀ of the slider, once")
    return _sdedit_outputs(*key)


@lru_cache(maxsize=64)
def _sdedit_outputs(preset, stroke, points, t0, sd_steps, seed_value):
    curves = sd_curves(preset, stroke, points, sd_steps, seed_value)
    guide, res, scores = sd_run(preset, stroke, points, t0, sd_steps, seed_value)
    scores = {**scores, "mmd_units": mmd_units(preset, res.outputs)}
    return (
        sdedit_figure(preset, stroke, t0, guide, res, scores),
        sd_curve_figure(curves, t0, scores),
        sdedit_text(t0, scores, curves),
    )


def sdedit_data(
    preset: str = "four_corners",
    stroke: str = "square",
    points: str = "",
    t0: float = 0.3,
    sd_steps: int = 50,
    seed: int = 0,
) -> dict:
    """The numbers behind the SDEdit view: realism, faithfulness and MMD² at t₀, the curves over t₀, the
    guide points and the outputs."""
    key = _validate_sdedit(preset, stroke, points, t0, sd_steps, seed)
    guide, res, scores = sd_run(*key)
    scores = {**scores, "mmd_units": mmd_units(key[0], res.outputs)}
    curves = sd_curves(key[0], key[1], key[2], key[4], key[5])
    return {
        "preset": key[0],
        "stroke": key[1],
        "t0": key[3],
        "sd_steps": key[4],
        "seed": key[5],
        "alpha_t0": float(res.grid.alpha[0]),
        "sigma_t0": float(res.grid.sigma[0]),
        "realism": scores["realism"],
        "mean_log_p0": scores["mean_logp"],
        "mean_distance_to_guide": scores["distance"],
        "mmd2_floor_units": scores["mmd_units"],
        "curves": {k: np.asarray(v).tolist() for k, v in curves.items()},
        "guide": guide.round(6).tolist(),
        "outputs": res.outputs.round(6).tolist(),
    }


# ---------------------------------------------------------------------------- the tab
SPEC = kit.Tab(
    id=TAB_ID,
    title=TITLE,
    controls=CONTROLS,
    views=[
        kit.View(
            inpaint_view,
            ("main", "curve", "text"),
            api_name="inpaint",
            inputs=tuple(INPAINT_NAMES),
            triggers=("x1", "resamplings", "jump", "steps", "particles", "seed"),
        ),
        # the typed points redraw on Enter (build), not on every key
        kit.View(
            sdedit_view,
            ("sd_main", "sd_curve", "sd_text"),
            api_name="sdedit",
            inputs=tuple(SDEDIT_NAMES),
            triggers=("t0", "sd_steps", "stroke", "seed"),
        ),
    ],
    scenes=SCENES,
    scene_notes=SCENE_NOTES,
    default_note=SCENE_NOTE_DEFAULT,
    check=_check,
)


def layout(ui: kit.UI) -> None:
    import gradio as gr

    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            ui.scene_picker()
            ui.control("preset")
            gr.Markdown("**Inpainting**")
            for name in ("resamplings", "jump", "steps", "particles"):
                ui.control(name)
            gr.Markdown("**SDEdit**")
            ui.control("stroke")
            ui.control("points", visible=False, max_lines=3)
            ui.control("sd_steps")
            ui.control("seed")
            ui.link_row()
        with gr.Column(scale=3, min_width=320, elem_classes=["main-col"]):
            ui.note()
            ui.control("x1", elem_classes=["rr-step"])
            ui.plot("main")
            ui.output("text", gr.Markdown())
            ui.plot("curve")
            ui.control("t0")
            with gr.Row():
                ui.plot("sd_main", min_width=300)
                ui.plot("sd_curve", min_width=300)
            ui.output("sd_text", gr.Markdown())
    gr.Markdown(_notes(), latex_delimiters=[{"left": "$", "right": "$", "display": False}])
    gr.api(user_facing(inpaint_data), api_name="inpaint_data")
    gr.api(user_facing(sdedit_data), api_name="sdedit_data")


def build() -> kit.UI:
    """The tab from its spec, plus what only it has: the typed points (shown for the typed stroke, drawn on
    Enter) and an x₁ range for API calls as wide as any data needs."""
    import gradio as gr

    ui = kit.build(SPEC, layout)
    stroke, points = ui.controls["stroke"], ui.controls["points"]
    sdedit = SPEC.views[1]
    points.submit(
        user_facing(kit._view_runner(sdedit, SDEDIT_NAMES)),
        ui.inputs(SDEDIT_NAMES),
        [ui.outputs[n] for n in sdedit.outputs],
        trigger_mode="always_last",
        api_visibility="private",
    )
    # `change`, not `input`: a scene, Reset or a link that sets the stroke shows or hides the box too
    stroke.change(lambda s: gr.Textbox(visible=s == "typed"), stroke, points, api_visibility="private")
    # an API call is judged by our own check against its data's range, not by the first data's (the page's
    # loads narrow the slider to the data shown)
    ui.controls["x1"].minimum, ui.controls["x1"].maximum = -X1_LIMIT, X1_LIMIT
    return ui
