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

    d = {c.name: c.default for c in tab.CONTROLS}

    def values(**kw):
        return [kw.get(c.name, d[c.name]) for c in tab.CONTROLS]

    def forget_views():
        tab._ERRORS.clear()
        tab._BUDGETS.clear()

    def forget_trained(settings):
        return lambda: (learned._CACHE.pop(settings.validated().key, None), forget_views())

    def pad(fn, before=0, after=0):  # outputs in the order of the tab's output components
        return lambda: (*[None] * before, *fn(), *[None] * after)

    # the tab's outputs: status, loss, heat, budget plot, samples, numbers
    out = [
        Case(
            "learned · t slider (error map, shipped model)",
            tab.TAB_ID,
            lambda: (None, None, *tab.error_view(*values(t=50))[:1], None, None, tab.error_view(*values(t=50))[1]),
            budget=INTERACTIVE,
        ),
        Case(
            "learned · t slider, new t (error map miss)",
            tab.TAB_ID,
            lambda: (None, None, *tab.error_view(*values(t=77))[:1], None, None, None),
            reset=lambda: tab._ERRORS.clear(),
            budget=INTERACTIVE * 3,
        ),
        Case(
            "learned · steps radio (budget cached)",
            tab.TAB_ID,
            pad(lambda: tab.budget_view(*values(steps=10))[:2], before=3, after=1),
            budget=INTERACTIVE,
        ),
        Case(
            "learned · new sampler (error budget miss, progress bar)",
            tab.TAB_ID,
            pad(lambda: tab.budget_view(*values(sampler="dpmpp_2m"))[:2], before=3, after=1),
            reset=forget_views,
            budget=WORK_CAP_BUDGET,
            repeats=1,
        ),
        Case("learned · page load / scene (shipped model)", tab.TAB_ID, lambda: tab.learned_view(*values())),
        Case(
            "learned · train at the defaults, another seed (progress bar)",
            tab.TAB_ID,
            lambda: tab.learned_view(*values(seed=1)),
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
                lambda: tab.learned_view(*values(width=256, depth=4, train_steps=most // 100 * 100)),
                reset=forget_trained(learned.Settings(width=256, depth=4, steps=most // 100 * 100)),
                budget=TRAINING_BUDGET * 1.5,
                repeats=1,
            )
        )
    return out
