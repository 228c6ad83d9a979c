"""The red on the certificate face: the fretted border, the round seal, and the page's palette.

The face is drawn straight into palette indices, so nothing is composited per pixel afterwards:
0-191 are black ink levels over white paper (:data:`certs.typeset.INK` is full ink), and
192-255 are red (8 levels) multiplied over ink (8 levels), used by the border and, inside its
own box, the seal, which then shows the black text under it as stamp ink does. This module owns
that palette and draws the border and the seal; where they go is :mod:`certs.face_layout`'s
business. The seal is drawn once per issuer and cached.

The drawn seal is decoration: what makes a face genuine is the signed token in its QR code.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Final

from PIL import Image, ImageChops, ImageDraw

from certs.fonts import Role
from certs.typeset import INK, Box, fit, font_for

RED_FULL: Final = 248  # red level 8, ink level 0
_COLOURS: Final = {"paper": (255, 255, 255), "ink": (20, 20, 20), "red": (212, 24, 28)}
_SEAL_OPACITY: Final = 0.88
_INK_TO_8: Final = [round(min(v, INK) * 7 / INK) for v in range(256)]


def draw_border(draw: ImageDraw.ImageDraw, size: tuple[int, int], mm: float) -> None:
    """Red rules round the page with a band of 回 frets between them."""
    w, h = size
    for inset, line in ((8, 1.1), (9.8, 0.3), (15.6, 0.3), (16.4, 0.6)):
        a = round(inset * mm)
        draw.rectangle(
            (a, a, w - 1 - a, h - 1 - a), outline=RED_FULL, width=max(1, round(line * mm))
        )
    cell, pitch, line = 4.4 * mm, 5.6 * mm, max(1, round(0.35 * mm))
    for horizontal, length, across in ((True, w, h), (False, h, w)):
        count = int((length - 21 * mm) // pitch)
        first = (length - count * pitch + pitch - cell) / 2
        for along in (first + i * pitch for i in range(count)):
            for side in (10.5 * mm, across - 10.5 * mm - cell):
                x, y = (along, side) if horizontal else (side, along)
                for inset in (0.0, cell * 0.3):  # 回: a square inside a square
                    square = (x + inset, y + inset, x + cell - inset, y + cell - inset)
                    draw.rectangle(tuple(round(v) for v in square), outline=RED_FULL, width=line)


def press_seal(image: Image.Image, issuer: str, label: str, box: Box) -> None:
    """Stamp the seal into ``box`` of a page of ink levels, over the text already there."""
    base, where = _seal(issuer, label, box[2] - box[0])
    under = image.crop(box).point(_INK_TO_8)
    image.paste(ImageChops.add(base, under), box[:2], where)


@lru_cache(maxsize=64)
def _seal(issuer: str, label: str, diameter: int) -> tuple[Image.Image, Image.Image]:
    """The round seal: a ring, the issuer's name along the upper arc (each character upright
    towards the centre), a five-pointed star and ``label`` across the lower half. Drawn at 4x
    and reduced for smooth edges; returned as red palette bases (192 + 8 x (level - 1), to
    which the ink level under it is added) and the mask of where it has any red."""
    side, r = 4 * diameter, 2.0 * diameter
    seal = Image.new("L", (side, side), 0)
    draw = ImageDraw.Draw(seal)
    ring = round(r * 0.06)
    draw.ellipse(
        (ring // 2, ring // 2, side - ring // 2, side - ring // 2), outline=255, width=ring
    )
    star = [
        (
            r + r * (0.3, 0.115)[k % 2] * math.sin(k * math.pi / 5),
            r - r * (0.3, 0.115)[k % 2] * math.cos(k * math.pi / 5),
        )
        for k in range(10)
    ]
    draw.polygon(star, fill=255)
    char, step = round(r * 0.27), min(24.0, 240.0 / max(1, len(issuer)))
    radius = r - ring - r * 0.05 - char / 2
    narrow = min(0.78, 0.92 * radius * math.radians(step) / char)  # tall, narrow seal characters
    for k, text in enumerate(issuer):
        angle = math.radians(-90 + (k - (len(issuer) - 1) / 2) * step)
        glyph = Image.new("L", (char, char), 0)
        ImageDraw.Draw(glyph).text(
            (char / 2, char / 2), text, fill=255, font=font_for(Role.SERIF_BOLD, char), anchor="mm"
        )
        glyph = glyph.resize((round(char * narrow), char), Image.Resampling.BICUBIC)
        glyph = glyph.rotate(-math.degrees(angle) - 90, Image.Resampling.BICUBIC, expand=True)
        x, y = r + radius * math.cos(angle), r + radius * math.sin(angle)
        seal.paste(255, (round(x - glyph.width / 2), round(y - glyph.height / 2)), glyph)
    size = fit(label, Role.SERIF_BOLD, round(r * 0.2), round(r * 1.1))
    draw.text((r, r * 1.56), label, fill=255, font=font_for(Role.SERIF_BOLD, size), anchor="ms")
    levels = seal.reduce(4).point([round(v * 8 / 255) for v in range(256)])
    return levels.point([0] + [192 + 8 * (v - 1) for v in range(1, 256)]), levels.point(
        [0] + [255] * 255
    )


@lru_cache(maxsize=1)
def palette() -> bytes:
    """0-191: ink level i/191 over paper; 192 + 8 (r - 1) + k: red level r/8 multiplied, with
    the seal's opacity, over ink level k/7 — as stamp ink lies over print."""
    levels = [(i / INK, 0.0) for i in range(INK + 1)]
    levels += [(k / 7, r / 8 * _SEAL_OPACITY) for r in range(1, 9) for k in range(8)]
    out = bytearray()
    for ink, red in levels:
        for paper, dark, stamp in zip(*_COLOURS.values(), strict=True):
            out.append(round((paper + (dark - paper) * ink) * (1 - red + red * stamp / 255)))
    return bytes(out)
