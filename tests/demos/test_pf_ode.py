"""The "PF-ODE & likelihood" tab's view functions (demos/pf_ode.py), without a server: every view draws
finite, strict-JSON figures, the table holds the numbers the text states, bad input is refused with a
sentence, links and scenes load, and the same settings give the same bytes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from demos import kit, pf_ode

DEFAULTS = [c.default for c in pf_ode.CONTROLS]


def values(**changes) -> list:
    v = dict(zip(pf_ode.NAMES, DEFAULTS))
    v.update(changes)
    return [v[n] for n in pf_ode.NAMES]


def strict_json(fig) -> dict:
    def reject(token):
        raise AssertionError(f"figure JSON contains {token}")

    return json.loads(fig.to_json(), parse_constant=reject)


@pytest.mark.parametrize("view", list(pf_ode.VIEWS))
def test_every_view_draws_finite_figures_and_a_table(view):
    main, side, table, text = pf_ode.pfode_view(*values(view=view))
    for fig in (main, side):
        data = strict_json(fig)
        assert data["layout"]["title"]["text"]
        assert len(fig.to_json()) < 1_500_000
    assert len(table) > 0 and text.startswith("**")


def test_likelihood_table_matches_the_closed_form():
    main, side, table, text = pf_ode.pfode_view(*values())
    assert list(table.columns) == pf_ode.LIKELIHOOD_HEADERS
    assert len(table) == pf_ode.N_SAMPLE_POINTS
    from core.dataspec import load_data

    exact = load_data("ring8").log_prob(table[["x", "y"]].to_numpy())
    np.testing.assert_allclose(table["exact log p₀"], exact, atol=1e-6)
    assert np.abs(table["gap"]).max() < 1e-4  # the default tolerance with the exact prior
    np.testing.assert_allclose(table["ODE log p₀"] - table["exact log p₀"], table["gap"], atol=2e-6)
    assert "Entropy of the data H(p₀)" in text and "NFE" in text


def test_the_gaussian_prior_and_a_loose_tolerance_widen_the_gap():
    tight = pf_ode.pfode_view(*values(process="edm"))[2]["gap"].abs().mean()
    gauss = pf_ode.pfode_view(*values(process="edm", prior="gaussian"))[2]["gap"].abs().mean()
    loose = pf_ode.pfode_view(*values(process="edm", rtol=1e-4))[2]["gap"].abs().mean()
    assert gauss > 100 * tight and loose > 100 * tight


def test_user_points_text_table_and_far_points():
    pts = "0,0; 2,0;\n1.5,-1.5"
    table = pf_ode.pfode_view(*values(points=pts))[2]
    np.testing.assert_array_equal(table[["x", "y"]].to_numpy(), [[0, 0], [2, 0], [1.5, -1.5]])
    rows = [[0.0, 0.0], [None, None], [2.0, 0.0]]  # an empty row (a row added in the editor) is skipped
    assert len(pf_ode.pfode_view(*values(points=rows))[2]) == 2
    far = pf_ode.pfode_view(*values(points="12,-9"))  # outside the plotted box: solved, and said so
    assert abs(far[2]["gap"].iloc[0]) < 1e-3 and "outside the plotted box" in far[3]


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(points="1,2,3"), "exactly two numbers"),
        (dict(points="1,abc"), "must be a number"),
        (dict(points="60,0"), "too far out"),
        (dict(points=";".join(["0,0"] * (pf_ode.MAX_POINTS + 1))), "At most"),
        (dict(rtol=3e-6), "rtol must be one of"),
        (dict(process="ddpm"), "Unknown process"),
        (dict(view="movie"), "Unknown view"),
        (dict(t=1.5), "t / T must lie between"),
        (dict(steps=0), "Steps must lie between"),
        (dict(grid="random"), "Unknown node placement"),
        (dict(preset="nope"), "nope"),
    ],
)
def test_bad_input_is_refused_with_a_sentence(changes, message):
    with pytest.raises(ValueError, match=message):
        pf_ode.pfode_view(*values(**changes))


def test_points_round_trip_through_text():
    pts = pf_ode.grid_points("ring8")
    assert len(pts) == pf_ode.GRID_SIDE**2
    assert pf_ode.parse_points(pf_ode.points_text(pts)) == pts
    assert pf_ode.parse_points("") is None and pf_ode.parse_points([]) is None
    assert pf_ode.parse_points({"data": [[1, 2]], "headers": ["x", "y"]}) == ((1.0, 2.0),)


def test_same_settings_same_bytes():
    for view in pf_ode.VIEWS:
        a = pf_ode.pfode_view(*values(view=view, seed=3))
        pf_ode.schedules_view.cache_clear()
        pf_ode.flow_view.cache_clear()
        pf_ode._SOLVES.clear()
        pf_ode._GAP_FIGURES.clear()
        b = pf_ode.pfode_view(*values(view=view, seed=3))
        assert a[0].to_json() == b[0].to_json() and a[1].to_json() == b[1].to_json()
        assert a[2].equals(b[2]) and a[3].split("ms.**")[-1] == b[3].split("ms.**")[-1]


def test_the_t_slider_moves_the_points_and_nothing_is_recomputed():
    first = pf_ode.pfode_view(*values(t=0.2))
    solves = dict(pf_ode._SOLVES)
    moved = pf_ode.pfode_view(*values(t=0.8))
    assert dict(pf_ode._SOLVES).keys() == solves.keys()  # cached: only the figure is redrawn
    assert "t/T = 0.80" in moved[0].layout.title.text and first[0].to_json() != moved[0].to_json()
    assert first[1] is moved[1]  # the gap curve does not depend on t


def test_schedules_view_states_the_identity_and_discrete_chains_differ():
    _, _, table, text = pf_ode.pfode_view(*values(view="schedules", process="vp", process_b="flow"))
    assert table.iloc[:, -1].astype(float).max() < 1e-10
    assert "agree to" in text
    _, _, table, text = pf_ode.pfode_view(*values(view="schedules", process="vp", process_b="ddpm"))
    assert "integer timesteps" in text


@pytest.mark.parametrize("process", pf_ode.LIKELIHOOD_PROCESSES)
@pytest.mark.parametrize("process_b", ["vp", "ve", "ddpm", "cosine", "flow"])
def test_every_pair_of_processes_draws(process, process_b):
    out = pf_ode.pfode_view(*values(view="schedules", process=process, process_b=process_b, steps=5))
    strict_json(out[0])
    strict_json(out[1])


def test_flow_view_reports_straightness_and_the_identities():
    _, side, table, text = pf_ode.pfode_view(*values(view="flow", grid="uniform"))
    assert list(table["process"]) == [
        "Flow matching (α = 1 - t, σ = t)",
        "VP SDE",
        "EDM (σ = t)",
    ]
    flow, vp = table.iloc[0], table.iloc[1]
    assert flow["length / chord (mean)"] > vp["length / chord (mean)"]  # as measured: the flow's bend more
    # ... but by Liu et al.'s S they are straighter, as the claim flow_straighter_paths measured on ring8
    assert flow["Liu et al.'s S (mean)"] < vp["Liu et al.'s S (mean)"]
    assert "Liu et al.'s S" in text and "straighter (" in text and "**less** straight (" in text
    assert flow["Euler error"] == flow["DDIM error"]
    assert "Identities" in text and "e-1" in text  # the identities are at rounding level (1e-14, 1e-15)
    assert len(side.data) == 4


def test_scenes_and_links_by_the_kit():
    spec = pf_ode.SPEC
    for name, scene in pf_ode.SCENES.items():
        v = spec.validate(kit.drop_invalid(spec, spec.scene(name)))
        assert all(v[k] == value for k, value in scene.items()), name
        assert list(kit.draw(spec, v)) == ["main", "side", "table", "summary"], name
        assert v["points"] == [list(p) for p in pf_ode.sample_points(v["preset"], v["seed"])]  # shown in the table
    bad = kit.drop_invalid(spec, dict(rtol=5e-5, steps=3))  # one bad value drops only itself
    assert bad["rtol"] == pf_ode.DEFAULT_RTOL and bad["steps"] == 3
    linked = spec.validate(kit.from_query(spec, {"rtol": "1e-05", "points": "1,2;3,4", "t": "0.537"}))
    assert linked["rtol"] == 1e-5 and linked["points"] == [[1.0, 2.0], [3.0, 4.0]] and linked["t"] == 0.54


def test_notes_cite_the_measured_claims():
    text = pf_ode.notes_markdown()
    assert "Lipman et al. 2023 run the other way" in text
    for key in pf_ode.CLAIM_KEYS:
        from core.claims import all_claims

        assert all_claims()[key].paper in text
