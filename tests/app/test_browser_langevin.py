"""The Score & Langevin tab in a real browser (Debian's headless Chromium, `python app.py`), at desktop and
phone width: the view appears, the level slider and the σ slider change their plots, Play runs once to the
last level and stops, Stop stops it, a scene sets everything, the link round-trips, bad input shows a
message, and no console error or error toast appears otherwise. Screenshots: test-output/screenshots/."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.app.browser import DESKTOP, PHONE, AppPage, Tab, assert_plots_fit, choose, number_shown, press, wait_until

pytestmark = pytest.mark.browser

LEVEL, SIGMA = "Level shown", "log₁₀ σ of the score field"
PLAIN, ANNEALED, SHARES, CURVE, FIELD = range(5)
TAB = Tab(
    "langevin", "Score & Langevin", 5, "step 1,000/1,000",
    press(LEVEL, "ArrowLeft", 3), ANNEALED, "after level 7/10", {"frame": "7"}, number_shown(LEVEL),
)  # fmt: skip


def _open(browser, app_url, size, query: str = "", ready: str | None = None) -> AppPage:
    page = AppPage(browser, f"{app_url}?tab=langevin{query}", size)
    page.wait_for_view(TAB, ready)
    return page


@pytest.fixture(scope="module")
def desktop(browser, app_url):
    page = _open(browser, app_url, DESKTOP)
    yield page
    page.close()


def test_the_tab_at_desktop_width(desktop):
    assert desktop.selected_tab() == "langevin"
    assert_plots_fit(desktop.wait_for_widths(), f"langevin at {DESKTOP[0]} px")
    titles = desktop.titles()
    assert "after level 10/10" in titles[ANNEALED] and "σ = 1" in titles[FIELD]
    text = desktop.page.locator(".prose:visible", has_text="Technique 1").first.inner_text()
    assert "largest pairwise distance" in text
    desktop.shot("desktop-langevin")
    desktop.assert_no_errors()


def test_level_and_sigma_sliders_change_their_plots(desktop):
    before = desktop.fingerprint(ANNEALED), desktop.fingerprint(FIELD)
    TAB.move(desktop.page)
    desktop.wait_for_view(TAB, "after level 7/10", ANNEALED)
    assert "step 700/1,000" in desktop.titles()[PLAIN]
    assert desktop.fingerprint(ANNEALED) != before[0]
    assert number_shown(LEVEL)(desktop.page) == "7"
    press(SIGMA, "ArrowRight", 4)(desktop.page)
    desktop.wait_for_view(TAB, "σ = 1.58", FIELD)
    assert desktop.fingerprint(FIELD) != before[1]
    desktop.shot("desktop-langevin-moved")
    desktop.assert_no_errors()


def test_link_to_this_view_round_trips(desktop, browser, app_url):
    titles = desktop.wait_for_view(TAB, "")
    if "after level 7/10" not in titles[ANNEALED]:  # run on its own: move the controls here
        TAB.move(desktop.page)
        press(SIGMA, "ArrowRight", 4)(desktop.page)
        titles = desktop.wait_for_view(TAB, "σ = 1.58", FIELD)
    desktop.page.locator("button:visible", has_text="Link to this view").click()
    box = desktop.page.locator("label:has-text('Share this link') textarea:visible")
    link = wait_until(box.input_value, "the link", ok=lambda v: v.startswith("http"))
    query = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
    assert query["tab"] == "langevin" and query["frame"] == "7" and query["log_sigma"] == "0.2", link
    other = AppPage(browser, link, DESKTOP)
    try:
        reopened = other.wait_for_view(TAB, "after level 7/10", ANNEALED)
        other.wait_for_view(TAB, "σ = 1.58", FIELD)
        assert reopened[ANNEALED] == titles[ANNEALED]
        assert other.fingerprint(ANNEALED) == desktop.fingerprint(ANNEALED), "same link, other data"
        assert other.fingerprint(FIELD) == desktop.fingerprint(FIELD)
        other.assert_no_errors()
    finally:
        other.close()


def _level(page) -> int:
    return int(float(number_shown(LEVEL)(page.page)))


def _settled_level(page, seconds: float) -> int | None:
    """The level if it stays the same for `seconds`, else None."""
    before = _level(page)
    time.sleep(seconds)
    return before if _level(page) == before else None


def test_play_runs_once_to_the_end_and_stop_stops_it(browser, app_url):
    """Play from the keyboard (p, as on every tab with Play), from the button, and Stop from the keyboard (Esc)."""
    page = _open(browser, app_url, DESKTOP, "&frame=8", ready="step 800/1,000")
    try:
        page.page.keyboard.press("p")
        page.wait_for_view(TAB, "after level 10/10", ANNEALED)
        time.sleep(2.5)  # three more ticks' time: it must not wrap around or go on
        assert _level(page) == 10 and "after level 10/10" in page.titles()[ANNEALED]
        page.page.get_by_role("button", name="Play", exact=True).click()  # at the end: from the start
        wait_until(lambda: _level(page) < 10, "Play to restart from level 0")
        page.page.keyboard.press("Escape")
        # Stop goes through the server queue: a tick already queued may still land (one level, measured
        # under load), but Play must not go on. Settled = unchanged over three ticks' time (0.7 s each).
        stopped = wait_until(
            lambda: _settled_level(page, 2.5), "the level to settle after Stop", ok=lambda level: level is not None
        )
        assert stopped < 10, f"Play went on to level {stopped} after Stop"
        page.assert_no_errors()
    finally:
        page.close()


def test_a_scene_sets_everything(browser, app_url):
    page = _open(browser, app_url, DESKTOP)
    try:
        choose(page.page, "Scene", "σ₁ far below the rule (Technique 1)")
        wait_until(lambda: number_shown("σ₁ (largest noise level)")(page.page) == "2.1", "σ₁ = 2.1")
        metrics = page.page.locator(".prose:visible", has_text="Technique 1").first
        wait_until(lambda: "well below the rule" in metrics.inner_text(), "the Technique 1 line to say so")
        page.wait_for_view(TAB, "after level 10/10", ANNEALED)
        page.assert_no_errors()
    finally:
        page.close()


def test_bad_input_shows_a_message(browser, app_url):
    page = _open(browser, app_url, DESKTOP)
    try:
        box = page.page.locator('input[aria-label="number input for ε (α_i = ε σ_i²/σ_L²)"]:visible')
        if not box.count():
            box = page.page.get_by_label("ε (α_i = ε σ_i²/σ_L²)").filter(visible=True)
        box.fill("0.5")
        box.press("Enter")
        toasts = wait_until(page.error_toasts, "an error message")
        assert any("too large for this schedule" in t for t in toasts), toasts
        assert not page.console_errors, page.console_errors
    finally:
        page.close()


def test_the_tab_at_phone_width(browser, app_url):
    page = _open(browser, app_url, PHONE)
    try:
        assert_plots_fit(page.wait_for_widths(), f"langevin at {PHONE[0]} px")
        scroll = page.page.evaluate("() => document.documentElement.scrollWidth")
        assert scroll <= PHONE[0] + 1, f"the page scrolls sideways: {scroll} px"
        before = page.fingerprint(ANNEALED)
        TAB.move(page.page)
        page.wait_for_view(TAB, "after level 7/10", ANNEALED)
        assert page.fingerprint(ANNEALED) != before
        page.shot("phone-langevin")
        page.assert_no_errors()
    finally:
        page.close()
