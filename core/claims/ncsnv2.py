"""NCSNv2 (Song & Ermon 2020, "Improved techniques for training score-based generative models"): the
sampling techniques 1, 2 and 4, measured with NCSN's annealed Langevin dynamics (Algorithm 1) on the exact
scores of our mixtures (core/ncsn.py). Technique 3 (noise conditioning s(x, σ) = s(x)/σ) and 5 (EMA) are
about training a network and have nothing to measure with exact scores.

Common settings: particles start uniform over the data's 3-sd square (NCSN Fig. 3's U[-8, 8]² on ncsn_fig3),
σ_L = 0.01, ε = 2e-5 and T = 100 steps per level (NCSN's), L = 10 levels, 2,000 particles, seeds 0-7
(numbers are means over the seeds, with standard errors; every seed's numbers are shipped, and the verdicts of
Techniques 1 and 4 are also taken on each seed alone). Mode TV = ½ Σ_k |share of samples whose likeliest component
is k − π_k|; with 2,000 particles one run scatters by about 0.01, so a difference counts if it exceeds MARGIN = 0.02
and 3 standard errors (on a seed alone, MARGIN).
"""

from __future__ import annotations

import numpy as np

from core.claims import (
    DEPENDS,
    FAILS,
    HOLDS,
    NOT_APPLICABLE,
    Claim,
    floor_caveat,
    floor_uncertainty,
    over_seeds,
    seed_se,
    seed_verdicts,
)
from core.claims._seeded import mean_se

N, SEEDS = 2000, tuple(range(8))
SIGMA_L, EPS, T, LEVELS = 0.01, 2e-5, 100, 10
MARGIN = 0.02  # mode-TV difference that counts (2 × the seed-to-seed spread at 2,000 particles)
UNITS_MARGIN = 2.0  # MMD² difference that counts, in floor units (two exact sample sets differ by up to this)
SIGMA1_PRESETS = ("ncsn_fig3", "four_corners", "guidance_collapse")
PRESETS = ("ncsn_fig3", "four_corners")


def annealed(key: str, sigma_1: float, seed: int, n_levels: int = LEVELS, eps: float = EPS, steps: int = T) -> dict:
    """Mode TV and MMD² (floor units) of annealed Langevin (NCSN Algorithm 1), σ from sigma_1 down to SIGMA_L, on
    one seed (the start and the chain's noise)."""
    from core import ncsn
    from core.dataspec import data_bandwidth, load_data
    from core.metrics import data_noise_floor, mmd2

    mixture = load_data(key)
    sigmas = ncsn.geometric_sigmas(sigma_1, ncsn.gamma_for(sigma_1, SIGMA_L, n_levels), n_levels)
    x0 = ncsn.init_particles(mixture, N, np.random.default_rng(seed), "box", sigma_1)
    x = ncsn.annealed_langevin(mixture, x0, sigmas, eps, steps, np.random.default_rng([seed, 2])).frames[-1]
    return {
        "tv": float(ncsn.tv(ncsn.mode_shares(x, mixture), mixture.weights)),
        "mmd2_units": float(data_noise_floor(key, "mmd2", N).in_units(mmd2(x, mixture, data_bandwidth(key)))),
    }


def _exceeds(v: dict[str, float], a: str, b: str, stat: str = "tv", margin: float = MARGIN) -> bool:
    """v[a.stat] - v[b.stat] > max(margin, 3 standard errors of the difference) (the SEs combined as if
    independent: the runs share their seeds, so this overstates the noise); on a seed alone, > margin."""
    se = float(np.hypot(seed_se(v, f"{a}.{stat}", SEEDS), seed_se(v, f"{b}.{stat}", SEEDS)))
    return v[f"{a}.{stat}"] - v[f"{b}.{stat}"] > max(margin, 3 * se)


def _tv(v: dict[str, float], name: str) -> str:
    return mean_se(v, f"{name}.tv", SEEDS, ".3f")


# ---------------------------------------------------------------------------- Technique 1
def measure_sigma1() -> dict[str, float]:
    """The rule's σ_1 per preset, and the mode TV with σ_1 = the rule's, a quarter and a tenth of it over SEEDS:
    each seed's and the mean (core.claims.over_seeds)."""
    from core import ncsn
    from core.dataspec import load_data

    rules = {key: ncsn.sigma1_rule(load_data(key)) for key in SIGMA1_PRESETS}

    def one(seed: int) -> dict[str, float]:
        return {
            f"{key}.{name}.tv": annealed(key, factor * rule, seed)["tv"]
            for key, rule in rules.items()
            for name, factor in (("rule", 1.0), ("quarter", 0.25), ("tenth", 0.1))
        }

    return {**{f"{key}.rule_sigma1": rule for key, rule in rules.items()}, **over_seeds(one, SEEDS)}


def verdict_sigma1(v: dict[str, float]) -> str:
    """HOLDS: both σ_1 = rule/4 and rule/10 leave the mode weights worse than the rule's σ_1 on every preset;
    DEPENDS: rule/10 is worse everywhere, rule/4 is not (the rule is safe but larger than needed);
    FAILS: even rule/10 is as good as the rule somewhere. "Worse" is `_exceeds`: by MARGIN and 3 standard errors
    on the means; on a seed alone (core.claims.one_seed), which has no standard error, by MARGIN alone."""
    worse = {
        name: all(_exceeds(v, f"{k}.{name}", f"{k}.rule") for k in SIGMA1_PRESETS) for name in ("quarter", "tenth")
    }
    if not worse["tenth"]:
        return FAILS
    return HOLDS if worse["quarter"] else DEPENDS


def summary_sigma1(v: dict[str, float]) -> str:
    parts = [
        f"{k}: σ_1 = {v[f'{k}.rule_sigma1']:.2f} → TV {_tv(v, f'{k}.rule')}; ÷4 → {_tv(v, f'{k}.quarter')}; ÷10 → "
        f"{_tv(v, f'{k}.tenth')}"
        for k in SIGMA1_PRESETS
    ]
    return (
        f"Mode TV of annealed Langevin, mean ± standard error (lowest to highest seed) over seeds "
        f"{SEEDS[0]}-{SEEDS[-1]}. " + " · ".join(parts) + ". " + seed_verdicts(verdict_sigma1, v, SEEDS)
    )


# ---------------------------------------------------------------------------- Technique 2
GAMMA_LEVELS = (3, 10, 30)  # with the same σ_1, σ_L and 1,000 steps in all: T = 333, 100, 33
GAMMA_DIMS = (10, 3072)  # a small dimension where the criterion has a solution, and CIFAR-10's 32 × 32 × 3
OVERLAP_TARGET = 0.5  # "≈ 0.5"


def criterion_minimum(dim: int) -> float:
    """The smallest value over γ ∈ (1, 1000] of NCSNv2 Technique 2's overlap Φ(√(2D)(γ−1)+3γ) − Φ(√(2D)(γ−1)−3γ).
    For √(2D) ≤ 3 (D ≤ 4) the lower argument stays below -√(2D) and the overlap never falls under
    Φ(3) − Φ(-3) = 0.9973, its value at γ = 1: no γ satisfies "≈ 0.5"."""
    from core import ncsn

    return min(ncsn.shell_overlap(g, dim) for g in 1 + np.geomspace(1e-6, 999, 2000))


def criterion_gamma(dim: int) -> float:
    """The γ > 1 whose overlap is 0.5 in dimension dim (nan if there is none)."""
    from scipy.optimize import brentq

    from core import ncsn

    grid = 1 + np.geomspace(1e-6, 999, 2000)
    values = np.array([ncsn.shell_overlap(g, dim) for g in grid])
    below = np.flatnonzero(values < OVERLAP_TARGET)
    if not len(below):
        return float("nan")
    hi = grid[below[0]]
    lo = grid[below[0] - 1]
    return float(brentq(lambda g: ncsn.shell_overlap(g, dim) - OVERLAP_TARGET, lo, hi))


def measure_gamma() -> dict[str, float]:
    from core import ncsn
    from core.dataspec import load_data

    out = {"min_overlap_D2": criterion_minimum(2)}
    out["first_dim_with_solution"] = float(next(d for d in range(1, 50) if criterion_minimum(d) < OVERLAP_TARGET))
    for dim in GAMMA_DIMS:
        out[f"gamma_D{dim}"] = criterion_gamma(dim)
    rules = {key: ncsn.sigma1_rule(load_data(key)) for key in PRESETS}
    for key, rule in rules.items():
        for n_levels in GAMMA_LEVELS:
            gamma = ncsn.gamma_for(rule, SIGMA_L, n_levels)
            out[f"{key}.L{n_levels}.gamma"] = gamma
            out[f"{key}.L{n_levels}.overlap"] = ncsn.shell_overlap(gamma, 2)

    def one(seed: int) -> dict[str, float]:
        return {
            f"{key}.L{n}.tv": annealed(key, rule, seed, n, steps=1000 // n)["tv"]
            for key, rule in rules.items()
            for n in GAMMA_LEVELS
        }

    return {**out, **over_seeds(one, SEEDS)}


def _coarse_worse(v: dict[str, float], key: str) -> bool:
    """The premise (neighbouring levels must overlap): L = 3 leaves the mode weights worse than L = 30, by more
    than MARGIN and 3 standard errors of the difference."""
    return _exceeds(v, f"{key}.L{GAMMA_LEVELS[0]}", f"{key}.L{GAMMA_LEVELS[-1]}")


def verdict_gamma(v: dict[str, float]) -> str:
    """Not applicable in 2D if no γ brings the criterion within 0.25 of its target 0.5 at D = 2 (it approximates
    the norm of a high-dimensional Gaussian and selects nothing here). Otherwise its premise decides: holds if
    the coarse schedule is worse on every preset, fails if on none, depends otherwise."""
    if v["min_overlap_D2"] > OVERLAP_TARGET + 0.25:
        return NOT_APPLICABLE
    worse = [_coarse_worse(v, key) for key in PRESETS]
    return HOLDS if all(worse) else (FAILS if not any(worse) else DEPENDS)


def summary_gamma(v: dict[str, float]) -> str:
    parts = []
    for key in PRESETS:
        cells = ", ".join(
            f"L = {n} (γ = {v[f'{key}.L{n}.gamma']:.3g}): TV {_tv(v, f'{key}.L{n}')}" for n in GAMMA_LEVELS
        )
        worse = "coarse worse" if _coarse_worse(v, key) else "coarse not worse"
        parts.append(f"{key}: {cells} ({worse})")
    return (
        f"The criterion approximates the norm of a high-dimensional Gaussian: at D = 2 its overlap is at least "
        f"{v['min_overlap_D2']:.4f} for every γ, so it selects no γ (it has a solution from D = "
        f"{v['first_dim_with_solution']:.0f} on: γ = {v['gamma_D10']:.2f} at D = 10, {v['gamma_D3072']:.2f} at "
        f"D = 3072, CIFAR-10). Its premise, that neighbouring levels must overlap, measured with the same σ_1, "
        f"σ_L = 0.01 and 1,000 steps in all (mode TV, mean ± SE (lowest to highest seed) over seeds 0-{SEEDS[-1]}): "
        + " · ".join(parts)
        + "."
    )


# ---------------------------------------------------------------------------- Technique 4
EPS_STEPS = (5, 100)


def measure_eps() -> dict[str, float]:
    from core import ncsn
    from core.dataspec import load_data

    rules = {key: ncsn.sigma1_rule(load_data(key)) for key in PRESETS}
    eps_rules = {
        (key, steps): ncsn.eps_rule(steps, ncsn.gamma_for(rule, SIGMA_L, LEVELS), SIGMA_L)
        for key, rule in rules.items()
        for steps in EPS_STEPS
    }

    def one(seed: int) -> dict[str, float]:
        out = {}
        for (key, steps), eps_rule in eps_rules.items():
            for name, eps in (("paper", EPS), ("rule", eps_rule)):
                res = annealed(key, rules[key], seed, eps=eps, steps=steps)
                out[f"{key}.T{steps}.{name}.tv"] = res["tv"]
                out[f"{key}.T{steps}.{name}.mmd2_units"] = res["mmd2_units"]
        return out

    return {
        **{f"{key}.T{steps}.eps_rule": eps_rule for (key, steps), eps_rule in eps_rules.items()},
        **over_seeds(one, SEEDS),
        **floor_uncertainty(*((key, N) for key in PRESETS)),
    }


def _rule_better(v, key, steps) -> bool:
    p, r = f"{key}.T{steps}.paper", f"{key}.T{steps}.rule"
    return _exceeds(v, p, r, "mmd2_units", margin=UNITS_MARGIN) and not _exceeds(v, r, p)


def verdict_eps(v: dict[str, float]) -> str:
    """HOLDS if the rule's ε beats the paper's fixed ε = 2e-5 (MMD² lower by more than 2 floor units and 3
    standard errors, mode TV not worse beyond MARGIN and 3 standard errors) at every T on every preset; FAILS if
    it beats it nowhere; DEPENDS otherwise. On a seed alone (core.claims.one_seed), which has no standard error,
    each comparison is with its fixed line alone (2 floor units, MARGIN)."""
    wins = [_rule_better(v, key, steps) for key in PRESETS for steps in EPS_STEPS]
    return HOLDS if all(wins) else (FAILS if not any(wins) else DEPENDS)


def summary_eps(v: dict[str, float]) -> str:
    parts = []
    for key in PRESETS:
        for steps in EPS_STEPS:
            p, r = f"{key}.T{steps}.paper", f"{key}.T{steps}.rule"
            parts.append(
                f"{key}, T = {steps}: ε = 2e-5 → TV {_tv(v, p)}, MMD² {mean_se(v, f'{p}.mmd2_units', SEEDS, '.0f')} u; "
                f"rule ε = {v[f'{key}.T{steps}.eps_rule']:.2g} → TV {_tv(v, r)}, MMD² "
                f"{mean_se(v, f'{r}.mmd2_units', SEEDS, '.0f')} u"
            )
    return (
        f"Mean ± standard error (lowest to highest seed) over seeds {SEEDS[0]}-{SEEDS[-1]}: "
        + " · ".join(parts)
        + f" (u = noise-floor units; the rule's ε wins if its MMD² is lower by {UNITS_MARGIN:g} u and 3 standard "
        f"errors; {floor_caveat(v)}). " + seed_verdicts(verdict_eps, v, SEEDS)
    )


CLAIMS = [
    Claim(
        key="ncsnv2_sigma1_rule",
        paper="Song & Ermon 2020 (NCSNv2), Technique 1",
        claim="Choose σ_1 as large as the largest Euclidean distance between data points; a smaller σ_1 "
        "cannot move mass between distant modes, so the mode weights come out wrong.",
        method="Annealed Langevin (NCSN Algorithm 1, exact scores), L = 10 geometric levels from σ_1 to 0.01, "
        "T = 100, ε = 2e-5, 2,000 particles uniform over the data's 3-sd square, seeds 0-7; σ_1 = the largest "
        "pairwise distance of 10,000 exact samples (the rule), a quarter and a tenth of it; presets "
        "ncsn_fig3, four_corners, guidance_collapse; mode TV against the true weights; verdict on the means, and "
        "on each seed alone.",
        measure=measure_sigma1,
        verdict=verdict_sigma1,
        summary=summary_sigma1,
        expected=DEPENDS,
        tab="langevin",
        scene="tab=langevin&preset=ncsn_fig3&sigma1=2.1&gamma=1.81",
    ),
    Claim(
        key="ncsnv2_gamma_rule",
        paper="Song & Ermon 2020 (NCSNv2), Technique 2",
        claim="Choose the noise levels as a geometric sequence whose ratio γ satisfies "
        "Φ(√(2D)(γ−1)+3γ) − Φ(√(2D)(γ−1)−3γ) ≈ 0.5, so that neighbouring levels overlap enough; the criterion "
        "approximates the norm of a high-dimensional Gaussian, ‖x‖ ≈ √D σ.",
        method="The criterion's minimum over γ at D = 2 and the γ it gives where it has a solution. The premise: "
        "annealed Langevin from σ_1 = the rule's to σ_L = 0.01 with L = 3, 10, 30 levels and 1,000 steps in all "
        "(T = 333, 100, 33), ε = 2e-5, 2,000 particles, seeds 0-7, presets ncsn_fig3 and four_corners; mode TV; "
        "coarse is worse if L = 3's TV exceeds L = 30's by 0.02 and 3 standard errors.",
        measure=measure_gamma,
        verdict=verdict_gamma,
        summary=summary_gamma,
        expected=NOT_APPLICABLE,
        tab="langevin",
        scene="tab=langevin&preset=ncsn_fig3&sigma1=21&levels=3&gamma=45.9&steps=333",
    ),
    Claim(
        key="ncsnv2_eps_rule",
        paper="Song & Ermon 2020 (NCSNv2), Technique 4",
        claim="Choose T as large as the budget allows, then the ε that brings eq. (4), the variance ratio "
        "s_T²/σ_i² after T steps, closest to 1.",
        method="Annealed Langevin, L = 10 levels from σ_1 = the rule's to 0.01, T = 5 and 100, ε = 2e-5 (NCSN's) "
        "vs ε from eq. (4) (NCSN's step convention: NCSNv2's ε is half of it), 2,000 particles, seeds 0-7, "
        "presets ncsn_fig3 and four_corners; MMD² in noise-floor units and mode TV; verdict on the means, and on "
        "each seed alone.",
        measure=measure_eps,
        verdict=verdict_eps,
        summary=summary_eps,
        expected=DEPENDS,
        tab="langevin",
        scene="tab=langevin&preset=ncsn_fig3&sigma1=21&steps=5&eps=7.25e-05",
    ),
]
