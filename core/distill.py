"""Progressive distillation (Salimans & Ho 2022) with an exact teacher, beside the ideal student and a direct
distillation control.

Time and schedule are the paper's: continuous t ∈ [0, 1] and the variance-preserving cosine schedule
α_t = cos(πt/2), σ_t = sin(πt/2) (α_t² + σ_t² = 1; t = 1 is pure noise z ~ N(0, I)).

* **Teacher.** DDIM (η = 0) on the exact denoiser x̂(z_t) = E[x | z_t] (core/mixture.py, Tweedie), the update
  z_s = α_s x̂ + (σ_s/σ_t)(z_t − α_t x̂) (Salimans & Ho 2022, Sec. 2, the DDIM update they distil).
* **Student.** A small MLP (core/mlp.py) in the v-parameterisation v = α_t ε − σ_t x, so x̂ = α_t z_t − σ_t v̂
  (Salimans & Ho 2022, Sec. 4; the default and the shipped students). Algorithm 2 ("progressive distillation"):
  sample x from the data, t = i/N, z_t; two DDIM steps of the teacher t → t − 0.5/N → t − 1/N give z_t''; the
  target x̃ = (z_t'' − (σ_t''/σ_t) z_t) / (α_t'' − (σ_t''/σ_t) α_t) is the x̂ for which one student DDIM step
  t → t − 1/N lands on z_t''. The loss ‖ṽ − v̂‖² with ṽ = (α_t z_t − x̃)/σ_t equals (1 + α_t²/σ_t²)‖x̃ − x̂‖²:
  the paper's "SNR+1" weighting (Sec. 4). The student is initialised from its teacher (Algorithm 2), N halves,
  and the student becomes the next teacher. Here the first teacher is exact (64 DDIM steps, no network), so the
  first student starts from the seeded default initialisation; the data are exact samples of the mixture.
* **x-prediction.** The other parameterisation here (`DistillSettings.parameterisation = "x"`): the network
  predicts x directly (Sec. 4's first option), with the paper's "truncated SNR" weighting
  max(‖x − x̂‖², ‖ε − ε̂‖²) = max(α_t²/σ_t², 1)‖x − x̂‖² (Sec. 4), on the same target x̃, otherwise trained alike.
* **The ideal student.** The map every round aims at, z ↦ x₀ of the probability-flow ODE, solved accurately.
  The PF-ODE map from pure noise does not depend on the schedule (in x/α and σ/α it is one ODE: the claim
  one_ode_every_schedule), so it is the exact 1-rectified flow's map of core/reflow.py (`couplings`), which the
  tests check against DDIM with many steps on this schedule.
* **Direct distillation (the control).** The same network regressed on exact pairs (z, ODE(z)) in one step,
  with the same number of Adam steps as all rounds together (the route of Luhman & Luhman 2021, who distil a
  DDIM sampler into one step on pairs it generates).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from core.datasets import PRESETS
from core.dataspec import canonical, load_data
from core.mlp import MLP, fit

ASSETS = Path(__file__).resolve().parents[1] / "assets" / "few_steps"
SHIPPED_PRESETS = tuple(PRESETS)  # every preset: seven small networks each, float16 (`save`); other data train live
START = 64  # the exact teacher's DDIM steps in the first round; the students take 32, 16, 8, 4, 2, 1
ROUNDS = tuple(START // 2**k for k in range(1, 7))  # (32, 16, 8, 4, 2, 1)
FIRST_ROUND = 3  # the first student starts from scratch (no teacher weights): it gets 3 rounds' Adam steps
BATCH = 512
LEARNING_RATE = 1e-2  # round 1 at width 64, 1,600 steps: 1e-2 reached +2.4 floor units at N = 32, 3e-3 +4.3
PAIRS = 4000  # exact (z, ODE(z)) pairs of the direct control (the 2-rectified flow's couplings, core/reflow.py)
WIDTHS, DEPTH = (32, 64, 96, 128), 3
MIN_STEPS, MAX_STEPS = 100, 3000
MAX_TRAIN_WORK = 60_000_000  # parameters × Adam steps over all rounds and the control (about 20 s CPU here)
N_IN = 5  # z (2), t, cos(πt), sin(πt)
PARAMETERISATIONS = {  # what the network predicts, and the loss weighting of ‖x̃ − x̂‖² (Salimans & Ho 2022, Sec. 4)
    "v": "v-prediction, SNR+1 weighting",
    "x": "x-prediction, truncated-SNR weighting",
}


def alpha(t):
    return np.cos(0.5 * np.pi * np.asarray(t, dtype=np.float64))


def sigma(t):
    return np.sin(0.5 * np.pi * np.asarray(t, dtype=np.float64))


def ddim_step(x_hat: np.ndarray, z: np.ndarray, t: float, s: float) -> np.ndarray:
    """z_s = α_s x̂ + (σ_s/σ_t)(z_t − α_t x̂): DDIM (η = 0) from t to s < t, σ_t > 0."""
    ratio = float(sigma(s) / sigma(t))
    return float(alpha(s)) * x_hat + ratio * (z - float(alpha(t)) * x_hat)


def exact_denoiser(spec: str):
    """(z, t) ↦ E[x | z_t = z] of the data spec on the cosine schedule (t a float, or one per row)."""
    mixture = load_data(spec)

    def denoise(z, t):
        return mixture.posterior_mean_x0(z, float(alpha(t)), float(sigma(t)))

    return denoise


def ddim(denoise, z: np.ndarray, n: int) -> np.ndarray:
    """N = n DDIM steps from t = 1 to 0 on t_i = i/n (NFE = n)."""
    x = np.asarray(z, dtype=np.float64)
    for i in range(n, 0, -1):
        t, s = i / n, (i - 1) / n
        x = ddim_step(denoise(x, t), x, t, s)
    return x


def distill_target(teacher, z: np.ndarray, t: np.ndarray, n: int) -> np.ndarray:
    """Algorithm 2's target x̃ for students of n steps: two teacher DDIM steps t → t − 0.5/n → t − 1/n, then the
    x̂ with which one DDIM step t → t − 1/n lands where they did. `t` holds one time per row (all i/n)."""
    out = np.empty_like(z)
    for ti in np.unique(t):
        rows = t == ti
        zt = z[rows]
        t1, t2 = ti - 0.5 / n, ti - 1.0 / n
        z1 = ddim_step(teacher(zt, ti), zt, ti, t1)
        z2 = ddim_step(teacher(z1, t1), z1, t1, t2)
        ratio = float(sigma(t2) / sigma(ti))
        out[rows] = (z2 - ratio * zt) / (float(alpha(t2)) - ratio * float(alpha(ti)))
    return out


def regression(parameterisation: str, z: np.ndarray, t: np.ndarray, x_tilde: np.ndarray):
    """What the network regresses on to give x̂ = x̃ at (z_t, t), one t per row: (its target, per-example weights
    of the squared error or None). "v": ṽ = (α_t z_t − x̃)/σ_t unweighted, so ‖ṽ − v̂‖² = (1 + α_t²/σ_t²)‖x̃ − x̂‖²
    ("SNR+1"); "x": x̃ itself weighted max(α_t²/σ_t², 1), which is max(‖x̃ − x̂‖², ‖ε̃ − ε̂‖²) with
    ε̂ = (z_t − α_t x̂)/σ_t ("truncated SNR"; Salimans & Ho 2022, Sec. 4)."""
    a, s = alpha(t), sigma(t)
    if parameterisation == "x":
        return x_tilde, np.maximum(a**2 / s**2, 1.0)
    return (a[:, None] * z - x_tilde) / s[:, None], None


def _features(z: np.ndarray, t) -> np.ndarray:
    t = np.broadcast_to(np.asarray(t, dtype=np.float64).reshape(-1, 1), (len(z), 1))
    return np.concatenate([z, t, np.cos(np.pi * t), np.sin(np.pi * t)], 1)


class Student:
    """A network sampled by DDIM on its own n steps, in one of Salimans & Ho 2022's parameterisations (Sec. 4):
    "v" (the network predicts v = α_t ε − σ_t x) or "x" (it predicts x directly)."""

    def __init__(self, net: MLP, n: int, parameterisation: str = "v"):
        self.net, self.n, self.parameterisation = net, n, parameterisation

    def denoise(self, z, t):
        """x̂ = α_t z_t − σ_t v̂(z_t, t) (v-prediction), or the network's output (x-prediction)."""
        z = np.asarray(z, dtype=np.float64)
        out = self.net(_features(z, t))
        if self.parameterisation == "x":
            return out
        return float(alpha(t)) * z - float(sigma(t)) * out

    def sample(self, z: np.ndarray) -> np.ndarray:
        return ddim(self.denoise, z, self.n)


class DirectStudent:
    """The direct control: one network z ↦ x₀ regressed on exact pairs (one step, NFE = 1)."""

    n = 1

    def __init__(self, net: MLP):
        self.net = net

    def sample(self, z: np.ndarray) -> np.ndarray:
        return self.net(np.asarray(z, dtype=np.float64))


# ---------------------------------------------------------------------------- settings and training
@dataclass(frozen=True)
class DistillSettings:
    spec: str = "ring8"
    width: int = 64
    steps: int = 600  # Adam steps per round (the first: FIRST_ROUND × steps; the direct control: all of them)
    seed: int = 0
    parameterisation: str = "v"  # a key of PARAMETERISATIONS; the shipped students are "v"

    def validated(self) -> DistillSettings:
        """Canonical settings, or ValueError with a sentence a user can act on."""
        if self.parameterisation not in PARAMETERISATIONS:
            raise ValueError(
                f"The students' parameterisation must be one of {', '.join(map(repr, PARAMETERISATIONS))}; "
                f"got {self.parameterisation!r}."
            )
        if self.width not in WIDTHS:
            raise ValueError(f"Student width must be one of {WIDTHS}; got {self.width!r}.")
        if not isinstance(self.steps, int) or not MIN_STEPS <= self.steps <= MAX_STEPS:
            raise ValueError(
                f"Steps per round must be a whole number from {MIN_STEPS} to {MAX_STEPS:,}; got {self.steps!r}."
            )
        if not isinstance(self.seed, int) or not 0 <= self.seed < 2**31:
            raise ValueError(f"Seed must be a whole number from 0 to {2**31 - 1}; got {self.seed!r}.")
        return replace(self, spec=canonical(self.spec))

    def trainable(self) -> DistillSettings:
        """Validated settings that may train live (within the work cap), or ValueError saying what fits."""
        settings = self.validated()
        if work(settings.width, settings.steps) > MAX_TRAIN_WORK:
            raise ValueError(
                f"Live, a {DEPTH}×{settings.width} student can train for at most {max_steps(settings.width):,} steps "
                "per round here (about 20 s for all rounds and the direct control); use fewer steps or a narrower "
                "student. Each preset's defaults are shipped, trained with the full budget."
            )
        return settings

    @property
    def shipped(self) -> bool:
        """The defaults of the SHIPPED_PRESETS are shipped (trained with the full budget by `python -m core.distill
        --write`)."""
        return self.spec in SHIPPED_PRESETS and replace(self, spec="ring8") == SHIPPED_SETTINGS


SHIPPED_SETTINGS = DistillSettings()
LIVE_SETTINGS = dict(width=64, steps=400)  # the tab's live default: a reduced budget, ≤ 20 s here


def n_parameters(width: int, inputs: int = N_IN) -> int:
    sizes = [inputs, *[width] * DEPTH, 2]
    return sum(i * o + o for i, o in zip(sizes[:-1], sizes[1:]))


def round_steps(steps: int) -> list[int]:
    """Adam steps of each round: the first student learns from scratch, the others start from their teacher."""
    return [FIRST_ROUND * steps] + [steps] * (len(ROUNDS) - 1)


def work(width: int, steps: int) -> int:
    """Parameters × Adam steps of one training: every round, and the direct control with as many steps."""
    return 2 * sum(round_steps(steps)) * n_parameters(width)


def max_steps(width: int) -> int:
    return MAX_TRAIN_WORK // (2 * sum(round_steps(1)) * n_parameters(width)) // 100 * 100


@dataclass
class Distilled:
    """Every round's student (n = 32 … 1), the direct control, and how they were trained."""

    settings: DistillSettings
    students: list[Student]
    direct: DirectStudent
    meta: dict
    shipped: bool = False

    def student(self, n: int) -> Student:
        return next(s for s in self.students if s.n == n)


def _report(progress, done: int, total: int, what: str):
    def report(step, steps, loss):
        if progress is not None:
            progress(done + step, total, f"{what}: step {step:,}/{steps:,}, loss {loss:.4f}")

    return report


def train_progressive(settings: DistillSettings, progress=None) -> tuple[list[Student], list[dict]]:
    """Salimans & Ho 2022, Algorithm 2 from the exact DDIM-64 teacher down to one step. The loss is ‖ṽ − v̂‖²
    = (1 + α_t²/σ_t²)‖x̃ − x̂‖² in the v-parameterisation, max(α_t²/σ_t², 1)‖x̃ − x̂‖² in the x-parameterisation
    (Sec. 4's "SNR+1" and "truncated SNR" weightings)."""
    settings = settings.validated()
    mixture, exact = load_data(settings.spec), exact_denoiser(settings.spec)
    sizes = [N_IN, *[settings.width] * DEPTH, 2]
    teacher, init, students, logs = exact, None, [], []
    per_round = round_steps(settings.steps)
    total = 2 * sum(per_round)
    for k, n in enumerate(ROUNDS):

        def batches(rng, m, n=n, teacher=teacher):
            size = m * BATCH
            x = mixture.sample(size, rng)
            t = rng.integers(1, n + 1, size) / n
            z = alpha(t)[:, None] * x + sigma(t)[:, None] * rng.standard_normal((size, 2))
            target, weight = regression(settings.parameterisation, z, t, distill_target(teacher, z, t, n))
            features, target = _features(z, t).reshape(m, BATCH, N_IN), target.reshape(m, BATCH, 2)
            return (features, target) if weight is None else (features, target, weight.reshape(m, BATCH))

        report = _report(progress, sum(per_round[:k]), total, f"round {k + 1}/{len(ROUNDS)} (N = {n})")
        net, log = fit(batches, sizes, per_round[k], LEARNING_RATE, settings.seed + k, report, init=init)
        student = Student(net, n, settings.parameterisation)
        students.append(student)
        logs.append(dict(n=n, seconds=round(log.seconds, 2), loss=float(np.mean(log.losses[-100:])),
                         stopped=log.stopped))  # fmt: skip
        teacher, init = student.denoise, net
    return students, logs


def train_direct(settings: DistillSettings, progress=None) -> tuple[DirectStudent, dict]:
    """The control: regress x₀ = ODE(z) on z over PAIRS exact pairs, as many Adam steps as all rounds."""
    from core.reflow import couplings

    settings = settings.validated()
    pair = couplings(settings.spec, PAIRS, settings.seed)
    steps = sum(round_steps(settings.steps))

    def batches(rng, m):
        idx = rng.integers(0, PAIRS, (m, BATCH))
        return pair.z[idx], pair.x0[idx]

    report = _report(progress, steps, 2 * steps, "direct distillation")
    net, log = fit(batches, [2, *[settings.width] * DEPTH, 2], steps, LEARNING_RATE, settings.seed, report)
    return DirectStudent(net), dict(seconds=round(log.seconds, 2), loss=float(np.mean(log.losses[-100:])),
                                    stopped=log.stopped)  # fmt: skip


def train(settings: DistillSettings, progress=None, offline: bool = False) -> Distilled:
    """Every round of progressive distillation, then the direct control; `progress(done, total, text)`. Live
    (not `offline`) the settings must fit the work cap."""
    settings = settings.validated() if offline else settings.trainable()
    students, logs = train_progressive(settings, progress)
    direct, log = train_direct(settings, progress)
    return Distilled(settings, students, direct, dict(rounds=logs, direct=log))


# ---------------------------------------------------------------------------- shipped and cached
_CACHE: dict = {}


def shipped_path(spec: str) -> Path:
    return ASSETS / f"distill_{canonical(spec)}.npz"


SAVED_DTYPE = np.float16  # the shipped weights; float32 and float16 students agree within the samples' noise


def save(d: Distilled, path: Path) -> None:
    """Every network's weights in float16 (half the size of float32) and the meta. On ring8 and moons the float16
    students' errors on the same 2,000 noise draws moved by at most 0.03 floor units from the float32 ones, while
    one float32 student's error moves by 1-4 units from one set of draws to another."""
    arrays = {}
    nets = [(f"n{s.n}", s.net) for s in d.students] + [("direct", d.direct.net)]
    for name, net in nets:
        for i, (w, b) in enumerate(net.layers):
            arrays[f"{name}_w{i}"], arrays[f"{name}_b{i}"] = w.astype(SAVED_DTYPE), b.astype(SAVED_DTYPE)
    meta = dict(settings=asdict(d.settings), **d.meta)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, meta=np.array(json.dumps(meta)), **arrays)


def load(path: Path) -> Distilled:
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))

        def net(name):
            layers, i = [], 0
            while f"{name}_w{i}" in z.files:
                layers.append((z[f"{name}_w{i}"], z[f"{name}_b{i}"]))
                i += 1
            return MLP(layers)

        settings = DistillSettings(**meta.pop("settings"))
        students = [Student(net(f"n{n}"), n, settings.parameterisation) for n in ROUNDS]
        direct = DirectStudent(net("direct"))
    return Distilled(settings, students, direct, meta, shipped=True)


def cached(settings: DistillSettings) -> Distilled | None:
    """The students for these settings if in memory or shipped (no training), else None."""
    settings = settings.validated()
    if settings not in _CACHE:
        path = shipped_path(settings.spec)
        if not settings.shipped or not path.exists():
            return None
        _CACHE[settings] = load(path)
    return _CACHE[settings]


def get(settings: DistillSettings, progress=None, offline: bool = False) -> Distilled:
    """The students: cached, shipped, or trained now (then cached; live training within the work cap unless
    `offline`)."""
    settings = settings.validated()
    found = cached(settings)
    if found is None:
        found = train(settings, progress, offline)
        if len(_CACHE) >= 8:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[settings] = found
    return found


# ---------------------------------------------------------------------------- the comparison
NFES = (1, 2, 4, 8)


def student_samples(students: list[Student], spec: str, n: int, seed: int) -> dict[int, np.ndarray]:
    """Each student's samples from the n noise draws of `seed` that `evaluate` uses (the exact couplings' z of
    seed + 10,000, fresh beside the direct control's training pairs), by its number of steps."""
    from core.reflow import couplings

    z = couplings(spec, n, seed + 10_000).z
    return {s.n: s.sample(z) for s in students}


@lru_cache(maxsize=16)
def evaluate(settings: DistillSettings, n: int, seed: int) -> dict:
    """Errors (MMD² in noise-floor units) on n fresh noise draws of `seed` (those of core.reflow.compare): each
    round's student at its own N, exact DDIM at the same N (and 64, the first teacher), the ideal student (the
    exact PF-ODE map solved accurately) and the direct control; plus the samples for the figure."""
    from core.reflow import couplings, floor_units

    settings = settings.validated()
    d = get(settings)
    one = couplings(settings.spec, n, seed + 10_000)
    z, exact = one.z, exact_denoiser(settings.spec)
    student = student_samples(d.students, settings.spec, n, seed)
    ddim_n = {m: ddim(exact, z, m) for m in (*ROUNDS, START)}
    direct = d.direct.sample(z)
    return dict(
        z=z,
        samples=dict(student=student, ddim=ddim_n, ideal=one.x0, direct=direct),
        student={m: floor_units(settings.spec, x) for m, x in student.items()},
        ddim={m: floor_units(settings.spec, x) for m, x in ddim_n.items()},
        ideal=floor_units(settings.spec, one.x0),
        direct=floor_units(settings.spec, direct),
        # how far each student's samples are from the ideal map's, point by point: the distillation error
        gap={m: float(np.sqrt(np.mean(((x - one.x0) ** 2).sum(1)))) for m, x in student.items()},
        gap_direct=float(np.sqrt(np.mean(((direct - one.x0) ** 2).sum(1)))),
    )


SMALL_T = 0.1  # "small t": the first students' times t = i/N up to here (N = 32: t = 1/32, 2/32, 3/32)


def denoiser_error(denoise, spec: str, t: float, n: int, seed: int) -> float:
    """RMS ‖x̂(z_t, t) − E[x | z_t]‖ over n draws z_t = α_t x + σ_t ε (x from the data, ε ~ N(0, I)): how far a
    denoiser is from the exact one at time t (Tweedie's E[x | z_t], which exact DDIM, the first teacher, uses)."""
    rng = np.random.default_rng(seed)
    x = load_data(spec).sample(n, rng)
    z = float(alpha(t)) * x + float(sigma(t)) * rng.standard_normal((n, 2))
    return float(np.sqrt(np.mean(((denoise(z, t) - exact_denoiser(spec)(z, t)) ** 2).sum(1))))


def small_t_fit(students: list[Student], spec: str, n: int, seed: int) -> dict[str, float]:
    """At each time t = i/N ≤ SMALL_T of the first student (N = ROUNDS[0]), `denoiser_error` of: that student's x̂
    (`student_<i>`); its training target, the x̃ of two exact DDIM half steps (`target_<i>`: what a student that
    fits the first teacher perfectly would give); and z_t/α_t, no denoising at all (`identity_<i>`), the scale of
    what there is to fit. The same n draws of `seed` for all three."""
    first, exact, out = students[0], exact_denoiser(spec), {}
    for i in range(1, int(SMALL_T * first.n) + 1):
        t = i / first.n

        def target(z, t, n=first.n):
            return distill_target(exact, z, np.full(len(z), t), n)

        out[f"student_{i}"] = denoiser_error(first.denoise, spec, t, n, seed)
        out[f"target_{i}"] = denoiser_error(target, spec, t, n, seed)
        out[f"identity_{i}"] = denoiser_error(lambda z, t: z / float(alpha(t)), spec, t, n, seed)
    return out


def write_shipped(presets=None) -> list[Path]:
    """Train the default students (SHIPPED_SETTINGS) of SHIPPED_PRESETS, write assets/few_steps/distill_<key>.npz."""
    out = []
    for key in presets or SHIPPED_PRESETS:
        d = train(replace(SHIPPED_SETTINGS, spec=key), offline=True)
        path = shipped_path(key)
        save(d, path)
        secs = sum(r["seconds"] for r in d.meta["rounds"]) + d.meta["direct"]["seconds"]
        print(f"{key}: {secs:.0f} s, {path.stat().st_size / 1e3:.1f} kB", flush=True)
        out.append(path)
    return out


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Train the shipped progressive-distillation students.")
    parser.add_argument("--write", action="store_true", help="train and write assets/few_steps/distill_<preset>.npz")
    parser.add_argument("presets", nargs="*", help=f"presets (default: {', '.join(SHIPPED_PRESETS)})")
    args = parser.parse_args()
    if args.write:
        write_shipped(args.presets or None)
    else:
        parser.print_help()
