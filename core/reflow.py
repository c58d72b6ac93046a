"""Rectified flow and reflow (Liu et al. 2023) against the exact 1-rectified flow of a mixture.

Time runs as in the app's flow-matching process (core/processes.py, `FlowMatching`): x_t = (1 − t) x₀ + t z,
t = 1 is noise z ~ N(0, I), t = 0 is data; Liu et al. count the other way (their X_τ with τ = 1 − t).

* **1-rectified flow.** Trained on the independent coupling (z, x₀), the rectified flow's velocity is
  v(x, t) = E[z − x₀ | x_t = x] (Liu et al. 2023, Sec. 2, eqs. 1-2): the flow-matching marginal velocity, which the
  exact mixture gives in closed form (core/models.py, `Marginal.velocity`). Solving its ODE from t = 1 to 0
  accurately maps each z to x₀ = ODE(z): the couplings (z, ODE(z)) of the 1-rectified flow (`couplings`).
* **Reflow (2-rectified flow).** A new flow is trained on the straight interpolations of those couplings,
  x_t = (1 − t) ODE(z) + t z with target z − ODE(z) (Liu et al. 2023, Sec. 2, "Reflow"): here a small MLP
  (core/mlp.py), `train_reflow`.
* **Measures.** Straightness S = ∫₀¹ E‖(z − x₀) − v(x_t, t)‖² dt along the flow's own paths (Liu et al. 2023,
  Sec. 2, the straightness of a flow; 0 iff every path is a straight line run at constant speed, which one
  Euler step then follows exactly); the quadratic transport cost E‖x₀ − z‖² of the coupling the flow defines
  (Liu et al. 2023, Theorem 3.5 of arXiv v1, D.5 in the ICLR version: rectification does not increase any
  convex transport cost); and the error of Euler with k steps in MMD² noise-floor units against the exact data.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy.integrate import solve_ivp

from core.dataspec import canonical, data_bandwidth, is_preset, load_data
from core.metrics import data_noise_floor, mmd2
from core.mixture import GaussianMixture
from core.mlp import MLP, fit, shipped_main
from core.models import ExactDenoiser, Marginal
from core.processes import make_process

FLOW = make_process("flow")
ASSETS = Path(__file__).resolve().parents[1] / "assets" / "few_steps"
PATH_NODES = 101  # t = 1, 0.99, …, 0: where paths are recorded and the straightness integral is read
RTOL = 1e-6  # the accurate ODE solve of the couplings (RK45): endpoints to ~1e-5 of the exact map
FINE_STEPS = 50  # RK4 steps of a learned flow's accurate solve (tests: 200 steps move its endpoints by < 1e-3)
BATCH = 512
LEARNING_RATE = 1e-2  # 3e-3 left ring8's one-step error at +47 floor units, 1e-2 at +17 (64×3, 2,000 steps)
MAX_PAIRS, MAX_STEPS = 8000, 4000
WIDTHS, DEPTHS = (32, 64, 96, 128), (2, 3)
MAX_TRAIN_WORK = 120_000_000  # parameters × steps (about 20 s here, couplings included)


def exact_velocity(mixture: GaussianMixture):
    """v(x, t) = E[z − x₀ | x_t = x] on the flow-matching path: the 1-rectified flow's exact velocity."""
    marginal = Marginal(FLOW, ExactDenoiser(mixture))
    return lambda x, t: marginal.velocity(x, float(t))


def solve_ode(velocity, z: np.ndarray, nodes: np.ndarray = None, rtol: float = RTOL) -> np.ndarray:
    """States (len(nodes), n, 2) of dx/dt = v(x, t) from x = z at t = 1 down to t = 0, read at the decreasing
    `nodes` (default: PATH_NODES uniform), by scipy's RK45 on the whole batch."""
    nodes = np.linspace(1.0, 0.0, PATH_NODES) if nodes is None else np.asarray(nodes, dtype=np.float64)
    shape = z.shape

    def drift(t, y):
        return velocity(y.reshape(shape), t).ravel()

    sol = solve_ivp(drift, (1.0, 0.0), z.ravel(), method="RK45", rtol=rtol, atol=rtol, t_eval=nodes)
    if not sol.success:
        raise RuntimeError(f"ODE solver failed: {sol.message}")
    return sol.y.T.reshape(len(nodes), *shape)


def straightness(velocity, path: np.ndarray, nodes: np.ndarray) -> float:
    """S = ∫₀¹ E‖(z − x₀) − v(x_t, t)‖² dt along recorded paths (path[0] = z at t = 1, path[-1] = x₀)."""
    chord = path[0] - path[-1]
    dev = np.array([np.mean(((chord - velocity(x, t)) ** 2).sum(1)) for x, t in zip(path, nodes)])
    return float(np.trapezoid(dev[::-1], nodes[::-1]))


def transport_cost(z: np.ndarray, x0: np.ndarray) -> float:
    """E‖x₀ − z‖² of a coupling."""
    return float(np.mean(((x0 - z) ** 2).sum(1)))


@dataclass(frozen=True)
class Coupling:
    z: np.ndarray  # (n, 2) noise
    x0: np.ndarray  # (n, 2) where the flow takes it
    path: np.ndarray  # (PATH_NODES, n, 2) the whole paths, t = 1 … 0


@lru_cache(maxsize=16)
def couplings(spec: str, n: int, seed: int) -> Coupling:
    """The 1-rectified flow's couplings (z, ODE(z)) for n noise draws of `seed`, solved accurately."""
    mixture = load_data(spec)
    z = np.random.default_rng(seed).standard_normal((n, 2))
    path = solve_ode(exact_velocity(mixture), z)
    return Coupling(z, path[-1], path)


# ---------------------------------------------------------------------------- the 2-rectified flow (a student)
@dataclass(frozen=True)
class ReflowSettings:
    spec: str = "ring8"
    pairs: int = 4000
    width: int = 64
    depth: int = 3
    steps: int = 2000
    seed: int = 0

    def validated(self) -> ReflowSettings:
        """Canonical settings, or ValueError with a sentence a user can act on."""
        if not isinstance(self.pairs, int) or not 500 <= self.pairs <= MAX_PAIRS:
            raise ValueError(f"Pairs must be a whole number from 500 to {MAX_PAIRS:,}; got {self.pairs!r}.")
        if self.width not in WIDTHS:
            raise ValueError(f"Width must be one of {WIDTHS}; got {self.width!r}.")
        if self.depth not in DEPTHS:
            raise ValueError(f"Depth must be one of {DEPTHS} hidden layers; got {self.depth!r}.")
        if not isinstance(self.steps, int) or not 200 <= self.steps <= MAX_STEPS:
            raise ValueError(f"Training steps must be a whole number from 200 to {MAX_STEPS:,}; got {self.steps!r}.")
        work = n_parameters(self.width, self.depth) * self.steps
        if work > MAX_TRAIN_WORK:
            most = MAX_TRAIN_WORK // n_parameters(self.width, self.depth)
            raise ValueError(
                f"A {self.depth}×{self.width} network can train for at most {most:,} steps here (about 20 s); "
                "use fewer steps or a smaller network."
            )
        if not isinstance(self.seed, int) or not 0 <= self.seed < 2**31:
            raise ValueError(f"Seed must be a whole number from 0 to {2**31 - 1}; got {self.seed!r}.")
        return replace(self, spec=canonical(self.spec))


N_IN = 5  # x, y, t, sin(πt), cos(πt)


def n_parameters(width: int, depth: int) -> int:
    sizes = [N_IN, *[width] * depth, 2]
    return sum(i * o + o for i, o in zip(sizes[:-1], sizes[1:]))


def _features(x: np.ndarray, t) -> np.ndarray:
    t = np.broadcast_to(np.asarray(t, dtype=np.float64).reshape(-1, 1), (len(x), 1))
    return np.concatenate([x, t, np.sin(np.pi * t), np.cos(np.pi * t)], 1)


class RectifiedFlow:
    """A learned flow v_θ(x, t) (the 2-rectified flow): Euler with k steps, or an accurate RK4 solve."""

    def __init__(self, net: MLP):
        self.net = net
        self.settings = ReflowSettings(**net.meta["settings"])
        self.shipped = False

    def velocity(self, x, t):
        return self.net(_features(np.asarray(x, dtype=np.float64), t))

    def euler(self, z: np.ndarray, k: int) -> np.ndarray:
        """k Euler steps from t = 1 to 0 (NFE = k): Liu et al.'s one-step generation at k = 1."""
        x, ts = np.asarray(z, dtype=np.float64), np.linspace(1.0, 0.0, k + 1)
        for t, t_next in zip(ts[:-1], ts[1:]):
            x = x + (t_next - t) * self.velocity(x, t)
        return x

    def solve(self, z: np.ndarray, steps: int = FINE_STEPS) -> np.ndarray:
        """States (steps + 1, n, 2) of the flow's ODE by classic RK4 on a uniform grid from t = 1 to 0."""
        x, ts = np.asarray(z, dtype=np.float64), np.linspace(1.0, 0.0, steps + 1)
        out = [x]
        for t, t_next in zip(ts[:-1], ts[1:]):
            h = t_next - t
            k1 = self.velocity(x, t)
            k2 = self.velocity(x + 0.5 * h * k1, t + 0.5 * h)
            k3 = self.velocity(x + 0.5 * h * k2, t + 0.5 * h)
            k4 = self.velocity(x + h * k3, t_next)
            x = x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            out.append(x)
        return np.array(out)


def train_reflow(settings: ReflowSettings, progress=None) -> RectifiedFlow:
    """Liu et al. 2023, Sec. 2, one reflow (k = 1): the couplings of the exact 1-rectified flow (seed
    `settings.seed`), then min_θ E‖(z − x₀) − v_θ(x_t, t)‖², t ~ U(0, 1), x_t = (1 − t) x₀ + t z."""
    settings = settings.validated()
    pair = couplings(settings.spec, settings.pairs, settings.seed)

    def batches(rng, n):
        idx = rng.integers(0, settings.pairs, (n, BATCH))
        t = rng.random((n, BATCH, 1))
        z, x0 = pair.z[idx], pair.x0[idx]
        xt = (1 - t) * x0 + t * z
        inputs = np.concatenate([xt, t, np.sin(np.pi * t), np.cos(np.pi * t)], 2)
        return inputs, z - x0

    sizes = [N_IN, *[settings.width] * settings.depth, 2]
    net, log = fit(batches, sizes, settings.steps, LEARNING_RATE, settings.seed, progress)
    net.meta = dict(
        kind="reflow",
        settings=asdict(settings),
        seconds=round(log.seconds, 2),
        final_loss=float(np.mean(log.losses[-100:])),
        stopped=log.stopped,
    )
    return RectifiedFlow(net)


# ---------------------------------------------------------------------------- shipped and cached students
_CACHE: dict = {}


def shipped_path(settings: ReflowSettings) -> Path | None:
    settings = settings.validated()
    if is_preset(settings.spec) and settings == ReflowSettings(spec=settings.spec):
        return ASSETS / f"reflow_{settings.spec}.npz"
    return None


def cached_reflow(settings: ReflowSettings) -> RectifiedFlow | None:
    """The 2-rectified flow for these settings if it is in memory or shipped (no training), else None."""
    settings = settings.validated()
    if settings not in _CACHE:
        path = shipped_path(settings)
        if path is None or not path.exists():
            return None
        flow = RectifiedFlow(MLP.load(path))
        flow.shipped = True
        _CACHE[settings] = flow
    return _CACHE[settings]


def get_reflow(settings: ReflowSettings, progress=None) -> RectifiedFlow:
    """The 2-rectified flow: cached, shipped, or trained now (then cached)."""
    settings = settings.validated()
    flow = cached_reflow(settings)
    if flow is None:
        flow = train_reflow(settings, progress)
        if len(_CACHE) >= 16:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[settings] = flow
    return flow


# ---------------------------------------------------------------------------- the comparison
EULER_STEPS = (1, 2, 4)


def euler_exact(spec: str, z: np.ndarray, k: int) -> np.ndarray:
    """Euler with k steps on the exact 1-rectified flow (= DDIM η = 0 on the same nodes)."""
    velocity, x, ts = exact_velocity(load_data(spec)), z, np.linspace(1.0, 0.0, k + 1)
    for t, t_next in zip(ts[:-1], ts[1:]):
        x = x + (t_next - t) * velocity(x, t)
    return x


def floor_units(spec: str, samples: np.ndarray) -> float:
    """MMD² to the exact data in noise-floor units."""
    value = mmd2(samples, load_data(spec), data_bandwidth(spec))
    return data_noise_floor(spec, "mmd2", len(samples)).in_units(value)


def compare(spec: str, flow: RectifiedFlow, n: int, seed: int) -> dict:
    """1-RF (exact) vs 2-RF (learned) on the same n noise draws of `seed`: straightness, transport cost and
    Euler-k errors, plus each flow's paths. The noise is not the training couplings' (a fresh seed offset)."""
    one = couplings(spec, n, seed + 10_000)
    z, nodes = one.z, np.linspace(1.0, 0.0, PATH_NODES)
    two_path = flow.solve(z)
    two_nodes = np.linspace(1.0, 0.0, len(two_path))
    mixture = load_data(spec)
    return dict(
        z=z,
        path_1=one.path,
        path_2=two_path,
        straightness_1=straightness(exact_velocity(mixture), one.path, nodes),
        straightness_2=straightness(flow.velocity, two_path, two_nodes),
        cost_1=transport_cost(z, one.x0),
        cost_2=transport_cost(z, two_path[-1]),
        fine_1=floor_units(spec, one.x0),
        fine_2=floor_units(spec, two_path[-1]),
        euler_1={k: floor_units(spec, euler_exact(spec, z, k)) for k in EULER_STEPS},
        euler_2={k: floor_units(spec, flow.euler(z, k)) for k in EULER_STEPS},
    )


def write_shipped(presets=None) -> list[Path]:
    """Train every preset's default 2-rectified flow and write assets/few_steps/reflow_<preset>.npz."""
    from core.datasets import PRESETS

    out = []
    for key in presets or list(PRESETS):
        flow = train_reflow(ReflowSettings(spec=key))
        path = ASSETS / f"reflow_{key}.npz"
        flow.net.save(path)
        print(f"{key}: {flow.net.meta['seconds']} s, loss {flow.net.meta['final_loss']:.4f}, "
              f"{path.stat().st_size / 1e3:.1f} kB", flush=True)  # fmt: skip
        out.append(path)
    return out


if __name__ == "__main__":
    shipped_main(
        write_shipped,
        "Train the shipped 2-rectified flows (assets/few_steps/).",
        "assets/few_steps/reflow_<preset>.npz",
    )
