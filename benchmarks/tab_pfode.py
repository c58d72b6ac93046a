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
    from benchmarks.app import WORK_CAP_BUDGET
    from benchmarks.rows import LOAD, Row, clear
    from benchmarks.rows import cases as rows_cases
    from demos import pf_ode as tab

    clear_solves = clear(tab._SOLVES, tab._GAP_FIGURES)
    clear_views = clear(tab.schedules_view, tab.schedules_run, tab.flow_view, tab.flow_paths, tab.flow_error_at,
                        tab._flow_start, tab.flow_identities)  # fmt: skip

    view = tab.pfode_view  # every output of the tab
    rows = [
        Row("pfode · t slider (solves cached)", INTERACTIVE, view, dict(t=0.3)),
        Row("pfode · prior N(0, σ_T² I) (solves cached)", INTERACTIVE, view, dict(prior="gaussian")),
        Row("pfode · rtol 1e-5 (solves cached)", INTERACTIVE, view, dict(rtol=1e-5)),
        Row("pfode · likelihood solve, 12 points × 7 rtols (miss)", SOLVE_BUDGET, view, reset=clear_solves, repeats=3),
        Row("pfode · schedules view (cached)", INTERACTIVE, view, dict(view="schedules")),
        Row("pfode · schedules view, new setting (miss)", SOLVE_BUDGET, view, dict(view="schedules"),
            reset=clear_views, repeats=3),
        Row("pfode · flow view (cached)", INTERACTIVE, view, dict(view="flow")),
        Row("pfode · flow view, new setting (miss)", SOLVE_BUDGET, view, dict(view="flow"), reset=clear_views,
            repeats=3),
        Row("pfode · page load / scene (by the kit)", INTERACTIVE, LOAD),
    ]  # fmt: skip
    if worst:
        far = ";".join(f"{x:g},{y:g}" for x, y in tab.grid_points("grid25", 7)[: tab.MAX_POINTS])
        rows.append(
            Row("cap: pfode · 40 points on grid25, EDM, 7 rtols", WORK_CAP_BUDGET, view,
                dict(preset="grid25", process="edm", points=far), reset=clear_solves, repeats=1)
        )  # fmt: skip
    return rows_cases(tab, rows)
