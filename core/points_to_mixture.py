"""Points → an exact Gaussian mixture: each point becomes a small Gaussian N(p, w² I) of a chosen width w,
and when there are more points than the component cap, points are merged into clusters whose Gaussian
matches the cluster's first two moments (moment matching, as in Runnalls 2007 / Salmond 1990 mixture
reduction). The merged mixture therefore keeps, exactly, the weight, mean and covariance of every
cluster, and so the overall mean and covariance of the point mixture.

Clusters come from k-means (Lloyd's iterations from a deterministic farthest-point start), run within
each class, so class labels survive the merge. Everything here is deterministic: the same points give
the same mixture, hence the same `gmm:` spec and the same caches.

CSV text is parsed without evaluating anything: lines are split on commas, semicolons, tabs or spaces,
each field must look like a decimal number, and the input is capped in characters and rows.
"""

from __future__ import annotations

import math
import re

import numpy as np

from core.dataspec import MAX_ABS_MEAN, MAX_ANISOTROPY, MAX_CLASS, MAX_COMPONENTS, STD_RANGE, DataSpecError
from core.dataspec import mixture_from_rows as _rows_to_mixture
from core.mixture import GaussianMixture

MAX_POINTS = 5000  # rows of a CSV, or points of a drawing, turned into one mixture
MAX_CSV_CHARS = 200_000  # ~40 characters a row at the row cap
WIDTH_RANGE = (0.02, 2.0)  # the std of each point's Gaussian
LLOYD_ITERATIONS = 30
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$", re.ASCII)  # ASCII digits only
_SPLIT = re.compile(r"[,;\t ]+")


class PointsError(DataSpecError):
    """Points that cannot be turned into a mixture; the message says what to change."""


# ---------------------------------------------------------------------------- CSV
def parse_points(text: str) -> tuple[np.ndarray, np.ndarray]:
    """CSV text of `x, y` or `x, y, class` per line → (points (n, 2), labels (n,)).

    A first line that is not numbers is taken as a header and skipped; empty lines and lines starting with
    `#` are skipped. Separators: comma, semicolon, tab or spaces. Caps: MAX_CSV_CHARS characters,
    MAX_POINTS rows, |x|, |y| ≤ MAX_ABS_MEAN, classes 0..MAX_CLASS."""
    if not isinstance(text, str):
        raise PointsError("Points must be text: one point per line, `x, y` or `x, y, class`.")
    if len(text) > MAX_CSV_CHARS:
        raise PointsError(f"At most {MAX_CSV_CHARS:,} characters of points are accepted; this has {len(text):,}.")
    lines = [(i, line.strip()) for i, line in enumerate(text.splitlines(), start=1)]
    lines = [(i, line) for i, line in lines if line and not line.startswith("#")]
    if len(lines) > 1 and not all(_NUMBER.match(f) for f in _SPLIT.split(lines[0][1]) if f):
        lines = lines[1:]  # a header such as "x,y,class"
    if not lines:
        raise PointsError("No points found: write one point per line, `x, y` or `x, y, class`.")
    if len(lines) > MAX_POINTS:
        raise PointsError(f"At most {MAX_POINTS:,} points are accepted; this has {len(lines):,} rows.")
    points, labels = np.empty((len(lines), 2)), np.zeros(len(lines), dtype=int)
    for row, (i, line) in enumerate(lines):
        fields = [f for f in _SPLIT.split(line) if f]
        if len(fields) not in (2, 3):
            raise PointsError(f"Line {i} has {len(fields)} fields; write `x, y` or `x, y, class`.")
        for f in fields:
            if not _NUMBER.match(f):
                shown = f if len(f) <= 20 else f[:20] + "…"
                raise PointsError(f"Line {i}: {shown!r} is not a number.")
        x, y = float(fields[0]), float(fields[1])
        if not (math.isfinite(x) and math.isfinite(y)) or max(abs(x), abs(y)) > MAX_ABS_MEAN:
            raise PointsError(f"Line {i}: points must lie within ±{MAX_ABS_MEAN:g} on each axis.")
        points[row] = x, y
        if len(fields) == 3:
            c = float(fields[2])
            if c != int(c) or not 0 <= c <= MAX_CLASS:
                raise PointsError(f"Line {i}: the class must be a whole number from 0 to {MAX_CLASS}.")
            labels[row] = int(c)
    return points, labels


def typed_points(value, max_points: int, max_abs: float = MAX_ABS_MEAN, what: str = "Point") -> np.ndarray:
    """Points typed as text "x, y; x, y" (or one per line, parentheses allowed) or given as table rows (a list
    of rows, a Gradio dataframe dict {"data": rows}, a pandas DataFrame) → (n, 2); blank rows are skipped and
    no points give an empty (0, 2) array. Text fields must look like decimal numbers (`_NUMBER`, as in CSV);
    at most `max_points` points, each coordinate within ±max_abs. Messages name the point at fault."""
    if value is None:
        rows = []
    elif isinstance(value, str):
        rows = [r.replace("(", "").replace(")", "").split(",") for r in value.replace("\n", ";").split(";")]
    elif isinstance(value, dict) and "data" in value:
        rows = list(value["data"])
    elif hasattr(value, "values") and hasattr(value, "columns"):  # a pandas DataFrame
        rows = value.values.tolist()
    elif isinstance(value, list | tuple | np.ndarray):
        rows = list(value)
    else:
        raise PointsError(f"{what}s must be a table of x, y values or text 'x, y; x, y'.")
    rows = [list(r) if isinstance(r, list | tuple | np.ndarray) else [r] for r in rows]
    rows = [r for r in rows if not all(_blank(c) for c in r)]
    if len(rows) > max_points:
        raise PointsError(f"At most {max_points} points are accepted; got {len(rows)}.")
    points = np.empty((len(rows), 2))
    for i, row in enumerate(rows, start=1):
        if len(row) != 2 or any(_blank(c) for c in row):
            shown = ", ".join(str(c).strip() for c in row)[:20]
            raise PointsError(f'{what} {i} ({shown}) must be two numbers "x, y" (exactly two numbers, got {len(row)}).')
        points[i - 1] = [_coordinate(c, f"{what} {i}") for c in row]
        if not np.abs(points[i - 1]).max() <= max_abs:
            x, y = points[i - 1]
            raise PointsError(f"{what} {i} ({x:g}, {y:g}) is too far out: keep |x| and |y| ≤ {max_abs:g}.")
    return points


def _blank(cell) -> bool:
    return (
        cell is None or (isinstance(cell, str) and not cell.strip()) or (isinstance(cell, float) and math.isnan(cell))
    )


def _coordinate(cell, where: str) -> float:
    """A number from a table cell or a text field (text must look like a decimal number, never evaluated)."""
    if isinstance(cell, str):
        text = cell.strip()
        if not _NUMBER.match(text):
            shown = text if len(text) <= 20 else text[:20] + "…"
            raise PointsError(f"{where}: {shown!r} must be a number.")
        return float(text)
    if isinstance(cell, bool | np.bool_) or not isinstance(cell, int | float | np.integer | np.floating):
        raise PointsError(f"{where}: {cell!r} must be a number.")
    return float(cell)


def points_to_csv(points: np.ndarray, labels: np.ndarray | None = None) -> str:
    """The inverse of `parse_points` (6 significant digits), e.g. to show drawn points as text."""
    labels = np.zeros(len(points), dtype=int) if labels is None else labels
    return "\n".join(f"{x:.6g}, {y:.6g}, {int(c)}" for (x, y), c in zip(points, labels))


# ---------------------------------------------------------------------------- clustering
def _farthest_point_start(points: np.ndarray, k: int) -> np.ndarray:
    """k starting centres: the point nearest the mean, then repeatedly the point farthest from all chosen."""
    first = int(np.argmin(((points - points.mean(0)) ** 2).sum(1)))
    chosen = [first]
    dist = ((points - points[first]) ** 2).sum(1)
    for _ in range(1, k):
        nxt = int(np.argmax(dist))
        chosen.append(nxt)
        dist = np.minimum(dist, ((points - points[nxt]) ** 2).sum(1))
    return points[chosen].copy()


def kmeans(points: np.ndarray, k: int, iterations: int = LLOYD_ITERATIONS) -> np.ndarray:
    """Cluster index of each point (k-means, Lloyd's iterations, deterministic start; no empty clusters)."""
    n = len(points)
    k = min(k, n)
    if k == n:
        return np.arange(n)
    centres = _farthest_point_start(points, k)
    assign = np.full(n, -1)
    sq = (points**2).sum(1)[:, None]
    for _ in range(iterations):
        d = sq - 2 * points @ centres.T + (centres**2).sum(1)[None]  # squared distances, (n, k)
        new = np.argmin(d, axis=1)
        counts = np.bincount(new, minlength=k)
        for empty in np.flatnonzero(counts == 0):  # re-seed an empty cluster at the worst-served point
            far = int(np.argmax(d[np.arange(n), new]))
            new[far] = empty
            d[far] = 0.0
        if np.array_equal(new, assign):
            break
        assign = new
        counts = np.bincount(assign, minlength=k)
        centres = np.stack([np.bincount(assign, points[:, j], minlength=k) for j in range(2)], 1) / counts[:, None]
    return assign


def _allocate(counts: np.ndarray, total: int) -> np.ndarray:
    """Components per class: proportional to the class's points (largest remainders), at least one each,
    never more than the class has points."""
    share = counts / counts.sum() * total
    alloc = np.maximum(1, np.floor(share).astype(int))
    alloc = np.minimum(alloc, counts)
    while alloc.sum() < min(total, counts.sum()):
        room = np.where(alloc < counts, share - alloc, -np.inf)
        alloc[int(np.argmax(room))] += 1
    while alloc.sum() > total:
        over = np.where(alloc > 1, alloc - share, -np.inf)
        alloc[int(np.argmax(over))] -= 1
    return alloc


# ---------------------------------------------------------------------------- merging
def merge_moments(points: np.ndarray, width: float) -> tuple[np.ndarray, np.ndarray]:
    """The Gaussian with the same mean and covariance as the equal mixture of N(p, w² I) over `points`:
    mean = mean of the points, covariance = w² I + (biased) covariance of the points."""
    mean = points.mean(0)
    d = points - mean
    return mean, width**2 * np.eye(2) + d.T @ d / len(points)


def _row(weight: float, mean: np.ndarray, cov: np.ndarray, label: int):
    """A table row (weight, mean x, mean y, std major, std minor, angle°, class) of one component, its
    stds clipped to the data-spec caps (only a cluster spanning > ±20 or a needle > 1000:1 is clipped)."""
    vals, vecs = np.linalg.eigh(cov)
    major = vecs[:, 1]
    angle = math.degrees(math.atan2(major[1], major[0]))
    angle = angle - 180 if angle > 90 else (angle + 180 if angle <= -90 else angle)
    sx = float(np.clip(math.sqrt(max(vals[1], 0.0)), *STD_RANGE))
    sy = float(np.clip(math.sqrt(max(vals[0], 0.0)), max(STD_RANGE[0], sx / MAX_ANISOTROPY * (1 + 1e-9)), sx))
    if math.isclose(sx, sy, rel_tol=1e-12):  # isotropic: no direction (and an exactly diagonal covariance)
        angle = 0.0
    return (float(weight), float(mean[0]), float(mean[1]), sx, sy, angle, int(label))


def points_to_rows(points, labels=None, width: float = 0.15, max_components: int = 30) -> list[tuple]:
    """Table rows of the mixture that `points` (each a Gaussian of std `width`) make with at most
    `max_components` components: the points themselves if they fit, else moment-matched clusters."""
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2 or len(points) == 0:
        raise PointsError("Give at least one point (x, y).")
    if len(points) > MAX_POINTS:
        raise PointsError(f"At most {MAX_POINTS:,} points are accepted; got {len(points):,}.")
    if not np.all(np.isfinite(points)) or np.abs(points).max() > MAX_ABS_MEAN:
        raise PointsError(f"Points must be finite and lie within ±{MAX_ABS_MEAN:g} on each axis.")
    labels = np.zeros(len(points), dtype=int) if labels is None else np.asarray(labels)
    if labels.shape != (len(points),) or (labels.size and (labels.min() < 0 or labels.max() > MAX_CLASS)):
        raise PointsError(f"Give one class per point, each a whole number from 0 to {MAX_CLASS}.")
    labels = labels.astype(int)
    width = float(width)
    if not (math.isfinite(width) and WIDTH_RANGE[0] <= width <= WIDTH_RANGE[1]):
        raise PointsError(f"The width of each point must lie between {WIDTH_RANGE[0]:g} and {WIDTH_RANGE[1]:g}.")
    if isinstance(max_components, bool) or int(max_components) != max_components:
        raise PointsError("The number of components must be a whole number.")
    max_components = int(max_components)
    classes, counts = np.unique(labels, return_counts=True)
    if not len(classes) <= max_components <= MAX_COMPONENTS:
        raise PointsError(
            f"The number of components must lie between {len(classes)} (one per class) and {MAX_COMPONENTS}."
        )
    n = len(points)
    rows = []
    for c, k in zip(classes, _allocate(counts, max_components)):
        members = points[labels == c]
        assign = kmeans(members, int(k))
        for j in range(int(assign.max()) + 1):
            cluster = members[assign == j]
            mean, cov = merge_moments(cluster, width)
            rows.append(_row(len(cluster) / n, mean, cov, c))
    return rows


def points_to_mixture(points, labels=None, width: float = 0.15, max_components: int = 30) -> GaussianMixture:
    """The exact mixture of `points_to_rows` (validated against the data-spec caps)."""
    return _rows_to_mixture(points_to_rows(points, labels, width, max_components))


# ---------------------------------------------------------------------------- drawings
def strokes_to_points(
    image: np.ndarray, box: float, palette: list[tuple[int, int, int]], spacing_px: int = 6
) -> tuple[np.ndarray, np.ndarray]:
    """Painted pixels of an RGBA drawing → points on the square [-box, box]², one per `spacing_px` cell
    that holds paint (the cell's painted pixels' mean position), class = the nearest palette colour.

    The canvas maps linearly: column 0 → x = -box, the last column → x = +box; row 0 (the top) → y = +box,
    the bottom row → y = -box (pixel centres)."""
    img = np.asarray(image)
    if img.ndim != 3 or img.shape[2] not in (3, 4):
        raise PointsError("The drawing must be an RGB or RGBA image.")
    h, w = img.shape[:2]
    painted = img[..., 3] > 0 if img.shape[2] == 4 else np.any(img[..., :3] < 250, axis=-1)
    rows, cols = np.nonzero(painted)
    if len(rows) == 0:
        raise PointsError("Nothing is drawn yet: paint some strokes on the canvas first.")
    colours = img[rows, cols, :3].astype(float)
    pal = np.asarray(palette, dtype=float)
    cls = np.argmin(((colours[:, None, :] - pal[None]) ** 2).sum(-1), axis=1)
    cell = (rows // spacing_px) * (w // spacing_px + 1) + cols // spacing_px
    key = cell * len(pal) + cls  # one point per (cell, colour)
    uniq, inverse = np.unique(key, return_inverse=True)
    counts = np.bincount(inverse)
    mean_r = np.bincount(inverse, rows) / counts
    mean_c = np.bincount(inverse, cols) / counts
    x = -box + (mean_c + 0.5) / w * 2 * box
    y = box - (mean_r + 0.5) / h * 2 * box
    labels = (uniq % len(pal)).astype(int)
    points = np.stack([x, y], 1)
    if len(points) > MAX_POINTS:  # a canvas covered in paint: keep every m-th cell (deterministic)
        keep = np.arange(0, len(points), math.ceil(len(points) / MAX_POINTS))
        points, labels = points[keep], labels[keep]
    return points, labels
