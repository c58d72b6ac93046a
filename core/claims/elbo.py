"""Claims about the variational bound (core/elbo.py): VDM's schedule invariance and estimator variance, and the
tightness of the bound with the exact denoiser (Ho et al. 2020's bound, Kingma et al. 2021's continuous time).

Every number here rests on random draws (points x ~ p, and for the one-sample estimator u and ε too): each claim is
measured on SEEDS (core.claims.over_seeds) and judged on the means and on each seed alone (core.claims.seed_verdicts,
tests/core/test_claim_seeds_elbo_pfode.py); a rule that reads a worst point, a standard error or a range over seeds
pools the seeds with core/claims/_pooled.py."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from core import elbo as E
from core.claims import DEPENDS, FAILS, HOLDS, Claim, one_seed, over_seeds, seed_spread, seed_verdicts
from core.claims._pooled import lowest_to_highest, se_of_mean, seed_range, worst
from core.dataspec import load_data

PRESET = "ring8"
SEEDS = tuple(range(8))
N_DRAWS = 20_000  # one-sample estimates per schedule and seed
N_POINTS = 32  # points per seed for the bound point by point
N_SE = 4.0  # a disagreement must exceed this many standard errors
WIDE = (-12.0, 20.0)
SEED_LIST = f"seeds {SEEDS[0]}-{SEEDS[-1]}"


@lru_cache(maxsize=len(SEEDS))
def _table(seed: int) -> E.ErrorTable:
    return E.error_table(load_data(PRESET), *E.ddpm_endpoints(), seed=seed)


def _invariance_run(seed: int) -> dict[str, float]:
    """One seed: L∞ by quadrature in log-SNR on the seed's table (256 draws x ~ p) with its standard error over the
    draws, and per schedule the mean of N_DRAWS one-sample estimates in the schedule's own time with its se."""
    g_min, g_max = E.ddpm_endpoints()
    linf, linf_se = E.diffusion_loss(_table(seed))
    out = {"linf": linf, "linf_se": linf_se}
    for name in E.SCHEDULES:
        draws = E.one_sample(load_data(PRESET), E.Schedule(name, g_min, g_max), N_DRAWS, 100 + seed)
        out[f"mc_{name}"] = float(draws.mean())
        out[f"mc_se_{name}"] = float(draws.std(ddof=1) / np.sqrt(len(draws)))
    return out


def measure_invariance() -> dict[str, float]:
    return over_seeds(_invariance_run, SEEDS)


def _invariance_z(v: dict[str, float], name: str) -> float:
    """How many standard errors a schedule's one-sample mean sits from the quadrature (on the means: the standard
    errors of the seeds' means, core.claims._pooled.se_of_mean)."""
    se = np.hypot(se_of_mean(v, f"mc_se_{name}", SEEDS), se_of_mean(v, "linf_se", SEEDS))
    return float(abs(v[f"mc_{name}"] - v["linf"]) / se)


def verdict_invariance(v: dict[str, float]) -> str:
    """Holds if every schedule's one-sample mean is within N_SE standard errors of the quadrature."""
    return HOLDS if all(_invariance_z(v, n) < N_SE for n in E.SCHEDULES) else FAILS


def summary_invariance(v: dict[str, float]) -> str:
    per = ", ".join(
        f"{E.SCHEDULE_LABELS[n]} {v[f'mc_{n}']:.2f} ± {se_of_mean(v, f'mc_se_{n}', SEEDS):.2f} "
        f"({lowest_to_highest(v, f'mc_{n}', SEEDS, '.2f')})"
        for n in E.SCHEDULES
    )
    z_mean = max(_invariance_z(v, n) for n in E.SCHEDULES)
    z_seed = max(_invariance_z(one_seed(v, s), n) for n in E.SCHEDULES for s in SEEDS)
    return (
        f"Mean ± standard error over {SEED_LIST} (lowest to highest seed): L∞ = {v['linf']:.3f} ± "
        f"{se_of_mean(v, 'linf_se', SEEDS):.3f} nats by quadrature in log-SNR "
        f"({lowest_to_highest(v, 'linf', SEEDS, '.3f')}); the one-sample estimator in each schedule's own "
        f"time: {per}. Largest distance from the quadrature: {z_mean:.1f} standard errors on the means, "
        f"{z_seed:.1f} on a seed alone (the line: {N_SE:g}). {seed_verdicts(verdict_invariance, v, SEEDS)}"
    )


def _variance_run(seed: int) -> dict[str, float]:
    """One seed: the one-sample estimator's sd per schedule from the seed's table, and the best any schedule with
    these end points can give."""
    g_min, g_max = E.ddpm_endpoints()
    table = _table(seed)
    out = {f"sd_{name}": E.estimator_sd(table, E.Schedule(name, g_min, g_max)) for name in E.SCHEDULES}
    out["sd_best"] = E.best_sd(table)
    return out


def measure_variance() -> dict[str, float]:
    return over_seeds(_variance_run, SEEDS)


def verdict_variance(v: dict[str, float]) -> str:
    """Holds if the schedules' sds are ordered the same way beyond their ranges over seeds (on a seed alone: in
    that order) and differ by ≥ 2×."""
    names = (*E.SCHEDULES, "best")
    sds = [v[f"sd_{n}"] for n in names]
    separated = all(
        sds[i] - sds[i + 1] > seed_range(v, f"sd_{names[i]}", SEEDS) + seed_range(v, f"sd_{names[i + 1]}", SEEDS)
        for i in range(len(sds) - 1)
    )
    return HOLDS if separated and sds[0] / sds[-2] > 2 else DEPENDS


def summary_variance(v: dict[str, float]) -> str:
    per = " / ".join(seed_spread(v, f"sd_{n}", SEEDS, ".2f") for n in E.SCHEDULES)
    return (
        f"sd of the one-sample estimator (linear β / cosine / EDM / log-SNR), mean (lowest to highest) over "
        f"{SEED_LIST}: {per} nats; the best any schedule with these end points can give: "
        f"{seed_spread(v, 'sd_best', SEEDS, '.2f')}, {v['sd_log_snr'] / v['sd_best']:.2f}× below "
        f"linear-in-log-SNR. {seed_verdicts(verdict_variance, v, SEEDS)}"
    )


def _tight_run(seed: int) -> dict[str, float]:
    """One seed: N_POINTS points x ~ p, their −ELBO − (−log p) by quadrature against the gap predicted from
    closed-form densities, with DDPM's end points and with WIDE ones."""
    mixture = load_data(PRESET)
    x = mixture.sample(N_POINTS, np.random.default_rng(1000 + seed))
    out = {}
    for key, ends in (("ddpm", E.ddpm_endpoints()), ("wide", WIDE)):
        gap = E.point_bound(mixture, x, *ends).gap
        prior, decoder = E.predicted_gap(mixture, x, *ends)
        pred = prior + decoder
        out[f"gap_{key}"] = float(gap.mean())
        out[f"gap_se_{key}"] = float(gap.std(ddof=1) / np.sqrt(len(gap)))
        out[f"predicted_{key}"] = float(pred.mean())
        out[f"worst_{key}"] = float(np.abs(gap - pred).max())
        out[f"below_{key}"] = float((gap < 0).mean())
    return out


def measure_tight() -> dict[str, float]:
    return over_seeds(_tight_run, SEEDS)


QUADRATURE_TOL = 2e-3  # nats: the per-point quadrature's error (Gauss–Hermite 16, log-SNR step 0.2)


def verdict_tight(v: dict[str, float]) -> str:
    """Holds if the gap is the predicted prior + decoder mismatch at every point (of every seed) and vanishes with
    wide ends."""
    explained = worst(v, "worst_ddpm", SEEDS) < QUADRATURE_TOL and worst(v, "worst_wide", SEEDS) < QUADRATURE_TOL
    return HOLDS if explained and abs(v["gap_wide"]) < QUADRATURE_TOL else FAILS


def summary_tight(v: dict[str, float]) -> str:
    def spread(key, fmt):
        return lowest_to_highest(v, key, SEEDS, fmt)

    n = len(SEEDS) * N_POINTS
    return (
        f"{PRESET}, {N_POINTS} points per seed, {SEED_LIST} ({n} points): with DDPM's end points the gap −ELBO + "
        f"log p(x) is {v['gap_ddpm']:+.4f} ± {se_of_mean(v, 'gap_se_ddpm', SEEDS):.4f} nats (seed means "
        f"{spread('gap_ddpm', '+.4f')}), predicted {v['predicted_ddpm']:+.4f} from the prior's and the Gaussian "
        f"decoder's mismatch alone (largest per-point difference {worst(v, 'worst_ddpm', SEEDS):.0e}); with "
        f"log-SNR from −12 to 20 it is {v['gap_wide']:+.4f} (seed means {spread('gap_wide', '+.4f')}; largest "
        f"per-point difference {worst(v, 'worst_wide', SEEDS):.0e}). Point by point {100 * v['below_ddpm']:.0f} % "
        f"of the points ({spread('below_ddpm', '.0%')} per seed) have −ELBO below −log p(x): "
        f"the bound is on the model's density p ∗ N(0, 2σ̃₀² I), not on p. {seed_verdicts(verdict_tight, v, SEEDS)}"
    )


T_VARIANCE = (10, 100, 1000)
N_VARIANCE = 8  # points per seed for the discrete bound (Gauss–Hermite 6 × 6 per step)
CHOICES = ("beta_tilde", "beta", "optimal")


def _variances_run(seed: int) -> dict[str, float]:
    """One seed: DDPM's bound's gap to −log p (mean over N_VARIANCE points) per T for β̃, β and the optimal
    per-point covariance; the better fixed choice's gap and the optimal's improvement on it."""
    mixture = load_data(PRESET)
    x0 = mixture.sample(N_VARIANCE, np.random.default_rng(2000 + seed))
    out: dict[str, float] = {}
    for T in T_VARIANCE:
        for c in CHOICES:
            b = E.discrete_bound(mixture, x0, T, c, n_gh=6)
            out[f"{c}_T{T}"] = float(np.mean(b.total - b.nll))
        out[f"fixed_T{T}"] = min(out[f"beta_T{T}"], out[f"beta_tilde_T{T}"])
        out[f"gain_T{T}"] = out[f"fixed_T{T}"] - out[f"optimal_T{T}"]
    return out


def measure_variances() -> dict[str, float]:
    return over_seeds(_variances_run, SEEDS)


def verdict_variances(v: dict[str, float]) -> str:
    """Holds if the optimal covariance lowers the bound at every T beyond the range over seeds (on a seed alone: at
    all), by more at smaller T."""
    better = all(v[f"gain_T{T}"] > seed_range(v, f"gain_T{T}", SEEDS) for T in T_VARIANCE)
    ordered = all(v[f"gain_T{a}"] > v[f"gain_T{b}"] for a, b in zip(T_VARIANCE, T_VARIANCE[1:]))
    return HOLDS if better and ordered else DEPENDS


def summary_variances(v: dict[str, float]) -> str:
    per = "; ".join(
        f"T = {T}: β̃ {v[f'beta_tilde_T{T}']:.3g}, β {v[f'beta_T{T}']:.3g}, optimal {v[f'optimal_T{T}']:.3g}"
        for T in T_VARIANCE
    )
    gains = " / ".join(
        f"{seed_spread(v, f'gain_T{T}', SEEDS, '.3g')} ({100 * v[f'gain_T{T}'] / v[f'fixed_T{T}']:.0f} %)"
        for T in T_VARIANCE
    )
    return (
        f"Gap of DDPM's bound to −log p(x) in nats, mean over {N_VARIANCE} points × {SEED_LIST}, exact mean: {per}. "
        f"The optimal covariance lowers it below the better of β and β̃ by {gains} at T = "
        f"{' / '.join(map(str, T_VARIANCE))} (mean, lowest to highest seed; share of that choice's gap): in nats "
        "most at small T, where β̃ is far too small (the share of the gap it closes is not largest there). "
        f"{seed_verdicts(verdict_variances, v, SEEDS)}"
    )


CLAIMS = [
    Claim(
        key="vdm_schedule_invariance",
        paper="Kingma et al. 2021 (VDM), Sec. 5.1",
        claim="In continuous time the diffusion loss depends on the noise schedule only through its end points "
        "SNR_min and SNR_max, not through the shape of SNR(t) between them.",
        method=f"{PRESET}, DDPM's end points (log-SNR −10.1 to 9.2), the exact denoiser. L∞ = ½ ∫ eᵍ E‖x − x̂‖² dg "
        "by Simpson's rule in g (step 0.2) and Gauss–Hermite (8 × 8) over ε, 256 draws x ~ p per seed; against "
        f"VDM's one-sample estimator in each schedule's own time u ~ U[0, 1] (linear β, cosine, EDM's ρ = 7, "
        f"linear log-SNR), {N_DRAWS:,} draws per schedule and seed, {SEED_LIST}. Holds if every "
        f"schedule's mean is within {N_SE:g} standard errors of the quadrature, on the means over the seeds (the "
        "standard errors of the means) and on each seed alone.",
        measure=measure_invariance,
        verdict=verdict_invariance,
        summary=summary_invariance,
        expected=HOLDS,
        tab="elbo",
        scene="tab=elbo&preset=ring8&ends=ddpm",
    ),
    Claim(
        key="vdm_estimator_variance",
        paper="Kingma et al. 2021 (VDM), Sec. 5.1, Sec. 5.3 and App. I.2",
        claim="The schedule's shape does not change the continuous-time loss but does change the variance of its "
        "Monte Carlo estimator, which VDM reduces by learning the schedule.",
        method=f"{PRESET}, DDPM's end points; the sd of ½ (−g′(u)) e^{{g(u)}} ‖x − x̂‖² over x ~ p, u ~ U[0, 1], "
        "ε, from the table's E‖x − x̂‖⁴ (Simpson in u), per seed; the smallest sd any schedule with these end "
        "points can give (g drawn ∝ eᵍ √E‖x − x̂‖⁴). Holds if the four schedules' sds are ordered beyond their "
        f"ranges over {SEED_LIST} (on a seed alone: ordered) and the largest is at least twice the smallest.",
        measure=measure_variance,
        verdict=verdict_variance,
        summary=summary_variance,
        expected=HOLDS,
        tab="elbo",
        scene="tab=elbo&preset=ring8&ends=ddpm",
    ),
    Claim(
        key="elbo_tight_exact_score",
        paper="Ho et al. 2020 (DDPM), Sec. 2 (eq. 5), Sec. 3 and Appendix A; Kingma et al. 2021 (VDM), Sec. 5",
        claim="Training minimises a variational bound on the negative log-likelihood (prior term, denoising "
        "terms, decoder term); the bound is an upper bound on −log p(x), tight only if the reverse process "
        "matches the true posterior.",
        method=f"{PRESET}, {N_POINTS} points x ~ p per seed, {SEED_LIST}; −ELBO = KL(q(z₁|x) ‖ "
        "N(0, I)) + E[−log N(x; z₀/α₀, σ̃₀² I)] + L∞(x), L∞ by quadrature (Simpson in log-SNR, step 0.2; "
        "Gauss–Hermite 16 × 16 over ε); against the exact −log p(x) and against the gap predicted from closed-form "
        "densities alone (prior mismatch + decoder mismatch, I-MMSE). Holds if the prediction matches every "
        f"point of every seed within {QUADRATURE_TOL:g} nats and the mean gap vanishes with log-SNR from −12 to 20, "
        "over the seeds and on each seed alone.",
        measure=measure_tight,
        verdict=verdict_tight,
        summary=summary_tight,
        expected=HOLDS,
        tab="elbo",
        scene="tab=elbo&preset=ring8&ends=wide",
    ),
    Claim(
        key="iddpm_learned_variance_bound",
        paper="Nichol & Dhariwal 2021 (IDDPM), Sec. 3.1, Sec. 3.4 and Sec. 4",
        claim="β_t and β̃_t differ mostly near t = 0, yet the first diffusion steps contribute the most to the "
        "variational lower bound, so a better choice of Σ_θ could improve log-likelihood; IDDPM learns a diagonal Σ_θ "
        "as an interpolation between β_t and β̃_t and reports better log-likelihoods (Sec. 3.4), and sampling with "
        "fewer steps (Sec. 4).",
        method=f"{PRESET}, {N_VARIANCE} points x₀ ~ p per seed, {SEED_LIST}; DDPM's bound L_T + Σ "
        "L_(t−1) + L_0 on T of its 1000 timesteps (spread evenly, both ends kept) with the exact mean and the "
        "variance β̃, β or the optimal per-point covariance (full 2×2: the full-covariance generalisation of what "
        "IDDPM's learned diagonal Σ approximates), each "
        "expectation by Gauss–Hermite (6 × 6); gap to the exact −log p(x₀). Holds if the optimal covariance lowers "
        f"the bound below the better fixed choice at every T beyond the range over {SEED_LIST} (on a seed alone: at "
        "all), and by more at smaller T.",
        measure=measure_variances,
        verdict=verdict_variances,
        summary=summary_variances,
        expected=HOLDS,
        tab="elbo",
        scene="tab=elbo&preset=ring8&steps=10",
    ),
]
