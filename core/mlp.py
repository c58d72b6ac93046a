"""A small MLP trained in torch and evaluated in numpy: the few-step students' network (core/reflow.py, and any
other student that regresses a map from examples).

Training follows core/learned.py's discipline: CPU, one torch thread while training (restored afterwards),
torch.manual_seed and a numpy Generator for the batches, Adam decayed linearly to 0, a CPU-time safety cap that
keeps what was learned, and a progress callback every 25 steps that may raise to stop. The trained weights are
float32 arrays evaluated in numpy (float64 arithmetic), so shipped students (npz: arrays and one JSON string, no
pickle) load and answer without torch.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MAX_SECONDS = 40.0  # CPU seconds: a slower machine stops with the model as it is then
_BLAS = []  # one threadpoolctl controller, made on first use (finding the libraries once)


def _one_blas_thread():
    """BLAS on one thread for an evaluation: on the loaded 2-core server its default threads oversubscribe
    (a 2,000 × 64 product: 16 ms with them, 1.3 ms without)."""
    if not _BLAS:
        from threadpoolctl import ThreadpoolController

        _BLAS.append(ThreadpoolController())
    return _BLAS[0].limit(limits=1, user_api="blas")


@dataclass
class MLP:
    """A SiLU MLP from float32 (weight (out, in), bias) pairs, as torch.nn.Linear stores them."""

    layers: list[tuple[np.ndarray, np.ndarray]]
    meta: dict = field(default_factory=dict)  # what the student is (settings, training log), JSON-serialisable

    def __post_init__(self):
        self.layers = [(np.asarray(w, dtype=np.float32), np.asarray(b, dtype=np.float32)) for w, b in self.layers]
        self._layers64 = [(w.astype(np.float64).T.copy(), b.astype(np.float64)) for w, b in self.layers]

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        h = np.asarray(inputs, dtype=np.float64)
        with _one_blas_thread():
            for i, (w, b) in enumerate(self._layers64):
                h = h @ w + b
                if i < len(self._layers64) - 1:
                    h = h * (0.5 + 0.5 * np.tanh(0.5 * h))  # SiLU, h·sigmoid(h), without overflow
        return h

    @property
    def n_parameters(self) -> int:
        return sum(w.size + b.size for w, b in self.layers)

    def save(self, path: Path) -> None:
        save_arrays(path, self.meta, layer_arrays(self.layers))

    @classmethod
    def load(cls, path: Path) -> MLP:
        meta, arrays = load_arrays(path)
        return cls(layers_of(arrays), meta)


def layer_arrays(layers: list[tuple[np.ndarray, np.ndarray]], prefix: str = "") -> dict[str, np.ndarray]:
    """A network's (weight, bias) pairs as named arrays: w0, w1, ..., then b0, b1, ... (each name after `prefix`)."""
    arrays = {f"{prefix}w{i}": w for i, (w, _) in enumerate(layers)}
    arrays.update({f"{prefix}b{i}": b for i, (_, b) in enumerate(layers)})
    return arrays


def layers_of(arrays: dict[str, np.ndarray], prefix: str = "") -> list[tuple[np.ndarray, np.ndarray]]:
    """The (weight, bias) pairs that `layer_arrays` named."""
    n = sum(1 for k in arrays if k.startswith(f"{prefix}w"))
    return [(arrays[f"{prefix}w{i}"], arrays[f"{prefix}b{i}"]) for i in range(n)]


def save_arrays(path: Path, meta: dict, arrays: dict[str, np.ndarray]) -> None:
    """A trained network's file: its arrays and one JSON string (`meta`), loadable without pickle."""
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, meta=np.array(json.dumps(meta)), **arrays)


def load_arrays(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """(meta, arrays by name) of a file `save_arrays` wrote."""
    with np.load(path, allow_pickle=False) as z:
        return json.loads(str(z["meta"])), {k: z[k] for k in z.files if k != "meta"}


@dataclass
class Fit:
    losses: list[float]
    seconds: float
    cpu_seconds: float
    stopped: str = ""  # why it stopped early ("" = it ran every step)


def fit(
    batches: Callable[[np.random.Generator, int], tuple[np.ndarray, np.ndarray]],
    sizes: list[int],
    steps: int,
    lr: float,
    seed: int,
    progress: Callable[[int, int, float], None] | None = None,
    max_seconds: float = MAX_SECONDS,
    chunk: int = 100,
    init: MLP | None = None,
) -> tuple[MLP, Fit]:
    """Train an MLP of layer sizes `sizes` on the mean squared error. `batches(rng, n)` returns n steps' batches
    as arrays (n, B, in) and (n, B, out), and optionally (n, B) per-example weights of the squared error (the
    loss is then the weighted mean), drawn `chunk` steps at a time; `progress(step, total, loss)` is called every
    25 steps and may raise to stop. `init`: start from these weights (a student initialised from its teacher)
    instead of torch's seeded default initialisation."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(seed)
        linears = [torch.nn.Linear(i, o, dtype=torch.float32) for i, o in zip(sizes[:-1], sizes[1:])]
        if init is not None:
            if [w.shape for w, _ in init.layers] != [tuple(lin.weight.shape) for lin in linears]:
                raise ValueError("the initial network's layer sizes differ from `sizes`")
            with torch.no_grad():
                for lin, (w, b) in zip(linears, init.layers):
                    lin.weight.copy_(torch.from_numpy(np.asarray(w, dtype=np.float32)))
                    lin.bias.copy_(torch.from_numpy(np.asarray(b, dtype=np.float32)))
        opt = torch.optim.Adam([p for lin in linears for p in lin.parameters()], lr=lr, foreach=True)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: max(0.0, 1 - k / steps))
        rng = np.random.default_rng(seed)
        losses: list[float] = []
        start, cpu0, stopped, step = time.perf_counter(), time.thread_time(), "", 0
        for first in range(0, steps, chunk):
            n = min(chunk, steps - first)
            inputs, targets, *weights = (torch.from_numpy(a.astype(np.float32)) for a in batches(rng, n))
            for j in range(n):
                h = inputs[j]
                for i, lin in enumerate(linears):
                    h = lin(h)
                    if i < len(linears) - 1:
                        h = torch.nn.functional.silu(h)
                squared = ((h - targets[j]) ** 2).sum(1)
                loss = (weights[0][j] * squared if weights else squared).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                losses.append(loss.item())
                step = first + j + 1
                if progress is not None and step % 25 == 0:
                    progress(step, steps, float(np.mean(losses[-25:])))
            if time.thread_time() - cpu0 > max_seconds and step < steps:
                stopped = f"stopped at step {step:,} of {steps:,}: the {max_seconds:g} s safety cap"
                break
        layers = [(lin.weight.detach().numpy().copy(), lin.bias.detach().numpy().copy()) for lin in linears]
    finally:
        torch.set_num_threads(threads)
    return MLP(layers), Fit(losses, time.perf_counter() - start, time.thread_time() - cpu0, stopped)


def loss_curve(losses: list[float], points: int = 200) -> list[list[float]]:
    """[[step, mean loss of its block]] for at most `points` blocks: what the tabs plot (and ship)."""
    n = len(losses)
    if n == 0:
        return []
    edges = np.unique(np.linspace(0, n, min(points, n) + 1).astype(int))
    arr = np.asarray(losses)
    return [[int(hi), float(arr[lo:hi].mean())] for lo, hi in zip(edges[:-1], edges[1:])]


def shipped_main(write_shipped: Callable[[list[str] | None], object], description: str, written: str) -> None:
    """The command line of a module that ships trained networks: `--write [presets...]` trains and writes them
    (`write_shipped(presets or None)`); without --write it prints its help."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--write", action="store_true", help=f"train and write {written}")
    parser.add_argument("presets", nargs="*", help="presets (default: all)")
    args = parser.parse_args()
    if args.write:
        write_shipped(args.presets or None)
    else:
        parser.print_help()
