"""The Inpainting & SDEdit tab, and the guidance tab's classifier panel, in a real browser (Debian's headless
Chromium via Playwright, against `python app.py`; fixtures in conftest.py). Screenshots go to
test-output/screenshots/ (desktop and phone width)."""

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
    number_shown,
    press,
    wait_until,
)

pytestmark = pytest.mark.browser

INPAINT = Tab(
    "inpaint", "Inpainting & SDEdit", 4, "x₁ = 2)",
    press("Known x₁", "ArrowRight", 4), 0, "x₁ = 2.2)", {"x1": "2.2"}, number_shown("Known x₁"),
)  # fmt: skip
CFG = Tab(
    "cfg", "CFG guidance scale", 2, "w = 3",
    press("Guidance w (Ho & Salimans)", "ArrowRight", 5), 0, "w = 3.5", {"w": "3.5"},
    number_shown("Guidance w (Ho & Salimans)"),
)  # fmt: skip


@pytest.fixture(scope="module")
def desktop(browser, app_url):
    app = AppPage(browser, app_url + "?tab=inpaint", DESKTOP)
    yield app
    app.close()


def test_inpaint_tab_at_desktop_width(desktop):
    titles = desktop.wait_for_view(INPAINT)
    assert "t₀ = 0.3" in titles[2]
    assert_plots_fit(desktop.wait_for_widths(), "inpaint at desktop width")
    desktop.shot("desktop-inpaint")
    labels = desktop.control_labels()
    twice = sorted({n for n in labels if labels.count(n) > 1})
    assert not twice, f"controls shown twice: {twice}"
    desktop.assert_no_errors()


def test_moving_x1_changes_the_inpainting(desktop):
    desktop.wait_for_view(INPAINT)
    before = desktop.fingerprint(0)
    INPAINT.move(desktop.page)
    desktop.wait_for_view(INPAINT, INPAINT.moved, 0)
    assert desktop.fingerprint(0) != before
    assert INPAINT.shows(desktop.page) == "2.2"
    desktop.assert_no_errors()


def test_moving_t0_changes_the_sdedit_view(desktop):
    desktop.wait_for_view(INPAINT, "")
    before = desktop.fingerprint(2)
    press("SDEdit t₀", "ArrowRight", 5)(desktop.page)
    desktop.wait_for_view(INPAINT, "t₀ = 0.4 ", 2)
    assert desktop.fingerprint(2) != before
    desktop.shot("desktop-inpaint-moved")
    desktop.assert_no_errors()


def test_link_round_trip(desktop, browser, app_url):
    titles = desktop.wait_for_view(INPAINT, "")
    if INPAINT.moved not in titles[0]:
        INPAINT.move(desktop.page)
        titles = desktop.wait_for_view(INPAINT, INPAINT.moved, 0)
    desktop.page.locator("button:visible", has_text="Link to this view").click()
    box = desktop.page.locator("label:has-text('Share this link') textarea:visible")
    link = wait_until(box.input_value, "the link", ok=lambda v: v.startswith("http"))
    query = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
    assert query["tab"] == "inpaint" and query["x1"] == "2.2"
    other = AppPage(browser, link, DESKTOP)
    try:
        reopened = other.wait_for_view(INPAINT, INPAINT.moved, 0)
        assert other.selected_tab() == "inpaint"
        assert reopened[0] == titles[0]
        assert other.fingerprint(0) == desktop.fingerprint(0), "same link, other data"
        other.assert_no_errors()
    finally:
        other.close()


def test_scene_sets_everything(desktop):
    choose(desktop.page, "Scene", "RePaint U = 10 vs naive (x₁ = 2)")
    titles = desktop.wait_for_view(INPAINT, "RePaint U = 10", 0)
    assert "x₁ = 2)" in titles[0]
    assert number_shown("Resamplings U (RePaint)")(desktop.page) == "10"
    choose(desktop.page, "Scene", "SDEdit: t₀ = 0.6 forgets the guide")
    desktop.wait_for_view(INPAINT, "t₀ = 0.6", 2)
    desktop.shot("desktop-inpaint-scene")
    desktop.assert_no_errors()


def test_typed_guide_points_and_a_clear_refusal(desktop):
    choose(desktop.page, "Guide stroke", "points I type")
    box = desktop.page.get_by_label("Guide points (x, y; x, y; …)")
    box.fill("0, 0; 1.5")
    box.press("Enter")
    wait_until(desktop.error_toasts, "an error toast for a bad guide point")
    assert "must be two numbers" in desktop.error_toasts()[-1]
    assert not desktop.console_errors, desktop.console_errors
    before = desktop.fingerprint(2)
    box.fill("0, 0; 1.5, -1")
    box.press("Enter")
    wait_until(lambda: desktop.fingerprint(2) != before, "the SDEdit view of the typed points")
    assert "typed guide" in desktop.titles()[2]


def test_inpaint_tab_at_phone_width(browser, app_url):
    # opened by its link: selecting the tab while the page's load still runs races with the load handler,
    # which selects the tab the URL names (the first tab without one) when it returns
    app = AppPage(browser, app_url + "?tab=inpaint", PHONE)
    try:
        app.wait_for_view(INPAINT)
        assert app.selected_tab() == "inpaint"
        widths = app.wait_for_widths()
        app.shot("phone-inpaint")
        assert_plots_fit(widths, "inpaint at phone width")
        assert widths[0][0] >= PHONE[0] - 80, f"the main plot is squashed to {widths[0][0]:.0f} px"
        overflow = app.page.evaluate("() => document.documentElement.scrollWidth")
        assert overflow <= PHONE[0], f"the page scrolls sideways ({overflow} px)"
        app.assert_no_errors()
    finally:
        app.close()


# ---------------------------------------------------------------------------- the guidance tab's classifier panel
def test_classifier_overlay_and_training_panel(browser, app_url):
    """The exact-classifier overlay adds its samples on the CFG plot; training the learned classifier shows
    the loss curve, the gradient-error heatmap and the comparison of guided samples."""
    app = AppPage(browser, app_url + "?tab=cfg&train_steps=300", DESKTOP)
    try:
        app.wait_for_view(CFG)
        choose(app.page, "Overlay", "+ classifier guidance, exact p_t(c|x)")
        wait_until(
            lambda: app.page.locator(".js-plotly-plot:visible").first.evaluate("e => e.data.length"),
            "the overlay trace",
            ok=lambda n: n == 4,
        )
        wait_until(lambda: app.page.get_by_text("differ from CFG's by at most").count(), "the identity line")
        app.page.get_by_text("Classifier guidance with a learned classifier (ADM)").click()
        app.page.get_by_role("button", name="Train the classifier").click()
        titles = wait_until(app.titles, "the classifier panel", timeout=90, ok=lambda t: len(t) == 5 and all(t))
        assert "Training" in titles[2] and "t = 100" in titles[3]
        assert_plots_fit(app.wait_for_widths(), "cfg with the classifier panel")
        app.shot("desktop-cfg-classifier")
        press("Heatmap timestep t", "ArrowRight", 3)(app.page)
        wait_until(app.titles, "the heatmap at t = 103", ok=lambda t: len(t) == 5 and "t = 103" in t[3])
        app.assert_no_errors()
    finally:
        app.close()
