"""Tab "Syllabus & claims", the landing tab: the reading groups' programmes merged into one syllabus ordered
by topic (core/syllabus.py), each topic linking to the scenes that demo it, and the claims board: one card
per paper claim registered in core.claims, with the numbers shipped in assets/claims.json.

Nothing is computed here: the board reads `core.claims.shipped()` (written by `python -m core.claims
--write`), so the first paint costs a few milliseconds. Every link is relative (`?tab=...&name=value`): it
reloads this app on the right tab with the right settings, through the app's one URL loader. Cards (not
wide tables) so that a phone shows them one under the other without sideways scrolling.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape
from urllib.parse import quote, urlencode

from core import syllabus as data
from core.claims import DEPENDS, FAILS, HOLDS, NOT_APPLICABLE
from demos import kit

TAB_ID = "syllabus"
TITLE = "Syllabus & claims"
ALL = "all"
PROGRAMME_CHOICES = [("All topics, in order", ALL), *[(p.short, p.key) for p in data.PROGRAMMES]]

# Tab buttons' names, for link texts ("opens Reverse trajectories"); a tab missing here shows its id.
TAB_TITLES = {
    "syllabus": TITLE,
    "forward": "Forward diffusion",
    "reverse": "Reverse trajectories",
    "ddim": "DDIM η tradeoff",
    "cfg": "CFG guidance scale",
    "langevin": "Score & Langevin",
    "race": "Sampler race",
    "pfode": "PF-ODE & likelihood",
    "inpaint": "Inpainting & SDEdit",
    "learned": "Learned vs exact",
    "elbo": "ELBO & schedules",
    "fewsteps": "Few steps",
    "latent": "Latent diffusion",
    "data": "Your data",
}

CONTROLS = [
    kit.Control(
        "programme",
        "choice",
        ALL,
        label="Programme",
        help="follow one reading group",
        choices=tuple(PROGRAMME_CHOICES),
        widget="radio",
    )
]
SCENES = {f"{p.short}: {p.name}": dict(programme=p.key) for p in data.PROGRAMMES}

INTRO = """**Start here.** The programmes of five reading groups (EleutherAI, Hi! PARIS, Harvard, Skoltech, FIDLE)
merged into one syllabus: each topic names its papers, the sessions that read them, and the scenes of this app
that demo them (a link opens the tab with its settings). Pick a programme to follow it session by session.
Below, the **claims board**: what the papers claim, how we measured it here on exact data, and whether it holds."""

NOTES = """**How to read the board.** Each claim is registered once (`core/claims/`); the same entry drives its
test, this board and the tabs' notes, so a number is never written twice. *Holds*: the numbers say what the
paper says. *Depends on the data or grid*: it holds on some data or time grids and not on others. *Does not hold
here*: on our exact 2D data the numbers say otherwise; a finding about the claim's scope, not a bug. *Not
applicable in 2D*: a rule derived for high-dimensional data that cannot apply to our 2D points (its premise is
measured instead). The
numbers are precomputed by `python -m core.claims --write` into `assets/claims.json`, and a test recomputes
them and checks the file."""

BADGE = {  # verdict → (text, background, text colour)
    HOLDS: (HOLDS, "#dcfce7", "#14532d"),
    DEPENDS: (DEPENDS, "#fef3c7", "#78350f"),
    FAILS: (FAILS, "#fee2e2", "#7f1d1d"),
    NOT_APPLICABLE: (NOT_APPLICABLE, "#e0e7ff", "#312e81"),
    None: ("not measured yet", "#e5e7eb", "#374151"),
}

BOARD_HEADING = '<h2 id="claims-board" style="margin:18px 0 8px 0">Claims board</h2>'

PLURAL = {
    HOLDS: "hold",
    DEPENDS: "depend on the data or grid",
    FAILS: "do not hold here",
    NOT_APPLICABLE: "not applicable in 2D",
}

CSS = """
.syl { line-height: 1.45; }
.syl .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 330px), 1fr)); gap: 12px; }
.syl .card { border: 1px solid #d1d5db; border-radius: 10px; padding: 12px 14px; background: #fff;
  overflow-wrap: anywhere; min-width: 0; }
.syl .card.off { background: #f9fafb; border-style: dashed; }
.syl h3 { font-size: 1.05rem; margin: 0 0 6px 0; }
.syl h4 { font-size: 0.95rem; margin: 10px 0 4px 0; }
.syl p { margin: 4px 0; }
.syl ul { margin: 2px 0 4px 0; padding-left: 18px; }
.syl .badge { display: inline-block; border-radius: 999px; padding: 1px 9px; font-size: 0.8rem; font-weight: 600;
  margin-right: 4px; white-space: normal; }
.syl .chip { display: inline-block; border: 1px solid #c7d2fe; border-radius: 6px; padding: 0 6px; margin: 2px 2px 0 0;
  font-size: 0.82rem; color: #3730a3; text-decoration: none; }
.syl a.scene { display: inline-block; margin: 4px 6px 0 0; padding: 4px 10px; border-radius: 8px;
  background: #2563eb; color: #fff !important; text-decoration: none; font-size: 0.88rem; }
.syl a.scene:hover { background: #1d4ed8; }
.syl .muted { color: #4b5563; font-size: 0.88rem; }
.syl .session { border-left: 3px solid #93c5fd; padding-left: 10px; margin: 12px 0; }
"""


def _served() -> dict:
    """The tab modules this app serves (demos.tabs), by TAB_ID."""
    from demos.tabs import tabs_by_id

    return tabs_by_id()


def present_tabs() -> set[str]:
    """TAB_IDs of the tabs this app serves; links to other tabs are not shown ("tab coming")."""
    return set(_served())


def _text(s: str) -> str:
    """Escaped text, with `code` spans."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(s))


def tab_title(tab_id: str) -> str:
    """The tab button's name: the tab spec's title (or the module's TITLE), else TAB_TITLES, else the id."""
    try:
        spec = getattr(_served().get(tab_id), "SPEC", None)
        title = spec.title if spec is not None else getattr(_served().get(tab_id), "TITLE", None)
    except ImportError:
        title = None
    return title or TAB_TITLES.get(tab_id, tab_id)


def _badge(verdict: str | None) -> str:
    text, bg, fg = BADGE.get(verdict, (verdict or "?", "#e5e7eb", "#111827"))
    return f'<span class="badge" style="background:{bg};color:{fg}">{escape(text)}</span>'


@lru_cache(maxsize=1024)
def scene_href(query: str) -> str:
    """The link of a syllabus or claim scene: its settings and, when they describe one of the tab's own scenes
    (`kit.Tab.matching_scene`), that scene's name, so that the link opens as the scene: the settings the scene
    adds (e.g. fewer paths), its note, scrolled to its figure (issue 26.15)."""
    settings = data.params(query)
    spec = getattr(_served().get(settings.get("tab")), "SPEC", None)
    if spec is not None and kit.SCENE_KEY not in settings:
        name = spec.matching_scene({k: v for k, v in settings.items() if k != "tab"})
        if name is not None:
            settings[kit.SCENE_KEY] = name
    return "?" + urlencode(settings, quote_via=quote)


def _scene_link(scene: data.Scene, tabs: set[str]) -> str:
    if scene.tab not in tabs:
        return f'<span class="muted">{escape(scene.label)} (tab coming)</span>'
    return (
        f'<a class="scene" href="{escape(scene_href(scene.query))}" data-tab="{escape(scene.tab)}"'
        f' title="opens {escape(tab_title(scene.tab))}">▶ {escape(scene.label)}</a>'
    )


def _paper_line(key: str) -> str:
    p = data.PAPERS[key]
    arxiv = f' <span class="muted">arXiv:{escape(p.arxiv)}</span>' if p.arxiv else ""
    return f"<li>{escape(p.authors)} ({p.year}). <i>{escape(p.title)}</i>.{arxiv}</li>"


def _programme_href(key: str) -> str:
    return data.href(f"tab={TAB_ID}&programme={key}")


def _topic_card(number: int, topic: data.Topic, tabs: set[str], claims: dict, compact: bool = False) -> str:
    """A topic's card; `compact` (a programme's sessions): papers as citations, no coverage chips, no
    "Here" text, so a week reads at a glance on a phone."""
    live = [s for s in topic.scenes if s.tab in tabs]
    status = (
        '<span class="badge" style="background:#dbeafe;color:#1e3a8a">demoed</span>'
        if live
        else '<span class="badge" style="background:#e5e7eb;color:#374151">not demoed here</span>'
    )
    chips = "".join(
        f'<a class="chip" href="{escape(_programme_href(p.key))}">{escape(p.short)} · {escape(s.label)}</a>'
        for p, s in data.coverage(topic.key)
    )
    parts = [
        f'<div class="card{"" if live else " off"}" id="topic-{escape(topic.key)}">',
        f"<h3>{number}. {escape(topic.title)}</h3>",
        f"<p>{status}{'' if compact else chips}</p>",
    ]
    if topic.papers and compact:
        cites = "; ".join(f"{escape(data.PAPERS[k].cite)}, <i>{escape(data.PAPERS[k].title)}</i>" for k in topic.papers)
        parts.append(f'<p class="muted">{cites}</p>')
    elif topic.papers:
        parts.append("<ul>" + "".join(_paper_line(k) for k in topic.papers) + "</ul>")
    if live and (compact or topic.shown):  # a compact card (a programme's view) leaves out the "Here" line
        if not compact:
            parts.append(f"<p><b>Here:</b> {_text(topic.shown)}</p>")
    elif topic.scenes:
        coming = ", ".join(dict.fromkeys(tab_title(s.tab) for s in topic.scenes))
        parts.append(f'<p class="muted"><b>Coming:</b> the {escape(coming)} tab is not in this app yet.</p>')
    if topic.missing:
        parts.append(f'<p class="muted"><b>Not shown:</b> {_text(topic.missing)}</p>')
    if topic.scenes:
        parts.append("<p>" + "".join(_scene_link(s, tabs) for s in topic.scenes) + "</p>")
    named = [k for k in topic.claims if k in claims]
    if named:
        links = ", ".join(f'<a href="#claim-{escape(k)}">{escape(claims[k].paper)}</a>' for k in named)
        parts.append(f'<p class="muted">Claims: {links}</p>')
    parts.append("</div>")
    return "".join(parts)


def _registry():
    from core.claims import all_claims, shipped

    return all_claims(), shipped()


def overview_html(tabs: set[str] | None = None) -> str:
    tabs = present_tabs() if tabs is None else tabs
    claims, results = _registry()
    demoed = [t for t in data.TOPICS if any(s.tab in tabs for s in t.scenes)]
    verdicts = [results.get(key, {}).get("verdict") for key in claims]
    board = ", ".join(
        f"{n} {text if n == 1 else PLURAL.get(text, text)}"
        for v, (text, _, _) in BADGE.items()
        if (n := verdicts.count(v))
    )
    return (
        f'<p class="muted">{len(data.TOPICS)} topics from {len(data.PROGRAMMES)} programmes: {len(demoed)} demoed, '
        f"{len(data.TOPICS) - len(demoed)} not demoed here. "
        f'<a class="chip" href="#claims-board">{len(claims)} claims on the board ↓</a>'
        f"{' ' + board if board else ''}.</p>"
    )


def syllabus_html(programme: str = ALL, tabs: set[str] | None = None) -> str:
    """The syllabus map: every topic in order (programme "all"), or one programme session by session."""
    return _map_html(programme, frozenset(present_tabs() if tabs is None else tabs), _registry)


@lru_cache(maxsize=64)
def _map_html(programme: str, tabs: frozenset[str], registry) -> str:
    """(cached: the syllabus and the registered claims do not change while the app runs)"""
    claims, _ = registry()
    numbers = {t.key: i + 1 for i, t in enumerate(data.TOPICS)}
    if programme == ALL:
        cards = "".join(_topic_card(numbers[t.key], t, tabs, claims) for t in data.TOPICS)
        return f'<div class="syl">{overview_html(tabs)}<div class="cards">{cards}</div></div>'
    p = data.PROGRAMME_BY_KEY[programme]
    parts = [
        f'<div class="syl"><h3>{escape(p.name)}</h3><p class="muted">{escape(p.who)}',
        f"{'. ' + escape(p.note) if p.note else ''}</p>",
    ]
    for i, session in enumerate(p.sessions, 1):
        parts.append(
            f'<div class="session" id="{session_anchor(p.key, i)}"><h4>{escape(session.label)}: '
            f"{escape(session.title)}</h4>"
        )
        if session.note:
            parts.append(f'<p class="muted">{escape(session.note)}</p>')
        if session.topics:
            cards = "".join(
                _topic_card(numbers[k], data.TOPIC_BY_KEY[k], tabs, claims, compact=True) for k in session.topics
            )
            parts.append(f'<div class="cards">{cards}</div>')
        parts.append("</div>")
    parts.append(f'<p><a class="chip" href="{escape(_programme_href(ALL))}">← every topic, in order</a></p></div>')
    return "".join(parts)


def session_anchor(programme: str, number: int) -> str:
    """The id of a programme's session (its week) on the map: the URL's #fragment when a link in it is followed."""
    return f"week-{re.sub(r'[^a-z0-9]+', '-', programme.lower())}-{number}"


# The presenter's place in the URL (issue 26.9). Choosing a programme pushes ?tab=syllabus&programme=KEY, so Back
# and reload return to it (the kit's link loader sets the radio from the URL); following a link inside a session
# first writes that session's anchor into the current entry, so Back from the scene returns to the same week:
# the map scrolls to the anchor once it is drawn. Back between two programmes (same page) reloads the page.
PROGRAMME_URL_JS = """(p) => { const u = new URL(location.href); u.searchParams.set('tab', 'syllabus');
  u.searchParams.set('programme', p); u.hash = ''; history.pushState(null, '', u); }"""
MAP_JS = """
let placed = false;
const place = () => {
  const id = decodeURIComponent(location.hash.slice(1));
  if (placed || !id.startsWith('week-')) return;
  const el = element.querySelector('[id="' + id + '"]');
  if (el) { placed = true; el.scrollIntoView({block: 'start'}); }
};
new MutationObserver(place).observe(element, {childList: true, subtree: true});
place();
element.addEventListener('click', (e) => {
  const a = e.target.closest('a'); const week = a && a.closest('.session[id]');
  if (week) history.replaceState(history.state, '', location.pathname + location.search + '#' + week.id);
});
window.addEventListener('popstate', () => location.reload());
"""


def board_html(tabs: set[str] | None = None) -> str:
    """The claims board: one card per registered claim, in registry order, with its shipped numbers."""
    tabs = present_tabs() if tabs is None else tabs
    claims, results = _registry()
    if not claims:
        return f'<div class="syl">{BOARD_HEADING}<p class="muted">No claims registered yet.</p></div>'
    cards = []
    for key, claim in claims.items():
        result = results.get(key)
        verdict = result.get("verdict") if result else None
        measured = escape(result["summary"]) if result else "<i>not measured yet</i>"
        scene = data.Scene(f"Open the scene ({tab_title(claim.tab)})", claim.scene)
        if scene.tab not in tabs:
            scene = data.Scene(f"Scene in {tab_title(scene.tab or claim.tab)}", claim.scene)
        cards.append(
            f'<div class="card" id="claim-{escape(key)}"><h3>{escape(claim.paper)}</h3>'
            f"<p>{_badge(verdict)}</p><p>{_text(claim.claim)}</p>"
            f'<p class="muted"><b>How we measure it:</b> {_text(claim.method)}</p>'
            f"<p><b>Measured:</b> {measured}</p><p>{_scene_link(scene, tabs)}</p></div>"
        )
    return f'<div class="syl">{BOARD_HEADING}<div class="cards">{"".join(cards)}</div></div>'


def syllabus_view(programme: str = ALL) -> str:
    """The syllabus map of one programme (or of all topics), as HTML."""
    return syllabus_html(SPEC.validate({"programme": programme})["programme"])


def warm_up() -> None:
    """Nothing to compute: the board reads the shipped numbers."""
    syllabus_view(ALL)


# The URL sets the programme radio only: the map follows by the radio's change event (`follows`). As an output
# of the page load the map would be dimmed until the shared queue reaches the load, seconds on a busy app.
SPEC = kit.Tab(
    id=TAB_ID,
    title=TITLE,
    controls=CONTROLS,
    views=[kit.View(syllabus_view, ("map",), api_name="syllabus", follows=True)],
    scenes=SCENES,
)


def layout(ui: kit.UI) -> None:
    import gradio as gr

    gr.Markdown(INTRO)
    ui.control("programme")
    ui.output("map", gr.HTML(syllabus_html(ALL), css_template=CSS, js_on_load=MAP_JS, padding=False))
    gr.HTML(board_html(), css_template=CSS, js_on_load=None, padding=False)
    gr.Markdown(NOTES)
    ui.link_row()


def build() -> kit.UI:
    ui = kit.build(SPEC, layout)
    programme = ui.controls["programme"]
    programme.input(None, programme, None, js=PROGRAMME_URL_JS, api_visibility="private")
    return ui
