"""Classifier-free guidance claims (Ho & Salimans 2022) measured on exact class-conditional models.

Samples: ε̃ = (1+w) ε_c − w ε_u with both models exact, DDIM η = 0 on DDPM's 100 "leading" steps, 3,000
samples, seed 0 (the settings of the team's independent run, reference/samplers-and-diffusers.md §5).
"""

from __future__ import annotations

import numpy as np

from core.claims import (
    DEPENDS,
    FAILS,
    HOLDS,
    Claim,
    over_seeds,
    per_seed,
    seed_spread,
    seed_verdicts,
    standard_error,
)

W_VALUES = (0.0, 0.5, 1.0, 3.0, 7.0)
N, STEPS, SEED = 3000, 100, 0
MC = 2.0 / np.sqrt(N)  # two Monte-Carlo sd of a share near ½ at N = 3,000: 0.018


def _rows(preset: str, label: int, seed: int = SEED) -> list[dict]:
    from core.classifier import cfg_samples, tradeoff
    from core.datasets import load_preset

    mixture = load_preset(preset)
    return [tradeoff(mixture, label, cfg_samples(mixture, label, w, N, STEPS, seed)) for w in W_VALUES]


COLLAPSE_SEEDS = tuple(range(8))  # the verdict must be the same on each seed alone (core.claims.seed_verdicts)


def _collapse() -> dict[str, float]:
    """_collapse_one over COLLAPSE_SEEDS: each value per seed and its mean (core.claims.over_seeds)."""
    return over_seeds(_collapse_one, COLLAPSE_SEEDS)


def _collapse_one(seed: int) -> dict[str, float]:
    rows = _rows("guidance_collapse", 0, seed)
    out = {}
    for w, r in zip(W_VALUES, rows):
        out[f"isolated_share_w{w:g}"] = float(r["mode_share"][0])
        out[f"in_class_w{w:g}"] = r["in_class"]
    return out


def _collapse_verdict(v: dict[str, float]) -> str:
    share = np.array([v[f"isolated_share_w{w:g}"] for w in W_VALUES])
    rises = bool(np.all(np.diff(share) >= -MC))
    if rises and share[-1] >= 0.95 and abs(share[0] - 0.5) <= 0.1:
        return HOLDS
    return DEPENDS if rises else FAILS


def _collapse_summary(v: dict[str, float]) -> str:
    shares = " / ".join(seed_spread(v, f"isolated_share_w{w:g}", COLLAPSE_SEEDS, ".2f") for w in W_VALUES)
    return (
        f"Share of class A's samples at its isolated mode (exact 0.5), mean over the seeds (their range): {shares} "
        f"for w = {' / '.join(f'{w:g}' for w in W_VALUES)}; share in class A {v['in_class_w0']:.2f} → "
        f"{v['in_class_w7']:.2f}: guidance empties the mode A shares with class B. "
        + seed_verdicts(_collapse_verdict, v, COLLAPSE_SEEDS)
    )


OVERSHOOT_SEEDS = tuple(range(8))
PAPER_W = 3.0  # the largest of our w inside the range of the paper's Table 1 (w ≤ 4)


def _overshoot_one(seed: int) -> dict[str, float]:
    """Per w, for one seed: the share in class and the rms spread around the nearest mode."""
    rows = _rows("ring8_soft", 0, seed)
    out = {}
    for w, r in zip(W_VALUES, rows):
        out[f"in_class_w{w:g}"], out[f"spread_w{w:g}"] = float(r["in_class"]), float(r["spread"])
    return out


def _overshoot() -> dict[str, float]:
    """_overshoot_one over OVERSHOOT_SEEDS: each value per seed and its mean (core.claims.over_seeds)."""
    return over_seeds(_overshoot_one, OVERSHOOT_SEEDS)


def _changed(v: dict[str, float], name: str, w: float) -> float:
    """The change of `name` from w = 0 to w, in standard errors of the paired difference (the same start noise);
    on a seed alone (core.claims.one_seed), which has no standard error, the change itself."""
    change = v[f"{name}_w{w:g}"] - v[f"{name}_w0"]
    at_w, at_0 = per_seed(v, f"{name}_w{w:g}", OVERSHOOT_SEEDS), per_seed(v, f"{name}_w0", OVERSHOOT_SEEDS)
    return change if at_w is None else change / standard_error([a - b for a, b in zip(at_w, at_0)])


def _overshoot_verdict(v: dict[str, float]) -> str:
    """Ho & Salimans 2022: over the range of their Table 1 (w ≤ 4), fidelity rises and diversity falls with w.
    Holds if from w = 0 to w = 3 the share in class rises and the spread shrinks, each by more than 3 standard
    errors; depends if only fidelity rises; fails otherwise. The overshoot at w = 7 is this app's observation and
    not part of the verdict. A seed alone (core.claims.one_seed) has no standard error: there each change is
    judged by its sign."""
    n_se = 3 if per_seed(v, "in_class_w0", OVERSHOOT_SEEDS) is not None else 0
    fidelity_up = _changed(v, "in_class", PAPER_W) > n_se
    diversity_down = _changed(v, "spread", PAPER_W) < -n_se
    if fidelity_up and diversity_down:
        return HOLDS
    return DEPENDS if fidelity_up else FAILS


def _overshoot_summary(v: dict[str, float]) -> str:
    fid = " / ".join(seed_spread(v, f"in_class_w{w:g}", OVERSHOOT_SEEDS, ".3f") for w in W_VALUES)
    spr = " / ".join(seed_spread(v, f"spread_w{w:g}", OVERSHOOT_SEEDS, ".3f") for w in W_VALUES)
    top = W_VALUES[-1]
    return (
        f"Ring of 8 (std 0.5), class = even modes, w = {' / '.join(f'{w:g}' for w in W_VALUES)}, mean (lowest to "
        f"highest seed) of seeds {OVERSHOOT_SEEDS[0]}-{OVERSHOOT_SEEDS[-1]}: share in class {fid} "
        f"(w = 0 → {PAPER_W:g}: "
        f"{_changed(v, 'in_class', PAPER_W):+.0f} standard errors); rms spread around the nearest mode {spr} "
        f"(w = 0 → {PAPER_W:g}: {_changed(v, 'spread', PAPER_W):+.0f} standard errors). Beyond the paper's range "
        f"(the app's own observation) the spread grows again at w = {top:g}, "
        f"{(v[f'spread_w{top:g}'] - v[f'spread_w{PAPER_W:g}']):+.3f}, as samples are pushed past the modes. "
        + seed_verdicts(_overshoot_verdict, v, OVERSHOOT_SEEDS)
    )


METHOD = f"DDIM η = 0 on exact models, DDPM linear β, {STEPS} leading steps, {N:,} samples"

CLAIMS = [
    Claim(
        key="cfg_mode_collapse",
        paper="Ho & Salimans 2022 (CFG), Sec. 3.1 and Fig. 2; Sec. 3.2",
        claim="As the guidance strength grows, each class's conditional places its mass farther away from the other "
        "classes (Fig. 2, shown for classifier guidance on a mixture of three Gaussians; with exact models "
        "classifier-free guidance is the same, Sec. 3.2), trading diversity for fidelity.",
        method=f"guidance_collapse, class A (modes at (−2, 0) and (1, 0)); {METHOD}, "
        f"seeds {COLLAPSE_SEEDS[0]}-{COLLAPSE_SEEDS[-1]} (verdict on the means, and on each seed alone); mode "
        "share by the most likely component.",
        measure=_collapse,
        verdict=_collapse_verdict,
        summary=_collapse_summary,
        expected=HOLDS,
        tab="cfg",
        scene="tab=cfg&preset=guidance_collapse&label=0&w=3",
    ),
    Claim(
        key="cfg_fidelity_overshoot",
        paper="Ho & Salimans 2022 (CFG), Sec. 4.1, Table 1",
        claim="Raising the guidance strength w trades diversity for fidelity: Inception score rises with w while "
        "sample diversity falls (Table 1 goes up to w = 4). The overshoot past the modes at larger w is this "
        "app's own observation, not the paper's.",
        method=f"ring8_soft, class 0 (even modes); DDIM η = 0 on exact models, DDPM linear β, {STEPS} leading "
        f"steps, {N:,} samples, seeds {OVERSHOOT_SEEDS[0]}-{OVERSHOOT_SEEDS[-1]}; fidelity = share whose most "
        "likely component is in the class; diversity = rms distance to the nearest mode; the verdict compares "
        f"w = 0 with w = {PAPER_W:g} (inside the paper's range), each change beyond 3 standard errors; verdict on the "
        "means, and on each seed alone (the sign of each change).",
        measure=_overshoot,
        verdict=_overshoot_verdict,
        summary=_overshoot_summary,
        expected=HOLDS,
        tab="cfg",
        scene="tab=cfg&preset=ring8_soft&label=0&w=7",
    ),
]
