"""Live plots: a figure update is drawn into the plot already on the page with `Plotly.react`, not by Gradio
remounting its plot component.

Why (issue 27, measured in headless Chromium): Gradio 6.31's `gr.Plot` remounts its plotly child on every new
value (`{#key}` in js/plot/shared/Plot.svelte), so each update builds a fresh `<div>`, runs `Plotly.react` on it
(a full `newPlot`) and then `Plotly.Plots.resize` (a second full layout): 1–2.5 s per slider move on this machine
while the server answered in 30–90 ms. Drawing the same figure into the existing div with `Plotly.react` lets
plotly diff it against what is drawn (`python -m benchmarks.browser` measures it).

How: each kit plot is a visible `gr.Plot` (export buttons, full screen; first drawn with an empty figure so its
plotly div exists) and a hidden figure carrier, a `gr.JSON`. Views, loads, scenes and links write the carrier,
under the plot's name; `send_figures` turns each figure bound for a carrier into what `gr.Plot` would have sent
({"type": "plotly", "plot": "<figure JSON>"}), so the API returns the same figures; the carrier's client-side
`change` listener (`draw_js`) draws it into the visible plot. The figure stays a pure function of the controls.

What is sent is also smaller: plotly encodes numeric arrays as base64 float64 (`"bdata"`, dtype "f8");
`figure_json` sends them as float32 ("f4"), 7 significant digits, far below a pixel of any plot here,
and half the bytes (a 2,000-point scatter, a 150² density).
"""

from __future__ import annotations

import base64
import functools
import inspect
import json

import numpy as np

KEEP_F8_BELOW = 16  # arrays this short (axis ranges, a few markers) stay float64: nothing to save


def _compact(node):
    """Every float64 `bdata` array in a plotly JSON tree, as float32 (in place)."""
    if isinstance(node, dict):
        if node.get("dtype") == "f8" and isinstance(node.get("bdata"), str):
            raw = base64.b64decode(node["bdata"])
            if len(raw) // 8 >= KEEP_F8_BELOW:
                values = np.frombuffer(raw, dtype="<f8").astype("<f4")
                node["bdata"] = base64.b64encode(values.tobytes()).decode("ascii")
                node["dtype"] = "f4"
            return node
        for value in node.values():
            _compact(value)
    elif isinstance(node, list):
        for value in node:
            _compact(value)
    return node


def figure_json(fig) -> str:
    """A plotly figure's JSON as the page receives it: float64 arrays sent as float32."""
    return json.dumps(_compact(json.loads(fig.to_json())), separators=(",", ":"))


def payload(fig) -> dict | None:
    """What a `gr.Plot` sends for this figure, with `figure_json`'s compact arrays."""
    if fig is None:
        return None
    return {"type": "plotly", "plot": figure_json(fig)}


CARRIER_CLASS = "rr-plot-data"  # marks the hidden figure carriers (elem_classes)


def carrier(gr):
    """A hidden component holding a plot's figure, as `payload` (a `gr.JSON` in the page but not shown:
    `visible="hidden"` keeps it mounted, so its updates stay cheap; an unmounted component costs Gradio a walk
    of the whole component tree per update)."""
    return gr.JSON(visible="hidden", elem_classes=[CARRIER_CLASS])


def is_carrier(component) -> bool:
    return CARRIER_CLASS in (getattr(component, "elem_classes", None) or [])


def as_sent(value):
    """What a handler's value for a carrier becomes: a figure its `payload`; anything else (None, a payload,
    `gr.skip()`) as it is."""
    return value if value is None or isinstance(value, dict) or not hasattr(value, "to_json") else payload(value)


def send_figures(demo) -> None:
    """Make every event of the app send `payload`s to the figure carriers: a handler returns figures, by name
    or position like any output, and the figures bound for a carrier are serialised here, once, for all tabs
    (a carrier is a plain `gr.JSON`). Called once the whole app is built, like `app.share_workers`."""
    for block_fn in demo.fns.values():
        if block_fn.fn is None:
            continue
        targets = [i for i, out in enumerate(block_fn.outputs) if is_carrier(out)]
        if targets:
            block_fn.fn = _sending(block_fn.fn, targets, block_fn.outputs)


def _sending(fn, targets: list[int], outputs: list):
    """`fn` with its figures for the outputs at `targets` (positions) turned into payloads."""
    if inspect.isgeneratorfunction(fn) or inspect.iscoroutinefunction(fn):
        raise TypeError(f"{fn.__name__}: a handler that fills a live plot must be a plain function")
    carriers = {id(outputs[i]) for i in targets}
    single = len(outputs) == 1
    convert = as_sent

    @functools.wraps(fn)
    def sending(*args, **kwargs):
        out = fn(*args, **kwargs)
        if isinstance(out, dict) and any(not isinstance(k, str) for k in out):  # {component: value}
            return {k: convert(v) if id(k) in carriers else v for k, v in out.items()}
        if single:
            return convert(out)
        if isinstance(out, (tuple, list)):
            return type(out)(convert(v) if i in targets else v for i, v in enumerate(out))
        return out

    return sending


def empty_figure() -> dict:
    """The first value of a live plot: an empty, axis-less figure, so that its plotly div exists on the page.
    Its template is empty: the default one (7.6 kB of JSON) was copied into every plot of the page's config, 400 of
    its 1,900 kB, and an empty white plot looks the same without it."""
    layout = {"xaxis": {"visible": False}, "yaxis": {"visible": False}, "margin": {"t": 10, "b": 10}, "template": {}}
    return {"data": [], "layout": layout}


def draw_js(elem_id: str, show_label: bool) -> str:
    """Client-side listener of a carrier: draw its figure into the plot `elem_id` with `Plotly.react`, with the
    layout settings Gradio's own plot applies (autosize, responsive, room for a title under a label). If plotly
    or the plot is not on the page yet (the first figure arrives while plotly's script loads), it retries for
    a few seconds. A figure identical to the one it last drew there is not drawn again (a view returns every
    plot it owns; most events change one): the plot remembers the JSON it drew, forgotten when Play restyles it.

    The plot's div gets the figure's height as its own CSS height: plotly's resize (on a window resize, and on
    every tab show, `sharing.RESIZE_JS`) deletes a layout height that comes without a width and then sizes the
    plot to 100 % of its div; a div without a height of its own collapsed to 0 px once the window was resized
    while its tab was hidden (a phone turned, a projector window widened)."""
    return (
        "(v) => { if (!v || !v.plot) return undefined; const id = " + json.dumps(elem_id) + ";"
        " const label = " + ("true" if show_label else "false") + ";"
        " const root = document.getElementById(id);"
        " const shown = root && root.querySelector('[data-testid=plotly]');"
        " if (shown && shown.__rrLast === v.plot) return {drawn: 'unchanged'};"
        " const f = JSON.parse(v.plot); f.layout = f.layout || {}; f.layout.autosize = true;"
        " f.layout.margin = f.layout.margin || {};"
        " if (f.layout.title && label) f.layout.margin.t = Math.max(100, f.layout.margin.t || 0);"
        " f.layout.margin.autoexpand = true;"
        " const config = Object.assign({}, f.config || {}, {responsive: true});"
        " const draw = (tries) => {"
        "  const r = document.getElementById(id);"
        "  const gd = r && r.querySelector('[data-testid=plotly]');"
        "  if (!gd || !window.Plotly) { if (tries > 0) setTimeout(() => draw(tries - 1), 100); return; }"
        "  gd.style.height = f.layout.height ? f.layout.height + 'px' : '';"
        "  window.Plotly.react(gd, f.data, f.layout, config); gd.__rrLast = v.plot;"
        "  if (!gd.__rrWatch && gd.on) { gd.__rrWatch = true; gd.on('plotly_restyle', () => { gd.__rrLast = null; }); }"
        " };"
        " draw(50); return {drawn: f.layout.title ? (f.layout.title.text || '') : ''}; }"
    )


# Gradio 6.31's page keeps a loading status for every *input* of every event that has completed: at "complete" it
# marks the event's stream "closed" (js/core/src/dependency.ts, for every event, streaming or not) and the status
# store then records each input as a streamed input (`LoadingStatus.resolve_args`: type "input" when a stream
# state is set). The store never forgets a component, and at every stage of every later event it pushes each
# status to its component (`update_loading_stati_state`: a search of the component tree and a snapshot of the
# component's props, per status). After a visit to every tab that was 148 statuses and ~15 pushes of each per
# slider move: 0.5-1 s of the page's main thread per event, growing as the page is used (issue 27). The app has
# no streaming event, so an input's status shows nothing; this drops those entries after each update of the
# store, except a component that is also the event's own progress target (an input and an output at once: Gradio
# labels it "input" too, and dropping it would leave its last "pending" spinner on screen). It finds the store's
# class in Gradio's own statustracker module (the same module instance: imported by the URL the page loaded it
# from) and patches its prototype once; with another Gradio build, where the module or the method is not found,
# it does nothing (app.py launches the client-rendered build, whose module names these are).
DROP_INPUT_STATUSES_JS = """
(() => {
  const patch = async () => {
    const entry = performance.getEntriesByType('resource')
      .find((e) => /\\/statustracker-[^/]*\\.js(\\?|$)/.test(e.name));
    if (!entry) return false;
    const mod = await import(entry.name);
    for (const value of Object.values(mod)) {
      const found = [value, ...(value && typeof value === 'object' ? Object.values(value) : [])];
      for (const cls of found) {
        const proto = typeof cls === 'function' ? cls.prototype : null;
        if (!proto || typeof proto.resolve_args !== 'function' || typeof proto.update !== 'function') continue;
        if (proto.__rr_inputs_dropped) return true;
        const update = proto.update;
        proto.update = function (args) {
          update.call(this, args);
          for (const [id, status] of Object.entries(this.current)) {
            const own = (this.fn_outputs[status && status.fn_index] || []).includes(Number(id));
            if (status && status.type === 'input' && !own) delete this.current[id];
          }
        };
        proto.__rr_inputs_dropped = true;
        return true;
      }
    }
    return true;
  };
  let tries = 0;
  const attempt = () => patch().then((done) => { if (!done && ++tries < 100) setTimeout(attempt, 100); })
    .catch(() => {});
  attempt();
})();
"""
