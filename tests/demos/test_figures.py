"""The pure figure functions behind each tab: the right traces, only finite numbers, JSON within the
1.5 MB per-update budget, identical output for identical input, and readable errors for bad input.

Numbers are read back from the figure's JSON (what the browser receives): plotly 7 encodes numeric
arrays as base64 `bdata` with a `dtype` (and a `shape` for 2D), decoded here with numpy.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import plotly.graph_objects as go
import pytest
from PIL import Image

from core.datasets import PRESETS
from core.processes import PROCESSES
from demos import ddim_table, forward, guidance, kit, reverse

BUDGET = 1_500_000  # bytes of figure JSON per update (all the figures one event returns)
PRESET_KEYS = sorted(PRESETS)
PROCESS_KEYS = sorted(PROCESSES)


# ---------------------------------------------------------------------------- helpers
def _reject_constant(token: str):
    raise AssertionError(f"figure JSON contains {token}, which the browser's JSON.parse rejects")


def fig_json(fig: go.Figure) -> dict:
    """The figure as the browser gets it: strict JSON (no NaN/Infinity tokens)."""
    return json.loads(fig.to_json(), parse_constant=_reject_constant)


def decode(value):
    """A plotly JSON array (plain list or base64 `bdata` typed array) as a float numpy array."""
    if isinstance(value, dict) and "bdata" in value:
        arr = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]).newbyteorder("<"))
        if "shape" in value:
            arr = arr.reshape([int(s) for s in str(value["shape"]).split(",")])
        return arr.astype(np.float64)
    return np.asarray(value, dtype=np.float64)


def is_numeric(value) -> bool:
    if isinstance(value, dict):
        return "bdata" in value
    if isinstance(value, list) and value:
        flat = np.ravel(np.asarray(value, dtype=object))
        return all(isinstance(v, (int, float)) and not isinstance(v, bool) or v is None for v in flat)
    return False


def traces(fig: go.Figure) -> list[tuple[str, str | None]]:
    return [(t["type"], t.get("name")) for t in fig_json(fig)["data"]]


def trace(fig: go.Figure, name: str) -> dict:
    found = [t for t in fig_json(fig)["data"] if t.get("name") == name]
    assert len(found) == 1, f"expected one trace named {name!r}, got {traces(fig)}"
    return found[0]


def assert_all_finite(fig: go.Figure, allow_nan_in: tuple[str, ...] = ()) -> None:
    """Every numeric array of every trace is finite. Line traces that draw many segments as one trace
    use NaN as a break: allowed only for mode='lines' traces, and only where x and y break together."""
    for t in fig_json(fig)["data"]:
        label = f"{t['type']} trace {t.get('name')!r}"
        arrays = {k: decode(v) for k, v in t.items() if is_numeric(v)}
        assert arrays, f"{label} has no numeric data"
        for key, arr in arrays.items():
            assert not np.isinf(arr).any(), f"{label}: {key} has infinite values"
        breaks = t.get("type") == "scatter" and t.get("mode") == "lines"
        for key, arr in arrays.items():
            if not np.isnan(arr).any():
                continue
            assert breaks or t.get("name") in allow_nan_in, f"{label}: {key} has NaN"
            if t.get("name") not in allow_nan_in:
                assert np.array_equal(np.isnan(arrays["x"]), np.isnan(arrays["y"])), (
                    f"{label}: NaN in {key} is not a segment break (x and y do not break together)"
                )
                assert np.isfinite(arrays["x"]).sum() >= 2, f"{label}: nothing left to draw"


def json_size(*figs) -> int:
    return sum(len(f.to_json().encode()) for f in figs if isinstance(f, go.Figure))


def n_points(t: dict) -> int:
    return len(decode(t["x"]))


# ---------------------------------------------------------------------------- forward tab
@pytest.mark.parametrize("process", PROCESS_KEYS)
def test_forward_figure_traces_finite_and_small_at_every_time(process):
    lo, hi, _ = forward.time_range(process)
    for t in (lo, 0.5 * (lo + hi), hi):
        t = float(round(t)) if process in ("ddpm", "cosine") else t
        fig = forward.forward_figure("ring8", process, t, True, 0)
        assert traces(fig) == [("heatmap", "exact p_t"), ("scattergl", "particles x_t"), ("scatter", "score ∇log p_t")]
        assert n_points(trace(fig, "particles x_t")) == forward.N_PARTICLES
        heat = trace(fig, "exact p_t")
        z = decode(heat["z"])
        assert z.shape == (len(decode(heat["y"])), len(decode(heat["x"])))
        assert (z >= 0).all() and z.max() > 0, "the density heatmap is empty or negative"
        assert_all_finite(fig)
        assert json_size(fig) < BUDGET
        assert f"t = {t:g}" in fig.layout.title.text


def test_forward_figure_without_score_has_no_arrows():
    fig = forward.forward_figure("moons", "vp", 0.5, False, 0)
    assert traces(fig) == [("heatmap", "exact p_t"), ("scattergl", "particles x_t")]


@pytest.mark.parametrize("preset", PRESET_KEYS)
def test_forward_view_every_preset(preset):
    main, schedule, picture, text = forward.forward_view(preset, "ddpm", 250.0, True, 0)
    assert_all_finite(main)
    assert json_size(main, schedule) < BUDGET
    assert PRESETS[preset].title in main.layout.title.text
    with Image.open(picture) as im:  # a PNG file named by its content (demos.export.image_file)
        pixels = np.asarray(im)
    assert np.array_equal(pixels, forward.noised_picture(preset, "ddpm", 250.0, 0))
    assert pixels.dtype == np.uint8 and pixels.ndim == 3 and pixels.shape[2] == 3
    assert "nan" not in text.lower() and "Prior mismatch" in text


def test_forward_particles_move_with_t():
    """x_t = α x₀ + σ ε: the same particles at two times differ, and at t=-1 (clean data) σ = 0."""
    a = decode(trace(forward.forward_figure("ring8", "ddpm", 10.0), "particles x_t")["x"])
    b = decode(trace(forward.forward_figure("ring8", "ddpm", 900.0), "particles x_t")["x"])
    assert not np.allclose(a, b)
    assert "σ = 0.000" in forward.forward_figure("ring8", "ddpm", -1.0).layout.title.text


@pytest.mark.parametrize("process", PROCESS_KEYS)
def test_schedule_figure(process):
    lo, hi, _ = forward.time_range(process)
    t = 0.5 * (lo + hi)
    fig = forward.schedule_figure(process, t)
    assert traces(fig) == [("scatter", "α(t)"), ("scatter", "σ(t)"), ("scatter", "log-SNR λ(t)")]
    for name in ("α(t)", "σ(t)"):
        tr = trace(fig, name)
        x, y = decode(tr["x"]), decode(tr["y"])
        assert np.isfinite(x).all() and np.isfinite(y).all(), f"{process}: {name} is not finite"
        assert (y >= -1e-12).all() and x.min() >= lo and x.max() <= hi
    lam = decode(trace(fig, "log-SNR λ(t)")["y"])
    # λ = log(α/σ) is ±∞ where σ = 0 (clean data) or α = 0 (flow's end): those points only, shown as gaps
    inner = lam[1:-1]
    assert np.isfinite(inner).all(), f"{process}: log-SNR has gaps inside the time range"
    finite = lam[np.isfinite(lam)]
    assert (np.diff(finite) <= 1e-9).all(), f"{process}: log-SNR is not decreasing in t"
    (vline,) = fig.layout.shapes
    assert vline.x0 == vline.x1 == t
    assert json_size(fig) < BUDGET
    fig_json(fig)  # strict JSON


def test_schedule_panel_uses_the_data_of_the_main_plot():
    """Issue 11.2: the schedule panel built VE without the data (σ_max = 50) while the main plot used the
    preset's σ_max: smiley at t = 0.6 read σ = 0.513 in the title and 1.638 in the panel."""
    main, schedule, _, _ = forward.forward_view("smiley", "ve", 0.6, True, 0)
    sigma = trace(schedule, "σ(t)")
    ts, ss = decode(sigma["x"]), decode(sigma["y"])
    at_t = float(np.exp(np.interp(0.6, ts, np.log(ss))))  # σ is geometric in t: interpolate its log
    assert "σ = 0.513" in main.layout.title.text
    assert at_t == pytest.approx(0.513, rel=2e-3), f"the panel's σ(0.6) is {at_t:.3f}, the title's 0.513"
    assert "σ_max = 7.08" in schedule.layout.title.text
    other = forward.schedule_figure("ve", 0.6, "ring8")
    assert not np.allclose(decode(trace(other, "σ(t)")["y"]), ss), "the panel ignores the data"


def test_keep_relative_moves_t_to_the_same_place_of_the_new_range():
    from demos.sharing import keep_relative

    ddpm, vp, edm = forward.time_range("ddpm"), forward.time_range("vp"), forward.time_range("edm")
    assert keep_relative(250, ddpm, vp) == pytest.approx(0.25, abs=0.005)  # 251/1000 of the way, on a 0.005 step
    assert keep_relative(0.25, vp, ddpm) == 249.0  # -1 + 0.25·1000, a whole timestep
    assert keep_relative(0.25, vp, edm) == pytest.approx(20.0)
    assert keep_relative(5000, ddpm, vp) == 1.0 and keep_relative(-7, ddpm, vp) == 0.0  # clipped into the range
    for a in forward.PROCESSES:
        for b in forward.PROCESSES:
            lo, hi, _ = forward.time_range(b)
            assert (
                lo <= keep_relative(forward.time_range(a)[1] * 0.37, forward.time_range(a), forward.time_range(b)) <= hi
            )


def test_links_drop_only_the_bad_value():
    """A link with one bad value keeps the others (issue 20): t=5000 on VE is dropped, VE and smiley stay;
    t falls back to the default's place in VE's range."""
    values = kit.drop_invalid(forward.SPEC, dict(preset="smiley", process="ve", t=5000.0))
    assert values["preset"] == "smiley" and values["process"] == "ve"
    assert values["t"] == pytest.approx(0.25, abs=0.005)
    assert "Smiley" in kit.draw(forward.SPEC, values)["main"].layout.title.text
    from demos.sharing import as_int, values_from_query

    assert as_int("1e3") == 1000 and as_int("20.0") == 20
    with pytest.raises(ValueError):
        as_int("2.5")
    read = values_from_query(reverse.CONTROLS, {"steps": "abc", "sampler": "ddpm"})
    by_name = dict(zip([c.name for c in reverse.CONTROLS], read))
    assert by_name["steps"] == 20 and by_name["sampler"] == "ddpm", "an unreadable value dropped the others"


def test_noised_picture_endpoints_and_determinism():
    lo, hi, _ = forward.time_range("ddpm")
    clean = forward.noised_picture("ring8", "ddpm", lo, 0)
    original = np.asarray(Image.open(forward.PICTURE).convert("RGB"))
    assert clean.shape == original.shape and clean.dtype == np.uint8
    assert np.abs(clean.astype(int) - original.astype(int)).max() <= 1, "at t = -1 the picture is not clean"
    noisy = forward.noised_picture("ring8", "ddpm", hi, 0)
    assert abs(noisy.mean() - 127.5) < 10 and noisy.std() > 60, "at t = T the picture is not pure noise"
    assert np.array_equal(noisy, forward.noised_picture("ring8", "ddpm", hi, 0))
    assert not np.array_equal(noisy, forward.noised_picture("ring8", "ddpm", hi, 1))


def test_prior_mismatch():
    kl0, _ = forward.prior_mismatch("ring8", "ddpm", -1.0)
    assert kl0 == float("inf")
    kl_mid, se_mid = forward.prior_mismatch("ring8", "ddpm", 250.0)
    kl_end, se_end = forward.prior_mismatch("ring8", "ddpm", 999.0)
    assert np.isfinite([kl_mid, se_mid, kl_end, se_end]).all()
    assert kl_mid > 0.1 > kl_end, "the prior mismatch should be large halfway and negligible at T"
    assert se_mid >= 0 and se_end >= 0
    assert "∞ (no noise yet)" in forward.mismatch_text("ring8", "ddpm", -1.0)


def test_forward_deterministic():
    args = ("smiley", "ve", 0.6, True, 3)
    first = forward.forward_figure(*args).to_json()
    forward._particles.cache_clear()
    assert forward.forward_figure(*args).to_json() == first
    assert forward.forward_figure("smiley", "ve", 0.6, True, 4).to_json() != first, "the seed does nothing"


@pytest.mark.parametrize(
    "args, message",
    [
        (("nope", "ddpm", 250.0), r"Unknown data 'nope': choose a preset \(ring8"),
        (("ring8", "ddpmx", 250.0), r"Unknown process 'ddpmx'"),
        (("ring8", "ddpm", 5000.0), r"t for ddpm must lie between -1 and 999; got 5000\."),
        (("ring8", "ve", 2.0), r"t for ve must lie between 0 and 1; got 2\."),
        (("ring8", "ddpm", float("nan")), r"t for ddpm must be a finite number\."),
        (("ring8", "ddpm", "soon"), r"t for ddpm must be a number, got 'soon'\."),
        (("ring8", "ddpm", 250.0, True, -1), r"Seed must lie between 0 and"),
        (("ring8", "ddpm", 250.0, True, 1.5), r"Seed must be a whole number; got 1\.5\."),
    ],
)
def test_forward_bad_input_is_a_readable_value_error(args, message):
    with pytest.raises(ValueError, match=message):
        forward.forward_view(*args)


# ---------------------------------------------------------------------------- reverse tab
DEFAULTS = {c.name: c.default for c in reverse.CONTROLS}


def reverse_args(**changes) -> list:
    values = {**DEFAULTS, "particles": 200, **changes}
    return [values[c.name] for c in reverse.CONTROLS]


def commitment_traces_sum_to_one(fig: go.Figure) -> None:
    stacked = [t for t in fig_json(fig)["data"] if t.get("stackgroup")]
    assert stacked and stacked[-1]["name"] == "others"
    total = sum(decode(t["y"]) for t in stacked)
    assert np.allclose(total, 1.0, atol=1e-6), "the posterior p(component | x_t) does not sum to 1"


@pytest.mark.parametrize(
    "changes",
    [
        dict(),
        dict(sampler="ddpm", steps=50),
        dict(sampler="edm_heun", process="edm", grid="karras", steps=18),
        dict(sampler="dpmpp_2m", grid="logsnr", steps=10, preset="grid25"),
        dict(sampler="flow_euler", process="flow", grid="linspace", steps=10, preset="moons"),
        dict(sampler="pf_adaptive", preset="spiral"),
    ],
    ids=["ddim", "ddpm", "edm_heun", "dpmpp_2m", "flow_euler", "pf_adaptive"],
)
def test_reverse_view_traces(changes):
    main, commit, text, last = reverse.reverse_view(*reverse_args(**changes))
    expected = [
        ("heatmap", "exact target p₀"),
        ("scatter", f"{reverse.N_SHOWN_PATHS} paths"),
        ("scattergl", "200 samples"),
        ("scatter", "particle #0"),
        ("scatter", "x̂₀ of particle #0"),
    ]
    if changes.get("sampler") == "pf_adaptive":  # solve_ivp reports no denoiser output per node
        expected = expected[:-1]
    assert traces(main) == expected
    assert n_points(trace(main, "200 samples")) == 200
    assert n_points(trace(main, "particle #0")) == last + 1
    assert f"step {last}/{last}" in main.layout.title.text
    assert_all_finite(main)
    assert_all_finite(commit)
    commitment_traces_sum_to_one(commit)
    assert json_size(main, commit) < BUDGET
    assert "NFE" in text and "MMD²" in text and "nan" not in text.lower()


def test_reverse_view_at_an_intermediate_step_and_other_particle():
    main, _, _, last = reverse.reverse_view(*reverse_args(step=5, inspect=7))
    assert last == 20
    assert traces(main) == [
        ("heatmap", "exact target p₀"),
        ("scatter", f"{reverse.N_SHOWN_PATHS} paths"),
        ("scattergl", "200 particles at step 5"),  # the cloud is min(particles, N_CLOUD)
        ("scatter", "particle #7"),
        ("scatter", "x̂₀ of particle #7"),
    ]
    assert n_points(trace(main, "particle #7")) == 6
    assert "step 5/20" in main.layout.title.text
    first, *_ = reverse.reverse_view(*reverse_args(step=0))
    assert "x̂₀ of particle #0" not in [n for _, n in traces(first)], "no x̂₀ exists before the first step"
    assert_all_finite(first)


@pytest.mark.parametrize("sampler", ["langevin", "annealed_langevin"])
def test_reverse_langevin_panel_shows_mass_per_mode_against_the_true_weights(sampler):
    """Langevin's records are not grid nodes: the lower panel shows the share of tracked particles in each
    mode over the steps (summing to 1 at every step) beside dashed lines at the true weights (issue 20, 7)."""
    from core.datasets import load_preset

    _, commit, text, last = reverse.reverse_view(
        *reverse_args(preset="ncsn_fig3", process="ve", grid="logsnr", sampler=sampler, steps=10, n_steps=200)
    )
    weights = load_preset("ncsn_fig3").weights
    data = fig_json(commit)["data"]
    shares = [t for t in data if t["name"].startswith("mode ")]
    truths = [t for t in data if t["name"].startswith("true weight")]
    assert len(shares) == len(truths) == len(weights)
    total = sum(decode(t["y"]) for t in shares)
    assert np.allclose(total, 1.0), "the shares of the modes do not add up to 1"
    assert sorted(float(decode(t["y"])[0]) for t in truths) == pytest.approx(sorted(weights))
    assert decode(shares[0]["x"])[-1] == last
    assert "Mass per mode" in commit.layout.title.text and "true" in commit.layout.title.text
    assert "mode shares" in text
    assert_all_finite(commit)


def test_reverse_worst_case_scene_within_budget():
    """The heaviest shipped scene (DDPM, 1000 steps, 1000 particles), at the end and halfway."""
    args = reverse_args(sampler="ddpm", steps=1000, particles=1000)
    main, commit, _, last = reverse.reverse_view(*args)
    assert last == 1000
    assert json_size(main, commit) < BUDGET
    assert_all_finite(main)
    args[[c.name for c in reverse.CONTROLS].index("step")] = 500
    main, commit, _, _ = reverse.reverse_view(*args)
    assert json_size(main, commit) < BUDGET


def test_reverse_deterministic():
    args = reverse_args(sampler="ddpm", steps=30, seed=5)
    first = [f.to_json() for f in reverse.reverse_view(*args)[:2]]
    reverse.run.cache_clear()
    assert [f.to_json() for f in reverse.reverse_view(*args)[:2]] == first
    other = reverse_args(sampler="ddpm", steps=30, seed=6)
    assert reverse.reverse_view(*other)[0].to_json() != first[0], "the seed does nothing"


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(sampler="nope"), r"^Unknown sampler 'nope'\. Pick one from the Sampler list \(keys such as ddim"),
        (dict(grid="weird"), r"Unknown time grid 'weird'"),
        (dict(steps=0), r"Steps must lie between 1 and 1000; got 0\."),
        (dict(steps=2.5), r"Steps must be a whole number; got 2\.5\."),
        (dict(particles=5), r"Particles must lie between 10 and 4000; got 5\."),
        (dict(inspect=400), r"Particle to inspect must lie between 0 and 399; got 400\."),
        (dict(step=-1), r"Step must lie between 0 and"),
        (dict(eta=2.0), r"η must lie in \[0, 1\], got 2"),
    ],
)
def test_reverse_bad_input_is_a_readable_value_error(changes, message):
    with pytest.raises(ValueError, match=message):
        reverse.reverse_view(*reverse_args(**changes))


# ---------------------------------------------------------------------------- DDIM table tab
def test_ddim_view_traces_and_table():
    heat, rows, cell, paths = ddim_table.ddim_view("ring8", 500, 0, 20, "η = 1.0")
    (h,) = fig_json(heat)["data"]
    assert h["type"] == "heatmap"
    assert decode(h["z"]).shape == (len(ddim_table.VARIANTS), len(ddim_table.STEPS))
    assert h["y"] == list(ddim_table.VARIANTS) and h["x"] == [f"S = {s}" for s in ddim_table.STEPS]
    assert len(rows) == len(ddim_table.VARIANTS) and all(len(r) == 1 + len(ddim_table.STEPS) for r in rows)
    assert [r[0] for r in rows] == list(ddim_table.VARIANTS)
    assert np.isfinite(np.array([r[1:] for r in rows], dtype=float)).all()
    # the heatmap's text is the table, cell for cell
    assert h["text"] == [[f"{v:.1f}" for v in r[1:]] for r in rows]
    assert traces(cell) == [("heatmap", "exact target p₀"), ("scattergl", "DDIM samples (η = 1.0, S = 20)")]
    assert n_points(trace(cell, "DDIM samples (η = 1.0, S = 20)")) == 500
    value = rows[list(ddim_table.VARIANTS).index("η = 1.0")][1 + ddim_table.STEPS.index(20)]
    assert f"{value:+.1f} floor units" in cell.layout.title.text
    assert traces(paths) == [
        ("heatmap", "exact target p₀"),
        ("scatter", "η = 0"),
        ("scatter", "η = 1"),
        ("scattergl", "shared starting noise"),
    ]
    for fig in (heat, cell, paths):
        assert_all_finite(fig)
    assert json_size(heat, cell, paths) < BUDGET


def test_ddim_paths_share_their_start_and_differ():
    fig = ddim_table.paths_figure("ring8", 20, 0)
    start = np.stack([decode(trace(fig, "shared starting noise")[k]) for k in "xy"], 1)
    for name in ("η = 0", "η = 1"):
        xy = np.stack([decode(trace(fig, name)[k]) for k in "xy"], 1)
        firsts = xy[np.r_[True, np.isnan(xy[:-1, 0])] & ~np.isnan(xy[:, 0])]
        assert np.allclose(firsts, start, atol=1e-5), f"{name} paths do not start at the shared noise"
    a, b = (decode(trace(fig, n)["x"]) for n in ("η = 0", "η = 1"))
    assert not np.allclose(np.nan_to_num(a), np.nan_to_num(b))


def test_ddim_largest_view_within_budget():
    """The biggest update: 2,000 particles in the cell (the figure functions are pure, so synthetic
    samples stand in for a 2,000-particle table that takes seconds to compute)."""
    samples = np.random.default_rng(0).standard_normal((2000, 2))
    units = np.full((len(ddim_table.VARIANTS), len(ddim_table.STEPS)), 123.4)
    heat = ddim_table.table_figure(units, 2000)
    cell = ddim_table.cell_figure("grid25", samples, 1000, "σ̂", 123.4)
    paths = ddim_table.paths_figure("grid25", 100, 0)
    assert n_points(trace(cell, "DDIM samples (σ̂, S = 1000)")) == 2000
    for fig in (heat, cell, paths):
        assert_all_finite(fig)
    assert json_size(heat, cell, paths) < BUDGET


def test_ddim_deterministic():
    args = ("ring8", 500, 0, 50, "η = 0.5")  # cached by the test above, then recomputed
    first = [f.to_json() for f in ddim_table.ddim_view(*args) if isinstance(f, go.Figure)]
    ddim_table._TABLES.clear()
    assert [f.to_json() for f in ddim_table.ddim_view(*args) if isinstance(f, go.Figure)] == first


@pytest.mark.parametrize(
    "args, message",
    [
        (("nope", 1000, 0, 10, "η = 0.0"), r"Unknown data 'nope'"),
        (("ring8", 1500, 0, 10, "η = 0.0"), r"Particles must be one of \(500, 1000, 2000\)"),
        (("ring8", 1000, 0, 30, "η = 0.0"), r"Cell steps must be one of \(10, 20, 50, 100, 1000\)\."),
        (("ring8", 1000, 0, 10, "η = 0.3"), r"Unknown variant 'η = 0.3'"),
        (("ring8", 1000, -3, 10, "η = 0.0"), r"Seed must lie between 0 and"),
    ],
)
def test_ddim_bad_input_is_a_readable_value_error(args, message):
    with pytest.raises(ValueError, match=message):
        ddim_table.ddim_view(*args)


# ---------------------------------------------------------------------------- guidance tab
CURVE_NAMES = ["share in class", "exp(mean log p(c|x))", "mode TV within class", "rms spread around modes"]


@pytest.mark.parametrize(
    "preset, label, w", [("guidance_collapse", 0, 3.0), ("ring8_soft", 1, 0.0), ("moons", 0, 10.0)]
)
def test_guidance_view_traces(preset, label, w):
    samples, curves, text = guidance.guidance_view(preset, label, w, 500, 20, 0)
    assert traces(samples) == [
        ("contour", "unconditional p(x)"),
        ("contour", f"p(x | c = {label})"),
        ("scattergl", f"guided samples, w = {w:g}"),
    ]
    assert n_points(trace(samples, f"guided samples, w = {w:g}")) == 500
    data = fig_json(curves)["data"]
    assert [t["type"] for t in data] == ["scatter"] * 8
    assert [t.get("name") for t in data if t.get("showlegend") is not False] == CURVE_NAMES
    for t in data:
        if t.get("showlegend") is False:  # the diamond marking the current w
            assert decode(t["x"]).tolist() == [w]
        else:
            assert decode(t["x"]).tolist() == list(guidance.W_CURVE)
    share = decode(trace(curves, "share in class")["y"])
    assert ((share >= 0) & (share <= 1)).all()
    for fig in (samples, curves):
        assert_all_finite(fig)
    assert json_size(samples, curves) < BUDGET
    assert f"At w = {w:g}:" in text and "nan" not in text.lower()


def test_guidance_largest_view_within_budget():
    samples, curves, _ = guidance.guidance_view("ring8_soft", 1, 7.0, 2000, 200, 0)
    assert json_size(samples, curves) < BUDGET


def test_guidance_deterministic():
    args = ("ring8_soft", 0, 2.0, 300, 10, 1)
    first = [f.to_json() for f in guidance.guidance_view(*args)[:2]]
    guidance.curves.cache_clear()
    assert [f.to_json() for f in guidance.guidance_view(*args)[:2]] == first
    other = guidance.guidance_view("ring8_soft", 0, 2.0, 300, 10, 2)[0].to_json()
    assert other != first[0], "the seed does nothing"


@pytest.mark.parametrize(
    "args, message",
    [
        (("nope", 0, 3.0, 1000, 50, 0), r"Unknown data 'nope'"),
        (("guidance_collapse", 7, 3.0, 1000, 50, 0), r"Class must lie between 0 and 1; got 7\."),
        (("guidance_collapse", 0, 11.0, 1000, 50, 0), r"Guidance w must lie between 0 and 10; got 11\."),
        (("guidance_collapse", 0, -0.5, 1000, 50, 0), r"Guidance w must lie between 0 and 10; got -0\.5\."),
        (("guidance_collapse", 0, 3.0, 50, 50, 0), r"Particles must lie between 100 and 2000; got 50\."),
        (("guidance_collapse", 0, 3.0, 1000, 500, 0), r"Steps must lie between 5 and 200; got 500\."),
    ],
)
def test_guidance_bad_input_is_a_readable_value_error(args, message):
    with pytest.raises(ValueError, match=message):
        guidance.guidance_view(*args)
