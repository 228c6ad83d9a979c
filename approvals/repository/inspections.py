"""The joint on-site inspection of a case."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from approvals.persistence.statements import WriteBatch, fetch
from approvals.repository.codec import as_date, as_utc_any, as_uuid, from_json, to_json
from approvals.tables import Inspection as InspectionRow


@dataclass
class Inspection:
    id: uuid.UUID
    application_id: uuid.UUID
    scheduled_for: datetime
    place: str
    inspectors: list[dict[str, str]]
    checklist: list[dict[str, Any]]
    signoffs: dict[str, dict[str, str]] = field(default_factory=dict)
    report: str = ""
    status: str = "scheduled"  # scheduled | completed
    outcome: str = ""  # passed | failed | rectification
    rectification_due: date | None = None
    row_version: int = 1


def _inspection(row: dict[str, Any]) -> Inspection:
    return Inspection(
        id=as_uuid(row["id"]),
        application_id=as_uuid(row["application"]),
        scheduled_for=as_utc_any(row["scheduled_for"]),
        place=row["place"],
        inspectors=from_json(row["inspectors"]),
        checklist=from_json(row["checklist"]),
        signoffs=from_json(row["signoffs"]),
        report=row["report"],
        status=row["status"],
        outcome=row["outcome"],
        rectification_due=as_date(row["rectification_due"]) if row["rectification_due"] else None,
        row_version=int(row["row_version"]),
    )


def _values(i: Inspection) -> dict[str, Any]:
    return {
        "scheduled_for": i.scheduled_for,
        "place": i.place,
        "inspectors": to_json(i.inspectors),
        "checklist": to_json(i.checklist),
        "signoffs": to_json(i.signoffs),
        "report": i.report,
        "status": i.status,
        "outcome": i.outcome,
        "rectification_due": i.rectification_due,
    }


def stage_inspection(batch: WriteBatch, i: Inspection) -> None:
    batch.add(
        InspectionRow,
        {"id": i.id, "application": i.application_id, **_values(i), "row_version": i.row_version},
    )


async def of_application(application_id: uuid.UUID) -> Inspection | None:
    rows = await fetch("SELECT * FROM inspection WHERE application = :app", app=application_id)
    return _inspection(rows[0]) if rows else None


async def save(i: Inspection, expected_version: int) -> bool:
    """Compare-and-set on the inspection's version."""
    values = _values(i)
    sets = ", ".join(f"{k} = :{k}" for k in values)
    rows = await fetch(
        f"UPDATE inspection SET {sets}, row_version = :new WHERE id = :id"
        " AND row_version = :expected RETURNING id",
        **values,
        new=expected_version + 1,
        id=i.id,
        expected=expected_version,
    )
    if rows:
        i.row_version = expected_version + 1
    return bool(rows)


async def open_for_inspector(
    account_id: uuid.UUID, after: tuple[date, uuid.UUID] | None, limit: int
) -> list[Inspection]:
    """Open inspections (case in inspection or rectification) this account is appointed to,
    most urgent case first, keyset-paginated on the case's (next_due, id). The case's
    (status, next_due, id) index bounds the scan to open inspections and starts each page
    where the last one ended."""
    where = (
        "a.status IN ('inspection', 'rectification') AND a.next_due IS NOT NULL"
        " AND CAST(i.inspectors AS TEXT) LIKE :who"
    )
    params: dict[str, Any] = {"who": f'%"{account_id}"%', "limit": limit}
    if after is not None:
        where += " AND (a.next_due, a.id) > (:after_due, :after_id)"
        params.update(after_due=after[0], after_id=after[1])
    rows = await fetch(
        "SELECT i.* FROM application a JOIN inspection i ON i.application = a.id"
        f" WHERE {where} ORDER BY a.next_due, a.id LIMIT :limit",
        **params,
    )
    return [_inspection(r) for r in rows]
