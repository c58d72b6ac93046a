"""Launch the real app (`python app.py`) on a free port, once per test session and process (the launcher the load
benchmark uses). Its log goes to test-output/app-server.log, which the robustness and endpoint tests read.

Under pytest-xdist (tests/conftest.py) the tests of the launched app run in groups, each whole on one worker: the
"server" group (endpoints, robustness, load) and one "browser:<file>" group per browser test file. A worker launches
a server for the server group and one for the browser files it runs, when a test module first asks for it; the
browser files' server logs to test-output/app-server-browser-<worker>.log. So app-server.log is always the log of the
server the endpoint and robustness tests call, whichever worker runs them. Without xdist (`-n 0`) one server serves
every test, as before.
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
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    group = xdist_group_of(first) if worker and first is not None else None
    key = "browser" if group and group.startswith("browser:") else "app"
    if key not in app_servers:
        (ROOT / "test-output").mkdir(exist_ok=True)
        name = f"app-server-browser-{worker}.log" if key == "browser" else "app-server.log"
        app_servers[key] = _launch(ROOT / "test-output" / name)
    server = app_servers[key]
    if isinstance(server, str):
        pytest.fail(server)
    proc, url = server
    if proc.poll() is not None:  # say so, rather than let every page of the module fail to connect
        pytest.fail(f"the app server of {url} ({key}) exited with code {proc.returncode}; see its log")
    return url


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
