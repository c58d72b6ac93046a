"""How `python -m pytest` spreads the suite over two processes (pytest-xdist; `-n 2 --dist loadgroup` in
pyproject.toml's addopts; `-n 0` runs it in one process).

A test that uses the launched app (`app_url`) or the browser runs in an xdist group, and a group runs whole on one
worker:
* "browser:<file>": the Playwright tests of one file (a file's page fixtures stay in one process). The browser files
  are spread over both workers; each worker has one Chromium and one app server for the browser files it runs
  (tests/app/conftest.py, tests/app/browser.py);
* "server": the other tests of the launched app (endpoints, robustness, load), on one server whose log
  (test-output/app-server.log) some of them read, so no browser test shares it.
The other tests (core/, demos/, and the in-process tests under tests/app) are not grouped: each goes to whichever
worker is free. xdist hands out the groups first (the most tests first), then the single tests fill the time.
"""

from __future__ import annotations

from pathlib import Path

import pytest


def xdist_group_of(item: pytest.Item) -> str | None:
    """The xdist group a test runs in, or None (any worker)."""
    if "browser" in item.fixturenames or item.get_closest_marker("browser"):
        return f"browser:{Path(str(item.path)).stem}"
    if "app_url" in item.fixturenames:
        return "server"
    return None


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the marks into node ids
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        group = xdist_group_of(item)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))
