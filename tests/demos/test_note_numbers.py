"""No tab note states a measured number that the registry does not hold (issue 26, item 6).

A tab's notes (its notes text, its scene notes, its default note, the sampler notes it shows) may quote what
the app measured only in two ways: a claim's whole line (`core.claims.note(key)`, the claim's shipped summary),
or a number written through `core.claims.quote` (a shipped claim value or noise floor; `quote` remembers what
it wrote). Every other decimal number left in a note was typed by a person. The only typed decimals allowed are
the ones listed in TYPED below, each with why it is not a measurement of ours (a paper's own number, a data
set's definition, a cap); section and equation numbers ("Sec. 3.2") are references, not numbers. A number
typed into a note without an entry here fails the test, and so does an entry no note uses any more.

Integers and percentages are not checked (steps, particle counts and sizes are settings, not measurements);
a measured number is written with a decimal point.
"""

from __future__ import annotations

import re

import pytest

import core.claims
from core.claims import all_claims, shipped
from core.samplers.registry import SAMPLERS
from demos.tabs import tab_modules

# a decimal number (not part of a word or of a longer number); an exponent belongs to it
DECIMAL = re.compile(r"(?<![\w.])\d+\.\d+(?:e[-+]?\d+)?(?![\w.]*\d)")
# "Sec. 3.2.2", "eq. 4.1", "Table 1.2", "Fig. 3.1", "Theorem 3.5", "App. D.2", "Sections 3.1 and 4"
REFERENCE = re.compile(
    r"(?:Sec\.|Secs\.|Sections?|eq\.|eqs\.|Eq\.|Table|Fig\.|Thm\.|Theorem|Lemma|Prop\.|Corollary|App\.|Algorithm|and)"
    r"\s*$"
)

# module → {typed decimal: why it is not a measurement of ours}
TYPED: dict[str, dict[str, str]] = {
    "forward": {
        "0.01": "the smallest std a data spec accepts (core/dataspec.py)",
        "0.5": "t = 0.5, the scene's time (a setting)",
    },
    "reverse": {
        "0.2": "ncsn_fig3's true weight of the light mode (core/datasets.py)",
        "0.8": "ncsn_fig3's true weight of the heavy mode",
    },
    "ddim_table": {
        **{
            f"{v:.2f}": "Song et al. 2021a, Table 1 (the paper's FID, also in PAPER_CIFAR / PAPER_CELEBA)"
            for v in (4.04, 4.09, 4.29, 4.73, 3.17, 3.26, 3.51)
        },
        "0.2": "η = 0.2, a row of the paper's Table 1",
        "0.5": "η = 0.5, a row of the paper's Table 1",
    },
    "inpainting": {
        "0.3": "the paper's recommended t₀ range [0.3, 0.6] (Meng et al. 2022), and a scene's t₀",
        "0.6": "the paper's recommended t₀ range [0.3, 0.6], and a scene's t₀",
    },
    "learned": {
        "1.2": "EDM's P_mean = -1.2, P_std = 1.2 (Karras et al. 2022, Table 1)",
    },
    "score_langevin": {
        "0.2": "ncsn_fig3's true weight of the light mode (NCSN Fig. 3)",
        "0.8": "ncsn_fig3's true weight of the heavy mode",
        "0.5": "the constant of NCSNv2's Technique 2 (Song & Ermon 2020, eq. 3: ≈ 0.5)",
    },
    "elbo": {
        "0.01": "the memorisation measure's radius around a training point, core.memorisation.RADIUS (a setting)",
    },
    "latent": {
        "0.18215": "Stable Diffusion's latent scale factor (its VAE's constant, cited; not a measurement of ours)",
    },
    "your_data": {
        "0.01": "the smallest std a data spec accepts (core/dataspec.py)",
        "0.02": "a std in the example spec",
    },
}


# tabs whose notes format shipped numbers without `quote` (read, not typed, but the check cannot tell): the owner
# of the module routes them through core.claims.quote, then the entry goes
NOT_YET_QUOTED: dict[str, str] = {}


def note_texts(module) -> list[str]:
    """Every note a tab shows: its notes text(s), scene notes, default note, and the sampler notes it reads."""
    texts = []
    for name in ("NOTES", "NOTES_HEAD"):
        if isinstance(getattr(module, name, None), str):
            texts.append(getattr(module, name))
    for name in ("notes", "_notes", "notes_markdown"):
        if callable(getattr(module, name, None)):
            texts.append(getattr(module, name)())
    spec = getattr(module, "SPEC", None)
    if spec is not None:
        texts += [spec.scene_notes.get(scene) or "" for scene in spec.scenes]
        texts.append(spec.default_note or "")
    if module.TAB_ID == "reverse":
        texts += [module.sampler_note(key) for key in SAMPLERS]
    return texts


def registry_lines() -> list[str]:
    """What the registry writes into notes whole: each claim's note line and its shipped summary."""
    return [core.claims.note(key) for key in all_claims()] + [r["summary"] for r in shipped().values()]


def typed_numbers(text: str, lines: list[str]) -> set[str]:
    """The decimals of `text` that neither the registry's lines nor `quote` wrote, nor a reference."""
    for line in sorted(lines, key=len, reverse=True):
        text = text.replace(line, " ")
    return {
        m.group()
        for m in DECIMAL.finditer(text)
        if m.group() not in core.claims.QUOTED and not REFERENCE.search(text[: m.start()])
    }


@pytest.fixture(scope="module")
def notes_by_tab() -> dict[str, list[str]]:
    return {module.__name__.split(".")[-1]: note_texts(module) for module in tab_modules()}


def test_no_note_types_a_measured_number(notes_by_tab):
    lines = registry_lines()
    assert set(NOT_YET_QUOTED) <= set(notes_by_tab), "NOT_YET_QUOTED names a tab the app no longer serves"
    typed = {
        tab: set().union(*(typed_numbers(t, lines) for t in texts))
        for tab, texts in notes_by_tab.items()
        if tab not in NOT_YET_QUOTED
    }
    unexplained = {tab: sorted(nums - set(TYPED.get(tab, {}))) for tab, nums in typed.items()}
    assert not any(unexplained.values()), (
        f"numbers typed into notes (read them from the registry through core.claims.quote, or list them in "
        f"TYPED with why they are not measurements): { {t: n for t, n in unexplained.items() if n} }"
    )
    stale = {tab: sorted(set(allowed) - typed.get(tab, set())) for tab, allowed in TYPED.items()}
    assert not any(stale.values()), f"TYPED lists numbers no note uses any more: {stale}"


def test_the_check_finds_a_typed_number():
    """The checker itself: a number typed beside a quoted one is found, the quoted one and a reference are not."""
    quoted = core.claims.quote(0.123456789, ".7f")
    text = f"Sec. 3.2: plain Langevin ends at {quoted} in the light mode, 0.5017 in the heavy one (±0.00613)."
    assert typed_numbers(text, []) == {"0.5017", "0.00613"}
    claim_line = core.claims.note("ncsn_fig3_annealing")
    assert typed_numbers(f"{claim_line} Typed 9.87.", [claim_line]) == {"9.87"}


def test_reverse_notes_quote_the_registry():
    """The Reverse tab's NCSN Fig. 3 shares and ring8's exact-sample mode TV are the registry's and the shipped
    floors' numbers (they were typed as 0.50 / 0.80 and 0.024 ± 0.006 before)."""
    from core.claims.ncsn import mode_shares
    from core.metrics import FLOOR_REPEATS, data_noise_floor
    from demos import reverse

    shares, tv = mode_shares("plain"), data_noise_floor("ring8", "mode_tv", 2000)
    text = " ".join(reverse.notes().split())
    assert f"end at {shares['light']:.2f} / {shares['heavy']:.2f}" in text
    assert f"{tv.mean:.3f} ± {tv.sd:.3f} at n = 2000" in text
    assert f"{FLOOR_REPEATS} shipped" in text
