"""Distances between a sample set and the exact mixture, each with its noise floor.

* MMD² (Gretton et al. 2012, eq. 3, unbiased) with a Gaussian kernel k(x, y) = exp(-|x-y|²/2h²), the
  mixture side in closed form: E_{y~p} k(x, y) = 2πh² Σ_k π_k N(x; μ_k, Σ_k + h²I), so the only
  sampling noise is the sample set's own.
* Mean negative log-likelihood of the samples under the true density.
* Mode coverage: total variation between the share of samples assigned to each component (by
  maximum responsibility) and the component weights.

The noise floor of a metric is how it scatters over sets of exact samples of the same size. The unbiased
MMD² of exact samples has mean exactly 0, so its floor keeps that known mean and estimates only the spread
(the RMS over exact sets); a value in floor units is then value / sd. That distribution is right-skewed:
measured over 300 exact sets of 2,000 points on ring8, 5 % score above +2 units and 1 % above +3, so
"≤ 2 units" reads "as good as exact sampling 95 % of the time", and a single run at 2-3 is weak evidence.
For mean NLL and mode TV the exact-sample mean is not known in closed form and is estimated too.

The floor is itself an estimate: over 20 sets its sd is uncertain by 16-20 % (the MMD² of exact sets is
heavy-tailed), so every "≤ 2 units" inherited that. Floors are therefore taken over FLOOR_REPEATS = 200 sets
for the presets at the app's particle counts, precomputed into assets/noise_floors.json by
`python -m core.metrics --write` (SHIPPED_COUNTS), and over ON_DEMAND_REPEATS = 100 sets for anything else (a
user's mixture, another count), computed once and cached. Each floor carries the standard error of its sd
(`sd_se`, from the spread of the squared deviations), so a verdict that depends on it can state it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
from scipy.spatial.distance import pdist

from core.mixture import GaussianMixture


def _mixture_kernel_mean(mixture: GaussianMixture, x: np.ndarray, h: float) -> np.ndarray:
    """E_{y~p} k(x, y) for each row of x."""
    smoothed = GaussianMixture(mixture.weights, mixture.means, mixture.covs + h**2 * np.eye(2))
    return 2 * np.pi * h**2 * np.exp(smoothed.log_prob(x))


def _mixture_kernel_self(mixture: GaussianMixture, h: float) -> float:
    """E_{y,y'~p} k(y, y') = 2πh² Σ_jk π_j π_k N(μ_j; μ_k, Σ_j + Σ_k + h²I)."""
    d = mixture.means[:, None] - mixture.means[None]
    c = mixture.covs[:, None] + mixture.covs[None] + h**2 * np.eye(2)
    det = c[..., 0, 0] * c[..., 1, 1] - c[..., 0, 1] ** 2
    quad = c[..., 1, 1] * d[..., 0] ** 2 - 2 * c[..., 0, 1] * d[..., 0] * d[..., 1] + c[..., 0, 0] * d[..., 1] ** 2
    dens = np.exp(-0.5 * quad / det) / (2 * np.pi * np.sqrt(det))
    return float(2 * np.pi * h**2 * mixture.weights @ dens @ mixture.weights)


def mmd2(samples: np.ndarray, mixture: GaussianMixture, bandwidth: float) -> float:
    """Unbiased MMD² between the samples and the mixture (Gaussian kernel of width `bandwidth`)."""
    x = np.asarray(samples, dtype=np.float64)
    n = len(x)
    pair_kernel = pdist(x, "sqeuclidean")  # each pair i < j once: half the work of the full Gram matrix
    pair_kernel *= -1 / (2 * bandwidth**2)
    np.exp(pair_kernel, out=pair_kernel)
    within = 2 * pair_kernel.sum() / (n * (n - 1))
    cross = _mixture_kernel_mean(mixture, x, bandwidth).mean()
    return float(within - 2 * cross + _mixture_kernel_self(mixture, bandwidth))


def mean_nll(samples: np.ndarray, mixture: GaussianMixture) -> float:
    """-mean log p₀(x): its exact-sample mean is the entropy of p₀; over-concentrated samples go below."""
    return float(-mixture.log_prob(samples).mean())


def mode_tv(samples: np.ndarray, mixture: GaussianMixture) -> float:
    """½ Σ_k |share of samples whose most likely component is k - π_k|.

    0 would be perfect coverage, but exact samples score above it by chance (ring8: 0.024 ± 0.006 at n = 2000):
    compare with `noise_floor(..., "mode_tv", ...)`, never with 0."""
    assigned = mixture.responsibilities(samples).argmax(1)
    share = np.bincount(assigned, minlength=mixture.n_components) / len(samples)
    return float(0.5 * np.abs(share - mixture.weights).sum())


METRICS = {
    "mmd2": ("MMD²", lambda x, mix, h: mmd2(x, mix, h)),
    "nll": ("mean NLL", lambda x, mix, h: mean_nll(x, mix)),
    "mode_tv": ("mode TV", lambda x, mix, h: mode_tv(x, mix)),
}
"""Metric key → (label, fn(samples, mixture, bandwidth))."""


EXACT_LIKE_UNITS = 2.0  # a value within this many floor units reads "as good as exact sampling" (see above)
FLOOR_REPEATS = 200  # exact sets per shipped floor (the presets at SHIPPED_COUNTS): sd uncertain by 5-7 %
ON_DEMAND_REPEATS = 100  # exact sets per floor computed at run time (a user's mixture, other counts): 7-10 %
FLOOR_SEED = 12345
SHIPPED_COUNTS = (500, 1000, 2000)  # the app's particle choices (Race, DDIM table) and the claims' sizes
SHIPPED_FLOORS = Path(__file__).resolve().parents[1] / "assets" / "noise_floors.json"


@dataclass(frozen=True)
class NoiseFloor:
    mean: float
    sd: float
    repeats: int
    sd_se: float = float("nan")  # standard error of sd (delta method on the squared deviations)

    def in_units(self, value: float) -> float:
        """(value - exact-sample mean) / exact-sample spread: |·| ≲ 2 is indistinguishable from exact."""
        return (value - self.mean) / self.sd

    @property
    def relative_se(self) -> float:
        """How uncertain the floor itself is: sd_se / sd (a value in floor units carries this relative error)."""
        return self.sd_se / self.sd


def noise_floor(
    mixture: GaussianMixture,
    metric: str,
    n: int,
    bandwidth: float,
    repeats: int = ON_DEMAND_REPEATS,
    seed: int = FLOOR_SEED,
) -> NoiseFloor:
    """How `metric` scatters over `repeats` sets of n exact samples (MMD²: around its known mean 0). The sd's
    standard error is the delta method on the mean of the squared deviations d²: se(sd) = sd(d²) / (2 sd √R)."""
    _, fn = METRICS[metric]
    rng = np.random.default_rng(seed)
    values = np.array([fn(mixture.sample(n, rng), mixture, bandwidth) for _ in range(repeats)])
    mean = 0.0 if metric == "mmd2" else float(values.mean())
    squares = (values - mean) ** 2
    if metric == "mmd2":
        sd = float(np.sqrt(squares.mean()))
    else:
        sd = float(values.std(ddof=1))
    sd_se = float(squares.std(ddof=1) / (2 * sd * np.sqrt(repeats)))
    return NoiseFloor(mean, sd, repeats, sd_se)


@cache
def shipped_floors() -> dict:
    """assets/noise_floors.json: {spec: {metric: {str(n): [mean, sd, sd_se]}}} over FLOOR_REPEATS sets (empty
    if the file is missing)."""
    if not SHIPPED_FLOORS.exists():
        return {}
    data = json.loads(SHIPPED_FLOORS.read_text())
    if data.get("repeats") != FLOOR_REPEATS or data.get("seed") != FLOOR_SEED:
        return {}
    return data["floors"]


@lru_cache(maxsize=128)
def data_noise_floor(spec: str, metric: str, n: int) -> NoiseFloor:
    """The noise floor for a data spec (preset key or gmm: text, core/dataspec.py) and sample size: the shipped
    200-set floor of a preset at SHIPPED_COUNTS, otherwise computed over ON_DEMAND_REPEATS sets, once per
    (spec, metric, size) and cached (the spec's canonical string is the key)."""
    from core.dataspec import canonical, data_bandwidth, load_data

    spec = canonical(spec)
    row = shipped_floors().get(spec, {}).get(metric, {}).get(str(int(n)))
    if row is not None:
        return NoiseFloor(row[0], row[1], FLOOR_REPEATS, row[2])
    return noise_floor(load_data(spec), metric, n, data_bandwidth(spec))


def write_floors() -> dict:
    """Compute the presets' floors over FLOOR_REPEATS sets at SHIPPED_COUNTS and write assets/noise_floors.json."""
    from core.datasets import PRESETS
    from core.dataspec import data_bandwidth, load_data

    floors: dict = {}
    for spec in PRESETS:
        for metric in METRICS:
            for n in SHIPPED_COUNTS:
                f = noise_floor(load_data(spec), metric, n, data_bandwidth(spec), FLOOR_REPEATS)
                floors.setdefault(spec, {}).setdefault(metric, {})[str(n)] = [
                    float(f"{f.mean:.10g}"),
                    float(f"{f.sd:.10g}"),
                    float(f"{f.sd_se:.4g}"),
                ]
            print(f"{spec} {metric}: done", flush=True)
    data = {"repeats": FLOOR_REPEATS, "seed": FLOOR_SEED, "floors": floors}
    SHIPPED_FLOORS.write_text(json.dumps(data, indent=1) + "\n")
    shipped_floors.cache_clear()
    data_noise_floor.cache_clear()
    return data


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="`python -m core.metrics --write`: the presets' noise floors")
    parser.add_argument("--write", action="store_true", help="write assets/noise_floors.json")
    if parser.parse_args().write:
        write_floors()
