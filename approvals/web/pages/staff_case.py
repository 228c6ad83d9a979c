"""Staff workbench: everything the case page shows, and which actions the caller may take now.

The actions offered follow the same rules the services enforce (role, department,
status, appointment); the services still decide, so a page shown before the case
moved on gets the service's answer, never a second opinion of ours.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from approvals.clock import SHANGHAI, local_date
from approvals.domain.applications import Status
from approvals.domain.clocks import PAUSE_NAMES_ZH, PauseReason
from approvals.domain.people import CASE_STAFF, ROLE_NAMES_ZH, Principal, Role
from approvals.repository import accounts as account_repo
from approvals.repository import applications as app_repo
from approvals.repository import inspections as inspection_repo
from approvals.repository import materials as material_repo
from approvals.repository import reviews as review_repo
from approvals.repository.accounts import AccountRecord
from approvals.repository.inspections import Inspection
from approvals.repository.materials import MaterialRecord
from approvals.services.context import Services
from approvals.services.decision import DECIDERS, PAUSERS, RUNNING
from approvals.services.inspection import SCHEDULERS
from approvals.services.intake import INTAKE_ROLES
from approvals.services.queue import ASSIGNERS
from approvals.services.review import VERDICT_ZH
from approvals.web.pages.case_view import CaseView, case_view
from forms.catalogue import FieldKind, FieldSpec, PermitType, select_checklist, select_components

TASK_STATUS_ZH = {
    "pending": "待审查",
    "passed": "同意",
    "failed": "不同意",
    "inspect": "需现场核查",
}
TASK_BADGE = {"pending": "pending", "passed": "ok", "failed": "bad", "inspect": "info"}
RESULT_ZH = {"pass": "合格", "fail": "不合格", "na": "不适用", "": "未核查"}
# Reasons a person may pause for; rectification is opened and closed by the inspection.
PAUSE_CHOICES = [
    (r.value, PAUSE_NAMES_ZH[r]) for r in PauseReason if r != PauseReason.RECTIFICATION
]


@dataclass(frozen=True)
class FormRow:
    name: str
    label: str
    value: str


@dataclass(frozen=True)
class AssignChoice:
    """A person the case may be given to, as the picker shows them (name and roles)."""

    id: str
    label: str


@dataclass(frozen=True)
class MaterialSlot:
    slot: str
    name: str
    files: list[MaterialRecord]


@dataclass
class StaffCase:
    view: CaseView
    spec: PermitType
    today: date
    sections: list[tuple[str, list[FormRow]]]
    materials: list[MaterialSlot]
    tasks: list[review_repo.Task]
    inspection: Inspection | None
    departments: dict[str, str]
    # what the caller may do now
    can_intake: bool = False
    can_correct: bool = False
    can_assign: bool = False
    assign_choices: list[AssignChoice] = field(default_factory=list)
    assignee_name: str = ""
    my_tasks: list[review_repo.Task] = field(default_factory=list)
    can_schedule: bool = False
    inspection_departments: list[str] = field(default_factory=list)
    inspector_choices: dict[str, list[AccountRecord]] = field(default_factory=dict)
    my_items: list[dict[str, Any]] = field(default_factory=list)
    can_decide: bool = False
    can_extend: bool = False
    can_pause: bool = False
    resumable: list[tuple[str, str]] = field(default_factory=list)

    @property
    def case(self) -> Any:
        return self.view.case

    @property
    def any_action(self) -> bool:
        return any(
            (
                self.can_intake,
                self.can_correct,
                self.can_assign,
                self.my_tasks,
                self.can_schedule,
                self.my_items,
                self.can_decide,
                self.can_extend,
                self.can_pause,
                self.resumable,
            )
        )

    def dept(self, code: str) -> str:
        return self.departments.get(code, code)

    def scheduled_local(self) -> str:
        if self.inspection is None:
            return ""
        return self.inspection.scheduled_for.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def display_value(spec: FieldSpec, value: Any) -> str:
    """A form value as people read it: option labels, 是/否, lists joined."""
    labels = {o.value: o.label for o in spec.options}
    if value is None or value == "" or value == []:
        return "（未填写）"
    if spec.kind is FieldKind.BOOLEAN:
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(labels.get(str(v), str(v)) for v in value)
    return labels.get(str(value), str(value))


def form_sections(spec: PermitType, form: dict[str, Any]) -> list[tuple[str, list[FormRow]]]:
    sections: list[tuple[str, list[FormRow]]] = []
    for f in spec.fields:
        if f.name not in form:
            continue
        row = FormRow(f.name, f.label, display_value(f, form[f.name]))
        if not sections or sections[-1][0] != (f.section or "申请信息"):
            sections.append((f.section or "申请信息", []))
        sections[-1][1].append(row)
    return sections


async def _materials(spec: PermitType, application_id: uuid.UUID) -> list[MaterialSlot]:
    attached = await app_repo.materials_of(application_id)
    records = await material_repo.materials_by_ids([m for ids in attached.values() for m in ids])
    names = {m.slot: m.name for m in spec.materials}
    order = [m.slot for m in spec.materials] + sorted(set(attached) - set(names))
    return [
        MaterialSlot(
            slot, names.get(slot, slot), [records[i] for i in attached[slot] if i in records]
        )
        for slot in order
        if slot in attached
    ]


async def load_staff_case(
    services: Services, principal: Principal, application_id: uuid.UUID
) -> StaffCase:
    view = await case_view(services, principal, application_id)
    case = view.case
    spec = (await services.catalogue.at_version(case.permit_code, case.catalogue_version)).spec
    form = case.form or {}
    staff = StaffCase(
        view=view,
        spec=spec,
        today=local_date(services.clock.now()),
        sections=form_sections(spec, form),
        materials=await _materials(spec, application_id),
        tasks=await review_repo.tasks_of(application_id),
        inspection=await inspection_repo.of_application(application_id),
        departments=await account_repo.department_names(),
    )
    await _offer_actions(staff, principal, form)
    return staff


async def _offer_actions(s: StaffCase, p: Principal, form: dict[str, Any]) -> None:
    case, status = s.case, Status(s.case.status)
    own_department = p.has(Role.ADMIN) or p.department == case.department
    if status is Status.SUBMITTED and p.has(*INTAKE_ROLES) and own_department:
        s.can_intake = True
        intake_due = s.view.clocks.intake_due
        s.can_correct = not case.correction_items and (intake_due is None or s.today <= intake_due)
    if case.assignee:
        assignee = await account_repo.account_by_id(uuid.UUID(case.assignee))
        s.assignee_name = assignee.display_name if assignee else ""
    s.can_assign = p.has(*ASSIGNERS) and own_department and status in (Status.SUBMITTED, *RUNNING)
    if s.can_assign:
        # whom queue.assign accepts: active approval staff of the case's department
        s.assign_choices = [
            AssignChoice(str(a.id), f"{a.display_name}（{_role_names(a.roles)}）")
            for a in await account_repo.active_staff(case.department, *CASE_STAFF)
            if a.id != p.account_id
        ]
    if status is Status.IN_REVIEW and p.has(Role.REVIEWER, Role.DEPARTMENT_HEAD, Role.ADMIN):
        s.my_tasks = [
            t
            for t in s.tasks
            if t.status == "pending" and (p.has(Role.ADMIN) or t.department == p.department)
        ]
    if status is Status.INSPECTION and s.inspection is None and p.has(*SCHEDULERS):
        components = select_components(s.spec, form)
        departments = {i.department for i in select_checklist(s.spec, components)}
        departments |= {t.department for t in s.tasks if t.items}
        s.inspection_departments = sorted(departments)
        s.can_schedule = bool(departments)
        for dept in s.inspection_departments:
            s.inspector_choices[dept] = await account_repo.active_staff(dept, Role.INSPECTOR)
    if s.inspection is not None and status in (Status.INSPECTION, Status.RECTIFICATION):
        s.my_items = _items_to_record(s.inspection, p, rectifying=status is Status.RECTIFICATION)
    if p.has(*DECIDERS):
        s.can_decide = status is Status.AWAITING_DECISION
        s.can_extend = status in RUNNING and not case.extension_days
    if p.has(*PAUSERS) and status in RUNNING:
        s.can_pause = True
        s.resumable = [
            (pause.reason, pause.reason_name)
            for pause in s.view.clocks.pauses
            if pause.ended_on is None and pause.reason != PauseReason.RECTIFICATION.value
        ]


def _role_names(roles: frozenset[Role]) -> str:
    return "、".join(ROLE_NAMES_ZH[r] for r in Role if r in roles and r in CASE_STAFF)


def _items_to_record(
    inspection: Inspection, p: Principal, *, rectifying: bool
) -> list[dict[str, Any]]:
    """The checklist items the caller, as their department's appointed inspector, records now."""
    if not p.has(Role.INSPECTOR, Role.ADMIN) or inspection.status != "scheduled":
        return []
    department = p.department or ""
    appointed = {i["account_id"] for i in inspection.inspectors if i["department"] == department}
    if not p.has(Role.ADMIN) and str(p.account_id) not in appointed:
        return []
    if department in inspection.signoffs:
        return []
    mine = [i for i in inspection.checklist if i["department"] == department]
    return [i for i in mine if not rectifying or i["result"] == "fail"]


__all__ = [
    "PAUSE_CHOICES",
    "RESULT_ZH",
    "TASK_BADGE",
    "TASK_STATUS_ZH",
    "VERDICT_ZH",
    "StaffCase",
    "load_staff_case",
]
