"""Latent diffusion in miniature (core/latent.py): the digits load offline, the autoencoder is deterministic for a
seed and its numpy inference is the torch network, the latent prior is an exact GaussianMixture (log-density,
score and classes against the generic mixture checks), a registered sampler reaches it within its noise floor,
decoded images have the data's shape and range, CFG at w = 0 is the conditional model, and the shipped
autoencoder reproduces from its command."""

from __future__ import annotations

import socket

import numpy as np
import pytest
import torch

from core import latent as L
from core.dataspec import canonical, load_data
from core.models import ExactDenoiser
from core.samplers.registry import run_sampler
from tests.core.test_mixture import assert_rel_close, test_points, torch_score_hessian

SHORT = L.Settings(width=32, steps=200, seed=3)


@pytest.fixture(scope="module")
def spec() -> str:
    return L.latent_spec(L.DEFAULT, 3)


def test_digits_load_offline(monkeypatch):
    """No socket may open: the images come from files inside scikit-learn."""

    def refuse(*args, **kwargs):
        raise AssertionError("the digits tried to use the network")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    L.digits.cache_clear()
    d = L.digits()
    assert d.images.shape == (1797, L.PIXELS) and d.labels.shape == (1797,)
    assert d.images.min() == 0.0 and d.images.max() == 1.0
    assert sorted(set(d.labels.tolist())) == list(range(10))
    assert d.held_out.sum() == 360 and d.held_out[::5].all()


@pytest.mark.slow
def test_training_is_deterministic_for_a_seed():
    a, b, c = L.train(SHORT), L.train(SHORT), L.train(L.Settings(32, 200, 4))
    for (wa, ba), (wb, bb) in zip(a.encoder + a.decoder, b.encoder + b.decoder):
        np.testing.assert_array_equal(wa, wb)
        np.testing.assert_array_equal(ba, bb)
    assert a.scale == b.scale and np.array_equal(a.centre, b.centre)
    assert not np.array_equal(a.encoder[0][0], c.encoder[0][0])


def test_numpy_inference_is_the_torch_network():
    """encode/decode in numpy against the same weights run through torch.nn (float32: rounding only)."""
    model = L.autoencoder(L.DEFAULT)
    x = L.digits().test[0][:50]

    def net(layers, h):
        h = torch.from_numpy(h.astype(np.float32))
        for i, (w, b) in enumerate(layers):
            h = torch.nn.functional.linear(h, torch.from_numpy(w), torch.from_numpy(b))
            if i < len(layers) - 1:
                h = torch.nn.functional.silu(h)
        return h.numpy().astype(np.float64)

    raw = net(model.encoder, x)
    np.testing.assert_allclose(model.encode(x), (raw - model.centre) / model.scale, atol=1e-5)
    images = 1 / (1 + np.exp(-net(model.decoder, raw)))
    np.testing.assert_allclose(model.decode(model.encode(x)), images, atol=1e-5)


def test_unit_latent_has_unit_variance_and_no_mean():
    model = L.autoencoder(L.DEFAULT)
    z = model.encode(L.digits().train[0])
    assert abs(z.std() - 1) < 1e-6 and np.abs(z.mean(0)).max() < 1e-6
    zp = L.pca().encode(L.digits().train[0])
    assert abs(zp.std() - 1) < 1e-9


def test_autoencoder_beats_pca_on_held_out_digits():
    test, _ = L.digits().test
    ae, pca = L.reconstruction_mse(L.autoencoder(L.DEFAULT), test), L.reconstruction_mse(L.pca(), test)
    assert ae < 0.75 * pca, (ae, pca)


def test_latent_prior_is_an_exact_mixture_with_the_digit_classes(spec):
    mixture = load_data(spec)
    assert canonical(spec) == spec and mixture.n_components == 30
    assert mixture.classes.tolist() == list(range(10))
    _, labels = L.digits().train
    share = np.bincount(labels, minlength=10) / len(labels)
    got = np.array([mixture.class_weights()[c] for c in range(10)])
    np.testing.assert_allclose(got, share, rtol=1e-5)  # the spec's 6 digits
    x = test_points(mixture, np.random.default_rng(0), n=60)
    lp, grad, hess = torch_score_hessian(mixture.weights, mixture.means, mixture.covs, x)
    assert_rel_close(mixture.log_prob(x)[:, None], lp[:, None], what="log_prob")
    assert_rel_close(mixture.score(x), grad, what="score")
    assert_rel_close(mixture.hessian(x), hess, what="hessian")


def test_components_per_class_are_checked():
    with pytest.raises(ValueError, match="Components per class"):
        L.latent_spec(L.DEFAULT, 11)


def test_untrained_settings_ask_for_training():
    with pytest.raises(ValueError, match="not trained yet"):
        L.autoencoder(L.Settings(128, 4000, 12345))


def test_decoded_images_have_the_data_shape_and_range(spec):
    z = load_data(spec).sample(200, np.random.default_rng(1))
    for model in (L.autoencoder(L.DEFAULT), L.pca()):
        images = model.decode(z)
        assert images.shape == (200, L.PIXELS)
        assert images.min() >= 0 and images.max() <= 1


@pytest.mark.parametrize("sampler,steps", [("ddim", 200), ("edm_heun", 40)])
def test_a_sampler_at_many_steps_reaches_the_latent_prior(spec, sampler, steps):
    """Mean MMD² over three seeds in noise-floor units: exact sample sets give 0 ± 1 per set."""
    units = [L.latent_units(spec, L.run_latent(spec, sampler, steps, 1000, seed).samples) for seed in range(3)]
    assert np.mean(units) < 2.5, units


def test_few_steps_are_measurably_worse(spec):
    """The metric can fail: DDIM with 5 steps is far outside the floor."""
    assert L.latent_units(spec, L.run_latent(spec, "ddim", 5, 1000, 0).samples) > 10


def test_scale_divides_back_to_the_unit_latent(spec):
    """At latent scale f the sampler runs on the exact model of f·z; the run comes back divided by f."""
    mixture = load_data(spec)
    got = L.run_latent(spec, "ddim", 20, 300, 5, factor=4.0)
    grid = L.latent_grid("ddim", 20, L.scaled(mixture, 4.0))
    ref = run_sampler("ddim", ExactDenoiser(L.scaled(mixture, 4.0)), grid, 300, 5, n_paths=0)
    np.testing.assert_allclose(got.samples, ref.samples / 4.0, rtol=1e-12, atol=1e-12)


def test_cfg_at_w_zero_is_the_conditional_model(spec):
    mixture = load_data(spec)
    got = L.run_latent(spec, "ddim", 20, 300, 2, label=3, w=0.0)
    grid = L.latent_grid("ddim", 20, mixture)
    ref = run_sampler("ddim", ExactDenoiser(mixture.for_class(3)), grid, 300, 2, n_paths=0)
    np.testing.assert_allclose(got.samples, ref.samples, rtol=0, atol=1e-12)  # rounding of the rescaled copy


def test_prior_kl_grows_with_the_scale(spec):
    small, _ = L.prior_kl(spec, "ddim", 20, 1.0)
    big, se = L.prior_kl(spec, "ddim", 20, 100.0)
    assert abs(small) < 1e-3 and big > 0.1 and big > 10 * se


def test_image_metric_separates_real_from_broken_images():
    """Real training digits score near the floor; decoded latents shrunk toward 0 are far outside it."""
    train_x, _ = L.digits().train
    real = L.image_units(train_x[np.random.default_rng(9).choice(len(train_x), L.IMAGE_N, replace=False)])
    z = load_data(L.latent_spec(L.DEFAULT, 3)).sample(L.IMAGE_N, np.random.default_rng(0))
    broken = L.image_units(L.autoencoder(L.DEFAULT).decode(0.3 * z))
    assert real < 3 and broken > 30, (real, broken)


@pytest.mark.slow
def test_shipped_autoencoder_reproduces_from_its_command():
    """`python -m core.latent --write` trains DEFAULT: retraining gives the same behaviour (held-out error within
    5 %, reconstructions within 0.05 per pixel on average; identical on one machine)."""
    shipped = L.Autoencoder.load(L.SHIPPED)
    assert shipped.settings == L.DEFAULT and L.SHIPPED.stat().st_size < 200_000
    fresh = L.train(L.DEFAULT, max_seconds=float("inf"))
    test, _ = L.digits().test
    a, b = L.reconstruction_mse(shipped, test), L.reconstruction_mse(fresh, test)
    assert abs(a - b) < 0.05 * a, (a, b)
    diff = np.abs(shipped.decode(shipped.encode(test)) - fresh.decode(fresh.encode(test))).mean()
    assert diff < 0.05, diff
