"""What the QR code on a certificate contains, how big it gets, and how to draw it.

Content: ``<BASE URL, UPPER CASE>/V/<token as digits>``, ASCII only, in two QR segments:

* the prefix in alphanumeric mode (5.5 bits a character; the mode has no lower case, hence the
  upper-case URL: scheme and host are case-insensitive and the ``/V/`` route is ours);
* the token in numeric mode (3.33 bits a digit), each character ``c`` of the compact JWS written
  as the two digits of ``ord(c) - 45`` (``-`` is 00, ``.`` 01, ``0`` 03, ``A`` 20, ``_`` 50,
  ``z`` 77), as SMART Health Cards do. That costs 6.67 bits per base64url character instead of
  the 8 of byte mode, and a phone that opens the URL gets a plain web page.

Raw Chinese text never goes into the symbol: without an ECI marker some decoders read UTF-8 as
Shift-JIS. Symbols stay at version 22 or below (105 modules) at error-correction level M,
because denser codes fail on cheap phone cameras; :func:`qr_version_for` computes the version
arithmetically so issuing can refuse an over-long certificate before anything is stored.

Budget: version 22 holds 782 data bytes at level M. Each byte of claims JSON costs ~8.9 bits of
symbol (4/3 for base64url, then 10/3 bits per pair of digits), the header and signature ~1,300
bits and the prefix ~200, which leaves ~530 bytes of JSON. A Chinese character is 3 of those
bytes (~27 bits of symbol): a certificate with every required claim has room for only about 40
Chinese characters of holder, address and items together.
"""

from __future__ import annotations

import io
import re
import string
from typing import Final

import qrcode
from PIL import Image
from qrcode import util
from qrcode.constants import ERROR_CORRECT_M

from certs._qr_codewords import codewords

MAX_QR_VERSION: Final = 22
ALPHANUMERIC: Final = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
_ROUTE: Final = "/V/"
_TOKEN_CHARS: Final = "-." + string.digits + string.ascii_uppercase + "_" + string.ascii_lowercase
_TOKEN_RE: Final = re.compile(r"[-.0-9A-Z_a-z]*")
_ALPHANUMERIC_RE: Final = re.compile(r"[0-9A-Z $%*+\-./:]*")
# Two byte-translation tables, tens and units of ord(c) - 45, interleaved: all C-level work.
_TENS: Final = bytes.maketrans(
    _TOKEN_CHARS.encode(), bytes(48 + (ord(c) - 45) // 10 for c in _TOKEN_CHARS)
)
_UNITS: Final = bytes.maketrans(
    _TOKEN_CHARS.encode(), bytes(48 + (ord(c) - 45) % 10 for c in _TOKEN_CHARS)
)
_FROM_DIGITS: Final = {f"{ord(c) - 45:02d}": c for c in _TOKEN_CHARS}

# Data codewords per version at level M (ISO/IEC 18004 table 7), versions 1..40.
_DATA_CODEWORDS_M: Final = (
    16, 28, 44, 64, 86, 108, 124, 154, 182, 216, 254, 290, 334, 365, 415, 453, 507, 563, 627,
    669, 714, 782, 860, 914, 1000, 1062, 1128, 1193, 1267, 1373, 1455, 1541, 1631, 1725, 1812,
    1914, 1992, 2102, 2216, 2334,
)  # fmt: skip
# Any fixed mask gives a valid symbol; choosing the best of eight is ~4x the cost of drawing one.
_MASK_PATTERN: Final = 2


class QrTooDense(ValueError):
    """The content needs a QR version above :data:`MAX_QR_VERSION` (``version`` is None if
    it does not fit any version)."""

    def __init__(self, version: int | None, limit: int = MAX_QR_VERSION) -> None:
        needed = f"version {version}" if version else "more than version 40"
        super().__init__(f"the QR code would need {needed}; the limit is {limit}")
        self.version = version
        self.limit = limit


def token_to_digits(token: str) -> str:
    """Each base64url or ``.`` character as two digits, ``ord(c) - 45``."""
    if not _TOKEN_RE.fullmatch(token):
        raise ValueError("a token contains only base64url characters and dots")
    raw = token.encode("ascii")
    out = bytearray(2 * len(raw))
    out[0::2] = raw.translate(_TENS)
    out[1::2] = raw.translate(_UNITS)
    return out.decode("ascii")


def digits_to_token(digits: str) -> str:
    """Inverse of :func:`token_to_digits`; ValueError on odd length or a pair out of range."""
    if len(digits) % 2:
        raise ValueError("token digits come in pairs; the length is odd")
    try:
        return "".join([_FROM_DIGITS[digits[i : i + 2]] for i in range(0, len(digits), 2)])
    except KeyError:
        raise ValueError("a digit pair does not stand for a token character") from None


def verification_prefix(base_url: str) -> str:
    """``BASE_URL/V/`` in upper case; ValueError if it falls outside the QR alphanumeric set."""
    if not base_url.isascii():
        raise ValueError("the base URL must be ASCII (punycode for a Chinese domain)")
    prefix = base_url.rstrip("/").upper() + _ROUTE
    if prefix == _ROUTE or not ALPHANUMERIC.issuperset(prefix):
        bad = "".join(sorted(set(prefix) - ALPHANUMERIC)) or "empty URL"
        raise ValueError(f"the base URL cannot be written in QR alphanumeric mode: {bad!r}")
    return prefix


def verification_url(base_url: str, token: str) -> str:
    return verification_prefix(base_url) + token_to_digits(token)


def token_from_url(url: str) -> str:
    """The token in a scanned URL: the digits after the last ``/V/`` (any case)."""
    url = url.strip()
    if not url.isascii():
        raise ValueError("a verification URL is ASCII")
    index = url.upper().rfind(_ROUTE)
    if index < 0:
        raise ValueError(f"no {_ROUTE} in the URL")
    digits = url[index + len(_ROUTE) :]
    if not _is_digits(digits):
        raise ValueError(f"the URL must end in digits after {_ROUTE}")
    return digits_to_token(digits)


def qr_version_for(url: str, *, max_version: int = MAX_QR_VERSION) -> int:
    """Smallest QR version (level M) holding ``url`` as prefix + digits.

    Raises QrTooDense above ``max_version``. Pure arithmetic (microseconds), so the issuing path
    can call it to refuse a certificate whose code would be unreadable.
    """
    prefix, digits = _segments(url)
    for version, data_codewords in enumerate(_DATA_CODEWORDS_M, start=1):
        bits = _segment_bits(len(prefix), len(digits), version)
        if bits is not None and bits <= data_codewords * 8:
            if version > max_version:
                raise QrTooDense(version, max_version)
            return version
    raise QrTooDense(None, max_version)


def render_qr_image(
    url: str, *, box_size: int = 8, border: int = 4, max_version: int = MAX_QR_VERSION
) -> Image.Image:
    """The QR symbol as a 1-bit image, ``box_size`` pixels a module, ``border`` modules quiet zone.

    Slow (~10 ms: the matrix is built in pure Python): call it lazily and cache the result,
    never on the issuing request.
    """
    if box_size < 1 or border < 0:
        raise ValueError("box_size must be at least 1 and border at least 0")
    prefix, digits = _segments(url)
    version = qr_version_for(url, max_version=max_version)
    qr = qrcode.QRCode(
        version=version, error_correction=ERROR_CORRECT_M, mask_pattern=_MASK_PATTERN
    )
    segments = [
        util.QRData(prefix.encode("ascii"), mode=util.MODE_ALPHA_NUM),
        util.QRData(digits.encode("ascii"), mode=util.MODE_NUMBER),
    ]
    for segment in segments:
        qr.add_data(segment)
    try:
        qr.make(fit=False)
    except ValueError as exc:
        if not str(exc).startswith("glog("):
            raise
        qr.data_cache = codewords(version, segments)  # see certs._qr_codewords
        qr.make(fit=False)
    return _draw(qr.modules, box_size, border)


def render_qr_png(
    url: str, *, box_size: int = 8, border: int = 4, max_version: int = MAX_QR_VERSION
) -> bytes:
    """The QR symbol as PNG bytes (1-bit, fast compression: the symbol compresses well anyway)."""
    image = render_qr_image(url, box_size=box_size, border=border, max_version=max_version)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def _segments(url: str) -> tuple[str, str]:
    index = url.rfind(_ROUTE)
    if index < 0:
        raise ValueError(f"a verification URL contains {_ROUTE}")
    prefix, digits = url[: index + len(_ROUTE)], url[index + len(_ROUTE) :]
    if not _ALPHANUMERIC_RE.fullmatch(prefix):
        raise ValueError("the URL prefix must be upper case in the QR alphanumeric set")
    if not _is_digits(digits):
        raise ValueError(f"the URL must end in digits after {_ROUTE}")
    return prefix, digits


def _is_digits(text: str) -> bool:
    # isdigit() alone accepts other scripts' digits ("٣", "５")
    return text.isascii() and text.isdigit()


def _segment_bits(alphanumeric: int, numeric: int, version: int) -> int | None:
    """Bits of an alphanumeric and a numeric segment at ``version``; None if a count overflows."""
    size_class = 0 if version <= 9 else 1 if version <= 26 else 2
    alpha_count_bits = (9, 11, 13)[size_class]
    numeric_count_bits = (10, 12, 14)[size_class]
    if alphanumeric >= 1 << alpha_count_bits or numeric >= 1 << numeric_count_bits:
        return None
    alpha_bits = 11 * (alphanumeric // 2) + 6 * (alphanumeric % 2)
    numeric_bits = 10 * (numeric // 3) + (0, 4, 7)[numeric % 3]
    return 4 + alpha_count_bits + alpha_bits + 4 + numeric_count_bits + numeric_bits


def _draw(modules: list[list[bool | None]], box_size: int, border: int) -> Image.Image:
    # one byte a module, then one nearest-neighbour resize: far cheaper than a rectangle a module
    size = len(modules) + 2 * border
    quiet_rows = b"\xff" * (size * border)
    quiet_side = b"\xff" * border
    rows = b"".join(
        quiet_side + bytes(0 if dark else 255 for dark in row) + quiet_side for row in modules
    )
    image = Image.frombytes("L", (size, size), quiet_rows + rows + quiet_rows)
    image = image.convert("1", dither=Image.Dither.NONE)
    if box_size == 1:
        return image
    return image.resize((size * box_size, size * box_size), Image.Resampling.NEAREST)
