"""Throughput of the exact mixture core: score, denoiser and Hessian per preset, and at scale.

    python -m benchmarks.core                 # 2,000 points on every preset, then 10⁵ × 200, ~20 s
    python -m benchmarks.core --repeats 21 --points 5000 --no-scale

Every time is the median of `--repeats` calls, each on the same points (samples of the preset pushed to
a middle noise level). Throughput counts point × component pairs per second of one `score` call. The
denoiser column is `ExactDenoiser.denoise` at (α, σ) = (0.8, 0.6): the model call every sampler makes
once per step, so a 1000-step sampler on these points spends about 1000 × that column in the model.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from core.datasets import PRESETS, load_preset
from core.mixture import GaussianMixture
from core.models import ExactDenoiser


def median_seconds(fn, repeats: int) -> float:
    fn()  # warm-up (allocator, caches)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def preset_table(n_points: int, repeats: int) -> None:
    print(f"Exact mixture core, {n_points:,} points, median of {repeats} calls\n")
    head = (
        f"{'preset':<18} {'K':>4} {'score (ms)':>11} {'Mpairs/s':>9} {'denoise (ms)':>13} {'hessian (ms)':>13}"
        f" {'log_prob (ms)':>14}"
    )
    print(head)
    print("-" * len(head))
    rng = np.random.default_rng(0)
    for key in PRESETS:
        mix = load_preset(key)
        x = 0.8 * mix.sample(n_points, rng) + 0.6 * rng.standard_normal((n_points, 2))
        pt = mix.diffused(0.8, 0.6)
        den = ExactDenoiser(mix)
        t_score = median_seconds(lambda pt=pt, x=x: pt.score(x), repeats)
        t_den = median_seconds(lambda den=den, x=x: den.denoise(x, 0.8, 0.6), repeats)
        t_hess = median_seconds(lambda pt=pt, x=x: pt.hessian(x), repeats)
        t_lp = median_seconds(lambda pt=pt, x=x: pt.log_prob(x), repeats)
        rate = n_points * mix.n_components / t_score / 1e6
        print(
            f"{key:<18} {mix.n_components:>4} {1e3 * t_score:>11.3f} {rate:>9.1f} {1e3 * t_den:>13.3f}"
            f" {1e3 * t_hess:>13.3f} {1e3 * t_lp:>14.3f}"
        )


def scale_run(repeats: int) -> None:
    """10⁵ points × 200 components: chunked over points, so memory stays bounded."""
    rng = np.random.default_rng(1)
    k, n = 200, 100_000
    angle = rng.uniform(0, np.pi, k)
    c, s = np.cos(angle), np.sin(angle)
    rot = np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)
    covs = rot @ (rng.uniform(0.05, 0.5, (k, 2))[:, :, None] ** 2 * np.eye(2)) @ np.swapaxes(rot, 1, 2)
    mix = GaussianMixture(rng.uniform(0.1, 1, k), rng.uniform(-4, 4, (k, 2)), covs)
    x = rng.uniform(-6, 6, (n, 2))
    reps = max(3, repeats // 3)
    print(f"\nScale: {n:,} points × {k} components (median of {reps})\n")
    print(f"{'call':<22} {'time (s)':>9} {'Mpairs/s':>9} {'peak traced MB':>15}")
    print("-" * 58)
    for name, fn in [
        ("score", lambda: mix.score(x)),
        ("denoise (0.6, 0.8)", lambda: mix.posterior_mean_x0(x, 0.6, 0.8)),
        ("hessian", lambda: mix.hessian(x)),
        ("log_prob", lambda: mix.log_prob(x)),
    ]:
        seconds = median_seconds(fn, reps)
        tracemalloc.start()
        fn()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"{name:<22} {seconds:>9.3f} {n * k / seconds / 1e6:>9.1f} {peak / 1e6:>15.1f}")


def sampler_run(n_points: int) -> None:
    """One full 1000-step DDPM run (the samplers' package; skipped if it is unavailable)."""
    try:
        from core.grids import make_grid
        from core.processes import make_process
        from core.samplers.registry import run_sampler
    except Exception as exc:  # the samplers are another module's work: don't let them break this script
        print(f"\n1000-step DDPM run skipped ({type(exc).__name__}: {exc})")
        return
    print(f"\n1000-step DDPM (leading grid), {n_points:,} points\n")
    print(f"{'preset':<18} {'K':>4} {'run (s)':>8} {'per step (ms)':>14}")
    print("-" * 47)
    for key in ("ring8", "checkerboard"):
        mix = load_preset(key)
        start = time.perf_counter()
        try:
            grid = make_grid(make_process("ddpm"), "leading", 1000)
            run_sampler("ddpm", ExactDenoiser(mix), grid, n_points, seed=0, n_paths=0)
        except Exception as exc:
            print(f"{key:<18} skipped ({type(exc).__name__}: {exc})")
            continue
        seconds = time.perf_counter() - start
        print(f"{key:<18} {mix.n_components:>4} {seconds:>8.2f} {seconds:>14.3f}")


LEARNED_BUDGET_MS = 50  # one call of the shipped network on the app's 2,000 points: what every learned step costs


def learned_run(n_points: int, repeats: int) -> None:
    """The shipped learned denoiser (core.learned, ring8's default model), the model call of the Learned tab's
    samplers, against its budget (was a timed test; timings belong here)."""
    from core import learned

    model = learned.cached_model(learned.default_settings("ring8"))
    x = np.random.default_rng(0).standard_normal((n_points, 2))
    ms = 1e3 * median_seconds(lambda: model.denoise(x, 0.9, 0.4), repeats)
    verdict = "ok" if ms <= LEARNED_BUDGET_MS else "OVER"
    print(f"\nShipped learned denoiser (ring8), {n_points:,} points: {ms:.1f} ms a call", end=" ")
    print(f"({verdict} {LEARNED_BUDGET_MS} ms)")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--no-scale", action="store_true", help="skip the 10⁵ × 200 run")
    parser.add_argument("--no-sampler", action="store_true", help="skip the 1000-step DDPM run")
    args = parser.parse_args(argv)
    preset_table(args.points, args.repeats)
    learned_run(args.points, args.repeats)
    if not args.no_scale:
        scale_run(args.repeats)
    if not args.no_sampler:
        sampler_run(args.points)


if __name__ == "__main__":
    main()
