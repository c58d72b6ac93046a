"""Progressive distillation with an exact teacher (core/distill.py) against independent computations: Algorithm 2's
target makes one student step land where two teacher steps did; on Gaussian data the teacher's DDIM steps and
the PF-ODE map are known in closed form; exact DDIM converges to the ideal student (the flow-matching ODE's map of
core/reflow.py: one map for every schedule) and that map is at the noise floor on three presets; training is
deterministic for a seed; the shipped students reproduce."""

from __future__ import annotations

import numpy as np
import pytest

from core import distill as D
from core import reflow as R
from core.dataspec import load_data

GAUSS = "gmm:1,0.5,-0.3,0.4"  # one isotropic component: N((0.5, -0.3), 0.4² I)
MU, S = np.array([0.5, -0.3]), 0.4


def test_target_makes_one_student_step_land_on_two_teacher_steps():
    """x̃ solves α'' x̃ + (σ''/σ)(z − α x̃) = z'' for the teacher's two-step z'' (Salimans & Ho 2022, Algorithm 2)."""
    teacher = D.exact_denoiser("ring8")
    rng = np.random.default_rng(0)
    n = 4
    t = rng.integers(1, n + 1, 300) / n
    z = rng.standard_normal((300, 2)) * 1.5
    x_tilde = D.distill_target(teacher, z, t, n)
    for ti in np.unique(t):
        rows = t == ti
        two = D.ddim_step(teacher(z[rows], ti), z[rows], ti, ti - 0.5 / n)
        two = D.ddim_step(teacher(two, ti - 0.5 / n), two, ti - 0.5 / n, ti - 1 / n)
        one = D.ddim_step(x_tilde[rows], z[rows], ti, ti - 1 / n)
        np.testing.assert_allclose(one, two, atol=1e-10)


def test_gaussian_teacher_and_ideal_student_in_closed_form():
    """Data N(μ, s²I): E[x | z_t] = μ + α s² (z − α μ) / (α² s² + σ²), and the PF-ODE map from t = 1 is μ + s z.
    DDIM with many steps approaches it at first order (error × 4 ≈ error × 1/4 per 4× steps)."""
    den = D.exact_denoiser(GAUSS)
    z = np.random.default_rng(1).standard_normal((200, 2))
    for t in (0.9, 0.5, 0.1):
        a, s = D.alpha(t), D.sigma(t)
        np.testing.assert_allclose(den(z, t), MU + a * S**2 * (z - a * MU) / (a**2 * S**2 + s**2), atol=1e-12)
    errs = [np.abs(D.ddim(den, z, n) - (MU + S * z)).max() for n in (64, 256)]
    assert errs[1] < 1e-2 and errs[1] < errs[0] / 3


def test_exact_ddim_converges_to_the_ideal_student():
    """The cosine schedule's DDIM and the flow-matching ODE of core/reflow.py share one PF-ODE map from pure noise:
    DDIM-N on ring8 approaches the reflow couplings' endpoints as N grows."""
    pair = R.couplings("ring8", 300, 5)
    den = D.exact_denoiser("ring8")
    errs = [np.sqrt(np.mean(((D.ddim(den, pair.z, n) - pair.x0) ** 2).sum(1))) for n in (64, 512)]
    assert errs[1] < 0.02 and errs[1] < errs[0] / 3


@pytest.mark.parametrize("spec", ["ring8", "moons", "grid25"])
def test_ideal_student_is_at_the_floor(spec):
    pair = R.couplings(spec, 2000, 0)
    assert R.floor_units(spec, pair.x0) < 3.0


def test_settings_are_checked_with_sentences():
    with pytest.raises(ValueError, match="Student width"):
        D.DistillSettings(width=50).validated()
    with pytest.raises(ValueError, match="Steps per round"):
        D.DistillSettings(steps=5).validated()
    with pytest.raises(ValueError, match="parameterisation must be one of 'v', 'x'"):
        D.DistillSettings(parameterisation="eps").validated()
    with pytest.raises(ValueError, match="at most"):
        D.DistillSettings(width=128, steps=D.MAX_STEPS).trainable()
    D.DistillSettings(width=128, steps=D.MAX_STEPS).validated()  # offline (shipped) training has no cap
    assert D.DistillSettings().validated().shipped and not D.DistillSettings(seed=1).validated().shipped
    assert not D.DistillSettings(parameterisation="x").validated().shipped


def test_training_is_deterministic_and_students_halve():
    settings = D.DistillSettings(width=32, steps=100, seed=3)
    a, b = D.train(settings), D.train(settings)
    assert [s.n for s in a.students] == list(D.ROUNDS)
    for sa, sb in zip([*a.students, a.direct], [*b.students, b.direct]):
        for (wa, ba), (wb, bb) in zip(sa.net.layers, sb.net.layers):
            np.testing.assert_array_equal(wa, wb)
            np.testing.assert_array_equal(ba, bb)
    # each student starts from its teacher's weights, so the later rounds stay near each other
    z = np.random.default_rng(0).standard_normal((50, 2))
    assert np.all(np.isfinite(a.student(1).sample(z))) and a.direct.sample(z).shape == (50, 2)


@pytest.mark.parametrize("parameterisation", ["v", "x"])
def test_save_and_load_round_trip(tmp_path, parameterisation):
    """The saved weights are the trained ones rounded to float16, nothing else; settings (the parameterisation
    too) and the training log come back."""
    d = D.train(D.DistillSettings(width=32, steps=100, seed=4, parameterisation=parameterisation))
    D.save(d, tmp_path / "d.npz")
    e = D.load(tmp_path / "d.npz")
    for a, b in zip([*d.students, d.direct], [*e.students, e.direct]):
        for (wa, ba), (wb, bb) in zip(a.net.layers, b.net.layers):
            np.testing.assert_array_equal(wb, wa.astype(np.float16).astype(np.float32))
            np.testing.assert_array_equal(bb, ba.astype(np.float16).astype(np.float32))
    assert [s.parameterisation for s in e.students] == [parameterisation] * len(D.ROUNDS)
    z = np.random.default_rng(2).standard_normal((40, 2))
    for n in D.ROUNDS:
        np.testing.assert_allclose(e.student(n).sample(z), d.student(n).sample(z), atol=0.05)
    assert e.settings == d.settings and e.meta["rounds"][0]["n"] == 32


def test_the_two_parameterisations_and_their_weightings():
    """v: x̂ = α z − σ v̂ and the unweighted ‖ṽ − v̂‖² is (1 + α²/σ²)‖x̃ − x̂‖² ("SNR+1"); x: x̂ is the network's
    output and the weighted loss is max(‖x̃ − x̂‖², ‖ε̃ − ε̂‖²) ("truncated SNR"; Salimans & Ho 2022, Sec. 4)."""
    rng = np.random.default_rng(3)
    t = rng.integers(1, 33, 400) / 32
    z, x_tilde, x_hat = rng.standard_normal((3, 400, 2))
    a, s = D.alpha(t)[:, None], D.sigma(t)[:, None]
    target, weight = D.regression("v", z, t, x_tilde)
    v_hat = (a * z - x_hat) / s  # the v for which the student's x̂ is x_hat
    assert weight is None
    np.testing.assert_allclose(
        ((target - v_hat) ** 2).sum(1), (1 + a[:, 0] ** 2 / s[:, 0] ** 2) * ((x_tilde - x_hat) ** 2).sum(1)
    )
    target, weight = D.regression("x", z, t, x_tilde)
    eps_tilde, eps_hat = (z - a * x_tilde) / s, (z - a * x_hat) / s
    both = np.maximum(((x_tilde - x_hat) ** 2).sum(1), ((eps_tilde - eps_hat) ** 2).sum(1))
    np.testing.assert_allclose(weight * ((target - x_hat) ** 2).sum(1), both)
    net = D.MLP([(rng.standard_normal((2, D.N_IN)), rng.standard_normal(2))])  # one linear layer
    v_student, x_student = D.Student(net, 4, "v"), D.Student(net, 4, "x")
    out = net(D._features(z, 0.3))
    np.testing.assert_allclose(x_student.denoise(z, 0.3), out)
    np.testing.assert_allclose(v_student.denoise(z, 0.3), D.alpha(0.3) * z - D.sigma(0.3) * out)


def test_small_t_fit_measures_against_the_exact_denoiser():
    """The times are the first student's i/32 ≤ 0.1; a student that is the exact denoiser is 0 from E[x | z_t]; the
    first teacher's two-step target lies closer to it than no denoising (z_t/α_t) does."""

    class Exact:
        n = D.ROUNDS[0]
        denoise = staticmethod(D.exact_denoiser("ring8"))

    fit = D.small_t_fit([Exact()], "ring8", 500, 0)
    assert sorted(fit) == sorted(f"{k}_{i}" for k in ("student", "target", "identity") for i in (1, 2, 3))
    for i in (1, 2, 3):
        assert fit[f"student_{i}"] < 1e-12 and 0 < fit[f"target_{i}"] < fit[f"identity_{i}"] / 2


def test_every_preset_ships_small_students():
    """Each preset's default students are shipped, in float16 (seven 3×64 networks: about 124 kB raw); a user's
    own data train live."""
    from core.datasets import PRESETS

    assert D.SHIPPED_PRESETS == tuple(PRESETS)
    for key in D.SHIPPED_PRESETS:
        path = D.shipped_path(key)
        assert path.exists(), f"run `python -m core.distill --write {key}`"
        assert path.stat().st_size < 135_000
        d = D.cached(D.DistillSettings(spec=key))
        assert d.shipped and d.settings == D.DistillSettings(spec=key)
    assert D.cached(D.DistillSettings(spec=GAUSS)) is None  # other data train live
    assert D.cached(D.DistillSettings(parameterisation="x")) is None  # so do x-prediction students


@pytest.mark.slow
@pytest.mark.parametrize("preset", [D.SHIPPED_PRESETS[0], D.SHIPPED_PRESETS[-1]])
def test_shipped_students_reproduce(preset, tmp_path):
    """Retraining a sample of the shipped students (the first and the last preset) gives the shipped behaviour,
    once saved as shipped (float16): the same weights on this machine; another CPU's rounding may move samples
    slightly."""
    shipped = D.load(D.shipped_path(preset))
    D.save(D.train(shipped.settings, offline=True), tmp_path / "fresh.npz")
    fresh = D.load(tmp_path / "fresh.npz")
    z = np.random.default_rng(7).standard_normal((500, 2))
    for n in (4, 1):
        assert np.abs(fresh.student(n).sample(z) - shipped.student(n).sample(z)).max() < 2e-2
    assert np.abs(fresh.direct.sample(z) - shipped.direct.sample(z)).max() < 2e-2


def test_exact_teacher_needs_many_steps_and_the_ideal_does_not():
    """Exact DDIM at one step lands every point on the data mean (x̂ at t = 1 is E[x]): far from the floor."""
    den = D.exact_denoiser("ring8")
    z = np.random.default_rng(0).standard_normal((500, 2))
    mixture = load_data("ring8")
    mean = mixture.weights @ mixture.means
    np.testing.assert_allclose(D.ddim(den, z, 1), np.broadcast_to(mean, z.shape), atol=1e-9)


# ---------------------------------------------------------------------------- the students as registered samplers
def _student_run(preset: str, steps: int, process: str = "ddpm", grid: str = "trailing", n: int = 300):
    from core.grids import make_grid
    from core.models import ExactDenoiser
    from core.processes import make_process
    from core.samplers.registry import run_sampler

    mixture = load_data(preset)
    g = make_grid(make_process(process, mixture), grid, steps)
    return g, run_sampler("distilled", ExactDenoiser(mixture), g, n, 5, n_paths=n)


@pytest.mark.parametrize("preset", D.SHIPPED_PRESETS)
def test_the_distilled_sampler_is_the_shipped_student(preset):
    """The registry's `distilled` row with N grid steps gives the shipped N-step student's samples from z = x_T/σ_T
    (bit for bit: the same DDIM steps), spends N model evaluations and records N steps with the student's x̂."""
    d = D.cached(D.DistillSettings(spec=preset))
    for n in D.ROUNDS:
        g, res = _student_run(preset, n)
        z = res.path[0] / g.sigma[0]
        np.testing.assert_array_equal(res.samples, d.student(n).sample(z))
        assert res.nfe == n and res.path.shape == (n + 1, 300, 2) and np.all(np.isfinite(res.denoised))


def test_the_distilled_sampler_ignores_process_and_grid_but_not_steps():
    """Its own cosine schedule: another process or grid moves the samples by rounding only (x_T/σ_T is the same
    z), another N changes them."""
    _, base = _student_run("ring8", 4)
    _, other = _student_run("ring8", 4, "vp", "karras")
    _, eight = _student_run("ring8", 8)
    np.testing.assert_allclose(other.samples, base.samples, rtol=0, atol=1e-12)
    assert np.abs(eight.samples - base.samples).max() > 1e-2


def test_the_distilled_sampler_refuses_with_a_sentence():
    """No student for data other than the presets, or for a step count no round made; the registry's NFE count
    says which N exist, and a budget buys the largest student that fits (the count has holes between powers of
    two)."""
    from core.samplers.registry import get_sampler

    with pytest.raises(ValueError, match="No progressive-distillation student is shipped for this data"):
        _student_run(GAUSS, 4)
    with pytest.raises(ValueError, match="takes N = 1, 2, 4, 8, 16, 32 steps"):
        _student_run("ring8", 6)
    spec = get_sampler("distilled")
    assert [n for n in range(1, 40) if spec.count(n) is not None] == sorted(D.ROUNDS)
    assert [spec.fit_budget(b)[0] for b in (1, 3, 4, 7, 15, 20, 31, 32, 100)] == [1, 2, 4, 4, 8, 16, 16, 32, 32]
