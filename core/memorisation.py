"""Memorisation: a finite training set is itself a mixture, and its exact score reproduces it.

N points drawn from the data p are the mixture (1/N) Σ_k N(μ_k, w² I) of N tiny components (width w → 0: the
empirical distribution). Its exact denoiser is the optimal denoiser of that training set, the minimiser of the
denoising loss on it, and sampling with it returns the training points. We measure the share of samples within
`RADIUS` of a training point (beside the chance share of fresh draws from p) and MMD² to p in noise-floor units,
which at large N barely sees the copying.

Beside it, the small MLP of the "Learned vs exact" tab (core/learned.py) trained on the same N points
(`TrainingSet`: x₀ drawn from the N points, DDPM's Algorithm 1 otherwise unchanged), sampled from the same noise:
`mlp_study` measures, over N and seeds, how much it copies (the share of its samples on a training point, and the
median distance of its samples to the nearest training point in units of the same for fresh draws from p) and, as
Kadkhodaie et al. 2024 (Sec. 2) test generalisation, how close the samples of two models trained on *disjoint*
training sets (two seeds) come from the same noise; and, at the smallest N, how the copying grows with the number of
training steps (`STEP_SIZES`, up to the most the Learned tab's training cap allows); and, at the smallest and the
largest N only (`EXTRA_N`), the same MLP on more seeds (`EXTRA_SEEDS`), so that the claim which judges those two
sizes (core/claims/memorisation.py) decides on the seeds' means by several standard errors. `python -m
core.memorisation --write` trains every model (each ≤ 20 s of one core: ~12 s CPU for 4,000 steps of 3×128,
measured) and writes the results, the training times, and a few samples per model for the tab to
assets/elbo/memorisation.json.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

from core.dataspec import data_bandwidth, load_data
from core.grids import timestep_grid
from core.metrics import data_noise_floor, mmd2
from core.mixture import GaussianMixture
from core.processes import DiscreteVP
from core.samplers.registry import run_sampler

WIDTH = 1e-3  # the training set's components' standard deviation
RADIUS = 0.01  # "on a training point": within this distance of one
SAMPLER_STEPS = 100  # DDIM (η = 0) on DDPM's chain, leading spacing
PARTICLES = 500


class TrainingSetDenoiser:
    """The exact denoiser of the training-set mixture (1/N) Σ_k N(μ_k, w² I), written for isotropic equal widths:
    E[x₀ | α x₀ + σ ε = x] = Σ_k r_k [μ_k + α w² (x − α μ_k)/(α² w² + σ²)], r = softmax(−‖x − α μ_k‖² / 2(α²w² + σ²)).
    The same as `GaussianMixture.posterior_mean_x0` of that mixture (a test checks), with one distance matrix per
    call instead of N 2×2 covariances."""

    def __init__(self, points: np.ndarray, width: float = WIDTH):
        self.points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        self.width = float(width)

    def mixture(self) -> GaussianMixture:
        n = len(self.points)
        covs = np.broadcast_to(self.width**2 * np.eye(2), (n, 2, 2)).copy()
        return GaussianMixture(np.full(n, 1.0 / n), self.points, covs)

    def denoise(self, x, alpha, sigma):
        x = np.asarray(x, dtype=np.float64)
        var = alpha**2 * self.width**2 + sigma**2
        scaled = alpha * self.points
        d2 = (x**2).sum(1)[:, None] - 2 * x @ scaled.T + (scaled**2).sum(1)[None, :]
        logits = -0.5 * d2 / var
        r = np.exp(logits - logits.max(1, keepdims=True))
        mean_mu = (r @ self.points) / r.sum(1, keepdims=True)
        return mean_mu + (alpha * self.width**2 / var) * (x - alpha * mean_mu)


def training_set(spec: str, n: int, seed: int) -> np.ndarray:
    """n training points drawn from the data spec (its own seed stream)."""
    return load_data(spec).sample(int(n), np.random.default_rng(10_000 + seed))


def near_share(samples: np.ndarray, points: np.ndarray, radius: float = RADIUS) -> float:
    """The share of samples within `radius` of some training point."""
    distance, _ = cKDTree(points).query(samples)
    return float((distance < radius).mean())


@dataclass(frozen=True)
class Memorisation:
    points: np.ndarray  # (N, 2) the training set
    samples: np.ndarray  # (n, 2) DDIM samples of the training set's exact model
    population: np.ndarray  # (n, 2) fresh draws from p: the chance level
    near: float  # share of samples within RADIUS of a training point
    chance: float  # the same share for the fresh draws
    mmd2_units: float  # MMD² of the samples to p, in noise-floor units
    mmd2_units_population: float  # ... of the fresh draws (≈ 0 ± 1)


def memorisation(spec: str, n_train: int, seed: int, particles: int = PARTICLES) -> Memorisation:
    """Sample the training set's exact model (DDIM, SAMPLER_STEPS steps, η = 0) and measure the copying."""
    points = training_set(spec, n_train, seed)
    grid = timestep_grid(DiscreteVP(), SAMPLER_STEPS, "leading")
    result = run_sampler("ddim", TrainingSetDenoiser(points), grid, particles, seed, {"eta": 0.0}, n_paths=0)
    population = load_data(spec).sample(particles, np.random.default_rng(20_000 + seed))
    floor = data_noise_floor(spec, "mmd2", particles)
    h = data_bandwidth(spec)
    mixture = load_data(spec)
    return Memorisation(
        points,
        result.samples,
        population,
        near_share(result.samples, points),
        near_share(population, points),
        floor.in_units(mmd2(result.samples, mixture, h)),
        floor.in_units(mmd2(population, mixture, h)),
    )


# ---------------------------------------------------------------------------- the learned MLP on N points
MLP_WIDTH, MLP_DEPTH, MLP_STEPS = 128, 3, 4000  # 3×128 at the most steps its training cap allows (core/learned.py)
MLP_SIZES = (16, 64, 256, 1024)
MLP_SEEDS = (0, 1, 2, 3, 4)  # each seed: its own training set and network initialisation
STEP_SIZES = (1000, 2000, MLP_STEPS)  # the transition over training steps ...
STEP_N = (16,)  # ... at this N (MLP_STEPS: the N study's own models)
EXTRA_N = (MLP_SIZES[0], MLP_SIZES[-1])  # the sizes the transition claim judges, trained on more seeds ...
EXTRA_SEEDS = tuple(range(5, 16))  # ... these, beside MLP_SEEDS: 16 in all, 8 in each half (values only, no samples)
NOISE_SEED = 0  # every model is sampled from the same initial noise, so models can be compared sample by sample
KEPT = 200  # samples per model shipped for the tab's figure
SHIPPED = Path(__file__).resolve().parents[1] / "assets" / "elbo" / "memorisation.json"


def mlp_settings(spec: str, seed: int, steps: int = MLP_STEPS):
    """The Learned tab's settings of the MLP trained on a training set (ε prediction, uniform t)."""
    from core.learned import Settings

    return Settings(spec, "eps", "uniform", MLP_WIDTH, MLP_DEPTH, int(steps), seed)


def train_mlp(spec: str, n_train: int, seed: int, progress=None, steps: int = MLP_STEPS):
    """The MLP trained on `training_set(spec, n_train, seed)` (core.learned.train with its points; no time cap:
    the settings' work cap already bounds it, and a CPU-time stop would make the result depend on the machine)."""
    from core.learned import train

    points = training_set(spec, n_train, seed)
    model, _ = train(mlp_settings(spec, seed, steps), progress, max_seconds=math.inf, points=points)
    return model


def ddim_samples(model, particles: int = PARTICLES, noise_seed: int = NOISE_SEED) -> np.ndarray:
    """DDIM (η = 0, SAMPLER_STEPS leading steps of DDPM's chain): deterministic given the initial noise."""
    grid = timestep_grid(DiscreteVP(), SAMPLER_STEPS, "leading")
    return run_sampler("ddim", model, grid, particles, noise_seed, {"eta": 0.0}, n_paths=0).samples


def nearest_ratio(samples: np.ndarray, points: np.ndarray, population: np.ndarray) -> float:
    """Median distance of the samples to their nearest training point, in units of the same median for fresh draws
    from p: ≈ 1 for a model that does not copy, → 0 for one that returns training points."""
    tree = cKDTree(points)
    return float(np.median(tree.query(samples)[0]) / np.median(tree.query(population)[0]))


def spacing(points: np.ndarray, population: np.ndarray) -> float:
    """Median distance of fresh draws from p to their nearest training point: the training set's spacing, the scale
    against which two models' samples are "the same point" or not."""
    return float(np.median(cKDTree(points).query(population)[0]))


def population_draws(spec: str, seed: int, particles: int = PARTICLES) -> np.ndarray:
    """Fresh draws from p (their own seed stream): the chance level of every measure."""
    return load_data(spec).sample(particles, np.random.default_rng(20_000 + seed))


def mlp_case(spec: str, n_train: int, seed: int, particles: int = PARTICLES, progress=None) -> dict:
    """One (N, seed): the exact training-set model and the MLP trained on the same points, sampled from the same
    noise; their copying, MMD² to p (noise-floor units), the chance level, both sample sets, and the MLP's training
    time (`seconds`: wall-clock and CPU, measured, so not part of the values a rerun reproduces)."""
    points = training_set(spec, n_train, seed)
    population = population_draws(spec, seed, particles)
    floor = data_noise_floor(spec, "mmd2", particles)
    mixture, h = load_data(spec), data_bandwidth(spec)
    out = {"chance": near_share(population, points), "spacing": spacing(points, population)}
    mlp = train_mlp(spec, n_train, seed, progress)
    samples = {}
    for name, model in (("exact", TrainingSetDenoiser(points)), ("mlp", mlp)):
        x = ddim_samples(model, particles)
        samples[name] = x
        out[f"near_{name}"] = near_share(x, points)
        out[f"ratio_{name}"] = nearest_ratio(x, points, population)
        out[f"mmd_{name}"] = floor.in_units(mmd2(x, mixture, h))
    seconds = dict(wall=mlp.info["seconds"], cpu=mlp.info["cpu_seconds"])
    return dict(values=out, samples=samples, points=points, seconds=seconds)


def steps_case(spec: str, n_train: int, seed: int, steps: int, particles: int = PARTICLES, progress=None) -> dict:
    """The MLP of `mlp_case` trained for `steps` steps instead: its copying (share on a training point, nearest
    distance ratio) and its training time."""
    points = training_set(spec, n_train, seed)
    population = population_draws(spec, seed, particles)
    mlp = train_mlp(spec, n_train, seed, progress, steps)
    x = ddim_samples(mlp, particles)
    values = dict(near_mlp=near_share(x, points), ratio_mlp=nearest_ratio(x, points, population))
    return dict(values=values, seconds=dict(wall=mlp.info["seconds"], cpu=mlp.info["cpu_seconds"]))


def paired_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Median distance between the samples of two models drawn from the same noise, sample by sample (the study
    pairs the KEPT samples it ships, rounded as shipped: the file reproduces its own pairs)."""
    return float(np.median(np.linalg.norm(a - b, axis=1)))


def mlp_study(
    spec: str = "ring8",
    sizes=MLP_SIZES,
    seeds=MLP_SEEDS,
    particles: int = PARTICLES,
    log=print,
    case=mlp_case,
    step_sizes=STEP_SIZES,
    step_n=STEP_N,
    step_case=steps_case,
    extra_n=EXTRA_N,
    extra_seeds=EXTRA_SEEDS,
    extra_case=mlp_case,
) -> dict:
    """Every (N, seed) case (`case`: `mlp_case`, or the same results read from a previous run, `reusing`), and per
    N the paired distance of models trained on disjoint training sets (consecutive seeds, cyclically) for the MLPs
    and for the exact training-set models; then, for N in `step_n`, the MLP's copying after each of `step_sizes`
    training steps (`step_case`; at MLP_STEPS the N study's own models); then, for N in `extra_n`, the same cases on
    `extra_seeds` (`extra_rows`: their values only; the tab and the pairs read the N study's seeds alone).
    `seconds`: each training's measured time (a reused case keeps the time of the run that trained it, if that run
    recorded one)."""
    rows, seconds = {}, {}
    for n in sizes:
        cases = {}
        for seed in seeds:
            cases[seed] = case(spec, n, seed, particles)
            if cases[seed]["seconds"]:
                seconds[f"{n}/{MLP_STEPS}/{seed}"] = cases[seed]["seconds"]
            log(f"N = {n}, seed {seed}: {cases[seed]['values']} (training {cases[seed]['seconds']} s)")
        kept = {
            s: {name: np.round(c["samples"][name][:KEPT], 4) for name in ("exact", "mlp")} for s, c in cases.items()
        }
        pairs = {}
        for i, s in enumerate(seeds):
            t = seeds[(i + 1) % len(seeds)]
            if len(seeds) == 2 and i == 1:
                break
            for name in ("exact", "mlp"):
                key = f"pair_{name}_{s}_{t}"
                pairs[key] = paired_distance(kept[s][name], kept[t][name])
        rows[str(n)] = dict(
            seeds={str(s): c["values"] for s, c in cases.items()},
            pairs=pairs,
            samples={str(s): {name: x.tolist() for name, x in k.items()} for s, k in kept.items()},
        )
    steps_rows = {}
    for n in step_n:
        by_steps = {}
        for steps in step_sizes:
            if steps == MLP_STEPS and str(n) in rows:
                values = rows[str(n)]["seeds"]
                by_steps[str(steps)] = {s: {k: v[k] for k in ("near_mlp", "ratio_mlp")} for s, v in values.items()}
                continue
            by_steps[str(steps)] = {}
            for seed in seeds:
                out = step_case(spec, n, seed, steps, particles)
                by_steps[str(steps)][str(seed)] = out["values"]
                if out["seconds"]:
                    seconds[f"{n}/{steps}/{seed}"] = out["seconds"]
                log(f"N = {n}, {steps} steps, seed {seed}: {out['values']} (training {out['seconds']} s)")
        steps_rows[str(n)] = by_steps
    extra_rows = {}
    for n in extra_n:
        extra_rows[str(n)] = {}
        for seed in extra_seeds:
            out = extra_case(spec, n, seed, particles)
            extra_rows[str(n)][str(seed)] = out["values"]
            if out["seconds"]:
                seconds[f"{n}/{MLP_STEPS}/{seed}"] = out["seconds"]
            log(f"N = {n}, extra seed {seed}: {out['values']} (training {out['seconds']} s)")
    return dict(
        **study_settings(spec, particles), rows=rows, steps_rows=steps_rows, extra_rows=extra_rows, seconds=seconds
    )


def study_settings(spec: str = "ring8", particles: int = PARTICLES) -> dict:
    """The settings a study's cases depend on, written at the head of its file (`reusing` reads a case only from
    a study with the same ones)."""
    return dict(
        spec=spec,
        network=f"{MLP_DEPTH}x{MLP_WIDTH}",
        steps=MLP_STEPS,
        particles=particles,
        sampler_steps=SAMPLER_STEPS,
        radius=RADIUS,
        noise_seed=NOISE_SEED,
    )


def reusing(old: dict) -> tuple:
    """`mlp_study`'s `case`, `step_case` and `extra_case` that read the cases of a previous study `old` run with the
    same settings (training is deterministic for a seed on one machine, and tests/core/test_memorisation_mlp.py
    retrains one shipped case to check it) and compute the others: a study extended by seeds, N or step counts
    trains only what is new."""
    same = bool(old) and all(old.get(k) == v for k, v in study_settings().items())
    times = old.get("seconds", {}) if same else {}

    def case(spec, n, seed, particles):
        row = old["rows"].get(str(n), {}) if same and spec == old["spec"] else {}
        if str(seed) not in row.get("seeds", {}):
            return mlp_case(spec, n, seed, particles)
        samples = {k: np.array(v) for k, v in row["samples"][str(seed)].items()}
        return dict(values=row["seeds"][str(seed)], samples=samples, seconds=times.get(f"{n}/{MLP_STEPS}/{seed}"))

    def step_case(spec, n, seed, steps, particles):
        rows = old.get("steps_rows", {}).get(str(n), {}).get(str(steps), {}) if same and spec == old["spec"] else {}
        if str(seed) not in rows:
            return steps_case(spec, n, seed, steps, particles)
        return dict(values=rows[str(seed)], seconds=times.get(f"{n}/{steps}/{seed}"))

    def extra_case(spec, n, seed, particles):
        row = old.get("extra_rows", {}).get(str(n), {}) if same and spec == old["spec"] else {}
        if str(seed) not in row:
            return mlp_case(spec, n, seed, particles)
        return dict(values=row[str(seed)], seconds=times.get(f"{n}/{MLP_STEPS}/{seed}"))

    return case, step_case, extra_case


def write_shipped(path: Path = SHIPPED, reuse: bool = False) -> dict:
    """Run `mlp_study` at its defaults and write assets/elbo/memorisation.json (`python -m core.memorisation
    --write`; with `--reuse`, the cases already in that file are read, not retrained: `reusing`)."""
    case, step_case, extra_case = reusing(shipped_study()) if reuse else (mlp_case, steps_case, mlp_case)
    study = mlp_study(case=case, step_case=step_case, extra_case=extra_case)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(study, separators=(",", ":")) + "\n")
    return study


def shipped_study() -> dict:
    """The shipped study ({} if the file is missing)."""
    return json.loads(SHIPPED.read_text()) if SHIPPED.exists() else {}


if __name__ == "__main__":
    import sys

    if sys.argv[1:] not in (["--write"], ["--write", "--reuse"]):
        sys.exit("usage: python -m core.memorisation --write [--reuse]")
    write_shipped(reuse=sys.argv[2:] == ["--reuse"])
    print(f"wrote {SHIPPED} ({SHIPPED.stat().st_size / 1e3:.0f} kB)")
