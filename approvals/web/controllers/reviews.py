"""Review tasks (a department's work list and opinions) and the staff queue."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from typing import Annotated

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from approvals.clock import local_date
from approvals.domain.errors import DomainError, ErrorKind, forbidden
from approvals.domain.people import Role
from approvals.repository import reviews as repo
from approvals.repository.inspections import Inspection
from approvals.services import review
from approvals.services.access import visible_application
from approvals.services.queue import QueueFilter, list_queue
from approvals.web.errors import error_responses
from approvals.web.presenters import application_out
from approvals.web.schemas_workflow import InspectionOut, OpinionIn, QueuePage, TaskOut, TaskPage
from approvals.web.security import PrincipalDep, ServicesDep, logged_in

BAD_CURSOR = DomainError(
    ErrorKind.INVALID,
    "bad_cursor",
    "分页游标无效，请从第一页重新查询。",
    "The cursor is invalid; start again from the first page.",
    "cursor",
)
Limit = Annotated[int, QueryParameter(ge=1, le=200)]
CursorParam = Annotated[str | None, QueryParameter(max_length=200)]


def encode_cursor(day: dt.date, ident: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{day.isoformat()}|{ident}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.date, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        day, _, ident = raw.partition("|")
        return dt.date.fromisoformat(day), uuid.UUID(ident)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BAD_CURSOR from exc


def task_out(t: repo.Task) -> TaskOut:
    return TaskOut(
        t.id,
        t.application_id,
        t.department,
        t.name,
        t.component,
        t.status,
        t.opinion,
        t.items,
        t.decided_by_name,
        t.decided_at.isoformat() if t.decided_at else None,
        t.due_on,
        t.escalated_at is not None,
        t.row_version,
    )


def inspection_out(i: Inspection) -> InspectionOut:
    return InspectionOut(
        i.id,
        i.scheduled_for.isoformat(),
        i.place,
        i.inspectors,
        i.checklist,
        i.signoffs,
        i.report,
        i.status,
        i.outcome,
        i.rectification_due,
        i.row_version,
    )


class ReviewController(Controller):
    tags = ["workflow"]
    guards = [logged_in]

    @get(
        "/api/review-tasks",
        operation_id="listReviewTasks",
        summary="A department's open review tasks, most urgent first",
        responses=error_responses(400, 401, 403),
    )
    async def list_tasks(
        self,
        principal: PrincipalDep,
        department: Annotated[str | None, QueryParameter(max_length=64)] = None,
        cursor: CursorParam = None,
        limit: Limit = 50,
    ) -> TaskPage:
        department = department or principal.department or ""
        if not principal.is_case_staff or (
            department != principal.department and not principal.has(Role.ADMIN)
        ):
            raise forbidden("只能查看本部门的审查任务。", "You may see your department's tasks.")
        after = decode_cursor(cursor) if cursor else None
        tasks = await repo.pending_for_department(department, after, limit + 1)
        page = tasks[:limit]
        more = len(tasks) > limit
        return TaskPage(
            [task_out(t) for t in page],
            encode_cursor(page[-1].due_on, page[-1].id) if more else None,
        )

    @get(
        "/api/applications/{application_id:uuid}/reviews",
        operation_id="listCaseReviews",
        summary="Every review task of a case and its opinion",
        responses=error_responses(401, 404),
    )
    async def case_reviews(
        self, application_id: FromPath[uuid.UUID], principal: PrincipalDep
    ) -> list[TaskOut]:
        await visible_application(principal, application_id)
        return [task_out(t) for t in await repo.tasks_of(application_id)]

    @post(
        "/api/review-tasks/{task_id:uuid}/opinion",
        operation_id="giveOpinion",
        status_code=200,
        summary="A department's opinion: pass, fail with reasons, or items to inspect",
        responses=error_responses(400, 401, 403, 404, 409),
    )
    async def opinion(
        self,
        task_id: FromPath[uuid.UUID],
        data: JSONBody[OpinionIn],
        principal: PrincipalDep,
        services: ServicesDep,
    ) -> TaskOut:
        decided = await review.give_opinion(
            services,
            principal,
            task_id,
            data.expected_version,
            data.verdict,
            data.opinion,
            list(data.items),
        )
        return task_out(decided)

    @get(
        "/api/queue",
        operation_id="staffQueue",
        summary="Open cases, most urgent deadline first; keyset-paginated",
        responses=error_responses(400, 401, 403),
    )
    async def staff_queue(
        self,
        principal: PrincipalDep,
        services: ServicesDep,
        department: Annotated[str | None, QueryParameter(max_length=64)] = None,
        status: Annotated[
            str | None,
            QueryParameter(
                pattern="^(submitted|in_review|inspection|rectification|awaiting_decision)$"
            ),
        ] = None,
        assignee: Annotated[str | None, QueryParameter(max_length=36)] = None,
        due_before: Annotated[dt.date | None, QueryParameter()] = None,
        overdue: Annotated[bool, QueryParameter()] = False,
        cursor: CursorParam = None,
        limit: Limit = 50,
    ) -> QueuePage:
        if assignee not in (None, "me", "none"):
            try:
                uuid.UUID(assignee)
            except ValueError as exc:
                raise DomainError(
                    ErrorKind.INVALID,
                    "bad_assignee",
                    "assignee 应为 me、none 或人员编号。",
                    "assignee is me, none or an account id.",
                    "assignee",
                ) from exc
        after = decode_cursor(cursor) if cursor else None
        cases = await list_queue(
            services,
            principal,
            QueueFilter(department, status, assignee, due_before, overdue),
            after,
            limit + 1,
        )
        page = cases[:limit]
        more = len(cases) > limit
        today = local_date(services.clock.now())
        return QueuePage(
            [application_out(c, today=today) for c in page],
            encode_cursor(page[-1].next_due, page[-1].id)  # type: ignore[arg-type]
            if more
            else None,
        )
