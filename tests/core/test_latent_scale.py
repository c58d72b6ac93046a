"""The latent scale's shipped runs (assets/latent/scale_curves.json, `python -m core.latent --curves`): the
ldm_latent_scale claim and the tab's scale curve read them, so a sample of them is recomputed here, exactly as
core/latent.py computes them; and the claim's verdict logic is checked on them (tests/core/test_claims.py checks
that the claim's numbers are the shipped claims.json ones)."""

from __future__ import annotations

import numpy as np
import pytest

from core import latent as L
from core.claims import latent as C

REL = 1e-9  # seeded runs on one machine are identical; this leaves room for BLAS summation order only


@pytest.fixture(scope="module")
def shipped() -> dict:
    curves = L.shipped_scale_curves()
    assert curves, "run `python -m core.latent --curves`"
    return curves


@pytest.fixture(scope="module")
def spec() -> str:
    return L.latent_spec(L.DEFAULT, L.SCALE_COMPONENTS)


def test_the_shipped_runs_are_this_autoencoder_and_prior(shipped, spec):
    assert shipped["spec"] == spec and shipped["components"] == C.COMPONENTS == L.SCALE_COMPONENTS
    assert L.Settings(**shipped["autoencoder"]) == L.DEFAULT
    runs = shipped["claim"]
    assert set(runs["few"]["units"]) == {f"{f:g}" for f in C.SCALES}
    assert set(runs["many"]["units"]) == {f"{f:g}" for f in C.MANY_SCALES}
    assert all(len(v) == len(C.SEEDS) for r in runs.values() for v in r["units"].values())


def test_few_step_runs_of_one_seed_recomputed(shipped, spec):
    """Seed 0 of the DDIM-10 runs at every scale, and the prior-mismatch KL at every scale."""
    sampler, steps, n = C.FEW
    fresh = L.scale_units(spec, sampler, steps, n, (C.SEEDS[0],), C.SCALES)
    for f in C.SCALES:
        assert fresh[f"{f:g}"][0] == pytest.approx(shipped["claim"]["few"]["units"][f"{f:g}"][0], rel=REL, abs=1e-9)
    kl = L.scale_kl(spec, sampler, steps, C.SCALES)
    for f in C.SCALES:
        np.testing.assert_allclose(kl[f"{f:g}"], shipped["claim"]["few"]["kl"][f"{f:g}"], rtol=REL, atol=1e-12)


@pytest.mark.slow
def test_one_thousand_step_run_recomputed(shipped, spec):
    """One of the fifteen DDPM-1000 runs: the last seed at the smallest scale (the one the verdict found worse)."""
    sampler, steps, n = C.MANY
    f, seed = C.MANY_SCALES[0], C.SEEDS[-1]
    fresh = L.scale_units(spec, sampler, steps, n, (seed,), (f,))[f"{f:g}"][0]
    assert fresh == pytest.approx(shipped["claim"]["many"]["units"][f"{f:g}"][-1], rel=REL, abs=1e-9)


def test_a_shipped_tab_curve_recomputed(shipped):
    from demos import latent as tab

    sampler, steps = L.TAB_CURVES[1]
    fresh = tab.compute_scale_curve(L.DEFAULT, L.SCALE_COMPONENTS, sampler, steps, 0)
    old = shipped["tab"][f"{sampler}/{steps}/0"]
    assert fresh["particles"] == old["particles"] and fresh["scale"] == old["scale"]
    for key in ("units", "kl", "kl_se"):
        np.testing.assert_allclose(fresh[key], old[key], rtol=REL, atol=1e-12)


def test_the_tab_reads_the_shipped_curve_and_computes_others(shipped):
    from demos import latent as tab

    tab.scale_curve.cache_clear()
    for sampler, steps in L.TAB_CURVES:
        assert (
            tab.scale_curve(L.DEFAULT, L.SCALE_COMPONENTS, sampler, steps, 0) is shipped["tab"][f"{sampler}/{steps}/0"]
        )
    other = tab.scale_curve(L.DEFAULT, L.SCALE_COMPONENTS, "ddim", 3, 0)
    assert other is not shipped["tab"].get("ddim/3/0") and len(other["units"]) == len(tab.SCALES)


def test_the_claim_reads_the_runs_and_its_verdict_follows_them(shipped):
    values = C._scale()
    unit = np.mean(shipped["claim"]["few"]["units"]["1"])
    assert values["few_x1"] == pytest.approx(unit, rel=1e-12)
    assert C._scale_verdict(values) == "holds"
    # the logic can fail: the same numbers with every scale as good as unit variance
    flat = {k: (values["few_x1"] if k.startswith("few_x") and not k.endswith("_se") else v) for k, v in values.items()}
    flat = {k: (values["many_x1"] if k.startswith("many_x") and not k.endswith("_se") else v) for k, v in flat.items()}
    assert C._scale_verdict(flat) == "does not hold here"
