"""The application form as the catalogue defines it: one view model per field and per
material slot, and the way back from a posted HTML form to the values the filing service
validates.

Nothing here decides whether a value is valid: the browser gets HTML constraints for quick
hints (``static/app.js``), the service's ``validate_form`` has the last word, and its
problems are shown next to the fields they name.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from approvals.domain.errors import Problem
from forms.catalogue import FieldKind, FieldSpec, MaterialSpec, PermitType, Route

# HTML constraints for formats with a national standard; the server checks the rest
# (check characters, dates of birth).
CREDIT_PATTERN = "[0-9A-Za-z]{18}"
CREDIT_MSG = "统一社会信用代码应为18位数字或英文字母，请核对营业执照。"
ID_PATTERN = "[0-9]{17}[0-9Xx]"
ID_MSG = "身份证号码应为18位：前17位为数字，最后一位为数字或X。"
PHONE_PATTERN = "(\\+?86-?)?1[3-9][0-9]{9}|0[0-9]{2,3}-?[2-9][0-9]{6,7}(-[0-9]{1,6})?"
PHONE_MSG = "请填写11位手机号码，或带区号的固定电话（如0951-1234567）。"

TYPE_NAMES_ZH = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG",
    "image/png": "PNG",
}
KEPT_PREFIX = "kept__"
FILE_PREFIX = "file__"


@dataclass
class Choice:
    value: str
    label: str
    checked: bool


@dataclass
class FieldView:
    name: str
    label: str
    kind: str
    required: bool
    required_hint: str
    help: str
    control: str  # input | textarea | select | radios | checks
    attrs: dict[str, str]
    value: str = ""
    choices: list[Choice] = field(default_factory=list)
    error: str = ""

    @property
    def anchor(self) -> str:
        return f"f-{self.name}"


@dataclass
class SectionView:
    title: str
    fields: list[FieldView]


@dataclass
class KeptFile:
    id: str
    filename: str


@dataclass
class MaterialView:
    slot: str
    name: str
    required: bool
    required_hint: str
    help: str
    accept: str
    types_zh: str
    max_mb: int
    kept: list[KeptFile] = field(default_factory=list)
    error: str = ""

    @property
    def anchor(self) -> str:
        return f"m-{self.slot}"


def _display(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _selected(value: object) -> set[str]:
    if isinstance(value, list):
        return {str(v) for v in value}
    if value in (None, ""):
        return set()
    return {str(value)}


def _condition_hint(pt: PermitType, spec: FieldSpec) -> str:
    cond = spec.required_when
    if cond is None:
        return ""
    other = next((f for f in pt.fields if f.name == cond.field), None)
    if other is None:
        return ""
    if cond.contains is not None:
        label = next((o.label for o in other.options if o.value == cond.contains), cond.contains)
        return f"「{other.label}」勾选「{label}」时必填"
    answer = "是" if cond.equals is True else ("否" if cond.equals is False else str(cond.equals))
    if other.options:
        answer = next((o.label for o in other.options if o.value == cond.equals), answer)
    return f"「{other.label}」选择“{answer}”时必填"


def _attrs(spec: FieldSpec, today: date) -> dict[str, str]:
    attrs: dict[str, str] = {}
    kind = spec.kind
    if spec.required and kind is not FieldKind.MULTISELECT:
        attrs["required"] = ""
    if kind in (FieldKind.TEXT, FieldKind.ADDRESS, FieldKind.TEXTAREA, FieldKind.EMAIL):
        attrs["maxlength"] = str(spec.max_length)
        if spec.min_length:
            attrs["minlength"] = str(spec.min_length)
        if spec.pattern and not spec.pattern.startswith("(?"):
            attrs["pattern"] = spec.pattern
            attrs["data-msg-pattern"] = f"「{spec.label}」的格式不正确。{spec.help}"
    if kind is FieldKind.CREDIT_CODE:
        attrs.update({"pattern": CREDIT_PATTERN, "data-msg-pattern": CREDIT_MSG, "maxlength": "18"})
        attrs["autocapitalize"] = "characters"
    elif kind is FieldKind.ID_NUMBER:
        attrs.update({"pattern": ID_PATTERN, "data-msg-pattern": ID_MSG, "maxlength": "18"})
    elif kind is FieldKind.PHONE:
        attrs.update({"type": "tel", "pattern": PHONE_PATTERN, "data-msg-pattern": PHONE_MSG})
        attrs.update({"maxlength": "24", "autocomplete": "tel"})
    elif kind is FieldKind.EMAIL:
        attrs.update({"type": "email", "autocomplete": "email"})
    elif kind is FieldKind.DATE:
        attrs["type"] = "date"
        if spec.date_rule == "not_future":
            attrs["max"] = today.isoformat()
        elif spec.date_rule == "not_past":
            attrs["min"] = today.isoformat()
    elif kind in (FieldKind.INTEGER, FieldKind.DECIMAL):
        attrs.update({"type": "number", "inputmode": "numeric"})
        attrs["step"] = "1" if kind is FieldKind.INTEGER else str(10**-spec.decimal_places)
        if kind is FieldKind.DECIMAL:
            attrs["inputmode"] = "decimal"
        if spec.min_value is not None:
            attrs["min"] = str(spec.min_value)
        if spec.max_value is not None:
            attrs["max"] = str(spec.max_value)
    return attrs


def _control(kind: FieldKind) -> str:
    return {
        FieldKind.TEXTAREA: "textarea",
        FieldKind.SELECT: "select",
        FieldKind.BOOLEAN: "radios",
        FieldKind.MULTISELECT: "checks",
    }.get(kind, "input")


def field_view(pt: PermitType, spec: FieldSpec, value: object, today: date) -> FieldView:
    view = FieldView(
        name=spec.name,
        label=spec.label,
        kind=spec.kind.value,
        required=spec.required,
        required_hint=_condition_hint(pt, spec),
        help=spec.help,
        control=_control(spec.kind),
        attrs=_attrs(spec, today),
    )
    if spec.kind is FieldKind.BOOLEAN:
        chosen = _display(value)
        view.choices = [
            Choice("true", "是", chosen == "true"),
            Choice("false", "否", chosen == "false"),
        ]
    elif spec.kind in (FieldKind.SELECT, FieldKind.MULTISELECT):
        chosen_set = _selected(value)
        view.choices = [Choice(o.value, o.label, o.value in chosen_set) for o in spec.options]
    else:
        view.value = _display(value)
    return view


def sections(
    pt: PermitType,
    values: Mapping[str, object],
    errors: Mapping[str, str],
    today: date,
    only: Iterable[str] | None = None,
) -> list[SectionView]:
    """The form's fields grouped by section, in definition order (``only``: just these)."""
    wanted = set(only) if only is not None else None
    out: list[SectionView] = []
    for spec in pt.fields:
        if wanted is not None and spec.name not in wanted:
            continue
        view = field_view(pt, spec, values.get(spec.name), today)
        view.error = errors.get(f"form.{spec.name}", "")
        title = spec.section or "申请信息"
        if not out or out[-1].title != title:
            out.append(SectionView(title, []))
        out[-1].fields.append(view)
    return out


def _always_applies(pt: PermitType, m: MaterialSpec) -> bool:
    if not m.components:
        return True
    always = {c.code for c in pt.components if c.when is None}
    return bool(always.intersection(m.components))


def material_views(
    pt: PermitType,
    kept: Mapping[str, list[KeptFile]],
    errors: Mapping[str, str],
    only: Iterable[str] | None = None,
) -> list[MaterialView]:
    names = {c.code: c.name for c in pt.components}
    wanted = set(only) if only is not None else None
    out = []
    for m in pt.materials:
        if wanted is not None and m.slot not in wanted:
            continue
        always = _always_applies(pt, m)
        hint = ""
        if m.required and not always:
            parts = "、".join(f"「{names.get(c, c)}」" for c in m.components)
            hint = f"办理{parts}时必交"
        out.append(
            MaterialView(
                slot=m.slot,
                name=m.name,
                required=m.required and always,
                required_hint=hint,
                help=m.help,
                accept=",".join([*m.content_types, ".pdf", ".jpg", ".jpeg", ".png"]),
                types_zh="、".join(TYPE_NAMES_ZH.get(t, t) for t in m.content_types),
                max_mb=m.max_bytes // (1024 * 1024),
                kept=list(kept.get(m.slot, [])),
                error=errors.get(f"materials.{m.slot}", ""),
            )
        )
    return out


def form_values(pt: PermitType, posted: Mapping[str, Any]) -> dict[str, object]:
    """The posted HTML form as the filing service reads it: blanks left out, repeated
    names (ticked boxes) as lists, everything else as the text typed."""
    values: dict[str, object] = {}
    for spec in pt.fields:
        raw = posted.get(spec.name)
        if spec.kind is FieldKind.MULTISELECT:
            ticked = [v for v in (raw if isinstance(raw, list) else [raw]) if isinstance(v, str)]
            ticked = [v for v in ticked if v]
            if ticked:
                values[spec.name] = ticked
            continue
        if isinstance(raw, list):  # a repeated single-valued field: keep what the form says
            raw = raw[-1]
        if isinstance(raw, str) and raw != "":
            values[spec.name] = raw
    return values


def kept_ids(posted: Mapping[str, Any], slots: Iterable[str]) -> dict[str, list[uuid.UUID]]:
    """Materials uploaded on an earlier try of this form (hidden ids), by slot."""
    out: dict[str, list[uuid.UUID]] = {}
    for slot in slots:
        raw = posted.get(KEPT_PREFIX + slot)
        for value in raw if isinstance(raw, list) else [raw]:
            if not isinstance(value, str) or not value:
                continue
            try:
                out.setdefault(slot, []).append(uuid.UUID(value))
            except ValueError:
                continue  # not one of ours: the slot reads as not uploaded
    return out


def errors_by_target(problems: Iterable[Problem]) -> tuple[dict[str, str], list[str]]:
    """Problems by the field they name ("form.x", "materials.y", "commitment.z"), and the
    ones that name no field. Several problems on one field are joined."""
    by: dict[str, str] = {}
    general: list[str] = []
    for p in problems:
        if p.field:
            by[p.field] = f"{by[p.field]} {p.zh}" if p.field in by else p.zh
        else:
            general.append(p.zh)
    return by, general


COMMITMENT_ANCHORS = {
    "commitment.accepted": "commitment-accepted",
    "commitment.text_sha256": "commitment-accepted",
    "commitment.signer_name": "commitment-signer",
}


def anchor_of(target: str) -> str:
    kind, _, name = target.partition(".")
    if kind == "form":
        return f"f-{name}"
    if kind == "materials":
        return f"m-{name}"
    return COMMITMENT_ANCHORS.get(target, "application-form")


def summary_items(problems: list[Problem]) -> list[dict[str, str]]:
    return [{"href": "#" + anchor_of(p.field or ""), "text": p.zh} for p in problems]


def is_commitment_route(pt: PermitType) -> bool:
    return pt.route is Route.COMMITMENT
