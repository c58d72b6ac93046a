"""Launch the real app (`python app.py`) on a free port once per test session (the launcher the load
benchmark uses); its log goes to test-output/app-server.log, which the robustness tests read."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.load import launch_app, stop_app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def app_url():
    (ROOT / "test-output").mkdir(exist_ok=True)
    try:
        proc, url, _ = launch_app(log_path=ROOT / "test-output" / "app-server.log")
    except RuntimeError as err:
        pytest.fail(str(err))
    yield url
    stop_app(proc)
