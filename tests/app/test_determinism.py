"""The same settings and seed give byte-identical figure data (issue 6): twice in one process with every cache
cleared in between and the views run in the opposite order (so no hidden global state such as numpy's global
RNG or a cache can make them agree), and in two fresh processes started with different hash seeds."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

ROOT = Path(__file__).resolve().parents[2]
WALL_TIME = re.compile(r"\d+(\.\d+)?\s*ms\b")  # the reverse tab's metrics report the run's wall time


def settings() -> dict[str, tuple[str, dict]]:
    """name → (tab, control overrides): defaults, stochastic samplers, an adaptive solver, a diffusers row."""
    return {
        "forward default": ("forward", {}),
        "forward ve grid25": ("forward", dict(preset="grid25", process="ve", t=0.3, seed=7)),
        "reverse default": ("reverse", {}),
        "reverse ddpm seed 3": ("reverse", dict(sampler="ddpm", steps=50, seed=3, particles=500)),
        "reverse edm churn": (
            "reverse",
            dict(sampler="edm_heun", process="edm", grid="karras", steps=12, s_churn=40.0, seed=11, particles=500),
        ),
        "reverse pc": ("reverse", dict(sampler="pc", process="ve", grid="logsnr", steps=20, particles=300, seed=5)),
        "reverse annealed langevin": (
            "reverse",
            dict(sampler="annealed_langevin", process="ve", grid="logsnr", steps=5, steps_per_level=10, particles=300),
        ),
        "reverse adaptive": ("reverse", dict(sampler="pf_adaptive", process="vp", grid="logsnr", particles=300)),
        "reverse diffusers euler ancestral": (
            "reverse",
            dict(sampler="diffusers:EulerAncestralDiscrete", steps=10, particles=300, seed=2),
        ),
        "ddim table": ("ddim", dict(particles=500, seed=4, cell_steps=20, cell_variant="η = 1.0")),
        "guidance default": ("guidance", {}),
        "guidance ring8_soft": ("guidance", dict(preset="ring8_soft", label=1, w=7.0, particles=300, seed=9)),
    }


def _modules():
    from demos import ddim_table, forward, guidance, reverse

    return {"forward": forward, "reverse": reverse, "ddim": ddim_table, "guidance": guidance}


def clear_caches() -> None:
    """Every cache between a setting and its figures, so the second computation really recomputes."""
    from core import metrics
    from demos import ddim_table, forward, guidance, reverse

    forward._particles.cache_clear()
    reverse.run.cache_clear()
    ddim_table._TABLES.clear()
    guidance.curves.cache_clear()
    metrics.clear_floors()


def output_bytes(out) -> bytes:
    """The bytes a browser would receive for one output (figures as their JSON)."""
    if isinstance(out, go.Figure):
        return out.to_json().encode()
    if isinstance(out, np.ndarray):
        return str(out.dtype).encode() + str(out.shape).encode() + out.tobytes()
    if isinstance(out, str):
        return WALL_TIME.sub("<ms>", out).encode()
    return json.dumps(out, default=str).encode()


def digests(order: list[str] | None = None) -> dict[str, list[str]]:
    """setting name → sha256 of each of its outputs, computed in `order` (default: as listed)."""
    table = settings()
    result = {}
    for name in order or list(table):
        tab, overrides = table[name]
        module = _modules()[tab]
        values = [overrides.get(c.name, c.default) for c in module.CONTROLS]
        view = {"forward": "forward_view", "reverse": "reverse_view", "ddim": "ddim_view", "guidance": "guidance_view"}
        outputs = getattr(module, view[tab])(*values)
        result[name] = [hashlib.sha256(output_bytes(o)).hexdigest() for o in outputs]
    return result


def _differences(a: dict, b: dict) -> list[str]:
    out = []
    for name in a:
        if a[name] != b[name]:
            out.append(f"{name}: outputs {[i for i, (x, y) in enumerate(zip(a[name], b[name])) if x != y]} differ")
    return out


def test_same_settings_give_identical_figures_within_a_process():
    clear_caches()
    first = digests()
    clear_caches()
    second = digests(order=list(reversed(list(settings()))))
    assert not _differences(first, second), _differences(first, second)


SCRIPT = "import json; from tests.app.test_determinism import digests; print('DIGESTS' + json.dumps(digests()))"


def _in_fresh_process(hash_seed: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONHASHSEED=hash_seed, GRADIO_ANALYTICS_ENABLED="False")
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _result(proc: subprocess.Popen) -> dict:
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    line = next(line for line in out.splitlines() if line.startswith("DIGESTS"))
    return json.loads(line.removeprefix("DIGESTS"))


def test_same_settings_give_identical_figures_across_processes():
    procs = [_in_fresh_process("1"), _in_fresh_process("2")]  # both run while this process computes its own
    clear_caches()
    here = digests()
    one, two = (_result(p) for p in procs)
    assert not _differences(one, two), _differences(one, two)
    assert not _differences(one, here), _differences(one, here)
