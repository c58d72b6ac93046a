"""Verdicts that do not flip with the seed (issue 26, "fragile verdicts"): the claims measured over several seeds
(core.claims.over_seeds) ship every seed's numbers; the claim's own logic applied to each seed alone must give
the verdict registered for the claim, and the summary the board shows names the seeds and their spread."""

from __future__ import annotations

import pytest

from core.claims import (
    all_claims,
    ddim,
    elbo,
    iddpm,
    ncsnv2,
    one_seed,
    over_seeds,
    pf_ode,
    sde,
    seed_verdicts,
    shipped,
    solvers,
)
from core.claims.conditional import SEEDS as CONDITIONAL_SEEDS
from core.claims.distill import SEEDS as DISTILL_SEEDS
from core.claims.few_steps import SEEDS as FEW_STEPS_SEEDS
from core.claims.guidance import COLLAPSE_SEEDS, OVERSHOOT_SEEDS
from core.claims.race import FLOW_SEEDS, ORDER_SEEDS, RANK_SEEDS

SEEDED = {
    "flow_euler_is_ddim": FLOW_SEEDS,
    "cfg_mode_collapse": COLLAPSE_SEEDS,
    "cfg_fidelity_overshoot": OVERSHOOT_SEEDS,
    "repaint_harmonises": CONDITIONAL_SEEDS,
    "sdedit_tradeoff": CONDITIONAL_SEEDS,
    "sdedit_t0_range": CONDITIONAL_SEEDS,
    "progressive_distillation": DISTILL_SEEDS,
    "ddgan_gaussian_small_steps": FEW_STEPS_SEEDS,
    "reflow_straightens": FEW_STEPS_SEEDS,
    "reflow_transport_cost": FEW_STEPS_SEEDS,
    "em_vs_ddim_grid": sde.SEEDS,
    "ddim_table1_shape": ddim.SEEDS,
    "vdm_schedule_invariance": elbo.SEEDS,
    "vdm_estimator_variance": elbo.SEEDS,
    "elbo_tight_exact_score": elbo.SEEDS,
    "iddpm_learned_variance_bound": elbo.SEEDS,
    "pf_ode_exact_likelihood": pf_ode.SEEDS,
    "one_ode_every_schedule": pf_ode.SEEDS,
    "flow_straighter_paths": pf_ode.SEEDS,
    "ncsn_learned_score_rare": iddpm.RARE_SEEDS,
    "race_orders": ORDER_SEEDS,
    "grid_vs_solver": RANK_SEEDS,
    "edm_nfe": solvers.SEEDS,
    "ncsnv2_eps_rule": ncsnv2.SEEDS,
    "iddpm_optimal_step": iddpm.SEEDS,
    "iddpm_optimal_few_steps": iddpm.SEEDS,
}
# dpm_solver_grid and ncsnv2_sigma1_rule ship their seeds too, but a seed alone gives another verdict on 2 of 8 (their
# summaries say so): a finding, not listed here. ncsnv2_gamma_rule's verdict reads no seeded value.


@pytest.mark.parametrize("key", list(SEEDED))
def test_each_seed_alone_gives_the_registered_verdict(key):
    claim, seeds = all_claims()[key], SEEDED[key]
    values = shipped()[key]["values"]
    assert len(seeds) >= 5
    each = {s: claim.verdict(one_seed(values, s)) for s in seeds}
    assert set(each.values()) == {claim.expected}, f"{key}: the verdict flips with the seed: {each}"
    assert claim.verdict(values) == claim.expected
    summary = shipped()[key]["summary"]
    assert f"on all {len(seeds)}" in summary and f"{seeds[0]}" in summary and " to " in summary


def test_over_seeds_keeps_each_seed_and_the_mean():
    values = over_seeds(lambda s: {"a": float(s), "b": 2.0 * s}, (1, 2, 3))
    assert values["a"] == 2.0 and values["b"] == 4.0 and values["b_seed3"] == 6.0
    assert one_seed(values, 2) == {"a": 2.0, "b": 4.0}


def test_a_flipping_verdict_is_reported():
    """The check can fail: a verdict that differs on one seed is named in the line, not hidden by the mean."""
    values = over_seeds(lambda s: {"x": float(s)}, (0, 1, 2))
    line = seed_verdicts(lambda v: "holds" if v["x"] < 1.5 else "fails", values, (0, 1, 2))
    assert line == "Verdict seed by seed (seeds 0, 1, 2): holds on 2, fails on 1."


def test_a_sample_measures_each_seeded_part_on_its_first_seed_only():
    """core.claims.sample (the fresh measurement of tests/core/test_claims.py): the seeded part on its first seed,
    under its per-seed keys (the means need every seed), the rest whole."""
    from core.claims import HOLDS, Claim, sample

    calls = []

    def one(seed):
        calls.append(seed)
        return {"x": float(seed)}

    claim = Claim(
        key="toy",
        paper="p",
        claim="c",
        method="m",
        expected=HOLDS,
        tab="forward",
        scene="tab=forward",
        measure=lambda: {**over_seeds(one, (3, 4, 5)), "whole": 7.0},
        verdict=lambda v: HOLDS,
        summary=lambda v: "",
    )
    assert sample(claim) == {"x_seed3": 3.0, "whole": 7.0} and calls == [3]
    calls.clear()
    assert claim.measure()["x"] == 4.0 and calls == [3, 4, 5]  # outside a sample: every seed
