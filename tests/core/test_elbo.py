"""The variational bound with the exact denoiser (core/elbo.py), each number against an independent computation:
quadrature in log-SNR vs Monte Carlo in each schedule's own time, Gauss–Hermite vs Monte Carlo over ε, the
diffusion loss vs closed-form log-densities (I-MMSE), closed-form Gaussian KLs vs sampling."""

from __future__ import annotations

import numpy as np
import pytest

from core import elbo as E
from core.dataspec import load_data
from core.processes import DiscreteVP

G_MIN, G_MAX = E.ddpm_endpoints()


@pytest.fixture(scope="module")
def ring8():
    return load_data("ring8")


@pytest.fixture(scope="module")
def table(ring8):
    return E.error_table(ring8, G_MIN, G_MAX, n=256, seed=0)


@pytest.mark.parametrize("name", E.SCHEDULES)
def test_schedule_ends_and_slope(name):
    s = E.Schedule(name, G_MIN, G_MAX)
    g, slope = s.g_and_slope(np.linspace(0.01, 0.99, 50))
    assert s.g(0.0) == pytest.approx(G_MAX, abs=1e-8) and s.g(1.0) == pytest.approx(G_MIN, abs=1e-8)
    assert np.all(np.diff(g) < 0) and np.all(slope < 0)
    h = 1e-6
    numeric = (s.g(np.linspace(0.01, 0.99, 50) + h) - s.g(np.linspace(0.01, 0.99, 50) - h)) / (2 * h)
    np.testing.assert_allclose(slope, numeric, rtol=1e-5)


def test_ddpm_endpoints_are_the_chains():
    abar = DiscreteVP().alphas_cumprod(np.array([0.0, 999.0]))
    np.testing.assert_allclose([G_MAX, G_MIN], np.log(abar / (1 - abar)), rtol=1e-12)


def test_denoise_each_is_tweedie(ring8):
    rng = np.random.default_rng(0)
    z, st = 2 * rng.standard_normal((300, 2)), np.exp(rng.uniform(-3, 3, 300))
    expected = np.array([ring8.posterior_mean_x0(z[i : i + 1], 1.0, st[i])[0] for i in range(300)])
    np.testing.assert_allclose(E.denoise_each(ring8, z, st), expected, atol=1e-12)


@pytest.mark.parametrize("name", E.SCHEDULES)
def test_schedule_invariance(ring8, table, name):
    """VDM Sec. 5: the one-sample estimator in each schedule's own time has the mean ½ ∫ e^g mmse dg of the
    log-SNR quadrature, within its Monte Carlo error (and the quadrature's own)."""
    quad, quad_se = E.diffusion_loss(table)
    draws = E.one_sample(ring8, E.Schedule(name, G_MIN, G_MAX), 40_000, seed=3)
    se = np.hypot(draws.std(ddof=1) / np.sqrt(len(draws)), quad_se)
    assert abs(draws.mean() - quad) < 4 * se


def test_estimator_sd_matches_sampling(ring8, table):
    """The sd from the table's fourth moment (Gauss–Hermite over ε) matches the one-sample estimator's sample sd
    (light-tailed schedules; the linear-β estimator's tail is too heavy for a sample sd to settle), and the
    ordering holds."""
    sds = {n: E.estimator_sd(table, E.Schedule(n, G_MIN, G_MAX)) for n in E.SCHEDULES}
    for name in ("edm", "log_snr"):
        draws = E.one_sample(ring8, E.Schedule(name, G_MIN, G_MAX), 40_000, seed=4)
        assert draws.std() == pytest.approx(sds[name], rel=0.1)
    assert sds["linear_beta"] > sds["cosine"] > sds["edm"] > sds["log_snr"] > E.best_sd(table)


@pytest.mark.parametrize("name", E.SCHEDULES)
def test_discrete_loss_decreases_to_continuous(table, name):
    """VDM Sec. 4: L_T ≥ L_2T ≥ … → L∞ (an upper Riemann sum: the mean error falls as the SNR grows)."""
    s = E.Schedule(name, G_MIN, G_MAX)
    losses = [E.discrete_loss(table, s, T) for T in (10, 20, 100, 1000, 10_000)]
    quad = E.diffusion_loss(table)[0]
    assert all(a > b for a, b in zip(losses, losses[1:]))
    assert losses[-1] > quad - 1e-6
    assert losses[-1] - quad < 0.05 * (losses[2] - quad)  # the excess falls about as 1/T


def test_control_variate_is_unbiased(ring8):
    x = ring8.sample(20, np.random.default_rng(5))
    g = np.array([-2.0, 1.0, 6.0])
    plain = E.denoising_errors(ring8, x, g, 4000, np.random.default_rng(1), control=False)
    cv = E.denoising_errors(ring8, x, g, 4000, np.random.default_rng(2), control=True)
    exact = E.expected_errors(ring8, x, g, 24)
    for draws in (plain, cv):
        se = draws.std(1, ddof=1) / np.sqrt(draws.shape[1])
        assert np.all(np.abs(draws.mean(1) - exact) < 4.5 * se + 1e-9)


def test_point_diffusion_loss_quadrature_vs_monte_carlo(ring8):
    x = ring8.sample(6, np.random.default_rng(6))
    pb = E.point_bound(ring8, x, G_MIN, G_MAX, step=0.2, n_gh=20)
    mean, se = E.diffusion_mc(ring8, x, G_MIN, G_MAX, n_eps=400, seed=2)
    assert np.all(np.abs(pb.diffusion - mean) < 4 * se)


@pytest.mark.parametrize(
    "preset, ends", [("ring8", (G_MIN, G_MAX)), ("grid25", (G_MIN, G_MAX)), ("ring8", (-6.0, 6.0))]
)
def test_gap_is_prior_plus_decoder_mismatch(preset, ends):
    """−ELBO(x) + log p(x) = prior mismatch + decoder mismatch, point by point: the left side from the denoiser's
    errors, the right from closed-form log-densities only (I-MMSE). Tolerance: the ε quadrature's error."""
    mixture = load_data(preset)
    x = mixture.sample(8, np.random.default_rng(7))
    pb = E.point_bound(mixture, x, *ends, step=0.2, n_gh=20)
    prior, decoder = E.predicted_gap(mixture, x, *ends)
    np.testing.assert_allclose(pb.gap, prior + decoder, atol=2e-3)
    assert np.mean(prior + decoder) > 0


def test_bound_holds_for_the_model_density(ring8):
    """With the exact prior, −ELBO(x) ≥ −log p_model(x), p_model = p ∗ N(0, 2σ̃₀² I), at every point (Jensen),
    while against the data's own −log p(x) some points far from their mode fall below."""
    x = np.concatenate([ring8.sample(8, np.random.default_rng(8)), [[2.45, 0.0], [0.0, 0.0]]])
    g_max = 4.0  # σ̃₀ = 0.14: the decoder's smoothing is large enough to see
    pb = E.point_bound(ring8, x, G_MIN, g_max, step=0.2, n_gh=20)
    prior, decoder = E.predicted_gap(ring8, x, G_MIN, g_max)
    exact_prior = pb.neg_elbo - prior
    assert np.all(exact_prior >= -E.model_log_prob(ring8, x, g_max) - 2e-3)
    assert np.any(decoder < -0.01) and np.any(decoder > 0.01)


def test_prior_kl_closed_form():
    rng = np.random.default_rng(9)
    x = np.array([[1.0, -2.0]])
    a, s = E.vp_coefficients(-1.0)
    z = a * x + s * rng.standard_normal((200_000, 2))
    log_q = -0.5 * ((z - a * x) ** 2).sum(1) / s**2 - 2 * np.log(s)
    log_n = -0.5 * (z**2).sum(1)
    kl = log_q - log_n
    assert E.prior_kl(x, -1.0)[0] == pytest.approx(kl.mean(), abs=4 * kl.std() / np.sqrt(len(kl)))


def test_reconstruction_closed_form():
    rng = np.random.default_rng(10)
    g_max, x = 3.0, np.array([0.5, 0.5])
    st = np.exp(-g_max / 2)
    z0_scaled = x + st * rng.standard_normal((100_000, 2))
    nll = 0.5 * ((x - z0_scaled) ** 2).sum(1) / st**2 + 2 * np.log(st) + np.log(2 * np.pi)
    assert E.reconstruction(g_max, 1)[0] == pytest.approx(nll.mean(), abs=4 * nll.std() / np.sqrt(len(nll)))


def test_bad_schedule_refused():
    with pytest.raises(ValueError, match="unknown schedule"):
        E.Schedule("sigmoid", G_MIN, G_MAX)
    with pytest.raises(ValueError, match="g_min < g_max"):
        E.Schedule("cosine", 3.0, 1.0)


# ---------------------------------------------------------------------------- DDPM's discrete bound
def test_gaussian_kl_against_the_general_formula():
    rng = np.random.default_rng(11)
    a = rng.standard_normal((20, 2, 2))
    cov = a @ a.transpose(0, 2, 1) + 0.1 * np.eye(2)
    delta, beta_tilde = rng.standard_normal((20, 2)), 0.3
    inv = np.linalg.inv(cov)
    expected = 0.5 * (
        beta_tilde * np.trace(inv, axis1=1, axis2=2)
        + np.einsum("ni,nij,nj->n", delta, inv, delta)
        - 2
        + np.log(np.linalg.det(cov))
        - 2 * np.log(beta_tilde)
    )
    np.testing.assert_allclose(E.gaussian_kl(delta, beta_tilde, cov), expected, rtol=1e-10)


def test_discrete_step_term_against_monte_carlo(ring8):
    """One L_{t−1} by Gauss–Hermite against sampling x_t ~ q(x_t | x₀) and the closed-form Gaussian KL."""
    from core.samplers.ancestral import posterior

    x0 = np.array([[2.1, 0.2]])
    bound = E.discrete_bound(ring8, x0, 5, "beta", n_gh=12)
    abar = DiscreteVP().alphas_cumprod(E.ddpm_timesteps(5).astype(float))
    a, s = np.sqrt(abar), np.sqrt(1 - abar)
    i = 2  # the step from level 2 to level 1: steps[len - 2]
    c_x, c_0, beta, beta_tilde = posterior(a[i], s[i], a[i - 1], s[i - 1])
    z = a[i] * x0 + s[i] * np.random.default_rng(12).standard_normal((40_000, 2))
    delta = c_0 * (x0 - ring8.posterior_mean_x0(z, a[i], s[i]))
    kl = E.gaussian_kl(delta, beta_tilde, np.broadcast_to(beta * np.eye(2), (len(z), 2, 2)))
    assert bound.steps[len(abar) - 1 - i, 0] == pytest.approx(kl.mean(), abs=4 * kl.std() / np.sqrt(len(kl)))


def test_variance_choices_order_and_close_the_gap(ring8):
    """Averaged over x₀ ~ p: every bound is ≥ −log p (cross-entropy ≥ entropy); the per-point optimal covariance
    ≤ Analytic-DPM's optimal shared one ≤ β, β̃ (Bao et al. 2022, Theorem 1); the optimal bound's gap shrinks as
    T grows."""
    x0 = ring8.sample(48, np.random.default_rng(13))
    gaps = {
        (T, c): float(np.mean(b.total - b.nll))
        for T in (10, 50)
        for c in E.VARIANCES
        for b in [E.discrete_bound(ring8, x0, T, c, n_gh=6)]
    }
    for T in (10, 50):
        assert min(gaps[T, c] for c in E.VARIANCES) > 0
        assert gaps[T, "optimal"] < gaps[T, "analytic"] < min(gaps[T, "beta"], gaps[T, "beta_tilde"])
    assert gaps[50, "optimal"] < gaps[10, "optimal"]


def test_shipped_tightness_reproduces():
    """A sample of assets/elbo/tightness.json (`python -m core.elbo --write`): the first points of one case
    recomputed at the shipped settings, and every case's mean gap explained by the predicted mismatch."""
    rows = E.shipped_tightness()
    assert set(rows) == {f"{spec}/{ends}" for spec, ends in E.SHIPPED_CASES}
    mixture = load_data("ring8")
    x = mixture.sample(E.SHIPPED_POINTS, np.random.default_rng(E.SHIPPED_SEED))[: E.SHIPPED_KEPT]
    pb = E.point_bound(mixture, x, *E.SHIPPED_ENDS["ddpm"], step=E.SHIPPED_STEP, n_gh=E.SHIPPED_GH)
    np.testing.assert_allclose(pb.gap, rows["ring8/ddpm"]["first"], rtol=1e-6, atol=1e-9)
    for row in rows.values():
        assert abs(row["gap"] - row["prior"] - row["decoder"]) <= row["worst"]
