"""The real `diffusers` schedulers driven by our exact model on (N, 2) tensors.

Each scheduler is built for the 1000-step linear-β DDPM training schedule (β from 1e-4 to 0.02,
passed explicitly: Heun's default is Stable Diffusion's), with `clip_sample=False` and thresholding
off, and fed ε̂ = (x - α x̂₀)/σ. VP schedulers (DDPM, DDIM, DPM-Solver, UniPC, DEIS, PNDM) take
integer timesteps and α from `alphas_cumprod`; the Euler family (Euler, Euler-A, Heun, LMS) works
in σ-space, scales its input by 1/√(σ²+1) and is read through `s.sigmas[s.step_index]`.
They use their own timesteps (set_timesteps(n) with the chosen spacing), not our grid; only the
number of steps is taken from it, and each starts from its own prior (`own_prior`), whatever the
process. `import diffusers` happens on first use: it costs seconds.
"""

from __future__ import annotations

import inspect
import threading
from functools import cache, lru_cache

import numpy as np

from core.samplers.spec import Param, SamplerSpec

TRAINING = {"num_train_timesteps": 1000, "beta_start": 1e-4, "beta_end": 0.02, "beta_schedule": "linear"}
SIGMA_SPACE = {
    "EulerDiscreteScheduler",
    "EulerAncestralDiscreteScheduler",
    "HeunDiscreteScheduler",
    "LMSDiscreteScheduler",
}
NO_CLIP = {"DDPMScheduler", "DDIMScheduler"}
# DPMSolverSinglestep's default lower_order_final=False is not allowed with its final σ = 0: diffusers
# switches it to True in set_timesteps and logs a warning on every run. Ask for True up front.
# PNDM defaults to set_alpha_to_one=False and would stop at t = 0 (σ̃ ≈ 0.01) instead of clean data.
# (DEIS has no such option: its row ends at t = 0, σ̃ ≈ 0.01, which no metric here can see.)
DEFAULTS = {"DPMSolverSinglestepScheduler": {"lower_order_final": True}, "PNDMScheduler": {"set_alpha_to_one": True}}


_IMPORT_LOCK = threading.Lock()


@cache
def scheduler_class(class_name: str):
    """A diffusers scheduler class, imported under a lock: diffusers loads its classes lazily, and two threads
    asking for one at once (the app's warm-up and a first request) got "module 'diffusers' has no attribute
    'DPMSolverMultistepScheduler'" in one of them, which `timesteps` then cached as a refusal."""
    with _IMPORT_LOCK:
        import diffusers

        return getattr(diffusers, class_name)


def make_scheduler(class_name: str, n_steps: int, spacing: str | None = "leading", **config):
    """A diffusers scheduler with our training schedule, clipping off, timesteps set for n steps
    (spacing None: the scheduler has no `timestep_spacing` option, e.g. DPMSolverSinglestep)."""
    cls = scheduler_class(class_name)
    extra = {"clip_sample": False} if class_name in NO_CLIP else {}
    config = {**DEFAULTS.get(class_name, {}), **config}
    if spacing is not None:
        extra["timestep_spacing"] = spacing
    scheduler = cls(**TRAINING, **extra, **config)
    scheduler.set_timesteps(int(n_steps))
    return scheduler


MULTISTEP_LEADING = {"DPMSolverMultistepScheduler", "UniPCMultistepScheduler", "DEISMultistepScheduler"}


def check_supported(scheduler_class: str, n_steps: int, spacing: str | None) -> None:
    """Refuse, with a reason, the settings on which diffusers 0.42 itself fails (measured here)."""
    if scheduler_class == "PNDMScheduler" and n_steps < 4:
        raise ValueError("diffusers' PNDM needs at least 4 steps (its Runge–Kutta warm-up takes 3).")
    if scheduler_class in MULTISTEP_LEADING and spacing == "leading" and n_steps >= 1000:
        raise ValueError(
            "diffusers' multistep schedulers fail with 'leading' spacing at 1000 steps "
            "(their step T//(n+1) is 0); use 'trailing' or 'linspace', or fewer steps."
        )


@lru_cache(maxsize=4096)
def timesteps(scheduler_class: str, spacing: str | None, n_steps: int) -> tuple[float, ...] | None:
    """The timesteps (one model call each) of a row set up for n_steps steps; None if diffusers refuses."""
    try:
        check_supported(scheduler_class, n_steps, spacing)
        return tuple(float(t) for t in make_scheduler(scheduler_class, n_steps, spacing).timesteps)
    except Exception:  # noqa: BLE001 - a scheduler that refuses this many steps cannot run them
        return None


def model_calls(n_steps: int, params: dict) -> int | None:
    """A row's NFE: one call per timestep of its scheduler (Heun: 2n - 1; PNDM: its Runge–Kutta warm-up);
    None beyond one step per training timestep."""
    if n_steps > TRAINING["num_train_timesteps"]:
        return None
    ts = timesteps(params["scheduler_class"], params.get("spacing"), n_steps)
    return None if ts is None else len(ts)


def own_prior(x: np.ndarray, grid, scheduler, sigma_space: bool) -> np.ndarray:
    """The row's initial sample from x ~ N(0, σ_T² I) of *our* grid's process: x/σ_T is the standard normal
    draw, scaled to the scheduler's own prior (every diffusers pipeline starts at z · init_noise_sigma).

    A VP scheduler starts at σ_VP = √(1 - ᾱ) of its first timestep; the Euler family at σ̃₀ of `sigmas`, in
    its own frame x·√(σ̃² + 1). Without this a VE or EDM grid (σ_T = σ_max, 80 for EDM) would hand a VP
    scheduler a sample 80 times too wide and give wrong samples without any error (issue 11, item 1)."""
    if sigma_space:
        target = float(scheduler.sigmas[0])
    else:
        target = float(np.sqrt(1 - float(scheduler.alphas_cumprod[int(scheduler.timesteps[0])])))
    return x * (target / float(grid.sigma[0]))


def run_diffusers(model, x, grid, noise, callback, scheduler_class, spacing=None, **step_kwargs):
    """Sample with a diffusers scheduler: the loop of every diffusers pipeline, our model inside."""
    check_supported(scheduler_class, grid.n_steps, spacing)
    import torch

    s = make_scheduler(scheduler_class, grid.n_steps, spacing)
    sigma_space = scheduler_class in SIGMA_SPACE
    sample = torch.from_numpy(own_prior(np.asarray(x, dtype=np.float64), grid, s, sigma_space))
    kwargs = dict(step_kwargs)
    if "generator" in inspect.signature(s.step).parameters:
        kwargs["generator"] = noise.torch_generator()
    for i, t in enumerate(s.timesteps):
        model_in = s.scale_model_input(sample, t)
        if sigma_space:
            sig = float(s.sigmas[s.step_index])
            alpha, sigma = 1 / np.sqrt(1 + sig**2), sig / np.sqrt(1 + sig**2)
        else:
            abar = float(s.alphas_cumprod[int(t)])
            alpha, sigma = np.sqrt(abar), np.sqrt(1 - abar)
        x_in = model_in.numpy()
        x0 = model.denoise(x_in, alpha, sigma)
        eps = torch.from_numpy((x_in - alpha * x0) / sigma)
        sample = s.step(eps, t, sample, **kwargs).prev_sample.to(torch.float64)
        state = sample.numpy()
        if sigma_space:
            sig_next = float(s.sigmas[min(s.step_index, len(s.sigmas) - 1)])
            state = state / np.sqrt(1 + sig_next**2)
        callback(i + 1, state, x0)
    return state


SPACING = Param(
    "spacing",
    "timestep spacing",
    "leading",
    choices=("leading", "trailing", "linspace"),
    help="diffusers' timestep_spacing",
)

NOTE = (
    "A real diffusers scheduler driven by the exact model. It runs its own 1000-step linear-β training schedule and "
    "its own timesteps (the timestep spacing parameter), not the Time grid chosen here; the title says what it used."
)

# (class, title, kind, order, extra parameters (None: no timestep_spacing option))
_ROWS = [
    ("DDPMScheduler", "DDPM", "SDE", None, ()),
    ("DDIMScheduler", "DDIM", "ODE", 1, (Param("eta", "η", 0.0, 0.0, 1.0),)),
    ("DPMSolverMultistepScheduler", "DPM-Solver++(2M)", "ODE", 2, ()),
    ("DPMSolverSinglestepScheduler", "DPM-Solver++ single-step", "ODE", 2, None),
    ("EulerDiscreteScheduler", "Euler", "ODE", 1, ()),
    ("EulerAncestralDiscreteScheduler", "Euler ancestral", "SDE", None, ()),
    ("HeunDiscreteScheduler", "Heun", "ODE", 2, ()),
    ("UniPCMultistepScheduler", "UniPC", "ODE", 2, ()),
    ("LMSDiscreteScheduler", "LMS", "ODE", 4, ()),
    ("PNDMScheduler", "PNDM", "ODE", 4, ()),
    ("DEISMultistepScheduler", "DEIS", "ODE", 2, ()),
]
NOISE_FREE = {"DDIMScheduler": lambda p: p["eta"] == 0}  # stochastic rows that draw no noise with these values

SPECS = [
    SamplerSpec(
        f"diffusers:{cls.removesuffix('Scheduler')}",
        f"diffusers {title}",
        f"diffusers {cls}",
        run_diffusers,
        (*extra, SPACING) if extra is not None else (),
        fixed={"scheduler_class": cls},
        default_process="ddpm",
        default_grid="leading",
        default_steps=20,
        stochastic=kind == "SDE" or cls in NOISE_FREE,
        diffusers=True,
        kind=kind,
        order=order,
        nfe=model_calls,
        noise_free=NOISE_FREE.get(cls),
        note=NOTE,
    )
    for cls, title, kind, order, extra in _ROWS
]
"""Registry rows for the diffusers schedulers."""
