"""The samplers: call shape, NFE counts, recorded trajectories, exact identities between samplers,
convergence to the exact target as NFE grows, and the order of convergence of the deterministic ones.

Distribution-level errors are MMD² between 2,000 samples and the exact mixture in units of its noise
floor (`benchmarks.samplers.mmd_units`, the same measurement the benchmark table prints). A single run
counts as exact at ≤ WITHIN_FLOOR = 4 units: the largest of 200 exact sample sets was 3.5–4.0.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.samplers import (
    ORDER_CASES,
    ORDER_STEPS,
    OUR_ROWS,
    WITHIN_FLOOR,
    fitted_order,
    mmd_units,
    reference_solution,
    trajectory_errors,
)
from core.datasets import load_preset
from core.grids import make_grid
from core.models import ExactDenoiser
from core.processes import make_process
from core.samplers.registry import SAMPLERS, run_sampler
from tests.core.test_mixture import assert_within_rounding

OURS = {key: spec for key, spec in SAMPLERS.items() if not spec.diffusers}

SMALL_PARAMS = {"annealed_langevin": {"steps_per_level": 3}, "langevin": {"n_steps": 7, "step_size": 0.01}}
STEPS = {"distilled": 4}  # a distilled student exists for N = 1, 2, 4, 8, 16, 32 steps only
# stochastic samplers whose defaults are deterministic (η = 0, no churn)
STOCHASTIC_PARAMS = {"ddim": {"eta": 1.0}, "pf_euler": {"s_churn": 10.0}, "edm_heun": {"s_churn": 10.0}}


def _default_grid(key, mixture, n):
    spec = SAMPLERS[key]
    return make_grid(make_process(spec.default_process, mixture), spec.default_grid, n)


def _run(key, grid, n=200, seed=0, params=None, mixture=None, **kw):
    mixture = mixture or load_preset("ring8")
    return run_sampler(key, ExactDenoiser(mixture), grid, n, seed, params, **kw)


# ---------------------------------------------------------------------------- call shape, NFE, paths
def test_every_sampler_declares_its_facts():
    """Kind and order are consistent: an order only for samplers that can run deterministically; only an
    adaptive solver leaves its NFE to the run; Langevin samplers say what they take from the grid."""
    for key, spec in SAMPLERS.items():
        assert (spec.order is not None) <= spec.deterministic(), key
        assert (spec.kind == "ODE") == spec.deterministic(), key  # at the default parameters
        assert (spec.nfe is None) == (key == "pf_adaptive"), key
        assert (spec.kind == "Langevin") == (spec.grid_role != "steps") == (spec.budget_param is not None), key
    assert SAMPLERS["annealed_langevin"].describe(10, {"steps_per_level": 7}) == "10 noise levels × 7 Langevin steps"
    assert SAMPLERS["langevin"].describe(10) == "1000 Langevin steps of ε = 0.1 on the data score"
    assert SAMPLERS["ddim"].describe(10) is None


@pytest.mark.parametrize("key", sorted(OURS))
def test_nfe_count_and_recorded_trajectory(key):
    """The registry's NFE count (`SamplerSpec.count`) is what the run really spends; a record per grid step,
    or per Langevin step (one evaluation each) for the Langevin samplers."""
    mixture = load_preset("ring8")
    steps, n, m = STEPS.get(key, 6), 50, 16
    params = SMALL_PARAMS.get(key, {})
    spec = SAMPLERS[key]
    grid = _default_grid(key, mixture, steps)
    x_init = grid.sigma[0] * np.random.default_rng(3).standard_normal((n, 2))
    res = _run(key, grid, n, params=params, n_paths=m, x_init=x_init)

    assert res.samples.shape == (n, 2) and np.all(np.isfinite(res.samples))
    if spec.nfe is not None:
        assert res.nfe == spec.count(steps, params)
    else:
        assert res.nfe > steps
    records = (steps if spec.grid_role == "steps" else res.nfe) + 1
    assert res.path.shape == (records, m, 2)
    assert res.denoised.shape == (records - 1, m, 2)
    np.testing.assert_array_equal(res.path[0], x_init[:m])
    np.testing.assert_array_equal(res.path[-1], res.samples[:m])
    assert res.seconds >= 0


@pytest.mark.parametrize("key", ["ddim", "edm_heun", "dpmpp_2m", "annealed_langevin"])
def test_whole_trajectory_of_every_particle_on_request(key):
    mixture = load_preset("ring8")
    params = SMALL_PARAMS.get(key, {})
    res = _run(key, _default_grid(key, mixture, 5), n=20, params=params, n_paths=100)
    assert res.path.shape[1] == 20
    np.testing.assert_array_equal(res.path[-1], res.samples)


def test_denoised_is_recorded_where_a_sampler_has_one():
    mixture = load_preset("ring8")
    ddim = _run("ddim", _default_grid("ddim", mixture, 5), n=10)
    langevin = _run("langevin", _default_grid("langevin", mixture, 5), n=10, params=SMALL_PARAMS["langevin"])
    assert np.all(np.isfinite(ddim.denoised))
    assert np.all(np.isnan(langevin.denoised))


@pytest.mark.parametrize("key", sorted(OURS))
def test_seed_dependence_matches_the_stochastic_flag(key):
    """Same seed → same samples; a deterministic sampler ignores the seed once the start is fixed."""
    mixture = load_preset("ring8")
    params = SMALL_PARAMS.get(key, STOCHASTIC_PARAMS.get(key, {}))
    grid = _default_grid(key, mixture, STEPS.get(key, 5))
    x_init = grid.sigma[0] * np.random.default_rng(0).standard_normal((40, 2))
    a = _run(key, grid, 40, seed=1, params=params, x_init=x_init).samples
    b = _run(key, grid, 40, seed=1, params=params, x_init=x_init).samples
    c = _run(key, grid, 40, seed=2, params=params, x_init=x_init).samples
    np.testing.assert_array_equal(a, b)
    assert (not np.array_equal(a, c)) == OURS[key].stochastic


def test_parameters_are_validated():
    grid = _default_grid("ddim", load_preset("ring8"), 5)
    with pytest.raises(ValueError, match="no parameter"):
        _run("ddim", grid, params={"etta": 0.5})
    with pytest.raises(ValueError, match="must lie in"):
        _run("ddim", grid, params={"eta": 1.5})
    with pytest.raises(ValueError, match="unknown sampler"):
        _run("ddim2", grid)


def test_scaled_frame_samplers_refuse_to_start_at_alpha_zero():
    grid = make_grid(make_process("flow"), "linspace", 5)  # t = 1: α = 0, σ̃ = ∞
    for key in ["edm_heun", "dpm_solver_2", "dpmpp_2m", "pf_adaptive"]:
        with pytest.raises(ValueError, match="α = 0"):
            _run(key, grid)


# ---------------------------------------------------------------------------- identities
def _grid(process, name, n, mixture=None):
    return make_grid(make_process(process, mixture or load_preset("ring8")), name, n)


def assert_same_chain(actual, desired, reference, n_steps: int, what: str, mixture=None):
    """Two samplers that are the same chain written differently agree to rounding: each step rounds by ~ε
    times the terms it combines (the states, bounded by the recorded path `reference`, start noise included,
    and the denoiser's Σ_k r_k μ_k, bounded by the largest |μ_k|), and the errors add up over the steps.
    Measured here: at most 14 ε·(that magnitude) over 20 steps, against the bound's 1000 ε per step."""
    means = (mixture or load_preset("ring8")).means
    assert_within_rounding(actual, desired, n_steps * (np.abs(reference).max() + np.abs(means).max()), what)


GRIDS = [("ddpm", "leading", 20), ("ddpm", "trailing", 7), ("edm", "karras", 12), ("vp", "linspace", 15)]


@pytest.mark.parametrize("process,name,n", GRIDS)
def test_ddim_eta1_is_ddpm_beta_tilde_on_the_same_noise(process, name, n):
    """DDIM eq. 16 with η = 1 is the DDPM posterior variance β̃ (Song et al. 2021a, Sec. 4.1)."""
    grid = _grid(process, name, n)
    ddim = _run("ddim", grid, seed=5, params={"eta": 1.0})
    ddpm = _run("ddpm", grid, seed=5, params={"variance": "beta_tilde"})
    assert_same_chain(ddim.samples, ddpm.samples, ddpm.path, grid.n_steps, "DDIM η = 1 vs DDPM β̃ samples")
    assert_same_chain(ddim.path, ddpm.path, ddpm.path, grid.n_steps, "DDIM η = 1 vs DDPM β̃ paths")


def test_ddim_sigma_hat_is_ddpm_beta():
    grid = _grid("ddpm", "leading", 20)
    a = _run("ddim", grid, seed=5, params={"sigma_hat": True, "eta": 0.3})
    b = _run("ddpm", grid, seed=5, params={"variance": "beta"})
    np.testing.assert_array_equal(a.samples, b.samples)


def test_ddpm_full_chain_is_ho_et_al_algorithm_2():
    """On the 1000-step chain, an independent transcription of Ho et al. 2020, Algorithm 2:
    x_{t-1} = (x_t - β_t/√(1-ᾱ_t) ε̂)/√α_t + √β̃_t z, no noise at t = 0."""
    mixture = load_preset("ring8")
    process = make_process("ddpm")
    grid = make_grid(process, "leading", 1000)
    n, seed = 100, 11
    ours = _run("ddpm", grid, n, seed=seed).samples

    model = ExactDenoiser(mixture)
    betas = process.betas
    abar = np.cumprod(1 - betas)
    rng = np.random.default_rng(seed)
    x = np.sqrt(1 - abar[-1]) * rng.standard_normal((n, 2))
    for t in range(999, -1, -1):
        a, s = np.sqrt(abar[t]), np.sqrt(1 - abar[t])
        eps = (x - a * model.denoise(x, a, s)) / s
        x = (x - betas[t] / s * eps) / np.sqrt(1 - betas[t])
        if t > 0:
            x = x + np.sqrt(betas[t] * (1 - abar[t - 1]) / (1 - abar[t])) * rng.standard_normal((n, 2))
    np.testing.assert_allclose(ours, x, rtol=0, atol=1e-8)


@pytest.mark.parametrize("name", ["linspace", "karras", "logsnr"])
def test_flow_euler_is_ddim_eta0_on_the_same_grid(name):
    """Euler on v = ε̂ - x̂₀ along x = (1-t)x₀ + tε lands on (1-s)x̂₀ + sε̂: DDIM η = 0 exactly."""
    grid = _grid("flow", name, 10)
    flow = _run("flow_euler", grid, seed=2)
    ddim = _run("ddim", grid, seed=2)
    assert_same_chain(flow.samples, ddim.samples, ddim.path, grid.n_steps, "flow Euler vs DDIM samples")
    assert_same_chain(flow.path, ddim.path, ddim.path, grid.n_steps, "flow Euler vs DDIM paths")


@pytest.mark.parametrize("process,name,n", [*GRIDS, ("ve", "logsnr", 10)])
def test_pf_euler_is_ddim_eta0(process, name, n):
    """An Euler step of dx̃/dσ̃ = (x̃ - D)/σ̃ is DDIM's x̃_s = D + σ̃_s ε̂ (Karras et al. 2022, Sec. 3)."""
    grid = _grid(process, name, n)
    a = _run("pf_euler", grid, seed=4)
    b = _run("ddim", grid, seed=4)
    assert_same_chain(a.path, b.path, b.path, grid.n_steps, "PF Euler vs DDIM paths")


@pytest.mark.parametrize("n", [1, 2, 3])
def test_dpmpp_2m_with_only_lower_order_steps_is_ddim(n):
    """First step, the step before the last (n < 15) and the last are first order: DDIM for n ≤ 3."""
    grid = _grid("ddpm", "leading", n)
    a = _run("dpmpp_2m", grid, seed=1)
    b = _run("ddim", grid, seed=1)
    assert_same_chain(a.samples, b.samples, b.path, grid.n_steps, "DPM-Solver++(2M) vs DDIM samples")
    if n == 3:
        c = _run("dpmpp_2m", grid, seed=1, params={"lower_order_final": False})
        assert np.abs(c.samples - b.samples).max() > 1e-3


def _lambda_to_alpha_sigma(lam):
    alpha = 1 / np.sqrt(1 + np.exp(-2 * lam))
    return alpha, alpha * np.exp(-lam)


def test_dpm_solver_2_matches_the_paper_in_the_vp_frame():
    """Lu et al. 2022a, Algorithm 4 (r₁ = ½) transcribed in the VP frame with α_t, σ_t, λ = log α/σ;
    ours works in x̃ = x/α. Compared on DDPM's log-SNR grid."""
    mixture = load_preset("ring8")
    model = ExactDenoiser(mixture)
    grid = _grid("ddpm", "logsnr", 8)
    ours = _run("dpm_solver_2", grid, n=100, seed=3, n_paths=100)

    def eps(x, a, s):
        return (x - a * model.denoise(x, a, s)) / s

    x = ours.path[0]
    for i in range(grid.n_steps):
        a_s, s_s, a_t, s_t = grid.alpha[i], grid.sigma[i], grid.alpha[i + 1], grid.sigma[i + 1]
        if s_t == 0:
            x = model.denoise(x, a_s, s_s)
            break
        lam_s, lam_t = np.log(a_s / s_s), np.log(a_t / s_t)
        h = lam_t - lam_s
        a_1, s_1 = _lambda_to_alpha_sigma(lam_s + h / 2)
        e_s = eps(x, a_s, s_s)
        u = a_1 / a_s * x - s_1 * np.expm1(h / 2) * e_s
        x = a_t / a_s * x - s_t * np.expm1(h) * eps(u, a_1, s_1)
    np.testing.assert_allclose(ours.samples, x, rtol=0, atol=1e-9)


def test_dpmpp_2m_matches_the_paper_in_the_vp_frame():
    """Lu et al. 2022b, Algorithm 2 in the VP frame: x_t = (σ_t/σ_s) x_s - α_t (e^{-h} - 1) D, with
    D = (1 + 1/2r) x̂₀_i - (1/2r) x̂₀_{i-1}; first order on the first step and the last two (n < 15)."""
    mixture = load_preset("ring8_wide")
    model = ExactDenoiser(mixture)
    grid = _grid("ddpm", "leading", 10, mixture)
    ours = _run("dpmpp_2m", grid, n=100, seed=3, mixture=mixture, n_paths=100)
    x, prev, h_prev = ours.path[0], None, None
    for i in range(grid.n_steps):
        a_s, s_s, a_t, s_t = grid.alpha[i], grid.sigma[i], grid.alpha[i + 1], grid.sigma[i + 1]
        x0 = model.denoise(x, a_s, s_s)
        if s_t == 0:
            x = x0
            break
        h = np.log(a_t / s_t) - np.log(a_s / s_s)
        d = x0 if prev is None or i == grid.n_steps - 2 else x0 + (x0 - prev) * h / (2 * h_prev)
        x = s_t / s_s * x - a_t * np.expm1(-h) * d
        prev, h_prev = x0, h
    np.testing.assert_allclose(ours.samples, x, rtol=0, atol=1e-9)


def test_pc_without_corrector_is_euler_maruyama():
    grid = _grid("vp", "linspace", 12)
    a = _run("pc", grid, seed=9, params={"n_corrector": 0})
    b = _run("euler_maruyama", grid, seed=9)
    np.testing.assert_array_equal(a.samples, b.samples)
    assert a.nfe == b.nfe == 12


def test_euler_maruyama_on_ve_is_the_reverse_diffusion_predictor():
    """On VE (f = 0) the step is x + (σ_t² - σ_s²) ∇log p + √(σ_t² - σ_s²) z (Song et al. 2021b, eq. 47)."""
    mixture = load_preset("ring8")
    grid = _grid("ve", "logsnr", 6)
    ours = _run("euler_maruyama", grid, n=50, seed=8)
    rng = np.random.default_rng(8)
    x = grid.sigma[0] * rng.standard_normal((50, 2))
    for i in range(grid.n_steps - 1):
        s, s_next = grid.sigma[i], grid.sigma[i + 1]
        score = mixture.diffused(1.0, s).score(x)
        x = x + (s**2 - s_next**2) * score + np.sqrt(s**2 - s_next**2) * rng.standard_normal((50, 2))
    x = mixture.posterior_mean_x0(x, 1.0, grid.sigma[-2])  # the last step returns the denoised mean
    np.testing.assert_allclose(ours.samples, x, rtol=0, atol=1e-9)


def test_edm_churn_only_acts_inside_its_noise_range():
    grid = _grid("edm", "karras", 10)
    base = _run("edm_heun", grid, seed=3)
    outside = _run("edm_heun", grid, seed=3, params={"s_churn": 40.0, "s_tmin": 90.0, "s_tmax": 100.0})
    inside = _run("edm_heun", grid, seed=3, params={"s_churn": 40.0, "s_tmin": 0.05, "s_tmax": 50.0})
    np.testing.assert_array_equal(base.samples, outside.samples)
    assert np.abs(inside.samples - base.samples).max() > 1e-2
    assert inside.nfe == base.nfe == 19


# ---------------------------------------------------------------------------- convergence in distribution
PRESETS_FOR = {"langevin": ("ring8", "ring8_wide", "pinwheel")}
"""Plain Langevin on the data score cannot move mass between separated modes (NCSN Fig. 3), so it can be
exact only where it need not: on presets whose modes are congruent under a rotation that leaves its
isotropic start invariant (ring8, pinwheel) or overlap (ring8_wide). On grid25 (outer basins are larger)
it stays ~400 units off at any NFE, which the benchmark shows."""
LADDER_FOR = {"langevin": (100, 1000, 3000)}
LADDER = (10, 100, 1000)


CONVERGING = [r for r in OUR_ROWS if r.sampler != "distilled"]
"""A distilled student is a learned map of at most 32 steps, shipped for every preset: it does not converge as
NFE grows (tests/core/test_distill.py checks that as a sampler it gives the shipped students' samples)."""


@pytest.mark.parametrize("row", CONVERGING, ids=[r.label for r in CONVERGING])
def test_converges_to_the_exact_target_as_nfe_grows(row):
    """At high NFE within the noise floor on three presets; between rungs of the NFE ladder the error
    never grows by more than noise (2 units); and on at least one preset it starts measurably off, so
    that the shrinking is seen, not assumed.

    The ladder is coarse on purpose: between close rungs some samplers are not monotone on sharp data,
    and that is a finding, not noise (printed by the benchmark): EDM Heun on ring8 is 460 units off at
    5 NFE and 632 at 9; DPM-Solver++(2M) on the leading grid is 28 at 10 NFE and 39 at 20 (see
    test_paper_claims.py::test_dpm_solver_few_step_claim_depends_on_the_data for why)."""
    presets = PRESETS_FOR.get(row.sampler, ("ring8", "ring8_wide", "grid25"))
    ladder = LADDER_FOR.get(row.sampler, LADDER)
    table, started_off = {}, False
    for preset in presets:
        errors = []
        for nfe in ladder:
            steps, params = row.configure(nfe, load_preset(preset))
            errors.append(mmd_units(row.sampler, preset, row.process, row.grid, steps, params, seed=0)[0])
        table[preset] = np.round(errors, 1).tolist()
        started_off |= errors[0] > WITHIN_FLOOR
        assert errors[-1] <= WITHIN_FLOOR, f"{row.label} on {preset} is not exact at NFE {ladder[-1]}: {table}"
        assert np.all(np.diff(errors) <= 2.0), f"{row.label} on {preset}: error grew with NFE: {table}"
    print(f"\n{row.label}, NFE {ladder}: {table}")
    assert started_off, f"{row.label} is already exact at NFE {ladder[0]} everywhere: {table}"


def test_adaptive_ode_converges_as_the_tolerance_tightens():
    table = {}
    for preset in ("ring8", "ring8_wide", "grid25"):
        errors = [
            mmd_units("pf_adaptive", preset, "edm", "karras", 10, {"rtol": tol, "atol": tol})[0]
            for tol in (1e-2, 1e-4, 1e-6)
        ]
        table[preset] = np.round(errors, 1).tolist()
        assert errors[-1] <= WITHIN_FLOOR and np.all(np.diff(errors) <= 2.0), table
    print(f"\nPF-ODE RK45 at rtol = atol = 1e-2, 1e-4, 1e-6: {table}")
    assert max(e[0] for e in table.values()) > 10 * WITHIN_FLOOR, table


# ---------------------------------------------------------------------------- per trajectory, order
@pytest.mark.parametrize("case", ORDER_CASES, ids=[c.label for c in ORDER_CASES])
def test_order_of_convergence_per_trajectory(case):
    """Each deterministic sampler's paths converge to a DOP853 (rtol = atol = 1e-12) solution of the same
    ODE from the same start, at the method's order: the error falls monotonically over n = 40…320 steps
    and the fitted slope is within 0.25 of the theory, on a sharp and a smooth preset.

    On grid25 (modes 1 apart, std 0.08) the first-order samplers are not yet asymptotic at 320 steps: the
    RMS error there is dominated by the few paths that still end in a neighbouring mode (fitted p ≈ 0.4,
    printed by the benchmark); the second- and third-order ones are (p = 1.8-2.6)."""
    measured = {}
    for preset in ("ring8", "ring8_wide"):
        errors = trajectory_errors(case, preset)
        measured[preset] = fitted_order(ORDER_STEPS, errors)
        assert np.all(np.diff(errors) < 0), (preset, errors)
        assert abs(measured[preset] - case.order) < 0.25, (preset, measured, errors)
    print(f"\n{case.label}: order {case.order}, measured {measured}")


def test_adaptive_ode_trajectories_converge_with_the_tolerance():
    mixture = load_preset("ring8")
    process = make_process("edm")
    grid = make_grid(process, "karras", 10)
    errors = []
    for tol in (1e-3, 1e-5, 1e-7, 1e-9):
        res = _run("pf_adaptive", grid, n=64, seed=0, params={"rtol": tol, "atol": tol}, n_paths=64)
        ref = reference_solution(mixture, process, grid, res.path[0], at_end=False)
        errors.append(np.sqrt(((res.path[-2] - ref) ** 2).sum(1).mean()))
    print(f"\nRK45 per-trajectory RMS error at rtol = atol = 1e-3, 1e-5, 1e-7, 1e-9: {np.array(errors)}")
    assert np.all(np.diff(errors) < 0), errors
    assert errors[-1] < 1e-6, errors
