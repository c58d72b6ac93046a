"""The exact reverse kernel q(x_s | x_t) of core/reverse_kernel.py against independent computations: it
integrates to 1, matches a Monte Carlo of x₀ ~ p(x₀ | x_t) (rejection sampling) then x_s ~ q(x_s | x_t, x₀), its
moments are Tweedie's (the Hessian route of core/samplers/optimal.py), its one-step KL to the best Gaussian is
the entropy gap of the data, and ancestral sampling with it reaches the noise floor in one step."""

from __future__ import annotations

import numpy as np
import pytest

from core.dataspec import data_bandwidth, load_data
from core.grids import make_grid
from core.metrics import data_noise_floor, mmd2, noise_floor
from core.models import ExactDenoiser
from core.processes import make_process
from core.reverse_kernel import ReverseKernel, ancestral_samples, gaussian_kl, step_kls
from core.samplers.ancestral import posterior
from core.samplers.optimal import step_moments
from core.samplers.registry import initial_noise

PROCESS = make_process("ddpm")
FLOOR_3 = 3.0  # a 3-seed mean of exact sample sets stays under ~2.5 floor units (core/evaluate.py)


def _kernel(preset: str, t: int, s: int) -> ReverseKernel:
    """The jump t → s of DDPM's chain (s = -1: clean data)."""
    a_s, s_s = (1.0, 0.0) if s < 0 else (float(PROCESS.alpha(s)), float(PROCESS.sigma(s)))
    return ReverseKernel(load_data(preset), float(PROCESS.alpha(t)), float(PROCESS.sigma(t)), a_s, s_s)


@pytest.mark.parametrize(("preset", "t", "s"), [("ring8", 999, -1), ("ring8", 500, 300), ("moons", 300, 200)])
def test_kernel_integrates_to_one(preset, t, s):
    kernel = _kernel(preset, t, s)
    x_t = load_data(preset).diffused(kernel.a_t, kernel.s_t).sample(1, np.random.default_rng(3))
    x0, x1, y0, y1 = kernel.at(x_t).bounds(6.0)
    xs, ys = np.linspace(x0, x1, 500), np.linspace(y0, y1, 500)
    pts = np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2)
    density = np.exp(kernel.at(x_t).log_prob(pts)).reshape(500, 500)
    total = np.trapezoid(np.trapezoid(density, xs, axis=1), ys)
    assert total == pytest.approx(1.0, abs=2e-3)
    # the paired-row density (used for the KL) is the same law, point by point
    some = pts[:: len(pts) // 200]
    np.testing.assert_allclose(
        kernel.log_prob(some, np.repeat(x_t, len(some), 0)), kernel.at(x_t).log_prob(some), rtol=1e-9, atol=1e-9
    )


def _monte_carlo(kernel: ReverseKernel, x_t: np.ndarray, n: int, rng) -> np.ndarray:
    """x₀ ~ p(x₀ | x_t) by rejection from p₀ (accept with N(x_t; α x₀, σ²I) / its maximum), then x_s from the
    Gaussian posterior q(x_s | x_t, x₀): no use of the kernel's mixture form."""
    mixture, out = kernel.mixture, []
    c_x, c_0, _, beta_tilde = posterior(kernel.a_t, kernel.s_t, kernel.a_s, kernel.s_s)
    while sum(len(o) for o in out) < n:
        x0 = mixture.sample(20 * n, rng)
        accept = np.exp(-0.5 * ((x_t - kernel.a_t * x0) ** 2).sum(1) / kernel.s_t**2) > rng.random(len(x0))
        out.append(x0[accept])
    x0 = np.concatenate(out)[:n]
    return c_x * x_t + c_0 * x0 + np.sqrt(beta_tilde) * rng.standard_normal((n, 2))


@pytest.mark.parametrize(("preset", "t", "s"), [("ring8", 700, 200), ("moons", 400, -1)])
def test_kernel_matches_monte_carlo(preset, t, s):
    """MMD² (closed form on the kernel's side) of the Monte Carlo draws is within the noise floor of exact draws
    from the kernel; the moment-matched Gaussian, a different law with the same two moments, is far outside it."""
    kernel = _kernel(preset, t, s)
    rng = np.random.default_rng(0)
    x_t = load_data(preset).diffused(kernel.a_t, kernel.s_t).sample(1, rng)
    law = kernel.at(x_t)
    h = data_bandwidth(preset)
    n = 1000
    floor = noise_floor(law, "mmd2", n, h, repeats=100)
    draws = _monte_carlo(kernel, x_t, n, rng)
    assert abs(floor.in_units(mmd2(draws, law, h))) < 4
    mean, cov = kernel.moments(x_t)
    gauss = mean + rng.standard_normal((n, 2)) @ np.linalg.cholesky(cov[0]).T
    assert floor.in_units(mmd2(gauss, law, h)) > 20


def test_moments_are_tweedies():
    """The kernel's mean and covariance by total covariance over its components equal Tweedie's second-order
    formula through the mixture's Hessian (core/samplers/optimal.py), to rounding."""
    for preset, t, s in [("ring8", 500, 400), ("grid25", 900, -1), ("spiral", 100, 20)]:
        kernel = _kernel(preset, t, s)
        x = load_data(preset).diffused(kernel.a_t, kernel.s_t).sample(50, np.random.default_rng(1))
        mean, cov = kernel.moments(x)
        mean2, cov2, _ = step_moments(
            ExactDenoiser(load_data(preset)), x, kernel.a_t, kernel.s_t, kernel.a_s, kernel.s_s
        )
        np.testing.assert_allclose(mean, mean2, atol=1e-9)
        np.testing.assert_allclose(cov, cov2, atol=1e-8 * max(1.0, np.abs(cov2).max()))
        np.testing.assert_allclose(kernel.ddpm_gaussian(x)[0], mean, atol=1e-9)


def test_one_step_kl_is_the_entropy_gap():
    """At K = 1 from t = 999 (α ≈ 0.006) the kernel is nearly p₀ itself, so its KL to the best Gaussian is
    H(N(0, Cov p₀)) − H(p₀), with H(p₀) = −E log p₀ by an independent Monte Carlo."""
    mixture = load_data("ring8")
    grid = make_grid(PROCESS, "trailing", 1)
    kl = step_kls(mixture, grid, 4000, seed=0)
    x = mixture.sample(20000, np.random.default_rng(5))
    entropy = -mixture.log_prob(x).mean()
    cov = np.cov(x.T, bias=False)
    gap = 0.5 * np.log(np.linalg.det(2 * np.pi * np.e * cov)) - entropy
    draws = gaussian_kl(ReverseKernel(mixture, grid.alpha[0], grid.sigma[0], 1.0, 0.0),
                        mixture.diffused(grid.alpha[0], grid.sigma[0]).sample(4000, np.random.default_rng(0)),
                        np.random.default_rng(1))  # fmt: skip
    se = draws.std() / np.sqrt(len(draws)) + mixture.log_prob(x).std() / np.sqrt(len(x))
    assert kl[0] == pytest.approx(gap, abs=4 * se + 0.01)
    # the KL shrinks with the step: many small steps are nearly Gaussian
    assert step_kls(mixture, make_grid(PROCESS, "trailing", 50), 500, seed=0).sum() < 0.1 * kl[0]


@pytest.mark.parametrize("preset", ["ring8", "moons", "grid25"])
def test_ancestral_exact_kernel_reaches_the_floor_in_one_step(preset):
    mixture = load_data(preset)
    floor = data_noise_floor(preset, "mmd2", 2000)
    units = []
    for seed in range(3):
        samples = ancestral_samples(preset, "exact", 1, 2000, seed)  # the registry's exact_kernel sampler
        units.append(floor.in_units(mmd2(samples, mixture, data_bandwidth(preset))))
    assert np.mean(units) < FLOOR_3, units


def test_refuses_a_jump_up():
    with pytest.raises(ValueError, match="smaller noise level"):
        _kernel("ring8", 200, 300)


def test_the_registered_sampler_is_the_kernel_step_by_step():
    """The registry's `exact_kernel` row draws each step from ReverseKernel.sample with the run's noise, and spends
    one model evaluation (x̂₀, recorded) per step: an independent loop over the kernel from the same start and the
    same generator gives the same samples bit for bit."""
    from core.samplers.registry import run_sampler

    mixture = load_data("moons")
    grid = make_grid(make_process("ddpm", mixture), "trailing", 4)
    res = run_sampler("exact_kernel", ExactDenoiser(mixture), grid, 300, 3, n_paths=300)
    rng = np.random.default_rng(3)
    x = initial_noise(grid, 300, rng)
    for i in range(grid.n_steps):
        jump = [float(v) for v in (grid.alpha[i], grid.sigma[i], grid.alpha[i + 1], grid.sigma[i + 1])]
        x = ReverseKernel(mixture, *jump).sample(x, rng)
    np.testing.assert_array_equal(res.samples, x)
    assert res.nfe == 4 and np.all(np.isfinite(res.denoised))


def test_the_registered_sampler_needs_the_exact_mixture_and_alpha_above_zero():
    from core.samplers.registry import run_sampler

    class Opaque:  # a denoiser that is not the exact mixture's (a learned model, say)
        def __init__(self, inner):
            self.denoise = inner.denoise

    mixture = load_data("ring8")
    grid = make_grid(make_process("ddpm", mixture), "trailing", 2)
    with pytest.raises(ValueError, match="use the exact model"):
        run_sampler("exact_kernel", Opaque(ExactDenoiser(mixture)), grid, 10, 0)
    with pytest.raises(ValueError, match="α > 0"):
        run_sampler("exact_kernel", ExactDenoiser(mixture), make_grid(make_process("flow"), "linspace", 2), 10, 0)
