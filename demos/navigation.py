"""Navigation that scales to 15 tabs, for a presenter and for a thumb.

The tabs stay Gradio's one `gr.Tabs` (links select a tab by its id, `?tab=<id>&...`, as before), laid out so that
every tab button is always on screen, in the groups of `demos.tabs.TAB_GROUPS` (the syllabus's order: foundations,
samplers, guidance & editing, training & likelihood, few steps & latents):

- Gradio's "wrap" overflow: no tab hides behind a "…" menu (it held 10 of 11 tabs on a phone).
- At desktop width the buttons run in one or two rows, each group headed by a small caption above its first tab
  and set apart by a gap.
- On a phone the buttons are pills that wrap in a few rows, the group's name written small on the top border
  of its first pill; the header's paragraph is hidden and the page's side margins shrink to 10 px; in each tab
  the Scene picker (the first control of its controls column) comes first, then the main figures, then the
  other controls (the controls column joins the row's flow, `display: contents`), so the scene picker and the
  main figure start on the first screen.

Only CSS, made here from the tab list (each group's first tab by its `data-tab-id`) and put in the page's head
(`head()`: Gradio scopes `launch(css=...)` to the page's content, which leaves out the page's own margins); no
element is moved.
"""

from __future__ import annotations

import json

NAV_CLASS = "rr-nav"  # elem_classes of the app's gr.Tabs
HEADER_CLASS = "rr-header"  # elem_classes of the app's header
PHONE_MAX = 768  # px: the app's phone layout (figures before controls) up to this width


def group_starts(groups) -> list[tuple[str, str]]:
    """(caption, TAB_ID of its first tab) for each group of (label, modules)."""
    return [(label, modules[0].TAB_ID) for label, modules in groups if modules]


def css(groups=None) -> str:
    """The navigation's CSS for `groups` (default: demos.tabs.tab_groups())."""
    if groups is None:
        from demos.tabs import tab_groups

        groups = tab_groups()
    # inside .gradio-container: one class more than Gradio's own rules, which the page loads after the head's
    nav, header = f".gradio-container .{NAV_CLASS}", f".gradio-container .{HEADER_CLASS}"
    tablist = f"{nav} > .tab-wrapper > .tab-container[role=tablist]"
    button = f"{tablist} > button[role=tab]"
    rules = [
        # every button on screen, rows with room for the captions
        f"{nav} > .tab-wrapper {{ margin-bottom: 4px; }}",
        f"{tablist} {{ background: none; row-gap: 20px; padding-top: 18px; }}",
        f"{button} {{ overflow: visible !important; padding: 0 12px; }}",
    ]
    for k, (label, tab_id) in enumerate(group_starts(groups)):
        first = f'{button}[data-tab-id="{tab_id}"]'
        if k:
            rules.append(f"{first} {{ margin-left: 16px; }}")
        rules.append(
            f"{first}::before {{ content: {json.dumps(label)}; position: absolute; left: 12px; top: -17px;"
            " font-size: 12px; font-weight: 600; color: var(--body-text-color-subdued); white-space: nowrap;"
            " line-height: 1; pointer-events: none; }"
        )
    # a phone: pills, the group's name on the top border of its first pill (like a legend)
    kit_row = f"{nav} [role=tabpanel] .row:has(> .main-col)"
    controls = f"{kit_row} > .column:first-child"
    phone = [
        ".gradio-container .main.app { padding-left: 10px !important; padding-right: 10px !important; }",
        f"{header} p {{ display: none; }}",
        f"{header} h1 {{ font-size: 22px !important; margin: 0 !important; }}",
        f"{nav} > .tab-wrapper {{ margin-bottom: 0; padding-bottom: 4px; }}",
        f"{tablist} {{ row-gap: 11px; column-gap: 6px; padding-top: 7px; }}",
        f"{tablist}::after {{ display: none; }}",
        f"{button} {{ height: 31px !important; padding: 0 9px; margin-left: 0 !important; font-size: 13.5px;"
        " border: 1px solid var(--border-color-primary); border-radius: 16px; }",
        f"{button}.selected {{ border-color: var(--color-accent); background: var(--color-accent-soft); }}",
        f"{button}.selected::after {{ display: none; }}",
        f"{button}::before {{ top: -6px !important; left: 12px !important; font-size: 10px !important;"
        " padding: 0 3px; background: var(--background-fill-primary); }",
        # in a tab: the Scene picker (first control of the controls column), then the figures, then the rest
        f"{controls}, {controls} > .form:first-child {{ display: contents; }}",
        f"{controls} > *, {controls} > .form:first-child > * {{ order: 1; flex: 1 1 100%; min-width: 0; }}",
        f"{controls} > .form:first-child > .block {{ border: 1px solid var(--block-border-color);"
        " border-radius: var(--block-radius); }",
        f"{controls} > .form:first-child > .block:first-child {{ order: -2; }}",
    ]
    return "\n".join([*rules, f"@media (max-width: {PHONE_MAX}px) {{", *("  " + r for r in phone), "}"]) + "\n"


def head() -> str:
    """The navigation's CSS as a `<style>` element for `launch(head=...)`."""
    return f"<style>\n{css()}</style>\n"
