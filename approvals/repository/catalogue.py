"""Published catalogue versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from approvals.repository.codec import from_json
from approvals.tables import CatalogueEntry


async def current_entries() -> list[dict[str, Any]]:
    rows = await CatalogueEntry.select().where(CatalogueEntry.is_current == True)  # noqa: E712
    for row in rows:
        row["definition"] = from_json(row["definition"])
    return list(rows)


async def entry(code: str, version: int) -> dict[str, Any] | None:
    rows = await CatalogueEntry.select().where(
        (CatalogueEntry.code == code) & (CatalogueEntry.version == version)
    )
    if not rows:
        return None
    rows[0]["definition"] = from_json(rows[0]["definition"])
    return dict(rows[0])


async def publish(code: str, digest: str, definition_json: str, at: datetime) -> int | None:
    """Publish a definition as the next version unless it is already current."""
    current = await CatalogueEntry.select(CatalogueEntry.version, CatalogueEntry.digest).where(
        (CatalogueEntry.code == code) & (CatalogueEntry.is_current == True)  # noqa: E712
    )
    if current and current[0]["digest"] == digest:
        return None
    version = (current[0]["version"] + 1) if current else 1
    await CatalogueEntry.update({CatalogueEntry.is_current: False}).where(
        CatalogueEntry.code == code
    )
    await CatalogueEntry.insert(
        CatalogueEntry(
            code=code,
            version=version,
            digest=digest,
            definition=definition_json,
            published_at=at,
            is_current=True,
        )
    )
    return version
