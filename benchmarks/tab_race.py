"""Benchmark cases of the sampler race tab (issue 14): interactive changes that hit the cache ≤ 100 ms, a live race
at budget 20 on a default preset with every sampler ≤ 5 s, a full error-vs-NFE recompute ≤ 20 s (behind a
progress bar in the app); the work-cap corners of the race and a live grid panel."""

from __future__ import annotations

INTERACTIVE = 0.100  # seconds, server side: the budget of new tabs
LIVE_RACE = 5.0
FULL_CURVES = 20.0


def cases(worst: bool) -> list:
    from benchmarks.app import Case
    from demos import kit
    from demos import race as tab

    d = {c.name: c.default for c in tab.CONTROLS}

    def values(**kw):
        return [kw.get(c.name, d[c.name]) for c in tab.CONTROLS]

    def only(index, fn):  # one output of the tab's five, in its place (the others are not sent)
        def run():
            out = [None] * 5
            out[index] = fn()
            return tuple(out)

        return run

    def forget_race():
        tab._RACES.clear()
        tab.race_figure.cache_clear()
        tab.reference.cache_clear()

    out = [
        Case(
            "race · curves of / x axis / y axis (figure cached)",
            tab.TAB_ID,
            only(3, lambda: tab.curves_view(*values(show="all", x_axis="wall"))),
            budget=INTERACTIVE,
        ),
        Case(
            "race · curves of / x axis / y axis (new figure)",
            tab.TAB_ID,
            only(3, lambda: tab.curves_view(*values(show="all", y_axis="path"))),
            reset=tab._FIGS.clear,
            budget=INTERACTIVE,
        ),
        Case(
            "race · grid-panel solver (shipped data, new figure)",
            tab.TAB_ID,
            only(4, lambda: tab.grid_view(*values())),
            reset=tab._FIGS.clear,
            budget=INTERACTIVE,
        ),
        Case("race · budget / scene seen before (all cached)", tab.TAB_ID, lambda: tab.race_view(*values())),
        Case(
            "race · page load / scene (load, cached)",
            tab.TAB_ID,
            lambda: tuple(kit.draw(tab.SPEC, tab.SPEC.validate(kit.drop_invalid(tab.SPEC, d))).values()),
            budget=INTERACTIVE,
        ),
        Case(
            "race · live race at 20 NFE, all 32 samplers + DDPM-1000 (miss)",
            tab.TAB_ID,
            lambda: tab.race_view(*values()),
            reset=forget_race,
            budget=LIVE_RACE,
            repeats=3,
        ),
        Case(
            "race · error-vs-NFE recompute, seed 1, our 20 samplers (miss)",
            tab.TAB_ID,
            only(3, lambda: tab.curves_view(*values(seed=1))),
            reset=tab._CURVES.clear,
            budget=FULL_CURVES,
            repeats=1,
        ),
        Case(
            "race · error-vs-NFE recompute, seed 1, all 32 samplers (miss)",
            tab.TAB_ID,
            only(3, lambda: tab.curves_view(*values(seed=1, show="all"))),
            reset=tab._CURVES.clear,
            budget=FULL_CURVES,
            repeats=1,
        ),
    ]
    if worst:

        def race_at(**kw):
            return lambda: tab.race_view(*values(**kw))

        out += [
            Case(
                "cap: race · 100 NFE on ring8, every sampler (miss)",
                tab.TAB_ID,
                race_at(budget=100),
                reset=forget_race,
                budget=LIVE_RACE,
                repeats=1,
            ),
            Case(
                "cap: race · checkerboard (72 comp.) at 20 NFE (miss)",
                tab.TAB_ID,
                race_at(preset="checkerboard"),
                reset=forget_race,
                budget=LIVE_RACE,
                repeats=1,
            ),
            Case(
                "cap: race · grid panel, new solver DPM-Solver-3 (miss)",
                tab.TAB_ID,
                only(4, lambda: tab.grid_view(*values(grid_solver="dpm_solver_3"))),
                reset=tab._GRIDS.clear,
                budget=LIVE_RACE,
                repeats=1,
            ),
        ]
    return out
