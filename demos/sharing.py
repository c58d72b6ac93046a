"""Shareable state: a URL such as `/?tab=reverse&preset=grid25&sampler=ddim&steps=10` opens a tab with
those settings. Each tab declares its controls once (name, default, how to read it from a query
string); the same list builds the "link to this view" button and reads the URL back on load."""

from __future__ import annotations

import json
import logging
import math
import reprlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


def as_bool(text: str) -> bool:
    """A switch from a URL: 1/true/yes/on and 0/false/no/off (any other text is refused, not read as off)."""
    word = str(text).strip().lower()
    if word in {"1", "true", "yes", "on"}:
        return True
    if word in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"{text!r} is not true or false")


def as_int(text: str) -> int:
    """A whole number from a URL, written any way a person might: 20, 20.0, 1e3 (a fraction is refused)."""
    value = float(text)
    if not math.isfinite(value) or value != round(value) or abs(value) > 2**53:
        raise ValueError(f"{text!r} is not a whole number")
    return int(round(value))


def as_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number")
    return value


@dataclass(frozen=True)
class Control:
    name: str  # query-string key and API argument name
    default: Any
    parse: Callable[[str], Any] = str


def _warn(message: str) -> None:
    """A warning toast when called inside an event, a log line otherwise."""
    logging.getLogger("reading_room").info("link: %s", message)
    try:
        import gradio as gr

        gr.Warning(message)
    except Exception:  # outside an event (tests, notebooks): the log line is enough
        pass


def values_from_query(controls: list[Control], query: dict[str, str]) -> list:
    """Control values from a URL's query: the default where a key is absent; where a value cannot be read
    (`steps=abc`) the default too, with a warning toast naming it, so one bad value drops only itself.

    The values still go through the tab's own validation, which reports what is wrong (a tab's `load`
    can drop each invalid value alone with `drop_invalid`)."""
    values = []
    for c in controls:
        if c.name not in query:
            values.append(c.default)
            continue
        try:
            values.append(c.parse(query[c.name]))
        except (TypeError, ValueError, OverflowError):
            _warn(f"This link's {c.name}={reprlib.repr(query[c.name])} could not be read; using {c.default!r}.")
            values.append(c.default)
    return values


def drop_invalid(controls: list[Control], values: list, check: Callable[[list], Any], defaults=None) -> list:
    """`values` with each value that `check` refuses replaced by its default, one warning toast per value
    dropped (naming it and why), so a link with one bad value still opens everything else it holds.

    `check(values)` raises ValueError on an invalid set (it must be cheap: it is called once per control).
    Controls are tried in order, each with the ones before it as given (after dropping) and the ones after
    it at their defaults, so a value that depends on an earlier one (t on the process) is judged against
    it. `defaults(i, values)` may give a default that depends on earlier values (t's range)."""
    values = list(values)

    def default_at(j: int, current: list):
        return defaults(j, current) if defaults is not None else controls[j].default

    for i, c in enumerate(controls):
        trial = values[: i + 1]
        for j in range(i + 1, len(controls)):
            trial.append(default_at(j, trial + values[j:]))
        try:
            check(trial)
        except ValueError as err:
            default = default_at(i, values)
            _warn(f"This link's {c.name}={reprlib.repr(values[i])} was not used ({err}); using {default!r}.")
            values[i] = default
    return values


def wanted_tab(query: dict[str, str], tab_ids: list[str]) -> str:
    """The tab a URL asks for; an unknown `tab=` opens the first tab with a warning naming it."""
    wanted = query.get("tab", tab_ids[0])
    if wanted not in tab_ids:
        _warn(f"This link's tab={reprlib.repr(wanted)} is not a tab here; opening {tab_ids[0]!r}.")
        return tab_ids[0]
    return wanted


def link_js(tab_id: str, controls: list[Control]) -> str:
    """Client-side JS for a button: build this page's URL with the tab's current settings."""
    names = json.dumps([c.name for c in controls])
    return (
        "(...values) => { const names = " + names + "; const p = new URLSearchParams({tab: '" + tab_id + "'});"
        " names.forEach((n, i) => p.set(n, String(values[i])));"
        " return window.location.origin + window.location.pathname + '?' + p.toString(); }"
    )


FIRST_TAB = "syllabus"  # the tab a URL without `tab=` opens (demos.tabs.TAB_NAMES[0])
RESIZE_JS = "() => { setTimeout(() => window.dispatchEvent(new Event('resize')), 80); }"


# ---------------------------------------------------------------------------- a slider whose range follows a choice
# How a tab with a process (or grid) control and a time slider whose range depends on it must do it (issue 19):
#
# 1. Keep the choice the slider's range was made for in a hidden `gr.Textbox(visible=False)`, and make it one of
#    the tab's outputs: `load` (links, scenes, reset) returns the slider with its range and value together *and*
#    that box, so the two never disagree. Not a `gr.State`: a State lives on the server and is already updated
#    when a duplicate of the same event arrives (measured here: one choice in a dropdown ran its `.input`
#    handler twice, 0.1-0.3 s apart, both with the old slider value), so the duplicate would rescale twice.
#    A hidden box's value travels with the slider's, so a duplicate computes the same answer.
# 2. Switch in ONE event whose inputs do NOT include the slider itself but a hidden mirror of it
#    (`mirror_slider`): `choice.input(range_switch(...), [..., mirror, ..., box], [slider, box, *outputs])`.
#    It computes the new value with `keep_relative` (t = 250 of [-1, 999] → t ≈ 0.25 of [0, 1]) and the view
#    from it, and returns `gr.Slider(minimum=, maximum=, step=, value=)`, the box and the figures. Why: Gradio
#    checks a slider input against the slider's range *on the server*, and that range is already the new one
#    when a duplicate of the event (or a `.then` chained after it) arrives with the old value still in the
#    browser: "Value 250 is greater than maximum value 1.0", an error toast. A hidden gr.Number has no range.
#    Never chain `.then(view, controls, ...)` after an event that changes a slider's range, for the same reason;
#    any event a dropdown triggers that also reads a slider whose range it changes should read the mirror.
# 3. Test it: tests/app/test_browser.py switches every pair of processes and fails on any error toast.


def keep_relative(value, old: tuple, new: tuple) -> float:
    """`value` moved to the same relative place of range `new` = (lo, hi[, step]) as it had in `old`,
    rounded to `new`'s step when that is 1 (a discrete process's integer timesteps)."""
    lo0, hi0 = float(old[0]), float(old[1])
    lo, hi = float(new[0]), float(new[1])
    try:
        frac = (float(value) - lo0) / (hi0 - lo0) if hi0 > lo0 else 0.0
    except (TypeError, ValueError):
        frac = 0.25
    if not math.isfinite(frac):
        frac = 0.25
    out = lo + min(max(frac, 0.0), 1.0) * (hi - lo)
    step = float(new[2]) if len(new) > 2 else 0.0
    if step == 1.0:
        out = float(round(out))
    elif step > 0:
        out = round(lo + round((out - lo) / step) * step, 10)
    return float(min(max(out, lo), hi))


def mirror_slider(gr, slider):
    """A hidden gr.Number that always holds `slider`'s value (copied in the browser on every change, the
    server's updates included): give it to events instead of the slider when they may change its range."""
    mirror = gr.Number(slider.value, visible=False)
    slider.change(None, slider, mirror, js="(v) => v", api_visibility="private")
    return mirror


def range_switch(
    range_of: Callable[[str], tuple],
    view: Callable,
    choice_index: int,
    value_index: int,
    info: Callable[[str], str] | None = None,
):
    """The handler of step 2 above. Inputs: the tab's control values then the hidden box (the choice the
    slider's range was made for); outputs: the slider update, the box's new value, then `view(*values)`.
    `range_of(choice)` → (lo, hi, step); `info(choice)`, if given, is the slider's new help line."""
    import gradio as gr

    def switch(*args):
        *values, previous = args
        new = range_of(values[choice_index])
        try:
            old = range_of(previous)
        except (KeyError, TypeError, ValueError):
            old = new
        values[value_index] = keep_relative(values[value_index], old, new)
        lo, hi, step = new
        extra = {"info": info(values[choice_index])} if info is not None else {}
        slider = gr.Slider(minimum=lo, maximum=hi, step=step, value=values[value_index], **extra)
        return (slider, values[choice_index], *view(*values))

    return switch


# ---------------------------------------------------------------------------- link box, reset
def stale_js(make_link: str, fixed: tuple = ()) -> str:
    """Client-side, for an event whose inputs are the tab's controls then its share box: the `fixed` values
    (e.g. an emptied scene box and the tab's own note), then the box's link, kept only while it is the link of
    the controls' current values (`make_link`, the JS the "Link to this view" button runs).

    Why a check, not a plain emptying: Gradio runs an event's handlers one after the other and a handler after
    a server call only once that call has completed, so an emptying after a scene (or a slider's view) landed
    *after* the link a person made from the scene's settings and erased it (a CI failure, reproduced by
    clicking the button while the scene loads). Checked, a link made before the move is emptied and one made
    from the settings now shown stays, whatever the order."""
    keep = "(link === now ? link : '')"
    out = keep if not fixed else "[" + ", ".join([*(json.dumps(v) for v in fixed), keep]) + "]"
    return "(...a) => { const link = a.pop(); const now = (" + make_link + ")(...a); return " + out + "; }"


# ---------------------------------------------------------------------------- Play / Stop, played in the browser
# A tab's Play sends every frame at once, in the figure's `layout.meta.play` (demos/plotting.py:
# `attach_frames`), and the browser plays them with Plotly.restyle: no server round trip per frame, so a
# 1000-step run plays as smoothly as a 10-step one. Frames are chosen where things happen (evenly in
# log-SNR: `plotting.frame_indices`). Playing stops at the last frame, on Stop, when the tab is hidden, or
# when any control changes (a new figure replaces the one being played). Then the server draws the exact
# view at the frame reached and moves the slider there. Wiring, for a main plot with elem_id ID:
#
#     status = gr.Textbox(visible=False)                     # how playing ended, read by `finish`
#     play.click(make_frames, controls, main, api_visibility="private").then(
#         finish, [*controls, status], [slider, *outputs], js=play_js(ID, controls.index(slider), len(controls)),
#         api_visibility="private")
#     stop.click(None, js=stop_js(ID), api_visibility="private")
#
# `finish(*values, status)`: status is "end", "stop" or "interrupted"; the slider's value (in `values`) is
# the frame reached. Return gr.skip()s when interrupted (a newer view is already on its way).


_PLAY_TEMPLATE = """
async (...args) => {
  const id = __ID__, vi = __VI__, n = __N__;
  const out = args.slice(0, n + 1);
  out[n] = 'interrupted';
  const find = () => {
    const r = document.getElementById(id);
    return r && r.querySelector('.js-plotly-plot');
  };
  const sleep = (ms) => new Promise((res) => setTimeout(res, ms));
  const b64 = (s, T) => {
    const b = atob(s), u = new Uint8Array(b.length);
    for (let i = 0; i < b.length; i++) u[i] = b.charCodeAt(i);
    return new T(u.buffer);
  };
  const lin = (a, b, m) => Array.from({length: m}, (_, i) => a + (b - a) * i / (m - 1));
  let gd = null, meta = null;
  const until = Date.now() + __WAIT__;
  while (Date.now() < until) {
    gd = find();
    meta = gd && gd.layout && gd.layout.meta && gd.layout.meta.play;
    if (meta && window.Plotly) break;
    await sleep(50);
  }
  if (!meta) return out;
  const P = window.Plotly, layout0 = gd.layout, token = {};
  window.__rrPlay = window.__rrPlay || {};
  window.__rrPlay[id] = token;
  gd.__rrPlaying = true;
  const frames = meta.frames, dt = meta.interval_ms || 150;
  let reached = frames[0].value, how = 'end';
  try {
    for (let k = 0; k < frames.length; k++) {
      if (window.__rrPlay[id] !== token) { how = 'stop'; break; }
      if (gd.layout !== layout0 || !gd.isConnected) { how = 'interrupted'; break; }
      if (gd.offsetParent === null) { how = 'stop'; break; }
      const f = frames[k], xs = [], ys = [], idx = [];
      f.traces.forEach((tr, j) => {
        idx.push(meta.traces[j]);
        xs.push(b64(tr.x, Float32Array));
        ys.push(b64(tr.y, Float32Array));
      });
      await P.restyle(gd, {x: xs, y: ys}, idx);
      if (f.z && meta.heatmap !== undefined && meta.heatmap !== null) {
        const w = f.z[1], h = f.z[2], flat = b64(f.z[0], Uint8Array), z = [];
        for (let r = 0; r < h; r++) z.push(Array.from(flat.subarray(r * w, (r + 1) * w)));
        const update = {z: [z], x: [lin(f.range[0], f.range[1], w)], y: [lin(f.range[2], f.range[3], h)]};
        await P.restyle(gd, update, [meta.heatmap]);
      }
      const lay = {'title.text': f.title};
      if (f.range) {
        lay['xaxis.range'] = [f.range[0], f.range[1]];
        lay['yaxis.range'] = [f.range[2], f.range[3]];
      }
      await P.relayout(gd, lay);
      reached = f.value;
      await sleep(dt);
    }
  } finally {
    gd.__rrPlaying = false;
    if (window.__rrPlay[id] === token) delete window.__rrPlay[id];
  }
  if (gd.layout !== layout0 && how !== 'stop') how = 'interrupted';
  out[vi] = reached;
  out[n] = how;
  return out;
}
"""


def play_js(elem_id: str, value_index: int, n_values: int, wait_s: float = 20.0) -> str:
    """Client-side player for the frames in the plot `elem_id`; returns the inputs with the slider's value
    (input `value_index`) set to the frame reached and the last input (the status box) set to how playing
    ended ("end", "stop" or "interrupted")."""
    return (
        _PLAY_TEMPLATE.replace("__ID__", json.dumps(elem_id))
        .replace("__VI__", str(int(value_index)))
        .replace("__N__", str(int(n_values)))
        .replace("__WAIT__", str(int(wait_s * 1000)))
    )


def stop_js(elem_id: str) -> str:
    """Client-side Stop for `play_js` (the player notices at its next frame)."""
    return "() => { if (window.__rrPlay) delete window.__rrPlay[" + json.dumps(elem_id) + "]; }"


# ---------------------------------------------------------------------------- page setup: plot sizing, keys
PAGE_CSS = """
.rr-square .js-plotly-plot { width: 100%; aspect-ratio: 1 / 1.1; max-height: 88vh; }
.rr-wide .js-plotly-plot { width: 100%; aspect-ratio: 16 / 9; max-height: 70vh; }
.scene-note p, .status p { font-size: 17px; line-height: 1.45; }
.rr-keys { font-size: 13px; color: #4b5563; }
.rr-metrics li { margin: 2px 0; }
@media (max-width: 768px) {
  .rr-square .js-plotly-plot { aspect-ratio: 1 / 1.5; max-height: none; }
  .scene-note p, .status p { font-size: 15px; }
}
"""

_SETUP_JS = """
if (!window.__rrSetup) {
  window.__rrSetup = true;
  const style = document.createElement('style');
  style.textContent = __CSS__;
  document.head.appendChild(style);
  const visible = (sel) => Array.from(document.querySelectorAll(sel)).find((e) => e.offsetParent !== null);
  document.addEventListener('keydown', (ev) => {
    const t = ev.target, tag = (t && t.tagName || '').toLowerCase();
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (tag === 'textarea' || (tag === 'input' && t.type !== 'range') || (t && t.isContentEditable)) return;
    if (ev.key === 'p' || ev.key === 'P') {
      const b = visible('.rr-play'); if (b) { ev.preventDefault(); b.click(); }
    } else if (ev.key === 'Escape') {
      const b = visible('.rr-stop'); if (b) b.click();
    } else if (ev.key === 's' || ev.key === 'S') {
      const s = visible('.rr-step input[type=range]'); if (s) { ev.preventDefault(); s.focus(); }
    }
  });
}
"""

KEYS_HINT = "Keys: **p** Play · **Esc** Stop · **s** then **← →** move the slider"


def page_setup(gr) -> None:
    """Once per page (any tab may call it in its build): the shared CSS that sizes plots by their width
    (elem_classes "rr-square": a main plot as tall as it is wide, so no blank bands on a phone and a large
    data area on a projector; "rr-wide": 16:9) and the keyboard shortcuts: p = the visible tab's Play
    (elem_classes "rr-play"), Esc = its Stop ("rr-stop"), s = focus its slider ("rr-step"; then arrow keys).
    Figures in sized plots are built with height=None (plotting.base_layout(..., height=None))."""
    js = _SETUP_JS.replace("__CSS__", json.dumps(PAGE_CSS))
    gr.HTML("", js_on_load=js, container=False, padding=False, apply_default_css=False, elem_classes=["rr-setup"])
