"""Launch the real app (`python app.py`) on a free port, once per test session and process (the launcher the load
benchmark uses). Its log goes to test-output/app-server.log, which the robustness and endpoint tests read.

Under pytest-xdist (tests/conftest.py) the browser tests and the other tests of the launched app are two groups,
each run whole by one worker; each group gets its own server, launched when its first test module asks for it, and
the browser group's server logs to test-output/app-server-browser.log. So app-server.log is always the log of the
server the endpoint and robustness tests call, whichever worker runs which group. Without xdist (`-n 0`) one server
serves every test, as before.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks.load import launch_app, stop_app
from tests.app.browser import CHROMIUM, CHROMIUM_ARGS, SHOTS
from tests.conftest import xdist_group_of

ROOT = Path(__file__).resolve().parents[2]
# Gradio exits at start ("localhost is not accessible") when its own reachability probe times out, which
# happens on a 2-core machine under heavy load: start again rather than fail every test of the session.
LAUNCH_ATTEMPTS = 5


@pytest.fixture(scope="session")
def app_servers():
    """The servers this process launched: {group: (process, url)}, or {group: error} if it would not start."""
    servers: dict[str, tuple | str] = {}
    yield servers
    for server in servers.values():
        if isinstance(server, tuple):
            stop_app(server[0])


def _launch(log: Path) -> tuple | str:
    for attempt in range(1, LAUNCH_ATTEMPTS + 1):
        try:
            proc, url, _ = launch_app(log_path=log)
            return proc, url
        except RuntimeError as err:
            if attempt == LAUNCH_ATTEMPTS:
                return str(err)


@pytest.fixture(scope="module")
def app_url(request, app_servers):
    """The URL of the app this module's group runs against (one server for all outside xdist)."""
    first = getattr(request, "_pyfuncitem", None)  # the module's first test that asks for the app
    in_xdist = "PYTEST_XDIST_WORKER" in os.environ
    group = xdist_group_of(first) if in_xdist and first is not None else None
    key = "browser" if group == "browser" else "app"
    if key not in app_servers:
        (ROOT / "test-output").mkdir(exist_ok=True)
        app_servers[key] = _launch(ROOT / "test-output" / f"app-server{'-browser' if key == 'browser' else ''}.log")
    server = app_servers[key]
    if isinstance(server, str):
        pytest.fail(server)
    return server[1]


# ---------------------------------------------------------------------------- browser plumbing
@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()
