"""Tab "Your data": make a mixture by editing a table, drawing, or pasting points, and use it everywhere.

Whatever is made becomes an exact Gaussian mixture at once (no training): a `gmm:` data spec
(core/dataspec.py) that every tab's data control, every API endpoint and every link accepts. The preview is
the mixture's exact density. "Use in all tabs" selects it in every tab (app.py wires the button from
`HANDLES`); "Link to this view" carries it in the URL (`?tab=data&spec=gmm:...`).
"""

from __future__ import annotations

import math
import os

import numpy as np
import plotly.graph_objects as go

from core.datasets import PRESETS, load_preset
from core.dataspec import (
    MAX_ABS_MEAN,
    MAX_ANISOTROPY,
    MAX_CLASS,
    MAX_COMPONENTS,
    MAX_SPEC_CHARS,
    PREFIX,
    STD_RANGE,
    DataSpecError,
    canonical,
    components,
    data_title,
    encode,
    is_preset,
    load_data,
    mixture_from_rows,
)
from core.metrics import prefetch_floors
from core.points_to_mixture import (
    MAX_CSV_CHARS,
    MAX_POINTS,
    WIDTH_RANGE,
    parse_points,
    points_to_rows,
    strokes_to_points,
)
from demos import kit, plotting

TAB_ID = "data"
DEFAULT_SPEC = canonical("gmm:1,-1.6,-0.6,0.5,0.18,30,0;1,1.4,-0.9,0.3,0.3,0,1;0.6,0,1.3,0.6,0.15,-20,1")
CONTROLS = [
    kit.Control(
        "spec",
        "data",
        DEFAULT_SPEC,
        label="Data spec (copy it, or paste one and press Enter)",
        widget="textbox",
    )
]
SCENES: dict = {}  # the presets dropdown is this tab's way to start from something
COLUMNS = ["weight", "mean x", "mean y", "std ∥", "std ⊥", "angle °", "class"]
BOX = 4.0  # the drawing canvas is the square [-BOX, BOX]²
CANVAS_PX = 360
SPACING_PX = 6  # one point per 6×6-pixel cell of paint (0.13 units on the canvas)
DEFAULT_WIDTH = 0.15
DEFAULT_CAP = 30
CLASS_COLORS = plotting.PALETTE[:4]  # brush colour i draws class i
DENSITY_N = 110

NOTES = f"""
**Any data becomes an exact mixture at once, with no training.** Diffusion Explorer and Diffusion-Everything train a
network for minutes on what you draw; here what you make *is* a Gaussian mixture $p_0 = \\sum_k \\pi_k
\\mathcal N(\\mu_k, \\Sigma_k)$, so every tab's exact diffused density, score, denoiser, metrics and noise floors
apply to it the moment you press **Use in all tabs**.

- **Table**: one row per component: weight (relative; rescaled so the largest is 1), mean, the standard deviations
  along the angle's direction (∥) and across it (⊥), the angle in degrees, and a class label (0–{MAX_CLASS}; the
  guidance tab needs two classes). The covariance is
  $R(\\theta)\\,\\mathrm{{diag}}(s_\\parallel^2, s_\\perp^2)\\,R(\\theta)^\\top$.
- **Drawing**: the canvas is the square $[-{BOX:g}, {BOX:g}]^2$ (left edge $x = -{BOX:g}$, top edge $y = +{BOX:g}$);
  the brush colour is the class (blue 0, red 1, green 2, purple 3). Every {SPACING_PX}×{SPACING_PX}-pixel patch of
  paint becomes one point, each point a Gaussian of the chosen width.
- **Points** (paste or upload a CSV of `x, y` or `x, y, class` lines): the same, each point a small Gaussian.
- More points than the component cap are merged by k-means within each class, each cluster replaced by the
  Gaussian with the cluster's exact weight, mean and covariance (moment matching), so the mixture keeps the
  points' mean and covariance exactly.

**Caps** (the same for links and the API): at most {MAX_COMPONENTS} components and {MAX_SPEC_CHARS:,} characters of
spec; means within ±{MAX_ABS_MEAN:g}; stds from {STD_RANGE[0]:g} to {STD_RANGE[1]:g}, at most {MAX_ANISOTROPY:g}:1;
at most {MAX_POINTS:,} points and {MAX_CSV_CHARS:,} characters of CSV; point widths
{WIDTH_RANGE[0]:g}–{WIDTH_RANGE[1]:g}.
Numbers are kept to 6 significant digits: the spec below is exactly the mixture every tab will use, and the
string every cache and link is keyed by.
"""


# ---------------------------------------------------------------------------- pure functions
def table_rows(spec: str) -> list[list]:
    """The mixture of `spec` as table rows (6 significant digits, as the spec stores them)."""
    return [[float(f"{v:.6g}") for v in row[:6]] + [int(row[6])] for row in components(load_data(spec))]


def _cell(value, row: int, column: str) -> float:
    if isinstance(value, bool):
        raise DataSpecError(f"Row {row}, {column}: {value!r} is not a number.")
    if isinstance(value, str):
        text = value.strip()
        try:
            value = float(text)
        except ValueError:
            shown = text if len(text) <= 20 else text[:20] + "…"
            raise DataSpecError(f"Row {row}, {column}: {shown!r} is not a number.") from None
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise DataSpecError(f"Row {row}, {column}: {value!r} is not a number.") from None
    if not math.isfinite(value):
        raise DataSpecError(f"Row {row}, {column}: write a finite number.")
    return value


def _blank(value) -> bool:
    return (
        value is None
        or (isinstance(value, str) and not value.strip())
        or (isinstance(value, float) and math.isnan(value))
    )


def rows_from_table(table) -> list[tuple]:
    """What the Dataframe sends (a list of rows, or a pandas DataFrame) → validated rows. Empty rows are
    skipped; a row missing some numbers is refused with its row number."""
    if hasattr(table, "values") and hasattr(table, "columns"):  # pandas
        table = table.values.tolist()
    if not isinstance(table, list | tuple):
        raise DataSpecError("The table must be rows of numbers.")
    rows = []
    for i, raw in enumerate(table, start=1):
        cells = list(raw)[: len(COLUMNS)] if isinstance(raw, list | tuple) else [raw]
        if all(_blank(v) for v in cells):
            continue
        if len(cells) < len(COLUMNS) or any(_blank(v) for v in cells):
            raise DataSpecError(f"Row {i} is incomplete: give all of {', '.join(COLUMNS)}.")
        rows.append(tuple(_cell(v, i, name) for v, name in zip(cells, COLUMNS)))
        if len(rows) > MAX_COMPONENTS:
            raise DataSpecError(f"At most {MAX_COMPONENTS} components are allowed.")
    return rows


def spec_from_table(table) -> str:
    """The canonical spec of what the table holds (DataSpecError with the row and column at fault)."""
    return canonical(encode(mixture_from_rows(rows_from_table(table))))


def spec_from_preset(key: str) -> str:
    """A preset written out as an editable `gmm:` spec (6 significant digits of its parameters)."""
    if key not in PRESETS:
        raise DataSpecError(f"Unknown preset {str(key)[:40]!r}.")
    return canonical(encode(load_preset(key)))


def spec_from_points(points, labels, width: float, cap: int) -> str:
    return canonical(encode(mixture_from_rows(points_to_rows(points, labels, width, cap))))


def drawing_points(value) -> tuple[np.ndarray, np.ndarray]:
    """Points and classes of a Sketchpad value (its layers; else its composite, paint = not white)."""
    if not isinstance(value, dict):
        raise DataSpecError("Nothing is drawn yet: paint some strokes on the canvas first.")
    images = [layer for layer in value.get("layers") or [] if layer is not None]
    if not images and value.get("composite") is not None:
        images = [np.asarray(value["composite"])[..., :3]]
    palette = [_rgb(c) for c in CLASS_COLORS]
    pts, labs = [], []
    for img in images:
        try:
            p, c = strokes_to_points(img, BOX, palette, SPACING_PX)
        except DataSpecError:
            continue
        pts.append(p)
        labs.append(c)
    if not pts:
        raise DataSpecError("Nothing is drawn yet: paint some strokes on the canvas first.")
    return np.concatenate(pts)[:MAX_POINTS], np.concatenate(labs)[:MAX_POINTS]


def _rgb(hex_color: str) -> tuple[int, int, int]:
    h = hex_color.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def read_points_file(path) -> str:
    """The text of an uploaded CSV, refused beyond MAX_CSV_CHARS bytes or if it is not UTF-8 text."""
    if path is None:
        return ""
    path = getattr(path, "name", path)
    size = os.path.getsize(path)
    if size > MAX_CSV_CHARS:
        raise DataSpecError(f"The file has {size:,} bytes; at most {MAX_CSV_CHARS:,} are accepted.")
    with open(path, "rb") as f:
        data = f.read(MAX_CSV_CHARS + 1)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataSpecError("The file is not UTF-8 text: upload a CSV of `x, y` or `x, y, class` lines.") from None


def _ellipse(mean, cov, n: int = 40) -> np.ndarray:
    """The 2-standard-deviation contour of N(mean, cov), as n + 1 points (closed)."""
    vals, vecs = np.linalg.eigh(cov)
    a = np.linspace(0, 2 * np.pi, n + 1)
    circle = np.stack([np.cos(a), np.sin(a)], 1) * (2 * np.sqrt(np.maximum(vals, 0)))
    return mean + circle @ vecs.T


def preview_figure(spec: str) -> go.Figure:
    """The exact density of `spec`, each component's 2σ ellipse in its class colour and its mean."""
    mixture = load_data(spec)
    box = plotting.plot_box(mixture, margin=0.1)
    fig = go.Figure(plotting.density_trace(mixture, box, n=DENSITY_N, name="exact density p₀"))
    for c in mixture.classes:
        idx = np.flatnonzero(mixture.labels == c)
        segs = np.full((len(idx) * 42, 2), np.nan)
        for j, k in enumerate(idx):
            segs[j * 42 : j * 42 + 41] = _ellipse(mixture.means[k], mixture.covs[k])
        color = plotting.PALETTE[int(c) % len(plotting.PALETTE)]
        fig.add_scatter(
            x=segs[:, 0].astype(np.float32),
            y=segs[:, 1].astype(np.float32),
            mode="lines",
            line=dict(color=color, width=1.5),
            name=f"class {int(c)}: 2σ",
            hoverinfo="skip",
        )
        fig.add_scatter(
            x=mixture.means[idx, 0].astype(np.float32),
            y=mixture.means[idx, 1].astype(np.float32),
            mode="markers",
            marker=dict(color=color, size=6, line=dict(color="white", width=1)),
            name=f"class {int(c)}: means",
            hoverinfo="skip",
        )
    n_classes = len(mixture.classes)
    title = f"{data_title(spec)} · {n_classes} class{'es' if n_classes > 1 else ''} · exact density"
    return plotting.set_box(plotting.base_layout(fig, title), box)


def summary(spec: str) -> str:
    mixture = load_data(spec)
    classes = ", ".join(f"{c}: {w:.0%}" for c, w in mixture.class_weights().items())
    guidance = "" if len(mixture.classes) > 1 else " (the guidance tab needs at least two classes)"
    return (
        f"✓ **{mixture.n_components} component{'s' if mixture.n_components > 1 else ''}**, class weights {classes}"
        f"{guidance}; spec {len(spec):,} of {MAX_SPEC_CHARS:,} characters."
    )


def data_view(spec: str):
    """(preview, table rows, message, canonical spec) for a spec (a preset key is written out as gmm:)."""
    if not isinstance(spec, str):
        raise ValueError(f"The data spec must be text starting with {PREFIX!r}.")
    try:
        spec = spec_from_preset(spec.strip()) if is_preset(spec.strip()) else canonical(spec)
    except DataSpecError as err:
        raise ValueError(str(err)) from None
    return preview_figure(spec), table_rows(spec), summary(spec), spec


def data_outputs(spec: str):
    """The tab's outputs (preview, table rows, message, canonical spec) for a spec."""
    return data_view(spec)


def your_data(spec: str = DEFAULT_SPEC) -> dict:
    """API /your_data: the canonical spec of a data spec (a preset key is written out as gmm:), its rows
    (weight relative to the largest, mean x, mean y, std ∥, std ⊥, angle°, class) and the normalised weights."""
    _, rows, _, spec = data_view(spec)
    mixture = load_data(spec)
    return {
        "spec": spec,
        "title": data_title(spec),
        "columns": COLUMNS,
        "rows": rows,
        "weights": mixture.weights.round(9).tolist(),
        "classes": mixture.classes.tolist(),
    }


def points_mixture(points_csv: str = "0, 0", width: float = DEFAULT_WIDTH, max_components: int = DEFAULT_CAP) -> dict:
    """API /points_mixture: CSV points (`x, y` or `x, y, class` per line) → the mixture they make, each
    point a Gaussian of std `width`, merged by moment matching to at most `max_components` components."""
    try:
        pts, labels = parse_points(points_csv)
        spec = spec_from_points(pts, labels, width, max_components)
    except DataSpecError as err:
        raise ValueError(str(err)) from None
    return {**your_data(spec), "points": len(pts)}


def warm_up() -> None:
    data_view(DEFAULT_SPEC)


# ---------------------------------------------------------------------------- layout and events
# The spec box is the tab's one control (what a link carries); the table, the drawing and the points each make a
# spec through the tab's own events. Its view has no trigger of its own: a spec is read on Enter or when the
# box loses focus, not on every keystroke.
SPEC = kit.Tab(
    id=TAB_ID,
    title="Your data",
    controls=CONTROLS,
    views=[kit.View(data_view, ("preview", "table", "message", "canonical"), api_name=None, triggers=())],
    check=lambda values: {**values, "spec": data_view(values["spec"])[3]},  # a preset written out as gmm:
)


def layout(ui: kit.UI) -> None:
    import gradio as gr

    from demos.inputs import user_facing

    p = ui.parts
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            p["preset"] = gr.Dropdown(
                [(PRESETS[k].title, k) for k in PRESETS],
                value=None,
                label="Start from a preset",
                info="fills the table; edit it from there",
            )
            with gr.Accordion("Draw", open=False):
                p["sketch"] = gr.Sketchpad(
                    type="numpy",
                    image_mode="RGBA",
                    canvas_size=(CANVAS_PX, CANVAS_PX),
                    fixed_canvas=True,
                    brush=gr.Brush(colors=list(CLASS_COLORS), default_size=6, color_mode="fixed"),
                    layers=False,
                    transforms=(),
                    format="png",
                    label=f"Canvas = [-{BOX:g}, {BOX:g}]²; brush colour = class (blue 0, red 1, green 2, purple 3)",
                )
                p["draw"] = gr.Button("Make a mixture from the drawing", size="sm")
            with gr.Accordion("Paste or upload points", open=False):
                p["csv_box"] = gr.Textbox(
                    label=f"Points: one `x, y` or `x, y, class` per line (≤ {MAX_POINTS:,} lines)",
                    lines=5,
                    max_length=MAX_CSV_CHARS,
                    placeholder="-1.0, 0.5, 0\n1.2, -0.3, 1",
                )
                p["csv_file"] = gr.File(label="…or a CSV file (≤ 200 kB)", file_types=[".csv", ".txt"], height=90)
                p["points"] = gr.Button("Make a mixture from the points", size="sm")
            p["width"] = gr.Slider(*WIDTH_RANGE, value=DEFAULT_WIDTH, step=0.01, label="Width (std) of each point")
            p["cap"] = gr.Slider(1, MAX_COMPONENTS, value=DEFAULT_CAP, step=1, label="At most this many components")
            ui.control("spec", lines=3, max_lines=8, buttons=["copy"])
            ui.output("message", gr.Markdown(summary(DEFAULT_SPEC)))
            p["use"] = gr.Button("Use in all tabs", variant="primary")
            ui.link_row()
        with gr.Column(scale=2, min_width=320, elem_classes=["main-col"]):
            ui.plot("preview")
            table = gr.Dataframe(
                table_rows(DEFAULT_SPEC),
                headers=COLUMNS,
                datatype="number",
                type="array",
                interactive=True,
                label="Components (edit a cell, or add a row)",
                max_height=380,
            )
            ui.output("table", table)
    gr.Markdown(NOTES, latex_delimiters=[{"left": "$", "right": "$", "display": False}])
    ui.output("canonical", gr.State(DEFAULT_SPEC))
    gr.api(user_facing(your_data), api_name="your_data")
    gr.api(user_facing(points_mixture), api_name="points_mixture")


def build() -> kit.UI:
    """The tab from its spec, plus its own ways to make a spec: Enter in the box, the table, a preset, a
    drawing, points. Each answers with the spec box and every output; a refusal keeps the last valid mixture.
    `ui.parts["use"]` (the "Use in all tabs" button) and `ui.outputs["canonical"]` serve app.use_everywhere."""
    import gradio as gr

    from demos.inputs import user_facing
    from demos.sharing import link_js, stale_js

    ui = kit.build(SPEC, layout)
    p, out, spec_box = ui.parts, ui.outputs, ui.controls["spec"]
    canonical_spec = out["canonical"]
    skip = gr.skip

    def refused(err: Exception, keep: str):
        text = str(err)[:300]
        return f"⚠ {text} The preview and the spec keep the last valid mixture ({data_title(keep)})."

    def show(spec: str, with_table: bool = True):
        prefetch_floors(spec)  # a mixture made here: its noise floors are computed while the user looks at it
        return (spec, preview_figure(spec), table_rows(spec) if with_table else skip(), summary(spec), spec)

    def on_spec(text, current):
        try:
            return show(data_view(text)[3])
        except (ValueError, DataSpecError) as err:
            return skip(), skip(), skip(), refused(err, current), skip()

    def on_table(rows, current):
        try:
            return show(spec_from_table(rows), with_table=False)
        except DataSpecError as err:
            return skip(), skip(), skip(), refused(err, current), skip()

    def on_preset(key, current):
        if key not in PRESETS:
            return skip(), skip(), skip(), skip(), skip()
        return show(spec_from_preset(key))

    def on_draw(value, w, k, current):
        try:
            pts, labels = drawing_points(value)
            spec = spec_from_points(pts, labels, w, k)
        except DataSpecError as err:
            return skip(), skip(), skip(), refused(err, current), skip()
        shown = show(spec)
        return (*shown[:3], f"Drawing: {len(pts):,} points → " + shown[3].lstrip("✓ "), shown[4])

    def on_points(text, file, w, k, current):
        try:
            text = read_points_file(file) if file is not None else (text or "")
            pts, labels = parse_points(text)
            spec = spec_from_points(pts, labels, w, k)
        except (DataSpecError, OSError) as err:
            return skip(), skip(), skip(), refused(err, current), skip()
        shown = show(spec)
        return (*shown[:3], f"Points: {len(pts):,} → " + shown[3].lstrip("✓ "), shown[4])

    updates = [spec_box, out["preview"], out["table"], out["message"], canonical_spec]
    private = dict(api_visibility="private")
    spec_box.submit(user_facing(on_spec), [spec_box, canonical_spec], updates, **private)
    spec_box.blur(user_facing(on_spec), [spec_box, canonical_spec], updates, **private)
    out["table"].input(
        user_facing(on_table), [out["table"], canonical_spec], updates, trigger_mode="always_last", **private
    )
    p["preset"].input(user_facing(on_preset), [p["preset"], canonical_spec], updates, **private)
    p["draw"].click(user_facing(on_draw), [p["sketch"], p["width"], p["cap"], canonical_spec], updates, **private)
    points_inputs = [p["csv_box"], p["csv_file"], p["width"], p["cap"], canonical_spec]
    p["points"].click(user_facing(on_points), points_inputs, updates, **private)
    # the link carries the spec box, which shows the canonical spec after every valid change
    stale = stale_js(link_js(TAB_ID, CONTROLS))  # a stale link never stays shown
    for event in (out["table"].input, p["preset"].input, p["draw"].click, p["points"].click):
        event(None, [*ui.inputs(), p["link"]], p["link"], js=stale, **private)
    p["use"].click(
        lambda spec: f"{summary(spec)} Selected in every tab's data control.", canonical_spec, out["message"], **private
    )
    return ui
