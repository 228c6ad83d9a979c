"""Use cases: supervision items — pushed, claimed, returned, fed back (PRODUCT.md §3.5).

Each certificate event creates one item per supervision department its permit type names,
in the same transaction as the event (and its outbox row), so none can be lost. A
supervisor claims an item (exactly one claimant; repeating one's own claim is harmless),
or returns it as not the department's with a reason, and the approval side reassigns it;
the claimant records the result, which closes the item and appears on the case timeline.
Unclaimed items are reminded on their due day, escalated to the department head when
late, and pressed from above (督办) two working days later.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from approvals.clock import local_date
from approvals.domain.calendar import add_working_days
from approvals.domain.errors import DomainError, ErrorKind, conflict, forbidden, not_found
from approvals.domain.events import EVENT_TYPE_PREFIX
from approvals.domain.ids import uuid7
from approvals.domain.people import Principal, Role
from approvals.persistence.statements import WriteBatch
from approvals.persistence.transactions import transaction
from approvals.repository import accounts as account_repo
from approvals.repository import outbox as outbox_repo
from approvals.repository import supervision as repo
from approvals.repository.notifications import Message, stage_message
from approvals.repository.outbox import OutgoingEvent
from approvals.services.case_action import case_action
from approvals.services.context import Services

# The events that ask for a follow-up on the ground; the others are pushed for information.
ITEM_EVENTS = frozenset(
    {
        "certificate.issued",
        "certificate.changed",
        "certificate.suspended",
        "certificate.restored",
        "certificate.revoked",
        "certificate.cancelled",
    }
)
EVENT_NAMES_ZH = {
    "certificate.issued": "新发证",
    "certificate.changed": "证照变更",
    "certificate.suspended": "证照暂扣",
    "certificate.restored": "证照恢复",
    "certificate.revoked": "证照撤销/吊销",
    "certificate.cancelled": "证照注销",
}
RESULTS = {
    "compliant": "核查合格",
    "rectification_ordered": "责令整改",
    "not_operating": "未实际经营",
    "violation_filed": "发现违法行为，已立案",
}
SUPERVISE_AFTER_DAYS = 2  # working days past the claim deadline before 督办


async def stage_pushed(
    ctx: Services, batch: WriteBatch, events: Sequence[OutgoingEvent], application_id: uuid.UUID
) -> None:
    """The events' outbox rows and, for certificate events, a supervision item per
    department — all in ``batch``, the caller's one transaction."""
    outbox_repo.stage_events(batch, events)
    calendar = None
    for event in events:
        name = event.type.removeprefix(EVENT_TYPE_PREFIX)
        if name not in ITEM_EVENTS or not event.permit_code:
            continue
        spec = (await ctx.catalogue.current(event.permit_code)).spec
        if not spec.supervision_departments:
            continue
        calendar = calendar or await ctx.calendar.calendar()
        due = add_working_days(local_date(event.time), spec.claim_limit_days, calendar).due
        certificate = event.data.get("certificate_id")
        holder = str(event.data.get("holder_name") or "")
        number = str(event.data.get("number") or "")
        for department in spec.supervision_departments:
            repo.stage_item(
                batch,
                event_id=event.event_id,
                event_name=name,
                application_id=application_id,
                certificate_id=uuid.UUID(str(certificate)) if certificate else None,
                permit_code=event.permit_code,
                department=department,
                title=f"{spec.name}{EVENT_NAMES_ZH[name]}：{holder or number}"[:300],
                holder_name=holder[:200],
                pushed_at=event.time,
                claim_due=due,
            )


# -- who may do what -------------------------------------------------------------------------


def _console_department(principal: Principal, wanted: str | None) -> str | None:
    """The department whose items the caller sees: a supervisor's own; administrators and
    the approval side any (None: all)."""
    if principal.has(Role.ADMIN, Role.WINDOW_STAFF, Role.DECISION_MAKER):
        return wanted
    if principal.has(Role.SUPERVISOR, Role.DEPARTMENT_HEAD) and principal.department:
        if wanted not in (None, principal.department):
            raise forbidden("只能查看本部门的监管事项。", "You see your own department's items.")
        return principal.department
    raise forbidden("只有监管部门人员可以查看监管事项。", "Supervision staff only.")


async def _item_for(principal: Principal, item_id: uuid.UUID) -> repo.Item:
    item = await repo.get(item_id)
    if item is None:
        raise not_found("监管事项", "Supervision item", "item_id")
    try:
        department = _console_department(principal, None)
    except DomainError:
        department = ""
    if department is not None and item.department != department:
        # Not the caller's department: as if it did not exist.
        raise not_found("监管事项", "Supervision item", "item_id")
    return item


def _supervisor_of(principal: Principal, item: repo.Item) -> None:
    if not principal.has(Role.SUPERVISOR) or principal.department != item.department:
        raise forbidden(
            "只有该监管部门的监管人员可以办理此事项。",
            "Only a supervisor of the item's department may act on it.",
        )


def _stale(item: repo.Item, expected: int | None = None) -> DomainError:
    who = f"，认领人：{item.claimed_by_name}" if item.claimed_by_name else ""
    return conflict(
        "item_changed",
        f"该监管事项已被处理（当前状态：{STATUS_ZH[item.status]}{who}，版本 {item.row_version}），"
        "请刷新后再操作。",
        f"The item changed meanwhile: it is {item.status} at version {item.row_version}"
        + (f", claimed by {item.claimed_by_name}" if item.claimed_by_name else "")
        + "; reload and retry.",
    )


STATUS_ZH = {"pending": "待认领", "claimed": "已认领", "returned": "已退回", "closed": "已办结"}


# -- reading -----------------------------------------------------------------------------------


async def list_items(
    principal: Principal,
    *,
    department: str | None,
    status: str | None,
    overdue_on: date | None,
    after: tuple[date, uuid.UUID] | None,
    limit: int,
) -> list[repo.Item]:
    return await repo.listing(
        department=_console_department(principal, department),
        status="pending" if overdue_on else status,
        due_before=overdue_on,
        after=after,
        limit=limit,
    )


async def get_item(principal: Principal, item_id: uuid.UUID) -> repo.Item:
    return await _item_for(principal, item_id)


# -- acting --------------------------------------------------------------------------------------


async def claim(ctx: Services, principal: Principal, item_id: uuid.UUID) -> repo.Item:
    item = await _item_for(principal, item_id)
    _supervisor_of(principal, item)
    me = str(principal.account_id)
    if item.status == "claimed" and item.claimed_by == me:
        return item  # one's own claim again: harmless
    async with case_action(ctx, principal, item.application_id, None) as case:
        if not await repo.claim(item.id, me, principal.display_name, case.now):
            raise _stale(await _item_for(principal, item_id))
        case.app.record(
            "supervision.claimed",
            case.now,
            actor="caller",
            reason=f"{item.title}（{item.department}）",
            data={"item_id": str(item.id), "department": item.department},
            target_type="supervision_item",
            target_id=str(item.id),
        )
    return await _item_for(principal, item_id)


async def give_back(
    ctx: Services, principal: Principal, item_id: uuid.UUID, expected_version: int, reason: str
) -> repo.Item:
    """Returned as not the department's: the approval side reassigns it."""
    item = await _item_for(principal, item_id)
    _supervisor_of(principal, item)
    if item.row_version != expected_version:
        raise _stale(item)
    if item.status == "claimed" and item.claimed_by != str(principal.account_id):
        raise forbidden("只有认领人可以退回已认领的事项。", "Only the claimant may return it.")
    async with case_action(ctx, principal, item.application_id, None) as case:
        if not await repo.set_returned(item, reason, case.now):
            raise _stale(await _item_for(principal, item_id))
        case.app.record(
            "supervision.returned",
            case.now,
            actor="caller",
            reason=reason,
            data={"item_id": str(item.id), "department": item.department},
            target_type="supervision_item",
            target_id=str(item.id),
        )
        for account in await _approval_desk():
            case.notify(
                "监管事项被退回",
                f"{item.department} 退回了「{item.title}」：{reason}。请重新指派监管部门。",
                recipient=account,
            )
    return await _item_for(principal, item_id)


async def reassign(
    ctx: Services, principal: Principal, item_id: uuid.UUID, expected_version: int, department: str
) -> repo.Item:
    if not principal.has(Role.ADMIN, Role.WINDOW_STAFF, Role.DECISION_MAKER):
        raise forbidden("只有审批部门可以重新指派监管部门。", "The approval side reassigns items.")
    item = await _item_for(principal, item_id)
    if item.row_version != expected_version or item.status != "returned":
        raise _stale(item)
    kind = await account_repo.department_kind(department)
    if kind != "supervision" or department == item.department:
        raise DomainError(
            ErrorKind.INVALID,
            "not_a_supervision_department",
            f"{department} 不是可指派的监管部门（须为另一个监管部门）。",
            f"{department} is not another supervision department.",
            "department",
        )
    spec = (await ctx.catalogue.current(item.permit_code)).spec
    async with case_action(ctx, principal, item.application_id, None) as case:
        calendar = await ctx.calendar.calendar()
        due = add_working_days(local_date(case.now), spec.claim_limit_days, calendar).due
        if not await repo.reassign(item, department, due, case.now):
            raise _stale(await _item_for(principal, item_id))
        case.app.record(
            "supervision.reassigned",
            case.now,
            actor="caller",
            reason=f"{item.department} → {department}",
            data={"item_id": str(item.id), "from": item.department, "to": department},
            target_type="supervision_item",
            target_id=str(item.id),
        )
    return await _item_for(principal, item_id)


async def feed_back(
    ctx: Services,
    principal: Principal,
    item_id: uuid.UUID,
    expected_version: int,
    result: str,
    note: str,
) -> repo.Item:
    """The claimant's result: closes the item and goes on the case timeline."""
    item = await _item_for(principal, item_id)
    _supervisor_of(principal, item)
    if item.row_version != expected_version:
        raise _stale(item)
    if item.status != "claimed" or item.claimed_by != str(principal.account_id):
        raise conflict(
            "not_your_claim",
            "请先认领该事项；只有认领人可以反馈核查结果。",
            "Claim the item first; only its claimant records the result.",
        )
    async with case_action(ctx, principal, item.application_id, None) as case:
        if not await repo.close(item, result, note, case.now):
            raise _stale(await _item_for(principal, item_id))
        case.app.record(
            "supervision.feedback",
            case.now,
            actor="caller",
            reason=f"{RESULTS[result]}：{note}" if note else RESULTS[result],
            data={"item_id": str(item.id), "department": item.department, "result": result},
            target_type="supervision_item",
            target_id=str(item.id),
        )
    return await _item_for(principal, item_id)


async def _approval_desk() -> list[uuid.UUID]:
    """Who reassigns returned items: the approval section's heads."""
    return await account_repo.heads_of("health_approval")


# -- the claim-deadline sweep --------------------------------------------------------------


async def sweep_unclaimed(ctx: Services) -> dict[str, int]:
    """Remind on the due day, escalate to the department head when late, 督办 two working
    days after that. Each mark is a compare-and-set: any process may sweep, once each."""
    now = ctx.clock.now()
    today = local_date(now)
    calendar = await ctx.calendar.calendar()
    counts = {"reminded": 0, "escalated": 0, "supervised": 0}
    # A reminder is for the due day itself; a day missed (no process running) goes
    # straight on to the escalation.
    for item in await repo.unclaimed_due(today, "reminded", only_on=True):
        if await _mark(ctx, item, "reminded", now):
            counts["reminded"] += 1
    # Late: the due day has passed.
    for item in await repo.unclaimed_due(date.fromordinal(today.toordinal() - 1), "escalated"):
        if await _mark(ctx, item, "escalated", now):
            counts["escalated"] += 1
    for item in await repo.unclaimed_due(today, "supervised"):
        if add_working_days(item.claim_due, SUPERVISE_AFTER_DAYS, calendar).due > today:
            continue
        if await _mark(ctx, item, "supervised", now):
            counts["supervised"] += 1
    return counts


async def _mark(ctx: Services, item: repo.Item, mark: str, now: datetime) -> bool:
    async with transaction():
        if not await repo.set_mark(item.id, mark, now):
            return False
        if mark == "reminded":
            recipients = await account_repo.supervisors_of(item.department)
            title = "监管事项今日到期"
            body = f"「{item.title}」须于今日（{item.claim_due}）前认领。"
        elif mark == "escalated":
            recipients = await account_repo.heads_of(item.department)
            title = "监管事项逾期未认领"
            body = f"「{item.title}」应于 {item.claim_due} 前认领，已逾期，请督促本部门认领。"
        else:
            recipients = await _approval_desk()
            title = "监管事项督办"
            body = (
                f"{item.department} 的「{item.title}」逾期 {SUPERVISE_AFTER_DAYS} 个工作日"
                "仍未认领，请督办。"
            )
        batch = WriteBatch()
        for recipient in recipients:
            stage_message(
                batch,
                Message(
                    uuid7(now),
                    recipient,
                    f"supervision-items/{item.id}",
                    title,
                    body,
                    now,
                ),
            )
        await batch.commit()
    return True
