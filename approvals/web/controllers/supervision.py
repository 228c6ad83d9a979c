"""The supervision console: a department's items — claim, return, feed back — and the
approval side's reassignment of returned items (PRODUCT.md §3.5)."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from typing import Annotated, Literal

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody, QueryParameter
from msgspec import Meta, Struct

from approvals.clock import local_date
from approvals.domain.errors import DomainError, ErrorKind
from approvals.repository.supervision import Item
from approvals.services import supervision as use
from approvals.web.errors import error_responses
from approvals.web.schemas import NO_CONTROL, Reason, Slug
from approvals.web.schemas_workflow import Version
from approvals.web.security import PrincipalDep, ServicesDep, logged_in

Limit = Annotated[int, QueryParameter(ge=1, le=200)]


class ItemOut(Struct):
    id: uuid.UUID
    event_id: uuid.UUID
    event_name: str
    application_id: uuid.UUID
    certificate_id: uuid.UUID | None
    permit_code: str
    department: str
    title: str
    holder_name: str
    status: str
    status_name: str
    pushed_at: dt.datetime
    claim_due: dt.date
    overdue: bool
    claimed_by_name: str
    claimed_at: dt.datetime | None
    returned_reason: str
    result: str
    result_name: str
    feedback: str
    closed_at: dt.datetime | None
    reminded_at: dt.datetime | None
    escalated_at: dt.datetime | None
    supervised_at: dt.datetime | None
    row_version: int


class ItemPage(Struct):
    items: list[ItemOut]
    next_cursor: str | None


class ReturnIn(Struct, forbid_unknown_fields=True):
    expected_version: Version
    reason: Reason


class ReassignIn(Struct, forbid_unknown_fields=True):
    expected_version: Version
    department: Slug


class FeedbackIn(Struct, forbid_unknown_fields=True):
    expected_version: Version
    result: Literal["compliant", "rectification_ordered", "not_operating", "violation_filed"]
    note: Annotated[str, Meta(max_length=2000, pattern=NO_CONTROL)] = ""


def item_out(item: Item, today: dt.date) -> ItemOut:
    return ItemOut(
        id=item.id,
        event_id=item.event_id,
        event_name=item.event_name,
        application_id=item.application_id,
        certificate_id=item.certificate_id,
        permit_code=item.permit_code,
        department=item.department,
        title=item.title,
        holder_name=item.holder_name,
        status=item.status,
        status_name=use.STATUS_ZH[item.status],
        pushed_at=item.pushed_at,
        claim_due=item.claim_due,
        overdue=item.status == "pending" and item.claim_due < today,
        claimed_by_name=item.claimed_by_name,
        claimed_at=item.claimed_at,
        returned_reason=item.returned_reason,
        result=item.result,
        result_name=use.RESULTS.get(item.result, ""),
        feedback=item.feedback,
        closed_at=item.closed_at,
        reminded_at=item.reminded_at,
        escalated_at=item.escalated_at,
        supervised_at=item.supervised_at,
        row_version=item.row_version,
    )


def _cursor(item: Item) -> str:
    return base64.urlsafe_b64encode(f"s1|{item.claim_due}|{item.id}".encode()).decode()


def _after(cursor: str) -> tuple[dt.date, uuid.UUID]:
    try:
        tag, due, item_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        if tag != "s1":
            raise ValueError(tag)
        return dt.date.fromisoformat(due), uuid.UUID(item_id)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DomainError(
            ErrorKind.INVALID,
            "bad_cursor",
            "cursor 参数不是本服务给出的游标，请使用上一页返回的 next_cursor。",
            "`cursor` is not one this service made; pass the last next_cursor.",
            "cursor",
        ) from exc


class SupervisionController(Controller):
    tags = ["supervision"]
    guards = [logged_in]

    @get(
        "/api/supervision-items",
        operation_id="listSupervisionItems",
        summary="A department's supervision items, the most urgent claim first",
        responses=error_responses(400, 401, 403),
    )
    async def list_items(
        self,
        principal: PrincipalDep,
        services: ServicesDep,
        department: Annotated[str | None, QueryParameter(max_length=64)] = None,
        status: Annotated[
            Literal["pending", "claimed", "returned", "closed"] | None, QueryParameter()
        ] = None,
        overdue: Annotated[bool, QueryParameter()] = False,
        cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
        limit: Limit = 50,
    ) -> ItemPage:
        today = local_date(services.clock.now())
        rows = await use.list_items(
            principal,
            department=department,
            status=status,
            overdue_on=today if overdue else None,
            after=_after(cursor) if cursor else None,
            limit=limit + 1,
        )
        page = rows[:limit]
        more = len(rows) > limit
        return ItemPage([item_out(i, today) for i in page], _cursor(page[-1]) if more else None)

    @get(
        "/api/supervision-items/{item_id:uuid}",
        operation_id="getSupervisionItem",
        summary="One supervision item",
        responses=error_responses(401, 403, 404),
    )
    async def get_item(
        self, item_id: FromPath[uuid.UUID], principal: PrincipalDep, services: ServicesDep
    ) -> ItemOut:
        item = await use.get_item(principal, item_id)
        return item_out(item, local_date(services.clock.now()))

    @post(
        "/api/supervision-items/{item_id:uuid}/claim",
        operation_id="claimSupervisionItem",
        summary="认领: exactly one claimant; claiming one's own item again is harmless",
        responses=error_responses(401, 403, 404, 409),
        status_code=200,
    )
    async def claim(
        self, item_id: FromPath[uuid.UUID], principal: PrincipalDep, services: ServicesDep
    ) -> ItemOut:
        item = await use.claim(services, principal, item_id)
        return item_out(item, local_date(services.clock.now()))

    @post(
        "/api/supervision-items/{item_id:uuid}/return",
        operation_id="returnSupervisionItem",
        summary="退回: not this department's, with a reason; the approval side reassigns it",
        responses=error_responses(400, 401, 403, 404, 409),
        status_code=200,
    )
    async def give_back(
        self,
        item_id: FromPath[uuid.UUID],
        data: JSONBody[ReturnIn],
        principal: PrincipalDep,
        services: ServicesDep,
    ) -> ItemOut:
        item = await use.give_back(services, principal, item_id, data.expected_version, data.reason)
        return item_out(item, local_date(services.clock.now()))

    @post(
        "/api/supervision-items/{item_id:uuid}/reassign",
        operation_id="reassignSupervisionItem",
        summary="Give a returned item to another supervision department (approval side)",
        responses=error_responses(400, 401, 403, 404, 409),
        status_code=200,
    )
    async def reassign(
        self,
        item_id: FromPath[uuid.UUID],
        data: JSONBody[ReassignIn],
        principal: PrincipalDep,
        services: ServicesDep,
    ) -> ItemOut:
        item = await use.reassign(
            services, principal, item_id, data.expected_version, data.department
        )
        return item_out(item, local_date(services.clock.now()))

    @post(
        "/api/supervision-items/{item_id:uuid}/feedback",
        operation_id="feedBackSupervisionItem",
        summary="反馈: the claimant's result; closes the item, shown on the case timeline",
        responses=error_responses(400, 401, 403, 404, 409),
        status_code=200,
    )
    async def feed_back(
        self,
        item_id: FromPath[uuid.UUID],
        data: JSONBody[FeedbackIn],
        principal: PrincipalDep,
        services: ServicesDep,
    ) -> ItemOut:
        item = await use.feed_back(
            services, principal, item_id, data.expected_version, data.result, data.note
        )
        return item_out(item, local_date(services.clock.now()))
