"""Cases of the landing tab "Syllabus & claims" for `python -m benchmarks.app` (first paint, programme radio).

The tab computes nothing: its board reads `core.claims.shipped()` (assets/claims.json) and its map is the
data of core/syllabus.py rendered as HTML (cached). "cold" / "miss" rows clear those caches first, as a fresh
`python app.py` has it; the budget is the interactive one of the newer tabs (100 ms server side)."""

from __future__ import annotations

BUDGET = 0.100  # seconds: the interactive budget of new tabs


def cases(worst: bool) -> list:
    from benchmarks.app import Case
    from core.claims import shipped
    from demos import kit, syllabus

    def cold():
        shipped.cache_clear()
        syllabus._map_html.cache_clear()

    def first_paint():
        """Everything the tab draws when the app is built: overview, map and board."""
        return (syllabus.syllabus_html(syllabus.ALL), syllabus.board_html())

    return [
        Case("syllabus · first paint: map + board (cold: reads claims.json)", syllabus.TAB_ID, first_paint,
             reset=cold, budget=BUDGET),
        Case("syllabus · page load: the programme radio (load)", syllabus.TAB_ID,
             lambda: kit.draw(syllabus.SPEC, syllabus.SPEC.defaults()), budget=BUDGET),
        Case("syllabus · programme radio (EleutherAI, cache miss)", syllabus.TAB_ID,
             lambda: syllabus.syllabus_view("eleuther"), reset=syllabus._map_html.cache_clear, budget=BUDGET),
    ]  # fmt: skip
