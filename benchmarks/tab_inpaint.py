"""Benchmark cases of the Inpainting & SDEdit tab (collected by `python -m benchmarks.app`).

Budgets (issue 16): sliders ≤ 100 ms server-side where cached; a RePaint run at the defaults ≤ 2 s (it runs
behind a progress bar); the heaviest inpainting the inputs allow is capped by MAX_WORK (≤ 3 s).
"""

from __future__ import annotations

INTERACTIVE = 0.100  # seconds: the budget for the newer tabs' cached sliders
REPAINT_BUDGET = 2.0


def cases(worst: bool) -> list:
    from benchmarks.app import WORK_CAP_BUDGET, Case
    from core import metrics
    from demos import inpainting as tab
    from demos import kit

    d = tab.SPEC.defaults()
    inp = [d[n] for n in tab.INPAINT_NAMES]
    sde = [d[n] for n in tab.SDEDIT_NAMES]

    def with_(names, **kw):
        return [kw.get(n, d[n]) for n in names]

    def clear_inpaint():
        tab._inpaint_outputs.cache_clear()
        tab._run.cache_clear()
        tab._reference.cache_clear()
        tab.u_curve.cache_clear()
        tab._floor.cache_clear()

    def clear_sdedit():
        tab._sdedit_outputs.cache_clear()
        tab.sd_run.cache_clear()
        tab.sd_curves.cache_clear()
        metrics.data_noise_floor.cache_clear()

    def padded(view, first):  # the tab's outputs are inpainting's three then SDEdit's three
        return (lambda: (*view(), None, None, None)) if first else (lambda: (None, None, None, *view()))

    out = [
        Case(
            "inpaint · U / j / particles slider (runs cached: figures)",
            tab.TAB_ID,
            padded(lambda: tab.inpaint_view(*inp), True),
            reset=tab._inpaint_outputs.cache_clear,
            budget=INTERACTIVE,
        ),
        Case(
            "inpaint · back to a setting already shown",
            tab.TAB_ID,
            padded(lambda: tab.inpaint_view(*inp), True),
            budget=INTERACTIVE,
        ),
        Case(
            "inpaint · new x₁: RePaint + naive + reference + U curve (miss)",
            tab.TAB_ID,
            padded(lambda: tab.inpaint_view(*inp), True),
            reset=clear_inpaint,
            budget=REPAINT_BUDGET,
        ),
        Case(
            "sdedit · t₀ slider (every t₀ precomputed: figures)",
            tab.TAB_ID,
            padded(lambda: tab.sdedit_view(*sde), False),
            reset=tab._sdedit_outputs.cache_clear,
            budget=INTERACTIVE,
        ),
        Case(
            "sdedit · new stroke / seed (50 SDEdit runs, one per t₀)",
            tab.TAB_ID,
            padded(lambda: tab.sdedit_view(*sde), False),
            reset=clear_sdedit,
            budget=REPAINT_BUDGET,
        ),
        Case(
            "inpaint · page load / scene (both halves, by the kit)",
            tab.TAB_ID,
            lambda: tuple(kit.draw(tab.SPEC, tab.SPEC.validate(kit.drop_invalid(tab.SPEC, d))).values()),
            budget=REPAINT_BUDGET,
        ),
    ]
    if worst:
        heavy = with_(tab.INPAINT_NAMES, resamplings=20, steps=125, particles=1000)
        out.append(
            Case(
                "cap: inpaint · RePaint U = 20 × 125 steps × 1000 partic.",
                tab.TAB_ID,
                padded(lambda: tab.inpaint_view(*heavy), True),
                reset=clear_inpaint,
                budget=WORK_CAP_BUDGET,
                repeats=1,
            )
        )
        slow = with_(tab.SDEDIT_NAMES, sd_steps=200, t0=1.0)
        out.append(
            Case(
                "cap: sdedit · 200 steps, new curves",
                tab.TAB_ID,
                padded(lambda: tab.sdedit_view(*slow), False),
                reset=clear_sdedit,
                budget=WORK_CAP_BUDGET,
                repeats=1,
            )
        )
    return out
