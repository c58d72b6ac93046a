"""The "Your data" tab's pure functions: table ↔ spec, presets, drawings and files → spec, the preview figure
(finite, light, deterministic, the exact density of the spec), and refusals with messages."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core.datasets import PRESETS, load_preset
from core.dataspec import MAX_COMPONENTS, DataSpecError, canonical, decode, load_data
from core.points_to_mixture import MAX_CSV_CHARS
from demos import kit
from demos import your_data as yd

BUDGET = 1_500_000


def fig_json(fig) -> dict:
    def reject(token):
        raise AssertionError(f"figure JSON contains {token}")

    return json.loads(fig.to_json(), parse_constant=reject)


def test_default_spec_is_canonical_and_has_two_classes():
    assert canonical(yd.DEFAULT_SPEC) == yd.DEFAULT_SPEC
    assert len(load_data(yd.DEFAULT_SPEC).classes) == 2  # usable by the guidance tab as it is
    assert yd.CONTROLS[0].name == "spec" and yd.CONTROLS[0].default == yd.DEFAULT_SPEC


@pytest.mark.parametrize("key", sorted(PRESETS))
def test_every_preset_fills_the_table_and_the_table_gives_the_spec_back(key):
    spec = yd.spec_from_preset(key)
    rows = yd.table_rows(spec)
    assert len(rows) == load_preset(key).n_components and all(len(r) == len(yd.COLUMNS) for r in rows)
    assert yd.spec_from_table(rows) == spec, "table → spec → table → spec is a fixed point"
    np.testing.assert_allclose(decode(spec).weights, load_preset(key).weights, rtol=1e-5)


def test_table_as_pandas_with_blank_rows_and_text_cells():
    frame = pd.DataFrame([[1, 0, 0, 0.5, 0.5, 0, 0], [None] * 7, ["2", " 1 ", 1, 0.3, 0.2, 45, 1]], columns=yd.COLUMNS)
    assert yd.spec_from_table(frame) == "gmm:0.5,0,0,0.5,0.5,0,0;1,1,1,0.3,0.2,45,1"


@pytest.mark.parametrize(
    "table,message",
    [
        ([[1, 0, 0, 0.5, 0.5, 0, 0], [2, "abc", 1, 0.3, 0.2, 45, 1]], r"Row 2, mean x: 'abc' is not a number"),
        ([[1, 0, 0, 0.5, None, 0, 0]], r"Row 1 is incomplete"),
        ([[1, 0, 0, 0.5]], r"Row 1 is incomplete"),
        ([[True, 0, 0, 0.5, 0.5, 0, 0]], r"Row 1, weight: True is not a number"),
        ([[1, float("inf"), 0, 0.5, 0.5, 0, 0]], r"Row 1, mean x: write a finite number"),
        ([[-1, 0, 0, 0.5, 0.5, 0, 0]], r"Component 1: the weight must be positive"),
        ([[1, 0, 0, 0.5, 0.5, 0, 12]], r"class must be a whole number from 0 to 9"),
        ([[None] * 7], r"at least one component"),
        ([[1, 0, 0, 0.5, 0.5, 0, 0]] * (MAX_COMPONENTS + 1), r"At most 100 components"),
        ("not a table", r"rows of numbers"),
    ],
)
def test_bad_tables_are_refused_with_the_row_at_fault(table, message):
    with pytest.raises(DataSpecError, match=message):
        yd.spec_from_table(table)


def test_preview_is_the_exact_density_light_finite_and_deterministic():
    spec = yd.spec_from_preset("checkerboard")  # 72 components
    fig = yd.preview_figure(spec)
    data = fig_json(fig)
    assert [t["type"] for t in data["data"]][:1] == ["heatmap"]
    names = {t.get("name") for t in data["data"][1:]}
    assert names == {"class 0: 2σ", "class 0: means", "class 1: 2σ", "class 1: means"}
    assert len(fig.to_json()) < BUDGET
    heat = fig.data[0]
    xx, yy = np.meshgrid(np.asarray(heat.x, float), np.asarray(heat.y, float))
    exact = np.exp(load_data(spec).log_prob(np.stack([xx.ravel(), yy.ravel()], 1))).reshape(xx.shape)
    np.testing.assert_allclose(np.asarray(heat.z, float), exact, rtol=1e-6, atol=1e-6 * exact.max())
    assert yd.preview_figure(spec).to_json() == fig.to_json()
    assert "Your mixture (72 components)" in fig.layout.title.text


def test_ellipses_are_two_standard_deviations():
    mean, cov = np.array([1.0, -2.0]), np.array([[0.5, 0.2], [0.2, 0.3]])
    pts = yd._ellipse(mean, cov)
    d = pts - mean
    np.testing.assert_allclose(np.einsum("ni,ij,nj->n", d, np.linalg.inv(cov), d), 4.0, rtol=1e-12)


def test_data_view_writes_a_preset_out_and_refuses_bad_specs():
    fig, rows, message, spec = yd.data_view("ring8")
    assert spec.startswith("gmm:") and len(rows) == 8 and "8 components" in message
    with pytest.raises(ValueError, match="has 2 numbers") as info:
        yd.data_view("gmm:1,2")
    assert type(info.value) is ValueError
    with pytest.raises(ValueError, match="must be text"):
        yd.data_view(None)


def test_a_link_sets_the_spec_box_to_the_canonical_spec_and_draws_every_output():
    values = yd.SPEC.validate(kit.drop_invalid(yd.SPEC, {"spec": "ring8"}))
    assert values["spec"] == yd.spec_from_preset("ring8")  # a preset is written out as gmm:
    out = kit.draw(yd.SPEC, yd.SPEC.validate({"spec": yd.DEFAULT_SPEC}))
    assert out["canonical"] == yd.DEFAULT_SPEC and out["table"] == yd.table_rows(yd.DEFAULT_SPEC)
    assert out["message"].startswith("✓ **3 components**")
    assert kit.drop_invalid(yd.SPEC, {"spec": "gmm:nonsense"}) == {"spec": yd.DEFAULT_SPEC}


def test_api_functions():
    data = yd.your_data("gmm:2,0,0,1;1,3,0,0.5,0.5,0,1")
    assert data["spec"] == "gmm:1,0,0,1,1,0,0;0.5,3,0,0.5,0.5,0,1"
    assert data["classes"] == [0, 1] and data["weights"] == pytest.approx([2 / 3, 1 / 3])
    pts = yd.points_mixture("0,0,0\n0.1,0,0\n3,3,1\n3.1,3,1", width=0.1, max_components=2)
    assert pts["points"] == 4 and len(pts["rows"]) == 2
    np.testing.assert_allclose([r[1:3] for r in pts["rows"]], [[0.05, 0], [3.05, 3]])
    with pytest.raises(ValueError, match="Line 1"):
        yd.points_mixture("a,b\n", 0.1, 2)


def test_a_drawing_value_becomes_points_by_brush_colour():
    layer = np.zeros((yd.CANVAS_PX, yd.CANVAS_PX, 4), dtype=np.uint8)
    blue, red = yd._rgb(yd.CLASS_COLORS[0]), yd._rgb(yd.CLASS_COLORS[1])
    layer[:12, :12] = (*blue, 255)  # the top-left corner: around (-4, 4)
    layer[-12:, -12:] = (*red, 255)  # bottom-right: around (4, -4)
    pts, labels = yd.drawing_points({"background": None, "layers": [layer], "composite": None})
    assert sorted(np.bincount(labels)) == [4, 4]  # 2×2 cells of 6 px each
    assert np.all(pts[labels == 0, 0] < -3.5) and np.all(pts[labels == 0, 1] > 3.5)
    assert np.all(pts[labels == 1, 0] > 3.5) and np.all(pts[labels == 1, 1] < -3.5)
    spec = yd.spec_from_points(pts, labels, 0.15, 2)
    assert load_data(spec).n_components == 2
    with pytest.raises(DataSpecError, match="Nothing is drawn yet"):
        yd.drawing_points({"background": None, "layers": [np.zeros_like(layer)], "composite": None})
    with pytest.raises(DataSpecError, match="Nothing is drawn yet"):
        yd.drawing_points(None)


def test_uploaded_files_are_capped_and_must_be_text(tmp_path):
    ok = tmp_path / "points.csv"
    ok.write_text("x,y\n1,2\n")
    assert yd.read_points_file(str(ok)) == "x,y\n1,2\n"
    big = tmp_path / "big.csv"
    big.write_bytes(b"0,0\n" * (MAX_CSV_CHARS // 4 + 1))
    with pytest.raises(DataSpecError, match="at most 200,000 are accepted"):
        yd.read_points_file(str(big))
    binary = tmp_path / "x.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(DataSpecError, match="not UTF-8 text"):
        yd.read_points_file(str(binary))
    assert yd.read_points_file(None) == ""
