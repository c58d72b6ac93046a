"""Benchmark cases of the DDIM tab added with the optimal-variance rows (the table cases are in
benchmarks/app.py): the cell radios at S = 1000, whose same-noise paths are now drawn with the cell's S
(precomputed with the table), and a scene on a preset whose table is not cached (behind a progress bar)."""

from __future__ import annotations


def cases(worst: bool) -> list:
    from benchmarks.app import WORK_CAP_BUDGET, Case
    from demos import ddim_table as tab

    d = {c.name: c.default for c in tab.CONTROLS}

    def values(**kw):
        return [kw.get(c.name, d[c.name]) for c in tab.CONTROLS]

    out = [
        Case(
            "ddim · cell radios at S = 1000, optimal row (table cached)",
            tab.TAB_ID,
            lambda: tab.ddim_view(*values(cell_steps=1000, cell_variant=tab.OPTIMAL)),
        ),
    ]
    if worst:
        out.append(
            Case(
                "cap: ddim · scene on grid25 (new table, 7 rows)",
                tab.TAB_ID,
                lambda: tab.ddim_view(*values(preset="grid25", cell_variant=tab.OPTIMAL)),
                reset=tab._TABLES.clear,
                budget=WORK_CAP_BUDGET,
                repeats=1,
            )
        )
    return out
