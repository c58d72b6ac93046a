"""Browser plumbing shared by the Playwright tests: Debian's headless Chromium, a page on the app that
records console errors and toasts, waiting helpers and the ways a user moves a control.

What counts as a browser error: every console message of type "error" and every uncaught page error,
except the messages matched by IGNORED_CONSOLE (none of them come from this app: see its comment), and
every error toast the app shows (recorded as it appears, since Gradio removes toasts after a while).
The `browser` fixture is in conftest.py; screenshots go to test-output/screenshots/.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from demos.plotting import plain_title

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
        time.sleep(0.1)


class AppPage:
    """One browser tab on the app, recording console errors and toasts. Its page has a context of its own;
    `close()` closes it."""

    def __init__(self, browser, url: str, size: tuple[int, int]):
        self.width, self.height = size
        # a context per page: Chromium allows 6 connections per host in a context, and every open Gradio page
        # holds its event stream, so pages sharing one context stall once a few stay open
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

        def ready(titles):  # line breaks and " · " read as spaces (wrap_title may drop a separator at a break)
            return len(titles) == tab.n_plots and all(titles) and plain_title(title_part) in plain_title(titles[plot])

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


def choose(page, label: str, option: str) -> None:
    page.get_by_role("combobox", name=label).filter(visible=True).click()
    page.get_by_role("option", name=option, exact=True).filter(visible=True).click()


def combobox(page, label: str) -> str:
    return page.get_by_role("combobox", name=label).filter(visible=True).input_value()
