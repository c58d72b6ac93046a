"""Two-dimensional Gaussian mixtures with exact log-density, score and Hessian.

p(x) = Σ_k π_k N(x; μ_k, Σ_k). With ℓ_k = log π_k + log N(x; μ_k, Σ_k), r = softmax(ℓ) and
s_k = -Σ_k⁻¹(x - μ_k):

    log p = logsumexp_k ℓ_k,   ∇log p = Σ_k r_k s_k,
    ∇²log p = Σ_k r_k (s_k s_kᵀ - Σ_k⁻¹) - ∇log p ∇log pᵀ.

Everything is float64, vectorised over N points × K components (2×2 algebra written out per entry,
arrays laid out components × points so that the sums over k run along contiguous rows), and evaluated
in chunks of points so that 10⁵ points × 200 components needs only a few MB of work arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp, softmax

LOG_2PI = np.log(2.0 * np.pi)
_EXP_FLOOR = -700.0
_CHUNK_ENTRIES = 1 << 14  # points × components evaluated at once (128 kB per work array: stays in cache)


class MixtureError(ValueError):
    """A mixture specification that is not a valid 2D Gaussian mixture."""


def _as_points(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1 and x.shape[0] == 2:
        x = x[None, :]
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"points must have shape (N, 2), got {x.shape}")
    return x


@dataclass(frozen=True)
class Mixture1D:
    """A 1D Gaussian mixture (used for exact conditionals p(x₂ | x₁))."""

    weights: np.ndarray
    means: np.ndarray
    variances: np.ndarray

    def log_prob(self, y) -> np.ndarray:
        y = np.asarray(y, dtype=np.float64)[..., None]
        ll = -0.5 * ((y - self.means) ** 2 / self.variances + np.log(self.variances) + LOG_2PI)
        with np.errstate(divide="ignore"):  # weights of far-away components can underflow to 0
            log_w = np.log(self.weights)
        return logsumexp(ll + log_w, axis=-1)

    def mean(self) -> float:
        return float(self.weights @ self.means)

    def cdf(self, y) -> np.ndarray:
        from scipy.special import ndtr

        y = np.asarray(y, dtype=np.float64)[..., None]
        return (self.weights * ndtr((y - self.means) / np.sqrt(self.variances))).sum(-1)


class GaussianMixture:
    """p(x) = Σ_k π_k N(x; μ_k, Σ_k) in 2D, each component carrying an integer class label."""

    def __init__(self, weights, means, covs, labels=None):
        w = np.asarray(weights, dtype=np.float64)
        mu = np.asarray(means, dtype=np.float64)
        cov = np.asarray(covs, dtype=np.float64)
        if w.ndim != 1 or w.size == 0:
            raise MixtureError(f"weights must be a non-empty 1D array, got shape {w.shape}")
        k = w.size
        if mu.shape != (k, 2):
            raise MixtureError(f"means must have shape ({k}, 2) for {k} weights, got {mu.shape}")
        if cov.shape == (k,):  # isotropic standard deviations given as one number per component
            cov = cov[:, None, None] ** 2 * np.eye(2)
        if cov.shape != (k, 2, 2):
            raise MixtureError(f"covs must have shape ({k}, 2, 2), got {cov.shape}")
        for name, arr in (("weights", w), ("means", mu), ("covs", cov)):
            if not np.all(np.isfinite(arr)):
                raise MixtureError(f"{name} contain NaN or infinite values")
        if np.any(w <= 0):
            bad = np.flatnonzero(w <= 0).tolist()
            raise MixtureError(f"weights must be positive; components {bad} are not")
        if not np.allclose(cov, np.swapaxes(cov, 1, 2), rtol=1e-10, atol=1e-12):
            raise MixtureError("covariances must be symmetric")
        det = cov[:, 0, 0] * cov[:, 1, 1] - cov[:, 0, 1] ** 2
        not_pd = np.flatnonzero((cov[:, 0, 0] <= 0) | (det <= 0)).tolist()
        if not_pd:
            raise MixtureError(f"covariances must be positive definite; components {not_pd} are not")
        lab = np.zeros(k, dtype=int) if labels is None else np.asarray(labels)
        if lab.shape != (k,) or not np.issubdtype(lab.dtype, np.integer):
            raise MixtureError(f"labels must be {k} integers, got {lab!r}")
        with np.errstate(over="ignore"):
            total = w.sum()
        if not np.isfinite(total):  # huge weights: scale by the largest first, so that the sum cannot overflow
            w = w / w.max()
            total = w.sum()
        w = w / total
        if np.any(w == 0):
            bad = np.flatnonzero(w == 0).tolist()
            raise MixtureError(f"weights span too many orders of magnitude: components {bad} underflow to 0")
        self._set(w, mu, 0.5 * (cov + np.swapaxes(cov, 1, 2)), lab.astype(int), np.log(w))

    def _set(self, weights, means, covs, labels, log_w):
        """Store validated parameters and the per-component constants the evaluation kernels use."""
        self.weights = weights
        self.means = means
        self.covs = covs
        self.labels = labels
        self._log_w = log_w
        # 2×2 inverses in closed form, kept as column vectors (K, 1) that broadcast against (K, n) blocks of
        # points; the precision entries are stored negated, so that s_k = -Σ_k⁻¹(x - μ_k) needs no extra pass
        a, b, c = covs[:, 0, 0], covs[:, 0, 1], covs[:, 1, 1]
        det = a * c - b * b
        self._n00, self._n01, self._n11 = (-c / det)[:, None], (b / det)[:, None], (-a / det)[:, None]
        self._mu0, self._mu1 = means[:, 0, None], means[:, 1, None]
        self._ell0 = (log_w - 0.5 * (np.log(det) + 2 * LOG_2PI))[:, None]

    # ------------------------------------------------------------------ structure
    @property
    def n_components(self) -> int:
        return self.weights.size

    @property
    def min_variance(self) -> float:
        """The smallest eigenvalue of any component covariance: the sharpest direction's variance σ_min²."""
        return float(np.linalg.eigvalsh(self.covs).min())

    @property
    def classes(self) -> np.ndarray:
        return np.unique(self.labels)

    def class_weights(self) -> dict[int, float]:
        return {int(c): float(self.weights[self.labels == c].sum()) for c in self.classes}

    def for_class(self, label: int) -> GaussianMixture:
        """The class-conditional sub-mixture p(x | c), its weights renormalised."""
        mask = self.labels == label
        if not mask.any():
            raise MixtureError(f"no component has class label {label}; labels are {self.classes.tolist()}")
        return GaussianMixture(self.weights[mask], self.means[mask], self.covs[mask], self.labels[mask])

    def diffused(self, alpha: float, sigma: float) -> GaussianMixture:
        """Law of α·x₀ + σ·ε with x₀ ~ self and ε ~ N(0, I): means αμ_k, covariances α²Σ_k + σ²I."""
        alpha, sigma = float(alpha), float(sigma)
        if not (np.isfinite(alpha) and np.isfinite(sigma)):
            raise ValueError(f"α and σ must be finite, got α={alpha}, σ={sigma}")
        covs = alpha**2 * self.covs + sigma**2 * np.eye(2)
        det = covs[:, 0, 0] * covs[:, 1, 1] - covs[:, 0, 1] ** 2
        if not np.all((covs[:, 0, 0] > 0) & (det > 0) & np.isfinite(det)):
            raise MixtureError(f"diffused covariances α²Σ + σ²I are singular or overflow at α={alpha}, σ={sigma}")
        # the parameters are valid by construction: skip __init__'s checks (this is every sampler step)
        out = object.__new__(GaussianMixture)
        out._set(self.weights, alpha * self.means, covs, self.labels, self._log_w)
        return out

    # ------------------------------------------------------------------ evaluation
    # Kernels work on blocks of n points transposed to (K, n): per-component constants are (K, 1)
    # columns, and the sums over components are reductions over axis 0, which numpy runs as
    # contiguous row operations (a reduction over a short last axis is several times slower).
    def _terms(self, x: np.ndarray):
        """Per-component log-densities ℓ and scores s_k = -Σ_k⁻¹(x - μ_k), as (K, n) arrays ℓ, s₀, s₁."""
        d0 = x[None, :, 0] - self._mu0
        d1 = x[None, :, 1] - self._mu1
        s0 = self._n00 * d0
        s0 += self._n01 * d1
        s1 = self._n01 * d0
        s1 += self._n11 * d1
        d0 *= s0  # ℓ = log π - ½ log|2πΣ| - ½ dᵀΣ⁻¹d, and -dᵀΣ⁻¹d = d·s
        d1 *= s1
        d0 += d1
        d0 *= 0.5
        d0 += self._ell0
        return d0, s0, s1

    def _chunks(self, n: int):
        step = max(1, _CHUNK_ENTRIES // self.n_components)
        return (slice(i, min(i + step, n)) for i in range(0, n, step))

    def log_prob(self, x) -> np.ndarray:
        x = _as_points(x)
        out = np.empty(len(x))
        for sl in self._chunks(len(x)):
            ell, _, _ = self._terms(x[sl])
            m, z = _exp_shifted(ell)
            out[sl] = m + np.log(z)
        return out

    def responsibilities(self, x) -> np.ndarray:
        """Posterior component probabilities p(k | x), shape (N, K)."""
        x = _as_points(x)
        out = np.empty((len(x), self.n_components))
        for sl in self._chunks(len(x)):
            ell, _, _ = self._terms(x[sl])
            _, z = _exp_shifted(ell)
            out[sl] = (ell / z).T
        return out

    def class_posterior(self, x, label: int) -> np.ndarray:
        """p(c = label | x): responsibilities summed over the components of that class."""
        return self.responsibilities(x)[:, self.labels == label].sum(axis=1)

    def score(self, x) -> np.ndarray:
        """∇ₓ log p(x), shape (N, 2)."""
        x = _as_points(x)
        out = np.empty_like(x)
        for sl in self._chunks(len(x)):
            ell, s0, s1 = self._terms(x[sl])
            _, z = _exp_shifted(ell)
            ell /= z
            out[sl, 0] = np.einsum("kn,kn->n", ell, s0)
            out[sl, 1] = np.einsum("kn,kn->n", ell, s1)
        return out

    def hessian(self, x) -> np.ndarray:
        """∇²ₓ log p(x), shape (N, 2, 2)."""
        x = _as_points(x)
        out = np.empty((len(x), 2, 2))
        for sl in self._chunks(len(x)):
            ell, s0, s1 = self._terms(x[sl])
            _, z = _exp_shifted(ell)
            r = ell
            r /= z
            g0, g1 = np.einsum("kn,kn->n", r, s0), np.einsum("kn,kn->n", r, s1)
            rs0, rs1 = r * s0, r * s1
            h01 = np.einsum("kn,kn->n", rs0, s1) + self._n01[:, 0] @ r - g0 * g1
            out[sl, 0, 0] = np.einsum("kn,kn->n", rs0, s0) + self._n00[:, 0] @ r - g0 * g0
            out[sl, 0, 1] = h01
            out[sl, 1, 0] = h01
            out[sl, 1, 1] = np.einsum("kn,kn->n", rs1, s1) + self._n11[:, 0] @ r - g1 * g1
        return out

    def laplacian(self, x) -> np.ndarray:
        """tr ∇²ₓ log p(x) = Σ_k r_k(|s_k|² - tr Σ_k⁻¹) - |∇log p|², shape (N,)."""
        x = _as_points(x)
        out = np.empty(len(x))
        tr_prec = -(self._n00 + self._n11)
        for sl in self._chunks(len(x)):
            ell, s0, s1 = self._terms(x[sl])
            _, z = _exp_shifted(ell)
            r = ell
            r /= z
            g0, g1 = np.einsum("kn,kn->n", r, s0), np.einsum("kn,kn->n", r, s1)
            s0 *= s0
            s1 *= s1
            s0 += s1
            s0 -= tr_prec
            out[sl] = np.einsum("kn,kn->n", r, s0) - g0 * g0 - g1 * g1
        return out

    def posterior_mean_x0(self, x, alpha: float, sigma: float) -> np.ndarray:
        """Tweedie's denoiser E[x₀ | α x₀ + σ ε = x] = Σ_k r_k [μ_k + α Σ_k C_k⁻¹ (x - α μ_k)].

        r_k are the responsibilities under the diffused mixture (C_k = α²Σ_k + σ²I). This equals
        (x + σ²∇log p_t(x)) / α but stays finite as α → 0 and exact as σ → 0. Computed as
        Σ_k r_k μ_k - α Σ_k r_k Σ_k s_k with s_k = -C_k⁻¹(x - α μ_k) the diffused component scores.
        """
        x = _as_points(x)
        pt = self.diffused(alpha, sigma)
        alpha = float(alpha)
        mean_rows = self.means.T  # (2, K)
        cov_col0 = alpha * self.covs[:, :, 0].T  # (2, K): [i, k] = α Σ_k[i, 0]
        cov_col1 = alpha * self.covs[:, :, 1].T
        out = np.empty_like(x)
        for sl in pt._chunks(len(x)):
            ell, s0, s1 = pt._terms(x[sl])
            _, z = _exp_shifted(ell)
            r = ell
            r /= z
            s0 *= r
            s1 *= r
            res = mean_rows @ r
            res -= cov_col0 @ s0
            res -= cov_col1 @ s1
            out[sl] = res.T
        return out

    def sample(self, n: int, rng: np.random.Generator, return_components: bool = False):
        """n exact samples (and, if asked, the component index of each)."""
        k = rng.choice(self.n_components, size=n, p=self.weights)
        chol = np.linalg.cholesky(self.covs)
        x = self.means[k] + np.einsum("nij,nj->ni", chol[k], rng.standard_normal((n, 2)))
        return (x, k) if return_components else x

    def conditional_x2_given_x1(self, x1: float) -> Mixture1D:
        """Exact p(x₂ | x₁) as a 1D mixture: weights ∝ π_k N(x₁; μ_k1, Σ_k11), Gaussian conditionals."""
        s11, s12, s22 = self.covs[:, 0, 0], self.covs[:, 0, 1], self.covs[:, 1, 1]
        log_w = self._log_w - 0.5 * ((x1 - self.means[:, 0]) ** 2 / s11 + np.log(s11) + LOG_2PI)
        w = softmax(log_w)
        means = self.means[:, 1] + s12 / s11 * (x1 - self.means[:, 0])
        variances = s22 - s12**2 / s11
        return Mixture1D(w, means, variances)

    def bounds(self, n_std: float = 3.0) -> tuple[float, float, float, float]:
        """Axis box (xmin, xmax, ymin, ymax) holding every component to n_std standard deviations."""
        sd = np.sqrt(np.stack([self.covs[:, 0, 0], self.covs[:, 1, 1]], axis=1))
        lo = (self.means - n_std * sd).min(0)
        hi = (self.means + n_std * sd).max(0)
        return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])


def plot_box(mixture: GaussianMixture, margin: float = 0.15) -> tuple[float, float, float, float]:
    """The square box (xmin, xmax, ymin, ymax) around the 3-std `bounds`, widened by `margin`: the fixed view
    of every tab's plots and the region the learned model's error map covers."""
    x0, x1, y0, y1 = mixture.bounds(3.0)
    half = 0.5 * max(x1 - x0, y1 - y0) * (1 + margin)
    cx, cy = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
    return cx - half, cx + half, cy - half, cy + half


def _exp_shifted(ell: np.ndarray):
    """In place ℓ ← exp(ℓ - max_k ℓ) over axis 0; returns (max, Σ_k exp(ℓ - max)), so that
    logsumexp = max + log Σ and softmax = ℓ / Σ."""
    m = ell.max(axis=0)
    ell -= m
    # Terms below e^-700 change the sum by < 1e-300 relative, but exp is 10-100× slower on arguments
    # under about -708 (subnormal results and underflow), which sharp mixtures produce for most pairs.
    np.maximum(ell, _EXP_FLOOR, out=ell)
    np.exp(ell, out=ell)
    return m, ell.sum(axis=0)
