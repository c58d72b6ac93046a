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
from core.samplers import ancestral, diffusers_rows, dpm_solver, few_step, langevin, ode, optimal
from core.samplers.base import NoiseSource
from core.samplers.spec import Param, SamplerSpec, per_step


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
            kind="SDE",
            note="A stochastic reverse-SDE sampler, accurate with many small steps (1000 in the paper) and poor with "
            "few.",
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
            order=1,
            noise_free=lambda p: p["eta"] == 0 and not p["sigma_hat"],
            note="η = 0 is deterministic and integrates the probability-flow ODE (Euler in σ̃ = σ/α); η > 0 adds "
            "fresh noise each step (η = 1 is DDPM's posterior variance), so it no longer follows the ODE.",
        ),
        SamplerSpec(
            "optimal_gaussian",
            "Optimal Gaussian step (exact Σ(x))",
            "Tweedie's second-order formula; the full-covariance generalisation of IDDPM's learned diagonal Σ "
            "(Nichol & Dhariwal 2021, Sec. 3.1)",
            optimal.optimal_gaussian,
            default_steps=20,
            stochastic=True,
            kind="SDE",
            oracle=True,
            note="Cov[x₀ | x_t] comes from the mixture's Hessian, not from a model call: one evaluation per step "
            "(a learned model takes it from central differences, 4 more).",
        ),
        SamplerSpec(
            "analytic_dpm",
            "Analytic-DPM (optimal scalar variance)",
            "Bao et al. 2022, Theorem 1",
            optimal.analytic_dpm,
            default_steps=20,
            stochastic=True,
            kind="SDE",
            oracle=True,
            note="The variance of each step from the exact mixture's mean score norm (Bao et al. 2022, eq. 7).",
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
            kind="SDE",
            note="On the reverse SDE: first order and stochastic; it needs many more steps than an ODE solver for the "
            "same error.",
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
            kind="SDE",
            nfe=lambda n, p: (p["n_corrector"] + 1) * n,
            note="A reverse-diffusion predictor plus Langevin corrector steps at each noise level (corrector first, "
            "as the official sampling.py).",
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
            order=1,
            noise_free=lambda p: p["s_churn"] == 0,
            note="Euler on the probability-flow ODE in EDM's frame: first order; S_churn > 0 adds EDM's stochastic "
            "churn.",
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
            order=2,
            nfe=per_step(2, -1),
            noise_free=lambda p: p["s_churn"] == 0,
            note="Second order, 2N − 1 model calls for N steps on the Karras ρ = 7 grid (18 steps = 35 NFE, the "
            "paper's CIFAR-10 setting).",
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
            nfe=None,
            note="The probability-flow ODE with an adaptive Runge–Kutta solver: the number of model calls follows "
            "the tolerance, not the Steps slider.",
        ),
        SamplerSpec(
            "dpm_solver_2",
            "DPM-Solver-2",
            "Lu et al. 2022a, Algorithm 4",
            dpm_solver.dpm_solver,
            fixed={"order": 2},
            default_grid="logsnr",
            default_steps=10,
            order=2,
            nfe=per_step(2, -1),
            note="Exact in the linear part of the ODE, second order in the rest; two model calls per step.",
        ),
        SamplerSpec(
            "dpm_solver_3",
            "DPM-Solver-3",
            "Lu et al. 2022a, Algorithm 5",
            dpm_solver.dpm_solver,
            fixed={"order": 3},
            default_grid="logsnr",
            default_steps=7,
            order=3,
            nfe=per_step(3, -2),
            note="Third order, three model calls per step.",
        ),
        SamplerSpec(
            "dpmpp_2m",
            "DPM-Solver++(2M)",
            "Lu et al. 2022b, Algorithm 2",
            dpm_solver.dpm_solver_pp_2m,
            (Param("lower_order_final", "lower-order final steps", True),),
            default_steps=20,
            order=2,
            note="A multistep second-order solver in x̂₀ that reuses the previous step's denoiser output (one model "
            "call per step), with first-order final steps.",
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
            order=1,
            note="Euler on the flow-matching ODE. Time runs as in Liu et al. and diffusers, t = 1 noise → t = 0 data; "
            "Lipman et al. count the other way. With the exact model it is algebraically DDIM η = 0 on the same "
            "nodes: differences come from where the grid puts them.",
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
            order=2,
            nfe=per_step(2, -1),
            note="Heun on the flow-matching ODE (second order). t = 1 is noise here; Lipman et al. 2023 count the "
            "other way.",
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
            kind="Langevin",
            nfe=lambda n, p: n * p["steps_per_level"],
            budget_param="steps_per_level",
            grid_role="levels",
            note="Langevin steps at each noise level from large to small, so mass settles between modes while they "
            "still overlap.",
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
            kind="Langevin",
            nfe=lambda n, p: p["n_steps"],
            budget_param="n_steps",
            grid_role="floor",
            note="With separated modes it cannot move mass between them, so the weights it returns are those of where "
            "it started, not the data's (NCSN Fig. 3). The lower panel shows the mass per mode against the true "
            "weights.",
        ),
        SamplerSpec(
            "exact_kernel",
            "Exact reverse kernel (a mixture: DD-GAN's ideal)",
            "Xiao et al. 2022 (DD-GAN), Secs. 3.1 and 3.2: the multimodal denoising distribution their GAN learns",
            few_step.exact_kernel,
            default_grid="trailing",
            default_steps=4,
            stochastic=True,
            kind="SDE",
            oracle=True,
            note="Each step draws from the true q(x_s | x_t), for mixture data a Gaussian mixture for any jump: what "
            "a perfect multimodal generator reaches (exact samples at any number of steps, even 1), not what a GAN "
            "learns. It reads the data's components beyond x̂₀, so it does not race.",
        ),
        SamplerSpec(
            "distilled",
            "Distilled student (progressive)",
            "Salimans & Ho 2022, Algorithm 2",
            few_step.distilled,
            default_grid="trailing",
            default_steps=4,
            nfe=few_step.student_nfe,
            own_schedule=few_step.OWN_SCHEDULE,
            note="A small network distilled from the exact DDIM-64 teacher by halving its steps (64 → 32 → … → 1), "
            "sampled by DDIM on its own cosine schedule t = i/N from N(0, I): the Time grid gives only N (1, 2, 4, "
            "8, 16 or 32). Shipped for every preset.",
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
    seed: int | np.random.Generator,
    params: dict | None = None,
    n_paths: int = 32,
    x_init: np.ndarray | None = None,
) -> SampleResult:
    """Draw n samples with sampler `key`; the seed fixes the initial noise and every step's noise (a Generator
    is used as it is: its stream goes on where the caller left it). `x_init` replaces the initial noise."""
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
