"""A small learned denoiser, trained the way the papers train theirs, and measured against the exact one.

Training is DDPM's Algorithm 1 (Ho et al. 2020): draw x₀ from the data (here the exact mixture, fresh every
step), a noise level and ε, form x_t = α x₀ + σ ε, and take a gradient step on a weighted squared error of
what the network predicts:

* **prediction** — ε (Ho et al. 2020), x₀, or v = α ε − σ x₀ (Salimans & Ho 2022, "v-prediction", in
  variance-preserving coordinates α² + σ² = 1);
* **weighting** over noise levels — *uniform*: t ~ U{0, …, 999} of DDPM's linear-β chain and the plain squared
  error of the prediction (Algorithm 1's "simple" loss); *P2* (Choi et al. 2022, eq. 8): the same, times
  1/(k + SNR(t))^γ with k = γ = 1 (Choi et al. define it on the ε loss; here it multiplies the chosen
  prediction's loss); *EDM* (Karras et al. 2022, Table 1): ln σ̃ ~ N(−1.2, 1.2²), loss λ(σ̃)‖D − x₀‖² with
  λ = (σ̃² + σ_d²)/(σ̃ σ_d)², and EDM's preconditioning D = c_skip x̃ + c_out F(c_in x̃, c_noise). With EDM the
  network predicts that F whatever `prediction` says (the preconditioning fixes the target).

σ̃ = σ/α is the noise level of the scaled frame x̃ = x/α = x₀ + σ̃ ε, the same for every process, so one
network serves every process and grid: `LearnedDenoiser.denoise(x, α, σ)` maps (α, σ) to σ̃ and implements the
one `Denoiser` interface (core/models.py), and every registered sampler can use it.

The network is an MLP (SiLU) on (input point, noise features [c, sin(f c), cos(f c)] with c = ¼ ln σ̃, EDM's
c_noise). It is trained in torch by core/mlp.fit (imported only there) and evaluated in numpy from its float32
weights, so shipped models (assets/learned/*.npz: plain float32 arrays and a JSON string, no pickle) load and
answer without torch. Training is deterministic for a seed: torch.manual_seed, numpy's Generator for the
batches, and one torch thread while training (restored afterwards); the loss weights each example's squared
error by its weighting (`_examples`).

`python -m core.learned --write` trains each preset's default model and writes assets/learned/.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from core.dataspec import canonical, is_preset, load_data
from core.mixture import GaussianMixture
from core.mixture import plot_box as plot_box  # the error map covers the tabs' plot box
from core.mlp import fit, layer_arrays, layers_of, load_arrays, save_arrays, shipped_main
from core.mlp import loss_curve as loss_curve  # the tab's loss curve (also shipped in the models' info)
from core.processes import DiscreteVP

ASSETS = Path(__file__).resolve().parents[1] / "assets" / "learned"

PREDICTIONS = ("eps", "x0", "v")
WEIGHTINGS = ("uniform", "p2", "edm")
WIDTHS = (32, 64, 128, 256)
DEPTHS = (1, 2, 3, 4)
STEP_RANGE = (200, 6000)
# One training is capped by its work: parameters × steps (about 7 M per second of one core here), so that one
# visitor cannot hold a worker for long; 150 M ≈ 20 s: 3×128 up to 4,000 steps, 4×256 up to 700. A CPU-time
# safety cap stops a run that still takes too long (a slower machine) and keeps what it learned.
MAX_TRAIN_WORK = 150_000_000
MAX_SECONDS = 40.0
SHIPPED_BUDGET_BYTES = 600_000  # all shipped models together
BATCH = 512
# Adam, decayed linearly to 0 over the run. Measured on ring8 (3×64, 3,000 steps): at 1e-3 and 3e-3 the loss
# stalls at 0.53 (a smeared ring: the 8 modes are never resolved, MMD² ≈ +250 floor units); at 1e-2 it reaches
# 0.479, the exact model's own loss on these draws being 0.483 (MMD² +7).
LEARNING_RATE = 1e-2
P2_K, P2_GAMMA = 1.0, 1.0
EDM_P_MEAN, EDM_P_STD = -1.2, 1.2
FREQUENCIES = (1.0, 2.0, 4.0, 8.0)
T_STEPS = 1000  # DDPM's chain: the uniform and P2 weightings draw t from it
SIGMA_TILDE_RANGE = (float(DiscreteVP().sigma_tilde(0)), float(DiscreteVP().sigma_tilde(T_STEPS - 1)))


class TrainingStopped(Exception):
    """Raised by a progress callback to stop a training (a newer request made it pointless)."""


@dataclass(frozen=True)
class Settings:
    spec: str = "ring8"  # a data spec (core/dataspec.py)
    prediction: str = "eps"
    weighting: str = "uniform"
    width: int = 64
    depth: int = 3  # hidden layers
    steps: int = 3000
    seed: int = 0

    def validated(self) -> Settings:
        """Canonical settings, or ValueError with a sentence a user can act on."""
        if self.prediction not in PREDICTIONS:
            raise ValueError(f"Prediction must be one of {', '.join(PREDICTIONS)}; got {self.prediction!r}.")
        if self.weighting not in WEIGHTINGS:
            raise ValueError(f"Weighting must be one of {', '.join(WEIGHTINGS)}; got {self.weighting!r}.")
        if self.width not in WIDTHS:
            raise ValueError(f"Width must be one of {WIDTHS}; got {self.width!r}.")
        if self.depth not in DEPTHS:
            raise ValueError(f"Depth must be one of {DEPTHS} hidden layers; got {self.depth!r}.")
        lo, hi = STEP_RANGE
        if not isinstance(self.steps, int) or not lo <= self.steps <= hi:
            raise ValueError(f"Training steps must be a whole number from {lo} to {hi}; got {self.steps!r}.")
        params = n_parameters(self.width, self.depth)
        if params * self.steps > MAX_TRAIN_WORK:
            most = MAX_TRAIN_WORK // params
            raise ValueError(
                f"A {self.depth}×{self.width} network ({params:,} parameters) can train for at most {most:,} steps "
                f"here (the cap is {MAX_TRAIN_WORK / 1e6:.0f} M parameter-steps, about 20 s); use fewer steps or a "
                "smaller network."
            )
        if not isinstance(self.seed, int) or not 0 <= self.seed < 2**31:
            raise ValueError(f"Seed must be a whole number from 0 to {2**31 - 1}; got {self.seed!r}.")
        return replace(self, spec=canonical(self.spec))

    @property
    def target(self) -> str:
        """What the network outputs: the prediction, or EDM's preconditioned F."""
        return "edm" if self.weighting == "edm" else self.prediction

    @property
    def key(self) -> tuple:
        """Settings that give the same model (EDM ignores `prediction`)."""
        return (self.spec, self.target, self.weighting, self.width, self.depth, self.steps, self.seed)

    def describe(self) -> str:
        target = {"eps": "ε", "x0": "x₀", "v": "v", "edm": "EDM's F"}[self.target]
        weighting = {"uniform": "uniform t", "p2": "P2 weighting", "edm": "EDM log-normal σ"}[self.weighting]
        return f"{self.depth}×{self.width} MLP predicting {target}, {weighting}, {self.steps:,} steps, seed {self.seed}"


def n_parameters(width: int, depth: int) -> int:
    sizes = [2 + 1 + 2 * len(FREQUENCIES), *[width] * depth, 2]
    return sum((i + 1) * o for i, o in zip(sizes[:-1], sizes[1:]))


def default_settings(spec: str = "ring8") -> Settings:
    """The settings of the shipped model of a preset (and the tab's defaults)."""
    return Settings(spec=spec)


def data_sigma(mixture: GaussianMixture) -> float:
    """σ_data of EDM: the data's standard deviation per coordinate, √(tr Cov[x₀] / 2)."""
    mean = mixture.weights @ mixture.means
    second = np.einsum(
        "k,kij->ij", mixture.weights, mixture.covs + np.einsum("ki,kj->kij", mixture.means, mixture.means)
    )
    return float(math.sqrt(np.trace(second - np.outer(mean, mean)) / 2))


def noise_features(sigma_tilde: np.ndarray) -> np.ndarray:
    """(n, 1 + 2F) features of the noise level: c = ¼ ln σ̃ and sin/cos of f·c."""
    c = 0.25 * np.log(np.asarray(sigma_tilde, dtype=np.float64)).reshape(-1, 1)
    f = np.asarray(FREQUENCIES)[None]
    return np.concatenate([c, np.sin(f * c), np.cos(f * c)], 1)


def _edm_coefficients(sigma_tilde, sigma_data):
    """EDM's c_skip, c_out, c_in (Karras et al. 2022, Table 1, "Ours")."""
    st2, sd2 = sigma_tilde**2, sigma_data**2
    return sd2 / (st2 + sd2), sigma_tilde * sigma_data / np.sqrt(st2 + sd2), 1 / np.sqrt(st2 + sd2)


# ---------------------------------------------------------------------------- the model, in numpy
class LearnedDenoiser:
    """x̂₀(x, α, σ) from a trained MLP's float32 weights (numpy, float64 arithmetic)."""

    def __init__(self, layers: list[tuple[np.ndarray, np.ndarray]], settings: Settings, sigma_data: float, info=None):
        self.layers = [(np.asarray(w, dtype=np.float32), np.asarray(b, dtype=np.float32)) for w, b in layers]
        self._layers64 = [(w.astype(np.float64).T.copy(), b.astype(np.float64)) for w, b in self.layers]
        self.settings = settings
        self.sigma_data = float(sigma_data)
        self.info = dict(info or {})
        self.shipped = False  # loaded from assets/learned (set by `cached_model`)

    def network(self, inputs: np.ndarray) -> np.ndarray:
        h = inputs
        for i, (w, b) in enumerate(self._layers64):
            h = h @ w + b
            if i < len(self._layers64) - 1:
                h = h * (0.5 + 0.5 * np.tanh(0.5 * h))  # SiLU, h·sigmoid(h), without overflow
        return h

    def denoise(self, x, alpha, sigma):
        x = np.asarray(x, dtype=np.float64)
        alpha, sigma = float(alpha), float(sigma)
        if sigma == 0:
            return x / alpha
        norm = math.hypot(alpha, sigma)
        a, s = alpha / norm, sigma / norm  # variance-preserving coordinates: a² + s² = 1
        lo, hi = SIGMA_TILDE_RANGE
        st = s / a if a > 0 else math.inf
        if not lo <= st <= hi:  # outside the trained noise range: the nearest trained level
            st = min(max(st, lo), hi)
            a = 1 / math.sqrt(1 + st**2)
            s = st * a
        x_vp = x / norm
        feats = np.broadcast_to(noise_features(np.array([st])), (len(x), 1 + 2 * len(FREQUENCIES)))
        target = self.settings.target
        if target == "edm":
            c_skip, c_out, c_in = _edm_coefficients(st, self.sigma_data)
            x_tilde = x_vp / a
            return c_skip * x_tilde + c_out * self.network(np.concatenate([c_in * x_tilde, feats], 1))
        out = self.network(np.concatenate([x_vp, feats], 1))
        if target == "eps":
            return (x_vp - s * out) / a
        if target == "x0":
            return out
        return a * x_vp - s * out  # v = a ε - s x₀  ⇒  x₀ = a x - s v

    # -- storage: float32 arrays and one JSON string (np.load without pickle)
    def save(self, path: Path) -> None:
        meta = dict(settings=asdict(self.settings), sigma_data=self.sigma_data, info=self.info)
        save_arrays(path, meta, layer_arrays(self.layers))

    @classmethod
    def load(cls, path: Path) -> LearnedDenoiser:
        meta, arrays = load_arrays(path)
        return cls(layers_of(arrays), Settings(**meta["settings"]), meta["sigma_data"], meta["info"])

    @property
    def n_parameters(self) -> int:
        return sum(w.size + b.size for w, b in self.layers)


# ---------------------------------------------------------------------------- training (torch)
@dataclass
class TrainingLog:
    losses: list[float]  # one per step
    seconds: float
    steps_done: int
    stopped: str = ""  # why it stopped early ("" = it ran every step)
    cpu_seconds: float = 0.0


def _noise_batch(settings: Settings, rng: np.random.Generator, n: int, alphas_cumprod: np.ndarray):
    """(a, s, σ̃, weight) per example: VP coordinates of the noise level and the loss weight."""
    if settings.weighting == "edm":
        st = np.exp(EDM_P_MEAN + EDM_P_STD * rng.standard_normal(n))
        a = 1 / np.sqrt(1 + st**2)
        return a, st * a, st, np.ones(n)
    t = rng.integers(0, T_STEPS, n)
    abar = alphas_cumprod[t]
    a, s = np.sqrt(abar), np.sqrt(1 - abar)
    weight = np.ones(n) if settings.weighting == "uniform" else 1 / (P2_K + abar / (1 - abar)) ** P2_GAMMA
    return a, s, s / a, weight


CHUNK = 100  # steps whose examples are drawn at once


def _examples(settings, mixture, sigma_data, alphas_cumprod, rng, n):
    """(inputs, targets, weights) of n steps' batches, shapes (n, B, ·): DDPM Algorithm 1's draws."""
    x0 = mixture.sample(n * BATCH, rng)
    eps = rng.standard_normal((n * BATCH, 2))
    a, s, st, weight = _noise_batch(settings, rng, n * BATCH, alphas_cumprod)
    x_vp = a[:, None] * x0 + s[:, None] * eps
    feats = noise_features(st)
    if settings.target == "edm":
        c_skip, c_out, c_in = _edm_coefficients(st, sigma_data)
        x_tilde = x_vp / a[:, None]
        inputs = np.concatenate([c_in[:, None] * x_tilde, feats], 1)
        target = (x0 - c_skip[:, None] * x_tilde) / c_out[:, None]
    else:
        inputs = np.concatenate([x_vp, feats], 1)
        target = {"eps": eps, "x0": x0, "v": a[:, None] * eps - s[:, None] * x0}[settings.target]
    return inputs.reshape(n, BATCH, -1), target.reshape(n, BATCH, 2), weight.reshape(n, BATCH)


class TrainingSet:
    """A finite training set as the data to train on: x₀ drawn uniformly from its N points (the empirical
    distribution, what DDPM's Algorithm 1 samples when q(x₀) is a data set of N examples), with the same
    `sample(n, rng)` call as a mixture."""

    def __init__(self, points: np.ndarray):
        self.points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        if len(self.points) == 0 or not np.isfinite(self.points).all():
            raise ValueError("A training set needs at least one finite point.")

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return self.points[rng.integers(0, len(self.points), n)]

    def sigma(self) -> float:
        """σ_data of EDM for the points: √(tr Cov / 2) of their empirical distribution (1 for a single point)."""
        if len(self.points) < 2:
            return 1.0
        return float(math.sqrt(np.trace(np.cov(self.points.T, bias=True)) / 2))


def train(
    settings: Settings,
    progress: Callable[[int, int, float], None] | None = None,
    max_seconds: float = MAX_SECONDS,
    points: np.ndarray | None = None,
) -> tuple[LearnedDenoiser, TrainingLog]:
    """Train one model; `progress(step, total, recent loss)` is called every 25 steps and may raise
    TrainingStopped. Stops after `max_seconds` of this thread's CPU time with the model as it is then
    (CPU, not wall-clock time: on a busy machine the same settings still give the same model).

    With `points` (an (N, 2) array) the model trains on that finite training set instead of fresh draws from
    `settings.spec`'s mixture (`TrainingSet`; used by core/memorisation.py): the same draws of noise and noise
    level, x₀ resampled from the N points. Such a model is not cached here (its settings do not name the points)."""
    settings = settings.validated()
    if points is None:
        mixture = load_data(settings.spec)
        sigma_data = data_sigma(mixture)
    else:
        mixture = TrainingSet(points)
        sigma_data = mixture.sigma()
    alphas_cumprod = DiscreteVP().alphas_cumprod(np.arange(T_STEPS))
    n_in = 2 + 1 + 2 * len(FREQUENCIES)

    def batches(rng: np.random.Generator, n: int):  # inputs, targets and loss weights of n steps
        return _examples(settings, mixture, sigma_data, alphas_cumprod, rng, n)

    sizes = [n_in, *[settings.width] * settings.depth, 2]
    net, fitted = fit(batches, sizes, settings.steps, LEARNING_RATE, settings.seed, progress, max_seconds, CHUNK)
    losses, seconds, cpu, stopped = fitted.losses, fitted.seconds, fitted.cpu_seconds, fitted.stopped
    log = TrainingLog(losses, seconds, len(losses), stopped, cpu)
    info = dict(
        seconds=round(seconds, 2),
        cpu_seconds=round(cpu, 2),
        steps_done=len(losses),
        stopped=stopped,
        loss_curve=loss_curve(losses),
    )
    if points is not None:
        info["training_points"] = len(mixture.points)
    return LearnedDenoiser(net.layers, settings, sigma_data, info), log


# ---------------------------------------------------------------------------- shipped and cached models
_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 16


def shipped_path(settings: Settings) -> Path | None:
    """The shipped file for these settings: a preset's default model only."""
    settings = settings.validated()
    if is_preset(settings.spec) and settings.key == default_settings(settings.spec).key:
        return ASSETS / f"{settings.spec}.npz"
    return None


def cached_model(settings: Settings) -> LearnedDenoiser | None:
    """The model for these settings if it is in memory or shipped (no training), else None."""
    settings = settings.validated()
    if settings.key in _CACHE:
        _CACHE.move_to_end(settings.key)
        return _CACHE[settings.key]
    path = shipped_path(settings)
    if path is not None and path.exists():
        model = LearnedDenoiser.load(path)
        model.shipped = True
        _remember(settings, model)
        return model
    return None


def get_model(settings: Settings, progress=None) -> tuple[LearnedDenoiser, str]:
    """(model, where it came from: "cache" / "shipped" / "trained") — training if needed (cached after)."""
    settings = settings.validated()
    if settings.key in _CACHE:
        model = cached_model(settings)
        return model, "shipped" if model.shipped else "cache"
    model = cached_model(settings)
    if model is not None:
        return model, "shipped"
    model, _ = train(settings, progress)
    _remember(settings, model)
    return model, "trained"


def _remember(settings: Settings, model: LearnedDenoiser) -> None:
    _CACHE[settings.key] = model
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)


def write_shipped(presets=None) -> list[Path]:
    """Train every preset's default model and write assets/learned/<preset>.npz."""
    from core.datasets import PRESETS

    out = []
    for key in presets or list(PRESETS):
        settings = default_settings(key)
        model, log = train(settings)
        path = ASSETS / f"{key}.npz"
        model.save(path)
        print(
            f"{key}: {settings.describe()}: {log.seconds:.1f} s, final loss {np.mean(log.losses[-100:]):.4f}, "
            f"{path.stat().st_size / 1e3:.1f} kB",
            flush=True,
        )
        out.append(path)
    return out


# ---------------------------------------------------------------------------- measuring it against the exact model
def eps_error(model, mixture: GaussianMixture, x: np.ndarray, alpha: float, sigma: float) -> np.ndarray:
    """‖ε̂_θ(x) − ε*(x)‖ per point, ε* = −σ ∇log p_t the exact one (the scaled score error, scale-free)."""
    x0 = model.denoise(x, alpha, sigma)
    eps = (x - alpha * x0) / sigma
    exact = -sigma * mixture.diffused(alpha, sigma).score(x)
    return np.linalg.norm(eps - exact, axis=1)


def density_levels(mixture: GaussianMixture, alpha: float, sigma: float, masses=(0.9, 0.99), n: int = 20000):
    """log p_t levels whose super-level sets hold `masses` of p_t (Monte Carlo, fixed seed)."""
    pt = mixture.diffused(alpha, sigma)
    logp = pt.log_prob(pt.sample(n, np.random.default_rng(2024)))
    return [float(np.quantile(logp, 1 - m)) for m in masses]


def near_far_error(model, mixture: GaussianMixture, alpha: float, sigma: float, box, n: int = 80) -> dict:
    """Mean ε error over the plot box (n × n grid), split by where the data are: *near* = inside the region
    holding 90 % of p_t's mass; *far* = outside the region holding 99 % (where data are rare)."""
    xs, ys = np.linspace(box[0], box[1], n), np.linspace(box[2], box[3], n)
    pts = np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2)
    err = eps_error(model, mixture, pts, alpha, sigma)
    logp = mixture.diffused(alpha, sigma).log_prob(pts)
    near_level, far_level = density_levels(mixture, alpha, sigma)
    near, far = logp >= near_level, logp < far_level
    samples = mixture.diffused(alpha, sigma).sample(4000, np.random.default_rng(7))
    return dict(
        near=float(err[near].mean()) if near.any() else math.nan,
        far=float(err[far].mean()) if far.any() else math.nan,
        on_data=float(eps_error(model, mixture, samples, alpha, sigma).mean()),
        near_share=float(near.mean()),
        far_share=float(far.mean()),
        grid=err.reshape(n, n),
        xs=xs,
        ys=ys,
    )


if __name__ == "__main__":
    shipped_main(write_shipped, "Train the shipped default models (assets/learned/).", "assets/learned/<preset>.npz")
