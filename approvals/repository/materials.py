"""Uploaded materials and credit records."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from approvals.domain.commitment import CreditBar
from approvals.persistence.statements import fetch
from approvals.repository.codec import as_date, as_utc, as_uuid
from approvals.tables import CreditRecord, Material


@dataclass(frozen=True)
class MaterialRecord:
    id: uuid.UUID
    owner_id: uuid.UUID
    sha256: str
    size: int
    content_type: str
    filename: str
    uploaded_at: datetime


def _material(row: dict[str, Any]) -> MaterialRecord:
    return MaterialRecord(
        id=as_uuid(row["id"]),
        owner_id=as_uuid(row["owner"]),
        sha256=row["sha256"],
        size=int(row["size"]),
        content_type=row["content_type"],
        filename=row["filename"],
        uploaded_at=as_utc(row["uploaded_at"]),
    )


async def insert_material(m: MaterialRecord) -> None:
    await Material.insert(
        Material(
            id=m.id,
            owner=m.owner_id,
            sha256=m.sha256,
            size=m.size,
            content_type=m.content_type,
            filename=m.filename,
            uploaded_at=m.uploaded_at,
        )
    )


async def materials_by_ids(ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, MaterialRecord]:
    if not ids:
        return {}
    rows = await Material.select().where(Material.id.is_in(list(ids)))
    return {m.id: m for m in map(_material, rows)}


async def get_material(material_id: uuid.UUID) -> MaterialRecord | None:
    rows = await Material.select().where(Material.id == material_id)
    return _material(rows[0]) if rows else None


async def active_credit_bar(holder_code: str, today: date) -> CreditBar | None:
    rows = await fetch(
        "SELECT reason, barred_until FROM credit_record WHERE holder_code = :code"
        " AND (barred_until IS NULL OR barred_until >= :today) LIMIT 1",
        code=holder_code,
        today=today,
    )
    if not rows:
        return None
    until = rows[0]["barred_until"]
    return CreditBar(reason=rows[0]["reason"], barred_until=as_date(until) if until else None)


async def insert_credit_record(
    *,
    holder_code: str,
    holder_name: str,
    reason: str,
    at: datetime,
    barred_until: date | None,
    source: str,
) -> None:
    await CreditRecord.insert(
        CreditRecord(
            id=uuid.uuid4(),
            holder_code=holder_code,
            holder_name=holder_name,
            reason=reason,
            recorded_at=at,
            barred_until=barred_until,
            source=source,
        )
    )
