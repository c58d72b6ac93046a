"""The "PF-ODE & likelihood" tab in a real browser (headless Chromium via Playwright, the app launched by
conftest.py): at desktop and phone width, the t slider, the three views, the point buttons, every switch
between two processes (no error toast, t kept at its relative place), the link round trip, and a link with a
bad value. Screenshots go to test-output/screenshots/pfode-*.png."""

from __future__ import annotations

from itertools import permutations
from urllib.parse import parse_qs, urlsplit

import pytest

from demos import pf_ode
from tests.app.browser import (
    DESKTOP,
    PHONE,
    AppPage,
    Tab,
    all_fit,
    assert_plots_fit,
    choose,
    combobox,
    number_shown,
    press,
    wait_until,
)

pytestmark = pytest.mark.browser

T_LABEL = "t / T along the ODE (0 = data, 1 = prior)"
TAB = Tab(
    pf_ode.TAB_ID, pf_ode.LABEL, 2, "t/T = 0.50",
    press(T_LABEL, "ArrowRight", 3), 0, "t/T = 0.53", {"t": "0.53"}, number_shown(T_LABEL),
)  # fmt: skip
ONE_POINT = "points=0.5,0.5"  # one point: each process switch re-solves at 7 tolerances in a blink
NAMES = {k: pf_ode.make_process(k).name for k in pf_ode.LIKELIHOOD_PROCESSES}


def numbers_rows(page) -> int:
    """Rows of the "The numbers" table (Gradio 6 draws a dataframe as a div grid; the header is a row)."""
    return page.get_by_role("grid", name="The numbers").locator("[role=row]").count() - 1


@pytest.fixture(scope="module")
def desktop(browser, app_url):
    app = AppPage(browser, app_url + "?tab=" + pf_ode.TAB_ID, DESKTOP)
    yield app
    app.close()


def test_the_tab_at_desktop_width(desktop):
    wait_until(lambda: desktop.selected_tab() == pf_ode.TAB_ID, "the link to select the tab")
    titles = desktop.wait_for_view(TAB)
    assert "VP SDE" in titles[0] and "Mean |gap|" in titles[1]
    widths = desktop.wait_for_widths()
    desktop.shot("pfode-desktop")
    assert_plots_fit(widths, "pfode at desktop width")
    assert numbers_rows(desktop.page) == pf_ode.N_SAMPLE_POINTS
    desktop.assert_no_errors()


def test_the_t_slider_moves_the_points(desktop):
    desktop.wait_for_view(TAB)
    before = desktop.fingerprint(0)
    TAB.move(desktop.page)
    desktop.wait_for_view(TAB, TAB.moved)
    assert desktop.fingerprint(0) != before
    assert TAB.shows(desktop.page) == "0.53"
    desktop.assert_no_errors()


def test_link_to_this_view_round_trips(desktop, browser, app_url):
    titles = desktop.wait_for_view(TAB, "")
    if TAB.moved not in titles[0]:
        TAB.move(desktop.page)
        titles = desktop.wait_for_view(TAB, TAB.moved)
    desktop.page.locator("button:visible", has_text="Link to this view").click()
    box = desktop.page.locator("label:has-text('Share this link') textarea:visible")
    link = wait_until(box.input_value, "the link", ok=lambda v: v.startswith("http"))
    query = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
    assert query["tab"] == pf_ode.TAB_ID and query["t"] == "0.53" and query["view"] == "likelihood"
    assert len(query["points"].split(";")) == pf_ode.N_SAMPLE_POINTS
    other = AppPage(browser, link, DESKTOP)
    try:
        reopened = other.wait_for_view(TAB, TAB.moved)
        other.shot("pfode-link")
        assert reopened[0] == titles[0]
        assert other.fingerprint(0) == desktop.fingerprint(0), "same link, other data"
        other.assert_no_errors()
    finally:
        other.close()


def test_the_grid_button_solves_25_points(desktop):
    desktop.wait_for_view(TAB, "")
    before = desktop.fingerprint(0)
    desktop.page.locator("button:visible", has_text="A grid of points").click()
    n = pf_ode.GRID_SIDE**2
    wait_until(lambda: desktop.page.get_by_text(f"{n} points ·").count(), f"the numbers of {n} points")
    wait_until(lambda: desktop.fingerprint(0) != before, "the paths of the grid")
    desktop.shot("pfode-grid-points")
    desktop.assert_no_errors()


@pytest.mark.parametrize("view, title", [("schedules", "Same σ̃ nodes"), ("flow", "Same noise")])
def test_the_other_views(desktop, view, title):
    desktop.page.get_by_role("radio", name=pf_ode.VIEWS[view]).click()
    desktop.wait_for_view(TAB, title)
    desktop.wait_for_widths()
    desktop.shot(f"pfode-desktop-{view}")
    assert not desktop.page.locator("button:visible", has_text="A grid of points").count()
    desktop.assert_no_errors()


def test_switching_every_pair_of_processes_keeps_t(browser, app_url):
    """Every ordered pair (a → b) of the tab's processes, at t/T = 0.53: no error toast, t unchanged."""
    app = AppPage(browser, f"{app_url}?tab={pf_ode.TAB_ID}&t=0.53&{ONE_POINT}", DESKTOP)
    try:
        app.wait_for_view(TAB, "t/T = 0.53")
        order = ["vp"]  # a walk through all 20 ordered pairs (an Eulerian circuit of the complete digraph)
        todo = set(permutations(pf_ode.LIKELIHOOD_PROCESSES, 2))
        while todo:
            nxt = next(b for a, b in sorted(todo) if a == order[-1])
            todo.discard((order[-1], nxt))
            order.append(nxt)
        assert len(order) == 21
        for key in order[1:]:
            choose(app.page, "Process", NAMES[key])
            app.wait_for_view(TAB, NAMES[key])
            titles = app.wait_for_view(TAB, "t/T = 0.53")
            assert TAB.shows(app.page) == "0.53", key
            assert combobox(app.page, "Process") == NAMES[key]
            assert "t/T = 0.53" in titles[0]
        app.assert_no_errors()
    finally:
        app.close()


def test_a_bad_link_value_is_dropped_with_a_warning(browser, app_url):
    app = AppPage(browser, f"{app_url}?tab={pf_ode.TAB_ID}&points=99,0&process=edm", DESKTOP)
    try:
        titles = app.wait_for_view(TAB, "EDM")
        warnings = wait_until(lambda: [t for c, t in app.toasts() if "warning" in c.split()], "a warning toast")
        assert any("too far out" in w for w in warnings), warnings
        assert "EDM" in titles[0]
        app.assert_no_errors()
    finally:
        app.close()


@pytest.mark.parametrize("view", list(pf_ode.VIEWS))
def test_every_view_at_phone_width(browser, app_url, view):
    app = AppPage(browser, f"{app_url}?tab={pf_ode.TAB_ID}&view={view}", PHONE)
    try:
        titles = wait_until(app.titles, f"{view} drawn", ok=lambda t: len(t) == 2 and all(t))
        widths = wait_until(app.plot_widths, "plots to fit", timeout=15, ok=all_fit)
        app.shot(f"pfode-phone-{view}")
        assert_plots_fit(widths, f"pfode {view} at phone width")
        assert titles[0]
        app.assert_no_errors()
    finally:
        app.close()
