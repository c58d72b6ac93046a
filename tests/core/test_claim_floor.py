"""Claims whose verdict compares a value in MMD² noise-floor units with a fixed line (a number of units) state the
floor's own uncertainty in their summary, all through core.claims.floor_uncertainty and floor_caveat (issue 26,
item 8). A ratio or the sign of a difference of two values in the same unit does not depend on the floor: those
claims (flow_euler_is_ddim, repaint_harmonises, …) are not listed.

That the shipped uncertainty is the current floors' own is test_claims.py's check: `floor_relative_se` is measured
afresh with every claim's sample and must match the shipped value.
"""

from __future__ import annotations

import pytest

from core.claims import FLOOR_SE, all_claims, floor_caveat, floor_uncertainty, shipped

# key → the line(s) in floor units its verdict draws
FLOOR_LINE_CLAIMS = {
    "ddim_table1_shape": "a gap of MARGIN = 2 units; within 3/√8 units of exact at S = 1000",
    "em_vs_ddim_grid": "a gap of MARGIN = 2 units",
    "dpm_solver_grid": "good = below 3 units",
    "edm_nfe": "tied = within 2 units",
    "grid_vs_solver": "a difference beyond 2 units",
    "progressive_distillation": "exact DDIM-4 loses more than 20 units",
    "ddgan_gaussian_small_steps": "at the floor ≤ 3 units, far > 20 units",
    "reflow_straightens": "one Euler step at the floor ≤ 3 units",
    "ncsnv2_eps_rule": "lower by 2 units",
    "ldm_latent_scale": "worse by 2 units",
    "ldm_error_split": "the sampler's latent error below 2 units",
    "iddpm_optimal_step": "within NOISE = 2 units of exact sampling; β̃ worse by 2 units",
    "iddpm_optimal_few_steps": "lower than β̃ by NOISE = 2 units",
}


@pytest.mark.parametrize("key", sorted(FLOOR_LINE_CLAIMS))
def test_the_summary_states_the_floors_uncertainty(key):
    assert key in all_claims()
    result = shipped()[key]
    values = result["values"]
    assert FLOOR_SE in values, f"{key}: run `python -m core.claims --write {key}`"
    assert 0 < values[FLOOR_SE] < 0.2, "a floor over ≥ 100 exact sets is uncertain by well under 20 %"
    assert floor_caveat(values) in result["summary"], key


def test_the_largest_of_the_floors_is_stated():
    from core.metrics import data_noise_floor

    ses = [data_noise_floor(spec, "mmd2", 2000).relative_se for spec in ("ring8", "ring8_wide", "grid25")]
    got = floor_uncertainty(("ring8", 2000), ("ring8_wide", 2000), ("grid25", 2000))
    assert got == {FLOOR_SE: max(ses)}
    assert floor_caveat({FLOOR_SE: 0.054}) == "the floor unit itself is uncertain by ± 5%"


def test_the_image_ceiling_line_states_its_floors_uncertainty():
    """ldm_error_split's ceiling is 5 units of the image floor (a real-vs-real RMS over core.latent.IMAGE_FLOOR_SETS
    sets, not core.metrics' floors): the summary states that unit's own standard error too."""
    result = shipped()["ldm_error_split"]
    se = result["values"]["image_floor_relative_se"]
    assert 0 < se < 0.5
    assert f"uncertain by ± {se:.0%}, and the ceiling's line is 5 of its units" in result["summary"]
