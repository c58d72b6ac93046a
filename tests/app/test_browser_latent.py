"""The Latent diffusion tab in a real browser (Debian's headless Chromium via Playwright, against `python app.py`;
fixtures in conftest.py): drawn at desktop and phone width, the guidance slider redraws the guided view, a link
with a value over the work cap keeps the rest. Screenshots go to test-output/screenshots/."""

from __future__ import annotations

import pytest

from tests.app.browser import PHONE, AppPage, Tab, assert_plots_fit, number_shown, press, wait_until

pytestmark = pytest.mark.browser
# a first draw of this tab on a fresh server fits the latent prior, its noise floors and the digit classifier
# (seconds alone, a minute on a loaded 2-core machine): a bound on waiting, not a timing assertion
FIRST_DRAW_S = 240

DESKTOP_WIDE = (1920, 1080)
W_LABEL = "Guidance w (Ho & Salimans)"
LATENT = Tab(
    "latent", "Latent diffusion", 8, "DDIM (20 steps)",
    press(W_LABEL, "ArrowRight", 5), 2, "w = 3.5", {"w": "3.5"}, number_shown(W_LABEL),
)  # fmt: skip


def test_latent_tab_at_desktop_width(browser, app_url):
    app = AppPage(browser, app_url + "?tab=latent", DESKTOP_WIDE)
    try:
        titles = app.wait_for_view(LATENT, timeout=FIRST_DRAW_S)
        assert "Draw a 3" in titles[2] and "w = 3" in titles[2]
        assert_plots_fit(app.wait_for_widths(), "latent at desktop width")
        app.shot("desktop-latent")
        before = app.fingerprint(2)
        LATENT.move(app.page)
        app.wait_for_view(LATENT, LATENT.moved, 2)
        assert app.fingerprint(2) != before
        assert LATENT.shows(app.page) == "3.5"
        app.assert_no_errors()
    finally:
        app.close()


def test_latent_tab_at_phone_width(browser, app_url):
    app = AppPage(browser, app_url + "?tab=latent", PHONE)
    try:
        app.wait_for_view(LATENT, timeout=FIRST_DRAW_S)
        assert app.selected_tab() == "latent"
        widths = app.wait_for_widths()
        app.shot("phone-latent")
        assert_plots_fit(widths, "latent at phone width")
        overflow = app.page.evaluate("() => document.documentElement.scrollWidth")
        assert overflow <= PHONE[0], f"the page scrolls sideways ({overflow} px)"
        app.assert_no_errors()
    finally:
        app.close()


def test_a_link_over_the_work_cap_drops_only_that_value(browser, app_url):
    """DDPM's 1,000 steps with the default 1,000 samples (and the guided rows) are over the cap: the link's steps
    fall back to the default with a warning naming them; its 2,000 samples, judged with 20 steps, are kept."""
    url = app_url + "?tab=latent&sampler=ddpm&steps=1000&particles=2000"
    app = AppPage(browser, url, DESKTOP_WIDE)
    try:
        titles = app.wait_for_view(LATENT, "DDPM ancestral (20 steps)", timeout=FIRST_DRAW_S)
        assert "DDPM" in titles[1]
        warnings = wait_until(lambda: [t for c, t in app.toasts() if "warning" in c.split()], "a warning toast")
        assert any("steps" in w and "cap" in w for w in warnings), warnings
        app.assert_no_errors()
    finally:
        app.close()
