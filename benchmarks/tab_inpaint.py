"""Benchmark cases of the Inpainting & SDEdit tab (collected by `python -m benchmarks.app`).

Budgets (issue 16): sliders ≤ 100 ms server-side where cached; a RePaint run at the defaults ≤ 2 s (it runs
behind a progress bar); the heaviest inpainting the inputs allow is capped by MAX_WORK (≤ 3 s).
"""

from __future__ import annotations

INTERACTIVE = 0.100  # seconds: the budget for the newer tabs' cached sliders
REPAINT_BUDGET = 2.0


def cases(worst: bool) -> list:
    from benchmarks.app import WORK_CAP_BUDGET
    from benchmarks.rows import LOAD, Row, clear
    from benchmarks.rows import cases as rows_cases
    from core import metrics
    from demos import inpainting as tab

    clear_inpaint = clear(tab._inpaint_outputs, tab._run, tab._reference, tab.u_curve, tab._floor)
    clear_sdedit = clear(tab._sdedit_outputs, tab.sd_run, tab.sd_curves, metrics.clear_floors)

    inpaint, sdedit = tab.inpaint_view, tab.sdedit_view  # the tab's outputs: inpainting's three, SDEdit's three
    rows = [
        Row("inpaint · U / j / particles slider (runs cached: figures)", INTERACTIVE, inpaint,
            reset=tab._inpaint_outputs.cache_clear),
        Row("inpaint · back to a setting already shown", INTERACTIVE, inpaint),
        Row("inpaint · new x₁: RePaint + naive + reference + U curve (miss)", REPAINT_BUDGET, inpaint,
            reset=clear_inpaint),
        Row("sdedit · t₀ slider (every t₀ precomputed: figures)", INTERACTIVE, sdedit,
            reset=tab._sdedit_outputs.cache_clear),
        Row("sdedit · new stroke / seed (50 SDEdit runs, one per t₀)", REPAINT_BUDGET, sdedit, reset=clear_sdedit),
        Row("inpaint · page load / scene (both halves, by the kit)", REPAINT_BUDGET, LOAD),
    ]  # fmt: skip
    if worst:
        rows += [
            Row("cap: inpaint · RePaint U = 20 × 125 steps × 1000 partic.", WORK_CAP_BUDGET, inpaint,
                dict(resamplings=20, steps=125, particles=1000), reset=clear_inpaint, repeats=1),
            Row("cap: sdedit · 200 steps, new curves", WORK_CAP_BUDGET, sdedit, dict(sd_steps=200, t0=1.0),
                reset=clear_sdedit, repeats=1),
        ]  # fmt: skip
    return rows_cases(tab, rows)
