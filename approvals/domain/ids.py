"""Identifiers: time-ordered UUIDs and case numbers people can read aloud."""

from __future__ import annotations

import os
import uuid
from datetime import datetime

from approvals.clock import SHANGHAI

# Crockford base32: no I, L, O, U — nothing to misread over the phone.
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def uuid7(now: datetime) -> uuid.UUID:
    """A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then random bits.

    Time order keeps new rows at the right edge of every primary-key index.
    """
    millis = int(now.timestamp() * 1000) & ((1 << 48) - 1)
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis << 80) | (0x7 << 76) | ((rand >> 68) & 0xFFF) << 64
    value |= (0b10 << 62) | (rand & ((1 << 62) - 1))
    return uuid.UUID(int=value)


def case_number(now: datetime, prefix: str = "SQ") -> str:
    """办件编号: prefix, the Shanghai date, 10 random Crockford characters.

    50 random bits keep a day's numbers unique without a shared counter (a
    counter row would serialise every filing); the unique index catches the
    astronomically rare clash and the use case retries.
    """
    rand = int.from_bytes(os.urandom(7), "big") >> 6
    chars = []
    for _ in range(10):
        chars.append(_CROCKFORD[rand & 31])
        rand >>= 5
    return f"{prefix}{now.astimezone(SHANGHAI):%Y%m%d}{''.join(reversed(chars))}"
