"""One registry of the papers' claims that the app measures on exact data.

Each claim is registered once, in a module of this package (`CLAIMS = [Claim(...), ...]`; modules are
found automatically, in name order). The same entry drives

* the test of the claim (`tests/core/test_claims.py`): it measures the numbers, derives the verdict from
  them and asserts that it is the verdict recorded here (`expected`), and that the shipped numbers
  reproduce;
* the claims board of the landing tab, and the "measured here" lines of the tabs' notes, which read the
  shipped numbers in `assets/claims.json` (written by `python -m core.claims --write`), so nothing is
  computed at start-up and no number is written twice.

`measure()` must be deterministic (fixed seeds) and return plain floats; `verdict(values)` states the
claim's logic on those numbers and returns one of VERDICTS; `summary(values)` turns them into one line a
participant can read.
"""

from __future__ import annotations

import fcntl
import importlib
import json
import math
import pkgutil
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from pathlib import Path

HOLDS = "holds"
DEPENDS = "depends on the data or grid"
FAILS = "does not hold here"
NOT_APPLICABLE = "not applicable in 2D"  # a rule derived for high dimensions that selects nothing at D = 2
VERDICTS = (HOLDS, DEPENDS, FAILS, NOT_APPLICABLE)

SHIPPED = Path(__file__).resolve().parents[2] / "assets" / "claims.json"
# Shipped and recomputed numbers must agree to this: seeded runs are identical on one machine; on another
# CPU rounding can move a particle across a basin boundary, i.e. 1 in 2,000 of a share.
REL_TOL, ABS_TOL = 5e-3, 1e-3


@dataclass(frozen=True)
class Claim:
    key: str  # stable id, used in links (#claim-KEY) and in assets/claims.json
    paper: str  # "Song et al. 2021a (DDIM), Table 1"
    claim: str  # what the paper says, in one sentence
    method: str  # how we measure it: preset, process, grid, steps, particles, seeds, metric
    measure: Callable[[], dict[str, float]]
    verdict: Callable[[dict[str, float]], str]
    summary: Callable[[dict[str, float]], str]
    expected: str  # the verdict we measured when registering the claim; the test asserts it
    tab: str  # TAB_ID of the tab whose notes cite it
    scene: str  # query string of the deep link that shows it, e.g. "tab=ddim&preset=ring8"

    def __post_init__(self):
        if self.expected not in VERDICTS:
            raise ValueError(f"claim {self.key}: expected verdict must be one of {VERDICTS}")


@cache
def all_claims() -> dict[str, Claim]:
    """Every registered claim, by key, module by module in name order."""
    out: dict[str, Claim] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        for claim in importlib.import_module(f"{__name__}.{info.name}").CLAIMS:
            if claim.key in out:
                raise ValueError(f"claim key {claim.key!r} registered twice")
            out[claim.key] = claim
    return out


def evaluate(claim: Claim) -> dict:
    """Measure a claim now: {"values", "verdict", "summary"}, plain JSON types."""
    values = {k: float(v) for k, v in claim.measure().items()}
    return {"values": values, "verdict": claim.verdict(values), "summary": claim.summary(values)}


@cache
def shipped() -> dict[str, dict]:
    """The precomputed results in assets/claims.json (empty if the file is missing)."""
    if not SHIPPED.exists():
        return {}
    return json.loads(SHIPPED.read_text())


def same_numbers(a: dict[str, float], b: dict[str, float]) -> bool:
    return a.keys() == b.keys() and all(math.isclose(a[k], b[k], rel_tol=REL_TOL, abs_tol=ABS_TOL) for k in a)


def note(key: str) -> str:
    """The shipped result of one claim as a Markdown line for a tab's notes."""
    claim = all_claims()[key]
    result = shipped().get(key)
    if result is None:
        return f"**{claim.paper}:** {claim.claim} *(not measured yet: run `python -m core.claims --write`)*"
    return f"**{claim.paper}:** {claim.claim} **Measured here: {result['verdict']}.** {result['summary']}"


_SAMPLING: ContextVar[set | None] = ContextVar("claims_sampling", default=None)  # see `sample`


def over_seeds(measure_one: Callable[[int], dict[str, float]], seeds: tuple[int, ...]) -> dict[str, float]:
    """measure_one(seed) for each seed: every value as `{key}_seed{s}`, and its mean over the seeds as `key` (the
    number the claim's verdict and summary read). Inside `sample`, the first seed alone."""
    averaged = _SAMPLING.get()
    if averaged is not None:
        seeds = seeds[:1]
    runs = {s: measure_one(s) for s in seeds}
    if averaged is not None:
        averaged.update(runs[seeds[0]])  # these keys' means need every seed: not part of the sample
    out = {}
    for key in runs[seeds[0]]:
        vals = [float(runs[s][key]) for s in seeds]
        out[key] = float(sum(vals) / len(vals))
        out.update({f"{key}_seed{s}": v for s, v in zip(seeds, vals)})
    return out


def sample(claim: Claim) -> dict[str, float]:
    """A sample of a claim's numbers, measured now, to check against the shipped ones (tests/core/test_claims.py):
    a claim measured over seeds (`over_seeds`) on its first seed alone, as `{key}_seed{s}` (every seed runs the
    same code; a claim's whole measurement is `python -m core.claims KEY`); any other value as measured."""
    averaged: set = set()
    token = _SAMPLING.set(averaged)
    try:
        values = claim.measure()
    finally:
        _SAMPLING.reset(token)
    return {k: float(v) for k, v in values.items() if k not in averaged}


def per_seed(values: dict[str, float], key: str, seeds: tuple[int, ...] | None = None) -> list[float] | None:
    """The values of `key` of those of `seeds` (default: every seed) that an `over_seeds` measurement holds (all
    of them, or the part `some_seeds` kept), or None when `values` hold one seed alone (`one_seed`)."""
    if seeds is None:
        head = f"{key}_seed"
        seeds = sorted(int(k[len(head) :]) for k in values if k.startswith(head) and k[len(head) :].isdigit())
    vals = [values[f"{key}_seed{s}"] for s in seeds if f"{key}_seed{s}" in values]
    return vals or None


def standard_error(values: list[float]) -> float:
    """The standard error of the mean of these values (sample standard deviation / √n)."""
    mean = sum(values) / len(values)
    return math.sqrt(sum((x - mean) ** 2 for x in values) / (len(values) - 1) / len(values))


def seed_se(values: dict[str, float], key: str, seeds: tuple[int, ...] | None = None) -> float:
    """The standard error of the seeds' mean of `key`; 0 for a seed alone (`one_seed`), which has none: a verdict
    then compares that seed's value with its fixed line alone."""
    vals = per_seed(values, key, seeds)
    return 0.0 if vals is None else standard_error(vals)


def side(values: dict[str, float], key: str, line: float, n_se: float = 3.0) -> int:
    """Which side of `line` the seeds' mean of `key` lies on: +1 above, -1 below by more than `n_se` standard
    errors (`seed_se`), 0 within them (undecided). A seed alone has no standard error: its value against the line."""
    gap = values[key] - line
    return 0 if abs(gap) <= n_se * seed_se(values, key) else (1 if gap > 0 else -1)


def one_seed(values: dict[str, float], seed: int) -> dict[str, float]:
    """The values of one seed of an `over_seeds` measurement, under their plain keys."""
    tail = f"_seed{seed}"
    return {k[: -len(tail)]: v for k, v in values.items() if k.endswith(tail)}


def some_seeds(values: dict[str, float], seeds: tuple[int, ...]) -> dict[str, float]:
    """An `over_seeds` measurement as if it had run on `seeds` only: their per-seed values, each mean taken over
    them alone; values measured once (not per seed) unchanged. The claim's verdict on it is the verdict that
    set of seeds gives (its standard errors, from fewer seeds, are wider)."""
    out, runs = {}, {}
    for k, v in values.items():
        head, sep, tail = k.rpartition("_seed")
        if sep and tail.isdigit():
            runs.setdefault(head, {})[int(tail)] = v
        else:
            out[k] = v
    for key, by_seed in runs.items():
        kept = [by_seed[s] for s in seeds if s in by_seed]
        out[key] = float(sum(kept) / len(kept))
        out.update({f"{key}_seed{s}": by_seed[s] for s in seeds if s in by_seed})
    return out


def seeds_in(values: dict[str, float]) -> tuple[int, ...]:
    """Every seed an `over_seeds` measurement holds values of (none for values measured once)."""
    tails = (k.rpartition("_seed") for k in values)
    return tuple(sorted({int(tail) for _, sep, tail in tails if sep and tail.isdigit()}))


def halves(seeds: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The first and the second half of a claim's seeds: two disjoint sets on which its verdict must agree."""
    return seeds[: len(seeds) // 2], seeds[len(seeds) // 2 :]


def seed_spread(values: dict[str, float], key: str, seeds: tuple[int, ...], fmt: str) -> str:
    """ "mean (min-max over the seeds)" of one value of an `over_seeds` measurement."""
    vals = [values[f"{key}_seed{s}"] for s in seeds]
    return f"{format(values[key], fmt)} ({format(min(vals), fmt)} to {format(max(vals), fmt)})"


def _seed_list(seeds: tuple[int, ...]) -> str:
    consecutive = len(seeds) > 2 and list(seeds) == list(range(seeds[0], seeds[-1] + 1))
    return f"{seeds[0]}-{seeds[-1]}" if consecutive else ", ".join(map(str, seeds))


HALVES_MIN = 8  # seeds a claim needs for the verdict on each half of them (≥ 4 seeds each) to mean anything


def seed_verdicts(verdict: Callable[[dict[str, float]], str], values: dict[str, float], seeds: tuple[int, ...]) -> str:
    """The claim's verdict on each seed alone, as a line for its summary ("verdict seed by seed, seeds 0-7: holds
    on all 8"). Where a seed alone gives another verdict than the means (a single run's scatter spans one of
    the claim's lines), the line says so and, from HALVES_MIN seeds on, adds the verdict on the means of each
    half of the seeds, which must agree with the registered verdict (tests/core/test_claim_seeds.py)."""
    each = [verdict(one_seed(values, s)) for s in seeds]
    counts = {v: each.count(v) for v in dict.fromkeys(each)}
    if len(counts) == 1:
        return f"Verdict seed by seed (seeds {', '.join(map(str, seeds))}): {each[0]} on all {len(seeds)}."
    listed = ", ".join(f"{v} on {n}" for v, n in counts.items())
    line = f"Verdict seed by seed (seeds {_seed_list(seeds)}): {listed}: a single run's scatter spans a line of "
    line += "the claim"
    if len(seeds) < HALVES_MIN:
        return line + "."
    first, second = halves(seeds)
    on_halves = [verdict(some_seeds(values, half)) for half in (first, second)]
    both = f"{on_halves[0]} on both" if on_halves[0] == on_halves[1] else " and ".join(on_halves)
    return f"{line}; on the means of each half of the seeds ({_seed_list(first)}; {_seed_list(second)}): {both}."


FLOOR_SE = "floor_relative_se"


def floor_uncertainty(*floors: tuple[str, int]) -> dict[str, float]:
    """For a claim whose verdict compares values in MMD² noise-floor units with a fixed line (a number of units:
    core.metrics.EXACT_LIKE_UNITS, a margin, a "far" line): {FLOOR_SE: the relative standard error of the floor unit
    itself (core.metrics.NoiseFloor.relative_se), the largest over the floors, (data spec, sample size), that its
    values are measured in}, to merge into its measured values. A line of L units then stands for L ± L × FLOOR_SE
    in MMD²; `floor_caveat` says so in the claim's summary. (A ratio or a sign of two values in the same unit does
    not depend on the floor.)"""
    from core.metrics import data_noise_floor

    return {FLOOR_SE: max(data_noise_floor(spec, "mmd2", n).relative_se for spec, n in floors)}


def floor_caveat(values: dict[str, float]) -> str:
    """The floor's own uncertainty as a phrase for a claim's summary (from `floor_uncertainty`'s value)."""
    return f"the floor unit itself is uncertain by ± {values[FLOOR_SE]:.0%}"


QUOTED: set[str] = set()
"""Every number `quote` has written, as written (what a test of the notes accepts as read, not typed)."""


def quote(value: float, fmt: str) -> str:
    """A measured number (a shipped claim value, a shipped noise floor) written into a tab's note: the one
    formatter for such numbers. It remembers what it wrote, so that `tests/demos/test_note_numbers.py` can tell a
    number read from the registry from one typed into a note."""
    text = format(value, fmt)
    QUOTED.add(text.lstrip("+-"))
    return text


def write(keys: list[str] | None = None) -> dict[str, dict]:
    """Recompute the claims (all, or `keys` only, keeping the others) and write assets/claims.json.

    The file is read again, under a lock, only after measuring, so that two writers measuring different
    claims at the same time keep each other's results."""
    fresh = {}
    for key, claim in all_claims().items():
        if keys is None or key in keys:
            print(f"measuring {key} …", flush=True)
            fresh[key] = evaluate(claim)
    with open(SHIPPED.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        shipped.cache_clear()
        results = {**shipped(), **fresh}
        results = {k: results[k] for k in all_claims() if k in results}
        SHIPPED.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
        shipped.cache_clear()
    return results
