"""Unified social credit codes (统一社会信用代码), GB 32100-2015.

A code has 18 characters::

    9 1 640100 MA76XXXXX C
    | | |      |         `- 18: check character
    | | |      `----------- 9-17: organisation code (GB 11714 body)
    | | `------------------ 3-8: administrative division (GB/T 2260), digits only
    | `-------------------- 2: organisation category
    `---------------------- 1: registration authority (1 机构编制, 5 民政, 9 市场监管, Y 其他 …)

The alphabet is the 31 characters below: digits and upper-case letters without I, O, S, V and Z,
which are too easily misread as 1, 0, 5, U and 2.  The check character is a weighted sum modulo 31
with weights 3**i mod 31; because 31 is prime and no weight is 0 mod 31, every single-character
substitution changes the check character.

We deliberately do not validate the authority/category pairs of the standard's annex: authorities
have added categories since 2015, and a form that refuses a real business's real code is worse than
one that lets a typo in position 2 through to the reviewer.
"""

from __future__ import annotations

from typing import Final, Literal

CHARSET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE: Final = {char: value for value, char in enumerate(CHARSET)}
WEIGHTS: Final = tuple(pow(3, i, 31) for i in range(17))

CreditCodeProblem = Literal["length", "charset", "check_char"]


def credit_code_check_char(first17: str) -> str:
    """The 18th character for the first 17; raises ValueError if they are not valid body chars."""
    if len(first17) != 17:
        raise ValueError("a credit code body has exactly 17 characters")
    if not _body_charset_ok(first17):
        raise ValueError("a credit code uses digits and letters other than I, O, S, V, Z")
    total = sum(_VALUE[char] * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def make_credit_code(first17: str) -> str:
    """The full code: handy for seed data and test factories."""
    return first17 + credit_code_check_char(first17)


def credit_code_problem(code: str) -> CreditCodeProblem | None:
    """What is wrong with `code` (already upper-cased), or None when it is a valid code."""
    if len(code) != 18:
        return "length"
    if not _body_charset_ok(code[:17]) or code[17] not in _VALUE:
        return "charset"
    if credit_code_check_char(code[:17]) != code[17]:
        return "check_char"
    return None


def is_valid_credit_code(code: str) -> bool:
    return credit_code_problem(code) is None


def _body_charset_ok(body: str) -> bool:
    # positions 3-8 are a GB/T 2260 division code, which is always six decimal digits
    return all(char in _VALUE for char in body) and body[2:8].isascii() and body[2:8].isdigit()
