"""The short CI version of the load test (issue 6): `benchmarks.load.run_load` with 8 concurrent clients for
about 20 s against the launched app. It asserts what must hold under load (no failed request, every served file
fetched whole, the queue drains, the app answers afterwards), never how fast: the latency figures are printed,
`python -m benchmarks.load` gives the full run. It also checks the app's configuration for events that could
queue up stale work."""

from __future__ import annotations

import importlib
import urllib.parse

from benchmarks.load import run_load, supersede_probe

CLIENTS = 8
SECONDS = 20.0


def test_concurrent_clients_get_every_answer_and_the_app_still_answers(app_url):
    report = run_load(app_url, clients=CLIENTS, seconds=SECONDS)
    print("\n" + report.summary())
    assert not report.setup_errors, report.setup_errors
    assert report.samples, "no request was made"
    assert not report.failures, [f"{s.endpoint}: {s.error}" for s in report.failures[:5]]
    assert report.not_drained == 0, f"{report.not_drained} clients still waiting after the drain timeout"
    assert {s.endpoint for s in report.samples} == set(report.endpoints), "some endpoint was never called"
    # every file an answer serves (the Forward picture) is fetched as a browser does and arrives whole (issue 26.10)
    assert all(s.files >= 1 for s in report.samples if s.endpoint == "/forward" and s.error is None)
    assert report.answered_after, f"after the load: GET / → {report.after_status}; {report.after_error}"


def test_a_newer_request_of_the_same_user_cancels_the_older_ones_work(app_url):
    """What a browser sends when a participant changes a setting while a slow view computes: the same handler,
    the same session, twice. The older request must stop early and leave the outputs alone (no figures),
    or stale work keeps a worker of a shared app busy."""
    probe = supersede_probe(app_url, "/ddim_table", slow={"particles": 2000})
    print("\n" + probe.summary())
    assert probe.new_seconds > 0, "the newer request was not answered"
    assert probe.superseded, probe.summary()


def test_the_load_test_can_find_the_server_memory(app_url):
    """The memory readings need the server's pid; the short test finds it from the URL's port."""
    from benchmarks.load import local_pid, rss_kb

    pid = local_pid(app_url)
    assert pid is not None, f"no local process listens on port {urllib.parse.urlparse(app_url).port}"
    assert rss_kb(pid) and rss_kb(pid) > 10_000


def test_sliders_and_timers_never_queue_stale_work():
    """Every slider/timer event drops superseded triggers (trigger_mode "always_last" or "once"), so dragging
    a slider or a playing animation cannot pile up work behind the user's current setting."""
    app = importlib.import_module("app")
    cfg = app.build_app().get_config_file()
    types = {c["id"]: c["type"] for c in cfg["components"]}
    stale = [
        (types[block], event, dep.get("api_name"), dep.get("trigger_mode"))
        for dep in cfg["dependencies"]
        for block, event in dep["targets"]
        if types.get(block) in ("slider", "timer") and dep.get("trigger_mode") not in ("always_last", "once")
    ]
    assert not stale, stale
