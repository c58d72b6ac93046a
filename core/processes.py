"""Forward noising processes x_t = α(t)·x₀ + σ(t)·ε, with SDE drift f(t)·x and diffusion g(t)².

For any such process the SDE dx = f(t) x dt + g(t) dw has f = α'/α and g² = (σ²)' - 2fσ²
(Kingma et al. 2021, "Variational Diffusion Models", eq. 33; Song et al. 2021, Score SDE, eqs. 5, 34).
log-SNR λ(t) = log(α/σ). The "scaled frame" x̃ = x/α, σ̃ = σ/α = e^{-λ} is where every process looks
the same (Karras et al. 2022, EDM, Sec. 2: the scaling s(t) of eq. 4), so samplers that only need σ̃ work
for all of them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class ForwardProcess(ABC):
    """Base class: subclasses define α(t), σ(t) and their derivatives on [t_min, t_max]."""

    name: str = field(init=False, default="")
    paper: str = field(init=False, default="")
    discrete: bool = field(init=False, default=False)

    t_min: float = 0.0
    t_max: float = 1.0

    @abstractmethod
    def alpha(self, t):
        """Signal coefficient α(t)."""

    @abstractmethod
    def sigma(self, t):
        """Noise coefficient σ(t)."""

    def d_alpha(self, t):
        return _central_difference(self.alpha, t, self.t_min, self.t_max)

    def d_sigma(self, t):
        return _central_difference(self.sigma, t, self.t_min, self.t_max)

    # -- derived, identical for every process ------------------------------------
    def drift_coef(self, t):
        """f(t) in the forward SDE dx = f(t)·x dt + g(t) dw (-∞ where α = 0, e.g. flow matching at t = 1)."""
        with np.errstate(divide="ignore"):
            return self.d_alpha(t) / self.alpha(t)

    def diffusion_sq(self, t):
        """g(t)² = d(σ²)/dt - 2 f(t) σ²."""
        s = self.sigma(t)
        return 2 * s * self.d_sigma(t) - 2 * self.drift_coef(t) * s**2

    def log_snr(self, t):
        with np.errstate(divide="ignore"):
            return np.log(self.alpha(t)) - np.log(self.sigma(t))

    def sigma_tilde(self, t):
        """σ/α: the noise level in the scaled (EDM / variance-exploding) frame."""
        return self.sigma(t) / self.alpha(t)

    def t_from_sigma_tilde(self, sigma_tilde):
        """Inverse of σ̃(t) (monotone), by bisection on log σ̃ unless a subclass knows it in closed form."""
        target = np.log(np.asarray(sigma_tilde, dtype=np.float64))
        lo = np.full_like(target, self.t_min + 1e-12 * (self.t_max - self.t_min))
        hi = np.full_like(target, self.t_max)
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            above = np.log(self.sigma_tilde(mid)) > target
            hi = np.where(above, mid, hi)
            lo = np.where(above, lo, mid)
        return 0.5 * (lo + hi)

    def describe(self) -> str:
        return f"{self.name} ({self.paper})"


def _central_difference(fn, t, lo, hi):
    t = np.asarray(t, dtype=np.float64)
    h = 1e-6 * max(1.0, hi - lo)
    a, b = np.clip(t - h, lo, hi), np.clip(t + h, lo, hi)
    return (fn(b) - fn(a)) / (b - a)


# ---------------------------------------------------------------------------- discrete VP
@dataclass(frozen=True)
class DiscreteVP(ForwardProcess):
    """DDPM's discrete chain with ᾱ_n = Π_{i≤n}(1-β_i), n = 0..T-1, α = √ᾱ, σ = √(1-ᾱ).

    Time is the timestep index; t = -1 is clean data (ᾱ = 1, DDIM's `set_alpha_to_one`). Between
    integers log ᾱ is interpolated linearly, which is what fractional timesteps mean in diffusers'
    Euler-type schedulers up to their σ interpolation.
    """

    schedule: str = "linear"
    T: int = 1000
    beta_start: float = 1e-4
    beta_end: float = 0.02

    def __post_init__(self):
        object.__setattr__(self, "t_min", -1.0)
        object.__setattr__(self, "t_max", float(self.T - 1))
        object.__setattr__(self, "discrete", True)
        if self.schedule == "linear":
            betas = np.linspace(self.beta_start, self.beta_end, self.T)
            object.__setattr__(self, "name", "DDPM (linear β)")
            object.__setattr__(self, "paper", "Ho et al. 2020, DDPM, Sec. 4")
        elif self.schedule == "cosine":
            s = 0.008
            f = np.cos((np.arange(self.T + 1) / self.T + s) / (1 + s) * np.pi / 2) ** 2
            betas = np.minimum(1 - f[1:] / f[:-1], 0.999)
            object.__setattr__(self, "name", "IDDPM (cosine)")
            object.__setattr__(self, "paper", "Nichol & Dhariwal 2021, Improved DDPM, eq. 17")
        else:
            raise ValueError(f"unknown discrete schedule {self.schedule!r}; use 'linear' or 'cosine'")
        object.__setattr__(self, "betas", betas)
        log_abar = np.concatenate([[0.0], np.cumsum(np.log1p(-betas))])
        object.__setattr__(self, "_log_abar", log_abar)  # index 0 is t = -1

    def alphas_cumprod(self, t):
        return np.exp(np.interp(np.asarray(t, dtype=np.float64) + 1, np.arange(self.T + 1), self._log_abar))

    def alpha(self, t):
        return np.sqrt(self.alphas_cumprod(t))

    def sigma(self, t):
        # `+ 0.0` turns the -0.0 that √(-expm1(0)) gives at t = -1 into +0.0
        return np.sqrt(-np.expm1(np.log(self.alphas_cumprod(t)))) + 0.0


# ---------------------------------------------------------------------------- continuous
@dataclass(frozen=True)
class VP(ForwardProcess):
    """Continuous VP SDE, β(t) = β_min + t(β_max - β_min): α = exp(-¼t²Δβ - ½tβ_min), σ = √(1-α²).

    Song et al. 2021, Score SDE, eq. 11 and Appendix B; discretised with N = 1000 it is DDPM.
    """

    beta_min: float = 0.1
    beta_max: float = 20.0

    def __post_init__(self):
        object.__setattr__(self, "name", "VP SDE")
        object.__setattr__(self, "paper", "Song et al. 2021, Score SDE, eq. 11")

    def _log_alpha(self, t):
        t = np.asarray(t, dtype=np.float64)
        return -0.25 * t**2 * (self.beta_max - self.beta_min) - 0.5 * t * self.beta_min

    def beta(self, t):
        return self.beta_min + np.asarray(t, dtype=np.float64) * (self.beta_max - self.beta_min)

    def alpha(self, t):
        return np.exp(self._log_alpha(t))

    def sigma(self, t):
        return np.sqrt(-np.expm1(2 * self._log_alpha(t)))

    def d_alpha(self, t):
        return -0.5 * self.beta(t) * self.alpha(t)

    def d_sigma(self, t):
        s = self.sigma(t)
        a = self.alpha(t)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(s > 0, 0.5 * self.beta(t) * a**2 / np.where(s > 0, s, 1.0), np.inf)

    def diffusion_sq(self, t):
        """g² = β(t) in closed form (the generic 2σσ' - 2fσ² is 0·∞ at t = 0, where σ' = ∞)."""
        return self.beta(t)


@dataclass(frozen=True)
class SubVP(VP):
    """sub-VP SDE: the VP drift with g² = β(t)(1 - α⁴), so σ = 1 - α² (Song et al. 2021, eq. 12)."""

    def __post_init__(self):
        object.__setattr__(self, "name", "sub-VP SDE")
        object.__setattr__(self, "paper", "Song et al. 2021, Score SDE, eq. 12")

    def sigma(self, t):
        return -np.expm1(2 * self._log_alpha(t))

    def d_sigma(self, t):
        return self.beta(t) * self.alpha(t) ** 2

    def diffusion_sq(self, t):
        """g² = β(t)(1 - α⁴) (Song et al. 2021, eq. 12)."""
        return self.beta(t) * -np.expm1(4 * self._log_alpha(t))


@dataclass(frozen=True)
class VE(ForwardProcess):
    """Variance exploding (NCSN): α = 1, σ(t) = σ_min (σ_max/σ_min)^t for t ∈ (0, 1].

    Song & Ermon 2019 (NCSN) geometric noise levels; Song et al. 2021, eq. 9. σ_max should be about
    the largest distance between data points (Song & Ermon 2020, Technique 1): see `sigma_max_for`.
    Clean data (σ = 0) is reached by the samplers' final denoising step, not by t.
    """

    sigma_min: float = 0.01
    sigma_max: float = 50.0

    def __post_init__(self):
        object.__setattr__(self, "name", "VE SDE (NCSN)")
        object.__setattr__(self, "paper", "Song & Ermon 2019; Song et al. 2021, eq. 9")
        object.__setattr__(self, "t_min", 0.0)

    def alpha(self, t):
        return np.ones_like(np.asarray(t, dtype=np.float64))

    def sigma(self, t):
        return self.sigma_min * (self.sigma_max / self.sigma_min) ** np.asarray(t, dtype=np.float64)

    def d_alpha(self, t):
        return np.zeros_like(np.asarray(t, dtype=np.float64))

    def d_sigma(self, t):
        return self.sigma(t) * np.log(self.sigma_max / self.sigma_min)

    def t_from_sigma_tilde(self, sigma_tilde):
        return np.log(np.asarray(sigma_tilde) / self.sigma_min) / np.log(self.sigma_max / self.sigma_min)


def sigma_max_for(means: np.ndarray, covs: np.ndarray) -> float:
    """NCSNv2 Technique 1: σ_max ≈ the largest pairwise distance in the data (here: between modes,
    widened by three standard deviations of the widest component)."""
    d = np.linalg.norm(means[:, None] - means[None], axis=-1).max()
    spread = np.sqrt(np.linalg.eigvalsh(covs).max())
    return float(max(d + 6 * spread, 1.0))


@dataclass(frozen=True)
class EDM(ForwardProcess):
    """Karras et al. 2022 (EDM), Table 1: α = 1, σ(t) = t, t ∈ [0, 80]."""

    t_max: float = 80.0

    def __post_init__(self):
        object.__setattr__(self, "name", "EDM (σ = t)")
        object.__setattr__(self, "paper", "Karras et al. 2022, EDM, Table 1")

    def alpha(self, t):
        return np.ones_like(np.asarray(t, dtype=np.float64))

    def sigma(self, t):
        return np.asarray(t, dtype=np.float64)

    def d_alpha(self, t):
        return np.zeros_like(np.asarray(t, dtype=np.float64))

    def d_sigma(self, t):
        return np.ones_like(np.asarray(t, dtype=np.float64))

    def t_from_sigma_tilde(self, sigma_tilde):
        return np.asarray(sigma_tilde, dtype=np.float64)


@dataclass(frozen=True)
class FlowMatching(ForwardProcess):
    """Rectified flow / flow matching linear interpolant: α = 1 - t, σ = t (t = 1 is pure noise).

    Liu et al. 2023 (rectified flow); Lipman et al. 2023 (σ_min = 0); the convention of diffusers'
    FlowMatchEulerDiscreteScheduler. The velocity is v = dx/dt = ε - x₀.
    """

    def __post_init__(self):
        object.__setattr__(self, "name", "Flow matching (α = 1 - t, σ = t)")
        object.__setattr__(self, "paper", "Lipman et al. 2023; Liu et al. 2023")

    def alpha(self, t):
        return 1.0 - np.asarray(t, dtype=np.float64)

    def sigma(self, t):
        return np.asarray(t, dtype=np.float64)

    def d_alpha(self, t):
        return -np.ones_like(np.asarray(t, dtype=np.float64))

    def d_sigma(self, t):
        return np.ones_like(np.asarray(t, dtype=np.float64))

    def t_from_sigma_tilde(self, sigma_tilde):
        s = np.asarray(sigma_tilde, dtype=np.float64)
        return s / (1 + s)


PROCESSES = {
    "ddpm": lambda mix=None: DiscreteVP(schedule="linear"),
    "cosine": lambda mix=None: DiscreteVP(schedule="cosine"),
    "vp": lambda mix=None: VP(),
    "subvp": lambda mix=None: SubVP(),
    "ve": lambda mix=None: VE(sigma_max=50.0 if mix is None else sigma_max_for(mix.means, mix.covs)),
    "edm": lambda mix=None: EDM(),
    "flow": lambda mix=None: FlowMatching(),
}
"""Process name → factory taking the data mixture (VE picks σ_max from it)."""


def make_process(name: str, mixture=None) -> ForwardProcess:
    if name not in PROCESSES:
        raise ValueError(f"unknown process {name!r}; choose one of {sorted(PROCESSES)}")
    return PROCESSES[name](mixture)
