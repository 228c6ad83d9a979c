"""The supervision push over HTTP: subscriptions (admin), deliveries and the dead-letter
list, and the pull feed of events (PRODUCT.md §3.5)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from litestar import Controller, get, patch, post
from litestar.params import FromPath, JSONBody, Parameter, QueryParameter
from msgspec import Meta, Struct

from approvals.domain.delivery import Subscription
from approvals.domain.errors import DomainError, ErrorKind
from approvals.domain.people import Role
from approvals.repository.deliveries import (
    AttemptView,
    DeliveryView,
    FeedEvent,
    decode_feed_cursor,
    encode_feed_cursor,
)
from approvals.services import subscriptions as use
from approvals.web.errors import error_responses
from approvals.web.schemas import NO_CONTROL, ShortText, Slug
from approvals.web.schemas_workflow import Version
from approvals.web.security import PrincipalDep, ServicesDep, logged_in, requires

Url = Annotated[str, Meta(min_length=8, max_length=500, pattern=r"^https?://[^\s\x00-\x1f]+$")]
EventType = Annotated[str, Meta(min_length=1, max_length=120, pattern=r"^[a-z0-9_.*]+$")]
EventTypes = Annotated[list[EventType], Meta(min_length=1, max_length=50)]
Rate = Annotated[int, Meta(ge=1, le=10_000, description="requests per second, per worker")]
DeliveryId = Annotated[int, Parameter(ge=1, le=2**62, description="a delivery's number")]
Limit = Annotated[int, QueryParameter(ge=1, le=500)]


class SubscriptionIn(Struct, forbid_unknown_fields=True):
    department: Slug
    name: Annotated[str, Meta(min_length=2, max_length=100, pattern=NO_CONTROL)]
    url: Url
    event_types: EventTypes
    rate_limit_per_s: Rate = 50


class SubscriptionPatchIn(Struct, forbid_unknown_fields=True):
    expected_version: Version
    name: Annotated[str, Meta(min_length=2, max_length=100, pattern=NO_CONTROL)] | None = None
    url: Url | None = None
    event_types: EventTypes | None = None
    rate_limit_per_s: Rate | None = None
    active: bool | None = None


class RotateIn(Struct, forbid_unknown_fields=True):
    expected_version: Version
    overlap_hours: Annotated[int, Meta(ge=1, le=168)] = 24


class ReplayIn(Struct, forbid_unknown_fields=True):
    delivery_ids: (
        Annotated[list[Annotated[int, Meta(ge=1, le=2**62)]], Meta(max_length=1000)] | None
    ) = None
    subscription_id: uuid.UUID | None = None


class SubscriptionOut(Struct):
    id: uuid.UUID
    department: str
    name: str
    url: str
    event_types: list[str]
    rate_limit_per_s: int
    status: str
    disabled_reason: str
    secrets_in_force: int
    oldest_secret_expires_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    row_version: int


class SecretOut(Struct):
    subscription: SubscriptionOut
    secret: str  # shown once


class DeliveryOut(Struct):
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
    next_attempt_at: dt.datetime | None
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    dead_at: dt.datetime | None


class AttemptOut(Struct):
    attempt: int
    at: dt.datetime
    worker: str
    status_code: int | None
    error: str
    duration_ms: int


class DeliveryDetailOut(Struct):
    delivery: DeliveryOut
    attempts: list[AttemptOut]


class DeliveryPage(Struct):
    items: list[DeliveryOut]
    next_after: int | None


class ReplayOut(Struct):
    replayed: int


class EventOut(Struct):
    """A CloudEvent in structured JSON, as pushed."""

    specversion: str
    id: uuid.UUID
    source: str
    type: str
    subject: str
    time: dt.datetime
    datacontenttype: str
    partitionkey: str
    data: Any


class EventPage(Struct):
    events: list[EventOut]
    next_cursor: str  # pass as ``after``; unchanged when there was nothing new


def subscription_out(sub: Subscription, now: dt.datetime) -> SubscriptionOut:
    in_force = [s for s in sub.secrets if s.not_after is None or s.not_after > now]
    expiring = [s.not_after for s in in_force if s.not_after is not None]
    return SubscriptionOut(
        id=sub.id,
        department=sub.department,
        name=sub.name,
        url=sub.url,
        event_types=sub.event_types,
        rate_limit_per_s=sub.rate_limit_per_s,
        status=str(sub.status),
        disabled_reason=sub.disabled_reason,
        secrets_in_force=len(in_force),
        oldest_secret_expires_at=min(expiring) if expiring else None,
        created_at=sub.created_at,
        updated_at=sub.updated_at,
        row_version=sub.row_version,
    )


def delivery_out(d: DeliveryView) -> DeliveryOut:
    return DeliveryOut(
        id=d.id,
        subscription_id=d.subscription_id,
        department=d.department,
        event_id=d.event_id,
        type=d.type,
        subject=d.subject,
        status=d.status,
        attempts=d.attempts,
        last_status=d.last_status,
        last_error=d.last_error,
        next_attempt_at=d.next_attempt_at if d.status == "pending" else None,
        created_at=d.created_at,
        delivered_at=d.delivered_at,
        dead_at=d.dead_at,
    )


def _attempt_out(a: AttemptView) -> AttemptOut:
    return AttemptOut(a.attempt, a.at, a.worker, a.status_code, a.error, a.duration_ms)


def _event_out(e: FeedEvent, source: str) -> EventOut:
    return EventOut(
        "1.0",
        e.event_id,
        source,
        e.type,
        e.subject,
        e.time,
        "application/json",
        e.partition_key,
        e.data,
    )


class PushController(Controller):
    tags = ["supervision push"]

    @post(
        "/api/admin/subscriptions",
        operation_id="createSubscription",
        guards=[requires(Role.ADMIN)],
        summary="A supervision department's push endpoint; its signing secret is shown once",
        responses=error_responses(400, 401, 403),
    )
    async def create(
        self, data: JSONBody[SubscriptionIn], principal: PrincipalDep, services: ServicesDep
    ) -> SecretOut:
        spec = use.SubscriptionSpec(
            data.department, data.name, data.url, data.event_types, data.rate_limit_per_s
        )
        sub, secret = await use.create_subscription(services, principal, spec)
        return SecretOut(subscription_out(sub, services.clock.now()), secret)

    @patch(
        "/api/admin/subscriptions/{subscription_id:uuid}",
        operation_id="changeSubscription",
        guards=[requires(Role.ADMIN)],
        summary="Change, disable or enable a subscription",
        responses=error_responses(400, 401, 403, 404, 409),
    )
    async def change(
        self,
        subscription_id: FromPath[uuid.UUID],
        data: JSONBody[SubscriptionPatchIn],
        principal: PrincipalDep,
        services: ServicesDep,
    ) -> SubscriptionOut:
        change = use.SubscriptionChange(
            data.name, data.url, data.event_types, data.rate_limit_per_s, data.active
        )
        sub = await use.change_subscription(
            services, principal, subscription_id, data.expected_version, change
        )
        return subscription_out(sub, services.clock.now())

    @post(
        "/api/admin/subscriptions/{subscription_id:uuid}/rotate-secret",
        operation_id="rotateSubscriptionSecret",
        guards=[requires(Role.ADMIN)],
        summary="A new signing secret; the old one keeps signing beside it for the overlap",
        responses=error_responses(400, 401, 403, 404, 409),
    )
    async def rotate(
        self,
        subscription_id: FromPath[uuid.UUID],
        data: JSONBody[RotateIn],
        principal: PrincipalDep,
        services: ServicesDep,
    ) -> SecretOut:
        sub, secret = await use.rotate_secret(
            services, principal, subscription_id, data.expected_version, data.overlap_hours
        )
        return SecretOut(subscription_out(sub, services.clock.now()), secret)

    @get(
        "/api/subscriptions",
        operation_id="listSubscriptions",
        guards=[logged_in],
        summary="Subscriptions: all (administrators) or the supervisor's department's",
        responses=error_responses(401, 403),
    )
    async def list_all(
        self, principal: PrincipalDep, services: ServicesDep
    ) -> list[SubscriptionOut]:
        now = services.clock.now()
        return [subscription_out(s, now) for s in await use.list_subscriptions(services, principal)]

    @get(
        "/api/subscriptions/{subscription_id:uuid}",
        operation_id="getSubscription",
        guards=[logged_in],
        summary="One subscription (never its secrets)",
        responses=error_responses(401, 403, 404),
    )
    async def get_one(
        self, subscription_id: FromPath[uuid.UUID], principal: PrincipalDep, services: ServicesDep
    ) -> SubscriptionOut:
        sub = await use.get_subscription(services, principal, subscription_id)
        return subscription_out(sub, services.clock.now())

    @get(
        "/api/deliveries",
        operation_id="listDeliveries",
        guards=[logged_in],
        summary="Deliveries by status (status=dead is the dead-letter list), oldest first",
        responses=error_responses(400, 401, 403),
    )
    async def deliveries(
        self,
        principal: PrincipalDep,
        status: Annotated[Literal["pending", "delivered", "dead"] | None, QueryParameter()] = None,
        subscription_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
        after: Annotated[int | None, QueryParameter(ge=0, le=2**62)] = None,
        limit: Limit = 100,
    ) -> DeliveryPage:
        rows = await use.list_deliveries(
            principal,
            status=status,
            subscription_id=subscription_id,
            after_id=after,
            limit=limit + 1,
        )
        page = rows[:limit]
        more = len(rows) > limit
        return DeliveryPage([delivery_out(d) for d in page], page[-1].id if more else None)

    @get(
        "/api/deliveries/{delivery_id:int}",
        operation_id="getDelivery",
        guards=[logged_in],
        summary="One delivery and its attempts log",
        responses=error_responses(400, 401, 403, 404),
    )
    async def delivery(self, delivery_id: DeliveryId, principal: PrincipalDep) -> DeliveryDetailOut:
        found, attempts = await use.delivery_detail(principal, delivery_id)
        return DeliveryDetailOut(delivery_out(found), [_attempt_out(a) for a in attempts])

    @post(
        "/api/admin/deliveries/{delivery_id:int}/replay",
        operation_id="replayDelivery",
        guards=[requires(Role.ADMIN)],
        summary="Send one dead delivery again, with a fresh retry schedule",
        responses=error_responses(400, 401, 403, 404, 409),
    )
    async def replay_one(
        self, delivery_id: DeliveryId, principal: PrincipalDep, services: ServicesDep
    ) -> ReplayOut:
        found, _ = await use.delivery_detail(principal, delivery_id)
        count = await use.replay_dead(
            services, principal, delivery_ids=[delivery_id], subscription_id=None
        )
        if not count:
            raise DomainError(
                ErrorKind.CONFLICT,
                "not_dead",
                f"该推送当前状态为 {found.status}，只有失败（dead）的推送可以重发。",
                f"This delivery is {found.status}; only dead deliveries are replayed.",
            )
        return ReplayOut(count)

    @post(
        "/api/admin/deliveries/replay",
        operation_id="replayDeliveries",
        guards=[requires(Role.ADMIN)],
        summary="Send dead deliveries again: listed ones, or all of one subscription's",
        responses=error_responses(400, 401, 403),
    )
    async def replay_many(
        self, data: JSONBody[ReplayIn], principal: PrincipalDep, services: ServicesDep
    ) -> ReplayOut:
        count = await use.replay_dead(
            services,
            principal,
            delivery_ids=data.delivery_ids,
            subscription_id=data.subscription_id,
        )
        return ReplayOut(count)

    @get(
        "/api/events",
        operation_id="pullEvents",
        guards=[logged_in],
        summary="Catch up on pushed events: pass the previous answer's next_cursor as `after`",
        responses=error_responses(400, 401, 403),
    )
    async def events(
        self,
        principal: PrincipalDep,
        services: ServicesDep,
        after: Annotated[ShortText | None, QueryParameter()] = None,
        limit: Limit = 100,
    ) -> EventPage:
        position = None
        if after:
            position = decode_feed_cursor(after)
            if position is None:
                raise DomainError(
                    ErrorKind.INVALID,
                    "bad_cursor",
                    "after 参数不是本服务给出的游标，请使用上一页返回的 next_cursor。",
                    "`after` is not a cursor this service made; pass the last next_cursor.",
                    "after",
                )
        events = await use.read_feed(services, principal, position, limit)
        source = services.settings.base_url
        if events:
            cursor = encode_feed_cursor(events[-1].tx, events[-1].id)
        else:
            cursor = after or encode_feed_cursor(0, 0)
        return EventPage([_event_out(e, source) for e in events], cursor)
