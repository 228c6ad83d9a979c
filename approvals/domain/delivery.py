"""Pushing events to supervision systems: the rules, as plain functions.

Wire format (shared/REFERENCES.md §4): a CloudEvents 1.0 event in structured JSON mode,
signed per Standard Webhooks 1.0 (``webhook-id`` = the event id, stable across retries;
``webhook-timestamp``; ``webhook-signature``, one ``v1,…`` per valid secret during a
rotation). Only a 2xx answer is a delivery; time-outs, connection failures, 5xx and 429
are retried on a schedule of several days with jitter, honouring ``Retry-After``; a 410
means the receiver wants nothing more; any other answer is final and goes to the
dead-letter list, from which staff replay it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import random
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any, Final

import msgspec

SECRET_PREFIX: Final = "whsec_"  # noqa: S105 (a prefix, not a secret)
# The Standard Webhooks schedule: spans a long weekend (about 3 days in all).
RETRY_SCHEDULE: Final[tuple[timedelta, ...]] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
)
JITTER: Final = 0.2  # ± a fifth of each wait, so retries of one outage do not arrive at once
MAX_RETRY_AFTER: Final = timedelta(hours=24)
ERROR_TEXT_LIMIT: Final = 500


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


class Verdict(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    DEAD = "dead"  # final: a 4xx other than 408/409/425/429, or the schedule is exhausted
    GONE = "gone"  # 410: the receiver wants no more; the subscription is disabled


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    next_attempt_at: datetime | None
    error: str


# -- secrets and signatures ---------------------------------------------------------------


def new_secret() -> str:
    """A signing secret as Standard Webhooks writes them: ``whsec_`` + base64 of 32 bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_bytes(secret: str) -> bytes:
    """The key inside ``whsec_…``; ValueError if it is not 24–64 bytes of base64."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a signing secret starts with whsec_")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except ValueError as exc:
        raise ValueError("a signing secret is whsec_ followed by base64") from exc
    if not 24 <= len(key) <= 64:
        raise ValueError("a signing secret holds 24 to 64 bytes")
    return key


def sign(secrets_in_force: list[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header: one ``v1,…`` per secret in force (rotation)."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return " ".join(
        "v1," + base64.b64encode(hmac.digest(secret_bytes(s), signed, hashlib.sha256)).decode()
        for s in secrets_in_force
    )


def headers(secrets_in_force: list[str], msg_id: str, now: datetime, body: bytes) -> dict[str, str]:
    timestamp = int(now.timestamp())
    return {
        "content-type": "application/cloudevents+json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secrets_in_force, msg_id, timestamp, body),
    }


# -- the event on the wire -----------------------------------------------------------------


def cloudevent(
    *,
    event_id: str,
    source: str,
    type: str,
    subject: str,
    time: datetime,
    partition_key: str,
    data: Any,
) -> bytes:
    """Structured-mode CloudEvents 1.0 JSON; ``partitionkey`` is the ordering extension."""
    return msgspec.json.encode(
        {
            "specversion": "1.0",
            "id": event_id,
            "source": source,
            "type": type,
            "subject": subject,
            "time": time.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "datacontenttype": "application/json",
            "partitionkey": partition_key,
            "data": data,
        }
    )


def wants(event_types: list[str], event_type: str) -> bool:
    """Whether a subscription's patterns take a type: exact, or ``prefix.*``."""
    for pattern in event_types:
        if pattern == event_type or pattern == "*":
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


# -- what an answer means ---------------------------------------------------------------------

RETRYABLE_4XX: Final = frozenset({408, 409, 425, 429})


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """``Retry-After`` as seconds or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(timedelta(seconds=int(value)), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(when - now, timedelta(0)), MAX_RETRY_AFTER)


def backoff(
    attempts_made: int,
    schedule: tuple[timedelta, ...] = RETRY_SCHEDULE,
    rng: random.Random | None = None,
) -> timedelta | None:
    """The wait before the next attempt after ``attempts_made`` failures; None when spent."""
    if attempts_made > len(schedule):
        return None
    base = schedule[attempts_made - 1]
    factor = 1 + (rng or random).uniform(-JITTER, JITTER)
    return base * factor


def judge(
    *,
    status: int | None,
    error: str,
    retry_after_header: str | None,
    attempts_made: int,
    now: datetime,
    schedule: tuple[timedelta, ...] = RETRY_SCHEDULE,
) -> Outcome:
    """What to do after an attempt: ``status`` is None when no answer came (time-out,
    refused or dropped connection), with ``error`` saying what happened."""
    if status is not None and 200 <= status < 300:
        return Outcome(Verdict.DELIVERED, None, "")
    if status == 410:
        return Outcome(Verdict.GONE, None, "410 Gone: the receiver asked for no more events")
    reason = error if status is None else f"HTTP {status}" + (f": {error}" if error else "")
    reason = reason[:ERROR_TEXT_LIMIT]
    if status is not None and 400 <= status < 500 and status not in RETRYABLE_4XX:
        return Outcome(Verdict.DEAD, None, reason)
    wait = backoff(attempts_made, schedule)
    if wait is None:
        return Outcome(Verdict.DEAD, None, f"retries exhausted after {attempts_made}: {reason}")
    asked = retry_after(retry_after_header, now) if status in (429, 503) else None
    if asked is not None:
        wait = max(wait, asked)
    return Outcome(Verdict.RETRY, now + wait, reason)


# -- where we may send ---------------------------------------------------------------------


def forbidden_address(address: str) -> str | None:
    """Why an IP address may not be a push target (SSRF), or None if it may."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "loopback"
    if ip.is_private:
        return "private"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return "not routable"
    return None


# -- subscriptions ---------------------------------------------------------------------------

ROTATION_OVERLAP: Final = timedelta(hours=24)


@dataclass(frozen=True)
class SigningSecret:
    secret: str
    created_at: datetime
    not_after: datetime | None = None  # set when a newer secret replaced it


@dataclass(frozen=True)
class Subscription:
    id: Any  # uuid.UUID
    department: str
    name: str
    url: str
    event_types: list[str]
    secrets: list[SigningSecret]
    rate_limit_per_s: int
    status: SubscriptionStatus
    disabled_reason: str
    created_at: datetime
    updated_at: datetime
    row_version: int

    def secrets_in_force(self, now: datetime) -> list[str]:
        """Newest first; an old secret signs beside the new one until its overlap ends."""
        return [s.secret for s in self.secrets if s.not_after is None or s.not_after > now]


def rotate(
    current: list[SigningSecret], now: datetime, overlap: timedelta = ROTATION_OVERLAP
) -> list[SigningSecret]:
    """A new secret first; those still in force expire after ``overlap``; expired ones go."""
    kept = [
        SigningSecret(s.secret, s.created_at, s.not_after or now + overlap)
        for s in current
        if s.not_after is None or s.not_after > now
    ]
    return [SigningSecret(new_secret(), now), *kept]
