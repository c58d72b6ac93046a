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
    from benchmarks.app import Case
    from core import distill as PD
    from core import reflow as R
    from demos import few_steps as tab
    from demos import kit

    d = tab.SPEC.defaults()

    def args(names, **kw):
        return [kw.get(n, d[n]) for n in names]

    def padded(view, slot):  # the tab's outputs: the kernel's two, the curve's two, reflow's three
        sizes = [len(v.outputs) for v in tab.SPEC.views]
        before, after = sum(sizes[:slot]), sum(sizes[slot + 1 :])
        return lambda: (*(None,) * before, *view(), *(None,) * after)

    moved = iter(range(10**6))

    def kernel_moved():  # a new point every run: never cached
        return tab.kernel_view(*args(tab.KERNEL_NAMES_IN, x=round(-3 + 0.05 * (next(moved) % 120), 2)))

    def clear_curve():
        tab._curve_outputs.cache_clear()
        tab.k_curve.cache_clear()

    def clear_reflow():
        tab.reflow_numbers.cache_clear()
        R.couplings.cache_clear()

    live = dict(pairs=3500)  # not shipped: trained

    def forget_live():
        R._CACHE.pop(tab._settings(*args(("preset", "pairs", "width", "train_steps", "seed"), **live)), None)
        clear_reflow()

    def clear_distill():
        tab._distill_outputs.cache_clear()
        tab.nfe_numbers.cache_clear()
        PD.evaluate.cache_clear()
        R.couplings.cache_clear()

    distill_live = dict(d_width=64, d_steps=PD.max_steps(64))  # not shipped: trained

    def forget_distill():
        PD._CACHE.pop(tab._distill_settings(*args(("preset", "d_width", "d_steps", "seed"), **distill_live)), None)
        clear_distill()

    out = [
        Case("fewsteps · kernel view, a moved x_t (miss)", tab.TAB_ID, padded(kernel_moved, 0), budget=INTERACTIVE),
        Case(
            "fewsteps · error vs K, three kernels × 6 K + summed KL (miss)",
            tab.TAB_ID,
            padded(lambda: tab.curve_view(*args(tab.CURVE_NAMES_IN)), 1),
            reset=clear_curve,
            budget=CURVE_BUDGET,
        ),
        Case(
            "fewsteps · reflow view, shipped 2-RF (miss)",
            tab.TAB_ID,
            padded(lambda: tab.reflow_view(*args(tab.REFLOW_NAMES_IN)), 2),
            reset=clear_reflow,
            budget=CURVE_BUDGET,
        ),
        Case(
            "fewsteps · distillation view, shipped students (miss)",
            tab.TAB_ID,
            padded(lambda: tab.distill_view(*args(tab.DISTILL_NAMES_IN)), 3),
            reset=clear_distill,
            budget=CURVE_BUDGET,
        ),
        Case(
            "fewsteps · error vs NFE, every method (miss)",
            tab.TAB_ID,
            padded(lambda: tab.nfe_view(*args(tab.NFE_NAMES_IN)), 4),
            reset=clear_distill,
            budget=CURVE_BUDGET,
        ),
        Case(
            "fewsteps · page load / scene (by the kit)",
            tab.TAB_ID,
            lambda: tuple(kit.draw(tab.SPEC, tab.SPEC.validate(kit.drop_invalid(tab.SPEC, d))).values()),
            budget=CURVE_BUDGET,
        ),
        Case(
            "fewsteps · train a 2-RF live (3,500 pairs, 2,000 steps)",
            tab.TAB_ID,
            padded(lambda: tab.reflow_train(*args(tab.REFLOW_NAMES_IN, **live)), 2),
            reset=forget_live,
            budget=TRAINING_BUDGET,
            repeats=1,
        ),
        Case(
            f"fewsteps · distil live (3×64, {distill_live['d_steps']:,} steps per round, six rounds + direct)",
            tab.TAB_ID,
            padded(lambda: tab.distill_train(*args(tab.DISTILL_NAMES_IN, **distill_live)), 3),
            reset=forget_distill,
            budget=TRAINING_BUDGET,
            repeats=1,
        ),
    ]
    if worst:
        width = max(R.WIDTHS)
        steps = min(R.MAX_STEPS, R.MAX_TRAIN_WORK // R.n_parameters(width, 3) // 100 * 100)
        cap = dict(pairs=R.MAX_PAIRS, width=width, train_steps=steps)

        def forget_cap():
            R._CACHE.pop(tab._settings(*args(("preset", "pairs", "width", "train_steps", "seed"), **cap)), None)
            clear_reflow()

        out.append(
            Case(
                f"cap: fewsteps · train the largest 2-RF ({R.MAX_PAIRS:,} pairs, 3×{width}, {steps:,} steps)",
                tab.TAB_ID,
                padded(lambda: tab.reflow_train(*args(tab.REFLOW_NAMES_IN, **cap)), 2),
                reset=forget_cap,
                budget=TRAINING_BUDGET * 3,
                repeats=1,
            )
        )
    return out
