"""The landing tab's pure views (demos/syllabus.py): the syllabus map and the claims board as HTML.

The board is built from the registry generically: the tests use a registry of their own (claims whose
`measure` raises, to show that the board never measures) and the real one."""

from __future__ import annotations

from dataclasses import replace
from html import unescape
from html.parser import HTMLParser

import pytest

from core import syllabus as data
from core.claims import DEPENDS, FAILS, HOLDS, Claim, all_claims
from demos import kit, syllabus

EVERY_TAB = set(syllabus.TAB_TITLES)
VOID = {"br", "img", "hr", "input", "meta", "link", "wbr"}


class Page(HTMLParser):
    """Links, ids and tag balance of an HTML fragment."""

    def __init__(self, text: str):
        super().__init__()
        self.links: list[dict] = []
        self.ids: set[str] = set()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.feed(text)
        self.close()
        if self.stack:
            self.errors.append(f"unclosed {self.stack}")

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a":
            self.links.append(attrs)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def _never(*_):
    raise AssertionError("the board measured a claim")


def _claim(key, tab, scene, expected=HOLDS):
    return Claim(
        key=key,
        paper=f"Paper of {key}",
        claim=f"The claim of {key} <in one sentence>.",
        method=f"preset ring8, 20 steps, 2,000 particles, seeds 0-2 ({key})",
        measure=_never,
        verdict=_never,
        summary=_never,
        expected=expected,
        tab=tab,
        scene=scene,
    )


FAKE_CLAIMS = {
    "a_holds": _claim("a_holds", "ddim", "tab=ddim&preset=ring8&cell_steps=20"),
    "b_depends": _claim("b_depends", "reverse", "tab=reverse&sampler=dpm_solver_2&steps=10", DEPENDS),
    "c_fails": _claim("c_fails", "reverse", "tab=reverse&sampler=ddpm&steps=50", FAILS),
    "d_unmeasured": _claim("d_unmeasured", "cfg", "tab=cfg&w=7"),
    "e_future_tab": _claim("e_future_tab", "race", "tab=race&preset=grid25"),
}
FAKE_RESULTS = {
    "a_holds": {"values": {"x": 1.0}, "verdict": HOLDS, "summary": "x = 1.0 floor units"},
    "b_depends": {"values": {"y": 2.0}, "verdict": DEPENDS, "summary": "y = 2.0 on one grid, 9.0 on the other"},
    "c_fails": {"values": {"z": 3.0}, "verdict": FAILS, "summary": "z = 3.0, the paper says < 1"},
}


@pytest.fixture
def fake_registry(monkeypatch):
    monkeypatch.setattr(syllabus, "_registry", lambda: (FAKE_CLAIMS, FAKE_RESULTS))


# ---------------------------------------------------------------------------------------------- the board
def test_board_has_one_card_per_claim_with_its_numbers_and_verdict(fake_registry):
    html = syllabus.board_html({"ddim", "reverse", "cfg"})
    page = Page(html)
    assert not page.errors, page.errors
    for key, claim in FAKE_CLAIMS.items():
        assert f"claim-{key}" in page.ids
        card = unescape(html.split(f'id="claim-{key}"')[1].split('<div class="card"')[0])
        assert claim.paper in card and claim.claim in card and claim.method in card
        result = FAKE_RESULTS.get(key)
        if result:
            assert result["summary"] in card and result["verdict"] in card
        else:
            assert "not measured yet" in card
    assert "&lt;in one sentence&gt;" in html  # text is escaped


def test_board_links_only_to_tabs_the_app_serves(fake_registry):
    page = Page(syllabus.board_html({"ddim", "reverse", "cfg"}))
    hrefs = [a["href"] for a in page.links]
    assert sorted(data.params(h)["tab"] for h in hrefs) == ["cfg", "ddim", "reverse", "reverse"]
    assert syllabus.scene_href("tab=ddim&preset=ring8&cell_steps=20") in hrefs
    assert all("target" not in a for a in page.links)  # same window, same app
    assert "Sampler race (tab coming)" in unescape(syllabus.board_html({"ddim"}))


def test_board_counts_in_the_overview(fake_registry, monkeypatch):
    text = unescape(syllabus.overview_html(EVERY_TAB))
    assert "5 claims on the board" in text
    for part in ("1 holds", "1 depends on the data or grid", "1 does not hold here", "2 not measured yet"):
        assert part in text
    monkeypatch.setattr(syllabus, "_registry", lambda: (FAKE_CLAIMS, {k: FAKE_RESULTS["a_holds"] for k in FAKE_CLAIMS}))
    text = unescape(syllabus.overview_html(EVERY_TAB))
    for part in ("5 hold.",):
        assert part in text


def test_board_of_the_real_registry_reads_the_shipped_file_only(monkeypatch):
    import core.claims

    claims = {k: replace(c, measure=_never) for k, c in all_claims().items()}  # measuring would raise
    monkeypatch.setattr(core.claims, "all_claims", lambda: claims)
    monkeypatch.setattr(core.claims, "evaluate", _never)
    html = syllabus.board_html(EVERY_TAB)
    page = Page(html)
    assert not page.errors, page.errors
    assert {f"claim-{k}" for k in claims} <= page.ids
    assert html.count('<div class="card"') == len(claims)


def test_empty_registry(monkeypatch):
    monkeypatch.setattr(syllabus, "_registry", lambda: ({}, {}))
    assert "No claims registered yet" in syllabus.board_html(EVERY_TAB)


# ---------------------------------------------------------------------------------------------- the map
def test_map_lists_every_topic_demoed_or_not():
    html = unescape(syllabus.syllabus_html(syllabus.ALL, EVERY_TAB))
    for topic in data.TOPICS:
        assert topic.title in html
        assert topic.missing in html
    assert html.count(">not demoed here</span>") == sum(not t.demoed for t in data.TOPICS)
    for paper in data.PAPERS.values():
        assert paper.title in html and str(paper.year) in html


def test_map_links_every_scene_of_the_tabs_served_and_no_other():
    served = {"forward", "cfg"}
    page = Page(syllabus.syllabus_html(syllabus.ALL, served))
    assert not page.errors, page.errors
    scene_links = {a["href"] for a in page.links if a.get("class") == "scene"}
    assert scene_links == {syllabus.scene_href(s.query) for s in data.scenes(served)}
    chips = {a["href"] for a in page.links if a.get("class") == "chip" and a["href"].startswith("?")}
    assert chips == {f"?tab=syllabus&programme={p.key}" for p in data.PROGRAMMES}
    anchors = [a["href"] for a in page.links if a["href"].startswith("#")]
    assert anchors and all(a == "#claims-board" or a.startswith("#claim-") for a in anchors)
    assert all(a["href"].startswith(("?tab=", "#")) and "target" not in a for a in page.links)


def test_topic_cards_name_their_claims():
    claims = all_claims()
    html = syllabus.syllabus_html(syllabus.ALL, EVERY_TAB)
    for topic in data.TOPICS:
        for key in topic.claims:
            assert key in claims
            assert f'href="#claim-{key}"' in html


@pytest.mark.parametrize("programme", [p.key for p in data.PROGRAMMES])
def test_programme_view_follows_its_sessions_in_order(programme):
    p = data.PROGRAMME_BY_KEY[programme]
    html = unescape(syllabus.syllabus_html(programme, EVERY_TAB))
    assert not Page(html).errors
    assert p.name in html
    positions = [html.index(f"{s.label}: {s.title}") for s in p.sessions]
    assert positions == sorted(positions)
    for session in p.sessions:
        for key in session.topics:
            assert data.TOPIC_BY_KEY[key].title in html
    assert "?tab=syllabus&programme=all" in html


def test_view_validates_the_programme():
    assert syllabus.syllabus_view("fidle") == syllabus.syllabus_html("fidle")
    with pytest.raises(ValueError, match="programme"):
        syllabus.syllabus_view("mit")
    # a link sets the radio only: the map follows the radio's change event, not the page load
    assert kit.draw(syllabus.SPEC, kit.drop_invalid(syllabus.SPEC, {"programme": "eleuther"})) == {}
    assert kit.drop_invalid(syllabus.SPEC, {"programme": "mit"}) == {"programme": syllabus.ALL}


def test_scenes_and_controls_are_consistent():
    assert [c.name for c in syllabus.CONTROLS] == ["programme"]
    for values in syllabus.SCENES.values():
        assert values["programme"] in data.PROGRAMME_BY_KEY
