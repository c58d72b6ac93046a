"""Seed stability of DDIM's Table 1 (`ddim_table1_shape`) and of Euler–Maruyama against DDIM (`em_vs_ddim_grid`),
issue 26: the check of tests/core/test_claim_seeds.py (each seed alone gives the registered verdict, the summary
names the seeds and their spread) applied to these two claims, and the lines of core/claims/_seeded.py that
account for the seeds' standard error."""

from __future__ import annotations

import math

import pytest

from core.claims import over_seeds, shipped
from core.claims._seeded import MARGIN, Z, beats, mean_se, near_exact
from tests.core import test_claim_seeds as base

MINE = {key: base.SEEDED[key] for key in ("em_vs_ddim_grid", "ddim_table1_shape")}  # seeds as test_claim_seeds


@pytest.mark.parametrize("key", list(MINE))
def test_the_summary_gives_mean_and_standard_error(key):
    summary = shipped()[key]["summary"]
    assert "±" in summary and "standard error" in summary, summary
    assert f"seeds {MINE[key][0]}-{MINE[key][-1]}" in summary


def _two(lows, highs):
    return over_seeds(lambda s: {"low": lows[s], "high": highs[s]}, tuple(range(len(lows))))


def test_a_gap_within_its_standard_error_does_not_count():
    """A mean gap of 3 units that the seeds scatter around (one seed the other way) is noise; the same gap with
    little scatter counts; so does a single seed's sign, and a gap under MARGIN never counts on the means."""
    seeds = (0, 1, 2, 3)
    noisy = _two([0.0] * 4, [12.0, -6.0, 9.0, -3.0])  # mean gap 3, SE 4.1
    steady = _two([0.0] * 4, [2.9, 3.1, 3.0, 3.0])
    small = _two([0.0] * 4, [1.9, 2.0, 1.9, 2.0])
    assert not beats(noisy, "low", "high", seeds)
    assert beats(steady, "low", "high", seeds)
    assert not beats(small, "low", "high", seeds) and MARGIN > 1.95
    assert beats({"low": 0.0, "high": 0.1}, "low", "high", seeds)
    assert not beats({"low": 0.1, "high": 0.0}, "low", "high", seeds)


def test_as_good_as_exact_is_within_z_standard_errors_of_exact():
    seeds = tuple(range(4))
    line = Z / math.sqrt(len(seeds))
    at = over_seeds(lambda s: {"x": line - 0.01}, seeds)
    above = over_seeds(lambda s: {"x": line + 0.01}, seeds)
    assert near_exact(at, "x", seeds) and not near_exact(above, "x", seeds)
    assert near_exact({"x": Z - 0.01}, "x", seeds) and not near_exact({"x": Z + 0.01}, "x", seeds)


def test_mean_se_names_the_spread():
    values = over_seeds(lambda s: {"x": float(s)}, (0, 1, 2, 3))
    assert mean_se(values, "x", (0, 1, 2, 3)) == "1.5 ± 0.6 (0.0 to 3.0)"
