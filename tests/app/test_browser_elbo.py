"""The ELBO & schedules tab in a real browser (Debian's headless Chromium via Playwright, the app launched by
conftest.py): at desktop width (both plots fit, the end points' dropdown redraws, the link round trip, a bad link
value dropped with a warning) and at phone width. Screenshots go to test-output/screenshots/elbo-*.png."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from demos import elbo
from tests.app.browser import DESKTOP, PHONE, AppPage, Tab, all_fit, assert_plots_fit, choose, combobox, wait_until

pytestmark = pytest.mark.browser

ENDS_LABEL = "Log-SNR end points g = log(α²/σ²)"
WIDE = elbo.ENDS["wide"][0]
PATHS, GAPS = 2, 3  # the plots' order: integrand, losses, paths, gaps, sources, terms, over_t, memorised, transition
N_PLOTS = 9
MEMORISED = 7  # then the transition over N
TAB = Tab(
    elbo.TAB_ID, elbo.TITLE, N_PLOTS, "L∞ =",
    lambda page: choose(page, ENDS_LABEL, WIDE), PATHS, WIDE, {"ends": "wide"},
    lambda page: combobox(page, ENDS_LABEL),
)  # fmt: skip


def test_desktop_the_ends_redraw_and_the_link_round_trips(browser, app_url):
    app = AppPage(browser, f"{app_url}?tab={elbo.TAB_ID}", DESKTOP)
    try:
        wait_until(lambda: app.selected_tab() == elbo.TAB_ID, "the link to select the tab")
        titles = app.wait_for_view(TAB, elbo.ENDS["ddpm"][0], PATHS)
        assert "L∞ =" in titles[0] and "Gap" in titles[GAPS]
        assert_plots_fit(app.wait_for_widths(), "elbo at desktop width")
        app.shot("elbo-desktop")
        before = app.fingerprint(GAPS)
        TAB.move(app.page)
        titles = app.wait_for_view(TAB, WIDE, PATHS)
        wait_until(lambda: app.fingerprint(GAPS) != before, "the tightness plot to redraw")
        titles = wait_until(
            app.titles, "every plot redrawn", ok=lambda t: "Gap +0.0000" in t[GAPS] or "Gap +0.0001" in t[GAPS]
        )
        app.page.locator("button:visible", has_text="Link to this view").click()
        box = app.page.locator("label:has-text('Share this link') textarea:visible")
        link = wait_until(box.input_value, "the link", ok=lambda v: v.startswith("http"))
        query = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
        assert query["tab"] == elbo.TAB_ID and query["ends"] == "wide"
        app.assert_no_errors()
    finally:
        app.close()
    other = AppPage(browser, link, DESKTOP)
    try:
        other.wait_for_view(TAB, WIDE, PATHS)
        wait_until(other.titles, "the same view", ok=lambda t: t == titles)
        other.assert_no_errors()
    finally:
        other.close()


def test_a_bad_link_value_is_dropped_with_a_warning(browser, app_url):
    app = AppPage(browser, f"{app_url}?tab={elbo.TAB_ID}&ends=sideways&preset=grid25", DESKTOP)
    try:
        titles = app.wait_for_view(TAB, elbo.ENDS["ddpm"][0], PATHS)
        warnings = wait_until(lambda: [t for c, t in app.toasts() if "warning" in c.split()], "a warning toast")
        assert any("ends" in w for w in warnings), warnings
        assert elbo.ENDS["ddpm"][0] in titles[PATHS]
        app.assert_no_errors()
    finally:
        app.close()


def test_phone_width(browser, app_url):
    app = AppPage(browser, f"{app_url}?tab={elbo.TAB_ID}&ends=narrow&train_n=1024", PHONE)
    try:
        titles = wait_until(app.titles, "every plot drawn", ok=lambda t: len(t) == N_PLOTS and all(t))
        assert elbo.ENDS["narrow"][0] in titles[PATHS]
        assert "N = 1024" in titles[MEMORISED] and "MLP" in titles[MEMORISED], titles[MEMORISED]
        assert "over N" in titles[MEMORISED + 1]
        widths = wait_until(app.plot_widths, "plots to fit", timeout=15, ok=all_fit)
        app.shot("elbo-phone")
        assert_plots_fit(widths, "elbo at phone width")
        app.assert_no_errors()
    finally:
        app.close()
