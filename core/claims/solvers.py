"""The few-step solvers: DPM-Solver (Lu et al. 2022a,b) and EDM's Heun sampler (Karras et al. 2022)."""

from __future__ import annotations

import numpy as np

from core.claims import (
    DEPENDS,
    FAILS,
    HOLDS,
    Claim,
    floor_caveat,
    floor_uncertainty,
    over_seeds,
    seed_se,
    seed_verdicts,
    side,
)
from core.claims._seeded import mean_se
from core.evaluate import mmd_units

SEEDS = tuple(range(8))  # edm_nfe
# dpm_solver_grid: 2M on the log-SNR grid at 20 NFE scatters by ~1.7 units from seed to seed around a mean
# near the GOOD line, and "far better than DDIM" there had a margin of 3.5 standard errors over 8 seeds (2.5 on
# each half): 32 seeds give each half of them (16) a margin of several standard errors.
DPM_SEEDS = tuple(range(32))
GOOD = 3.0  # floor units: "good samples" = a seed mean within this of exact sampling's 0
TIE = 2.0  # floor units: a difference smaller than this is within exact sampling's scatter
N_SE = 3.0  # a comparison counts only beyond this many standard errors of the seed mean


def _units(cells: dict[str, tuple], seed: int) -> dict[str, float]:
    """MMD² in floor units of each cell, name → (sampler, data, process, grid, steps), for one seed."""
    return {
        name: mmd_units(key, data, process, grid, steps, None, seed)[0]
        for name, (key, data, process, grid, steps) in cells.items()
    }


def _below(v: dict, name: str, bound: float) -> bool:
    """The seed mean is below `bound` by more than N_SE standard errors."""
    return v[name] + N_SE * seed_se(v, name) < bound


def _above(v: dict, name: str, bound: float) -> bool:
    """The seed mean is above `bound` by more than N_SE standard errors."""
    return v[name] - N_SE * seed_se(v, name) > bound


def _lower(v: dict, a: str, b: str, factor: float = 1.0, margin: float = 0.0) -> bool:
    """v[a] < factor · v[b] - margin, by more than N_SE standard errors of the difference (SEs combined as if
    independent; the runs share their seeds, so this overstates the noise)."""
    se = float(np.hypot(seed_se(v, a), factor * seed_se(v, b)))
    return factor * v[b] - margin - v[a] > N_SE * se


# ------------------------------------------------------------------------------------------ DPM-Solver
def _dpm_cells() -> dict[str, tuple]:
    """name → (sampler, data, process, grid, steps) of the DPM-Solver claim's cells."""
    cells = {
        "wide_10_dpm": ("dpmpp_2m", "ring8_wide", "ddpm", "leading", 10),
        "wide_10_ddim": ("ddim", "ring8_wide", "ddpm", "leading", 10),
        "wide_10_diffusers": ("diffusers:DPMSolverMultistep", "ring8_wide", "ddpm", "leading", 10),
    }
    for nfe in (10, 20):
        cells[f"sharp_{nfe}_dpm"] = ("dpmpp_2m", "ring8", "ddpm", "leading", nfe)
        cells[f"sharp_{nfe}_ddim"] = ("ddim", "ring8", "ddpm", "leading", nfe)
        cells[f"sharp_{nfe}_diffusers"] = ("diffusers:DPMSolverMultistep", "ring8", "ddpm", "leading", nfe)
        cells[f"logsnr_{nfe}_dpm"] = ("dpmpp_2m", "ring8", "ddpm", "logsnr", nfe)
        cells[f"logsnr_{nfe}_ddim"] = ("ddim", "ring8", "ddpm", "logsnr", nfe)
    return cells


def measure_dpm() -> dict[str, float]:
    """Every cell of _dpm_cells over DPM_SEEDS: each seed's value and the mean (core.claims.over_seeds), and the
    floor's own uncertainty."""
    return {
        **over_seeds(lambda seed: _units(_dpm_cells(), seed), DPM_SEEDS),
        **floor_uncertainty(("ring8", 2000), ("ring8_wide", 2000)),
    }


def _good(v: dict[str, float], name: str) -> str:
    """ "yes" if the seed mean is below GOOD by 3 standard errors, "no" if above it by 3, "undecided" otherwise;
    a seed alone, "yes" below GOOD and "no" above it."""
    return {-1: "yes", 1: "no", 0: "undecided"}[side(v, name, GOOD, N_SE)]


def verdict_dpm(v: dict[str, float]) -> str:
    """ "Good" = seed mean below GOOD floor units; "far better" = DDIM above 2 × GOOD (smooth ring), below ¾ of
    DDIM's at 10 and 20 NFE (sharp ring, DDPM's leading grid) or below a quarter of it (log-SNR grid, 20 NFE);
    every comparison beyond 3 standard errors. Holds if 2M is good and far better than DDIM on DDPM's grid on
    both rings; fails if not on the smooth ring, or if on the sharp ring no grid makes it far better and not
    clearly bad; depends otherwise: on the sharp ring only the log-SNR grid at 20 NFE does, and its error there
    may sit within 3 standard errors of GOOD (the summary says which). A seed alone (core.claims.one_seed) has
    no standard error: the same rule with each value against its line alone (GOOD, 2 × GOOD, ¾ or ¼ of DDIM's)."""
    wins_smooth = _good(v, "wide_10_dpm") == "yes" and _above(v, "wide_10_ddim", 2 * GOOD)
    wins_sharp_leading = all(_lower(v, f"sharp_{n}_dpm", f"sharp_{n}_ddim", 0.75) for n in (10, 20))
    wins_sharp_logsnr = _good(v, "logsnr_20_dpm") != "no" and _lower(v, "logsnr_20_dpm", "logsnr_20_ddim", 0.25)
    if not wins_smooth:
        return FAILS
    if wins_sharp_leading:
        return HOLDS
    return DEPENDS if wins_sharp_logsnr else FAILS


def _u(v: dict[str, float], name: str, seeds: tuple[int, ...] = SEEDS) -> str:
    return mean_se(v, name, seeds)


def _d(v: dict[str, float], name: str) -> str:
    return _u(v, name, DPM_SEEDS)


def summary_dpm(v: dict[str, float]) -> str:
    return (
        f"MMD² floor units, mean ± standard error (lowest to highest seed) over seeds {DPM_SEEDS[0]}-{DPM_SEEDS[-1]}. "
        "Wide ring, 10 NFE: "
        f"DPM-Solver++(2M) {_d(v, 'wide_10_dpm')} (diffusers {_d(v, 'wide_10_diffusers')}) vs DDIM "
        f"{_d(v, 'wide_10_ddim')}. Sharp ring, leading grid, 10 / 20 NFE: 2M {_d(v, 'sharp_10_dpm')} / "
        f"{_d(v, 'sharp_20_dpm')} (diffusers {_d(v, 'sharp_10_diffusers')} / {_d(v, 'sharp_20_diffusers')}) vs "
        f"DDIM {_d(v, 'sharp_10_ddim')} / {_d(v, 'sharp_20_ddim')}. Log-SNR grid: 2M {_d(v, 'logsnr_10_dpm')} / "
        f"{_d(v, 'logsnr_20_dpm')} vs DDIM {_d(v, 'logsnr_10_ddim')} / {_d(v, 'logsnr_20_ddim')} (2M at 20 NFE "
        f"within {GOOD:g} units of exact: {_good(v, 'logsnr_20_dpm')} at 3 standard errors; {floor_caveat(v)}). "
        "The leading grid's last jump to t = 0 makes 2M's extrapolation overshoot. "
        + seed_verdicts(verdict_dpm, v, DPM_SEEDS)
    )


# ------------------------------------------------------------------------------------------ EDM
AT_50_NFE = {  # deterministic samplers at about 50 NFE, each on the grid it is usually run with
    "ddim": ("ddim", "ddpm", "leading", 50),
    "pf_euler": ("pf_euler", "edm", "karras", 50),
    "dpm2": ("dpm_solver_2", "ddpm", "logsnr", 25),
    "dpm3": ("dpm_solver_3", "ddpm", "logsnr", 17),
    "dpmpp_leading": ("dpmpp_2m", "ddpm", "leading", 50),
    "dpmpp_logsnr": ("dpmpp_2m", "ddpm", "logsnr", 50),
    "flow_euler": ("flow_euler", "flow", "linspace", 50),
    "flow_heun": ("flow_heun", "flow", "linspace", 25),
}
EDM_PRESETS = ("ring8", "grid25")


def _edm_cells() -> dict[str, tuple]:
    """name → (sampler, data, process, grid, steps) of the EDM claim's cells."""
    cells = {}
    for p in EDM_PRESETS:
        cells[f"{p}_edm_49"] = ("edm_heun", p, "edm", "karras", 25)
        cells.update({f"{p}_{name}_50": (key, p, *rest) for name, (key, *rest) in AT_50_NFE.items()})
        for edm_steps, ddim_steps in ((5, 10), (10, 20)):
            cells[f"{p}_edm_{2 * edm_steps - 1}"] = ("edm_heun", p, "edm", "karras", edm_steps)
            cells[f"{p}_ddim_{ddim_steps}"] = ("ddim", p, "ddpm", "leading", ddim_steps)
    return cells


def measure_edm() -> dict[str, float]:
    """Every cell of _edm_cells over SEEDS: each seed's value and the mean (core.claims.over_seeds), and the
    floor's own uncertainty."""
    return {
        **over_seeds(lambda seed: _units(_edm_cells(), seed), SEEDS),
        **floor_uncertainty(*((p, 2000) for p in EDM_PRESETS)),
    }


def verdict_edm(v: dict[str, float]) -> str:
    """Holds if EDM Heun is tied for best at ~50 NFE and no worse than DDIM at 10-20 NFE; depends if it is
    tied for best at ~50 NFE but far worse (> 2×) than DDIM at 10-20. "Tied for best": no sampler at ~50 NFE is
    lower than EDM's 49 NFE by more than TIE and 3 standard errors. A seed alone (core.claims.one_seed) has no
    standard error: the same rule with the TIE line and the factor 2 alone."""
    best_at_50 = not any(
        _lower(v, f"{p}_{name}_50", f"{p}_edm_49", margin=TIE) for p in EDM_PRESETS for name in AT_50_NFE
    )
    far_worse_few = all(
        _lower(v, f"{p}_ddim_{d}", f"{p}_edm_{e}", 0.5) for p in EDM_PRESETS for e, d in ((9, 10), (19, 20))
    )
    if not best_at_50:
        return FAILS
    return DEPENDS if far_worse_few else HOLDS


def summary_edm(v: dict[str, float]) -> str:
    parts = []
    for p in EDM_PRESETS:
        others = [v[f"{p}_{name}_50"] for name in AT_50_NFE]
        parts.append(
            f"{p}: EDM Heun {_u(v, f'{p}_edm_49')} at 49 NFE (other samplers at ~50 NFE {min(others):.1f} … "
            f"{max(others):.1f}); at 9 / 19 NFE {v[f'{p}_edm_9']:.0f} / {v[f'{p}_edm_19']:.0f} against DDIM's "
            f"{_u(v, f'{p}_ddim_10')} / {_u(v, f'{p}_ddim_20')} at 10 / 20"
        )
    return (
        f"MMD² floor units, mean ± standard error (lowest to highest seed) over seeds {SEEDS[0]}-{SEEDS[-1]}. "
        + "; ".join(parts)
        + f". Tied = within {TIE:g} units or 3 standard errors ({floor_caveat(v)}). σ_max = 80 spends the first "
        "steps at noise levels 40× the data's scale. " + seed_verdicts(verdict_edm, v, SEEDS)
    )


CLAIMS = [
    Claim(
        key="dpm_solver_grid",
        paper="Lu et al. 2022a,b (DPM-Solver, DPM-Solver++)",
        claim="DPM-Solver++(2M) gives good samples in 10-20 NFE, far better than DDIM at the same NFE.",
        method="ring8_wide (std 1.0) and ring8 (std 0.15), 10 and 20 NFE, DDPM 'leading' grid and a grid uniform "
        "in log-SNR, ours and diffusers' DPMSolverMultistepScheduler; 2,000 samples; MMD² floor units, "
        "mean of seeds 0-31; good = below 3 units, each comparison beyond 3 standard errors; verdict on the means, "
        "and on each seed alone (its values against the lines alone).",
        measure=measure_dpm,
        verdict=verdict_dpm,
        summary=summary_dpm,
        expected=DEPENDS,
        tab="reverse",
        scene="tab=reverse&preset=ring8_wide&sampler=dpmpp_2m&process=ddpm&grid=leading&steps=10",
    ),
    Claim(
        key="edm_nfe",
        paper="Karras et al. 2022 (EDM), Sec. 3 and Fig. 2; Sec. 5, Table 2",
        claim="Heun's second-order steps on the Karras σ schedule (ρ = 7) reach the same quality as Euler's "
        "first-order steps with considerably fewer evaluations (Sec. 3, Fig. 2); with all of EDM's choices, "
        "retrained models included, CIFAR-10 needs 35 NFE (Table 2).",
        method="ring8 and grid25; EDM Heun with σ ∈ [0.002, 80] at 9, 19 and 49 NFE against 8 deterministic samplers "
        "at ~50 NFE and DDIM η = 0 at 10 / 20 NFE; 2,000 samples; MMD² floor units, mean of seeds 0-7; tied = "
        "within 2 units or 3 standard errors; verdict on the means, and on each seed alone (within 2 units).",
        measure=measure_edm,
        verdict=verdict_edm,
        summary=summary_edm,
        expected=DEPENDS,
        tab="reverse",
        scene="tab=reverse&preset=grid25&sampler=edm_heun&process=edm&grid=karras&steps=18",
    ),
]
