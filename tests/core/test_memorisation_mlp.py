"""The MLP trained on N training points (core/memorisation.py's study, core/learned.py's `points`): it sees only
the training points, the measures agree with brute force, and the shipped study (assets/elbo/memorisation.json)
reproduces: one of its models is retrained here and sampled from the same noise, and the numbers the claims read
are recomputed from the shipped samples by brute force."""

from __future__ import annotations

import numpy as np
import pytest

from core import learned
from core import memorisation as M
from core.claims import memorisation as C
from core.processes import DiscreteVP


def brute_nearest(samples, points) -> np.ndarray:
    """Distance of each sample to its nearest training point, by the full distance matrix (no k-d tree)."""
    samples, points = np.asarray(samples), np.asarray(points)
    return np.sqrt(((samples[:, None, :] - points[None, :, :]) ** 2).sum(-1)).min(1)


def test_a_training_set_is_sampled_uniformly_from_its_points():
    points = M.training_set("ring8", 16, 0)
    data = learned.TrainingSet(points)
    draws = data.sample(16_000, np.random.default_rng(1))
    rows = {tuple(p) for p in points}
    assert all(tuple(d) in rows for d in draws[:500])
    counts = np.unique(draws, axis=0, return_counts=True)[1]
    assert len(counts) == 16 and abs(counts - 1000).max() < 5 * np.sqrt(1000)
    assert data.sigma() == pytest.approx(np.sqrt(np.trace(np.cov(points.T, bias=True)) / 2), rel=1e-12)
    with pytest.raises(ValueError, match="finite point"):
        learned.TrainingSet(np.zeros((0, 2)))


def test_training_examples_come_from_the_training_points_only():
    """DDPM's Algorithm 1 on the training set: with x₀ prediction the targets are training points, the inputs are
    α x₀ + σ ε of them."""
    points = M.training_set("ring8", 5, 1)
    settings = learned.Settings("ring8", "x0", "uniform", 32, 1, 200, 0)
    abar = DiscreteVP().alphas_cumprod(np.arange(learned.T_STEPS))
    inputs, targets, _ = learned._examples(
        settings, learned.TrainingSet(points), 1.0, abar, np.random.default_rng(2), 2
    )
    d = np.linalg.norm(targets.reshape(-1, 1, 2) - points[None], axis=-1).min(1)
    assert d.max() == 0.0


def test_nearest_ratio_and_paired_distance_by_brute_force():
    rng = np.random.default_rng(3)
    points, samples, population = rng.random((20, 2)), rng.random((300, 2)), rng.random((300, 2))
    nearest = lambda x: np.linalg.norm(x[:, None] - points[None], axis=-1).min(1)  # noqa: E731
    assert M.nearest_ratio(samples, points, population) == pytest.approx(
        np.median(nearest(samples)) / np.median(nearest(population)), rel=1e-12
    )
    assert M.nearest_ratio(points[rng.integers(0, 20, 300)], points, population) == 0.0
    assert M.paired_distance(samples, samples) == 0.0
    assert M.paired_distance(samples, population) == pytest.approx(
        np.median(np.hypot(*(samples - population).T)), rel=1e-12
    )


def test_the_shipped_study_is_small_and_complete():
    study = M.shipped_study()
    assert study, "run `python -m core.memorisation --write`"
    assert M.SHIPPED.stat().st_size < 250_000
    assert list(study["rows"]) == [str(n) for n in M.MLP_SIZES]
    assert len(M.MLP_SEEDS) >= 5
    for row in study["rows"].values():
        assert list(row["seeds"]) == [str(s) for s in M.MLP_SEEDS]
        assert len(row["pairs"]) == 2 * len(M.MLP_SEEDS)
        for s in M.MLP_SEEDS:
            assert {k: len(v) for k, v in row["samples"][str(s)].items()} == {"exact": M.KEPT, "mlp": M.KEPT}
    assert list(study["steps_rows"]) == [str(n) for n in M.STEP_N]
    for n, by_steps in study["steps_rows"].items():
        assert list(by_steps) == [str(k) for k in M.STEP_SIZES]
        for steps, per_seed in by_steps.items():
            assert list(per_seed) == [str(s) for s in M.MLP_SEEDS]
            if int(steps) == M.MLP_STEPS:  # the N study's own models
                assert all(v["ratio_mlp"] == study["rows"][n]["seeds"][s]["ratio_mlp"] for s, v in per_seed.items())
    assert list(study["extra_rows"]) == [str(n) for n in M.EXTRA_N]  # more seeds at the judged sizes, values only
    for n, per_seed in study["extra_rows"].items():
        assert list(per_seed) == [str(s) for s in M.EXTRA_SEEDS] and not set(M.EXTRA_SEEDS) & set(M.MLP_SEEDS)
        assert all(set(v) == set(study["rows"][n]["seeds"]["0"]) for v in per_seed.values())
        assert all(f"{n}/{M.MLP_STEPS}/{s}" in study["seconds"] for s in per_seed)


def test_the_shipped_pairs_are_recomputed_from_the_shipped_samples():
    """Two models on disjoint training sets (consecutive seeds, cyclically), the same noise: the median distance
    between their samples, sample by sample, recomputed from the file's own samples."""
    study = M.shipped_study()
    seeds = [str(s) for s in M.MLP_SEEDS]
    for row in study["rows"].values():
        for i, s in enumerate(seeds):
            t = seeds[(i + 1) % len(seeds)]
            for name in ("exact", "mlp"):
                a, b = np.array(row["samples"][s][name]), np.array(row["samples"][t][name])
                expected = np.median(np.sqrt(((a - b) ** 2).sum(1)))
                assert row["pairs"][f"pair_{name}_{s}_{t}"] == pytest.approx(expected, rel=1e-12)


def test_the_mlp_copies_at_small_n_by_brute_force():
    """The claim's line at the smallest N, checked on the shipped samples of every seed by brute force: the MLP's
    share within RADIUS of a training point beats fresh draws' by the claim's COPY_MARGIN (pooled over the seeds: a
    seed's 200 shipped samples are a subsample of its 500), and on every seed its samples' median distance to the
    nearest training point is under the claim's NEAR of fresh draws'. The exact model's samples sit on the points."""
    study, n = M.shipped_study(), C.SMALL
    near, chance = [], []
    for s in M.MLP_SEEDS:
        points = M.training_set(C.PRESET, n, s)
        population = M.population_draws(C.PRESET, s)
        samples = {k: np.array(v) for k, v in study["rows"][str(n)]["samples"][str(s)].items()}
        d_mlp, d_pop = brute_nearest(samples["mlp"], points), brute_nearest(population, points)
        near.append((d_mlp < M.RADIUS).mean())
        chance.append((d_pop < M.RADIUS).mean())
        assert np.median(d_mlp) / np.median(d_pop) < C.NEAR, s
        assert (brute_nearest(samples["exact"], points) < M.RADIUS).mean() > 0.9, s
    assert np.mean(near) - np.mean(chance) > C.COPY_MARGIN, (near, chance)


def test_the_mlp_copies_nothing_at_large_n_by_brute_force():
    """At the largest N, on every seed, the MLP's shipped samples are at least the claim's FAR of fresh draws' median
    distance from the nearest training point; the exact model's are much closer."""
    study, n = M.shipped_study(), C.LARGE
    for s in M.MLP_SEEDS:
        points = M.training_set(C.PRESET, n, s)
        d_pop = np.median(brute_nearest(M.population_draws(C.PRESET, s), points))
        samples = {k: np.array(v) for k, v in study["rows"][str(n)]["samples"][str(s)].items()}
        assert np.median(brute_nearest(samples["mlp"], points)) / d_pop > C.FAR, s
        assert np.median(brute_nearest(samples["exact"], points)) / d_pop < 0.5, s


def test_a_study_extended_by_seeds_retrains_only_the_new_cases(monkeypatch):
    """`--reuse` reads a case of the previous study run with the same settings, and computes a case it lacks or
    one of a study with other settings."""
    old = M.shipped_study()
    trained = []
    monkeypatch.setattr(M, "mlp_case", lambda *a: trained.append(a) or "new")
    monkeypatch.setattr(M, "steps_case", lambda *a: trained.append(a) or "new")
    case, step_case, extra_case = M.reusing(old)
    got = case("ring8", 16, 0, M.PARTICLES)
    assert got["values"] == old["rows"]["16"]["seeds"]["0"] and not trained
    np.testing.assert_array_equal(got["samples"]["mlp"], old["rows"]["16"]["samples"]["0"]["mlp"])
    assert (
        step_case("ring8", 16, 0, M.STEP_SIZES[0], M.PARTICLES)["values"]
        == old["steps_rows"]["16"][str(M.STEP_SIZES[0])]["0"]
    )
    extra = M.EXTRA_SEEDS[0]
    assert extra_case("ring8", 1024, extra, M.PARTICLES)["values"] == old["extra_rows"]["1024"][str(extra)]
    assert case("ring8", 16, 99, M.PARTICLES) == "new" and len(trained) == 1
    assert extra_case("ring8", 1024, 99, M.PARTICLES) == "new" and len(trained) == 2
    case, step_case, extra_case = M.reusing({**old, "steps": M.MLP_STEPS + 1})
    assert case("ring8", 16, 0, M.PARTICLES) == "new"
    assert step_case("ring8", 16, 0, M.STEP_SIZES[0], M.PARTICLES) == "new"
    assert extra_case("ring8", 1024, extra, M.PARTICLES) == "new"


def test_a_study_with_extra_seeds_adds_them_at_the_judged_sizes_only():
    """`mlp_study`'s extra seeds: one case per (N in extra_n, extra seed), values only; the N study, its pairs and
    the steps rows are those of its own seeds."""

    def fake(spec, n, seed, particles):
        x = np.full((M.KEPT, 2), float(seed))
        return dict(values={"n": n, "seed": seed}, samples={"exact": x, "mlp": x}, seconds=None)

    study = M.mlp_study(
        sizes=(16, 64),
        seeds=(0, 1),
        case=fake,
        step_sizes=(),
        extra_n=(16,),
        extra_seeds=(5, 6),
        extra_case=fake,
        log=lambda *a: None,
    )
    assert study["extra_rows"] == {"16": {"5": {"n": 16, "seed": 5}, "6": {"n": 16, "seed": 6}}}
    assert list(study["rows"]["16"]["seeds"]) == ["0", "1"] and list(study["rows"]["16"]["pairs"]) == [
        "pair_exact_0_1",
        "pair_mlp_0_1",
    ]


def _judged(excess, small, large):
    """Values of the transition claim as core.claims.over_seeds makes them, one list entry per seed."""
    from core.claims import over_seeds

    rows = {
        s: {C.EXCESS: e, C.RATIO_SMALL: a, C.RATIO_LARGE: b} for s, (e, a, b) in enumerate(zip(excess, small, large))
    }
    return over_seeds(rows.__getitem__, tuple(rows))


def test_the_transition_is_judged_on_the_seed_means_with_margins():
    """verdict_mlp: each line decided by the seeds' mean SIGMAS standard errors away from it; a mean within them is
    undecided, which gives "depends", never "holds" or "does not hold". A seed alone: its value against the line."""
    from core.claims import DEPENDS, FAILS, HOLDS, one_seed

    far, near = [1.0, 0.98, 1.02, 0.99], [0.2, 0.25, 0.22, 0.18]
    assert C.verdict_mlp(_judged([0.2, 0.21, 0.19, 0.2], near, far)) == HOLDS
    # the share's mean 0.02 above COPY_MARGIN, but its seeds scatter: undecided -> depends
    spread = [0.01, 0.13, 0.02, 0.12]
    values = _judged(spread, near, far)
    assert abs(values[C.EXCESS] - C.COPY_MARGIN - 0.02) < 1e-12 and C.verdict_mlp(values) == DEPENDS
    assert C.verdict_mlp(one_seed(values, 1)) == HOLDS and C.verdict_mlp(one_seed(values, 0)) == DEPENDS
    # decided the other way at both sizes: does not hold; undecided at one of them: depends
    assert C.verdict_mlp(_judged([0.0, 0.01, 0.0, 0.01], near, [0.5, 0.52, 0.48, 0.5])) == FAILS
    assert C.verdict_mlp(_judged([0.0, 0.01, 0.0, 0.01], near, [0.5, 1.3, 0.48, 1.3])) == DEPENDS


@pytest.mark.slow
def test_one_shipped_case_is_reproduced():
    """N = 16, seed 0 retrained (4,000 steps, ~12 s of one core) and sampled from the same noise: the same numbers and
    samples as shipped (training is deterministic for a seed on one machine; the tolerance is rounding's); its share
    on a training point, recomputed by brute force over all its samples, beats chance by the claim's margin."""
    fresh = M.mlp_case("ring8", 16, 0)
    row = M.shipped_study()["rows"]["16"]
    old = row["seeds"]["0"]
    for key, value in fresh["values"].items():
        assert value == pytest.approx(old[key], rel=1e-6, abs=1e-9), key
    for name in ("exact", "mlp"):
        np.testing.assert_allclose(fresh["samples"][name][: M.KEPT], row["samples"]["0"][name], atol=1e-4)
    points = M.training_set("ring8", 16, 0)
    near = (brute_nearest(fresh["samples"]["mlp"], points) < M.RADIUS).mean()
    chance = (brute_nearest(M.population_draws("ring8", 0), points) < M.RADIUS).mean()
    assert near == pytest.approx(old["near_mlp"], abs=1e-12) and chance == pytest.approx(old["chance"], abs=1e-12)
    assert near - chance > C.COPY_MARGIN
