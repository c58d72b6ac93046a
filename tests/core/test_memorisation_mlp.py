"""The MLP trained on N training points (core/memorisation.py's study, core/learned.py's `points`): it sees only
the training points, the measures agree with brute force, and the shipped study (assets/elbo/memorisation.json)
reproduces: one of its twelve models is retrained here and sampled from the same noise."""

from __future__ import annotations

import numpy as np
import pytest

from core import learned
from core import memorisation as M
from core.processes import DiscreteVP


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
    for row in study["rows"].values():
        assert list(row["seeds"]) == [str(s) for s in M.MLP_SEEDS]
        assert len(row["pairs"]) == 2 * len(M.MLP_SEEDS)
        for s in M.MLP_SEEDS:
            assert {k: len(v) for k, v in row["samples"][str(s)].items()} == {"exact": M.KEPT, "mlp": M.KEPT}


@pytest.mark.slow
def test_one_shipped_case_is_reproduced():
    """N = 16, seed 0 retrained (4,000 steps, seconds of CPU) and sampled from the same noise: the same numbers and
    samples as shipped (training is deterministic for a seed on one machine; the tolerance is rounding's)."""
    fresh = M.mlp_case("ring8", 16, 0)
    row = M.shipped_study()["rows"]["16"]
    old = row["seeds"]["0"]
    for key, value in fresh["values"].items():
        assert value == pytest.approx(old[key], rel=1e-6, abs=1e-9), key
    for name in ("exact", "mlp"):
        np.testing.assert_allclose(fresh["samples"][name][: M.KEPT], row["samples"]["0"][name], atol=1e-4)
