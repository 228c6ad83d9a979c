"""Review tasks of the parallel review (并联审查)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from approvals.persistence.statements import WriteBatch, fetch
from approvals.repository.codec import as_date, as_utc_any, as_uuid, from_json, to_json
from approvals.tables import ReviewTask


@dataclass(frozen=True)
class Task:
    id: uuid.UUID
    application_id: uuid.UUID
    department: str
    name: str
    component: str
    status: str  # pending | passed | failed | inspect
    opinion: str
    items: list[str]
    decided_by_name: str
    decided_at: datetime | None
    due_on: date
    escalated_at: datetime | None
    row_version: int


def _task(row: dict[str, Any]) -> Task:
    return Task(
        id=as_uuid(row["id"]),
        application_id=as_uuid(row["application"]),
        department=row["department"],
        name=row["name"],
        component=row["component"],
        status=row["status"],
        opinion=row["opinion"],
        items=from_json(row["items"]),
        decided_by_name=row["decided_by_name"],
        decided_at=as_utc_any(row["decided_at"]) if row["decided_at"] else None,
        due_on=as_date(row["due_on"]),
        escalated_at=as_utc_any(row["escalated_at"]) if row["escalated_at"] else None,
        row_version=int(row["row_version"]),
    )


def stage_task(
    batch: WriteBatch,
    application_id: uuid.UUID,
    department: str,
    name: str,
    component: str,
    due_on: date,
) -> None:
    batch.add(
        ReviewTask,
        {
            "id": uuid.uuid4(),
            "application": application_id,
            "department": department,
            "name": name,
            "component": component,
            "status": "pending",
            "opinion": "",
            "items": "[]",
            "decided_by": "",
            "decided_by_name": "",
            "decided_at": None,
            "due_on": due_on,
            "escalated_at": None,
            "row_version": 1,
        },
    )


async def tasks_of(application_id: uuid.UUID) -> list[Task]:
    rows = await fetch(
        "SELECT * FROM review_task WHERE application = :app ORDER BY name", app=application_id
    )
    return [_task(r) for r in rows]


async def get_task(task_id: uuid.UUID) -> Task | None:
    rows = await fetch("SELECT * FROM review_task WHERE id = :id", id=task_id)
    return _task(rows[0]) if rows else None


async def decide_task(
    task: Task,
    *,
    status: str,
    opinion: str,
    items: list[str],
    by: str,
    by_name: str,
    at: datetime,
) -> bool:
    """Compare-and-set: a task is decided once."""
    rows = await fetch(
        "UPDATE review_task SET status = :status, opinion = :opinion, items = :items,"
        " decided_by = :by, decided_by_name = :by_name, decided_at = :at,"
        " row_version = row_version + 1"
        " WHERE id = :id AND status = 'pending' AND row_version = :version RETURNING id",
        status=status,
        opinion=opinion,
        items=to_json(items),
        by=by,
        by_name=by_name,
        at=at,
        id=task.id,
        version=task.row_version,
    )
    return bool(rows)


async def pending_for_department(
    department: str, after: tuple[date, uuid.UUID] | None, limit: int
) -> list[Task]:
    """A department's open tasks, most urgent first (keyset on due_on, id)."""
    where = "department = :dept AND status = 'pending'"
    params: dict[str, Any] = {"dept": department, "limit": limit}
    if after is not None:
        where += " AND (due_on, id) > (:due, :id)"
        params.update(due=after[0], id=after[1])
    rows = await fetch(
        f"SELECT * FROM review_task WHERE {where} ORDER BY due_on, id LIMIT :limit",
        **params,
    )
    return [_task(r) for r in rows]


async def overdue_unescalated(today: date) -> list[Task]:
    rows = await fetch(
        "SELECT * FROM review_task WHERE status = 'pending' AND due_on < :today"
        " AND escalated_at IS NULL",
        today=today,
    )
    return [_task(r) for r in rows]


async def mark_escalated(task_id: uuid.UUID, at: datetime) -> bool:
    rows = await fetch(
        "UPDATE review_task SET escalated_at = :at WHERE id = :id AND escalated_at IS NULL"
        " RETURNING id",
        at=at,
        id=task_id,
    )
    return bool(rows)
