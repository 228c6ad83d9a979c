"""Use cases: the staff queue and who works which case."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date

from approvals.clock import local_date
from approvals.domain.applications import Application
from approvals.domain.errors import DomainError, ErrorKind, forbidden
from approvals.domain.people import CASE_STAFF, Principal, Role
from approvals.repository import accounts as account_repo
from approvals.repository import applications as repo
from approvals.services.case_action import case_action
from approvals.services.context import Services

ASSIGNERS = (Role.WINDOW_STAFF, Role.DEPARTMENT_HEAD, Role.ADMIN)


@dataclass(frozen=True)
class QueueFilter:
    department: str | None = None  # None: the caller's own (administrators: all)
    status: str | None = None
    assignee: str | None = None  # "me", "none" or an account id
    due_before: date | None = None
    overdue: bool = False
    permit_code: str | None = None
    search: str | None = None  # a case number, acceptance number, credit code or holder name


CASE_NUMBER = re.compile(r"^[A-Z]{2}\d{8}[0-9A-Z]{10}$")
CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def search_match(text: str) -> tuple[str, str]:
    """Which column a search box's text names: each is one equality (or, for a holder's
    name, one substring) so the query stays inside the queue's index range."""
    text = text.strip()
    if CASE_NUMBER.match(text.upper()):
        return "number", text.upper()
    if "受字" in text:
        return "acceptance_no", text
    if CREDIT_CODE.match(text.upper()):
        return "holder_code", text.upper()
    return "holder_name", text


async def list_queue(
    ctx: Services,
    principal: Principal,
    wanted: QueueFilter,
    after: tuple[date, uuid.UUID] | None,
    limit: int,
) -> list[Application]:
    if not principal.is_case_staff:
        raise forbidden("只有审批工作人员可以查看办件队列。", "Only approval staff see the queue.")
    department = wanted.department or principal.department
    if principal.has(Role.ADMIN) and wanted.department is None:
        department = None
    elif department != principal.department and not principal.has(Role.ADMIN):
        raise forbidden("只能查看本部门的办件队列。", "You may see your own department's queue.")
    assignee = wanted.assignee
    if assignee == "me":
        assignee = str(principal.account_id)
    due_before = wanted.due_before
    if wanted.overdue:
        today = local_date(ctx.clock.now())
        due_before = min(due_before, today) if due_before else today
    return await repo.queue(
        department=department,
        status=wanted.status,
        assignee=None if assignee == "none" else assignee,
        unassigned=assignee == "none",
        due_before=due_before,
        after=after,
        limit=limit,
        permit_code=wanted.permit_code,
        match=search_match(wanted.search) if wanted.search and wanted.search.strip() else None,
    )


async def assign(
    ctx: Services,
    principal: Principal,
    application_id: uuid.UUID,
    expected_version: int,
    account_id: uuid.UUID | None,
) -> Application:
    if not principal.has(*ASSIGNERS):
        raise forbidden("您无权分派办件。", "You may not assign cases.")
    async with case_action(ctx, principal, application_id, expected_version) as case:
        name = "（无）"
        if account_id is not None:
            account = await account_repo.account_by_id(account_id)
            if account is None or not account.is_active or account.roles.isdisjoint(CASE_STAFF):
                raise DomainError(
                    ErrorKind.REFUSED,
                    "not_staff",
                    "只能分派给审批工作人员。",
                    "Cases can be assigned to approval staff only.",
                    "account_id",
                )
            if account.department != case.app.department and not account.roles & {Role.ADMIN}:
                raise DomainError(
                    ErrorKind.REFUSED,
                    "other_department",
                    "只能分派给本办件所属部门的人员。",
                    "Assign within the case's department.",
                    "account_id",
                )
            name = account.display_name
        case.app.assignee = str(account_id) if account_id else None
        case.app.record(
            "application.assigned",
            case.now,
            actor="caller",
            data={"assignee": case.app.assignee or "", "assignee_name": name},
        )
    return case.app
