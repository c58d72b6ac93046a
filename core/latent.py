"""Latent diffusion in miniature (Rombach et al. 2022, LDM): real images through a 2D latent whose prior is exact.

LDM splits image generation into *perceptual compression* — an autoencoder E, D trained once, so that
x ≈ D(E(x)) — and *generative modelling* of the latents z = E(x) by a diffusion model (Sec. 3). Here:

* **data**: scikit-learn's bundled handwritten digits (`sklearn.datasets.load_digits`: 1,797 images of 8×8,
  ten classes, read from files inside the package: nothing is downloaded), scaled to [0, 1]; every fifth image
  is held out (`held_out`), the rest trains;
* **the autoencoder**: a torch MLP 64 → w → w → 2 → w → w → 64 (SiLU, sigmoid output), squared error, Adam,
  trained deterministically for a seed (torch.manual_seed, numpy's Generator for the batches, one torch thread)
  and evaluated in numpy from its float32 weights, so the shipped default (assets/latent/autoencoder.npz, made
  by `python -m core.latent --write`) loads without torch. Training is capped by CPU time (`MAX_SECONDS`);
* **the baseline**: PCA to 2D (no training), through the same interface;
* **the latent**: E(x) centred and divided by one scalar, the training latents' standard deviation, so that it
  has unit variance, as Stable Diffusion multiplies its VAE latents by 0.18215 (LDM, App. G:
  KL-regularised latents divided by their standard deviation before diffusion; Sec. 4.3.2 and App. D.1 compare
  runs with and without that rescaling). The tab's scale control multiplies this unit
  latent before diffusion;
* **the prior**: a Gaussian mixture fitted by EM (scikit-learn, seeded) to each class's unit latents, the
  classes becoming the mixture's classes, written as a data spec (`gmm:` text, core/dataspec.py). It *is* a
  `GaussianMixture` like every preset, so the samplers, metrics and classifier-free guidance use it unchanged,
  and its diffused score is exact: what stays between samples and real digits is the autoencoder's share.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
from scipy.special import expit

from core.dataspec import canonical, encode, load_data
from core.mixture import GaussianMixture
from core.mlp import load_arrays, loss_curve, save_arrays

ASSETS = Path(__file__).resolve().parents[1] / "assets" / "latent"
SHIPPED = ASSETS / "autoencoder.npz"
SIDE = 8  # digits are 8 × 8
PIXELS = SIDE * SIDE
HOLD_OUT_EVERY = 5  # image i is held out when i % 5 == 0 (360 images)

WIDTHS = (32, 64, 128)
STEP_RANGE = (200, 4000)
MAX_SECONDS = 20.0  # CPU seconds of one training (a slower machine stops early and keeps what it learned)
BATCH = 256
LEARNING_RATE = 1e-2  # Adam, decayed linearly to 0 over the run
COMPONENT_RANGE = (1, 10)  # mixture components per class (10 classes: at most 100, the data spec's cap)
REG_COVAR = 1e-3  # EM's ridge on each covariance: stds ≥ 0.03 in unit-variance latent units (the spec asks ≥ 0.01)
IMAGE_N = 500  # decoded images measured against the held-out digits (the first 500 samples)
IMAGE_FLOOR_SETS = 50
IMAGE_BANDWIDTH_FACTOR = 0.5  # × the held-out digits' median distance (at 1× every set looks alike)
SD_SCALE = 0.18215  # Stable Diffusion's latent scale factor (its VAE's latents × 0.18215 ≈ unit variance)


@contextmanager
def one_blas_thread():
    """scikit-learn's BLAS/OpenMP on one thread: on a loaded 2-core machine its default threads oversubscribe
    (EM of the latent prior: 6.6 s with them, 0.4 s without), and the shared server runs two jobs at a time."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield


# ---------------------------------------------------------------------------- the data
@dataclass(frozen=True)
class Digits:
    images: np.ndarray  # (N, 64) in [0, 1], float64
    labels: np.ndarray  # (N,) 0-9
    held_out: np.ndarray  # (N,) bool

    @property
    def train(self) -> tuple[np.ndarray, np.ndarray]:
        return self.images[~self.held_out], self.labels[~self.held_out]

    @property
    def test(self) -> tuple[np.ndarray, np.ndarray]:
        return self.images[self.held_out], self.labels[self.held_out]


@cache
def digits() -> Digits:
    """scikit-learn's bundled 8×8 digits (0-16 grey levels) scaled to [0, 1]; every fifth image held out."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = bunch.data.astype(np.float64) / 16.0
    held_out = np.arange(len(images)) % HOLD_OUT_EVERY == 0
    return Digits(images, bunch.target.astype(int), held_out)


# ---------------------------------------------------------------------------- the autoencoder
@dataclass(frozen=True)
class Settings:
    width: int = 64
    steps: int = 1500
    seed: int = 0

    def validated(self) -> Settings:
        """These settings, or ValueError with a sentence a user can act on."""
        if self.width not in WIDTHS:
            raise ValueError(f"Autoencoder width must be one of {WIDTHS}; got {self.width!r}.")
        lo, hi = STEP_RANGE
        if isinstance(self.steps, bool) or not isinstance(self.steps, int) or not lo <= self.steps <= hi:
            raise ValueError(
                f"Autoencoder training steps must be a whole number from {lo} to {hi}; got {self.steps!r}."
            )
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed < 2**31:
            raise ValueError(f"Seed must be a whole number from 0 to {2**31 - 1}; got {self.seed!r}.")
        return self

    def describe(self) -> str:
        w = self.width
        return f"MLP 64→{w}→{w}→2→{w}→{w}→64, {self.steps:,} steps of Adam, seed {self.seed}"


DEFAULT = Settings()


def _silu(x: np.ndarray) -> np.ndarray:
    return x * expit(x)


def _forward(layers, h: np.ndarray) -> np.ndarray:
    for i, (w, b) in enumerate(layers):
        h = h @ w.T + b
        if i < len(layers) - 1:
            h = _silu(h)
    return h


class Autoencoder:
    """E and D of one trained MLP, evaluated in numpy (float32 weights). `encode` gives the unit latent
    (E(x) − centre) / scale; `decode` takes it back to images in [0, 1]."""

    kind = "autoencoder"

    def __init__(self, encoder, decoder, centre, scale: float, settings: Settings, info: dict | None = None):
        self.encoder, self.decoder = encoder, decoder
        self.centre = np.asarray(centre, dtype=np.float64)
        self.scale = float(scale)
        self.settings = settings
        self.info = info or {}

    def raw(self, images: np.ndarray) -> np.ndarray:
        """E(x): the encoder's own latent (before centring and scaling)."""
        return _forward(self.encoder, np.asarray(images, dtype=np.float32)).astype(np.float64)

    def encode(self, images: np.ndarray) -> np.ndarray:
        return (self.raw(images) - self.centre) / self.scale

    def decode(self, z: np.ndarray) -> np.ndarray:
        raw = np.asarray(z, dtype=np.float64) * self.scale + self.centre
        out = _forward(self.decoder, raw.astype(np.float32)).astype(np.float64)
        return expit(out)

    def save(self, path: Path) -> None:
        arrays = {}
        for part, layers in (("enc", self.encoder), ("dec", self.decoder)):
            for i, (w, b) in enumerate(layers):
                arrays[f"{part}{i}_w"], arrays[f"{part}{i}_b"] = w, b
        meta = dict(settings=asdict(self.settings), centre=self.centre.tolist(), scale=self.scale, info=self.info)
        save_arrays(path, meta, arrays)

    @classmethod
    def load(cls, path: Path) -> Autoencoder:
        meta, f = load_arrays(path)
        layers = {p: [] for p in ("enc", "dec")}
        for part in layers:
            i = 0
            while f"{part}{i}_w" in f:
                layers[part].append((f[f"{part}{i}_w"], f[f"{part}{i}_b"]))
                i += 1
        return cls(layers["enc"], layers["dec"], meta["centre"], meta["scale"], Settings(**meta["settings"]),
                   meta["info"])  # fmt: skip


class PCABaseline:
    """PCA to 2D on the training digits (no training loop): the same encode/decode interface, unit latent."""

    kind = "pca"

    def __init__(self):
        from sklearn.decomposition import PCA

        train, _ = digits().train
        with one_blas_thread():
            self.pca = PCA(n_components=2, svd_solver="full").fit(train)
        z = self.pca.transform(train)
        self.scale = float(z.std())

    def encode(self, images: np.ndarray) -> np.ndarray:
        return self.pca.transform(np.asarray(images, dtype=np.float64)) / self.scale

    def decode(self, z: np.ndarray) -> np.ndarray:
        return np.clip(self.pca.inverse_transform(np.asarray(z, dtype=np.float64) * self.scale), 0.0, 1.0)


@cache
def pca() -> PCABaseline:
    return PCABaseline()


class TrainingStopped(Exception):
    """Raised by a progress callback to stop a training (a newer request made it pointless)."""


def train(settings: Settings, progress: Callable[[int, int, float], None] | None = None,
          max_seconds: float = MAX_SECONDS) -> Autoencoder:  # fmt: skip
    """Train the autoencoder on the training digits: squared error of D(E(x)) against x, batches of BATCH drawn
    with numpy's Generator(seed), Adam decayed linearly to 0. `progress(step, total, recent loss)` is called
    every 25 steps and may raise TrainingStopped. Stops after `max_seconds` of this thread's CPU time."""
    import torch

    from core.classifier import one_thread

    settings = settings.validated()
    train_x, _ = digits().train
    w = settings.width
    with one_thread(torch):
        torch.manual_seed(settings.seed)
        enc = [torch.nn.Linear(i, o) for i, o in ((PIXELS, w), (w, w), (w, 2))]
        dec = [torch.nn.Linear(i, o) for i, o in ((2, w), (w, w), (w, PIXELS))]
        params = [p for lin in enc + dec for p in lin.parameters()]
        opt = torch.optim.Adam(params, lr=LEARNING_RATE)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: max(0.0, 1 - k / settings.steps))
        rng = np.random.default_rng(settings.seed)
        data = torch.from_numpy(train_x.astype(np.float32))

        def run(layers, h):
            for i, lin in enumerate(layers):
                h = lin(h)
                if i < len(layers) - 1:
                    h = torch.nn.functional.silu(h)
            return h

        losses: list[float] = []
        start, cpu0, stopped = time.perf_counter(), time.thread_time(), ""
        for step in range(1, settings.steps + 1):
            batch = data[torch.from_numpy(rng.integers(0, len(train_x), BATCH))]
            loss = ((torch.sigmoid(run(dec, run(enc, batch))) - batch) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
            if step % 25 == 0:
                if progress is not None:
                    progress(step, settings.steps, float(np.mean(losses[-25:])))
                if time.thread_time() - cpu0 > max_seconds and step < settings.steps:
                    stopped = f"stopped at step {step:,} of {settings.steps:,}: the {max_seconds:g} s CPU cap"
                    break
        as_np = lambda layers: [(lin.weight.detach().numpy().copy(), lin.bias.detach().numpy().copy())  # noqa: E731
                                for lin in layers]  # fmt: skip
        encoder, decoder = as_np(enc), as_np(dec)
    seconds, cpu = time.perf_counter() - start, time.thread_time() - cpu0
    raw = _forward(encoder, train_x.astype(np.float32)).astype(np.float64)
    centre = raw.mean(0)
    scale = float((raw - centre).std())
    info = dict(seconds=round(seconds, 2), cpu_seconds=round(cpu, 2), steps_done=len(losses), stopped=stopped,
                loss_curve=loss_curve(losses, 100))  # fmt: skip
    return Autoencoder(encoder, decoder, centre, scale, settings, info)


_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 8


def cached_autoencoder(settings: Settings) -> Autoencoder | None:
    """The autoencoder for these settings if in memory or shipped (the default), else None: no training."""
    settings = settings.validated()
    if settings in _CACHE:
        _CACHE.move_to_end(settings)
        return _CACHE[settings]
    if settings == DEFAULT and SHIPPED.exists():
        return _remember(Autoencoder.load(SHIPPED))
    return None


def _remember(model: Autoencoder) -> Autoencoder:
    _CACHE[model.settings] = model
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return model


def get_autoencoder(settings: Settings, progress=None) -> tuple[Autoencoder, str]:
    """(model, "cache" / "shipped" / "trained"): trains (capped, with progress) only if needed."""
    settings = settings.validated()
    if settings in _CACHE:
        return cached_autoencoder(settings), "cache"
    model = cached_autoencoder(settings)
    if model is not None:
        return model, "shipped"
    return _remember(train(settings, progress)), "trained"


def autoencoder(settings: Settings) -> Autoencoder:
    """The autoencoder the views use: shipped or already trained, else a sentence saying to train it."""
    model = cached_autoencoder(settings)
    if model is None:
        raise ValueError(
            f"This autoencoder ({settings.describe()}) is not trained yet: press “Train the autoencoder” "
            "(at most 20 s), or pick the shipped default (width 64, 1,500 steps, seed 0)."
        )
    return model


# ---------------------------------------------------------------------------- the latent prior: an exact mixture
@lru_cache(maxsize=32)
def latent_spec(settings: Settings, components: int, seed: int = 0) -> str:
    """The latent prior as a data spec: per class, EM (scikit-learn, `components` full-covariance Gaussians,
    random_state = seed) on that class's unit latents; weights = class share × EM weight; classes = digits."""
    from sklearn.mixture import GaussianMixture as EM

    lo, hi = COMPONENT_RANGE
    if isinstance(components, bool) or not isinstance(components, int) or not lo <= components <= hi:
        raise ValueError(f"Components per class must be a whole number from {lo} to {hi}; got {components!r}.")
    train_x, labels = digits().train
    z = autoencoder(settings).encode(train_x)
    weights, means, covs, classes = [], [], [], []
    for c in range(10):
        zc = z[labels == c]
        with one_blas_thread():
            em = EM(components, covariance_type="full", reg_covar=REG_COVAR, random_state=seed, max_iter=200).fit(zc)
        weights += list(em.weights_ * len(zc) / len(z))
        means += list(em.means_)
        covs += list(em.covariances_)
        classes += [c] * components
    mixture = GaussianMixture(weights, means, np.array(covs), np.array(classes))
    return canonical(encode(mixture))


def latent_mixture(settings: Settings, components: int, seed: int = 0) -> GaussianMixture:
    """The exact latent prior (the mixture its data spec names: the spec's 6 digits are the truth)."""
    return load_data(latent_spec(settings, components, seed))


def scaled(mixture: GaussianMixture, factor: float) -> GaussianMixture:
    """The mixture of factor · z for z ~ mixture (the latent the diffusion sees at latent scale `factor`)."""
    return GaussianMixture(mixture.weights, mixture.means * factor, mixture.covs * factor**2, mixture.labels)


# ---------------------------------------------------------------------------- diffusion in the latent
def sampler_keys() -> list[str]:
    """The registered samplers that take one step per grid node (the Langevin samplers' step sizes are tuned
    per data set in the Score & Langevin tab)."""
    from core.samplers.registry import SAMPLERS

    return [k for k, s in SAMPLERS.items() if s.grid_role == "steps"]


def latent_grid(sampler: str, steps: int, mixture: GaussianMixture):
    """The sampler's usual process and time grid (its registry defaults), `steps` steps, for this latent prior."""
    from core.grids import make_grid
    from core.processes import make_process
    from core.samplers.registry import get_sampler

    spec = get_sampler(sampler)
    return make_grid(make_process(spec.default_process, mixture), spec.default_grid, steps)


def run_latent(spec: str, sampler: str, steps: int, particles: int, seed: int, factor: float = 1.0,
               label: int | None = None, w: float = 0.0, n_paths: int = 0):  # fmt: skip
    """Sample the latent prior (a data spec) with a registered sampler on the exact model of factor · z, then
    divide by the factor: the run (samples and paths) in unit-latent coordinates. With a class `label`,
    classifier-free guidance ε̃ = (1 + w) ε(z, c) − w ε(z) (Ho & Salimans 2022, eq. 6) on exact models."""
    from dataclasses import replace as with_fields

    from core.models import ExactDenoiser, GuidedDenoiser
    from core.samplers.registry import run_sampler

    mixture = scaled(load_data(spec), factor)
    model = ExactDenoiser(mixture)
    if label is not None:
        model = GuidedDenoiser(ExactDenoiser(mixture.for_class(label)), model, float(w))
    result = run_sampler(sampler, model, latent_grid(sampler, steps, mixture), particles, seed, n_paths=n_paths)
    return with_fields(result, samples=result.samples / factor, path=result.path / factor,
                       denoised=result.denoised / factor)  # fmt: skip


def latent_units(spec: str, samples: np.ndarray) -> float:
    """MMD² of latent samples against the exact latent prior, in its noise-floor units (core/metrics.py)."""
    from core.dataspec import data_bandwidth
    from core.metrics import data_noise_floor, mmd2

    if not np.all(np.isfinite(samples)):
        return float("nan")
    return data_noise_floor(spec, "mmd2", len(samples)).in_units(mmd2(samples, load_data(spec), data_bandwidth(spec)))


def prior_kl(spec: str, sampler: str, steps: int, factor: float) -> tuple[float, float]:
    """KL(p_T ‖ N(0, σ_T² I)) in nats (Monte Carlo, with its standard error) at the first node of the sampler's
    grid, for the latent at this scale: the prior mismatch every sampler starts with (the Forward tab's meter)."""
    from core.likelihood import prior_mismatch

    mixture = scaled(load_data(spec), factor)
    grid = latent_grid(sampler, steps, mixture)
    return prior_mismatch(mixture, float(grid.alpha[0]), float(grid.sigma[0]))


# ---------------------------------------------------------------------------- measuring images
@cache
def image_bandwidth() -> float:
    """The image-space kernel width: half the median distance between held-out digits (the median heuristic
    halved: at the median itself decoded samples, reconstructions and real digits score alike)."""
    from scipy.spatial.distance import pdist

    test, _ = digits().test
    return IMAGE_BANDWIDTH_FACTOR * float(np.median(pdist(test)))


def image_mmd2(a: np.ndarray, b: np.ndarray, bandwidth: float | None = None) -> float:
    """Unbiased MMD² (Gretton et al. 2012, eq. 3) between two image sets, Gaussian kernel in pixel space."""
    from scipy.spatial.distance import cdist, pdist

    h = image_bandwidth() if bandwidth is None else bandwidth
    k = lambda d2: np.exp(-d2 / (2 * h * h))  # noqa: E731
    n, m = len(a), len(b)
    kaa = 2 * k(pdist(a, "sqeuclidean")).sum() / (n * (n - 1))
    kbb = 2 * k(pdist(b, "sqeuclidean")).sum() / (m * (m - 1))
    kab = k(cdist(a, b, "sqeuclidean")).mean()
    return float(kaa + kbb - 2 * kab)


@lru_cache(maxsize=8)
@lru_cache(maxsize=8)
def _image_floor_values(n: int) -> np.ndarray:
    """Image MMD² of IMAGE_FLOOR_SETS sets of n real training digits against the held-out digits (seeded)."""
    train_x, _ = digits().train
    test, _ = digits().test
    rng = np.random.default_rng(0)
    values = [image_mmd2(train_x[rng.choice(len(train_x), n, replace=False)], test) for _ in range(IMAGE_FLOOR_SETS)]
    return np.array(values)


def image_floor(n: int = IMAGE_N) -> float:
    """The image MMD²'s noise floor: its RMS over IMAGE_FLOOR_SETS sets of n real training digits against the
    held-out digits (real against real: the value a perfect generator scatters around)."""
    return float(np.sqrt(np.mean(np.square(_image_floor_values(n)))))


def image_floor_relative_se(n: int = IMAGE_N) -> float:
    """How uncertain the image floor itself is: the standard error of its RMS over the IMAGE_FLOOR_SETS sets (the
    delta method on the squares, as `core.metrics.noise_floor`'s sd_se), relative to the floor."""
    squares = np.square(_image_floor_values(n))
    rms = np.sqrt(squares.mean())
    return float(squares.std(ddof=1) / (2 * rms * np.sqrt(len(squares))) / rms)


def image_units(images: np.ndarray) -> float:
    """MMD² of these images against the held-out digits, in units of the real-vs-real floor at their count."""
    return image_mmd2(images, digits().test[0]) / image_floor(len(images))


@cache
def digit_classifier():
    """A logistic regression on the training digits' pixels (held-out accuracy ≈ 0.96): reads decoded images."""
    from sklearn.linear_model import LogisticRegression

    train_x, labels = digits().train
    with one_blas_thread():
        return LogisticRegression(max_iter=3000).fit(train_x, labels)


def read_as(images: np.ndarray) -> np.ndarray:
    """The digit the classifier reads in each image."""
    with one_blas_thread():
        return digit_classifier().predict(np.asarray(images, dtype=np.float64))


def reconstruction_mse(model, images: np.ndarray) -> float:
    """Mean squared error per pixel of D(E(x)) (pixels in [0, 1])."""
    return float(((model.decode(model.encode(images)) - images) ** 2).mean())


def write_shipped() -> Path:
    """Train the default autoencoder and write assets/latent/autoencoder.npz."""
    model = train(DEFAULT, max_seconds=float("inf"))
    model.save(SHIPPED)
    test, _ = digits().test
    print(
        f"{DEFAULT.describe()}: {model.info['cpu_seconds']:.1f} s CPU, held-out MSE "
        f"{reconstruction_mse(model, test):.4f} (PCA {reconstruction_mse(pca(), test):.4f}), "
        f"{SHIPPED.stat().st_size / 1e3:.1f} kB → {SHIPPED}",
        flush=True,
    )
    return SHIPPED


# ---------------------------------------------------------------------------- the latent scale, shipped
SCALE_CURVES = ASSETS / "scale_curves.json"
SCALE_COMPONENTS = 3  # components per class of the shipped curves' latent prior (the tab's default)
# The tab's scale curve (demos/latent.py) for the default autoencoder at the scenes' samplers and steps, seed 0
TAB_CURVES = (("ddim", 20), ("ddim", 5), ("edm_heun", 18))


def scale_units(spec: str, sampler: str, steps: int, particles: int, seeds, factors) -> dict[str, list[float]]:
    """Latent MMD² (floor units, in the unit latent) of `sampler` at each factor × the unit latent, seed by seed."""
    return {
        f"{f:g}": [latent_units(spec, run_latent(spec, sampler, steps, particles, s, f).samples) for s in seeds]
        for f in factors
    }


def scale_kl(spec: str, sampler: str, steps: int, factors) -> dict[str, list[float]]:
    """[KL, its standard error] of the prior mismatch at the sampler's first grid node, per factor (`prior_kl`)."""
    return {f"{f:g}": list(prior_kl(spec, sampler, steps, f)) for f in factors}


def write_scale_curves(path: Path = SCALE_CURVES) -> dict:
    """The latent scale's runs, shipped (`python -m core.latent --curves`): the ldm_latent_scale claim's runs seed
    by seed (core/claims/latent.py: its settings), and the tab's curve at TAB_CURVES (demos/latent.py)."""
    from core.claims import latent as C
    from demos import latent as tab

    spec = latent_spec(DEFAULT, SCALE_COMPONENTS)
    claim = {}
    for name, (sampler, steps, n), factors in (("few", C.FEW, C.SCALES), ("many", C.MANY, C.MANY_SCALES)):
        claim[name] = dict(
            sampler=sampler,
            steps=steps,
            particles=n,
            seeds=list(C.SEEDS),
            units=scale_units(spec, sampler, steps, n, C.SEEDS, factors),
            kl=scale_kl(spec, sampler, steps, factors),
        )
        print(f"claim runs {name}: {claim[name]['units']}", flush=True)
    curves = {}
    for sampler, steps in TAB_CURVES:
        curves[f"{sampler}/{steps}/0"] = tab.compute_scale_curve(DEFAULT, SCALE_COMPONENTS, sampler, steps, 0)
    out = dict(autoencoder=asdict(DEFAULT), components=SCALE_COMPONENTS, spec=spec, claim=claim, tab=curves)
    path.write_text(json.dumps(out, indent=1) + "\n")
    return out


@cache
def shipped_scale_curves() -> dict:
    """assets/latent/scale_curves.json ({} if missing)."""
    return json.loads(SCALE_CURVES.read_text()) if SCALE_CURVES.exists() else {}


def main(argv=None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="train the default autoencoder into assets/latent/")
    parser.add_argument(
        "--curves", action="store_true", help="run the latent scale's curves into assets/latent/scale_curves.json"
    )
    args = parser.parse_args(argv)
    if args.write:
        write_shipped()
    if args.curves:
        write_scale_curves()
        print(f"wrote {SCALE_CURVES}", flush=True)
    if not (args.write or args.curves):
        parser.print_help()


if __name__ == "__main__":  # run as core.latent, not __main__: the tab's module compares settings with its DEFAULT
    import core.latent

    core.latent.main()
