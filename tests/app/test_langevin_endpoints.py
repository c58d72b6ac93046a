"""The Score & Langevin tab's named endpoints on the running app, called through `gradio_client`:
`/langevin` (every figure and the numbers as data), `/langevin_level` (the level slider) and
`/langevin_field` (the σ slider). Each takes the tab's controls, in the order of `CONTROLS`."""

from __future__ import annotations

import json
import re

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from demos import score_langevin as tab
from demos.plotting import plain_title

LEAKS = re.compile(r"Traceback|File \"|\.py\b|/work/|/tmp/|site-packages|line \d+", re.IGNORECASE)
BUDGET = 1_500_000


@pytest.fixture(scope="module")
def client(app_url, tmp_path_factory) -> Client:
    return Client(app_url, verbose=False, download_files=str(tmp_path_factory.mktemp("downloads")))


def args(**changes) -> list:
    """Positional arguments. `frame` is a slider whose maximum Gradio checks API values against: the page's
    initial L = 10 (a larger value is clamped to the run's last level by the tab)."""
    values = {c.name: c.default for c in tab.CONTROLS}
    values["frame"] = 10
    values.update(changes)
    return [values[c.name] for c in tab.CONTROLS]


def _reject(token):
    raise AssertionError(f"figure JSON contains {token}")


def plot(output) -> dict:
    assert isinstance(output, dict) and output.get("type") == "plotly", str(output)[:200]
    return json.loads(output["plot"], parse_constant=_reject)


def title(fig: dict) -> str:
    return plain_title(fig["layout"]["title"]["text"])


def test_the_api_page_lists_the_tabs_endpoints(client):
    api = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    for name in ("/langevin", "/langevin_level", "/langevin_field"):
        assert [p["parameter_name"] for p in api[name]["parameters"]] == tab.NAMES, name


def test_langevin_returns_figures_and_numbers(client):
    out = client.predict(*args(particles=500), api_name="/langevin")
    field, plain, annealed, shares, levels, metrics, share, numbers = out[:8]
    assert "Score ∇log p_σ at σ = 1" in title(plot(field))
    assert "Plain Langevin step 1,000/1,000" in title(plot(plain))
    assert "after level 10/10" in title(plot(annealed))
    assert "Mass per mode" in title(plot(shares)) and "TV" in title(plot(levels))
    assert "Technique 1" in metrics and "mass per mode" in share
    assert isinstance(numbers, dict)
    assert numbers["settings"]["particles"] == 500
    assert len(numbers["shares"]["annealed"]) == 11 and numbers["true_weights"] == [0.2, 0.8]
    assert numbers["final"]["annealed"]["tv"] < numbers["final"]["plain"]["tv"]
    assert sum(len(o["plot"]) for o in (field, plain, annealed, shares, levels)) < BUDGET


def test_level_and_field_endpoints_follow_their_sliders(client):
    first = client.predict(*args(particles=500, frame=0), api_name="/langevin_level")
    mid = client.predict(*args(particles=500, frame=6), api_name="/langevin_level")
    assert "start" in title(plot(first[1])) and "after level 6/10" in title(plot(mid[1]))
    assert "At the start" in title(plot(first[2])) or "at the start" in title(plot(first[2]))
    a = client.predict(*args(log_sigma=-1.0), api_name="/langevin_field")
    b = client.predict(*args(log_sigma=1.0), api_name="/langevin_field")
    again = client.predict(*args(log_sigma=1.0), api_name="/langevin_field")
    assert "σ = 0.1" in title(plot(a)) and "σ = 10" in title(plot(b))
    assert b["plot"] == again["plot"]


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(preset="nope"), "Unknown data"),
        (dict(steps=300, particles=4000), "cap"),
        (dict(eps=1e-2), "too large for this schedule"),
        (dict(paths="some"), "paths option|not in the list of choices|Value"),
    ],
)
def test_bad_input_gets_a_clear_message(client, changes, message):
    with pytest.raises(AppError) as err:
        client.predict(*args(**changes), api_name="/langevin")
    text = str(err.value)
    assert re.search(message, text), text
    assert not LEAKS.search(text), text
