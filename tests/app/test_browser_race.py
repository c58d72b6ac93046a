"""The "Sampler race" tab in a real browser (headless Chromium via Playwright, the app launched by conftest.py):
at desktop and phone width, the x-axis toggle redraws the curves, the budget slider re-runs the race, every
switch between two solvers of the grid panel, a scene, and the link round trip. No console errors and no error
toasts anywhere. Screenshots go to test-output/screenshots/race-*.png."""

from __future__ import annotations

from itertools import permutations
from urllib.parse import parse_qs, urlsplit

import pytest

from core import race as R
from core.samplers.registry import get_sampler
from demos import race
from tests.app.browser import (
    DESKTOP,
    PHONE,
    AppPage,
    Tab,
    assert_plots_fit,
    choose,
    click_radio,
    combobox,
    press,
    radio_checked,
    wait_until,
)

pytestmark = pytest.mark.browser

TAB = Tab(
    race.TAB_ID, race.LABEL, 3, "Every sampler at 20 NFE",
    click_radio("wall time"), 1, "Error vs wall time", {"x_axis": "wall"}, radio_checked("wall time"),
)  # fmt: skip
SOLVER_LABEL = "Solver on the five grids"


@pytest.fixture(scope="module")
def desktop(browser, app_url):
    app = AppPage(browser, app_url + "?tab=" + race.TAB_ID, DESKTOP)
    yield app
    app.close()


def test_the_tab_at_desktop_width(desktop):
    wait_until(lambda: desktop.selected_tab() == race.TAB_ID, "the link to select the tab")
    titles = desktop.wait_for_view(TAB)
    assert "Error vs NFE" in titles[1] and "five grids" in titles[2]
    widths = desktop.wait_for_widths()
    desktop.shot("race-desktop")
    assert_plots_fit(widths, "race at desktop width")
    assert desktop.page.get_by_text("Best:").count()
    desktop.assert_no_errors()


def test_the_x_axis_toggle_redraws_the_curves(desktop):
    desktop.wait_for_view(TAB)
    before = desktop.fingerprint(1)
    TAB.move(desktop.page)
    desktop.wait_for_view(TAB, TAB.moved, plot=1)
    assert desktop.fingerprint(1) != before
    assert TAB.shows(desktop.page) == "True"
    desktop.shot("race-desktop-wall")
    desktop.assert_no_errors()


def test_link_to_this_view_round_trips(desktop, browser, app_url):
    titles = desktop.wait_for_view(TAB, "")
    if TAB.moved not in titles[1]:
        TAB.move(desktop.page)
        titles = desktop.wait_for_view(TAB, TAB.moved, plot=1)
    desktop.page.locator("button:visible", has_text="Link to this view").click()
    box = desktop.page.locator("label:has-text('Share this link') textarea:visible")
    link = wait_until(box.input_value, "the link", ok=lambda v: v.startswith("http"))
    query = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
    assert query["tab"] == race.TAB_ID and query["x_axis"] == "wall" and query["budget"] == "20"
    other = AppPage(browser, link, DESKTOP)
    try:
        reopened = other.wait_for_view(TAB, TAB.moved, plot=1)
        other.shot("race-link")
        assert reopened == titles
        assert other.fingerprint(0) == desktop.fingerprint(0), "same link, other race"
        other.assert_no_errors()
    finally:
        other.close()


def test_the_budget_slider_reruns_the_race(desktop):
    desktop.wait_for_view(TAB, "")
    before = desktop.fingerprint(0)
    press("NFE budget", "ArrowLeft", 10)(desktop.page)
    desktop.wait_for_view(TAB, "Every sampler at 10 NFE")
    assert desktop.fingerprint(0) != before
    desktop.shot("race-desktop-budget-10")
    desktop.assert_no_errors()


def test_switching_every_pair_of_grid_solvers(browser, app_url):
    """Every ordered pair (a → b) of the grid panel's solvers: no error toast, the panel names the solver."""
    app = AppPage(browser, f"{app_url}?tab={race.TAB_ID}", DESKTOP)
    try:
        app.wait_for_view(TAB)
        order = [R.GRID_SOLVERS[0]]  # an Eulerian circuit through all 20 ordered pairs
        todo = set(permutations(R.GRID_SOLVERS, 2))
        while todo:
            nxt = next(b for a, b in sorted(todo) if a == order[-1])
            todo.discard((order[-1], nxt))
            order.append(nxt)
        for key in order[1:]:
            title = get_sampler(key).title
            choose(app.page, SOLVER_LABEL, title)
            shown = f"{title} on five grids" if key == "ddim" else f"{title} (solid)"  # titles wrap at ": "
            app.wait_for_view(TAB, shown, plot=2, timeout=180)
            assert combobox(app.page, SOLVER_LABEL) == title
        app.assert_no_errors()
    finally:
        app.close()


def test_a_scene_sets_everything(browser, app_url):
    app = AppPage(browser, f"{app_url}?tab={race.TAB_ID}", DESKTOP)
    try:
        app.wait_for_view(TAB)
        choose(app.page, "Scene", "Orders of convergence")
        titles = app.wait_for_view(TAB, "Every sampler at 50 NFE", timeout=120)
        assert "path error" in titles[1]
        app.shot("race-scene-orders")
        app.assert_no_errors()
    finally:
        app.close()


def test_the_tab_at_phone_width(browser, app_url):
    app = AppPage(browser, f"{app_url}?tab={race.TAB_ID}", PHONE)
    try:
        app.wait_for_view(TAB)
        widths = app.wait_for_widths()
        app.shot("race-phone")
        assert_plots_fit(widths, "race at phone width")
        before = app.fingerprint(1)
        click_radio("path error vs reference")(app.page)
        app.wait_for_view(TAB, "path error", plot=1)
        assert app.fingerprint(1) != before
        app.assert_no_errors()
    finally:
        app.close()
