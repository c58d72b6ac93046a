"""Launch the real app (`python app.py`) on a free port once per test session (the launcher the load
benchmark uses); its log goes to test-output/app-server.log, which the robustness tests read."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.load import launch_app, stop_app
from tests.app.browser import CHROMIUM, CHROMIUM_ARGS, SHOTS

ROOT = Path(__file__).resolve().parents[2]
# Gradio exits at start ("localhost is not accessible") when its own reachability probe times out, which
# happens on a 2-core machine under heavy load: start again rather than fail every test of the session.
LAUNCH_ATTEMPTS = 3


@pytest.fixture(scope="session")
def app_url():
    (ROOT / "test-output").mkdir(exist_ok=True)
    for attempt in range(1, LAUNCH_ATTEMPTS + 1):
        try:
            proc, url, _ = launch_app(log_path=ROOT / "test-output" / "app-server.log")
            break
        except RuntimeError as err:
            if attempt == LAUNCH_ATTEMPTS:
                pytest.fail(str(err))
    yield url
    stop_app(proc)


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
