"""Cross-checks a TOML file's types cannot express.

msgspec has already checked shapes and patterns; these checks catch the mistakes an administrator
makes when editing a catalogue by hand: a holder field renamed in one place only, a bundle
condition pointing at a field that no longer exists, a licence-type code with a typo.  Each
returns sentences naming the problem so the load error tells the administrator what to fix.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation

from forms.credit_code import is_valid_credit_code
from forms.model import Condition, FieldKind, FieldSpec, PermitType, Route

_CHOICE_KINDS = frozenset({FieldKind.SELECT, FieldKind.MULTISELECT})
_HOLDER_CODE_KINDS = frozenset({FieldKind.CREDIT_CODE, FieldKind.ID_NUMBER})
_TEXT_KINDS = frozenset({FieldKind.TEXT, FieldKind.TEXTAREA, FieldKind.ADDRESS})


def permit_type_problems(pt: PermitType) -> list[str]:
    return [
        *_duplicates("field name", (f.name for f in pt.fields)),
        *_duplicates("material slot", (m.slot for m in pt.materials)),
        *_duplicates("component code", (c.code for c in pt.components)),
        *_duplicates("supervision department", pt.supervision_departments),
        *(problem for spec in pt.fields for problem in _field_problems(spec)),
        *_role_field_problems(pt),
        *_component_problems(pt),
        *_route_problems(pt),
        *_text_problems(pt),
        *licence_type_code_problems(pt.licence_type_code, "licence_type_code"),
        *number_format_problems(pt.number_format),
    ]


def licence_type_code_problems(code: str, where: str) -> list[str]:
    """GB/T 36904: the defining agency's 18-character credit code followed by three digits."""
    if len(code) != 21 or not (code[18:].isascii() and code[18:].isdigit()):
        return [f"{where} {code!r} must be an 18-character credit code plus 3 digits"]
    if not is_valid_credit_code(code[:18]):
        return [f"{where} {code!r} does not start with a valid credit code (check character)"]
    return []


def number_format_problems(fmt: str) -> list[str]:
    # only {year} and {serial} with a plain format spec: a catalogue must not be able to reach
    # attributes or items of the values it is given
    try:
        parsed = list(string.Formatter().parse(fmt))
        names = [(name, conv) for _, name, _, conv in parsed if name is not None]
    except ValueError as exc:
        return [f"number_format {fmt!r} is not a valid format string: {exc}"]
    if sorted({name for name, _ in names}) != ["serial", "year"] or any(c for _, c in names):
        return [f"number_format {fmt!r} must use exactly the placeholders {{year}} and {{serial}}"]
    try:
        first, second = fmt.format(year=2026, serial=1), fmt.format(year=2026, serial=2)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        return [f"number_format {fmt!r} does not render: {exc}"]
    return [] if first != second else [f"number_format {fmt!r} renders serials alike"]


def _duplicates(what: str, names: Iterable[str]) -> Iterator[str]:
    for name, count in Counter(names).items():
        if count > 1:
            yield f"{what} {name!r} appears {count} times"


def _field_problems(spec: FieldSpec) -> Iterator[str]:
    where = f"field {spec.name!r}"
    yield from _duplicates(f"{where}: option value", (o.value for o in spec.options))
    if spec.kind in _CHOICE_KINDS and not spec.options:
        yield f"{where} is a {spec.kind} without options"
    if spec.kind not in _CHOICE_KINDS and spec.options:
        yield f"{where} has options but is a {spec.kind}"
    if spec.max_items is not None and (
        spec.kind is not FieldKind.MULTISELECT or spec.max_items > len(spec.options)
    ):
        yield f"{where}: max_items belongs to a multiselect and cannot exceed its options"
    if spec.min_length > spec.max_length:
        yield f"{where}: min_length is greater than max_length"
    if spec.date_rule != "any" and spec.kind is not FieldKind.DATE:
        yield f"{where}: date_rule applies to dates only"
    if spec.pattern:
        if spec.kind not in _TEXT_KINDS:
            yield f"{where}: pattern applies to text fields only"
        try:
            re.compile(spec.pattern)
        except re.error as exc:
            yield f"{where}: pattern does not compile: {exc}"
    if spec.required_when is not None and spec.required:
        yield f"{where}: required_when only makes sense on a field that is otherwise optional"
    yield from _bound_problems(spec, where)


def _bound_problems(spec: FieldSpec, where: str) -> Iterator[str]:
    low, high = spec.min_value, spec.max_value
    if low is None and high is None:
        return
    if spec.kind is FieldKind.INTEGER:
        if not all(isinstance(b, int) for b in (low, high) if b is not None):
            yield f"{where}: integer bounds must be TOML integers"
            return
    elif spec.kind is not FieldKind.DECIMAL:
        yield f"{where}: min_value/max_value apply to integer and decimal fields only"
        return
    parsed_low, parsed_high = _decimal(low), _decimal(high)
    if (low is not None and parsed_low is None) or (high is not None and parsed_high is None):
        yield f'{where}: decimal bounds must be integers or decimal strings like "0.01"'
    elif parsed_low is not None and parsed_high is not None and parsed_low > parsed_high:
        yield f"{where}: min_value is greater than max_value"


def _decimal(value: int | str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _role_field_problems(pt: PermitType) -> Iterator[str]:
    fields = {f.name: f for f in pt.fields}
    roles = {
        "holder_field": pt.holder_field,
        "holder_code_field": pt.holder_code_field,
        "address_field": pt.address_field,
        "items_field": pt.items_field,
    }
    for role, name in roles.items():
        spec = fields.get(name)
        if spec is None:
            yield f"{role} names {name!r}, which is not a field"
        elif not spec.required:
            yield f"{role} {name!r} must be required: the certificate cannot be issued without it"
    code_spec = fields.get(pt.holder_code_field)
    if code_spec is not None and code_spec.kind not in _HOLDER_CODE_KINDS:
        yield "holder_code_field must be a credit_code or id_number field"


def _component_problems(pt: PermitType) -> Iterator[str]:
    fields = {f.name: f for f in pt.fields}
    codes = {c.code for c in pt.components}
    for spec in pt.fields:
        if spec.required_when is not None:
            yield from _condition_problems(spec.required_when, fields, f"field {spec.name!r}")
    for component in pt.components:
        where = f"component {component.code!r}"
        yield from licence_type_code_problems(component.licence_type_code, where)
        if component.when is not None:
            yield from _condition_problems(component.when, fields, where)
    for material in pt.materials:
        for code in material.components:
            if code not in codes:
                yield f"material {material.slot!r} names unknown component {code!r}"
    for reviewer in pt.reviewers:
        if reviewer.component is not None and reviewer.component not in codes:
            yield f"reviewer {reviewer.department!r} names unknown component {reviewer.component!r}"
    if len({(r.department, r.component) for r in pt.reviewers}) != len(pt.reviewers):
        yield "a department appears twice among the reviewers for the same component"
    reviewing = {r.department for r in pt.reviewers}
    for item in pt.checklist:
        if item.component is not None and item.component not in codes:
            yield f"checklist item {item.code!r} names unknown component {item.component!r}"
        if item.department not in reviewing:
            yield f"checklist item {item.code!r}: {item.department!r} is not among the reviewers"
    yield from _duplicates("checklist item", (i.code for i in pt.checklist))


def _condition_problems(cond: Condition, fields: dict[str, FieldSpec], where: str) -> Iterator[str]:
    spec = fields.get(cond.field)
    if spec is None:
        yield f"{where}: condition names {cond.field!r}, which is not a field"
        return
    if (cond.equals is None) == (cond.contains is None):
        yield f"{where}: a condition needs exactly one of equals / contains"
        return
    options = {o.value for o in spec.options}
    if cond.contains is not None:
        if spec.kind is not FieldKind.MULTISELECT or cond.contains not in options:
            yield f"{where}: contains needs a multiselect field and one of its option values"
    elif isinstance(cond.equals, bool):
        if spec.kind is not FieldKind.BOOLEAN:
            yield f"{where}: equals true/false needs a boolean field"
    elif spec.kind is not FieldKind.SELECT or cond.equals not in options:
        yield f"{where}: equals needs a select field and one of its option values"


def _route_problems(pt: PermitType) -> Iterator[str]:
    if pt.route is Route.COMMITMENT:
        if not pt.commitment_text:
            yield "a commitment route needs the commitment letter text"
        if pt.post_check_days is None:
            yield "a commitment route needs post_check_days: the check moves after issuance"
    elif pt.route is Route.REVIEW and pt.statutory_limit is None:
        # 行政许可法 art. 42: a decision within 20 working days of acceptance
        yield "a review route needs statutory_limit"
    if pt.commitment_text and pt.commitment_bar_days is None:
        yield "a type with a commitment letter needs commitment_bar_days"
    if pt.reviewers and pt.route is Route.COMMITMENT:
        yield "a commitment route is decided automatically and cannot name reviewers"


def _text_problems(pt: PermitType) -> Iterator[str]:
    # the applicant's client hashes the commitment text it was shown (NFC, UTF-8); a CR or a
    # non-NFC sequence in the catalogue would make honest clients disagree with the server
    for name, text in (("notice", pt.notice), ("commitment_text", pt.commitment_text)):
        if unicodedata.normalize("NFC", text) != text:
            yield f"{name} is not in Unicode NFC form"
        if any(unicodedata.category(ch) == "Cc" and ch != "\n" for ch in text):
            yield f"{name} contains control characters other than line feeds"
