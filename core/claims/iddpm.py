"""Claims about the reverse variance (IDDPM, Analytic-DPM) and about learned scores (NCSN Sec. 3.2.1).

The optimal Gaussian step (core/samplers/optimal.py) samples each step from N(E[x_s|x_t], Cov[x_s|x_t]) with the
exact per-point covariance: the full-covariance generalisation of what IDDPM learns (a diagonal Σ interpolated
between β̃ and β, Nichol & Dhariwal 2021, eq. 15), not that target itself: here the exact covariance lies above β
at most points and is not diagonal on the rings. Analytic-DPM (Bao et al. 2022, Theorem 1) is the same mean with
one isotropic variance per step, the average of the per-point one. The rows are those of the DDIM tab's table
(same grid and particles), averaged over seeds.
"""

from __future__ import annotations

import numpy as np

from core.claims import (
    DEPENDS,
    FAILS,
    HOLDS,
    Claim,
    floor_caveat,
    floor_uncertainty,
    one_seed,
    over_seeds,
    per_seed,
    seed_spread,
    seed_verdicts,
    standard_error,
)
from core.dataspec import data_bandwidth, load_data
from core.grids import timestep_grid
from core.metrics import data_noise_floor, mmd2
from core.models import ExactDenoiser
from core.processes import DiscreteVP
from core.samplers.ancestral import posterior
from core.samplers.optimal import between_mode_share, step_moments
from core.samplers.registry import run_sampler

PARTICLES = 1000  # the DDIM tab's default table
ROWS = {
    "optimal": ("optimal_gaussian", {}),
    "analytic": ("analytic_dpm", {}),
    "beta_tilde": ("ddim", {"eta": 1.0}),
    "ddim": ("ddim", {"eta": 0.0}),
}
LABELS = {"optimal": "optimal Σ(x)", "analytic": "Analytic-DPM", "beta_tilde": "β̃", "ddim": "DDIM η = 0"}
SEEDS = (0, 1, 2, 3, 4)
NOISE = 2.0  # floor units: a difference below this is within the scatter of exact sampling
N_SE = 3.0  # ... and a difference must also exceed 3 standard errors of the seed mean


def _units(preset: str, steps: int, row: str, seed: int) -> float:
    mixture = load_data(preset)
    key, params = ROWS[row]
    grid = timestep_grid(DiscreteVP(), steps, "leading")
    res = run_sampler(key, ExactDenoiser(mixture), grid, PARTICLES, seed, params, n_paths=0)
    floor = data_noise_floor(preset, "mmd2", PARTICLES)
    return floor.in_units(mmd2(res.samples, mixture, data_bandwidth(preset)))


def _cells(preset: str, steps: int, seed: int) -> dict[str, float]:
    """Every row's MMD² (floor units) at this preset and number of steps, for one seed (every row from the same
    start noise)."""
    return {f"{row}_{preset}_S{steps}": _units(preset, steps, row, seed) for row in ROWS}


def _vs_bt_se(v: dict, row: str, cell: str) -> float | None:
    """The standard error of the seeds' mean of `row` minus the β̃ row (paired by seed); None for a seed alone
    (core.claims.one_seed), which has none."""
    rows, bts = per_seed(v, f"{row}_{cell}", SEEDS), per_seed(v, f"beta_tilde_{cell}", SEEDS)
    return None if rows is None else standard_error([r - b for r, b in zip(rows, bts)])


def _vs_beta_tilde(v: dict, row: str, preset: str, steps: int) -> int:
    """-1 if `row` is lower than the β̃ row beyond noise (NOISE floor units and N_SE standard errors of the
    paired difference), +1 if higher, 0 if tied; on a seed alone, beyond the NOISE line alone."""
    cell = f"{preset}_S{steps}"
    d = v[f"{row}_{cell}"] - v[f"beta_tilde_{cell}"]
    se = _vs_bt_se(v, row, cell)
    return int(np.sign(d)) if abs(d) > (NOISE if se is None else max(NOISE, N_SE * se)) else 0


def _max_between_share(preset: str, steps: int) -> float:
    """Largest (over the grid's steps) mean share of Cov[x_s | x_t] between the kernel's lobes, x_t ~ p_t."""
    mixture = load_data(preset)
    g = timestep_grid(DiscreteVP(), steps, "leading")
    shares = []
    for i in range(g.n_steps):
        a, s, a2, s2 = g.alpha[i], g.sigma[i], g.alpha[i + 1], g.sigma[i + 1]
        x = mixture.diffused(a, s).sample(1000, np.random.default_rng(i))
        shares.append(float(between_mode_share(mixture, x, a, s, a2, s2).mean()))
    return max(shares)


def covariance_shape(preset: str, steps: int) -> dict[str, float]:
    """How far the exact Cov[x_s | x_t] is from IDDPM's family Σ = diag(exp(v log β + (1 - v) log β̃)) (eq. 15):
    over the steps that add noise (all but the last) and 1,000 x_t ~ p_t per step, the mean share of points whose
    largest eigenvalue exceeds the jump's β = σ²_{t|s}, and the largest share (over steps) whose correlation
    |ρ| = |Σ₁₂| / √(Σ₁₁ Σ₂₂) exceeds 0.1."""
    mixture = load_data(preset)
    g = timestep_grid(DiscreteVP(), steps, "leading")
    model = ExactDenoiser(mixture)
    above, correlated = [], []
    for i in range(g.n_steps - 1):
        a, s, a2, s2 = g.alpha[i], g.sigma[i], g.alpha[i + 1], g.sigma[i + 1]
        x = mixture.diffused(a, s).sample(1000, np.random.default_rng(i))
        cov = step_moments(model, x, a, s, a2, s2)[1]
        beta = posterior(a, s, a2, s2)[2]
        above.append(float((np.linalg.eigvalsh(cov)[:, 1] > beta).mean()))
        rho = cov[:, 0, 1] / np.sqrt(cov[:, 0, 0] * cov[:, 1, 1])
        correlated.append(float((np.abs(rho) > 0.1).mean()))
    return {"above_beta": float(np.mean(above)), "correlated": float(np.max(correlated))}


def analytic_excess(preset: str, steps: int) -> float:
    """Largest (over the steps that add noise) ratio of Analytic-DPM's shared variance σ*² = E tr Cov[x_s|x_t] / 2
    (Bao et al. 2022, Theorem 1) to the median over x_t ~ p_t of the per-point tr Cov[x_s|x_t] / 2: how much
    more noise the shared variance gives a typical point than its own kernel holds."""
    from core.samplers.optimal import expected_posterior_trace

    mixture = load_data(preset)
    g = timestep_grid(DiscreteVP(), steps, "leading")
    model = ExactDenoiser(mixture)
    ratios = []
    for i in range(g.n_steps - 1):
        a, s, a2, s2 = g.alpha[i], g.sigma[i], g.alpha[i + 1], g.sigma[i + 1]
        x = mixture.diffused(a, s).sample(1000, np.random.default_rng(i))
        per_point = np.trace(step_moments(model, x, a, s, a2, s2)[1], axis1=1, axis2=2) / 2
        _, c_0, _, beta_tilde = posterior(a, s, a2, s2)
        shared = beta_tilde + c_0**2 * expected_posterior_trace(mixture, a, s) / 2
        ratios.append(shared / float(np.median(per_point)))
    return float(max(ratios))


# ---------------------------------------------------------------------------- IDDPM: strided sampling
STEPS_UP = (20, 50, 100)
UP_PRESET = "ring8"
SHAPE_STEPS = (10, 20)


def _optimal_up_one(seed: int) -> dict[str, float]:
    return {k: val for steps in STEPS_UP for k, val in _cells(UP_PRESET, steps, seed).items()}


def _measure_optimal_up() -> dict[str, float]:
    """The rows over SEEDS (core.claims.over_seeds: each seed's value and the mean), the covariance's shape (fixed
    points x_t) and the floor's own uncertainty."""
    out = {f"{k}_S{steps}": val for steps in SHAPE_STEPS for k, val in covariance_shape(UP_PRESET, steps).items()}
    return {**over_seeds(_optimal_up_one, SEEDS), **out, **floor_uncertainty((UP_PRESET, PARTICLES))}


def _verdict_optimal_up(v: dict[str, float]) -> str:
    """IDDPM, Sec. 4: with the better covariance, 100 strided steps sample nearly as well as the full chain
    (here, stricter: the optimal step's seed mean within NOISE floor units of exact sampling at S = 50 and 100),
    while DDPM's fixed β̃ degrades more (the optimal step lower than β̃ beyond noise at S = 20 and 50). Holds if
    both, fails if neither, depends otherwise. On a seed alone (core.claims.one_seed), which has no standard
    error: its optimal step within the NOISE line, and lower than β̃ by more than NOISE."""
    near_exact = all(v[f"optimal_{UP_PRESET}_S{s}"] <= NOISE for s in (50, 100))
    fixed_worse = all(_vs_beta_tilde(v, "optimal", UP_PRESET, s) == -1 for s in (20, 50))
    if near_exact and fixed_worse:
        return HOLDS
    return DEPENDS if near_exact or fixed_worse else FAILS


def _row_cells(v: dict[str, float], preset: str, steps: int) -> str:
    cell = f"{preset}_S{steps}"

    def one(r):
        vals = per_seed(v, f"{r}_{cell}", SEEDS)
        se = f"; ± {_vs_bt_se(v, r, cell):.1f}" if r != "beta_tilde" else ""
        return f"{LABELS[r]} {v[f'{r}_{cell}']:+.1f} ({min(vals):+.1f} to {max(vals):+.1f}{se})"

    return ", ".join(one(r) for r in ROWS)


def _summary_optimal_up(v: dict[str, float]) -> str:
    cells = "; ".join(f"S = {s}: {_row_cells(v, UP_PRESET, s)}" for s in STEPS_UP)
    return (
        f"MMD² in floor units, {UP_PRESET}, {PARTICLES} particles, mean of seeds {SEEDS[0]}-{SEEDS[-1]} (lowest to "
        f"highest seed; ± the standard error of the difference from β̃; {floor_caveat(v)}) — {cells}. The exact "
        "covariance is outside IDDPM's family: its "
        f"largest eigenvalue exceeds the jump's β at {v['above_beta_S10']:.0%} / {v['above_beta_S20']:.0%} of "
        f"points (S = 10 / 20), and |ρ| > 0.1 at up to {v['correlated_S10']:.0%} / {v['correlated_S20']:.0%} of "
        "points in a step. " + seed_verdicts(_verdict_optimal_up, v, SEEDS)
    )


# ---------------------------------------------------------------------------- Analytic-DPM: few steps
FEW_STEPS = (10, 20)
FEW_PRESETS = ("ring8", "grid25", "ring8_soft")


def _few_one(seed: int) -> dict[str, float]:
    return {k: val for preset in FEW_PRESETS for steps in FEW_STEPS for k, val in _cells(preset, steps, seed).items()}


def _measure_few() -> dict[str, float]:
    """The rows over SEEDS (core.claims.over_seeds: each seed's value and the mean), the kernels' shape (fixed
    points x_t) and the floors' own uncertainty."""
    out = {}
    for preset in FEW_PRESETS:
        out[f"between_{preset}"] = _max_between_share(preset, FEW_STEPS[0])
        out[f"excess_{preset}"] = analytic_excess(preset, FEW_STEPS[0])
    out["between_ring8_S20"] = _max_between_share("ring8", 20)
    return {**over_seeds(_few_one, SEEDS), **out, **floor_uncertainty(*((p, PARTICLES) for p in FEW_PRESETS))}


def _verdict_few(v: dict[str, float]) -> str:
    """Bao et al. 2022: Analytic-DPM's variance improves on DDPM's fixed β̃, most with few steps. Holds if it is
    lower than β̃ beyond noise in every cell (preset, S = 10 and 20), fails if in none, depends otherwise. On a
    seed alone (core.claims.one_seed), which has no standard error, "beyond noise" is beyond the NOISE line alone."""
    better = [_vs_beta_tilde(v, "analytic", p, s) == -1 for p in FEW_PRESETS for s in FEW_STEPS]
    return HOLDS if all(better) else (FAILS if not any(better) else DEPENDS)


def _summary_few(v: dict[str, float]) -> str:
    def word(p, s):
        return {-1: "better than β̃", 1: "worse than β̃", 0: "tied with β̃"}[_vs_beta_tilde(v, "analytic", p, s)]

    rows = "; ".join(
        f"{p}, S = {s}: {_row_cells(v, p, s)} → Analytic-DPM {word(p, s)}" for p in FEW_PRESETS for s in FEW_STEPS
    )
    return (
        f"MMD² in floor units, mean of seeds {SEEDS[0]}-{SEEDS[-1]} (lowest to highest seed; ± the standard error of "
        f"the difference from β̃; {floor_caveat(v)}), {PARTICLES} particles — {rows}. On sharp modes the true "
        "reverse kernel of a 100-timestep jump is "
        f"several separate lobes (between-lobe share of Cov[x_s|x_t] up to {v['between_ring8']:.2f} on ring8, "
        f"{v['between_grid25']:.2f} on grid25, {v['between_ring8_soft']:.2f} on ring8_soft; "
        f"{v['between_ring8_S20']:.2f} on ring8 at S = 20): no Gaussian represents it. Analytic-DPM's one variance "
        f"per step, the average over x_t, is at S = {FEW_STEPS[0]} up to {v['excess_ring8']:.1f}× / "
        f"{v['excess_grid25']:.1f}× / {v['excess_ring8_soft']:.1f}× the median point's own (ring8 / grid25 / "
        "ring8_soft). " + seed_verdicts(_verdict_few, v, SEEDS)
    )


# ------------------------------------------------------------ NCSN Sec. 3.2.1: learned scores where data are rare
RARE_PRESETS = ("ring8", "ncsn_fig3", "grid25")
RARE_T = 20  # DDPM timestep: a low noise level, where the data's support is thin
RARE_FACTOR = 2.0  # "poor" = the mean ε error far from the data at least twice the error near it
# Training seeds of the learned models: 0 is the shipped default model of each preset, the others are trained with
# the same settings (core.learned.get_model, about 5 s each) when the claim is measured whole.
RARE_SEEDS = tuple(range(8))


def _rare_run(seed: int) -> dict[str, float]:
    """One training seed: the near / far ε error of each preset's default model trained with that seed."""
    from dataclasses import replace

    from core import learned

    out = {}
    p = DiscreteVP()
    a, s = float(p.alpha(RARE_T)), float(p.sigma(RARE_T))
    for preset in RARE_PRESETS:
        mixture = load_data(preset)
        settings = replace(learned.default_settings(preset), seed=seed)
        if learned.shipped_path(settings) is not None and learned.cached_model(settings) is None:
            raise RuntimeError(f"no shipped model for {preset}: python -m core.learned --write {preset}")
        model, _ = learned.get_model(settings)
        nf = learned.near_far_error(model, mixture, a, s, learned.plot_box(mixture))
        out[f"near_{preset}"], out[f"far_{preset}"] = nf["near"], nf["far"]
    return out


def _measure_rare() -> dict[str, float]:
    return over_seeds(_rare_run, RARE_SEEDS)


def _verdict_rare(v: dict[str, float]) -> str:
    """Holds if the far error is at least RARE_FACTOR × the near one on every preset, fails if on none, depends
    otherwise; on the means over the training seeds and on each seed alone."""
    poor = [v[f"far_{p}"] >= RARE_FACTOR * v[f"near_{p}"] for p in RARE_PRESETS]
    return HOLDS if all(poor) else (DEPENDS if any(poor) else FAILS)


def _summary_rare(v: dict[str, float]) -> str:
    def ratios(p):
        each = [one_seed(v, s)[f"far_{p}"] / one_seed(v, s)[f"near_{p}"] for s in RARE_SEEDS]
        return f"{min(each):.1f}× to {max(each):.1f}×"

    rows = "; ".join(
        f"{p}: {seed_spread(v, f'near_{p}', RARE_SEEDS, '.2f')} near vs {seed_spread(v, f'far_{p}', RARE_SEEDS, '.2f')}"
        f" far ({v[f'far_{p}'] / v[f'near_{p}']:.1f}× on the means, {ratios(p)} per seed)"
        for p in RARE_PRESETS
    )
    return (
        f"Mean ‖ε̂_θ − ε*‖ at t = {RARE_T} of the default learned model trained with seeds {RARE_SEEDS[0]}-"
        f"{RARE_SEEDS[-1]} (seed {RARE_SEEDS[0]} the shipped one), mean (lowest to highest seed) — {rows}. "
        + seed_verdicts(_verdict_rare, v, RARE_SEEDS)
    )


CLAIMS = [
    Claim(
        key="iddpm_optimal_step",
        paper="Nichol & Dhariwal 2021 (IDDPM), Sec. 3.1 (learned Σ) and Sec. 4 (fewer steps)",
        claim=(
            "IDDPM learns the reverse covariance as a diagonal interpolation between β_t and β̃_t "
            "(Σ_θ = exp(v log β_t + (1 − v) log β̃_t)); with it, strided sampling with 100 steps comes "
            "close to the full chain's sample quality (near-optimal FID), while DDPM's fixed variances degrade "
            "more."
        ),
        method=(
            f"{UP_PRESET}, DDPM linear β, leading spacing, S = {', '.join(map(str, STEPS_UP))}, {PARTICLES:,} "
            f"particles, seeds {SEEDS[0]}-{SEEDS[-1]}; MMD² in noise-floor units. The optimal Gaussian step (exact "
            "per-point Cov[x_s|x_t], the full-covariance generalisation of IDDPM's target) stands in for the "
            f"learned Σ; 'close' = within {NOISE:g} units of exact sampling at S = 50 and 100; 'degrades more' = "
            f"β̃ (the η = 1 row) higher by more than {NOISE:g} units and {N_SE:g} standard errors at S = 20 and 50. "
            "Analytic-DPM and DDIM η = 0 shown alongside. Verdict on the means, and on each seed alone (the "
            f"{NOISE:g}-unit lines alone)."
        ),
        measure=_measure_optimal_up,
        verdict=_verdict_optimal_up,
        summary=_summary_optimal_up,
        expected=HOLDS,
        tab="ddim",
        scene="tab=ddim&preset=ring8&cell_steps=20&cell_variant=optimal+%CE%A3%28x%29",
    ),
    Claim(
        key="iddpm_optimal_few_steps",
        paper="Bao et al. 2022 (Analytic-DPM), Theorem 1 and its form for a shortened trajectory (the skipped "
        "steps used here); the gains: its experiments",
        claim=(
            "The KL-optimal isotropic reverse variance, one scalar per step computed from the expected score "
            "norm, improves on DDPM's fixed variances, most when there are few steps."
        ),
        method=(
            f"S = {' and '.join(map(str, FEW_STEPS))} (leading, DDPM linear β) on {', '.join(FEW_PRESETS)}; seeds "
            f"{SEEDS[0]}-{SEEDS[-1]}, {PARTICLES:,} particles; Analytic-DPM (its variance from the exact mixture by "
            f"quadrature) against β̃ (the η = 1 row); 'better' = lower by more than {NOISE:g} floor units and "
            f"{N_SE:g} standard errors. The optimal Gaussian step and DDIM η = 0 shown alongside. Between-lobe "
            "share: the part of tr Cov[x_s|x_t] between the kernel's per-component Gaussians (law of total "
            "covariance), averaged over 1,000 x_t ~ p_t per step, largest over the steps. Verdict on the means, and "
            f"on each seed alone (the {NOISE:g}-unit line alone)."
        ),
        measure=_measure_few,
        verdict=_verdict_few,
        summary=_summary_few,
        expected=DEPENDS,
        tab="ddim",
        scene="tab=ddim&preset=ring8&cell_steps=10&cell_variant=optimal+%CE%A3%28x%29",
    ),
    Claim(
        key="ncsn_learned_score_rare",
        paper="Song & Ermon 2019 (NCSN), Sec. 3.2.1",
        claim=(
            "A score learned by score matching is inaccurate in low-density regions, where there are few data "
            "to learn from."
        ),
        method=(
            f"The default learned model of {', '.join(RARE_PRESETS)} (core/learned.py, its default settings) "
            f"trained with seeds {RARE_SEEDS[0]}-{RARE_SEEDS[-1]} (seed {RARE_SEEDS[0]} the shipped one); "
            f"at DDPM t = {RARE_T}, "
            "mean ‖ε̂_θ − ε*‖ over an 80 × 80 grid of the plot box, near = inside the region holding 90 % of p_t, "
            f"far = outside the region holding 99 %; 'poor' = far ≥ {RARE_FACTOR:g} × near, on every preset, on the "
            "means over the seeds and on each seed alone."
        ),
        measure=_measure_rare,
        verdict=_verdict_rare,
        summary=_summary_rare,
        expected=HOLDS,
        tab="learned",
        scene=f"tab=learned&preset=ring8&t={RARE_T}",
    ),
]
