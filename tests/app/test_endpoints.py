"""Every named endpoint of the running app (`python app.py` on a free port, see conftest.py), called the
way an API user calls it: through `gradio_client`.

A plot output arrives as {"type": "plotly", "plot": "<figure JSON>"}; the JSON is parsed strictly (the
browser's JSON.parse rejects NaN/Infinity) and plotly 7's base64 "bdata" arrays are decoded.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError
from PIL import Image

from demos import ddim_table, forward, guidance, reverse

BUDGET = 1_500_000  # bytes of figure JSON per update
ENDPOINTS = {"/forward": forward, "/reverse": reverse, "/ddim_table": ddim_table, "/guidance": guidance}
DATA_ENDPOINTS = {"/forward_data", "/reverse_data"}
HELPER_NAMES = re.compile(r"lambda|on_|tick|handler|first_show|switch|finish|refused|full_view|step_view|wrapper|fn\b")
LEAKS = re.compile(r"Traceback|File \"|\.py\b|/work/|/tmp/|site-packages|line \d+", re.IGNORECASE)


@pytest.fixture(scope="module")
def client(app_url, tmp_path_factory) -> Client:
    return Client(app_url, verbose=False, download_files=str(tmp_path_factory.mktemp("downloads")))


# ---------------------------------------------------------------------------- helpers
def _reject(token: str):
    raise AssertionError(f"figure JSON contains {token}")


def decode(value) -> np.ndarray:
    if isinstance(value, dict) and "bdata" in value:
        arr = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]).newbyteorder("<"))
        return arr.astype(np.float64)
    return np.asarray(value, dtype=np.float64)


def plot(output) -> dict:
    """The figure dict of a gr.Plot output, checked to be plotly and strict JSON."""
    assert isinstance(output, dict) and output.get("type") == "plotly", f"not a plotly plot: {str(output)[:200]}"
    return json.loads(output["plot"], parse_constant=_reject)


def names(fig: dict) -> list[tuple[str, str | None]]:
    return [(t["type"], t.get("name")) for t in fig["data"]]


def plot_bytes(outputs) -> int:
    return sum(len(o["plot"].encode()) for o in outputs if isinstance(o, dict) and o.get("type") == "plotly")


def title(fig: dict) -> str:
    return fig["layout"]["title"]["text"]


def reverse_args(**changes) -> list:
    """Positional /reverse arguments (`step` None: the last step; S_tmax, whose default 1e5 is sent as None,
    "an empty box: the default")."""
    values = {c.name: c.default for c in reverse.CONTROLS}
    values.update(s_tmax=None, particles=500)
    values.update(changes)
    return [values[c.name] for c in reverse.CONTROLS]


def assert_clean_error(err: AppError, message: str) -> None:
    text = str(err)
    assert re.search(message, text), f"unexpected message: {text!r}"
    assert not LEAKS.search(text), f"the error leaks internals: {text!r}"


# ---------------------------------------------------------------------------- the API page
def test_view_api_lists_the_endpoints_and_no_helpers(client):
    """The tabs' endpoints are there (other tabs may add theirs), no helper event is, and the arguments
    carry the URL's names (`seed`, not `seed_value`)."""
    api = client.view_api(return_format="dict", print_info=False)
    named = api["named_endpoints"]
    assert set(ENDPOINTS) | DATA_ENDPOINTS <= set(named)
    helpers = [n for n in named if HELPER_NAMES.search(n)]
    assert not helpers, f"helper events are public API endpoints: {helpers}"
    assert api["unnamed_endpoints"] == {}, "helper events (load, tab select, timers) should be private"
    for name, module in ENDPOINTS.items():
        params = named[name]["parameters"]
        assert len(params) == len(module.CONTROLS), f"{name} takes {len(params)} arguments"
    for name, module in [("/forward", forward), ("/reverse", reverse)]:
        given = [p["parameter_name"] for p in named[name]["parameters"]]
        assert given == [c.name for c in module.CONTROLS], f"{name}'s arguments are not the URL's names: {given}"
    for name in DATA_ENDPOINTS:
        given = {p["parameter_name"] for p in named[name]["parameters"]}
        assert "seed" in given and "seed_value" not in given, f"{name} takes {sorted(given)}"


def test_every_endpoint_answers_a_call_with_no_arguments(client):
    """Issue 26.11: every endpoint the API page lists takes its defaults when called with nothing at all."""
    named = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    required = {
        name: [p["parameter_name"] for p in info["parameters"] if not p["parameter_has_default"]]
        for name, info in named.items()
    }
    assert {k: v for k, v in required.items() if v} == {}, "endpoints with required arguments"
    for name in named:
        assert client.predict(api_name=name) is not None, name


# ---------------------------------------------------------------------------- /forward
def test_forward_endpoint(client):
    main, schedule, picture, text = client.predict("smiley", "ve", 0.6, True, 0, api_name="/forward")
    fig = plot(main)
    assert names(fig) == [("heatmap", "exact p_t"), ("scattergl", "particles x_t"), ("scatter", "score ∇log p_t")]
    assert len(decode(fig["data"][1]["x"])) == forward.N_PARTICLES
    assert np.isfinite(decode(fig["data"][1]["x"])).all()
    assert "t = 0.6" in title(fig)
    assert names(plot(schedule)) == [("scatter", "α(t)"), ("scatter", "σ(t)"), ("scatter", "log-SNR λ(t)")]
    with Image.open(picture) as im:
        assert im.size == (128, 128)
    assert "Prior mismatch" in text
    assert plot_bytes([main, schedule]) < BUDGET


def test_forward_endpoint_is_deterministic_and_follows_t(client):
    a = client.predict("ring8", "ddpm", 100, False, 0, api_name="/forward")[0]
    b = client.predict("ring8", "ddpm", 100, False, 0, api_name="/forward")[0]
    c = client.predict("ring8", "ddpm", 700, False, 0, api_name="/forward")[0]
    assert a["plot"] == b["plot"]
    assert "t = 700" in title(plot(c)) and a["plot"] != c["plot"]
    assert names(plot(a)) == [("heatmap", "exact p_t"), ("scattergl", "particles x_t")]


# ---------------------------------------------------------------------------- /reverse
def test_reverse_endpoint(client):
    main, commit, metrics = client.predict(*reverse_args(), api_name="/reverse")
    fig = plot(main)
    assert names(fig)[:3] == [
        ("heatmap", "exact target p₀"),
        ("scatter", f"{reverse.N_SHOWN_PATHS} paths"),
        ("scattergl", "500 samples"),
    ]
    assert "step 20/20" in title(fig)
    assert "component" in json.dumps(plot(commit)["data"])
    assert "NFE" in metrics and "MMD²" in metrics
    assert plot_bytes([main, commit]) < BUDGET


def test_reverse_endpoint_shows_an_intermediate_step(client):
    main, _, _ = client.predict(*reverse_args(sampler="ddpm", steps=50, step=7, inspect=3), api_name="/reverse")
    fig = plot(main)
    assert "step 7/50" in title(fig)
    assert ("scatter", "particle #3") in names(fig)


def test_reverse_endpoint_gives_the_final_step_of_a_long_run(client):
    """Issue 11.8 / 20.2: `step` was range-checked against the page's initial slider maximum of 20, so a
    1000-step DDPM could not be shown at its end; and step=None gave a generic server error."""
    main, _, _ = client.predict(*reverse_args(sampler="ddpm", steps=1000, step=1000), api_name="/reverse")
    assert "step 1000/1000" in title(plot(main))
    main, _, _ = client.predict(*reverse_args(sampler="ddpm", steps=1000, step=None), api_name="/reverse")
    assert "step 1000/1000" in title(plot(main)), "step=None must give the final step"
    main, _, _ = client.predict(*reverse_args(sampler="ddpm", steps=1000, step=640), api_name="/reverse")
    assert "step 640/1000" in title(plot(main))


def test_reverse_data_endpoint_returns_samples_and_metrics(client):
    out = client.predict(sampler="ddim", steps=10, particles=300, seed=3, api_name="/reverse_data")
    samples = np.array(out["samples"])
    assert samples.shape == (300, 2) and np.isfinite(samples).all()
    assert out["nfe"] == 10
    for key in ("mmd2", "mmd2_floor_units", "mode_tv", "mean_nll"):
        assert isinstance(out[key], float) and np.isfinite(out[key]), key
    assert set(out["mode_tv_exact"]) == {"mean", "sd"} and set(out["mean_nll_exact"]) == {"mean", "sd"}
    assert sum(out["mode_shares"]) == pytest.approx(1.0) and len(out["mode_shares"]) == len(out["weights"])
    again = client.predict(sampler="ddim", steps=10, particles=300, seed=3, api_name="/reverse_data")
    assert again["samples"] == out["samples"], "same seed, other samples"
    other = client.predict(sampler="ddim", steps=10, particles=300, seed=4, api_name="/reverse_data")
    assert other["samples"] != out["samples"], "the seed does nothing"


def test_forward_data_endpoint_returns_particles(client):
    out = client.predict(preset="smiley", process="ve", t=0.6, seed=0, api_name="/forward_data")
    xt, x0, eps = (np.array(out[k]) for k in ("particles", "x0", "eps"))
    assert xt.shape == x0.shape == eps.shape == (forward.N_PARTICLES, 2)
    assert out["alpha"] == pytest.approx(1.0) and out["sigma"] == pytest.approx(0.513, abs=1e-3)
    # x_t = α x₀ + σ ε, to the 6 decimals the endpoint rounds to (|x| ≲ 10, so 1e-5 is rounding)
    assert np.abs(xt - (out["alpha"] * x0 + out["sigma"] * eps)).max() < 1e-5
    assert out["kl_nats"] > 0 and out["kl_standard_error"] > 0


def test_reverse_endpoint_by_name_with_defaults_for_edm_heun(client):
    """What an API user types after reading the API page: the sampler and its usual settings by name, the
    other arguments left to their defaults (S_tmax, whose default ∞ is not JSON, is given as None)."""
    main, _, _ = client.predict(
        sampler="edm_heun", process="edm", grid="karras", steps=18, step=18, s_tmax=None, api_name="/reverse"
    )
    assert "EDM Heun" in title(plot(main)) and "step 18/18" in title(plot(main))


# ---------------------------------------------------------------------------- /ddim_table
def test_ddim_table_endpoint(client):
    heat, rows, cell, paths = client.predict("ring8", 1000, 0, 20, "η = 1.0", api_name="/ddim_table")
    (h,) = plot(heat)["data"]
    assert h["type"] == "heatmap" and h["y"] == list(ddim_table.VARIANTS)
    assert rows["headers"] == ["variance", *[f"S={s}" for s in ddim_table.STEPS]]
    assert [r[0] for r in rows["data"]] == list(ddim_table.VARIANTS)
    assert np.isfinite(np.array([r[1:] for r in rows["data"]], dtype=float)).all()
    assert names(plot(cell)) == [("heatmap", "exact target p₀"), ("scattergl", "DDIM samples (η = 1.0, S = 20)")]
    assert ("scatter", "η = 1") in names(plot(paths))
    assert plot_bytes([heat, cell, paths]) < BUDGET


# ---------------------------------------------------------------------------- /guidance
def test_guidance_endpoint(client):
    samples, curves, text = client.predict("guidance_collapse", 1, 5.0, 500, 20, 0, api_name="/guidance")
    fig = plot(samples)
    assert names(fig) == [
        ("contour", "unconditional p(x)"),
        ("contour", "p(x | c = 1)"),
        ("scattergl", "guided samples, w = 5"),
    ]
    assert len(decode(fig["data"][2]["x"])) == 500
    assert len(plot(curves)["data"]) == 8
    assert text.startswith("At w = 5:")
    assert plot_bytes([samples, curves]) < BUDGET


# ---------------------------------------------------------------------------- bad arguments
@pytest.mark.parametrize(
    "api_name, args, message",
    [
        ("/forward", ("ring8", "ve", 50, True, 0), r"^t for ve must lie between 0 and 1; got 50\.$"),
        ("/forward", ("nope", "ddpm", 250, True, 0, False), r"^Unknown data 'nope'"),  # the data box takes text
        ("/reverse", "inspect", r"^Particle to inspect must be a whole number; got 1\.5\.$"),
        ("/reverse", "step_size", r"^step ε must lie in \[1e-05, 1\], got 0$"),
        ("/ddim_table", ("ring8", 1000, 2**31, 10, "η = 0.0"), r"^Seed must lie between 0 and"),
        ("/guidance", ("guidance_collapse", 0, 3.0, 1000, 50, 2**31), r"^Seed must lie between 0 and"),
    ],
)
def test_bad_argument_gives_a_clean_error(client, api_name, args, message):
    if args == "inspect":
        args = reverse_args(inspect=1.5)
    elif args == "step_size":
        args = reverse_args(sampler="langevin", step_size=0.0)  # a gr.Number: only our check applies
    with pytest.raises(AppError) as info:
        client.predict(*args, api_name=api_name)
    assert_clean_error(info.value, message)


def test_server_log_has_no_unexpected_errors(client):
    """Bad arguments are the user's problem: none reached the app's catch-all ("unexpected error in ...",
    logged by demos.inputs.user_facing). Gradio itself prints a traceback when its own input check
    rejects a value (the "nope" preset above); that one is not ours and is not counted."""
    client.predict("ring8", "ddpm", 250, True, 0, api_name="/forward")  # the server is still serving
    log = (Path(__file__).resolve().parents[2] / "test-output" / "app-server.log").read_text()
    assert "unexpected error in" not in log, log[-3000:]
