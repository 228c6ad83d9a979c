"""Use cases: the parallel review (并联审查, PRODUCT.md §3.2).

On acceptance every department or specialty the permit type names — for a
bundle, only those of the components that apply — gets a task with a limit in
working days. Each gives its opinion: pass, fail with reasons, or items for the
joint inspection. The case moves on only when all have answered. A co-reviewer
past its limit is escalated to its department head, never taken as silently
approving.
"""

from __future__ import annotations

import uuid
from typing import Final, Literal

from approvals.clock import local_date
from approvals.domain.applications import Status
from approvals.domain.calendar import add_working_days
from approvals.domain.errors import DomainError, ErrorKind, conflict, forbidden, not_found
from approvals.domain.people import Principal, Role
from approvals.repository import accounts as account_repo
from approvals.repository import reviews as repo
from approvals.services.case_action import Case, case_action
from approvals.services.context import Services
from forms.catalogue import PermitType

REVIEW_DAYS: Final = 5  # working days a co-reviewer has, from acceptance
Verdict = Literal["pass", "fail", "inspect"]
_STATUS_OF: Final = {"pass": "passed", "fail": "failed", "inspect": "inspect"}
VERDICT_ZH: Final = {"pass": "同意", "fail": "不同意", "inspect": "需现场核查"}


async def open_review_tasks(ctx: Services, case: Case, spec: PermitType) -> None:
    """One task per reviewer that applies; none at all sends the case to decision."""
    app = case.app
    applying = {c["code"] for c in app.components}
    reviewers = [r for r in spec.reviewers if r.component is None or r.component in applying]
    if not reviewers:
        app.move_to(Status.AWAITING_DECISION, case.now, actor="system", reason="无需并联审查")
        return
    assert app.accepted_on is not None
    due = add_working_days(app.accepted_on, REVIEW_DAYS, await ctx.calendar.calendar()).due
    for reviewer in reviewers:
        repo.stage_task(
            case.batch, app.id, reviewer.department, reviewer.name, reviewer.component or "", due
        )


def _check_reviewer(principal: Principal, task: repo.Task) -> None:
    if principal.has(Role.ADMIN):
        return
    if not principal.has(Role.REVIEWER, Role.DEPARTMENT_HEAD):
        raise forbidden("只有审查人员可以提出审查意见。", "Only reviewers give opinions.")
    if principal.department != task.department:
        raise forbidden("该审查事项属于其他部门。", "This review belongs to another department.")


async def give_opinion(
    ctx: Services,
    principal: Principal,
    task_id: uuid.UUID,
    expected_version: int,
    verdict: Verdict,
    opinion: str,
    items: list[str],
) -> repo.Task:
    task = await repo.get_task(task_id)
    if task is None:
        raise not_found("该审查任务", "Review task", "task_id")
    _check_reviewer(principal, task)
    if verdict == "fail" and len(opinion.strip()) < 2:
        raise DomainError(
            ErrorKind.INVALID,
            "reasons_required",
            "不同意的意见必须写明理由。",
            "A refusal must give its reasons.",
            "opinion",
        )
    if verdict == "inspect" and not items:
        raise DomainError(
            ErrorKind.INVALID,
            "items_required",
            "请列出需现场核查的事项。",
            "List what the inspection should check.",
            "items",
        )
    # The case row is locked first, so that "are all opinions in?" is answered once.
    async with case_action(ctx, principal, task.application_id, None) as case:
        if task.row_version != expected_version:
            raise conflict(
                "changed_meanwhile",
                "该审查任务已被他人处理，请刷新。",
                "This review task changed meanwhile; reload.",
            )
        if case.app.status is not Status.IN_REVIEW or not await repo.decide_task(
            task,
            status=_STATUS_OF[verdict],
            opinion=opinion,
            items=items,
            by=str(principal.account_id),
            by_name=principal.display_name,
            at=case.now,
        ):
            raise conflict(
                "already_decided",
                "该审查事项已有意见或办件已不在审查阶段。",
                "This review is already decided, or the case left review.",
            )
        case.app.record(
            "review.decided",
            case.now,
            actor="caller",
            reason=opinion,
            data={"department": task.department, "reviewer": task.name, "verdict": verdict},
            target_type="review_task",
            target_id=str(task.id),
        )
        await _move_on_when_all_answered(case)
    decided = await repo.get_task(task_id)
    assert decided is not None
    return decided


async def _move_on_when_all_answered(case: Case) -> None:
    tasks = await repo.tasks_of(case.app.id)
    if any(t.status == "pending" for t in tasks):
        return
    failed = [t for t in tasks if t.status == "failed"]
    wants_inspection = any(t.status == "inspect" for t in tasks) or bool(case.app.components)
    if wants_inspection and not failed:
        case.app.move_to(
            Status.INSPECTION,
            case.now,
            actor="system",
            reason="各部门审查意见已齐，进入联合现场核查",
        )
        case.notify(
            "现场核查通知",
            f"您的申请（办件 {case.app.number}）已通过并联审查，将安排联合现场核查。",
        )
    else:
        reason = "各部门审查意见已齐" + ("（有部门不同意）" if failed else "")
        case.app.move_to(Status.AWAITING_DECISION, case.now, actor="system", reason=reason)


async def escalate_overdue_reviews(ctx: Services) -> int:
    """Escalate every co-review past its limit to the department's head (once each)."""
    now = ctx.clock.now()
    count = 0
    for task in await repo.overdue_unescalated(local_date(now)):
        async with case_action(ctx, None, task.application_id, None) as case:
            if not await repo.mark_escalated(task.id, now):
                continue
            case.app.record(
                "review.escalated",
                now,
                actor="system",
                reason=f"{task.name}逾期未提出审查意见，已报部门负责人督办",
                data={"department": task.department, "due_on": task.due_on.isoformat()},
                target_type="review_task",
                target_id=str(task.id),
            )
            for head in await account_repo.heads_of(task.department):
                case.notify(
                    "审查逾期督办",
                    f"办件 {case.app.number} 的「{task.name}」审查已超过 {task.due_on} 的期限。",
                    recipient=head,
                )
            count += 1
    return count
