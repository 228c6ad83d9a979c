"""JSON and time helpers shared by the repository modules."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import msgspec

_encoder = msgspec.json.Encoder(order="deterministic")
_decoder = msgspec.json.Decoder()


def to_json(value: Any) -> str:
    return _encoder.encode(value).decode()


def from_json(value: Any) -> Any:
    """JSONB comes back as text on both engines (or already decoded if a driver decodes it)."""
    if isinstance(value, (str, bytes)):
        return _decoder.decode(value)
    return value


def as_utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def as_utc_any(value: Any) -> datetime:
    """A timestamp from a raw statement: SQLite hands back text, PostgreSQL a datetime."""
    if isinstance(value, datetime):
        return as_utc(value)
    return as_utc(datetime.fromisoformat(str(value)))
