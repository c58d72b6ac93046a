"""How app.py composes the tabs: one concurrency group for the whole app, every tab once."""

from __future__ import annotations

import app


def test_every_python_event_shares_one_group_of_workers():
    demo = app.build_app()
    python_events = [fn for fn in demo.fns.values() if fn.fn is not None]
    assert python_events
    assert {(fn.concurrency_id, fn.concurrency_limit) for fn in python_events} == {(app.COMPUTE, app.CONCURRENCY)}


def test_tab_ids_are_unique():
    ids = [module.TAB_ID for module in app.TABS]
    assert len(ids) == len(set(ids)), ids
