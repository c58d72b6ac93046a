"""Samplers that step in (α, σ) with the exact Gaussian posterior q(x_s | x_t, x₀): DDPM, DDIM,
reverse-SDE Euler–Maruyama and the predictor–corrector sampler.

For s < t on any process x = α x₀ + σ ε, with α_{t|s} = α_t/α_s and σ²_{t|s} = σ_t² - α²_{t|s} σ_s²:
    q(x_s | x_t, x₀) = N(α_{t|s} σ_s²/σ_t² · x_t + α_s σ²_{t|s}/σ_t² · x₀,  σ²_{t|s} σ_s²/σ_t²)
(Ho et al. 2020, eqs. 6–7, in the general form of Kingma et al. 2021, eq. 28). On DDPM's chain
σ²_{t|s} is the step's β and σ²_{t|s} σ_s²/σ_t² is β̃.
"""

from __future__ import annotations

import numpy as np

from core.models import score_from_x0


def posterior(a_t, s_t, a_s, s_s):
    """q(x_s | x_t, x₀) = N(c_x x_t + c_0 x₀, β̃) for s < t (Ho et al. 2020, eqs. 6-7; Kingma et al. 2021,
    eq. 28): the coefficients (c_x, c_0) of its mean, β = σ²_{t|s} and β̃ = β σ_s²/σ_t²."""
    a_ts = a_t / a_s
    beta = s_t**2 - a_ts**2 * s_s**2
    return a_ts * s_s**2 / s_t**2, a_s * beta / s_t**2, beta, beta * s_s**2 / s_t**2


def ddpm(model, x, grid, noise, callback, variance="beta_tilde"):
    """Ancestral sampling, Ho et al. 2020, Algorithm 2: x_s = posterior mean(x_t, x̂₀) + σ z,
    σ² = β̃ ("fixed_small") or β ("fixed_large"); no noise on the last step. On a skipping grid
    this is diffusers' DDPMScheduler with set_timesteps(n); with σ² = β it is DDIM's σ̂ row."""
    for i in range(grid.n_steps):
        a_t, s_t, a_s, s_s = grid.alpha[i], grid.sigma[i], grid.alpha[i + 1], grid.sigma[i + 1]
        x0 = model.denoise(x, a_t, s_t)
        c_x, c_0, beta, beta_tilde = posterior(a_t, s_t, a_s, s_s)
        x = c_x * x + c_0 * x0
        if s_s > 0:
            x = x + np.sqrt(beta_tilde if variance == "beta_tilde" else beta) * noise(x.shape)
        callback(i + 1, x, x0)
    return x


def ddim(model, x, grid, noise, callback, eta=0.0, sigma_hat=False):
    """DDIM, Song et al. 2021a, eq. 12: x_s = α_s x̂₀ + √(σ_s² - σ_η²) ε̂ + σ_η z with
    σ_η = η √β̃ (eq. 16). η = 0 is the deterministic sampler, η = 1 equals DDPM with β̃.
    `sigma_hat` is Table 1's σ̂ row: the DDPM posterior mean with the larger variance β, as in the
    paper's code (`ddpm_steps`)."""
    if sigma_hat:
        return ddpm(model, x, grid, noise, callback, variance="beta")
    for i in range(grid.n_steps):
        a_t, s_t, a_s, s_s = grid.alpha[i], grid.sigma[i], grid.alpha[i + 1], grid.sigma[i + 1]
        x0 = model.denoise(x, a_t, s_t)
        eps = (x - a_t * x0) / s_t
        std = eta * np.sqrt(posterior(a_t, s_t, a_s, s_s)[3]) if s_s > 0 else 0.0
        x = a_s * x0 + np.sqrt(max(s_s**2 - std**2, 0.0)) * eps
        if std > 0:
            x = x + std * noise(x.shape)
        callback(i + 1, x, x0)
    return x


def _reverse_sde_step(model, x, a_t, s_t, a_s, s_s, noise):
    """One Euler–Maruyama step of dx = [f x - g² ∇log p_t] dt + g dw̄ (Song et al. 2021b, eq. 6),
    with f dt = log(α_s/α_t) and g² dt = σ_s² - σ_t² - 2 f dt σ_t² taken from the grid's increments
    (equal to f(t)Δt and g(t)²Δt to first order; exactly the reverse-diffusion predictor on VE)."""
    x0 = model.denoise(x, a_t, s_t)
    if s_s == 0:  # the final step returns the noise-free denoised mean (Song et al. 2021b, App. G)
        return x0, x0
    f_dt = np.log(a_s / a_t)
    g2_dt = s_s**2 - s_t**2 - 2 * f_dt * s_t**2  # negative: time runs backwards
    x = x + f_dt * x - g2_dt * score_from_x0(x, x0, a_t, s_t) + np.sqrt(-g2_dt) * noise(x.shape)
    return x, x0


def _require_positive_alpha(grid, what):
    if grid.alpha[0] <= 0:
        raise ValueError(f"{what} needs α > 0 at the first node; use a Karras or log-SNR grid")


def euler_maruyama(model, x, grid, noise, callback):
    """Reverse-SDE Euler–Maruyama (Song et al. 2021b, Sec. 4.1; `sampling.py: EulerMaruyamaPredictor`)."""
    _require_positive_alpha(grid, "Euler–Maruyama")
    for i in range(grid.n_steps):
        x, x0 = _reverse_sde_step(model, x, grid.alpha[i], grid.sigma[i], grid.alpha[i + 1], grid.sigma[i + 1], noise)
        callback(i + 1, x, x0)
    return x


def predictor_corrector(model, x, grid, noise, callback, snr=0.16, n_corrector=1):
    """Predictor–corrector sampling, Song et al. 2021b, Algorithms 2–3 (PC sampling for VE / VP), with the
    Langevin corrector of Algorithms 4–5: `n_corrector` steps x ← x + ε s + √(2ε) z with
    ε = 2 a (r‖z‖/‖s‖)² (norms averaged over the batch, a = α²_{t|s}), then one Euler–Maruyama predictor step.

    Order: at each noise level the corrector runs first, then the predictor, as the official
    `score_sde/sampling.py` (`pc_sampler`) does; the paper's Algorithms 2–3 write the predictor first.
    The two orders differ only by where the first and last corrector steps fall."""
    _require_positive_alpha(grid, "Predictor–corrector")
    for i in range(grid.n_steps):
        a_t, s_t, a_s, s_s = grid.alpha[i], grid.sigma[i], grid.alpha[i + 1], grid.sigma[i + 1]
        for _ in range(int(n_corrector)):
            score = score_from_x0(x, model.denoise(x, a_t, s_t), a_t, s_t)
            z = noise(x.shape)
            ratio = np.linalg.norm(z, axis=1).mean() / max(np.linalg.norm(score, axis=1).mean(), 1e-30)
            eps = 2 * (a_t / a_s) ** 2 * (snr * ratio) ** 2
            x = x + eps * score + np.sqrt(2 * eps) * z
        x, x0 = _reverse_sde_step(model, x, a_t, s_t, a_s, s_s, noise)
        callback(i + 1, x, x0)
    return x
