"""Diffusion Reading Room: interactive, exact demos of diffusion-model papers on 2D Gaussian mixtures.

`python app.py` serves the app (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT are honoured); the same file
runs as a Hugging Face Space. A URL such as `/?tab=reverse&sampler=ddim&steps=10` opens a tab with
those settings.
"""

from __future__ import annotations

import json
import logging
import os
import threading

import gradio as gr

from core.dataspec import is_preset, load_data
from demos import kit, live, navigation, plotting
from demos.data_input import data_update
from demos.inputs import user_facing
from demos.sharing import wanted_tab
from demos.tabs import tab_modules

TABS = tab_modules()
CONCURRENCY = 2  # one worker per core, for the whole app: more would only make every request slower
COMPUTE = "compute"  # the one concurrency group every Python event joins
# At page load: light mode, and the page's loading statuses kept to what is shown (demos/live.py)
PAGE_JS = "() => { document.body.classList.remove('dark');" + live.DROP_INPUT_STATUSES_JS + "}"
CSS = """
.gradio-container { max-width: 1920px !important; }
footer { display: none !important; }
@media (max-width: 768px) { .main-col { order: -1; } }  /* phones: the figures first, controls below */
"""

HEADER = """# Diffusion Reading Room
Exact demos of the diffusion papers a reading group studies, on 2D Gaussian mixtures whose every diffused
density, score and denoiser is known in closed form, so each sampler's **real** error is measured, not guessed.
"""


def build_app() -> gr.Blocks:
    with gr.Blocks(title="Diffusion Reading Room", fill_width=True) as demo:
        gr.Markdown(HEADER, elem_classes=[navigation.HEADER_CLASS])
        # every tab button on screen, grouped as the syllabus is (demos/navigation.py): no "…" menu
        with gr.Tabs(overflow_behavior="wrap", elem_classes=[navigation.NAV_CLASS]) as tabs:
            handles = [module.build() for module in TABS]

        # a link is applied in two steps, so that only the tab it names is touched (see `link_inputs`)
        inboxes = link_inputs(handles, tabs)

        def on_load(request: gr.Request):
            """The page load reads the URL and hands the link to the inbox of the tab it names, whose own events
            set the tab's controls, figures and note, then select it (selected first, the tab's first-show event
            could draw its defaults over the link's values). The other tabs draw themselves when first shown."""
            query = dict(request.query_params) if request is not None else {}
            if not query:  # no link: nothing to set (a load answering after a quick first click undid the click)
                return {}
            wanted = wanted_tab(query, [m.TAB_ID for m in TABS])
            return {inboxes[wanted]: json.dumps({**query, "tab": wanted} if "tab" in query else query)}

        demo.load(user_facing(on_load), None, list(inboxes.values()), api_visibility="private")
        use_everywhere(handles)
        status = gr.Textbox(visible="hidden", elem_classes=["rr-status"])
    share_workers(demo)
    one_status(demo, status)
    live.send_figures(demo)
    return demo


def link_inputs(handles, tabs: gr.Tabs) -> dict:
    """One hidden inbox per tab, outside the tabs (always mounted), and its event: a link's query arrives in
    the inbox of the tab it names, whose events select that tab in the page (when the link names one,
    `select_js`) and set its controls, figures and note.

    Why not one page-load event that sets every tab: Gradio's page keeps a loading status for every component
    that any event it ran could write, and on every later event walks its whole component tree once per such
    component (`update_loading_stati_state` in Gradio 6.31's Blocks). A load that could write all 14 tabs'
    controls and plots made every slider move cost ~300 tree walks; this way a page holds the statuses of the
    inboxes, the tab a link opened and the views it ran (issue 27)."""
    inboxes = {}
    for module, handle in zip(TABS, handles):
        inbox = gr.Textbox(visible="hidden", elem_classes=["rr-link-inbox"])

        def apply_link(text, module=module, handle=handle):
            return kit.link_updates(module.SPEC, handle, json.loads(text) if text else {})

        applied = inbox.change(
            user_facing(apply_link), inbox, list(kit.loads_to(module.SPEC, handle)), api_visibility="private"
        )
        selected = applied.then(None, inbox, tabs, js=select_js(module.TAB_ID), api_visibility="private")
        if hasattr(module, "SPEC"):  # a link to a scene opens at the scene's figure
            selected.then(None, None, None, js=kit.scroll_js(module.SPEC), api_visibility="private")
        inboxes[module.TAB_ID] = inbox
    return inboxes


def select_js(tab_id: str) -> str:
    """The inbox's client-side listener: select the tab when the link names one. In the page, not in `apply_link`:
    a backend event that writes the `gr.Tabs` gives it a loading status for the rest of the page's life, and
    Gradio then reads the value of every mounted component below it (every visited tab's) at each stage of every
    later event: 1.2-1.7 s per slider move after visiting all tabs (issue 27). It runs after `apply_link`: the
    tab's first show then finds its figure set and skips (`kit._first_show`), so the link's values are drawn."""
    return (
        "(text) => { let q = {}; try { q = JSON.parse(text || '{}'); } catch (e) { return undefined; }"
        f" return q.tab ? {{__type__: 'update', selected: {json.dumps(tab_id)}}} : undefined; }}"
    )


def use_everywhere(handles) -> None:
    """ "Use in all tabs" (the Your data tab's `use` button): select the user's mixture in every other tab's
    data control and clear that tab's main figure, so the tab draws itself anew with it when next shown (the
    kit's first show). A tab whose spec does not accept the mixture (guidance needs two classes) is left as is."""
    source = next(h for h in handles if "use" in h.parts)
    targets = []
    for module, handle in zip(TABS, handles):
        data = [c for c in module.SPEC.controls if c.kind == "data"]
        if handle is not source and data:
            main = handle.outputs[module.SPEC.views[0].outputs[0]]
            targets.append((module.SPEC.accepts, handle.controls[data[0].name], main))

    def select_everywhere(spec):
        mixture = load_data(spec)
        updates = {}
        for accepts, dropdown, plot in targets:
            if accepts(mixture):
                updates.update({dropdown: with_choice(dropdown, spec), plot: None})
        gr.Info("Your mixture is selected in every tab that can use it; each tab redraws when you open it.")
        return updates

    source.parts["use"].click(
        user_facing(select_everywhere),
        source.outputs["canonical"],
        [c for _, dropdown, plot in targets for c in (dropdown, plot)],
        api_visibility="private",
    )


def with_choice(dropdown: gr.Dropdown, spec: str) -> gr.Dropdown:
    """An update selecting `spec` in a data dropdown, its presets kept and the user mixture added by title."""
    presets = [value for _, value in dropdown.choices if is_preset(value)]
    return data_update(gr, spec, presets)


def share_workers(demo: gr.Blocks) -> None:
    """Put every Python event in one concurrency group of CONCURRENCY workers (Gradio's limit is per event,
    so ten tabs would otherwise run up to ten heavy requests at once on two cores), except trainings: they
    run in their own group of one (kit.HEAVY), so two trainings can never hold both workers while every other
    tab waits behind them. Client-side (JS-only) events never reach the queue and are left alone."""
    for fn in demo.fns.values():
        if fn.fn is None:
            continue
        if fn.concurrency_id == kit.HEAVY:
            fn.concurrency_limit = 1
        else:
            fn.concurrency_id = COMPUTE
            fn.concurrency_limit = CONCURRENCY


def one_status(demo: gr.Blocks, status: gr.Textbox) -> None:
    """Show every Python event's loading status on one hidden component (`show_progress_on`), except trainings,
    whose progress bars belong on their outputs.

    Why (issue 27): Gradio 6.31's page keeps a loading status for every component an event that ran could
    write (its `show_progress_on`, else its outputs), and on every stage of every later event pushes each of
    them to its component (`update_loading_stati_state`: a search of the whole component tree per status).
    After a visit to every tab that was ~100 statuses and doubled or quadrupled a slider's time; now it is one,
    plus the outputs of a training once one ran. No visible spinner is lost: the plots are drawn from hidden
    carriers (demos/live.py), and the views answer in well under a second. The page also records every *input*
    of a completed event as a status; `PAGE_JS` drops those (demos/live.py, DROP_INPUT_STATUSES_JS)."""
    for fn in demo.fns.values():
        if fn.fn is not None and fn.concurrency_id != kit.HEAVY:
            fn.show_progress_on = [status]


def warm_up_tab(module) -> None:
    """Compute a tab's default view once: its own `warm_up`, or for a kit tab without one its defaults drawn."""
    if hasattr(module, "warm_up"):
        module.warm_up()
    else:
        kit.draw(module.SPEC, module.SPEC.validate(module.SPEC.defaults()))


def warm_up() -> None:
    """Compute each tab's default view once (plotly's first figures, noise floors, the DDIM table), in the
    background so the first page is served at once; a visitor arriving earlier computes what they need."""
    plotting.warm_up()
    for module in TABS:
        try:
            warm_up_tab(module)
        except Exception:
            logging.getLogger("reading_room").exception("warm-up of %s failed", module.TAB_ID)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    demo = build_app()
    threading.Thread(target=warm_up, name="warm-up", daemon=True).start()
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=64)
    demo.launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "0.0.0.0"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        theme=gr.themes.Default(primary_hue="blue", neutral_hue="slate"),
        css=CSS,
        head=navigation.head(),  # the navigation's CSS, unscoped (Gradio scopes `css` to the page's content)
        js=PAGE_JS,
        footer_links=["api"],
        # Gradio 6.31 records every call's inputs and outputs (our figures: 0.1-0.5 MB each) in the browser's
        # localStorage, rereading and rewriting up to 100 of them at every stage of every event: 0.3-0.4 s per
        # slider move once a page has run a few dozen events (issue 27). The app has no use for it.
        run_history=False,
        # The page as measured (benchmarks.browser) and tested: Gradio's client-rendered build, whose module names
        # demos/live.py's page script finds. A Space would otherwise serve the server-side-rendered build.
        ssr_mode=False,
        allowed_paths=[],
        show_error=False,  # our gr.Error messages still show; Gradio's own exception texts do not
        max_file_size="1mb",  # the app has no upload; this caps Gradio's generic upload route
    )


if __name__ == "__main__":
    main()
