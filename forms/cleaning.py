"""Turning one submitted value into its clean form, or saying precisely why it cannot be.

Values arrive from JSON (str, int, float, bool, list, None) or from an HTML form (all strings, a
multiselect with one box ticked arriving as a bare string), so numbers and booleans are accepted as
strings too.  Everything else is a `wrong_type`.

Formats with a national standard (credit codes, ID numbers, phones, dates, numbers) are folded
with NFKC first: Chinese input methods often produce full-width digits and letters ("９１６４…"),
which are the same code to a person.  Free text is only NFC-normalised, which keeps what the
applicant wrote.
"""

from __future__ import annotations

import datetime
import math
import re
import unicodedata
from decimal import Context, Decimal, InvalidOperation
from typing import Final

from forms.credit_code import credit_code_problem
from forms.id_number import id_number_problem
from forms.messages import EXPECTED
from forms.model import FieldKind, FieldSpec

# beyond JSON's safe-integer range a number would be silently rounded by browsers and overflow
# BIGINT columns; no form asks for such a value
_SAFE_INTEGER: Final = 2**53 - 1
_MAX_DECIMAL: Final = Decimal(10) ** 15
# integers beyond every bound are clamped here before any Decimal arithmetic on them
_HUGE: Final = 10**18
# enough precision that normalising a 32-digit input never rounds it
_EXACT: Final = Context(prec=64)
_INTEGER_RE: Final = re.compile(r"[+-]?[0-9]{1,16}")
_DECIMAL_RE: Final = re.compile(r"[+-]?[0-9]{1,16}(?:\.[0-9]{1,16})?")
_DATE_RE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MOBILE_RE: Final = re.compile(r"(?:\+?86-?)?1[3-9][0-9]{9}")
# area code 0 + 2-3 digits, local number 7-8 digits not starting with 0 or 1, optional extension
_LANDLINE_RE: Final = re.compile(r"0[0-9]{2,3}-?[2-9][0-9]{6,7}(?:-[0-9]{1,6})?")
_EMAIL_RE: Final = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
_TRUE: Final = frozenset({"true", "1", "on", "yes", "是"})
_FALSE: Final = frozenset({"false", "0", "off", "no", "否"})
# bidirectional embeddings, overrides and isolates can make a name on a certificate read
# differently from the bytes stored (the "Trojan Source" trick)
_BIDI_CONTROLS: Final = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_REFUSED_CATEGORIES: Final = frozenset({"Cc", "Cs", "Zl", "Zp"})
_FREE_TEXT: Final = frozenset({FieldKind.TEXT, FieldKind.TEXTAREA, FieldKind.ADDRESS})


class Invalid(Exception):
    """One problem with one value; `key` selects the message (see forms.messages)."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def clean_value(spec: FieldSpec, raw: object, today: datetime.date) -> object | None:
    """The cleaned value, None when the field was left blank, or raises Invalid."""
    if raw is None:
        return None
    kind = spec.kind
    if kind is FieldKind.BOOLEAN:
        return _boolean(raw)
    if kind is FieldKind.MULTISELECT:
        return _multiselect(spec, raw)
    if kind is FieldKind.INTEGER:
        return _integer(spec, raw)
    if kind is FieldKind.DECIMAL:
        return _decimal(spec, raw)
    text = _text(spec, raw)
    if not text:
        return None
    if kind in _FREE_TEXT:
        if spec.pattern and not re.fullmatch(spec.pattern, text):
            raise Invalid("bad_format", help=spec.help)
        return text
    return _FORMATTED[kind](spec, text, today)


def _text(spec: FieldSpec, raw: object) -> str:
    if not isinstance(raw, str):
        raise Invalid("wrong_type", **_expected("text"))
    # a length far beyond the limit cannot shrink back under it; refuse before normalising
    if len(raw) > 8 * spec.max_length + 64:
        raise Invalid("too_long", max=spec.max_length, length=len(raw))
    # surrounding white space is dropped anyway; a pasted value often ends with a line break
    raw = raw.strip(" \t\r\n")
    allowed = "\n\t" if spec.kind is FieldKind.TEXTAREA else ""
    if spec.kind is FieldKind.TEXTAREA:
        raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    if any(_is_refused(char, allowed) for char in raw):
        raise Invalid("control_chars")
    plain = spec.kind in _FREE_TEXT or spec.kind is FieldKind.SELECT
    text = unicodedata.normalize("NFC" if plain else "NFKC", raw).strip()
    if spec.kind in _FREE_TEXT or spec.kind is FieldKind.EMAIL:
        if len(text) > spec.max_length:
            raise Invalid("too_long", max=spec.max_length, length=len(text))
        if text and len(text) < spec.min_length:
            raise Invalid("too_short", min=spec.min_length)
    return text


def _is_refused(char: str, allowed: str) -> bool:
    if char in allowed:
        return False
    return char in _BIDI_CONTROLS or unicodedata.category(char) in _REFUSED_CATEGORIES


def _credit_code(spec: FieldSpec, text: str, today: datetime.date) -> str:
    code = text.upper()
    problem = credit_code_problem(code)
    if problem is not None:
        raise Invalid(f"bad_credit_code.{problem}", length=len(code))
    return code


def _id_number(spec: FieldSpec, text: str, today: datetime.date) -> str:
    code = text.upper()
    problem = id_number_problem(code, today=today)
    if problem is not None:
        raise Invalid(f"bad_id_number.{problem}", length=len(code))
    return code


def _phone(spec: FieldSpec, text: str, today: datetime.date) -> str:
    # people group digits with spaces ("139 5100 1234"); the number is the same without them
    phone = re.sub(r"\s+", "", text)
    if not (_MOBILE_RE.fullmatch(phone) or _LANDLINE_RE.fullmatch(phone)):
        raise Invalid("bad_phone")
    return phone


def _email(spec: FieldSpec, text: str, today: datetime.date) -> str:
    if len(text) > 254 or not _EMAIL_RE.fullmatch(text):
        raise Invalid("bad_email")
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def _date(spec: FieldSpec, text: str, today: datetime.date) -> str:
    if not _DATE_RE.fullmatch(text):
        raise Invalid("bad_date")
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        raise Invalid("bad_date") from None
    if spec.date_rule == "not_future" and day > today:
        raise Invalid("future_date", today=today.isoformat())
    if spec.date_rule == "not_past" and day < today:
        raise Invalid("past_date", today=today.isoformat())
    return text


def _select(spec: FieldSpec, text: str, today: datetime.date) -> str:
    if text not in {option.value for option in spec.options}:
        raise Invalid("not_an_option")
    return text


_FORMATTED: Final = {
    FieldKind.CREDIT_CODE: _credit_code,
    FieldKind.ID_NUMBER: _id_number,
    FieldKind.PHONE: _phone,
    FieldKind.EMAIL: _email,
    FieldKind.DATE: _date,
    FieldKind.SELECT: _select,
}


def _boolean(raw: object) -> bool | None:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        word = unicodedata.normalize("NFKC", raw).strip().lower()
        if not word:
            return None
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
    raise Invalid("wrong_type", **_expected("boolean"))


def _multiselect(spec: FieldSpec, raw: object) -> list[str] | None:
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise Invalid("wrong_type", **_expected("options"))
    chosen = {item.strip() for item in items} - {""}
    if not chosen:
        return None
    values = [option.value for option in spec.options]
    if not chosen.issubset(values):
        raise Invalid("not_an_option")
    if spec.max_items is not None and len(chosen) > spec.max_items:
        raise Invalid("too_many_items", max=spec.max_items, count=len(chosen))
    # definition order, so equal answers store (and hash) identically however they were ticked
    return [value for value in values if value in chosen]


def _integer(spec: FieldSpec, raw: object) -> int | None:
    number = _number(raw, "integer", _INTEGER_RE)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise Invalid("not_a_number.integer")
    _check_range(spec, number, Decimal(_SAFE_INTEGER))
    return int(number)


def _decimal(spec: FieldSpec, raw: object) -> str | None:
    number = _number(raw, "decimal", _DECIMAL_RE)
    if number is None:
        return None
    number = number.normalize(_EXACT)
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > spec.decimal_places:
        raise Invalid("too_many_decimals", places=spec.decimal_places)
    _check_range(spec, number, _MAX_DECIMAL)
    return "0" if number.is_zero() else format(number, "f")


def _number(raw: object, kind: str, pattern: re.Pattern[str]) -> Decimal | None:
    """A finite Decimal from an int, a float or a numeric string; None for a blank string."""
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise Invalid("wrong_type", **_expected(kind))
    if isinstance(raw, int):
        return Decimal(max(-_HUGE, min(raw, _HUGE)))
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise Invalid(f"not_a_number.{kind}")
        return Decimal(repr(raw))
    text = unicodedata.normalize("NFKC", raw).strip() if len(raw) <= 64 else raw
    if not text:
        return None
    if not pattern.fullmatch(text):
        raise Invalid(f"not_a_number.{kind}")
    try:
        return Decimal(text)
    except InvalidOperation:
        raise Invalid(f"not_a_number.{kind}") from None


def _check_range(spec: FieldSpec, number: Decimal, cap: Decimal) -> None:
    low = Decimal(spec.min_value) if spec.min_value is not None else -cap
    high = Decimal(spec.max_value) if spec.max_value is not None else cap
    if low <= number <= high:
        return
    if spec.min_value is not None and spec.max_value is not None:
        raise Invalid("out_of_range.between", min=spec.min_value, max=spec.max_value)
    if number < low:
        raise Invalid("out_of_range.min", min=_plain(low))
    raise Invalid("out_of_range.max", max=_plain(high))


def _plain(number: Decimal) -> str:
    return format(number, "f")


def _expected(kind: str) -> dict[str, object]:
    zh, en = EXPECTED[kind]
    return {"expected_zh": zh, "expected_en": en}
