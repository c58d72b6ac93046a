"""Speed budgets of the app (issue 4), measured server side.

    python -m benchmarks.app                      # ~3-4 min: callbacks, work-cap worst cases, 3 start-ups
    python -m benchmarks.app --no-worst --startup-runs 1

Budgets: every interactive callback ≤ 250 ms including figure serialisation (median of several runs, default
settings), figure JSON ≤ 1.5 MB per update, `python app.py` serving its first page ≤ 10 s after start, and
slider/timer events that never queue up stale work (trigger_mode "always_last" or "once").

A callback is timed the way the server runs it: the tab's view function, then each output component's
`postprocess` (a plotly figure becomes its JSON there, the picture a cached PNG), then the JSON encoding of the
whole update. The tabs are warmed up first, as `python app.py` does. Rows marked "cache miss" clear the
tab's cache before every run: that is what a participant pays the first time a setting (a preset, a seed,
a particle count ...) is asked for. The "work cap" rows are the heaviest settings the inputs allow; their
budget is the per-request cap's own promise (demos/inputs.py: about 2-3 s of CPU at most).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CALLBACK_BUDGET = 0.250  # seconds
JSON_BUDGET = 1.5e6  # bytes of figure JSON per update
STARTUP_BUDGET = 10.0  # seconds to the first page
WORK_CAP_BUDGET = 3.0  # seconds: "about 2-3 s of CPU at most" (demos/inputs.py, MAX_WORK)


@dataclass
class Case:
    name: str
    tab: str  # TAB_ID of the module whose output components serialise the result
    run: Callable[[], tuple]  # returns the view's outputs, in the order of the tab's output components
    reset: Callable[[], None] | None = None  # called before every timed run (cache miss rows)
    budget: float = CALLBACK_BUDGET
    repeats: int | None = None  # None: the command line's --repeats


@dataclass
class Result:
    name: str
    seconds: float  # median over runs
    view_seconds: float  # median of the view function alone
    json_bytes: int  # figure JSON of one update
    runs: int
    budget: float
    error: str | None = None
    refused: str | None = None  # the user-facing message when the setting was refused


def defaults(module) -> list:
    if hasattr(module, "SPEC"):
        return list(module.SPEC.defaults().values())
    return [c.default for c in module.CONTROLS]


def build_cases(worst: bool) -> list[Case]:
    """The rows of the first tabs (declared as data: benchmarks/rows.py), then every tab_*.py's."""
    from benchmarks.rows import LOAD, Row, clear
    from benchmarks.rows import cases as rows_cases
    from core import metrics
    from demos import ddim_table, forward, guidance, reverse

    fwd, rev, ddim, guide = forward.forward_view, reverse.reverse_view, ddim_table.ddim_view, guidance.guidance_view

    budget = CALLBACK_BUDGET
    cases = rows_cases(forward, [
        Row("forward · t slider / any control", budget, fwd),
        Row("forward · new seed or preset (cache miss)", budget, fwd, reset=forward._particles.cache_clear),
        Row("forward · page load / scene (load)", budget, LOAD),
    ])  # fmt: skip
    cases += rows_cases(reverse, [
        Row("reverse · step / particle slider", budget, rev),
        Row("reverse · new run: steps, seed, sampler... (cache miss)", budget, rev, reset=reverse.run.cache_clear),
        Row("reverse · new particle count (run + noise floors miss)", budget, rev,
            reset=clear(reverse.run, metrics.clear_floors)),
        Row("reverse · page load / scene (load)", budget, LOAD),
    ])  # fmt: skip
    cases += rows_cases(ddim_table, [
        Row("ddim · cell radios (table cached)", budget, ddim),
        Row("ddim · new preset / particles / seed (table miss)", budget, ddim, reset=ddim_table._TABLES.clear),
    ])  # fmt: skip
    cases += rows_cases(guidance, [
        Row("guidance · w slider (curves cached)", budget, guide),
        Row("guidance · new class / particles / steps / seed (miss)", budget, guide, reset=guidance.curves.cache_clear),
        Row("guidance · page load / scene (load)", budget, LOAD),
    ])  # fmt: skip
    cases += tab_cases(worst)
    if not worst:
        return cases

    cap, once = WORK_CAP_BUDGET, dict(repeats=1)  # the work-cap rows: one run, a new run each time
    new_run = dict(reset=reverse.run.cache_clear, **once)
    cases += rows_cases(reverse, [
        Row("cap: reverse · DDIM 1000 steps × 2500 particles", cap, rev, dict(steps=1000, particles=2500), **new_run),
        Row("cap: reverse · annealed Langevin 1000×100, 100 particles", cap, rev,
            dict(sampler="annealed_langevin", steps=1000, particles=100), **new_run),
        Row("cap: reverse · plain Langevin 10,000 steps, 100 partic.", cap, rev,
            dict(sampler="langevin", process="ve", grid="logsnr", steps=10, particles=100, n_steps=10000), **new_run),
        Row("cap: reverse · PF-ODE adaptive, rtol = atol = 1e-10", cap, rev,
            dict(sampler="pf_adaptive", process="vp", grid="logsnr", rtol=1e-10, atol=1e-10), **new_run),
        Row("cap: reverse · diffusers Heun 1000 steps × 1000 partic.", cap, rev,
            dict(sampler="diffusers:HeunDiscrete", steps=1000, particles=1000), **new_run),
    ])  # fmt: skip
    cases += rows_cases(ddim_table, [
        Row("cap: ddim · new table at 2000 particles", cap, ddim, dict(particles=2000, seed=1),
            reset=ddim_table._TABLES.clear, **once),
    ])  # fmt: skip
    cases += rows_cases(guidance, [
        Row("cap: guidance · new curves, 2000 partic. × 200 steps", cap, guide, dict(particles=2000, steps=200, seed=1),
            reset=guidance.curves.cache_clear, **once),
    ])  # fmt: skip
    return cases


def tab_cases(worst: bool) -> list[Case]:
    """The cases of the newer tabs: each `benchmarks/tab_<name>.py` has `cases(worst) -> list[Case]`."""
    found = []
    for path in sorted(Path(__file__).parent.glob("tab_*.py")):
        found += importlib.import_module(f"benchmarks.{path.stem}").cases(worst)
    return found


def view_components(module, handle) -> list:
    """The output components of a tab in the order its views return them (a kit tab: view by view)."""
    if hasattr(module, "SPEC"):
        return [handle.outputs[name] for view in module.SPEC.views for name in view.outputs]
    return handle[2]


def serialise(components, outputs) -> tuple[bytes, int]:
    """What the server does with a view's outputs: each component's postprocess, then JSON for the update.
    Returns (update JSON, bytes of figure JSON in it)."""
    from gradio.data_classes import GradioModel, GradioRootModel

    from demos import live

    payload, figure_bytes = [], 0
    for component, value in zip(components, outputs):
        carrier = live.is_carrier(component)  # a live plot's figure, serialised as live.send_figures does
        data = component.postprocess(live.as_sent(value) if carrier else value)
        if isinstance(data, GradioModel | GradioRootModel) or carrier:  # a carrier's JsonData included
            data = data.model_dump() if data is not None else None
        if (carrier or type(component).__name__ == "Plot") and data is not None:
            figure_bytes += len(data["plot"].encode())
        payload.append(data)
    return json.dumps(payload, default=str).encode(), figure_bytes


def measure(case: Case, components, repeats: int) -> Result:
    n = case.repeats or repeats
    totals, views, size, i = [], [], 0, 0
    while i < n:
        if case.reset is not None:
            case.reset()
        try:
            t0 = time.perf_counter()
            outputs = case.run()
            t1 = time.perf_counter()
            _, size = serialise(components, outputs)
            t2 = time.perf_counter()
        except ValueError as err:  # refused with a message (validation or the work cap): time to the refusal
            elapsed = time.perf_counter() - t0
            text = " ".join(str(err).split())
            return Result(case.name, elapsed, elapsed, 0, i + 1, case.budget, refused=text)
        except Exception as err:  # noqa: BLE001 - a failing setting is reported as such
            text = " ".join(str(err).split())[:120]
            return Result(
                case.name, time.perf_counter() - t0, 0.0, 0, i + 1, case.budget, f"{type(err).__name__}: {text}"
            )
        totals.append(t2 - t0)
        views.append(t1 - t0)
        if i == 0 and n > 3 and totals[0] > 1.0:  # slow rows: three runs are enough for a median
            n = 3
        i += 1
    return Result(case.name, statistics.median(totals), statistics.median(views), size, len(totals), case.budget)


def startup(runs: int) -> list[tuple[float, float | None]]:
    """[(seconds to the first page's 200, seconds to the first /forward answer)] for fresh `python app.py`s."""
    from benchmarks.load import launch_app, make_client, stop_app

    out = []
    for _ in range(runs):
        proc, url, first_page = launch_app()
        try:
            t0 = time.perf_counter()
            try:
                from demos import forward

                make_client(url).predict(*defaults(forward), api_name="/forward")
                answer = first_page + time.perf_counter() - t0
            except Exception:  # noqa: BLE001
                answer = None
        finally:
            stop_app(proc)
        out.append((first_page, answer))
    return out


def slider_events() -> list[tuple[str, str, str]]:
    """[(component type, event, trigger_mode)] of every slider and timer event of the built app."""
    app = importlib.import_module("app")
    cfg = app.build_app().get_config_file()
    types = {c["id"]: c["type"] for c in cfg["components"]}
    rows = []
    for dep in cfg["dependencies"]:
        for block_id, event in dep["targets"]:
            if types.get(block_id) in ("slider", "timer"):
                rows.append((types[block_id], event, dep.get("trigger_mode")))
    return rows


def verdict(ok: bool) -> str:
    return "PASS" if ok else "OVER"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.app", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="runs per callback (median); slow rows use 3")
    parser.add_argument("--startup-runs", type=int, default=3, help="fresh `python app.py` start-ups (0: skip)")
    parser.add_argument("--no-worst", action="store_true", help="skip the work-cap worst cases")
    args = parser.parse_args(argv)

    import gradio as gr

    print(
        f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start "
        "(other processes on a shared machine slow every figure below)"
    )
    app = importlib.import_module("app")
    t0 = time.perf_counter()
    for module in app.TABS:
        app.warm_up_tab(module)
    print(f"warm-up of every tab (as at start-up): {time.perf_counter() - t0:.1f} s\n")
    with gr.Blocks():
        outputs = {m.TAB_ID: view_components(m, m.build()) for m in app.TABS}

    width = 64
    header = f"{'callback (server side, incl. serialisation)':<{width}}{'median':>9}{'budget':>8}{'':>6}{'view':>8}"
    header += f"{'fig JSON':>11}{'≤ 1.5 MB':>10}{'runs':>6}"
    print(header)
    print("-" * len(header))
    overruns = 0
    for case in build_cases(worst=not args.no_worst):
        res = measure(case, outputs[case.tab], args.repeats)
        budget = f"{res.budget * 1000:.0f}ms" if res.budget < 1 else f"{res.budget:.0f} s"
        if res.error:
            print(f"{res.name:<{width}}{'error':>9}{budget:>8}  ERROR  {res.error}")
            overruns += 1
            continue
        if res.refused:
            time_ok = res.seconds <= res.budget
            overruns += not time_ok
            print(
                f"{res.name:<{width}}{fmt_s(res.seconds):>9}{budget:>8}{verdict(time_ok):>6}"
                f"  refused: {res.refused[:70]}"
            )
            continue
        time_ok, size_ok = res.seconds <= res.budget, res.json_bytes <= JSON_BUDGET
        overruns += (not time_ok) + (not size_ok)
        print(
            f"{res.name:<{width}}{fmt_s(res.seconds):>9}{budget:>8}{verdict(time_ok):>6}{fmt_s(res.view_seconds):>8}"
            f"{res.json_bytes / 1e6:>9.3f}MB{verdict(size_ok):>10}{res.runs:>6}"
        )

    print()
    events = slider_events()
    stale = [e for e in events if e[2] not in ("always_last", "once")]
    print(
        f"slider/timer events: {len(events)}; trigger modes {sorted({e[2] for e in events})}; "
        f"{len(stale)} could queue stale work  {verdict(not stale)}"
    )
    overruns += bool(stale)
    for kind, event, mode in stale:
        print(f"  {kind}.{event} with trigger_mode={mode!r}")

    if args.startup_runs:
        runs = startup(args.startup_runs)
        pages = [p for p, _ in runs]
        answers = [a for _, a in runs if a is not None]
        first_page = statistics.median(pages)
        overruns += first_page > STARTUP_BUDGET
        print(
            f"python app.py → first page 200: median {first_page:.1f} s of {len(runs)} "
            f"({', '.join(f'{p:.1f}' for p in pages)} s); budget {STARTUP_BUDGET:.0f} s  "
            f"{verdict(first_page <= STARTUP_BUDGET)}"
        )
        if answers:
            print(f"python app.py → first /forward answer (no budget): median {statistics.median(answers):.1f} s")
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}; budgets over: {overruns}")
    return 0 if overruns == 0 else 1


def fmt_s(seconds: float) -> str:
    return f"{seconds * 1000:.0f}ms" if seconds < 1 else f"{seconds:.2f}s"


if __name__ == "__main__":
    sys.exit(main())
