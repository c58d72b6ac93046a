"""Benchmark cases of the sampler race tab (issue 14): interactive changes that hit the cache ≤ 100 ms, a live race
at budget 20 on a default preset with every sampler ≤ 5 s, a full error-vs-NFE recompute ≤ 20 s (behind a
progress bar in the app); the work-cap corners of the race and a live grid panel."""

from __future__ import annotations

INTERACTIVE = 0.100  # seconds, server side: the budget of new tabs
LIVE_RACE = 5.0
FULL_CURVES = 20.0


def cases(worst: bool) -> list:
    from benchmarks.app import CALLBACK_BUDGET
    from benchmarks.rows import LOAD, Row, clear
    from benchmarks.rows import cases as rows_cases
    from demos import race as tab

    forget_race = clear(tab._RACES, tab.race_figure, tab.reference)

    race, curves, grid = tab.race_view, tab.curves_view, tab.grid_view  # race: every output; the others, one
    rows = [
        Row("race · curves of / x axis / y axis (figure cached)", INTERACTIVE, curves,
            dict(show="all", x_axis="wall"), into=("curves",)),
        Row("race · curves of / x axis / y axis (new figure)", INTERACTIVE, curves, dict(show="all", y_axis="path"),
            reset=tab._FIGS.clear, into=("curves",)),
        Row("race · grid-panel solver (shipped data, new figure)", INTERACTIVE, grid, reset=tab._FIGS.clear,
            into=("grid",)),
        Row("race · budget / scene seen before (all cached)", CALLBACK_BUDGET, race),
        Row("race · page load / scene (load, cached)", INTERACTIVE, LOAD),
        Row("race · live race at 20 NFE, all 32 samplers + DDPM-1000 (miss)", LIVE_RACE, race, reset=forget_race,
            repeats=3),
        Row("race · error-vs-NFE recompute, seed 1, our 20 samplers (miss)", FULL_CURVES, curves, dict(seed=1),
            reset=tab._CURVES.clear, repeats=1, into=("curves",)),
        Row("race · error-vs-NFE recompute, seed 1, all 32 samplers (miss)", FULL_CURVES, curves,
            dict(seed=1, show="all"), reset=tab._CURVES.clear, repeats=1, into=("curves",)),
    ]  # fmt: skip
    if worst:
        rows += [
            Row("cap: race · 100 NFE on ring8, every sampler (miss)", LIVE_RACE, race, dict(budget=100),
                reset=forget_race, repeats=1),
            Row("cap: race · checkerboard (72 comp.) at 20 NFE (miss)", LIVE_RACE, race, dict(preset="checkerboard"),
                reset=forget_race, repeats=1),
            Row("cap: race · grid panel, new solver DPM-Solver-3 (miss)", LIVE_RACE, grid,
                dict(grid_solver="dpm_solver_3"), reset=tab._GRIDS.clear, repeats=1, into=("grid",)),
        ]  # fmt: skip
    return rows_cases(tab, rows)
