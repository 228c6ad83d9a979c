"""Subscriptions, deliveries and their attempts; the event feed.

Fan-out turns committed outbox rows into one delivery per interested subscription. One
fan-out runs at a time (an advisory lock on PostgreSQL, the single writer on SQLite), so
the deliveries of one (subscription, partition) are numbered in event order; a delivery
is sent only when no earlier one of its partition is still pending, which keeps that
order on the wire. Workers lease due deliveries — ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, the write lock on SQLite — for a bounded time, so a worker that dies only
delays its deliveries until the lease runs out.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from piccolo.engine.postgres import PostgresEngine

from approvals.domain.delivery import (
    DeliveryStatus,
    SigningSecret,
    Subscription,
    SubscriptionStatus,
)
from approvals.persistence.engine import current_engine
from approvals.persistence.statements import WriteBatch, fetch
from approvals.repository.codec import as_utc_any, as_uuid, from_json, to_json
from approvals.tables import DeliveryAttempt
from certs.keys import decrypt_blob, encrypt_blob

FANOUT_LOCK = 7_146_010  # pg advisory lock key: one fan-out at a time


def _is_postgres() -> bool:
    return isinstance(current_engine(), PostgresEngine)


# -- subscriptions ---------------------------------------------------------------------------


class _StoredSecret(msgspec.Struct):
    secret: str
    created_at: datetime
    not_after: datetime | None = None


def _aad(subscription_id: uuid.UUID) -> bytes:
    return b"subscription:" + str(subscription_id).encode()


def seal_secrets(
    subscription_id: uuid.UUID, secrets: Sequence[SigningSecret], master: bytes
) -> bytes:
    plain = msgspec.json.encode(
        [_StoredSecret(s.secret, s.created_at, s.not_after) for s in secrets]
    )
    return encrypt_blob(plain, master, aad=_aad(subscription_id))


def _open_secrets(subscription_id: uuid.UUID, blob: Any, master: bytes) -> list[SigningSecret]:
    plain = decrypt_blob(bytes(blob), master, aad=_aad(subscription_id), what="signing secrets")
    stored = msgspec.json.decode(plain, type=list[_StoredSecret])
    return [SigningSecret(s.secret, s.created_at, s.not_after) for s in stored]


def _subscription(row: dict[str, Any], master: bytes) -> Subscription:
    sid = as_uuid(row["id"])
    return Subscription(
        id=sid,
        department=row["department"],
        name=row["name"],
        url=row["url"],
        event_types=from_json(row["event_types"]),
        secrets=_open_secrets(sid, row["secrets"], master),
        rate_limit_per_s=int(row["rate_limit_per_s"]),
        status=SubscriptionStatus(row["status"]),
        disabled_reason=row["disabled_reason"],
        created_at=as_utc_any(row["created_at"]),
        updated_at=as_utc_any(row["updated_at"]),
        row_version=int(row["row_version"]),
    )


async def insert_subscription(sub: Subscription, master: bytes) -> None:
    await fetch(
        "INSERT INTO subscription (id, department, name, url, event_types, secrets,"
        " rate_limit_per_s, status, disabled_reason, created_at, updated_at, row_version)"
        " VALUES (:id, :department, :name, :url, :event_types, :secrets, :rate, :status,"
        " :reason, :created_at, :updated_at, 1)",
        id=sub.id,
        department=sub.department,
        name=sub.name,
        url=sub.url,
        event_types=to_json(sub.event_types),
        secrets=seal_secrets(sub.id, sub.secrets, master),
        rate=sub.rate_limit_per_s,
        status=str(sub.status),
        reason=sub.disabled_reason,
        created_at=sub.created_at,
        updated_at=sub.updated_at,
    )


async def update_subscription(sub: Subscription, expected_version: int, master: bytes) -> bool:
    """Compare-and-set on ``row_version``: False if someone changed it first."""
    rows = await fetch(
        "UPDATE subscription SET name = :name, url = :url, event_types = :event_types,"
        " secrets = :secrets, rate_limit_per_s = :rate, status = :status,"
        " disabled_reason = :reason, updated_at = :updated_at, row_version = row_version + 1"
        " WHERE id = :id AND row_version = :version RETURNING id",
        id=sub.id,
        name=sub.name,
        url=sub.url,
        event_types=to_json(sub.event_types),
        secrets=seal_secrets(sub.id, sub.secrets, master),
        rate=sub.rate_limit_per_s,
        status=str(sub.status),
        reason=sub.disabled_reason,
        updated_at=sub.updated_at,
        version=expected_version,
    )
    return bool(rows)


async def disable_gone(subscription_id: uuid.UUID, reason: str, at: datetime) -> bool:
    rows = await fetch(
        "UPDATE subscription SET status = 'disabled', disabled_reason = :reason,"
        " updated_at = :at, row_version = row_version + 1"
        " WHERE id = :id AND status = 'active' RETURNING id",
        id=subscription_id,
        reason=reason,
        at=at,
    )
    return bool(rows)


async def subscription_by_id(subscription_id: uuid.UUID, master: bytes) -> Subscription | None:
    rows = await fetch("SELECT * FROM subscription WHERE id = :id", id=subscription_id)
    return _subscription(rows[0], master) if rows else None


async def subscriptions(master: bytes, department: str | None = None) -> list[Subscription]:
    if department is None:
        rows = await fetch("SELECT * FROM subscription ORDER BY department, created_at")
    else:
        rows = await fetch(
            "SELECT * FROM subscription WHERE department = :d ORDER BY created_at", d=department
        )
    return [_subscription(r, master) for r in rows]


# -- fan-out -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingEvent:
    id: int
    event_id: uuid.UUID
    type: str
    partition_key: str
    permit_code: str


async def try_fanout_lock() -> bool:
    """Inside a transaction: whether this process may fan out now (PostgreSQL)."""
    if not _is_postgres():
        return True  # the write transaction already excludes every other writer
    rows = await fetch("SELECT pg_try_advisory_xact_lock(:key) AS got", key=FANOUT_LOCK)
    return bool(rows[0]["got"])


async def unfanned_events(limit: int) -> list[PendingEvent]:
    rows = await fetch(
        "SELECT id, event_id, type, partition_key, permit_code FROM outbox_event"
        " WHERE fanned_out = :no ORDER BY id LIMIT :limit",
        no=False,
        limit=limit,
    )
    return [
        PendingEvent(
            int(r["id"]), as_uuid(r["event_id"]), r["type"], r["partition_key"], r["permit_code"]
        )
        for r in rows
    ]


async def mark_fanned(event_ids: Sequence[int]) -> None:
    if not event_ids:
        return
    id_list = ", ".join(str(int(i)) for i in event_ids)  # integers from our own SELECT
    await fetch(f"UPDATE outbox_event SET fanned_out = :yes WHERE id IN ({id_list})", yes=True)


def stage_deliveries(
    batch: WriteBatch, pairs: Sequence[tuple[uuid.UUID, PendingEvent]], now: datetime
) -> None:
    from approvals.tables import Delivery

    batch.add_many(
        Delivery,
        [
            {
                "subscription": sub_id,
                "event": event.id,
                "event_id": event.event_id,
                "partition_key": event.partition_key,
                "status": str(DeliveryStatus.PENDING),
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for sub_id, event in pairs
        ],
    )


async def refresh_statistics() -> None:
    """Re-analyse the delivery table (PostgreSQL; SQLite plans by its indexes alone)."""
    if _is_postgres():
        await fetch("ANALYZE delivery")


# -- leasing and recording -----------------------------------------------------------------


@dataclass(frozen=True)
class Leased:
    id: int
    subscription_id: uuid.UUID
    event_id: uuid.UUID
    attempts: int
    type: str
    subject: str
    partition_key: str
    time: datetime
    data: Any  # the event's data, already JSON-decoded


_DUE = (
    "d.status = 'pending' AND d.next_attempt_at <= :now"
    " AND (d.lease_until IS NULL OR d.lease_until < :now)"
    " AND d.subscription IN (SELECT id FROM subscription WHERE status = 'active')"
    " AND NOT EXISTS (SELECT 1 FROM delivery e WHERE e.subscription = d.subscription"
    " AND e.partition_key = d.partition_key AND e.status = 'pending' AND e.id < d.id)"
)


async def lease_due(now: datetime, until: datetime, worker: str, limit: int) -> list[Leased]:
    """Take up to ``limit`` due deliveries (the head of each partition) for this worker."""
    if _is_postgres():
        rows = await fetch(
            "WITH picked AS (SELECT d.id FROM delivery d WHERE "
            + _DUE
            + " ORDER BY d.next_attempt_at, d.id LIMIT :limit FOR UPDATE SKIP LOCKED)"
            " UPDATE delivery SET lease_until = :until, leased_by = :worker"
            " FROM picked WHERE delivery.id = picked.id RETURNING delivery.id",
            now=now,
            until=until,
            worker=worker,
            limit=limit,
        )
    else:
        rows = await fetch(
            "UPDATE delivery SET lease_until = :until, leased_by = :worker WHERE id IN"
            " (SELECT d.id FROM delivery d WHERE "
            + _DUE
            + " ORDER BY d.next_attempt_at, d.id LIMIT :limit) RETURNING id",
            now=now,
            until=until,
            worker=worker,
            limit=limit,
        )
    ids = [int(r["id"]) for r in rows]
    if not ids:
        return []
    return await _leased(ids)


async def _leased(ids: list[int]) -> list[Leased]:
    id_list = ", ".join(str(i) for i in ids)  # integers from our own RETURNING
    rows = await fetch(
        "SELECT d.id, d.subscription, d.event_id, d.attempts, o.type, o.subject,"
        " o.partition_key, o.time, o.data FROM delivery d JOIN outbox_event o ON o.id = d.event"
        f" WHERE d.id IN ({id_list}) ORDER BY d.id"
    )
    return [
        Leased(
            id=int(r["id"]),
            subscription_id=as_uuid(r["subscription"]),
            event_id=as_uuid(r["event_id"]),
            attempts=int(r["attempts"]),
            type=r["type"],
            subject=r["subject"],
            partition_key=r["partition_key"],
            time=as_utc_any(r["time"]),
            data=from_json(r["data"]),
        )
        for r in rows
    ]


async def record_attempt(
    delivery_id: int,
    batch: WriteBatch,
    *,
    worker: str,
    attempt: int,
    at: datetime,
    status_code: int | None,
    error: str,
    duration_ms: int,
    new_status: DeliveryStatus,
    next_attempt_at: datetime | None,
) -> bool:
    """The delivery's new state now and its attempt row into ``batch`` (the caller commits
    both in its transaction); False if the lease was lost (another worker took the delivery
    over after this one's lease ran out), and then nothing is written."""
    rows = await fetch(
        "UPDATE delivery SET status = :status, attempts = :attempt, lease_until = NULL,"
        " leased_by = '', last_status = :code, last_error = :error,"
        " next_attempt_at = COALESCE(:next_at, next_attempt_at),"
        " delivered_at = COALESCE(:delivered_at, delivered_at),"
        " dead_at = COALESCE(:dead_at, dead_at)"
        " WHERE id = :id AND leased_by = :worker AND status = 'pending' RETURNING id",
        status=str(new_status),
        attempt=attempt,
        code=status_code,
        error=error,
        next_at=next_attempt_at,
        delivered_at=at if new_status is DeliveryStatus.DELIVERED else None,
        dead_at=at if new_status is DeliveryStatus.DEAD else None,
        id=delivery_id,
        worker=worker,
    )
    if not rows:
        return False
    batch.add(
        DeliveryAttempt,
        {
            "delivery": delivery_id,
            "attempt": attempt,
            "at": at,
            "worker": worker,
            "status_code": status_code,
            "error": error,
            "duration_ms": duration_ms,
        },
    )
    return True


# -- staff views: dead letters, replay, attempts ---------------------------------------------


@dataclass(frozen=True)
class DeliveryView:
    id: int
    subscription_id: uuid.UUID
    department: str
    event_id: uuid.UUID
    type: str
    subject: str
    status: str
    attempts: int
    last_status: int | None
    last_error: str
    next_attempt_at: datetime
    created_at: datetime
    delivered_at: datetime | None
    dead_at: datetime | None


def _view(r: dict[str, Any]) -> DeliveryView:
    return DeliveryView(
        id=int(r["id"]),
        subscription_id=as_uuid(r["subscription"]),
        department=r["department"],
        event_id=as_uuid(r["event_id"]),
        type=r["type"],
        subject=r["subject"],
        status=r["status"],
        attempts=int(r["attempts"]),
        last_status=int(r["last_status"]) if r["last_status"] is not None else None,
        last_error=r["last_error"],
        next_attempt_at=as_utc_any(r["next_attempt_at"]),
        created_at=as_utc_any(r["created_at"]),
        delivered_at=as_utc_any(r["delivered_at"]) if r["delivered_at"] else None,
        dead_at=as_utc_any(r["dead_at"]) if r["dead_at"] else None,
    )


_VIEW = (
    "SELECT d.id, d.subscription, s.department, d.event_id, o.type, o.subject, d.status,"
    " d.attempts, d.last_status, d.last_error, d.next_attempt_at, d.created_at,"
    " d.delivered_at, d.dead_at FROM delivery d JOIN subscription s ON s.id = d.subscription"
    " JOIN outbox_event o ON o.id = d.event"
)


async def deliveries(
    *,
    status: str | None,
    subscription_id: uuid.UUID | None,
    department: str | None,
    after_id: int | None,
    limit: int,
) -> list[DeliveryView]:
    where = ["1 = 1"]
    params: dict[str, Any] = {"limit": limit}
    if status is not None:
        where.append("d.status = :status")
        params["status"] = status
    if subscription_id is not None:
        where.append("d.subscription = :sub")
        params["sub"] = subscription_id
    if department is not None:
        where.append("s.department = :dept")
        params["dept"] = department
    if after_id is not None:
        where.append("d.id > :after")
        params["after"] = after_id
    rows = await fetch(f"{_VIEW} WHERE {' AND '.join(where)} ORDER BY d.id LIMIT :limit", **params)
    return [_view(r) for r in rows]


async def delivery_by_id(delivery_id: int) -> DeliveryView | None:
    rows = await fetch(f"{_VIEW} WHERE d.id = :id", id=delivery_id)
    return _view(rows[0]) if rows else None


@dataclass(frozen=True)
class AttemptView:
    attempt: int
    at: datetime
    worker: str
    status_code: int | None
    error: str
    duration_ms: int


async def attempts_of(delivery_id: int) -> list[AttemptView]:
    rows = await fetch(
        "SELECT attempt, at, worker, status_code, error, duration_ms FROM delivery_attempt"
        " WHERE delivery = :id ORDER BY attempt, id",
        id=delivery_id,
    )
    return [
        AttemptView(
            int(r["attempt"]),
            as_utc_any(r["at"]),
            r["worker"],
            int(r["status_code"]) if r["status_code"] is not None else None,
            r["error"],
            int(r["duration_ms"]),
        )
        for r in rows
    ]


async def replay(
    *, delivery_ids: Sequence[int] | None, subscription_id: uuid.UUID | None, now: datetime
) -> int:
    """Dead deliveries back to pending, due now, with a fresh schedule; how many."""
    where = "status = 'dead'"
    params: dict[str, Any] = {"now": now}
    if delivery_ids is not None:
        if not delivery_ids:
            return 0
        where += f" AND id IN ({', '.join(str(int(i)) for i in delivery_ids)})"
    if subscription_id is not None:
        where += " AND subscription = :sub"
        params["sub"] = subscription_id
    rows = await fetch(
        "UPDATE delivery SET status = 'pending', attempts = 0, next_attempt_at = :now,"
        f" dead_at = NULL, lease_until = NULL, leased_by = '' WHERE {where} RETURNING id",
        **params,
    )
    return len(rows)


# -- the pull feed ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedEvent:
    tx: int
    id: int
    event_id: uuid.UUID
    type: str
    subject: str
    partition_key: str
    permit_code: str
    time: datetime
    data: Any


def encode_feed_cursor(tx: int, event: int) -> str:
    return base64.urlsafe_b64encode(f"e1.{tx}.{event}".encode()).decode().rstrip("=")


def decode_feed_cursor(cursor: str) -> tuple[int, int] | None:
    """(tx, id), or None if the text is not a cursor this service made."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        tag, tx, event = text.split(".")
        values = int(tx), int(event)
    except (ValueError, UnicodeDecodeError):
        return None
    if tag != "e1" or not all(0 <= v < 2**62 for v in values):
        return None
    return values


async def feed(
    after: tuple[int, int] | None, permit_codes: Sequence[str] | None, limit: int
) -> list[FeedEvent]:
    """Committed events after the cursor, in an order no later commit can precede."""
    where = []
    params: dict[str, Any] = {"limit": limit}
    if after is not None:
        where.append("(tx, id) > (:after_tx, :after_id)")
        params.update(after_tx=after[0], after_id=after[1])
    if _is_postgres():
        # (CAST, not ::, which the :name placeholders would take for a parameter)
        where.append("tx < CAST(CAST(pg_snapshot_xmin(pg_current_snapshot()) AS text) AS bigint)")
    if permit_codes is not None:
        if not permit_codes:
            return []
        names = []
        for i, code in enumerate(permit_codes):
            params[f"p{i}"] = code
            names.append(f":p{i}")
        where.append(f"permit_code IN ({', '.join(names)})")
    clause = " AND ".join(where) or "1 = 1"
    rows = await fetch(
        "SELECT tx, id, event_id, type, subject, partition_key, permit_code, time, data"
        f" FROM outbox_event WHERE {clause} ORDER BY tx, id LIMIT :limit",
        **params,
    )
    return [
        FeedEvent(
            int(r["tx"]),
            int(r["id"]),
            as_uuid(r["event_id"]),
            r["type"],
            r["subject"],
            r["partition_key"],
            r["permit_code"],
            as_utc_any(r["time"]),
            from_json(r["data"]),
        )
        for r in rows
    ]
