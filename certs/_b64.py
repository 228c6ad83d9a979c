"""Unpadded base64url (RFC 7515 §2), strict on input."""

from __future__ import annotations

import base64
import re
from typing import Final

_ALPHABET_RE: Final = re.compile(r"[A-Za-z0-9_-]*")
# The last character of a 2- or 3-character tail carries 4 or 2 unused bits, which must be zero.
_LAST_OF_2: Final = frozenset("AQgw")
_LAST_OF_3: Final = frozenset("AEIMQUYcgkosw048")


def b64encode(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def b64decode(text: str) -> bytes | None:
    """Decode unpadded base64url; None unless ``text`` is the one canonical encoding of its bytes.

    Refusing padding and non-zero unused bits gives every byte string exactly one textual form,
    so nobody can produce a different-looking token that still verifies.
    """
    tail = len(text) % 4
    if tail == 1 or not _ALPHABET_RE.fullmatch(text):
        return None
    if (tail == 2 and text[-1] not in _LAST_OF_2) or (tail == 3 and text[-1] not in _LAST_OF_3):
        return None
    return base64.urlsafe_b64decode(text + "=" * (-tail % 4))
