"""Benchmark cases of the Few steps tab (collected by `python -m benchmarks.app`).

Budgets (issue 28): the kernel view ≤ 100 ms for a moved point; the error-vs-K comparison ≤ 3 s; the reflow view
with a shipped student ≤ 3 s; a live reflow training at the defaults' size ≤ 20 s (behind a progress bar); the
distillation view with the shipped students and the error-vs-NFE comparison ≤ 3 s each; a live distillation (all
rounds and the direct control) at the largest live budget of the default width ≤ 20 s.
"""

from __future__ import annotations

INTERACTIVE = 0.100
CURVE_BUDGET = 3.0
TRAINING_BUDGET = 20.0


def cases(worst: bool) -> list:
    from benchmarks.rows import LOAD, Row, clear, values
    from benchmarks.rows import cases as rows_cases
    from core import distill as PD
    from core import reflow as R
    from demos import few_steps as tab

    moved = iter(range(10**6))

    def kernel_moved(preset, t, steps, y):  # a new point every run: never cached
        return tab.kernel_view(preset, t, steps, round(-3 + 0.05 * (next(moved) % 120), 2), y)

    clear_curve = clear(tab._curve_outputs, tab.k_curve)
    clear_reflow = clear(tab.reflow_numbers, R.couplings)

    def forget_trained(**kw):  # the reflow student of these settings, trained again
        def forget():
            v = values(tab, **kw)
            R._CACHE.pop(tab._settings(*(v[n] for n in ("preset", "pairs", "width", "train_steps", "seed"))), None)
            clear_reflow()

        return forget

    clear_distill = clear(tab._distill_outputs, tab.nfe_numbers, PD.evaluate, R.couplings)
    live = dict(pairs=3500)  # not shipped: trained
    distill_live = dict(d_width=64, d_steps=PD.max_steps(64))  # not shipped: trained

    def forget_distill():
        v = values(tab, **distill_live)
        PD._CACHE.pop(tab._distill_settings(*(v[n] for n in ("preset", "d_width", "d_steps", "seed"))), None)
        clear_distill()

    rows = [
        Row("fewsteps · kernel view, a moved x_t (miss)", INTERACTIVE, kernel_moved, into=tab.kernel_view),
        Row("fewsteps · error vs K, three kernels × 6 K + summed KL (miss)", CURVE_BUDGET, tab.curve_view,
            reset=clear_curve),
        Row("fewsteps · reflow view, shipped 2-RF (miss)", CURVE_BUDGET, tab.reflow_view, reset=clear_reflow),
        Row("fewsteps · distillation view, shipped students (miss)", CURVE_BUDGET, tab.distill_view,
            reset=clear_distill),
        Row("fewsteps · error vs NFE, every method (miss)", CURVE_BUDGET, tab.nfe_view, reset=clear_distill),
        Row("fewsteps · page load / scene (by the kit)", CURVE_BUDGET, LOAD),
        Row("fewsteps · train a 2-RF live (3,500 pairs, 2,000 steps)", TRAINING_BUDGET, tab.reflow_train, live,
            reset=forget_trained(**live), repeats=1, into=tab.reflow_view),
        Row(f"fewsteps · distil live (3×64, {distill_live['d_steps']:,} steps per round, six rounds + direct)",
            TRAINING_BUDGET, tab.distill_train, distill_live, reset=forget_distill, repeats=1, into=tab.distill_view),
    ]  # fmt: skip
    if worst:
        width = max(R.WIDTHS)
        steps = min(R.MAX_STEPS, R.MAX_TRAIN_WORK // R.n_parameters(width, 3) // 100 * 100)
        cap = dict(pairs=R.MAX_PAIRS, width=width, train_steps=steps)
        rows.append(
            Row(f"cap: fewsteps · train the largest 2-RF ({R.MAX_PAIRS:,} pairs, 3×{width}, {steps:,} steps)",
                TRAINING_BUDGET * 3, tab.reflow_train, cap, reset=forget_trained(**cap), repeats=1,
                into=tab.reflow_view)
        )  # fmt: skip
    return rows_cases(tab, rows)
