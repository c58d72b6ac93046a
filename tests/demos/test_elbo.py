"""The ELBO & schedules tab (demos/elbo.py): its views draw from the exact computations, its numbers agree with
core/elbo.py and the claims registry, bad input is refused with a sentence, and every scene loads."""

from __future__ import annotations

import numpy as np
import pytest

from core import elbo as E
from core import memorisation as M
from core.dataspec import load_data
from demos import elbo as T
from demos import kit


def test_views_at_defaults_draw_every_output():
    drawn = kit.draw(T.SPEC, T.SPEC.validate(T.SPEC.defaults()))
    assert set(drawn) == {
        *("paths", "integrand", "losses", "schedules_text", "gaps", "sources", "tightness_text"),
        *("terms", "over_t", "discrete_text", "memorised", "transition", "memorised_text"),
    }
    labels = {E.SCHEDULE_LABELS[n] for n in E.SCHEDULES}
    for name in ("paths", "losses"):
        assert {t.name for t in drawn[name].data} == labels
    assert "L∞ =" in drawn["integrand"].layout.title.text and "L∞ =" in drawn["schedules_text"]
    assert "Gap" in drawn["gaps"].layout.title.text


def test_numbers_are_the_core_computations():
    data = T.elbo_data("ring8", "ddpm", 0)
    table = E.error_table(load_data("ring8"), *E.ddpm_endpoints(), n=T._draws("ring8", T.TABLE_WORK, 192, 48), seed=0)
    assert data["linf"] == pytest.approx(E.diffusion_loss(table)[0], rel=1e-12)
    s = E.Schedule("log_snr", *E.ddpm_endpoints())
    assert data["schedules"]["log_snr"]["L_T"]["10"] == pytest.approx(E.discrete_loss(table, s, 10), rel=1e-12)
    nll = -load_data("ring8").log_prob(np.array(data["points"]))
    np.testing.assert_allclose(data["nll"], nll, rtol=1e-12)
    gap = np.array(data["neg_elbo"]) - nll
    np.testing.assert_allclose(gap, data["predicted_gap"], atol=2e-3)


def test_ends_change_the_bound():
    wide = T.elbo_data("ring8", "wide", 0)
    ddpm = T.elbo_data("ring8", "ddpm", 0)
    assert wide["linf"] > ddpm["linf"]  # a longer log-SNR range: more of the loss is in the diffusion term
    gap = lambda d: np.mean(np.array(d["neg_elbo"]) - np.array(d["nll"]))  # noqa: E731
    assert abs(gap(wide)) < 2e-3 < gap(ddpm)


@pytest.mark.parametrize("name", list(T.SCENES))
def test_scenes_are_valid(name):
    values = T.SPEC.validate(T.SPEC.scene(name))
    assert values["ends"] in T.ENDS


@pytest.mark.parametrize(
    "bad, words",
    [
        (dict(preset="no_such_data"), "no_such_data"),
        (dict(ends="sideways"), "End points"),
        (dict(seed=-3), "Seed"),
    ],
)
def test_bad_input_is_a_sentence(bad, words):
    with pytest.raises(ValueError, match=words):
        T.elbo_view(**{k: v for k, v in {**T.SPEC.defaults(), **bad}.items() if k in ("preset", "ends", "seed")})


def test_notes_cite_the_papers_and_the_claims():
    notes = T._notes()
    assert "Kingma et al. 2021" in notes and "Sec. 5" in notes
    assert "Ho et al. 2020" in notes and "Appendix A" in notes
    from core.claims import note

    for key in (
        "vdm_schedule_invariance",
        "vdm_estimator_variance",
        "elbo_tight_exact_score",
        "iddpm_learned_variance_bound",
        "memorisation_exact_training_set",
    ):
        assert "Measured here: holds" in note(key) and note(key) in notes
    # on the means of 16 seeds, two of the transition's lines stay within 3 SE; two MLPs never draw the same samples
    assert "Measured here: depends on the data or grid" in note("memorisation_mlp_transition")
    assert "Measured here: does not hold here" in note("memorisation_mlp_same_samples")
    assert note("memorisation_mlp_transition") in notes and note("memorisation_mlp_same_samples") in notes


def test_discrete_view_is_the_core_bound():
    fig_terms, fig_over_t, text = T.discrete_view("ring8", 0, "10")
    x0 = load_data("ring8").sample(T.N_DISCRETE, np.random.default_rng(2))
    b = E.discrete_bound(load_data("ring8"), x0, 10, "optimal", n_gh=T.GH_DISCRETE)
    optimal = next(t for t in fig_terms.data if t.name == E.VARIANCE_LABELS["optimal"])
    np.testing.assert_allclose(optimal.y, b.steps.mean(1), rtol=1e-12)
    assert f"{(b.total - b.nll).mean():.4g}" in text
    with pytest.raises(ValueError, match="Steps T"):
        T.discrete_view("ring8", 0, "7")


def test_memorisation_view_is_the_core_measurement():
    """A seed the study did not ship: the exact training-set model sampled live (core/memorisation.py)."""
    fig, transition, text = T.memorisation_view("ring8", 7, "16")
    out = M.memorisation("ring8", 16, 7)
    assert f"{100 * out.near:.1f} %" in text and f"{out.mmd2_units:+.1f}" in text
    np.testing.assert_array_equal(fig.data[2].x, out.points[:, 0])
    assert len(fig.data) == 3  # no MLP for an unshipped seed
    with pytest.raises(ValueError, match="Training points N"):
        T.memorisation_view("ring8", 0, "1000000")
    with pytest.raises(ValueError, match="shipped for ring8"):
        T.memorisation_view("ring8", 7, "1024")


def test_the_mlp_trains_here_on_request_behind_the_progress_bar(monkeypatch):
    """An unshipped seed with "Train the MLP": the study's MLP trained on the same points, here (its training cut
    to 200 steps to keep the test short), reported through the progress bar, drawn beside the exact model; the
    numbers are `core.memorisation.mlp_case`'s, and the same request later is answered from memory."""
    real = M.train_mlp
    monkeypatch.setattr(M, "train_mlp", lambda spec, n, seed, progress=None: real(spec, n, seed, progress, 200))
    T._LIVE.clear()
    T._memorisation_outputs.cache_clear()
    calls = []
    fig, transition, text = T.memorisation_view("ring8", 7, "16", True, lambda f, desc: calls.append((f, desc)))
    assert calls and calls[-1][0] == 1.0 and "training the MLP on 16 points" in calls[-1][1]
    expected = M.mlp_case("ring8", 16, 7)
    v = expected["values"]
    assert f"{100 * v['near_mlp']:.1f} %" in text and f"{v['ratio_mlp']:.3f}" in text and "trained here" in text
    mlp = next(t for t in fig.data if t.name.startswith("samples of the MLP"))
    np.testing.assert_allclose(mlp.x, expected["samples"]["mlp"][: M.KEPT, 0])
    calls.clear()
    T.memorisation_view("ring8", 7, "16", True, lambda f, desc: calls.append(f))
    assert not calls
    assert len(T.memorisation_view("ring8", 7, "16", False)[0].data) == 3  # unticked: the exact model only


def test_memorisation_view_reads_the_shipped_study():
    """ring8, a shipped seed and N: the exact model's and the MLP's samples and numbers are the study's, over the
    training set the study drew, and the transition plot has every N with its seed spread."""
    study = M.shipped_study()
    for n, seed in ((16, 0), (1024, 2)):
        fig, transition, text = T.memorisation_view("ring8", seed, str(n))
        case = study["rows"][str(n)]
        v = case["seeds"][str(seed)]
        assert f"{100 * v['near_mlp']:.1f} %" in text and f"{v['ratio_mlp']:.3f}" in text
        np.testing.assert_array_equal(fig.data[2].x, M.training_set("ring8", n, seed)[:, 0])
        mlp = next(t for t in fig.data if t.name.startswith("samples of the MLP"))
        np.testing.assert_allclose(mlp.x, np.array(case["samples"][str(seed)]["mlp"])[:, 0])
    mlp = next(t for t in transition.data if t.name == "MLP trained on the points")
    assert list(mlp.x) == list(M.MLP_SIZES)
    ratios = [[study["rows"][str(n)]["seeds"][str(s)]["ratio_mlp"] for s in M.MLP_SEEDS] for n in M.MLP_SIZES]
    np.testing.assert_allclose(mlp.y, [np.mean(x) for x in ratios])
    np.testing.assert_allclose(mlp.error_y.array, [np.max(x) - np.mean(x) for x in ratios])
    for n in M.STEP_N:  # the bottom panel: the MLP over training steps
        line = next(t for t in transition.data if t.name == f"MLP, N = {n}")
        assert list(line.x) == list(M.STEP_SIZES)
        by_steps = study["steps_rows"][str(n)]
        np.testing.assert_allclose(
            line.y, [np.mean([v["ratio_mlp"] for v in by_steps[str(k)].values()]) for k in M.STEP_SIZES]
        )


def test_the_memorisation_note_says_what_to_notice_with_registry_numbers():
    """The note's numbers are the claim's shipped values, written through `quote`; it cites Kadkhodaie et al.'s
    section."""
    from core.claims import shipped

    v = shipped()["memorisation_mlp_transition"]["values"]
    notes = T.memorisation_notes()
    assert "What to notice (memorisation)" in notes and "Kadkhodaie et al. 2024 (Sec. 2)" in notes
    small, large, first = M.MLP_SIZES[0], M.MLP_SIZES[-1], M.STEP_SIZES[0]
    for key in (f"ratio_mlp_N{small}", f"ratio_mlp_N{large}", f"ratio_mlp_N{small}_S{first}"):
        assert f"{v[key]:.2f}" in notes, key
    assert f"{len(M.MLP_SEEDS)} seeds" in notes


def test_the_shipped_tightness_row_is_shown_for_its_case_only():
    """The finer numbers of assets/elbo/tightness.json are in the tightness view's text (not in the notes: a note
    quotes the claims registry only), for the shipped cases and no other."""
    row = E.shipped_tightness()["ring8/ddpm"]
    text = T.tightness_view("ring8", "ddpm", 0)[2]
    assert "Finer quadrature, shipped" in text and f"gap {row['gap']:+.5f} ± {row['gap_se']:.5f}" in text
    assert "Finer quadrature" not in T.tightness_view("ring8", "narrow", 0)[2]
    assert "Finer quadrature" not in T._notes()
