"""The navigation in a real browser (Debian's headless Chromium, `python app.py`) at 1920 px and at phone width
(390 px): every tab button is on screen (no "…" menu), in the order and groups of demos/tabs.py, each group's
caption written above its first tab; links still select their tab; on a phone, in every tab, the Scene picker
and the main figure start on the first screen, the Scene picker above the figure, and a tab is a thumb-sized
pill one tap selects. Screenshots go to test-output/screenshots/ (navigation-1920-*.png, navigation-390-*.png)."""

from __future__ import annotations

import inspect

import pytest

from demos.tabs import tab_groups, tab_modules
from tests.app.browser import PHONE, AppPage, wait_until

pytestmark = pytest.mark.browser

WIDE = (1920, 1080)
IDS = [m.TAB_ID for m in tab_modules()]
CAPTIONS = {modules[0].TAB_ID: label for label, modules in tab_groups()}
LOAD_WAIT = 180  # s: a first page load while the server warms up on a busy 2-core machine (a bound, not a timing)
THUMB = 30  # px: the smallest height of a tab button a thumb taps on a phone
# the tabs whose layout places a Scene picker (the Syllabus and Your data have none)
WITH_SCENE_PICKER = [m for m in tab_modules() if "scene_picker()" in inspect.getsource(m.layout)]

BUTTONS = """() => [...document.querySelectorAll('[role=tablist] > button[role=tab]')].map(b => {
  const r = b.getBoundingClientRect(), cs = getComputedStyle(b, '::before');
  return {id: b.dataset.tabId, left: r.left, right: r.right, top: r.top, height: r.height,
          shown: !!b.offsetParent && r.width > 0 && getComputedStyle(b).visibility !== 'hidden',
          caption: cs.content && cs.content !== 'none' ? JSON.parse(cs.content) : null};
})"""

# the visible tab's Scene picker and first plot, from the top of the page (px), and the page's width
LAYOUT = """() => {
  const panel = [...document.querySelectorAll('[role=tabpanel]')].find(e => e.offsetParent !== null);
  const top = (e) => e ? e.getBoundingClientRect().top + window.scrollY : null;
  const scene = [...panel.querySelectorAll('[data-testid=block-info]')]
    .find(e => e.textContent.trim() === 'Scene' && e.offsetParent !== null);
  const plot = [...panel.querySelectorAll('.js-plotly-plot')].find(e => e.offsetParent !== null);
  return {scene: top(scene), plot: top(plot), width: document.documentElement.scrollWidth};
}"""


def buttons(app: AppPage) -> list[dict]:
    return app.page.evaluate(BUTTONS)


def check_the_tab_bar(app: AppPage) -> list[dict]:
    """Every tab's button shown inside the window, in the tab list's order, no "More tabs" menu, and each group's
    caption on its first tab (and on no other)."""
    found = buttons(app)
    assert [b["id"] for b in found] == IDS
    hidden = [b["id"] for b in found if not b["shown"] or b["left"] < 0 or b["right"] > app.width + 0.5]
    assert not hidden, f"tab buttons off screen at {app.width} px: {hidden}"
    more = app.page.get_by_role("button", name="More tabs")
    assert not (more.count() and more.first.is_visible()), f"a 'More tabs' menu at {app.width} px"
    assert {b["id"]: b["caption"] for b in found if b["caption"]} == CAPTIONS
    return found


def test_every_tab_is_on_screen_in_its_group_at_1920_px(browser, app_url):
    app = AppPage(browser, f"{app_url}?tab=forward", WIDE)
    try:
        wait_until(lambda: app.selected_tab() == "forward", "the link's tab", timeout=LOAD_WAIT)
        found = check_the_tab_bar(app)
        rows = sorted({round(b["top"]) for b in found})
        assert len(rows) == 1, f"the tabs take {len(rows)} rows at {WIDE[0]} px"
        app.shot("navigation-1920-forward")
        app.page.locator("[role=tab][data-tab-id=learned]").click()  # a tab of another group
        wait_until(lambda: app.selected_tab() == "learned", "the clicked tab")
        app.assert_no_errors()
    finally:
        app.close()


def test_on_a_phone_the_scene_and_the_main_figure_are_on_the_first_screen_in_every_tab(browser, app_url):
    assert len(WITH_SCENE_PICKER) >= 10, [m.TAB_ID for m in WITH_SCENE_PICKER]
    app = AppPage(browser, f"{app_url}?tab=forward", PHONE)
    try:
        wait_until(lambda: app.selected_tab() == "forward", "the link's tab", timeout=LOAD_WAIT)
        found = check_the_tab_bar(app)
        small = [(b["id"], b["height"]) for b in found if b["height"] < THUMB]
        assert not small, f"tab buttons smaller than {THUMB} px for a thumb: {small}"
        app.shot("navigation-390-forward")
        for module in WITH_SCENE_PICKER:
            tab_id = module.TAB_ID
            app.page.locator(f"[role=tab][data-tab-id={tab_id}]").click()
            wait_until(lambda tab_id=tab_id: app.selected_tab() == tab_id, f"tab {tab_id} by a tap")
            where = wait_until(
                lambda: app.page.evaluate(LAYOUT), f"{tab_id}'s scene picker and plot", ok=lambda w: w["plot"]
            )
            assert where["scene"] is not None, f"{tab_id}: no Scene picker shown"
            assert where["scene"] < where["plot"] < PHONE[1], f"{tab_id} at {PHONE[0]} px: {where}"
            assert where["width"] <= PHONE[0], f"{tab_id}: the page scrolls sideways ({where['width']} px)"
        app.shot("navigation-390-last-tab")
        app.assert_no_errors()
    finally:
        app.close()


def test_on_a_phone_a_link_still_selects_its_tab(browser, app_url):
    app = AppPage(browser, f"{app_url}?tab=fewsteps&steps=8", PHONE)
    try:
        wait_until(lambda: app.selected_tab() == "fewsteps", "the link's tab", timeout=LOAD_WAIT)
        check_the_tab_bar(app)
        app.assert_no_errors()
    finally:
        app.close()
