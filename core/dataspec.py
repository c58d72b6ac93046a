"""One data spec, accepted wherever a preset key is: a preset key (`ring8`) or a user mixture written as text.

A user mixture reads `gmm:` followed by components separated by `;`, each component being seven numbers
separated by `,`:

    weight, mean x, mean y, std along the major axis, std along the minor axis, angle (degrees), class

e.g. `gmm:1,-2,0,0.3,0.3,0,0;1,2,0,0.5,0.1,30,1`. Four numbers (`weight, mean x, mean y, std`) are accepted
as short hand for an isotropic component of class 0. The covariance is R(angle) diag(sx², sy²) R(angle)ᵀ.

`canonical(spec)` decodes and re-encodes: weights relative to the largest, every number at 6 significant digits
(the encoding's stated precision), so the same mixture always gives the same string. That string is the
cache key of every computation on it, and it is what a URL carries. Decoding never evaluates text: it
splits, converts with `float`, range-checks against the caps below and refuses with a message a user can
act on.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

import numpy as np

from core.datasets import PRESETS, load_preset
from core.mixture import GaussianMixture, MixtureError

PREFIX = "gmm:"
MAX_COMPONENTS = 100  # the checkerboard preset has 72
MAX_SPEC_CHARS = 8000
MAX_ABS_MEAN = 50.0
STD_RANGE = (0.01, 20.0)
MAX_WEIGHT = 1e6
MAX_CLASS = 9
MAX_ANISOTROPY = 1e3  # major / minor std
DIGITS = 6  # significant digits of every encoded number
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


class DataSpecError(ValueError):
    """A data spec that cannot be used; the message says what to change."""


def _fmt(x: float) -> str:
    text = f"{x:.{DIGITS}g}"
    return "0" if text == "-0" else text


def _std_angle(cov: np.ndarray) -> tuple[float, float, float]:
    """(major std, minor std, angle of the major axis in degrees, in (-90, 90]) of a 2×2 covariance."""
    vals, vecs = np.linalg.eigh(cov)  # ascending
    major = vecs[:, 1]
    angle = math.degrees(math.atan2(major[1], major[0]))
    # (-90, 90] as written (6 digits): -89.99999 would print as -90, the same axis as 90
    if float(_fmt(angle)) <= -90:
        angle += 180
    elif float(_fmt(angle)) > 90:
        angle -= 180
    sx, sy = math.sqrt(max(vals[1], 0.0)), math.sqrt(max(vals[0], 0.0))
    if _fmt(sx) == _fmt(sy):  # isotropic as written: the angle means nothing, and 0 keeps one canonical string
        angle = 0.0
    return sx, sy, angle


def covariance(sx: float, sy: float, degrees: float) -> np.ndarray:
    """R diag(sx², sy²) Rᵀ with R the rotation by `degrees`."""
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    rot = np.array([[c, -s], [s, c]])
    return rot @ np.diag([sx * sx, sy * sy]) @ rot.T


def components(mixture: GaussianMixture) -> list[tuple[float, float, float, float, float, float, int]]:
    """The mixture as rows (weight, mean x, mean y, std major, std minor, angle°, class): the table form.
    Weights are relative to the largest (= 1), so that rounding them to 6 digits is idempotent."""
    rows = []
    top = mixture.weights.max()
    for w, mu, cov, c in zip(mixture.weights, mixture.means, mixture.covs, mixture.labels):
        sx, sy, deg = _std_angle(cov)
        rows.append((float(w / top), float(mu[0]), float(mu[1]), sx, sy, deg, int(c)))
    return rows


def encode(mixture: GaussianMixture) -> str:
    """The `gmm:` text of a mixture (weights relative to the largest, 6 significant digits)."""
    return PREFIX + ";".join(",".join([*map(_fmt, row[:6]), str(row[6])]) for row in components(mixture))


def _read_number(text: str, what: str) -> float:
    text = text.strip()
    if not _NUMBER.match(text):
        shown = text if len(text) <= 20 else text[:20] + "…"
        raise DataSpecError(f"{what}: {shown!r} is not a number.")
    value = float(text)
    if not math.isfinite(value):
        raise DataSpecError(f"{what} must be a finite number.")
    return value


def mixture_from_rows(rows) -> GaussianMixture:
    """Rows (weight, mean x, mean y, std major, std minor, angle°, class), range-checked against the caps."""
    rows = list(rows)
    if not rows:
        raise DataSpecError("A mixture needs at least one component.")
    if len(rows) > MAX_COMPONENTS:
        raise DataSpecError(f"At most {MAX_COMPONENTS} components are allowed; this mixture has {len(rows)}.")
    weights, means, covs, labels = [], [], [], []
    for i, (w, mx, my, sx, sy, deg, c) in enumerate(rows, start=1):
        where = f"Component {i}"
        if not 0 < w <= MAX_WEIGHT:
            raise DataSpecError(f"{where}: the weight must be positive and at most {MAX_WEIGHT:g}; got {w:g}.")
        if abs(mx) > MAX_ABS_MEAN or abs(my) > MAX_ABS_MEAN:
            raise DataSpecError(f"{where}: the mean must lie within ±{MAX_ABS_MEAN:g} on each axis.")
        for name, s in (("major std", sx), ("minor std", sy)):
            if not STD_RANGE[0] <= s <= STD_RANGE[1]:
                raise DataSpecError(
                    f"{where}: the {name} must lie between {STD_RANGE[0]:g} and {STD_RANGE[1]:g}; got {s:g}."
                )
        if max(sx, sy) / min(sx, sy) > MAX_ANISOTROPY:
            raise DataSpecError(f"{where}: the two stds may differ by a factor of at most {MAX_ANISOTROPY:g}.")
        if c != int(c) or not 0 <= c <= MAX_CLASS:
            raise DataSpecError(f"{where}: the class must be a whole number from 0 to {MAX_CLASS}; got {c:g}.")
        weights.append(w)
        means.append((mx, my))
        covs.append(covariance(sx, sy, deg))
        labels.append(int(c))
    try:
        return GaussianMixture(weights, means, np.array(covs), np.array(labels, dtype=int))
    except MixtureError as err:
        raise DataSpecError(f"This mixture is not valid: {err}.") from None


def decode(text: str) -> GaussianMixture:
    """A `gmm:` text → GaussianMixture, or DataSpecError with what to fix."""
    if len(text) > MAX_SPEC_CHARS:
        raise DataSpecError(
            f"A data spec may be at most {MAX_SPEC_CHARS:,} characters long; this one has {len(text):,}."
        )
    if not text.startswith(PREFIX):
        raise DataSpecError(f"A user mixture starts with {PREFIX!r}.")
    parts = [p for p in text[len(PREFIX) :].split(";") if p.strip()]
    if len(parts) > MAX_COMPONENTS:
        raise DataSpecError(f"At most {MAX_COMPONENTS} components are allowed; this spec has {len(parts)}.")
    rows = []
    for i, part in enumerate(parts, start=1):
        fields = part.split(",")
        if len(fields) not in (4, 7):
            raise DataSpecError(
                f"Component {i} has {len(fields)} numbers; write 7 (weight, mean x, mean y, std major, "
                "std minor, angle°, class) or 4 (weight, mean x, mean y, std)."
            )
        values = [_read_number(f, f"Component {i}, number {j}") for j, f in enumerate(fields, start=1)]
        if len(values) == 4:
            values = [*values, values[3], 0.0, 0.0]
        rows.append(tuple(values))
    return mixture_from_rows(rows)


def is_preset(spec: str) -> bool:
    return spec in PRESETS


@lru_cache(maxsize=256)
def canonical(spec: str) -> str:
    """The one string naming this data: a preset key as it is, a user mixture re-encoded."""
    if not isinstance(spec, str):
        raise DataSpecError(f"Data must be a preset name or a {PREFIX}… mixture.")
    spec = spec.strip()
    if is_preset(spec):
        return spec
    if not spec.startswith(PREFIX):
        raise DataSpecError(
            f"Unknown data {spec[:40]!r}: choose a preset ({', '.join(PRESETS)}) or write a mixture {PREFIX}…"
        )
    return encode(decode(spec))


@lru_cache(maxsize=64)
def load_data(spec: str) -> GaussianMixture:
    """The exact mixture a data spec names (cached by its canonical string)."""
    spec = canonical(spec)
    return load_preset(spec) if is_preset(spec) else decode(spec)


def data_bandwidth(spec: str) -> float:
    """The MMD kernel width for this data: the preset's, or for a user mixture 1.3 × the median component
    std (geometric mean of the two axes), clipped to [0.05, 0.5], which is how the presets' widths scale."""
    spec = canonical(spec)
    if is_preset(spec):
        return PRESETS[spec].kernel_bandwidth
    det = np.linalg.det(load_data(spec).covs)
    return float(np.clip(1.3 * np.median(det**0.25), 0.05, 0.5))


def data_title(spec: str) -> str:
    spec = canonical(spec)
    if is_preset(spec):
        return PRESETS[spec].title
    n = load_data(spec).n_components
    return f"Your mixture ({n} component{'s' if n > 1 else ''})"
