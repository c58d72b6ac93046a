"""Noisy classifiers p_t(c | x) and the guidance they give (Dhariwal & Nichol 2021, ADM; Ho & Salimans 2022).

Classifier guidance samples with the score ∇log p_t(x) + γ ∇log p_t(c | x) (ADM, Sec. 4; with DDIM this is
their Algorithm 2, ε̂ − √(1−ᾱ) γ ∇log p_φ(c | x_t)). Through the one model interface it is a denoiser:

    x̂₀ = x̂₀_uncond + γ σ²/α ∇log p_t(c | x),     since x̂₀ = (x + σ² ∇log p_t(x))/α (Tweedie).

* The **exact** noisy classifier of the diffused mixture: p_t(c | x) = Σ_{k ∈ c} r_k(x) with r the
  responsibilities under p_t, and by Bayes ∇log p_t(c | x) = ∇log p_t(x | c) − ∇log p_t(x). With it,
  x̂₀ = (1 − γ) x̂₀_u + γ x̂₀_c, i.e. classifier-free guidance (1 + w) x̂₀_c − w x̂₀_u with w = γ − 1: with
  exact models the two guidances are one.
* A **learned** noisy classifier: a small MLP f_φ(x_t, λ) → class logits trained with cross-entropy on
  noised samples x_t = α x₀ + σ ε at uniformly random DDPM timesteps, as ADM trains its classifier. Its
  gradient is good where it saw data and arbitrary elsewhere; that is where classifier guidance and CFG part.

Also the fidelity/diversity measures of guided samples that the guidance tab and its claims use.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from core.mixture import GaussianMixture
from core.models import Denoiser, ExactDenoiser, GuidedDenoiser
from core.processes import DiscreteVP

PROCESS = DiscreteVP()  # the chain the classifier is trained on and the guidance tab samples with


# ---------------------------------------------------------------------------- exact classifier
class ExactClassifier:
    """p_t(c | x) of the mixture diffused to (α, σ), and ∇ₓ log p_t(c | x) = ∇log p_t(x|c) − ∇log p_t(x)."""

    def __init__(self, mixture: GaussianMixture):
        self.mixture = mixture
        self._sub = {int(c): mixture.for_class(int(c)) for c in mixture.classes}

    def prob(self, x, alpha: float, sigma: float, label: int) -> np.ndarray:
        return self.mixture.diffused(alpha, sigma).class_posterior(x, label)

    def grad_log_prob(self, x, alpha: float, sigma: float, label: int) -> np.ndarray:
        return self._sub[int(label)].diffused(alpha, sigma).score(x) - self.mixture.diffused(alpha, sigma).score(x)


@dataclass(frozen=True)
class ClassifierGuidedDenoiser:
    """Classifier guidance in x̂₀ form: x̂₀ = x̂₀_u + γ σ²/α ∇log p_t(c | x) (ADM's score ∇log p + γ ∇log p(c|x))."""

    unconditional: Denoiser
    classifier: object  # has grad_log_prob(x, alpha, sigma, label)
    label: int
    gamma: float

    def denoise(self, x, alpha, sigma):
        x0 = self.unconditional.denoise(x, alpha, sigma)
        if self.gamma == 0 or sigma == 0:
            return x0
        return x0 + self.gamma * sigma**2 / alpha * self.classifier.grad_log_prob(x, alpha, sigma, self.label)


def guided_grid(steps: int):
    from core.grids import timestep_grid

    return timestep_grid(PROCESS, steps, "leading")


def cfg_samples(mixture: GaussianMixture, label: int, w: float, particles: int, steps: int, seed: int) -> np.ndarray:
    """Classifier-free guidance ε̃ = (1+w) ε_c − w ε_u on exact models, DDIM η = 0 on DDPM's leading grid."""
    from core.samplers.registry import run_sampler

    model = GuidedDenoiser(ExactDenoiser(mixture.for_class(label)), ExactDenoiser(mixture), w)
    return run_sampler("ddim", model, guided_grid(steps), particles, seed, {"eta": 0.0}, n_paths=0).samples


def classifier_guided_samples(
    mixture: GaussianMixture, classifier, label: int, gamma: float, particles: int, steps: int, seed: int
) -> np.ndarray:
    """Classifier guidance with scale γ on the exact unconditional model, same sampler, grid and noise as
    `cfg_samples` (so with the exact classifier and γ = 1 + w the two agree to rounding)."""
    from core.samplers.registry import run_sampler

    model = ClassifierGuidedDenoiser(ExactDenoiser(mixture), classifier, int(label), float(gamma))
    return run_sampler("ddim", model, guided_grid(steps), particles, seed, {"eta": 0.0}, n_paths=0).samples


def tradeoff(mixture: GaussianMixture, label: int, samples: np.ndarray) -> dict:
    """Fidelity (share of samples whose most likely component is in the class, mean log p(c|x)) and diversity
    (mode TV within the class, rms spread around the nearest mode)."""
    post = np.clip(mixture.class_posterior(samples, label), 1e-300, 1.0)
    resp = mixture.responsibilities(samples)
    nearest = resp.argmax(1)
    in_class = mixture.labels[nearest] == label
    sub = mixture.for_class(label)
    idx = np.flatnonzero(mixture.labels == label)
    share = np.array([(nearest[in_class] == k).mean() if in_class.any() else 0.0 for k in idx])
    spread = np.sqrt(((samples - mixture.means[nearest]) ** 2).sum(1).mean())
    return dict(
        in_class=float(in_class.mean()),
        log_post=float(np.log(post).mean()),
        mode_tv=float(0.5 * np.abs(share - sub.weights).sum()),
        spread=float(spread),
        mode_share=share,
    )


# ---------------------------------------------------------------------------- learned classifier
DEFAULT_STEPS = 1000
MAX_STEPS = 3000
BATCH = 256
HIDDEN = 96
LEARNING_RATE = 3e-3
_TORCH_LOCK = threading.RLock()  # torch.set_num_threads is process-wide: one network computation at a time


@contextmanager
def one_thread(torch):
    """Run torch on one thread (same rounding whatever the machine's core count: reproducible), restoring
    the previous thread count after."""
    with _TORCH_LOCK:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(threads)


def _features(torch, x, log_snr, c_in):
    """Network input: x scaled to unit variance (EDM's c_in) and the log-SNR λ/10."""
    return torch.cat([x * c_in, (log_snr / 10.0).expand(x.shape[0], 1)], dim=1)


def _network(torch, n_classes: int):
    nn = torch.nn
    return nn.Sequential(
        nn.Linear(3, HIDDEN), nn.SiLU(), nn.Linear(HIDDEN, HIDDEN), nn.SiLU(), nn.Linear(HIDDEN, n_classes)
    )


def _scale(mixture: GaussianMixture) -> float:
    """The data's RMS radius about its mean (sets c_in = 1/√(α² s² + σ²))."""
    centre = mixture.weights @ mixture.means
    d = mixture.means - centre
    return float(np.sqrt((mixture.weights * ((d**2).sum(1) + np.trace(mixture.covs, axis1=1, axis2=2))).sum() / 2))


class LearnedClassifier:
    """A trained MLP noisy classifier; `grad_log_prob` by autograd (float32 network, float64 out)."""

    def __init__(self, net, classes: np.ndarray, scale: float, losses: np.ndarray, seconds: float, steps: int):
        self.net, self.classes, self.scale = net, classes, scale
        self.losses, self.seconds, self.steps = losses, seconds, steps

    def _index(self, label: int) -> int:
        hit = np.flatnonzero(self.classes == int(label))
        if not len(hit):
            raise ValueError(f"class {label} is not one of {self.classes.tolist()}")
        return int(hit[0])

    def _inputs(self, torch, x, alpha, sigma):
        xt = torch.as_tensor(np.asarray(x, dtype=np.float32))
        lam = math.log(max(alpha, 1e-30)) - math.log(max(sigma, 1e-30))
        c_in = 1.0 / math.sqrt(alpha**2 * self.scale**2 + sigma**2)
        return xt, torch.tensor([[lam]], dtype=torch.float32), c_in

    def prob(self, x, alpha, sigma, label) -> np.ndarray:
        import torch

        xt, lam, c_in = self._inputs(torch, x, alpha, sigma)
        with one_thread(torch), torch.no_grad():
            p = torch.softmax(self.net(_features(torch, xt, lam, c_in)), dim=1)[:, self._index(label)]
        return p.double().numpy()

    def grad_log_prob(self, x, alpha, sigma, label) -> np.ndarray:
        import torch

        xt, lam, c_in = self._inputs(torch, x, alpha, sigma)
        xt.requires_grad_(True)
        with one_thread(torch), torch.enable_grad():
            logp = torch.log_softmax(self.net(_features(torch, xt, lam, c_in)), dim=1)[:, self._index(label)]
            (grad,) = torch.autograd.grad(logp.sum(), xt)
        return grad.double().numpy()


class _Adam:
    """Adam (Kingma & Ba 2015) written out: torch.optim would import torch._dynamo (seconds at first use)."""

    def __init__(self, torch, params, betas=(0.9, 0.999), eps=1e-8):
        self.torch, self.params, self.betas, self.eps, self.t = torch, params, betas, eps, 0
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]

    def step(self, grads, lr: float) -> None:
        b1, b2 = self.betas
        self.t += 1
        c1, c2 = 1 - b1**self.t, 1 - b2**self.t
        with self.torch.no_grad():
            for p, g, m, v in zip(self.params, grads, self.m, self.v):
                m.mul_(b1).add_(g, alpha=1 - b1)
                v.mul_(b2).addcmul_(g, g, value=1 - b2)
                p.addcdiv_(m, (v / c2).sqrt_().add_(self.eps), value=-lr / c1)


def train_classifier(
    mixture: GaussianMixture,
    steps: int = DEFAULT_STEPS,
    seed: int = 0,
    progress: Callable[[int, int, float], None] | None = None,
) -> LearnedClassifier:
    """Train the MLP with cross-entropy on x_t = α x₀ + σ ε, t uniform over DDPM's 1000 timesteps (ADM).

    Deterministic for a seed: data from a seeded numpy Generator, torch seeded, one thread during training.
    `progress(i, steps, loss)` is called every 25 steps (it may raise to stop the training)."""
    import torch

    steps = int(steps)
    if not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"Training steps must lie between 1 and {MAX_STEPS:,}; got {steps}.")
    classes = mixture.classes
    if len(classes) < 2:
        raise ValueError("A classifier needs data with at least two classes.")
    target_of = {int(c): i for i, c in enumerate(classes)}
    comp_target = np.array([target_of[int(c)] for c in mixture.labels])
    rng = np.random.default_rng(seed)
    scale = _scale(mixture)
    abar = PROCESS.alphas_cumprod(np.arange(PROCESS.T))
    with one_thread(torch):
        torch.manual_seed(seed)
        net = _network(torch, len(classes))
        params = list(net.parameters())
        adam = _Adam(torch, params)
        losses = np.empty(steps)
        start = time.perf_counter()
        for i in range(steps):
            x0, comp = mixture.sample(BATCH, rng, return_components=True)
            t = rng.integers(0, PROCESS.T, BATCH)
            a, s = np.sqrt(abar[t]), np.sqrt(1 - abar[t])
            xt = a[:, None] * x0 + s[:, None] * rng.standard_normal((BATCH, 2))
            lam = np.log(a) - np.log(s)
            c_in = 1.0 / np.sqrt(a**2 * scale**2 + s**2)
            feats = np.concatenate([xt * c_in[:, None], lam[:, None] / 10.0], axis=1).astype(np.float32)
            logits = net(torch.from_numpy(feats))
            loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(comp_target[comp]))
            grads = torch.autograd.grad(loss, params)
            adam.step(grads, LEARNING_RATE * 0.5 * (1 + math.cos(math.pi * i / steps)))  # cosine decay
            losses[i] = float(loss.detach())
            if progress is not None and ((i + 1) % 25 == 0 or i + 1 == steps):
                progress(i + 1, steps, losses[i])
        seconds = time.perf_counter() - start
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return LearnedClassifier(net, classes, scale, losses, seconds, steps)


_TRAINED: dict[tuple, LearnedClassifier] = {}
_TRAINED_ORDER: list[tuple] = []
MAX_CACHED = 8


def cached_classifier(key: tuple) -> LearnedClassifier | None:
    """A classifier trained before for (data spec, steps, seed), if still cached."""
    return _TRAINED.get(key)


def remember_classifier(key: tuple, clf: LearnedClassifier) -> LearnedClassifier:
    if key not in _TRAINED:
        _TRAINED_ORDER.append(key)
        while len(_TRAINED_ORDER) > MAX_CACHED:
            _TRAINED.pop(_TRAINED_ORDER.pop(0), None)
    _TRAINED[key] = clf
    return clf


def gradient_error(exact: ExactClassifier, learned, x, alpha, sigma, label) -> dict:
    """Per point: |∇_learned − ∇_exact|, |∇_exact| and the angle between them (degrees)."""
    ge = exact.grad_log_prob(x, alpha, sigma, label)
    gl = learned.grad_log_prob(x, alpha, sigma, label)
    ne, nl = np.linalg.norm(ge, axis=1), np.linalg.norm(gl, axis=1)
    cos = (ge * gl).sum(1) / np.maximum(ne * nl, 1e-300)
    return dict(
        norm_error=np.linalg.norm(gl - ge, axis=1),
        exact_norm=ne,
        angle=np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))),
    )


@lru_cache(maxsize=32)
def exact_classifier(mixture: GaussianMixture) -> ExactClassifier:
    return ExactClassifier(mixture)
