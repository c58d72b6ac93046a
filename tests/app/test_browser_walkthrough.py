"""What a presenter and a participant hit in a real browser (issue 26's walkthrough, Debian's headless Chromium
against `python app.py`).

* Back and reload keep the presenter's place (26.9): choosing a programme puts it in the URL; following a scene
  link from a week and pressing Back returns to that programme, scrolled to that week; a reload keeps both.
* Titles fit their plots (26.12): on a phone (390 px) and on a projector (1920 px) every plot's title lies inside
  the plot's box, left, right and top.
Screenshots: test-output/screenshots/walkthrough-*.png.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from core import syllabus as data
from demos import syllabus
from demos.tabs import tab_modules
from tests.app.browser import PHONE, AppPage, wait_until

pytestmark = pytest.mark.browser

PROJECTOR = (1920, 1080)
PROGRAMME = data.PROGRAMMES[1]  # a programme whose weeks link to scenes
TITLE_BOXES_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].filter(e => e.offsetParent !== null)
  .map(e => { const r = e.getBoundingClientRect(); const t = e.querySelector('.gtitle');
    const b = t ? t.getBoundingClientRect() : null;
    return {title: (e.layout?.title?.text || ''), width: r.width,
            left: b ? b.left - r.left : 0, right: b ? b.right - r.left : 0, top: b ? b.top - r.top : 0}; })"""


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


@pytest.mark.parametrize("size", [PHONE, PROJECTOR], ids=["phone", "projector"])
def test_every_plot_title_fits_its_plot(browser, app_url, size):
    too_wide = []
    for module in tab_modules():
        if module.TAB_ID == syllabus.TAB_ID:
            continue
        app_page = AppPage(browser, f"{app_url}?tab={module.TAB_ID}", size)
        try:
            boxes = wait_until(
                lambda p=app_page: p.page.evaluate(TITLE_BOXES_JS),
                f"{module.TAB_ID}: plots with titles",
                ok=lambda b: b and all(x["title"] for x in b),
            )
            app_page.page.wait_for_timeout(500)  # plots resize once after the first draw
            boxes = app_page.page.evaluate(TITLE_BOXES_JS)
            too_wide += [
                (module.TAB_ID, b["title"][:50], round(b["left"]), round(b["right"]), round(b["width"]))
                for b in boxes
                if b["left"] < -1 or b["right"] > b["width"] + 1 or b["top"] < -1
            ]
        finally:
            app_page.close()
    assert not too_wide, f"titles outside their plot at {size[0]} px (tab, title, left, right, plot width): {too_wide}"
