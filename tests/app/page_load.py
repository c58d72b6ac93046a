"""A link's page load as the browser runs it, in this process: `on_load` (app.py) hands the query to the inbox of
the tab it names; the inbox's change events select the tab in the page (`app.select_js`, read here from the
event's own JS: the tab id it returns when the query names a tab) and set the tab's controls, figures and note
(`apply_link`; app.link_inputs explains the two steps)."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace


def link_loader(demo):
    """A function of a query dict → every update the two steps make, by component."""
    fns = list(demo.fns.values())
    (load,) = [f.fn for f in fns if getattr(f.fn, "__name__", "") == "on_load"]
    apply = {f.inputs[0]._id: f.fn for f in fns if getattr(f.fn, "__name__", "") == "apply_link"}
    assert apply, "expected one apply_link event per tab inbox"
    select = {}  # inbox id → (the Tabs, the tab id its JS selects)
    for f in fns:
        found = re.search(r"selected: (\"[^\"]+\")", f.js or "") if f.fn is None else None
        if found and f.inputs and f.inputs[0]._id in apply:
            select[f.inputs[0]._id] = (f.outputs[0], json.loads(found.group(1)))
    assert set(select) == set(apply), "expected one tab-selecting JS event per tab inbox"

    def open_link(query: dict):
        updates = load(SimpleNamespace(query_params=query, session_hash=None, headers={}, username=None))
        for component, text in list(updates.items()):
            if getattr(component, "_id", None) in apply:
                if "tab" in json.loads(text or "{}"):
                    tabs, tab_id = select[component._id]
                    updates[tabs] = {"__type__": "update", "selected": tab_id}
                updates.update(apply[component._id](text))
        return updates

    return open_link
