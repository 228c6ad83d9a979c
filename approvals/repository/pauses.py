"""Clock pauses: the ledger of deducted time (行政许可法 art. 45)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from approvals.domain.clocks import Pause, PauseReason
from approvals.repository.codec import as_date, as_uuid
from approvals.tables import ClockPause


async def pauses_of(application_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = (
        await ClockPause.select()
        .where(ClockPause.application == application_id)
        .order_by(ClockPause.started_on)
    )
    for row in rows:
        row["started_on"] = as_date(row["started_on"])
        row["ended_on"] = as_date(row["ended_on"]) if row["ended_on"] else None
        row["id"] = as_uuid(row["id"])
    return list(rows)


def as_pauses(rows: list[dict[str, Any]]) -> list[Pause]:
    return [Pause(PauseReason(r["reason"]), r["started_on"], r["ended_on"]) for r in rows]


async def open_pause(
    application_id: uuid.UUID, reason: PauseReason, started_on: date, by: str, note: str = ""
) -> None:
    await ClockPause.insert(
        ClockPause(
            id=uuid.uuid4(),
            application=application_id,
            reason=reason.value,
            note=note,
            started_on=started_on,
            ended_on=None,
            started_by=by,
        )
    )


async def close_pauses(
    application_id: uuid.UUID, reason: PauseReason, ended_on: date, by: str
) -> int:
    rows = (
        await ClockPause.update({ClockPause.ended_on: ended_on, ClockPause.ended_by: by})
        .where(
            (ClockPause.application == application_id)
            & (ClockPause.reason == reason.value)
            & ClockPause.ended_on.is_null()
        )
        .returning(ClockPause.id)
    )
    return len(rows)
