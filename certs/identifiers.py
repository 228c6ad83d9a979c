"""Electronic-licence identifiers in the GB/T 36904 layout.

An identifier names one version of one licence nationwide::

    1.2.156.3005.2.<type code>.<issuer code>.<serial>.<version>.<check>

* the root ``1.2.156.3005.2`` is the OID arc for electronic licences;
* the type code (21 characters) is the defining agency's 18-character unified social credit code
  followed by three digits that number the licence type within that agency;
* the issuer code (18 characters) is the issuing agency's unified social credit code;
* the serial is ours to allocate: ten zero-padded digits, unique per type and issuer;
* the version (three digits) grows each time the licence is re-issued (change, renewal);
* the check character is ISO/IEC 7064 MOD 37,36 over everything after the root, dots removed.

Real platforms use serials of other lengths (we have seen 10, 11 and 20 characters); this module
builds and parses only our own ten-digit form, but :func:`mod37_36_check_char` checks any of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

ROOT: Final = "1.2.156.3005.2"

_ALPHABET: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Lower-case letters are accepted as their upper-case values. The table is explicit rather than
# calling str.upper(), because upper() maps some non-ASCII letters onto ASCII ones ("ı" -> "I").
_VALUES: Final[dict[str, int]] = {
    **{c: i for i, c in enumerate(_ALPHABET)},
    **{c.lower(): i for i, c in enumerate(_ALPHABET) if c.isalpha()},
}

_MAX_SERIAL: Final = 9_999_999_999
_MAX_VERSION: Final = 999
_MAX_TEXT: Final = 200  # far above the 89 characters of a real identifier; bounds the work

_TYPE_CODE: Final = re.compile(r"[0-9A-Z]{18}[0-9]{3}")
_ISSUER_CODE: Final = re.compile(r"[0-9A-Z]{18}")
_SERIAL: Final = re.compile(r"[0-9]{10}")
_VERSION: Final = re.compile(r"[0-9]{3}")
_CHECK: Final = re.compile(r"[0-9A-Z]")


def mod37_36_check_char(data: str) -> str:
    """Return the ISO/IEC 7064 hybrid MOD 37,36 check character for ``data``.

    The hybrid system catches every single-character substitution and every swap of two
    adjacent characters, which are the mistakes people make when they retype an identifier.
    ISAN (ISO 15706) uses the same system, so its published numbers serve as test vectors.
    """
    if not data:
        raise ValueError("cannot compute a check character over an empty string")
    product = 36
    for char in data:
        value = _VALUES.get(char)
        if value is None:
            raise ValueError(f"character {char!r} is not one of 0-9 and A-Z")
        total = (product + value) % 36 or 36
        product = (total * 2) % 37
    return _ALPHABET[(37 - product) % 36]


@dataclass(frozen=True)
class ParsedIdentifier:
    """The parts of an identifier, already checked."""

    type_code: str
    issuer_code: str
    serial: int
    version: int
    check: str

    @property
    def identifier(self) -> str:
        """The canonical text of this identifier (upper case)."""
        return f"{_body(self.type_code, self.issuer_code, self.serial, self.version)}.{self.check}"


class InvalidIdentifier(ValueError):
    """The text is not one of our identifiers; ``reason`` is a short machine-readable code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def build_identifier(type_code: str, issuer_code: str, serial: int, version: int) -> str:
    """Build the identifier of version ``version`` of licence ``serial``.

    Codes must already be upper case: an identifier is compared as text across systems, so we
    refuse to guess a canonical form for the caller.
    """
    if not isinstance(type_code, str) or not _TYPE_CODE.fullmatch(type_code):
        raise ValueError(
            "type_code must be an 18-character credit code (0-9, A-Z) followed by 3 digits, "
            f"got {type_code!r}"
        )
    if not isinstance(issuer_code, str) or not _ISSUER_CODE.fullmatch(issuer_code):
        raise ValueError(
            f"issuer_code must be an 18-character credit code (0-9, A-Z), got {issuer_code!r}"
        )
    _check_number("serial", serial, _MAX_SERIAL)
    _check_number("version", version, _MAX_VERSION)
    body = _body(type_code, issuer_code, serial, version)
    return f"{body}.{_check_of(body)}"


def parse_identifier(text: str) -> ParsedIdentifier:
    """Split and check an identifier; raise :class:`InvalidIdentifier` saying what is wrong.

    Surrounding whitespace and lower-case letters are tolerated, because identifiers are
    retyped and pasted by people; the result always describes the canonical upper-case form.
    """
    if not isinstance(text, str):
        raise InvalidIdentifier("malformed", "an identifier must be text")
    if len(text) > _MAX_TEXT:
        raise InvalidIdentifier("malformed", f"an identifier is at most {_MAX_TEXT} characters")
    text = text.strip()
    if not text.isascii():
        raise InvalidIdentifier("malformed", "an identifier contains only ASCII characters")
    text = text.upper()
    if not text.startswith(ROOT + "."):
        raise InvalidIdentifier("wrong_root", f"an identifier starts with {ROOT}.")
    parts = text[len(ROOT) + 1 :].split(".")
    if len(parts) != 5:
        raise InvalidIdentifier(
            "wrong_parts",
            "after the root an identifier has 5 dot-separated parts "
            f"(type code, issuer code, serial, version, check), found {len(parts)}",
        )
    type_code, issuer_code, serial, version, check = parts
    for value, pattern, reason, expected in (
        (type_code, _TYPE_CODE, "bad_type_code", "18 characters 0-9/A-Z then 3 digits"),
        (issuer_code, _ISSUER_CODE, "bad_issuer_code", "18 characters 0-9/A-Z"),
        (serial, _SERIAL, "bad_serial", "10 digits"),
        (version, _VERSION, "bad_version", "3 digits"),
        (check, _CHECK, "bad_check", "one character 0-9/A-Z"),
    ):
        if not pattern.fullmatch(value):
            raise InvalidIdentifier(reason, f"{reason.removeprefix('bad_')} must be {expected}")
    if int(serial) == 0:
        raise InvalidIdentifier("bad_serial", "serial numbers start at 1")
    if int(version) == 0:
        raise InvalidIdentifier("bad_version", "versions start at 1")
    expected_check = _check_of(".".join((ROOT, type_code, issuer_code, serial, version)))
    if check != expected_check:
        raise InvalidIdentifier(
            "bad_check", "the check character does not match: the identifier was mistyped"
        )
    return ParsedIdentifier(type_code, issuer_code, int(serial), int(version), check)


def with_version(identifier: str, version: int) -> str:
    """Return the identifier of another version of the same licence, with its own check."""
    parsed = parse_identifier(identifier)
    return build_identifier(parsed.type_code, parsed.issuer_code, parsed.serial, version)


def _body(type_code: str, issuer_code: str, serial: int, version: int) -> str:
    return f"{ROOT}.{type_code}.{issuer_code}.{serial:010d}.{version:03d}"


def _check_of(body: str) -> str:
    """Check character of ``ROOT.a.b.c.d``: computed without the root and without the dots."""
    return mod37_36_check_char(body[len(ROOT) + 1 :].replace(".", ""))


def _check_number(name: str, value: int, maximum: int) -> None:
    # bool is an int subclass; True as a serial is always a bug in the caller
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an int, got {type(value).__name__}")
    if not 1 <= value <= maximum:
        raise ValueError(f"{name} must be between 1 and {maximum}, got {value}")
