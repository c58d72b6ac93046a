"""Points → mixture (core/points_to_mixture.py): CSV parsing and its caps, drawings → points on the fixed
box, and the merge, which must keep each cluster's weight, mean and covariance exactly (moment matching),
hence the overall and per-class mean and covariance of the point mixture Σ_i (1/n) N(p_i, w² I)."""

from __future__ import annotations

import numpy as np
import pytest

from core.dataspec import MAX_COMPONENTS, canonical, decode, encode, mixture_from_rows
from core.points_to_mixture import (
    MAX_CSV_CHARS,
    MAX_POINTS,
    PointsError,
    kmeans,
    parse_points,
    points_to_csv,
    points_to_mixture,
    points_to_rows,
    strokes_to_points,
    typed_points,
)
from tests.core.test_mixture import assert_within_rounding


def moments(weights, means, covs):
    """Mean and covariance of Σ_k π_k N(μ_k, Σ_k) (law of total covariance), and Σ|terms| of each entry."""
    mean = weights @ means
    second = covs + means[:, :, None] * means[:, None, :]
    cov = np.einsum("k,kij->ij", weights, second) - np.outer(mean, mean)
    terms = np.einsum("k,kij->ij", weights, np.abs(second)) + np.abs(np.outer(mean, mean))
    return mean, cov, terms


def point_moments(points, width):
    """The same for the equal mixture of N(p_i, w² I): written directly from the points."""
    n = len(points)
    return moments(np.full(n, 1 / n), points, np.broadcast_to(width**2 * np.eye(2), (n, 2, 2)))


def blobs(seed=0, n=(300, 200, 100)):
    rng = np.random.default_rng(seed)
    centres = np.array([[-2.0, 0.0], [2.0, 1.0], [0.0, -2.5]])
    pts = np.concatenate([c + rng.normal(0, 0.3, (k, 2)) for c, k in zip(centres, n)])
    labels = np.repeat([0, 1, 1], n)
    return pts, labels, centres


# ---------------------------------------------------------------------------- CSV
def test_csv_formats_header_comments_and_separators():
    text = "x,y,class\n# a comment\n1, 2, 0\n\n3 4 1\n-1.5e0;2;1\n.5\t-0.25\n"
    pts, labels = parse_points(text)
    np.testing.assert_array_equal(pts, [[1, 2], [3, 4], [-1.5, 2], [0.5, -0.25]])
    np.testing.assert_array_equal(labels, [0, 1, 1, 0])
    back, back_labels = parse_points(points_to_csv(pts, labels))
    np.testing.assert_array_equal(back, pts)
    np.testing.assert_array_equal(back_labels, labels)


BAD_CSV = [
    ("empty", "", "No points found"),
    ("header only", "x,y\n", r"Line 1: 'x' is not a number"),
    ("comments only", "# x, y\n\n", "No points found"),
    ("one field", "1\n", "Line 1 has 1 fields"),
    ("four fields", "1,2,0,4\n", "Line 1 has 4 fields"),
    ("code", "1, __import__('os')\n", r"Line 1: .* is not a number"),
    ("later line", "1,2\n3,abc\n", r"Line 2: 'abc' is not a number"),
    ("nan", "1,2\nnan,1\n", r"Line 2: 'nan' is not a number"),
    ("outside", "51,0\n", r"within ±50"),
    ("overflow", "1e999,0\n", r"within ±50"),
    ("fractional class", "1,2,0.5\n", "class must be a whole number from 0 to 9"),
    ("class 10", "1,2,10\n", "class must be a whole number from 0 to 9"),
    ("too many rows", "0,0\n" * (MAX_POINTS + 1), "At most 5,000 points"),
    ("too many characters", "0" * (MAX_CSV_CHARS + 1), "At most 200,000 characters"),
]


@pytest.mark.parametrize("text,message", [b[1:] for b in BAD_CSV], ids=[b[0] for b in BAD_CSV])
def test_bad_csv_is_refused_with_the_line_at_fault(text, message):
    with pytest.raises(PointsError, match=message):
        parse_points(text)


def test_csv_is_never_evaluated():
    """A field that Python would evaluate or float() would accept in odd spellings is refused as text."""
    for field in ("1_000", "0x1p3", "(1)", "1+1", "infinity", "１"):
        with pytest.raises(PointsError, match="is not a number"):
            parse_points(f"0, {field}\n")


# ---------------------------------------------------------------------------- typed points and table rows
def test_typed_points_read_text_and_tables_alike():
    """One reader for typed "x, y; x, y" text and table rows (list, Gradio dict), blank rows skipped."""
    want = [[0.0, 0.0], [1.5, -0.5]]
    for value in ("0, 0; 1.5, -0.5", "(0, 0)\n(1.5, -0.5)\n", [[0, 0], ["1.5", "-0.5"], [None, ""]]):
        np.testing.assert_array_equal(typed_points(value, 5), want)
    np.testing.assert_array_equal(typed_points({"data": [[0, 0], [1.5, -0.5]], "headers": ["x", "y"]}, 5), want)
    assert typed_points("", 5).shape == typed_points(None, 5).shape == typed_points([], 5).shape == (0, 2)


@pytest.mark.parametrize(
    "value,message",
    [
        ("1, 2, 3", r"Point 1 \(1, 2, 3\) must be two numbers .* \(exactly two numbers, got 3\)"),
        ("0, 0; 1, abc", "Point 2: 'abc' must be a number"),
        ("0, 1_000", "'1_000' must be a number"),
        ([[0, True]], "True must be a number"),
        ("60, 0", "too far out"),
        (";".join(["0,0"] * 6), "At most 5 points"),
        (3.0, "must be a table"),
    ],
)
def test_typed_points_refuse_with_the_point_at_fault(value, message):
    with pytest.raises(PointsError, match=message):
        typed_points(value, 5)


# ---------------------------------------------------------------------------- few points: one Gaussian each
def test_points_within_the_cap_become_one_gaussian_each():
    pts = np.array([[0.0, 0.0], [1.0, -1.0], [2.5, 3.0]])
    mix = points_to_mixture(pts, [0, 1, 1], width=0.2, max_components=10)
    assert mix.n_components == 3
    np.testing.assert_array_equal(mix.means, pts)
    np.testing.assert_allclose(mix.covs, np.broadcast_to(0.04 * np.eye(2), (3, 2, 2)), rtol=1e-12, atol=0)
    np.testing.assert_allclose(mix.weights, 1 / 3, rtol=1e-12)
    np.testing.assert_array_equal(mix.labels, [0, 1, 1])


# ---------------------------------------------------------------------------- many points: moment matching
@pytest.mark.parametrize("cap", [2, 3, 7, 30, 100])
def test_merging_keeps_every_classes_weight_mean_and_covariance(cap):
    pts, labels, _ = blobs()
    width = 0.1
    rows = points_to_rows(pts, labels, width, cap)
    mix = mixture_from_rows(rows)
    assert 2 <= mix.n_components <= cap
    mean, cov, terms = moments(mix.weights, mix.means, mix.covs)
    want_mean, want_cov, want_terms = point_moments(pts, width)
    assert_within_rounding(mean, want_mean, np.abs(mix.weights) @ np.abs(mix.means) + len(pts), "overall mean")
    assert_within_rounding(cov, want_cov, len(pts) * (terms + want_terms), "overall covariance")
    for c in (0, 1):
        sub, members = mix.for_class(c), pts[labels == c]
        assert mix.class_weights()[c] == pytest.approx(len(members) / len(pts), rel=1e-12)
        m, s, t = moments(sub.weights, sub.means, sub.covs)
        wm, ws, wt = point_moments(members, width)
        assert_within_rounding(m, wm, len(members) * np.abs(members).max(), f"class {c} mean")
        assert_within_rounding(s, ws, len(members) * (t + wt), f"class {c} covariance")


def test_the_spec_keeps_the_moments_to_six_digits():
    """After encoding (6 significant digits) the moments move by no more than that precision allows."""
    pts, labels, _ = blobs(1)
    mix = points_to_mixture(pts, labels, 0.1, 12)
    back = decode(canonical(encode(mix)))
    a, b = moments(mix.weights, mix.means, mix.covs)[:2], moments(back.weights, back.means, back.covs)[:2]
    np.testing.assert_allclose(b[0], a[0], atol=1e-4 * np.abs(mix.means).max())
    np.testing.assert_allclose(b[1], a[1], atol=1e-4 * np.abs(a[1]).max())


def test_kmeans_finds_separated_blobs_and_is_deterministic():
    pts, _, centres = blobs(2)
    assign = kmeans(pts, 3)
    found = np.array([pts[assign == j].mean(0) for j in range(3)])
    # each blob's centre is found within 5 standard errors of its 100-300 points' mean (0.3/√100 = 0.03)
    d = np.linalg.norm(found[:, None] - centres[None], axis=-1)
    assert np.all(d.min(0) < 0.15), d
    np.testing.assert_array_equal(kmeans(pts, 3), assign)
    assert sorted(np.bincount(assign)) == [100, 200, 300]


def test_components_are_shared_among_classes_by_their_points():
    pts, labels, _ = blobs(3, n=(900, 50, 50))
    mix = points_to_mixture(pts, labels, 0.1, 10)
    per_class = np.bincount(mix.labels)
    assert per_class.sum() == 10 and per_class[0] == 9 and per_class[1] == 1
    assert points_to_mixture(pts, labels, 0.1, 2).n_components == 2  # one per class at least


def test_same_points_give_the_same_spec():
    pts, labels, _ = blobs(4)
    assert encode(points_to_mixture(pts, labels, 0.15, 20)) == encode(points_to_mixture(pts, labels, 0.15, 20))


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(width=0.0), "width of each point must lie between 0.02 and 2"),
        (dict(width=float("nan")), "width of each point"),
        (dict(max_components=1), r"between 2 \(one per class\) and 100"),
        (dict(max_components=MAX_COMPONENTS + 1), "between 2"),
        (dict(max_components=2.5), "whole number"),
        (dict(points=np.zeros((0, 2)), labels=np.zeros(0, int)), "at least one point"),
        (dict(points=np.full((3, 2), np.nan), labels=np.zeros(3, int)), "finite"),
        (dict(points=np.zeros((MAX_POINTS + 1, 2)), labels=np.zeros(MAX_POINTS + 1, int)), "At most 5,000"),
        (dict(labels=np.full(600, 12)), "class per point"),
    ],
)
def test_bad_arguments_are_refused(kwargs, message):
    pts, labels, _ = blobs()
    args = dict(points=pts, labels=labels, width=0.1, max_components=10) | kwargs
    with pytest.raises(PointsError, match=message):
        points_to_rows(**args)


# ---------------------------------------------------------------------------- drawings
PALETTE = [(37, 99, 235), (220, 38, 38)]


def test_strokes_map_to_the_box_and_colours_to_classes():
    """A 100×100 canvas on [-4, 4]²: pixel (row r, column c) has centre x = -4 + (c + ½)·0.08,
    y = 4 - (r + ½)·0.08. Blue paint is class 0, red class 1; transparent pixels are not paint."""
    img = np.zeros((100, 100, 4), dtype=np.uint8)
    img[0, 0] = (*PALETTE[0], 255)  # top-left pixel
    img[99, 99] = (*PALETTE[1], 255)  # bottom-right
    img[50, 25] = (230, 40, 40, 200)  # a slightly different red, half transparent
    pts, labels = strokes_to_points(img, 4.0, PALETTE, spacing_px=1)
    order = np.lexsort((pts[:, 0], -pts[:, 1]))
    np.testing.assert_allclose(pts[order], [[-3.96, 3.96], [-1.96, -0.04], [3.96, -3.96]], atol=1e-12)
    np.testing.assert_array_equal(labels[order], [0, 1, 1])


def test_a_stroke_becomes_one_point_per_cell_at_its_mean_position():
    img = np.zeros((60, 60, 4), dtype=np.uint8)
    img[10:12, 0:60] = (*PALETTE[0], 255)  # a horizontal line two pixels thick
    pts, labels = strokes_to_points(img, 3.0, PALETTE, spacing_px=6)
    assert len(pts) == 10 and np.all(labels == 0)  # 60 px / 6 px per cell
    np.testing.assert_allclose(pts[:, 1], 3.0 - 11 / 60 * 6.0, atol=1e-12)  # rows 10, 11 → mean 10.5 + ½
    np.testing.assert_allclose(np.sort(pts[:, 0]), -3.0 + (np.arange(10) * 6 + 3) / 60 * 6.0, atol=1e-12)


def test_an_empty_canvas_is_refused():
    with pytest.raises(PointsError, match="Nothing is drawn yet"):
        strokes_to_points(np.zeros((50, 50, 4), dtype=np.uint8), 4.0, PALETTE)
    with pytest.raises(PointsError, match="RGB or RGBA"):
        strokes_to_points(np.zeros((50, 50)), 4.0, PALETTE)
