"""The Inpainting & SDEdit tab's and the guidance tab's endpoints, called through `gradio_client` against the
running app (conftest.py), including issue 20.3: /guidance accepts every class of the data (smiley's class 2)."""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from core import conditional as C
from demos import guidance, inpainting

LEAKS = re.compile(r"Traceback|File \"|\.py\b|/work/|/tmp/|site-packages|line \d+", re.IGNORECASE)
BUDGET = 1_500_000  # bytes of figure JSON per update


@pytest.fixture(scope="module")
def client(app_url, tmp_path_factory) -> Client:
    return Client(app_url, verbose=False, download_files=str(tmp_path_factory.mktemp("downloads")))


def _reject(token: str):
    raise AssertionError(f"figure JSON contains {token}")


def plot(output) -> dict:
    assert isinstance(output, dict) and output.get("type") == "plotly", str(output)[:200]
    return json.loads(output["plot"], parse_constant=_reject)


def decode(value) -> np.ndarray:
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"])).astype(np.float64)
    return np.asarray(value, dtype=np.float64)


def names(fig: dict) -> list[str | None]:
    return [t.get("name") for t in fig["data"]]


def title(fig: dict) -> str:
    return fig["layout"]["title"]["text"]


def size(*outputs) -> int:
    return sum(len(o["plot"].encode()) for o in outputs)


def refused(client, message: str, *args, api_name: str, **kwargs) -> None:
    with pytest.raises(AppError) as info:
        client.predict(*args, api_name=api_name, **kwargs)
    text = str(info.value)
    assert re.search(message, text), f"unexpected message: {text!r}"
    assert not LEAKS.search(text), f"the error leaks internals: {text!r}"


# ---------------------------------------------------------------------------- the API page
def test_endpoints_take_the_links_argument_names(client):
    api = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    assert [p["parameter_name"] for p in api["/inpaint"]["parameters"]] == inpainting.INPAINT_NAMES
    assert [p["parameter_name"] for p in api["/sdedit"]["parameters"]] == inpainting.SDEDIT_NAMES
    assert [p["parameter_name"] for p in api["/guidance"]["parameters"]] == [c.name for c in guidance.CONTROLS]
    for name in ("/inpaint_data", "/sdedit_data", "/guidance_data", "/classifier_data", "/classifier"):
        assert name in api


# ---------------------------------------------------------------------------- /guidance (issue 20.3)
def test_guidance_accepts_smileys_class_2(client):
    """Smiley has classes 0, 1, 2; the class dropdown starts with guidance_collapse's 0 and 1, which Gradio
    used to enforce on the API. Class 2 (the mouth) must be accepted and drawn."""
    samples, curves, text = client.predict("smiley", 2, 2.0, 300, 10, 0, api_name="/guidance")
    fig = plot(samples)
    assert "p(x | c = 2)" in names(fig)
    assert "class 2" in title(fig) and "w = 2" in title(fig)
    assert text.startswith("At w = 2:") and "in class 2" in text
    assert size(samples, curves) < BUDGET


def test_guidance_refuses_a_class_the_data_does_not_have(client):
    refused(client, r"Class must lie between 0 and 2; got 7\.", "smiley", 7, 2.0, 300, 10, 0, api_name="/guidance")
    refused(client, r"Class must be a number", "smiley", "mouth", 2.0, 300, 10, 0, api_name="/guidance")


def test_guidance_positional_call_of_six_arguments_still_works(client):
    """The API before the classifier panel took six arguments; the new ones have defaults."""
    samples, _, text = client.predict("guidance_collapse", 1, 5.0, 300, 10, 0, api_name="/guidance")
    assert names(plot(samples)) == ["unconditional p(x)", "p(x | c = 1)", "guided samples, w = 5"]


def test_guidance_exact_classifier_overlay_is_cfg(client):
    samples, _, text = client.predict(
        "guidance_collapse", 0, 3.0, 300, 20, 0, "exact", api_name="/guidance"
    )  # fmt: skip
    fig = plot(samples)
    assert names(fig)[-1] == "classifier guidance (exact classifier), γ = 4"
    cfg = np.stack([decode(fig["data"][2]["x"]), decode(fig["data"][2]["y"])], 1)
    cg = np.stack([decode(fig["data"][3]["x"]), decode(fig["data"][3]["y"])], 1)
    np.testing.assert_array_equal(cfg, cg)  # float32 on the wire: equal after rounding to float32
    assert "differ from CFG's by at most" in text
    data = client.predict(preset="guidance_collapse", label=0, w=3.0, particles=300, steps=20, overlay="exact",
                          api_name="/guidance_data")  # fmt: skip
    assert data["classifier_guidance"]["max_abs_difference_from_cfg"] <= 1e-10 * 5
    assert len(data["samples"]) == 300 and data["diffusers_guidance_scale"] == 4.0
    assert len(data["curves"]["w"]) == len(data["curves"]["in_class"]) == len(guidance.W_CURVE)


def test_classifier_data_is_deterministic_and_reports_training(client):
    kwargs = dict(preset="guidance_collapse", label=0, w=3.0, particles=200, steps=10, train_steps=200, heat_t=100)
    a = client.predict(**kwargs, api_name="/classifier_data")
    b = client.predict(**kwargs, api_name="/classifier_data")
    assert a["train_steps"] == 200 and len(a["losses"]) == 200
    assert a["losses"] == b["losses"]
    for key in ("median_angle_near_data", "median_angle_far_from_data"):
        assert 0 <= a[key] <= 180
    assert 0 <= a["learned_classifier_guidance"]["in_class"] <= 1


def test_classifier_panel_endpoint(client):
    loss, heat, compare, text = client.predict(
        "guidance_collapse", 0, 3.0, 200, 10, 0, "none", 200, 300, api_name="/classifier"
    )  # fmt: skip
    assert "Training" in title(plot(loss)) and "t = 300" in title(plot(heat))
    assert names(plot(compare)) == ["p(x | c = 0)", "exact classifier (= CFG)", "learned classifier"]
    assert text.startswith("Trained 200 steps")
    # the slider's own range check (Gradio's message), then ours on the typed data endpoint
    refused(client, r"Value 50 is less than minimum value 100", "guidance_collapse", 0, 3.0, 200, 10, 0, "none",
            50, 300, api_name="/classifier")  # fmt: skip
    refused(client, r"^Training steps must lie between 100 and 3,?000; got 50\.$", preset="guidance_collapse",
            train_steps=50, api_name="/classifier_data")  # fmt: skip


# ---------------------------------------------------------------------------- /inpaint
def test_inpaint_endpoint(client):
    main, curve, text = client.predict("four_corners", 2.0, 5, 1, 50, 1000, 0, api_name="/inpaint")
    fig = plot(main)
    assert names(fig)[:2] == ["data p₀", "known x₁ = 2"]
    assert {"exact p(x₂ | x₁)", "naive replacement", "RePaint U = 5"} <= set(names(fig))
    assert "P(x₂ > 0 | x₁ = 2): exact 0.200" in title(fig).replace("<br>", " ")
    assert "team's earlier run (4,000 samples)" in names(plot(curve))
    assert "| naive replacement |" in text and "W₁" in text
    assert size(main, curve) < BUDGET


def test_inpaint_data_numbers(client):
    d = client.predict(preset="four_corners", x1=2.0, resamplings=3, jump=1, steps=20, particles=500, seed=1,
                       api_name="/inpaint_data")  # fmt: skip
    assert d["exact_p_positive"] == pytest.approx(0.2, abs=1e-9)
    assert d["methods"]["naive"]["nfe"] == 20 and d["methods"]["repaint"]["nfe"] == C.schedule_nfe(20, 3, 1)
    for key in ("naive", "repaint", "reference"):
        x2 = np.array(d["x2"][key])
        assert x2.shape == (500,) and np.isfinite(x2).all()
        assert d["methods"][key]["p_pos"] == pytest.approx((x2 > 0).mean(), abs=1e-12)
    assert set(d["u_curve"]) == {"1", "2", "5", "10"}
    assert d["w1_floor"]["sd"] > 0


def test_inpaint_bad_input(client):
    refused(client, r"Known x₁ must lie between -2\.9 and 2\.9; got 7\.", "four_corners", 7.0, 5, 1, 50, 1000, 0,
            api_name="/inpaint")  # fmt: skip
    refused(client, r"exceeds this shared app's cap", "four_corners", 2.0, 20, 1, 250, 4000, 0, api_name="/inpaint")
    refused(client, r"Jump length j must be smaller than the number of steps", "four_corners", 2.0, 5, 25, 20,
            1000, 0, api_name="/inpaint")  # fmt: skip


# ---------------------------------------------------------------------------- /sdedit
def test_sdedit_endpoint_and_data(client):
    main, curve, text = client.predict("four_corners", "square", "", 0.3, 20, 0, api_name="/sdedit")
    fig = plot(main)
    assert names(fig)[0] == "data p₀" and "guide" in names(fig) and "SDEdit outputs" in names(fig)
    assert "t₀ = 0.3" in title(fig)
    assert "realism" in text and "paper's range" in text
    d = client.predict(preset="four_corners", stroke="typed", points="0, 0; 1, 1", t0=0.2, sd_steps=20,
                       api_name="/sdedit_data")  # fmt: skip
    assert len(d["guide"]) == len(d["outputs"]) == inpainting.SD_POINTS
    assert sorted({tuple(p) for p in d["guide"]}) == [(0.0, 0.0), (1.0, 1.0)]
    assert len(d["curves"]["t0"]) == len(d["curves"]["realism"]) == len(inpainting.T0_SLIDER)
    assert 0 <= d["realism"] <= 1 and d["mean_distance_to_guide"] > 0


def test_sdedit_bad_input(client):
    refused(client, r"Guide point 1 .* must be two numbers", "four_corners", "typed", "1; 2", 0.3, 20, 0,
            api_name="/sdedit")  # fmt: skip
    refused(client, r"t₀ must lie between 0\.02 and 1", preset="four_corners", stroke="line", t0=1.5,
            api_name="/sdedit_data")  # fmt: skip
