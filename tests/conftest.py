"""How `python -m pytest` spreads the suite over two processes (pytest-xdist; `-n 2 --dist loadgroup` in
pyproject.toml's addopts; `-n 0` runs it in one process).

Every test under tests/app, and any other test that uses the launched app (`app_url`) or the browser, is put in one
of two xdist groups, each run whole by one worker:
* "browser": the Playwright tests (one Chromium, one browser context per viewport: tests/app/browser.py);
* "server": the other tests of the launched app (endpoints, robustness, load) and the rest of tests/app.
A worker launches its own `python app.py` for the group it runs (tests/app/conftest.py), so the groups do not share a
server's queue or caches and stay independent of each other. The tests of core/ and demos/ are not grouped: each
goes to whichever worker is free, so they fill the time beside the groups.
"""

from __future__ import annotations

from pathlib import Path

import pytest

APP_TESTS = Path(__file__).resolve().parent / "app"


def xdist_group_of(item: pytest.Item) -> str | None:
    """The xdist group a test runs in, or None (any worker)."""
    if "browser" in item.fixturenames or item.get_closest_marker("browser"):
        return "browser"
    if "app_url" in item.fixturenames or APP_TESTS in Path(str(item.path)).parents:
        return "server"
    return None


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the marks into node ids
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        group = xdist_group_of(item)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))
