"""Export for slides: every plot's PNG (3× its drawn size) / SVG / full screen, a trajectory animation as a
GIF made on the server, and the samples as CSV. Shared by every tab.

How to use in a tab's `build()` (inside the Blocks):

    from demos import export
    main = export.plot(gr, "rev-main")                  # a gr.Plot with PNG, SVG and Full screen buttons
    with gr.Accordion("Export for slides", open=False):
        gif_btn, csv_btn, files = export.controls(gr)    # two buttons and the gr.File they fill
    gif_btn.click(user_facing(make_gif), controls, files, api_visibility="private")

where `make_gif(*values)` returns `export.gif_file(frames, "name")` and `make_csv(*values)` returns
`export.csv_file(["x", "y"], rows, "name")`. Frames are the dicts `demos.plotting.attach_frames` takes
(value, title, traces, optional z and range) plus, for the GIF, each trace's style: see `gif_bytes`.
The PNG / SVG buttons run in the browser (Plotly.downloadImage on the drawn figure): what is on screen is
what is saved. WebGL traces (many points) are embedded in an SVG as a picture; everything else is vector.
"""

from __future__ import annotations

import csv
import io
import json
import math
import tempfile
import time
from pathlib import Path

import numpy as np

from demos import plotting

MAX_GIF_FRAMES = 60
GIF_SIZE = 640  # pixels of the square plot area (a title band is added above)
GIF_SECONDS = 6.0
PNG_SCALE = 3
EXPORT_DIR = Path(tempfile.gettempdir()) / "reading-room-exports"
FONT_FILE = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


# ---------------------------------------------------------------------------- in the browser: PNG, SVG, full screen
def image_js(elem_id: str, fmt: str, scale: int = PNG_SCALE) -> str:
    """Save the plot `elem_id` as it is drawn, as PNG (`scale`× its size) or SVG."""
    return (
        "() => { const r = document.getElementById(" + json.dumps(elem_id) + ");"
        " const gd = r && r.querySelector('.js-plotly-plot'); if (!gd || !window.Plotly) return;"
        " window.Plotly.downloadImage(gd, {format: " + json.dumps(fmt) + ", scale: " + str(int(scale)) + ","
        " filename: " + json.dumps(elem_id) + "}); }"
    )


def fullscreen_js(elem_id: str) -> str:
    """Show the plot `elem_id` full screen (again: back); the figure is redrawn to the screen's width and height
    (its own width alone would leave it in the left part of the screen), and back to its size on leaving."""
    return (
        "() => { const r = document.getElementById(" + json.dumps(elem_id) + ");"
        " const gd = r && r.querySelector('.js-plotly-plot'); if (!gd || !window.Plotly) return;"
        " if (document.fullscreenElement) { document.exitFullscreen(); return; }"
        " const s0 = gd.style.height, h0 = gd.layout.height || parseFloat(s0) || null, w0 = gd.layout.width;"
        " const back = () => { if (!document.fullscreenElement) { r.style.background = ''; gd.style.height = s0;"
        "   window.Plotly.relayout(gd, {height: h0, width: w0 === undefined ? null : w0});"
        "   document.removeEventListener('fullscreenchange', back); } };"
        " r.requestFullscreen().then(() => { r.style.background = 'white';"
        "   gd.style.height = (window.innerHeight - 30) + 'px';"
        "   window.Plotly.relayout(gd, {height: window.innerHeight - 30, width: window.innerWidth - 20});"
        "   document.addEventListener('fullscreenchange', back); }).catch(() => {}); }"
    )


def plot(gr, elem_id: str, **kwargs):
    """A gr.Plot whose toolbar has "PNG", "SVG" and "Full screen" buttons (plain text: emoji have no font
    in every browser). `kwargs` go to gr.Plot."""
    png = gr.Button("PNG", size="sm")
    svg = gr.Button("SVG", size="sm")
    full = gr.Button("Full screen", size="sm")
    component = gr.Plot(elem_id=elem_id, buttons=[png, svg, full], **kwargs)
    png.click(None, js=image_js(elem_id, "png"), api_visibility="private")
    svg.click(None, js=image_js(elem_id, "svg", 1), api_visibility="private")
    full.click(None, js=fullscreen_js(elem_id), api_visibility="private")
    return component


def controls(gr, gif_label: str = "Animation as GIF", csv_label: str = "Samples as CSV"):
    """(GIF button, CSV button, the gr.File they fill) for a tab's "Export for slides" accordion."""
    with gr.Row():
        gif = gr.Button(gif_label, size="sm")
        table = gr.Button(csv_label, size="sm")
    files = gr.File(label="Download", interactive=False, height=80)
    return gif, table, files


# ---------------------------------------------------------------------------- on the server: files
def _path(name: str, suffix: str) -> Path:
    EXPORT_DIR.mkdir(parents=True, exist_ok=True)
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name)[:60] or "export"
    return EXPORT_DIR / f"{safe}-{time.time_ns()}{suffix}"


def csv_text(header: list[str], rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([f"{v:.6g}" if isinstance(v, float | np.floating) else v for v in row])
    return out.getvalue()


def csv_file(header: list[str], rows, name: str) -> str:
    """Write a CSV (numbers to 6 significant digits) and return its path, for a gr.File output."""
    path = _path(name, ".csv")
    path.write_text(csv_text(header, rows))
    return str(path)


def image_file(pixels: np.ndarray, name: str) -> str:
    """A picture (H, W, 3 uint8) as a PNG file named by its content, for a gr.Image output; returns its path.

    A file a response serves is never rewritten in place: Gradio's own cache writes a numpy image to a file
    named by its hash with a plain write, so two identical requests at once rewrite (truncate) the file while
    the first answer is being sent ("Too little data for declared Content-Length", issue 26.10). Here the
    bytes go to a temporary file that is renamed onto the content's name (atomic on one file system), and a
    file of that name is never written again; Gradio copies a path into its cache the same way."""
    import hashlib
    import os

    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8)).save(out, format="PNG")
    data = out.getvalue()
    EXPORT_DIR.mkdir(parents=True, exist_ok=True)
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name)[:60] or "image"
    path = EXPORT_DIR / f"{safe}-{hashlib.sha256(data).hexdigest()[:32]}.png"
    if not path.exists():
        fd, staging = tempfile.mkstemp(dir=EXPORT_DIR, prefix=f".{path.name}.")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(staging, path)
        except BaseException:
            Path(staging).unlink(missing_ok=True)
            raise
    return str(path)


def _rgba(colour: str) -> tuple[int, int, int, int]:
    """'#rrggbb' or 'rgba(r, g, b, a)' → a Pillow RGBA tuple."""
    colour = colour.strip()
    if colour.startswith("#"):
        return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16), 255
    parts = [float(p) for p in colour[colour.index("(") + 1 : colour.index(")")].split(",")]
    alpha = int(round(255 * parts[3])) if len(parts) > 3 else 255
    return int(parts[0]), int(parts[1]), int(parts[2]), alpha


def _font(size: int):
    from PIL import ImageFont

    try:
        return ImageFont.truetype(FONT_FILE, size)
    except OSError:
        return ImageFont.load_default(size=size)


GIF_MARGINS = dict(left=64, right=20, top=64, bottom=48)  # px around the plot area: title band, tick labels


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About n round tick values (steps of 1, 2 or 5 × 10^k) inside [lo, hi]."""
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 5, 10)), key=lambda s: abs(s - raw))
    start = math.ceil(lo / step - 1e-9) * step
    return [round(start + k * step, 12) for k in range(int((hi - start) / step + 1e-9) + 1)]


def render_frame(frame: dict, styles: list[dict], size: int = GIF_SIZE, view=None):
    """One frame as a Pillow RGB image: density (if any), then each trace as lines or points, then axes with
    ticks, then the title. `view` (x0, x1, y0, y1) is the plotted range (default: the frame's own); a frame's
    density is drawn over its own range inside it.

    styles[j] for frame["traces"][j]: {"kind": "lines" | "points", "color": css colour, "width": px}."""
    from PIL import Image, ImageDraw

    x0, x1, y0, y1 = view if view is not None else frame["range"]
    m = GIF_MARGINS
    img = Image.new("RGB", (m["left"] + size + m["right"], m["top"] + size + m["bottom"]), "white")

    def pixels(xy: np.ndarray) -> np.ndarray:
        px = m["left"] + (xy[:, 0] - x0) / (x1 - x0) * size
        py = m["top"] + (y1 - xy[:, 1]) / (y1 - y0) * size
        return np.stack([px, py], 1)

    if frame.get("z") is not None:
        fx0, fx1, fy0, fy1 = frame["range"]
        (left, top), (right, bottom) = np.round(pixels(np.array([[fx0, fy1], [fx1, fy0]]))).astype(int)
        heat = Image.fromarray(plotting.density_rgb(np.asarray(frame["z"], dtype=np.float64))[::-1])
        img.paste(heat.resize((max(1, right - left), max(1, bottom - top)), Image.BILINEAR), (left, top))
    layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    for xy, style in zip(frame["traces"], styles):
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        colour, width = _rgba(style.get("color", "#111827")), float(style.get("width", 2))
        if style.get("kind", "points") == "lines":
            breaks = ~np.isfinite(xy).all(1)
            pieces = np.split(xy, np.flatnonzero(breaks))
            for piece in pieces:
                piece = piece[np.isfinite(piece).all(1)]
                if len(piece) >= 2:
                    draw.line([tuple(p) for p in pixels(piece)], fill=colour, width=max(1, int(round(width))))
        else:
            r = max(1.0, width / 2)
            for px, py in pixels(xy[np.isfinite(xy).all(1)]):
                draw.ellipse([px - r, py - r, px + r, py + r], fill=colour)
    img = Image.alpha_composite(img.convert("RGBA"), layer).convert("RGB")
    # what lies outside the plot area (a path leaving the range) is covered by the margins again
    text = ImageDraw.Draw(img)
    width, height = img.size
    for box in ((0, 0, width, m["top"]), (0, m["top"] + size, width, height)):
        text.rectangle(box, fill="white")
    for box in ((0, 0, m["left"], height), (m["left"] + size, 0, width, height)):
        text.rectangle(box, fill="white")
    ink, font, small = (17, 24, 39), _font(18), _font(14)
    text.rectangle([m["left"], m["top"], m["left"] + size, m["top"] + size], outline=ink, width=1)
    for v in nice_ticks(x0, x1):
        px = m["left"] + (v - x0) / (x1 - x0) * size
        text.line([px, m["top"] + size, px, m["top"] + size + 6], fill=ink, width=1)
        text.text((px, m["top"] + size + 8), f"{v:g}", fill=ink, font=small, anchor="ma")
    for v in nice_ticks(y0, y1):
        py = m["top"] + (y1 - v) / (y1 - y0) * size
        text.line([m["left"] - 6, py, m["left"], py], fill=ink, width=1)
        text.text((m["left"] - 9, py), f"{v:g}", fill=ink, font=small, anchor="rm")
    lines = str(frame.get("title", "")).replace("<br>", "\n").split("\n")[:2]
    for k, line in enumerate(lines):
        text.text((10, 8 + 24 * k), line, fill=ink, font=font)
    return img


def gif_view(frames: list[dict]) -> tuple[float, float, float, float]:
    """One plotted range for a whole animation, the union of its frames' ranges: the axes never rescale."""
    ranges = np.array([f["range"] for f in frames], dtype=np.float64)
    return float(ranges[:, 0].min()), float(ranges[:, 1].max()), float(ranges[:, 2].min()), float(ranges[:, 3].max())


def gif_bytes(frames: list[dict], styles: list[dict], seconds: float = GIF_SECONDS, size: int = GIF_SIZE) -> bytes:
    """An animated GIF (Pillow's writer, looping) of at most MAX_GIF_FRAMES frames, the last one held, on one
    fixed range with axes."""
    if not frames:
        raise ValueError("Nothing to animate.")
    if len(frames) > MAX_GIF_FRAMES:
        keep = np.unique(np.linspace(0, len(frames) - 1, MAX_GIF_FRAMES).round().astype(int))
        frames = [frames[k] for k in keep]
    view = gif_view(frames)
    images = [render_frame(f, styles, size, view).quantize(colors=128, method=2, dither=0) for f in frames]
    step = int(np.clip(1000 * seconds / len(images), 60, 500))
    durations = [step] * (len(images) - 1) + [1500]
    out = io.BytesIO()
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:], duration=durations, loop=0)
    return out.getvalue()


def gif_file(frames: list[dict], styles: list[dict], name: str) -> str:
    """Write `gif_bytes` to a file and return its path, for a gr.File output."""
    path = _path(name, ".gif")
    path.write_bytes(gif_bytes(frames, styles))
    return str(path)
