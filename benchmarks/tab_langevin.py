"""Budgets of the Score & Langevin tab (issue 13), collected by `python -m benchmarks.app`.

* σ slider (score field) and the level slider / Play tick: ≤ 100 ms server side at the defaults;
* a new Langevin run (2 methods × L × T score evaluations at the defaults): ≤ 1 s;
* heavier settings up to the work cap run behind a progress bar: the app-wide work-cap budget.

A case returns the outputs in the order of the tab's output components (field, plain, annealed, shares,
levels, metrics, share text, numbers, σ_L); the slider cases fill only what their event updates.
"""

from __future__ import annotations

INTERACTIVE_BUDGET = 0.100  # seconds, the budget for the σ and level sliders
NEW_RUN_BUDGET = 1.0  # seconds, a new Langevin run at the defaults


def cases(worst: bool) -> list:
    from benchmarks.app import WORK_CAP_BUDGET, Case
    from demos import score_langevin as tab

    d = [c.default for c in tab.CONTROLS]

    def with_values(**kw):
        return [kw.get(c.name, c.default) for c in tab.CONTROLS]

    def field_only(log_sigma):
        return lambda: (tab.field_view(d[0], log_sigma), *([None] * 8))

    def level(frame):
        def run():
            plain, annealed, shares, text = tab.frame_view(*with_values(frame=frame))
            return None, plain, annealed, shares, None, None, text, None, None

        return run

    def load():
        """What a link or a scene draws (through the kit): the main view's outputs, by name."""
        from demos import kit

        out = kit.draw(tab.SPEC, tab.SPEC.validate(kit.drop_invalid(tab.SPEC, {})))
        return tuple(out[n] for n in tab.RUN_OUTPUTS)

    def new_sigma():
        tab.weights_mass.cache_clear()
        tab._density.cache_clear()

    out = [
        Case("langevin · σ slider (score field)", tab.TAB_ID, field_only(0.5), budget=INTERACTIVE_BUDGET),
        Case(
            "langevin · σ slider, a σ not seen yet (cache miss)",
            tab.TAB_ID,
            field_only(0.35),
            reset=new_sigma,
            budget=INTERACTIVE_BUDGET,
        ),
        Case("langevin · level slider / Play tick", tab.TAB_ID, level(4), budget=INTERACTIVE_BUDGET),
        Case(
            "langevin · new run at the defaults (cache miss)",
            tab.TAB_ID,
            lambda: tab.langevin_view(*d),
            reset=tab.clear_cache,
            budget=NEW_RUN_BUDGET,
        ),
        Case("langevin · page load / scene (load)", tab.TAB_ID, load),
    ]
    if worst:
        heavy = [
            ("ncsn_fig3, L 12 × T 100 × 1,000 particles", dict(levels=12, gamma=1.99)),
            (
                "checkerboard (72 modes), L 10 × T 100 × 1,200",
                dict(preset="checkerboard", sigma1=5.7, gamma=2.0, particles=1200, plain_step=0.002),
            ),
            (
                "grid25, L 5 × T 1000 × 200 particles",
                dict(preset="grid25", levels=5, steps=1000, particles=200, sigma1=6.1, gamma=2.0, plain_step=0.0006),
            ),
        ]
        for name, kw in heavy:
            vals = with_values(**kw)
            out.append(
                Case(
                    "cap: langevin · " + name,
                    tab.TAB_ID,
                    lambda vals=vals: tab.langevin_view(*vals),
                    reset=tab.clear_cache,
                    budget=WORK_CAP_BUDGET,
                    repeats=1,
                )
            )
    return out
