"""The app in a real browser: Debian's headless Chromium driven by Playwright, against `python app.py`
launched on a free port (conftest.py). One browser per session; one page per scenario.

Screenshots of every tab, at desktop and phone width, go to test-output/screenshots/.

What counts as a browser error: every console message of type "error" and every uncaught page error,
except the messages matched by IGNORED_CONSOLE (none of them come from this app: see its comment), and
every error toast the app shows (recorded as it appears, since Gradio removes toasts after a while).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.app.browser import (
    DESKTOP,
    PHONE,
    AppPage,
    Tab,
    all_fit,
    assert_plots_fit,
    choose,
    click_radio,
    combobox,
    number_shown,
    press,
    radio_checked,
    wait_until,
)

pytestmark = pytest.mark.browser


TABS = [
    Tab(
        "forward", "Forward diffusion", 2, "t = 250",
        press("t (process time)", "ArrowRight", 3), 0, "t = 253", {"t": "253"}, number_shown("t (process time)"),
    ),
    Tab(
        "reverse", "Reverse trajectories", 2, "step 20/20",
        press("Show step", "ArrowLeft", 5), 0, "step 15/20", {"step": "15"}, number_shown("Show step"),
    ),
    Tab(
        "ddim", "DDIM η tradeoff", 3, "Exact error",
        click_radio("20"), 1, "S = 20", {"cell_steps": "20"}, radio_checked("20"),
    ),
    Tab(
        "cfg", "CFG guidance scale", 2, "w = 3",
        press("Guidance w (Ho & Salimans)", "ArrowRight", 5), 0, "w = 3.5", {"w": "3.5"},
        number_shown("Guidance w (Ho & Salimans)"),
    ),
]  # fmt: skip
TAB_IDS = [t.id for t in TABS]
EXPECTED_SHOWN = {"forward": "253", "reverse": "15", "ddim": "True", "cfg": "3.5"}


# ---------------------------------------------------------------------------- desktop: every tab
@pytest.fixture(scope="module")
def desktop(browser, app_url):
    app = AppPage(browser, app_url, DESKTOP)
    yield app
    app.close()


@pytest.mark.parametrize("tab", TABS, ids=TAB_IDS)
def test_every_tab_at_desktop_width(desktop, tab):
    desktop.select_tab(tab)
    desktop.wait_for_view(tab)
    widths = desktop.wait_for_widths()
    desktop.shot(f"desktop-{tab.id}")
    assert_plots_fit(widths, f"{tab.id} at {DESKTOP[0]} px")
    labels = desktop.control_labels()
    twice = sorted({n for n in labels if labels.count(n) > 1})
    assert not twice, f"controls shown twice on the {tab.id} tab: {twice}"
    desktop.assert_no_errors()


@pytest.mark.parametrize("tab", TABS, ids=TAB_IDS)
def test_moving_a_control_changes_the_plot(desktop, tab):
    desktop.select_tab(tab)
    desktop.wait_for_view(tab)
    before = desktop.fingerprint(tab.changed)
    tab.move(desktop.page)
    titles = desktop.wait_for_view(tab, tab.moved, tab.changed)
    assert tab.moved in titles[tab.changed]
    assert desktop.fingerprint(tab.changed) != before, "the title changed but the data did not"
    assert tab.shows(desktop.page) == EXPECTED_SHOWN[tab.id]
    desktop.shot(f"desktop-{tab.id}-moved")
    desktop.assert_no_errors()


@pytest.mark.parametrize("tab", TABS, ids=TAB_IDS)
def test_link_to_this_view_round_trips(desktop, browser, app_url, tab):
    """The link of the view the previous test left (one control moved) opens that same view."""
    desktop.select_tab(tab)
    titles = desktop.wait_for_view(tab, "")
    if tab.moved not in titles[tab.changed]:  # run on its own: move the control here
        tab.move(desktop.page)
    titles = desktop.wait_for_view(tab, tab.moved, tab.changed)
    desktop.page.locator("button:visible", has_text="Link to this view").click()
    box = desktop.page.locator("label:has-text('Share this link') textarea:visible")
    link = wait_until(box.input_value, "the link", ok=lambda v: v.startswith("http"))
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == app_url
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["tab"] == tab.id
    for key, value in tab.query.items():
        assert query.get(key) == value, f"the link {link} does not hold {key}={value}"

    other = AppPage(browser, link, DESKTOP)
    try:
        other.wait_for_view(tab, "")
        try:
            reopened = other.wait_for_view(tab, tab.moved, tab.changed, timeout=30)
        finally:
            other.shot(f"link-{tab.id}")
        assert other.selected_tab() == tab.id
        assert tab.shows(other.page) == EXPECTED_SHOWN[tab.id]
        assert reopened[tab.changed] == titles[tab.changed]
        assert other.fingerprint(tab.changed) == desktop.fingerprint(tab.changed), "same link, other data"
        other.assert_no_errors()
    finally:
        other.close()


def test_scenes_set_everything_at_once(desktop):
    forward, reverse, _, cfg = TABS
    desktop.select_tab(forward)
    choose(desktop.page, "Scene", "VE: the data explodes")
    desktop.wait_for_view(forward, "t = 0.6")
    page = desktop.page
    assert combobox(page, "Data") == "Smiley"
    assert "VE" in combobox(page, "Forward process")
    assert number_shown("t (process time)")(page) == "0.6"

    desktop.select_tab(reverse)
    choose(page, "Scene", "EDM Heun, 18 steps (35 NFE)")
    titles = desktop.wait_for_view(reverse, "step 18/18")
    assert "EDM Heun" in titles[0]
    assert combobox(page, "Sampler") == "EDM Heun (+ churn)"
    assert combobox(page, "Time grid") == "karras"
    assert number_shown("Steps")(page) == "18"

    desktop.select_tab(cfg)
    choose(page, "Scene", "Fidelity up, then overshoot")
    desktop.wait_for_view(cfg, "w = 7")
    assert number_shown("Guidance w (Ho & Salimans)")(page) == "7"
    desktop.shot("desktop-cfg-scene")
    desktop.assert_no_errors()


# ---------------------------------------------------------------------------- shareable URLs
def test_url_opens_the_reverse_tab_with_its_settings(browser, app_url):
    """The issue's example link: the tab is selected, the controls and the figure show its settings."""
    app = AppPage(browser, app_url + "?tab=reverse&sampler=edm_heun&steps=18", DESKTOP)
    try:
        reverse = TABS[1]
        app.wait_for_view(reverse, "")
        try:
            titles = app.wait_for_view(reverse, "step 18/18", timeout=30)
        finally:
            app.shot("url-reverse-edm_heun")
        assert app.selected_tab() == "reverse"
        assert "EDM Heun" in titles[0]
        assert combobox(app.page, "Sampler") == "EDM Heun (+ churn)"
        assert number_shown("Steps")(app.page) == "18"
        assert_plots_fit(app.wait_for_widths(), "reverse opened from a URL")
        press("Show step", "ArrowLeft", 5)(app.page)  # the view it opened is usable
        app.wait_for_view(reverse, "step 13/18")
        app.assert_no_errors()
    finally:
        app.close()


def test_url_opens_the_forward_tab_with_its_settings(browser, app_url):
    """The first tab too: the figure must follow the link, not the defaults (the page also sends the
    first tab's `select` event with the default values when it starts)."""
    app = AppPage(browser, app_url + "?tab=forward&preset=smiley&process=ve&t=0.6", DESKTOP)
    try:
        forward = TABS[0]
        app.wait_for_view(forward, "")
        try:
            titles = app.wait_for_view(forward, "t = 0.6", timeout=30)
        finally:
            app.shot("url-forward-ve")
        assert app.selected_tab() == "forward"
        assert "Smiley" in titles[0]
        assert combobox(app.page, "Data") == "Smiley"
        assert number_shown("t (process time)")(app.page) == "0.6"
        app.assert_no_errors()
    finally:
        app.close()


def test_invalid_url_settings_warn_and_show_the_defaults(browser, app_url):
    app = AppPage(browser, app_url + "?tab=forward&t=5000", DESKTOP)
    try:
        app.wait_for_view(TABS[0])  # the default t = 250
        warning = wait_until(lambda: [text for cls, text in app.toasts() if "warning" in cls.split()], "a warning")
        assert "The link's settings were not valid" in warning[0] and "5000" in warning[0]
        assert number_shown("t (process time)")(app.page) == "250"
        app.assert_no_errors()
    finally:
        app.close()


def test_plot_drawn_in_a_hidden_tab_fits_after_the_tab_is_opened(browser, app_url):
    """Known trap: a plot drawn while its tab is hidden is stuck at 700 px. Open the app on another tab,
    then open each tab: every plot's SVG must be as wide as its container."""
    app = AppPage(browser, app_url + "?tab=ddim", DESKTOP)
    try:
        app.wait_for_view(TABS[2])
        bad = {}
        for tab in TABS:
            app.select_tab(tab)
            app.wait_for_view(tab)
            widths = app.wait_for_widths()
            if not all_fit(widths):
                app.shot(f"desktop-{tab.id}-after-tab-switch")
                bad[tab.id] = [(round(s), round(b)) for s, b in widths]
        assert not bad, f"plots not resized to their container after a tab switch, (svg px, container px): {bad}"
        app.assert_no_errors()
    finally:
        app.close()


# ---------------------------------------------------------------------------- phone width
@pytest.fixture(scope="module")
def phone(browser, app_url):
    app = AppPage(browser, app_url, PHONE)
    yield app
    app.close()


@pytest.mark.parametrize("tab", TABS, ids=TAB_IDS)
def test_every_tab_at_phone_width(phone, tab):
    phone.select_tab(tab)
    phone.wait_for_view(tab)
    widths = phone.wait_for_widths()
    phone.shot(f"phone-{tab.id}")
    assert_plots_fit(widths, f"{tab.id} at {PHONE[0]} px")
    main_svg = widths[0][0]
    # the main plot uses the screen: at most the page's side padding (about 2 × 35 px) is lost
    assert main_svg >= PHONE[0] - 80, f"the main plot is squashed to {main_svg:.0f} px on a {PHONE[0]} px screen"
    overflow = phone.page.evaluate("() => document.documentElement.scrollWidth")
    assert overflow <= PHONE[0], f"the page scrolls sideways ({overflow} px wide on a {PHONE[0]} px screen)"
    phone.assert_no_errors()
