"""The Inpainting & SDEdit tab's figures (and the guidance tab's classifier panel): traces, finite JSON,
determinism, size, readable refusals; the tab's load / scenes / link round trip without a server."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from core import conditional as C
from demos import guidance, inpainting, kit

BUDGET = 1_500_000  # bytes of figure JSON per update
DEFAULTS = inpainting.SPEC.defaults()


def inp(**kw):
    return [kw.get(n, DEFAULTS[n]) for n in inpainting.INPAINT_NAMES]


def sde(**kw):
    return [kw.get(n, DEFAULTS[n]) for n in inpainting.SDEDIT_NAMES]


def finite_json(fig) -> dict:
    def reject(token):
        raise AssertionError(f"figure JSON contains {token}")

    return json.loads(fig.to_json(), parse_constant=reject)


def names(fig) -> list:
    return [t.name for t in fig.data]


def test_inpaint_view_traces_and_numbers():
    main, curve, text = inpainting.inpaint_view(*inp(particles=600))
    assert names(main)[:2] == ["data p₀", "known x₁ = 2"]
    assert {"exact p(x₂ | x₁)", "naive replacement", "RePaint U = 5", "reference: DDPM on exact p(x₂|x₁)"} <= set(
        names(main)
    )
    assert main.layout.title.text.startswith("P(x₂ > 0 | x₁ = 2): exact 0.200")
    assert "team's earlier run (4,000 samples)" in names(curve)  # shown for the issue's setting only
    for fig in (main, curve):
        finite_json(fig)
    assert len(main.to_json()) + len(curve.to_json()) < BUDGET
    assert "| naive replacement |" in text and "nan" not in text.lower()


def test_histograms_integrate_to_one():
    main, _, _ = inpainting.inpaint_view(*inp(particles=600, seed=3))
    for name in ("naive replacement", "RePaint U = 5"):
        trace = next(t for t in main.data if t.name == name)
        dens, y = np.asarray(trace.x, dtype=float), np.asarray(trace.y, dtype=float)
        width = np.diff(y).mean()
        inside = (dens * width).sum()
        assert inside == pytest.approx(1.0, abs=0.03)  # a few samples may fall outside the plotted box


def test_earlier_run_markers_only_for_the_issues_setting():
    _, curve, _ = inpainting.inpaint_view(*inp(x1=1.0, particles=400))
    assert "team's earlier run (4,000 samples)" not in names(curve)


def test_inpaint_deterministic_and_seeded():
    inpainting._inpaint_outputs.cache_clear()
    inpainting._run.cache_clear()
    a = [f.to_json() for f in inpainting.inpaint_view(*inp(particles=400, seed=5))[:2]]
    inpainting._inpaint_outputs.cache_clear()
    inpainting._run.cache_clear()
    b = [f.to_json() for f in inpainting.inpaint_view(*inp(particles=400, seed=5))[:2]]
    assert a == b
    c = inpainting.inpaint_view(*inp(particles=400, seed=6))[0].to_json()
    assert c != a[0], "the seed does nothing"


def test_sdedit_view_traces_and_numbers():
    main, curve, text = inpainting.sdedit_view(*sde(stroke="line", t0=0.4))
    assert names(main) == ["data p₀", f"{inpainting.SD_PATHS} paths from x(t₀)", "guide", "SDEdit outputs"]
    assert "t₀ = 0.4" in main.layout.title.text
    assert [t.name for t in curve.data if t.name][:3] == [
        "realism: share on the data ↑",
        "exact sampling (0.95)",
        "distance to own guide ↓ (faithful)",
    ]
    for fig in (main, curve):
        finite_json(fig)
    assert "realism" in text and "paper's range" in text


def test_every_t0_of_the_slider_is_precomputed():
    key = ("four_corners", "square", "", 50, 0)
    inpainting.sd_curves(*key)
    before = inpainting.sd_run.cache_info().misses
    inpainting._sdedit_outputs.cache_clear()
    for t0 in (0.02, 0.36, 1.0):
        inpainting.sdedit_view("four_corners", "square", "", t0, 50, 0)
    assert inpainting.sd_run.cache_info().misses == before
    assert len(inpainting.sd_curves(*key)["t0"]) == len(inpainting.T0_SLIDER) == 50


def test_typed_points_view():
    main, _, _ = inpainting.sdedit_view("ring8", "typed", "0, 0; 3, 3", 0.3, 20, 0)
    guide = next(t for t in main.data if t.name == "guide")
    pts = {(float(x), float(y)) for x, y in zip(guide.x, guide.y)}
    assert pts == {(0.0, 0.0), (3.0, 3.0)}


@pytest.mark.parametrize(
    "args, message",
    [
        (inp(preset="nope"), r"Unknown data 'nope'"),
        (inp(x1=7.0), r"Known x₁ must lie between -2\.9 and 2\.9; got 7\."),
        (inp(resamplings=0), r"Resamplings U must lie between 1 and 20; got 0\."),
        (inp(jump=30), r"Jump length j must lie between 1 and 25; got 30\."),
        (inp(jump=10, steps=10), r"Jump length j must be smaller than the number of steps \(10\); got 10\."),
        (inp(resamplings=20, steps=250, particles=4000), r"exceeds this shared app's cap"),
        (inp(particles=100), r"Particles must lie between 200 and 4000; got 100\."),
    ],
)
def test_inpaint_bad_input_is_a_readable_value_error(args, message):
    with pytest.raises(ValueError, match=message):
        inpainting.inpaint_view(*args)


@pytest.mark.parametrize(
    "args, message",
    [
        (sde(stroke="circle"), r"Unknown stroke 'circle'"),
        (sde(stroke="typed", points="1, 2, 3"), r"must be two numbers"),
        (sde(t0=0.01), r"t₀ must lie between 0\.02 and 1; got 0\.01\."),
        (sde(sd_steps=1000), r"SDEdit steps must lie between 5 and 200; got 1000\."),
    ],
)
def test_sdedit_bad_input_is_a_readable_value_error(args, message):
    with pytest.raises(ValueError, match=message):
        inpainting.sdedit_view(*args)


def test_draw_gives_every_output_and_the_x1_slider_its_datas_range():
    out = kit.draw(inpainting.SPEC, inpainting.SPEC.defaults())
    assert list(out) == ["main", "curve", "text", "sd_main", "sd_curve", "sd_text"]
    assert inpainting.SPEC.control("x1").bounds(dict(preset="four_corners")) == (-2.9, 2.9, 0.05)


def test_the_t0_slider_is_the_checks_range_and_every_value_is_precomputed():
    t0 = inpainting.SPEC.control("t0")
    values = [round(t0.lo + k * t0.step, 2) for k in range(round((t0.hi - t0.lo) / t0.step) + 1)]
    assert tuple(values) == inpainting.T0_SLIDER


def test_links_drop_only_the_bad_value():
    values = kit.drop_invalid(inpainting.SPEC, dict(resamplings=99, x1=2.0))
    assert values["resamplings"] == 5 and values["x1"] == 2.0
    values = kit.drop_invalid(inpainting.SPEC, dict(jump=30, steps=20, particles=300))
    assert values["jump"] == 1 and values["steps"] == 20 and values["particles"] == 300


def test_other_data_keeps_an_x1_inside_its_range():
    values = kit.drop_invalid(inpainting.SPEC, dict(preset="ncsn_fig3", x1=7.5))
    lo, hi = inpainting.x1_range("ncsn_fig3")
    assert lo <= values["x1"] <= hi and values["x1"] == 7.5
    values = kit.drop_invalid(inpainting.SPEC, dict(preset="moons", x1=7.5))  # out of the moons' range
    lo, hi = inpainting.x1_range("moons")
    assert lo <= values["x1"] <= hi


@pytest.mark.parametrize("name", list(inpainting.SCENES))
def test_every_scene_loads(name):
    values = inpainting.SPEC.validate(kit.drop_invalid(inpainting.SPEC, inpainting.SPEC.scene(name)))
    for key, value in inpainting.SCENES[name].items():
        assert values[key] == value, key
    assert inpainting.SPEC.note(name) == inpainting.SCENE_NOTES[name]
    assert all(v is not None for v in kit.draw(inpainting.SPEC, values).values())


def test_typed_points_are_checked_only_for_the_typed_stroke():
    spec = inpainting.SPEC
    with pytest.raises(ValueError, match="must be two numbers"):
        spec.validate({**spec.defaults(), "stroke": "typed", "points": "1, 2, 3"})
    assert spec.validate({**spec.defaults(), "points": "1, 2, 3"})["points"] == "1, 2, 3"  # kept for later


def test_data_endpoints_agree_with_the_view():
    d = inpainting.inpaint_data(**dict(zip(inpainting.INPAINT_NAMES, inp(particles=500))))
    assert d["exact_p_positive"] == pytest.approx(0.2, abs=1e-9)
    assert d["methods"]["repaint"]["nfe"] == C.schedule_nfe(50, 5, 1)
    assert math.isfinite(d["methods"]["reference"]["w1_units"])
    s = inpainting.sdedit_data(preset="four_corners", stroke="square", t0=0.3)
    assert s["alpha_t0"] == pytest.approx(float(C.PROCESS.alpha(299)))
    assert len(s["outputs"]) == inpainting.SD_POINTS


# ---------------------------------------------------------------------------- the guidance tab's additions
def _guidance(**kw):
    return [kw.get(c.name, c.default) for c in guidance.CONTROLS]


def test_guidance_overlay_traces():
    main, _, text = guidance.guidance_view(*_guidance(particles=300, steps=20, overlay="exact"))
    assert names(main)[-1] == "classifier guidance (exact classifier), γ = 4"
    assert "by at most" in text
    finite_json(main)


def test_guidance_label_accepts_text_from_a_typed_dropdown():
    """The class dropdown accepts custom values (the API's classes are the data's, not the first preset's); a
    typed "2" arrives as text."""
    main, _, _ = guidance.guidance_view(*_guidance(preset="smiley", label="2", w=1.0, particles=200, steps=10))
    assert "p(x | c = 2)" in names(main)
    with pytest.raises(ValueError, match="Class must be a number"):
        guidance.guidance_view(*_guidance(preset="smiley", label="mouth"))


def test_classifier_panel_figures():
    values = _guidance(particles=200, steps=10, train_steps=200, heat_t=50)
    loss, heat, compare, text = guidance.classifier_view(*values)
    assert names(loss) == ["batch loss", "mean of 4"]
    assert "t = 50" in heat.layout.title.text and heat.data[0].type == "heatmap"
    z = np.asarray(heat.data[0].z, dtype=float)
    assert z.shape == (guidance.HEAT_N, guidance.HEAT_N) and np.nanmin(z) >= 0 and np.nanmax(z) <= 180
    assert names(compare) == ["p(x | c = 0)", "exact classifier (= CFG)", "learned classifier"]
    for fig in (loss, heat, compare):
        finite_json(fig)
    assert text.startswith("Trained 200 steps")
    assert guidance.panel_if_ready(*values)[3] == text
    assert "Press" in guidance.panel_if_ready(*_guidance(train_steps=300, seed=77))[3]
