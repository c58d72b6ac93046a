"""Reverse-SDE Euler–Maruyama against DDIM η = 0 at equal NFE (Song et al. 2021b; Karras et al. 2022, Sec. 4)."""

from __future__ import annotations

import numpy as np

from core.claims import DEPENDS, FAILS, HOLDS, Claim
from core.evaluate import mean_units
from core.grids import Grid, make_grid
from core.processes import make_process

MARGIN = 2.0  # floor units: the noise of a difference of two 3-seed means


def _without_node(grid: Grid, i: int) -> Grid:
    keep = np.delete(np.arange(len(grid.t)), i)
    return Grid(grid.t[keep], grid.alpha[keep], grid.sigma[keep], grid.d_alpha[keep], grid.d_sigma[keep], "")


def measure() -> dict[str, float]:
    out = {}
    for nfe in (20, 50):
        for name, process, grid in (("leading", "ddpm", "leading"), ("uniform", "vp", "linspace")):
            out[f"{name}_{nfe}_em"] = mean_units("euler_maruyama", "ring8", process, grid, nfe)
            out[f"{name}_{nfe}_ddim"] = mean_units("ddim", "ring8", process, grid, nfe)
    cut = _without_node(make_grid(make_process("ddpm"), "leading", 21), -2)  # …, 100, then x̂₀: no t = 0 stop
    out["leading_no_t0_20_em"] = mean_units("euler_maruyama", "ring8", "ddpm", cut)
    out["leading_no_t0_20_ddim"] = mean_units("ddim", "ring8", "ddpm", cut)
    return out


def verdict(v: dict[str, float]) -> str:
    """Holds if EM is worse on both grids; depends if it is worse on DDPM's leading grid only."""
    worse_leading = all(v[f"leading_{n}_em"] > v[f"leading_{n}_ddim"] + MARGIN for n in (20, 50))
    worse_uniform = all(v[f"uniform_{n}_em"] > v[f"uniform_{n}_ddim"] + MARGIN for n in (20, 50))
    if worse_leading and worse_uniform:
        return HOLDS
    return DEPENDS if worse_leading or worse_uniform else FAILS


def summary(v: dict[str, float]) -> str:
    def pair(name, n):
        return f"EM {v[f'{name}_{n}_em']:.1f} vs DDIM {v[f'{name}_{n}_ddim']:.1f}"

    return (
        f"Leading DDPM grid: {pair('leading', 20)} at 20 NFE, {pair('leading', 50)} at 50. "
        f"VP, uniform t: {pair('uniform', 20)} at 20, {pair('uniform', 50)} at 50. "
        f"Leading grid without its t = 0 stop (σ = 0.01): {pair('leading_no_t0', 20)} at 20. "
        "The leading grid's last stochastic step to σ = 0.01 leaves noise the final step cannot remove."
    )


CLAIMS = [
    Claim(
        key="em_vs_ddim_grid",
        paper="Song et al. 2021a (DDIM), Sec. 5.1, Table 1; carried over to Song et al. 2021b (score SDE), Sec. 4",
        claim="DDIM's Table 1: with few steps the deterministic η = 0 sampler beats the stochastic ones (η = 1, "
        "σ̂). Carried over by us to the score-SDE samplers, whose reverse-SDE Euler–Maruyama step is the "
        "stochastic counterpart of the PF-ODE's: at equal, small NFE DDIM η = 0 should beat Euler–Maruyama.",
        method="ring8, 20 and 50 NFE, on DDPM's 'leading' grid and on the VP SDE with uniform t; 2,000 samples; "
        "MMD² in noise-floor units, mean of seeds 0, 1, 2.",
        measure=measure,
        verdict=verdict,
        summary=summary,
        expected=DEPENDS,
        tab="reverse",
        scene="tab=reverse&preset=ring8&sampler=euler_maruyama&process=vp&grid=linspace&steps=20",
    )
]
