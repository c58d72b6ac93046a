"""Benchmark cases of the ELBO & schedules tab (collected by `python -m benchmarks.app`).

Budgets (issue 30): a setting already shown ≤ 100 ms (cached); a new setting's quadratures ≤ 2 s each (the
schedules' table: 192 draws × 64 Gauss–Hermite nodes × ~100 log-SNRs; the per-point bound: 32 points × 256 nodes
× ~100 log-SNRs, and the PF-ODE on 16 of them); memorisation: the shipped study (the MLP and the exact model on ring8,
seeds 0-2, N up to 1024) read and drawn ≤ 100 ms once cached; the exact model of N = 256 points sampled live for
another seed ≤ 2 s.
"""

from __future__ import annotations

INTERACTIVE = 0.100
QUADRATURE_BUDGET = 2.0


def cases(worst: bool) -> list:
    from benchmarks.app import Case
    from demos import elbo as tab
    from demos import kit

    d = tab.SPEC.defaults()

    def only(*fns, **kw):
        """The tab's outputs, view by view, with only the views of `fns` computed (each by its own inputs)."""

        def run():
            out = []
            for view in tab.SPEC.views:
                out += kit._call(view, {**d, **kw}) if view.fn in fns else [None] * len(view.outputs)
            return tuple(out)

        return run

    def schedules(**kw):
        return only(tab.elbo_view, **kw)

    def tightness(**kw):
        return only(tab.tightness_view, **kw)

    def clear_schedules():
        tab._schedules_outputs.cache_clear()
        tab.schedule_numbers.cache_clear()

    def clear_tightness():
        tab._tightness_outputs.cache_clear()
        tab.tightness.cache_clear()

    def memorisation(**kw):
        return only(tab.memorisation_view, **kw)

    def clear_memorisation():
        tab._memorisation_outputs.cache_clear()
        tab._memorisation.cache_clear()

    out = [
        Case("elbo · back to a setting already shown (schedules)", tab.TAB_ID, schedules(), budget=INTERACTIVE),
        Case("elbo · back to a setting already shown (tightness)", tab.TAB_ID, tightness(), budget=INTERACTIVE),
        Case(
            "elbo · new data / ends / seed: the schedules' quadrature",
            tab.TAB_ID,
            schedules(),
            reset=clear_schedules,
            budget=QUADRATURE_BUDGET,
        ),
        Case(
            "elbo · new data / ends / seed: the bound per point + PF-ODE",
            tab.TAB_ID,
            tightness(),
            reset=clear_tightness,
            budget=QUADRATURE_BUDGET,
        ),
        Case(
            "elbo · memorisation, shipped study N = 1024 (cached)",
            tab.TAB_ID,
            memorisation(train_n="1024"),
            budget=INTERACTIVE,
        ),
        Case(
            "elbo · memorisation, shipped study N = 1024 (first draw)",
            tab.TAB_ID,
            memorisation(train_n="1024", seed=1),
            reset=clear_memorisation,
            budget=QUADRATURE_BUDGET,
        ),
        Case(
            "elbo · memorisation, exact model of N = 256 live (seed 5, miss)",
            tab.TAB_ID,
            memorisation(train_n="256", seed=5),
            reset=clear_memorisation,
            budget=QUADRATURE_BUDGET,
        ),
        Case(
            "elbo · page load / scene (every view, by the kit)",
            tab.TAB_ID,
            lambda: tuple(kit.draw(tab.SPEC, tab.SPEC.validate(d)).values()),
            budget=INTERACTIVE,
        ),
    ]
    if worst:
        out.append(
            Case(
                "cap: elbo · wide ends on grid25 (the longest quadrature)",
                tab.TAB_ID,
                only(tab.elbo_view, tab.tightness_view, preset="grid25", ends="wide"),
                reset=lambda: (clear_schedules(), clear_tightness()),
                budget=2 * QUADRATURE_BUDGET,
                repeats=1,
            )
        )
    return out
