"""The landing tab "Syllabus & claims" in a real browser (Debian's headless Chromium, `python app.py`).

* It is the tab a visitor sees first (a URL without `tab=`).
* Every scene is linked (the syllabus map in each programme view, and the claims board), and one link per tab
  (the one changing most settings) is followed: an in-app link opens the right tab in the same window, with no
  "settings were not valid" warning, and a setting the link changes from the tab's default is shown by a control
  of that tab; an anchor (#claim-...) has its target on the page. Links are relative (`?tab=...`), without
  target=_blank. Every link is opened through the app's page-load handler in-process (test_scene_links.py).
* At phone width (390 px) nothing scrolls sideways. Screenshots: test-output/screenshots/*-syllabus*.png.
"""

from __future__ import annotations

import math
import re
import time
from urllib.parse import parse_qsl, urlsplit

import pytest

from core import syllabus as data
from demos import syllabus
from demos.syllabus import scene_href
from demos.tabs import tab_modules
from tests.app.browser import DESKTOP, PHONE, AppPage, wait_until

pytestmark = pytest.mark.browser

MODULES = {m.TAB_ID: m for m in tab_modules()}
BATCH = 3  # links opened at once
# the app's words when a link's value or tab is not used (app.py, demos/sharing.py)
REFUSED = re.compile(r"not valid|could not be read|was not used|is not a tab here")
# what Gradio logs when a page it is streaming to navigates away (the stream's reader is aborted; which of the two
# AbortError messages depends on where the read was: a full suite run here saw the second)
LEFT_PAGE = re.compile(
    r"AbortError: (signal is aborted without reason|BodyStreamBuffer was aborted)"
    r"|Unexpected error Connection errored out"
)
LINKS_JS = """() => [...document.querySelectorAll('.syl a')].filter(a => a.offsetParent !== null)
    .map(a => ({href: a.getAttribute('href'), target: a.getAttribute('target'), text: a.textContent.trim()}))"""
# What the visible tab shows: each visible input's value, each checked radio's value and label, and for every
# choice component the (label, value) pairs from Gradio's config (a dropdown shows a label, a link holds a value).
SHOWN_JS = """() => {
  const panel = [...document.querySelectorAll('[role=tabpanel]')].find(e => e.offsetParent !== null);
  if (!panel) return {values: [], choices: []};
  const values = [];
  panel.querySelectorAll('input, textarea').forEach(e => {
    if (e.type === 'radio') {
      if (e.checked) { values.push(e.value); const l = e.closest('label'); if (l) values.push(l.textContent.trim()); }
    } else if (e.type === 'checkbox') { if (e.offsetParent !== null) values.push(String(e.checked)); }
    else if (e.offsetParent !== null) values.push(e.value);
  });
  const choices = (window.gradio_config?.components || []).flatMap(c => c.props?.choices || [])
    .filter(c => Array.isArray(c)).map(c => [String(c[0]), String(c[1])]);
  return {values, choices};
}"""


def _links(app_page: AppPage) -> list[dict]:
    return app_page.page.evaluate(LINKS_JS)


def _same(shown: str, wanted: str, labels: set[str]) -> bool:
    shown = shown.strip()
    if shown == wanted or shown in labels:
        return True
    try:
        a, b = float(shown), float(wanted)
    except ValueError:
        return False
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _changed_settings(tab: str, settings: dict[str, str]) -> dict[str, str]:
    """The link's settings that differ from the tab's defaults (the ones the link must visibly set)."""
    controls = {c.name: c for c in MODULES[tab].CONTROLS}
    return {k: v for k, v in settings.items() if k in controls and controls[k].parse(v) != controls[k].default}


def _tab(href: str) -> str:
    return dict(parse_qsl(urlsplit(href).query))["tab"]


def _settings(href: str) -> dict[str, str]:
    """A link's settings but its tab."""
    return {k: v for k, v in parse_qsl(urlsplit(href).query, keep_blank_values=True) if k != "tab"}


def _open_link(browser, base: str, href: str) -> tuple[AppPage, str, dict[str, str]]:
    """A fresh page on the link (a page navigated away while Gradio streams logs an AbortError)."""
    settings = dict(parse_qsl(urlsplit(href).query, keep_blank_values=True))
    tab = settings.pop("tab")
    assert tab in MODULES, f"{href}: links to a tab the app does not serve"
    return AppPage(browser, base + href, DESKTOP), tab, settings


def _check_link(app_page: AppPage, href: str, tab: str, settings: dict[str, str]) -> None:
    page = app_page.page
    wait_until(app_page.selected_tab, f"{href} to select tab {tab}", ok=lambda t: t == tab)
    wanted = _changed_settings(tab, settings) or settings

    def shown():
        got = page.evaluate(SHOWN_JS)
        labels = {}
        for label, value in got["choices"]:
            labels.setdefault(value, set()).add(label)
        return {k: v for k, v in wanted.items() if any(_same(s, v, labels.get(v, set())) for s in got["values"])}

    if wanted:
        found = wait_until(shown, f"{href}: one of {wanted} shown by the {tab} tab")
        assert found
    refused = [text for _, text in app_page.toasts() if REFUSED.search(text)]
    assert not refused, f"{href}: the app refused the link: {refused}"
    app_page.assert_no_errors()


# ---------------------------------------------------------------------------------------------- desktop
@pytest.fixture(scope="module")
def landing(browser, app_url):
    page = AppPage(browser, app_url, DESKTOP)
    yield page
    page.close()


def test_syllabus_is_the_first_tab_a_visitor_sees(landing):
    assert landing.page.locator("[role=tab]").first.get_attribute("data-tab-id") == syllabus.TAB_ID
    assert landing.selected_tab() == syllabus.TAB_ID
    landing.page.locator("#claims-board").wait_for()
    wait_until(lambda: len(_links(landing)), "the syllabus links", ok=lambda n: n > 10)
    landing.shot("desktop-syllabus")
    landing.assert_no_errors()


def test_links_are_relative_and_open_in_the_same_window(landing, app_url):
    links = _links(landing)
    assert all(link["target"] in (None, "_self") for link in links), [x for x in links if x["target"]]
    assert all(link["href"].startswith(("?tab=", "#")) for link in links), [x["href"] for x in links]
    for anchor in {x["href"] for x in links if x["href"].startswith("#")}:
        assert landing.page.locator(f"[id='{anchor[1:]}']").count() == 1, f"no target for {anchor}"
    landing.assert_no_errors()
    scene = landing.page.locator(".syl a.scene").first
    href = scene.get_attribute("href")
    scene.click()
    wait_until(lambda: landing.page.url, f"the click on {href} to navigate", ok=lambda u: "tab=" in u)
    assert landing.page.url.startswith(app_url.rstrip("/")) and urlsplit(landing.page.url).query == href[1:]
    tab = dict(parse_qsl(href[1:]))["tab"]
    wait_until(landing.selected_tab, f"tab {tab} after the click", ok=lambda t: t == tab)
    # leaving a page cuts Gradio's open stream (an AbortError and "Connection errored out" of the old page)
    landing.console_errors = [e for e in landing.console_errors if not LEFT_PAGE.search(e)]
    landing.assert_no_errors()


@pytest.mark.slow  # a page load per tab, each computing its tab's view
def test_one_link_per_tab_opens_its_tab_with_its_settings(browser, app_url):
    """Every scene is linked from some programme view or the board; one link per tab is followed in a page (every
    link goes through the same page-load handler in test_scene_links.py)."""
    base = app_url.rstrip("/") + "/"
    reader = AppPage(browser, base, DESKTOP)
    hrefs: dict[frozenset, str] = {}
    try:
        reader.page.locator("#claims-board").wait_for()
        for label, programme in reversed(syllabus.PROGRAMME_CHOICES):  # "all" last: a change each time
            reader.page.get_by_role("radio", name=label, exact=True).click()
            title = "" if programme == syllabus.ALL else data.PROGRAMME_BY_KEY[programme].name
            wait_until(
                lambda: reader.page.locator(".syl h3").first.text_content(),
                f"the {programme} view",
                ok=lambda t, title=title: title in t,
            )
            for x in _links(reader):  # once per distinct setting (two links may order their keys apart)
                if x["href"].startswith("?"):
                    hrefs.setdefault(frozenset(parse_qsl(x["href"][1:], keep_blank_values=True)), x["href"])
        expected = {frozenset(parse_qsl(scene_href(s.query)[1:])) for s in data.scenes(set(MODULES))}
        assert expected <= set(hrefs), f"scenes not linked: {sorted(map(sorted, expected - set(hrefs)))}"
        per_tab: dict[str, str] = {}  # the tab's link that changes most settings (the first in order if tied)
        for href in sorted(hrefs.values(), key=lambda h: (-len(_changed_settings(_tab(h), _settings(h))), h)):
            per_tab.setdefault(_tab(href), href)
        pending = list(per_tab.values())
        while pending:  # a few pages at a time: the server computes their views side by side
            batch, pending = pending[:BATCH], pending[BATCH:]
            opened = [(href, *_open_link(browser, base, href)) for href in batch]
            try:
                for href, app_page, tab, settings in opened:
                    t0 = time.monotonic()
                    _check_link(app_page, href, tab, settings)
                    print(f"{time.monotonic() - t0:5.1f} s  {href}")
            finally:
                for _, app_page, _, _ in opened:
                    app_page.close()
        reader.assert_no_errors()
    finally:
        reader.close()


def test_programme_choice_shows_its_sessions_and_link(browser, app_url):
    page = AppPage(browser, app_url, DESKTOP)
    try:
        page.page.get_by_role("radio", name="EleutherAI", exact=True).click()
        wait_until(
            lambda: page.page.locator(".syl h4").all_text_contents(),
            "EleutherAI's weeks",
            ok=lambda heads: "Week 4: Score SDEs and DDIM" in heads,
        )
        page.page.locator("button:visible", has_text="Link to this view").click()
        box = page.page.locator("label:has-text('Share this link') textarea:visible")
        link = wait_until(box.input_value, "the link")
        assert dict(parse_qsl(urlsplit(link).query)) == {"tab": "syllabus", "programme": "eleuther"}
        page.assert_no_errors()
    finally:
        page.close()


# ---------------------------------------------------------------------------------------------- phone
@pytest.mark.parametrize("programme", [syllabus.ALL, "eleuther"])
def test_readable_at_phone_width(browser, app_url, programme):
    page = AppPage(browser, f"{app_url.rstrip('/')}/?tab=syllabus&programme={programme}", PHONE)
    try:
        page.page.locator("#claims-board").wait_for()
        wait_until(lambda: len(_links(page)), "the links", ok=lambda n: n > 10)
        if programme != syllabus.ALL:  # the link's programme: its view, session by session
            name = data.PROGRAMME_BY_KEY[programme].name
            wait_until(lambda: page.page.locator(".syl h3").first.text_content(), name, ok=lambda t: t == name)
        page.shot(f"phone-syllabus-{programme}")
        width = page.page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE[0], f"the page scrolls sideways at {PHONE[0]} px: {width} px wide"
        overflow = page.page.evaluate(
            "(w) => [...document.querySelectorAll('.syl .card, .syl a, .syl li')]"
            ".filter(e => e.getBoundingClientRect().right > w + 0.5).length",
            PHONE[0],
        )
        assert overflow == 0, f"{overflow} cards or links reach past the right edge"
        page.assert_no_errors()
    finally:
        page.close()
