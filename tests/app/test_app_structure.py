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


def test_use_in_all_tabs_selects_the_mixture_in_every_data_control():
    """The Your data tab's button: every tab's `preset` control gets the spec (its presets kept), its main
    figure is cleared so it redraws when shown; guidance is skipped for a one-class mixture."""
    import gradio as gr

    demo = app.build_app()
    (fn,) = [f for f in demo.fns.values() if getattr(f.fn, "__name__", "") == "select_everywhere"]
    two = "gmm:1,2,0,0.3,0.3,0,0;1,-2,0,0.3,0.1,45,1"
    one = "gmm:1,2,0,0.3,0.3,0,0;1,-2,0,0.3,0.1,45,0"
    for spec, guidance_used in ((two, True), (one, False)):
        updates = fn.fn(spec)
        assert len(updates) == len(fn.outputs)
        for block, update in zip(fn.outputs[0::2], updates[0::2]):
            if block.label == "Data (with classes)" and not guidance_used:
                assert update is gr.skip() or update == gr.skip()
            else:
                assert update.value == spec, block.label
                assert spec in [v for _, v in update.choices]
        cleared = [u for u in updates[1::2] if u is None]
        assert len(cleared) == len(updates) // 2 - (0 if guidance_used else 1)
