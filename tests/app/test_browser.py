"""The app in a real browser: Debian's headless Chromium driven by Playwright, against `python app.py`
launched on a free port (conftest.py). One browser per session; one page per scenario.

Screenshots of every tab, at desktop and phone width, go to test-output/screenshots/.

What counts as a browser error: every console message of type "error" and every uncaught page error,
except the messages matched by IGNORED_CONSOLE (none of them come from this app: see its comment), and
every error toast the app shows (recorded as it appears, since Gradio removes toasts after a while).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM = "/usr/bin/chromium"  # Debian's; never `playwright install`
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = (1400, 900)
PHONE = (390, 844)
WAIT_S = 60  # upper bound for a view to appear (~10 s here); generous, this is a noisy 2-core machine
# Chromium's GL driver reports performance notes ("GPU stall due to ReadPixels") when plotly's WebGL
# traces are read back on the software renderer (--disable-gpu). They are Chromium's, not the app's.
IGNORED_CONSOLE = re.compile(r"GPU stall due to ReadPixels|GL Driver Message")

# Records every Gradio toast as it is added (they disappear after a few seconds).
TOAST_RECORDER = """
window.__toasts = [];
new MutationObserver(() => {
  document.querySelectorAll('[data-testid="toast-body"]').forEach((el) => {
    if (!el.__recorded) { el.__recorded = true; window.__toasts.push(el); }
  });
}).observe(document, {childList: true, subtree: true});
"""


@dataclass(frozen=True)
class Tab:
    id: str  # the TAB_ID, also ?tab=
    name: str  # the tab button's text
    n_plots: int  # visible plots once the tab is drawn
    ready: str  # in the main plot's title when the default view is shown
    move: Callable  # (page) -> None: a user changes one control
    changed: int  # index (among the tab's visible plots) of the plot that must change
    moved: str  # in that plot's title afterwards
    query: dict  # what the tab's link must then hold
    shows: Callable  # (page) -> str: the control's value as displayed


def press(label: str, key: str, times: int) -> Callable:
    """Move a slider the way a keyboard user does: focus its range input and press arrow keys."""

    def move(page):
        slider = page.locator(f'input[type=range][aria-label="range slider for {label}"]:visible:enabled')
        slider.focus()
        for _ in range(times):
            page.keyboard.press(key)

    return move


def number_shown(label: str) -> Callable:
    return lambda page: page.locator(f'input[aria-label="number input for {label}"]:visible:enabled').input_value()


def click_radio(name: str) -> Callable:
    return lambda page: page.get_by_role("radio", name=name, exact=True).filter(visible=True).click()


def radio_checked(name: str) -> Callable:
    return lambda page: str(page.get_by_role("radio", name=name, exact=True).filter(visible=True).is_checked())


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


# ---------------------------------------------------------------------------- browser plumbing
@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def wait_until(fetch: Callable, what: str, timeout: float = WAIT_S, ok: Callable = bool):
    """Poll `fetch()` until `ok(value)`; return the value, or fail naming `what` and the last value seen.
    A bound on waiting, not a timing assertion: the machine is noisy, so it is generous."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if ok(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}; last seen: {value!r}")
        time.sleep(0.25)


class AppPage:
    """One browser tab on the app, recording console errors and toasts."""

    def __init__(self, browser, url: str, size: tuple[int, int]):
        self.width, self.height = size
        self.context = browser.new_context(viewport={"width": self.width, "height": self.height})
        self.context.add_init_script(TOAST_RECORDER)
        self.page = self.context.new_page()
        self.console_errors: list[str] = []
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda err: self.console_errors.append(f"uncaught: {err}"))
        self.page.set_default_timeout(60_000)
        self.page.goto(url, wait_until="domcontentloaded")
        self.page.locator("[role=tablist]").first.wait_for(timeout=WAIT_S * 1000)  # Gradio has rendered

    def _on_console(self, msg) -> None:
        if msg.type == "error" and not IGNORED_CONSOLE.search(msg.text):
            self.console_errors.append(f"console.error: {msg.text}")

    def close(self) -> None:
        self.context.close()

    # -- what is on screen
    def toasts(self) -> list[tuple[str, str]]:
        return [
            (t["cls"], " ".join(t["text"].split()))
            for t in self.page.evaluate(
                "() => (window.__toasts || []).map(e => ({cls: e.className, text: e.textContent}))"
            )
        ]

    def error_toasts(self) -> list[str]:
        return [text for cls, text in self.toasts() if "error" in cls.split()]

    def assert_no_errors(self) -> None:
        assert not self.console_errors, f"browser console errors: {self.console_errors}"
        assert not self.error_toasts(), f"the app showed errors: {self.error_toasts()}"

    def selected_tab(self) -> str | None:
        return self.page.locator("[role=tab][aria-selected=true]").first.get_attribute("data-tab-id")

    def plots(self):
        return self.page.locator(".js-plotly-plot:visible")

    def titles(self) -> list[str]:
        return self.plots().evaluate_all("els => els.map(e => (e.layout?.title?.text) || '')")

    def plot_widths(self) -> list[tuple[float, float]]:
        """(width of the drawn SVG, width of the plot's container) for each visible plot."""
        return self.plots().evaluate_all(
            "els => els.map(e => { const s = e.querySelector('.main-svg');"
            " return [s ? parseFloat(s.getAttribute('width')) : -1, e.getBoundingClientRect().width]; })"
        )

    def fingerprint(self, index: int) -> str:
        """A hash of the data a plot holds (its traces as plotly has them, base64 arrays included)."""
        return (
            self.plots()
            .nth(index)
            .evaluate(
                "e => { const s = JSON.stringify(e.data || []); let h = 0;"
                " for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;"
                " return s.length + ':' + h; }"
            )
        )

    def control_labels(self) -> list[str]:
        """The accessible names of the visible inputs (a slider counts once: its range input)."""
        return self.page.locator("input:visible").evaluate_all(
            "els => els.map(e => e.getAttribute('aria-label') || '')"
            ".filter(n => n && !n.startsWith('number input for '))"
        )

    # -- actions
    def select_tab(self, tab: Tab) -> None:
        """Click the tab's button; at phone width the tabs that do not fit are behind "More tabs"."""
        button = self.page.locator("[role=tab]", has_text=tab.name)
        if button.count() and button.first.is_visible():
            button.first.click()
        else:
            self.page.get_by_role("button", name="More tabs").click()
            self.page.locator(".overflow-dropdown button", has_text=tab.name).click()
        wait_until(lambda: self.selected_tab() == tab.id, f"tab {tab.id} to be selected")

    def wait_for_view(self, tab: Tab, title_part: str | None = None, plot: int = 0, timeout=WAIT_S) -> list[str]:
        """Wait until the tab's plots are drawn with titles, plot `plot` showing `title_part`."""
        title_part = tab.ready if title_part is None else title_part

        def ready(titles):
            return len(titles) == tab.n_plots and all(titles) and title_part in titles[plot]

        try:
            return wait_until(self.titles, f"{tab.id}: {title_part!r} in plot {plot}", timeout=timeout, ok=ready)
        except AssertionError as err:
            raise AssertionError(f"{err}; the control shows {tab.shows(self.page)!r}") from None

    def wait_for_widths(self) -> list[tuple[float, float]]:
        """Plots resize asynchronously after a tab switch: wait a little for SVG and container to agree."""
        try:
            return wait_until(self.plot_widths, "plots to fit", timeout=15, ok=all_fit)
        except AssertionError:
            return self.plot_widths()

    def shot(self, name: str) -> None:
        self.page.mouse.move(0, 0)  # no hover state (plotly's toolbar, tooltips) in the picture
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def fits(svg: float, box: float) -> bool:
    return box > 0 and abs(svg - box) <= max(6.0, 0.02 * box)


def all_fit(widths) -> bool:
    return bool(widths) and all(fits(s, b) for s, b in widths)


def assert_plots_fit(widths, context: str) -> None:
    bad = [(i, s, b) for i, (s, b) in enumerate(widths) if not fits(s, b)]
    assert not bad, f"{context}: plot SVG width does not match its container (index, svg px, container px): {bad}"


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


def choose(page, label: str, option: str) -> None:
    page.get_by_role("combobox", name=label).filter(visible=True).click()
    page.get_by_role("option", name=option, exact=True).filter(visible=True).click()


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
def combobox(page, label: str) -> str:
    return page.get_by_role("combobox", name=label).filter(visible=True).input_value()


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
