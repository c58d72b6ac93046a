"""A link's page load as the browser runs it, in this process: `on_load` (app.py) selects the tab the query
names and hands the query to that tab's inbox; the inbox's change event (`apply_link`) sets the tab's controls,
figures and note (app.link_inputs explains the two steps)."""

from __future__ import annotations

from types import SimpleNamespace


def link_loader(demo):
    """A function of a query dict → every update the two steps make, by component."""
    fns = list(demo.fns.values())
    (load,) = [f.fn for f in fns if getattr(f.fn, "__name__", "") == "on_load"]
    apply = {f.inputs[0]._id: f.fn for f in fns if getattr(f.fn, "__name__", "") == "apply_link"}
    assert apply, "expected one apply_link event per tab inbox"

    def open_link(query: dict):
        updates = load(SimpleNamespace(query_params=query, session_hash=None, headers={}, username=None))
        for component, text in list(updates.items()):
            if getattr(component, "_id", None) in apply:
                updates.update(apply[component._id](text))
        return updates

    return open_link
