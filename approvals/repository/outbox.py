"""Outbox rows: written in the business transaction, delivered after commit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from approvals.persistence.statements import WriteBatch
from approvals.repository.codec import to_json
from approvals.tables import OutboxEvent


@dataclass(frozen=True)
class OutgoingEvent:
    event_id: uuid.UUID
    type: str
    subject: str
    partition_key: str
    time: datetime
    data: dict[str, Any]
    permit_code: str = ""  # the case's permit type: which departments the event concerns


def stage_events(batch: WriteBatch, events: Sequence[OutgoingEvent]) -> None:
    for e in events:
        batch.add(
            OutboxEvent,
            {
                "event_id": e.event_id,
                "type": e.type,
                "subject": e.subject,
                "partition_key": e.partition_key,
                "time": e.time,
                "data": to_json(e.data),
                "permit_code": e.permit_code,
            },
        )
