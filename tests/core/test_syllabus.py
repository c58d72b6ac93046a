"""The syllabus data (core/syllabus.py) and every deep link the landing tab shows: each scene of the syllabus
and each claim's scene opens a tab of the app (tab_modules()) with keys that are that tab's Control names, values
that its controls parse, and settings its own `load` accepts (the same call the app's URL loader makes)."""

from __future__ import annotations

import pytest

from core import syllabus
from core.claims import all_claims
from demos import kit
from demos.sharing import values_from_query
from demos.tabs import tab_modules

MODULES = {m.TAB_ID: m for m in tab_modules()}


def _scene_cases():
    """The links the tab shows: scenes of the tabs in tab_modules() (links to tabs still to land are not shown)."""
    cases = [pytest.param(s.query, id=f"syllabus:{s.label}") for s in syllabus.scenes(set(MODULES))]
    for key, claim in all_claims().items():
        if syllabus.params(claim.scene).get("tab") in MODULES:
            cases.append(pytest.param(claim.scene, id=f"claim:{key}"))
    return cases


# ---------------------------------------------------------------------------------------------- the data
def test_keys_are_unique():
    for items in (syllabus.TOPICS, syllabus.PROGRAMMES):
        keys = [x.key for x in items]
        assert len(keys) == len(set(keys)), f"duplicate keys: {keys}"


def test_every_reference_resolves():
    for topic in syllabus.TOPICS:
        missing = [p for p in topic.papers if p not in syllabus.PAPERS]
        assert not missing, f"topic {topic.key} cites unknown papers {missing}"
        unknown = [c for c in topic.claims if c not in all_claims()]
        assert not unknown, f"topic {topic.key} names unregistered claims {unknown}"
    for programme in syllabus.PROGRAMMES:
        for session in programme.sessions:
            unknown = [t for t in session.topics if t not in syllabus.TOPIC_BY_KEY]
            assert not unknown, f"{programme.key} {session.label} names unknown topics {unknown}"


def test_every_topic_comes_from_a_programme_and_every_paper_from_a_topic():
    """The syllabus is the programmes merged: no topic nobody teaches, no paper no topic cites."""
    orphans = [t.key for t in syllabus.TOPICS if not syllabus.coverage(t.key)]
    assert not orphans, f"topics no programme covers: {orphans}"
    cited = {p for t in syllabus.TOPICS for p in t.papers}
    assert set(syllabus.PAPERS) <= cited, f"papers no topic cites: {sorted(set(syllabus.PAPERS) - cited)}"


def test_the_seed_programmes_are_all_there():
    """EleutherAI's weeks 1-15 in order, both Hi! PARIS sessions we hold, Harvard, Skoltech's 4-part plan,
    FIDLE's parts: read from ../shared/seeds."""
    weeks = [s.label for s in syllabus.PROGRAMME_BY_KEY["eleuther"].sessions if s.label.startswith("Week")]
    assert weeks == [f"Week {i}" for i in range(1, 16)]
    assert [s.label for s in syllabus.PROGRAMME_BY_KEY["hiparis"].sessions] == ["Session 1/4", "Session 2/4"]
    assert {"harvard", "skoltech", "fidle"} <= set(syllabus.PROGRAMME_BY_KEY)
    assert [s.label for s in syllabus.PROGRAMME_BY_KEY["fidle"].sessions] == [f"Part {i}" for i in (1, 2, 3, 5, 6)]


def test_topics_say_what_is_shown_and_what_is_not():
    for topic in syllabus.TOPICS:
        if topic.demoed:
            assert topic.shown, f"demoed topic {topic.key} does not say what its scenes show"
        else:
            assert not topic.shown and topic.missing, f"topic {topic.key} without scenes must say what is missing"
    not_demoed = {t.key for t in syllabus.TOPICS if not t.demoed}
    assert "distillation" in not_demoed  # listed, not hidden


def test_cite_names_first_authors():
    assert syllabus.PAPERS["ddim"].cite == "Song et al. 2021"
    assert syllabus.PAPERS["cfg"].cite == "Ho & Salimans 2022"
    assert syllabus.PAPERS["sohl2015"].cite == "Sohl-Dickstein et al. 2015"


def test_href_round_trips_unencoded_values():
    query = "tab=ddim&preset=ring8&cell_variant=η = 0.0"
    link = syllabus.href(query)
    assert link.startswith("?tab=ddim&") and " " not in link and "η" not in link
    assert (
        syllabus.params(link) == syllabus.params(query) == {"tab": "ddim", "preset": "ring8", "cell_variant": "η = 0.0"}
    )
    gmm = "tab=reverse&preset=gmm:1,-2,0,0.3,0.3,0,0;1,2,0,0.5,0.1,30,1"
    assert syllabus.params(syllabus.href(gmm))["preset"] == "gmm:1,-2,0,0.3,0.3,0,0;1,2,0,0.5,0.1,30,1"


def test_every_scene_names_a_known_tab():
    """Scenes of tabs not in tab_modules() yet are hidden by the page, but their tab id must be one the app plans."""
    from demos.syllabus import TAB_TITLES

    for scene in syllabus.scenes():
        assert scene.tab in TAB_TITLES, f"{scene.query}: unknown tab {scene.tab!r}"
    for key, claim in all_claims().items():
        assert syllabus.params(claim.scene).get("tab") in TAB_TITLES, f"claim {key}: unknown tab in {claim.scene}"


def test_scenes_are_deduplicated_and_filtered_by_tab():
    every = syllabus.scenes()
    assert len({syllabus.href(s.query) for s in every}) == len(every)
    assert all(s.tab == "cfg" for s in syllabus.scenes({"cfg"})) and syllabus.scenes({"cfg"})


# ---------------------------------------------------------------------------------------------- the links
@pytest.mark.parametrize("query", _scene_cases())
def test_scene_opens_its_tab_with_valid_settings(query):
    settings = syllabus.params(query)
    tab = settings.pop("tab", None)
    assert tab in MODULES, f"{query}: tab {tab!r} is not one of tab_modules() {sorted(MODULES)}"
    module = MODULES[tab]
    controls = {c.name: c for c in module.CONTROLS}
    unknown = sorted(set(settings) - set(controls))
    assert not unknown, f"{query}: {unknown} are not controls of {tab} ({sorted(controls)})"
    parsed = {name: controls[name].parse(text) for name, text in settings.items()}  # a link would drop these
    if hasattr(module, "SPEC"):  # every value valid as given (a link would drop an invalid one), every view drawn
        values = kit.drop_invalid(module.SPEC, parsed)
        assert {name: values[name] for name in parsed} == parsed, f"{query}: the tab drops a value"
        assert all(v is not None for v in kit.draw(module.SPEC, module.SPEC.validate(values)).values())
        return
    values = values_from_query(module.CONTROLS, {"tab": tab, **settings})
    updates = module.load(values)  # raises ValueError (shown as a warning by the app) if the tab refuses
    assert len(updates) >= len(module.CONTROLS)
