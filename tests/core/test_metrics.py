"""MMD² (core.metrics) against its definition, term by term.

The unbiased estimator (Gretton et al. 2012, eq. 3) with the mixture side in closed form is
  MMD²_u = 1/(n(n-1)) Σ_{i≠j} k(x_i, x_j) - 2/n Σ_i E_{y~p} k(x_i, y) + E_{y,y'~p} k(y, y').
References here share no code with core.metrics: an explicit double loop over pairs for the first term and
2D quadrature of k(x, y) p(y) (and of that against p(x)) for the mixture terms.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate

from core.datasets import load_preset
from core.metrics import _mixture_kernel_mean, _mixture_kernel_self, mmd2, noise_floor

EPS = np.finfo(np.float64).eps


def _kernel(a: np.ndarray, b: np.ndarray, h: float) -> float:
    return float(np.exp(-((a - b) ** 2).sum() / (2 * h**2)))


def _density(mixture, x1: float, x2: float) -> float:
    return float(np.exp(mixture.log_prob(np.array([[x1, x2]])))[0])


@pytest.fixture(scope="module")
def ring():
    return load_preset("ring8_soft")


def test_sample_term_equals_the_explicit_sum_over_pairs(ring):
    """Only the sample-sample term depends on the pair loop; the mixture terms are the same closed forms."""
    h = 0.4
    x = ring.sample(120, np.random.default_rng(3))
    n = len(x)
    pairs = sum(_kernel(x[i], x[j], h) for i in range(n) for j in range(n) if i != j)
    mixture_terms = -2 * _mixture_kernel_mean(ring, x, h).mean() + _mixture_kernel_self(ring, h)
    expected = pairs / (n * (n - 1)) + mixture_terms
    # the pair sum has n² terms ≤ 1 each; the three terms cancel to the result, so rounding is relative to 1
    assert mmd2(x, ring, h) == pytest.approx(expected, abs=n**2 * 100 * EPS)


def test_mixture_kernel_terms_match_quadrature():
    mixture = load_preset("ncsn_fig3")
    h = 1.5
    point = np.array([1.0, -0.5])
    bound = 12.0
    mean, _ = integrate.dblquad(
        lambda y2, y1: _kernel(point, np.array([y1, y2]), h) * _density(mixture, y1, y2),
        -bound,
        bound,
        -bound,
        bound,
        epsabs=1e-9,
    )
    assert _mixture_kernel_mean(mixture, point[None], h)[0] == pytest.approx(mean, rel=1e-6)
    self_term, _ = integrate.dblquad(
        lambda y2, y1: float(_mixture_kernel_mean(mixture, np.array([[y1, y2]]), h)[0]) * _density(mixture, y1, y2),
        -bound,
        bound,
        -bound,
        bound,
        epsabs=1e-9,
    )
    assert _mixture_kernel_self(mixture, h) == pytest.approx(self_term, rel=1e-6)


def test_exact_samples_score_zero_on_average_and_shifted_samples_do_not(ring):
    """Unbiased: the mean over exact sets is 0 within 4 standard errors; a shift of one std is far above the floor."""
    h = 0.4
    rng = np.random.default_rng(7)
    values = np.array([mmd2(ring.sample(500, rng), ring, h) for _ in range(40)])
    assert abs(values.mean()) < 4 * values.std(ddof=1) / np.sqrt(len(values))
    floor = noise_floor(ring, "mmd2", 500, h)
    shifted = ring.sample(500, rng) + np.array([0.5, 0.0])  # the components' std is 0.5
    assert floor.in_units(mmd2(shifted, ring, h)) > 8  # measured ≈ 17


# ---------------------------------------------------------------------------- the noise floors themselves
def test_shipped_floors_cover_every_preset_and_reproduce():
    """assets/noise_floors.json (python -m core.metrics --write) holds every preset × metric × shipped count over
    200 exact sets, and a sample of cells recomputes (same seed): the values are stored to 10 significant
    digits, so the recomputation agrees to that rounding, relative to the value."""
    from core.datasets import PRESETS
    from core.dataspec import data_bandwidth, load_data
    from core.metrics import FLOOR_REPEATS, METRICS, SHIPPED_COUNTS, shipped_floors

    floors = shipped_floors()
    assert floors, "run `python -m core.metrics --write`"
    for spec in PRESETS:
        for metric in METRICS:
            assert set(floors[spec][metric]) == {str(n) for n in SHIPPED_COUNTS}, (spec, metric)
    for spec, metric, n in (("ring8_soft", "mmd2", 500), ("moons", "mode_tv", 500), ("grid25", "nll", 500)):
        now = noise_floor(load_data(spec), metric, n, data_bandwidth(spec), FLOOR_REPEATS)
        mean, sd, sd_se = floors[spec][metric][str(n)]
        assert now.sd == pytest.approx(sd, rel=1e-8) and now.mean == pytest.approx(mean, rel=1e-8, abs=1e-12)
        assert now.sd_se == pytest.approx(sd_se, rel=1e-3)


def test_every_floor_uses_at_least_100_exact_sets():
    """Shipped presets at the app's counts: 200 sets; anything else (here a count we do not ship): 100."""
    from core.metrics import FLOOR_REPEATS, ON_DEMAND_REPEATS, data_noise_floor

    assert data_noise_floor("ring8", "mmd2", 2000).repeats == FLOOR_REPEATS == 200
    assert data_noise_floor("ring8_soft", "mode_tv", 300).repeats == ON_DEMAND_REPEATS == 100


def test_floor_standard_error_matches_its_spread_over_seeds(ring):
    """The sd's standard error (delta method) against the scatter of the sd itself over 24 independent floors of
    100 sets each (n = 200 points): the two agree within the accuracy of a 24-sample sd (±30 % at 2 SE)."""
    h = 0.4
    floors = [noise_floor(ring, "mmd2", 200, h, repeats=100, seed=s) for s in range(24)]
    spread = np.std([f.sd for f in floors], ddof=1)
    predicted = np.mean([f.sd_se for f in floors])
    assert 0.7 < spread / predicted < 1.3
    assert all(0.03 < f.relative_se < 0.2 for f in floors)
