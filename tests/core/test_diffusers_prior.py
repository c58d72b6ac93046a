"""Issue 11, item 1: a diffusers row starts from its own scheduler's prior whatever process the grid
comes from. Before the fix, VE and EDM grids handed the VP schedulers N(0, σ_max² I) samples and the
rows scored +96 / +100 floor units (ring8_soft, 20 steps) against +0.2 from the VP prior."""

from __future__ import annotations

import numpy as np
import pytest

from core.dataspec import data_bandwidth, load_data
from core.grids import make_grid
from core.metrics import data_noise_floor, mmd2
from core.models import ExactDenoiser
from core.processes import make_process
from core.samplers.registry import run_sampler

PRESET = "ring8_soft"
N = 1000


@pytest.mark.parametrize("row", ["diffusers:DDIM", "diffusers:EulerDiscrete"])
@pytest.mark.parametrize(("process", "grid"), [("ve", "logsnr"), ("edm", "karras"), ("flow", "linspace")])
def test_row_ignores_the_process_prior(row, process, grid):
    """Same seed → the same standard normal draw → the same samples as on the DDPM process (up to
    diffusers' float32 ᾱ table), and an error at the VP prior's level, not a hundred floor units."""
    mixture = load_data(PRESET)
    model = ExactDenoiser(mixture)
    reference = run_sampler(row, model, make_grid(make_process("ddpm"), "leading", 20), N, seed=4)
    other = run_sampler(row, model, make_grid(make_process(process, mixture), grid, 20), N, seed=4)
    scale = np.abs(reference.samples).max()
    np.testing.assert_allclose(other.samples, reference.samples, rtol=0, atol=1e-5 * scale)
    units = data_noise_floor(PRESET, "mmd2", N).in_units(mmd2(other.samples, mixture, data_bandwidth(PRESET)))
    assert units < 10, units
