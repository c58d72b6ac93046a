"""The PF-ODE tab's API endpoint `/pfode` of the running app (conftest.py launches `python app.py`), called
through `gradio_client` as an API user would: the per-point numbers come back as data (a table), not only
as a figure; bad input gets a sentence, never a traceback."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from core.datasets import load_preset
from demos import pf_ode

LEAKS = re.compile(r"Traceback|File \"|\.py\b|/work/|/tmp/|site-packages|line \d+", re.IGNORECASE)


@pytest.fixture(scope="module")
def client(app_url, tmp_path_factory) -> Client:
    return Client(app_url, verbose=False, download_files=str(tmp_path_factory.mktemp("downloads")))


EMPTY = {"headers": ["x", "y"], "data": []}  # no points: the view solves samples of the data


def args(**changes) -> list:
    """Positional /pfode arguments; the points are a table ({"headers", "data"}), as the API page says."""
    v = {c.name: c.default for c in pf_ode.CONTROLS}
    v["points"] = EMPTY
    v.update(changes)
    return [v[n] for n in pf_ode.NAMES]


def figure(output) -> dict:
    assert isinstance(output, dict) and output.get("type") == "plotly"

    def reject(token):
        raise AssertionError(f"figure JSON contains {token}")

    return json.loads(output["plot"], parse_constant=reject)


def table(output) -> tuple[list[str], list[list]]:
    assert isinstance(output, dict) and "headers" in output and "data" in output, str(output)[:200]
    return output["headers"], output["data"]


def test_the_endpoint_is_listed_with_the_tabs_controls(client):
    api = client.view_api(return_format="dict", print_info=False)
    params = api["named_endpoints"]["/pfode"]["parameters"]
    assert [p["parameter_name"] for p in params] == pf_ode.NAMES


def test_an_empty_table_solves_samples_of_the_data(client):
    _, _, numbers, text = client.predict(*args(), api_name="/pfode")
    headers, rows = table(numbers)
    assert len(rows) == pf_ode.N_SAMPLE_POINTS and text.startswith(f"**{pf_ode.N_SAMPLE_POINTS} points")


def test_user_points_come_back_as_numbers(client):
    points = {"headers": ["x", "y"], "data": [[2.0, 0.0], [0.0, 0.0], [-1.2, 1.4]]}
    main, side, numbers, text = client.predict(*args(points=points, process="flow"), api_name="/pfode")
    headers, rows = table(numbers)
    assert headers == pf_ode.LIKELIHOOD_HEADERS and len(rows) == 3
    rows = np.array(rows, dtype=float)
    exact = load_preset("ring8").log_prob(rows[:, 1:3])
    np.testing.assert_allclose(rows[:, 4], exact, atol=1e-6)
    assert np.abs(rows[:, 5]).max() < 1e-4  # the gap at the default tolerance, exact prior
    assert "Flow matching" in figure(main)["layout"]["title"]["text"]
    assert len(figure(side)["data"]) == 3 and "Entropy" in text


def test_the_other_views_return_their_numbers(client):
    _, _, numbers, text = client.predict(*args(view="schedules", process_b="subvp"), api_name="/pfode")
    headers, rows = table(numbers)
    assert headers == pf_ode.SCHEDULE_HEADERS and len(rows) == 10
    assert max(float(r[-1]) for r in rows) < 1e-10
    _, _, numbers, text = client.predict(*args(view="flow", grid="uniform"), api_name="/pfode")
    headers, rows = table(numbers)
    assert headers == pf_ode.FLOW_HEADERS and [r[0] for r in rows][1] == "VP SDE"
    assert "Identities" in text


def test_same_call_same_figure(client):
    a = client.predict(*args(t=0.3), api_name="/pfode")
    b = client.predict(*args(t=0.3), api_name="/pfode")
    assert a[0]["plot"] == b[0]["plot"] and a[2] == b[2]


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(points={"headers": ["x", "y"], "data": [[80.0, 0.0]]}), "too far out"),
        (dict(points={"headers": ["x", "y"], "data": [[1.0, None]]}), "exactly two numbers"),
        (
            dict(points={"headers": ["x", "y"], "data": [[0.0, 0.0]] * (pf_ode.MAX_POINTS + 1)}),
            f"At most {pf_ode.MAX_POINTS} points",
        ),
        (dict(preset="gmm:oops"), "."),
    ],
)
def test_bad_input_gets_a_sentence(client, changes, message):
    with pytest.raises(AppError) as err:
        client.predict(*args(**changes), api_name="/pfode")
    text = str(err.value)
    assert re.search(message, text), text
    assert not LEAKS.search(text), text
