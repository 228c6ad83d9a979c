"""Resident identity card numbers (公民身份号码), GB 11643-1999.

Eighteen characters: a six-digit address code (GB/T 2260), the birth date as YYYYMMDD, a
three-digit sequence (odd for men, even for women) and a check character computed with
ISO 7064 MOD 11-2: weights 2**(17-i) mod 11, and "10X98765432"[sum % 11].  The check character
"X" stands for 10 and must be upper case; we upper-case input before checking because people type
it both ways.

The birth date is checked too: the check character alone lets one random typo in eleven through,
and a birth date that does not exist (or lies in the future) is a typo a machine can catch.
"""

from __future__ import annotations

import datetime
from typing import Final, Literal

_WEIGHTS: Final = tuple(pow(2, 17 - i, 11) for i in range(17))
_CHECK: Final = "10X98765432"
_DIGITS: Final = frozenset("0123456789")

IdNumberProblem = Literal["length", "charset", "birth_date", "check_char"]


def id_number_check_char(first17: str) -> str:
    """The 18th character for the first 17 digits; raises ValueError on anything else."""
    if len(first17) != 17 or not _DIGITS.issuperset(first17):
        raise ValueError("an identity number body is exactly 17 decimal digits")
    total = sum(int(char) * weight for char, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def make_id_number(first17: str) -> str:
    return first17 + id_number_check_char(first17)


def id_number_problem(code: str, *, today: datetime.date | None = None) -> IdNumberProblem | None:
    """What is wrong with `code` (already upper-cased), or None when it is valid.

    `today`, when given, also refuses birth dates after it; callers pass the injected clock's date.
    """
    if len(code) != 18:
        return "length"
    if not _DIGITS.issuperset(code[:17]) or code[17] not in _CHECK:
        return "charset"
    birth = _birth_date(code[6:14])
    if birth is None or (today is not None and birth > today):
        return "birth_date"
    if id_number_check_char(code[:17]) != code[17]:
        return "check_char"
    return None


def is_valid_id_number(code: str) -> bool:
    return id_number_problem(code) is None


def _birth_date(yyyymmdd: str) -> datetime.date | None:
    try:
        born = datetime.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        return None
    # first-generation cards began in 1984; nobody alive holding one was born before 1880
    return born if born.year >= 1880 else None
