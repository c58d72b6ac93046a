"""Tab "Score & Langevin": NCSN (Song & Ermon 2019) and NCSNv2 (Song & Ermon 2020) on exact scores.

The score field ∇log p_σ of the VE-noised data at a chosen σ; plain Langevin on the data score against
annealed Langevin (NCSN Algorithm 1) from the same particles, level by level, with the mass each puts in
each mode; NCSNv2's Techniques 1, 2 and 4 as controls, each with its rule computed for the data shown.
The math is in core/ncsn.py; this module only validates, caches and draws.
"""

from __future__ import annotations

import base64
import json
import math
import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import plotly.graph_objects as go

from core import ncsn
from core.claims import quote, shipped
from core.dataspec import data_bandwidth, load_data
from core.metrics import data_noise_floor, mmd2
from demos import kit, plotting
from demos.inputs import MAX_PARTICLES, MAX_STEPS, MAX_WORK, check_superseded, number

TAB_ID = "langevin"
TAB_LABEL = "Score & Langevin"
MAX_LEVELS = 100
MAX_TOTAL_STEPS = 5000  # L × T per method: each step is one Python-level score call, whatever the particles
SIGMA1_RANGE = (0.05, 300.0)  # a user mixture's means may lie ±50 apart, stds up to 20
GAMMA_RANGE = (1.0, 1000.0)
LOG_SIGMA_RANGE = (-2.0, 2.0)
MIN_SIGMA_L = 1e-4
N_PATHS = 12  # paths drawn (a readable subset)
PATHS = ("hide", "level", "all")  # no paths; the steps of the level shown only; the whole run so far
PATH_CHOICES = [("hide", "hide"), ("this level's steps", "level"), ("whole run", "all")]
INIT_CHOICES = [("uniform box (NCSN Fig. 3)", "box"), ("N(0, σ₁² I)", "prior")]
WEIGHTS_MATTER = 0.99  # the score "depends on the weights" where no component has responsibility ≥ this
FIELD_SAMPLES = 4000
PLAIN_COLOR, ANNEALED_COLOR, TRUE_COLOR = plotting.PALETTE[1], plotting.PALETTE[0], "#111827"
PLAIN_PATH, ANNEALED_PATH = "rgba(127, 29, 29, 0.45)", "rgba(30, 58, 138, 0.45)"
FLOOR_COLOR = "rgba(107, 114, 128, 0.18)"


@dataclass(frozen=True)
class LevelControl(kit.Control):
    """The level shown: a whole number up to MAX_LEVELS, or None for the last level; shown at most L (the
    slider's range is the run's levels: the tab's views set it)."""

    def check(self, value, values=None):
        return None if value is None else number(value, self.lo, self.hi, "Level shown", integer=True)

    def parse(self, text: str):
        return None if str(text).strip().lower() in ("", "none", "null") else super().parse(text)

    def component(self, gr, value=None, **kwargs):
        levels = 10
        return gr.Slider(0, levels, value=levels, step=1, label=self.label, **kwargs)

    def strategy(self, valid_only: bool = False):
        from hypothesis import strategies as st

        return st.one_of(st.none(), super().strategy(valid_only))


CONTROLS = [
    kit.Control("preset", "data", "ncsn_fig3", label="Data"),
    kit.Control(
        "init",
        "choice",
        "box",
        label="Initial particles",
        choices=tuple(INIT_CHOICES),
        widget="radio",
        noun="initialisation",
    ),  # fmt: skip
    kit.Control(
        "sigma1",
        "float",
        20.0,
        label="σ₁ (largest noise level)",
        lo=SIGMA1_RANGE[0],
        hi=SIGMA1_RANGE[1],
        step=0.01,
        noun="σ₁",
    ),  # fmt: skip
    kit.Control("levels", "int", 10, label="Levels L", lo=1, hi=MAX_LEVELS, step=1, noun="Levels L"),
    kit.Control(
        "gamma",
        "float",
        2.33,
        label="Ratio γ = σ(i−1)/σ(i)",
        lo=GAMMA_RANGE[0],
        hi=GAMMA_RANGE[1],
        widget="number",
        noun="Ratio γ",
    ),  # fmt: skip
    kit.Control("steps", "int", 100, label="Steps per level T", lo=1, hi=MAX_STEPS, step=1, noun="Steps per level T"),
    kit.Control("eps", "float", 2e-5, label="ε (α_i = ε σ_i²/σ_L²)", lo=1e-12, hi=10.0, widget="number", noun="ε"),
    kit.Control(
        "plain_step",
        "float",
        0.1,
        label="Plain Langevin step α",
        lo=1e-8,
        hi=10.0,
        widget="number",
        noun="Plain Langevin step",
    ),  # fmt: skip
    kit.Control("particles", "int", 1000, label="Particles", lo=10, hi=MAX_PARTICLES, step=10, noun="Particles"),
    kit.Control("seed", "seed", 0, label="Seed"),
    kit.Control(
        "log_sigma",
        "float",
        0.0,
        label="log₁₀ σ of the score field",
        lo=LOG_SIGMA_RANGE[0],
        hi=LOG_SIGMA_RANGE[1],
        step=0.05,
        noun="log₁₀ σ of the score field",
    ),  # fmt: skip
    LevelControl("frame", "int", None, label="Level shown", lo=0, hi=MAX_LEVELS, step=1),  # None: the last level
    kit.Control(
        "paths", "choice", "level", label="Paths", choices=tuple(PATH_CHOICES), widget="radio", noun="paths option"
    ),  # fmt: skip
]
NAMES = [c.name for c in CONTROLS]
RUN_NAMES = NAMES[:10]  # the controls that define a run (the others only redraw)


def _check(name: str, value):
    """One control's own check (its spec's range, the same as its component's)."""
    return CONTROLS[NAMES.index(name)].check(value)


SCENES = {
    "NCSN Fig. 3: plain vs annealed Langevin": dict(),
    "σ₁ far below the rule (Technique 1)": dict(sigma1=2.1, gamma=1.81),
    "Start from N(0, σ₁² I)": dict(init="prior"),
    "Three levels, γ = 46 (Technique 2)": dict(sigma1=21.0, levels=3, gamma=45.9, steps=333),
    "Five steps per level, ε from Technique 4": dict(steps=5, eps=7.0e-5),
    "Four corners: unequal weights 0.1 / 0.4": dict(preset="four_corners", sigma1=7.84, gamma=2.1, plain_step=0.009),
    "Ring of 8: plain follows the box": dict(preset="ring8", sigma1=4.99, gamma=1.99, plain_step=0.00225),
}


def _claim_notes() -> str:
    """The shipped results of the claims this tab shows (core/claims), one line each."""
    from core.claims import all_claims, note

    keys = ["ncsn_fig3_annealing", "ncsnv2_sigma1_rule", "ncsnv2_gamma_rule", "ncsnv2_eps_rule"]
    return "\n".join(f"- {note(k)}" for k in keys if k in all_claims())


NOTES_HEAD = (
    r"""
**What to notice.** *The score field.* NCSN (Song & Ermon 2019) learns $\nabla_x \log p_\sigma(x)$ of the data
blurred by $\mathcal N(0,\sigma^2 I)$; here it is exact, the VE-noised data
$p_\sigma = \sum_k \pi_k\,\mathcal N(\mu_k, \Sigma_k + \sigma^2 I)$. NCSN Sec. 3.2.2's argument: if
$p = \pi p_1 + (1-\pi) p_2$ with (nearly) disjoint supports,
then on each support $\nabla\log p = \nabla\log p_k$, **which does not contain $\pi$**. Orange arrows mark where the
weights do enter the score (no component has 99 % responsibility): at small σ only a thin band between the modes,
which Langevin particles almost never visit; at large σ the whole plane. Noise mixes the modes.

*Langevin dynamics* (NCSN eq. 4): $x \leftarrow x + \tfrac{\alpha}{2}\nabla\log p(x) + \sqrt{\alpha}\,z$ with
$z\sim\mathcal N(0,I)$ samples $p$ as $\alpha\to0$ and the number of steps grows, but between well-separated modes it
needs exponentially many steps to move mass, so plain Langevin keeps the mode shares of its starting points (Fig. 3:
½ / ½ instead of 0.2 / 0.8). *Annealed Langevin* (NCSN Algorithm 1) runs $T$ steps at each of $L$ levels
$\sigma_1>\dots>\sigma_L$ with $\alpha_i = \varepsilon\,\sigma_i^2/\sigma_L^2$: at $\sigma_1$ the modes overlap and
the mass settles in proportion to $\pi$; the following levels carry it down. Both runs here start from the same
particles and spend the same $L\cdot T$ score evaluations; the bars show each mode's share after every level.

*NCSNv2* (Song & Ermon 2020) turned the schedule into rules. **Technique 1**: $\sigma_1$ ≈ the largest pairwise
distance between training points (here: of 10,000 exact samples; the closed-form "means + 3 sd" is shown beside
it). **Technique 2**: geometric levels with
$\Phi(\sqrt{2D}(\gamma-1)+3\gamma)-\Phi(\sqrt{2D}(\gamma-1)-3\gamma)\approx 0.5$; its derivation approximates
$\lVert x\rVert$ in high dimension, and in $D = 2$ the left side is ≥ """
    + quote(shipped()["ncsnv2_gamma_rule"]["values"]["min_overlap_D2"], ".3f")
    + r""" for every γ, so the rule
picks nothing here. **Technique 4**: choose $T$ as large as the budget allows, then the $\varepsilon$ that brings
eq. (4), the variance ratio after $T$ steps, closest to 1:
$s_T^2/\sigma_i^2 = a^{2T}(\gamma^2 - c) + c$ with $a = 1 - \varepsilon/(2\sigma_L^2)$ and
$c = (\varepsilon/\sigma_L^2)/(1-a^2)$ (NCSN's step convention; NCSNv2 writes $x + \alpha s + \sqrt{2\alpha}z$, whose
ε is half of ours). Eq. (4) models the data as a single point. Errors are against the exact mixture: mode TV
$= \tfrac12\sum_k|\text{share}_k-\pi_k|$ (particles assigned to their likeliest component) and MMD² in noise-floor
units (|value| ≲ 2: as good as exact sampling).

**Measured here** (shipped results of `python -m core.claims`):
"""
)


def notes() -> str:
    return NOTES_HEAD + _claim_notes()


NOTES = notes()


# ---------------------------------------------------------------------------- validation
def _validate_run(preset, init, sigma1, levels, gamma, steps, eps, plain_step, particles, seed_value):
    """A run's key: each control checked by its spec, then the tab's cross-control rules (work caps, σ_L,
    Langevin's stability limits)."""
    given = dict(zip(RUN_NAMES, (preset, init, sigma1, levels, gamma, steps, eps, plain_step, particles, seed_value)))
    preset, init, sigma1, levels, gamma, steps, eps, plain_step, particles, seed_value = (
        _check(n, v) for n, v in given.items()
    )
    if levels * steps > MAX_TOTAL_STEPS:
        raise ValueError(
            f"L × T = {levels} × {steps} = {levels * steps:,} steps per method; this shared app allows "
            f"{MAX_TOTAL_STEPS:,}. Use fewer levels or fewer steps per level."
        )
    work = 2 * levels * steps * particles
    if work > MAX_WORK:
        raise ValueError(
            f"2 methods × L {levels} × T {steps} × {particles:,} particles = {work:,} particle-evaluations, over "
            f"this shared app's cap of {MAX_WORK:,} per request. Use fewer levels, steps or particles."
        )
    sigma_l = sigma1 / gamma ** (levels - 1)
    if sigma_l < MIN_SIGMA_L:
        raise ValueError(f"σ_L = σ₁/γ^(L−1) = {sigma_l:.2g} is below {MIN_SIGMA_L:g}: use a smaller γ or fewer levels.")
    mixture = load_data(preset)
    lam = float(np.linalg.eigvalsh(mixture.covs).min())  # the sharpest component's smallest variance
    sigmas = ncsn.geometric_sigmas(sigma1, gamma, levels)
    limit = 4 * (sigmas**2 + lam)  # x ← x + (α/2)(−x/v) + …: stable iff α < 4v
    alphas = ncsn.step_sizes(sigmas, eps)
    if np.any(alphas >= limit):
        i = int(np.argmax(alphas / limit))
        safe = eps * float((limit / alphas).min())
        raise ValueError(
            f"ε = {eps:.3g} is too large for this schedule: at level {i + 1} (σ = {sigmas[i]:.3g}) the step "
            f"α = {alphas[i]:.3g} exceeds Langevin's stability limit {limit[i]:.3g}. Use ε below {safe:.2g}, "
            "or press “ε ← Technique 4”."
        )
    if plain_step >= 4 * lam:
        raise ValueError(
            f"The plain Langevin step {plain_step:.3g} is too large for this data (stability limit "
            f"{4 * lam:.3g}, four times the smallest component variance); try {0.1 * lam:.2g}."
        )
    return preset, init, sigma1, levels, gamma, steps, eps, plain_step, particles, seed_value


def _validate_view(log_sigma, frame, paths, levels):
    log_sigma, frame, paths = _check("log_sigma", log_sigma), _check("frame", frame), _check("paths", paths)
    return log_sigma, levels if frame is None else min(frame, levels), paths


# ---------------------------------------------------------------------------- rules (cached per data spec)
@lru_cache(maxsize=64)
def sigma1_rules(preset: str) -> tuple[float, float]:
    """(Technique 1 from 10,000 exact samples, closed-form means + 3 sd) for a canonical data spec."""
    mixture = load_data(preset)
    return ncsn.sigma1_rule(mixture), ncsn.sigma1_from_means(mixture)


def plain_step_for(preset: str) -> float:
    """NCSN Fig. 3's plain step 0.1 on unit-variance modes, scaled to the data's sharpest component."""
    lam = float(np.linalg.eigvalsh(load_data(preset).covs).min())
    return float(f"{0.1 * lam:.2g}")


def gamma_keeping(sigma1: float, sigma_l: float, levels: int) -> float:
    """The γ (2 decimals, at least 1) that keeps σ_L when σ₁ or L changes."""
    if levels < 2:
        return 1.0
    return min(max(1.0, round(ncsn.gamma_for(sigma1, sigma_l, levels), 2)), GAMMA_RANGE[1])


def sigma_l_of(sigma1: float, gamma: float, levels: int) -> float:
    return float(sigma1 / gamma ** (levels - 1))


# ---------------------------------------------------------------------------- the run (cached)
CACHE_SIZE = 6
_CACHE: dict[tuple, dict] = {}


def clear_cache() -> None:
    _CACHE.clear()


def run(key: tuple, progress=None) -> dict:
    """The run for a validated key (see `_validate_run`), cached; computed with progress on a miss."""
    if key in _CACHE:
        return _CACHE[key]
    out = _compute(*key, progress)
    _CACHE[key] = out
    while len(_CACHE) > CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    return out


def _compute(preset, init, sigma1, levels, gamma, steps, eps, plain_step, particles, seed_value, progress):
    mixture = load_data(preset)
    sigmas = ncsn.geometric_sigmas(sigma1, gamma, levels)
    start = time.perf_counter()

    def tick(frac):
        check_superseded()
        if progress is not None:
            progress(frac, desc=f"Langevin: {frac:.0%} of {2 * levels * steps:,} steps")

    n_paths = N_PATHS
    comp = ncsn.compare(mixture, sigmas, eps, steps, plain_step, particles, seed_value, init, n_paths, tick)
    seconds = time.perf_counter() - start
    h = data_bandwidth(preset)
    floor = data_noise_floor(preset, "mmd2", particles)
    tv_floor = data_noise_floor(preset, "mode_tv", particles)
    w = mixture.weights
    out = dict(comparison=comp, sigmas=sigmas, seconds=seconds, floor=floor, tv_floor=tv_floor)
    for name, shares, rec in (
        ("plain", comp.plain_shares, comp.plain),
        ("annealed", comp.annealed_shares, comp.annealed),
    ):
        value = mmd2(rec.frames[-1], mixture, h)
        out[name] = dict(
            tv_levels=[ncsn.tv(s, w) for s in shares],
            tv=ncsn.tv(shares[-1], w),
            mmd2=value,
            mmd2_units=floor.in_units(value),
        )
    return out


# ---------------------------------------------------------------------------- figures
class PlotJSON:
    """A figure held as plotly's JSON dict. gr.Plot's postprocess only calls `to_json()` on it, so the hot
    paths (level slider, Play, σ slider) skip plotly's object validation: building a layout with
    `plotting.base_layout` costs tens of ms here (plotly validates every property it sets), so each kind of layout is
    built once per data set and reused, with the same look as every other tab. Arrays travel as plotly's
    typed arrays (base64 `bdata`, what `go.Figure.to_json` writes too)."""

    def __init__(self, fig: dict):
        self.fig = fig

    def to_dict(self) -> dict:
        return self.fig

    def to_json(self) -> str:
        return json.dumps(self.fig, separators=(",", ":"), default=_encode, allow_nan=False)

    @property
    def title(self) -> str:
        return self.fig["layout"]["title"]["text"]


def _encode(obj):
    """numpy → plotly's typed-array JSON ({"dtype", "bdata"[, "shape"]}); numpy scalars → Python numbers."""
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in "fiu":
            return obj.tolist()
        arr = np.ascontiguousarray(obj, dtype=obj.dtype.newbyteorder("<"))
        out = {"dtype": arr.dtype.str[1:], "bdata": base64.b64encode(arr.tobytes()).decode("ascii")}
        if arr.ndim > 1:
            out["shape"] = ", ".join(map(str, arr.shape))
        return out
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"cannot encode {type(obj).__name__}")


def _trace(trace) -> dict:
    return trace if isinstance(trace, dict) else trace.to_plotly_json()


HEIGHTS = {"field": 520, "particles": 480}
PLOT_PX = {"shares": 170, "levels": 170}  # the bar and line panels' plot areas; their 3-entry legends go below


@lru_cache(maxsize=128)
def _layout(kind: str, preset: str, n_lines: int) -> tuple[dict, dict | None]:
    """(layout, config) of one kind of figure for one data set, its title `n_lines` lines high."""
    fig = go.Figure()
    title = "<br>".join(["title"] * n_lines)
    if kind in ("field", "particles"):
        plotting.base_layout(fig, title, height=HEIGHTS[kind])
        plotting.set_box(fig, view_box(preset))
    else:
        plotting.base_layout(fig, title, square=False)
        plotting.legend_below(fig, PLOT_PX[kind], entries=3)
        if kind == "shares":
            fig.update_layout(
                barmode="group",
                xaxis=dict(title="mode", type="category"),
                yaxis=dict(title="share of particles", rangemode="tozero"),
            )
        else:
            fig.update_layout(
                xaxis=dict(title="level (0 = start)"),
                yaxis=dict(title="TV to the true weights", rangemode="tozero"),
            )
    d = json.loads(fig.to_json())
    return d["layout"], d.get("config")


def figure(kind: str, preset: str, title: str, traces: list, **layout) -> PlotJSON:
    """The traces under the cached layout of `kind`, with this title (wrapped as base_layout does)."""
    wrapped = plotting.wrap_title(title)
    base, config = _layout(kind, preset, wrapped.count("<br>") + 1)
    lay = dict(base, title=dict(base["title"], text=wrapped))
    for key, value in layout.items():
        lay[key] = dict(lay.get(key, {}), **value) if isinstance(value, dict) else value
    out = {"data": [_trace(t) for t in traces], "layout": lay}
    if config is not None:
        out["config"] = config
    return PlotJSON(out)


def _arrow_segments(points: np.ndarray, vectors: np.ndarray, length: float, max_norm: float) -> np.ndarray:
    """Arrows with a two-barb head as one polyline with NaN breaks (needs equal axis units). Length
    ∝ log(1 + |v|), `length` for |v| = max_norm (so several traces share one scale); the head is a third
    of the arrow, at least 0.12·length, so that short arrows still show their direction."""
    norm = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.maximum(norm, 1e-12)
    scaled = unit * np.log1p(norm) / max(math.log1p(max_norm), 1e-12) * length
    tips = points + scaled
    size = np.maximum(0.35 * np.linalg.norm(scaled, axis=1, keepdims=True), 0.12 * length)
    c, s = math.cos(math.radians(27)), math.sin(math.radians(27))
    bx, by = -unit[:, :1], -unit[:, 1:]
    left = tips + size * np.hstack([c * bx - s * by, s * bx + c * by])
    right = tips + size * np.hstack([c * bx + s * by, -s * bx + c * by])
    segs = np.full((len(points) * 6, 2), np.nan)
    segs[0::6], segs[1::6], segs[2::6], segs[3::6], segs[4::6] = points, tips, left, tips, right
    flat = norm[:, 0] == 0  # no direction: no head
    segs[2::6][flat] = np.nan
    segs[4::6][flat] = np.nan
    return segs


def _arrows(points, vectors, length, name, color, max_norm) -> dict:
    segs = _arrow_segments(points, vectors, length, max_norm).astype(np.float32)
    return dict(
        type="scatter",
        x=segs[:, 0],
        y=segs[:, 1],
        mode="lines",
        line=dict(color=color, width=1.6),
        name=name,
        hoverinfo="skip",
        connectgaps=False,
    )


def view_box(preset: str) -> tuple[float, float, float, float]:
    """The plots' fixed view: the data's box, grown to hold the uniform starting box."""
    mixture = load_data(preset)
    box = plotting.plot_box(mixture)
    lo, hi = ncsn.init_box(mixture)
    pad = 0.05 * (hi - lo)
    return min(box[0], lo - pad), max(box[1], hi + pad), min(box[2], lo - pad), max(box[3], hi + pad)


@lru_cache(maxsize=64)
def _density(preset: str, sigma: float) -> dict:
    """The exact p_σ (p₀ for σ = 0) as a heatmap trace dict, cached."""
    mixture = load_data(preset)
    dens = mixture.diffused(1.0, sigma) if sigma > 0 else mixture
    return plotting.density_trace(dens, view_box(preset), n=110).to_plotly_json()


def _named(trace: dict, name: str) -> dict:
    return dict(trace, name=name)


@lru_cache(maxsize=64)
def weights_mass(preset: str, sigma: float) -> float:
    """Share of p_σ's mass where the score depends on the weights (no component ≥ 99 % responsible)."""
    p = load_data(preset).diffused(1.0, sigma)
    x = p.sample(FIELD_SAMPLES, np.random.default_rng(7))
    return float((p.responsibilities(x).max(1) < WEIGHTS_MATTER).mean())


def _percent(share: float) -> str:
    return f"{share:.0%}" if share >= 0.1 or share == 0 else f"{share:.1%}"


def field_figure(preset: str, log_sigma: float) -> PlotJSON:
    """∇log p_σ as arrows over the exact p_σ: orange where the mode weights enter the score."""
    sigma = 10.0**log_sigma
    p = load_data(preset).diffused(1.0, sigma)
    box = view_box(preset)
    pts = plotting.field_points(box, 20)
    score = p.score(pts)
    mixed = p.responsibilities(pts).max(1) < WEIGHTS_MATTER
    length = 0.9 * (box[1] - box[0]) / 20
    top = float(np.linalg.norm(score, axis=1).max())
    one, both = "score of one component (weights absent)", "score depends on the weights π"
    traces = [
        _named(_density(preset, sigma), f"exact p_σ, σ = {sigma:.3g}"),
        _arrows(pts[~mixed], score[~mixed], length, one, "#0f766e", top),
        _arrows(pts[mixed], score[mixed], length, both, "#ea580c", top),
    ]
    share = weights_mass(preset, sigma)
    title = f"Score ∇log p_σ at σ = {sigma:.3g} · the weights enter on {_percent(share)} of p_σ's mass"
    return figure("field", preset, title, traces)


def _frame_title(out, method: str, frame: int, steps: int) -> str:
    L = len(out["sigmas"])
    if method == "plain":
        return f"Plain Langevin · step {frame * steps:,}/{L * steps:,}"
    if frame == 0:
        return f"Annealed Langevin · start (level 1 is σ = {out['sigmas'][0]:.3g})"
    return f"Annealed Langevin · after level {frame}/{L} (σ = {out['sigmas'][frame - 1]:.3g})"


def particles_figure(out: dict, preset: str, method: str, frame: int, steps: int, paths: str) -> PlotJSON:
    """One method's particles after `frame` levels over the density it targets there, with paths."""
    comp = out["comparison"]
    rec = comp.plain if method == "plain" else comp.annealed
    sigma = 0.0 if method == "plain" else float(out["sigmas"][max(frame - 1, 0)])
    traces = [_named(_density(preset, sigma), "exact p₀" if sigma == 0 else f"exact p_σ, σ = {sigma:.3g}")]
    if paths != "hide" and frame > 0:
        first = 0 if paths == "all" else (frame - 1) * steps
        lo = int(np.searchsorted(rec.path_steps, first, side="left"))
        hi = int(np.searchsorted(rec.path_steps, frame * steps, side="right"))
        if paths == "all":
            what = "whole run"
        elif method == "plain":
            what = f"steps {first:,}–{frame * steps:,}"
        else:
            what = f"level {frame}'s {steps:,} steps"
        path_color = PLAIN_PATH if method == "plain" else ANNEALED_PATH
        traces.append(
            plotting.paths_trace(
                rec.paths[lo:hi], name=f"{rec.paths.shape[1]} paths, {what}", color=path_color, width=1.2
            )
        )
    color = PLAIN_COLOR if method == "plain" else ANNEALED_COLOR
    traces.append(plotting.points_trace(rec.frames[frame], f"{rec.frames.shape[1]:,} particles", color=color, size=3.5))
    return figure("particles", preset, _frame_title(out, method, frame, steps), traces)


def shares_figure(out: dict, preset: str, frame: int) -> PlotJSON:
    """Mass per mode after the chosen level, both methods, against the true weights."""
    comp = out["comparison"]
    w = load_data(preset).weights
    labels = [str(k + 1) for k in range(len(w))]
    marker = dict(
        symbol="line-ew-open", size=28 if len(w) <= 8 else 10, color=TRUE_COLOR, line=dict(width=3, color=TRUE_COLOR)
    )
    traces = [
        dict(type="bar", x=labels, y=comp.plain_shares[frame], name="plain Langevin", marker=dict(color=PLAIN_COLOR)),
        dict(type="bar", x=labels, y=comp.annealed_shares[frame], name="annealed", marker=dict(color=ANNEALED_COLOR)),
        dict(type="scatter", x=labels, y=w, mode="markers", name="true weight π", marker=marker),
    ]
    where = "at the start" if frame == 0 else f"after level {frame}/{len(out['sigmas'])}"
    return figure("shares", preset, f"Mass per mode {where}", traces)


def levels_figure(out: dict, preset: str) -> PlotJSON:
    """Mode TV after each level for both methods, with the spread of exact sampling."""
    L = len(out["sigmas"])
    x = np.arange(L + 1, dtype=np.float64)
    f = out["tv_floor"]
    lo, hi = max(f.mean - 2 * f.sd, 0.0), f.mean + 2 * f.sd
    traces = [
        dict(
            type="scatter",
            x=[0, L, L, 0],
            y=[lo, lo, hi, hi],
            mode="lines",
            fill="toself",
            fillcolor=FLOOR_COLOR,
            line=dict(width=0),
            name="exact sampling (mean ± 2 sd)",
            hoverinfo="skip",
        ),
        dict(
            type="scatter",
            x=x,
            y=np.array(out["plain"]["tv_levels"]),
            name="plain Langevin",
            mode="lines+markers",
            line=dict(color=PLAIN_COLOR),
        ),
        dict(
            type="scatter",
            x=x,
            y=np.array(out["annealed"]["tv_levels"]),
            name="annealed",
            mode="lines+markers",
            line=dict(color=ANNEALED_COLOR),
        ),
    ]
    return figure("levels", preset, "Mode-weight TV after each level", traces, xaxis=dict(dtick=max(1, L // 10)))


# ---------------------------------------------------------------------------- text and numbers
def share_text(out: dict, preset: str, frame: int) -> str:
    comp = out["comparison"]
    w = load_data(preset).weights
    L = len(out["sigmas"])
    where = "Start" if frame == 0 else f"After level {frame}/{L}"
    p, a = comp.plain_shares[frame], comp.annealed_shares[frame]
    if len(w) <= plotting.MAX_SHARES_SHOWN:
        return (
            f"**{where}** · mass per mode: plain **{plotting.shares_text(p)}** · annealed "
            f"**{plotting.shares_text(a)}** · true {plotting.shares_text(w)}"
        )
    return (
        f"**{where}** · {len(w)} modes: mode TV plain **{ncsn.tv(p, w):.3f}** · annealed **{ncsn.tv(a, w):.3f}** "
        f"(largest share gap: plain {np.abs(p - w).max():.3f}, annealed {np.abs(a - w).max():.3f})"
    )


def technique_numbers(preset, sigma1, levels, gamma, steps, eps) -> dict:
    rule, means = sigma1_rules(preset)
    sigma_l = sigma_l_of(sigma1, gamma, levels)
    eps_rule = ncsn.eps_rule(steps, gamma, sigma_l) if levels > 1 else None
    return dict(
        sigma1_rule=rule,
        sigma1_means=means,
        sigma1_over_rule=sigma1 / rule,
        sigma_L=sigma_l,
        shell_overlap=ncsn.shell_overlap(gamma, 2),
        variance_ratio=ncsn.variance_ratio(eps, steps, gamma, sigma_l),
        eps_rule=eps_rule,
        variance_ratio_rule=None if eps_rule is None else ncsn.variance_ratio(eps_rule, steps, gamma, sigma_l),
    )


def metrics_text(out: dict, tech: dict, sigma1: float, levels: int, gamma: float, steps: int, eps: float) -> str:
    f = out["tv_floor"]

    def line(name):
        r = out[name]
        sig = "within the noise floor" if abs(r["mmd2_units"]) <= 2 else "significantly off"
        return f"mode TV **{r['tv']:.3f}**, MMD² **{r['mmd2_units']:+.1f}** floor units ({sig})"

    below = tech["sigma1_over_rule"]
    t1 = "" if below >= 0.5 else " — **well below the rule**"
    t4 = (
        "with one level there is no γ (eq. (4) needs two levels)"
        if tech["eps_rule"] is None
        else f"the rule's ε = {tech['eps_rule']:.3g} gives {tech['variance_ratio_rule']:.3f}"
    )
    return (
        f"**After {levels * steps:,} steps each** · plain Langevin: {line('plain')} · "
        f"annealed: {line('annealed')} · exact sampling: mode TV {f.mean:.3f} ± {f.sd:.3f}  \n"
        f"**Technique 1** · largest pairwise distance of 10,000 exact samples **{tech['sigma1_rule']:.3g}** "
        f"(means + 3 sd: {tech['sigma1_means']:.3g}); σ₁ = {sigma1:.3g} is {below:.2f}× it{t1}  \n"
        f"**Technique 2** · γ = {gamma:.3g}, σ_L = {tech['sigma_L']:.3g}; the criterion's overlap is "
        f"{tech['shell_overlap']:.3f} (the paper aims at ≈ 0.5; in 2D every γ gives ≥ 0.997)  \n"
        f"**Technique 4** · eq. (4) at T = {steps}, ε = {eps:.3g}: s_T²/σ_i² = {tech['variance_ratio']:.3f}; {t4}  \n"
        f"Work: 2 × {levels} × {steps} × {out['comparison'].x_init.shape[0]:,} = "
        f"{2 * levels * steps * out['comparison'].x_init.shape[0]:,} particle-evaluations in {out['seconds']:.2f} s"
    )


def numbers(out: dict, key: tuple, tech: dict) -> dict:
    """Everything the tab measured, as plain JSON (the API's data output)."""
    preset = key[0]
    comp = out["comparison"]
    f, tf = out["floor"], out["tv_floor"]
    return dict(
        settings=dict(zip(RUN_NAMES, key)),
        true_weights=load_data(preset).weights.tolist(),
        sigmas=out["sigmas"].tolist(),
        annealed_step_sizes=comp.annealed.steps.tolist(),
        shares=dict(plain=comp.plain_shares.tolist(), annealed=comp.annealed_shares.tolist()),
        tv_levels=dict(plain=out["plain"]["tv_levels"], annealed=out["annealed"]["tv_levels"]),
        final={m: {k: out[m][k] for k in ("tv", "mmd2", "mmd2_units")} for m in ("plain", "annealed")},
        floors=dict(mmd2_sd=f.sd, mode_tv_mean=tf.mean, mode_tv_sd=tf.sd),
        techniques=tech,
        seconds=out["seconds"],
    )


# ---------------------------------------------------------------------------- views
def frame_view(*values):
    """(plain figure, annealed figure, shares figure, share text) at the chosen level: the level slider's
    and Play's view (the run is cached)."""
    key = _validate_run(*values[:10])
    _, frame, paths = _validate_view(values[10], values[11], values[12], key[3])
    out = run(key)
    return (
        particles_figure(out, key[0], "plain", frame, key[5], paths),
        particles_figure(out, key[0], "annealed", frame, key[5], paths),
        shares_figure(out, key[0], frame),
        share_text(out, key[0], frame),
    )


def field_view(preset, log_sigma):
    """The score-field figure only."""
    return field_figure(_check("preset", preset), _check("log_sigma", log_sigma))


def field_event(*values):
    """The σ slider's view, taking every control like the tab's other endpoints (only data and σ matter)."""
    return field_view(values[0], values[10])


def langevin_view(*values, progress=None):
    """Everything for one setting (the 13 control values): (score field, plain, annealed, mass per mode,
    TV per level figures, metrics text, share text, numbers dict, σ_L)."""
    key = _validate_run(*values[:10])
    log_sigma, frame, paths = _validate_view(values[10], values[11], values[12], key[3])
    out = run(key, progress)
    preset, _, sigma1, levels, gamma, steps, eps = key[:7]
    tech = technique_numbers(preset, sigma1, levels, gamma, steps, eps)
    return (
        field_figure(preset, log_sigma),
        particles_figure(out, preset, "plain", frame, steps, paths),
        particles_figure(out, preset, "annealed", frame, steps, paths),
        shares_figure(out, preset, frame),
        levels_figure(out, preset),
        metrics_text(out, tech, sigma1, levels, gamma, steps, eps),
        share_text(out, preset, frame),
        numbers(out, key, tech),
        tech["sigma_L"],
    )


def tab_view(progress=None, **values):
    """The tab's main view by name: langevin_view's outputs and the level slider on the run's levels. A load
    (no `progress`) shows the level it names; a control's change is a new run, shown at its last level."""
    import gradio as gr

    values = [values[n] for n in NAMES]
    if progress is not None:
        values[NAMES.index("frame")] = None
    out = langevin_view(*values, progress=progress)
    levels = _check("levels", values[NAMES.index("levels")])
    _, frame, _ = _validate_view(*values[10:], levels)
    return (*out, gr.Slider(maximum=levels, value=frame))


def level_view(**values):
    """The level slider's and the paths' view (frame_view by name)."""
    return frame_view(*[values[n] for n in NAMES])


def warm_up() -> None:
    """The default run, its noise floors and the rules' caches, so the first visitor does not pay for them."""
    langevin_view(*[c.default for c in CONTROLS])


# ---------------------------------------------------------------------------- the steps of the UI's events
def gamma_after(sigma1, levels, sigma_l):
    """σ₁ or L moved: keep σ_L (of the last run), move γ. Returns (γ, level slider at the last level)."""
    import gradio as gr

    s1, lv = _check("sigma1", sigma1), _check("levels", levels)
    return gamma_keeping(s1, float(sigma_l), lv), gr.Slider(maximum=lv, value=lv)


def preset_defaults(spec, levels, sigma_l):
    """A new data set: σ₁ from Technique 1, γ keeping σ_L, the plain step scaled to the data."""
    import gradio as gr

    spec, lv = _check("preset", spec), _check("levels", levels)
    s1 = float(f"{sigma1_rules(spec)[0]:.3g}")
    return s1, gamma_keeping(s1, float(sigma_l), lv), plain_step_for(spec), gr.Slider(maximum=lv, value=lv)


def sigma1_rule_values(spec, levels, sigma_l):
    """The σ₁ button: Technique 1's σ₁ for the data, γ keeping σ_L."""
    s1, gamma, _, slider = preset_defaults(spec, levels, sigma_l)
    return s1, gamma, slider


def eps_rule_value(sigma1, levels, gamma, steps):
    """The ε button: Technique 4's ε (eq. 4) for this T, γ and σ_L, at 3 significant digits."""
    import gradio as gr

    lv = _check("levels", levels)
    if lv < 2:
        raise ValueError("Technique 4 needs at least two levels: it is about the ratio γ between them.")
    g, t = _check("gamma", gamma), _check("steps", steps)
    sl = sigma_l_of(_check("sigma1", sigma1), g, lv)
    return float(f"{ncsn.eps_rule(t, g, sl):.3g}"), gr.Slider(maximum=lv, value=lv)


def play_start(current, levels):
    """Play: from the current level (from the start if already at the end), once to the end."""
    import gradio as gr

    current, last = int(current or 0), int(levels or 0)
    return gr.Timer(active=True), (0 if current >= last else current)


def play_tick(current, levels):
    """One frame further; the timer switches itself off at the last level. Before it, the timer is left as
    it is, never switched on: a tick already queued when Stop is pressed must not restart Play."""
    import gradio as gr

    nxt = min(int(current or 0) + 1, int(levels or 0))
    return nxt, (gr.Timer(active=False) if nxt >= int(levels or 0) else gr.skip())


# ---------------------------------------------------------------------------- the tab
RUN_OUTPUTS = ("field", "plain", "annealed", "shares", "levels_plot", "metrics", "share", "data", "sigma_l")
FRAME_OUTPUTS = ("plain", "annealed", "shares", "share")

SPEC = kit.Tab(
    id=TAB_ID,
    title=TAB_LABEL,
    controls=CONTROLS,
    views=[
        # σ₁, L and the data move other controls first (γ keeping σ_L; the data's rules): build() chains them
        kit.View(
            tab_view,
            (*RUN_OUTPUTS, "frame_slider"),
            api_name="langevin",
            triggers=("gamma", "init", "steps", "eps", "plain_step", "particles", "seed"),
        ),
        kit.View(level_view, FRAME_OUTPUTS, api_name="langevin_level", triggers=("frame", "paths")),
    ],
    scenes=SCENES,
    # no Tab.check: the kit drops a link's values one at a time, each judged with the later ones at their
    # defaults, so a cross-control rule would drop a valid scene's σ₁ (judged with the default γ); the views
    # refuse an invalid combination with a message instead
)


def layout(ui: kit.UI) -> None:
    import gradio as gr

    from demos.sharing import KEYS_HINT

    d = SPEC.defaults()
    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            ui.scene_picker()
            ui.control("preset")
            ui.control("init")
            ui.control("sigma1")
            ui.parts["sigma1_rule"] = gr.Button("σ₁ ← Technique 1 (largest distance)", size="sm")
            for name in ("levels", "gamma", "steps", "eps"):
                ui.control(name)
            ui.parts["eps_rule"] = gr.Button("ε ← Technique 4 (eq. 4 for this T, γ)", size="sm")
            for name in ("plain_step", "particles", "seed"):
                ui.control(name)
            ui.link_row()
        with gr.Column(scale=3, min_width=320, elem_classes=["main-col"]):
            ui.output("metrics", gr.Markdown())
            with gr.Row():
                ui.plot("plain", min_width=300)
                ui.plot("annealed", min_width=300)
            ui.output("share", gr.Markdown())
            with gr.Row():
                ui.output("frame_slider", ui.control("frame", scale=4, elem_classes=["rr-step"]))
                ui.parts["play"] = gr.Button(
                    "Play", size="sm", scale=1, min_width=70, variant="primary", elem_classes=["rr-play"]
                )
                ui.parts["stop"] = gr.Button("Stop", size="sm", scale=1, min_width=70, elem_classes=["rr-stop"])
            gr.Markdown(KEYS_HINT, elem_classes=["rr-keys"])
            ui.control("paths")
            with gr.Row():
                ui.plot("shares", min_width=300)
                ui.plot("levels_plot", min_width=300)
            ui.plot("field")
            ui.control("log_sigma")
            with gr.Accordion("Numbers (JSON)", open=False):
                ui.output("data", gr.JSON(label="Measured numbers"))
    gr.Markdown(NOTES, latex_delimiters=[{"left": "$", "right": "$", "display": False}])
    ui.parts["timer"] = gr.Timer(0.7, active=False)
    ui.output("sigma_l", gr.State(sigma_l_of(d["sigma1"], d["gamma"], d["levels"])))


def build() -> kit.UI:
    """The tab from its spec, plus what only it has: σ₁ and L keep σ_L by moving γ, a new data set takes its
    rules' σ₁, γ and plain step, the two rule buttons, and Play on a server timer (one level per tick)."""
    import gradio as gr

    from demos.inputs import latest_only, user_facing

    ui = kit.build(SPEC, layout)
    p, c = ui.parts, ui.controls
    controls = ui.inputs()
    run_outputs = [ui.outputs[n] for n in SPEC.views[0].outputs]
    frame_outputs = [ui.outputs[n] for n in FRAME_OUTPUTS]
    view = kit._view_runner(SPEC.views[0], NAMES)  # the same runner as the kit's: a newer run supersedes it
    frames = user_facing(kit._view_runner(SPEC.views[1], NAMES))
    private = dict(api_visibility="private")
    stop_timer = dict(fn=lambda: gr.Timer(active=False), inputs=None, outputs=p["timer"], **private)

    for component in [*controls, p["scene"], p["reset"]]:
        (component.click if component is p["reset"] else component.input)(**stop_timer)
    for button in (p["sigma1_rule"], p["eps_rule"], p["stop"]):
        button.click(**stop_timer)

    # a new run that first moves other controls: then the view, at the new run's last level
    sigma_l = ui.outputs["sigma_l"]
    for name in ("sigma1", "levels"):
        c[name].input(
            user_facing(gamma_after), [c["sigma1"], c["levels"], sigma_l], [c["gamma"], c["frame"]],
            trigger_mode="always_last", **private,
        ).then(user_facing(view), controls, run_outputs, **private)  # fmt: skip
    c["preset"].input(
        user_facing(preset_defaults), [c["preset"], c["levels"], sigma_l],
        [c["sigma1"], c["gamma"], c["plain_step"], c["frame"]], **private,
    ).then(user_facing(view), controls, run_outputs, **private)  # fmt: skip
    p["sigma1_rule"].click(
        user_facing(sigma1_rule_values), [c["preset"], c["levels"], sigma_l], [c["sigma1"], c["gamma"], c["frame"]],
        **private,
    ).then(user_facing(view), controls, run_outputs, **private)  # fmt: skip
    p["eps_rule"].click(
        user_facing(eps_rule_value), [c["sigma1"], c["levels"], c["gamma"], c["steps"]], [c["eps"], c["frame"]],
        **private,
    ).then(user_facing(view), controls, run_outputs, **private)  # fmt: skip

    # the σ slider redraws the score field only (wired here: a one-output view of the kit returns a 1-tuple)
    field = user_facing(latest_only(field_event, 1, NAMES))
    c["log_sigma"].input(field, controls, ui.outputs["field"], trigger_mode="always_last", api_name="langevin_field")

    # Play: one level per tick of a server timer, from the current level (from the start at the end)
    p["play"].click(play_start, [c["frame"], c["levels"]], [p["timer"], c["frame"]], **private).then(
        frames, controls, frame_outputs, **private
    )
    p["timer"].tick(
        play_tick, [c["frame"], c["levels"]], [c["frame"], p["timer"]], trigger_mode="once", **private
    ).then(frames, controls, frame_outputs, **private)
    return ui
