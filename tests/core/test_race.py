"""The sampler race's machinery (core/race.py): budgets, the common start, the order fit, the grids it
reports, and that the shipped curves (assets/race_curves.json) reproduce. The findings themselves are
claims (core/claims/race.py), asserted by tests/core/test_claims.py."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from core import race as R
from core.claims import ABS_TOL, REL_TOL
from core.datasets import PRESETS, load_preset
from core.grids import make_grid
from core.models import ExactDenoiser
from core.processes import make_process
from core.samplers.registry import SAMPLERS, run_sampler

BUDGETS = (4, 6, 10, 20, 50)


# ---------------------------------------------------------------------------- budgets
def run_params(racer):
    return {**racer.params, **(racer.data_params(load_preset("ring8")) if racer.data_params else {})}


@pytest.mark.parametrize("rid", list(R.RACERS))
def test_each_racer_spends_at_most_its_budget_and_one_more_step_would_exceed_it(rid):
    """The nearest NFE not above the budget: the real NFE (counted calls) fits, one more step would not."""
    racer = R.RACERS[rid]
    mixture = load_preset("ring8")
    for budget in BUDGETS:
        run = R.run_racer(racer, "ring8", budget, 0, 50)
        if run is None:
            assert budget < racer.min_nfe(), (rid, budget)
            continue
        assert run.nfe <= budget, (rid, budget, run.nfe)
        if racer.spec.budget_param is not None:  # Langevin: levels × steps, NFE = budget // 10 · 10 annealed
            assert run.nfe > budget - 10
            continue
        more = next(
            (k for k in range(run.steps + 1, 10**4) if racer.spec.count(k, run_params(racer)) is not None), None
        )
        if more is None:  # no run with more steps exists (a distilled student's largest N)
            continue
        if racer.diffusers:
            ts = R.diffusers_timesteps(racer.sampler, racer.spacing, more)
            assert ts is None or len(ts) > budget, (rid, budget, run.steps)
        else:
            grid = make_grid(make_process(racer.process, mixture), racer.grid, more)
            bigger = run_sampler(racer.sampler, ExactDenoiser(mixture), grid, 5, 0, racer.configure(budget, mixture)[1])
            assert bigger.nfe > budget, (rid, budget, run.steps)


def test_a_new_registry_entry_races_without_an_edit_here(monkeypatch):
    """Every registered sampler races (adaptive and oracle ones excepted), and a new entry (here DDIM under
    another key, as a distilled student would be) gets a racer at its registry defaults."""
    raced = {r.sampler for r in R.RACERS.values()}
    left = {k for k, s in SAMPLERS.items() if s.nfe is None or s.oracle}
    assert raced == set(SAMPLERS) - left
    assert left == {"pf_adaptive", "optimal_gaussian", "analytic_dpm", "exact_kernel"}
    assert "distilled" in raced  # the progressive-distillation students race
    assert R.registry_racers(R.RACERS.values()) == []
    student = dataclasses.replace(SAMPLERS["ddim"], key="student", title="A student")
    monkeypatch.setitem(SAMPLERS, "student", student)
    (racer,) = R.registry_racers(R.RACERS.values())
    assert (racer.id, racer.label, racer.process, racer.grid, racer.order) == (
        "student",
        "A student",
        "ddpm",
        "leading",
        1,
    )
    assert racer.configure(20, None) == (20, {"eta": 0.0, "sigma_hat": False})


def test_racers_that_cannot_run_within_the_budget_say_so():
    runs = R.race("ring8", 6, 0, 50)
    assert runs["annealed"] is None and R.RACERS["annealed"].min_nfe() == 10  # 10 noise levels
    assert runs["d_pndm"] is None and R.RACERS["d_pndm"].min_nfe() > 6  # diffusers' PNDM needs ≥ 4 steps
    assert all(runs[r] is not None for r in ("ddim", "dpm2", "dpm3", "d_heun", "edm_heun"))
    assert runs["distilled"] is not None and runs["distilled"].nfe == 4  # the largest student within 6 NFE


def test_a_racer_without_a_model_for_the_data_says_why():
    """The distilled students are shipped for the presets: on other data the racer does not run, and the
    reason is its sampler's own sentence (the one the Reverse tab shows), not a traceback."""
    racer = R.RACERS["distilled"]
    own = "gmm:1,0.5,-0.3,0.4"  # one Gaussian: data of one's own, no preset
    assert R.run_racer(racer, own, 20, 0, 50) is None
    assert "No progressive-distillation student is shipped" in R.refusal(racer, own)
    assert R.refusal(racer, "grid25") is None and R.refusal(R.RACERS["ddim"], own) is None


def test_every_racer_starts_from_the_same_noise():
    """x_T = σ_T z with one z for all (diffusers rows rescale it to their own prior inside)."""
    z = None
    for racer in R.RACERS.values():
        mixture = load_preset("ring8")
        steps, params = racer.configure(20, mixture)
        grid = make_grid(make_process(racer.process, mixture), racer.grid, steps)
        res = run_sampler(racer.sampler, ExactDenoiser(mixture), grid, 30, 7, params, n_paths=30)
        start = res.path[0] / grid.sigma[0]
        if z is None:
            z = start
        np.testing.assert_allclose(start, z, rtol=1e-12, atol=1e-12, err_msg=racer.id)


def test_ddim_eta1_is_ddpm_beta_tilde_to_rounding():
    """DDIM η = 1 has DDPM's posterior variance β̃ (Song et al. 2021a, eq. 16) and draws the same noise, so from
    one seed the race's two rows give the same samples (to rounding: the two updates are written differently);
    the tab's table marks such pairs. η = 0.5 is another sampler."""
    a = R.run_racer(R.RACERS["ddpm"], "ring8", 20, 3, 200).samples
    b = R.run_racer(R.RACERS["ddim_eta1"], "ring8", 20, 3, 200).samples
    c = R.run_racer(R.RACERS["ddim_eta05"], "ring8", 20, 3, 200).samples
    assert np.abs(a - b).max() < 1e-12 * np.abs(a).max() * 100
    assert np.abs(a - c).max() > 0.01


def test_diffusers_rows_report_the_timesteps_their_scheduler_really_used():
    from core.samplers.diffusers_rows import make_scheduler

    for rid in ("d_ddim", "d_dpmpp", "d_euler", "d_heun"):
        racer = R.RACERS[rid]
        text = R.grid_text(racer, 10)
        ts = make_scheduler(racer.sampler.split(":")[1] + "Scheduler", 10, racer.spacing).timesteps
        assert f"{racer.spacing} spacing" in text
        assert text.endswith(f"t = {float(ts[0]):.0f}, {float(ts[1]):.0f}, {float(ts[2]):.0f}, …, {float(ts[-1]):.0f}")
    assert "leading" in R.grid_text(R.RACERS["d_ddim"], 10) and "t = 900, 800" in R.grid_text(R.RACERS["d_ddim"], 10)
    assert "linspace" in R.grid_text(R.RACERS["d_dpmpp"], 10)  # diffusers' own default for DPMSolverMultistep


def test_budget_bisection_matches_a_linear_search():
    """The registry's `fit_budget` (a bisection over steps, or over a Langevin parameter) finds the most steps
    a linear search over the registry's own NFE count finds, including PNDM's refusal of few steps."""
    for rid in ("d_heun", "d_pndm", "d_dpmpp", "dpm3", "pc", "edm_heun", "annealed", "distilled"):
        racer = R.RACERS[rid]
        spec = racer.spec
        for nfe in (3, 7, 19, 40):
            linear = None
            for v in range(1, nfe + 1):
                steps, params = (
                    (v, racer.params) if spec.budget_param is None else (spec.default_steps, {spec.budget_param: v})
                )
                calls = spec.count(steps, {**racer.params, **params})
                if calls is not None and calls <= nfe:
                    linear = v
            got = spec.fit_budget(nfe, racer.params)
            value = None if got is None else got[0] if spec.budget_param is None else got[1][spec.budget_param]
            assert value == linear, (rid, nfe)


# ---------------------------------------------------------------------------- the order fit
@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
def test_fitted_order_allows_for_the_references_own_error(p):
    """Distances to a reference at N are C(n^-p - N^-p) when both carry the same leading error term: the
    fit recovers p exactly, where a plain log-log slope is biased upwards (0.17 for p = 1 at n ≤ N/5)."""
    nfes, ref = np.array([50.0, 100.0, 200.0]), 1000.0
    errors = 3.0 * (nfes**-p - ref**-p)
    assert R.fitted_order(nfes, errors, ref) == pytest.approx(p, abs=1e-4)
    assert R.fitted_order(nfes, errors) > p + 1e-3
    assert R.fitted_order(nfes, 3.0 * nfes**-p) == pytest.approx(p, abs=1e-9)


def test_settled_order_refuses_where_paths_still_switch_modes():
    nfes, ref = [10, 20, 50, 100, 200], 2000
    errors = [2.0 * (n**-2.0 - ref**-2.0) for n in nfes]
    p, text = R.settled_order(nfes, errors, [5, 0, 0, 0, 0], ref)
    assert p == pytest.approx(2.0, abs=1e-3) and "50–200" in text  # the last three are settled
    p, text = R.settled_order(nfes, errors, [5, 0, 0, 3, 0], ref)
    assert p is None and "NFE 100" in text and "3 of" in text
    errors = [2.0 * (n**-2.0 - 600**-2.0) for n in nfes]
    p, text = R.settled_order(nfes, errors, [0] * 5, 600)  # 200 > 600/4: the last three usable are 20-100
    assert p == pytest.approx(2.0, abs=1e-3) and "20–100" in text
    assert R.settled_order([10, 20], errors[:2], [0, 0], ref)[0] is None


def test_switched_modes_counts_only_paths_that_land_on_another_component():
    mixture = load_preset("ring8")  # modes 1.53 apart, std 0.15
    ref = mixture.means[:4] + 0.01
    ends = ref.copy()
    ends[0] = mixture.means[1]  # another mode
    ends[1] += 0.05  # same mode, nearby
    assert R.switched_modes(ends, ref, mixture) == 1


def test_path_order_uses_the_same_starts_as_the_full_runs():
    """The first m particles of a 2,000-particle run start where an m-particle run with the seed starts, so the
    order computed on m paths belongs to the plotted curve."""
    racer = R.RACERS["dpmpp_logsnr"]
    full = R.run_racer(racer, "ring8", 20, 0, 2000).samples[: R.N_PATHS]
    ends, _ = R._endpoints(racer, "ring8", 0, 20, R.N_PATHS)
    np.testing.assert_allclose(ends, full, rtol=0, atol=1e-12)


# ---------------------------------------------------------------------------- shipped curves
def _sample_cells(shipped):
    """A fixed sample of shipped cells: three presets × four racers × two budgets."""
    for preset in ("ring8", "grid25", "moons"):
        curves = shipped[preset]["curves"]["racers"]
        for rid in ("ddim", "dpm2", "d_dpmpp", "em_vp"):
            c = curves[rid]
            for j in (1, len(c["nfe"]) - 2):
                yield preset, rid, c["nominal"][j], c["nfe"][j], c["units"][j]


def _close(a, b) -> bool:
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL + 0.05)


@pytest.mark.slow
def test_shipped_curves_reproduce():
    """A sample of the shipped MMD² cells, NFE and orders recomputed now. Tolerance: the claims registry's
    (0.5 %) plus 0.05 floor units, a move of one particle in 2,000 on another CPU's rounding."""
    shipped = R.shipped()
    assert set(shipped) == set(PRESETS), "run `python -m core.race --write`"
    for preset, rid, nominal, nfe, units in _sample_cells(shipped):
        run = R.run_racer(R.RACERS[rid], preset, nominal, R.DEFAULT_SEED, R.DEFAULT_PARTICLES)
        assert run.nfe == nfe, (preset, rid, nominal)
        assert _close(run.units, units), (preset, rid, nominal, run.units, units)
    for preset, rid in (("ring8", "edm_heun"), ("ring8_wide", "dpm3")):
        c = shipped[preset]["curves"]["racers"][rid]
        now = R.path_order(R.RACERS[rid], preset)
        assert now["order"] == pytest.approx(c["order"], abs=0.01), (preset, rid)
    g = shipped["ring8"]["grid"]
    now = R.grid_factor("ring8", g["solver"], nfes=(10,))
    for grid in R.GRID_NAMES:
        shipped_cell = g["grids"][grid][g["solver"]]
        i = shipped_cell["nfe"].index(now["grids"][grid][g["solver"]]["nfe"][0])
        assert _close(now["grids"][grid][g["solver"]]["units"][0], shipped_cell["units"][i]), grid


def test_shipped_file_is_small_and_complete():
    assert R.SHIPPED.stat().st_size < 1_000_000
    for preset, entry in R.shipped().items():
        c = entry["curves"]
        assert c["seed"] == R.DEFAULT_SEED and c["particles"] == R.DEFAULT_PARTICLES and c["spec"] == preset
        assert set(c["racers"]) == set(R.RACERS)
        for rid, curve in c["racers"].items():
            assert curve["nfe"] == sorted(curve["nfe"]) and all(n <= m for n, m in zip(curve["nfe"], curve["nominal"]))
            assert (curve["order"] is not None) <= (R.RACERS[rid].order is not None)
        assert set(entry["grid"]["grids"]) == set(R.GRID_NAMES)
