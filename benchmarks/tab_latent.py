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
    from benchmarks.app import WORK_CAP_BUDGET, Case
    from core import latent as L
    from demos import kit
    from demos import latent as tab

    d = tab.SPEC.validate(tab.SPEC.defaults())
    sizes = [len(v.outputs) for v in tab.SPEC.views]

    def padded(index: int, view, **kw):
        """One view's outputs in their place among the tab's (the others None)."""
        names = tab.SPEC.views[index].inputs
        before, after = sum(sizes[:index]), sum(sizes[index + 1 :])
        return lambda: (*[None] * before, *view(**{n: kw.get(n, d[n]) for n in names}), *[None] * after)

    def clear(*caches):
        def reset():
            for cache in caches:
                cache.cache_clear()

        return reset

    fresh = L.Settings(64, L.DEFAULT.steps, 1)

    def forget_fresh():
        L._CACHE.pop(fresh, None)

    def train():
        tab.train_autoencoder("64", fresh.steps, fresh.seed)
        return (None,) * sum(sizes)

    out = [
        Case(
            "latent · page load / scene (all views cached)",
            tab.TAB_ID,
            lambda: tuple(kit.draw(tab.SPEC, d).values()),
        ),
        Case("latent · default view (cached)", tab.TAB_ID, padded(0, tab.latent_view), budget=INTERACTIVE),
        Case(
            "latent · new sampler / steps: EDM Heun 18 (miss)",
            tab.TAB_ID,
            padded(0, tab.latent_view, sampler="edm_heun", steps=18),
            reset=clear(tab.latent_view, tab._run),
            budget=NEW_RUN,
        ),
        Case(
            "latent · new class / w: draw a 5, w = 2 (miss)",
            tab.TAB_ID,
            padded(1, tab.cfg_view, label=5, w=2.0),
            reset=clear(tab.cfg_view, tab._run),
            budget=NEW_RUN,
        ),
        Case(
            "latent · scale curve at the defaults (shipped)",
            tab.TAB_ID,
            padded(2, tab.scale_view),
            reset=clear(tab.scale_view, tab.scale_curve),
            budget=INTERACTIVE,
        ),
        Case(
            "latent · scale curve, new sampler / steps: EDM Heun 18, seed 1 (miss)",
            tab.TAB_ID,
            padded(2, tab.scale_view, sampler="edm_heun", steps=18, seed=1),
            reset=clear(tab.scale_view, tab.scale_curve),
            budget=NEW_RUN,
        ),
        Case(
            "latent · train the autoencoder at the defaults (seed 1)",
            tab.TAB_ID,
            train,
            reset=forget_fresh,
            budget=TRAINING_BUDGET,
            repeats=1,
        ),
    ]
    if worst:
        out.append(
            Case(
                "cap: latent · scale curve, DDPM 1000 steps (seed 1)",
                tab.TAB_ID,
                padded(2, tab.scale_view, sampler="ddpm", steps=1000, seed=1),
                reset=clear(tab.scale_view, tab.scale_curve),
                budget=WORK_CAP_BUDGET,
                repeats=1,
            )
        )
    return out
