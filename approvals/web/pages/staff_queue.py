"""Staff workbench: the queue (same service as ``GET /api/queue``), the caller's open review
tasks (as ``GET /api/review-tasks``) and the inspections they are appointed to."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from approvals.clock import local_date
from approvals.domain.applications import Application
from approvals.domain.calendar import working_days_between
from approvals.domain.clocks import DUE_SOON_DAYS
from approvals.domain.people import Principal, Role
from approvals.repository import accounts as account_repo
from approvals.repository import applications as app_repo
from approvals.repository import inspections as inspection_repo
from approvals.repository import reviews as review_repo
from approvals.services.context import Services
from approvals.services.queue import QueueFilter, list_queue
from approvals.web.controllers.reviews import decode_cursor, encode_cursor
from approvals.web.pages.staff_forms import FormProblem

PAGE_SIZE = 25
LIST_SIZE = 25  # the review-task and inspection lists above the queue, each paged on its own
QUEUE_STATUSES = {
    "submitted": "待受理",
    "in_review": "审查中",
    "inspection": "现场核查中",
    "rectification": "限期整改中",
    "awaiting_decision": "待决定",
}
DEADLINE_ZH = {"on_time": "按时", "due_soon": "即将到期", "overdue": "已超期"}
_SLUG = re.compile(r"^[a-z0-9_]{1,64}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Filters:
    status: str = ""
    department: str = ""
    permit: str = ""
    overdue: bool = False
    mine: bool = False
    q: str = ""
    cursor: str = ""
    tasks_cursor: str = ""
    inspections_cursor: str = ""

    def query(self, **changes: Any) -> str:
        """This view's query string with ``changes`` (each list keeps its own page)."""
        values = {
            "status": self.status,
            "department": self.department,
            "permit": self.permit,
            "overdue": "1" if self.overdue else "",
            "mine": "1" if self.mine else "",
            "q": self.q,
            "cursor": self.cursor,
            "tcursor": self.tasks_cursor,
            "icursor": self.inspections_cursor,
        }
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v})


@dataclass(frozen=True)
class Row:
    case: Application
    permit_name: str
    state: str  # on_time | due_soon | overdue

    @property
    def state_name(self) -> str:
        return DEADLINE_ZH[self.state]


@dataclass
class Workbench:
    filters: Filters
    rows: list[Row]
    next_cursor: str | None
    permits: list[tuple[str, str]]
    departments: dict[str, str]
    tasks: list[tuple[review_repo.Task, Application | None]] = field(default_factory=list)
    inspections: list[tuple[inspection_repo.Inspection, Application | None]] = field(
        default_factory=list
    )
    shows_tasks: bool = False
    shows_inspections: bool = False
    tasks_next: str | None = None
    inspections_next: str | None = None


def parse_filters(params: Any) -> Filters:
    """The GET form's values, checked as strictly as the API's query parameters."""
    status = params.get("status") or ""
    if status and status not in QUEUE_STATUSES:
        raise FormProblem("办件状态筛选条件无效。", "status")
    department, permit = params.get("department") or "", params.get("permit") or ""
    for value in (department, permit):
        if value and not _SLUG.match(value):
            raise FormProblem("部门或许可事项筛选条件无效。", "department")
    q = (params.get("q") or "").strip()
    if len(q) > 100 or _CONTROL.search(q):
        raise FormProblem("搜索内容最多 100 个字，且不能含控制字符。", "q")
    cursors = [params.get(name) or "" for name in ("cursor", "tcursor", "icursor")]
    for cursor in cursors:
        if len(cursor) > 200:
            raise FormProblem("分页游标无效，请从第一页重新查询。", "cursor")
        if cursor:
            decode_cursor(cursor)  # a cursor no page made is a 400, whoever's list it names
    return Filters(
        status,
        department,
        permit,
        params.get("overdue") == "1",
        params.get("mine") == "1",
        q,
        *cursors,
    )


def _state(due: date | None, today: date, calendar: Any) -> str:
    if due is None or (due >= today and working_days_between(today, due, calendar) > DUE_SOON_DAYS):
        return "on_time"
    return "overdue" if due < today else "due_soon"


async def workbench(services: Services, principal: Principal, filters: Filters) -> Workbench:
    after = decode_cursor(filters.cursor) if filters.cursor else None
    cases = await list_queue(
        services,
        principal,
        QueueFilter(
            department=filters.department or None,
            status=filters.status or None,
            assignee="me" if filters.mine else None,
            overdue=filters.overdue,
            permit_code=filters.permit or None,
            search=filters.q or None,
        ),
        after,
        PAGE_SIZE + 1,
    )
    page, more = cases[:PAGE_SIZE], len(cases) > PAGE_SIZE
    today, calendar = local_date(services.clock.now()), await services.calendar.calendar()
    published = await services.catalogue.all_current()
    names = {p.spec.code: p.spec.name for p in published}
    bench = Workbench(
        filters=filters,
        rows=[
            Row(c, names.get(c.permit_code, c.permit_code), _state(c.next_due, today, calendar))
            for c in page
        ],
        next_cursor=encode_cursor(page[-1].next_due, page[-1].id)  # type: ignore[arg-type]
        if more
        else None,
        permits=[(p.spec.code, p.spec.name) for p in published],
        departments=await account_repo.department_names(),
    )
    if principal.department and principal.has(Role.REVIEWER, Role.DEPARTMENT_HEAD):
        # as GET /api/review-tasks: the department's open tasks, keyset on (due_on, id)
        bench.shows_tasks = True
        after = decode_cursor(filters.tasks_cursor) if filters.tasks_cursor else None
        tasks = await review_repo.pending_for_department(principal.department, after, LIST_SIZE + 1)
        if len(tasks) > LIST_SIZE:
            tasks = tasks[:LIST_SIZE]
            bench.tasks_next = encode_cursor(tasks[-1].due_on, tasks[-1].id)
        task_cases = await app_repo.applications_by_id([t.application_id for t in tasks])
        bench.tasks = [(t, task_cases.get(t.application_id)) for t in tasks]
    if principal.has(Role.INSPECTOR):
        bench.shows_inspections = True
        after = decode_cursor(filters.inspections_cursor) if filters.inspections_cursor else None
        found = await inspection_repo.open_for_inspector(principal.account_id, after, LIST_SIZE + 1)
        shown = found[:LIST_SIZE]
        inspected = await app_repo.applications_by_id([i.application_id for i in shown])
        bench.inspections = [(i, inspected.get(i.application_id)) for i in shown]
        last = bench.inspections[-1][1] if bench.inspections else None
        if len(found) > LIST_SIZE and last is not None and last.next_due is not None:
            bench.inspections_next = encode_cursor(last.next_due, last.id)
    return bench
