"""一键导航: from "what business are you opening?" and a few yes/no questions to the permit
type (or industry bundle) to apply for, its materials and time limits.

Everything offered comes from the published catalogue: the public-place categories are the
hygiene permit's own item options, the medical questions are the bundle's own component
questions (its boolean fields that decide which components apply), so a new category or
component in a TOML file shows up here without code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from approvals.services.catalogue import PublishedType
from forms.catalogue import (
    FieldKind,
    MaterialSpec,
    PermitType,
    Route,
    TimeLimit,
    select_components,
    select_materials,
)

YES, NO = "yes", "no"


@dataclass(frozen=True)
class Industry:
    value: str
    label: str
    group: str
    permit_code: str
    presets: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Question:
    name: str  # the bundle's boolean field, or one of ours
    text: str
    help: str
    permit_code: str


@dataclass
class GuideResult:
    spec: PermitType
    route_zh: str
    route_note: str
    instant: bool
    summary: str
    promised: str
    statutory: str
    components: list[str]
    materials: list[MaterialSpec]
    apply_url: str
    notes: list[str] = field(default_factory=list)


def limit_zh(limit: TimeLimit | None) -> str:
    if limit is None:
        return "当场办结，无法定审查期限"
    unit = "分钟" if limit.unit == "minutes" else "个工作日"
    return f"{limit.value} {unit}"


def _items_field(spec: PermitType) -> tuple[str, list[tuple[str, str]]]:
    items = next((f for f in spec.fields if f.name == spec.items_field), None)
    if items is None or items.kind is not FieldKind.MULTISELECT:
        return "", []
    return items.name, [(o.value, o.label) for o in items.options]


def _component_questions(spec: PermitType) -> list[Question]:
    """The bundle's own yes/no questions: boolean fields a component depends on."""
    booleans = {f.name: f for f in spec.fields if f.kind is FieldKind.BOOLEAN}
    out = []
    for comp in spec.components:
        if comp.when is not None and comp.when.equals is True and comp.when.field in booleans:
            f = booleans[comp.when.field]
            out.append(Question(f.name, f"{f.label}？", f.help, spec.code))
    return out


def industries(types: Sequence[PublishedType]) -> list[Industry]:
    out: list[Industry] = []
    for p in types:
        spec = p.spec
        if spec.route is Route.COMMITMENT:
            name, options = _items_field(spec)
            for value, label in options:
                out.append(
                    Industry(f"{spec.code}.{value}", label, "公共场所", spec.code, ((name, value),))
                )
    for p in types:
        spec = p.spec
        if spec.route is Route.COMMITMENT:
            continue
        out.append(Industry(spec.code, spec.name, "医疗卫生", spec.code))
        for q in _component_questions(spec):
            comp = next(c for c in spec.components if c.when and c.when.field == q.name)
            presets = ((q.name, "true"),)
            out.append(Industry(f"{spec.code}.{q.name}", comp.name, "医疗卫生", spec.code, presets))
    return out


def questions(types: Sequence[PublishedType]) -> list[Question]:
    out: list[Question] = []
    for p in types:
        spec = p.spec
        if spec.components:
            out.append(
                Question(
                    f"open_{spec.code}",
                    "是否开办医疗机构（医院、门诊部、诊所等）？",
                    f"选“是”的，办理「{spec.name}」，一次申请、一套材料。",
                    spec.code,
                )
            )
            out.extend(_component_questions(spec))
    for p in types:
        spec = p.spec
        if spec.route is Route.REVIEW and not spec.components:
            out.append(Question(f"open_{spec.code}", f"是否申请{spec.name}？", "", spec.code))
    return out


def _summary(spec: PermitType) -> str:
    lines = [line.strip() for line in spec.notice.strip().splitlines() if line.strip()]
    for i, line in enumerate(lines[:-1]):
        if "适用范围" in line:
            return lines[i + 1]
    return lines[1] if len(lines) > 1 else spec.name


def resolve(
    types: Sequence[PublishedType], query: Mapping[str, str]
) -> tuple[PublishedType | None, dict[str, str]]:
    """The permit type the answers lead to, and the answers to carry into its form."""
    by_code = {p.spec.code: p for p in types}
    chosen = next((i for i in industries(types) if i.value == query.get("industry")), None)
    answers: dict[str, str] = dict(chosen.presets) if chosen else {}
    target = by_code.get(chosen.permit_code) if chosen else None
    for q in questions(types):
        said = query.get(q.name)
        if said not in (YES, NO):
            continue
        if q.name.startswith("open_"):
            if said == YES and (target is None or target.spec.route is Route.COMMITMENT):
                target = by_code.get(q.permit_code)
            continue
        if target is None and said == YES:
            target = by_code.get(q.permit_code)
        if target is not None and target.spec.code == q.permit_code:
            answers[q.name] = "true" if said == YES else "false"
    return target, answers


def result(published: PublishedType, answers: Mapping[str, str]) -> GuideResult:
    spec = published.spec
    typed: dict[str, object] = {}
    for name, value in answers.items():
        typed[name] = value == "true" if value in ("true", "false") else [value]
    components = select_components(spec, typed)
    materials = select_materials(spec, components)
    instant = spec.route is Route.COMMITMENT
    if instant:
        route_zh = "告知承诺，即时办结"
        note = "在线填写一张申请表、签署告知承诺书，自动核验全部通过后当场核发电子许可证。"
    elif spec.commitment_text:
        route_zh = "告知承诺受理"
        note = "材料齐全并签署告知承诺书即予受理，受理后并联审查，按承诺时限作出决定。"
    else:
        route_zh = "一般程序（受理、并联审查、联合勘验、决定）"
        note = "一次申请、一套材料，各部门并联审查、一次联合现场勘验，核发一张证照。"
    notes = []
    if spec.components:
        notes.append("将一并办理：" + "、".join(c.name for c in components) + "。")
    query = urlencode(sorted(answers.items()))
    return GuideResult(
        spec=spec,
        route_zh=route_zh,
        route_note=note,
        instant=instant,
        summary=_summary(spec),
        promised=limit_zh(spec.promised_limit),
        statutory=limit_zh(spec.statutory_limit),
        components=[c.name for c in components],
        materials=materials,
        apply_url=f"/apply/{spec.code}" + (f"?{query}" if query else ""),
        notes=notes,
    )
