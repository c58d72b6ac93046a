"""The "Learned vs exact" tab in a real browser (Debian's headless Chromium, `python app.py`), at desktop and
phone width: the shipped model's view appears, the t slider changes the error map, the steps radio the
budget's samples, a new training setting trains live behind a progress bar, a scene sets everything, the link
round-trips, bad input shows a message; no console error or error toast otherwise. A setting whose model is
not in memory shows placeholders and "training now", trains in the queue of trainings, then draws. Screenshots go to
test-output/screenshots/."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.app.browser import (
    DESKTOP,
    PHONE,
    AppPage,
    Tab,
    assert_plots_fit,
    choose,
    click_radio,
    number_shown,
    press,
    wait_until,
)

pytestmark = pytest.mark.browser

T_LABEL = "t (DDPM timestep of the error map)"
HEAT, BUDGET, SAMPLES, LOSS = range(4)
TAB = Tab(
    "learned", "Learned vs exact", 4, "Learned ε error at t = 20",
    press(T_LABEL, "ArrowRight", 3), HEAT, "t = 23", {"t": "23"}, number_shown(T_LABEL),
)  # fmt: skip
TRAIN_WAIT = 240  # seconds: a live training on a busy shared 2-core machine


def _open(browser, app_url, size, query: str = "") -> AppPage:
    page = AppPage(browser, f"{app_url}?tab=learned{query}", size)
    page.wait_for_view(TAB)
    return page


def _status(page) -> str:
    return page.page.locator(".prose:visible", has_text="Model:").first.inner_text()


@pytest.fixture(scope="module")
def desktop(browser, app_url):
    page = _open(browser, app_url, DESKTOP)
    yield page
    page.close()


def test_the_tab_at_desktop_width(desktop):
    assert desktop.selected_tab() == "learned"
    assert_plots_fit(desktop.wait_for_widths(), f"learned at {DESKTOP[0]} px")
    titles = desktop.titles()
    assert "near" in titles[HEAT] and "far" in titles[HEAT]
    assert "Error budget" in titles[BUDGET] and "Same noise, 50 steps" in titles[SAMPLES]
    assert "Training loss" in titles[LOSS]
    assert "shipped model" in _status(desktop)
    desktop.shot("desktop-learned")
    desktop.assert_no_errors()


def test_t_slider_and_steps_radio_change_their_plots(desktop):
    before = desktop.fingerprint(HEAT), desktop.fingerprint(SAMPLES)
    TAB.move(desktop.page)
    desktop.wait_for_view(TAB, "t = 23", HEAT)
    assert desktop.fingerprint(HEAT) != before[0]
    assert number_shown(T_LABEL)(desktop.page) == "23"
    click_radio("10")(desktop.page)
    desktop.wait_for_view(TAB, "Same noise, 10 steps", SAMPLES)
    assert desktop.fingerprint(SAMPLES) != before[1]
    desktop.shot("desktop-learned-moved")
    desktop.assert_no_errors()


def test_link_to_this_view_round_trips(desktop, browser, app_url):
    titles = desktop.wait_for_view(TAB, "")
    if "t = 23" not in titles[HEAT]:  # run on its own: move the controls here
        TAB.move(desktop.page)
        click_radio("10")(desktop.page)
        titles = desktop.wait_for_view(TAB, "Same noise, 10 steps", SAMPLES)
    desktop.page.locator("button:visible", has_text="Link to this view").click()
    box = desktop.page.locator("label:has-text('Share this link') textarea:visible")
    link = wait_until(box.input_value, "the link", ok=lambda v: v.startswith("http"))
    query = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
    assert query["tab"] == "learned" and query["t"] == "23" and query["steps"] == "10", link
    other = AppPage(browser, link, DESKTOP)
    try:
        reopened = other.wait_for_view(TAB, "t = 23", HEAT)
        other.wait_for_view(TAB, "Same noise, 10 steps", SAMPLES)
        assert reopened[HEAT] == desktop.titles()[HEAT]
        assert other.fingerprint(HEAT) == desktop.fingerprint(HEAT), "same link, other data"
        other.assert_no_errors()
    finally:
        other.close()


def test_a_new_setting_trains_live_behind_a_progress_bar(browser, app_url):
    page = _open(browser, app_url, DESKTOP, "&preset=ring8_soft&width=32&depth=1&train_steps=1000&seed=5")
    try:
        wait_until(lambda: "trained" in _status(page), "the model to be trained", timeout=TRAIN_WAIT)
        before = page.fingerprint(LOSS)
        click_radio("2")(page.page)  # two hidden layers: a model not trained yet
        progress = page.page.locator(".progress-text, .eta-bar, .progress-level").first
        wait_until(progress.is_visible, "a progress bar while training", timeout=60)
        wait_until(lambda: "2×32 MLP" in _status(page), "the new model's status", timeout=60)
        assert "training now" in _status(page) or "trained" in _status(page)
        done = "kept in memory"  # trained in the queue of trainings, then drawn
        wait_until(lambda: done in _status(page), "the new model to be trained and drawn", timeout=TRAIN_WAIT)
        assert "2×32 MLP" in _status(page)
        page.wait_for_view(TAB, "1,000 steps", LOSS)
        assert page.fingerprint(LOSS) != before
        page.shot("desktop-learned-trained")
        page.assert_no_errors()
    finally:
        page.close()


def test_a_scene_sets_everything(browser, app_url):
    page = _open(browser, app_url, DESKTOP)
    try:
        choose(page.page, "Scene", "Between two far modes (NCSN Fig. 3 data)")
        page.wait_for_view(TAB, "t = 50", HEAT)
        assert number_shown(T_LABEL)(page.page) == "50"
        page.assert_no_errors()
    finally:
        page.close()


def test_bad_link_values_warn_and_show_the_defaults(browser, app_url):
    page = AppPage(browser, f"{app_url}?tab=learned&width=100", DESKTOP)
    try:
        page.wait_for_view(TAB)
        warning = wait_until(lambda: [t for c, t in page.toasts() if "warning" in c.split()], "a warning")
        assert "width" in warning[0].lower() or "Width" in warning[0]
        assert not page.error_toasts() and not page.console_errors
    finally:
        page.close()


def test_the_tab_at_phone_width(browser, app_url):
    page = _open(browser, app_url, PHONE)
    try:
        widths = page.wait_for_widths()
        page.shot("phone-learned")
        assert_plots_fit(widths, f"learned at {PHONE[0]} px")
        assert widths[HEAT][0] >= PHONE[0] - 80, f"the error map is squashed to {widths[HEAT][0]:.0f} px"
        overflow = page.page.evaluate("() => document.documentElement.scrollWidth")
        assert overflow <= PHONE[0], f"the page scrolls sideways ({overflow} px wide on a {PHONE[0]} px screen)"
        TAB.move(page.page)
        page.wait_for_view(TAB, "t = 23", HEAT)
        page.shot("phone-learned-moved")
        page.assert_no_errors()
    finally:
        page.close()
