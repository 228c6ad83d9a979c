"""The supervision push: fan-out, leasing, sending, recording (PRODUCT.md §3.5).

A ``Dispatcher`` runs inside ``approvals serve`` (unless ``APPROVALS_PUSH=off``) and in
``approvals worker`` processes. Each round it fans new outbox events out into deliveries,
leases the due deliveries that head their partition, sends them at once (bounded by
``APPROVALS_PUSH_CONCURRENCY`` and each subscription's rate limit), and records every
attempt. Nothing is held in memory between rounds: a process that dies mid-send leaves
its leases to run out, and the deliveries are sent again with the same ``webhook-id``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import aiohttp

from approvals.domain import delivery as rules
from approvals.domain.delivery import DeliveryStatus, Subscription, SubscriptionStatus, Verdict
from approvals.domain.events import DomainEvent
from approvals.persistence.statements import WriteBatch
from approvals.persistence.transactions import transaction
from approvals.repository import deliveries as repo
from approvals.services.audit_log import append_to_chain
from approvals.services.context import Services

log = logging.getLogger("approvals.push")
FANOUT_BATCH = 500
ANALYZE_AFTER_EVENTS = 5_000


@dataclass(frozen=True)
class PushSettings:
    allow_private_targets: bool = False
    timeout_seconds: float = 15.0
    concurrency: int = 32
    lease_seconds: float = 60.0
    idle_seconds: float = 0.5
    schedule: tuple[timedelta, ...] = rules.RETRY_SCHEDULE

    @classmethod
    def from_env(cls) -> PushSettings:
        env = os.environ.get
        schedule = rules.RETRY_SCHEDULE
        if env("APPROVALS_PUSH_RETRY_SECONDS"):
            schedule = tuple(
                timedelta(seconds=float(s))
                for s in env("APPROVALS_PUSH_RETRY_SECONDS", "").split(",")
                if s.strip()
            )
        return cls(
            allow_private_targets=env("APPROVALS_PUSH_ALLOW_PRIVATE", "0") == "1",
            timeout_seconds=float(env("APPROVALS_PUSH_TIMEOUT_SECONDS", "15")),
            concurrency=int(env("APPROVALS_PUSH_CONCURRENCY", "32")),
            lease_seconds=float(env("APPROVALS_PUSH_LEASE_SECONDS", "60")),
            idle_seconds=float(env("APPROVALS_PUSH_IDLE_SECONDS", "0.5")),
            schedule=schedule,
        )


# -- crash testing ---------------------------------------------------------------------------

_FAILPOINT = os.environ.get("APPROVALS_PUSH_FAILPOINT", "")  # e.g. "after_send:3"
_failpoint_hits = 0


def failpoint(name: str) -> None:
    """Die by SIGKILL at the n-th passage of a named point, when a crash test asks for it
    (``APPROVALS_PUSH_FAILPOINT=after_lease|after_send|after_record:N``); else nothing."""
    global _failpoint_hits
    if not _FAILPOINT or _FAILPOINT.split(":", 1)[0] != name:
        return
    _failpoint_hits += 1
    if _failpoint_hits >= int(_FAILPOINT.split(":", 1)[1] or "1"):
        os.kill(os.getpid(), signal.SIGKILL)


# -- where events go ---------------------------------------------------------------------------


async def departments_of(ctx: Services, permit_code: str) -> frozenset[str] | None:
    """The supervision departments of a permit type; None for events of no case."""
    if not permit_code:
        return None
    try:
        published = await ctx.catalogue.current(permit_code)
    except Exception:  # a type since withdrawn: its events still reach every subscriber
        return frozenset()
    return frozenset(published.spec.supervision_departments)


def takes(sub: Subscription, event_type: str, departments: frozenset[str] | None) -> bool:
    if sub.status is not SubscriptionStatus.ACTIVE or not rules.wants(sub.event_types, event_type):
        return False
    # Events of a case go to the departments its permit type names; events of no case
    # (an audit seal) go to whoever asked for their type.
    return departments is None or sub.department in departments


async def fan_out(ctx: Services, limit: int = FANOUT_BATCH) -> int:
    """One batch of new outbox events into deliveries; how many events were taken."""
    async with transaction():
        if not await repo.try_fanout_lock():
            return 0
        events = await repo.unfanned_events(limit)
        if not events:
            return 0
        subs = [
            s
            for s in await repo.subscriptions(ctx.settings.secret)
            if s.status is SubscriptionStatus.ACTIVE
        ]
        pairs: list[tuple[uuid.UUID, repo.PendingEvent]] = []
        for event in events:
            departments = await departments_of(ctx, event.permit_code)
            pairs += [(s.id, event) for s in subs if takes(s, event.type, departments)]
        if pairs:
            batch = WriteBatch()
            repo.stage_deliveries(batch, pairs, ctx.clock.now())
            await batch.commit()
        await repo.mark_fanned([e.id for e in events])
        return len(events)


# -- target checks -------------------------------------------------------------------------------


async def target_problem(url: str, allow_private: bool) -> str | None:
    """Why ``url`` may not be pushed to, or None. Checks every address the host resolves to."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "not an http(s) URL"
    if parts.username or parts.password:
        return "credentials in the URL"
    if allow_private:
        return None
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            parts.hostname,
            parts.port or (443 if parts.scheme == "https" else 80),
            type=socket.SOCK_STREAM,
        )
    except OSError as exc:
        return f"the host does not resolve ({exc.strerror or exc})"
    for info in infos:
        why = rules.forbidden_address(str(info[4][0]))
        if why:
            return f"{parts.hostname} is a {why} address"
    return None


# -- sending ---------------------------------------------------------------------------------


class RateLimiter:
    """Per subscription, per process: at most ``rate`` requests a second (token bucket)."""

    def __init__(self) -> None:
        self._state: dict[uuid.UUID, tuple[float, float]] = {}
        self._lock = asyncio.Lock()

    async def take(self, key: uuid.UUID, rate: int) -> None:
        rate = max(rate, 1)
        while True:
            async with self._lock:
                now = time.monotonic()
                tokens, last = self._state.get(key, (float(rate), now))
                tokens = min(float(rate), tokens + (now - last) * rate)
                if tokens >= 1:
                    self._state[key] = (tokens - 1, now)
                    return
                self._state[key] = (tokens, now)
                wait = (1 - tokens) / rate
            await asyncio.sleep(wait)


@dataclass
class Dispatcher:
    ctx: Services
    push: PushSettings = field(default_factory=PushSettings.from_env)
    worker: str = field(default_factory=lambda: f"{socket.gethostname()[:40]}:{os.getpid()}")
    limiter: RateLimiter = field(default_factory=RateLimiter)
    _client: aiohttp.ClientSession | None = None
    _fanned_since_analyze: int = 0

    async def __aenter__(self) -> Dispatcher:
        self._client = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.push.concurrency * 2),
            timeout=aiohttp.ClientTimeout(total=self.push.timeout_seconds),
            trust_env=False,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.close()

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Until ``stop`` is set (the round under way finishes) or the task is cancelled:
        fan out, deliver, and rest a moment only when there was nothing to do."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                busy = await self.round()
            except asyncio.CancelledError:
                raise
            except Exception:  # the next round tries again; the log says why this one failed
                log.exception("push round failed")
                busy = False
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.push.idle_seconds)

    async def round(self) -> bool:
        """One round; True when there is surely more to do at once (a full batch or lease),
        so that a trickle of events is handled every ``idle_seconds`` in one go instead of
        one small transaction after another."""
        fanned = await fan_out(self.ctx)
        self._fanned_since_analyze += fanned
        if self._fanned_since_analyze >= ANALYZE_AFTER_EVENTS:
            # A burst (after an outage) changes the delivery table faster than autovacuum
            # re-analyses it; with statistics from a near-empty queue the planner checks
            # each candidate lease against every pending row (seconds per lease).
            self._fanned_since_analyze = 0
            await repo.refresh_statistics()
        sent = await self.deliver_due()
        return fanned >= FANOUT_BATCH or sent >= self.push.concurrency

    async def deliver_due(self) -> int:
        now = self.ctx.clock.now()
        async with transaction():
            leased = await repo.lease_due(
                now,
                now + timedelta(seconds=self.push.lease_seconds),
                self.worker,
                self.push.concurrency,
            )
        if not leased:
            return 0
        failpoint("after_lease")
        subs = {
            s.id: s
            for s in await repo.subscriptions(self.ctx.settings.secret)
            if s.id in {d.subscription_id for d in leased}
        }
        results = await asyncio.gather(
            *(self._deliver(d, subs[d.subscription_id]) for d in leased), return_exceptions=True
        )
        attempts = []
        for d, result in zip(leased, results, strict=True):
            if isinstance(result, BaseException):  # its lease runs out; it is sent again
                log.error("delivery %s failed", d.id, exc_info=result)
            else:
                attempts.append(result)
        # The round's results in one transaction: a crash before it commits resends the
        # round, with the same webhook-ids (receivers drop duplicates by them).
        await self._record(attempts)
        failpoint("after_record")
        return len(leased)

    async def _deliver(self, d: repo.Leased, sub: Subscription) -> Attempt:
        assert self._client is not None, "use the dispatcher as an async context manager"
        await self.limiter.take(sub.id, sub.rate_limit_per_s)
        started = self.ctx.clock.now()
        began = time.perf_counter()
        status: int | None = None
        error = ""
        retry_after: str | None = None
        problem = await target_problem(sub.url, self.push.allow_private_targets)
        if problem:
            error = f"target refused: {problem}"
        else:
            body = rules.cloudevent(
                event_id=str(d.event_id),
                source=self.ctx.settings.base_url,
                type=d.type,
                subject=d.subject,
                time=d.time,
                partition_key=d.partition_key,
                data=d.data,
            )
            headers = rules.headers(sub.secrets_in_force(started), str(d.event_id), started, body)
            try:
                async with self._client.post(
                    sub.url, data=body, headers=headers, allow_redirects=False
                ) as response:
                    failpoint("after_send")
                    status = response.status
                    retry_after = response.headers.get("retry-after")
                    if status >= 300:
                        text = (await response.content.read(1024)).decode("utf-8", "replace")
                        error = text[:200].replace("\x00", "")
            except TimeoutError:
                error = f"no answer within {self.push.timeout_seconds:g} s"
            except aiohttp.ClientError as exc:
                error = f"{type(exc).__name__}: {exc}"[:300] or type(exc).__name__
        duration_ms = int((time.perf_counter() - began) * 1000)
        now = self.ctx.clock.now()
        attempt = d.attempts + 1
        if problem:
            outcome = rules.Outcome(Verdict.DEAD, None, error)
        else:
            outcome = rules.judge(
                status=status,
                error=error,
                retry_after_header=retry_after,
                attempts_made=attempt,
                now=now,
                schedule=self.push.schedule,
            )
        return Attempt(d, sub, attempt, started, status, outcome, duration_ms)

    async def _record(self, attempts: list[Attempt]) -> None:
        if not attempts:
            return
        gone: list[Attempt] = []
        async with transaction():
            batch = WriteBatch()
            for a in attempts:
                if await self._record_one(a, batch) and a.outcome.verdict is Verdict.GONE:
                    gone.append(a)
            await batch.commit()
            for a in gone:
                await self._disable_gone(a.sub, a.at)

    async def _record_one(self, a: Attempt, batch: WriteBatch) -> bool:
        d, outcome, at = a.delivery, a.outcome, a.at
        new_status = {
            Verdict.DELIVERED: DeliveryStatus.DELIVERED,
            Verdict.DEAD: DeliveryStatus.DEAD,
        }.get(outcome.verdict, DeliveryStatus.PENDING)
        next_at = outcome.next_attempt_at
        if outcome.verdict is Verdict.GONE:
            next_at = at  # kept pending: it goes out if the subscription is enabled again
        kept = await repo.record_attempt(
            d.id,
            batch,
            worker=self.worker,
            attempt=a.attempt,
            at=at,
            status_code=a.status,
            error=outcome.error,
            duration_ms=a.duration_ms,
            new_status=new_status,
            next_attempt_at=next_at,
        )
        if not kept:
            log.warning("delivery %s: lease lost before its result was recorded", d.id)
        return kept

    async def _disable_gone(self, sub: Subscription, at: datetime) -> None:
        reason = "接收方返回 410，已停止推送 / the receiver answered 410 Gone"
        if await repo.disable_gone(sub.id, reason, at):
            await append_to_chain(
                f"subscription:{sub.id}",
                [DomainEvent("subscription.disabled", at, "system", reason=reason)],
                actor_id="",
                actor_name="系统自动",
                target_type="subscription",
                target_id=str(sub.id),
            )


@dataclass(frozen=True)
class Attempt:
    """One request made for a delivery, and what came of it, waiting to be recorded."""

    delivery: repo.Leased
    sub: Subscription
    attempt: int
    at: datetime
    status: int | None
    outcome: rules.Outcome
    duration_ms: int


async def run_worker(ctx: Services, stop: asyncio.Event) -> None:
    """``approvals worker``: deliver until ``stop`` is set; the round under way finishes."""
    async with Dispatcher(ctx) as dispatcher:
        await dispatcher.run(stop)
