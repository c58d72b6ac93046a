"""The app in a real browser: Debian's headless Chromium driven by Playwright, against `python app.py`
launched on a free port (conftest.py). One browser per session; one page per scenario.

Screenshots of every tab, at desktop and phone width, go to test-output/screenshots/.

What counts as a browser error: every console message of type "error" and every uncaught page error,
except the messages matched by IGNORED_CONSOLE (none of them come from this app: see its comment), and
every error toast the app shows (recorded as it appears, since Gradio removes toasts after a while).
"""

from __future__ import annotations

import csv
import io
import time
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

from core.processes import PROCESSES, make_process
from demos import forward, reverse
from demos.sharing import keep_relative
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


def warnings_shown(app) -> list[str]:
    return [text for cls, text in app.toasts() if "warning" in cls.split()]


def test_invalid_url_settings_warn_and_show_the_defaults(browser, app_url):
    app = AppPage(browser, app_url + "?tab=forward&t=5000", DESKTOP)
    try:
        app.wait_for_view(TABS[0])  # the default t = 250
        warning = wait_until(lambda: warnings_shown(app), "a warning")
        assert "t=5000" in warning[0] and "using 250" in warning[0], warning
        assert number_shown("t (process time)")(app.page) == "250"
        app.assert_no_errors()
    finally:
        app.close()


def test_a_bad_link_value_drops_only_itself(browser, app_url):
    """`steps=abc` is named in a warning and only it is dropped: the link's sampler and preset still apply;
    `steps=1e2` is read as 100 (issue 20: bad deep links were dropped whole, or ignored silently)."""
    app = AppPage(browser, app_url + "?tab=reverse&preset=grid25&sampler=ddpm&steps=abc&seed=2", DESKTOP)
    try:
        app.wait_for_view(TABS[1], "DDPM ancestral", timeout=90)
        warning = wait_until(lambda: warnings_shown(app), "a warning naming the bad value")
        assert any("steps='abc'" in w for w in warning), warning
        assert combobox(app.page, "Data") == "5×5 grid"
        assert combobox(app.page, "Sampler") == "DDPM ancestral"
        assert number_shown("Steps")(app.page) == "20"
        app.assert_no_errors()
    finally:
        app.close()
    app = AppPage(browser, app_url + "?tab=reverse&steps=1e2", DESKTOP)
    try:
        app.wait_for_view(TABS[1], "step 100/100", timeout=90)
        assert not warnings_shown(app), "1e2 is a valid way to write 100"
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


# ---------------------------------------------------------------------------- issue 19: process switches
def _euler_circuit(keys: list[str]) -> list[str]:
    """A walk through every ordered pair (a, b), a ≠ b, each once (Hierholzer on the complete digraph)."""
    out = {k: [j for j in keys if j != k] for k in keys}
    stack, walk = [keys[0]], []
    while stack:
        v = stack[-1]
        if out[v]:
            stack.append(out[v].pop())
        else:
            walk.append(stack.pop())
    return walk[::-1]


PROCESS_LABEL = {k: make_process(k).name for k in PROCESSES}


def wait_title(app, tab: Tab, *parts: str, plot: int = 0) -> str:
    """Wait until plot `plot`'s title holds every part (line breaks read as spaces)."""

    def title():
        titles = app.titles()
        return titles[plot].replace("<br>", " ") + " " if len(titles) > plot else ""

    return wait_until(title, f"{tab.id}: {parts} in plot {plot}", ok=lambda t: all(p in t for p in parts))


def _shown_t(page) -> float:
    return float(number_shown("t (process time)")(page))


def _switch_forward(app, key: str) -> None:
    """Choose process `key` and check the view: t at the same relative place of the new range, no toast."""
    page = app.page
    before = _shown_t(page)
    old = [k for k, name in PROCESS_LABEL.items() if name == combobox(page, "Forward process")][0]
    expected = keep_relative(before, forward.time_range(old), forward.time_range(key))
    choose(page, "Forward process", PROCESS_LABEL[key])
    wait_title(app, TABS[0], f" {PROCESS_LABEL[key]} ", f"t = {expected:g} ")
    assert _shown_t(page) == pytest.approx(expected), f"{old} → {key}: t {before} → {_shown_t(page)}"
    assert not app.error_toasts(), f"{old} → {key} at t = {before}: {app.error_toasts()}"


def test_switching_every_pair_of_processes_on_forward_shows_no_error(browser, app_url):
    """Issue 19: every switch between two processes, in both directions (a walk through all 42 ordered
    pairs), keeps t at the same relative place of the new range and shows no error toast; then every scene
    that sets a process, followed by a switch away from it."""
    app = AppPage(browser, app_url + "?tab=forward", DESKTOP)
    try:
        app.wait_for_view(TABS[0])
        walk = _euler_circuit(list(PROCESSES))
        assert walk[0] == "ddpm" and len(walk) == len(PROCESSES) * (len(PROCESSES) - 1) + 1
        for key in walk[1:]:
            _switch_forward(app, key)
        for name, settings in forward.SCENES.items():
            choose(app.page, "Scene", name)
            wait_title(app, TABS[0], f" {PROCESS_LABEL[settings['process']]} ", f"t = {settings['t']:g} ")
            assert combobox(app.page, "Forward process") == PROCESS_LABEL[settings["process"]]
            _switch_forward(app, "vp" if settings["process"] != "vp" else "edm")
        app.shot("desktop-forward-after-switches")
        app.assert_no_errors()
    finally:
        app.close()


def test_switching_processes_and_grids_on_reverse_shows_no_error(browser, app_url):
    """Issue 19 on Reverse: with DDIM every process and grid runs (each reached from both neighbours, not all
    42 ordered pairs: a Reverse run takes seconds on a loaded machine); after a scene whose sampler cannot run on
    some process (flow matching Euler on VE), choosing that process keeps the last good view with a message
    beside it and puts the control back, instead of an error toast."""
    app = AppPage(browser, app_url + "?tab=reverse&particles=500", DESKTOP)
    page = app.page
    try:
        app.wait_for_view(TABS[1])
        keys = list(PROCESSES)  # every process from two neighbours (both directions): the range issue is Forward's
        for key in [*keys[1:], *keys[::-1][1:]]:
            choose(page, "Forward process", PROCESS_LABEL[key])
            wait_title(app, TABS[1], f"DDIM on {reverse.PROCESS_SHORT[key]} ")
            assert not app.error_toasts(), f"→ {key}: {app.error_toasts()}"
        choose(page, "Forward process", PROCESS_LABEL["ddpm"])
        wait_title(app, TABS[1], "DDIM on DDPM ")
        expected = {"leading": "leading spacing", "trailing": "trailing spacing", "karras": "Karras"}
        expected.update(linspace="linspace spacing", logsnr="uniform in log-SNR")
        for grid in ["trailing", "karras", "logsnr", "linspace", "leading", "logsnr", "karras", "trailing"]:
            choose(page, "Time grid", grid)
            app.wait_for_view(TABS[1], expected[grid])
        choose(page, "Scene", "Flow matching Euler, 10 steps")
        wait_title(app, TABS[1], "Flow matching Euler on flow ")
        before = app.fingerprint(0)
        choose(page, "Forward process", PROCESS_LABEL["ve"])
        status = page.locator(".prose.status:visible")
        wait_until(lambda: status.inner_text(), "the refusal message", ok=lambda t: "Not run" in t)
        assert "not VE" in status.inner_text()
        wait_until(lambda: combobox(page, "Forward process"), "the process to snap back",
                   ok=lambda v: v == PROCESS_LABEL["flow"])  # fmt: skip
        assert app.fingerprint(0) == before, "the last good view was replaced"
        choose(page, "Forward process", PROCESS_LABEL["edm"])  # a process it can run on: the message goes
        wait_title(app, TABS[1], "Flow matching Euler on EDM ")
        gone = page.locator(".prose.status").first  # an empty Markdown is hidden: read its text, visible or not
        wait_until(lambda: gone.text_content() or "", "the message to clear", ok=lambda t: "Not run" not in t)
        app.shot("desktop-reverse-after-switches")
        app.assert_no_errors()
    finally:
        app.close()


# ---------------------------------------------------------------------------- issue 20: Play, Stop, export
def _playing(app, elem_id: str) -> bool:
    return app.page.evaluate(
        "id => { const g = document.querySelector('#' + id + ' .js-plotly-plot'); return !!(g && g.__rrPlaying); }",
        elem_id,
    )


def _click(app, name: str) -> None:
    app.page.get_by_role("button", name=name, exact=True).filter(visible=True).first.click()


def test_play_runs_once_to_the_end_and_stops(browser, app_url):
    app = AppPage(browser, app_url + "?tab=reverse&steps=10&particles=500", DESKTOP)
    try:
        app.wait_for_view(TABS[1], "step 10/10")
        _click(app, "Play")
        wait_until(lambda: _playing(app, "reverse-main"), "Play to start")
        wait_until(lambda: not _playing(app, "reverse-main"), "Play to end", timeout=30)
        app.wait_for_view(TABS[1], "step 10/10")
        assert number_shown("Show step")(app.page) == "10"
        time.sleep(2)  # it does not start again
        assert not _playing(app, "reverse-main") and "step 10/10" in app.titles()[0]
        app.assert_no_errors()
    finally:
        app.close()


def test_stop_and_a_changed_control_end_playing(browser, app_url):
    """DDPM 1000 steps: Stop leaves the frame reached, drawn exactly, with the slider there; a control
    changed while playing ends it and the new view is drawn (issue 20, defect 1)."""
    app = AppPage(browser, app_url + "?tab=reverse&sampler=ddpm&steps=1000&particles=500&paths=8", DESKTOP)
    try:
        app.wait_for_view(TABS[1], "step 1000/1000", timeout=90)
        _click(app, "Play")
        wait_until(lambda: _playing(app, "reverse-main"), "Play to start")
        time.sleep(1.0)
        _click(app, "Stop")
        wait_until(lambda: not _playing(app, "reverse-main"), "Stop to stop Play", timeout=10)
        shown = wait_until(lambda: number_shown("Show step")(app.page), "the slider at the frame reached",
                           ok=lambda v: v not in ("", "1000"))  # fmt: skip
        app.wait_for_view(TABS[1], f"step {shown}/1000")
        time.sleep(1.5)
        assert f"step {shown}/1000" in app.titles()[0], "Play went on after Stop"

        app.page.keyboard.press("p")  # the keyboard shortcut starts Play too
        wait_until(lambda: _playing(app, "reverse-main"), "Play to start from the keyboard")
        press("Steps", "ArrowLeft", 1)(app.page)  # 999 steps: a new run while playing
        wait_until(lambda: not _playing(app, "reverse-main"), "a changed control to end Play", timeout=30)
        app.wait_for_view(TABS[1], "step 999/999", timeout=60)
        time.sleep(1.5)
        assert "step 999/999" in app.titles()[0]
        app.assert_no_errors()
    finally:
        app.close()


def test_forward_play_from_clean_data_to_noise(browser, app_url):
    app = AppPage(browser, app_url + "?tab=forward&preset=smiley&process=ve&t=0.6&fixed_axes=true", DESKTOP)
    try:
        app.wait_for_view(TABS[0], "t = 0.6 ")
        _click(app, "Play")
        wait_until(lambda: _playing(app, "forward-main"), "Play to start")
        seen = set()
        while _playing(app, "forward-main"):
            seen.add(app.titles()[0])
            time.sleep(0.2)
        assert len(seen) >= 5, f"Play showed {len(seen)} frames"
        wait_title(app, TABS[0], "t = 1 ")
        wait_until(lambda: _shown_t(app.page), "the slider at the last frame", ok=lambda v: v == 1.0)
        app.assert_no_errors()
    finally:
        app.close()


def _download(app, button) -> bytes:
    with app.page.expect_download(timeout=30_000) as info:
        button.click()
    return open(info.value.path(), "rb").read()


def test_export_png_svg_gif_csv(browser, app_url):
    """Export for slides, checked by decoding what it produces: a PNG at 3× the plot's drawn size, an SVG,
    a GIF of the trajectory animation made on the server, the samples as CSV."""
    app = AppPage(browser, app_url + "?tab=reverse&steps=10&particles=300", DESKTOP)
    page = app.page
    try:
        app.wait_for_view(TABS[1], "step 10/10")
        drawn = app.plot_widths()[0][0]
        tools = page.locator("#reverse-main")
        png = Image.open(io.BytesIO(_download(app, tools.get_by_role("button", name="PNG", exact=True))))
        assert png.format == "PNG" and png.size[0] >= 2.9 * drawn, f"PNG {png.size} for a {drawn} px plot"
        svg = ET.fromstring(_download(app, tools.get_by_role("button", name="SVG", exact=True)))
        assert svg.tag.endswith("svg")

        page.get_by_text("Export for slides").filter(visible=True).first.click()
        page.get_by_role("button", name="Animation as GIF").filter(visible=True).click()
        link = page.locator("a[download]:visible").first
        link.wait_for(timeout=60_000)
        gif = Image.open(io.BytesIO(page.request.get(link.get_attribute("href")).body()))
        assert gif.format == "GIF" and gif.n_frames >= 5, f"{gif.format} with {getattr(gif, 'n_frames', 1)} frames"

        page.get_by_role("button", name="Samples as CSV").filter(visible=True).click()
        wait_until(lambda: page.locator("a[download]:visible").first.get_attribute("href") or "", "the CSV",
                   ok=lambda h: h.endswith(".csv"))  # fmt: skip
        href = page.locator("a[download]:visible").first.get_attribute("href")
        rows = list(csv.reader(io.StringIO(page.request.get(href).text())))
        assert rows[0] == ["x", "y", "component"] and len(rows) == 301
        app.assert_no_errors()
    finally:
        app.close()


def test_link_button_is_plain_text_and_a_scene_clears_the_old_link(browser, app_url):
    """Issue 11.8: the "Link to this view" button showed a missing-glyph box (an emoji without a font), and
    after a scene the share box kept the previous view's link."""
    app = AppPage(browser, app_url + "?tab=reverse&steps=10&particles=300", DESKTOP)
    page = app.page
    try:
        app.wait_for_view(TABS[1], "step 10/10")
        button = page.locator("button:visible", has_text="Link to this view")
        assert button.inner_text().strip() == "Link to this view"
        button.click()
        box = page.locator("label:has-text('Share this link') textarea:visible")
        wait_until(box.input_value, "the link", ok=lambda v: "steps=10" in v)
        choose(page, "Scene", "EDM Heun, 18 steps (35 NFE)")
        app.wait_for_view(TABS[1], "step 18/18")
        assert box.input_value() == "", "the share box still shows the previous view's link"
        button.click()
        wait_until(box.input_value, "the new link", ok=lambda v: "steps=18" in v and "sampler=edm_heun" in v)
        app.assert_no_errors()
    finally:
        app.close()
