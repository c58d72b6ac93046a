"""Pooling an `over_seeds` measurement (core.claims.over_seeds) for claims whose rule reads more than a mean: the
worst point over every seed, the standard error of the seeds' mean, the range over the seeds. Each reads the
per-seed values `{key}_seed{s}` when the values hold them (the verdict on the means), and the plain value when
they hold one seed alone (core.claims.one_seed, the verdict seed by seed of tests/core/test_claim_seeds_elbo_pfode.py).
Used by core/claims/elbo.py, pf_ode.py and iddpm.py."""

from __future__ import annotations

import math

from core.claims import per_seed


def worst(v: dict[str, float], key: str, seeds: tuple[int, ...]) -> float:
    """The largest value of `key` over the seeds (a per-seed maximum stays a maximum over every seed)."""
    vals = per_seed(v, key, seeds)
    return v[key] if vals is None else max(vals)


def se_of_mean(v: dict[str, float], key: str, seeds: tuple[int, ...]) -> float:
    """The standard error of the seeds' mean from each seed's own standard error `key`: √(Σ se²) / n (independent
    seeds); a seed alone, its own."""
    vals = per_seed(v, key, seeds)
    return v[key] if vals is None else math.sqrt(sum(x * x for x in vals)) / len(vals)


def seed_range(v: dict[str, float], key: str, seeds: tuple[int, ...]) -> float:
    """Highest minus lowest value of `key` over the seeds; 0 for a seed alone."""
    vals = per_seed(v, key, seeds)
    return 0.0 if vals is None else max(vals) - min(vals)


def lowest_to_highest(v: dict[str, float], key: str, seeds: tuple[int, ...], fmt: str) -> str:
    """ "lowest to highest" value of `key` over the seeds, for a summary."""
    vals = per_seed(v, key, seeds) or [v[key]]
    return f"{format(min(vals), fmt)} to {format(max(vals), fmt)}"
