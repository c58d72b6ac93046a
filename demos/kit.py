"""One tab kit: a tab is described once, and the kit builds and wires what every tab has.

A tab module holds its spec (a `Tab`: controls, scenes, views), its pure figure functions, a `layout(ui)` that
places its controls and outputs, and only the events it alone has (Play, training). From the spec come:

- each control's Gradio component, its validation (one range, used by the slider and by the check), its URL
  parsing (a bad value drops alone, with a warning naming it), the API endpoint's signature and defaults, and a
  hypothesis strategy for the robustness tests (`Control`);
- the standard parts (`build`): the Scene dropdown (a scene sets every control of the tab; the keys it does not
  name take their defaults), the data control, the "Link to this view" button and its share box (emptied on any
  change), plots that all carry PNG / SVG / Full screen buttons, the first draw when the tab is first shown and a
  resize on every show, inputs → view events with `trigger_mode="always_last"`, one named API endpoint per view,
  and a slider whose range follows another control (Forward's t on the process);
- the page load of a link (`load_updates`), by name: no positional lists, no padding.

Values travel as dicts {control name: value}; views are called with keyword arguments and their outputs are
named in the spec.
"""

from __future__ import annotations

import inspect
import math
import reprlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from demos.inputs import MAX_SEED, choice, number, user_facing
from demos.sharing import _warn, as_bool, as_float, as_int, keep_relative

HEAVY = "train"  # the concurrency group of trainings: one at a time (app.share_workers)
KINDS = ("data", "choice", "int", "float", "bool", "seed", "text")
MAX_TEXT = 8000  # characters of a text control (a data spec's own cap)


# ---------------------------------------------------------------------------- a control, described once
@dataclass(frozen=True)
class Control:
    """One control of a tab, like a sampler's `Param`.

    kind: "data" (the data spec), "choice", "int", "float", "bool", "seed" or "text". `lo`/`hi`/`step` give a
    number's range (a number offered as `choices` takes theirs), or `range_of(values)` → (lo, hi, step) when it
    depends on the controls named in `depends_on` (their values arrive in `values`). `choices` are values or
    (label, value) pairs.
    `widget` overrides the component chosen by kind ("slider" or "number" for numbers, "dropdown" or "radio"
    for choices)."""

    name: str
    kind: str
    default: Any
    label: str = ""
    help: str = ""
    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    choices: tuple = ()
    range_of: Callable[[dict], tuple[float, float, float]] | None = None
    depends_on: tuple[str, ...] = ()
    help_of: Callable[[dict], str] | None = None  # a help line that depends on other controls
    widget: str = ""
    presets: tuple | None = None  # kind "data": the presets offered (None: all)
    noun: str | Callable[[dict], str] | None = None  # what messages call it (default: its name; "Seed" for a seed)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"control {self.name}: kind {self.kind!r} is not one of {KINDS}")
        if self.kind in ("int", "float") and self.choices and self.lo is None and self.hi is None:
            object.__setattr__(self, "lo", min(self.values))  # a number offered as choices: its range is theirs
            object.__setattr__(self, "hi", max(self.values))

    # -- facts
    @property
    def values(self) -> list:
        return [c[1] if isinstance(c, tuple) else c for c in self.choices]

    def bounds(self, values: dict | None = None) -> tuple[float, float, float | None]:
        """(lo, hi, step) of a number: its own, or the one its range depends on."""
        if self.range_of is not None:
            return self.range_of({**(values or {})})
        if self.kind == "seed":
            return 0, MAX_SEED, 1
        return self.lo, self.hi, self.step

    def default_for(self, values: dict) -> Any:
        """The default in the range `values` give it (t = 250 of DDPM's [-1, 999] ↔ the same place of [0, 1])."""
        if self.range_of is None or self.default is None:
            return self.default
        value = keep_relative(self.default, self.range_of({}), self.range_of(values))
        return int(round(value)) if self.kind in ("int", "seed") else value

    # -- from a URL, and checked
    def parse(self, text: str):
        """A value from a query string (still to be checked)."""
        if self.kind == "bool":
            return as_bool(text)
        if self.kind in ("int", "seed"):
            return as_int(text)
        if self.kind == "float":
            return as_float(text)
        return str(text)

    def check(self, value, values: dict | None = None):
        """The value in canonical form, or ValueError with a sentence a user can act on."""
        noun = self.noun(values or {}) if callable(self.noun) else self.noun
        label = noun or ("Seed" if self.kind == "seed" else self.name)
        if self.kind == "data":
            from demos.data_input import data_spec

            return data_spec(value, self.presets)
        if self.kind == "choice":
            return choice(value, self.values, label)
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ValueError(f"{label} must be true or false, got {reprlib.repr(value)}.")
            return value
        if self.kind == "text":
            if not isinstance(value, str) or len(value) > MAX_TEXT:
                raise ValueError(f"{label} must be a text of at most {MAX_TEXT} characters.")
            return value
        lo, hi, _ = self.bounds(values)
        return number(value, lo, hi, label, integer=self.kind in ("int", "seed"))

    # -- as a Gradio component
    def component(self, gr, value=None, **kwargs):
        """The Gradio component of this control (`value` defaults to the control's default)."""
        value = self.default if value is None else value
        info = kwargs.pop("info", self.help_of({}) if self.help_of is not None else self.help or None)
        label = kwargs.pop("label", self.label or self.name)
        if self.kind == "data" and self.widget == "textbox":
            return gr.Textbox(value, label=label, info=info, max_length=MAX_TEXT, **kwargs)
        if self.kind == "data":
            from demos.data_input import data_dropdown

            return data_dropdown(gr, value, self.presets, label=label, **kwargs)
        if self.kind == "choice":
            if self.widget == "radio":
                return gr.Radio(list(self.choices), value=value, label=label, info=info, **kwargs)
            return gr.Dropdown(list(self.choices), value=value, label=label, info=info, **kwargs)
        if self.kind == "bool":
            return gr.Checkbox(value, label=label, info=info, **kwargs)
        if self.kind == "text":
            return gr.Textbox(value, label=label, info=info, max_length=MAX_TEXT, **kwargs)
        if self.kind == "seed" or self.widget == "number":
            lo, hi, _ = self.bounds()
            precision = 0 if self.kind in ("int", "seed") else None
            hi = None if self.kind == "seed" else hi  # too large a seed is refused by the check, in its words
            return gr.Number(value, label=label, info=info, minimum=lo, maximum=hi, precision=precision, **kwargs)
        lo, hi, step = self.bounds()
        return gr.Slider(lo, hi, value=value, step=step, label=label, info=info, **kwargs)

    # -- for property-based tests
    def strategy(self, valid_only: bool = False):
        """A hypothesis strategy: valid values of this control, mixed with junk unless `valid_only`."""
        from hypothesis import strategies as st

        if self.kind == "data":
            from core.datasets import PRESETS

            valid = st.sampled_from(list(self.presets or PRESETS))
        elif self.kind == "choice":
            valid = st.sampled_from(self.values)
        elif self.kind == "bool":
            valid = st.booleans()
        elif self.kind == "text":
            valid = st.text(max_size=40)
        else:
            lo, hi, step = self.bounds()
            if self.kind in ("int", "seed"):
                valid = st.integers(int(math.ceil(lo)), int(math.floor(hi)))
            else:
                valid = st.floats(lo, hi, allow_nan=False)
        if valid_only:
            return valid
        junk = st.one_of(
            st.none(),
            st.text(max_size=12),
            st.floats(allow_nan=True, allow_infinity=True),
            st.integers(-(10**30), 10**30),
            st.booleans(),
        )
        return st.one_of(valid, junk)


# ---------------------------------------------------------------------------- a view and a tab
@dataclass(frozen=True)
class View:
    """A pure function of the controls (called with them by name) and the outputs it fills, in the order it
    returns them. `triggers`: the controls whose change recomputes it (None: all of the view's inputs; (): none,
    the tab wires its own events); `inputs`: the controls it reads (None: all). `api_name` names its endpoint
    (None: no endpoint). `heavy`: it may train a model; it runs alone in its own queue (`app.share_workers`)
    and never on a load."""

    fn: Callable
    outputs: tuple[str, ...]
    api_name: str | None
    triggers: tuple[str, ...] | None = None
    inputs: tuple[str, ...] | None = None
    heavy: bool = False
    follows: bool = False  # runs on any change of its triggers (a load's too), so a load leaves it to that


@dataclass
class Tab:
    """A tab described once. `check(values)` → canonical values (cross-control rules, e.g. work caps), raising
    ValueError; each control's own check runs before it. `accepts(mixture)` says which data the tab can use."""

    id: str
    title: str
    controls: list[Control]
    views: list[View]
    scenes: dict[str, dict] = field(default_factory=dict)
    scene_notes: dict[str, str] = field(default_factory=dict)
    default_note: str = ""
    check: Callable[[dict], dict] | None = None
    accepts: Callable[[Any], bool] = lambda mixture: True

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.controls]

    def control(self, name: str) -> Control:
        return next(c for c in self.controls if c.name == name)

    def defaults(self) -> dict:
        values: dict = {}
        for c in self.controls:
            values[c.name] = c.default_for(values) if c.range_of is not None else c.default
        return values

    def validate(self, values: dict) -> dict:
        """Every control checked by its own spec, then the tab's cross-control rules."""
        out = dict(values)
        for c in self.controls:
            out[c.name] = c.check(out[c.name], out)
        return self.check(out) if self.check is not None else out

    def scene(self, name: str) -> dict:
        """A scene's values: the controls it names, the others at their defaults (one meaning in every tab)."""
        values = self.defaults()
        values.update(self.scenes[name])
        return values

    def note(self, scene: str | None) -> str:
        return self.scene_notes.get(scene, self.default_note) if scene else self.default_note

    def figure_of(self, scene: str) -> str:
        """The figure a scene is about: the first output of the view that most of the scene's settings drive
        (Inpainting's SDEdit scenes set the stroke and t₀: the SDEdit plot), the first view's on a tie."""
        keys = set(self.scenes[scene])

        def driven(view: View) -> int:
            return len(keys & set(view.triggers if view.triggers is not None else view.inputs or self.names))

        return max(self.views, key=driven).outputs[0]  # max keeps the first of equals

    def matching_scene(self, settings: dict[str, str]) -> str | None:
        """The scene a link's settings (text, as in a URL) describe: one whose values agree with every setting,
        the one naming most of them if several do; None if none does. A syllabus link names it, so that it
        opens as that scene (its settings, note and figure)."""
        parsed = {}
        for name, text in settings.items():
            if name in self.names:
                try:
                    parsed[name] = self.control(name).parse(text)
                except (TypeError, ValueError, OverflowError):
                    return None
        best, best_shared = None, -1
        for name in self.scenes:
            values = self.scene(name)
            if all(same_value(values[k], v) for k, v in parsed.items()):
                shared = len(set(self.scenes[name]) & set(parsed))
                if shared > best_shared:
                    best, best_shared = name, shared
        return best


def same_value(a, b) -> bool:
    """Two control values are the same (numbers to rounding; a bool only equals a bool)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


# ---------------------------------------------------------------------------- values from a link
SCENE_KEY = "scene"  # `?tab=…&scene=<name>` opens that scene of the tab: its settings, its note, its figure


def link_scene(tab: Tab, query: dict[str, str]) -> str | None:
    """The scene a link names, if it is one of the tab's (an unknown name is dropped with a warning)."""
    name = query.get(SCENE_KEY)
    if name is None or name in tab.scenes:
        return name
    _warn(f"This link's {SCENE_KEY}={reprlib.repr(name)} is not a scene of this tab; using its settings only.")
    return None


def from_query(tab: Tab, query: dict[str, str]) -> dict:
    """Control values from a URL: absent keys take defaults (or the values of the scene the link names); each
    value that cannot be read or is not valid is dropped alone (its default used, a warning naming it), judged
    with the values before it as given and the ones after it at their defaults, so a value that depends on an
    earlier one (t on the process) is judged against it and the rest of the link still applies."""
    scene = link_scene(tab, query)
    given = dict(tab.scenes[scene]) if scene else {}
    for c in tab.controls:
        if c.name in query:
            try:
                given[c.name] = c.parse(query[c.name])
            except (TypeError, ValueError, OverflowError):
                _warn(f"This link's {c.name}={reprlib.repr(query[c.name])} could not be read; using the default.")
    return drop_invalid(tab, given)


def drop_invalid(tab: Tab, given: dict) -> dict:
    """`given` values completed with defaults, each invalid one replaced by its default (see `from_query`)."""
    values: dict = {}
    for i, c in enumerate(tab.controls):
        if c.name not in given:
            values[c.name] = c.default_for(values)
            continue
        trial = {**values, c.name: given[c.name]}
        try:
            for later in tab.controls[i + 1 :]:  # a later default may depend on this value (t's range)
                trial[later.name] = later.default_for(trial)
            tab.validate(trial)
            values[c.name] = given[c.name]
        except ValueError as err:
            default = c.default_for(values)
            _warn(f"This link's {c.name}={reprlib.repr(given[c.name])} was not used ({err}); using {default!r}.")
            values[c.name] = default
    return values


# ---------------------------------------------------------------------------- building a tab
class UI:
    """What a tab's `layout(ui)` places: its controls and outputs by name, and the standard parts."""

    def __init__(self, tab: Tab):
        self.tab = tab
        self.controls: dict[str, Any] = {}
        self.outputs: dict[str, Any] = {}  # what views fill, by name (a plot's hidden figure carrier)
        self.plots: dict[str, Any] = {}  # the visible plots, by the name of their carrier
        self.parts: dict[str, Any] = {}

    def control(self, name: str, **kwargs):
        """The component of control `name` (kwargs: layout options such as scale, elem_classes)."""
        import gradio as gr

        component = self.tab.control(name).component(gr, **kwargs)
        self.controls[name] = component
        return component

    def plot(self, name: str, **kwargs):
        """A live plot output with PNG, SVG and Full screen buttons (elem_id `<tab id>-<name>`): views write
        its figure to a hidden carrier under `name` (`self.outputs`), drawn into the visible plot (`self.plots`)
        by `Plotly.react` in the page (demos/live.py explains why)."""
        import gradio as gr
        import plotly.graph_objects as go

        from demos import export, live

        elem_id = f"{self.tab.id}-{name}"
        kwargs.setdefault("show_label", "label" in kwargs)
        component = export.plot(gr, elem_id, value=go.Figure(live.empty_figure()), **kwargs)
        data = live.carrier(gr)
        data.change(None, data, data, js=live.draw_js(elem_id, kwargs["show_label"]), api_visibility="private")
        self.plots[name] = component
        self.outputs[name] = data
        return component

    def output(self, name: str, component):
        """Any other output (markdown, image, table) under a name a view fills."""
        self.outputs[name] = component
        return component

    def scene_picker(self):
        import gradio as gr

        self.parts["scene"] = gr.Dropdown(list(self.tab.scenes), value=None, label="Scene", info="sets everything")
        return self.parts["scene"]

    def note(self):
        import gradio as gr

        self.parts["note"] = gr.Markdown(self.tab.default_note, elem_classes=["scene-note"])
        return self.parts["note"]

    def link_row(self):
        """ "Link to this view" and "Reset" buttons, and the share box they fill."""
        import gradio as gr

        with gr.Row():
            self.parts["link_button"] = gr.Button("Link to this view", size="sm")
            self.parts["reset"] = gr.Button("Reset", size="sm")
        self.parts["link"] = gr.Textbox(label="Share this link", buttons=["copy"], interactive=False)

    def inputs(self, names=None) -> list:
        return [self.controls[n] for n in (names or self.tab.names)]


def _by_name(names: list[str], args) -> dict:
    return dict(zip(names, args))


def _call(view: View, values: dict, names=None):
    """Run a view with the values it reads, by name; its outputs as a tuple (one output: a 1-tuple)."""
    names = names or view.inputs or list(values)
    out = view.fn(**{n: values[n] for n in names})
    return out if len(view.outputs) > 1 else (out,)


def build(tab: Tab, layout: Callable[[UI], None]):
    """Lay out and wire a tab: `layout(ui)` places the parts; returns the UI (components by name) for the app's
    page load and for the tab's own events."""
    import gradio as gr

    from demos.sharing import RESIZE_JS, link_js, page_setup, stale_js

    with gr.Tab(tab.title, id=tab.id) as tab_component:
        page_setup(gr)
        ui = UI(tab)
        layout(ui)
        ui.parts["tab"] = tab_component
        # a slider whose range follows other controls: the range it was made for, and a mirror of its value
        # (demos/sharing.py explains why the switch reads a hidden mirror, not the slider)
        ranged = [c for c in tab.controls if c.depends_on]
        wiring = _wiring(tab, ranged)
        # a view whose every trigger also runs other views keeps its endpoint on a hidden trigger of its own
        api_triggers = {i: gr.Button(visible=False) for i in wiring.hidden_endpoints}
        for c in ranged:
            slider = ui.controls[c.name]
            ui.parts[f"range:{c.name}"] = gr.Textbox(_range_key(c, tab.defaults()), visible=False)
            mirror = gr.Number(slider.value, visible=False)
            slider.change(None, slider, mirror, js="(v) => v", api_visibility="private")
            ui.parts[f"mirror:{c.name}"] = mirror

    names = tab.names
    controls = ui.inputs()
    all_outputs = [ui.outputs[n] for v in tab.views for n in v.outputs]

    # inputs → views: one event per control, running every view it triggers (one request and one answer that
    # draws every plot the move changes; issue 27: a slider that triggered three views cost the page three
    # round trips). A training runs alone, in its own queue. Each view's endpoint is on its first trigger that
    # runs it alone, else on a hidden trigger of its own that the page never fires.
    for name, group in wiring.events:
        views = [tab.views[i] for i in group]
        inputs = _union(list(v.inputs or names) for v in views)
        outputs = [ui.outputs[n] for v in views for n in v.outputs]
        runner = user_facing(_view_runner(views, inputs, tab.defaults()))
        api = dict(api_visibility="private")
        if len(views) == 1 and wiring.endpoint.get(group[0]) == name:
            api = dict(api_name=views[0].api_name)
        if views[0].heavy:
            api.update(concurrency_id=HEAVY, concurrency_limit=1)
        event = ui.controls[name].change if views[0].follows else ui.controls[name].input
        event(runner, [ui.controls[n] for n in inputs], outputs, trigger_mode="always_last", **api)
    for i, hidden in api_triggers.items():
        view = tab.views[i]
        inputs = list(view.inputs or names)
        api = dict(api_name=view.api_name)
        if view.heavy:
            api.update(concurrency_id=HEAVY, concurrency_limit=1)
        hidden.click(
            user_facing(_view_runner([view], inputs, tab.defaults())),
            [ui.controls[n] for n in inputs],
            [ui.outputs[n] for n in view.outputs],
            **api,
        )

    # a control that changes a slider's range: one event sets the slider (range and value) and every view
    for c in ranged:
        for parent in c.depends_on:
            inputs = [ui.parts[f"mirror:{c.name}"] if n == c.name else ui.controls[n] for n in names]
            ui.controls[parent].input(
                user_facing(_range_switch(tab, c, ui)),
                [*inputs, ui.parts[f"range:{c.name}"]],
                [ui.controls[c.name], ui.parts[f"range:{c.name}"], *all_outputs],
                api_visibility="private",
            )

    # scene, reset, link
    load_outputs = list(loads_to(tab, ui))
    if "scene" in ui.parts:

        def on_scene(name):
            if name not in tab.scenes:
                return _nothing(ui)
            return load_updates(tab, ui, tab.scene(name), scene=name)

        ui.parts["scene"].input(user_facing(on_scene), ui.parts["scene"], load_outputs, api_visibility="private")
    if "reset" in ui.parts:
        ui.parts["reset"].click(
            user_facing(lambda: load_updates(tab, ui, tab.defaults())), None, load_outputs, api_visibility="private"
        )
    # once a control moves, the scene box, its note and the share box no longer name this view (in the page);
    # the link is checked against the controls, not emptied blindly (sharing.stale_js: the check runs after the
    # move's own server call, when a link made meanwhile already names the new view)
    fixed = [None if k == "scene" else tab.default_note for k in parts_in(ui) if k != "link"]
    stale = [ui.parts[k] for k in parts_in(ui)]
    if "link" in ui.parts:
        link = ui.parts["link"]
        make_link = link_js(tab.id, tab.controls)
        ui.parts["link_button"].click(None, controls, link, js=make_link, api_visibility="private")
        for component in controls:
            component.input(None, [*controls, link], stale, js=stale_js(make_link, fixed), api_visibility="private")
        for key in ("scene", "reset"):
            if key in ui.parts:
                event = ui.parts[key].click if key == "reset" else ui.parts[key].input
                event(None, [*controls, link], link, js=stale_js(make_link), api_visibility="private")
    elif stale:
        for component in controls:
            component.input(None, None, stale, js=_js_values(fixed), api_visibility="private")

    # first show draws the tab (unless the page load did), every show fits the plots to their container
    # (only the views' outputs: a component an event may write costs the page on every later event, see
    # app.link_inputs)
    drawn = [ui.outputs[n] for v in tab.views if drawn_on_load(v) for n in v.outputs] or all_outputs
    main = drawn[0]
    tab_component.select(user_facing(_first_show(tab, ui, main)), [*controls, main], drawn, api_visibility="private")
    tab_component.select(None, None, None, js=RESIZE_JS, api_visibility="private")
    return ui


def parts_in(ui: UI) -> list[str]:
    """The standard parts a control's change makes stale, in the order `build` wires them."""
    return [k for k in ("scene", "note", "link") if k in ui.parts]


def _js_values(values: list) -> str:
    """A client-side function returning these values (one output: the value itself)."""
    import json

    return "() => " + json.dumps(values if len(values) > 1 else values[0])


def _nothing(ui: UI) -> dict:
    """Updates that change nothing (Gradio reads an empty dict as one value, not as no updates)."""
    import gradio as gr

    return {ui.controls[ui.tab.names[0]]: gr.skip()}


def _range_key(c: Control, values: dict) -> str:
    """The values of the controls a range depends on, as the text the hidden range box holds."""
    import json

    return json.dumps([values[n] for n in c.depends_on])


@dataclass
class _Wiring:
    """Which events a tab's controls fire: `events` lists (control, indices of the views it runs), one event
    per control and kind (the non-heavy views that follow, those that do not, and each training alone);
    `endpoint` maps a view (index) with an api_name to the control whose event carries its endpoint, and
    `hidden_endpoints` lists the views whose every trigger runs other views too."""

    events: list[tuple[str, tuple[int, ...]]]
    endpoint: dict[int, str]
    hidden_endpoints: list[int]


def _wiring(tab: Tab, ranged: list[Control]) -> _Wiring:
    events: dict[tuple[str, Any], list[int]] = {}
    for i, view in enumerate(tab.views):
        wanted = list(view.inputs or tab.names) if view.triggers is None else view.triggers
        for name in wanted:
            if any(name in c.depends_on for c in ranged):
                continue  # the range switch runs every view
            kind = ("heavy", i) if view.heavy else ("follows" if view.follows else "input")
            group = events.setdefault((name, kind), [])
            taken = {n for j in group for n in tab.views[j].outputs}
            if taken & set(view.outputs):  # two views writing one output stay apart
                events.setdefault((name, (kind, i)), []).append(i)
            else:
                group.append(i)
    ordered = [(name, tuple(group)) for (name, _), group in events.items()]
    endpoint, hidden = {}, []
    for i, view in enumerate(tab.views):
        if view.api_name is None:
            continue
        alone = [name for name, group in ordered if group == (i,)]
        if alone:
            endpoint[i] = alone[0]
        else:
            hidden.append(i)
    return _Wiring(ordered, endpoint, hidden)


def _union(lists: list[list[str]]) -> list[str]:
    return list(dict.fromkeys(n for names in lists for n in names))


def _view_runner(views: View | list[View], names: list[str], defaults: dict | None = None):
    """The view, or the views one after the other, as one Gradio handler of their inputs by name, returning all
    their outputs: a newer request of the same user cancels it (`latest_only`: long loops call
    `check_superseded`), and views that take `progress` get a progress bar."""
    import gradio as gr

    from demos.inputs import latest_only

    views = [views] if isinstance(views, View) else views
    reads = [list(v.inputs or names) for v in views]
    progressed = ["progress" in inspect.signature(v.fn).parameters for v in views]
    n_outputs = sum(len(v.outputs) for v in views)

    def run(*args, progress=None):
        values = _by_name(names, args)
        out: tuple = ()
        for view, wanted, takes_progress in zip(views, reads, progressed):
            given = {n: values[n] for n in wanted}
            if takes_progress:
                given["progress"] = progress
            out += _call(view, given, names=list(given))
        return out if n_outputs > 1 else out[0]  # Gradio takes one output's value bare

    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    # the spec's defaults: an API call may leave out any argument (a control whose default is None included)
    params = [inspect.Parameter(n, kind, default=(defaults or {}).get(n)) for n in names]
    if any(progressed):
        params.append(inspect.Parameter("progress", kind, default=gr.Progress()))
    run.__signature__ = inspect.Signature(params)
    run.__name__ = "+".join(v.fn.__name__ for v in views)
    run.__doc__ = views[0].fn.__doc__
    return latest_only(run, n_outputs, names)


def _range_switch(tab: Tab, c: Control, ui: UI):
    """Handler of a control that changes `c`'s range: keep `c` at the same relative place of its new range."""
    import gradio as gr

    names = tab.names

    def switch(*args):
        import json

        *args, previous = args
        values = _by_name(names, args)
        new = c.range_of(values)
        try:
            old_values = dict(zip(c.depends_on, json.loads(previous)))
            old = c.range_of(old_values)
        except (TypeError, ValueError, KeyError):
            old = new
        values[c.name] = keep_relative(values[c.name], old, new)
        values = tab.validate(values)
        out = {ui.controls[c.name]: _slider(gr, c, values), ui.parts[f"range:{c.name}"]: _range_key(c, values)}
        out.update(_view_updates(tab, ui, values))
        return out

    return switch


def _slider(gr, c: Control, values: dict):
    lo, hi, step = c.bounds(values)
    extra = {"info": c.help_of(values)} if c.help_of is not None else {}
    return gr.Slider(minimum=lo, maximum=hi, step=step, value=values[c.name], **extra)


def drawn_on_load(view: View) -> bool:
    """A training runs when asked, and a view that follows its controls' changes draws itself after a load."""
    return not (view.heavy or view.follows)


def draw(tab: Tab, values: dict) -> dict:
    """Every output a load draws, by name, for checked values."""
    out = {}
    for view in tab.views:
        if drawn_on_load(view):
            out.update(zip(view.outputs, _call(view, values)))
    return out


def _view_updates(tab: Tab, ui: UI, values: dict) -> dict:
    return {ui.outputs[name]: value for name, value in draw(tab, values).items()}


def loads_to(tab: Tab, ui: UI):
    """Every component a load sets: the controls, the views' outputs, the scene box, its note and the range
    boxes."""
    yield from ui.inputs()
    for view in tab.views:
        if drawn_on_load(view):
            yield from (ui.outputs[n] for n in view.outputs)
    for key in ("scene", "note"):
        if key in ui.parts:
            yield ui.parts[key]
    for c in tab.controls:
        if c.depends_on:
            yield ui.parts[f"range:{c.name}"]


def load_updates(tab: Tab, ui: UI, values: dict, scene: str | None = None) -> dict:
    """Updates by component for a full set of values (a link, a scene, Reset): each invalid value dropped
    alone, sliders given their range with their value, every view drawn, the scene box naming `scene` (or
    nothing) and the note its note."""
    import gradio as gr

    values = tab.validate(drop_invalid(tab, values))
    out = {}
    for c in tab.controls:
        component = ui.controls[c.name]
        if c.depends_on:
            out[component] = _slider(gr, c, values)
            out[ui.parts[f"range:{c.name}"]] = _range_key(c, values)
        else:  # a user mixture shows as its spec (the dropdown takes custom values)
            out[component] = values[c.name]
    out.update(_view_updates(tab, ui, values))
    if "scene" in ui.parts:
        out[ui.parts["scene"]] = scene
    if "note" in ui.parts:
        out[ui.parts["note"]] = tab.note(scene)
    return out


def link_updates(tab: Tab, ui: UI, query: dict[str, str]) -> dict:
    """A link's updates: its values (`from_query`) and, when it names one of the tab's scenes, that scene in
    the scene box and its note."""
    return load_updates(tab, ui, from_query(tab, query), scene=link_scene(tab, query))


def scroll_js(tab: Tab) -> str:
    """Client-side, after a link's load: a link to a scene (`scene=` in the page's URL) scrolls to the figure
    the scene is about (`Tab.figure_of`), so an SDEdit link does not open on the inpainting plot above it. The
    figures above it are still being drawn (the page grows), so it keeps the figure at the top for 3 s, unless
    the person scrolls, types or touches first."""
    import json

    targets = {name: f"{tab.id}-{tab.figure_of(name)}" for name in tab.scenes}
    return (
        "() => { const s = new URL(location.href).searchParams; const t = " + json.dumps(targets) + ";"
        " if (s.get('tab') !== " + json.dumps(tab.id) + " || !(s.get('scene') in t)) return;"
        " let stop = false; const quit = () => { stop = true; };"
        " for (const e of ['wheel', 'touchstart', 'keydown', 'mousedown']) addEventListener(e, quit, {once: true});"
        " const go = (n) => { if (stop) return; const e = document.getElementById(t[s.get('scene')]);"
        "  if (e && e.offsetParent !== null) e.scrollIntoView({block: 'start'});"
        "  if (n > 0) setTimeout(() => go(n - 1), 150); }; go(20); }"
    )


def _first_show(tab: Tab, ui: UI, main):
    """The tab's `select` handler: draw the tab the first time it is shown, and only then (the page load draws
    the tab a link names; Gradio selects the first tab at start-up, before the load)."""
    import gradio as gr

    from demos.sharing import FIRST_TAB

    names = tab.names

    def handler(*args, request: gr.Request = None):
        *values, current = args
        query = dict(request.query_params) if request is not None else {}
        if current is not None or (query and query.get("tab", FIRST_TAB) == tab.id):  # a link's load draws it
            return {main: gr.skip()}
        return _view_updates(tab, ui, tab.validate(drop_invalid(tab, _by_name(names, values))))

    return handler
