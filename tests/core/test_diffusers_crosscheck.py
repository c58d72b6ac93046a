"""Issue 8, cross-checks: our samplers against diffusers' schedulers on identical inputs.

Identical inputs means: the same initial tensor, the same per-step noise, the same noise levels and the
same exact model (ε̂ = (x - α x̂₀)/σ fed to diffusers, x̂₀ to ours). Tolerances:

* ATOL = 1e-6 max abs where diffusers' arithmetic on the sample is float64;
* RTOL32 = 1e-5 relative (max|ours - theirs| / max|theirs|) where diffusers computes in float32 inside
  `step` (stated at each test).

Conventions that differ, and how each test matches them:

* diffusers stores β, ᾱ and σ in float32. DDIM/DDPM `step` then does all its coefficient arithmetic in
  float32, e.g. β_t = 1 - ᾱ_t/ᾱ_prev, which cancels catastrophically when steps are short (relative error
  ≈ 2⁻²⁴/β_t): against the stock scheduler the difference grows with the number of steps (measured
  2e-6 relative at 20 DDPM steps, 5e-5 at 100, 3e-4 at 1000). `step` runs in float64 when the tensors it
  reads are float64, so the float64 checks give the scheduler our float64 ᾱ table (DiscreteVP; within
  float32 accumulation error of diffusers' own, checked below) and compare with our `timestep_grid`
  directly. The stock float32 scheduler is checked separately at 20 steps, with ᾱ read from its table.
* DDIM's `step` always goes to t - T//n, which is the next listed timestep for "leading" spacing and for
  "trailing" when n divides T (for "linspace", or "trailing" with n = 7, it is not). We cross-check
  DDIM on leading (any n) and trailing with n | T. DDPMScheduler looks the next timestep up in its list, so
  any spacing matches; when the list does not end at t = 0 it still "adds" noise at the final step, with
  standard deviation √1e-20 (its variance clamp), which we do not.
* Final step: DDIM's set_alpha_to_one=True (the default) = our clean-data node t = -1 with ᾱ = 1.
  DDPM adds no noise at t = 0, nor does ours into σ = 0. DPM-Solver++ and the Euler family append σ = 0;
  the last step is x̂₀ (DPM++ forces first order there; Euler's step to σ = 0 is x̂₀; Heun's last
  interval is an Euler step, as in EDM Algorithm 1).
* DPMSolverMultistepScheduler's timesteps differ from our timestep_grid ("leading" steps by T//(n+1)
  and stops before t = 0), so our grid is built from its `sigmas`. Lower-order steps: diffusers' 2M takes
  the last step first order and, with solver_order=2, never the one before it (its `lower_order_final`
  only caps order-3 solvers at 2 there). Our `lower_order_final=True` makes step n-2 first order when
  n < 15, so below 15 steps we match with `lower_order_final=False`; from 15 steps on both settings match.
* Euler family: σ-space. diffusers' sample is x̃ = x/α (σ̃ = σ/α); the model sees x̃/√(σ̃²+1), the VP-frame
  x. Our edm_sampler takes x in the VP frame of the grid's first node and returns data, so it gets
  x_init = α₀ x̃_init. diffusers' Heun repeats every interior σ (2n - 1 timesteps, one model call each).
* Per-step noise: DDIM gets our draws through `variance_noise=`; DDPM and Euler ancestral draw
  `torch.randn(shape, generator=g, dtype=float64)` once per noisy step (diffusers' randn_tensor with the
  model output's dtype), so our noise source draws from an identically seeded torch.Generator in the same
  order and dtype.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.datasets import load_preset
from core.grids import Grid, karras_grid, timestep_grid
from core.models import CountingDenoiser, ExactDenoiser
from core.processes import DiscreteVP
from core.samplers.diffusers_rows import make_scheduler
from core.samplers.registry import get_sampler

ATOL = 1e-6
RTOL32 = 1e-5
N = 500
SEED = 0
T = 1000
PRESETS = ["ring8", "pinwheel"]  # sharp isotropic modes; anisotropic covariances


@pytest.fixture(scope="module", params=PRESETS)
def model(request):
    return ExactDenoiser(load_preset(request.param))


# ------------------------------------------------------------------------------------------ helpers
def max_abs(ours, theirs) -> float:
    assert ours.shape == theirs.shape == (N, 2)
    assert np.isfinite(ours).all() and np.isfinite(theirs).all()
    return float(np.abs(ours - theirs).max())


def assert_abs(ours, theirs, atol=ATOL):
    err = max_abs(ours, theirs)
    assert err <= atol, f"max abs error {err:.3g} > {atol:g}"


def assert_rel(ours, theirs, rtol=RTOL32):
    err = max_abs(ours, theirs) / float(np.abs(theirs).max())
    assert err <= rtol, f"max abs error / max |x| = {err:.3g} > {rtol:g}"


def run_ours(key, model, x, grid, noise=None, **params):
    """A registry sampler with its fixed arguments and validated parameters; returns (x, NFE)."""
    spec = get_sampler(key)
    counted = CountingDenoiser(model)
    out = spec.fn(
        counted, np.array(x, dtype=np.float64), grid, noise, lambda *a: None, **spec.fixed, **spec.validate(params)
    )
    return out, counted.calls


def vp_eps(model, x: torch.Tensor, abar: float) -> torch.Tensor:
    """ε̂ of the exact model for a VP sample x at ᾱ."""
    a, s = np.sqrt(abar), np.sqrt(1 - abar)
    xn = x.numpy()
    return torch.from_numpy((xn - a * model.denoise(xn, a, s)) / s)


def sigma_space_eps(model, x_in: torch.Tensor, sigma_tilde: float) -> torch.Tensor:
    """ε̂ for the Euler family: x_in = x̃/√(σ̃²+1) is the VP-frame sample at α = 1/√(1+σ̃²), σ = σ̃ α."""
    a = 1 / np.sqrt(1 + sigma_tilde**2)
    s = sigma_tilde * a
    xn = x_in.numpy()
    return torch.from_numpy((xn - a * model.denoise(xn, a, s)) / s)


def grid_from_alphas_cumprod(timesteps, abar) -> Grid:
    """Our Grid on the given timesteps and ᾱ, plus the clean-data node t = -1, ᾱ = 1."""
    abar = np.append(np.asarray(abar, dtype=np.float64), 1.0)
    t = np.append(np.asarray(timesteps, dtype=np.float64), -1.0)
    zero = np.zeros_like(t)
    return Grid(t, np.sqrt(abar), np.sqrt(1 - abar), zero, zero, "from diffusers' ᾱ")


def grid_from_sigmas(sigmas) -> Grid:
    """Our Grid whose σ/α are a σ-space scheduler's `sigmas` (ending at 0): α = 1/√(1+σ̃²), σ = σ̃ α."""
    st = np.asarray(sigmas, dtype=np.float64)
    alpha = 1 / np.sqrt(1 + st**2)
    zero = np.zeros_like(st)
    return Grid(np.arange(len(st), dtype=np.float64)[::-1], alpha, st * alpha, zero, zero, "from diffusers' σ")


def float64_table(scheduler):
    """Give a DDIM/DDPM scheduler our float64 ᾱ table (DiscreteVP), so that `step` runs in float64."""
    table = DiscreteVP().alphas_cumprod(np.arange(T))
    scheduler.alphas_cumprod = torch.from_numpy(table)
    for name in ("final_alpha_cumprod", "one"):  # DDIM's ᾱ for t < 0; DDPM's
        if hasattr(scheduler, name):
            setattr(scheduler, name, torch.tensor(1.0, dtype=torch.float64))
    return scheduler


def initial_noise(seed=SEED) -> torch.Tensor:
    return torch.randn(N, 2, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


class TorchNoise:
    """Our noise source drawing exactly what diffusers' randn_tensor draws: float64, one call per use."""

    def __init__(self, seed):
        self.generator = torch.Generator().manual_seed(seed)
        self.calls = 0

    def __call__(self, shape):
        self.calls += 1
        return torch.randn(tuple(shape), generator=self.generator, dtype=torch.float64).numpy()


class ListNoise:
    """Our noise source handing out pre-drawn tensors in order (the same ones diffusers gets)."""

    def __init__(self, draws):
        self.draws, self.calls = draws, 0

    def __call__(self, shape):
        z = self.draws[self.calls].numpy()
        assert z.shape == tuple(shape)
        self.calls += 1
        return z


# ------------------------------------------------------------------------------------ the schedule
@pytest.mark.parametrize("spacing", ["leading", "trailing", "linspace"])
@pytest.mark.parametrize("n", [7, 10, 20, 50, 1000])
def test_timestep_grid_is_ddims(spacing, n):
    """Our timestep_grid lists DDIMScheduler's timesteps, then t = -1 with ᾱ = 1 (set_alpha_to_one)."""
    s = make_scheduler("DDIMScheduler", n, spacing)
    grid = timestep_grid(DiscreteVP(), n, spacing)
    np.testing.assert_array_equal(grid.t[:-1], s.timesteps.numpy())
    assert grid.t[-1] == -1 and grid.alpha[-1] == 1 and grid.sigma[-1] == 0
    assert float(s.final_alpha_cumprod) == 1.0


def test_alphas_cumprod_agree_to_float32_accumulation():
    """DiscreteVP's ᾱ (float64) vs diffusers' float32 cumprod of float32 (1 - β): the difference is
    float32 rounding accumulated over T products, of order 2⁻²⁴ √T ≈ 1.9e-6 (measured 3.6e-7)."""
    theirs = make_scheduler("DDPMScheduler", 10).alphas_cumprod.double().numpy()
    ours = DiscreteVP().alphas_cumprod(np.arange(T))
    np.testing.assert_allclose(ours, theirs, rtol=2.0**-24 * np.sqrt(T), atol=0)


# ------------------------------------------------------------------------------------------- DDIM
def _diffusers_ddim(model, s, x, eta, draws):
    for i, t in enumerate(s.timesteps):
        eps = vp_eps(model, x, float(s.alphas_cumprod[int(t)]))
        x = s.step(eps, t, x, eta=eta, variance_noise=draws[i] if eta > 0 else None).prev_sample
    return x.numpy()


@pytest.mark.parametrize("eta", [0.0, 1.0])
@pytest.mark.parametrize(("spacing", "n"), [("leading", 10), ("leading", 50), ("trailing", 10)])
def test_ddim_equals_ddimscheduler_float64(model, eta, spacing, n):
    """Our DDIM on our timestep_grid vs DDIMScheduler.step in float64 (our ᾱ table): ≤ 1e-6 abs.
    Noise: the same draws, ours through the noise source, diffusers' through `variance_noise=`."""
    s = float64_table(make_scheduler("DDIMScheduler", n, spacing))
    x = initial_noise()
    gen = torch.Generator().manual_seed(SEED + 1)
    draws = [torch.randn(N, 2, generator=gen, dtype=torch.float64) for _ in range(n)]
    theirs = _diffusers_ddim(model, s, x.clone(), eta, draws)

    noise = ListNoise(draws)
    ours, nfe = run_ours("ddim", model, x.numpy(), timestep_grid(DiscreteVP(), n, spacing), noise, eta=eta)
    assert nfe == n
    # ours draws nothing when σ_η = 0 (η = 0, or the final step into ᾱ = 1); diffusers' σ_η is 0 there too
    assert noise.calls == (n - 1 if eta > 0 else 0)
    assert_abs(ours, theirs)


@pytest.mark.parametrize("eta", [0.0, 1.0])
def test_ddim_equals_stock_ddimscheduler(model, eta):
    """The unmodified scheduler: float32 ᾱ table and float32 coefficient arithmetic inside `step`
    (applied to a float64 sample), so rtol 1e-5. Our grid reads the same float32 ᾱ."""
    n = 20
    s = make_scheduler("DDIMScheduler", n, "leading")
    x = initial_noise()
    gen = torch.Generator().manual_seed(SEED + 1)
    draws = [torch.randn(N, 2, generator=gen, dtype=torch.float64) for _ in range(n)]
    theirs = _diffusers_ddim(model, s, x.clone(), eta, draws)
    ts = s.timesteps.numpy()
    grid = grid_from_alphas_cumprod(ts, s.alphas_cumprod.double().numpy()[ts])
    ours, _ = run_ours("ddim", model, x.numpy(), grid, ListNoise(draws), eta=eta)
    assert_rel(ours, theirs)


# ------------------------------------------------------------------------------------------- DDPM
def _diffusers_ddpm(model, s, x, seed):
    generator = torch.Generator().manual_seed(seed)
    for t in s.timesteps:
        x = s.step(vp_eps(model, x, float(s.alphas_cumprod[int(t)])), t, x, generator=generator).prev_sample
    return x.numpy()


VARIANCE_TYPE = {"beta_tilde": "fixed_small", "beta": "fixed_large"}


@pytest.mark.parametrize(
    ("variance", "spacing", "n"),
    [
        ("beta_tilde", "leading", 10),
        ("beta_tilde", "leading", 1000),
        ("beta_tilde", "trailing", 7),
        ("beta_tilde", "linspace", 25),
        ("beta", "leading", 50),
    ],
)
def test_ddpm_equals_ddpmscheduler_float64(model, variance, spacing, n):
    """Our DDPM ancestral vs DDPMScheduler.step in float64 (our ᾱ table): ≤ 1e-6 abs. Per-step noise:
    ours draws from a torch.Generator seeded like the one passed to `step`, in float64, in the same
    order (one draw per step except the last)."""
    s = float64_table(make_scheduler("DDPMScheduler", n, spacing, variance_type=VARIANCE_TYPE[variance]))
    x = initial_noise()
    theirs = _diffusers_ddpm(model, s, x.clone(), SEED + 1)
    noise = TorchNoise(SEED + 1)
    ours, nfe = run_ours("ddpm", model, x.numpy(), timestep_grid(DiscreteVP(), n, spacing), noise, variance=variance)
    assert nfe == n and noise.calls == n - 1
    assert_abs(ours, theirs)


def test_ddpm_equals_stock_ddpmscheduler(model):
    """The unmodified scheduler (float32 coefficients inside `step`): rtol 1e-5 at 20 steps."""
    n = 20
    s = make_scheduler("DDPMScheduler", n, "leading")
    x = initial_noise()
    theirs = _diffusers_ddpm(model, s, x.clone(), SEED + 1)
    ts = s.timesteps.numpy()
    grid = grid_from_alphas_cumprod(ts, s.alphas_cumprod.double().numpy()[ts])
    ours, _ = run_ours("ddpm", model, x.numpy(), grid, TorchNoise(SEED + 1))
    assert_rel(ours, theirs)


# ------------------------------------------------------------------------------- DPM-Solver++(2M)
@pytest.mark.parametrize(
    ("spacing", "n", "lower_order_final"),
    [
        ("leading", 10, False),
        ("linspace", 10, False),
        ("trailing", 10, False),
        ("leading", 20, False),
        ("leading", 20, True),
        ("linspace", 20, True),
    ],
)
def test_dpmpp_2m_equals_dpmsolvermultistep(model, spacing, n, lower_order_final):
    """Our DPM-Solver++(2M) on a grid with the scheduler's σ̃ vs DPMSolverMultistepScheduler (defaults:
    dpmsolver++, order 2, midpoint, final σ = 0). `step` casts the sample to float32: rtol 1e-5.
    Below 15 steps ours runs with lower_order_final=False (see the module docstring)."""
    s = make_scheduler("DPMSolverMultistepScheduler", n, spacing)
    x = initial_noise()
    theirs = x.clone()
    for i, t in enumerate(s.timesteps):
        # the model is evaluated at the σ̃ the scheduler converts ε̂ with (= ᾱ[t] up to float32)
        theirs = s.step(sigma_space_eps(model, theirs, float(s.sigmas[i])), t, theirs).prev_sample
    grid = grid_from_sigmas(s.sigmas.double().numpy())
    ours, nfe = run_ours("dpmpp_2m", model, x.numpy(), grid, lower_order_final=lower_order_final)
    assert nfe == n
    assert_rel(ours, theirs.numpy())


# ------------------------------------------------------------------------------------- Euler, Heun
def _diffusers_sigma_space(model, s, x):
    calls = 0
    for t in s.timesteps:
        x_in = s.scale_model_input(x, t)
        eps = sigma_space_eps(model, x_in, float(s.sigmas[s.step_index]))
        calls += 1
        x = s.step(eps, t, x).prev_sample
    return x.numpy(), calls


SIGMA_GRIDS = [("linspace", 10, True), ("linspace", 30, True), ("leading", 10, True), ("linspace", 10, False)]


@pytest.mark.parametrize(("spacing", "n", "karras"), SIGMA_GRIDS)
@pytest.mark.parametrize(
    ("cls", "key"), [("EulerDiscreteScheduler", "pf_euler"), ("HeunDiscreteScheduler", "edm_heun")]
)
def test_euler_heun_equal_diffusers(model, cls, key, spacing, n, karras):
    """Our PF-ODE Euler / EDM Heun (no churn) on the scheduler's σ̃ grid vs Euler/HeunDiscreteScheduler,
    Karras (ρ = 7 between the schedule's σ_min and σ_max) or interpolated σ. Euler's `step` casts the
    sample to float32: rtol 1e-5. Heun's keeps the sample float64 (only its step dt = σ̃_next - σ̃ is
    a float32 difference; the σ̃ themselves are the same float32 values on both sides): ≤ 1e-6 abs.
    With Karras σ̃ also our own karras_grid, built from σ_min and σ_max only."""
    s = make_scheduler(cls, n, spacing, use_karras_sigmas=karras)
    sig = s.sigmas.double().numpy()
    if cls.startswith("Heun"):  # [σ0, σ1, σ1, …, σn-1, σn-1, 0] → [σ0, …, σn-1, 0]
        sig = np.concatenate([sig[:1], sig[1::2]])
    assert len(sig) == n + 1 and sig[-1] == 0

    x_tilde = initial_noise() * s.init_noise_sigma
    theirs, calls = _diffusers_sigma_space(model, s, x_tilde.clone())
    grids = [grid_from_sigmas(sig)]
    if karras:
        ours_karras = karras_grid(DiscreteVP(), n, sigma_min=float(sig[-2]), sigma_max=float(sig[0]))
        # the same σ̃ up to diffusers' float32 storage (half an ulp each side)
        np.testing.assert_allclose(ours_karras.sigma_tilde, sig, rtol=2.0**-23, atol=0)
        grids.append(ours_karras)
    for grid in grids:
        ours, nfe = run_ours(key, model, grid.alpha[0] * x_tilde.numpy(), grid)
        assert nfe == calls == (2 * n - 1 if key == "edm_heun" else n)
        if key == "pf_euler":
            assert_rel(ours, theirs)
        else:
            assert_abs(ours, theirs)


def test_euler_ancestral_equals_ddpm(model):
    """Not asked for, but it pins the ancestral noise convention: EulerAncestralDiscreteScheduler is
    DDPM with β̃ written in σ̃ (σ_up α_to = √β̃, same z), so our DDPM on the same timesteps, with the same
    generator draws, equals it. `step` casts the sample to float32: rtol 1e-5."""
    n = 20
    s = make_scheduler("EulerAncestralDiscreteScheduler", n, "leading")
    x_tilde = initial_noise() * float(s.sigmas[0])
    generator = torch.Generator().manual_seed(SEED + 1)
    theirs = x_tilde.clone()
    for t in s.timesteps:
        eps = sigma_space_eps(model, s.scale_model_input(theirs, t), float(s.sigmas[s.step_index]))
        theirs = s.step(eps, t, theirs, generator=generator).prev_sample
    sig = s.sigmas.double().numpy()
    grid = grid_from_sigmas(sig)
    noise = TorchNoise(SEED + 1)
    ours, _ = run_ours("ddpm", model, grid.alpha[0] * x_tilde.numpy(), grid, noise)
    assert_rel(ours, theirs.numpy())
