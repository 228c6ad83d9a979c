"""Post-checks (事后核查) of commitment permits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from approvals.persistence.statements import WriteBatch, fetch
from approvals.repository.codec import as_date, as_utc_any, as_uuid, from_json, to_json
from approvals.tables import PostCheck


@dataclass(frozen=True)
class Check:
    id: uuid.UUID
    application_id: uuid.UUID
    certificate_id: uuid.UUID
    holder_id: uuid.UUID
    holder_code: str
    holder_name: str
    permit_code: str
    department: str
    due_on: date
    status: str
    checked_by_name: str
    finding: str
    evidence: list[str]
    correction_due: date | None
    statement_due: date | None
    statement: str
    statement_at: datetime | None
    decision_reasons: str
    decided_at: datetime | None
    overdue_at: datetime | None
    created_at: datetime
    row_version: int


def _check(r: dict[str, Any]) -> Check:
    return Check(
        id=as_uuid(r["id"]),
        application_id=as_uuid(r["application"]),
        certificate_id=as_uuid(r["certificate"]),
        holder_id=as_uuid(r["holder_id"]),
        holder_code=r["holder_code"],
        holder_name=r["holder_name"],
        permit_code=r["permit_code"],
        department=r["department"],
        due_on=as_date(r["due_on"]),
        status=r["status"],
        checked_by_name=r["checked_by_name"],
        finding=r["finding"],
        evidence=from_json(r["evidence"]),
        correction_due=as_date(r["correction_due"]) if r["correction_due"] else None,
        statement_due=as_date(r["statement_due"]) if r["statement_due"] else None,
        statement=r["statement"],
        statement_at=as_utc_any(r["statement_at"]) if r["statement_at"] else None,
        decision_reasons=r["decision_reasons"],
        decided_at=as_utc_any(r["decided_at"]) if r["decided_at"] else None,
        overdue_at=as_utc_any(r["overdue_at"]) if r["overdue_at"] else None,
        created_at=as_utc_any(r["created_at"]),
        row_version=int(r["row_version"]),
    )


def stage_check(
    batch: WriteBatch,
    *,
    application_id: uuid.UUID,
    certificate_id: uuid.UUID,
    holder_id: uuid.UUID,
    holder_code: str,
    holder_name: str,
    permit_code: str,
    department: str,
    due_on: date,
    at: datetime,
) -> None:
    batch.add(
        PostCheck,
        {
            "id": uuid.uuid4(),
            "application": application_id,
            "certificate": certificate_id,
            "holder_id": holder_id,
            "holder_code": holder_code,
            "holder_name": holder_name,
            "permit_code": permit_code,
            "department": department,
            "due_on": due_on,
            "status": "open",
            "evidence": "[]",
            "created_at": at,
            "row_version": 1,
        },
    )


async def get(check_id: uuid.UUID) -> Check | None:
    rows = await fetch("SELECT * FROM post_check WHERE id = :id", id=check_id)
    return _check(rows[0]) if rows else None


async def listing(
    *, department: str | None, holder_id: uuid.UUID | None, status: str | None, limit: int
) -> list[Check]:
    where = ["1 = 1"]
    params: dict[str, Any] = {"limit": limit}
    if department is not None:
        where.append("department = :department")
        params["department"] = department
    if holder_id is not None:
        where.append("holder_id = :holder")
        params["holder"] = holder_id
    if status is not None:
        where.append("status = :status")
        params["status"] = status
    rows = await fetch(
        f"SELECT * FROM post_check WHERE {' AND '.join(where)} ORDER BY due_on, id LIMIT :limit",
        **params,
    )
    return [_check(r) for r in rows]


async def of_application(application_id: uuid.UUID) -> list[Check]:
    """The post-checks of one case (a supervision item's page links to them)."""
    rows = await fetch(
        "SELECT * FROM post_check WHERE application = :app ORDER BY created_at, id",
        app=application_id,
    )
    return [_check(r) for r in rows]


async def update(check: Check, expected_from: tuple[str, ...], **changes: Any) -> bool:
    """Compare-and-set on version and status; ``changes`` are column values."""
    if "evidence" in changes:
        changes["evidence"] = to_json(changes["evidence"])
    sets = ", ".join(f"{column} = :{column}" for column in changes)
    allowed = ", ".join(f"'{s}'" for s in expected_from)  # our own constants
    rows = await fetch(
        f"UPDATE post_check SET {sets}, row_version = row_version + 1"
        f" WHERE id = :id AND row_version = :version AND status IN ({allowed}) RETURNING id",
        id=check.id,
        version=check.row_version,
        **changes,
    )
    return bool(rows)


async def late(today: date) -> list[Check]:
    """Open checks past their due day and correction orders past theirs, not yet flagged."""
    rows = await fetch(
        "SELECT * FROM post_check WHERE overdue_at IS NULL AND ("
        "(status = 'open' AND due_on < :today)"
        " OR (status = 'correction_ordered' AND correction_due < :today)) LIMIT 500",
        today=today,
    )
    return [_check(r) for r in rows]


async def flag_overdue(check: Check, at: datetime) -> bool:
    """Compare-and-set: flagged once, by one process, in the state it was found in."""
    rows = await fetch(
        "UPDATE post_check SET overdue_at = :at WHERE id = :id AND overdue_at IS NULL"
        " AND status = :status RETURNING id",
        id=check.id,
        at=at,
        status=check.status,
    )
    return bool(rows)
