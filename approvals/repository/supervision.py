"""Supervision items: one per pushed approval event and supervision department."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from approvals.persistence.statements import WriteBatch, fetch
from approvals.repository.codec import as_date, as_utc_any, as_uuid
from approvals.tables import SupervisionItem


@dataclass(frozen=True)
class Item:
    id: uuid.UUID
    event_id: uuid.UUID
    event_name: str
    application_id: uuid.UUID
    certificate_id: uuid.UUID | None
    permit_code: str
    department: str
    title: str
    holder_name: str
    status: str  # pending | claimed | returned | closed
    pushed_at: datetime
    claim_due: date
    claimed_by: str
    claimed_by_name: str
    claimed_at: datetime | None
    returned_reason: str
    returned_at: datetime | None
    result: str
    feedback: str
    closed_at: datetime | None
    reminded_at: datetime | None
    escalated_at: datetime | None
    supervised_at: datetime | None
    row_version: int


def _when(value: Any) -> datetime | None:
    return as_utc_any(value) if value else None


def _item(r: dict[str, Any]) -> Item:
    return Item(
        id=as_uuid(r["id"]),
        event_id=as_uuid(r["event_id"]),
        event_name=r["event_name"],
        application_id=as_uuid(r["application"]),
        certificate_id=as_uuid(r["certificate"]) if r["certificate"] else None,
        permit_code=r["permit_code"],
        department=r["department"],
        title=r["title"],
        holder_name=r["holder_name"],
        status=r["status"],
        pushed_at=as_utc_any(r["pushed_at"]),
        claim_due=as_date(r["claim_due"]),
        claimed_by=r["claimed_by"],
        claimed_by_name=r["claimed_by_name"],
        claimed_at=_when(r["claimed_at"]),
        returned_reason=r["returned_reason"],
        returned_at=_when(r["returned_at"]),
        result=r["result"],
        feedback=r["feedback"],
        closed_at=_when(r["closed_at"]),
        reminded_at=_when(r["reminded_at"]),
        escalated_at=_when(r["escalated_at"]),
        supervised_at=_when(r["supervised_at"]),
        row_version=int(r["row_version"]),
    )


def stage_item(
    batch: WriteBatch,
    *,
    event_id: uuid.UUID,
    event_name: str,
    application_id: uuid.UUID,
    certificate_id: uuid.UUID | None,
    permit_code: str,
    department: str,
    title: str,
    holder_name: str,
    pushed_at: datetime,
    claim_due: date,
) -> None:
    batch.add(
        SupervisionItem,
        {
            "id": uuid.uuid4(),
            "event_id": event_id,
            "event_name": event_name,
            "application": application_id,
            "certificate": certificate_id,
            "permit_code": permit_code,
            "department": department,
            "title": title,
            "holder_name": holder_name,
            "status": "pending",
            "pushed_at": pushed_at,
            "claim_due": claim_due,
            "row_version": 1,
        },
    )


async def get(item_id: uuid.UUID) -> Item | None:
    rows = await fetch("SELECT * FROM supervision_item WHERE id = :id", id=item_id)
    return _item(rows[0]) if rows else None


async def of_application(application_id: uuid.UUID) -> list[Item]:
    rows = await fetch(
        "SELECT * FROM supervision_item WHERE application = :app ORDER BY pushed_at, department",
        app=application_id,
    )
    return [_item(r) for r in rows]


async def listing(
    *,
    department: str | None,
    status: str | None,
    due_before: date | None,
    after: tuple[date, uuid.UUID] | None,
    limit: int,
) -> list[Item]:
    """A department's items, the most urgent claim first (keyset on claim_due, id)."""
    where = ["1 = 1"]
    params: dict[str, Any] = {"limit": limit}
    if department is not None:
        where.append("department = :department")
        params["department"] = department
    if status is not None:
        where.append("status = :status")
        params["status"] = status
    if due_before is not None:
        where.append("claim_due < :due_before")
        params["due_before"] = due_before
    if after is not None:
        where.append("(claim_due, id) > (:after_due, :after_id)")
        params.update(after_due=after[0], after_id=after[1])
    rows = await fetch(
        f"SELECT * FROM supervision_item WHERE {' AND '.join(where)}"
        " ORDER BY claim_due, id LIMIT :limit",
        **params,
    )
    return [_item(r) for r in rows]


async def claim(item_id: uuid.UUID, by: str, by_name: str, at: datetime) -> bool:
    """Exactly one claimant: only a pending item can be claimed."""
    rows = await fetch(
        "UPDATE supervision_item SET status = 'claimed', claimed_by = :by,"
        " claimed_by_name = :by_name, claimed_at = :at, row_version = row_version + 1"
        " WHERE id = :id AND status = 'pending' RETURNING id",
        id=item_id,
        by=by,
        by_name=by_name,
        at=at,
    )
    return bool(rows)


async def set_returned(item: Item, reason: str, at: datetime) -> bool:
    rows = await fetch(
        "UPDATE supervision_item SET status = 'returned', returned_reason = :reason,"
        " returned_at = :at, row_version = row_version + 1"
        " WHERE id = :id AND row_version = :version AND status IN ('pending', 'claimed')"
        " RETURNING id",
        id=item.id,
        reason=reason,
        at=at,
        version=item.row_version,
    )
    return bool(rows)


async def reassign(item: Item, department: str, claim_due: date, at: datetime) -> bool:
    rows = await fetch(
        "UPDATE supervision_item SET department = :department, status = 'pending',"
        " claim_due = :due, claimed_by = '', claimed_by_name = '', claimed_at = NULL,"
        " reminded_at = NULL, escalated_at = NULL, supervised_at = NULL, pushed_at = :at,"
        " row_version = row_version + 1"
        " WHERE id = :id AND row_version = :version AND status = 'returned' RETURNING id",
        id=item.id,
        department=department,
        due=claim_due,
        at=at,
        version=item.row_version,
    )
    return bool(rows)


async def close(item: Item, result: str, feedback: str, at: datetime) -> bool:
    rows = await fetch(
        "UPDATE supervision_item SET status = 'closed', result = :result, feedback = :feedback,"
        " closed_at = :at, row_version = row_version + 1"
        " WHERE id = :id AND row_version = :version AND status = 'claimed' RETURNING id",
        id=item.id,
        result=result,
        feedback=feedback,
        at=at,
        version=item.row_version,
    )
    return bool(rows)


# -- the claim-deadline sweep --------------------------------------------------------------

_MARKS = {"reminded": "reminded_at", "escalated": "escalated_at", "supervised": "supervised_at"}


async def unclaimed_due(before_or_on: date, mark: str, *, only_on: bool = False) -> list[Item]:
    """Pending items whose claim is due on or before a day (``only_on``: on that day) and
    not yet given ``mark``."""
    column = _MARKS[mark]
    rows = await fetch(
        "SELECT * FROM supervision_item WHERE status = 'pending'"
        f" AND claim_due {'=' if only_on else '<='} :day"
        f" AND {column} IS NULL ORDER BY claim_due, id LIMIT 500",
        day=before_or_on,
    )
    return [_item(r) for r in rows]


async def set_mark(item_id: uuid.UUID, mark: str, at: datetime) -> bool:
    """Compare-and-set: each mark is given once, by one process."""
    column = _MARKS[mark]
    rows = await fetch(
        f"UPDATE supervision_item SET {column} = :at WHERE id = :id AND {column} IS NULL"
        " AND status = 'pending' RETURNING id",
        id=item_id,
        at=at,
    )
    return bool(rows)
