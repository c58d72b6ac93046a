"""The sampler race tab's API endpoints of the running app (conftest.py launches `python app.py`), called through
`gradio_client` as an API user would: `/race` returns the figures and text, `/race_data` the numbers as data
(JSON); bad input gets a sentence, never a traceback."""

from __future__ import annotations

import json
import re

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from core import race as R
from demos import race

LEAKS = re.compile(r"Traceback|File \"|\.py\b|/work/|/tmp/|site-packages|line \d+", re.IGNORECASE)


@pytest.fixture(scope="module")
def client(app_url, tmp_path_factory) -> Client:
    return Client(app_url, verbose=False, download_files=str(tmp_path_factory.mktemp("downloads")))


def args(**changes) -> list:
    v = {c.name: c.default for c in race.CONTROLS}
    v.update(changes)
    return [v[n] for n in race.NAMES]


def figure(output) -> dict:
    assert isinstance(output, dict) and output.get("type") == "plotly", str(output)[:200]

    def reject(token):
        raise AssertionError(f"figure JSON contains {token}")

    return json.loads(output["plot"], parse_constant=reject)


def test_the_endpoints_are_listed_with_the_tabs_controls(client):
    api = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    assert [p["parameter_name"] for p in api["/race"]["parameters"]] == race.NAMES
    names = [p["parameter_name"] for p in api["/race_data"]["parameters"]]
    assert names == ["preset", "budget", "seed", "particles"]


def test_race_returns_the_figures_and_the_table(client):
    panels, summary, table, curves, grid = client.predict(*args(budget=10), api_name="/race")
    assert summary.startswith("**10 NFE")
    titles = [a["text"] for a in figure(panels)["layout"]["annotations"]]
    assert titles[0].replace("<br>", " ").startswith("DDPM 1000 steps") and len(titles) > 25
    assert "| # | sampler |" in table
    assert "Error vs NFE" in figure(curves)["layout"]["title"]["text"]
    assert "five grids" in figure(grid)["layout"]["title"]["text"]


def test_race_data_returns_the_numbers(client):
    data = client.predict("ring8", 6, 0, 2000, api_name="/race_data")
    assert isinstance(data, dict) and data["budget"] == 6
    ran = {r["id"]: r for r in data["race"] if r["ran"]}
    assert all(r["nfe"] <= 6 for r in ran.values())
    assert ran["dpm2"]["nfe"] == 5 and "logsnr" in ran["dpm2"]["grid"]  # Heun-type: 2n - 1
    annealed = next(r for r in data["race"] if r["id"] == "annealed")
    assert not annealed["ran"] and annealed["min_nfe"] == 10  # 10 noise levels
    curve = data["curves"]["racers"]["edm_heun"]
    assert curve["order"] == pytest.approx(R.shipped()["ring8"]["curves"]["racers"]["edm_heun"]["order"])


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(budget=500), "greater than maximum value 100"),  # Gradio checks a slider's range itself
        (dict(budget=2.5), "NFE budget must be a whole number"),
        (dict(particles=3000), "not in the list of choices: [500, 1000, 2000]"),
        (dict(preset="gmm:1,0,0"), "."),
        (dict(preset="checkerboard", budget=60), "at most 20 NFE"),
        (dict(show="none"), "not in the list of choices: ['ours'"),
    ],
)
def test_bad_input_gets_a_sentence(client, changes, message):
    with pytest.raises(AppError) as err:
        client.predict(*args(**changes), api_name="/race")
    text = str(err.value)
    assert re.search(re.escape(message), text) and not LEAKS.search(text), text
