"""The browser benchmark (`python -m benchmarks.browser`) still measures: one control, once, with --quick
semantics, in a real browser against the app conftest.py launched. No timing threshold: the benchmark's figures
go in a closing note; this only keeps it from rotting (a renamed control, a plot that is no longer found)."""

from __future__ import annotations

import math

import pytest

from benchmarks.browser import CONTROLS, DESKTOP, measure, open_page, select_tab, wait_ready

pytestmark = pytest.mark.browser


def test_the_benchmark_measures_a_control(browser, app_url):
    page = open_page(browser, app_url, DESKTOP)
    try:
        select_tab(page, "forward")
        assert wait_ready(page) > 0
        result = measure(page, "forward", CONTROLS["forward"][0], reps=1, warmup=1)
    finally:
        page.close()
    assert result.error is None, result.error
    (event,) = result.events
    assert math.isfinite(event.first_ms) and event.first_ms > 0, event
    assert math.isfinite(event.all_ms) and event.all_ms >= event.first_ms, event
    assert event.body_bytes > 0, event
    assert event.changed >= 1, event
