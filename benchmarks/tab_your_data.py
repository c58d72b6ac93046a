"""Cases of the "Your data" tab for `python -m benchmarks.app` (issue 12): an edit of the component table redraws
the exact-density preview ≤ 100 ms server side up to the cap of components (100); a drawing or pasted points
become a mixture (k-means merge to the cap) behind a button.

Each timed run is a new mixture (one weight changed) with the spec caches cleared, as a user's edit is."""

from __future__ import annotations

import numpy as np

BUDGET = 0.100  # seconds: the interactive budget of new tabs
MERGE_BUDGET = 1.0  # a button press that turns up to 5,000 points into a mixture


def _cap_table(n: int) -> list[list]:
    """n components spread over the plane, two classes, varied shapes (a user's table at the cap)."""
    rng = np.random.default_rng(0)
    rows = []
    for k in range(n):
        x, y = rng.uniform(-4, 4, 2)
        s1, s2 = rng.uniform(0.1, 0.6, 2)
        major, minor = round(max(s1, s2), 3), round(min(s1, s2), 3)
        rows.append([1.0, round(x, 3), round(y, 3), major, minor, float(k * 7 % 180), k % 2])
    return rows


def cases(worst: bool) -> list:
    from benchmarks.app import Case
    from core import dataspec
    from core.dataspec import MAX_COMPONENTS
    from core.points_to_mixture import MAX_POINTS
    from demos import your_data as tab

    table = _cap_table(MAX_COMPONENTS)
    edits = iter(range(1, 10**6))

    def clear():
        dataspec.canonical.cache_clear()
        dataspec.load_data.cache_clear()

    def table_edit():
        """The tab's outputs (preview, table, message, spec) for an edited table: a new mixture every run."""
        table[0][0] = 1.0 + next(edits) * 1e-3
        return tab.data_view(tab.spec_from_table(table))

    rng = np.random.default_rng(1)
    points = rng.normal(size=(MAX_POINTS, 2)) * [2.0, 1.0]
    labels = (points[:, 0] > 0).astype(int)

    def merge_points():
        return tab.data_view(tab.spec_from_points(points, labels, tab.DEFAULT_WIDTH, MAX_COMPONENTS))

    return [
        Case(f"data · table edit, {MAX_COMPONENTS} components (the cap): preview", tab.TAB_ID, table_edit,
             reset=clear, budget=BUDGET),
        Case("data · spec seen before (preset written out)", tab.TAB_ID,
             lambda: tab.data_view(tab.DEFAULT_SPEC), budget=BUDGET),
        Case(f"data · {MAX_POINTS:,} points → {MAX_COMPONENTS} components (button)", tab.TAB_ID, merge_points,
             reset=clear, budget=MERGE_BUDGET),
    ]  # fmt: skip
