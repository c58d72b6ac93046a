"""Shared plotly helpers: one style for every tab (light, large type, readable on a projector and a
phone). Figures stay light: Scattergl for many points, a coarse grid for fields, arrows as a single
line trace with NaN breaks."""

from __future__ import annotations

import base64
import io
import json
import re

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from core.mixture import GaussianMixture

FONT = dict(family="Inter, Segoe UI, Helvetica, Arial, sans-serif", size=16, color="#1f2937")
LEGEND_FONT = 15
TITLE_FONT = 18
PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777"]
DENSITY_SCALE = [[0, "#ffffff"], [0.25, "#dbeafe"], [0.6, "#93c5fd"], [1, "#1e40af"]]
PATH_COLOR = "rgba(220, 38, 38, 0.7)"
PATH_WIDTH = 2.0  # readable on a projector; tabs thin the number of paths instead of the line
SAMPLE_COLOR = "rgba(15, 23, 42, 0.55)"

# Every figure starts from the app's light theme: a new go.Figure copies the default template anyway, while
# setting `template=` per figure makes plotly validate and copy it a second time (~15-30 ms a figure here).
pio.templates.default = "plotly_white"


MAX_SHARES_SHOWN = 4  # beyond this many modes a list of shares is unreadable: mode TV instead


def shares_text(shares, weights=None) -> str:
    """Mass per mode, always in the mixture's component order (mode 1, 2, … as the data lists them), so that a
    title, a metrics line and another tab never read in different orders: "0.49 / 0.51". With `weights`, the
    truth follows in the same order: "0.49 / 0.51 (true 0.20 / 0.80)". Beyond MAX_SHARES_SHOWN modes, one number
    instead of component indices no one can place: "mode TV 0.031 over 25 modes"."""
    shares = np.asarray(shares, float)
    if len(shares) > MAX_SHARES_SHOWN:
        if weights is None:
            return f"{len(shares)} modes"
        tv = 0.5 * float(np.abs(shares - np.asarray(weights, float)).sum())
        return f"mode TV {tv:.3f} over {len(shares)} modes"
    got = " / ".join(f"{v:.2f}" for v in shares)
    return got if weights is None else f"{got} (true {' / '.join(f'{v:.2f}' for v in weights)})"


# Title widths. A figure is one JSON for every screen, and SVG text does not wrap: a title line must fit the
# narrowest plot it is drawn in, a phone's (a 390 px screen leaves a plot ~324 px wide). Lines are measured in
# Liberation Sans / Arial advance widths (em fractions; Chromium here draws the FONT stack with Liberation Sans),
# with FONT_SLACK for the wider fonts of the stack (Inter, Segoe UI).
TITLE_LINE_PX = 290  # a title line at most this wide (estimated), left of a phone plot's right edge
FONT_SLACK = 1.1
TOOLBAR_PX = 36  # the PNG / SVG / Full screen buttons over the top of every plot (demos/export.py): titles start below
TITLE_LINE_HEIGHT = 24  # px per line of an 18 px title
_EM_WIDTHS = {
    0.0: "\u0302\u0303\u0304\u0307",  # combining accents (x̂, x̃)
    0.191: "'",
    0.222: "ijl",
    0.278: " !,./:;I[\\]ft·|",
    0.333: "()-r`²³¹",
    0.365: "₀₁₂₃ₜ∇‖ᵀ",
    0.389: "*τ",
    0.5: "ckvsxyzJλγ",
    0.549: "≤≥≈±√",
    0.584: "+<=>~×",
    0.611: "FTZσΣ",
    0.667: "&ABEKPSVXYΔ",
    0.722: "CDHNRUw",
    0.778: "GOQω",
    0.833: "Mm",
    0.889: "%",
    0.944: "W",
    1.0: "→←…—@",
}
_CHAR_EM = {c: w for w, chars in _EM_WIDTHS.items() for c in chars}
_TAG = re.compile(r"<[^>]*>")


def text_px(text: str, size: float = TITLE_FONT) -> float:
    """Estimated width in px of one line of plotly text (tags ignored) at font `size`: Arial advance widths
    (0.556 em for the characters not listed) times FONT_SLACK."""
    plain = _TAG.sub("", text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return FONT_SLACK * size * sum(_CHAR_EM.get(c, 0.556) for c in plain)


def _pieces(text: str, size: float, line_px: float) -> list[str]:
    """A line cut where it may break: after " · " or ": ", a piece still too wide after ", ", then at spaces."""
    out = []
    for chunk in text.replace(": ", ": \0").replace(" · ", " · \0").split("\0"):
        if text_px(chunk.rstrip(" ·:"), size) <= line_px:
            out.append(chunk)
            continue
        for part in chunk.replace(", ", ", \0").split("\0"):
            if text_px(part.rstrip(" ·:,"), size) <= line_px:
                out.append(part)
            else:
                words = _words(part)
                out += [w + " " for w in words[:-1]] + [words[-1]]
    return [p for p in out if p]


_GLUE = {"/", "=", "±", "→", "×", "≤", "≥", "≈", "<", ">", "+", "−", "-", "·", "vs"}


def _words(text: str) -> list[str]:
    """Words a line may break between: a space inside parentheses or beside an operator ("0.51 / 0.49", "t = 3",
    "(true 0.20 / 0.80)") does not break."""
    words: list[str] = []
    depth, glue_next = 0, False
    for word in text.split(" "):
        if words and (depth > 0 or glue_next or word in _GLUE):
            words[-1] += " " + word
        else:
            words.append(word)
        depth = max(0, depth + word.count("(") - word.count(")"))
        glue_next = word in _GLUE
    return words


def wrap_title(title: str, size: float = TITLE_FONT, line_px: float = TITLE_LINE_PX) -> str:
    """Break a title into lines that fit a phone's plot (each at most `line_px` wide at font `size`, estimated by
    `text_px`), preferring its " · " and ": " separators, then ", ", then spaces; a "<br>" already in it stays.
    A separator ending a line is dropped."""
    lines = []
    for given in title.split("<br>"):
        line = ""
        for piece in _pieces(given, size, line_px):
            if line and text_px((line + piece).rstrip(" ·,"), size) > line_px:
                lines.append(line.rstrip(" ·"))
                line = ""
            line += piece
        lines.append(line.rstrip())
    return "<br>".join(lines)


def plain_title(title: str) -> str:
    """A title as one line to compare text against: its "<br>" breaks and " · " separators read as single spaces
    (`wrap_title` drops a separator that ends a line, so a wrapped and an unwrapped title compare equal)."""
    return re.sub(r"\s*(?:<br>|·)\s*", " ", title).strip()


# Plotly's own toolbar (top right of every plot): its camera saves a PNG at 3× the drawn size, sharp on a
# slide. Gradio passes a figure JSON's "config" to Plotly.react, so every figure made with `base_layout`
# carries it. demos/export.py adds PNG / SVG / full-screen buttons beside each plot.
CONFIG = {
    "displaylogo": False,
    "toImageButtonOptions": {"format": "png", "scale": 3, "filename": "reading-room"},
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}


def with_config(fig: go.Figure, config: dict | None = None) -> go.Figure:
    """Make the figure's JSON (what Gradio sends to the browser) carry a Plotly `config`."""
    extra = json.dumps(CONFIG if config is None else config, separators=(",", ":"))
    plain = type(fig).to_json

    def to_json(*args, **kwargs):
        text = plain(fig, *args, **kwargs)
        return text[:-1] + ',"config":' + extra + "}" if text.endswith("}") else text

    fig.to_json = to_json
    return fig


def title_layout(title: str, size: float = TITLE_FONT) -> dict:
    """A (wrapped) title at the top left of the figure, its first line just below the plot's toolbar (the margin
    `title_margin` gives holds its lines). Plotly lifts a title of several lines anchored at its top by 0.7 em
    (measured: 12.6 px at 18 px for 2 to 4 lines, none for one; the race's first line was cut at the figure's top
    edge), so its pad adds that back."""
    lift = round(0.7 * size) if "<br>" in title else 0
    return dict(
        text=title, x=0.01, xanchor="left", font=dict(size=size),
        yref="container", y=1, yanchor="top", pad=dict(t=TOOLBAR_PX + lift),
    )  # fmt: skip


def title_margin(title: str, gap: int = 10) -> int:
    """The top margin that holds the toolbar, the title's lines and a gap above the plot area."""
    return TOOLBAR_PX + TITLE_LINE_HEIGHT * (title.count("<br>") + 1) + gap


def base_layout(
    fig: go.Figure, title: str = "", height: int | None = 560, square: bool = True, title_size: float = TITLE_FONT
) -> go.Figure:
    """Light theme, big fonts, legend below the plot (keeps the plot wide on a phone), export config.
    height=None: the plot takes its container's height (demos/sharing.py `page_setup` sizes "rr-square"
    plots as tall as they are wide). `title_size`: a secondary panel's smaller title (wrapped for its size)."""
    title = wrap_title(title, size=title_size)
    fig.update_layout(
        title=title_layout(title, size=title_size),
        font=FONT,
        height=height,
        margin=dict(l=55, r=20, t=title_margin(title), b=40),
        legend=dict(orientation="h", yanchor="top", y=-0.12, x=0, font=dict(size=LEGEND_FONT)),
        uirevision="keep",
    )
    with_config(fig)
    if square:  # equal units on both axes; the plot area shrinks rather than the range growing
        fig.update_yaxes(scaleanchor="x", scaleratio=1, constrain="domain")
        fig.update_xaxes(constrain="domain")
    return fig


def legend_below(
    fig: go.Figure, plot_px: int, font: int = LEGEND_FONT, axis_px: int = 66, entries: int | None = None
) -> go.Figure:
    """A legend under the x axis and the figure's height to hold it: the plot area `plot_px` high, then `axis_px`
    for the x ticks and the axis title, then room for the legend at one entry per line (a phone's width; a wider
    screen puts several on a line and leaves the rest of that room blank below). A legend placed in the plot's own
    units (y = -0.12 of the plot area) lands on the axis title wherever the plot area is short, as on a phone;
    placed in the figure's pixels below the axis title, it cannot. `entries`: the legend's number of entries
    (default: the figure's named traces not hidden from it). No gap between legend groups (plotly's default 10 px
    a group, when traces have a legendgroup, ran the last entry off the figure's bottom)."""
    if entries is None:
        entries = sum(1 for t in fig.data if t.showlegend is not False and t.name)
    bottom = axis_px + entries * (font + 8) + 8
    height = int(fig.layout.margin.t + plot_px + bottom)
    fig.update_layout(
        height=height,
        margin=dict(b=bottom),
        legend=dict(
            orientation="h", x=0, xanchor="left", yref="container", y=(bottom - axis_px) / height, yanchor="top",
            font=dict(size=font), tracegroupgap=0,
        ),
    )  # fmt: skip
    return fig


PHONE_FIGURE_PX = 360  # a figure's width on a 390 px phone (measured: 368 px in Chromium), less a little slack
SUBPLOT_TITLE_FONT = 14
SUBPLOT_TITLE_LINE = 18  # px per line of a 14 px subplot title


def fit_subplot_titles(fig: go.Figure, size: float = SUBPLOT_TITLE_FONT) -> go.Figure:
    """make_subplots' panel titles wrapped to fit a phone's panel (the narrowest x domain of the figure at
    PHONE_FIGURE_PX less the side margins), at font `size`, and the top margin raised to hold their lines above the
    panels, under the figure's title. Side by side on a phone, a panel is ~125 px wide: one-line titles ran into each
    other and past the plot's edge. Call it after `base_layout` (which sets the top margin for the title alone)."""
    margin = fig.layout.margin
    plot_px = PHONE_FIGURE_PX - (margin.l or 0) - (margin.r or 0)
    panel_px = plot_px * min((ax.domain[1] - ax.domain[0] for ax in fig.select_xaxes() if ax.domain), default=1.0)
    lines = 0
    for note in fig.layout.annotations:
        if note.yanchor == "bottom" and note.xref == "paper" and note.yref == "paper" and note.text:
            note.text = wrap_title(note.text, size=size, line_px=panel_px)
            note.font = dict(size=size)
            lines = max(lines, note.text.count("<br>") + 1)
    fig.update_layout(margin=dict(t=(margin.t or 0) + lines * SUBPLOT_TITLE_LINE))
    return fig


def plot_box(mixture: GaussianMixture, margin: float = 0.15) -> tuple[float, float, float, float]:
    """A square-ish box around the data with a margin, used as the fixed view of a tab."""
    x0, x1, y0, y1 = mixture.bounds(3.0)
    half = 0.5 * max(x1 - x0, y1 - y0) * (1 + margin)
    cx, cy = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
    return cx - half, cx + half, cy - half, cy + half


def density_grid(mixture: GaussianMixture, box, n: int = 120):
    xs = np.linspace(box[0], box[1], n)
    ys = np.linspace(box[2], box[3], n)
    xx, yy = np.meshgrid(xs, ys)
    logp = mixture.log_prob(np.stack([xx.ravel(), yy.ravel()], 1)).reshape(n, n)
    return xs, ys, logp


def density_rgb(z: np.ndarray) -> np.ndarray:
    """A density (any shape) through DENSITY_SCALE (white → light blue → dark blue), scaled to its maximum, as
    RGB uint8 (shape + (3,)): the colours a heatmap of it draws."""
    stops = np.array([s for s, _ in DENSITY_SCALE])
    rgb = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for _, c in DENSITY_SCALE], dtype=np.float64)
    top = float(z.max()) if z.size and z.max() > 0 else 1.0
    u = np.clip(z / top, 0, 1)
    return np.stack([np.interp(u, stops, rgb[:, k]) for k in range(3)], -1).round().astype(np.uint8)


def density_image(mixture: GaussianMixture, box, n: int) -> dict:
    """The exact density on an n × n grid as a layout image (a PNG data URI placed over the grid's cells, the
    extent a heatmap of the same grid covers), for figures that show it behind many small panels: one <image>
    each, which the browser scales smoothly, draws far faster than a heatmap trace per panel (the Race's 33
    panels: ~180 ms of Plotly's redraw). Add xref / yref per panel."""
    from PIL import Image

    xs, ys, logp = density_grid(mixture, box, n)
    out = io.BytesIO()
    Image.fromarray(density_rgb(np.exp(logp - logp.max()))[::-1]).save(out, format="PNG", optimize=True)
    dx, dy = xs[1] - xs[0], ys[1] - ys[0]
    return dict(
        source="data:image/png;base64," + base64.b64encode(out.getvalue()).decode(),
        x=float(xs[0] - dx / 2), y=float(ys[-1] + dy / 2), sizex=float(xs[-1] - xs[0] + dx),
        sizey=float(ys[-1] - ys[0] + dy), xanchor="left", yanchor="top", sizing="stretch", layer="below",
    )  # fmt: skip


def density_trace(
    mixture: GaussianMixture,
    box,
    n: int = 120,
    name: str = "density",
    showscale: bool = False,
    colorscale=DENSITY_SCALE,
) -> go.Heatmap:
    """Exact density as a heatmap (float32 values: half the bytes, invisible difference)."""
    xs, ys, logp = density_grid(mixture, box, n)
    dens = np.exp(logp)
    return go.Heatmap(
        x=xs.astype(np.float32),
        y=ys.astype(np.float32),
        z=dens.astype(np.float32),
        name=name,
        colorscale=colorscale,
        showscale=showscale,
        hoverinfo="skip",
        zsmooth="best",
    )


def contour_trace(mixture: GaussianMixture, box, color: str, name: str, n: int = 90) -> go.Contour:
    """Density contour lines at a few levels of the maximum (for overlaying two densities)."""
    xs, ys, logp = density_grid(mixture, box, n)
    dens = np.exp(logp - logp.max())
    return go.Contour(
        x=xs.astype(np.float32),
        y=ys.astype(np.float32),
        z=dens.astype(np.float32),
        contours=dict(coloring="lines", start=0.05, end=0.85, size=0.2),
        line=dict(width=1.6),
        colorscale=[[0, color], [1, color]],
        showscale=False,
        name=name,
        showlegend=True,
        hoverinfo="skip",
    )


def arrow_segments(points: np.ndarray, vectors: np.ndarray, length: float, head: float = 0.35) -> np.ndarray:
    """Arrows as polyline points with NaN breaks: shaft base → tip, then a two-barb head at the tip.
    Length ∝ log(1 + |v|) scaled so the longest is `length`; the head is `head` of the arrow's length
    (at least a fifth of `length`, so short arrows still show their direction). Needs equal axis units."""
    norm = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.maximum(norm, 1e-12)
    scaled = unit * (np.log1p(norm) / max(float(np.log1p(norm).max()), 1e-12)) * length
    tips = points + scaled
    size = np.maximum(head * np.linalg.norm(scaled, axis=1, keepdims=True), 0.2 * length * head)
    c, s = np.cos(np.radians(28)), np.sin(np.radians(28))
    back = -unit
    left = tips + size * np.stack([c * back[:, 0] - s * back[:, 1], s * back[:, 0] + c * back[:, 1]], 1)
    right = tips + size * np.stack([c * back[:, 0] + s * back[:, 1], -s * back[:, 0] + c * back[:, 1]], 1)
    segs = np.full((len(points) * 6, 2), np.nan)
    segs[0::6], segs[1::6], segs[2::6], segs[3::6], segs[4::6] = points, tips, left, tips, right
    segs[2::6][norm[:, 0] == 0] = np.nan  # no direction: no head
    segs[4::6][norm[:, 0] == 0] = np.nan
    return segs


def arrows_trace(
    points: np.ndarray, vectors: np.ndarray, length: float, name: str = "score ∇log p_t", color: str = "#0f766e"
) -> go.Scatter:
    """Vectors drawn as arrows with heads (direction, length ∝ log(1 + |v|)) in one trace with NaN breaks."""
    segs = arrow_segments(points, vectors, length)
    return go.Scatter(
        x=segs[:, 0].astype(np.float32),
        y=segs[:, 1].astype(np.float32),
        mode="lines",
        line=dict(color=color, width=1.6),
        name=name,
        hoverinfo="skip",
        connectgaps=False,
    )


def points_trace(
    x: np.ndarray, name: str, color: str = SAMPLE_COLOR, size: float = 4.0, symbol: str = "circle"
) -> go.Scattergl:
    return go.Scattergl(
        x=x[:, 0].astype(np.float32),
        y=x[:, 1].astype(np.float32),
        mode="markers",
        name=name,
        marker=dict(color=color, size=size, symbol=symbol),
        hoverinfo="skip",
    )


def path_segments(paths: np.ndarray) -> np.ndarray:
    """paths (steps, m, 2) as one (m·(steps+1), 2) polyline with NaN breaks between particles."""
    steps, m, _ = paths.shape
    segs = np.full((m, steps + 1, 2), np.nan)
    segs[:, :steps] = np.transpose(paths, (1, 0, 2))
    return segs.reshape(-1, 2)


def paths_trace(
    paths: np.ndarray, name: str = "paths", color: str = PATH_COLOR, width: float = PATH_WIDTH
) -> go.Scatter:
    """paths (steps, m, 2) as one line trace with NaN breaks between particles."""
    steps, m, _ = paths.shape
    segs = np.full((m, steps + 1, 2), np.nan)
    segs[:, :steps] = np.transpose(paths, (1, 0, 2))
    segs = segs.reshape(-1, 2)
    return go.Scatter(
        x=segs[:, 0].astype(np.float32),
        y=segs[:, 1].astype(np.float32),
        mode="lines",
        line=dict(color=color, width=width),
        name=name,
        hoverinfo="skip",
    )


def field_points(box, n: int = 22) -> np.ndarray:
    xs = np.linspace(box[0], box[1], n + 2)[1:-1]
    ys = np.linspace(box[2], box[3], n + 2)[1:-1]
    xx, yy = np.meshgrid(xs, ys)
    return np.stack([xx.ravel(), yy.ravel()], 1)


def set_box(fig: go.Figure, box, row=None, col=None) -> go.Figure:
    fig.update_xaxes(range=[box[0], box[1]], row=row, col=col, zeroline=False)
    fig.update_yaxes(range=[box[2], box[3]], row=row, col=col, zeroline=False)
    return fig


# ---------------------------------------------------------------------------- frames for Play and GIF export
def frame_indices(log_snr: np.ndarray, max_frames: int = 48) -> np.ndarray:
    """Indices of at most `max_frames` records, chosen evenly in log-SNR λ where it is finite (that is
    where the picture changes: a 1000-step DDPM spends most of its steps where little happens), always
    with the first and the last record. Records with a non-finite λ (pure noise, clean data) are kept at
    the ends they sit on."""
    lam = np.asarray(log_snr, dtype=np.float64)
    n = len(lam)
    if n <= max_frames:
        return np.arange(n)
    finite = np.flatnonzero(np.isfinite(lam))
    picks = {0, n - 1}
    if len(finite) >= 2 and np.ptp(lam[finite]) > 0:
        targets = np.linspace(lam[finite].min(), lam[finite].max(), max_frames - 2)
        order = np.argsort(lam[finite])
        sorted_lam = lam[finite][order]
        for target in targets:
            j = int(np.clip(np.searchsorted(sorted_lam, target), 0, len(order) - 1))
            if j > 0 and abs(sorted_lam[j - 1] - target) < abs(sorted_lam[j] - target):
                j -= 1
            picks.add(int(finite[order[j]]))
    else:
        picks.update(np.linspace(0, n - 1, max_frames).round().astype(int).tolist())
    return np.array(sorted(picks))


def _b64(array: np.ndarray, dtype) -> str:
    return base64.b64encode(np.ascontiguousarray(array, dtype=dtype).tobytes()).decode("ascii")


def density_bytes(z: np.ndarray) -> tuple[str, int, int]:
    """A density image as (base64 uint8 row-major, width, height), scaled to its own maximum."""
    z = np.asarray(z, dtype=np.float64)
    top = float(z.max()) if z.size and z.max() > 0 else 1.0
    return _b64(np.round(255 * z / top), np.uint8), z.shape[1], z.shape[0]


def attach_frames(
    fig: go.Figure, frames: list[dict], traces: list[int], heatmap: int | None = None, seconds: float = 6.0
) -> go.Figure:
    """Put Play's frames in `fig.layout.meta.play` (played in the browser by demos.sharing.play_js).

    Each frame: {"value": slider value, "title": str, "traces": [(n, 2) array per index of `traces`],
    optional "z": 2D density (its heatmap trace is `heatmap`), optional "range": (x0, x1, y0, y1)}.
    Arrays travel as base64 float32 (uint8 for densities): a 48-frame run of 400 particles is ~200 kB."""
    out = []
    for f in frames:
        enc = {"value": f["value"], "title": wrap_title(f["title"]), "traces": []}
        for xy in f["traces"]:
            xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
            enc["traces"].append({"x": _b64(xy[:, 0], np.float32), "y": _b64(xy[:, 1], np.float32)})
        if f.get("z") is not None:
            enc["z"] = list(density_bytes(f["z"]))
        if f.get("range") is not None:
            enc["range"] = [float(v) for v in f["range"]]
        out.append(enc)
    interval = int(np.clip(1000 * seconds / max(len(out), 1), 80, 400))
    fig.update_layout(meta={"play": {"frames": out, "traces": traces, "heatmap": heatmap, "interval_ms": interval}})
    return fig


def warm_up() -> None:
    """The first go.Figure in a process costs ~180 ms (plotly loads validators lazily): pay it at start-up."""
    fig = go.Figure(go.Scattergl(x=[0.0], y=[0.0]))
    fig.add_trace(go.Heatmap(z=[[0.0]]))
    fig.add_trace(go.Contour(z=[[0.0, 1.0], [1.0, 0.0]]))
    fig.to_json()
