"""Setting CJK text on the certificate face: measuring, fitting, wrapping and drawing runs.

Split from :mod:`certs.face` so that the page's layout reads as geometry, while the type rules
live here: a string's advance is the sum of its characters' (basic layout; Noto CJK has no kern
table); lines break between whole ASCII words and single hanzi, never before a closing mark;
text that is too wide shrinks to fit. Glyphs are drawn from cached coverage masks, because a
paste costs a fraction of FreeType rendering a CJK glyph and most characters recur from one
certificate to the next. Text is drawn with fill :data:`INK` on 0, so an antialiased pixel's
value is its ink level (the palette is in :mod:`certs.seal`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from PIL import Image, ImageDraw, ImageFont

from certs.fonts import Role, find_cjk_fonts, load_font

INK: Final = 191  # the fill that draws full ink; see the module docstring
_NO_LINE_START: Final = frozenset("，。、；：？！）》」』〕】…,.;:!?)]%")
_WORD: Final = re.compile(r"[A-Za-z0-9_\-/]+\.?|.", re.DOTALL)  # an ASCII word breaks after a dot

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Run:
    """A piece of text drawn from the left end of its baseline at (x, y)."""

    text: str
    role: Role
    size: int
    x: int
    y: int
    width: int

    @property
    def bbox(self) -> Box:
        """The line box (ascent to descent): every pixel the text can ink lies inside it."""
        ascent, descent = font_for(self.role, self.size).getmetrics()
        return (self.x, self.y - ascent, self.x + self.width, self.y + descent)


def run_at(text: str, role: Role, size: int, x: int, y: int) -> Run:
    return Run(text, role, size, x, y, text_width(text, role, size))


def centred(text: str, role: Role, size: int, centre_x: int, y: int) -> Run:
    return run_at(text, role, size, centre_x - text_width(text, role, size) // 2, y)


def spaced(
    text: str,
    role: Role,
    size: int,
    x: int,
    y: int,
    spacing: float = 0.0,
    *,
    width: int | None = None,
) -> tuple[Run, ...]:
    """One run a character, centred on ``x`` with ``spacing`` em between characters, or with
    ``width`` spread over that width from ``x`` (分散对齐, as labels on printed forms are)."""
    advances = [text_width(c, role, size) for c in text]
    if width is None:
        gap = spacing * size
        at = x - (sum(advances) + gap * (len(text) - 1)) / 2
    else:
        gap = (width - sum(advances)) / max(1, len(text) - 1)
        at = x + (width - advances[0]) / 2 if len(text) == 1 else x
    runs = []
    for char, advance in zip(text, advances, strict=True):
        runs.append(Run(char, role, size, round(at), y, advance))
        at += advance + gap
    return tuple(runs)


def wrap(text: str, role: Role, size: int, width: int) -> list[str]:
    """Greedy lines of whole ASCII words and single hanzi; no line starts with a closing mark."""
    lines: list[list[str]] = [[]]
    used = 0
    for unit in _WORD.findall(text):
        for part in [unit] if text_width(unit, role, size) <= width else list(unit):
            advance = text_width(part, role, size)
            if lines[-1] and used + advance > width:
                carry = [lines[-1].pop()] if part[0] in _NO_LINE_START and lines[-1] else []
                lines.append(carry)
                used = sum(text_width(p, role, size) for p in carry)
            lines[-1].append(part)
            used += advance
    if len(lines) > 1 and len(lines[-1]) == 1 and len(lines[-2]) > 2:  # no lone last character
        lines[-1].insert(0, lines[-2].pop())
    return ["".join(line) for line in lines if line] or [""]


def fit(text: str, role: Role, size: int, width: int, spacing: float = 0.0) -> int:
    """``size``, or the largest smaller size at which ``text`` fits in ``width``."""
    natural = text_width(text, role, size) + spacing * size * (len(text) - 1)
    return size if natural <= width else max(1, math.floor(size * width / natural))


def text_width(text: str, role: Role, size: int) -> int:
    # basic layout: a string's advance is the sum of its characters' (Noto CJK has no kern table)
    return math.ceil(sum(_advance(char, role, size) for char in text))


def draw_run(image: Image.Image, run: Run) -> None:
    """Text from cached glyph masks: FreeType renders a CJK glyph in ~17 us, a paste is ~3 us,
    and most characters recur from one certificate to the next."""
    at = float(run.x)
    for char in run.text:
        mask, left, top = _glyph(char, run.role, run.size)
        x, y = round(at) + left, run.y + top
        image.paste(INK, (x, y, x + mask.width, y + mask.height), mask)
        at += _advance(char, run.role, run.size)


def font_for(role: Role, size: int) -> ImageFont.FreeTypeFont:
    return load_font(find_cjk_fonts()[role], size)


@lru_cache(maxsize=4096)
def _glyph(char: str, role: Role, size: int) -> tuple[Image.Image, int, int]:
    """The glyph's coverage mask and its offset from the pen position on the baseline."""
    font = font_for(role, size)
    left, top, right, bottom = (int(v) for v in font.getbbox(char, anchor="ls"))
    mask = Image.new("L", (max(1, right - left), max(1, bottom - top)), 0)
    ImageDraw.Draw(mask).text((-left, -top), char, fill=255, font=font, anchor="ls")
    return mask, left, top


@lru_cache(maxsize=16384)
def _advance(char: str, role: Role, size: int) -> float:
    return font_for(role, size).getlength(char)
