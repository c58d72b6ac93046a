"""Browser benchmark: how long a person at the projector waits, from moving a control to its plot being drawn.

    python -m benchmarks.browser                    # every tab, desktop and phone, fresh page and after all tabs
    python -m benchmarks.browser --tabs forward cfg --reps 7
    python -m benchmarks.browser --quick            # 2 repetitions, desktop only, fresh page only
    python -m benchmarks.browser --url http://127.0.0.1:7860/   # an app that is already running

It launches `python app.py` itself (benchmarks/load.py's launcher) and drives Debian's headless Chromium with
Playwright, like the browser tests. For each tab of `demos.tabs.tab_modules()` it moves the tab's main controls
(`CONTROLS` below, keyed by TAB_ID; a tab without an entry gets its first visible slider) back and forth, a few
times, and measures per event:

- **drawn**: from the input event (the `timeStamp` of the trusted keydown / pointerdown that moves the control)
  to the first animation frame after Plotly's `plotly_afterplot` (or `plotly_animated`) on a visible plot of the
  tab whose data differ from before the event ("first" = the first such plot, "all" = the last plot whose data
  changed); all in the page's own clock (`performance.now()`);
- **bytes**: every byte the page received in the meantime (Chrome DevTools Protocol `Network.dataReceived`: the
  queue's SSE stream, which carries the figures, and any other response), until the page has been quiet;
- how many plots changed and how many were redrawn (Plotly `afterplot` events on plots whose data stayed the same
  count as redrawn).

Each control is first moved once without measuring (then the server's caches hold both values it alternates
between; the budgets are for cached server work), then `--reps` times back and forth; the median and range are
printed against the budgets of issue 27: a main control's plot drawn in <= 300 ms on desktop (1920x1080),
<= 500 ms at phone width (390x844); any other control <= 1 s. "fresh" is a new page (new browser context) per
tab; "after all tabs" is one page per width in which every tab was visited first. Not a pass/fail test: its
figures go in a closing note (tests/app/test_browser_benchmark.py only checks that the measurement still works).
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import statistics
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DESKTOP = (1920, 1080)
PHONE = (390, 844)
BUDGET_MS = {("main", "desktop"): 300, ("main", "phone"): 500, ("other", "desktop"): 1000, ("other", "phone"): 1000}
EVENT_TIMEOUT = 60.0  # s: an event whose plot has not changed by then counts as failed
QUIET = 1.0  # s without a plot drawn or a byte received: the event's work is over
READY_QUIET = 1.5  # s without a plot drawn: a tab's view is ready
READY_TIMEOUT = 120.0
NONE = "(no slider, no entry in CONTROLS)"


# ---------------------------------------------------------------------------- how a control is moved
@dataclass(frozen=True)
class Move:
    """One control of a tab and how a person moves it. `prepare(page)` gets it ready without an input event
    (focus a slider, open a dropdown); `act(page, i)` is the measured input event, move number i (even: away
    from where it started, odd: back)."""

    label: str  # as printed
    prepare: Callable
    act: Callable
    kind: str = "main"  # "main" (budget 300 / 500 ms) or "other" (1 s)


def _slider_locator(page, label: str):
    return page.locator(f'input[type=range][aria-label="range slider for {label}"]:visible:enabled').first


def slider(label: str, kind: str = "main") -> Move:
    """A keyboard user on a slider: focus it, then one arrow key per event (right first, left if at its max)."""

    def prepare(page):
        loc = _slider_locator(page, label)
        loc.focus()
        if not hasattr(page, "_bb_first_key"):
            page._bb_first_key = {}
        if label not in page._bb_first_key:
            at_max = loc.evaluate("e => parseFloat(e.value) >= parseFloat(e.max)")
            page._bb_first_key[label] = "ArrowLeft" if at_max else "ArrowRight"

    def act(page, i):
        first = page._bb_first_key[label]
        other = "ArrowLeft" if first == "ArrowRight" else "ArrowRight"
        page.keyboard.press(first if i % 2 == 0 else other)

    return Move(label, prepare, act, kind)


def dropdown(label: str, there: str, back: str, kind: str = "other") -> Move:
    """Choose `there`, then `back`, alternately, in the dropdown named `label` (opened before the event)."""

    def prepare(page):
        page.get_by_role("combobox", name=label).filter(visible=True).first.click()
        page.get_by_role("option").filter(visible=True).first.wait_for()

    def act(page, i):
        option = there if i % 2 == 0 else back
        page.get_by_role("option", name=option, exact=True).filter(visible=True).first.click()

    return Move(f"{label}: {back} ↔ {there}", prepare, act, kind)


def radio(title: str, there: str, back: str, kind: str = "main") -> Move:
    """Click the radio button `there`, then `back`, alternately."""

    def act(page, i):
        name = there if i % 2 == 0 else back
        page.get_by_role("radio", name=name, exact=True).filter(visible=True).first.click()

    return Move(f"{title}: {back} ↔ {there}", lambda page: None, act, kind)


# The main controls of each tab, keyed by TAB_ID (one place, so it can move into each tab's spec later).
# A tab that is not listed gets its first visible slider.
CONTROLS: dict[str, list[Move]] = {
    "forward": [slider("t (process time)")],
    "reverse": [slider("Show step"), dropdown("Sampler", "DPM-Solver++(2M)", "DDIM")],
    "ddim": [radio("DDIM cell S", "20", "10")],
    "learned": [slider("t (DDPM timestep of the error map)")],
    "cfg": [slider("Guidance w (Ho & Salimans)")],
    "inpaint": [slider("Known x₁"), slider("SDEdit t₀")],
    "langevin": [slider("Level shown"), slider("log₁₀ σ of the score field")],
    "pfode": [slider("t / T along the ODE (0 = data, 1 = prior)")],
    "race": [slider("NFE budget")],
    "elbo": [
        radio("DDPM steps T", "20", "10"),
        dropdown("Log-SNR end points g = log(α²/σ²)", "wide (g from −12 to 20)", "narrow (g from −6 to 4)"),
    ],
    "data": [dropdown("Start from a preset", "Smiley", "Two moons", kind="main")],
}


def controls_of(page, tab_id: str) -> list[Move]:
    """The tab's entry in CONTROLS, else its first visible slider (none for a tab without one)."""
    if tab_id in CONTROLS:
        return CONTROLS[tab_id]
    labels = page.locator("input[type=range]:visible").evaluate_all(
        "els => els.map(e => (e.getAttribute('aria-label') || '').replace(/^range slider for /, ''))"
    )
    return [slider(labels[0])] if labels else []


# ---------------------------------------------------------------------------- what the page records
RECORDER = """
(() => {
  if (window.__bb) return;
  const bb = window.__bb = {draws: [], inputs: [], hooked: new WeakSet()};
  bb.sig = (gd) => {
    const s = JSON.stringify(gd.data || []);
    let h = 0;
    for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
    return s.length + ':' + h;
  };
  bb.visible = () => [...document.querySelectorAll('.js-plotly-plot')].filter((e) => e.offsetParent !== null);
  bb.hook = (gd) => {
    if (bb.hooked.has(gd) || typeof gd.on !== 'function') return;
    bb.hooked.add(gd);
    const drawn = () => {
      const t = performance.now();
      // the frame that shows the drawing; the signature is taken after it, outside the measured time
      requestAnimationFrame(() => {
        const frame = performance.now();
        setTimeout(() => bb.draws.push({gd, t, frame, sig: bb.sig(gd)}), 0);
      });
    };
    gd.on('plotly_afterplot', drawn);
    gd.on('plotly_animated', drawn);
  };
  bb.hookAll = () => document.querySelectorAll('.js-plotly-plot').forEach(bb.hook);
  setInterval(bb.hookAll, 250);
  for (const type of ['keydown', 'pointerdown', 'mousedown', 'touchstart']) {
    document.addEventListener(type, (e) => { if (e.isTrusted) bb.inputs.push({type, t: e.timeStamp}); }, true);
  }
  bb.arm = () => {
    bb.hookAll();
    const plots = bb.visible();
    bb.armed = {plots, before: plots.map(bb.sig), nDraws: bb.draws.length, nInputs: bb.inputs.length,
                t: performance.now()};
    return plots.length;
  };
  bb.result = () => {
    const a = bb.armed, now = performance.now();
    const input = bb.inputs.slice(a.nInputs)[0];
    if (!input) return {now, t0: null};
    const t0 = input.t;
    const draws = bb.draws.slice(a.nDraws).filter((d) => d.t >= t0);
    const first = [], changedNow = [];
    let redrawn = 0, last = t0;
    a.plots.forEach((gd, i) => {
      const mine = draws.filter((d) => d.gd === gd);
      if (mine.length) redrawn += 1;
      const hit = mine.find((d) => d.sig !== a.before[i]);
      if (hit) first.push(hit.frame - t0);
      changedNow.push(mine.length ? mine[mine.length - 1].sig !== a.before[i] : false);
    });
    for (const d of draws) last = Math.max(last, d.frame);
    return {now, t0, first, redrawn, nPlots: a.plots.length, changedNow, lastDraw: last,
            sinceDraw: now - last, nDraws: draws.length};
  };
  bb.ready = () => {
    bb.hookAll();
    const plots = bb.visible();
    const drawn = plots.every((gd) => gd._fullLayout && (gd.data || []).length > 0);
    const last = bb.draws.length ? bb.draws[bb.draws.length - 1].frame : 0;
    return {n: plots.length, drawn, sinceDraw: performance.now() - last};
  };
})();
"""


class Bytes:
    """Response body bytes received by one page, from the DevTools protocol (`dataLength`, decoded; the wire
    count `encodedDataLength` is not used: Chromium reports it for a streamed response only when it ends)."""

    def __init__(self, page):
        self.body = 0
        self.last = time.monotonic()
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.on("Network.dataReceived", self._on_data)
        self.cdp.on("Network.loadingFinished", lambda p: self._touch())
        self.cdp.send("Network.enable")

    def _touch(self):
        self.last = time.monotonic()

    def _on_data(self, params):
        self.body += int(params.get("dataLength", 0))
        self._touch()


@dataclass
class Page:
    """A browser page on the app with the recorder and the byte counter attached."""

    context: object
    page: object
    bytes: Bytes
    width: str  # "desktop" or "phone"
    url: str

    def close(self):
        self.context.close()


def open_page(browser, url: str, size: tuple[int, int]) -> Page:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    context.add_init_script(RECORDER)
    page = context.new_page()
    page.set_default_timeout(60_000)
    counter = Bytes(page)
    page.goto(url, wait_until="domcontentloaded")
    page.locator("[role=tablist]").first.wait_for(timeout=READY_TIMEOUT * 1000)
    return Page(context, page, counter, "phone" if size[0] < 800 else "desktop", url)


@functools.cache
def app_config(url: str) -> dict:
    with urllib.request.urlopen(url.rstrip("/") + "/config", timeout=30) as r:
        return json.load(r)


def tab_names(url: str) -> dict[str, str]:
    """{TAB_ID: the tab button's text}, from the app's Gradio config (the phone's "More tabs" list has no ids)."""
    return {
        c["props"]["id"]: c["props"]["label"]
        for c in app_config(url)["components"]
        if c.get("type") == "tabitem" and c.get("props", {}).get("id")
    }


def tab_has_plots(url: str, tab_id: str) -> bool:
    """Whether the tab's layout holds a gr.Plot (from the config; True if the config does not say)."""
    config = app_config(url)
    by_id = {c["id"]: c for c in config["components"]}

    def walk(node):
        yield node["id"]
        for child in node.get("children", []) or []:
            yield from walk(child)

    def find(node):
        c = by_id.get(node["id"], {})
        if c.get("type") == "tabitem" and c.get("props", {}).get("id") == tab_id:
            return node
        for child in node.get("children", []) or []:
            hit = find(child)
            if hit is not None:
                return hit
        return None

    tab = find(config.get("layout", {"id": None})) if "layout" in config else None
    if tab is None:
        return True
    return any(by_id.get(i, {}).get("type") == "plot" for i in walk(tab))


def select_tab(p: Page, tab_id: str) -> None:
    """Click the tab's button like a person; at phone width, tabs that do not fit are behind "More tabs"."""
    page = p.page
    button = page.locator(f'[role=tab][data-tab-id="{tab_id}"]')
    if button.count() and button.first.is_visible():
        button.first.click()
    else:
        name = tab_names(p.url)[tab_id]
        page.get_by_role("button", name="More tabs").click()
        page.locator(".overflow-dropdown button", has_text=name).first.click()
    deadline = time.monotonic() + 30
    selected = "[role=tab][aria-selected=true]"
    while page.locator(selected).first.get_attribute("data-tab-id") != tab_id:
        if time.monotonic() > deadline:
            raise RuntimeError(f"tab {tab_id} was not selected")
        time.sleep(0.1)


def wait_ready(p: Page, timeout: float = READY_TIMEOUT) -> int:
    """Wait until the visible plots are drawn and none has been redrawn for READY_QUIET s; return their count."""
    plots = tab_has_plots(p.url, p.page.locator("[role=tab][aria-selected=true]").first.get_attribute("data-tab-id"))
    start = time.monotonic()
    deadline = start + timeout
    while True:
        state = p.page.evaluate("() => window.__bb.ready()")
        quiet_net = time.monotonic() - p.bytes.last
        if state["n"] and state["drawn"] and state["sinceDraw"] >= READY_QUIET * 1000 and quiet_net >= 0.5:
            return state["n"]
        if not state["n"] and not plots and time.monotonic() > start + 2 and quiet_net >= 1:  # no plots
            return 0
        if time.monotonic() > deadline:
            raise RuntimeError(f"the view was not ready after {timeout:.0f} s: {state}")
        time.sleep(0.1)


# ---------------------------------------------------------------------------- one measured event
@dataclass
class Event:
    first_ms: float  # input -> first changed plot drawn (nan if none changed in time)
    all_ms: float  # input -> last changed plot drawn
    body_bytes: int
    changed: int  # plots whose data changed
    redrawn: int  # plots drawn again (changed or not)
    plots: int  # visible plots of the tab


def measure_event(p: Page, move: Move, i: int, timeout: float = EVENT_TIMEOUT) -> Event:
    """Move the control once (move number i) and wait until its plots are drawn and the page is quiet."""
    page = p.page
    move.prepare(page)
    page.evaluate("() => window.__bb.arm()")
    body0 = p.bytes.body
    move.act(page, i)
    deadline = time.monotonic() + timeout
    result = None
    while True:
        time.sleep(0.05)
        result = page.evaluate("() => window.__bb.result()")
        changed = result["t0"] is not None and bool(result["first"])
        quiet = result["t0"] is not None and result["sinceDraw"] >= QUIET * 1000
        if changed and quiet and time.monotonic() - p.bytes.last >= QUIET:
            break
        if time.monotonic() > deadline:
            break
    first = result.get("first") or []
    return Event(
        first_ms=min(first) if first else math.nan,
        all_ms=max(first) if first else math.nan,
        body_bytes=p.bytes.body - body0,
        changed=len(first),
        redrawn=result.get("redrawn", 0),
        plots=result.get("nPlots", 0),
    )


@dataclass
class Measurement:
    tab: str
    control: str
    kind: str
    width: str  # desktop / phone
    page: str  # fresh / after all tabs
    events: list[Event] = field(default_factory=list)
    error: str | None = None
    load: float = field(default_factory=lambda: os.getloadavg()[0])  # 1-min load average when it started

    def ok(self) -> list[Event]:
        return [e for e in self.events if not math.isnan(e.first_ms)]

    @property
    def budget(self) -> int:
        return BUDGET_MS[(self.kind, self.width)]


def measure(p: Page, tab_id: str, move: Move, reps: int = 5, warmup: int = 1, page_kind: str = "fresh") -> Measurement:
    """`warmup` unmeasured moves, then `reps` measured ones. One is enough for the server to have both values
    cached: the view shown already had the first, the warm-up move computes the second."""
    m = Measurement(tab_id, move.label, move.kind, p.width, page_kind)
    try:
        for i in range(warmup):
            measure_event(p, move, i)
        for i in range(warmup, warmup + reps):
            m.events.append(measure_event(p, move, i))
    except Exception as err:  # noqa: BLE001 - reported in the table, the benchmark goes on
        m.error = f"{type(err).__name__}: {' '.join(str(err).split())[:160]}"
    return m


def failed(tab_id: str, width: str, page_kind: str, err: Exception) -> Measurement:
    m = Measurement(tab_id, "(tab)", "main", width, page_kind)
    m.error = f"{type(err).__name__}: {' '.join(str(err).split())[:160]}"
    return m


# ---------------------------------------------------------------------------- the runs
def tab_ids(only: list[str] | None = None) -> list[str]:
    from demos.tabs import tab_modules

    ids = [m.TAB_ID for m in tab_modules()]
    if only:
        unknown = sorted(set(only) - set(ids))
        if unknown:
            raise SystemExit(f"unknown tab(s) {unknown}; the tabs are {ids}")
        ids = [t for t in ids if t in only]
    return ids


def run_fresh(browser, url, size, ids, reps, warmup, say) -> list[Measurement]:
    out = []
    for tab_id in ids:
        p = open_page(browser, url, size)
        try:
            select_tab(p, tab_id)
            wait_ready(p)
            moves = controls_of(p.page, tab_id)
            if not moves:
                out.append(Measurement(tab_id, NONE, "main", p.width, "fresh"))
                say(f"  {tab_id}: no control to measure (no slider and no entry in CONTROLS)")
            for move in moves:
                m = measure(p, tab_id, move, reps, warmup, "fresh")
                say(f"  {p.width} fresh {tab_id} · {move.label}: {brief(m)}")
                out.append(m)
        except Exception as err:  # noqa: BLE001 - one tab's failure is reported, the others are measured
            out.append(failed(tab_id, p.width, "fresh", err))
            say(f"  {p.width} fresh {tab_id}: ERROR {out[-1].error}")
        finally:
            p.close()
    return out


def run_after_all_tabs(browser, url, size, ids, reps, warmup, say) -> list[Measurement]:
    from demos.tabs import tab_modules

    out = []
    p = open_page(browser, url, size)
    try:
        for module in tab_modules():  # every tab, not only the measured ones
            select_tab(p, module.TAB_ID)
            wait_ready(p)
        for tab_id in ids:
            try:
                select_tab(p, tab_id)
                wait_ready(p)
                for move in controls_of(p.page, tab_id):
                    m = measure(p, tab_id, move, reps, warmup, "after all tabs")
                    say(f"  {p.width} after-all {tab_id} · {move.label}: {brief(m)}")
                    out.append(m)
            except Exception as err:  # noqa: BLE001
                out.append(failed(tab_id, p.width, "after all tabs", err))
                say(f"  {p.width} after-all {tab_id}: ERROR {out[-1].error}")
    except Exception as err:  # noqa: BLE001 - visiting the tabs failed
        out.append(failed("(every tab)", p.width, "after all tabs", err))
        say(f"  {p.width} after-all: ERROR {out[-1].error}")
    finally:
        p.close()
    return out


# ---------------------------------------------------------------------------- the table
def ms_range(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}–{max(values):,.0f})"


def kb(values: list[int]) -> str:
    return f"{statistics.median(values) / 1024:,.1f}" if values else "-"


def brief(m: Measurement) -> str:
    ok = m.ok()
    text = f"first {ms_range([e.first_ms for e in ok])} ms, all {ms_range([e.all_ms for e in ok])} ms, "
    text += f"{kb([e.body_bytes for e in ok])} kB/event ({', '.join(f'{e.body_bytes / 1024:.0f}' for e in ok)})"
    if ok:
        e = sorted(ok, key=lambda e: e.all_ms)[len(ok) // 2]
        text += f", plots {e.changed}/{e.redrawn}/{e.plots}"
    if len(ok) < len(m.events):
        text += f", {len(m.events) - len(ok)} without a change"
    return text + (f"; ERROR {m.error}" if m.error else "")


def verdict(m: Measurement) -> str:
    if m.control == NONE:
        return "not measured"
    ok = m.ok()
    if m.error or not ok:
        return "FAILED"
    return "ok" if statistics.median(e.all_ms for e in ok) <= m.budget else "OVER"


def table(rows: list[Measurement]) -> str:
    head = (
        f"{'tab · control':<40}{'width':<8}{'page':<15}{'budget':>6}  {'first drawn ms':<21}{'all drawn ms':<21}"
        f"{'kB/event':<19}{'plots':<8}{'load':>5}  verdict"
    )
    lines = [head, "-" * len(head)]
    for m in rows:
        ok = m.ok()
        plots = "-"
        if ok:
            e = sorted(ok, key=lambda e: e.all_ms)[len(ok) // 2]
            plots = f"{e.changed}/{e.redrawn}/{e.plots}"
        body = [e.body_bytes / 1024 for e in ok]
        kbs = f"{statistics.median(body):,.1f} ({min(body):,.0f}–{max(body):,.0f})" if body else "-"
        name = f"{m.tab} · {m.control}"
        lines.append(
            f"{name[:39]:<40}{m.width:<8}{m.page:<15}{m.budget:>6}  {ms_range([e.first_ms for e in ok]):<21}"
            f"{ms_range([e.all_ms for e in ok]):<21}{kbs:<19}{plots:<8}"
            f"{m.load:>5.1f}  {verdict(m)}"
            + (f"  ({len(ok)}/{len(m.events)} events changed a plot)" if len(ok) < len(m.events) else "")
            + (f"  {m.error}" if m.error else "")
        )
    return "\n".join(lines)


def write_json(path: Path, rows: list[Measurement], meta: dict) -> None:
    """Every event of the run, for comparing a later run with this one."""
    data = {
        "meta": meta,
        "rows": [
            {
                "tab": m.tab,
                "control": m.control,
                "kind": m.kind,
                "width": m.width,
                "page": m.page,
                "budget_ms": m.budget,
                "load": m.load,
                "error": m.error,
                "events": [vars(e) for e in m.events],
            }
            for m in rows
        ],
    }
    path.write_text(json.dumps(data, indent=1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.browser", description=__doc__.split("\n\n")[0])
    parser.add_argument("--tabs", nargs="+", help="TAB_IDs to measure (default: every tab)")
    parser.add_argument("--reps", type=int, default=5, help="measured events per control (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured moves first (default 1)")
    parser.add_argument("--quick", action="store_true", help="2 repetitions, desktop only, fresh page only")
    parser.add_argument("--widths", nargs="+", choices=["desktop", "phone"], default=["desktop", "phone"])
    parser.add_argument("--pages", nargs="+", choices=["fresh", "after"], default=["fresh", "after"])
    parser.add_argument("--url", help="an app that is already running (default: launch `python app.py`)")
    parser.add_argument("--json", type=Path, help="also write every event to this JSON file")
    args = parser.parse_args(argv)
    if args.quick:
        args.reps, args.widths, args.pages = min(args.reps, 2), ["desktop"], ["fresh"]
    ids = tab_ids(args.tabs)

    from playwright.sync_api import sync_playwright

    from benchmarks.load import launch_app, stop_app
    from tests.app.browser import CHROMIUM, CHROMIUM_ARGS

    def say(text):
        print(text, file=sys.stderr, flush=True)

    proc, url = None, args.url
    if url is None:
        log_path = ROOT / "test-output" / "browser-bench-server.log"
        log_path.parent.mkdir(exist_ok=True)
        proc, url, startup = launch_app(log_path=log_path)
        say(f"launched python app.py (pid {proc.pid}) on {url} in {startup:.1f} s; log in {log_path}")
    loads = [os.getloadavg()]
    rows: list[Measurement] = []
    start = time.perf_counter()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                for width in args.widths:
                    size = DESKTOP if width == "desktop" else PHONE
                    if "fresh" in args.pages:
                        rows += run_fresh(browser, url, size, ids, args.reps, args.warmup, say)
                        loads.append(os.getloadavg())
                    if "after" in args.pages:
                        rows += run_after_all_tabs(browser, url, size, ids, args.reps, args.warmup, say)
                        loads.append(os.getloadavg())
            finally:
                browser.close()
    finally:
        if proc is not None:
            stop_app(proc)
    order = {t: i for i, t in enumerate(ids)}
    rows.sort(key=lambda m: (order.get(m.tab, -1), m.control, m.width != "desktop", m.page != "fresh"))
    print(
        f"Browser benchmark: input event -> changed plot drawn (headless Chromium, --disable-gpu), "
        f"{args.reps} events per control after {args.warmup} unmeasured, median (min–max)"
    )
    print(
        f"machine: {os.cpu_count()} CPUs; 1-min load average "
        + " → ".join(f"{la[0]:.2f}" for la in loads)
        + f" over {time.perf_counter() - start:.0f} s"
    )
    print("first = first plot with new data drawn; all = last plot with new data drawn (judged against the budget);")
    print("kB/event = response body bytes the page received per event (decoded), median (min–max);")
    print("plots = plots whose data changed / plots redrawn / visible plots (median event);")
    print("load = 1-min load average when the control's measurement started")
    print()
    print(table(rows))
    if args.json:
        meta = {"reps": args.reps, "warmup": args.warmup, "cpus": os.cpu_count(), "loads": loads, "url": url}
        write_json(args.json, rows, meta)
        print(f"\nevery event: {args.json}")
    return 0 if all(verdict(m) != "FAILED" for m in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
