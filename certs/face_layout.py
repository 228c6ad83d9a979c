"""Where everything on the certificate face goes, in pixels, before a pixel is drawn.

Split from :mod:`certs.face`, which draws what this module places: the title, the number line,
the field rows (and the 多证合一 table), the QR code, the issuer lines and the seal's box. The
body is set at the largest type size that fits above the QR code, and every character is
checked against its font's character map here, so :class:`~certs.fonts.MissingGlyphs` is
raised rather than boxes drawn on a legal document. :class:`FaceLayout` is also what tests
measure.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Final

from certs import qr
from certs.fonts import MissingGlyphs, Role, find_cjk_fonts, missing_glyphs
from certs.typeset import Box, Run, centred, fit, run_at, spaced, wrap

if TYPE_CHECKING:  # certs.face imports this module
    from certs.face import FaceData

BASE_DPI: Final = 150  # scale 1.0: 1240 x 1754 px, enough for the web view
PAGE_MM: Final = (210.0, 297.0)
MARGIN_MM: Final = 18.0  # the printable area is inside the border
QR_MIN_MM: Final = 44.0  # printed >= 40 mm wide, so cheap phone cameras read a version-22 symbol
QR_MAX_MM: Final = 56.0  # the room beside the seal; below ~110 dpi whole modules cannot hit 44 mm


class FaceOverflow(ValueError):
    """The content does not fit on one page even at the smallest type size."""


@dataclass(frozen=True)
class FaceLayout:
    size: tuple[int, int]
    printable: Box  # nothing but the border is drawn outside it
    runs: tuple[Run, ...]
    rules: tuple[Box, ...]  # filled ink rectangles (table lines)
    qr_box: Box
    qr_module: int  # pixels a module
    seal_box: Box
    title_runs: int  # the first runs, drawn once into the template


def layout_face(face: FaceData, qr_url: str, *, scale: float = 1.0) -> FaceLayout:
    """Where everything goes, in pixels; raises MissingGlyphs before anything is drawn."""
    if not 0.5 <= scale <= 4:
        raise ValueError("scale must be between 0.5 and 4")
    find_cjk_fonts()  # FontNotFound first; fonts are chosen once a process, caches below rely on it
    mm = BASE_DPI * scale / 25.4
    width, height = round(PAGE_MM[0] * mm), round(PAGE_MM[1] * mm)
    margin = round(MARGIN_MM * mm)
    modules = 17 + 4 * qr.qr_version_for(qr_url)
    module = min(math.ceil(QR_MIN_MM * mm / modules), max(1, int(QR_MAX_MM * mm / modules)))
    qr_x, qr_y = round(26 * mm), round(206 * mm)
    qr_box = (qr_x, qr_y, qr_x + module * modules, qr_y + module * modules)
    title = title_runs(face.licence_name, scale)
    runs, rules = _body(face, mm, bottom=qr_y - round(5 * mm))
    runs.append(
        centred(
            "扫码核验真伪",
            Role.SANS,
            round(3.6 * mm),
            (qr_x + qr_box[2]) // 2,
            qr_box[3] + round(7 * mm),
        )
    )
    lines = (f"发证机关：{face.issuer}", f"发证日期：{cn_date(as_date(face.issue_date))}")
    centre, room = round(139 * mm), round(94 * mm)  # right of the QR code
    size = min(fit(text, Role.SERIF, round(4.4 * mm), room) for text in lines)
    for i, text in enumerate(lines):
        runs.append(centred(text, Role.SERIF, size, centre, round((235 + 11 * i) * mm)))
    seal_d = round(42 * mm)
    seal_x, seal_y = round(152 * mm) - seal_d // 2, round(243 * mm) - seal_d // 2
    seal_box = (seal_x, seal_y, seal_x + seal_d, seal_y + seal_d)
    all_runs = (*title, *runs)
    _check_glyphs(all_runs, face)
    printable = (margin, margin, width - margin, height - margin)
    return FaceLayout(
        (width, height), printable, all_runs, tuple(rules), qr_box, module, seal_box, len(title)
    )


@lru_cache(maxsize=16)
def title_runs(licence_name: str, scale: float) -> tuple[Run, ...]:
    mm = BASE_DPI * scale / 25.4
    size = fit(licence_name, Role.SERIF_BOLD, round(12 * mm), round(150 * mm), spacing=0.22)
    return spaced(licence_name, Role.SERIF_BOLD, size, round(105 * mm), round(41 * mm), 0.22)


def as_date(value: date | str) -> date:
    if isinstance(value, date):
        return value
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError(f"a date is YYYY-MM-DD, not {value!r}")
    return date.fromisoformat(value)


def cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _body(face: FaceData, mm: float, bottom: int) -> tuple[list[Run], list[Box]]:
    """Number line and field rows at the largest type size (4.6 mm down to 3 mm) that ends
    above ``bottom``, the rows then spread apart into part of the room left."""
    starts = as_date(face.valid_from or face.issue_date)
    until = cn_date(as_date(face.valid_until)) if face.valid_until else "长期"
    fields = [
        ("单位名称", face.holder),
        ("统一社会信用代码", face.holder_code),
        ("地址", face.address),
        ("许可项目", "、".join(face.items)),
        ("有效期限", f"{cn_date(starts)}至{until}"),
        ("版本", f"第{face.version}版"),
        ("证照标识", face.identifier),
    ]
    if face.components:
        fields.insert(4, ("多证合一", ""))
    if face.status_note:
        fields.append(("", f"注：{face.status_note}"))
    label_x, label_w, value_x, right = (round(v * mm) for v in (26, 30, 61, 184))
    number = f"证照编号：{face.number}"
    for size in (round(size_mm * mm) for size_mm in (4.6, 4.2, 3.8, 3.4, 3.0)):
        rows = [
            _row(label, value, face, size, (label_x, label_w, value_x, right))
            for label, value in fields
        ]
        top, gap = round(70 * mm) + size, round(size * 0.7)
        # to the last line's descent: its height counts the pitch to a next line
        height = sum(row[2] for row in rows) + gap * (len(rows) - 1) - round(size * 1.3)
        if top + height <= bottom:
            gap += min((bottom - top - height) // (len(rows) + 2), round(size * 0.8))
            number_size = fit(number, Role.SERIF, size, round(164 * mm))
            runs = [centred(number, Role.SERIF, number_size, round(105 * mm), round(57 * mm))]
            rules: list[Box] = []
            for row_runs, row_rules, row_height in rows:
                runs += (replace(run, y=run.y + top) for run in row_runs)
                rules += ((x0, y0 + top, x1, y1 + top) for x0, y0, x1, y1 in row_rules)
                top += row_height + gap
            return runs, rules
    raise FaceOverflow("the certificate's text does not fit on one A4 page")


def _row(
    label: str, value: str, face: FaceData, size: int, columns: tuple[int, int, int, int]
) -> tuple[list[Run], list[Box], int]:
    """One field with its first baseline at y = 0: runs, rules and the height it takes."""
    label_x, label_w, value_x, right = columns
    label_size = fit(label, Role.SERIF_BOLD, size, label_w)
    runs = list(spaced(label, Role.SERIF_BOLD, label_size, label_x, 0, width=label_w))
    pitch = round(size * 1.7)
    if label == "多证合一":
        rules, height = _components(face.components, runs, (value_x, right), size, pitch)
        return runs, rules, height
    small = label in ("证照标识", "")
    role, value_size = (Role.SANS, round(size * 0.8)) if small else (Role.SERIF, size)
    lines = wrap(value, role, value_size, right - value_x)
    runs += (run_at(text, role, value_size, value_x, i * pitch) for i, text in enumerate(lines))
    return runs, [], len(lines) * pitch


def _components(
    components: tuple[tuple[str, str], ...],
    runs: list[Run],
    span: tuple[int, int],
    size: int,
    pitch: int,
) -> tuple[list[Box], int]:
    """A ruled table 序号 | 证照名称 | 状态 under the first baseline (y = 0)."""
    cols = (span[0], span[0] + 3 * size, span[1] - 4 * size, span[1])
    line, y = max(1, size // 20), 0
    tops = [y - pitch + round(size * 0.47)]
    rows = [("序号", "证照名称", "状态"), *((str(i), *c) for i, c in enumerate(components, 1))]
    for number, (index, name, status) in enumerate(rows):
        role = Role.SERIF_BOLD if number == 0 else Role.SERIF
        runs.append(centred(index, role, size, (cols[0] + cols[1]) // 2, y))
        fitted = fit(status, role, size, cols[3] - cols[2])
        runs.append(centred(status, role, fitted, (cols[2] + cols[3]) // 2, y))
        for text in wrap(name, role, size, cols[2] - cols[1] - size // 2):
            runs.append(run_at(text, role, size, cols[1] + size // 3, y))
            y += pitch
        tops.append(y - pitch + round(size * 0.47))
    rules = [(cols[0], top, cols[3], top + line - 1) for top in tops]
    rules += [(x - line // 2, tops[0], x - line // 2 + line - 1, tops[-1] + line - 1) for x in cols]
    return rules, y


def _check_glyphs(runs: tuple[Run, ...], face: FaceData) -> None:
    texts = dict.fromkeys(Role, "")
    for run in runs:
        texts[run.role] += run.text
    texts[Role.SERIF_BOLD] += face.issuer + face.seal_label  # set on the seal
    fonts = find_cjk_fonts()
    for role, text in texts.items():
        missing = missing_glyphs(text, fonts[role].path, fonts[role].index)
        if missing:
            raise MissingGlyphs(missing, fonts[role].path)
