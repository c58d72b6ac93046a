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
    """Positional /reverse arguments. `step` is a slider whose maximum Gradio checks against the page's
    initial 20; S_tmax (default ∞, which JSON cannot carry) is sent as None, "an empty box: the default"."""
    values = {c.name: c.default for c in reverse.CONTROLS}
    values.update(step=20, s_tmax=None, particles=500)
    values.update(changes)
    return [values[c.name] for c in reverse.CONTROLS]


def assert_clean_error(err: AppError, message: str) -> None:
    text = str(err)
    assert re.search(message, text), f"unexpected message: {text!r}"
    assert not LEAKS.search(text), f"the error leaks internals: {text!r}"


# ---------------------------------------------------------------------------- the API page
def test_view_api_lists_the_four_endpoints_and_nothing_else(client):
    api = client.view_api(return_format="dict", print_info=False)
    assert set(api["named_endpoints"]) == set(ENDPOINTS)
    assert api["unnamed_endpoints"] == {}, "helper events (load, tab select, timers) should be private"
    for name, module in ENDPOINTS.items():
        params = api["named_endpoints"][name]["parameters"]
        assert len(params) == len(module.CONTROLS), f"{name} takes {len(params)} arguments"


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
        ("/forward", ("nope", "ddpm", 250, True, 0), r"nope.*not in the list of choices"),  # Gradio's own check
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
