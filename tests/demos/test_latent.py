"""The Latent diffusion tab's figures and numbers: traces, finite JSON, sizes, the mosaic's geometry, the error
split and guided shares recomputed independently, the scale curve's shape, determinism, readable refusals, and the
data endpoint's arrays."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core import latent as L
from core.dataspec import load_data
from demos import kit
from demos import latent as T

BUDGET = 1_500_000  # bytes of figure JSON per update
DEFAULTS = T.SPEC.validate(T.SPEC.defaults())
AE = L.DEFAULT


def finite_json(fig) -> dict:
    def reject(token):
        raise AssertionError(f"figure JSON contains {token}")

    text = fig.to_json()
    assert len(text) < BUDGET, len(text)
    return json.loads(text, parse_constant=reject)


def test_every_view_draws_the_defaults_with_finite_json():
    out = kit.draw(T.SPEC, DEFAULTS)
    assert set(out) == {"latent", "images", "split", "cfg", "cfg_images", "cfg_text", "scale_curve", "scale_text",
                        "recon", "ae_latents", "train_loss", "ae_text"}  # fmt: skip
    for name in ("latent", "images", "cfg", "cfg_images", "scale_curve", "recon", "ae_latents", "train_loss"):
        finite_json(out[name])
    names = [t.name for t in out["latent"].data]
    assert names[0] == "latent prior (exact mixture)" and [f"digit {c}" for c in range(10)] == names[1:11]
    assert "DDIM paths" in names and "samples" in names
    assert "floor units" in out["split"] and "autoencoder's ceiling" in out["split"]


def test_mosaic_places_each_image_in_its_tile():
    images = np.arange(3 * 64, dtype=float).reshape(3, 64) / 200
    m = T.tile(images, cols=2)
    assert m.shape == (2 * 9 - 1, 2 * 9 - 1)
    np.testing.assert_array_equal(m[:8, :8], images[0].reshape(8, 8))
    np.testing.assert_array_equal(m[:8, 9:], images[1].reshape(8, 8))
    np.testing.assert_array_equal(m[9:, :8], images[2].reshape(8, 8))
    assert np.isnan(m[8]).all() and np.isnan(m[9:, 9:]).all()


def test_error_split_recomputed_independently():
    """The table's numbers are the metrics of core/latent.py on the same run; the sampler's latent error is the
    MMD² of its samples against the exact prior in that prior's floor units."""
    from core.dataspec import data_bandwidth
    from core.metrics import data_noise_floor, mmd2

    spec = L.latent_spec(AE, 3)
    run = L.run_latent(spec, "ddim", 20, 1000, 0)
    split = T.error_split(AE, 3, run.samples)
    value = mmd2(run.samples, load_data(spec), data_bandwidth(spec)) / data_noise_floor(spec, "mmd2", 1000).sd
    assert split["sampler_latent"] == pytest.approx(value, rel=1e-12)
    decoded = L.autoencoder(AE).decode(run.samples[: L.IMAGE_N])
    assert split["sampler_images"] == pytest.approx(L.image_units(decoded), rel=1e-12)
    # what the table claims: real digits near the floor, the autoencoder's ceiling far above it, PCA's further
    assert abs(split["real_images"]) < 3 and abs(split["exact_latent"]) < 3
    assert split["recon_images"] > 5 and split["exact_images"] > 5 and split["pca_images"] > 3 * split["recon_images"]


def test_guided_share_at_w_zero_is_the_conditional_model_read_by_the_classifier():
    spec = L.latent_spec(AE, 3)
    rows = T.cfg_rows(AE, 3, "ddim", 20, 1, 1.0, 7, 0.0)
    assert [w for w, _, _ in rows] == list(T.W_ROW)
    from core.models import ExactDenoiser
    from core.samplers.registry import run_sampler

    mixture = load_data(spec)
    ref = run_sampler("ddim", ExactDenoiser(mixture.for_class(7)), L.latent_grid("ddim", 20, mixture), T.CFG_N, 1)
    share = (L.read_as(L.autoencoder(AE).decode(ref.samples)) == 7).mean()
    assert rows[0][2] == pytest.approx(share, abs=2 / T.CFG_N)  # one or two samples on a rounding boundary
    assert rows[-1][2] >= rows[0][2]  # guidance does not lower the share read as the class here


def test_scale_curve_shape():
    """The prior mismatch grows with the scale (the diffused latent at T remembers more of the data) and is
    negligible at unit variance; the curve's particle count respects the work cap."""
    c = T.scale_curve(AE, 3, "ddim", 20, 0)
    kl = dict(zip(c["scale"], c["kl"]))
    assert abs(kl[1.0]) < 1e-3 and kl[100.0] > kl[30.0] > 5 * max(c["kl_se"][:5])
    assert c["particles"] == T.CURVE_N
    slow = T.scale_curve(AE, 3, "ddpm", 1000, 0)
    assert slow["particles"] * len(T.SCALES) * 1000 <= T.MAX_WORK // 2


def test_same_seed_same_picture():
    a = T.latent_view.__wrapped__("64", 1500, 0, 3, "ddim", 10, 600, 4, "1")
    T._run.cache_clear()
    b = T.latent_view.__wrapped__("64", 1500, 0, 3, "ddim", 10, 600, 4, "1")
    assert a[0].to_json() == b[0].to_json() and a[1].to_json() == b[1].to_json() and a[2] == b[2]


@pytest.mark.parametrize(
    "change,match",
    [
        (dict(particles=2000, sampler="edm_heun", steps=1000), "cap"),
        (dict(sampler="nope"), "Unknown sampler"),
        (dict(scale="0.5"), "Unknown scale"),
        (dict(components=0), "Components per class"),
        (dict(label=10), "Class"),
        (dict(ae_width="48"), "Autoencoder width"),
    ],
)
def test_bad_values_are_refused_with_a_sentence(change, match):
    with pytest.raises(ValueError, match=match):
        T.SPEC.validate({**DEFAULTS, **change})


def test_an_untrained_autoencoder_asks_for_training():
    with pytest.raises(ValueError, match="not trained yet"):
        T.latent_view("128", 4000, 99, 3, "ddim", 20, 1000, 0, "1")


def test_training_button_on_the_default_uses_the_shipped_model():
    text = T.train_autoencoder("64", L.DEFAULT.steps, 0)
    assert "shipped default" in text or "already trained" in text


def test_data_endpoint_returns_arrays():
    d = T.latent_data(steps=10, particles=500)
    assert load_data(d["latent_prior_spec"]).n_components == 30
    assert np.array(d["samples"]).shape == (500, 2)
    images = np.array(d["decoded_images"])
    assert images.shape == (T.N_IMAGES, 64) and images.min() >= 0 and images.max() <= 1
    assert [c["w"] for c in d["cfg"]] == sorted({*T.W_ROW, 3.0})
    assert np.array(d["cfg"][0]["images"]).shape == (T.CFG_IMAGES, 64)
    assert len(d["scale_curve"]["units"]) == len(T.SCALES)
    assert set(d["error_split"]) >= {"sampler_latent", "exact_images", "recon_images"}
