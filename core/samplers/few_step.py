"""Few-step samplers as registry entries: the exact multimodal reverse kernel and the progressive-distillation
students (issue 28), so that the Reverse tab, the Race and the benchmarks run them like any other sampler.

* `exact_kernel`: ancestral sampling with the true reverse kernel q(x_s | x_t), a Gaussian mixture for every
  jump t → s when the data are a mixture (core/reverse_kernel.py). Xiao et al. 2022 (DD-GAN, Sec. 3.1) argue that
  for large steps this kernel is multimodal, so that DDPM's Gaussian is accurate only for small steps (or
  Gaussian data), and learn it with a conditional GAN; this row is the ideal such a generator approximates,
  exact at any number of steps. It needs the exact mixture (its components' posteriors), so, like the optimal
  Gaussian step (its moment-matched Gaussian), it is an oracle and does not race. Its one model call per step
  is x̂₀ (recorded for the path), whose responsibilities the kernel's component weights are.
* `distilled`: the shipped students of progressive distillation (Salimans & Ho 2022, Algorithm 2; trained by
  core/distill.py from the exact DDIM-64 teacher), each a v-prediction MLP sampled by DDIM (η = 0) on its own
  N steps t_i = i/N of the continuous cosine schedule α_t = cos(πt/2), σ_t = sin(πt/2), from its own prior
  N(0, I). Like a diffusers row it runs its own schedule: only the number of steps N (1, 2, 4, 8, 16 or 32,
  one student per round of halving) is taken from the grid, and the start x_T = σ_T z gives z. Its model is
  the student network (one evaluation per step, charged to the run's count), not the exact denoiser; the
  exact model only says which data the run is on, and students exist for the data `core.distill` ships.
"""

from __future__ import annotations

import numpy as np

from core.models import CountingDenoiser
from core.samplers.optimal import exact_mixture

OWN_SCHEDULE = "own cosine schedule, t = i/N"


def student_steps() -> tuple[int, ...]:
    """The students' step counts, ascending: one student per round of halving (core.distill.ROUNDS)."""
    from core.distill import ROUNDS

    return tuple(sorted(ROUNDS))


def student_nfe(n: int, params: dict) -> int | None:
    """One student evaluation per step; None where no student takes n steps."""
    return int(n) if int(n) in student_steps() else None


def _charge(model) -> None:
    """Count one network evaluation on the run's counter (the registry's CountingDenoiser around `model`)."""
    while model is not None:
        if isinstance(model, CountingDenoiser):
            model.calls += 1
            return
        model = getattr(model, "inner", None)


def shipped_preset(mixture) -> str | None:
    """The shipped preset whose data `mixture` is (students exist for these), None for any other data."""
    from core.dataspec import load_data
    from core.distill import SHIPPED_PRESETS

    for key in SHIPPED_PRESETS:
        other = load_data(key)
        if (
            other.n_components == mixture.n_components
            and np.array_equal(other.weights, mixture.weights)
            and np.array_equal(other.means, mixture.means)
            and np.array_equal(other.covs, mixture.covs)
        ):
            return key
    return None


def student_for(model, n_steps: int):
    """The shipped student of `n_steps` steps for the data behind `model`, or ValueError saying why none."""
    from core import distill as D

    mixture = exact_mixture(model)
    if mixture is None:
        raise ValueError("A distilled student is looked up by the data of the exact model; use the exact model")
    preset = shipped_preset(mixture)
    if preset is None:
        raise ValueError(
            "No progressive-distillation student is shipped for this data: students are shipped for the "
            f"{len(D.SHIPPED_PRESETS)} presets (the Few steps tab trains them for other data)."
        )
    if n_steps not in student_steps():
        raise ValueError(
            f"A progressive-distillation student takes N = {', '.join(map(str, student_steps()))} steps (one student "
            f"per round of halving from the 64-step teacher); got {n_steps}."
        )
    return D.cached(D.DistillSettings(spec=preset)).student(n_steps)


def distilled(model, x, grid, noise, callback):
    """Salimans & Ho 2022, Algorithm 2's student of N = grid.n_steps steps: DDIM (η = 0) with x̂ = α_t z − σ_t v̂
    on t_i = i/N of the cosine schedule, from z = x_T/σ_T (core.distill.Student.sample, step by step)."""
    from core.distill import ddim_step

    student = student_for(model, grid.n_steps)
    n = student.n
    z = np.asarray(x, dtype=np.float64) / float(grid.sigma[0])
    for i in range(n, 0, -1):
        t, s = i / n, (i - 1) / n
        x_hat = student.denoise(z, t)
        _charge(model)
        z = ddim_step(x_hat, z, t, s)
        callback(n - i + 1, z, x_hat)
    return z


def exact_kernel(model, x, grid, noise, callback):
    """Ancestral sampling with the exact reverse kernel q(x_s | x_t) = Σ_k r_k(x_t) N(c_x x_t + c_0 m_k, β̃ I +
    c_0² V_k) (core/reverse_kernel.py): a component k ~ r(x_t), then its Gaussian, at every step of the grid; the
    ideal kernel DD-GAN's generator learns (Xiao et al. 2022, Sec. 3.2). Exact model only."""
    from core.reverse_kernel import ReverseKernel

    mixture = exact_mixture(model)
    if mixture is None:
        raise ValueError("The exact reverse kernel is a mixture of the data's components; use the exact model")
    if grid.alpha[0] <= 0:
        raise ValueError("The exact reverse kernel needs α > 0 at the first node (x_t/α); use a Karras grid")
    for i in range(grid.n_steps):
        a_t, s_t, a_s, s_s = (float(v) for v in (grid.alpha[i], grid.sigma[i], grid.alpha[i + 1], grid.sigma[i + 1]))
        x0 = model.denoise(x, a_t, s_t)
        x = ReverseKernel(mixture, a_t, s_t, a_s, s_s).sample(x, noise.rng)
        callback(i + 1, x, x0)
    return x
