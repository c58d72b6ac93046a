"""Every in-app link the Syllabus tab shows (each syllabus scene and each claim's scene), opened through the app's own
page-load handlers in this process: the same calls a browser's page load makes on the server (`on_load` and the
named tab's `apply_link` in app.py; tests/app/page_load.py).

For each link: the tab it names is selected, no value of it is refused (the handler's warnings are logged as
"link: ..." by demos.sharing), every setting the link changes from its tab's default is among the values the load
gives that tab's controls, and every figure is drawn. The browser test (test_browser_syllabus.py) follows one link
per tab through a real page; this test covers every link.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

import gradio as gr
import pytest

import app
from core import syllabus as data
from core.claims import all_claims
from demos import kit, live
from demos.syllabus import scene_href
from demos.tabs import tabs_by_id
from tests.app.page_load import link_loader

MODULES = tabs_by_id()


def shown_links() -> list[str]:
    """The hrefs of the scenes the Syllabus tab links to: its syllabus scenes and the claims' scenes of served tabs."""
    hrefs = [scene_href(s.query) for s in data.scenes(set(MODULES))]
    hrefs += [scene_href(c.scene) for c in all_claims().values() if data.params(c.scene).get("tab") in MODULES]
    return list(dict.fromkeys(hrefs))


def changed_settings(tab: str, settings: dict[str, str]) -> dict:
    """The link's settings that differ from the tab's defaults, parsed (the ones the load must visibly set)."""
    controls = {c.name: c for c in MODULES[tab].CONTROLS}
    parsed = {k: controls[k].parse(v) for k, v in settings.items() if k in controls}
    return {k: v for k, v in parsed.items() if v != controls[k].default}


def _value(update):
    """The value an update sets: a bare value, a `gr.update` dict's value or a component's value."""
    if isinstance(update, dict):
        return update.get("value")
    if isinstance(update, gr.components.Component):
        return update.value
    return update


@pytest.fixture(scope="module")
def page_load():
    demo = app.build_app()
    (tabs,) = [b for b in demo.blocks.values() if isinstance(b, gr.Tabs)]
    return link_loader(demo), tabs


def test_the_links_cover_every_tab_with_scenes():
    tabs = {dict(parse_qsl(h[1:]))["tab"] for h in shown_links()}
    with_scenes = {t for t, m in MODULES.items() if m.SCENES}
    assert with_scenes - {"syllabus"} <= tabs, f"tabs with scenes but no link: {sorted(with_scenes - tabs)}"


@pytest.mark.parametrize("href", shown_links())
def test_every_link_opens_its_tab_with_its_settings(page_load, href, caplog):
    on_load, tabs = page_load
    query = dict(parse_qsl(href[1:], keep_blank_values=True))
    tab = query["tab"]
    with caplog.at_level(logging.INFO, logger="reading_room"):
        updates = on_load(query)
    refused = [r.getMessage() for r in caplog.records if r.getMessage().startswith("link:")]
    assert not refused, f"{href}: the app refused the link: {refused}"
    selected = updates[tabs]
    assert (selected.get("selected") if isinstance(selected, dict) else selected.selected) == tab
    values = [_value(u) for u in updates.values()]
    missing = {k: v for k, v in changed_settings(tab, query).items() if not any(kit.same_value(v, x) for x in values)}
    assert not missing, f"{href}: the load does not set {missing}"
    plots = [(k, v) for k, v in updates.items() if isinstance(k, gr.Plot) or live.is_carrier(k)]
    assert plots, f"{href}: the load draws no plot"  # a carrier: demos/live.py's hidden holder of a plot's figure
    drawn = [v.get("plot") if live.is_carrier(k) else _value(v) for k, v in plots]  # a carrier holds the figure
    assert all(d is not None for d in drawn), f"{href}: a plot left empty"


SCENE_LINKS = [h for h in shown_links() if kit.SCENE_KEY in dict(parse_qsl(h[1:]))]


def scenes_agreeing(tab: str, settings: dict[str, str]) -> list[str]:
    """The scenes of the tab whose values (their own settings, the tab's defaults for the rest) agree with every
    setting of a link, the link's scene itself aside."""
    spec = getattr(MODULES[tab], "SPEC", None)
    if spec is None:
        return []
    controls = {c.name: c for c in spec.controls}
    parsed = {k: controls[k].parse(v) for k, v in settings.items() if k in controls}
    return [n for n in spec.scenes if all(kit.same_value(spec.scene(n)[k], v) for k, v in parsed.items())]


def test_every_link_matching_a_scene_names_it():
    """Every syllabus link whose settings agree with one of its tab's scenes names a scene they agree with (issue
    26.15: a link to a scene is that scene), so the link cannot set fewer options than the scene; and a link that
    names a scene names one its settings agree with."""
    unnamed, wrong = [], []
    for href in shown_links():
        query = dict(parse_qsl(href[1:], keep_blank_values=True))
        tab, name = query.pop("tab"), query.pop(kit.SCENE_KEY, None)
        agreeing = scenes_agreeing(tab, query)
        if agreeing and name is None:
            unnamed.append((href, agreeing))
        if name is not None and name not in agreeing:
            wrong.append((href, agreeing))
    assert not unnamed, f"links matching a scene of their tab that do not name it (link, scenes): {unnamed}"
    assert not wrong, f"links naming a scene their settings contradict (link, agreeing scenes): {wrong}"
    assert SCENE_LINKS, "no link names a scene: the check above saw nothing to check"


@pytest.mark.parametrize("href", SCENE_LINKS)
def test_a_scene_link_opens_as_that_scene(page_load, href):
    """Every setting of the scene, the scene in the Scene box and the scene's own note."""
    on_load, _ = page_load
    query = dict(parse_qsl(href[1:], keep_blank_values=True))
    module, name = MODULES[query["tab"]], query[kit.SCENE_KEY]
    spec = module.SPEC
    updates = on_load(query)
    values = [_value(u) for u in updates.values()]
    missing = {k: v for k, v in spec.scenes[name].items() if not any(kit.same_value(v, x) for x in values)}
    assert not missing, f"{href}: the load does not set the scene's {missing}"
    texts = {x for x in values if isinstance(x, str)}
    assert name in texts, f"{href}: the Scene box does not name {name!r}"
    assert not spec.note(name) or spec.note(name) in texts, f"{href}: the scene's note is not shown"
