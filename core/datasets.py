"""Named 2D Gaussian-mixture presets, each with class labels and a one-line lesson.

Every preset is a `GaussianMixture`, so every diffused marginal, score and denoiser is exact.
`kernel_bandwidth` is the Gaussian-kernel width the MMD metric uses on it (about the component scale).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np

from core.mixture import GaussianMixture


def _rotation(theta: float) -> np.ndarray:
    c, s = np.cos(theta), np.sin(theta)
    return np.array([[c, -s], [s, c]])


def ring(n_modes: int = 8, radius: float = 2.0, std: float = 0.15) -> GaussianMixture:
    """n equal modes on a circle; class = parity of the mode index (even / odd)."""
    angle = 2 * np.pi * np.arange(n_modes) / n_modes
    means = radius * np.stack([np.cos(angle), np.sin(angle)], 1)
    return GaussianMixture(np.ones(n_modes), means, np.full(n_modes, std), np.arange(n_modes) % 2)


def grid(n: int = 5, spacing: float = 1.0, std: float = 0.08) -> GaussianMixture:
    """n×n equal modes on a square lattice centred at 0; class = checkerboard colour."""
    c = (np.arange(n) - (n - 1) / 2) * spacing
    xx, yy = np.meshgrid(c, c, indexing="ij")
    means = np.stack([xx.ravel(), yy.ravel()], 1)
    ij = np.add.outer(np.arange(n), np.arange(n)).ravel()
    return GaussianMixture(np.ones(n * n), means, np.full(n * n, std), ij % 2)


def _arc(center, radius, start, stop, n):
    a = np.linspace(start, stop, n)
    return np.asarray(center) + radius * np.stack([np.cos(a), np.sin(a)], 1)


def two_moons(per_moon: int = 14, std: float = 0.12) -> GaussianMixture:
    """The two interleaved half-circles of scikit-learn's make_moons, as 2×14 small Gaussians."""
    upper = _arc((-0.5, -0.25), 1.0, 0, np.pi, per_moon)
    lower = _arc((0.5, 0.25), 1.0, np.pi, 2 * np.pi, per_moon)
    means = np.concatenate([upper, lower]) * 1.5
    labels = np.repeat([0, 1], per_moon)
    return GaussianMixture(np.ones(2 * per_moon), means, np.full(2 * per_moon, std), labels)


def spiral(per_arm: int = 20, std: float = 0.1) -> GaussianMixture:
    """Two interleaved arms of an Archimedean spiral (the 2D swiss roll)."""
    s = np.linspace(0.25, 1.0, per_arm)
    theta = 3 * np.pi * s
    arm = 2.6 * s[:, None] * np.stack([np.cos(theta), np.sin(theta)], 1)
    means = np.concatenate([arm, -arm])
    return GaussianMixture(
        np.ones(2 * per_arm), means, np.full(2 * per_arm, std * np.ones(2 * per_arm)), np.repeat([0, 1], per_arm)
    )


def checkerboard(squares: int = 4, side: float = 1.0, per_side: int = 3) -> GaussianMixture:
    """The 8 dark squares of a 4×4 board, each filled with 3×3 overlapping Gaussians; class = row parity."""
    offsets = (np.arange(per_side) + 0.5) / per_side * side
    means, labels = [], []
    for i in range(squares):
        for j in range(squares):
            if (i + j) % 2 == 0:
                x0, y0 = (i - squares / 2) * side, (j - squares / 2) * side
                for ox in offsets:
                    for oy in offsets:
                        means.append((x0 + ox, y0 + oy))
                        labels.append(j % 2)
    k = len(means)
    return GaussianMixture(np.ones(k), np.array(means), np.full(k, 0.42 * side / per_side), np.array(labels))


def smiley() -> GaussianMixture:
    """A face: outline (class 0), two elongated eyes (class 1), a smiling mouth (class 2)."""
    outline = _arc((0, 0), 2.5, 0, 2 * np.pi, 25)[:-1]
    mouth = _arc((0, 0.1), 1.5, 1.15 * np.pi, 1.85 * np.pi, 9)
    eyes = np.array([[-0.8, 0.8], [0.8, 0.8]])
    means = np.concatenate([outline, eyes, mouth])
    eye_cov = np.diag([0.03, 0.12])
    covs = np.concatenate(
        [
            np.tile(0.12**2 * np.eye(2), (len(outline), 1, 1)),
            np.tile(eye_cov, (2, 1, 1)),
            np.tile(0.12**2 * np.eye(2), (len(mouth), 1, 1)),
        ]
    )
    labels = np.concatenate([np.zeros(len(outline)), np.ones(2), np.full(len(mouth), 2)]).astype(int)
    weights = np.concatenate([np.full(len(outline), 1.0), np.full(2, 3.0), np.full(len(mouth), 1.0)])
    return GaussianMixture(weights, means, covs, labels)


def ncsn_figure3() -> GaussianMixture:
    """Song & Ermon 2019, Fig. 3: 0.2·N((-5,-5), I) + 0.8·N((5,5), I); plain Langevin loses the 1:4."""
    return GaussianMixture([0.2, 0.8], [[-5.0, -5.0], [5.0, 5.0]], [1.0, 1.0], [0, 1])


def anisotropic(n: int = 5) -> GaussianMixture:
    """A pinwheel of elongated components, each covariance rotated to point along its spoke."""
    angles = 2 * np.pi * np.arange(n) / n
    means = 1.8 * np.stack([np.cos(angles), np.sin(angles)], 1)
    base = np.diag([0.5**2, 0.08**2])
    covs = np.array([_rotation(a + 0.6) @ base @ _rotation(a + 0.6).T for a in angles])
    return GaussianMixture(np.ones(n), means, covs, np.arange(n) % 2)


def guidance_collapse() -> GaussianMixture:
    """Class A = an isolated mode at (-2, 0) and one at (1, 0) overlapping class B at (1.8, 0).

    Guidance pushes A's samples away from B, so A's overlapping mode empties as w grows.
    """
    return GaussianMixture([0.25, 0.25, 0.5], [[-2.0, 0.0], [1.0, 0.0], [1.8, 0.0]], [0.35, 0.35, 0.35], [0, 0, 1])


def four_corners() -> GaussianMixture:
    """Modes at (±2, ±2), std 0.3, weights 0.4 / 0.1 / 0.1 / 0.4: inpainting x₂ given x₁ = 2 has an
    exact answer P(x₂ > 0 | x₁ = 2) = 0.2 to test RePaint against."""
    means = [[2.0, 2.0], [2.0, -2.0], [-2.0, 2.0], [-2.0, -2.0]]
    return GaussianMixture([0.1, 0.4, 0.4, 0.1], means, [0.3] * 4, [0, 1, 1, 0])


@dataclass(frozen=True)
class Preset:
    key: str
    title: str
    description: str
    build: Callable[[], GaussianMixture]
    kernel_bandwidth: float


PRESETS: dict[str, Preset] = {
    p.key: p
    for p in [
        Preset(
            "ring8",
            "Ring of 8 (sharp)",
            "8 sharp modes on a circle: few-step samplers smear between modes.",
            lambda: ring(8, 2.0, 0.15),
            0.2,
        ),
        Preset(
            "ring8_soft",
            "Ring of 8 (std 0.5)",
            "Overlapping modes, class = even modes: guidance trades diversity for fidelity.",
            lambda: ring(8, 2.0, 0.5),
            0.2,
        ),
        Preset(
            "ring8_wide",
            "Ring of 8 (std 1.0)",
            "Wide, blended modes: the smooth case where high-order solvers shine.",
            lambda: ring(8, 2.0, 1.0),
            0.2,
        ),
        Preset(
            "grid25",
            "5×5 grid",
            "25 tiny modes: a sampler must place mass in every cell.",
            lambda: grid(5, 1.0, 0.08),
            0.1,
        ),
        Preset("moons", "Two moons", "Two interleaved arcs: curved, thin support.", two_moons, 0.15),
        Preset("spiral", "Spiral (swiss roll)", "Two arms wound together: the score must untangle them.", spiral, 0.15),
        Preset(
            "checkerboard", "Checkerboard", "Sharp-edged squares built from overlapping Gaussians.", checkerboard, 0.15
        ),
        Preset(
            "smiley",
            "Smiley",
            "Outline, eyes and mouth with unequal weights: a face to diffuse and recover.",
            smiley,
            0.15,
        ),
        Preset(
            "ncsn_fig3",
            "NCSN Fig. 3 (0.2 / 0.8)",
            "Song & Ermon's two modes of weights 0.2 and 0.8: plain Langevin gets the ratio wrong, annealing fixes it.",
            ncsn_figure3,
            0.5,
        ),
        Preset(
            "pinwheel",
            "Anisotropic pinwheel",
            "Rotated, elongated covariances: scores are not radial.",
            anisotropic,
            0.15,
        ),
        Preset(
            "guidance_collapse",
            "Guidance collapse (3 modes)",
            "Class A has an isolated and a shared mode: guidance empties the shared one.",
            guidance_collapse,
            0.2,
        ),
        Preset(
            "four_corners",
            "Four corners (inpainting)",
            "Unequal corners: the exact conditional tests inpainting.",
            four_corners,
            0.2,
        ),
    ]
}


@cache
def load_preset(key: str) -> GaussianMixture:
    if key not in PRESETS:
        raise ValueError(f"unknown preset {key!r}; choose one of {sorted(PRESETS)}")
    return PRESETS[key].build()
