"""Shared plotly helpers: one style for every tab (light, large type, readable on a projector and a
phone). Figures stay light: Scattergl for many points, a coarse grid for fields, arrows as a single
line trace with NaN breaks."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from core.mixture import GaussianMixture

FONT = dict(family="Inter, Segoe UI, Helvetica, Arial, sans-serif", size=15, color="#1f2937")
PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777"]
DENSITY_SCALE = [[0, "#ffffff"], [0.25, "#dbeafe"], [0.6, "#93c5fd"], [1, "#1e40af"]]
PATH_COLOR = "rgba(220, 38, 38, 0.55)"
SAMPLE_COLOR = "rgba(15, 23, 42, 0.55)"


def wrap_title(title: str, width: int = 44) -> str:
    """Break a long title at its " · " or ": " separators so it stays readable on a phone."""
    parts = title.replace(": ", ": \0").replace(" · ", " · \0").split("\0")
    lines, line = [], ""
    for part in parts:
        if line and len(line) + len(part) > width:
            lines.append(line.rstrip(" ·"))
            line = ""
        line += part
    lines.append(line)
    return "<br>".join(lines)


def base_layout(fig: go.Figure, title: str = "", height: int = 560, square: bool = True) -> go.Figure:
    """Light theme, big fonts, legend below the plot (keeps the plot wide on a phone)."""
    title = wrap_title(title)
    fig.update_layout(
        template="plotly_white",
        title=dict(text=title, x=0.01, xanchor="left", font=dict(size=16)),
        font=FONT,
        height=height,
        margin=dict(l=50, r=20, t=40 + 22 * (title.count("<br>") + 1), b=40),
        legend=dict(orientation="h", yanchor="top", y=-0.16, x=0, font=dict(size=13)),
        uirevision="keep",
    )
    if square:  # equal units on both axes; the plot area shrinks rather than the range growing
        fig.update_yaxes(scaleanchor="x", scaleratio=1, constrain="domain")
        fig.update_xaxes(constrain="domain")
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


def arrows_trace(
    points: np.ndarray, vectors: np.ndarray, length: float, name: str = "score ∇log p_t", color: str = "#0f766e"
) -> go.Scatter:
    """Vectors drawn as short segments (direction, length ∝ log(1 + |v|)) in one trace with NaN breaks."""
    norm = np.linalg.norm(vectors, axis=1, keepdims=True)
    scaled = vectors / np.maximum(norm, 1e-12) * (np.log1p(norm) / max(np.log1p(norm).max(), 1e-12)) * length
    tips = points + scaled
    segs = np.full((len(points) * 3, 2), np.nan)
    segs[0::3], segs[1::3] = points, tips
    return go.Scatter(
        x=segs[:, 0].astype(np.float32),
        y=segs[:, 1].astype(np.float32),
        mode="lines",
        line=dict(color=color, width=1.4),
        name=name,
        hoverinfo="skip",
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


def paths_trace(paths: np.ndarray, name: str = "paths", color: str = PATH_COLOR, width: float = 1.3) -> go.Scatter:
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


def warm_up() -> None:
    """The first go.Figure in a process costs ~180 ms (plotly loads validators lazily): pay it at start-up."""
    fig = go.Figure(go.Scattergl(x=[0.0], y=[0.0]))
    fig.add_trace(go.Heatmap(z=[[0.0]]))
    fig.add_trace(go.Contour(z=[[0.0, 1.0], [1.0, 0.0]]))
    fig.to_json()
