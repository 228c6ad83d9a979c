"""Use cases: the joint on-site inspection (联合现场核查, PRODUCT.md §3.2).

One appointment for every department, one checklist merged from the permit
type's items for the components that apply and whatever the reviewers asked to
check, one sign-off per department, one report. When the last department signs
off: all passed → the decision; failures → a rectification deadline (限期整改,
the clock paused) and a re-inspection of the failed items, or straight to a
decision to deny.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from approvals.clock import SHANGHAI, local_date
from approvals.domain.applications import Status
from approvals.domain.calendar import add_working_days
from approvals.domain.clocks import PauseReason
from approvals.domain.errors import DomainError, ErrorKind, conflict, forbidden, not_found
from approvals.domain.people import Principal, Role
from approvals.repository import inspections as repo
from approvals.repository import pauses as pause_repo
from approvals.repository import reviews as review_repo
from approvals.services.case_action import Case, case_action
from approvals.services.context import Services
from approvals.services.intake import require_status
from forms.catalogue import select_checklist, select_components

RECTIFICATION_DAYS: Final = 10
SCHEDULERS = (Role.WINDOW_STAFF, Role.INSPECTOR, Role.DEPARTMENT_HEAD, Role.ADMIN)
Result = Literal["pass", "fail", "na"]


@dataclass(frozen=True)
class Inspector:
    department: str
    account_id: str
    name: str


async def schedule(
    ctx: Services,
    principal: Principal,
    application_id: uuid.UUID,
    expected_version: int,
    when: datetime,
    place: str,
    inspectors: list[Inspector],
) -> repo.Inspection:
    if not principal.has(*SCHEDULERS):
        raise forbidden("您无权安排现场核查。", "You may not schedule inspections.")
    async with case_action(ctx, principal, application_id, expected_version) as case:
        require_status(case.app, Status.INSPECTION)
        if await repo.of_application(application_id) is not None:
            raise conflict(
                "already_scheduled",
                "该办件已安排联合现场核查。",
                "The joint inspection is already scheduled.",
            )
        checklist = await _merged_checklist(ctx, case)
        departments = {item["department"] for item in checklist}
        missing = departments - {i.department for i in inspectors}
        if missing:
            raise DomainError(
                ErrorKind.REFUSED,
                "inspectors_missing",
                "每个参与核查的部门都须派出核查人员：" + "、".join(sorted(missing)) + " 尚未指派。",
                "Every department on the checklist needs an inspector: missing "
                + ", ".join(sorted(missing))
                + ".",
                "inspectors",
            )
        inspection = repo.Inspection(
            id=uuid.uuid4(),
            application_id=application_id,
            scheduled_for=when,
            place=place,
            inspectors=[
                {"department": i.department, "account_id": i.account_id, "name": i.name}
                for i in inspectors
            ],
            checklist=checklist,
        )
        repo.stage_inspection(case.batch, inspection)
        case.app.record(
            "inspection.scheduled",
            case.now,
            actor="caller",
            data={"at": when.isoformat(), "place": place, "departments": sorted(departments)},
            target_type="inspection",
            target_id=str(inspection.id),
        )
        case.notify(
            "联合现场核查预约",
            f"定于 {when.astimezone(SHANGHAI):%Y年%m月%d日 %H:%M} 在 {place} 进行联合现场核查，"
            f"参加部门：{'、'.join(sorted(departments))}。",
        )
    return inspection


async def _merged_checklist(ctx: Services, case: Case) -> list[dict[str, str]]:
    app = case.app
    spec = (await ctx.catalogue.at_version(app.permit_code, app.catalogue_version)).spec
    components = select_components(spec, app.form)
    items: list[dict[str, str]] = [
        {
            "code": i.code,
            "text": i.text,
            "department": i.department,
            "component": i.component or "",
            "result": "",
            "note": "",
        }
        for i in select_checklist(spec, components)
    ]
    for task in await review_repo.tasks_of(app.id):
        for n, text in enumerate(task.items, 1):
            items.append(
                {
                    "code": f"{task.department}-{n}",
                    "text": text,
                    "department": task.department,
                    "component": task.component,
                    "result": "",
                    "note": "",
                }
            )
    return items


async def record_results(
    ctx: Services,
    principal: Principal,
    application_id: uuid.UUID,
    expected_version: int,
    results: dict[str, tuple[Result, str]],
    on_failure: Literal["rectify", "deny"] = "rectify",
) -> repo.Inspection:
    """An inspector records their department's items and signs off."""
    if not principal.has(Role.INSPECTOR, Role.ADMIN):
        raise forbidden("只有核查人员可以记录核查结果。", "Only inspectors record results.")
    async with case_action(ctx, principal, application_id, None) as case:
        require_status(case.app, Status.INSPECTION, Status.RECTIFICATION)
        inspection = await repo.of_application(application_id)
        if inspection is None:
            raise not_found("该办件的现场核查安排", "Inspection")
        if inspection.row_version != expected_version:
            raise conflict(
                "changed_meanwhile",
                "核查记录已被他人更新，请刷新。",
                "The inspection record changed meanwhile; reload.",
            )
        department = principal.department or ""
        rectifying = case.app.status is Status.RECTIFICATION
        _apply(
            inspection,
            department,
            results,
            principal,
            case,
            rectifying=rectifying,
            on_failure=on_failure,
        )
        await _conclude_when_signed(ctx, case, inspection)
        if not await repo.save(inspection, expected_version):
            raise conflict(
                "changed_meanwhile",
                "核查记录已被他人更新，请刷新。",
                "The inspection record changed meanwhile; reload.",
            )
    return inspection


def _apply(
    inspection: repo.Inspection,
    department: str,
    results: dict[str, tuple[Result, str]],
    principal: Principal,
    case: Case,
    *,
    rectifying: bool,
    on_failure: str,
) -> None:
    mine = {i["code"]: i for i in inspection.checklist if i["department"] == department}
    if not mine:
        raise forbidden("核查清单中没有您所在部门的事项。", "No items of your department.")
    appointed = {i["account_id"] for i in inspection.inspectors if i["department"] == department}
    if not principal.has(Role.ADMIN) and str(principal.account_id) not in appointed:
        raise forbidden(
            "您不是本次核查指派的本部门核查人员。",
            "You are not the inspector appointed for your department.",
        )
    wanted = {c for c, i in mine.items() if not rectifying or i["result"] == "fail"}
    unknown = set(results) - set(mine)
    missing = wanted - set(results)
    if unknown or missing:
        raise DomainError(
            ErrorKind.INVALID,
            "results_incomplete",
            "核查结果须覆盖本部门的全部事项（整改复查时为未通过的事项），且不能有清单外的事项。",
            "Give a result for every item of your department (in re-inspection: every failed "
            f"item), and no others. Missing: {sorted(missing)}; unknown: {sorted(unknown)}.",
            "results",
        )
    for code, (result, note) in results.items():
        mine[code].update(result=result, note=note)
    failed = [c for c in results if results[c][0] == "fail"]
    inspection.signoffs[department] = {
        "by": str(principal.account_id),
        "name": principal.display_name,
        "at": case.now.isoformat(),
        # what this department proposes for its failed items: rectify, or deny outright
        "on_failure": on_failure if failed else "",
    }
    case.app.record(
        "inspection.recorded",
        case.now,
        actor="caller",
        data={
            "department": department,
            "failed": ",".join(sorted(failed)),
            "reinspection": rectifying,
        },
        target_type="inspection",
        target_id=str(inspection.id),
    )


async def _conclude_when_signed(ctx: Services, case: Case, inspection: repo.Inspection) -> None:
    departments = {i["department"] for i in inspection.checklist}
    if set(inspection.signoffs) < departments:
        return
    failed = [i for i in inspection.checklist if i["result"] == "fail"]
    wants_denial = any(s.get("on_failure") == "deny" for s in inspection.signoffs.values())
    today = local_date(case.now)
    by = case.actor.display_name if case.actor else "系统"
    if case.app.status is Status.RECTIFICATION:
        await pause_repo.close_pauses(case.app.id, PauseReason.RECTIFICATION, today, by)
    inspection.report = _report(inspection)
    if not failed:
        inspection.status, inspection.outcome = "completed", "passed"
        case.app.move_to(
            Status.AWAITING_DECISION,
            case.now,
            actor=case.actor_tag,
            reason="联合现场核查全部合格",
            event="inspection.completed",
        )
    elif not wants_denial and case.app.status is Status.INSPECTION:
        due = add_working_days(today, RECTIFICATION_DAYS, await ctx.calendar.calendar()).due
        inspection.outcome, inspection.rectification_due = "rectification", due
        for dept in departments & {i["department"] for i in failed}:
            inspection.signoffs.pop(dept, None)  # they sign again after the re-inspection
        await pause_repo.open_pause(
            case.app.id, PauseReason.RECTIFICATION, today, by, note=f"限期整改至 {due}"
        )
        case.app.move_to(
            Status.RECTIFICATION,
            case.now,
            actor=case.actor_tag,
            reason=f"{len(failed)} 项不合格，限期至 {due} 整改",
            event="inspection.rectification_ordered",
        )
        case.notify(
            "限期整改通知",
            "现场核查以下事项不合格，请于 "
            f"{due:%Y年%m月%d日} 前完成整改：" + "；".join(str(i["text"]) for i in failed),
        )
    else:
        inspection.status, inspection.outcome = "completed", "failed"
        case.app.move_to(
            Status.AWAITING_DECISION,
            case.now,
            actor=case.actor_tag,
            reason=f"联合现场核查 {len(failed)} 项不合格",
            event="inspection.completed",
        )


def _report(inspection: repo.Inspection) -> str:
    lines = [f"联合现场核查报告（{inspection.place}）"]
    for item in inspection.checklist:
        mark = {"pass": "合格", "fail": "不合格", "na": "不适用"}.get(str(item["result"]), "未核查")
        note = f"（{item['note']}）" if item["note"] else ""
        lines.append(f"[{item['department']}] {item['text']}：{mark}{note}")
    for dept, sign in sorted(inspection.signoffs.items()):
        lines.append(f"{dept} 签字：{sign['name']} {sign['at'][:16]}")
    return "\n".join(lines)
