"""Shareable state: a URL such as `/?tab=reverse&preset=grid25&sampler=ddim&steps=10` opens a tab with
those settings. Each tab declares its controls once (name, default, how to read it from a query
string); the same list builds the "link to this view" button and reads the URL back on load."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


def as_bool(text: str) -> bool:
    return str(text).strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Control:
    name: str  # query-string key and API argument name
    default: Any
    parse: Callable[[str], Any] = str


def values_from_query(controls: list[Control], query: dict[str, str]) -> list:
    """Control values from a URL's query (defaults where a key is absent or unreadable).

    The values still go through the tab's own validation, which reports what is wrong."""
    values = []
    for c in controls:
        try:
            values.append(c.parse(query[c.name]) if c.name in query else c.default)
        except (TypeError, ValueError):
            values.append(c.default)
    return values


def link_js(tab_id: str, controls: list[Control]) -> str:
    """Client-side JS for a button: build this page's URL with the tab's current settings."""
    names = json.dumps([c.name for c in controls])
    return (
        "(...values) => { const names = " + names + "; const p = new URLSearchParams({tab: '" + tab_id + "'});"
        " names.forEach((n, i) => p.set(n, String(values[i])));"
        " return window.location.origin + window.location.pathname + '?' + p.toString(); }"
    )


FIRST_TAB = "forward"  # the tab a URL without `tab=` opens (app.TABS[0])
RESIZE_JS = "() => { setTimeout(() => window.dispatchEvent(new Event('resize')), 80); }"


def on_first_show(tab_id: str, view, names: list[str], n_outputs: int):
    """A tab's `select` handler: draw the tab's figures the first time it is shown, and only then.

    The page load draws the tab a URL asks for; drawing it again here would race with that load (and
    Gradio selects the first tab at start-up, before the load). Later visits send nothing: the figure is
    already there and `RESIZE_JS` makes Plotly fit it to its now-visible container (a plot drawn in a
    hidden tab is stuck at 700 px otherwise). Inputs: the tab's controls, then its main plot.
    """
    import inspect

    import gradio as gr

    def handler(*args):
        request = args[-1] if args and isinstance(args[-1], gr.Request) else None
        values, current = args[: len(names)], args[len(names)]
        query = dict(request.query_params) if request is not None else {}
        if current is not None or query.get("tab", FIRST_TAB) == tab_id:
            return tuple(gr.skip() for _ in range(n_outputs))
        return view(*values)

    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    params = [inspect.Parameter(n, kind) for n in [*names, "current_plot"]]
    handler.__signature__ = inspect.Signature(
        [*params, inspect.Parameter("request", kind, default=None, annotation=gr.Request)]
    )
    handler.__annotations__ = {"request": gr.Request}
    return handler
