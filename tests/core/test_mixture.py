"""GaussianMixture against independent computations.

References, none of which share code with core.mixture:
* torch: log p = logsumexp_k(log π_k + MultivariateNormal(μ_k, Σ_k).log_prob(x)); score and Hessian by autograd;
* scipy.stats.multivariate_normal for densities and responsibilities;
* scipy.integrate.quad over the joint density for the conditional p(x₂ | x₁);
* plain moment formulas and Monte Carlo for sampling.
Everything is float64. "Relative error" is per point: |a - b| ≤ 1e-6 |b| + a tiny absolute floor.

Where two computations should agree to rounding (the same code on other blocks of points, the fast and the
validating constructor, sums that must be 1), the bound is `ROUNDING` times the magnitude of the terms that
are summed or cancel in each entry (`term_magnitudes`), never a relative tolerance at rounding level: a
Hessian entry made by cancellation of terms ~1e3 carries an absolute rounding error ~1e3·ε whatever its
value, and the order of the sums (BLAS kernel, SIMD width, CPU) decides its last digits.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats
from scipy.special import logsumexp

import core.mixture as mixture_module
from core.datasets import PRESETS, load_preset
from core.mixture import GaussianMixture, Mixture1D, MixtureError, plot_box

RTOL = 1e-6  # the bound on closed form vs autograd; agreement is ~1e-12 in practice
PRESET_KEYS = sorted(PRESETS)
EPS = np.finfo(np.float64).eps
# 1000 ulps of the terms' magnitude: a sum of K terms rounds by at most (K - 1)·ε·Σ|terms| in any order, and
# exp, division and the final products add a few ε more, so this holds for K ≤ ~900 components on any CPU or
# BLAS kernel; a real bug of 1e-8 relative is still 4.5e4 times larger when the terms are of the value's size.
ROUNDING = 1000 * EPS


def assert_within_rounding(actual, desired, scale, what: str = "", rtol: float = 0.0):
    """|actual - desired| ≤ rtol·|desired| + ROUNDING·scale, entry by entry (`scale` broadcasts: the
    magnitude Σ|terms| of what is summed or cancels in each entry)."""
    actual, desired = np.asarray(actual, dtype=np.float64), np.asarray(desired, dtype=np.float64)
    assert actual.shape == desired.shape, (what, actual.shape, desired.shape)
    scale = np.broadcast_to(np.asarray(scale, dtype=np.float64), desired.shape)
    err = np.abs(actual - desired)
    bound = rtol * np.abs(desired) + ROUNDING * scale
    bad = ~(err <= bound)
    if bad.any():
        i = np.unravel_index(np.argmax(np.where(bad, err / np.maximum(bound, 1e-300), 0)), err.shape)
        raise AssertionError(
            f"{what}: {bad.sum()} of {err.size} entries beyond rounding; worst at {tuple(map(int, i))}: "
            f"{actual[i]!r} vs {desired[i]!r}, |diff| = {err[i]:.3g} > bound {bound[i]:.3g} "
            f"(terms' magnitude {scale[i]:.3g})"
        )


def term_magnitudes(mix: GaussianMixture, x: np.ndarray) -> dict[str, np.ndarray]:
    """Per entry, Σ|terms| of the sums GaussianMixture evaluates at x, from the raw parameters:
    ℓ_k = c_k - ½ q_k (c_k = log π_k - ½ log|2πΣ_k|, q_k = d_kᵀΣ_k⁻¹d_k), r = softmax_k ℓ, s_k = -Σ_k⁻¹d_k,
    P_k = -Σ_k⁻¹, g = Σ_k r_k s_k. log p = max ℓ + log Σ exp(ℓ - max); ∇log p = g;
    ∇²log p = Σ_k r_k (s_k s_kᵀ + P_k) - g gᵀ; Δ log p = Σ_k r_k (|s_k|² + tr P_k) - |g|²."""
    x = np.asarray(x, dtype=np.float64)
    prec = np.linalg.inv(mix.covs)
    d = x[:, None, :] - mix.means[None]
    s = -np.einsum("kij,nkj->nki", prec, d)
    q = -np.einsum("nki,nki->nk", d, s)
    c = np.log(mix.weights) - 0.5 * np.log(np.linalg.det(2 * np.pi * mix.covs))
    ell = c - 0.5 * q
    r = np.exp(ell - logsumexp(ell, axis=1, keepdims=True))
    top = np.argmax(ell, axis=1)
    rows = np.arange(len(x))
    g = np.einsum("nk,nki->ni", r, s)
    return {
        "log_prob": np.abs(c[top]) + 0.5 * q[rows, top] + np.log(mix.n_components) + np.abs(logsumexp(ell, axis=1)),
        "score": np.einsum("nk,nki->ni", r, np.abs(s)),
        "hessian": np.einsum("nk,nkij->nij", r, np.abs(s[:, :, :, None] * s[:, :, None, :]) + np.abs(prec)[None])
        + np.abs(g[:, :, None] * g[:, None, :]),
        "laplacian": np.einsum("nk,nk->n", r, (s**2).sum(-1) + np.trace(prec, axis1=1, axis2=2)) + (g**2).sum(-1),
        "responsibilities": r,
    }


def posterior_mean_magnitude(mix: GaussianMixture, x: np.ndarray, alpha: float, sigma: float) -> np.ndarray:
    """Σ|terms| of Tweedie's Σ_k r_k μ_k - α Σ_k Σ_k r_k s_k (s_k, r_k of the diffused mixture), each entry
    of α Σ_k s_k also carrying the relative error κ_k = (ac + b²)/(ac - b²) of C_k⁻¹'s closed-form determinant."""
    pt = mix.diffused(alpha, sigma)
    r = term_magnitudes(pt, x)["responsibilities"]
    cov = pt.covs
    kappa = (cov[:, 0, 0] * cov[:, 1, 1] + cov[:, 0, 1] ** 2) / np.linalg.det(cov)
    s = -np.einsum("kij,nkj->nki", np.linalg.inv(cov), x[:, None, :] - alpha * mix.means[None])
    pulled = np.abs(alpha) * np.einsum("kij,nkj->nki", np.abs(mix.covs), np.abs(s)) * kappa[None, :, None]
    return np.einsum("nk,nki->ni", r, np.abs(mix.means)[None] + pulled)


# ---------------------------------------------------------------------------- independent references
def torch_log_prob(weights, means, covs, x: torch.Tensor) -> torch.Tensor:
    """log Σ_k π_k N(x; μ_k, Σ_k) written directly in torch from the raw parameters."""
    w = torch.as_tensor(np.asarray(weights, dtype=np.float64))
    mvn = torch.distributions.MultivariateNormal(
        torch.as_tensor(np.asarray(means, dtype=np.float64)),
        covariance_matrix=torch.as_tensor(np.asarray(covs, dtype=np.float64)),
    )
    return torch.logsumexp(mvn.log_prob(x[:, None, :]) + torch.log(w / w.sum()), dim=1)


def torch_score_hessian(weights, means, covs, x: np.ndarray):
    """log p, ∇log p and ∇²log p at each point by torch autograd (points are independent, so the
    gradient of the sum gives per-point gradients, and differentiating each gradient component again
    gives the Hessian rows)."""
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    lp = torch_log_prob(weights, means, covs, xt)
    (grad,) = torch.autograd.grad(lp.sum(), xt, create_graph=True)
    rows = [torch.autograd.grad(grad[:, i].sum(), xt, retain_graph=True)[0] for i in range(2)]
    hess = torch.stack(rows, dim=1)  # [n, i, j] = ∂²/∂x_i∂x_j
    return lp.detach().numpy(), grad.detach().numpy(), hess.detach().numpy()


def scipy_component_logpdf(weights, means, covs, x):
    w = np.asarray(weights, dtype=np.float64)
    w = w / w.sum()
    return np.stack(
        [np.log(w[k]) + stats.multivariate_normal(means[k], covs[k]).logpdf(x) for k in range(len(w))], axis=1
    )


def assert_rel_close(actual, ref, rtol=RTOL, atol=1e-10, what=""):
    """Per point: ‖actual - ref‖ ≤ rtol ‖ref‖ + atol (norms over all but the first axis)."""
    actual, ref = np.asarray(actual), np.asarray(ref)
    assert actual.shape == ref.shape, (what, actual.shape, ref.shape)
    err = np.linalg.norm((actual - ref).reshape(len(ref), -1), axis=1)
    scale = np.linalg.norm(ref.reshape(len(ref), -1), axis=1)
    bad = err > rtol * scale + atol
    assert not bad.any(), (
        f"{what}: worst relative error {np.max(err / (scale + atol)):.3g} at {np.flatnonzero(bad)[:5]}"
    )


def test_points(mix: GaussianMixture, rng: np.random.Generator, n: int = 120) -> np.ndarray:
    """Points where the closed forms are exercised: samples, the bounding box (between modes) and far tails."""
    xmin, xmax, ymin, ymax = mix.bounds(4.0)
    box = rng.uniform([xmin, ymin], [xmax, ymax], size=(n, 2))
    far = rng.standard_normal((n // 4, 2))
    far *= 4 * max(xmax - xmin, ymax - ymin) / np.linalg.norm(far, axis=1, keepdims=True)
    return np.concatenate([mix.sample(n, rng), box, far])


test_points.__test__ = False  # a helper, not a test


def random_mixture(rng: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw (unnormalised weights, means, full covariances) with condition numbers up to ~400."""
    weights = rng.uniform(0.05, 1.0, k)
    means = rng.uniform(-4, 4, (k, 2))
    angle = rng.uniform(0, np.pi, k)
    rot = np.stack([np.stack([np.cos(angle), -np.sin(angle)], -1), np.stack([np.sin(angle), np.cos(angle)], -1)], -2)
    scales = rng.uniform(0.05, 1.0, (k, 2))
    covs = rot @ (scales[:, :, None] ** 2 * np.eye(2)) @ np.swapaxes(rot, 1, 2)
    return weights, means, covs


# ---------------------------------------------------------------------------- log p, score, Hessian
@pytest.mark.parametrize("key", PRESET_KEYS)
def test_presets_match_torch_autograd(key):
    mix = load_preset(key)
    x = test_points(mix, np.random.default_rng(PRESET_KEYS.index(key)))
    lp, grad, hess = torch_score_hessian(mix.weights, mix.means, mix.covs, x)
    assert_rel_close(mix.log_prob(x)[:, None], lp[:, None], what="log_prob")
    assert_rel_close(mix.score(x), grad, what="score")
    assert_rel_close(mix.hessian(x), hess, what="hessian")
    assert_rel_close(mix.laplacian(x)[:, None], np.trace(hess, axis1=1, axis2=2)[:, None], what="laplacian")


@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(k=st.integers(1, 12), seed=st.integers(0, 2**32 - 1))
def test_random_full_covariance_mixtures_match_torch_autograd(k, seed):
    rng = np.random.default_rng(seed)
    w, mu, cov = random_mixture(rng, k)
    mix = GaussianMixture(w, mu, cov)
    x = test_points(mix, rng, n=40)
    lp, grad, hess = torch_score_hessian(w, mu, cov, x)
    assert_rel_close(mix.log_prob(x)[:, None], lp[:, None], what="log_prob")
    assert_rel_close(mix.score(x), grad, what="score")
    assert_rel_close(mix.hessian(x), hess, what="hessian")
    assert_rel_close(mix.laplacian(x)[:, None], np.trace(hess, axis1=1, axis2=2)[:, None], what="laplacian")


@pytest.mark.parametrize("key", ["ring8", "pinwheel", "smiley"])
def test_score_and_hessian_match_finite_differences(key):
    """Central differences of log_prob (error O(h²) ≈ 1e-9 relative with h = 1e-5·scale) at points where
    the density is not tiny; a second, torch-free check of the derivatives."""
    mix = load_preset(key)
    rng = np.random.default_rng(7)
    x = mix.sample(60, rng) + 0.3 * rng.standard_normal((60, 2)) * np.sqrt(mix.covs[:, 0, 0].min())
    h = 1e-5 * np.sqrt(mix.covs[:, 0, 0].min())
    e = np.eye(2) * h
    fd_score = np.stack([(mix.log_prob(x + e[i]) - mix.log_prob(x - e[i])) / (2 * h) for i in range(2)], 1)
    fd_hess = np.stack([(mix.score(x + e[i]) - mix.score(x - e[i])) / (2 * h) for i in range(2)], 1)
    assert_rel_close(mix.score(x), fd_score, rtol=1e-6, atol=1e-6, what="score vs FD")
    assert_rel_close(mix.hessian(x), fd_hess, rtol=1e-6, atol=1e-6, what="hessian vs FD")
    assert np.allclose(mix.hessian(x), np.swapaxes(mix.hessian(x), 1, 2), rtol=0, atol=0)


@pytest.mark.parametrize("key", ["checkerboard", "smiley", "pinwheel", "ncsn_fig3"])
def test_log_prob_and_responsibilities_match_scipy(key):
    mix = load_preset(key)
    x = test_points(mix, np.random.default_rng(3), n=80)
    comp = scipy_component_logpdf(mix.weights, mix.means, mix.covs, x)
    mags = term_magnitudes(mix, x)
    # rtol 1e-10 for scipy's own (eigendecomposition) route; plus rounding of the terms, for log p near 0
    assert_within_rounding(mix.log_prob(x), logsumexp(comp, axis=1), mags["log_prob"], "log_prob", rtol=1e-10)
    resp = mix.responsibilities(x)
    np.testing.assert_allclose(resp, np.exp(comp - logsumexp(comp, axis=1, keepdims=True)), rtol=1e-8, atol=1e-14)
    assert_within_rounding(resp.sum(1), np.ones(len(x)), 1.0, "Σ_k p(k | x)")  # K terms summing to 1


@pytest.mark.parametrize("key", ["pinwheel", "smiley", "grid25"])
def test_density_integrates_to_one(key):
    """Riemann sum of exp(log_prob) on a grid 1/8 of the narrowest standard deviation apart, over a box
    holding all mass to 10σ. For smooth, fully decayed integrands this rule is spectrally accurate."""
    mix = load_preset(key)
    xmin, xmax, ymin, ymax = mix.bounds(10.0)
    h = np.sqrt(np.linalg.eigvalsh(mix.covs).min()) / 8
    gx, gy = np.arange(xmin, xmax, h), np.arange(ymin, ymax, h)
    xx, yy = np.meshgrid(gx, gy, indexing="ij")
    total = np.exp(mix.log_prob(np.stack([xx.ravel(), yy.ravel()], 1))).sum() * h * h
    assert total == pytest.approx(1.0, abs=1e-8)


def test_input_shapes():
    mix = load_preset("ring8")
    assert mix.log_prob([2.0, 0.0]).shape == (1,)
    assert mix.score(np.zeros((0, 2))).shape == (0, 2)
    assert mix.hessian([[0.0, 0.0], [1.0, 1.0]]).shape == (2, 2, 2)
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        mix.score(np.zeros((4, 3)))


# ---------------------------------------------------------------------------- conditional and classes
@pytest.mark.parametrize("key", PRESET_KEYS)
def test_conditional_matches_the_joint(key):
    """p(x₂ | x₁) = p(x₁, x₂) / ∫ p(x₁, y) dy. The integrals (normaliser and first moment) are Riemann sums
    of the 2D density along the line x = x₁, with spacing 1/10 of the narrowest standard deviation over
    ±12σ: for a fully decayed sum of Gaussians this rule is accurate to ~1e-12."""
    mix = load_preset(key)
    rng = np.random.default_rng(11)
    ymin, ymax = mix.bounds(12.0)[2:]
    h = np.sqrt(np.linalg.eigvalsh(mix.covs).min()) / 10
    y = np.arange(ymin, ymax, h)
    for x1 in mix.sample(3, rng)[:, 0]:
        joint = np.exp(mix.log_prob(np.stack([np.full_like(y, x1), y], 1)))
        marg, first = joint.sum() * h, (y * joint).sum() * h
        cond = mix.conditional_x2_given_x1(x1)
        assert isinstance(cond, Mixture1D)
        assert_within_rounding(cond.weights.sum(), 1.0, 1.0, "conditional weights sum")  # K terms, Σ = 1
        np.testing.assert_allclose(np.exp(cond.log_prob(y)), joint / marg, rtol=1e-8, atol=1e-12 * joint.max() / marg)
        assert cond.mean() == pytest.approx(first / marg, rel=1e-8, abs=1e-8)
        # the CDF: limits, and its derivative (central difference, error ~1e-9) is the density
        assert cond.cdf(ymin) < 1e-12 and cond.cdf(ymax) > 1 - 1e-12
        q = cond.means + np.sqrt(cond.variances) * rng.uniform(-2, 2, cond.means.shape)
        d = 1e-5
        np.testing.assert_allclose(
            (cond.cdf(q + d) - cond.cdf(q - d)) / (2 * d), np.exp(cond.log_prob(q)), rtol=1e-6, atol=1e-9
        )
        assert np.all(np.diff(cond.cdf(np.sort(q))) >= 0)


def test_four_corners_inpainting_answer():
    """The preset's documented exact answer: P(x₂ > 0 | x₁ = 2) = 0.1 / (0.1 + 0.4) = 0.2 (the x₁ = -2 modes
    contribute ~e^{-89}; the (2, -2) mode puts 0.8·Φ(-6.7) ≈ 1e-11 above 0)."""
    cond = load_preset("four_corners").conditional_x2_given_x1(2.0)
    assert 1 - cond.cdf(0.0) == pytest.approx(0.2, abs=1e-10)


@pytest.mark.parametrize("key", PRESET_KEYS)
def test_class_sub_mixtures(key):
    mix = load_preset(key)
    x = test_points(mix, np.random.default_rng(5), n=50)
    cw = mix.class_weights()
    assert sorted(cw) == mix.classes.tolist() and len(cw) >= 2
    assert_within_rounding(sum(cw.values()), 1.0, 1.0, "class weights sum")  # K weights summing to 1
    parts, posts = [], []
    for c, pc in cw.items():
        sub = mix.for_class(c)
        mask = mix.labels == c
        np.testing.assert_array_equal(sub.means, mix.means[mask])
        np.testing.assert_array_equal(sub.covs, mix.covs[mask])
        assert (sub.labels == c).all()
        assert_within_rounding(sub.weights, mix.weights[mask] / pc, sub.weights, "renormalised weights")
        parts.append(np.log(pc) + sub.log_prob(x))
        posts.append(mix.class_posterior(x, c))
        # Bayes: p(c | x) = P(c) p(x | c) / p(x)
        np.testing.assert_allclose(posts[-1], np.exp(parts[-1] - mix.log_prob(x)), rtol=1e-8, atol=1e-300)
    # p(x) = Σ_c P(c) p(x | c): the terms are each class's log-density terms and log P(c)
    part_terms = [np.abs(np.log(pc)) + term_magnitudes(mix.for_class(c), x)["log_prob"] for c, pc in cw.items()]
    scale = term_magnitudes(mix, x)["log_prob"] + np.max(part_terms, axis=0)
    assert_within_rounding(logsumexp(np.stack(parts), axis=0), mix.log_prob(x), scale, "Σ_c P(c) p(x | c)")
    assert_within_rounding(np.sum(posts, axis=0), np.ones(len(x)), 1.0, "Σ_c p(c | x)")
    with pytest.raises(MixtureError, match="no component has class label 99"):
        mix.for_class(99)


# ---------------------------------------------------------------------------- diffused mixtures
@pytest.mark.parametrize("alpha,sigma", [(1.0, 0.0), (0.8, 0.6), (0.05, 1.0), (0.0, 1.0), (1.0, 80.0), (-0.5, 0.3)])
def test_diffused_parameters(alpha, sigma):
    mix = load_preset("pinwheel")
    pt = mix.diffused(alpha, sigma)
    np.testing.assert_allclose(pt.means, alpha * mix.means, rtol=0, atol=0)
    terms = alpha**2 * np.abs(mix.covs) + sigma**2 * np.eye(2)
    assert_within_rounding(pt.covs, alpha**2 * mix.covs + sigma**2 * np.eye(2), terms, "α²Σ + σ²I")
    np.testing.assert_array_equal(pt.weights, mix.weights)
    np.testing.assert_array_equal(pt.labels, mix.labels)
    # the fast constructor must agree with validating the same parameters from scratch
    ref = GaussianMixture(mix.weights, alpha * mix.means, alpha**2 * mix.covs + sigma**2 * np.eye(2), mix.labels)
    x = test_points(mix, np.random.default_rng(2), n=30)
    mags = term_magnitudes(ref, x)
    assert_within_rounding(pt.log_prob(x), ref.log_prob(x), mags["log_prob"], "diffused log_prob")
    assert_within_rounding(pt.score(x), ref.score(x), mags["score"], "diffused score")


def test_diffused_rejects_degenerate_noise_levels():
    mix = load_preset("ring8")
    with pytest.raises(MixtureError, match="singular"):
        mix.diffused(0.0, 0.0)
    with pytest.raises(ValueError, match="finite"):
        mix.diffused(np.nan, 1.0)
    with pytest.raises(ValueError, match="finite"):
        mix.diffused(1.0, np.inf)


# ---------------------------------------------------------------------------- validation
BAD_MIXTURES = [
    ("empty", dict(weights=[], means=np.zeros((0, 2)), covs=np.zeros((0, 2, 2))), "non-empty"),
    ("weights 2D", dict(weights=[[1.0]], means=[[0, 0]], covs=[1.0]), "non-empty 1D"),
    ("means shape", dict(weights=[1, 1], means=[[0, 0, 0], [1, 1, 1]], covs=[1, 1]), r"means must have shape \(2, 2\)"),
    ("3D means", dict(weights=[1], means=[[0, 0, 0]], covs=[1.0]), "means must have shape"),
    ("covs shape", dict(weights=[1, 1], means=[[0, 0], [1, 1]], covs=np.ones((2, 3, 3))), "covs must have shape"),
    ("NaN mean", dict(weights=[1, 1], means=[[0, np.nan], [1, 1]], covs=[1, 1]), "means contain NaN"),
    ("inf weight", dict(weights=[1, np.inf], means=[[0, 0], [1, 1]], covs=[1, 1]), "weights contain NaN or inf"),
    ("NaN cov", dict(weights=[1], means=[[0, 0]], covs=[[[1, 0], [0, np.nan]]]), "covs contain NaN"),
    ("zero weight", dict(weights=[1, 0], means=[[0, 0], [1, 1]], covs=[1, 1]), r"positive; components \[1\]"),
    ("negative weight", dict(weights=[-1, 2], means=[[0, 0], [1, 1]], covs=[1, 1]), r"positive; components \[0\]"),
    ("asymmetric", dict(weights=[1], means=[[0, 0]], covs=[[[1, 0.5], [0, 1]]]), "symmetric"),
    ("not PD", dict(weights=[1, 1], means=[[0, 0], [1, 1]], covs=[np.eye(2), [[1, 2], [2, 1]]]), r"definite.*\[1\]"),
    ("negative var", dict(weights=[1], means=[[0, 0]], covs=[[[-1, 0], [0, -1]]]), "positive definite"),
    ("zero std", dict(weights=[1, 1], means=[[0, 0], [1, 1]], covs=[0.5, 0.0]), "positive definite"),
    ("float labels", dict(weights=[1, 1], means=[[0, 0], [1, 1]], covs=[1, 1], labels=[0.5, 1]), "labels must be 2"),
    ("label count", dict(weights=[1, 1], means=[[0, 0], [1, 1]], covs=[1, 1], labels=[0]), "labels must be 2"),
    (
        "weights underflow",
        dict(weights=[1e-300, 1e300], means=[[0, 0], [1, 1]], covs=[1, 1]),
        r"components \[0\] underflow",
    ),
]


@pytest.mark.parametrize("spec,match", [(b[1], b[2]) for b in BAD_MIXTURES], ids=[b[0] for b in BAD_MIXTURES])
def test_bad_mixtures_raise_clear_errors(spec, match):
    with pytest.raises(MixtureError, match=match):
        GaussianMixture(**spec)
    assert issubclass(MixtureError, ValueError)


def test_constructor_normalises_and_symmetrises():
    cov = np.array([[[1.0, 0.3], [0.3 + 1e-13, 2.0]]])
    mix = GaussianMixture([3.0], [[1.0, 2.0]], cov, labels=np.array([4], dtype=np.int8))
    assert mix.weights.tolist() == [1.0]
    np.testing.assert_array_equal(mix.covs, np.swapaxes(mix.covs, 1, 2))
    assert mix.labels.dtype.kind == "i" and mix.classes.tolist() == [4]
    huge = GaussianMixture([1e308, 1.5e308], [[0, 0], [1, 1]], [1.0, 1.0])  # the sum would overflow
    assert_within_rounding(huge.weights, [0.4, 0.6], [0.4, 0.6], "huge weights normalised")
    iso = GaussianMixture([1, 3], [[0, 0], [1, 1]], [0.5, 2.0])
    np.testing.assert_allclose(iso.covs, [0.25 * np.eye(2), 4.0 * np.eye(2)])
    np.testing.assert_allclose(iso.weights, [0.25, 0.75])


# ---------------------------------------------------------------------------- sampling
@pytest.mark.parametrize("key", ["pinwheel", "smiley", "ncsn_fig3"])
def test_sample_moments_and_component_frequencies(key):
    mix = load_preset(key)
    n = 100_000
    x, k = mix.sample(n, np.random.default_rng(2024), return_components=True)
    mean = mix.weights @ mix.means
    second = np.einsum("k,kij->ij", mix.weights, mix.covs + mix.means[:, :, None] * mix.means[:, None, :])
    cov = second - np.outer(mean, mean)
    # sample mean: standard error √(diag cov / n); 5 SE ⇒ false-failure rate < 1e-6 per coordinate
    assert np.all(np.abs(x.mean(0) - mean) < 5 * np.sqrt(np.diag(cov) / n))
    # covariance entries: relative error ~ √(2/n) ≈ 0.5 %; 4 % bound is > 8 SE even for the heavy mixtures
    np.testing.assert_allclose(np.cov(x.T), cov, rtol=0.04, atol=0.04 * np.abs(cov).max())
    # component labels: chi-square goodness of fit; p < 1e-4 rejects (false-failure rate 1e-4)
    counts = np.bincount(k, minlength=mix.n_components)
    assert stats.chisquare(counts, n * mix.weights).pvalue > 1e-4
    # within each component the draws are that Gaussian: exact whitening gives mean 0, identity covariance
    for j in range(min(mix.n_components, 3)):
        z = np.linalg.solve(np.linalg.cholesky(mix.covs[j]), (x[k == j] - mix.means[j]).T).T
        assert stats.kstest(z[:, 0], "norm").pvalue > 1e-4 and stats.kstest(z[:, 1], "norm").pvalue > 1e-4


def test_sampling_is_reproducible():
    mix = load_preset("ring8")
    a = mix.sample(100, np.random.default_rng(1))
    b = mix.sample(100, np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)


def test_bounds_hold_every_component():
    for key in PRESET_KEYS:
        mix = load_preset(key)
        xmin, xmax, ymin, ymax = mix.bounds(3.0)
        sd = np.sqrt(np.stack([mix.covs[:, 0, 0], mix.covs[:, 1, 1]], 1))
        slack = ROUNDING * (np.abs(mix.means) + 3 * sd)  # μ ± 3σ rounds by ε·(|μ| + 3σ)
        assert np.all(mix.means - 3 * sd >= np.array([xmin, ymin]) - slack)
        assert np.all(mix.means + 3 * sd <= np.array([xmax, ymax]) + slack)


def test_min_variance_and_plot_box():
    """σ_min² is the smallest variance along any direction of any component (the smaller root of each 2×2
    covariance's characteristic polynomial); the plot box is square and holds the 3-std bounds."""
    for key in PRESET_KEYS:
        mix = load_preset(key)
        a, b, c = mix.covs[:, 0, 0], mix.covs[:, 0, 1], mix.covs[:, 1, 1]
        roots = 0.5 * (a + c) - np.sqrt(0.25 * (a - c) ** 2 + b**2)
        assert mix.min_variance == pytest.approx(roots.min(), rel=1e-9)
        x0, x1, y0, y1 = plot_box(mix)
        bx0, bx1, by0, by1 = mix.bounds(3.0)
        assert x1 - x0 == pytest.approx(y1 - y0) and x0 < bx0 and x1 > bx1 and y0 < by0 and y1 > by1


# ---------------------------------------------------------------------------- scale
def test_hundred_thousand_points_by_two_hundred_components_is_chunked_and_memory_bounded():
    """10⁵ × 200 = 2·10⁷ point-component pairs: the code evaluates them in blocks of points (a Python loop
    over ~300 blocks, never over points), so the work arrays stay small. The dense (N, K, 2) scores alone
    would be 320 MB; we require the traced peak (numpy reports its buffers to tracemalloc) to stay under
    64 MB including the outputs."""
    rng = np.random.default_rng(0)
    w, mu, cov = random_mixture(rng, 200)
    mix = GaussianMixture(w, mu, cov)
    x = rng.uniform(-6, 6, (100_000, 2))
    tracemalloc.start()
    try:
        lp = mix.log_prob(x)
        sc = mix.score(x)
        x0 = mix.posterior_mean_x0(x, 0.6, 0.8)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64e6, f"peak traced memory {peak / 1e6:.0f} MB"
    assert np.isfinite(lp).all() and np.isfinite(sc).all() and np.isfinite(x0).all()
    # blocks are independent: a slice evaluated on its own gives the same numbers
    sl = slice(31_337, 31_337 + 500)
    mags = term_magnitudes(mix, x[sl])
    assert_within_rounding(mix.log_prob(x[sl]), lp[sl], mags["log_prob"], "log_prob of a slice")
    assert_within_rounding(mix.score(x[sl]), sc[sl], mags["score"], "score of a slice")
    # and one of them against torch
    lp_t, grad_t, _ = torch_score_hessian(w, mu, cov, x[sl][:100])
    assert_rel_close(sc[sl][:100], grad_t, what="score at scale")


def test_chunk_size_does_not_change_results(monkeypatch):
    """Blocks of 7 points give the default blocks' numbers, to rounding of each entry's terms: the sums over
    components run in BLAS or SIMD kernels whose order depends on the block shape and the CPU (a Hessian
    entry of -0.0218 made from terms of ~30 differed by 7e-15, i.e. 3.3e-13 relative, on another machine)."""
    mix = load_preset("checkerboard")
    x = test_points(mix, np.random.default_rng(9), n=300)
    names = ["log_prob", "score", "hessian", "laplacian", "responsibilities", "posterior_mean_x0"]

    def evaluate():
        out = [mix.log_prob(x), mix.score(x), mix.hessian(x), mix.laplacian(x), mix.responsibilities(x)]
        return [*out, mix.posterior_mean_x0(x, 0.9, 0.3)]

    ref = evaluate()
    monkeypatch.setattr(mixture_module, "_CHUNK_ENTRIES", 7 * mix.n_components + 3)  # blocks of 7 points
    out = evaluate()
    mags = term_magnitudes(mix, x)
    mags["posterior_mean_x0"] = posterior_mean_magnitude(mix, x, 0.9, 0.3)
    for name, a, b in zip(names, out, ref, strict=True):
        assert_within_rounding(a, b, mags[name], name)


# ---------------------------------------------------------------------------- Mixture1D
def test_mixture1d_is_a_normalised_density():
    m = Mixture1D(np.array([0.3, 0.7]), np.array([-1.0, 2.0]), np.array([0.25, 1.5]))
    total, _ = integrate.quad(lambda y: float(np.exp(m.log_prob(y))), -30, 30, points=[-1, 2], epsabs=1e-13)
    assert total == pytest.approx(1.0, abs=1e-10)
    assert m.mean() == pytest.approx(0.3 * -1 + 0.7 * 2)
    ref = 0.3 * stats.norm.cdf(0.5, -1, 0.5) + 0.7 * stats.norm.cdf(0.5, 2, np.sqrt(1.5))
    assert_within_rounding(m.cdf(0.5), ref, ref, "Mixture1D cdf")  # two positive terms: Σ|terms| = value
