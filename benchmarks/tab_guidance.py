"""Benchmark cases of the guidance tab's classifier guidance (collected by `python -m benchmarks.app`; the CFG
slider rows are in benchmarks/app.py).

Budgets (issue 16): the w slider with an overlay ≤ 100 ms where cached; training the learned classifier at the
defaults ≤ 20 s (behind a progress bar); the heaviest training the inputs allow is capped (MAX_STEPS).
"""

from __future__ import annotations

INTERACTIVE = 0.100
TRAINING_BUDGET = 20.0


def cases(worst: bool) -> list:
    from benchmarks.app import Case
    from core import classifier as K
    from demos import guidance as tab

    d = {c.name: c.default for c in tab.CONTROLS}

    def values(**kw):
        return [kw.get(c.name, d[c.name]) for c in tab.CONTROLS]

    exact = values(overlay="exact")
    learned = values(overlay="learned")

    def forget_classifier():
        K._TRAINED.clear()
        K._TRAINED_ORDER.clear()
        tab._cg_samples.cache_clear()

    def panel(vals):
        def run():
            tab.classifier_view(*vals)  # its four figures are not the tab's load outputs: timed, not serialised
            return (None, None, None)

        return run

    out = [
        Case(
            "guidance · w slider with the exact-classifier overlay (cached)",
            tab.TAB_ID,
            lambda: tab.guidance_view(*exact),
            budget=INTERACTIVE,
        ),
        Case(
            "guidance · w slider with the learned overlay (trained)",
            tab.TAB_ID,
            lambda: tab.guidance_view(*learned),
            budget=INTERACTIVE,
        ),
        Case(
            "guidance · heatmap t slider (classifier trained)",
            tab.TAB_ID,
            panel(learned),
            budget=INTERACTIVE * 4,
        ),
        Case(
            "guidance · train the classifier at the defaults (1,000 steps)",
            tab.TAB_ID,
            panel(learned),
            reset=forget_classifier,
            budget=TRAINING_BUDGET,
            repeats=1,
        ),
    ]
    if worst:
        heavy = values(overlay="learned", train_steps=K.MAX_STEPS)
        out.append(
            Case(
                f"cap: guidance · train {K.MAX_STEPS:,} steps (the cap)",
                tab.TAB_ID,
                panel(heavy),
                reset=forget_classifier,
                budget=TRAINING_BUDGET * K.MAX_STEPS / K.DEFAULT_STEPS,
                repeats=1,
            )
        )
    return out
