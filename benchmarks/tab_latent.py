"""Benchmark cases of the Latent diffusion tab (collected by `python -m benchmarks.app`).

Budgets (issue 29): the default view where cached ≤ 100 ms; a new sampler / steps ≤ 2 s; a class / w change ≤ 2 s
(the guided runs of every w in the image rows); training the autoencoder at the defaults ≤ 20 s (behind a
progress bar); the scale curve at the defaults and the scenes' samplers is shipped (assets/latent/scale_curves.json:
interactive), a new sampler / steps computes it (≤ 2 s), the heaviest the inputs allow is capped at a quarter of
MAX_WORK (≤ 3 s).
"""

from __future__ import annotations

INTERACTIVE = 0.100
NEW_RUN = 2.0
TRAINING_BUDGET = 20.0


def cases(worst: bool) -> list:
    from benchmarks.app import CALLBACK_BUDGET, WORK_CAP_BUDGET
    from benchmarks.rows import LOAD, Row, clear
    from benchmarks.rows import cases as rows_cases
    from core import latent as L
    from demos import latent as tab

    fresh = L.Settings(64, L.DEFAULT.steps, 1)

    def forget_fresh():
        L._CACHE.pop(fresh, None)

    def train():  # timed, not serialised
        tab.train_autoencoder("64", fresh.steps, fresh.seed)
        return (None,) * sum(len(v.outputs) for v in tab.SPEC.views)

    new_run, new_cfg = clear(tab.latent_view, tab._run), clear(tab.cfg_view, tab._run)
    new_curve = clear(tab.scale_view, tab.scale_curve)
    heun = dict(sampler="edm_heun", steps=18)
    rows = [
        Row("latent · page load / scene (all views cached)", CALLBACK_BUDGET, LOAD),
        Row("latent · default view (cached)", INTERACTIVE, tab.latent_view),
        Row("latent · new sampler / steps: EDM Heun 18 (miss)", NEW_RUN, tab.latent_view, heun, reset=new_run),
        Row("latent · new class / w: draw a 5, w = 2 (miss)", NEW_RUN, tab.cfg_view, dict(label=5, w=2.0),
            reset=new_cfg),
        Row("latent · scale curve at the defaults (shipped)", INTERACTIVE, tab.scale_view, reset=new_curve),
        Row("latent · scale curve, new sampler / steps: EDM Heun 18, seed 1 (miss)", NEW_RUN, tab.scale_view,
            dict(heun, seed=1), reset=new_curve),
        Row("latent · train the autoencoder at the defaults (seed 1)", TRAINING_BUDGET, train, reset=forget_fresh,
            repeats=1),
    ]  # fmt: skip
    if worst:
        rows.append(
            Row("cap: latent · scale curve, DDPM 1000 steps (seed 1)", WORK_CAP_BUDGET, tab.scale_view,
                dict(sampler="ddpm", steps=1000, seed=1), reset=new_curve, repeats=1)
        )  # fmt: skip
    return rows_cases(tab, rows)
