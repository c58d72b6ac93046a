"""The papers' qualitative claims, measured on our exact data.

Every figure is MMD² between 2,000 samples and the exact mixture in units of its noise floor
(`benchmarks.samplers.mean_units`), averaged over seeds 0, 1, 2. Exact sampling gives |units| ≲ 2 per
run; the mean of three exact runs stayed under 2.4 in 100 trials, so a 3-seed mean ≤ FLOOR_3 = 3 is
"within the noise floor". Presets, seeds and grids were fixed before measuring (the settings of the
team's independent runs in reference/samplers-and-diffusers.md §5); where a claim does not hold on our
data, the test asserts what we measure and says so in its docstring, with the numbers.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.samplers import mean_units
from core.datasets import load_preset
from core.grids import Grid, logsnr_grid, make_grid
from core.metrics import mode_tv
from core.models import ExactDenoiser
from core.processes import make_process
from core.samplers.registry import run_sampler

FLOOR_3 = 3.0


@pytest.mark.slow
def test_ddim_table1_shape():
    """DDIM Table 1 (Song et al. 2021a) on a ring of 8 (radius 2, std 0.15), linear-β DDPM, "leading"
    steps. Claim: at S = 10, 20, 50, error(η=0) < error(η=1) < error(σ̂); at S = 1000 all are exact.

    Measured (mean of 3 seeds; η=0 / η=1 / σ̂):
        S=10: 29.5 / 41.9 / 201    S=20: 13.4 / 25.7 / 56.4    S=50: 1.8 / 14.1 / 7.8
        S=100: -0.4 / 4.1 / 1.8    S=1000: -1.2 / 0.6 / 0.5
    Holds at S = 10 and 20, and at S = 1000. DOES NOT HOLD at S = 50 (nor 100): σ̂ beats η=1 there
    (7.8 < 14.1). On CIFAR-10 σ̂ overtakes η=1 only at S = 1000; on this 2D ring the larger variance
    β already pays off from S ≈ 50 (the team's independent run: 4.1 / 19 / 11). η = 0 stays the best
    at every S < 1000. The test asserts the inversion as measured, so a change that removes it is seen.
    """
    rows = {"η=0": {"eta": 0.0}, "η=1": {"eta": 1.0}, "σ̂": {"sigma_hat": True}}
    table = {
        s: {name: mean_units("ddim", "ring8", "ddpm", "leading", s, p) for name, p in rows.items()}
        for s in (10, 20, 50, 100, 1000)
    }
    print("\nDDIM Table 1 on ring8 (MMD² floor units, mean of 3 seeds):")
    for s, r in table.items():
        print(f"  S={s:5d}: " + "  ".join(f"{k} {v:7.1f}" for k, v in r.items()))
    for s in (10, 20):
        assert table[s]["η=0"] < table[s]["η=1"] < table[s]["σ̂"], (s, table[s])
    assert table[50]["η=0"] < min(table[50]["η=1"], table[50]["σ̂"]), table[50]
    # the measured deviation from the paper: at S = 50 the σ̂ row is better than η = 1
    assert table[50]["σ̂"] < table[50]["η=1"], table[50]
    assert max(table[1000].values()) <= FLOOR_3, table[1000]


@pytest.mark.slow
def test_dpm_solver_few_step_claim_depends_on_the_data():
    """DPM-Solver's "good samples in 10-20 NFE" (Lu et al. 2022a,b) depends on the data.

    Smooth data (ring of 8, std 1.0), 10 NFE, leading grid: DPM-Solver++(2M) -0.1 (exact), DDIM η=0 9.2
    (the team's run: 13); diffusers' DPMSolverMultistepScheduler -0.1. Holds.

    Sharp data (std 0.15), leading grid: DPM-Solver++(2M) 25.8 / 35.6 at 10 / 20 NFE against DDIM's
    29.5 / 13.4; diffusers' DPMSolverMultistep 36.7 / 41.6 (leading), 31.6 / 43.7 (linspace) against its
    DDIMScheduler's 29.5 / 13.4. "No better than DDIM" holds (at most 13% better at 10, worse at 20).

    Why: 2M extrapolates the denoiser, D = x̂₀_i + (x̂₀_i - x̂₀_{i-1})/2r, r = h_{i-1}/h_i, assuming x̂₀ is
    smooth in λ. The exact denoiser of sharp, separated modes jumps when a path commits to a mode, in a
    narrow band of σ̃ around the mode spacing; a multistep extrapolation across that jump overshoots, and
    the overshoot grows with 1/2r. On the leading grid with 20 steps the step from t = 50 (σ̃ ≈ 0.17) to
    t = 0 (σ̃ = 0.01) is 4× longer in λ than the previous one, so 1/2r ≈ 2 (below 15 steps diffusers, and
    we, make that step first order, hence the non-monotone 10 → 20 NFE). With wide components x̂₀ is
    smooth and the extrapolation is accurate.

    DOES NOT HOLD on the log-SNR grid at 20 NFE, where all steps are equal in λ (1/2r = ½): DPM-Solver++(2M)
    0.6 against DDIM's 16.3 on the same grid. At 10 NFE both are far off there (74 vs 79).
    """
    wide_dpm = mean_units("dpmpp_2m", "ring8_wide", "ddpm", "leading", 10)
    wide_ddim = mean_units("ddim", "ring8_wide", "ddpm", "leading", 10)
    wide_diffusers = mean_units("diffusers:DPMSolverMultistep", "ring8_wide", "ddpm", "leading", 10)
    print(
        f"\nring8_wide, 10 NFE: DPM-Solver++(2M) {wide_dpm:.1f}, DDIM {wide_ddim:.1f}, diffusers {wide_diffusers:.1f}"
    )
    assert wide_dpm <= FLOOR_3 and wide_diffusers <= FLOOR_3
    assert wide_ddim > 2 * FLOOR_3

    for nfe in (10, 20):
        dpm = mean_units("dpmpp_2m", "ring8", "ddpm", "leading", nfe)
        ddim = mean_units("ddim", "ring8", "ddpm", "leading", nfe)
        theirs_ddim = mean_units("diffusers:DDIM", "ring8", "ddpm", "leading", nfe)
        theirs = {
            s: mean_units("diffusers:DPMSolverMultistep", "ring8", "ddpm", "leading", nfe, {"spacing": s})
            for s in ("leading", "linspace")
        }
        log_dpm = mean_units("dpmpp_2m", "ring8", "ddpm", "logsnr", nfe)
        log_ddim = mean_units("ddim", "ring8", "ddpm", "logsnr", nfe)
        print(
            f"ring8, {nfe} NFE: leading grid 2M {dpm:.1f} vs DDIM {ddim:.1f}; diffusers 2M {theirs} vs "
            f"DDIMScheduler {theirs_ddim:.1f}; log-SNR grid 2M {log_dpm:.1f} vs DDIM {log_ddim:.1f}"
        )
        assert dpm > 0.75 * ddim, (nfe, dpm, ddim)  # no better: at most 25% lower
        assert min(theirs.values()) > 0.75 * theirs_ddim, (nfe, theirs, theirs_ddim)
        if nfe == 10:
            assert log_dpm > 0.75 * log_ddim
        else:  # the measured failure of the claim on a grid uniform in log-SNR
            assert log_dpm < 0.25 * log_ddim and log_dpm <= FLOOR_3


# deterministic samplers at about 50 NFE, each on the grid it is usually run with
AT_50_NFE = {
    "DDIM η=0 (leading, 50)": ("ddim", "ddpm", "leading", 50),
    "PF-ODE Euler (Karras, 50)": ("pf_euler", "edm", "karras", 50),
    "DPM-Solver-2 (log-SNR, 25 → 49 NFE)": ("dpm_solver_2", "ddpm", "logsnr", 25),
    "DPM-Solver-3 (log-SNR, 17 → 49 NFE)": ("dpm_solver_3", "ddpm", "logsnr", 17),
    "DPM-Solver++(2M) (leading, 50)": ("dpmpp_2m", "ddpm", "leading", 50),
    "DPM-Solver++(2M) (log-SNR, 50)": ("dpmpp_2m", "ddpm", "logsnr", 50),
    "Flow Euler (uniform t, 50)": ("flow_euler", "flow", "linspace", 50),
    "Flow Heun (uniform t, 25 → 49 NFE)": ("flow_heun", "flow", "linspace", 25),
}


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["ring8", "grid25"])
def test_edm_heun_best_at_50_nfe_and_far_worse_at_10_20(preset):
    """EDM (Karras et al. 2022): Heun on the Karras schedule (σ ∈ [0.002, 80], ρ = 7), 25 steps = 49 NFE,
    is the best or tied (within 2 units, the noise of a 3-seed mean difference) among the deterministic
    samplers at about 50 NFE, and far worse than DDIM η=0 at 10-20 NFE (5 / 10 steps = 9 / 19 NFE).

    Measured: ring8 -0.5 (the others -1.2 … 3.5), grid25 -0.7 (-1.4 … 1.5); at 10 / 20 NFE EDM 629 / 133
    vs DDIM 29.5 / 13.4 on ring8 and 170 / 82 vs 73 / 7.5 on grid25. Holds. At 50 NFE several samplers
    are at the floor, so "tied" is what the data can resolve; σ_max = 80 spends the first steps on noise
    levels 40× the data's scale, which is why few steps fail.
    """
    edm = mean_units("edm_heun", preset, "edm", "karras", 25)
    others = {label: mean_units(k, preset, p, g, s) for label, (k, p, g, s) in AT_50_NFE.items()}
    print(f"\n{preset} at ~50 NFE: EDM Heun {edm:.2f}; " + ", ".join(f"{k} {v:.2f}" for k, v in others.items()))
    assert edm <= min(others.values()) + 2.0
    for edm_steps, ddim_steps in ((5, 10), (10, 20)):
        few = mean_units("edm_heun", preset, "edm", "karras", edm_steps)
        ddim = mean_units("ddim", preset, "ddpm", "leading", ddim_steps)
        print(f"  {2 * edm_steps - 1} NFE EDM Heun {few:.1f} vs {ddim_steps} NFE DDIM η=0 {ddim:.1f}")
        assert few > 2 * ddim


def _without_node(grid: Grid, i: int) -> Grid:
    keep = np.delete(np.arange(len(grid.t)), i)
    return Grid(grid.t[keep], grid.alpha[keep], grid.sigma[keep], grid.d_alpha[keep], grid.d_sigma[keep], "")


@pytest.mark.slow
def test_euler_maruyama_vs_ddim_at_equal_nfe():
    """Claim: reverse-SDE Euler–Maruyama is worse than DDIM η=0 at equal NFE (20 and 50), on ring8.

    On the leading DDPM grid, holds: EM 58.0 / 8.0 vs DDIM 13.4 / 1.8 (10 NFE: 216 vs 29.5).
    DOES NOT HOLD on EM's own default grid (VP SDE, uniform t; same on DDPM "trailing"): EM 2.4 vs DDIM
    19.2 at 20 NFE (22 vs 33 at 10), and at 50 EM 2.0 vs DDIM 3.1: no worse (the difference is noise).

    Why the grid decides: the leading grid's last stochastic step lands on t = 0 (σ = 0.01) from
    σ(t = S_step) ≈ 0.3 at 10-20 steps. An EM step adds noise √(σ_t² - σ_s²) ≈ σ_t, where the reverse
    process adds almost none (its posterior variance is ≈ σ_s²), so the samples stay blurred by ≈ σ_t,
    twice the components' std, and the final denoising step from σ = 0.01 cannot undo it. On grids whose
    last step jumps straight to x̂₀ that error is never made, and the stochastic steps before it
    correct the ODE's drift error (Karras et al. 2022, Sec. 4). Removing the t = 0 node from the leading
    grid (…, 100, -1) flips the result: EM 2.4 vs DDIM 17.9 at 20 steps.
    """
    table = {}
    for nfe in (20, 50):
        leading = make_grid(make_process("ddpm"), "leading", nfe)
        cut = _without_node(make_grid(make_process("ddpm"), "leading", nfe + 1), -2)
        for name, process, grid in (("leading", "ddpm", "leading"), ("VP uniform t", "vp", "linspace")):
            table[nfe, name] = (
                mean_units("euler_maruyama", "ring8", process, grid, nfe),
                mean_units("ddim", "ring8", process, grid, nfe),
            )
        assert leading.n_steps == cut.n_steps == nfe and cut.t[-2] > 0 and cut.sigma[-1] == 0
        table[nfe, "leading without t=0"] = (
            mean_units("euler_maruyama", "ring8", "ddpm", cut),
            mean_units("ddim", "ring8", "ddpm", cut),
        )
    print("\nEuler–Maruyama vs DDIM η=0 on ring8 (mean of 3 seeds):")
    for (nfe, name), (em, ddim) in table.items():
        print(f"  {nfe} NFE, {name}: EM {em:.1f}, DDIM {ddim:.1f}")
    for nfe in (20, 50):
        em, ddim = table[nfe, "leading"]
        assert em > ddim + 2.0, (nfe, em, ddim)
    # the measured failure of the claim on EM's default grid
    em, ddim = table[20, "VP uniform t"]
    assert em < ddim - 2.0, (em, ddim)
    em, ddim = table[50, "VP uniform t"]
    assert em <= ddim + 2.0, (em, ddim)  # and at 50 NFE EM is not worse either
    em, ddim = table[20, "leading without t=0"]
    assert em < ddim - 2.0, (em, ddim)


def test_ncsn_figure3_plain_vs_annealed_langevin():
    """NCSN (Song & Ermon 2019, Fig. 3 and `toy_runner.py`): target 0.2·N((-5,-5), I) + 0.8·N((5,5), I),
    started from U[-8, 8]². Plain Langevin on the data score (ε = 0.1, 1000 steps) cannot cross between
    the modes and keeps the start's ~½/½; annealed Langevin recovers 0.2 / 0.8 within 0.05, both with the
    toy's settings (σ geometric 20 → 1, 10 levels × 100 steps, ε = 0.1) and with Algorithm 1's (σ from
    σ_max ≈ 20 to 0.01, ε = 2e-5). Measured over seeds 0-2: share of the small mode 0.48-0.51 (plain),
    0.21-0.23 (toy), 0.22-0.24 (Algorithm 1). Holds. Unlike the toy we use the exact perturbed score
    N(μ, (1 + σ²)I), not N(μ, σ²I)."""
    mixture = load_preset("ncsn_fig3")
    model = ExactDenoiser(mixture)
    process = make_process("ve", mixture)
    default = make_grid(process, "logsnr", 10)
    toy = logsnr_grid(process, 10, sigma_min=1.0, sigma_max=20.0)
    runs = {
        "plain": ("langevin", default, {"step_size": 0.1, "n_steps": 1000}),
        "annealed (toy)": ("annealed_langevin", toy, {"eps": 0.1, "steps_per_level": 100}),
        "annealed (Algorithm 1)": ("annealed_langevin", default, {"eps": 2e-5, "steps_per_level": 100}),
    }
    shares = {name: [] for name in runs}
    for seed in range(3):
        x_init = np.random.default_rng(100 + seed).uniform(-8, 8, (2000, 2))
        for name, (key, grid, params) in runs.items():
            x = run_sampler(key, model, grid, 2000, seed, params, n_paths=1, x_init=x_init).samples
            small = (mixture.responsibilities(x).argmax(1) == 0).mean()
            assert mode_tv(x, mixture) == pytest.approx(abs(small - 0.2))
            shares[name].append(float(small))
    print(f"\nNCSN Fig. 3, share of the 0.2 mode over seeds 0-2: {shares}")
    assert all(abs(s - 0.5) < 0.05 for s in shares["plain"])
    assert all(abs(s - 0.2) < 0.05 for s in shares["annealed (toy)"] + shares["annealed (Algorithm 1)"])
