"""Exact log-likelihood through the probability-flow ODE, with the exact divergence.

In the scaled frame x̃ = x/α, σ̃ = σ/α every process has the same marginals p(x̃; σ̃) = p₀ ∗ N(0, σ̃²I)
and the same probability-flow ODE (Karras et al. 2022, EDM, eq. 3)

    dx̃/dσ̃ = -σ̃ ∇log p(x̃; σ̃).

Along a solution the instantaneous change of variables (Chen et al. 2018, Neural ODEs, Theorem 1)
gives d/dσ̃ log p(x̃(σ̃); σ̃) = -∇·(-σ̃ ∇log p) = σ̃ tr ∇²log p(x̃; σ̃), so that

    log p₀(x) = log p(x̃(σ̃_max); σ̃_max) - ∫₀^σ̃_max σ̃ tr ∇²log p(x̃(σ̃); σ̃) dσ̃

(Song et al. 2021b, Score SDE, eq. 39 and Appendix D.2). Score SDE estimates the trace with
Hutchinson's estimator; in 2D with an exact mixture it is `GaussianMixture.laplacian`, so the only
errors left are the ODE solver's and the prior's: the exact prior p(·; σ̃_max) (a mixture again), or
the N(0, σ̃_max² I) a trained model would have to assume.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from core.mixture import LOG_2PI, GaussianMixture
from core.processes import EDM, VE, ForwardProcess


@dataclass(frozen=True)
class LikelihoodResult:
    log_prob: np.ndarray  # (N,) log p(x; σ̃_min): log p₀(x) when σ̃_min = 0
    prior: np.ndarray  # (N,) log prior density at the ODE's end point x̃(σ̃_max)
    divergence: np.ndarray  # (N,) ∫ σ̃ tr ∇²log p dσ̃ along each path; log_prob = prior - divergence
    x_end: np.ndarray  # (N, 2) x̃(σ̃_max)
    nfe: int  # evaluations of the ODE's right-hand side (each: one score and one Laplacian)


def gaussian_log_prob(x: np.ndarray, std: float) -> np.ndarray:
    """log N(x; 0, std² I) in 2D."""
    return -0.5 * (x**2).sum(1) / std**2 - 2 * np.log(std) - LOG_2PI


def prior_mismatch(mixture: GaussianMixture, alpha: float, sigma: float, n: int = 20_000, seed: int = 7):
    """Monte Carlo KL(p_t ‖ N(0, σ_t² I)) in nats, with its standard error, for p_t the mixture diffused to
    (α, σ): how far the prior every sampler starts from is from the true p_t (exact p_t, n draws, fixed seed)."""
    pt = mixture.diffused(alpha, sigma)
    x = pt.sample(n, np.random.default_rng(seed))
    diff = pt.log_prob(x) - gaussian_log_prob(x, sigma)
    return float(diff.mean()), float(diff.std(ddof=1) / np.sqrt(n))


def pf_ode_log_likelihood(
    mixture: GaussianMixture,
    x,
    sigma_max: float = 80.0,
    sigma_min: float = 0.0,
    prior: str = "exact",
    method: str = "RK45",
    rtol: float = 1e-8,
    atol: float = 1e-8,
) -> LikelihoodResult:
    """log p(x; σ̃_min) for points x (N, 2) by integrating the PF-ODE and its divergence from σ̃_min to σ̃_max.

    `prior` is "exact" (the diffused mixture at σ̃_max) or "gaussian" (N(0, σ̃_max² I)). The whole
    batch is one ODE for `scipy.integrate.solve_ivp`: one adaptive step size, its error measured as the
    RMS over all coordinates, so a point in a stiff far tail may end up above `atol` while the batch
    meets it (at 1e-8: ≤ 1.1e-4 nats on every point we tried, typically 1e-7).
    """
    if prior not in ("exact", "gaussian"):
        raise ValueError(f"prior must be 'exact' or 'gaussian', got {prior!r}")
    if not 0 <= sigma_min < sigma_max:
        raise ValueError("need 0 ≤ σ̃_min < σ̃_max")
    x = np.asarray(x, dtype=np.float64).reshape(-1, 2)
    n = len(x)
    calls = 0

    def rhs(sigma, y):
        nonlocal calls
        calls += 1
        pts = y[: 2 * n].reshape(n, 2)
        p = mixture.diffused(1.0, sigma)
        return np.concatenate([(-sigma * p.score(pts)).ravel(), sigma * p.laplacian(pts)])

    y0 = np.concatenate([x.ravel(), np.zeros(n)])
    sol = solve_ivp(rhs, (sigma_min, sigma_max), y0, method=method, rtol=rtol, atol=atol)
    if not sol.success:
        raise RuntimeError(f"ODE solver failed: {sol.message}")
    x_end = sol.y[: 2 * n, -1].reshape(n, 2)
    divergence = sol.y[2 * n :, -1]
    if prior == "exact":
        log_prior = mixture.diffused(1.0, sigma_max).log_prob(x_end)
    else:
        log_prior = gaussian_log_prob(x_end, sigma_max)
    return LikelihoodResult(log_prior - divergence, log_prior, divergence, x_end, calls)


# ---------------------------------------------------------------------------- in each process's own time
LIKELIHOOD_PROCESSES = ("vp", "subvp", "ve", "edm", "flow")
"""Processes whose PF-ODE runs in continuous time down to clean data (σ = 0). DDPM's and IDDPM's chains
are discrete: their α(t) between integer timesteps is only an interpolation, with a kink at every step."""


@dataclass(frozen=True)
class ProcessLikelihood:
    """The PF-ODE of one process, integrated in its own time t from the data (t_min) to the prior (t_max).

    log_prob = prior + integral, with integral = ∫ ∇·v dt along each path (Song et al. 2021b, eq. 39).
    `t`, `path` and `running` record the solution at a few times for drawing: path[j] = x(t[j]) in the
    process's coordinates, running[j] = ∫_{t_min}^{t[j]} ∇·v dt, so the ODE's estimate of log p_t(x(t))
    anchored at the prior is prior + integral - running[j].
    """

    log_prob: np.ndarray  # (N,) the ODE's log p₀(x)
    prior: np.ndarray  # (N,) log prior density at x(t_max) (the chosen prior)
    exact_prior: np.ndarray  # (N,) log p_T(x(t_max)) under the exact p_T, for the prior-mismatch part
    integral: np.ndarray  # (N,) ∫ ∇·v dt from t_min to t_max
    x_end: np.ndarray  # (N, 2) x(t_max)
    nfe: int
    t: np.ndarray  # (J,) recorded times, increasing, t[0] = t_min, t[-1] = t_max
    path: np.ndarray  # (J, N, 2)
    running: np.ndarray  # (J, N)
    alpha: np.ndarray  # (J,) α(t) at the recorded times
    sigma: np.ndarray  # (J,)
    clock: str  # what t is: "t" (the process's own time) or "σ" (VE, integrated in σ)


def ode_clock(process: ForwardProcess) -> tuple[ForwardProcess, str]:
    """The process whose time the solver runs in, and its name: the process itself, or for VE, whose own
    time never reaches σ = 0 (σ(0) = σ_min), EDM's α = 1, σ = t up to VE's σ_max: VE integrated in σ."""
    if isinstance(process, VE):
        return EDM(t_max=float(process.sigma_max)), "σ"
    if process.discrete:
        raise ValueError(
            f"{process.name} is a discrete chain: its PF-ODE needs a continuous-time process "
            f"(one of {', '.join(LIKELIHOOD_PROCESSES)})"
        )
    if float(process.sigma(process.t_min)) != 0.0 or float(process.alpha(process.t_min)) != 1.0:
        raise ValueError(f"{process.name} does not start at clean data (α = 1, σ = 0) at t = {process.t_min:g}")
    return process, "t"


def pf_drift_and_divergence(mixture: GaussianMixture, process: ForwardProcess, t: float, x: np.ndarray):
    """(v, ∇·v) of the PF-ODE v = f x - ½ g² ∇log p_t (Song et al. 2021b, eq. 13) on the exact p_t: one
    diffused mixture, one score and one Laplacian per call. Where α = 0 (flow matching at t = 1) f and g² are
    infinite; there v = α' x̂₀ - σσ' ∇log p_t with x̂₀ = E[x₀] (independent of x), and ∇·v = -σσ' tr∇²log p_t."""
    a, s = float(process.alpha(t)), float(process.sigma(t))
    pt = mixture.diffused(a, s)
    score, lap = pt.score(x), pt.laplacian(x)
    if a > 0:
        f, g2 = float(process.drift_coef(t)), float(process.diffusion_sq(t))
        return f * x - 0.5 * g2 * score, 2 * f - 0.5 * g2 * lap
    ss = s * float(process.d_sigma(t))
    mean_x0 = mixture.weights @ mixture.means
    return float(process.d_alpha(t)) * mean_x0 - ss * score, -ss * lap


def record_times(process: ForwardProcess, n: int = 60) -> np.ndarray:
    """n + 2 increasing times from t_min to t_max, spread evenly in λ = log(α/σ) between σ̃ = 1e-3 and
    the process's largest σ̃ (10³ where it is infinite, as for flow matching at t = 1)."""
    with np.errstate(divide="ignore"):
        top = float(process.sigma_tilde(process.t_max))
    top = min(top, 1e3) if np.isfinite(top) else 1e3
    st = np.geomspace(1e-3, top, n)
    t = np.concatenate([[process.t_min], process.t_from_sigma_tilde(st), [process.t_max]])
    return np.unique(np.clip(t, process.t_min, process.t_max))


def process_log_likelihood(
    mixture: GaussianMixture,
    x,
    process: ForwardProcess,
    prior: str = "exact",
    rtol: float = 1e-8,
    atol: float | None = None,
    n_record: int = 60,
    method: str = "RK45",
    relative_times=(),
) -> ProcessLikelihood:
    """log p₀(x) for points x (N, 2) by the PF-ODE dx/dt = v(x, t) = α' x̂₀ + σ' ε̂ of `process`, in its
    own time, with the exact divergence ∇·v (core.models.Marginal.pf_divergence).
    The solution is recorded at `n_record` times spread in λ plus `relative_times` u ∈ [0, 1] (the clock's
    t_min + u (t_max - t_min)), without changing the solver's steps (scipy's dense output).

    `prior` is "exact" (the diffused mixture p_T) or "gaussian" (N(0, σ_T² I), what sampling starts from);
    for flow matching (α_T = 0) the two coincide. `atol` defaults to `rtol`. The batch is one ODE: one step
    size for all points, its error the RMS over every coordinate (see `pf_ode_log_likelihood`).
    """
    if prior not in ("exact", "gaussian"):
        raise ValueError(f"prior must be 'exact' or 'gaussian', got {prior!r}")
    if not 0 < rtol < 1:
        raise ValueError("need 0 < rtol < 1")
    atol = rtol if atol is None else atol
    clock, clock_name = ode_clock(process)
    x = np.asarray(x, dtype=np.float64).reshape(-1, 2)
    if not np.all(np.isfinite(x)):
        raise ValueError("points must be finite")
    n = len(x)
    calls = 0

    def rhs(t, y):
        nonlocal calls
        calls += 1
        v, div = pf_drift_and_divergence(mixture, clock, t, y[: 2 * n].reshape(n, 2))
        return np.concatenate([v.ravel(), div])

    t_rec = record_times(clock, n_record)
    u = np.clip(np.asarray(relative_times, dtype=np.float64), 0.0, 1.0)
    t_rec = np.unique(np.concatenate([t_rec, clock.t_min + u * (clock.t_max - clock.t_min)]))
    y0 = np.concatenate([x.ravel(), np.zeros(n)])
    sol = solve_ivp(rhs, (clock.t_min, clock.t_max), y0, method=method, rtol=rtol, atol=atol, t_eval=t_rec)
    if not sol.success:
        raise RuntimeError(f"ODE solver failed: {sol.message}")
    path = sol.y[: 2 * n].T.reshape(-1, n, 2)
    running = sol.y[2 * n :].T
    x_end, integral = path[-1], running[-1]
    a_T, s_T = float(clock.alpha(clock.t_max)), float(clock.sigma(clock.t_max))
    exact_prior = mixture.diffused(a_T, s_T).log_prob(x_end)
    log_prior = exact_prior if prior == "exact" else gaussian_log_prob(x_end, s_T)
    return ProcessLikelihood(
        log_prob=log_prior + integral,
        prior=log_prior,
        exact_prior=exact_prior,
        integral=integral,
        x_end=x_end,
        nfe=calls,
        t=sol.t,
        path=path,
        running=running,
        alpha=np.asarray(clock.alpha(sol.t), dtype=np.float64),
        sigma=np.asarray(clock.sigma(sol.t), dtype=np.float64),
        clock=clock_name,
    )


def gap_curve(mixture: GaussianMixture, x, process: ForwardProcess, rtols) -> dict[str, np.ndarray]:
    """|ODE log p₀ - exact log p₀| at each solver tolerance (rtol = atol), mean and max over the points,
    with the exact prior and with N(0, σ_T² I) (the same solve: only the prior term differs), and the NFE."""
    exact = mixture.log_prob(x)
    rows = []
    for rtol in rtols:
        res = process_log_likelihood(mixture, x, process, "exact", rtol=float(rtol), n_record=2)
        gap_exact = np.abs(res.log_prob - exact)
        s_T = float(res.sigma[-1])
        gap_gauss = np.abs(gaussian_log_prob(res.x_end, s_T) + res.integral - exact)
        rows.append((gap_exact.mean(), gap_exact.max(), gap_gauss.mean(), gap_gauss.max(), res.nfe))
    cols = np.array(rows, dtype=np.float64).reshape(-1, 5).T
    return {
        "rtol": np.asarray(rtols, dtype=np.float64),
        "mean_exact": cols[0],
        "max_exact": cols[1],
        "mean_gaussian": cols[2],
        "max_gaussian": cols[3],
        "nfe": cols[4],
    }


def entropy(mixture: GaussianMixture, n: int = 20_000, seed: int = 0) -> tuple[float, float]:
    """H(p₀) = -E log p₀(x) by Monte Carlo over n exact samples: the mean NLL of exact samples, the
    cross-entropy no model can beat (E_p[-log q] = H(p) + KL(p ‖ q) ≥ H(p)). Returns (H, standard error)."""
    logp = mixture.log_prob(mixture.sample(n, np.random.default_rng(seed)))
    return float(-logp.mean()), float(logp.std(ddof=1) / np.sqrt(n))
