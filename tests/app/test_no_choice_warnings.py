"""A control's value is never outside its choices (issue 26.19).

Gradio warns "The value passed into gr.Dropdown() is not in the list of choices" when a dropdown is built or
updated with a value it does not offer. The suite used to print 67 of them (`leading`, `karras`, `linspace`): the
Reverse tab's load answered `gr.Dropdown(value=grid)`, a new dropdown with no choices at all, and
tests/app/test_scene_links.py calls the page load in this process for every Reverse scene; its sampler switch did
the same. Both went with the tab's move onto the kit (06c817c: a load sets a control by its bare value) and
ccb23f3 (the switch sends `gr.update`). Here, in this process and under `warnings.catch_warnings`:

* building the app emits no such warning, and every dropdown and radio starts on one of its choices;
* every tab's defaults and scenes put each of its dropdowns and radios on one of that component's choices;
* each tab's page load (its link's default view) and the handlers that answer with dropdown updates (the Reverse
  tab's sampler switch for every sampler, CFG's class list for every data set, "Use in all tabs"), called in this
  process outside an event (inside one, Gradio builds a returned component only later, merged with the one it
  updates), emit no such warning, and every dropdown or radio they set is set to one of the choices it then has.
"""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import gradio as gr
import pytest

import app
from demos import guidance, kit, reverse
from demos.tabs import tab_modules

WARNING = "not in the list of choices"
CHOICE_COMPONENTS = (gr.Dropdown, gr.Radio)


def choice_warnings(caught) -> list[str]:
    return [str(w.message) for w in caught if WARNING in str(w.message)]


def offered(component) -> list:
    return [value for _, value in component.choices]


def outside(component, value) -> bool:
    """A value the component does not offer (None = nothing chosen; a custom-value dropdown takes any)."""
    return value is not None and not getattr(component, "allow_custom_value", False) and value not in offered(component)


@pytest.fixture(scope="module")
def built():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        demo = app.build_app()
    return demo, choice_warnings(caught)


def test_building_the_app_warns_of_no_value_outside_its_choices(built):
    demo, warned = built
    assert not warned, f"building the app: {warned}"
    choosers = [b for b in demo.blocks.values() if isinstance(b, CHOICE_COMPONENTS)]
    assert len(choosers) > 20, "the app's dropdowns and radios were not found: the test would check nothing"
    bad = [(b.label, b.value) for b in choosers if outside(b, b.value)]
    assert not bad, f"controls that start outside their choices (label, value): {bad}"


KIT_TABS = [m for m in tab_modules() if hasattr(m, "SPEC")]


@pytest.mark.parametrize("module", KIT_TABS, ids=[m.TAB_ID for m in KIT_TABS])
def test_defaults_and_scenes_set_every_choice_control_to_one_of_its_choices(module):
    """The values a load gives the controls (kit.load_updates sets each control to its validated value)."""
    spec = module.SPEC
    with gr.Blocks():
        components = {c.name: c.component(gr) for c in spec.controls}
    checked, bad = 0, []
    for scene, values in [("defaults", spec.defaults())] + [(name, spec.scene(name)) for name in spec.scenes]:
        values = spec.validate(kit.drop_invalid(spec, values))
        for name, component in components.items():
            if isinstance(component, CHOICE_COMPONENTS):
                checked += 1
                if outside(component, values[name]):
                    bad.append((scene, name, values[name]))
    assert checked or not any(c.kind == "choice" for c in spec.controls), "no choice control was checked"
    assert not bad, f"{module.TAB_ID}: (scene, control, value) outside the control's choices: {bad}"


def _handlers(demo, name: str) -> list:
    found = {}
    for f in demo.fns.values():
        if f.fn is not None and getattr(f.fn, "__name__", "") == name:
            found.setdefault(f.fn, f)
    assert found, f"no event handler named {name}"
    return list(found.values())


def _values(choices) -> list:
    return [c[1] if isinstance(c, list | tuple) else c for c in choices]


def _set_outside(block, update) -> list:
    """What an output update sets a dropdown or radio to, if outside the choices it then has: [(label, value)].
    Merged as Gradio merges an update into its component: the update's own choices if it gives any, else the
    component's; a bare value keeps the component's choices."""
    if isinstance(update, gr.components.Component):  # a component returned as an update: its constructor's arguments
        update = dict(update.constructor_args)
    if not isinstance(update, dict):
        update = {"value": update}
    value = update.get("value")
    choices = _values(update["choices"]) if update.get("choices") is not None else offered(block)
    custom = update.get("allow_custom_value", getattr(block, "allow_custom_value", False))
    if value is None or custom or value in choices:
        return []
    return [(block.label, value)]


def _call(block_fn, changes: dict) -> tuple[list[str], list]:
    """Call an event's handler in this process, outside an event (so a component it builds is built in full and
    says what it warns of), with every input at its component's value but `changes` (by label or by component);
    return the choice warnings and the (label, value) it sets a dropdown or radio to outside its choices."""
    inputs = []
    for block in block_fn.inputs:
        key = block if block in changes else getattr(block, "label", None)
        inputs.append(changes[key] if key in changes else block.value)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = block_fn.fn(*inputs)
    return choice_warnings(caught), _outside_in(block_fn.outputs, result)


def _outside_in(outputs, result) -> list:
    if isinstance(result, dict) and any(not isinstance(k, str) for k in result):  # {component: update}
        pairs = result.items()
    else:  # one update per output, or the one output's update
        pairs = zip(outputs, result if isinstance(result, list | tuple) else [result])
    return [
        bad for block, update in pairs if isinstance(block, CHOICE_COMPONENTS) for bad in _set_outside(block, update)
    ]


@pytest.mark.parametrize("tab", [m.TAB_ID for m in tab_modules()])
def test_a_page_load_sets_every_choice_control_within_its_choices(built, tab):
    """The page load of each tab's link (its default view), called as test_scene_links calls it. The old Reverse
    load answered `gr.Dropdown(value=grid)`: "not in the list of choices" for every Reverse scene's grid."""
    demo, _ = built
    (on_load,) = _handlers(demo, "on_load")
    request = SimpleNamespace(query_params={"tab": tab}, session_hash=None, headers={}, username=None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        updates = on_load.fn(request)
    assert not choice_warnings(caught), f"?tab={tab}: {choice_warnings(caught)}"
    bad = _outside_in(None, updates)
    assert not bad, f"?tab={tab}: controls set outside their choices: {bad}"


@pytest.mark.parametrize("sampler", list(reverse.SAMPLERS))
def test_the_reverse_sampler_switch_keeps_every_control_in_its_choices(built, sampler):
    """A sampler's usual process, grid and steps set with its view (its grid was once a new dropdown without
    choices)."""
    demo, _ = built
    (switch,) = _handlers(demo, "on_sampler")
    warned, bad = _call(switch, {"Sampler": sampler, "Particles": 100})
    assert not warned, f"{sampler}: {warned}"
    assert not bad, f"{sampler}: controls set outside their choices: {bad}"


@pytest.mark.parametrize("preset", guidance.GUIDANCE_PRESETS)
def test_the_cfg_class_list_follows_the_data_within_its_choices(built, preset):
    demo, _ = built
    for name in ("on_data", "class_choices"):
        for handler in _handlers(demo, name):
            warned, bad = _call(handler, {"Data (with classes)": preset, "Particles": 100})
            assert not warned, f"{name}({preset}): {warned}"
            assert not bad, f"{name}({preset}): controls set outside their choices: {bad}"


def test_use_in_all_tabs_selects_the_mixture_within_every_data_control(built):
    demo, _ = built
    (handler,) = _handlers(demo, "select_everywhere")
    (source,) = handler.inputs
    warned, bad = _call(handler, {source: "gmm:1,-2,0,0.3;1,2,0,0.5"})
    assert not warned, warned
    assert not bad, f"controls set outside their choices: {bad}"
