"""The Few steps tab's figures and numbers: traces, finite JSON, size, determinism, readable refusals, and the
numbers shown checked against independent computations (the one-step kernel's KL is the data's entropy gap,
the exact kernel's row is at the floor, the shipped 2-rectified flow is the one the text names)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core import distill as PD
from core import reflow as R
from core.claims import shipped
from core.dataspec import load_data
from core.grids import make_grid
from core.processes import make_process
from demos import few_steps as F

BUDGET = 1_500_000  # bytes of figure JSON per update
D = F.SPEC.defaults()


def args(names, **kw):
    return [kw.get(n, D[n]) for n in names]


def finite_json(fig) -> dict:
    def reject(token):
        raise AssertionError(f"figure JSON contains {token}")

    return json.loads(fig.to_json(), parse_constant=reject)


def test_kernel_view_draws_three_laws_and_says_how_far_apart():
    fig, text = F.kernel_view(*args(F.KERNEL_NAMES_IN))
    names = [t.name for t in fig.data]
    assert names[0] == "exact q(x_s | x_t)"
    assert F.KERNELS["moment"] in names and F.KERNELS["ddpm"] in names
    assert "t = 349 → s = 99" in fig.layout.title.text
    finite_json(fig)
    assert len(fig.to_json()) < BUDGET
    assert "8 lobe(s)" in text and "nan" not in text.lower()


def test_one_step_kernel_is_the_data_and_ddpm_a_point_mass():
    """K = 1 from t = 999: KL to the best Gaussian is ring8's entropy gap (≈ 2.42 nats, an independent
    Monte Carlo of H(p₀) against the Gaussian of the same covariance), and DDPM's step has no spread."""
    k = F.kernel_numbers("ring8", 999, 1, 0.0, 0.0)
    mixture = load_data("ring8")
    x = mixture.sample(20000, np.random.default_rng(2))
    gap = 0.5 * np.log(np.linalg.det(2 * np.pi * np.e * np.cov(x.T))) + mixture.log_prob(x).mean()
    assert k["kl_best"] == pytest.approx(gap, abs=4 * k["kl_best_se"] + 0.03)
    assert k["beta_tilde"] == 0 and not np.isfinite(k["kl_ddpm"])
    fig, text = F.kernel_view("ring8", 999, 1, 0.0, 0.0)
    assert "point mass" in text and any("point mass" in (t.name or "") for t in fig.data)


def test_kernel_data_endpoint_returns_the_mixture():
    out = F.kernel_data()
    assert sum(out["weights"]) == pytest.approx(1.0)
    assert len(out["means"]) == len(out["weights"]) == len(out["covs"])
    assert out["s"] == 99 and out["kl_best_gaussian"] > 0.3


def test_curve_view_exact_kernel_at_the_floor_and_gaussians_not():
    fig, text = F.curve_view("ring8", 500, 1)
    c = F.k_curve("ring8", 500, 1)
    assert np.all(np.abs(c["exact"]) < 4)  # one seed of 500 points: within the floor's scatter
    assert c["moment"][0] > 20 and c["ddpm"][0] > 20
    assert c["kl"][0] > c["kl"][-1]
    finite_json(fig)
    assert "| exact kernel (a mixture) |" in text


def test_curve_view_same_seed_same_picture():
    F._curve_outputs.cache_clear()
    F.k_curve.cache_clear()
    a = F.curve_view("moons", 500, 3)[0].to_json()
    F._curve_outputs.cache_clear()
    F.k_curve.cache_clear()
    assert F.curve_view("moons", 500, 3)[0].to_json() == a
    assert F.curve_view("moons", 500, 4)[0].to_json() != a


def test_curve_figure_fits_a_phone():
    """Issue 26.12: the side-by-side panels' titles wrap to a phone's panel width, with room for their lines under
    the figure's title, and the legend sits in pixels below the x axis title (not at a fraction of the plot area)."""
    from demos import plotting

    c = {k: np.linspace(5.0, 1.0, len(F.K_CURVE)) for k in [*F.KERNELS, "kl"]}
    fig = F.curve_figure(c, 1000)
    panel_px = (plotting.PHONE_FIGURE_PX - fig.layout.margin.l - fig.layout.margin.r) * (
        fig.layout.xaxis.domain[1] - fig.layout.xaxis.domain[0]
    )
    first = fig.layout.annotations[0].text.split("<br>")  # the second has "KL(q ‖ best Gaussian)", unbreakable
    assert len(first) == 2 and all(a.font.size >= 11 for a in fig.layout.annotations)
    assert max(plotting.text_px(line, plotting.SUBPLOT_TITLE_FONT) for line in first) <= panel_px
    title = fig.layout.title.text
    assert fig.layout.margin.t >= plotting.title_margin(title) + 2 * plotting.SUBPLOT_TITLE_LINE
    assert fig.layout.legend.yref == "container" and fig.layout.legend.yanchor == "top"
    assert fig.layout.legend.y * fig.layout.height <= fig.layout.margin.b - 60  # under the ticks and axis title


def test_reflow_view_with_the_shipped_student():
    paths, curve, text = F.reflow_view(*args(F.REFLOW_NAMES_IN))
    assert "(shipped)" in text and "| 2-RF (reflow) |" in text
    assert len(paths.data) == 6  # two panels: data, paths, endpoints
    for fig in (paths, curve):
        finite_json(fig)
    assert len(paths.to_json()) + len(curve.to_json()) < BUDGET


def test_reflow_view_prompts_before_training():
    paths, curve, text = F.reflow_view(*args(F.REFLOW_NAMES_IN, pairs=1500, train_steps=300))
    assert text == F.PROMPT and len(paths.data) == 3 and not curve.data


@pytest.mark.slow
def test_reflow_data_endpoint_trains_then_reports_numbers():
    out = F.reflow_data(pairs=500, train_steps=200, width=32, seed=9, particles=500)
    assert out["straightness_2"] < out["straightness_1"]
    assert set(out["euler_1"]) == {"1", "2", "4"}
    assert R.cached_reflow(R.ReflowSettings(pairs=500, steps=200, width=32, seed=9)) is not None


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: F.kernel_view("ring8", 0, 4, 0.0, 0.0), "Timestep t"),
        (lambda: F.kernel_view("ring8", 349, 4, 99.0, 0.0), "x_t"),
        (lambda: F.kernel_view("ring8", 349, "four", 0.0, 0.0), "Steps K"),
        (lambda: F.kernel_view("no such data", 349, 4, 0.0, 0.0), "no such data"),
        (lambda: F.curve_view("ring8", 10**6, 0), "Particles"),
        (lambda: F.reflow_view("ring8", 4000, 50, 2000, 0, 1000), "Width"),
        (lambda: F.reflow_train("ring8", 8000, 128, 4000, 0, 1000), "at most"),
        (lambda: F.distill_view("ring8", 50, 600, 0, 1000), "Student width"),
        (lambda: F.distill_view("ring8", 64, 10**5, 0, 1000), "Steps per round"),
        (lambda: F.distill_train("ring8", 128, 3000, 0, 1000), "at most"),
        (lambda: F.nfe_view("ring8", 4000, 64, 2000, 64, 600, -1, 1000), "Seed"),
    ],
)
def test_bad_input_is_refused_with_a_sentence(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_distill_view_with_the_shipped_students():
    """Ten panels (student and exact DDIM at N = 8, 4, 2, 1; the ideal and the direct student), each with the data
    and its samples; the table's numbers are the evaluation's, and the exact teacher collapses at one step."""
    fig, text = F.distill_view(*args(F.DISTILL_NAMES_IN))
    assert len(fig.data) == 20 and "(the first, from scratch" in text and "shipped" in text
    finite_json(fig)
    assert len(fig.to_json()) < BUDGET
    settings = F._distill_settings("ring8", D["d_width"], D["d_steps"], D["seed"])
    ev = PD.evaluate(settings, D["particles"], D["seed"])
    assert f"| 32 | {ev['student'][32]:+.1f} | {ev['ddim'][32]:+.1f} |" in text
    assert ev["ddim"][1] > 100 and ev["ideal"] < 4  # one exact DDIM step is the data mean; the exact map is exact


def test_every_preset_shows_shipped_students_without_training():
    """Each preset's default settings find shipped students (no training); the view of one other than ring8 draws
    them and says so."""
    from core.datasets import PRESETS

    for key in PRESETS:
        assert PD.cached(F._distill_settings(key, D["d_width"], D["d_steps"], D["seed"])) is not None, key
    last = list(PRESETS)[-1]
    fig, text = F.distill_view(*args(F.DISTILL_NAMES_IN, preset=last))
    assert len(fig.data) == 20 and "; shipped," in text


def test_distill_view_prompts_before_training():
    fig, text = F.distill_view(*args(F.DISTILL_NAMES_IN, d_steps=300))
    assert text == F._prompt() and not fig.data


def test_nfe_view_has_every_method_on_the_same_noise():
    """The comparison's rows are the other views' numbers: the students' from the distillation view, the exact
    kernel's from the error-vs-K curve, exact DDIM at one step from the exact teacher; Euler on the exact
    1-rectified flow equals DDIM on the flow-matching process, so it too sits far above the floor at one step."""
    fig, text = F.nfe_view(*args(F.NFE_NAMES_IN))
    out = F.nfe_numbers(*args(F.NFE_NAMES_IN))
    rows = out["rows"]
    assert set(rows) == set(F.NFE_NAMES)
    settings = F._distill_settings("ring8", D["d_width"], D["d_steps"], D["seed"])
    ev = PD.evaluate(settings, D["particles"], D["seed"])
    assert rows["student"][4] == ev["student"][4] and rows["direct"][1] == ev["direct"]
    c = F.k_curve("ring8", D["particles"], D["seed"])
    assert rows["kernel"][8] == c["exact"][F.K_CURVE.index(8)]
    assert rows["ddim"][1] > 100 and rows["rf1"][1] > 100 and rows["student"][4] < rows["ddim"][4] / 5
    assert len(fig.data) == len(F.NFE_NAMES) + 1  # and the ideal student's line
    finite_json(fig)
    assert "| distilled student |" in text and "Not trained" not in text


def test_nfe_view_takes_the_race_solvers_from_the_registry():
    """DPM-Solver++(2M) and EDM Heun are the race's racers (registry sampler, process, grid, NFE per budget) started
    from the comparison's own noise z: Heun spends 2k − 1 evaluations, so it shows at NFE 1, 3, 7, and the table
    gives each budget its run at the largest NFE within it."""
    from core import race as RACE
    from core.models import ExactDenoiser
    from core.samplers.registry import run_sampler

    out = F.nfe_numbers(*args(F.NFE_NAMES_IN))
    rows = out["rows"]
    assert sorted(rows["dpmpp"]) == [1, 2, 4, 8] and sorted(rows["heun"]) == [1, 3, 7]
    racer, mixture = RACE.RACERS["dpmpp_logsnr"], load_data("ring8")
    grid = make_grid(make_process(racer.process, mixture), racer.grid, 8)
    z = R.couplings("ring8", D["particles"], D["seed"] + 10_000).z
    res = run_sampler(racer.sampler, ExactDenoiser(mixture), grid, len(z), 0, {}, x_init=grid.sigma[0] * z)
    assert res.nfe == 8 and rows["dpmpp"][8] == R.floor_units("ring8", res.samples)
    text = F.nfe_text(out)
    heun = next(line for line in text.splitlines() if line.startswith("| EDM Heun |"))
    assert heun.endswith(f"(3) | {F._units(rows['heun'][7])} (7) |")


def test_nfe_view_says_what_is_not_trained():
    text = F.nfe_view(*args(F.NFE_NAMES_IN, d_steps=300, train_steps=300))[1]
    assert "Not trained for these settings" in text and "| exact DDIM |" in text
    assert "| distilled student |" not in text


def test_notes_read_the_measured_claims():
    notes = F._notes()
    for key in (
        "ddgan_gaussian_small_steps",
        "reflow_straightens",
        "reflow_transport_cost",
        "progressive_distillation",
        "distill_x_prediction",
    ):
        assert shipped()[key]["summary"] in notes


def test_the_x_prediction_finding_quotes_the_registry():
    """The notes' x-prediction paragraph reads the claim's shipped numbers, and says x-prediction fails to fit
    small t only if its x̂ at t = 1/32 is over twice as far from E[x | z_t] as its target."""
    from core.claims import quote

    v = shipped()["distill_x_prediction"]["values"]
    text = F._x_prediction_note()
    for key, fmt in (("x_student_4", "+.1f"), ("v_student_4", "+.1f"), ("x_fit_1", ".3f"), ("target_1", ".3f")):
        assert quote(v[key], fmt) in text, key
    assert ("fails to fit small $t$" in text) == (v["x_fit_1"] > 2 * v["target_1"])
