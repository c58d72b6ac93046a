"""The learned denoiser (core/learned.py): its parameterisations against the exact model, the one Denoiser
interface on every process, numpy inference = the torch network, determinism, storage, caps, and the
shipped models (sizes, and that retraining with their settings reproduces their behaviour)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core import learned
from core.dataspec import data_bandwidth, load_data
from core.grids import make_grid, timestep_grid
from core.metrics import data_noise_floor, mmd2
from core.models import ExactDenoiser
from core.processes import PROCESSES, DiscreteVP, make_process
from core.samplers.registry import run_sampler
from demos.plotting import plot_box

SHORT = 200  # training steps for the mechanics tests (seconds)


@pytest.fixture(scope="module")
def short_models():
    out = {}
    for target in ("eps", "x0", "v", "edm"):
        weighting = "edm" if target == "edm" else "uniform"
        prediction = "eps" if target == "edm" else target
        s = learned.Settings("ring8", prediction, weighting, 32, 2, SHORT, 3)
        out[target] = learned.train(s)
    return out


# ---------------------------------------------------------------------------- parameterisations
@pytest.mark.parametrize("target", ["eps", "x0", "v", "edm"])
@pytest.mark.parametrize("t", [0, 50, 400, 999])
def test_a_network_that_outputs_the_exact_target_gives_the_exact_denoiser(target, t):
    """Replace the MLP by the exact target of each parameterisation: denoise() must return the exact x̂₀.
    This checks the inverse maps ε → x̂₀, v → x̂₀ (Salimans & Ho 2022) and EDM's c_skip / c_out / c_in."""
    mixture = load_data("ring8")
    p = DiscreteVP()
    a, s = float(p.alpha(t)), float(p.sigma(t))
    x = mixture.diffused(a, s).sample(50, np.random.default_rng(t))
    exact = ExactDenoiser(mixture).denoise(x, a, s)
    weighting = "edm" if target == "edm" else "uniform"
    settings = learned.Settings("ring8", "eps" if target == "edm" else target, weighting)
    sd = learned.data_sigma(mixture)
    model = learned.LearnedDenoiser([(np.zeros((2, 2)), np.zeros(2))], settings, sd)
    st = s / a
    eps = (x - a * exact) / s
    c_skip, c_out, c_in = learned._edm_coefficients(st, sd)
    wanted = {"eps": eps, "x0": exact, "v": a * eps - s * exact, "edm": (exact - c_skip * x / a) / c_out}[target]
    if target == "edm":  # the network sees c_in x̃: check it is given that input
        model.network = lambda inputs: (np.testing.assert_allclose(inputs[:, :2], c_in * x / a), wanted)[1]
    else:
        model.network = lambda inputs: (np.testing.assert_allclose(inputs[:, :2], x), wanted)[1]
    # ε → x̂₀ divides by α (1e-2 at t = 999): the tolerance scales with σ/α, the size of what cancels
    np.testing.assert_allclose(model.denoise(x, a, s), exact, atol=1e-12 * (1 + st) * np.abs(x).max())


def test_data_sigma_is_the_mixtures_per_coordinate_std():
    mixture = load_data("pinwheel")
    samples = mixture.sample(400_000, np.random.default_rng(0))
    assert math.isclose(learned.data_sigma(mixture), np.sqrt(np.trace(np.cov(samples.T)) / 2), rel_tol=5e-3)


# ---------------------------------------------------------------------------- one interface, every process
@pytest.mark.parametrize("process", sorted(PROCESSES))
def test_the_learned_model_answers_on_every_process_and_grid_node(short_models, process):
    model, _ = short_models["eps"]
    mixture = load_data("ring8")
    grid = make_grid(make_process(process, mixture), "karras" if process != "ddpm" else "leading", 8)
    x = np.random.default_rng(0).standard_normal((20, 2))
    for a, s in zip(grid.alpha, grid.sigma):
        out = model.denoise(x * max(s, 1.0), a, s)
        assert out.shape == (20, 2) and np.isfinite(out).all()
    np.testing.assert_array_equal(model.denoise(x, 2.0, 0.0), x / 2.0)  # no noise: x̂₀ = x / α


def test_alpha_zero_is_finite_for_every_target(short_models):
    """Flow matching at t = 1 has α = 0: the model answers at its highest trained noise level."""
    x = np.random.default_rng(1).standard_normal((10, 2))
    for model, _ in short_models.values():
        assert np.isfinite(model.denoise(x, 0.0, 1.0)).all()


def test_every_registered_sampler_runs_on_the_learned_model():
    """The shipped ring8 model through every registry entry (a barely trained one can make the adaptive
    ODE solver give up, which is about that model, not the interface)."""
    from core.samplers.registry import SAMPLERS

    model = learned.cached_model(learned.default_settings("ring8"))
    mixture = load_data("ring8")
    small = {"annealed_langevin": {"steps_per_level": 2}, "langevin": {"n_steps": 5}}
    for key, spec in SAMPLERS.items():
        if key in ("analytic_dpm", "exact_kernel", "distilled"):  # need the exact mixture: refuse with a message
            with pytest.raises(ValueError, match="exact model"):
                run_sampler(key, model, timestep_grid(DiscreteVP(), 4), 10, 0)
            continue
        grid = make_grid(make_process(spec.default_process, mixture), spec.default_grid, 4)
        res = run_sampler(key, model, grid, 30, 0, small.get(key), n_paths=0)
        assert np.isfinite(res.samples).all(), key


# ---------------------------------------------------------------------------- numpy = torch, determinism, storage
def test_numpy_inference_equals_the_torch_network(short_models):
    import torch

    model, _ = short_models["eps"]
    inputs = np.random.default_rng(2).standard_normal((100, 2 + 1 + 2 * len(learned.FREQUENCIES)))
    h = torch.from_numpy(inputs.astype(np.float32))
    for i, (w, b) in enumerate(model.layers):
        h = h @ torch.from_numpy(w).T + torch.from_numpy(b)
        if i < len(model.layers) - 1:
            h = torch.nn.functional.silu(h)
    # float32 (torch) vs float64 (numpy) of the same float32 weights: float32 rounding, ~1e-6 relative
    np.testing.assert_allclose(model.network(inputs), h.numpy(), rtol=1e-4, atol=1e-5)


def test_training_is_deterministic_for_a_seed_and_restores_torch_threads():
    import torch

    threads = torch.get_num_threads()
    s = learned.Settings("moons", "v", "p2", 32, 1, SHORT, 11)
    a, log_a = learned.train(s)
    b, log_b = learned.train(s)
    c, _ = learned.train(learned.Settings("moons", "v", "p2", 32, 1, SHORT, 12))
    assert torch.get_num_threads() == threads
    for (wa, ba), (wb, bb) in zip(a.layers, b.layers):
        np.testing.assert_array_equal(wa, wb)
        np.testing.assert_array_equal(ba, bb)
    assert log_a.losses == log_b.losses and len(log_a.losses) == SHORT
    assert not np.array_equal(a.layers[0][0], c.layers[0][0])


def test_training_lowers_the_loss_and_reports_progress():
    seen = []
    model, log = learned.train(
        learned.Settings("ring8_soft", "eps", "uniform", 32, 2, 400, 0), lambda k, n, loss: seen.append((k, n))
    )
    assert seen[0] == (25, 400) and seen[-1] == (400, 400) and len(seen) == 16
    assert np.mean(log.losses[-50:]) < 0.8 * np.mean(log.losses[:50])
    assert model.info["steps_done"] == 400 and len(model.info["loss_curve"]) == 200


def test_a_progress_callback_can_stop_training():
    def stop(k, n, loss):
        if k >= 50:
            raise learned.TrainingStopped

    with pytest.raises(learned.TrainingStopped):
        learned.train(learned.Settings("ring8", steps=1000), stop)


def test_save_and_load_round_trip_without_pickle(short_models, tmp_path):
    model, _ = short_models["edm"]
    path = tmp_path / "m.npz"
    model.save(path)
    with np.load(path, allow_pickle=False) as z:  # plain arrays and a JSON string
        assert all(z[k].dtype == np.float32 for k in z.files if k != "meta")
    again = learned.LearnedDenoiser.load(path)
    assert again.settings == model.settings and again.sigma_data == model.sigma_data
    x = np.random.default_rng(0).standard_normal((30, 2))
    np.testing.assert_array_equal(again.denoise(x, 0.8, 0.6), model.denoise(x, 0.8, 0.6))


# ---------------------------------------------------------------------------- validation and caps
@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(prediction="score"), "Prediction must be one of eps, x0, v"),
        (dict(weighting="snr"), "Weighting must be one of uniform, p2, edm"),
        (dict(width=100), r"Width must be one of \(32, 64, 128, 256\)"),
        (dict(depth=9), "Depth must be one of"),
        (dict(steps=50), "Training steps must be a whole number from 200 to 6000"),
        (dict(width=256, depth=4, steps=2000), r"at most 7\d\d steps"),
        (dict(spec="nope"), "nope"),
    ],
)
def test_bad_settings_are_refused_with_a_readable_message(changes, message):
    from dataclasses import replace

    with pytest.raises(ValueError, match=message):
        replace(learned.Settings(), **changes).validated()


def test_the_work_cap_allows_the_defaults_and_the_issues_network():
    d = learned.default_settings()
    assert learned.n_parameters(d.width, d.depth) * d.steps <= learned.MAX_TRAIN_WORK
    learned.Settings(width=128, depth=3, steps=3000).validated()  # the issue's 3×128, 3,000 steps


def test_edm_ignores_the_prediction_setting():
    a = learned.Settings(prediction="eps", weighting="edm").validated()
    b = learned.Settings(prediction="v", weighting="edm").validated()
    assert a.key == b.key and a.target == "edm"


# ---------------------------------------------------------------------------- shipped models
def test_every_preset_ships_its_default_model_small():
    from core.datasets import PRESETS

    total = 0
    for key in PRESETS:
        path = learned.ASSETS / f"{key}.npz"
        assert path.exists(), f"no shipped model for {key}: python -m core.learned --write {key}"
        model = learned.LearnedDenoiser.load(path)
        assert model.settings == learned.default_settings(key).validated()
        assert learned.shipped_path(model.settings) == path
        total += path.stat().st_size
    assert total <= learned.SHIPPED_BUDGET_BYTES, f"shipped models take {total / 1e3:.0f} kB"


ENOUGH_STEPS = 200
FLOOR_MULTIPLE = 25.0  # measured: about 6 floor units for DDIM-200 on the shipped ring8 model


def test_the_shipped_model_sampled_with_enough_steps_is_within_a_multiple_of_its_floor():
    mixture = load_data("ring8")
    model = learned.cached_model(learned.default_settings("ring8"))
    res = run_sampler("ddim", model, timestep_grid(DiscreteVP(), ENOUGH_STEPS), 2000, 0, n_paths=0)
    units = data_noise_floor("ring8", "mmd2", 2000).in_units(mmd2(res.samples, mixture, data_bandwidth("ring8")))
    assert units <= FLOOR_MULTIPLE, f"{units:.1f} floor units"


def _behaviour(model, preset="ring8"):
    mixture = load_data(preset)
    p = DiscreteVP()
    out = {}
    for t in (20, 100):
        nf = learned.near_far_error(model, mixture, float(p.alpha(t)), float(p.sigma(t)), plot_box(mixture))
        out[f"near{t}"], out[f"far{t}"] = nf["near"], nf["far"]
    res = run_sampler("ddim", model, timestep_grid(p, 50), 2000, 0, n_paths=0)
    out["units"] = data_noise_floor(preset, "mmd2", 2000).in_units(mmd2(res.samples, mixture, data_bandwidth(preset)))
    return out


@pytest.mark.slow
def test_retraining_with_the_shipped_settings_reproduces_the_shipped_behaviour():
    """Same settings, same seed: on this machine bit-identical; on another CPU torch's float32 kernels may
    round differently, so compare what the model does, not its bytes."""
    shipped = learned.LearnedDenoiser.load(learned.ASSETS / "ring8.npz")
    retrained, log = learned.train(learned.default_settings("ring8"))
    assert not log.stopped
    a, b = _behaviour(shipped), _behaviour(retrained)
    for key in ("near20", "far20", "near100", "far100"):
        assert math.isclose(a[key], b[key], rel_tol=0.2, abs_tol=0.03), (key, a[key], b[key])
    assert abs(a["units"] - b["units"]) <= max(3.0, 0.3 * abs(a["units"])), (a["units"], b["units"])
