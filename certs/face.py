"""The printable face of a certificate: an A4 licence in Simplified Chinese, as PNG or PDF.

This module is the public face of the face: :class:`FaceData` says what the licence shows, and
:func:`render_face_png`, :func:`render_face_pdf` and :func:`face_cache_key` are what the service
calls. The work is shared out: :mod:`certs.face_layout` places everything (and checks every
character against its font before anything is drawn), :mod:`certs.typeset` sets the text,
:mod:`certs.seal` draws the red border and seal and owns the palette, and :mod:`certs.pdf`
wraps the PNG in a PDF. Their public names used to live here and are re-exported.

The page is drawn straight into palette indices (see :mod:`certs.seal`): a palette PNG is a
third of the bytes of RGB and encodes ~6x faster. Border and title are drawn once per licence
type and the seal once per issuer; fonts are loaded once. The bytes are deterministic, so faces
can be cached under :func:`face_cache_key`.

The drawn seal is decoration: what makes a face genuine is the signed token in its QR code.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import unicodedata
from dataclasses import asdict, dataclass
from datetime import date
from functools import lru_cache
from typing import Final

import PIL
from PIL import Image, ImageDraw, features

from certs import qr
from certs.face_layout import BASE_DPI as BASE_DPI
from certs.face_layout import MARGIN_MM as MARGIN_MM
from certs.face_layout import PAGE_MM as PAGE_MM
from certs.face_layout import QR_MAX_MM as QR_MAX_MM
from certs.face_layout import QR_MIN_MM as QR_MIN_MM
from certs.face_layout import FaceLayout as FaceLayout
from certs.face_layout import FaceOverflow as FaceOverflow
from certs.face_layout import as_date, title_runs
from certs.face_layout import layout_face as layout_face
from certs.fonts import find_cjk_fonts
from certs.pdf import pdf_from_png
from certs.seal import RED_FULL, draw_border, palette, press_seal
from certs.typeset import INK as INK
from certs.typeset import Box as Box
from certs.typeset import Run as Run
from certs.typeset import draw_run

FACE_FORMAT_VERSION: Final = 1  # bump whenever a change alters the drawn bytes
PDF_DPI: Final = 200
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_TEXT_FIELDS: Final = (
    "licence_name",
    "number",
    "identifier",
    "holder",
    "holder_code",
    "address",
    "issuer",
    "status_note",
    "seal_label",
)


@dataclass(frozen=True, kw_only=True)
class FaceData:
    """What the face shows. Dates are ``date`` or ``YYYY-MM-DD``; ``valid_from`` None is the
    issue date and ``valid_until`` None is 长期 (no end). Text is NFC-normalised."""

    licence_name: str
    number: str
    identifier: str
    holder: str
    holder_code: str
    address: str
    items: tuple[str, ...]
    issuer: str
    issue_date: date | str
    valid_from: date | str | None
    valid_until: date | str | None
    version: int
    components: tuple[tuple[str, str], ...] = ()  # (licence name, status name) of 多证合一
    status_note: str = ""  # printed small, e.g. 告知承诺审批，事后核查中
    seal_label: str = "行政审批专用章"

    def __post_init__(self) -> None:
        for name in _TEXT_FIELDS:
            object.__setattr__(self, name, _clean(name, getattr(self, name)))
        object.__setattr__(self, "items", tuple(_clean("items", i) for i in self.items))
        parts = tuple(
            (_clean("components", n), _clean("components", s)) for n, s in self.components
        )
        object.__setattr__(self, "components", parts)
        for name in ("issue_date", "valid_from", "valid_until"):
            value = getattr(self, name)
            object.__setattr__(self, name, None if value is None else as_date(value))
        if not 1 <= self.version <= 999:
            raise ValueError("version must be 1..999")


def face_cache_key(face: FaceData, qr_url: str) -> str:
    """sha256 over everything the bytes depend on: data, URL, format, fonts and renderer.

    One key per content; store the PNG and the PDF under ``key + ".png"`` and ``".pdf"``.
    """
    data = {k: v.isoformat() if isinstance(v, date) else v for k, v in asdict(face).items()}
    canonical = {
        "format": FACE_FORMAT_VERSION,
        "face": data,
        "url": qr_url,
        "fonts": find_cjk_fonts().fingerprint(),
        "pillow": PIL.__version__,
        "freetype": features.version("freetype2"),
    }
    encoded = json.dumps(canonical, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def render_face_png(face: FaceData, qr_url: str, *, scale: float = 1.0) -> bytes:
    """The face as a palette PNG at ``150 * scale`` dpi (1240 x 1754 px at scale 1)."""
    image = _render(face, qr_url, scale)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1, dpi=(BASE_DPI * scale,) * 2)
    return out.getvalue()


def render_face_pdf(face: FaceData, qr_url: str) -> bytes:
    """One A4 page holding the face at 200 dpi, lossless (the PNG's own deflate stream)."""
    png = render_face_png(face, qr_url, scale=PDF_DPI / BASE_DPI)
    return pdf_from_png(png, f"{face.licence_name} {face.number}", as_date(face.issue_date))


def _render(face: FaceData, qr_url: str, scale: float) -> Image.Image:
    layout = layout_face(face, qr_url, scale=scale)
    image = _template(face.licence_name, scale).copy()
    for run in layout.runs[layout.title_runs :]:
        draw_run(image, run)
    draw = ImageDraw.Draw(image)
    for rule in layout.rules:
        draw.rectangle(rule, fill=INK)
    symbol = qr.render_qr_image(qr_url, box_size=layout.qr_module, border=0)
    image.paste(symbol.convert("L").point(_QR_TO_INK), layout.qr_box[:2])
    press_seal(image, face.issuer, face.seal_label, layout.seal_box)
    image.putpalette(palette())
    return image


_QR_TO_INK: Final = [INK if v < 128 else 0 for v in range(256)]


@lru_cache(maxsize=16)
def _template(licence_name: str, scale: float) -> Image.Image:
    """Red border with a band of 回 frets, and the title: the same for every licence of a type."""
    mm = BASE_DPI * scale / 25.4
    w, h = round(PAGE_MM[0] * mm), round(PAGE_MM[1] * mm)
    image = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(image)
    draw_border(draw, (w, h), mm)
    for run in title_runs(licence_name, scale):
        draw_run(image, run)
    y = round(47 * mm)
    draw.rectangle((round(40 * mm), y, w - round(40 * mm), y + round(0.5 * mm)), fill=RED_FULL)
    return image


def _clean(field: str, value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError(f"{field} contains a control character")
    return unicodedata.normalize("NFC", value).strip()
