"""The Chinese fonts a certificate face is set in, found once and checked for coverage.

Each role (sans, sans bold, serif, serif bold) is looked for, in order, in:

1. ``APPROVALS_FONT``: one font file for every role (in a collection, its Simplified Chinese
   face). Set but unusable is an error, not a reason to fall back: the operator asked for it.
2. Debian's ``fonts-noto-cjk`` (Noto Sans/Serif CJK, Regular and Bold), the maintained source of
   record, at its Debian path and the paths other distributions use for the same files.
3. ``fc-match 'Noto Sans CJK SC'`` (and the other roles), when fontconfig is installed.

No PyPI package is searched: those that ship Noto CJK (``noto-cjk``, ``noto-cjk-sans-otc``,
``manimgx-fonts-cjk``, ``justmytype-intl-cjk``) are one-release repackagings by third parties,
two of them parts of other projects, not a source to set a government document from.
``scripts/fonts.sh`` installs the Debian package instead.

The choice is made once a process (:func:`find_cjk_fonts` is cached), and callers cache glyphs
and measurements on that basis.

A candidate counts only if its character map covers every hanzi of GB 2312 (6,763): fc-match
answers DejaVu Sans when asked for a font it does not have. A role not found falls back to the
sans regular; no sans regular at all raises :class:`FontNotFound`, saying how to install one.

The character map is read straight from the OpenType ``cmap`` table (formats 4 and 12), so
:func:`missing_glyphs` is exact without fontTools: a character either has a glyph or is mapped
to glyph 0 (.notdef, the "tofu" box).
"""

from __future__ import annotations

import bisect
import functools
import os
import shutil
import struct
import subprocess
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from PIL import ImageFont

ENV_VAR: Final = "APPROVALS_FONT"
_FONT_DIRS: Final = (
    "/usr/share/fonts/opentype/noto",  # Debian, Ubuntu: fonts-noto-cjk
    "/usr/share/fonts/noto-cjk",  # Arch, Alpine
    "/usr/share/fonts/google-noto-cjk",  # Fedora
)
INSTALL_HINT: Final = (
    "install Noto CJK: `apt-get install fonts-noto-cjk` (Debian/Ubuntu, as root) or `make fonts`; "
    f"or point {ENV_VAR} at a .ttc/.otf/.ttf font that covers Simplified Chinese"
)


class Role(StrEnum):
    SANS = "sans"
    SANS_BOLD = "sans-bold"
    SERIF = "serif"
    SERIF_BOLD = "serif-bold"


# (file name in a distribution's font folder, fontconfig pattern)
_SOURCES: Final = {
    Role.SANS: ("NotoSansCJK-Regular.ttc", "Noto Sans CJK SC"),
    Role.SANS_BOLD: ("NotoSansCJK-Bold.ttc", "Noto Sans CJK SC:bold"),
    Role.SERIF: ("NotoSerifCJK-Regular.ttc", "Noto Serif CJK SC"),
    Role.SERIF_BOLD: ("NotoSerifCJK-Bold.ttc", "Noto Serif CJK SC:bold"),
}


class FontNotFound(RuntimeError):
    """No font with full Simplified Chinese coverage on this machine."""


class MissingGlyphs(ValueError):
    """Characters the font cannot draw: rendering them would print boxes on a legal document."""

    def __init__(self, chars: set[str], font: str) -> None:
        self.chars = tuple(sorted(chars))
        listed = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in self.chars)
        super().__init__(f"{os.path.basename(font)} has no glyph for {listed}")


@dataclass(frozen=True)
class FontFile:
    path: str
    index: int = 0  # face within a collection (.ttc)


@dataclass(frozen=True)
class CjkFonts:
    roles: tuple[tuple[Role, FontFile], ...]

    def __getitem__(self, role: Role) -> FontFile:
        return dict(self.roles)[role]

    def fingerprint(self) -> str:
        """What identifies the glyphs drawn: file names, sizes and faces (for cache keys)."""
        parts = []
        for role, font in self.roles:
            size = os.stat(font.path).st_size
            parts.append(f"{role}={os.path.basename(font.path)}:{size}:{font.index}")
        return ";".join(parts)


@functools.lru_cache(maxsize=1)
def find_cjk_fonts() -> CjkFonts:
    """The font for each role; cached for the process (``find_cjk_fonts.cache_clear()`` resets)."""
    explicit = os.environ.get(ENV_VAR)
    if explicit:
        font = _usable(explicit)
        if font is None:
            raise FontNotFound(
                f"{ENV_VAR}={explicit!r} is not a readable font covering Simplified Chinese; "
                + INSTALL_HINT
            )
        return CjkFonts(tuple((role, font) for role in Role))
    found = {role: _find_role(role) for role in Role}
    sans = found[Role.SANS] or next((f for f in found.values() if f), None)
    if sans is None:
        raise FontNotFound("no Chinese font found; " + INSTALL_HINT)
    return CjkFonts(tuple((role, found[role] or sans) for role in Role))


@functools.lru_cache(maxsize=64)
def load_font(font: FontFile, size: int) -> ImageFont.FreeTypeFont:
    """A loaded face; loading reads tables from a 20 MB file, so it is done once per size.

    Basic layout (no libraqm): CJK needs no shaping, and the bytes must not depend on whether
    the machine happens to have libraqm.
    """
    return ImageFont.truetype(
        font.path, size, index=font.index, layout_engine=ImageFont.Layout.BASIC
    )


def missing_glyphs(text: str, font_path: str, index: int = 0) -> set[str]:
    """The characters of ``text`` that the font maps to no glyph."""
    starts, ends = _cmap_ranges(font_path, index)
    missing = set()
    for char in set(text):
        code = ord(char)
        at = bisect.bisect_right(starts, code) - 1
        if at < 0 or code > ends[at]:
            missing.add(char)
    return missing


def _find_role(role: Role) -> FontFile | None:
    name, pattern = _SOURCES[role]
    for folder in _FONT_DIRS:
        font = _usable(os.path.join(folder, name))
        if font:
            return font
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    try:
        answer = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [fc_match, "-f", "%{file}|%{index}", pattern],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    path, _, index = answer.partition("|")
    return _usable(path, int(index) if index.isdigit() else None)


def _usable(path: str, index: int | None = None) -> FontFile | None:
    """The font at ``path`` if it covers GB 2312; a collection's Simplified Chinese face."""
    if not os.path.isfile(path):
        return None
    try:
        font = FontFile(path, _simplified_chinese_face(path) if index is None else index)
        return font if not missing_glyphs(_gb2312_hanzi(), font.path, font.index) else None
    except (OSError, ValueError, struct.error):
        return None


def _simplified_chinese_face(path: str) -> int:
    """In a collection, the first face named "... SC" that is not monospaced; else face 0."""
    with open(path, "rb") as f:
        head = f.read(12)
    if head[:4] != b"ttcf":
        return 0
    for index in range(struct.unpack(">I", head[8:12])[0]):
        family = ImageFont.truetype(path, 12, index=index).getname()[0] or ""
        if family.endswith(" SC") and "Mono" not in family:
            return index
    return 0


@functools.lru_cache(maxsize=1)
def _gb2312_hanzi() -> str:
    chars = []
    for high in range(0xB0, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.append(bytes((high, low)).decode("gb2312"))
            except UnicodeDecodeError:  # the five unassigned cells at the end of row 55
                continue
    return "".join(chars)


@functools.lru_cache(maxsize=16)
def _cmap_ranges(path: str, index: int) -> tuple[list[int], list[int]]:
    """Sorted, merged (starts, ends) of the code points the face maps to a real glyph."""
    with open(path, "rb") as f:
        data = f.read(12)
        offset = 0
        if data[:4] == b"ttcf":
            f.seek(12 + 4 * index)
            (offset,) = struct.unpack(">I", f.read(4))
        f.seek(offset + 4)
        (tables,) = struct.unpack(">H", f.read(2))
        f.seek(offset + 12)
        directory = f.read(16 * tables)
        for at in range(0, len(directory), 16):
            tag, _, table_offset, length = struct.unpack(">4sIII", directory[at : at + 16])
            if tag == b"cmap":
                f.seek(table_offset)
                return _merge(_parse_cmap(f.read(length)))
    raise ValueError(f"{path} has no cmap table")


def _parse_cmap(cmap: bytes) -> list[tuple[int, int]]:
    (count,) = struct.unpack(">H", cmap[2:4])
    subtables = {}
    for at in range(4, 4 + 8 * count, 8):
        platform, encoding, offset = struct.unpack(">HHI", cmap[at : at + 8])
        subtables[(platform, encoding)] = offset
    # full Unicode (format 12) before BMP only (format 4)
    for key in ((3, 10), (0, 6), (0, 4), (3, 1), (0, 3)):
        if key in subtables:
            offset = subtables[key]
            (fmt,) = struct.unpack(">H", cmap[offset : offset + 2])
            if fmt == 12:
                return _format_12(cmap, offset)
            if fmt == 4:
                return _format_4(cmap, offset)
    raise ValueError("no Unicode cmap subtable in format 4 or 12")


def _format_12(cmap: bytes, offset: int) -> list[tuple[int, int]]:
    (groups,) = struct.unpack(">I", cmap[offset + 12 : offset + 16])
    ranges = []
    for at in range(offset + 16, offset + 16 + 12 * groups, 12):
        start, end, glyph = struct.unpack(">III", cmap[at : at + 12])
        ranges.append((start + (glyph == 0), end))  # glyph 0 is .notdef: not a glyph
    return ranges


def _format_4(cmap: bytes, offset: int) -> list[tuple[int, int]]:
    (seg2,) = struct.unpack(">H", cmap[offset + 6 : offset + 8])
    segs = seg2 // 2

    def array(n: int) -> tuple[int, ...]:
        start = offset + 14 + n * seg2 + (2 if n else 0)  # reservedPad after endCode
        return struct.unpack(f">{segs}H", cmap[start : start + seg2])

    ends, starts, deltas, range_offsets = array(0), array(1), array(2), array(3)
    range_base = offset + 16 + 3 * seg2
    ranges = []
    for seg in range(segs):
        for code in range(starts[seg], min(ends[seg], 0xFFFE) + 1):
            if range_offsets[seg] == 0:
                glyph = (code + deltas[seg]) & 0xFFFF
            else:
                at = range_base + 2 * seg + range_offsets[seg] + 2 * (code - starts[seg])
                (glyph,) = struct.unpack(">H", cmap[at : at + 2])
                glyph = (glyph + deltas[seg]) & 0xFFFF if glyph else 0
            if glyph:
                ranges.append((code, code))
    return ranges


def _merge(ranges: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
    starts: list[int] = []
    ends: list[int] = []
    for start, end in sorted(r for r in ranges if r[0] <= r[1]):
        if ends and start <= ends[-1] + 1:
            ends[-1] = max(ends[-1], end)
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends
