"""The probability-flow ODE: the exact likelihood (Song et al. 2021b), one ODE under every schedule (Kingma et al.
2021; Karras et al. 2022) and flow matching's straight paths (Lipman et al. 2023; Liu et al. 2023).

Each claim's numbers rest on random draws (the points whose likelihood is computed, the noise the paths start from):
each is measured on SEEDS (core.claims.over_seeds) and judged on the means and on each seed alone
(core.claims.seed_verdicts, tests/core/test_claim_seeds_elbo_pfode.py); a rule that reads a worst value or a
standard error pools the seeds with core/claims/_pooled.py."""

from __future__ import annotations

import numpy as np

from core.claims import DEPENDS, FAILS, HOLDS, Claim, one_seed, over_seeds, per_seed, seed_spread, seed_verdicts
from core.claims._pooled import lowest_to_highest, se_of_mean, worst
from core.datasets import load_preset
from core.likelihood import gaussian_log_prob, process_log_likelihood
from core.ode_paths import (
    common_range,
    exact_endpoint,
    exact_path,
    flow_nodes,
    grid_at,
    karras_nodes,
    placement_grid,
    relative_time,
    run_ddim,
    run_flow_euler,
    same_nodes,
    start_state,
    straightness,
)
from core.processes import make_process

LIKELIHOOD_PRESETS = ("ring8", "grid25", "moons")
EXACT_TOLERANCE = 1e-4  # nats: "exact" at the default solver tolerance
IDENTITY_TOLERANCE = 1e-10  # relative to max(1, |x̃|)
SEEDS = tuple(range(8))
SEED_LIST = f"seeds {SEEDS[0]}-{SEEDS[-1]}"


# ---------------------------------------------------------------------------- the exact likelihood
def _likelihood_points(mixture, seed=0):
    rng = np.random.default_rng(seed)
    return np.concatenate([mixture.sample(12, rng), rng.uniform(-3, 3, (8, 2))])


def _likelihood_run(seed: int) -> dict[str, float]:
    """One seed: the seed's points on each preset, their log-likelihood through the VP PF-ODE against the exact
    one."""
    out = {}
    vp = make_process("vp")
    for preset in LIKELIHOOD_PRESETS:
        mixture = load_preset(preset)
        x = _likelihood_points(mixture, seed)
        exact = mixture.log_prob(x)
        for rtol, tag in ((1e-8, ""), (1e-4, "_rtol1e-4")):
            res = process_log_likelihood(mixture, x, vp, "exact", rtol=rtol, n_record=2)
            gap = np.abs(res.log_prob - exact)
            out[f"{preset}_max_gap{tag}"] = float(gap.max())
            if not tag:
                gauss = gaussian_log_prob(res.x_end, float(res.sigma[-1])) + res.integral
                out[f"{preset}_mean_gap"] = float(gap.mean())
                out[f"{preset}_gaussian_mean_gap"] = float(np.abs(gauss - exact).mean())
                out[f"{preset}_nfe"] = float(res.nfe)
    return out


def measure_likelihood() -> dict[str, float]:
    return over_seeds(_likelihood_run, SEEDS)


def verdict_likelihood(v: dict[str, float]) -> str:
    """Holds if every point of every seed is within EXACT_TOLERANCE; depends if within 1e-2; fails otherwise."""
    largest = max(worst(v, f"{p}_max_gap", SEEDS) for p in LIKELIHOOD_PRESETS)
    if largest < EXACT_TOLERANCE:
        return HOLDS
    return DEPENDS if largest < 1e-2 else FAILS


def summary_likelihood(v: dict[str, float]) -> str:
    parts = [
        f"{p}: max |gap| {worst(v, f'{p}_max_gap', SEEDS):.1e} nats (per seed "
        f"{lowest_to_highest(v, f'{p}_max_gap', SEEDS, '.1e')}; "
        f"NFE {seed_spread(v, f'{p}_nfe', SEEDS, '.0f')}; {worst(v, f'{p}_max_gap_rtol1e-4', SEEDS):.1e} at "
        f"rtol 1e-4; N(0, σ_T² I) prior: mean {v[f'{p}_gaussian_mean_gap']:.1e})"
        for p in LIKELIHOOD_PRESETS
    ]
    return (
        f"VP PF-ODE, RK45 at rtol = atol = 1e-8, exact trace, exact prior p_T, 20 points per preset and seed, "
        f"{SEED_LIST} (largest over the seeds; mean and range): " + "; ".join(parts) + ". The gap left is the "
        "solver's and the prior's; Score SDE's Hutchinson estimator would add its own variance. "
        + seed_verdicts(verdict_likelihood, v, SEEDS)
    )


# ---------------------------------------------------------------------------- one ODE, every schedule
CONTINUOUS = ("vp", "subvp", "edm", "flow")


def _schedules_run(seed: int) -> dict[str, float]:
    """One seed: 500 particles from the seed's noise through DDIM on the same σ̃ nodes under every process, and DDIM
    on VP with three placements of the nodes against the exact ODE solution."""
    mixture = load_preset("ring8")
    z = np.random.default_rng(seed).standard_normal((500, 2))
    procs = {k: make_process(k, mixture) for k in CONTINUOUS}
    res = same_nodes(mixture, procs, karras_nodes(10, *common_range(procs.values())), z)
    out = {f"{k}_deviation": float(d) for k, d in zip(res.keys, res.deviation)}
    discrete = {k: make_process(k) for k in ("vp", "ddpm", "cosine")}
    res_d = same_nodes(mixture, discrete, karras_nodes(10, *common_range(discrete.values())), z)
    for k, dev, fin in zip(res_d.keys[1:], res_d.deviation[1:], res_d.final_difference[1:]):
        out[f"{k}_deviation"] = float(dev)
        out[f"{k}_samples_max_difference"] = float(fin)
    # what does change the result: where the nodes sit in λ (DDIM on VP, 10 steps, same start σ̃ = 80)
    vp = procs["vp"]
    lo, hi = 0.002, 80.0
    x_start = float(vp.alpha(vp.t_from_sigma_tilde(hi))) * hi * z
    reference = exact_endpoint(mixture, vp, float(vp.t_from_sigma_tilde(hi)), x_start)
    placements = {
        "karras": karras_nodes(10, lo, hi),
        "logsnr": np.geomspace(hi, lo, 10),
        "uniform_t": vp.sigma_tilde(np.linspace(float(vp.t_from_sigma_tilde(hi)), 0.0, 11)[:-1]),
    }
    for name, nodes in placements.items():
        g = grid_at(vp, nodes)
        x = run_ddim(mixture, g, g.alpha[0] * g.sigma_tilde[0] * z)[-1]
        out[f"error_{name}"] = float(np.linalg.norm(x - reference, axis=1).mean())
    return out


def measure_schedules() -> dict[str, float]:
    return over_seeds(_schedules_run, SEEDS)


def verdict_schedules(v: dict[str, float]) -> str:
    """Holds if every continuous process's DDIM path equals VP's to IDENTITY_TOLERANCE on every seed."""
    same = max(worst(v, f"{k}_deviation", SEEDS) for k in CONTINUOUS) < IDENTITY_TOLERANCE
    return HOLDS if same else FAILS


def summary_schedules(v: dict[str, float]) -> str:
    def most(key, fmt):
        return format(worst(v, key, SEEDS), fmt)

    devs = ", ".join(f"{k} {most(f'{k}_deviation', '.0e')}" for k in CONTINUOUS[1:])
    errs = [seed_spread(v, f"error_{name}", SEEDS, ".3f") for name in ("karras", "logsnr", "uniform_t")]
    return (
        f"ring8, DDIM η = 0 on 10 Karras σ̃ nodes, 500 particles per seed, {SEED_LIST} (the largest over the "
        f"seeds): paths in x/α equal VP's to (relative) {devs}. DDPM and cosine, rounded to integer timesteps: "
        f"{most('ddpm_deviation', '.1e')} and {most('cosine_deviation', '.1e')} (samples up to "
        f"{most('ddpm_samples_max_difference', '.1e')}, {most('cosine_samples_max_difference', '.1e')}). Where the "
        f"nodes sit in λ does change the result: mean distance to the exact ODE solution (mean, lowest to highest "
        f"seed) {errs[0]} (Karras), {errs[1]} (uniform λ), {errs[2]} (uniform t of VP). "
        + seed_verdicts(verdict_schedules, v, SEEDS)
    )


# ---------------------------------------------------------------------------- flow matching's paths
STRAIGHT_PRESETS = ("ring8", "grid25", "moons")
N_STRAIGHT = 1000  # paths per preset and seed; the paired per-path SE decides each comparison
# length / chord of a straight polyline of 2,000 records is 1 to ~2,000 roundings of the segment lengths (4e-13)
STRAIGHT_ROUNDING = 1e-9
STRAIGHT_SE = 3.0  # a measure calls one process straighter if the paired mean difference exceeds 3 SE


def liu_straightness(process, t: np.ndarray, path: np.ndarray) -> np.ndarray:
    """Liu et al. 2023 (rectified flow), Sec. 2, S(Z) = ∫₀¹ ‖(Z₁ − Z₀) − Ż_u‖² du per path, with u the
    process's own time rescaled to [0, 1]: a Riemann sum over the recorded states (J, N, 2) at times t (the
    velocity averaged over each interval; 100 and 400 records agree to 0.3 %)."""
    u = relative_time(process, t)
    du = np.abs(np.diff(u))
    chord = path[-1] - path[0]
    velocity = np.diff(path, axis=0) / du[:, None, None]
    return (du[:, None] * ((chord[None] - velocity) ** 2).sum(-1)).sum(0)


def _conditional_paths(process, x0: np.ndarray, z: np.ndarray, n: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """The conditional paths x_t = α(t) x₀ + σ(t) ε from noise to data (Lipman et al. 2023, Sec. 4.1, in our
    convention: data at t = 0, and σ_min = 0)."""
    t = np.linspace(process.t_max, process.t_min, n)
    a, sg = np.asarray(process.alpha(t), float), np.asarray(process.sigma(t), float)
    return t, a[:, None, None] * x0[None] + sg[:, None, None] * z[None]


def _paired(out: dict, name: str, flow: np.ndarray, vp: np.ndarray) -> None:
    d = flow - vp
    out[f"{name}_flow"], out[f"{name}_vp"] = float(flow.mean()), float(vp.mean())
    out[f"{name}_diff_se"] = float(d.std(ddof=1) / np.sqrt(len(d)))


def _flow_run(seed: int) -> dict[str, float]:
    """One seed, its draws in turn from one generator: the marginal paths' noise, the conditional paths' data
    points, the few-step comparison's noise."""
    out = {}
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((N_STRAIGHT, 2))
    procs = {key: make_process(key) for key in ("flow", "vp")}
    for preset in STRAIGHT_PRESETS:
        mixture = load_preset(preset)
        geometry = {}
        for key, p in procs.items():
            t, path = exact_path(mixture, p, p.t_max, p.sigma(p.t_max) * z, n_record=100)
            g = straightness(path)
            geometry[key] = (liu_straightness(p, t, path), g.ratio, g.turning)
        for i, name in enumerate(("S", "ratio", "turning")):
            _paired(out, f"{preset}_{name}", geometry["flow"][i], geometry["vp"][i])
    # the conditional paths, the object of Lipman et al.'s claim: data points of ring8 paired with the same z
    x0 = load_preset("ring8").sample(N_STRAIGHT, rng)
    for key, p in procs.items():
        t, path = _conditional_paths(p, x0, z)
        out[f"conditional_S_{key}"] = float(liu_straightness(p, t, path).mean())
        out[f"conditional_ratio_{key}"] = float(np.mean(straightness(path).ratio))
    # few steps: Euler in each process's own time, 10 steps uniform in t, against the exact ODE from the same start
    mixture = load_preset("ring8")
    z = rng.standard_normal((500, 2))
    for key in ("flow", "vp"):
        p = make_process(key)
        g = placement_grid(p, "uniform", 10)
        x = start_state(g, z)
        ref = exact_endpoint(mixture, p, float(g.t[0]), x)
        out[f"{key}_euler10_error"] = float(np.linalg.norm(run_flow_euler(mixture, g, x)[-1] - ref, axis=1).mean())
        if key == "flow":
            euler, ddim = run_flow_euler(mixture, g, x)[-1], run_ddim(mixture, g, x)[-1]
            out["flow_euler_minus_ddim"] = float(np.abs(euler - ddim).max())
    # the flow's uniform-t nodes from σ̃ = 80 (where VP can start too), carried by the flow and by VP
    nodes = flow_nodes(10)
    vp = make_process("vp")
    gf, gv = grid_at(make_process("flow"), nodes), grid_at(vp, nodes)
    xt = nodes[0] * z
    euler = run_flow_euler(mixture, gf, gf.alpha[0] * xt)[-1]
    ddim_vp = run_ddim(mixture, gv, gv.alpha[0] * xt)[-1]
    out["vp_ddim_on_flow_nodes_minus_flow_euler"] = float(np.abs(ddim_vp - euler).max())
    ref = exact_endpoint(mixture, vp, float(gv.t[0]), gv.alpha[0] * xt)
    out["vp_ddim_on_flow_nodes_error"] = float(np.linalg.norm(ddim_vp - ref, axis=1).mean())
    return out


def measure_flow() -> dict[str, float]:
    return over_seeds(_flow_run, SEEDS)


def _straighter(v: dict[str, float], preset: str, name: str) -> int:
    """-1 if the flow's marginal paths are straighter by this measure (paired, beyond 3 SE: on the means over the
    seeds the standard error of the mean, core.claims._pooled.se_of_mean), +1 if VP's, 0 if tied."""
    d = v[f"{preset}_{name}_flow"] - v[f"{preset}_{name}_vp"]
    return int(np.sign(d)) if abs(d) > STRAIGHT_SE * se_of_mean(v, f"{preset}_{name}_diff_se", SEEDS) else 0


def verdict_flow(v: dict[str, float]) -> str:
    """On the marginal paths, by Liu et al.'s S and by length / chord: holds if the flow's are straighter by both
    measures on every preset, fails if VP's are straighter by both on every preset, depends otherwise (on the
    measure or the data); fails at once if the flow's conditional paths are not straight lines (length / chord
    1 to rounding), which they are by construction (Lipman et al. 2023, Sec. 4.1)."""
    ratios = per_seed(v, "conditional_ratio_flow", SEEDS) or [v["conditional_ratio_flow"]]
    if any(abs(r - 1) > STRAIGHT_ROUNDING for r in ratios):
        return FAILS
    signs = [(_straighter(v, p, "S"), _straighter(v, p, "ratio")) for p in STRAIGHT_PRESETS]
    if all(s == (-1, -1) for s in signs):
        return HOLDS
    return FAILS if all(s == (1, 1) for s in signs) else DEPENDS


def summary_flow(v: dict[str, float]) -> str:
    words = {-1: "flow straighter", 1: "VP straighter", 0: "tied"}

    def side(p, name):  # on the means, and the seeds alone where they do not all agree with it
        on_means = _straighter(v, p, name)
        each = [_straighter(one_seed(v, s), p, name) for s in SEEDS]
        if set(each) == {on_means}:
            return words[on_means]
        alone = ", ".join(f"{words[k]} on {each.count(k)}" for k in dict.fromkeys(each))
        return f"{words[on_means]} on the means; seeds alone: {alone}"

    def se(p, name):
        return se_of_mean(v, f"{p}_{name}_diff_se", SEEDS)

    def gap(p, name):  # the paired difference flow − VP, lowest to highest seed
        diffs = [v[f"{p}_{name}_flow_seed{s}"] - v[f"{p}_{name}_vp_seed{s}"] for s in SEEDS]
        return f"{min(diffs):+.2f} to {max(diffs):+.2f}"

    def most(key):
        return worst(v, key, SEEDS)

    parts = "; ".join(
        f"{p}: S {v[f'{p}_S_flow']:.2f} vs {v[f'{p}_S_vp']:.2f} (± {se(p, 'S'):.2f}, {side(p, 'S')}; per seed "
        f"{gap(p, 'S')}), length / chord {v[f'{p}_ratio_flow']:.2f} vs {v[f'{p}_ratio_vp']:.2f} (± "
        f"{se(p, 'ratio'):.2f}, {side(p, 'ratio')}; per seed {gap(p, 'ratio')})"
        for p in STRAIGHT_PRESETS
    )
    return (
        f"Mean over {SEED_LIST}. Conditional paths (ring8 data, same noise): flow S = {most('conditional_S_flow'):.0e} "
        f"at most, length / chord {v['conditional_ratio_flow']:.3f} (straight lines); VP S = "
        f"{v['conditional_S_vp']:.2f}, {v['conditional_ratio_vp']:.3f}. Marginal paths, flow vs VP from the same "
        f"{N_STRAIGHT:,} noise draws per seed (± the standard error of the mean paired difference; per seed its "
        f"lowest to highest value): {parts}. The two measures disagree: S weighs the speed along the path in each "
        f"process's own time, length / chord only its shape. Few steps: the flow's 10-step Euler on its uniform t "
        f"wins on ring8 ({seed_spread(v, 'flow_euler10_error', SEEDS, '.3f')} vs VP's "
        f"{seed_spread(v, 'vp_euler10_error', SEEDS, '.3f')} from the exact ODE solution), but flow Euler is DDIM "
        f"({most('flow_euler_minus_ddim'):.0e}), and DDIM on VP with the flow's uniform-t nodes (from σ̃ = 80) is "
        f"flow Euler on them ({most('vp_ddim_on_flow_nodes_minus_flow_euler'):.0e}; error "
        f"{v['vp_ddim_on_flow_nodes_error']:.3f}): the few-step advantage is the time grid. "
        + seed_verdicts(verdict_flow, v, SEEDS)
    )


CLAIMS = [
    Claim(
        key="pf_ode_exact_likelihood",
        paper="Song et al. 2021b (Score SDE), Sec. 4.3 and App. D.2",
        claim="The exact likelihood: the probability-flow ODE with the instantaneous change of variables gives "
        "log p₀(x) = log p_T(x(T)) + ∫₀ᵀ ∇·f̃ dt exactly.",
        method=f"ring8, grid25, moons; 12 samples and 8 points of [-3, 3]² each per seed, {SEED_LIST}; VP SDE in "
        "its own time; RK45 at rtol = atol = 1e-8 (and 1e-4); exact trace of ∇²log p_t; exact prior p_T (and "
        "N(0, σ_T² I)); against the closed-form log p₀. Holds if every |gap| < 1e-4 nats, every point of every "
        "seed (each seed alone judged too).",
        measure=measure_likelihood,
        verdict=verdict_likelihood,
        summary=summary_likelihood,
        expected=HOLDS,
        tab="pfode",
        scene="tab=pfode&view=likelihood&preset=ring8&process=vp&prior=exact&rtol=1e-8",
    ),
    Claim(
        key="one_ode_every_schedule",
        paper="Kingma et al. 2021 (VDM), Sec. 5; Karras et al. 2022 (EDM), Sec. 2-3; Song et al. 2021a (DDIM), "
        "Sec. 4.3",
        claim="The noise schedule only changes how time is spent along one ODE: VDM shows the continuous-time "
        "loss depends on the schedule only through its end points, EDM writes the ODE for any σ(t) and scale "
        "s(t), and DDIM is Euler's method for it in x/α with σ̃ = σ/α as time. Consequence tested here: DDIM "
        "on the same σ̃ nodes yields the same samples under every process (a sampler stepping in each "
        "process's own time would not).",
        method=f"ring8, 500 particles per seed, {SEED_LIST}, DDIM η = 0 (Euler in σ̃) on 10 Karras σ̃ nodes in "
        "[0.002, 80] for VP, sub-VP, EDM and flow from the same scaled noise; DDPM and IDDPM cosine on the nearest "
        "integer timesteps (σ̃ ∈ [0.01, 80]); relative deviation max|x̃ - x̃_VP| / max(1, |x̃|) over the nodes. "
        "Holds if < 1e-10 on every seed (each seed alone judged too).",
        measure=measure_schedules,
        verdict=verdict_schedules,
        summary=summary_schedules,
        expected=HOLDS,
        tab="pfode",
        scene="tab=pfode&view=schedules&preset=ring8&process=vp&process_b=edm&grid=karras&steps=10",
    ),
    Claim(
        key="flow_straighter_paths",
        paper="Lipman et al. 2023 (flow matching), Sec. 4.1; Liu et al. 2023 (rectified flow), Sec. 2-3",
        claim="Lipman et al.: the optimal-transport conditional paths x_t = (1 − t)x₀ + tε are straight lines at "
        "constant speed, unlike diffusion's conditional paths; the marginal field they induce is not optimal "
        "transport but is expected to stay simple. Liu et al.: the rectified flow follows straight paths only "
        "'as much as possible', and reflow makes them straighter, measured by S = ∫₀¹ E‖(Z₁ − Z₀) − Ż_t‖² dt. "
        "Neither claims that plain flow matching's marginal paths are straighter than VP's: that comparison "
        "is ours.",
        method=f"Conditional paths: {N_STRAIGHT:,} ring8 points paired with noise draws. Marginal paths: ring8, "
        f"grid25, moons; the exact PF-ODE of flow (α = 1 - t, σ = t) and VP from the same {N_STRAIGHT:,} noise "
        f"draws x_T = σ_T z per seed, {SEED_LIST}, in each process's own coordinates, recorded at 100 times "
        "spread in λ; Liu et al.'s S in each process's own time rescaled to [0, 1], and length / chord (1 = "
        "straight); a process is straighter by a measure if the paired mean difference exceeds 3 standard errors "
        "(on the means over the seeds, of that mean; judged on each seed alone too). Few steps: Euler in own t, "
        "10 steps uniform in t, 500 particles, mean distance to the exact ODE solution from the same start.",
        measure=measure_flow,
        verdict=verdict_flow,
        summary=summary_flow,
        expected=DEPENDS,
        tab="pfode",
        scene="tab=pfode&view=flow&preset=ring8&grid=uniform&steps=10",
    ),
]
