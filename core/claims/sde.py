"""Reverse-SDE Euler–Maruyama against DDIM η = 0 at equal NFE (Song et al. 2021a, Table 1, carried over to the
reverse SDE of Song et al. 2021b, Sec. 4)."""

from __future__ import annotations

import numpy as np

from core.claims import DEPENDS, FAILS, HOLDS, Claim, floor_caveat, floor_uncertainty, over_seeds, seed_verdicts
from core.claims._seeded import MARGIN, Z, beats, mean_se
from core.evaluate import mmd_units
from core.grids import Grid, make_grid
from core.processes import make_process

# Each seed alone gives the verdict; on the means every gap of the verdict is ≥ 9.6 standard errors (the smallest:
# EM above DDIM on the leading grid at 50 NFE, 6.1 units).
SEEDS = tuple(range(8))


def _without_node(grid: Grid, i: int) -> Grid:
    keep = np.delete(np.arange(len(grid.t)), i)
    return Grid(grid.t[keep], grid.alpha[keep], grid.sigma[keep], grid.d_alpha[keep], grid.d_sigma[keep], "")


def _one(seed: int) -> dict[str, float]:
    out = {}
    for nfe in (20, 50):
        for name, process, grid in (("leading", "ddpm", "leading"), ("uniform", "vp", "linspace")):
            out[f"{name}_{nfe}_em"] = mmd_units("euler_maruyama", "ring8", process, grid, nfe, seed=seed)[0]
            out[f"{name}_{nfe}_ddim"] = mmd_units("ddim", "ring8", process, grid, nfe, seed=seed)[0]
    cut = _without_node(make_grid(make_process("ddpm"), "leading", 21), -2)  # …, 100, then x̂₀: no t = 0 stop
    out["leading_no_t0_20_em"] = mmd_units("euler_maruyama", "ring8", "ddpm", cut, seed=seed)[0]
    out["leading_no_t0_20_ddim"] = mmd_units("ddim", "ring8", "ddpm", cut, seed=seed)[0]
    return out


def measure() -> dict[str, float]:
    """_one over SEEDS: each value per seed and its mean (core.claims.over_seeds), and the floor's own uncertainty."""
    return {**over_seeds(_one, SEEDS), **floor_uncertainty(("ring8", 2000))}


def verdict(v: dict[str, float]) -> str:
    """Holds if EM is worse on both grids; depends if it is worse on DDPM's leading grid only. "Worse" is
    core.claims._seeded.beats: on the means a gap of max(MARGIN, Z standard errors), on one seed its sign."""

    def worse(name):
        return all(beats(v, f"{name}_{n}_ddim", f"{name}_{n}_em", SEEDS) for n in (20, 50))

    worse_leading, worse_uniform = worse("leading"), worse("uniform")
    if worse_leading and worse_uniform:
        return HOLDS
    return DEPENDS if worse_leading or worse_uniform else FAILS


def summary(v: dict[str, float]) -> str:
    def pair(name, n):
        return f"EM {mean_se(v, f'{name}_{n}_em', SEEDS)} vs DDIM {mean_se(v, f'{name}_{n}_ddim', SEEDS)}"

    return (
        f"MMD² floor units, mean ± standard error over seeds {SEEDS[0]}-{SEEDS[-1]} (lowest to highest seed). "
        f"Leading DDPM grid: {pair('leading', 20)} at 20 NFE, {pair('leading', 50)} at 50. "
        f"VP, uniform t: {pair('uniform', 20)} at 20, {pair('uniform', 50)} at 50. "
        f"Leading grid without its t = 0 stop (σ = 0.01): {pair('leading_no_t0', 20)} at 20. "
        "The leading grid's last stochastic step to σ = 0.01 leaves noise the final step cannot remove. A gap "
        f"counts on the means when it clears {Z:g} standard errors and {MARGIN:g} units ({floor_caveat(v)}). "
        + seed_verdicts(verdict, v, SEEDS)
    )


CLAIMS = [
    Claim(
        key="em_vs_ddim_grid",
        paper="Song et al. 2021a (DDIM), Sec. 5.1, Table 1; carried over to Song et al. 2021b (score SDE), Sec. 4",
        claim="DDIM's Table 1: with few steps the deterministic η = 0 sampler beats the stochastic ones (η = 1, "
        "σ̂). Carried over by us to the score-SDE samplers, whose reverse-SDE Euler–Maruyama step is the "
        "stochastic counterpart of the PF-ODE's: at equal, small NFE DDIM η = 0 should beat Euler–Maruyama.",
        method="ring8, 20 and 50 NFE, on DDPM's 'leading' grid and on the VP SDE with uniform t; 2,000 samples; "
        f"MMD² in noise-floor units over seeds {SEEDS[0]}-{SEEDS[-1]}: verdict on the means (gaps beyond {Z:g} "
        "standard errors), and on each seed alone.",
        measure=measure,
        verdict=verdict,
        summary=summary,
        expected=DEPENDS,
        tab="reverse",
        scene="tab=reverse&preset=ring8&sampler=euler_maruyama&process=vp&grid=linspace&steps=20",
    )
]
