"""The few-step solvers: DPM-Solver (Lu et al. 2022a,b) and EDM's Heun sampler (Karras et al. 2022)."""

from __future__ import annotations

from core.claims import DEPENDS, FAILS, HOLDS, Claim
from core.evaluate import mean_units

FLOOR_3 = 3.0  # a 3-seed mean of exact runs stayed under 2.4 in 100 trials
TIE = 2.0  # floor units: the noise of a difference of two 3-seed means


# ------------------------------------------------------------------------------------------ DPM-Solver
def measure_dpm() -> dict[str, float]:
    v = {
        "wide_10_dpm": mean_units("dpmpp_2m", "ring8_wide", "ddpm", "leading", 10),
        "wide_10_ddim": mean_units("ddim", "ring8_wide", "ddpm", "leading", 10),
        "wide_10_diffusers": mean_units("diffusers:DPMSolverMultistep", "ring8_wide", "ddpm", "leading", 10),
    }
    for nfe in (10, 20):
        v[f"sharp_{nfe}_dpm"] = mean_units("dpmpp_2m", "ring8", "ddpm", "leading", nfe)
        v[f"sharp_{nfe}_ddim"] = mean_units("ddim", "ring8", "ddpm", "leading", nfe)
        v[f"sharp_{nfe}_diffusers"] = mean_units("diffusers:DPMSolverMultistep", "ring8", "ddpm", "leading", nfe)
        v[f"sharp_{nfe}_diffusers_ddim"] = mean_units("diffusers:DDIM", "ring8", "ddpm", "leading", nfe)
        v[f"logsnr_{nfe}_dpm"] = mean_units("dpmpp_2m", "ring8", "ddpm", "logsnr", nfe)
        v[f"logsnr_{nfe}_ddim"] = mean_units("ddim", "ring8", "ddpm", "logsnr", nfe)
    return v


def verdict_dpm(v: dict[str, float]) -> str:
    """Holds if 2M beats DDIM on smooth and sharp data on DDPM's grid; depends if it wins on smooth data
    and, on sharp data, only on a grid uniform in log-SNR."""
    wins_smooth = v["wide_10_dpm"] <= FLOOR_3 and v["wide_10_ddim"] > 2 * FLOOR_3
    wins_sharp_leading = all(v[f"sharp_{n}_dpm"] < 0.75 * v[f"sharp_{n}_ddim"] for n in (10, 20))
    wins_sharp_logsnr = v["logsnr_20_dpm"] <= FLOOR_3 and v["logsnr_20_dpm"] < 0.25 * v["logsnr_20_ddim"]
    if not wins_smooth:
        return FAILS
    if wins_sharp_leading:
        return HOLDS
    return DEPENDS if wins_sharp_logsnr else FAILS


def summary_dpm(v: dict[str, float]) -> str:
    return (
        f"Wide ring, 10 NFE: DPM-Solver++(2M) {v['wide_10_dpm']:.1f} (diffusers {v['wide_10_diffusers']:.1f}) vs "
        f"DDIM {v['wide_10_ddim']:.1f}. Sharp ring, leading grid: 2M {v['sharp_10_dpm']:.1f} / "
        f"{v['sharp_20_dpm']:.1f} at 10 / 20 NFE (diffusers {v['sharp_10_diffusers']:.1f} / "
        f"{v['sharp_20_diffusers']:.1f}) vs DDIM {v['sharp_10_ddim']:.1f} / {v['sharp_20_ddim']:.1f}. "
        f"Log-SNR grid: 2M {v['logsnr_10_dpm']:.1f} / {v['logsnr_20_dpm']:.1f} vs DDIM {v['logsnr_10_ddim']:.1f} / "
        f"{v['logsnr_20_ddim']:.1f}. The leading grid's last jump to t = 0 makes 2M's extrapolation overshoot."
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


def measure_edm() -> dict[str, float]:
    v = {}
    for preset in EDM_PRESETS:
        v[f"{preset}_edm_49"] = mean_units("edm_heun", preset, "edm", "karras", 25)
        for name, (key, process, grid, steps) in AT_50_NFE.items():
            v[f"{preset}_{name}_50"] = mean_units(key, preset, process, grid, steps)
        for edm_steps, ddim_steps in ((5, 10), (10, 20)):
            v[f"{preset}_edm_{2 * edm_steps - 1}"] = mean_units("edm_heun", preset, "edm", "karras", edm_steps)
            v[f"{preset}_ddim_{ddim_steps}"] = mean_units("ddim", preset, "ddpm", "leading", ddim_steps)
    return v


def verdict_edm(v: dict[str, float]) -> str:
    """Holds if EDM Heun is tied for best at ~50 NFE and no worse than DDIM at 10-20 NFE; depends if it is
    tied for best at ~50 NFE but far worse (> 2×) than DDIM at 10-20."""
    best_at_50 = all(v[f"{p}_edm_49"] <= min(v[f"{p}_{name}_50"] for name in AT_50_NFE) + TIE for p in EDM_PRESETS)
    far_worse_few = all(v[f"{p}_edm_{e}"] > 2 * v[f"{p}_ddim_{d}"] for p in EDM_PRESETS for e, d in ((9, 10), (19, 20)))
    if not best_at_50:
        return FAILS
    return DEPENDS if far_worse_few else HOLDS


def summary_edm(v: dict[str, float]) -> str:
    parts = []
    for p in EDM_PRESETS:
        others = [v[f"{p}_{name}_50"] for name in AT_50_NFE]
        parts.append(
            f"{p}: EDM Heun {v[f'{p}_edm_49']:.1f} at 49 NFE (other samplers at ~50 NFE {min(others):.1f} … "
            f"{max(others):.1f}); at 9 / 19 NFE {v[f'{p}_edm_9']:.0f} / {v[f'{p}_edm_19']:.0f} against DDIM's "
            f"{v[f'{p}_ddim_10']:.1f} / {v[f'{p}_ddim_20']:.1f} at 10 / 20"
        )
    return "; ".join(parts) + ". σ_max = 80 spends the first steps at noise levels 40× the data's scale."


CLAIMS = [
    Claim(
        key="dpm_solver_grid",
        paper="Lu et al. 2022a,b (DPM-Solver, DPM-Solver++)",
        claim="DPM-Solver++(2M) gives good samples in 10-20 NFE, far better than DDIM at the same NFE.",
        method="ring8_wide (std 1.0) and ring8 (std 0.15), 10 and 20 NFE, DDPM 'leading' grid and a grid uniform "
        "in log-SNR, ours and diffusers' DPMSolverMultistepScheduler; 2,000 samples; MMD² floor units, "
        "mean of seeds 0, 1, 2.",
        measure=measure_dpm,
        verdict=verdict_dpm,
        summary=summary_dpm,
        expected=DEPENDS,
        tab="reverse",
        scene="tab=reverse&preset=ring8_wide&sampler=dpmpp_2m&process=ddpm&grid=leading&steps=10",
    ),
    Claim(
        key="edm_nfe",
        paper="Karras et al. 2022 (EDM), Sec. 3, Table 2",
        claim="Heun's second-order steps on the Karras σ schedule (ρ = 7) reach the best quality with fewer "
        "evaluations than first-order samplers (35 NFE on CIFAR-10).",
        method="ring8 and grid25; EDM Heun with σ ∈ [0.002, 80] at 9, 19 and 49 NFE against 8 deterministic samplers "
        "at ~50 NFE and DDIM η = 0 at 10 / 20 NFE; 2,000 samples; MMD² floor units, mean of seeds 0, 1, 2.",
        measure=measure_edm,
        verdict=verdict_edm,
        summary=summary_edm,
        expected=DEPENDS,
        tab="reverse",
        scene="tab=reverse&preset=grid25&sampler=edm_heun&process=edm&grid=karras&steps=18",
    ),
]
