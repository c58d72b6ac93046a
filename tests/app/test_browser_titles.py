"""Every plot's title fits its plot, on a phone and on a projector (issue 26.12), measured in Chromium.

One page on the app; every tab of demos/tabs.py in turn, at its default view, first at 390 px (a phone), then the same
page at 1920 px (a projector). For every visible plot, from the boxes the browser draws:

* its box has not collapsed: the page first shows every tab at 390 px and is then widened, which resizes the
  window while the tabs are hidden (plotly's resize then dropped the figure's height and the box fell to 0 px);
* its title (plotly's `.gtitle`) and every annotation text (subplot and panel titles) lie inside the plot: not cut
  at the left, the right or the top (Reverse's title ended "…leading spac", the race's first line was cut at the top,
  the SDEdit and grid titles ran 512 px wide in a 324 px plot);
* its title is clear of the plot's PNG / SVG / Full screen buttons (both CFG titles sat under them);
* the labels of an x axis's ticks do not overlap (the race's "4" over "6"), no axis title overlaps the legend
  (the race's "NFE" in its legend), and no text is smaller than MIN_FONT px (the race's 32 panels had 10 px).

NOT_YET lists the plots of tabs this change does not own that still fail a check, and why; the test fails on any
other failure. An entry that passes is reported as a warning, not a failure: tick and legend boxes depend on the
Chromium build's font metrics (CI's build passed two entries that Debian's fails). Screenshots of a failing plot go to
test-output/screenshots/titles-*.png.
"""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import pytest

from demos.syllabus import tab_title
from demos.tabs import tab_modules
from tests.app.browser import PHONE, SHOTS, AppPage, wait_until

pytestmark = pytest.mark.browser

PROJECTOR = (1920, 1080)
MIN_FONT = 11  # px: the smallest text a plot may draw
MIN_HEIGHT = 100  # px: a plot box lower than this has collapsed (the window was resized while its tab was hidden)
SLACK = 1.0  # px a box may pass an edge by (subpixel rounding)
PLOTLESS_S = 5  # a tab that shows no plot this long after it is selected has none (the syllabus)

# (screen width, plot id, check) → why it still fails. Checks: "collapsed", "outside", "toolbar", "ticks", "legend",
# "font".
NOT_YET: dict[tuple[int, str, str], str] = {}

# Boxes relative to each visible plot's own box: its title, annotations, the buttons over it, tick labels, axis
# titles, legend, and the smallest font it draws.
BOXES_JS = """() => [...document.querySelectorAll('.js-plotly-plot')]
  .filter(e => e.offsetParent !== null && e.getBoundingClientRect().width > 0)
  .map(e => { const r = e.getBoundingClientRect();
    const box = el => { const b = el.getBoundingClientRect();
      return {left: b.left - r.left, right: b.right - r.left, top: b.top - r.top, bottom: b.bottom - r.top,
              text: (el.textContent || '').trim().slice(0, 80)}; };
    const block = e.closest('.block'); const holder = e.closest('[id]');
    const ticks = {};
    e.querySelectorAll('g[class$="tick"] > text, g[class$="tick"] text').forEach(t => {
      const axis = t.closest('g[class$="tick"]').getAttribute('class');
      if (t.textContent.trim()) (ticks[axis] = ticks[axis] || []).push(box(t)); });
    const sizes = [...e.querySelectorAll('text')].filter(t => t.textContent.trim())
      .map(t => parseFloat(getComputedStyle(t).fontSize) || 99);
    return {id: holder ? holder.id : '', width: r.width, height: r.height,
      titles: [...e.querySelectorAll('.gtitle')].map(box).filter(b => b.text),
      annotations: [...e.querySelectorAll('.annotation-text')].map(box).filter(b => b.text),
      buttons: block ? [...block.querySelectorAll('button')]
        .filter(b => b.offsetParent !== null && !e.contains(b)).map(box) : [],
      ticks: Object.values(ticks),
      axis_titles: [...e.querySelectorAll('.g-xtitle text, .g-ytitle text, [class*="g-x"][class$="title"] text,'
        + ' [class*="g-y"][class$="title"] text')].map(box).filter(b => b.text),
      legend: e.querySelector('.legend') ? box(e.querySelector('.legend')) : null,
      smallest: sizes.length ? Math.min(...sizes) : 99}; })"""


def _overlap(a, b) -> bool:
    return (
        bool(a and b)
        and min(a["right"], b["right"]) - max(a["left"], b["left"]) > SLACK
        and (min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > SLACK)
    )


def plot_problems(plot: dict) -> dict[str, str]:
    """{check: what is wrong} for one plot's boxes (empty: it passes)."""
    out = {}
    width = plot["width"]
    if plot["height"] < MIN_HEIGHT:  # drawn, but its box collapsed: nothing of it is on screen
        out["collapsed"] = f"the plot's box is {plot['height']:.0f} px high"
    cut = [
        f"{b['text'][:50]!r} spans {b['left']:.0f}…{b['right']:.0f} px, top {b['top']:.0f}, in {width:.0f} px"
        for b in plot["titles"] + plot["annotations"]
        if b["left"] < -SLACK or b["right"] > width + SLACK or b["top"] < -SLACK
    ]
    if cut:
        out["outside"] = "; ".join(cut)
    covered = [
        f"{t['text'][:40]!r} under {b['text']!r}" for t in plot["titles"] for b in plot["buttons"] if _overlap(t, b)
    ]
    if covered:
        out["toolbar"] = "; ".join(covered)
    crowded = []
    for labels in plot["ticks"]:
        labels = sorted(labels, key=lambda b: (b["top"], b["left"]))
        crowded += [f"{a['text']!r} on {b['text']!r}" for a, b in zip(labels, labels[1:]) if _overlap(a, b)]
    if crowded:
        out["ticks"] = "; ".join(crowded)
    on_legend = [f"{a['text']!r}" for a in plot["axis_titles"] if _overlap(a, plot["legend"])]
    if on_legend:
        out["legend"] = "axis title on the legend: " + ", ".join(on_legend)
    if plot["smallest"] < MIN_FONT:
        out["font"] = f"text of {plot['smallest']:g} px"
    return out


def _wait_for_plots(app: AppPage, tab_id: str) -> list[dict]:
    """The boxes once every visible plot of the tab is drawn with its title and has its container's width ([]
    for a tab without plots)."""
    try:
        wait_until(lambda: app.plots().count(), f"{tab_id}: a plot", timeout=PLOTLESS_S)
    except AssertionError:
        return []
    wait_until(
        lambda: app.page.evaluate(BOXES_JS),
        f"{tab_id}: every plot drawn with a title",
        ok=lambda boxes: boxes and all(b["titles"] for b in boxes),
    )
    app.wait_for_widths()
    app.page.wait_for_timeout(500)  # a resize redraws once more after the widths agree
    return app.page.evaluate(BOXES_JS)


@pytest.fixture(scope="module")
def page(browser, app_url):
    app = AppPage(browser, app_url, PHONE)
    yield app
    app.close()


@pytest.mark.parametrize("size", [PHONE, PROJECTOR], ids=["phone", "projector"])
def test_every_plot_title_fits_its_plot(page, size):
    page.page.set_viewport_size({"width": size[0], "height": size[1]})
    failing, measured = {}, 0
    for module in tab_modules():
        tab = SimpleNamespace(id=module.TAB_ID, name=tab_title(module.TAB_ID))
        page.select_tab(tab)
        for index, plot in enumerate(_wait_for_plots(page, tab.id)):
            measured += 1
            for check, what in plot_problems(plot).items():
                failing[(plot["id"], check)] = f"{tab.id}: {what}"
                shot = str(SHOTS / f"titles-{size[0]}-{plot['id']}.png")
                try:  # a picture for whoever fixes it; not part of the check
                    page.plots().nth(index).screenshot(path=shot, timeout=10_000)
                except Exception:  # noqa: BLE001 - a plot redrawn under the shot: the check has its numbers
                    pass
    assert measured > 20, f"only {measured} plots measured at {size[0]} px: the test would show little"
    page.assert_no_errors()
    known = {(plot, check) for width, plot, check in NOT_YET if width == size[0]}
    new = {k: v for k, v in failing.items() if k not in known}
    assert not new, f"at {size[0]} px, plots that do not fit (plot, check): " + "\n".join(
        f"{k}: {v}" for k, v in new.items()
    )
    fixed = sorted(known - set(failing))
    if fixed:  # Chromium builds differ in font metrics (CI's passed two entries Debian's fails): report, not fail
        warnings.warn(
            f"at {size[0]} px, NOT_YET entries that pass here (remove them once they pass on both): {fixed}",
            stacklevel=1,
        )
