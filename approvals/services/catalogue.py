"""The permit catalogue as published in the database, cached per process.

Definitions come from ``forms/catalogue/*.toml``; publishing stores each as a
new *version* only when its content changed, and an application records the
version it was filed under so that it is always judged by the rules it was
filed against.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

import msgspec

from approvals.domain.errors import not_found
from approvals.domain.events import DomainEvent
from approvals.repository import catalogue as repo
from approvals.services.audit_log import append_to_chain
from forms.catalogue import PermitType, commitment_text_digest, definition_digest


@dataclass(frozen=True)
class PublishedType:
    spec: PermitType
    version: int
    digest: str
    commitment_digest: str
    published_at: datetime


def _published(row: dict[str, object]) -> PublishedType:
    spec = msgspec.convert(row["definition"], type=PermitType)
    return PublishedType(
        spec=spec,
        version=int(row["version"]),  # type: ignore[call-overload]
        digest=str(row["digest"]),
        commitment_digest=commitment_text_digest(spec),
        published_at=row["published_at"],  # type: ignore[arg-type]
    )


async def publish_definitions(definitions: dict[str, PermitType], at: datetime) -> dict[str, int]:
    """Publish changed definitions; returns {code: new version} for those published."""
    published: dict[str, int] = {}
    for code, spec in sorted(definitions.items()):
        encoded = msgspec.json.encode(spec, order="deterministic").decode()
        digest = definition_digest(spec)
        version = await repo.publish(code, digest, encoded, at)
        if version is not None:
            published[code] = version
            await append_to_chain(
                f"catalogue:{code}",
                [
                    DomainEvent(
                        "catalogue.published",
                        at,
                        "system",
                        data={"version": version, "digest": digest},
                    )
                ],
                actor_id="",
                actor_name="系统初始化",
                target_type="catalogue_entry",
                target_id=f"{code}@{version}",
            )
    return published


class Catalogue:
    def __init__(self, refresh_seconds: float = 10.0) -> None:
        self._refresh = refresh_seconds
        self._loaded_at = -1e9
        self._current: dict[str, PublishedType] = {}
        self._versions: dict[tuple[str, int], PublishedType] = {}

    async def _load(self) -> None:
        if time.monotonic() - self._loaded_at < self._refresh:
            return
        current = {}
        for row in await repo.current_entries():
            published = _published(row)
            current[published.spec.code] = published
            self._versions[(published.spec.code, published.version)] = published
        self._current = current
        self._loaded_at = time.monotonic()

    async def all_current(self) -> list[PublishedType]:
        await self._load()
        return sorted(self._current.values(), key=lambda p: p.spec.code)

    async def current(self, code: str) -> PublishedType:
        await self._load()
        published = self._current.get(code)
        if published is None:
            raise not_found("该许可事项", "Permit type", "permit_code")
        return published

    async def at_version(self, code: str, version: int) -> PublishedType:
        cached = self._versions.get((code, version))
        if cached is not None:
            return cached
        row = await repo.entry(code, version)
        if row is None:
            raise not_found("该许可事项版本", "Permit type version", "permit_code")
        published = _published(row)
        self._versions[(code, version)] = published
        return published
