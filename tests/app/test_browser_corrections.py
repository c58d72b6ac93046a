"""Issue 26's walkthrough corrections in a real browser (Debian's headless Chromium against `python app.py`;
fixtures in conftest.py):

* 26.13 a stale scene: once a control moves after a scene, the Scene box is emptied, the note is the tab's own
  again and the share box is empty (Forward: "DDPM halfway", then the VP SDE);
* 26.14 controls that do nothing: on Reverse, a diffusers row disables the Forward process and the Time grid and
  plain Langevin the Time grid and Steps, each saying why (demos/reverse.py, unused_controls);
* 26.15 a link to a scene opens on its figure: a syllabus link to an SDEdit scene has the SDEdit plot at the top of
  the window, at projector and at phone width (kit.scroll_js, kit.Tab.figure_of).
Screenshots: test-output/screenshots/corrections-*.png.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest

from core import syllabus as data
from core.samplers.registry import get_sampler
from demos import forward, inpainting, reverse
from demos.sharing import link_js, stale_js
from demos.syllabus import scene_href
from tests.app.browser import PHONE, AppPage, choose, combobox, wait_until
from tests.app.test_browser import TABS
from tests.app.test_browser_inpaint import INPAINT

pytestmark = pytest.mark.browser

PROJECTOR = (1920, 1080)
FORWARD, REVERSE = TABS[0], TABS[1]
SHARE_BOX = "label:has-text('Share this link') textarea:visible"
# the text of a control's block (label, info line) and whether its inputs are disabled
BLOCK = """e => { const b = e.closest('.block') || e.parentElement;
  return {text: b.innerText, disabled: [...b.querySelectorAll('input')].every(i => i.disabled)}; }"""


def _note(app: AppPage) -> str:
    return " ".join(app.page.locator(".scene-note:visible").first.inner_text().split())


def test_a_moved_control_clears_the_scene_its_note_and_the_link(browser, app_url):
    """26.13: the Scene box and its note named the scene after a control had changed the view."""
    defaults = forward.SPEC.defaults()
    # a DDPM scene other than the default view, so that the default view's link must go
    name = next(
        n for n, v in forward.SPEC.scenes.items() if v.get("process") == "ddpm" and forward.SPEC.scene(n) != defaults
    )
    app = AppPage(browser, f"{app_url}?tab=forward", PROJECTOR)
    page = app.page
    try:
        app.wait_for_view(FORWARD)
        button, box = page.locator("button:visible", has_text="Link to this view"), page.locator(SHARE_BOX)
        button.click()
        wait_until(box.input_value, "the default view's link", ok=lambda v: v.startswith("http"))
        choose(page, "Scene", name)
        wait_until(lambda: _note(app), "the scene's note", ok=lambda n: n == forward.SPEC.note(name))
        assert combobox(page, "Scene") == name
        wait_until(box.input_value, "the default view's link to be emptied", ok=lambda v: v == "")
        button.click()
        link = wait_until(box.input_value, "the link", ok=lambda v: "process=ddpm" in v)
        assert float(dict(parse_qsl(urlsplit(link).query))["t"]) == forward.SPEC.scene(name)["t"]
        choose(page, "Forward process", "VP SDE")
        wait_until(lambda: combobox(page, "Scene"), "the Scene box to be emptied", ok=lambda v: v == "")
        wait_until(lambda: _note(app), "the tab's own note", ok=lambda n: n == forward.SPEC.default_note)
        assert box.input_value() == "", "the share box still holds the scene's link"
        assert combobox(page, "Forward process") == "VP SDE"
        app.shot("corrections-forward-scene-cleared")
        app.assert_no_errors()
    finally:
        app.close()


def test_a_share_box_keeps_only_the_link_of_the_controls_shown(browser, app_url):
    """sharing.stale_js, run in the page: after a move (or a scene) lands, the box keeps a link made from the
    settings now shown and empties one made before."""
    app = AppPage(browser, f"{app_url}?tab=forward", PHONE)
    try:
        values = [forward.SPEC.defaults()[c.name] for c in forward.SPEC.controls]
        make = link_js(forward.TAB_ID, forward.SPEC.controls)
        now = app.page.evaluate(f"({make})(...{json.dumps(values)})")
        check = f"(box) => ({stale_js(make, (None, 'note'))})(...{json.dumps(values)}, box)"
        assert app.page.evaluate(check, now) == [None, "note", now]
        assert app.page.evaluate(check, now.replace("seed=", "seed=1")) == [None, "note", ""]
        assert app.page.evaluate(check, "") == [None, "note", ""]
    finally:
        app.close()


def _state(page, label: str) -> dict:
    control = page.get_by_role("combobox", name=label).filter(visible=True)
    if not control.count():  # a slider: its number box
        control = page.locator(f'input[aria-label="number input for {label}"]:visible')
    return control.first.evaluate(BLOCK)


LABELS = {c.name: c.label for c in reverse.CONTROLS}


@pytest.mark.parametrize("sampler", ["diffusers:DDIM", "langevin"])
def test_controls_a_sampler_ignores_are_disabled_with_the_reason(browser, app_url, sampler):
    """26.14: a diffusers row accepted a Forward process it ignores; plain Langevin offered Steps and a Time grid
    beside the steps it really runs. Each such control is disabled, its line says why; the others stay enabled."""
    spec = get_sampler(sampler)
    unused = reverse.unused_controls(spec)
    assert unused, f"{sampler} ignores nothing: the test would check nothing"
    app = AppPage(browser, f"{app_url}?tab=reverse", PROJECTOR)
    page = app.page
    try:
        app.wait_for_view(REVERSE)
        before = {n: _state(page, LABELS[n]) for n in reverse.STATE_CONTROLS}
        assert not any(s["disabled"] for s in before.values()), f"disabled under DDIM already: {before}"
        choose(page, "Sampler", spec.title)
        for name in reverse.STATE_CONTROLS:
            label = LABELS[name]
            if name in unused:
                state = wait_until(
                    lambda label=label: _state(page, label), f"{label} disabled", ok=lambda s: s["disabled"]
                )
                assert unused[name] in " ".join(state["text"].split()), f"{label} does not say why: {state}"
            else:
                assert not _state(page, label)["disabled"], f"{label} disabled although {sampler} uses it"
        app.shot(f"corrections-reverse-{sampler.replace(':', '-')}")
        app.assert_no_errors()
    finally:
        app.close()


def _named(href: str) -> str | None:
    return dict(parse_qsl(href[1:])).get("scene")


SDEDIT_LINKS = [
    h
    for h in (scene_href(s.query) for s in data.scenes({inpainting.TAB_ID}))
    if _named(h) is not None and inpainting.SPEC.figure_of(_named(h)) == "sd_main"
]


@pytest.mark.parametrize("size", [PROJECTOR, PHONE], ids=["projector", "phone"])
def test_a_link_to_an_sdedit_scene_opens_on_its_figure(browser, app_url, size):
    """26.15: a syllabus link to an SDEdit scene opened with the inpainting plot at the top and the SDEdit plot
    1,700 px down."""
    assert SDEDIT_LINKS, "the syllabus links no SDEdit scene"
    href = SDEDIT_LINKS[0]
    name = _named(href)
    app = AppPage(browser, app_url + href, size)
    page = app.page
    figure = page.locator(f"#inpaint-{inpainting.SPEC.figure_of(name)}")
    try:
        app.wait_for_view(INPAINT, "")  # every plot of the tab drawn: the page above the figure has its height
        top = lambda: figure.evaluate("e => e.getBoundingClientRect().top")  # noqa: E731
        assert figure.evaluate("e => e.getBoundingClientRect().top + window.scrollY") > size[1] / 2, (
            "the SDEdit figure is near the top of the page anyway: the test would show nothing"
        )
        wait_until(top, f"the SDEdit figure at the top of the window ({size[0]} px)", ok=lambda y: -5 <= y <= 200)
        app.shot(f"corrections-sdedit-link-{size[0]}")
        app.assert_no_errors()
    finally:
        app.close()
