"""Use cases: post-checks (事后核查) of commitment permits and what a false commitment leads to.

A commitment permit is issued on the holder's word; the first supervision department of
its type checks it by ``post_check_days`` after issue. Fulfilled closes the check; not
fulfilled orders a correction by a deadline; false opens the revocation procedure: the
holder is told and may make a statement (陈述申辩) within ``STATEMENT_DAYS`` working
days; then the decision maker decides. Revoking withdraws the certificate (its QR code
verifies as revoked, the status list says so), writes a credit record that bars the holder
from the commitment route for the type's ``commitment_bar_days``, and pushes the events to
the supervision departments — market regulation among them.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from approvals.clock import local_date
from approvals.domain.calendar import add_working_days
from approvals.domain.certificates import StatusAction
from approvals.domain.errors import DomainError, ErrorKind, conflict, forbidden, not_found
from approvals.domain.ids import uuid7
from approvals.domain.people import Principal, Role
from approvals.persistence.statements import WriteBatch
from approvals.persistence.transactions import transaction
from approvals.repository import accounts as account_repo
from approvals.repository import materials as material_repo
from approvals.repository import post_checks as repo
from approvals.repository.notifications import Message, stage_message
from approvals.services.case_action import case_action
from approvals.services.certificate_lifecycle import change_status
from approvals.services.context import Services

STATEMENT_DAYS = 5  # working days for the holder's statement before a revocation decision
RESULTS = ("fulfilled", "not_fulfilled", "false")
STATUS_ZH = {
    "open": "待核查",
    "fulfilled": "核查属实",
    "correction_ordered": "责令限期整改",
    "statement_period": "撤销告知（陈述申辩期）",
    "revoked": "已撤销许可",
    "kept": "不予撤销",
}


def stage_for_commitment_permit(
    batch: WriteBatch,
    *,
    spec_post_check_days: int | None,
    departments: list[str],
    application_id: uuid.UUID,
    certificate_id: uuid.UUID,
    holder_id: uuid.UUID,
    holder_code: str,
    holder_name: str,
    permit_code: str,
    issued_on: date,
    at: datetime,
) -> None:
    """In the issuing write: the post-check the permit's type asks for, if any."""
    if not spec_post_check_days or not departments:
        return
    repo.stage_check(
        batch,
        application_id=application_id,
        certificate_id=certificate_id,
        holder_id=holder_id,
        holder_code=holder_code,
        holder_name=holder_name,
        permit_code=permit_code,
        department=departments[0],
        due_on=issued_on + timedelta(days=spec_post_check_days),
        at=at,
    )


def _stale(check: repo.Check) -> DomainError:
    return conflict(
        "post_check_changed",
        f"该核查已被处理（当前状态：{STATUS_ZH[check.status]}，版本 {check.row_version}），"
        "请刷新后再操作。",
        f"The post-check changed meanwhile: it is {check.status} at version "
        f"{check.row_version}; reload and retry.",
    )


async def _visible(principal: Principal, check_id: uuid.UUID) -> repo.Check:
    check = await repo.get(check_id)
    if check is None:
        raise not_found("核查记录", "Post-check", "check_id")
    if principal.has(Role.ADMIN, Role.DECISION_MAKER, Role.WINDOW_STAFF):
        return check
    if principal.has(Role.SUPERVISOR, Role.DEPARTMENT_HEAD):
        if principal.department == check.department:
            return check
    elif principal.account_id == check.holder_id:
        return check
    raise not_found("核查记录", "Post-check", "check_id")


async def list_checks(principal: Principal, status: str | None, limit: int) -> list[repo.Check]:
    if principal.has(Role.ADMIN, Role.DECISION_MAKER, Role.WINDOW_STAFF):
        return await repo.listing(department=None, holder_id=None, status=status, limit=limit)
    if principal.has(Role.SUPERVISOR, Role.DEPARTMENT_HEAD) and principal.department:
        return await repo.listing(
            department=principal.department, holder_id=None, status=status, limit=limit
        )
    if principal.has(Role.APPLICANT):
        return await repo.listing(
            department=None, holder_id=principal.account_id, status=status, limit=limit
        )
    raise forbidden()


async def get_check(principal: Principal, check_id: uuid.UUID) -> repo.Check:
    return await _visible(principal, check_id)


async def record_result(
    ctx: Services,
    principal: Principal,
    check_id: uuid.UUID,
    expected_version: int,
    result: str,
    finding: str,
    evidence: list[uuid.UUID],
    correction_days: int,
) -> repo.Check:
    check = await _visible(principal, check_id)
    if not principal.has(Role.SUPERVISOR) or principal.department != check.department:
        raise forbidden("只有负责核查的监管部门人员可以记录核查结果。", "The checking supervisor.")
    if check.row_version != expected_version:
        raise _stale(check)
    if result != "fulfilled" and not evidence:
        raise DomainError(
            ErrorKind.INVALID,
            "evidence_required",
            "认定承诺不实或未履行须附证据材料（先上传，再填写材料编号）。",
            "A finding against the holder needs evidence: upload it, then list its ids.",
            "evidence",
        )
    for material_id in evidence:
        material = await material_repo.get_material(material_id)
        if material is None or material.owner_id != principal.account_id:
            raise DomainError(
                ErrorKind.INVALID,
                "unknown_evidence",
                f"证据材料 {material_id} 不存在或不是您上传的。",
                f"Evidence {material_id} does not exist or is not yours.",
                "evidence",
            )
    now = ctx.clock.now()
    today = local_date(now)
    calendar = await ctx.calendar.calendar()
    changes: dict[str, object] = {
        "checked_by_name": principal.display_name,
        "finding": finding,
        "evidence": [str(m) for m in evidence],
    }
    if result == "fulfilled":
        changes["status"], event, title = "fulfilled", "post_check.fulfilled", "核查属实"
    elif result == "not_fulfilled":
        due = add_working_days(today, correction_days, calendar).due
        changes.update(status="correction_ordered", correction_due=due)
        event, title = "post_check.correction_ordered", f"责令于 {due} 前整改"
    else:
        due = add_working_days(today, STATEMENT_DAYS, calendar).due
        changes.update(status="statement_period", statement_due=due)
        event, title = "commitment.false", f"承诺不实，拟撤销许可；可于 {due} 前陈述申辩"
    async with case_action(ctx, principal, check.application_id, None) as case:
        if not await repo.update(check, ("open", "correction_ordered"), **changes):
            raise _stale(await _visible(principal, check_id))
        case.app.record(
            event,
            case.now,
            actor="caller",
            reason=f"{title}。{finding}".strip("。") if finding else title,
            data={"post_check_id": str(check.id), "result": result},
            target_type="post_check",
            target_id=str(check.id),
        )
        case.notify(
            f"告知承诺事后核查结果：{title}",
            f"您的许可（办件 {case.app.number}）经事后核查：{title}。{finding}",
        )
    return await _visible(principal, check_id)


async def make_statement(
    ctx: Services, principal: Principal, check_id: uuid.UUID, text: str
) -> repo.Check:
    check = await _visible(principal, check_id)
    if principal.account_id != check.holder_id:
        raise forbidden(
            "只有被核查的许可持有人可以陈述申辩。", "Only the holder may make a statement."
        )
    now = ctx.clock.now()
    if check.status != "statement_period" or check.statement_at is not None:
        raise _stale(check)
    if check.statement_due is not None and local_date(now) > check.statement_due:
        raise conflict(
            "statement_period_over",
            f"陈述申辩期已于 {check.statement_due} 届满。",
            f"The statement period ended on {check.statement_due}.",
        )
    async with case_action(ctx, principal, check.application_id, None) as case:
        if not await repo.update(check, ("statement_period",), statement=text, statement_at=now):
            raise _stale(await _visible(principal, check_id))
        case.app.record(
            "commitment.statement",
            case.now,
            actor="caller",
            reason=text[:500],
            data={"post_check_id": str(check.id)},
            target_type="post_check",
            target_id=str(check.id),
        )
    return await _visible(principal, check_id)


async def decide(
    ctx: Services,
    principal: Principal,
    check_id: uuid.UUID,
    expected_version: int,
    revoke: bool,
    reasons: str,
) -> repo.Check:
    if not principal.has(Role.DECISION_MAKER, Role.ADMIN):
        raise forbidden("只有审批负责人可以作出撤销决定。", "Decision makers decide revocations.")
    check = await _visible(principal, check_id)
    if check.row_version != expected_version or check.status != "statement_period":
        raise _stale(check)
    now = ctx.clock.now()
    today = local_date(now)
    if check.statement_at is None and check.statement_due and today <= check.statement_due:
        raise conflict(
            "statement_period_running",
            f"陈述申辩期至 {check.statement_due} 届满，持有人尚未陈述；期满后方可决定。",
            f"The holder may make a statement until {check.statement_due}; decide after.",
        )
    spec = (await ctx.catalogue.current(check.permit_code)).spec
    if not revoke:
        async with case_action(ctx, principal, check.application_id, None) as case:
            if not await repo.update(
                check,
                ("statement_period",),
                status="kept",
                decision_reasons=reasons,
                decided_at=now,
            ):
                raise _stale(await _visible(principal, check_id))
            case.app.record(
                "commitment.kept",
                case.now,
                actor="caller",
                reason=f"不予撤销：{reasons}",
                data={"post_check_id": str(check.id)},
                target_type="post_check",
                target_id=str(check.id),
            )
        return await _visible(principal, check_id)
    async with transaction():
        if not await repo.update(
            check, ("statement_period",), status="revoked", decision_reasons=reasons, decided_at=now
        ):
            raise _stale(await _visible(principal, check_id))
        # The revocation's own audit entry, status list change, holder's notice and pushed
        # event (to market regulation among others) are written by change_status.
        reason = f"告知承诺不实，撤销许可：{reasons}"
        await change_status(ctx, principal, check.certificate_id, StatusAction.REVOKE, reason)
        days = spec.commitment_bar_days
        await material_repo.insert_credit_record(
            holder_code=check.holder_code,
            holder_name=check.holder_name,
            reason=reason,
            at=now,
            barred_until=today + timedelta(days=days) if days else None,
            source=f"post_check:{check.id}",
        )
    return await _visible(principal, check_id)


async def sweep_late(ctx: Services) -> int:
    """Tell the department when a post-check is past its due day (its heads) or a correction
    order past its deadline (its supervisors, to check again) — once each."""
    now = ctx.clock.now()
    count = 0
    for check in await repo.late(local_date(now)):
        async with transaction():
            if not await repo.flag_overdue(check, now):
                continue
            if check.status == "open":
                recipients = await account_repo.heads_of(check.department)
                title = "告知承诺事后核查逾期"
                body = f"{check.holder_name} 的许可应于 {check.due_on} 前完成事后核查，已逾期。"
            else:
                recipients = await account_repo.supervisors_of(check.department)
                title = "整改期限届满，请复查"
                body = (
                    f"{check.holder_name} 的整改期限（{check.correction_due}）已届满，"
                    "请复查并记录结果。"
                )
            batch = WriteBatch()
            for recipient in recipients:
                stage_message(
                    batch,
                    Message(uuid7(now), recipient, f"post-checks/{check.id}", title, body, now),
                )
            await batch.commit()
            count += 1
    return count
