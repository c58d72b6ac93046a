"""How app.py composes the tabs: one concurrency group for the whole app (trainings in a group of one of their
own), every tab once."""

from __future__ import annotations

import app


def test_every_python_event_shares_one_group_of_workers_and_trainings_run_one_at_a_time():
    """Two trainings can never hold both workers: they queue in a group of one, apart from the views."""
    from demos import kit

    demo = app.build_app()
    python_events = [fn for fn in demo.fns.values() if fn.fn is not None]
    groups = {(fn.concurrency_id, fn.concurrency_limit) for fn in python_events}
    assert groups == {(app.COMPUTE, app.CONCURRENCY), (kit.HEAVY, 1)}
    trainings = {fn.api_name for fn in python_events if fn.concurrency_id == kit.HEAVY}
    assert {"classifier", "classifier_data"} <= trainings


def test_every_event_but_trainings_shows_its_status_on_one_component():
    """A page keeps a loading status per progress target of every event that ran and pushes each to its
    component at every stage of every later event (app.one_status): the views' events all name one hidden
    component; trainings keep their outputs for their progress bars."""
    from demos import kit

    demo = app.build_app()
    python_events = [fn for fn in demo.fns.values() if fn.fn is not None]
    views = [fn for fn in python_events if fn.concurrency_id != kit.HEAVY]
    targets = {tuple(b._id for b in fn.show_progress_on or ()) for fn in views}
    assert len(targets) == 1 and len(next(iter(targets))) == 1, targets
    (status,) = next(iter(targets))
    assert demo.blocks[status].visible == "hidden"
    assert all(fn.show_progress_on is None for fn in python_events if fn.concurrency_id == kit.HEAVY)
    config = demo.get_config_file()
    assert {tuple(d["show_progress_on"] or ()) for d in config["dependencies"] if d["backend_fn"]} >= {(status,)}


def test_tab_ids_are_unique():
    ids = [module.TAB_ID for module in app.TABS]
    assert len(ids) == len(set(ids)), ids


def test_use_in_all_tabs_selects_the_mixture_in_every_data_control():
    """The Your data tab's button: every tab's `preset` control gets the spec (its presets kept), its main
    figure is cleared so it redraws when shown; guidance is skipped for a one-class mixture."""

    demo = app.build_app()
    (fn,) = [f for f in demo.fns.values() if getattr(f.fn, "__name__", "") == "select_everywhere"]
    two = "gmm:1,2,0,0.3,0.3,0,0;1,-2,0,0.3,0.1,45,1"
    one = "gmm:1,2,0,0.3,0.3,0,0;1,-2,0,0.3,0.1,45,0"
    for spec, guidance_used in ((two, True), (one, False)):
        updates = fn.fn(spec)
        dropdowns, plots = fn.outputs[0::2], fn.outputs[1::2]
        for block in dropdowns:
            if block.label == "Data (with classes)" and not guidance_used:
                assert block not in updates
            else:
                assert updates[block].value == spec, block.label
                assert spec in [v for _, v in updates[block].choices]
        cleared = [p for p in plots if p in updates and updates[p] is None]
        assert len(cleared) == len(plots) - (0 if guidance_used else 1)


def test_a_control_fires_one_event_for_every_view_it_changes():
    """Issue 27: one move, one request. A kit control that triggers several views (the Latent tab's steps: the
    samples, CFG and the scale curve) runs them in one Python event that fills all their outputs; only a
    training keeps an event of its own. Every view's endpoint stays on the API."""
    from demos import kit, latent

    demo = app.build_app()
    api_names = {fn.api_name for fn in demo.fns.values() if fn.fn is not None}
    for module in app.TABS:
        spec = getattr(module, "SPEC", None)
        if spec is None:
            continue
        assert {v.api_name for v in spec.views if v.api_name} <= api_names, spec.id
    wanted = {n for v in latent.SPEC.views if "steps" in (v.triggers or ()) and not v.heavy for n in v.outputs}
    assert len(wanted) >= 5
    by_trigger: dict = {}
    for fn in demo.fns.values():
        if fn.fn is not None and fn.concurrency_id != kit.HEAVY:
            for target in fn.targets:
                by_trigger.setdefault(target, []).append(fn)
    steps = [t for t in by_trigger if t[1] == "input" and getattr(demo.blocks.get(t[0]), "label", None) == "Steps"]
    latent_steps = [t for t in steps if any("latent_view" in fn.fn.__name__ for fn in by_trigger[t])]
    (trigger,) = latent_steps
    (event,) = by_trigger[trigger]  # one Python event for the move: every view it changes
    assert len(event.outputs) == len(wanted)


def test_no_event_empties_a_share_box_without_reading_it():
    """A share box is written by its "Link to this view" button, or by a check that reads the controls and the
    box (sharing.stale_js). A blind emptying ran after a scene's server call had completed and erased the link
    made from the scene meanwhile (CI, test_a_moved_control_clears_the_scene_its_note_and_the_link)."""
    import gradio as gr

    demo = app.build_app()
    boxes = {b for b in demo.blocks.values() if isinstance(b, gr.Textbox) and b.label == "Share this link"}
    assert len(boxes) >= 10, "the tabs' share boxes were not found"
    writers = [fn for fn in demo.fns.values() if boxes & set(fn.outputs)]
    checked = 0
    for fn in writers:
        assert fn.fn is None and fn.js, "a share box is written by the server"
        triggers = [demo.blocks[t[0]] for t in fn.targets]
        if all(isinstance(b, gr.Button) and b.value == "Link to this view" for b in triggers):
            continue
        (box,) = boxes & set(fn.outputs)
        assert fn.inputs and fn.inputs[-1] is box, f"an event empties a share box without reading it: {fn.js}"
        checked += 1
    assert checked > len(boxes), "no stale-link checks were found"
