"""Form validation: every problem at once, each with a sentence that says what to fix.

An applicant who corrects one field only to be told about the next is the paper-era habit the
reform abolishes (一次性告知), so `validate_form` never stops at the first problem.  It reports at
most one problem per field: the first that blocks the value (a wrong type hides a length problem).

It never raises on JSON-like input; the web layer can hand it whatever the request body held.
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from forms.cleaning import Invalid, clean_value
from forms.messages import render
from forms.model import FieldSpec, PermitType

__all__ = ["FieldProblem", "validate_form"]


@dataclass(frozen=True)
class FieldProblem:
    """One problem with one field: `field` is its name ("" for the form as a whole), `code` is
    machine-readable ("required", "bad_credit_code", …), `zh`/`en` are sentences for people."""

    field: str
    code: str
    zh: str
    en: str


def validate_form(
    pt: PermitType, values: Mapping[str, object], *, today: datetime.date
) -> tuple[dict[str, object], list[FieldProblem]]:
    """The cleaned values and every problem found.

    Cleaned values: strings NFC-normalised and stripped (codes upper-cased, full-width digits
    folded), integers as int, booleans as bool, multiselects as option values in definition order,
    decimals as normalised strings ("120.5"), dates as "YYYY-MM-DD".  Blank optional fields are
    absent.  Use the cleaned values only when the problem list is empty.
    """
    if not isinstance(values, Mapping):
        return {}, [_problem(None, "", "not_a_form")]
    specs = {spec.name: spec for spec in pt.fields}
    problems = [
        _problem(None, _printable(key), "unknown_field")
        for key in values
        if not isinstance(key, str) or key not in specs
    ]
    cleaned: dict[str, object] = {}
    blank: list[FieldSpec] = []
    by_field: dict[str, FieldProblem] = {}
    for spec in pt.fields:
        try:
            value = clean_value(spec, values.get(spec.name), today)
        except Invalid as exc:
            by_field[spec.name] = _problem(spec, spec.name, exc.key, **exc.params)
            continue
        if value is None:
            blank.append(spec)
        else:
            cleaned[spec.name] = value
    # a second pass, because "required when" looks at the other fields' cleaned answers
    for spec in blank:
        if spec.required or (spec.required_when is not None and spec.required_when.holds(cleaned)):
            by_field[spec.name] = _problem(spec, spec.name, "required")
    problems += [by_field[spec.name] for spec in pt.fields if spec.name in by_field]
    return cleaned, problems


def _problem(spec: FieldSpec | None, field: str, key: str, **params: object) -> FieldProblem:
    label = spec.label if spec is not None else field
    zh, en = render(key, label=label, name=field, **params)
    return FieldProblem(field=field, code=key.partition(".")[0], zh=zh, en=en)


def _printable(key: object) -> str:
    """An unknown key, safe to echo back: short, and without control or format characters."""
    text = key if isinstance(key, str) else repr(key)
    return "".join(ch if unicodedata.category(ch)[0] not in "CZ" else "?" for ch in text[:40])
