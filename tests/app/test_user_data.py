"""A user mixture (`gmm:` spec) through the running app's API, the way an API user or a shared link sends it:
every named endpoint that takes a `preset` accepts one, bad specs get the data spec's own message, the
"Your data" endpoints return the canonical spec, and the exact metrics on a user mixture behave as on the
presets: DDIM with 1000 steps is within the noise floor, 10 steps on the same sharp mixture is not.

Noise floor: MMD² in units of its spread over 20 exact sample sets of the same size (core.metrics); exact
sampling exceeds 2 units about 4 % of the time, and 4 units (the bound used here, as in
tests/core/test_samplers.py) was the largest of 200 exact sample sets.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from core.dataspec import canonical, data_title

# three components, two classes (the guidance tab needs two), one of them anisotropic and rotated
USER_SPEC = "gmm:1,-1.5,0,0.15,0.15,0,0;1,1.5,0,0.3,0.1,30,1;0.5,0,1.5,0.2,0.2,0,1"
TITLE = data_title(USER_SPEC)  # "Your mixture (3 components)"
WITHIN_FLOOR = 4.0
LEAKS = re.compile(r"Traceback|File \"|\.py\b|/work/|site-packages|line \d+", re.IGNORECASE)
# a few endpoints need an argument without a default (step; S_tmax's default ∞ is not JSON), one refuses
# its default for sharp data with a message saying what to use (the plain Langevin step), and the heavy ones
# (a network trained live, a race of every sampler) get their smallest settings to keep the test short
EXTRA = {
    "/reverse": dict(step=20, particles=500, s_tmax=None),
    "/reverse_data": dict(particles=500, s_tmax=None),
    "/langevin": dict(plain_step=0.001),
    "/langevin_level": dict(plain_step=0.001),
    "/langevin_field": dict(plain_step=0.001),
    "/learned": dict(train_steps=300),
    "/learned_data": dict(train_steps=300),
    "/learned_error": dict(train_steps=300),
    "/race": dict(particles=500),
    "/race_data": dict(particles=500),
    "/fewsteps_distill_data": dict(d_steps=100),  # a user mixture's students train live, within the live cap
    "/fewsteps_train_distill": dict(d_steps=100),
}


def _reject(token: str):
    raise AssertionError(f"figure JSON contains {token}")


@pytest.fixture(scope="module")
def client(app_url, tmp_path_factory) -> Client:
    return Client(app_url, verbose=False, download_files=str(tmp_path_factory.mktemp("downloads")))


@pytest.fixture(scope="module")
def endpoints(client) -> dict:
    api = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    return {name: [p["parameter_name"] for p in ep["parameters"]] for name, ep in api.items()}


def test_the_core_tabs_take_a_preset_argument(endpoints):
    for name in ("/forward", "/reverse", "/ddim_table", "/guidance"):
        assert "preset" in endpoints.get(name, []), f"{name} should take the data spec as `preset`"
    assert endpoints["/your_data"] == ["spec"]


# An endpoint that only reads a network trained on the mixture: for a new mixture it refuses with a sentence
# saying how to train it (/learned trains it).
TRAINS_ON_DEMAND = {"/learned_budget"}
TRAINING_REFUSAL = re.compile(r"not trained yet: it trains when")


@pytest.mark.slow
def test_every_endpoint_with_a_data_argument_accepts_a_user_spec(client, endpoints):
    """Each endpoint answers with its defaults and the user spec; the answer names the mixture where it
    shows a title (figures) or a spec (numbers), and leaks nothing."""
    with_data = [name for name, params in endpoints.items() if "preset" in params]
    assert len(with_data) >= 4
    failures = []
    for name in with_data:
        kwargs = dict(preset=USER_SPEC) | {k: v for k, v in EXTRA.get(name, {}).items() if k in endpoints[name]}
        t0 = time.perf_counter()
        try:
            out = client.predict(**kwargs, api_name=name)
        except AppError as err:
            if name in TRAINS_ON_DEMAND and TRAINING_REFUSAL.search(str(err)):
                print(f"{name}: refused, needs a model trained on this mixture: {err}")
                continue
            failures.append(f"{name}: {err}")
            continue
        seconds = time.perf_counter() - t0
        text = json.dumps(out, default=str)
        print(f"{name}: {seconds:.1f} s")
        assert not LEAKS.search(text), f"{name} leaks internals"
        for item in out if isinstance(out, list | tuple) else [out]:
            if isinstance(item, dict) and item.get("type") == "plotly":
                json.loads(item["plot"], parse_constant=_reject)  # strict JSON, as the browser parses it
            elif not isinstance(item, str):
                json.dumps(item, allow_nan=False, default=str)  # no NaN or ±inf in the numbers
    assert not failures, "endpoints refused a valid user spec:\n" + "\n".join(failures)


def test_forward_draws_the_user_mixture(client):
    main, *_ = client.predict(preset=USER_SPEC, t=100, api_name="/forward")
    assert TITLE in json.loads(main["plot"])["layout"]["title"]["text"].replace("<br>", " ")


def test_guidance_on_a_user_mixture_with_two_classes(client):
    samples, *_ = client.predict(preset=USER_SPEC, label=1, w=2.0, particles=300, steps=20, api_name="/guidance")
    assert json.loads(samples["plot"])["data"], "no traces"


@pytest.mark.parametrize(
    "api_name, spec, message",
    [
        ("/forward", "gmm:1,0,0", r"Component 1 has 3 numbers"),
        ("/reverse", "gmm:1,0,0,0", r"major std must lie between 0.01 and 20"),
        ("/ddim_table", "gmm:-1,0,0,1", r"weight must be positive"),
        ("/your_data", "gmm:" + "1,0,0,1;" * 101, r"At most 100 components"),
    ],
)
def test_a_bad_spec_gets_the_data_specs_message(client, api_name, spec, message):
    kwargs = dict(spec=spec) if api_name == "/your_data" else dict(preset=spec)
    kwargs |= {k: v for k, v in EXTRA.get(api_name, {}).items()}
    with pytest.raises(AppError) as info:
        client.predict(**kwargs, api_name=api_name)
    assert re.search(message, str(info.value)), str(info.value)
    assert not LEAKS.search(str(info.value)), str(info.value)


def test_your_data_endpoints(client):
    out = client.predict(spec="  gmm:2,1,1,0.5 ", api_name="/your_data")
    assert out["spec"] == canonical("gmm:2,1,1,0.5") == "gmm:1,1,1,0.5,0.5,0,0"
    ring = client.predict(spec="ring8", api_name="/your_data")
    assert ring["spec"].startswith("gmm:") and len(ring["rows"]) == 8
    pts = client.predict(
        points_csv="x,y,class\n0,0,0\n0.2,0,0\n3,3,1\n", width=0.1, max_components=2, api_name="/points_mixture"
    )
    assert pts["points"] == 3 and pts["classes"] == [0, 1] and len(pts["rows"]) == 2
    with pytest.raises(AppError, match="Line 2: 'x' is not a number"):
        client.predict(points_csv="1,2\nx,3\n", api_name="/points_mixture")


@pytest.mark.slow
def test_ddim_1000_steps_on_a_user_mixture_is_within_the_noise_floor(client):
    """The exact metrics on a user mixture behave as on the presets: DDIM η = 0 with 1000 steps samples the
    mixture as well as exact sampling does (MMD² within 4 floor units, mode TV and NLL within 4 sd of
    exact samples), while 10 steps on the same sharp components is far outside."""
    base = dict(preset=USER_SPEC, sampler="ddim", process="ddpm", grid="leading", particles=2000, s_tmax=None)
    fine = client.predict(**base, steps=1000, api_name="/reverse_data")
    print(
        f"\nDDIM 1000 steps on {TITLE}: MMD² {fine['mmd2_floor_units']:+.2f} floor units, "
        f"mode TV {fine['mode_tv']:.4f} (exact {fine['mode_tv_exact']}), NLL {fine['mean_nll']:.4f} "
        f"(exact {fine['mean_nll_exact']})"
    )
    assert fine["nfe"] == 1000
    assert abs(fine["mmd2_floor_units"]) <= WITHIN_FLOOR
    tv, nll = fine["mode_tv_exact"], fine["mean_nll_exact"]
    assert fine["mode_tv"] <= tv["mean"] + 4 * tv["sd"]
    assert abs(fine["mean_nll"] - nll["mean"]) <= 4 * nll["sd"]
    coarse = client.predict(**base, steps=10, api_name="/reverse_data")
    print(f"DDIM 10 steps: MMD² {coarse['mmd2_floor_units']:+.1f} floor units")
    assert coarse["mmd2_floor_units"] > WITHIN_FLOOR, "the metric must be able to tell a bad sampler"
