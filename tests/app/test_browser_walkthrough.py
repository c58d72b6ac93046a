"""What a presenter and a participant hit in a real browser (issue 26's walkthrough, Debian's headless Chromium
against `python app.py`).

* Back and reload keep the presenter's place (26.9): choosing a programme puts it in the URL; following a scene
  link from a week and pressing Back returns to that programme, scrolled to that week; a reload keeps both.
* Full screen fills the screen (26.17): the plot is redrawn to the screen's width, and back on leaving.
Screenshots: test-output/screenshots/walkthrough-*.png.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from core import syllabus as data
from demos import syllabus
from tests.app.browser import AppPage, wait_until

pytestmark = pytest.mark.browser

PROJECTOR = (1920, 1080)
PROGRAMME = data.PROGRAMMES[1]  # a programme whose weeks link to scenes


def _query(page) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(page.url).query))


def _programme_shown(app_page: AppPage) -> bool:
    heading = app_page.page.locator(".syl h3", has_text=PROGRAMME.name)
    return heading.count() > 0 and heading.first.is_visible()


def test_back_and_reload_return_to_the_programme_and_its_week(browser, app_url):
    app_page = AppPage(browser, app_url, PROJECTOR)
    page = app_page.page
    try:
        page.get_by_role("radio", name=PROGRAMME.short, exact=True).click()
        wait_until(lambda: _programme_shown(app_page), f"the map of {PROGRAMME.key}")
        assert _query(page) == {"tab": syllabus.TAB_ID, "programme": PROGRAMME.key}
        week = syllabus.session_anchor(PROGRAMME.key, len(PROGRAMME.sessions))  # the last week: far down the page
        link = page.locator(f"[id='{week}'] a.scene").first
        link.scroll_into_view_if_needed()
        href = link.get_attribute("href")
        link.click()
        wait_until(lambda: _query(page).get("tab"), f"{href} to open", ok=lambda t: t != syllabus.TAB_ID)
        page.go_back(wait_until="domcontentloaded")
        for how in ("back", "reload"):
            wait_until(lambda: _programme_shown(app_page), f"{how}: the map of {PROGRAMME.key}")
            assert _query(page) == {"tab": syllabus.TAB_ID, "programme": PROGRAMME.key}, page.url
            assert urlsplit(page.url).fragment == week, page.url
            top = lambda: page.locator(f"[id='{week}']").evaluate("e => e.getBoundingClientRect().top")  # noqa: E731
            wait_until(top, f"{how}: week {week} at the top of the window", ok=lambda y: -5 <= y <= 200)
            app_page.shot(f"walkthrough-{how}-programme-week")
            if how == "back":
                page.reload(wait_until="domcontentloaded")
        app_page.assert_no_errors()
    finally:
        app_page.close()


def test_full_screen_fills_the_screen(browser, app_url):
    """Issue 26.17: Full screen draws the plot over the whole width of the screen (it stayed at its own width, in
    the left half), and back to its own size on leaving."""
    app_page = AppPage(browser, f"{app_url}?tab=forward", PROJECTOR)
    page = app_page.page
    plot = page.locator("#forward-main")
    svg_width = lambda: plot.locator(".main-svg").first.evaluate("e => parseFloat(e.getAttribute('width'))")  # noqa: E731
    try:
        wait_until(lambda: plot.locator(".gtitle").count(), "the Forward plot")
        before = svg_width()
        assert before < 0.8 * PROJECTOR[0], "the plot already fills the screen: the test would show nothing"
        plot.get_by_role("button", name="Full screen").click()
        wait_until(lambda: page.evaluate("() => !!document.fullscreenElement"), "full screen")
        wait_until(svg_width, "the plot to fill the screen's width", ok=lambda w: w >= 0.9 * PROJECTOR[0])
        app_page.shot("walkthrough-full-screen")
        page.evaluate("() => document.exitFullscreen()")
        wait_until(svg_width, "the plot back to its own width", ok=lambda w: abs(w - before) <= 6)
        app_page.assert_no_errors()
    finally:
        app_page.close()
