"""The DDIM tab beyond the shared figure tests (tests/demos/test_figures.py): the optimal-variance rows, the
paper's two halves of Table 1, titles that agree with the cell, scenes, the notes' reading of the paper."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from core.claims import REL_TOL, all_claims, shipped
from demos import ddim_table, kit


def test_rows_are_the_papers_then_the_two_optimal_ones():
    assert list(ddim_table.VARIANTS)[:5] == list(ddim_table.PAPER_CIFAR10) == list(ddim_table.PAPER_CELEBA)
    assert [v[0] for v in ddim_table.VARIANTS.values()][5:] == ["optimal_gaussian", "analytic_dpm"]


def test_both_halves_of_the_papers_table_are_as_published():
    """Song et al. 2021a, Table 1 (the CelebA half as in /work/shared/reference, §4)."""
    assert ddim_table.PAPER_CIFAR10["η = 0.0"][-1] == 4.04 and ddim_table.PAPER_CIFAR10["σ̂"][-1] == 3.17
    assert ddim_table.PAPER_CELEBA["η = 0.0"] == (17.33, 13.73, 9.17, 6.53, 3.51)
    assert ddim_table.PAPER_CELEBA["σ̂"] == (299.71, 183.83, 71.71, 45.20, 3.26)
    # the paper's own row at S = 1000: η > 0 still hurts; σ̂ is the one exception (both halves)
    for half in (ddim_table.PAPER_CIFAR10, ddim_table.PAPER_CELEBA):
        at_1000 = [half[k][-1] for k in ("η = 0.0", "η = 0.2", "η = 0.5", "η = 1.0")]
        assert at_1000 == sorted(at_1000) and half["σ̂"][-1] < at_1000[0]


def test_notes_read_the_papers_row_correctly_and_name_the_half():
    notes = ddim_table.NOTES
    assert "stop hurting" not in notes  # the old misreading (issue 11.3)
    assert "CIFAR-10" in notes and "CelebA" in notes
    for number in ("4.04", "4.73", "3.17"):
        assert number in notes


@pytest.fixture(scope="module")
def view_1000():
    return ddim_table.ddim_view("ring8", 500, 0, 1000, ddim_table.OPTIMAL)


def test_same_noise_plot_uses_the_cells_steps(view_1000):
    heat, rows, cell, paths = view_1000
    assert "S = 1000" in cell.layout.title.text and "S = 1000" in paths.layout.title.text
    path = paths.data[1]
    assert sum(np.isnan(np.asarray(path.x, dtype=float))) == ddim_table.N_PATHS  # one NaN break per path
    assert len(path.x) == ddim_table.N_PATHS * (1000 + 2)  # start + 1000 steps + the break, per path


def test_heatmap_title_wraps_for_a_phone(view_1000):
    heat = view_1000[0]
    lines = heat.layout.title.text.split("<br>")
    assert len(lines) >= 2 and all(len(line) <= 44 for line in lines), lines
    assert "Exact error" in lines[0]  # what tests/app/test_browser.py waits for


def test_optimal_rows_have_finite_cells_and_their_own_trace_names(view_1000):
    heat, rows, cell, paths = view_1000
    assert [r[0] for r in rows][-2:] == [ddim_table.OPTIMAL, ddim_table.ANALYTIC]
    assert np.isfinite(np.array([r[1:] for r in rows], dtype=float)).all()
    assert cell.data[1].name == f"samples ({ddim_table.OPTIMAL}, S = 1000)"


def test_a_table_miss_reports_progress_to_the_end():
    seen = []
    ddim_table._TABLES.pop(("ring8_soft", 500, 3), None)
    ddim_table.table("ring8_soft", 500, 3, progress=lambda f, desc="": seen.append((f, desc)))
    fractions = [f for f, _ in seen]
    assert len(seen) == len(ddim_table.VARIANTS) * len(ddim_table.STEPS)
    assert fractions == sorted(fractions) and math.isclose(fractions[-1], 1.0)
    assert any(ddim_table.ANALYTIC in d for _, d in seen)


@pytest.mark.parametrize("name", list(ddim_table.SCENES))
def test_every_scene_is_a_valid_view(name):
    assert set(ddim_table.SCENES[name]) <= set(ddim_table.SPEC.names)
    values = ddim_table.SPEC.validate(ddim_table.SPEC.scene(name))
    assert values["cell_steps"] in ddim_table.STEPS and values["cell_variant"] in ddim_table.VARIANTS


def test_a_bad_link_value_drops_alone_and_the_radios_offer_what_the_check_accepts():
    """particles=1500 is not a table size: it alone falls back to its default; the radios offer exactly the
    values the check accepts."""
    values = kit.drop_invalid(ddim_table.SPEC, dict(preset="ring8_soft", particles=1500, cell_steps=20))
    assert values["particles"] == 1000 and values["preset"] == "ring8_soft" and values["cell_steps"] == 20
    assert ddim_table.SPEC.control("particles").choices == ddim_table.PARTICLE_CHOICES
    assert ddim_table.SPEC.control("cell_steps").choices == ddim_table.STEPS
    for name, allowed in (("particles", ddim_table.PARTICLE_CHOICES), ("cell_steps", ddim_table.STEPS)):
        for value in allowed:
            ddim_table.SPEC.validate({**ddim_table.SPEC.defaults(), name: value})


def test_claim_scenes_are_links_to_this_tab():
    from urllib.parse import parse_qs

    for key in ("iddpm_optimal_step", "iddpm_optimal_few_steps"):
        query = {k: v[0] for k, v in parse_qs(all_claims()[key].scene).items()}
        assert query["tab"] == ddim_table.TAB_ID and query["cell_variant"] == ddim_table.OPTIMAL
        assert int(query["cell_steps"]) in ddim_table.STEPS


@pytest.mark.slow
def test_the_default_table_shows_the_claims_numbers():
    """The tab and the shipped claim measure the same cells (ring8, 1,000 particles): the claim's numbers are the
    means of the tab's table over the claim's seeds."""
    from core.claims import iddpm

    result = shipped().get("iddpm_optimal_step")
    if result is None:
        pytest.skip("assets/claims.json has no iddpm_optimal_step yet (python -m core.claims --write ...)")
    units = np.mean([ddim_table.table("ring8", iddpm.PARTICLES, seed)["units"] for seed in iddpm.SEEDS], axis=0)
    names = {"optimal": ddim_table.OPTIMAL, "beta_tilde": "η = 1.0", "ddim": "η = 0.0"}
    checked = 0
    for key, value in result["values"].items():
        match = re.fullmatch(r"(optimal|beta_tilde|ddim)_ring8_S(\d+)", key)
        if match is None:
            continue
        row, steps = match.groups()
        ours = units[list(ddim_table.VARIANTS).index(names[row]), ddim_table.STEPS.index(int(steps))]
        assert math.isclose(ours, value, rel_tol=REL_TOL, abs_tol=0.05), (key, ours, value)
        checked += 1
    assert checked >= 6
