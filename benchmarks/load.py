"""Load test: many concurrent users on the app's heaviest default callbacks, through `gradio_client`.

    python -m benchmarks.load                               # 30 clients for 60 s; launches `python app.py` itself
    python -m benchmarks.load --clients 8 --seconds 20      # the short version (tests/app/test_load_short.py)
    python -m benchmarks.load --url http://127.0.0.1:7860/  # an app that is already running (RSS if it is local)
    python -m benchmarks.load --fresh                       # a new seed per request: every request misses the caches

Each client is one `gradio_client.Client` (one session, like one participant's browser tab) that calls the named
endpoints (/forward, /reverse, /ddim_table, /guidance) in turn with the defaults the server itself advertises,
back to back, until the time is up, and fetches every file an answer serves (the Forward picture) as a browser
does, checking it arrives whole; requests still running then are waited for (the queue must drain). Latency is
measured at the client, so it includes the time spent waiting in the queue. It prints p50/p95/max latency per
endpoint and overall, throughput, failures, the server's resident memory (VmRSS from /proc) before, during and
after, and whether the app still answers afterwards. Nothing here is a pass/fail timing threshold: the printed
verdicts are failures, queue drained, still answering, and memory stable.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENDPOINTS = ("/forward", "/reverse", "/ddim_table", "/guidance")
SEED_PARAMS = {"seed", "seed_value"}
REQUEST_TIMEOUT = 180.0  # seconds for one request, queue wait included
STARTUP_TIMEOUT = 180.0


# --------------------------------------------------------------------------------------------------------------
# The server: launch it, find it, read its memory.


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def page_status(url: str, timeout: float = 5.0) -> int | None:
    """HTTP status of GET url, None if nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as err:
        return err.code
    except OSError:
        return None


def launch_app(port: int | None = None, log_path: Path | None = None) -> tuple[subprocess.Popen, str, float]:
    """Start `python app.py` on a free port; return (process, url, seconds from start to the first page's 200)."""
    port = port or free_port()
    env = dict(
        os.environ, GRADIO_SERVER_NAME="127.0.0.1", GRADIO_SERVER_PORT=str(port), GRADIO_ANALYTICS_ENABLED="False"
    )
    out = open(log_path, "w") if log_path else subprocess.DEVNULL  # noqa: SIM115 - closed by the OS with the child
    url = f"http://127.0.0.1:{port}/"
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    while True:
        if page_status(url, timeout=2) == 200:
            return proc, url, time.perf_counter() - start
        if proc.poll() is not None or time.perf_counter() - start > STARTUP_TIMEOUT:
            proc.kill()
            raise RuntimeError(f"app did not start on {url} (exit code {proc.poll()}; log: {log_path})")
        time.sleep(0.05)


def stop_app(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def rss_kb(pid: int) -> int | None:
    """Resident memory of a process in kB (VmRSS), None if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def pid_listening_on(port: int) -> int | None:
    """The local process that listens on a TCP port (Linux /proc), None if not found or not ours to see."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if len(cols) > 9 and cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:  # 0A = LISTEN
                inodes.add(cols[9])
    if not inodes:
        return None
    for proc_dir in Path("/proc").iterdir():
        if not proc_dir.name.isdigit():
            continue
        try:
            for fd in (proc_dir / "fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    return int(proc_dir.name)
        except OSError:
            continue
    return None


def local_pid(url: str) -> int | None:
    parts = urllib.parse.urlparse(url)
    if parts.hostname not in ("127.0.0.1", "localhost", "0.0.0.0", "::1"):
        return None
    return pid_listening_on(parts.port or 80)


class RssSampler(threading.Thread):
    """Samples a process's VmRSS every `every` seconds: [(seconds since start, kB)]."""

    def __init__(self, pid: int | None, every: float = 0.5):
        super().__init__(daemon=True)
        self.pid, self.every, self.samples, self._halt = pid, every, [], threading.Event()
        self.t0 = time.perf_counter()

    def run(self):
        while self.pid is not None and not self._halt.is_set():
            kb = rss_kb(self.pid)
            if kb is not None:
                self.samples.append((time.perf_counter() - self.t0, kb))
            self._halt.wait(self.every)

    def stop(self):
        self._halt.set()
        self.join(timeout=5)


# --------------------------------------------------------------------------------------------------------------
# The clients.


def endpoint_defaults(client, endpoints) -> dict[str, dict]:
    """{api_name: {parameter: the default the server advertises}} (None where it advertises none)."""
    named = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    missing = [e for e in endpoints if e not in named]
    if missing:
        raise RuntimeError(f"the app has no endpoint(s) {missing}; it has {sorted(named)}")
    return {e: {p["parameter_name"]: p.get("parameter_default") for p in named[e]["parameters"]} for e in endpoints}


def make_client(url: str):
    from gradio_client import Client

    return Client(url, verbose=False, download_files=False, analytics_enabled=False)


@dataclass
class Sample:
    client: int
    endpoint: str
    start: float  # seconds since the load started
    seconds: float
    error: str | None = None
    files: int = 0  # files of the answer fetched whole


@dataclass
class LoadReport:
    url: str
    clients: int
    seconds: float
    endpoints: tuple[str, ...]
    fresh: bool
    samples: list[Sample] = field(default_factory=list)
    setup_errors: list[str] = field(default_factory=list)
    wall: float = 0.0  # from the first request to the last answer
    not_drained: int = 0  # clients whose last request had not answered within the drain timeout
    rss: list[tuple[float, int]] = field(default_factory=list)
    rss_before: int | None = None
    rss_after: int | None = None
    answered_after: bool = False
    after_status: int | None = None
    after_seconds: float | None = None
    after_error: str | None = None
    loadavg: tuple[float, float, float] | None = None

    @property
    def failures(self) -> list[Sample]:
        return [s for s in self.samples if s.error is not None]

    @property
    def ok(self) -> list[Sample]:
        return [s for s in self.samples if s.error is None]

    def memory_growth_kb(self) -> int | None:
        """RSS growth over the second half of the run (median of the last quarter minus median of the second):
        caches fill during the first half; a leak keeps growing after it."""
        if len(self.rss) < 8:
            return None
        n = len(self.rss)
        second = [kb for _, kb in self.rss[n // 4 : n // 2]]
        last = [kb for _, kb in self.rss[3 * n // 4 :]]
        return int(statistics.median(last) - statistics.median(second))

    def memory_stable(self) -> bool | None:
        growth = self.memory_growth_kb()
        if growth is None:
            return None
        base = statistics.median(kb for _, kb in self.rss)
        return growth < max(20_000, 0.05 * base)

    def summary(self) -> str:
        lines = [
            f"Load test: {self.clients} concurrent gradio_client clients for {self.seconds:g} s against {self.url}",
            f"endpoints: {', '.join(self.endpoints)} at the server's default settings"
            + ("; a fresh seed per request (cache misses)" if self.fresh else " (warm caches)"),
        ]
        if self.loadavg:
            lines.append(f"machine: {os.cpu_count()} CPUs, load average before the run {self.loadavg[0]:.2f}")
        lines.append("")
        header = f"{'endpoint':<14}{'requests':>9}{'failed':>8}{'p50 s':>9}{'p95 s':>9}{'max s':>9}"
        lines += [header, "-" * len(header)]
        for name in (*self.endpoints, "all"):
            rows = self.samples if name == "all" else [s for s in self.samples if s.endpoint == name]
            ok = sorted(s.seconds for s in rows if s.error is None)
            failed = sum(s.error is not None for s in rows)
            if ok:
                p50, p95, mx = percentile(ok, 50), percentile(ok, 95), ok[-1]
                lines.append(f"{name:<14}{len(rows):>9}{failed:>8}{p50:>9.3f}{p95:>9.3f}{mx:>9.3f}")
            else:
                lines.append(f"{name:<14}{len(rows):>9}{failed:>8}{'-':>9}{'-':>9}{'-':>9}")
        lines.append("")
        throughput = len(self.ok) / self.wall if self.wall else 0.0
        lines.append(f"throughput: {throughput:.2f} answered requests/s over {self.wall:.1f} s")
        lines.append(
            f"failures: {len(self.failures)} of {len(self.samples)} requests; setup errors: "
            f"{len(self.setup_errors)}; requests not drained: {self.not_drained}; files fetched whole: "
            f"{sum(s.files for s in self.samples)}"
        )
        shown = {}
        for s in self.failures:
            shown.setdefault(f"{s.endpoint}: {s.error}", 0)
            shown[f"{s.endpoint}: {s.error}"] += 1
        for text, n in list(shown.items())[:8]:
            lines.append(f"  {n} × {text[:300]}")
        for text in self.setup_errors[:5]:
            lines.append(f"  setup: {text[:300]}")
        if self.rss:
            peak = max(kb for _, kb in self.rss)
            growth = self.memory_growth_kb()
            verdict = {
                True: "stable",
                False: "STILL GROWING at the end: run longer (--seconds 240) to tell a leak from warm-up",
                None: "too few samples",
            }[self.memory_stable()]
            lines.append(
                f"server RSS: before {mb(self.rss_before)}, peak {mb(peak)}, after {mb(self.rss_after)}; "
                f"growth over the second half {mb(growth)} ({verdict})"
            )
            quarter = [self.rss[min(len(self.rss) - 1, i * len(self.rss) // 4)][1] for i in range(4)]
            lines.append("  RSS at 0/4, 1/4, 2/4, 3/4 of the run: " + ", ".join(mb(kb) for kb in quarter))
        else:
            lines.append("server RSS: not available (server not local)")
        after = (
            f"yes (GET / → {self.after_status}, /forward answered in {self.after_seconds:.3f} s)"
            if self.answered_after
            else f"NO (GET / → {self.after_status}; {self.after_error})"
        )
        lines.append(f"app answers afterwards: {after}")
        return "\n".join(lines)


def percentile(sorted_values: list[float], q: float) -> float:
    """Linear-interpolated percentile of an already sorted list."""
    if len(sorted_values) == 1:
        return sorted_values[0]
    pos = (len(sorted_values) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def mb(kb: int | None) -> str:
    return "n/a" if kb is None else f"{kb / 1024:.0f} MB"


def served_files(value, url: str) -> list[str]:
    """The URLs of every file an answer references (Gradio's FileData dicts: "url", or "path" on the server)."""
    if isinstance(value, dict):
        if value.get("url") or (value.get("path") and "meta" in value):
            return [value.get("url") or urllib.parse.urljoin(url, f"gradio_api/file={value['path']}")]
        return [u for v in value.values() for u in served_files(v, url)]
    if isinstance(value, list | tuple):
        return [u for v in value for u in served_files(v, url)]
    return []


def fetch_file(file_url: str) -> int:
    """GET a served file as a browser does and return its size; raise if the body is not what the response
    declared (Content-Length) or an image does not decode: what a rewrite of the file while it is being sent
    looks like (issue 26.10)."""
    import http.client
    import io

    with urllib.request.urlopen(file_url, timeout=REQUEST_TIMEOUT) as r:
        declared = r.headers.get("Content-Length")
        try:
            body = r.read()
        except http.client.IncompleteRead as err:
            raise RuntimeError(f"{file_url}: {len(err.partial)} of {declared} bytes") from err
    if declared is not None and int(declared) != len(body):
        raise RuntimeError(f"{file_url}: {len(body)} bytes, {declared} declared")
    if file_url.lower().endswith((".png", ".webp", ".gif", ".jpg", ".jpeg")):
        from PIL import Image

        with Image.open(io.BytesIO(body)) as im:
            im.load()
    return len(body)


def short_error(err: BaseException) -> str:
    text = " ".join(str(err).split()) or "(no message)"
    return f"{type(err).__name__}: {text[:240]}"


def run_load(
    url: str,
    clients: int = 30,
    seconds: float = 60.0,
    endpoints: tuple[str, ...] = ENDPOINTS,
    pid: int | None = None,
    fresh: bool = False,
    drain_timeout: float = REQUEST_TIMEOUT,
    progress=None,
) -> LoadReport:
    """Drive `url` with `clients` concurrent clients for `seconds`; see the module docstring.

    `pid` is the server's process id for the memory readings (found from the URL's port if it is local)."""
    endpoints = tuple(endpoints)
    report = LoadReport(url=url, clients=clients, seconds=seconds, endpoints=endpoints, fresh=fresh)
    report.loadavg = os.getloadavg()
    pid = pid if pid is not None else local_pid(url)
    say = progress or (lambda text: None)

    probe = make_client(url)
    defaults = endpoint_defaults(probe, endpoints)
    for name in endpoints:  # one warm-up call each: start-up work is not what this measures
        try:
            probe.submit(**defaults[name], api_name=name).result(timeout=REQUEST_TIMEOUT)
        except Exception as err:  # noqa: BLE001 - reported, not raised
            report.setup_errors.append(f"warm-up {name}: {short_error(err)}")
    report.rss_before = rss_kb(pid) if pid else None

    say(f"connecting {clients} clients ...")
    pool: list = [None] * clients
    lock = threading.Lock()

    def connect(i):
        try:
            pool[i] = make_client(url)
        except Exception as err:  # noqa: BLE001
            with lock:
                report.setup_errors.append(f"client {i} could not connect: {short_error(err)}")

    threads = [threading.Thread(target=connect, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    sampler = RssSampler(pid)
    sampler.start()
    start = time.perf_counter()
    deadline = start + seconds
    last_answer = [start]

    def user(i):
        client = pool[i]
        if client is None:
            return
        rng = random.Random(i)
        k = i  # clients start on different tabs
        while time.perf_counter() < deadline:
            name = endpoints[k % len(endpoints)]
            k += 1
            args = dict(defaults[name])
            if fresh:
                for p in SEED_PARAMS & set(args):
                    args[p] = rng.randrange(1_000, 2**31 - 1)
            t0 = time.perf_counter()
            error, files = None, 0
            try:
                answer = client.submit(**args, api_name=name).result(timeout=REQUEST_TIMEOUT)
                for file_url in served_files(answer, url):  # as the browser fetches them
                    fetch_file(file_url)
                    files += 1
            except Exception as err:  # noqa: BLE001 - every failure is counted and shown
                error = short_error(err)
            t1 = time.perf_counter()
            with lock:
                report.samples.append(Sample(i, name, t0 - start, t1 - t0, error, files))
                last_answer[0] = max(last_answer[0], t1)

    say(f"running for {seconds:g} s ...")
    threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(0.0, deadline + drain_timeout - time.perf_counter()))
    report.not_drained = sum(t.is_alive() for t in threads)
    report.wall = last_answer[0] - start
    time.sleep(1.0)  # one more memory reading once the queue is empty
    sampler.stop()
    report.rss = sampler.samples
    report.rss_after = rss_kb(pid) if pid else None

    say("checking that the app still answers ...")
    report.after_status = page_status(url)
    try:
        client = make_client(url)
        t0 = time.perf_counter()
        client.submit(**defaults[endpoints[0]], api_name=endpoints[0]).result(timeout=REQUEST_TIMEOUT)
        report.after_seconds = time.perf_counter() - t0
        report.answered_after = report.after_status == 200
    except Exception as err:  # noqa: BLE001
        report.after_error = short_error(err)
    return report


@dataclass
class SupersedeProbe:
    endpoint: str
    superseded: bool  # the older request came back without figures (its work was stopped)
    old_seconds: float  # the older request's time on the server (Gradio's own "duration")
    new_seconds: float
    alone_seconds: float  # the same uncached request with nobody superseding it

    def summary(self) -> str:
        verdict = "yes" if self.superseded else "NO (it ran to the end)"
        return (
            f"a newer request of the same session cancels the older one's work on {self.endpoint}: {verdict}; "
            f"older request {self.old_seconds:.2f} s on the server (alone: {self.alone_seconds:.2f} s), "
            f"newer {self.new_seconds:.2f} s"
        )


def supersede_probe(
    url: str, endpoint: str = "/ddim_table", delay: float = 0.5, slow: dict | None = None
) -> SupersedeProbe:
    """Send what a browser sends when a participant changes a setting while a slow view is computing: two
    requests to the same handler in the same session (a cache miss, made slower by the `slow` settings, then
    the cached default) `delay` s apart. The older one should stop early and come back without figures."""
    import json
    import uuid

    import httpx

    client = make_client(url)
    params = client.view_api(return_format="dict", print_info=False)["named_endpoints"][endpoint]["parameters"]
    defaults = {p["parameter_name"]: p.get("parameter_default") for p in params}
    seed_name = next(p for p in defaults if p in SEED_PARAMS)
    config = httpx.get(url + "config", timeout=30).json()
    fn_index = next(d["id"] for d in config["dependencies"] if d.get("api_name") == endpoint.strip("/"))

    def data(seed):
        values = dict(defaults, **{seed_name: seed})
        if seed != defaults[seed_name]:
            values.update(slow or {})
        return [values[p["parameter_name"]] for p in params]

    def run(seeds: list[int]) -> list[dict]:
        session = uuid.uuid4().hex[:12]
        done = {}
        with httpx.Client(timeout=REQUEST_TIMEOUT) as http:

            def join(seed):
                body = {"data": data(seed), "fn_index": fn_index, "session_hash": session}
                return http.post(url + "gradio_api/queue/join", json=body).json()["event_id"]

            events = [join(seeds[0])]
            with http.stream("GET", url + f"gradio_api/queue/data?session_hash={session}") as response:
                for seed in seeds[1:]:
                    time.sleep(delay)
                    events.append(join(seed))
                for line in response.iter_lines():
                    if line.startswith("data:"):
                        msg = json.loads(line[5:])
                        if msg.get("msg") == "process_completed":
                            done[msg["event_id"]] = msg.get("output") or {}
                            if len(done) == len(seeds):
                                break
        return [done.get(e, {}) for e in events]

    def has_figures(output: dict) -> bool:
        return any(isinstance(x, dict) and x.get("type") == "plotly" for x in output.get("data") or [])

    rng = random.Random()
    (alone,) = run([rng.randrange(10**6, 10**9)])
    old, new = run([rng.randrange(10**6, 10**9), defaults[seed_name]])
    return SupersedeProbe(
        endpoint=endpoint,
        superseded=bool(old) and not has_figures(old) and has_figures(new),
        old_seconds=float(old.get("duration") or 0.0),
        new_seconds=float(new.get("duration") or 0.0),
        alone_seconds=float(alone.get("duration") or 0.0),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--url", help="an app that is already running (default: launch `python app.py`)")
    parser.add_argument("--pid", type=int, help="the server's process id, for memory readings with --url")
    parser.add_argument("--endpoints", nargs="+", default=list(ENDPOINTS))
    parser.add_argument("--fresh", action="store_true", help="a new seed per request, so every request misses caches")
    args = parser.parse_args(argv)

    def say(text):
        print(text, file=sys.stderr, flush=True)

    proc = None
    url = args.url
    if url is None:
        log_path = ROOT / "test-output" / "load-server.log"
        log_path.parent.mkdir(exist_ok=True)
        proc, url, startup = launch_app(log_path=log_path)
        say(f"launched python app.py (pid {proc.pid}) on {url}: first page after {startup:.1f} s; log in {log_path}")
    try:
        report = run_load(
            url,
            clients=args.clients,
            seconds=args.seconds,
            endpoints=tuple(args.endpoints),
            pid=args.pid if args.pid is not None else (proc.pid if proc else None),
            fresh=args.fresh,
            progress=say,
        )
        probe = supersede_probe(url, slow={"particles": 2000})
    finally:
        if proc is not None:
            stop_app(proc)
    print(report.summary())
    print(probe.summary())
    healthy = not report.failures and not report.setup_errors and not report.not_drained and report.answered_after
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
