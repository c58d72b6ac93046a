"""The "Learned vs exact" tab's named endpoints on the running app, through `gradio_client`: `/learned` (every
figure and the text, training first if needed), `/learned_error` (the t slider: error map and numbers),
`/learned_budget` (the sampler and steps: budget curves, samples, numbers) and `/learned_data` (the numbers as
data: ε errors near / far, the error budget, the loss curve). Argument names are the URL's."""

from __future__ import annotations

import json
import re

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from demos import learned as tab
from demos.plotting import plain_title

LEAKS = re.compile(r"Traceback|File \"|\.py\b|/work/|/tmp/|site-packages|line \d+", re.IGNORECASE)
BUDGET = 1_500_000
NAMES = [c.name for c in tab.CONTROLS]


@pytest.fixture(scope="module")
def client(app_url, tmp_path_factory) -> Client:
    return Client(app_url, verbose=False, download_files=str(tmp_path_factory.mktemp("downloads")))


def args(**changes) -> list:
    values = {c.name: c.default for c in tab.CONTROLS}
    values.update(changes)
    return [values[c.name] for c in tab.CONTROLS]


def _reject(token):
    raise AssertionError(f"figure JSON contains {token}")


def plot(output) -> dict:
    assert isinstance(output, dict) and output.get("type") == "plotly", str(output)[:200]
    return json.loads(output["plot"], parse_constant=_reject)


def title(fig: dict) -> str:
    return plain_title(fig["layout"]["title"]["text"])


def test_the_api_page_lists_the_tabs_endpoints_with_the_urls_names(client):
    api = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    for name in ("/learned", "/learned_error", "/learned_budget", "/learned_data"):
        assert [p["parameter_name"] for p in api[name]["parameters"]] == NAMES, name


def test_learned_returns_every_figure_and_the_numbers(client):
    status, loss, heat, budget, samples, numbers = client.predict(*args(), api_name="/learned")
    assert "shipped model" in status
    assert "Learned ε error at t = 20" in title(plot(heat)) and "Error budget" in title(plot(budget))
    assert "Same noise, 50 steps" in title(plot(samples)) and "Training loss" in title(plot(loss))
    assert "near the data" in numbers and "Error budget (50 steps)" in numbers
    assert sum(len(o["plot"]) for o in (loss, heat, budget, samples)) < BUDGET


def test_learned_error_follows_t(client):
    heat, numbers = client.predict(*args(t=300), api_name="/learned_error")
    assert "t = 300" in title(plot(heat)) and "(t = 300)" in numbers


def test_learned_budget_follows_the_sampler_and_the_steps(client):
    budget, samples, numbers = client.predict(*args(sampler="ddpm", steps=10), api_name="/learned_budget")
    assert "DDPM" in title(plot(budget)) and "Same noise, 10 steps" in title(plot(samples))
    assert "Error budget (10 steps)" in numbers


def test_learned_data_gives_numbers(client):
    data = client.predict(*args(t=20), api_name="/learned_data")
    assert data["source"] in {"shipped", "cache"} and data["settings"]["t"] == 20
    assert data["eps_error"]["near"] < data["eps_error"]["far"]
    budget = data["budget"]
    assert budget["steps"] == list(tab.BUDGET_STEPS)
    assert len(budget["exact_floor_units"]) == len(budget["learned_floor_units"]) == len(tab.BUDGET_STEPS)
    assert len(data["loss_curve"]) > 10 and all(len(p) == 2 for p in data["loss_curve"])


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(width=100), r"Width must be one of|not in the list of choices: \[32, 64, 128, 256\]"),
        (dict(width=256, depth=4, train_steps=6000), r"can train for at most \d[\d,]* steps"),
        (dict(preset="gmm:1,0,0"), r"Component 1 has 3 numbers"),
        (dict(steps=30), r"Steps must be one of|not in the list of choices: \[5, 10, 20, 50, 100, 200\]"),
    ],
)
def test_bad_input_is_a_clean_message(client, changes, message):
    """/learned checks a radio's value against its choices itself (Gradio's message); /learned_data is ours."""
    for endpoint in ("/learned", "/learned_data"):
        with pytest.raises(AppError) as err:
            client.predict(*args(**changes), api_name=endpoint)
        text = str(err.value)
        assert re.search(message, text), text
        assert not LEAKS.search(text), text
