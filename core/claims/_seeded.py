"""Lines that account for the seeds' standard error, for claims that compare samplers in noise-floor units over
several seeds (core.claims.over_seeds): DDIM's Table 1 (ddim.py) and Euler–Maruyama against DDIM (sde.py).

A floor unit is the spread of MMD² over exact sample sets (core/metrics.py), so one exact set has standard
deviation 1 unit and the mean of n has 1/√n: a value is "as good as exact" when it is within Z of those
(`near_exact`). A difference between two samplers has no known spread (a biased sampler's MMD² varies more than
an exact set's): on the means it must clear Z standard errors of the seeds' paired differences, and at least
MARGIN units (`beats`). A single seed alone (core.claims.one_seed, the check of tests/core/test_claim_seeds.py)
has no standard error of its own: it is judged by the sign of the difference, i.e. no seed may point the other way.
"""

from __future__ import annotations

import math

from core.claims import per_seed, standard_error

Z = 3.0  # standard errors a verdict's line sits from what it rules out
MARGIN = 2.0  # floor units: two exact sample sets differ by up to about this much, so a smaller gap does not matter


def beats(v: dict[str, float], low: str, high: str, seeds: tuple[int, ...]) -> bool:
    """`low` is below `high` by more than the noise: on the means over `seeds`, by max(MARGIN, Z × the standard
    error of the seeds' paired differences); on one seed alone, at all."""
    gap = v[high] - v[low]
    lows, highs = per_seed(v, low, seeds), per_seed(v, high, seeds)
    if lows is None or highs is None:
        return gap > 0
    return gap > max(MARGIN, Z * standard_error([h - lo for h, lo in zip(highs, lows)]))


def near_exact(v: dict[str, float], key: str, seeds: tuple[int, ...]) -> bool:
    """Within Z standard errors of exact sampling (0 units): Z / √n units for the mean of n seeds, Z for one."""
    vals = per_seed(v, key, seeds)
    return v[key] <= Z / math.sqrt(1 if vals is None else len(vals))


def mean_se(v: dict[str, float], key: str, seeds: tuple[int, ...], fmt: str = ".1f") -> str:
    """ "mean ± SE (lowest to highest seed)" of one value of an over_seeds measurement."""
    vals = per_seed(v, key, seeds)
    se = standard_error(vals)
    return f"{format(v[key], fmt)} ± {format(se, fmt)} ({format(min(vals), fmt)} to {format(max(vals), fmt)})"
