"""What the supervision pages show: items and post-checks in people's words, with their
deadline state (overdue, due soon) and history. Everything is read through the same
services as the API (``services.supervision``, ``services.post_checks``), so a page shows
no more than the API would show the same person."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from approvals.clock import SHANGHAI
from approvals.domain.errors import DomainError
from approvals.domain.people import Principal, Role
from approvals.repository import accounts as account_repo
from approvals.repository import admin_reads
from approvals.repository import certificates as cert_repo
from approvals.repository import post_checks as check_repo
from approvals.repository.post_checks import Check
from approvals.repository.supervision import Item
from approvals.services import post_checks as checks
from approvals.services import supervision
from approvals.services.access import visible_material
from approvals.services.context import Services
from approvals.web.pages.case_view import TimelineItem
from approvals.web.presenters import certificate_out
from approvals.web.schemas import CertificateOut

CHECK_RESULTS_ZH = {
    "fulfilled": "已履行承诺",
    "not_fulfilled": "未履行（责令限期改正）",
    "false": "虚假承诺（启动撤销程序）",
}


def when(instant: datetime | None) -> str:
    return instant.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if instant else ""


@dataclass(frozen=True)
class Deadline:
    """A row's deadline state: the CSS row class and the words of its badge."""

    css: str  # "overdue" | "due_soon" | ""
    badge: str  # the badge class: overdue | due_soon | on_time | ""
    words: str


NO_DEADLINE = Deadline("", "", "")


def claim_deadline(item: Item, today: date) -> Deadline:
    if item.status != "pending":
        return NO_DEADLINE
    if item.claim_due < today:
        days = (today - item.claim_due).days
        return Deadline("overdue", "overdue", f"逾期未认领（{days} 天）")
    if item.claim_due == today:
        return Deadline("due_soon", "due_soon", "今日到期")
    if item.claim_due <= today + timedelta(days=1):
        return Deadline("due_soon", "due_soon", "即将到期")
    return Deadline("", "on_time", "按时")


def check_deadline(check: Check, today: date) -> Deadline:
    if check.status == "open":
        if check.due_on < today:
            return Deadline("overdue", "overdue", "核查已逾期")
        if check.due_on <= today + timedelta(days=7):
            return Deadline("due_soon", "due_soon", "即将到期")
        return Deadline("", "on_time", "按时")
    if check.status == "correction_ordered" and check.correction_due:
        if check.correction_due < today:
            return Deadline("overdue", "overdue", "整改期满，待复查")
        return Deadline("", "info", f"整改期限 {check.correction_due}")
    if check.status == "statement_period":
        if check.statement_at is not None or (
            check.statement_due is not None and check.statement_due < today
        ):
            return Deadline("due_soon", "due_soon", "待作出撤销决定")
        return Deadline("", "info", f"陈述申辩期至 {check.statement_due}")
    return NO_DEADLINE


def item_state_badge(item: Item) -> str:
    return {"pending": "pending", "claimed": "info", "returned": "warn", "closed": "ok"}[
        item.status
    ]


def item_state_words(item: Item) -> str:
    if item.status == "closed" and item.result:
        return f"已反馈（{supervision.RESULTS.get(item.result, item.result)}）"
    if item.status == "returned":
        return "已退回（待重新指派）"
    return supervision.STATUS_ZH[item.status]


CHECK_BADGES = {
    "open": "pending",
    "fulfilled": "ok",
    "correction_ordered": "warn",
    "statement_period": "bad",
    "revoked": "revoked",
    "kept": "ok",
}


def item_history(item: Item, department: str = "") -> list[TimelineItem]:
    """The item's life in order: pushed, reminded, escalated, claimed, returned, closed.
    ``department`` names the item's department for a reader from elsewhere (the approval
    side); empty for its own department ("本部门")."""
    marks: list[tuple[datetime, TimelineItem]] = []

    def mark(at: datetime | None, what: str, actor: str = "", reason: str = "") -> None:
        if at is not None:
            marks.append((at, TimelineItem(when(at), what, actor, reason)))

    where = department or "本部门"
    event = supervision.EVENT_NAMES_ZH.get(item.event_name, "")
    if item.returned_at is not None and item.pushed_at > item.returned_at:
        # Reassigned after a return: the push is the reassignment (repository.reassign).
        mark(item.pushed_at, f"审批部门重新指派，推送至{where}（{event}）")
    else:
        mark(item.pushed_at, f"推送至{where}（{event}）")
    mark(item.reminded_at, "到期提醒")
    mark(item.escalated_at, "逾期未认领，已报科室负责人")
    mark(item.supervised_at, "逾期未认领，已督办")
    mark(item.claimed_at, "认领", item.claimed_by_name)
    mark(item.returned_at, "退回审批部门", "", item.returned_reason)
    result = supervision.RESULTS.get(item.result, "")
    mark(item.closed_at, f"反馈核查结果：{result}", item.claimed_by_name, item.feedback)
    return [t for _, t in sorted(marks, key=lambda m: m[0])]


@dataclass(frozen=True)
class Evidence:
    id: str
    name: str
    readable: bool  # the caller may open the file (its uploader, or approval staff)


async def evidence_of(principal: Principal, check: Check) -> list[Evidence]:
    out = []
    for raw in check.evidence:
        try:
            record = await visible_material(principal, uuid.UUID(raw))
        except (DomainError, ValueError):
            out.append(Evidence(raw, f"证据材料 {raw[:8]}", False))
        else:
            out.append(Evidence(raw, record.filename or f"证据材料 {raw[:8]}", True))
    return out


async def certificate_for(
    services: Services, certificate_id: uuid.UUID | None
) -> CertificateOut | None:
    """The permit an item or post-check is about. The caller has already been let see the
    item or check; what is shown is what the pushed event carries to the department
    (number, holder, address, items, validity) plus its public verification link."""
    if certificate_id is None:
        return None
    cert = await cert_repo.get_certificate(certificate_id)
    if cert is None:
        return None
    today = services.clock.now().astimezone(SHANGHAI).date()
    return certificate_out(cert, services.settings.base_url, today)


async def checks_of_item(principal: Principal, item: Item) -> list[Check]:
    """The post-checks of the item's case that the caller may see (same check as the API)."""
    visible = []
    for check in await check_repo.of_application(item.application_id):
        try:
            visible.append(await checks.get_check(principal, check.id))
        except DomainError:
            continue
    return visible


async def permit_names(services: Services, codes: set[str]) -> dict[str, str]:
    names = {}
    for code in codes:
        try:
            names[code] = (await services.catalogue.current(code)).spec.name
        except DomainError:
            names[code] = code
    return names


async def department_names() -> dict[str, str]:
    return await account_repo.department_names()


def can_act_on_items(principal: Principal) -> bool:
    return principal.has(Role.SUPERVISOR)


# The approval side: reads every department's items and reassigns returned ones, as
# ``services.supervision._console_department`` and ``reassign`` decide.
APPROVAL_SIDE = (Role.ADMIN, Role.WINDOW_STAFF, Role.DECISION_MAKER)


def sees_all_departments(principal: Principal) -> bool:
    return principal.has(*APPROVAL_SIDE)


def can_reassign(principal: Principal) -> bool:
    return principal.has(*APPROVAL_SIDE)


async def supervision_departments() -> dict[str, str]:
    """Supervision department code → name, in code order (the reassignment's choices and
    the console's department filter)."""
    return {d.code: d.name for d in await admin_reads.departments() if d.kind == "supervision"}


def console_query(state: str, overdue: bool, department: str, cursor: str | None = None) -> str:
    """The console's URL with its filters (and page), for links that keep them."""
    params = {"state": state, "overdue": "1" if overdue else "", "department": department}
    params["cursor"] = cursor or ""
    shown = urlencode({k: v for k, v in params.items() if v})
    return "/supervise" + (f"?{shown}" if shown else "")


def can_decide(principal: Principal) -> bool:
    return principal.has(Role.DECISION_MAKER, Role.ADMIN)


def may_decide_now(check: Check, today: date) -> bool:
    """The holder has spoken, or the statement period is over (the service's own rule)."""
    if check.status != "statement_period":
        return False
    return check.statement_at is not None or (
        check.statement_due is not None and today > check.statement_due
    )
