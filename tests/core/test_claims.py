"""The papers' claims, measured on exact data: one test per entry of the registry (core/claims).

The numbers shipped in assets/claims.json (what the board and the notes show) must give, by the claim's own
logic, the verdict recorded when the claim was registered, and must be the ones measured now, within
core.claims.REL_TOL / ABS_TOL: each claim is measured afresh (fixed seeds), a claim measured over seeds on its
first seed (`core.claims.sample`; tests/core/test_claim_seeds.py judges every shipped seed alone). A claim
that does not hold on our data is registered with that verdict: the test then guards the finding, it does not
hide it.
"""

from __future__ import annotations

import pytest

from core.claims import VERDICTS, all_claims, same_numbers, sample, shipped

CLAIMS = all_claims()


def test_registry_is_well_formed():
    assert CLAIMS, "no claims registered"
    for key, claim in CLAIMS.items():
        assert claim.expected in VERDICTS
        assert claim.scene.startswith("tab="), key
        assert claim.paper and claim.claim and claim.method, key


def test_every_claim_is_shipped():
    missing = sorted(set(CLAIMS) - set(shipped()))
    assert not missing, f"run `python -m core.claims --write {' '.join(missing)}`"
    stale = sorted(set(shipped()) - set(CLAIMS))
    assert not stale, f"assets/claims.json holds claims no longer registered: {stale}"


@pytest.mark.slow
@pytest.mark.parametrize("key", list(CLAIMS))
def test_claim_measured_as_registered_and_shipped(key):
    claim = CLAIMS[key]
    old = shipped().get(key)
    assert old is not None, f"{key} is not in assets/claims.json"
    assert claim.verdict(old["values"]) == claim.expected, f"{key}: shipped numbers give another verdict"
    now = sample(claim)
    print(f"\n{key}: {len(now)} of {len(old['values'])} numbers measured afresh")
    assert now and set(now) <= set(old["values"]), f"{key}: measured {sorted(set(now) - set(old['values']))}"
    assert same_numbers(now, {k: old["values"][k] for k in now}), (
        f"{key}: the shipped numbers differ from a fresh measurement; rerun `python -m core.claims --write {key}`\n"
        f"now:     {now}\nshipped: {old['values']}"
    )
    if set(now) == set(old["values"]):  # measured whole: the fresh numbers give the verdict too
        assert claim.verdict(now) == claim.expected, f"{key}: measured {claim.verdict(now)!r}"


def test_board_verdict_is_the_registry_verdict():
    """The claims board shows the verdict shipped in assets/claims.json: for every claim it must be the verdict
    registered with the claim (the one its test measures), and the board's card for the claim must show it."""
    from html import escape

    from demos.syllabus import board_html

    board = board_html()
    for key, claim in CLAIMS.items():
        verdict = shipped()[key]["verdict"]
        assert verdict == claim.expected, f"{key}: shipped {verdict!r}, registered {claim.expected!r}"
        card = board.split(f'id="claim-{key}"', 1)[1].split('<div class="card"', 1)[0]
        assert f">{escape(claim.expected)}</span>" in card, f"{key}: the board's card does not show {claim.expected!r}"


def test_note_helpers_read_the_shipped_numbers():
    """What the tabs' notes quote outside the claim lines comes from assets/claims.json, never typed in."""
    from core.claims.ncsn import SEEDS, mode_shares

    values = shipped()["ncsn_fig3_annealing"]["values"]
    plain = mode_shares("plain")
    assert plain["light"] == pytest.approx(sum(values[f"plain_seed{s}"] for s in SEEDS) / len(SEEDS), rel=1e-12)
    assert plain["light"] + plain["heavy"] == pytest.approx(1.0, abs=1e-12)
    assert (plain["true_light"], plain["true_heavy"]) == (0.2, 0.8)
    assert f"{plain['light']:.3f}" in shipped()["ncsn_fig3_annealing"]["summary"]
