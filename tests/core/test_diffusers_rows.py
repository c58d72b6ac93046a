"""Issue 8, the bridge: every diffusers row of the registry runs, samples the right thing, reports its
path in our VP frame, agrees with our own sampler where the two are the same algorithm, and diffusers
(and torch) are imported only when a bridge row is used.

The precise per-step cross-checks on identical inputs are in test_diffusers_crosscheck.py; here the rows
run through `run_sampler`, i.e. through `run_diffusers` with its own frame conversions.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from core.datasets import PRESETS, load_preset
from core.grids import Grid, make_grid, timestep_grid
from core.metrics import data_noise_floor, mmd2
from core.models import ExactDenoiser
from core.processes import DiscreteVP, make_process
from core.samplers.registry import SAMPLERS, run_sampler

ROOT = Path(__file__).resolve().parents[2]
ROWS = sorted(key for key, spec in SAMPLERS.items() if spec.diffusers)
RTOL32 = 1e-5  # diffusers' schedules are float32 (and Euler / DPM++ cast the sample to float32 in `step`)


def test_the_issue_asks_for_these_rows():
    wanted = [
        "DDPM",
        "DDIM",
        "DPMSolverMultistep",
        "DPMSolverSinglestep",
        "EulerDiscrete",
        "EulerAncestralDiscrete",
        "HeunDiscrete",
        "UniPCMultistep",
        "LMSDiscrete",
        "PNDM",
        "DEISMultistep",
    ]
    assert set(ROWS) >= {f"diffusers:{name}" for name in wanted}


def test_registry_import_does_not_import_diffusers_or_torch():
    """`import core.samplers.registry` and running one of our own samplers leave diffusers and torch
    unimported (in a fresh interpreter: this test session has imported both already)."""
    code = textwrap.dedent(
        """
        import sys
        import numpy as np
        import core.samplers.registry as registry
        from core.datasets import load_preset
        from core.grids import timestep_grid
        from core.models import ExactDenoiser
        from core.processes import DiscreteVP

        def loaded():
            return sorted(m for m in ("diffusers", "torch") if m in sys.modules)

        assert loaded() == [], f"import core.samplers.registry loaded {loaded()}"
        model, grid = ExactDenoiser(load_preset("ring8")), timestep_grid(DiscreteVP(), 5, "leading")
        registry.run_sampler("ddim", model, grid, 10, 0)
        assert loaded() == [], f"running our DDIM loaded {loaded()}"
        """
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_first_calls_from_several_threads_see_every_scheduler():
    """The app's warm-up and a first request ask for diffusers schedulers at once, in a fresh interpreter:
    each thread gets every row's timesteps (diffusers loads its classes lazily; without the import lock one
    thread in two got "no attribute 'DPMSolverMultistepScheduler'", cached as a refusal, and the race then
    failed or dropped the row)."""
    code = textwrap.dedent(
        """
        import threading
        from core.samplers import diffusers_rows as D

        rows = [(spec.fixed["scheduler_class"], spec.validate({}).get("spacing")) for spec in D.SPECS]
        refused = {}

        def ask(i):
            refused[i] = [name for name, spacing in rows if D.timesteps(name, spacing, 10) is None]

        threads = [threading.Thread(target=ask, args=(i,)) for i in range(4)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        assert all(r == [] for r in refused.values()), refused
        """
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


# -------------------------------------------------------------------------------- every row runs
PRESET = "ring8_soft"
N_ROWS = 500


@pytest.fixture(scope="module")
def soft():
    return load_preset(PRESET), ExactDenoiser(load_preset(PRESET))


@pytest.mark.parametrize("key", ROWS)
def test_every_diffusers_row_samples(soft, key):
    """Each row on its default process, grid and steps (20), 500 points: finite output, our VP frame
    along the path (σ-space rows must divide x̃ by √(σ̃²+1): x̃ is of order σ̃ ≈ 97 at t = 950), the last
    recorded state is the output, and the samples are close to the data. A 20-step sampler scores a few
    noise-floor units of MMD on this preset; a broken bridge (wrong ε, frame or scale) scores thousands."""
    mixture, model = soft
    spec = SAMPLERS[key]
    grid = make_grid(make_process(spec.default_process, mixture), spec.default_grid, spec.default_steps)
    result = run_sampler(key, model, grid, N_ROWS, seed=3)
    x = result.samples
    assert x.shape == (N_ROWS, 2) and np.isfinite(x).all()
    assert result.nfe >= grid.n_steps
    np.testing.assert_array_equal(result.path[-1], x[: result.path.shape[1]])
    assert np.isfinite(result.path).all() and np.abs(result.path).max() < 10
    floor = data_noise_floor(PRESET, "mmd2", N_ROWS)
    assert floor.in_units(mmd2(x, mixture, PRESETS[PRESET].kernel_bandwidth)) < 10


@pytest.mark.parametrize("spacing", ["leading", "trailing", "linspace"])
def test_spacing_parameter_reaches_the_scheduler(soft, spacing):
    """The row's `spacing` reaches diffusers' timestep_spacing: the first x̂₀ the row records is ours at
    the first node of our grid with that spacing ("leading" starts at t = 900 for 10 steps, the others
    at 999). Only the first step is compared: DDIM's `step` goes to t - T//n, which for "linspace" is
    not the next listed timestep."""
    _, model = soft
    grid = timestep_grid(DiscreteVP(), 10, spacing)
    x = grid.sigma[0] * np.random.default_rng(0).standard_normal((N_ROWS, 2))
    ours = run_sampler("ddim", model, grid, N_ROWS, 0, x_init=x)
    theirs = run_sampler("diffusers:DDIM", model, grid, N_ROWS, 0, {"spacing": spacing}, x_init=x)
    np.testing.assert_allclose(theirs.denoised[0], ours.denoised[0], rtol=RTOL32, atol=RTOL32)


# ---------------------------------------------------------- rows = our samplers, through the bridge
def _close(a, b, rtol=RTOL32):
    err = np.abs(a.samples - b.samples).max() / np.abs(b.samples).max()
    assert err <= rtol, f"relative max abs error {err:.3g} > {rtol:g}"
    assert a.nfe == b.nfe


@pytest.mark.parametrize(
    ("row", "ours"),
    [
        ("diffusers:DDIM", "ddim"),
        # Euler in σ̃ on the same σ̃ nodes is DDIM η = 0 (leading: σ̃ at the integer timesteps 900, …, 0)
        ("diffusers:EulerDiscrete", "pf_euler"),
        ("diffusers:EulerDiscrete", "ddim"),
        ("diffusers:HeunDiscrete", "edm_heun"),
    ],
)
def test_bridge_rows_equal_our_samplers(soft, row, ours):
    """Same initial x (VP frame at t = 900) through `run_sampler`: the bridge's ε̂, input scaling and
    σ-space conversion are right. rtol 1e-5: diffusers' float32 ᾱ table (and Euler's float32 cast)."""
    _, model = soft
    grid = timestep_grid(DiscreteVP(), 20, "leading")
    x = grid.sigma[0] * np.random.default_rng(1).standard_normal((N_ROWS, 2))
    _close(run_sampler(row, model, grid, N_ROWS, 0, x_init=x), run_sampler(ours, model, grid, N_ROWS, 0, x_init=x))


def test_bridge_dpm_solver_row_equals_ours(soft):
    """DPMSolverMultistep uses its own timesteps (leading: 900, 810, … for 10 steps, then σ = 0), so our
    grid is built from its σ̃; below 15 steps ours matches with lower_order_final=False (diffusers' 2M
    keeps the step before the last second order)."""
    from core.samplers.diffusers_rows import make_scheduler

    _, model = soft
    sigmas = make_scheduler("DPMSolverMultistepScheduler", 10, "leading").sigmas.double().numpy()
    alpha = 1 / np.sqrt(1 + sigmas**2)
    zero = np.zeros_like(sigmas)
    grid = Grid(np.arange(len(sigmas), dtype=np.float64)[::-1], alpha, sigmas * alpha, zero, zero)
    x = np.random.default_rng(2).standard_normal((N_ROWS, 2))
    theirs = run_sampler("diffusers:DPMSolverMultistep", model, grid, N_ROWS, 0, x_init=x)
    ours = run_sampler("dpmpp_2m", model, grid, N_ROWS, 0, {"lower_order_final": False}, x_init=x)
    _close(theirs, ours)


# -------------------------------------------------------------------------- DDPM reaches the floor
def test_diffusers_ddpm_1000_steps_reaches_the_noise_floor():
    """1000-step DDPM through DDPMScheduler on the sharp ring, 2000 samples: MMD² within 3 noise-floor
    units of exact sampling. The same check on 10 steps must fail, or the check has no power."""
    mixture = load_preset("ring8")
    model = ExactDenoiser(mixture)
    floor = data_noise_floor("ring8", "mmd2", 2000)
    h = PRESETS["ring8"].kernel_bandwidth

    def units(n_steps):
        result = run_sampler("diffusers:DDPM", model, timestep_grid(DiscreteVP(), n_steps, "leading"), 2000, 0)
        return floor.in_units(mmd2(result.samples, mixture, h))

    assert abs(units(1000)) < 3
    assert units(10) > 3
