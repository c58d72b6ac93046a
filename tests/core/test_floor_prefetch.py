"""A user mixture's noise floors (core.metrics): computed once, in the background or by the first request, and the
same numbers as a synchronous computation (issue 26, item 8).

Each test uses its own mixture (the floors' cache is the module's) and 200 points (a count the presets do not ship),
so that 100 exact sets cost milliseconds. Concurrency is staged with events, never with sleeps: a stand-in for
`noise_floor` holds the first computation until the second asker has been answered "under way".
"""

from __future__ import annotations

import threading
from concurrent.futures import wait

import pytest

from core import metrics
from core.dataspec import data_bandwidth, load_data
from core.metrics import METRICS, NoiseFloor, data_noise_floor, noise_floor, prefetch_floors

N = 200


def _spec(x: float) -> str:
    return f"gmm:1,{x:g},0,0.3;0.5,2,1,0.4"


class Held:
    """Stands in for metrics.noise_floor: counts its calls, and holds each one until `release` is set."""

    def __init__(self):
        self.calls: list[tuple[str, int]] = []
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, mixture, metric, n, bandwidth, *args, **kwargs) -> NoiseFloor:
        self.calls.append((metric, n))
        self.entered.set()
        assert self.release.wait(60), "the test never released the computation"
        return noise_floor(mixture, metric, n, bandwidth, *args, **kwargs)


class ClaimWatch:
    """Wraps metrics._claim: `second` is set when a floor already under way is asked for again."""

    def __init__(self):
        self.second = threading.Event()
        self.inner = metrics._claim

    def __call__(self, key):
        future, first = self.inner(key)
        if not first and not future.done():
            self.second.set()
        return future, first


@pytest.fixture(autouse=True)
def idle_worker():
    """Floors queued by earlier tests in this process (any tab given a user mixture) finish first."""
    with metrics._LOCK:
        queued = [job for jobs in metrics._QUEUED.values() for job in jobs]
    wait(queued)


@pytest.fixture
def held(monkeypatch):
    h = Held()
    monkeypatch.setattr(metrics, "noise_floor", h)
    monkeypatch.setattr(metrics, "SHIPPED_COUNTS", (N,))
    yield h
    h.release.set()  # a failed test never leaves the worker held


def test_prefetched_floor_equals_the_synchronous_one(monkeypatch):
    """Every metric's floor from the background worker is the floor computed directly, bit for bit, and a request
    afterwards computes nothing."""
    calls = []

    def counted(*args, **kwargs):
        calls.append(args[1])
        return noise_floor(*args, **kwargs)

    monkeypatch.setattr(metrics, "noise_floor", counted)
    monkeypatch.setattr(metrics, "SHIPPED_COUNTS", (N,))
    spec = _spec(-1.1)
    jobs = prefetch_floors(spec)
    assert len(jobs) == len(METRICS)
    wait(jobs)
    assert sorted(calls) == sorted(METRICS)
    mixture, h = load_data(spec), data_bandwidth(spec)
    for metric in METRICS:
        assert data_noise_floor(spec, metric, N) == noise_floor(mixture, metric, N, h)
    assert len(calls) == len(METRICS), "a request recomputed a prefetched floor"
    assert prefetch_floors(spec) == [], "a spec whose floors are known is queued again"


def test_two_concurrent_requests_compute_a_new_floor_once(held, monkeypatch):
    watch = ClaimWatch()
    monkeypatch.setattr(metrics, "_claim", watch)
    spec, results = _spec(-1.2), {}

    def ask(name):
        results[name] = data_noise_floor(spec, "mmd2", N)

    first = threading.Thread(target=ask, args=("first",))
    first.start()
    assert held.entered.wait(60)
    second = threading.Thread(target=ask, args=("second",))
    second.start()
    assert watch.second.wait(60), "the second request did not find the floor under way"
    held.release.set()
    first.join(60)
    second.join(60)
    assert held.calls == [("mmd2", N)]
    assert results["first"] is results["second"]
    assert results["first"] == noise_floor(load_data(spec), "mmd2", N, data_bandwidth(spec))


def test_a_request_during_the_prefetch_waits_for_it(held, monkeypatch):
    watch = ClaimWatch()
    monkeypatch.setattr(metrics, "_claim", watch)
    spec, results = _spec(-1.3), {}
    jobs = prefetch_floors(spec)
    assert held.entered.wait(60)  # the worker is computing the first floor (MMD², the first metric)
    request = threading.Thread(target=lambda: results.update(floor=data_noise_floor(spec, "mmd2", N)))
    request.start()
    assert watch.second.wait(60)
    held.release.set()
    request.join(60)
    wait(jobs)
    assert held.calls.count(("mmd2", N)) == 1
    assert results["floor"] == noise_floor(load_data(spec), "mmd2", N, data_bandwidth(spec))


def test_presets_are_not_recomputed(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a shipped floor was recomputed")

    monkeypatch.setattr(metrics, "noise_floor", refuse)
    for n in metrics.SHIPPED_COUNTS:
        assert prefetch_floors("ring8") == []
        assert data_noise_floor("ring8", "mmd2", n).repeats == metrics.FLOOR_REPEATS


def test_bad_specs_do_not_raise_in_the_background(monkeypatch):
    """A spec that is not valid is the request's to refuse; a computation that fails in the worker is logged, not
    kept: the next request tries again."""
    for bad in ("gmm:1,2", "not a spec", 12, None, "gmm:1,0,0,-1"):
        assert prefetch_floors(bad) == []

    def broken(*args, **kwargs):
        raise RuntimeError("broken")

    monkeypatch.setattr(metrics, "noise_floor", broken)
    monkeypatch.setattr(metrics, "SHIPPED_COUNTS", (N,))
    spec = _spec(-1.4)
    jobs = prefetch_floors(spec)
    wait(jobs)
    assert jobs and all(job.exception() is None for job in jobs)
    with pytest.raises(RuntimeError, match="broken"):
        data_noise_floor(spec, "mmd2", N)
    monkeypatch.setattr(metrics, "noise_floor", noise_floor)
    assert data_noise_floor(spec, "mmd2", N) == noise_floor(load_data(spec), "mmd2", N, data_bandwidth(spec))


def test_the_queue_is_bounded_and_keeps_the_newest(held):
    """With the worker busy, a spec beyond PREFETCH_SPECS drops the oldest waiting spec's jobs that have not
    started; the one running finishes."""
    oldest = prefetch_floors(_spec(-1.5))
    assert held.entered.wait(60)
    later = [prefetch_floors(_spec(-1.6 - 0.1 * i)) for i in range(metrics.PREFETCH_SPECS)]
    assert oldest[0].running() and all(job.cancelled() for job in oldest[1:])
    assert not any(job.cancelled() for jobs in later for job in jobs)
    held.release.set()
    wait([job for jobs in later for job in jobs] + oldest[:1])
    assert len(held.calls) == 1 + len(METRICS) * metrics.PREFETCH_SPECS


def test_every_tab_accepting_a_user_mixture_prefetches_its_floors(monkeypatch):
    from demos import data_input

    asked = []
    monkeypatch.setattr(data_input, "prefetch_floors", asked.append)
    assert data_input.data_spec("ring8") == "ring8"
    spec = data_input.data_spec(_spec(-2.5))
    assert asked == [spec]


EXIT_SCRIPT = """
import sys, threading
from core import metrics
started = threading.Event()
def slow(*args, **kwargs):
    print("started", flush=True)
    started.set()
    threading.Event().wait(0.5)
    raise RuntimeError("not needed")
metrics.noise_floor = slow
metrics.SHIPPED_COUNTS = (200, 300, 400)
jobs = metrics.prefetch_floors("gmm:1,-3.7,0,0.3;0.5,2,1,0.4")
print("queued", len(jobs), flush=True)
started.wait(30)
sys.exit(0)
"""


def test_exit_does_not_wait_for_the_queued_floors():
    """A process ending (Ctrl-C, a server's stop, a test worker's end) with floors queued runs the one under way
    and cancels the rest; the executor's own exit hook would have run every queued job first. Counted, not timed."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", EXIT_SCRIPT], cwd=root, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    queued = int(next(line for line in out.stdout.splitlines() if line.startswith("queued")).split()[1])
    started = out.stdout.count("started")
    assert queued == len(METRICS) * 3 and 1 <= started < queued, out.stdout
