"""The GIF export (issue 26.17): one fixed range for the whole animation, with axes, so a point stays where it is
from frame to frame (it rescaled every frame and had no axes)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from demos import export

RED = "#ff0000"


def red_pixels(img: Image.Image) -> np.ndarray:
    a = np.asarray(img.convert("RGB")).astype(int)
    ys, xs = np.nonzero((a[..., 0] > 200) & (a[..., 1] < 60) & (a[..., 2] < 60))
    return np.array([xs.mean(), ys.mean()])


def test_a_point_keeps_its_place_on_one_fixed_range():
    frames = [
        dict(title="small", range=(-1.0, 1.0, -1.0, 1.0), traces=[[[0.5, 0.5]]]),
        dict(title="large", range=(-4.0, 4.0, -2.0, 6.0), traces=[[[0.5, 0.5]]]),
    ]
    assert export.gif_view(frames) == (-4.0, 4.0, -2.0, 6.0)
    styles = [dict(kind="points", color=RED, width=12)]
    gif = Image.open(io.BytesIO(export.gif_bytes(frames, styles, size=400)))
    places = []
    for k in range(gif.n_frames):
        gif.seek(k)
        places.append(red_pixels(gif))
    m = export.GIF_MARGINS
    expected = [m["left"] + (0.5 + 4) / 8 * 400, m["top"] + (6 - 0.5) / 8 * 400]  # the affine map, by hand
    for place in places:
        assert np.allclose(place, expected, atol=1.0), (place, expected)


def test_axes_have_round_ticks_inside_the_range():
    assert export.nice_ticks(-4.0, 4.0) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    assert export.nice_ticks(0.0, 1.0) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    for lo, hi in ((-3.2, 4.1), (-18.7, 18.7), (0.013, 0.05)):
        ticks = export.nice_ticks(lo, hi)
        assert 3 <= len(ticks) <= 11 and lo <= ticks[0] and ticks[-1] <= hi, (lo, hi, ticks)
    img = export.render_frame(dict(title="t", range=(-4, 4, -4, 4), traces=[]), [], size=400)
    ink = np.asarray(img.convert("L")) < 100
    m = export.GIF_MARGINS
    assert ink[m["top"] + 400 + 8 :, m["left"] :].any(), "no tick labels under the plot"
    assert ink[m["top"] : m["top"] + 400, : m["left"] - 4].any(), "no tick labels left of the plot"
