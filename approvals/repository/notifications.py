"""Messages to accounts: the holder is told of every change to their certificates."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from approvals.persistence.statements import WriteBatch
from approvals.repository.codec import as_utc, as_uuid
from approvals.tables import Notification


@dataclass(frozen=True)
class Message:
    id: uuid.UUID
    recipient_id: uuid.UUID
    subject: str
    title: str
    body: str
    created_at: datetime
    read_at: datetime | None = None


def stage_message(batch: WriteBatch, message: Message) -> None:
    batch.add(
        Notification,
        {
            "id": message.id,
            "recipient": message.recipient_id,
            "subject": message.subject,
            "title": message.title,
            "body": message.body,
            "created_at": message.created_at,
            "read_at": None,
        },
    )


def _message(row: dict[str, Any]) -> Message:
    return Message(
        id=as_uuid(row["id"]),
        recipient_id=as_uuid(row["recipient"]),
        subject=row["subject"],
        title=row["title"],
        body=row["body"],
        created_at=as_utc(row["created_at"]),
        read_at=as_utc(row["read_at"]) if row["read_at"] else None,
    )


async def messages_for(recipient_id: uuid.UUID, limit: int = 50) -> list[Message]:
    rows = (
        await Notification.select()
        .where(Notification.recipient == recipient_id)
        .order_by(Notification.created_at, ascending=False)
        .limit(limit)
    )
    return [_message(row) for row in rows]


async def mark_read(recipient_id: uuid.UUID, message_id: uuid.UUID, at: datetime) -> bool:
    rows = (
        await Notification.update({Notification.read_at: at})
        .where((Notification.id == message_id) & (Notification.recipient == recipient_id))
        .returning(Notification.id)
    )
    return bool(rows)
