"""The data spec (core/dataspec.py): `gmm:` text ↔ GaussianMixture.

Round trip: every number is written with 6 significant digits, so each decoded number is within half a unit
of the 6th digit of the original, a relative error ≤ 5e-6 (`HALF_DIGIT`). The mixture's parameters then
follow: normalised weights within 2·HALF_DIGIT (relative weight and its normaliser), means within
HALF_DIGIT·|μ|, covariances R(θ) diag(a², b²) R(θ)ᵀ within 2·HALF_DIGIT·(a² + b²) from the stds plus
|a² - b²|·Δθ from the angle (Δθ = HALF_DIGIT·|θ|, θ in radians). And the canonical string is a fixed point:
encoding what was decoded gives the same string again.

Malformed specs are refused with DataSpecError (a ValueError) whose message names what to fix, never any
other exception.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.datasets import PRESETS, load_preset
from core.dataspec import (
    MAX_ABS_MEAN,
    MAX_ANISOTROPY,
    MAX_CLASS,
    MAX_COMPONENTS,
    MAX_SPEC_CHARS,
    MAX_WEIGHT,
    PREFIX,
    STD_RANGE,
    DataSpecError,
    canonical,
    components,
    covariance,
    data_bandwidth,
    data_title,
    decode,
    encode,
    is_preset,
    load_data,
    mixture_from_rows,
)
from core.mixture import GaussianMixture
from demos.data_input import data_spec

HALF_DIGIT = 5e-6  # half a unit in the 6th significant digit, relative
PRESET_KEYS = sorted(PRESETS)


def assert_round_trip(original: GaussianMixture, decoded: GaussianMixture) -> None:
    """`decoded` is `original` to the spec's stated precision (bounds in the module docstring, × 1.5)."""
    assert decoded.n_components == original.n_components
    np.testing.assert_array_equal(decoded.labels, original.labels)
    np.testing.assert_allclose(decoded.weights, original.weights, rtol=1.5 * 2 * HALF_DIGIT, atol=0)
    err = np.abs(decoded.means - original.means)
    assert np.all(err <= 1.5 * HALF_DIGIT * np.abs(original.means) + 1e-300), err.max()
    for (_, _, _, a, b, deg, _), got, want in zip(components(original), decoded.covs, original.covs, strict=True):
        bound = 2 * HALF_DIGIT * (a * a + b * b) + abs(a * a - b * b) * HALF_DIGIT * math.radians(abs(deg))
        assert np.all(np.abs(got - want) <= 1.5 * bound + 1e-15 * (a * a + b * b)), (got, want, bound)


# ---------------------------------------------------------------------------- round trip
@pytest.mark.parametrize("key", PRESET_KEYS)
def test_every_preset_round_trips_within_six_digits(key):
    mix = load_preset(key)
    text = encode(mix)
    assert text.startswith(PREFIX) and len(text) <= MAX_SPEC_CHARS
    back = decode(text)
    assert_round_trip(mix, back)
    assert encode(back) == text, "the canonical string is a fixed point of decode ∘ encode"
    assert canonical(text) == text and load_data(text).n_components == mix.n_components


@st.composite
def mixture_rows(draw, max_k: int = MAX_COMPONENTS):
    """Random table rows inside every cap: weights over 6 decades, means anywhere in the box, stds over
    the full range with anisotropy up to the cap, any angle, any class."""
    k = draw(st.integers(1, max_k))
    rows = []
    for _ in range(k):
        w = 10 ** draw(st.floats(-3, 3))
        mx, my = draw(st.floats(-MAX_ABS_MEAN, MAX_ABS_MEAN)), draw(st.floats(-MAX_ABS_MEAN, MAX_ABS_MEAN))
        lo, hi = math.log10(STD_RANGE[0]), math.log10(STD_RANGE[1])
        log_a = draw(st.floats(lo, hi))
        span = math.log10(MAX_ANISOTROPY) * 0.999
        log_b = draw(st.floats(max(lo, log_a - span), min(hi, log_a + span)))
        a, b = (float(np.clip(10**v, *STD_RANGE)) for v in (log_a, log_b))
        deg = draw(st.floats(-180, 180))
        rows.append((w, mx, my, a, b, deg, draw(st.integers(0, MAX_CLASS))))
    return rows


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(rows=mixture_rows())
def test_random_mixtures_round_trip_within_six_digits(rows):
    mix = mixture_from_rows(rows)
    text = encode(mix)
    assert len(text) <= MAX_SPEC_CHARS, "a mixture at the component cap fits in the character cap"
    back = decode(text)
    assert_round_trip(mix, back)
    assert_round_trip(mix, decode(encode(back)))
    # the string itself is a fixed point once every angle is well above the eigenvectors' absolute
    # precision (~1e-14°): 6 significant digits of an angle of 1e-10° are noise (see the test below)
    if all(abs(row[5]) > 1e-6 or row[5] == 0 for row in components(mix)):
        assert encode(back) == text
        assert canonical(text) == text


def test_stds_equal_at_six_digits_have_angle_zero_in_the_canonical_string():
    text = canonical("gmm:1,0,0,1,1.0000001,30,0")
    assert text == "gmm:1,0,0,1,1,0,0"
    assert canonical(text) == text


def test_a_tiny_angle_is_not_a_fixed_point_but_the_mixture_is():
    """Finding: angles are written to 6 significant digits, but recomputed from the covariance (eigh)
    they are only exact to ~1e-14° absolute, so an angle of 1e-10° changes its last digits on each
    round trip. The mixture does not (the covariances agree to 1e-16); only the cache key differs."""
    text = canonical("gmm:1,0,0,1,0.1,1e-10,0")
    again = encode(decode(text))
    assert_round_trip(decode(text), decode(again))
    assert np.abs(decode(again).covs - decode(text).covs).max() < 1e-15


def test_short_form_and_swapped_stds_give_the_same_mixture():
    """`w, x, y, s` is an isotropic class-0 component; a row with the minor std first is the same
    covariance as the major first at the angle + 90°: one canonical string for one mixture."""
    assert canonical("gmm:2,1,-1,0.5") == canonical("gmm:2,1,-1,0.5,0.5,0,0") == "gmm:1,1,-1,0.5,0.5,0,0"
    a = canonical("gmm:1,0,0,0.2,0.6,10,1;1,3,0,1,1,0,0")
    b = canonical("gmm:1,0,0,0.6,0.2,100,1;1,3,0,1,1,0,0")
    assert a == b == "gmm:1,0,0,0.6,0.2,-80,1;1,3,0,1,1,0,0"
    np.testing.assert_allclose(covariance(0.6, 0.2, -80), covariance(0.2, 0.6, 10), atol=1e-12)


def test_weights_are_relative_and_whitespace_and_empty_parts_are_ignored():
    assert canonical("  gmm: 3 ,0,0,1 ; 6,1,1,1 ;;") == "gmm:0.5,0,0,1,1,0,0;1,1,1,1,1,0,0"
    mix = load_data("gmm:3,0,0,1;6,1,1,1")
    np.testing.assert_allclose(mix.weights, [1 / 3, 2 / 3])


def test_presets_pass_through_and_user_specs_are_cached_by_their_canonical_string():
    assert canonical("ring8") == "ring8" and is_preset("ring8")
    assert load_data("ring8") is load_preset("ring8")
    # the tabs canonicalise first (demos.data_input.data_spec), so two spellings share one cached mixture
    assert load_data(data_spec("gmm:2,0,0,1")) is load_data(data_spec("gmm:1,0,0,1,1,0,0"))
    np.testing.assert_array_equal(load_data("gmm:2,0,0,1").covs, load_data("gmm:1,0,0,1,1,0,0").covs)
    assert data_title("gmm:1,0,0,1") == "Your mixture (1 component)"
    assert data_title("gmm:1,0,0,1;1,2,0,1") == "Your mixture (2 components)"


def test_bandwidth_follows_the_component_scale():
    """1.3 × the median geometric-mean std, clipped to [0.05, 0.5]; presets keep their own."""
    assert data_bandwidth("ring8") == PRESETS["ring8"].kernel_bandwidth
    assert data_bandwidth("gmm:1,0,0,0.2;1,1,1,0.2") == pytest.approx(0.26)
    assert data_bandwidth("gmm:1,0,0,0.4,0.1,30,0") == pytest.approx(1.3 * 0.2)
    assert data_bandwidth("gmm:1,0,0,0.01") == 0.05 and data_bandwidth("gmm:1,0,0,10") == 0.5


# ---------------------------------------------------------------------------- refusals
HUGE = PREFIX + "1,0,0,1;" * 1200  # 9,604 characters
BAD_SPECS = [
    ("letters", "gmm:1,0,0,abc", r"Component 1, number 4: 'abc' is not a number"),
    ("nan", "gmm:1,0,0,nan", r"'nan' is not a number"),
    ("inf", "gmm:1,inf,0,1", r"'inf' is not a number"),
    ("overflow", "gmm:1,1e999,0,1", r"must be a finite number"),
    ("hex", "gmm:0x10,0,0,1", r"'0x10' is not a number"),
    ("underscore", "gmm:1_0,0,0,1", r"'1_0' is not a number"),
    ("two numbers", "gmm:1,0", r"Component 1 has 2 numbers; write 7 .* or 4"),
    ("five numbers", "gmm:1,0,0,1,1", r"has 5 numbers"),
    ("eight numbers", "gmm:1,0,0,1,1,0,0,3;", r"has 8 numbers"),
    ("wrong count later", "gmm:1,0,0,1;1,2,2", r"Component 2 has 3 numbers"),
    ("zero std: singular", "gmm:1,0,0,0", r"major std must lie between 0.01 and 20; got 0"),
    ("negative std", "gmm:1,0,0,0.5,-0.2,0,0", r"minor std must lie between"),
    ("needle: near singular", "gmm:1,0,0,15,0.01,0,0", r"differ by a factor of at most 1000"),
    ("std too large", "gmm:1,0,0,25", r"between 0.01 and 20; got 25"),
    ("zero weight", "gmm:0,0,0,1;1,1,1,1", r"Component 1: the weight must be positive"),
    ("negative weight", "gmm:1,0,0,1;-2,1,1,1", r"Component 2: the weight must be positive .* got -2"),
    ("huge weight", "gmm:1e7,0,0,1", r"at most 1e\+06"),
    ("mean outside", "gmm:1,51,0,1", r"mean must lie within ±50"),
    ("class too big", "gmm:1,0,0,1,1,0,10", r"class must be a whole number from 0 to 9; got 10"),
    ("fractional class", "gmm:1,0,0,1,1,0,0.5", r"class must be a whole number"),
    ("negative class", "gmm:1,0,0,1,1,0,-1", r"class must be a whole number"),
    ("empty", "gmm:", r"at least one component"),
    ("only separators", "gmm:;;", r"at least one component"),
    ("too many", PREFIX + ";".join(["1,0,0,1"] * (MAX_COMPONENTS + 1)), r"At most 100 components .* has 101"),
    ("huge string", HUGE, r"at most 8,000 characters long; this one has 9,604"),
    ("no prefix", "1,0,0,1", r"Unknown data '1,0,0,1': choose a preset"),
    ("unknown preset", "ring9", r"Unknown data 'ring9'"),
    ("long non-number", "gmm:1,0,0," + "9" * 40 + "x", r"'9{20}…' is not a number"),
]


@pytest.mark.parametrize("text,message", [b[1:] for b in BAD_SPECS], ids=[b[0] for b in BAD_SPECS])
def test_malformed_specs_are_refused_with_a_clear_message(text, message):
    with pytest.raises(DataSpecError, match=message) as info:
        canonical(text)
    assert len(str(info.value)) < 300, "a message a user reads, not a dump of the input"
    # the tabs' check turns it into a plain ValueError with the same sentence
    with pytest.raises(ValueError, match=message) as info:
        data_spec(text)
    assert type(info.value) is ValueError


def test_non_text_specs_are_refused():
    for value in (None, 5, 1.5, ["ring8"], b"gmm:1,0,0,1"):
        with pytest.raises(ValueError, match="preset name"):
            data_spec(value)
    with pytest.raises(DataSpecError, match="preset name"):
        canonical(5)


def test_mixture_from_rows_refuses_empty_and_too_many_rows():
    with pytest.raises(DataSpecError, match="at least one component"):
        mixture_from_rows([])
    with pytest.raises(DataSpecError, match="At most 100 components"):
        mixture_from_rows([(1, 0, 0, 1, 1, 0, 0)] * (MAX_COMPONENTS + 1))
    with pytest.raises(DataSpecError, match=r"weight must be positive and at most 1e\+06"):
        mixture_from_rows([(MAX_WEIGHT * 2, 0, 0, 1, 1, 0, 0)])


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(body=st.text(alphabet="0123456789.,;-+eE xn/aif", max_size=120))
def test_any_text_is_accepted_or_refused_with_a_data_spec_error(body):
    """Fuzz: whatever follows `gmm:`, the answer is a canonical string that decodes again, or a
    DataSpecError; never another exception (the tabs would show it as a generic failure)."""
    try:
        text = canonical(PREFIX + body)
    except DataSpecError as err:
        assert str(err) and "Traceback" not in str(err)
        return
    assert canonical(text) == text and decode(text).n_components >= 1
