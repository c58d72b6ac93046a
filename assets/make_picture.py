"""Draws assets/picture.png, the 128×128 picture the forward tab noises (our own drawing, no download).

Run `python -m assets.make_picture` to regenerate it.
"""

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

SIZE = 128


def draw() -> Image.Image:
    y = np.linspace(0, 1, SIZE)[:, None, None]
    sky = (1 - y) * np.array([96, 165, 250]) + y * np.array([224, 242, 254])
    img = Image.fromarray(np.broadcast_to(sky, (SIZE, SIZE, 3)).astype(np.uint8))
    d = ImageDraw.Draw(img)
    d.ellipse((82, 14, 112, 44), fill=(250, 204, 21))
    d.polygon([(0, 100), (38, 50), (70, 96), (96, 62), (128, 100), (128, 128), (0, 128)], fill=(51, 65, 85))
    d.polygon([(30, 60), (38, 50), (46, 60)], fill=(241, 245, 249))
    d.rectangle((0, 108, 128, 128), fill=(22, 101, 52))
    d.rectangle((14, 84, 40, 110), fill=(220, 38, 38))
    d.polygon([(10, 86), (27, 70), (44, 86)], fill=(127, 29, 29))
    d.rectangle((24, 96, 30, 110), fill=(254, 243, 199))
    return img


if __name__ == "__main__":
    out = Path(__file__).with_name("picture.png")
    draw().save(out, optimize=True)
    print(f"wrote {out} ({out.stat().st_size} bytes)")
