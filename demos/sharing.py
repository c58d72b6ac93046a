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
