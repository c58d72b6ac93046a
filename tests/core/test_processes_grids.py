"""Forward processes and time grids against their defining formulas, written out independently here."""

from __future__ import annotations

import numpy as np
import pytest

from core.datasets import load_preset
from core.grids import GRIDS, Grid, karras_grid, logsnr_grid, make_grid, timestep_grid
from core.processes import (
    EDM,
    PROCESSES,
    VE,
    VP,
    DiscreteVP,
    FlowMatching,
    ForwardProcess,
    SubVP,
    make_process,
    sigma_max_for,
)
from tests.core.test_mixture import assert_within_rounding

PROCESS_NAMES = sorted(PROCESSES)

# Formulas written differently here and in core/processes.py agree to rounding of their terms (see
# tests/core/test_mixture.py: `assert_within_rounding` allows 1000 ε times the terms' magnitude). An
# exponential e^u inherits the absolute rounding of its exponent as a relative one, so e^u gets the
# magnitude e^u·(1 + Σ|terms of u|); x^ρ likewise ρ·(relative rounding of x).


def interior_times(p: ForwardProcess, n: int = 9) -> np.ndarray:
    """Times strictly inside (t_min, t_max); for the discrete chain, half-integers (away from the kinks of
    the piecewise-linear log ᾱ)."""
    if p.discrete:
        return np.linspace(0, p.T - 2, n).round() + 0.5
    span = p.t_max - p.t_min
    return p.t_min + span * np.linspace(0.02, 0.98, n)


# ---------------------------------------------------------------------------- α, σ and derivatives
@pytest.mark.parametrize("name", PROCESS_NAMES)
def test_derivatives_match_finite_differences(name):
    """Central differences with h = 1e-5·span (relative error ~1e-9, far inside the 1e-6 bound)."""
    p = make_process(name)
    t = interior_times(p)
    h = 1e-5 * (p.t_max - p.t_min) if not p.discrete else 1e-3
    fd_a = (p.alpha(t + h) - p.alpha(t - h)) / (2 * h)
    fd_s = (p.sigma(t + h) - p.sigma(t - h)) / (2 * h)
    np.testing.assert_allclose(p.d_alpha(t), fd_a, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(p.d_sigma(t), fd_s, rtol=1e-6, atol=1e-12)


def _beta_integral(p: VP, t):
    """∫₀ᵗ β(s) ds for β(s) = β_min + s(β_max - β_min)."""
    return p.beta_min * t + 0.5 * t**2 * (p.beta_max - p.beta_min)


def test_vp_against_score_sde_formulas():
    """Song et al. 2021, eq. 11 / 29: f = -β/2, g² = β, α = exp(-½∫β), σ² = 1 - α²."""
    p = VP()
    t = np.linspace(0, 1, 21)
    beta = 0.1 + t * (20 - 0.1)
    u_terms = 0.5 * (p.beta_min * t + 0.5 * t**2 * (p.beta_max - p.beta_min))  # |terms| of log α
    alpha = np.exp(-0.5 * _beta_integral(p, t))
    assert_within_rounding(p.alpha(t), alpha, alpha * (1 + u_terms), "VP α")
    # σ² = 1 - α² cancels 1 against α² (whose relative rounding is twice α's): compare the squares
    assert_within_rounding(p.sigma(t) ** 2, 1 - alpha**2, 1 + 3 * alpha**2 * (1 + u_terms), "VP σ²")
    assert_within_rounding(p.drift_coef(t), -beta / 2, beta, "VP f")  # f = α'/α = (-½βα)/α
    assert_within_rounding(p.diffusion_sq(t), beta, beta, "VP g²")
    # the generic g² = 2σσ' - 2fσ² from the process's own d_sigma agrees away from t = 0 (σ' = ∞ there)
    ti = t[1:]
    np.testing.assert_allclose(ForwardProcess.diffusion_sq(p, ti), beta[1:], rtol=1e-10)
    assert p.diffusion_sq(0.0) == pytest.approx(0.1) and np.isfinite(p.drift_coef(0.0))


def test_subvp_against_score_sde_formulas():
    """Song et al. 2021, eq. 12: same drift as VP, g² = β(1 - e^{-2∫β}) = β(1 - α⁴), σ = 1 - α²."""
    p = SubVP()
    t = np.linspace(0, 1, 21)
    beta = 0.1 + t * (20 - 0.1)
    u_terms = 0.5 * (p.beta_min * t + 0.5 * t**2 * (p.beta_max - p.beta_min))  # |terms| of log α
    alpha = np.exp(-0.5 * _beta_integral(p, t))
    assert_within_rounding(p.alpha(t), alpha, alpha * (1 + u_terms), "sub-VP α")
    assert_within_rounding(p.sigma(t), 1 - alpha**2, 1 + 3 * alpha**2 * (1 + u_terms), "sub-VP σ = 1 - α²")
    assert_within_rounding(p.drift_coef(t), -beta / 2, beta, "sub-VP f")
    e4 = np.exp(-2 * _beta_integral(p, t))  # α⁴, with the relative rounding of e^(4 log α)
    g2_terms = beta * (1 + 5 * e4 * (1 + 4 * u_terms))
    assert_within_rounding(p.diffusion_sq(t), beta * (1 - e4), g2_terms, "sub-VP g² = β(1 - α⁴)")
    np.testing.assert_allclose(ForwardProcess.diffusion_sq(p, t), p.diffusion_sq(t), rtol=1e-10, atol=1e-15)
    # sub-VP's variance never exceeds VP's
    assert np.all(p.sigma(t) <= VP().sigma(t) + 1e-15)


def test_ve_edm_flow_against_their_definitions():
    ve = VE(sigma_min=0.01, sigma_max=50.0)
    t = np.linspace(0, 1, 11)
    sig = 0.01 * 5000.0**t
    rel = 1 + t * np.log(5000.0)  # 5000^t = e^(t log 5000)
    assert_within_rounding(ve.sigma(t), sig, sig * rel, "VE σ")
    np.testing.assert_allclose(ve.alpha(t), 1.0)
    np.testing.assert_allclose(ve.drift_coef(t), 0.0)
    g2 = 2 * sig**2 * np.log(5000.0)  # d(σ²)/dt
    assert_within_rounding(ve.diffusion_sq(t), g2, 2 * g2 * rel, "VE g²")

    edm = EDM()
    t = np.linspace(0, 80, 17)
    np.testing.assert_allclose(edm.sigma(t), t)
    assert_within_rounding(edm.diffusion_sq(t), 2 * t, 2 * t, "EDM g²")  # Karras et al. Table 1: g = √(2t)
    np.testing.assert_allclose(edm.drift_coef(t), 0.0)

    fm = FlowMatching()
    t = np.linspace(0, 0.95, 20)
    np.testing.assert_allclose(fm.alpha(t) + fm.sigma(t), 1.0)
    amplify = (1 + t) / (1 - t)  # 1 - t rounds by ε·(1 + t), relative to 1 - t
    assert_within_rounding(fm.drift_coef(t), -1 / (1 - t), amplify / (1 - t), "flow f")
    # g² = 2σσ' - 2fσ² = 2t + 2t²/(1 - t): two positive terms
    g2_terms = (2 * t + 2 * t**2 / (1 - t)) * (1 + amplify)
    assert_within_rounding(fm.diffusion_sq(t), 2 * t / (1 - t), g2_terms, "flow g²")


def test_discrete_vp_is_ddpm():
    """Ho et al. 2020: β = linspace(1e-4, 0.02, 1000), ᾱ_n = Π_{i≤n}(1 - β_i); t = -1 is clean data."""
    p = DiscreteVP()
    abar = np.cumprod(1 - np.linspace(1e-4, 0.02, 1000))
    n = np.arange(1000)
    # ours is e^(Σ log(1 - β_i)): the sum's terms have magnitude |log ᾱ_n| (one sign), so ᾱ carries the
    # relative rounding (1 + |log ᾱ_n|)·ε·(number of terms, inside the 1000 ε budget); so does the product
    rel = 1 + np.abs(np.log(abar))
    assert_within_rounding(p.alphas_cumprod(n), abar, abar * rel, "ᾱ_n")
    assert_within_rounding(p.alpha(n), np.sqrt(abar), np.sqrt(abar) * rel, "√ᾱ_n")
    np.testing.assert_allclose(p.sigma(n), np.sqrt(1 - abar), rtol=1e-10)
    assert p.alpha(-1.0) == 1.0 and p.sigma(-1.0) == 0.0 and not np.signbit(p.sigma(-1.0))
    assert (p.t_min, p.t_max, p.discrete) == (-1.0, 999.0, True)
    assert_within_rounding(p.alpha(999), np.sqrt(abar[-1]), np.sqrt(abar[-1]) * rel[-1], "α(999)")  # ≈ 6.4e-3
    # fractional times interpolate log ᾱ linearly: ᾱ(n + ½) = √(ᾱ_n ᾱ_{n+1})
    half = np.sqrt(abar[:-1] * abar[1:])
    assert_within_rounding(p.alphas_cumprod(n[:-1] + 0.5), half, half * rel[1:], "ᾱ(n + ½)")
    # on (n-1, n) d log ᾱ/dt = log(1 - β_n): f = ½ log(1 - β_n), g² = -log(1 - β_n) ≈ β_n
    t = interior_times(p)
    beta_n = np.linspace(1e-4, 0.02, 1000)[np.ceil(t).astype(int)]
    np.testing.assert_allclose(p.drift_coef(t), 0.5 * np.log1p(-beta_n), rtol=1e-6)
    np.testing.assert_allclose(p.diffusion_sq(t), -np.log1p(-beta_n), rtol=1e-6)


def test_discrete_cosine_is_iddpm():
    """Nichol & Dhariwal 2021, eq. 17: ᾱ_n = f(n+1)/f(0), f(t) = cos²((t/T + s)/(1 + s)·π/2), β ≤ 0.999."""
    p = DiscreteVP(schedule="cosine")
    T, s = 1000, 0.008
    f = np.cos((np.arange(T + 1) / T + s) / (1 + s) * np.pi / 2) ** 2
    abar = np.cumprod(1 - np.minimum(1 - f[1:] / f[:-1], 0.999))
    np.testing.assert_allclose(p.alphas_cumprod(np.arange(T)), abar, rtol=1e-10)
    np.testing.assert_allclose(p.alphas_cumprod(np.arange(T - 1)), f[1:T] / f[0], rtol=1e-10)  # unclipped part
    assert p.alpha(-1) == 1.0 and p.sigma(-1) == 0.0


def test_discrete_vp_rejects_unknown_schedules():
    with pytest.raises(ValueError, match="unknown discrete schedule"):
        DiscreteVP(schedule="quadratic")


@pytest.mark.parametrize("name", PROCESS_NAMES)
def test_noise_levels_and_their_inverse(name):
    p = make_process(name)
    t = interior_times(p, 25)
    a, s = p.alpha(t), p.sigma(t)
    assert np.all(a > 0) and np.all(s > 0)
    assert_within_rounding(p.sigma_tilde(t), s / a, s / a, "σ̃ = σ/α")
    # log α - log σ cancels where α ≈ σ: the terms are the two logarithms
    assert_within_rounding(p.log_snr(t), np.log(a / s), 1 + np.abs(np.log(a)) + np.abs(np.log(s)), "λ")
    assert np.all(np.diff(p.sigma_tilde(t)) > 0), "σ̃ must increase with t"
    np.testing.assert_allclose(p.t_from_sigma_tilde(p.sigma_tilde(t)), t, rtol=1e-9, atol=1e-9 * p.t_max)
    if name in ("ddpm", "cosine", "vp"):
        # variance preserving: α² and σ² come from e^(2 log α) and -expm1(2 log α) of the same exponent
        assert_within_rounding(a**2 + s**2, np.ones_like(a), 1 + 2 * np.abs(np.log(a)), "α² + σ²")


@pytest.mark.parametrize("name", PROCESS_NAMES)
def test_coefficients_at_the_ends_of_time(name):
    p = make_process(name)
    for t in (p.t_min, p.t_max):
        a, s = float(p.alpha(t)), float(p.sigma(t))
        assert np.isfinite(a) and np.isfinite(s) and a >= 0 and s >= 0
        assert np.isfinite(p.d_alpha(t))
    assert np.isfinite(p.drift_coef(p.t_min)) and np.isfinite(p.diffusion_sq(p.t_min))
    if name != "flow":  # flow matching's α(1) = 0, where f = α'/α and g² are infinite (a true singularity)
        assert np.isfinite(p.drift_coef(p.t_max)) and np.isfinite(p.diffusion_sq(p.t_max))
    if name in ("ve",):
        assert p.sigma(p.t_min) == pytest.approx(p.sigma_min)
    else:
        assert p.alpha(p.t_min) == 1.0 and p.sigma(p.t_min) == 0.0


def test_ve_sigma_max_follows_the_data():
    """NCSNv2 Technique 1: σ_max ≈ largest pairwise distance (here between modes, + 6 widest std)."""
    mix = load_preset("ncsn_fig3")
    expected = np.hypot(10, 10) + 6 * 1.0
    assert sigma_max_for(mix.means, mix.covs) == pytest.approx(expected)
    assert make_process("ve", mix).sigma_max == pytest.approx(expected)
    assert make_process("ve").sigma_max == 50.0
    tiny = load_preset("grid25")
    assert sigma_max_for(tiny.means[:1], tiny.covs[:1]) == 1.0  # floored at 1


def test_make_process():
    for name in PROCESS_NAMES:
        p = make_process(name)
        assert isinstance(p, ForwardProcess) and p.name and p.paper and p.describe()
    with pytest.raises(ValueError, match="unknown process 'nope'"):
        make_process("nope")


# ---------------------------------------------------------------------------- grids
def _check_grid(g: Grid, p: ForwardProcess, n: int):
    assert g.n_steps == n and len(g.t) == len(g.alpha) == len(g.sigma) == len(g.d_alpha) == len(g.d_sigma) == n + 1
    assert g.alpha[-1] == 1.0 and g.sigma[-1] == 0.0, "every grid ends at clean data"
    assert np.all(np.diff(g.sigma_tilde) < 0), "σ̃ = σ/α strictly decreases"
    assert np.all(np.isfinite(g.t)) and np.all(np.isfinite(g.alpha)) and np.all(np.isfinite(g.sigma))
    assert np.all(np.isfinite(g.d_alpha[:-1])) and np.all(np.isfinite(g.d_sigma[:-1]))
    assert np.all(np.diff(g.t) <= 0) and np.all(g.t >= p.t_min) and np.all(g.t <= p.t_max)
    # all but the appended data node sit on the process's own curve
    assert_within_rounding(g.alpha[:-1], p.alpha(g.t[:-1]), p.alpha(g.t[:-1]), f"{g.label}: α on the curve")
    assert_within_rounding(g.sigma[:-1], p.sigma(g.t[:-1]), p.sigma(g.t[:-1]), f"{g.label}: σ on the curve")
    assert g.label


@pytest.mark.parametrize("name", PROCESS_NAMES)
@pytest.mark.parametrize("grid_name", sorted(GRIDS))
def test_every_grid_on_every_process(name, grid_name):
    p = make_process(name)
    for n in (1, 2, 5, 37, 250):
        _check_grid(make_grid(p, grid_name, n), p, n)


def test_ddpm_timestep_spacings_follow_diffusers():
    p = make_process("ddpm")
    lead = timestep_grid(p, 10, "leading")
    np.testing.assert_array_equal(lead.t, [900, 800, 700, 600, 500, 400, 300, 200, 100, 0, -1])
    assert lead.alpha[-1] == 1 and lead.sigma[-1] == 0
    trail = timestep_grid(p, 10, "trailing")
    np.testing.assert_array_equal(trail.t, [999, 899, 799, 699, 599, 499, 399, 299, 199, 99, -1])
    lin = timestep_grid(p, 10, "linspace")
    np.testing.assert_array_equal(lin.t, [999, 888, 777, 666, 555, 444, 333, 222, 111, 0, -1])
    np.testing.assert_allclose(lead.alpha[:-1], np.sqrt(p.alphas_cumprod(lead.t[:-1])))


def test_discrete_spacings_for_every_step_count():
    """n = 1..1000 on T = 1000: exactly n distinct timesteps (a regression test: trailing once produced an
    extra t = -1 for n = 61, 103, …, because np.arange(T, 0, -T/n) can return n + 1 values)."""
    p = make_process("ddpm")
    for n in range(1, 1001):
        for spacing in ("leading", "trailing", "linspace"):
            t = timestep_grid(p, n, spacing).t
            assert len(t) == n + 1 and t[-1] == -1 and np.all(np.diff(t) < 0), (spacing, n)
        assert timestep_grid(p, n, "trailing").t[0] == 999
        assert timestep_grid(p, n, "leading").t[0] == (1000 // n) * (n - 1)


def test_continuous_timestep_grids_are_uniform_in_t():
    np.testing.assert_allclose(timestep_grid(VP(), 10).t, np.linspace(1, 0, 11))
    np.testing.assert_allclose(timestep_grid(EDM(), 4).t, [80, 60, 40, 20, 0])
    ve = timestep_grid(VE(), 4)  # σ(0) = σ_min > 0: the data node is appended at t = 0
    np.testing.assert_allclose(ve.t, [1, 2 / 3, 1 / 3, 0, 0])
    want = np.array([50, 0.01 * 5000 ** (2 / 3), 0.01 * 5000 ** (1 / 3), 0.01, 0])
    assert_within_rounding(ve.sigma, want, want * (1 + np.log(5000)), "VE σ on the grid")  # e^(t log 5000)


def test_karras_grid_on_edm_is_eq5():
    """EDM eq. 5 with σ_max = 80, σ_min = 0.002, ρ = 7 and the paper's N = 18, computed directly."""
    n, rho = 18, 7.0
    i = np.arange(n)
    lo, hi = 0.002 ** (1 / rho), 80 ** (1 / rho)
    inner = hi + i / (n - 1) * (lo - hi)
    ref = inner**rho
    # (a + s(b - a))^ρ: ρ times the relative rounding of the inner sum, whose terms are a and s|b - a|
    scale = ref * (1 + rho * (hi + i / (n - 1) * (hi - lo)) / inner)
    g = karras_grid(EDM(), n)
    assert_within_rounding(g.sigma[:-1], ref, scale, "Karras σ_i")
    assert_within_rounding(g.t[:-1], ref, scale, "Karras t_i")
    assert g.sigma[0] == pytest.approx(80.0) and g.sigma[-2] == pytest.approx(0.002) and g.sigma[-1] == 0
    np.testing.assert_allclose(g.alpha, 1.0)


def test_karras_grid_in_the_scaled_frame_of_other_processes():
    """On VP-type processes the grid lives in σ̃ = σ/α and is clipped to the range the process reaches."""
    n, rho = 12, 7.0
    ref = (80 ** (1 / rho) + np.arange(n) / (n - 1) * (0.002 ** (1 / rho) - 80 ** (1 / rho))) ** rho
    g = karras_grid(VP(), n)
    np.testing.assert_allclose(g.sigma_tilde[:-1], ref, rtol=1e-9)
    ddpm = karras_grid(DiscreteVP(), n)  # DDPM's σ̃ ranges over [0.01, 157]
    lo = np.sqrt(1e-4 / (1 - 1e-4))
    assert ddpm.sigma_tilde[-2] == pytest.approx(lo, rel=1e-9) and ddpm.sigma_tilde[0] == pytest.approx(80, rel=1e-9)


def test_logsnr_grid_is_uniform_in_log_snr():
    p = VP()
    g = logsnr_grid(p, 9, sigma_min=0.01, sigma_max=50)
    lam = -np.log(g.sigma_tilde[:-1])
    np.testing.assert_allclose(np.diff(lam), np.log(5000) / 8, rtol=1e-8)
    np.testing.assert_allclose(lam[[0, -1]], [-np.log(50), -np.log(0.01)], rtol=1e-9)


@pytest.mark.parametrize(
    "build,match",
    [
        (lambda: timestep_grid(DiscreteVP(), 0), "at least one step"),
        (lambda: timestep_grid(VP(), -3), "at least one step"),
        (lambda: timestep_grid(DiscreteVP(), 1001), "at most 1000 steps"),
        (lambda: timestep_grid(DiscreteVP(), 10, "middle"), "unknown spacing"),
        (lambda: karras_grid(EDM(), 0), "at least one step"),
        (lambda: karras_grid(EDM(), 10, rho=0), "ρ must be positive"),
        (lambda: karras_grid(EDM(), 10, sigma_min=5.0, sigma_max=1.0), "σ_min < σ_max"),
        (lambda: karras_grid(VE(sigma_min=0.01, sigma_max=50), 10, sigma_max=0.005), "σ_min < σ_max"),
        (lambda: logsnr_grid(VP(), 0), "at least one step"),
        (lambda: logsnr_grid(EDM(), 5, sigma_min=100.0), "σ_min < σ_max"),
        (lambda: make_grid(VP(), "cosine", 10), "unknown grid"),
    ],
)
def test_bad_grid_arguments_raise_value_error(build, match):
    with pytest.raises(ValueError, match=match):
        build()
