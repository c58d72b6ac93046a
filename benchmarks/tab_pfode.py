"""Benchmark cases of the "PF-ODE & likelihood" tab (collected by `python -m benchmarks.app`).

Budgets (issue 15): interactive changes ≤ 100 ms server-side where cached (the t slider, the prior and rtol
choices of a solved point set; a revisited setting of the other two views); the likelihood solve of the
default point set (12 samples, 7 tolerances) ≤ 2 s, behind a progress bar either way; the heaviest solve the
inputs allow (40 points, the 25-component grid, EDM) is capped by MAX_POINTS and reported against the work cap.
"""

from __future__ import annotations

INTERACTIVE = 0.100
SOLVE_BUDGET = 2.0


def cases(worst: bool) -> list:
    from benchmarks.app import WORK_CAP_BUDGET, Case
    from demos import kit
    from demos import pf_ode as tab

    d = {c.name: c.default for c in tab.CONTROLS}

    def values(**kw):
        return [kw.get(c.name, d[c.name]) for c in tab.CONTROLS]

    def view(**kw):
        v = values(**kw)
        return lambda: tab.pfode_view(*v)

    def clear_solves():
        tab._SOLVES.clear()
        tab._GAP_FIGURES.clear()

    def clear_views():
        tab.schedules_view.cache_clear()
        tab.schedules_run.cache_clear()
        tab.flow_view.cache_clear()
        tab.flow_paths.cache_clear()
        tab.flow_error_at.cache_clear()
        tab._flow_start.cache_clear()
        tab.flow_identities.cache_clear()

    out = [
        Case("pfode · t slider (solves cached)", tab.TAB_ID, view(t=0.3), budget=INTERACTIVE),
        Case("pfode · prior N(0, σ_T² I) (solves cached)", tab.TAB_ID, view(prior="gaussian"), budget=INTERACTIVE),
        Case("pfode · rtol 1e-5 (solves cached)", tab.TAB_ID, view(rtol=1e-5), budget=INTERACTIVE),
        Case(
            "pfode · likelihood solve, 12 points × 7 rtols (miss)",
            tab.TAB_ID,
            view(),
            reset=clear_solves,
            budget=SOLVE_BUDGET,
            repeats=3,
        ),
        Case("pfode · schedules view (cached)", tab.TAB_ID, view(view="schedules"), budget=INTERACTIVE),
        Case(
            "pfode · schedules view, new setting (miss)",
            tab.TAB_ID,
            view(view="schedules"),
            reset=clear_views,
            budget=SOLVE_BUDGET,
            repeats=3,
        ),
        Case("pfode · flow view (cached)", tab.TAB_ID, view(view="flow"), budget=INTERACTIVE),
        Case(
            "pfode · flow view, new setting (miss)",
            tab.TAB_ID,
            view(view="flow"),
            reset=clear_views,
            budget=SOLVE_BUDGET,
            repeats=3,
        ),
        Case(
            "pfode · page load / scene (by the kit)",
            tab.TAB_ID,
            lambda: tuple(kit.draw(tab.SPEC, tab.SPEC.validate(kit.drop_invalid(tab.SPEC, d))).values()),
            budget=INTERACTIVE,
        ),
    ]
    if worst:
        far = ";".join(f"{x:g},{y:g}" for x, y in tab.grid_points("grid25", 7)[: tab.MAX_POINTS])
        out.append(
            Case(
                "cap: pfode · 40 points on grid25, EDM, 7 rtols",
                tab.TAB_ID,
                view(preset="grid25", process="edm", points=far),
                reset=clear_solves,
                budget=WORK_CAP_BUDGET,
                repeats=1,
            )
        )
    return out
