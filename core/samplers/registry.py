"""The sampler registry: each sampler with its paper, its parameters (type, range, default, help)
and the process and grid it is usually shown with. The same spec builds the UI controls, validates
API input and drives the comparisons, so a new sampler is one function plus one entry here."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from core.grids import Grid
from core.models import CountingDenoiser, Denoiser
from core.samplers import ancestral, diffusers_rows, dpm_solver, langevin, ode, optimal
from core.samplers.base import NoiseSource
from core.samplers.spec import Param, SamplerSpec


@dataclass
class SampleResult:
    samples: np.ndarray  # (N, 2) endpoints of every particle
    path: np.ndarray  # (n_records, m, 2) states of the first m particles, the start included
    denoised: np.ndarray  # (n_records - 1, m, 2) x̂₀ used at each step (NaN where a sampler has none)
    nfe: int
    seconds: float


class _Recorder:
    """Keeps full paths for the first m particles only (endpoints for the rest come back anyway)."""

    def __init__(self, x0: np.ndarray, m: int):
        self.m = m
        self.path = [x0[:m].copy()]
        self.denoised = []

    def __call__(self, i, x, x0):
        self.path.append(np.array(x[: self.m]))
        self.denoised.append(np.full((min(self.m, len(x)), 2), np.nan) if x0 is None else np.array(x0[: self.m]))


ETA = Param("eta", "η", 0.0, 0.0, 1.0, help="0 = deterministic DDIM, 1 = DDPM's posterior variance β̃")
CHURN = (
    Param("s_churn", "S_churn", 0.0, 0.0, 100.0, help="total stochasticity; 0 = deterministic Heun"),
    Param("s_tmin", "S_tmin", 0.0, 0.0, 100.0, help="churn only for σ̃ ≥ S_tmin"),
    Param("s_tmax", "S_tmax", 1e5, 0.0, math.inf, help="churn only for σ̃ ≤ S_tmax (1e5: no upper limit)"),
    Param("s_noise", "S_noise", 1.0, 0.9, 1.1, help="noise inflation (EDM uses 1.003-1.007)"),
)

SAMPLERS: dict[str, SamplerSpec] = {
    s.key: s
    for s in [
        SamplerSpec(
            "ddpm",
            "DDPM ancestral",
            "Ho et al. 2020, Algorithm 2",
            ancestral.ddpm,
            (
                Param(
                    "variance",
                    "variance",
                    "beta_tilde",
                    choices=("beta_tilde", "beta"),
                    help="σ² = β̃ (fixed_small) or β (fixed_large)",
                ),
            ),
            default_steps=1000,
            stochastic=True,
        ),
        SamplerSpec(
            "ddim",
            "DDIM",
            "Song et al. 2021a, eq. 12",
            ancestral.ddim,
            (
                ETA,
                Param(
                    "sigma_hat", "σ̂ (Table 1 row)", False, help="the larger variance σ̂ of DDIM's Table 1 (overrides η)"
                ),
            ),
            default_steps=20,
            stochastic=True,
        ),
        SamplerSpec(
            "optimal_gaussian",
            "Optimal Gaussian step (exact Σ(x))",
            "Tweedie's second-order formula; the target of IDDPM's learned Σ (Nichol & Dhariwal 2021)",
            optimal.optimal_gaussian,
            default_steps=20,
            stochastic=True,
        ),
        SamplerSpec(
            "analytic_dpm",
            "Analytic-DPM (optimal scalar variance)",
            "Bao et al. 2022, Theorem 1",
            optimal.analytic_dpm,
            default_steps=20,
            stochastic=True,
        ),
        SamplerSpec(
            "euler_maruyama",
            "Reverse SDE, Euler–Maruyama",
            "Song et al. 2021b, Sec. 4.1",
            ancestral.euler_maruyama,
            default_process="vp",
            default_grid="linspace",
            default_steps=100,
            stochastic=True,
        ),
        SamplerSpec(
            "pc",
            "Predictor–corrector",
            "Song et al. 2021b, Algorithms 2-3 (PC), corrector of Algorithms 4-5; corrector first, as sampling.py",
            ancestral.predictor_corrector,
            (
                Param("snr", "corrector snr r", 0.16, 0.0, 1.0, help="Langevin step ∝ r²"),
                Param("n_corrector", "corrector steps", 1, 0, 10, integer=True),
            ),
            default_process="ve",
            default_grid="logsnr",
            default_steps=100,
            stochastic=True,
        ),
        SamplerSpec(
            "pf_euler",
            "PF-ODE Euler",
            "Karras et al. 2022, eq. 3 (Euler)",
            ode.edm_sampler,
            CHURN,
            fixed={"heun": False},
            default_process="edm",
            default_grid="karras",
            default_steps=50,
            stochastic=True,  # with S_churn > 0
        ),
        SamplerSpec(
            "edm_heun",
            "EDM Heun (+ churn)",
            "Karras et al. 2022, Algorithms 1-2",
            ode.edm_sampler,
            CHURN,
            fixed={"heun": True},
            default_process="edm",
            default_grid="karras",
            default_steps=18,
            stochastic=True,  # with S_churn > 0
        ),
        SamplerSpec(
            "pf_adaptive",
            "PF-ODE adaptive (solve_ivp)",
            "Song et al. 2021b, Sec. 4.3",
            ode.pf_ode_adaptive,
            (
                Param("method", "method", "RK45", choices=("RK45", "RK23", "DOP853")),
                Param("rtol", "rtol", 1e-5, 1e-10, 1e-1),
                Param("atol", "atol", 1e-5, 1e-10, 1e-1),
            ),
            default_process="vp",
            default_grid="logsnr",
            default_steps=20,
        ),
        SamplerSpec(
            "dpm_solver_2",
            "DPM-Solver-2",
            "Lu et al. 2022a, Algorithm 4",
            dpm_solver.dpm_solver,
            fixed={"order": 2},
            default_grid="logsnr",
            default_steps=10,
        ),
        SamplerSpec(
            "dpm_solver_3",
            "DPM-Solver-3",
            "Lu et al. 2022a, Algorithm 5",
            dpm_solver.dpm_solver,
            fixed={"order": 3},
            default_grid="logsnr",
            default_steps=7,
        ),
        SamplerSpec(
            "dpmpp_2m",
            "DPM-Solver++(2M)",
            "Lu et al. 2022b, Algorithm 2",
            dpm_solver.dpm_solver_pp_2m,
            (Param("lower_order_final", "lower-order final steps", True),),
            default_steps=20,
        ),
        SamplerSpec(
            "flow_euler",
            "Flow matching Euler",
            "Lipman et al. 2023; Liu et al. 2023",
            ode.flow_ode,
            fixed={"heun": False},
            default_process="flow",
            default_grid="linspace",
            default_steps=20,
        ),
        SamplerSpec(
            "flow_heun",
            "Flow matching Heun",
            "Lipman et al. 2023; Liu et al. 2023",
            ode.flow_ode,
            fixed={"heun": True},
            default_process="flow",
            default_grid="linspace",
            default_steps=10,
        ),
        SamplerSpec(
            "annealed_langevin",
            "NCSN annealed Langevin",
            "Song & Ermon 2019, Algorithm 1",
            langevin.annealed_langevin,
            (
                Param(
                    "eps",
                    "ε",
                    2e-5,
                    1e-7,
                    1.0,
                    help="step at the last level: 2e-5 at σ_L = 0.01 (Algorithm 1), 0.1 at σ_L = 1 (the NCSN 2D toy)",
                ),
                Param("steps_per_level", "steps per level", 100, 1, 1000, integer=True),
            ),
            default_process="ve",
            default_grid="logsnr",
            default_steps=10,
            stochastic=True,
        ),
        SamplerSpec(
            "langevin",
            "Plain Langevin (data score)",
            "Song & Ermon 2019, eq. 4",
            langevin.langevin,
            (Param("step_size", "step ε", 0.1, 1e-5, 1.0), Param("n_steps", "steps", 1000, 1, 10000, integer=True)),
            default_process="ve",
            default_grid="logsnr",
            default_steps=10,
            stochastic=True,
        ),
        *diffusers_rows.SPECS,
    ]
}


def get_sampler(key: str) -> SamplerSpec:
    if key not in SAMPLERS:
        raise ValueError(f"unknown sampler {key!r}; choose one of {sorted(SAMPLERS)}")
    return SAMPLERS[key]


def initial_noise(grid: Grid, n: int, rng: np.random.Generator) -> np.ndarray:
    """x_T ~ N(0, σ_T² I): the prior every sampler starts from (it ignores the α_T x₀ part of p_T)."""
    return grid.sigma[0] * rng.standard_normal((n, 2))


def run_sampler(
    key: str,
    model: Denoiser,
    grid: Grid,
    n: int,
    seed: int,
    params: dict | None = None,
    n_paths: int = 32,
    x_init: np.ndarray | None = None,
) -> SampleResult:
    """Draw n samples with sampler `key`; the seed fixes the initial noise and every step's noise."""
    spec = get_sampler(key)
    kwargs = spec.validate(params)
    rng = np.random.default_rng(seed)
    x = initial_noise(grid, n, rng) if x_init is None else np.asarray(x_init, dtype=np.float64)
    counted = CountingDenoiser(model)
    recorder = _Recorder(x, n_paths)
    start = time.perf_counter()
    out = spec.fn(counted, x, grid, NoiseSource(rng), recorder, **spec.fixed, **kwargs)
    seconds = time.perf_counter() - start
    denoised = np.array(recorder.denoised) if recorder.denoised else np.zeros((0, min(n_paths, n), 2))
    return SampleResult(out, np.array(recorder.path), denoised, counted.calls, seconds)
