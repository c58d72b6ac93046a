"""Benchmark cases of the "Learned vs exact" tab (collected by `python -m benchmarks.app`).

Budgets (issue 17): a shipped or cached model answers ≤ 100 ms (the t slider's error map, the steps radio);
a new sampler's error budget and the first view of a shipped model are cache misses behind a progress bar;
training at the defaults ≤ 20 s behind a progress bar; the heaviest training the inputs allow is refused above
the work cap (core/learned.py: MAX_TRAIN_WORK, 150 M parameter-steps ≈ 20 s).
"""

from __future__ import annotations

INTERACTIVE = 0.100
TRAINING_BUDGET = 20.0


def cases(worst: bool) -> list:
    from benchmarks.app import WORK_CAP_BUDGET, Case
    from core import learned
    from demos import learned as tab

    def values(**kw):
        return {**tab.SPEC.defaults(), **kw}

    def forget_views():
        tab._ERRORS.clear()
        tab._BUDGETS.clear()

    def forget_trained(settings):
        return lambda: (learned._CACHE.pop(settings.validated().key, None), forget_views())

    def shown(**outputs):  # outputs in the order of the tab's output components (its view's: tab.SHOWN)
        return tuple(outputs.get(name) for name in tab.SHOWN)

    def error(**kw):
        return shown(**dict(zip(("heat", "numbers"), tab.error_view(**values(**kw)))))

    def budget(**kw):
        return shown(**dict(zip(("budget", "samples", "numbers"), tab.budget_view(**values(**kw)))))

    def trained(**kw):
        return shown(**dict(zip(tab.OUTPUTS, tab.learned_view(**values(**kw)))))

    out = [
        Case("learned · t slider (error map, shipped model)", tab.TAB_ID, lambda: error(t=50), budget=INTERACTIVE),
        Case(
            "learned · t slider, new t (error map miss)",
            tab.TAB_ID,
            lambda: error(t=77),
            reset=lambda: tab._ERRORS.clear(),
            budget=INTERACTIVE * 3,
        ),
        Case("learned · steps radio (budget cached)", tab.TAB_ID, lambda: budget(steps=10), budget=INTERACTIVE),
        Case(
            "learned · new sampler (error budget miss, progress bar)",
            tab.TAB_ID,
            lambda: budget(sampler="dpmpp_2m"),
            reset=forget_views,
            budget=WORK_CAP_BUDGET,
            repeats=1,
        ),
        Case("learned · page load / scene (shipped model)", tab.TAB_ID, lambda: tab.shown_view(**values())),
        Case(
            "learned · train at the defaults, another seed (progress bar)",
            tab.TAB_ID,
            lambda: trained(seed=1),
            reset=forget_trained(learned.Settings(seed=1)),
            budget=TRAINING_BUDGET,
            repeats=1,
        ),
    ]
    if worst:
        most = learned.MAX_TRAIN_WORK // learned.n_parameters(256, 4)
        out.append(
            Case(
                f"cap: learned · 4×256 network, {most:,} steps (the work cap)",
                tab.TAB_ID,
                lambda: trained(width=256, depth=4, train_steps=most // 100 * 100),
                reset=forget_trained(learned.Settings(width=256, depth=4, steps=most // 100 * 100)),
                budget=TRAINING_BUDGET * 1.5,
                repeats=1,
            )
        )
    return out
