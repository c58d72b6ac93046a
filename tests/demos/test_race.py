"""The sampler race tab's figures and text (demos/race.py), without a server."""

from __future__ import annotations

import json
import re

import pytest

from core import race as R
from demos import kit, race

DEFAULTS = [c.default for c in race.CONTROLS]


def _values(**changes):
    return [changes.get(c.name, c.default) for c in race.CONTROLS]


def _strict(fig) -> dict:
    def reject(token):
        raise AssertionError(f"figure JSON contains {token}")

    return json.loads(fig.to_json(), parse_constant=reject)


@pytest.fixture(scope="module")
def default_view():
    return race.race_view(*DEFAULTS)


@pytest.fixture(scope="module")
def small_curves():
    """Curves of three racers on few budgets (a live computation small enough for a unit test)."""
    racers = [R.RACERS["ddim"], R.RACERS["dpm2"], R.RACERS["ddpm"]]
    return R.curves("ring8", 0, 500, racers=racers, nfes=(4, 10, 20, 50, 100, 200))


def test_default_view_has_every_output_and_stays_light(default_view):
    race_fig, summary, table, curve_fig, grid_fig = default_view
    assert "20 NFE" in summary and "Best:" in summary
    total = sum(len(f.to_json()) for f in (race_fig, curve_fig, grid_fig))
    assert total < 1_500_000, total
    for fig in (race_fig, curve_fig, grid_fig):
        _strict(fig)
    assert table.count("\n| ") >= len(R.RACERS)  # one row per racer that ran, plus the reference


def test_race_panels_are_sorted_best_first_and_titled_with_units_and_real_nfe(default_view):
    fig = _strict(default_view[0])
    titles = [a["text"].replace("<br>", " ") for a in fig["layout"]["annotations"]]
    assert titles[0].startswith("DDPM 1000 steps")
    units = [float(re.search(r"([+-]\d+\.\d) u", t).group(1)) for t in titles[1:]]
    assert units == sorted(units)
    nfes = [int(re.search(r"NFE (\d+)", t).group(1)) for t in titles[1:]]
    assert max(nfes) <= 20 and 19 in nfes  # Heun-type samplers spend 2n - 1 = 19
    ran = [run for _, run in race.race_runs("ring8", 20, 0, 2000) if run is not None]
    assert len(titles) == len(ran) + 1


def test_the_table_names_the_grid_each_sampler_used_and_marks_twins(default_view):
    table = default_view[2]
    assert "diffusers' own linspace spacing" in table and "diffusers' own leading spacing" in table
    assert "= DDPM ancestral, σ²=β̃: the same samples" in table or "= DDIM η=1: the same samples" in table
    assert "DDPM ancestral, 1000 steps (for scale)" in table


def test_race_figure_is_deterministic():
    a = race.race_figure("ring8", 20, 0, 2000).to_json()
    race.race_figure.cache_clear()
    race._RACES.clear()
    assert race.race_figure("ring8", 20, 0, 2000).to_json() == a


def test_curves_figure_has_the_floor_band_orders_and_log_axes(small_curves):
    fig = _strict(race.curves_figure(small_curves, "all", "nfe", "mmd", 20))
    names = [t.get("name", "") for t in fig["data"]]
    assert any("DPM-Solver-2" in n and "p = " in n for n in names)
    assert not any("DDPM ancestral, σ²=β̃ · p" in n for n in names)  # stochastic: no order
    assert fig["layout"]["xaxis"]["type"] == "log" and fig["layout"]["yaxis"]["type"] == "log"
    assert any(s.get("type") == "rect" for s in fig["layout"]["shapes"])  # the floor band
    texts = [a["text"] for a in fig["layout"]["annotations"]]
    assert any(t.startswith("p = ") for t in texts)  # orders written beside the curves
    assert any("noise floor" in t for t in texts)


def test_wall_time_toggle_and_path_error_change_the_data(small_curves):
    by_nfe = race.curves_figure(small_curves, "all", "nfe", "mmd", 20)
    by_wall = race.curves_figure(small_curves, "all", "wall", "mmd", 20)
    path = race.curves_figure(small_curves, "all", "nfe", "path", 20)
    assert by_nfe.to_json() != by_wall.to_json()
    assert _strict(by_wall)["layout"]["xaxis"]["title"]["text"] == "wall time (s)"
    path_names = [t.get("name", "") for t in _strict(path)["data"]]
    assert len(path_names) == 2  # the two deterministic racers; the stochastic one has no path error


def test_selection_filters_the_curves(small_curves):
    ours = _strict(race.curves_figure(small_curves, "ours", "nfe", "mmd", 20))
    det = _strict(race.curves_figure(small_curves, "deterministic", "nfe", "mmd", 20))
    none = _strict(race.curves_figure(small_curves, "diffusers", "nfe", "mmd", 20))
    assert len(ours["data"]) == 4 and len(det["data"]) == 3 and len(none["data"]) == 1  # + the DDPM-1000 star


def test_grid_figure_draws_five_grids_for_each_solver():
    data = R.grid_factor("ring8", "dpm_solver_2", nfes=(10, 20))
    fig = _strict(race.grid_figure(data))
    assert len(fig["data"]) == 10
    assert "DPM-Solver-2" in fig["layout"]["title"]["text"]


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(budget=0), "NFE budget must lie between 2 and 100"),
        (dict(budget=101), "NFE budget must lie between 2 and 100"),
        (dict(budget=2.5), "whole number"),
        (dict(particles=700), "Particles must be one of 500, 1000, 2000"),
        (dict(seed=-1), "Seed"),
        (dict(preset="nope"), "nope"),
        (dict(show="everything"), "curve selection"),
        (dict(x_axis="time"), "x axis"),
        (dict(grid_solver="ddpm"), "solver for the grid panel"),
        (dict(preset="checkerboard", budget=50), "at most 20 NFE"),
    ],
)
def test_bad_input_gets_a_clear_message(changes, message):
    with pytest.raises(ValueError, match=message):
        race.race_view(*_values(**changes))


def test_live_curves_beyond_the_cap_show_a_message_not_an_error():
    fig = _strict(race.curves_view(*_values(preset="checkerboard", seed=1, budget=4, particles=500)))
    assert fig["layout"]["title"]["text"] == "Not computed"
    assert "shipped" in fig["layout"]["annotations"][0]["text"]


def test_race_data_is_plain_json_with_every_racer(default_view):
    data = race.race_data("ring8", 20, 0, 2000)
    text = json.dumps(data, allow_nan=False)
    assert len(text) < 500_000
    assert {r["id"] for r in data["race"]} == set(R.RACERS)
    ran = [r for r in data["race"] if r["ran"]]
    assert all(r["nfe"] <= 20 for r in ran)
    assert data["curves"]["racers"]["dpm2"]["order"] is not None
    assert "samples" not in text


def test_a_load_draws_every_output_by_name():
    values = race.SPEC.validate(kit.drop_invalid(race.SPEC, dict(budget=10)))
    out = kit.draw(race.SPEC, values)
    assert list(out) == ["race", "summary", "table", "curves", "grid"]
    assert values["budget"] == 10 and out["summary"].startswith("**10 NFE")


def test_every_scene_is_valid():
    for name, scene in race.SCENES.items():
        assert set(scene) <= set(race.NAMES), name
        race.SPEC.validate(race.SPEC.scene(name))


def test_a_link_over_the_work_cap_drops_only_its_budget():
    values = kit.drop_invalid(race.SPEC, dict(preset="checkerboard", budget=50, x_axis="wall"))
    assert values["preset"] == "checkerboard" and values["x_axis"] == "wall"
    assert values["budget"] == race.SPEC.control("budget").default


def test_notes_cite_the_race_claims():
    from core.claims import all_claims

    notes = race._notes()
    for key in race.OUR_CLAIMS:
        assert all_claims()[key].paper in notes and all_claims()[key].claim in notes, key


def test_every_racer_has_a_short_panel_title_that_fits_a_phone():
    assert set(race.SHORT) == set(R.RACERS)
    assert max(len(s) for s in race.SHORT.values()) <= 11


def test_live_curves_compute_only_the_racers_the_selection_adds(monkeypatch):
    """A live recompute (a seed that is not shipped) runs the shown racers only, and another selection only the
    racers it adds: "ours" then "all" computes each racer once, "deterministic" afterwards computes none."""
    asked = []

    def fake_curves(spec, seed, particles, racers, progress=None, check=None):
        asked.append([r.id for r in racers])
        return {"spec": spec, "racers": {r.id: {"family": r.family} for r in racers}, "seconds": 1.0,
                "cpu_seconds": 1.0}  # fmt: skip

    monkeypatch.setattr(R, "curves", fake_curves)
    monkeypatch.setattr(race, "_CURVES", {})
    ours = race.curves("ring8", 7, 500, "ours")
    assert set(asked[0]) == {r.id for r in R.RACERS.values() if r.family == "ours"}
    every = race.curves("ring8", 7, 500, "all")
    assert set(asked[1]) == {r.id for r in R.RACERS.values() if r.family == "diffusers"}
    assert list(every["racers"]) == list(R.RACERS) and every["seconds"] == 2.0
    assert race.curves("ring8", 7, 500, "deterministic") is every and len(asked) == 2
    assert len(ours["racers"]) < len(every["racers"])
