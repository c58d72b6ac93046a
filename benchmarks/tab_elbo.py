"""Benchmark cases of the ELBO & schedules tab (collected by `python -m benchmarks.app`).

Budgets (issue 30): a setting already shown ≤ 100 ms (cached); a new setting's quadratures ≤ 2 s each (the
schedules' table: 192 draws × 64 Gauss–Hermite nodes × ~100 log-SNRs; the per-point bound: 32 points × 256 nodes
× ~100 log-SNRs, and the PF-ODE on 16 of them); memorisation: the shipped study (the MLP and the exact model on ring8,
seeds 0-4, N up to 1024) read and drawn ≤ 100 ms once cached; the exact model of N = 256 points sampled live for
another seed ≤ 2 s; the MLP trained here on request (3×128, 4,000 steps, and both models sampled) ≤ 20 s.
"""

from __future__ import annotations

INTERACTIVE = 0.100
QUADRATURE_BUDGET = 2.0
TRAINING_BUDGET = 20.0


def cases(worst: bool) -> list:
    from benchmarks.rows import LOAD, Row, clear
    from benchmarks.rows import cases as rows_cases
    from demos import elbo as tab

    schedules_caches = (tab._schedules_outputs, tab.schedule_numbers)
    tightness_caches = (tab._tightness_outputs, tab.tightness)
    clear_schedules, clear_tightness = clear(*schedules_caches), clear(*tightness_caches)
    memorisation_caches = (tab._memorisation_outputs, tab._memorisation)
    clear_memorisation = clear(*memorisation_caches)

    schedules, tightness, memorisation = tab.elbo_view, tab.tightness_view, tab.memorisation_view
    rows = [
        Row("elbo · back to a setting already shown (schedules)", INTERACTIVE, schedules),
        Row("elbo · back to a setting already shown (tightness)", INTERACTIVE, tightness),
        Row("elbo · new data / ends / seed: the schedules' quadrature", QUADRATURE_BUDGET, schedules,
            reset=clear_schedules),
        Row("elbo · new data / ends / seed: the bound per point + PF-ODE", QUADRATURE_BUDGET, tightness,
            reset=clear_tightness),
        Row("elbo · memorisation, shipped study N = 1024 (cached)", INTERACTIVE, memorisation, dict(train_n="1024")),
        Row("elbo · memorisation, shipped study N = 1024 (first draw)", QUADRATURE_BUDGET, memorisation,
            dict(train_n="1024", seed=1), reset=clear_memorisation),
        Row("elbo · memorisation, exact model of N = 256 live (seed 5, miss)", QUADRATURE_BUDGET, memorisation,
            dict(train_n="256", seed=5), reset=clear_memorisation),
        Row("elbo · page load / scene (every view, by the kit)", INTERACTIVE, LOAD),
    ]  # fmt: skip
    if worst:
        rows.append(
            Row("cap: elbo · memorisation, the MLP trained here on N = 256 (seed 5)", TRAINING_BUDGET, memorisation,
                dict(train_n="256", seed=5, train_mlp=True), reset=clear(*memorisation_caches, tab._LIVE), repeats=1)
        )  # fmt: skip
        rows.append(
            Row("cap: elbo · wide ends on grid25 (the longest quadrature)", 2 * QUADRATURE_BUDGET,
                (schedules, tightness), dict(preset="grid25", ends="wide"),
                reset=clear(*schedules_caches, *tightness_caches), repeats=1)
        )  # fmt: skip
    return rows_cases(tab, rows)
