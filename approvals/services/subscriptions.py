"""Use cases: supervision departments' subscriptions, the dead-letter list, the pull feed.

Administrators configure subscriptions; a supervisor reads their own department's (never
a secret). A secret is shown once, when it is made; a rotation signs with the old and the
new secret side by side for ``overlap_hours``. Each change and its audit entry commit
together.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from approvals.domain import delivery as rules
from approvals.domain.delivery import SigningSecret, Subscription, SubscriptionStatus
from approvals.domain.errors import DomainError, ErrorKind, conflict, forbidden, not_found
from approvals.domain.events import EVENT_TYPE_PREFIX, DomainEvent
from approvals.domain.people import Principal, Role
from approvals.persistence.transactions import transaction
from approvals.repository import accounts as account_repo
from approvals.repository import deliveries as repo
from approvals.services.audit_log import append_to_chain
from approvals.services.context import Services
from approvals.services.delivery import PushSettings, target_problem


@dataclass(frozen=True)
class SubscriptionSpec:
    department: str
    name: str
    url: str
    event_types: list[str]
    rate_limit_per_s: int


@dataclass(frozen=True)
class SubscriptionChange:
    name: str | None = None
    url: str | None = None
    event_types: list[str] | None = None
    rate_limit_per_s: int | None = None
    active: bool | None = None


def _admin_only(principal: Principal) -> None:
    if not principal.has(Role.ADMIN):
        raise forbidden("只有系统管理员可以配置推送订阅。", "Only administrators configure pushes.")


def _readable_department(principal: Principal) -> str | None:
    """None: every department (administrators); else the supervisor's own."""
    if principal.has(Role.ADMIN):
        return None
    if principal.has(Role.SUPERVISOR, Role.DEPARTMENT_HEAD) and principal.department:
        return principal.department
    raise forbidden("只有监管部门人员和系统管理员可以查看推送。", "Supervision staff only.")


def _check_types(event_types: list[str]) -> None:
    for pattern in event_types:
        if pattern != "*" and not pattern.startswith(EVENT_TYPE_PREFIX):
            raise DomainError(
                ErrorKind.INVALID,
                "bad_event_type",
                f"事件类型应以 {EVENT_TYPE_PREFIX} 开头，或为 *：{pattern}",
                f"An event type starts with {EVENT_TYPE_PREFIX}, or is *: {pattern}",
                "event_types",
            )


async def _check_url(url: str) -> None:
    problem = await target_problem(url, PushSettings.from_env().allow_private_targets)
    if problem:
        raise DomainError(
            ErrorKind.INVALID,
            "bad_target",
            f"推送地址不可用（{problem}）：须为可公开访问的 http(s) 地址，不得指向内网或本机。",
            f"The target URL cannot be used ({problem}): a public http(s) address is required.",
            "url",
        )


async def _supervision_department(code: str) -> None:
    if await account_repo.department_kind(code) != "supervision":
        raise DomainError(
            ErrorKind.INVALID,
            "not_a_supervision_department",
            f"{code} 不是监管部门。",
            f"{code} is not a supervision department.",
            "department",
        )


async def _audit(
    principal: Principal | None, sub_id: uuid.UUID, name: str, at: datetime, reason: str = ""
) -> None:
    await append_to_chain(
        f"subscription:{sub_id}",
        [DomainEvent(name, at, "caller" if principal else "system", reason=reason)],
        actor_id=str(principal.account_id) if principal else "",
        actor_name=principal.display_name if principal else "系统自动",
        target_type="subscription",
        target_id=str(sub_id),
    )


async def create_subscription(
    ctx: Services, principal: Principal, spec: SubscriptionSpec
) -> tuple[Subscription, str]:
    """The new subscription and its signing secret (shown this once)."""
    _admin_only(principal)
    _check_types(spec.event_types)
    await _supervision_department(spec.department)
    await _check_url(spec.url)
    now = ctx.clock.now()
    secret = rules.new_secret()
    sub = Subscription(
        id=uuid.uuid4(),
        department=spec.department,
        name=spec.name,
        url=spec.url,
        event_types=spec.event_types,
        secrets=[SigningSecret(secret, now)],
        rate_limit_per_s=spec.rate_limit_per_s,
        status=SubscriptionStatus.ACTIVE,
        disabled_reason="",
        created_at=now,
        updated_at=now,
        row_version=1,
    )
    async with transaction():
        await repo.insert_subscription(sub, ctx.settings.secret)
        await _audit(principal, sub.id, "subscription.created", now, spec.url)
    return sub, secret


async def _load(ctx: Services, sub_id: uuid.UUID) -> Subscription:
    sub = await repo.subscription_by_id(sub_id, ctx.settings.secret)
    if sub is None:
        raise not_found("推送订阅", "Subscription", "subscription_id")
    return sub


def _stale(sub: Subscription) -> DomainError:
    return conflict(
        "stale_version",
        f"订阅已被他人修改（当前版本 {sub.row_version}，"
        f"更新于 {sub.updated_at:%Y-%m-%d %H:%M} UTC），请刷新后重试。",
        f"The subscription changed (now version {sub.row_version}, "
        f"updated {sub.updated_at:%Y-%m-%d %H:%M} UTC); reload and retry.",
    )


async def _save(
    ctx: Services,
    principal: Principal,
    before: Subscription,
    after: Subscription,
    expected_version: int,
    action: str,
    reason: str = "",
) -> Subscription:
    async with transaction():
        if not await repo.update_subscription(after, expected_version, ctx.settings.secret):
            raise _stale(await _load(ctx, before.id))
        await _audit(principal, before.id, action, after.updated_at, reason)
    return replace(after, row_version=expected_version + 1)


async def change_subscription(
    ctx: Services,
    principal: Principal,
    sub_id: uuid.UUID,
    expected_version: int,
    change: SubscriptionChange,
) -> Subscription:
    _admin_only(principal)
    sub = await _load(ctx, sub_id)
    if sub.row_version != expected_version:
        raise _stale(sub)
    if change.event_types is not None:
        _check_types(change.event_types)
    if change.url is not None and change.url != sub.url:
        await _check_url(change.url)
    status, reason = sub.status, sub.disabled_reason
    if change.active is True:
        status, reason = SubscriptionStatus.ACTIVE, ""
    elif change.active is False:
        status, reason = SubscriptionStatus.DISABLED, f"由 {principal.display_name} 停用"
    after = replace(
        sub,
        name=change.name if change.name is not None else sub.name,
        url=change.url if change.url is not None else sub.url,
        event_types=change.event_types if change.event_types is not None else sub.event_types,
        rate_limit_per_s=change.rate_limit_per_s or sub.rate_limit_per_s,
        status=status,
        disabled_reason=reason,
        updated_at=ctx.clock.now(),
    )
    action = "subscription.changed"
    if status is not sub.status:
        action = (
            "subscription.enabled"
            if status is SubscriptionStatus.ACTIVE
            else "subscription.disabled"
        )
    return await _save(ctx, principal, sub, after, expected_version, action)


async def rotate_secret(
    ctx: Services,
    principal: Principal,
    sub_id: uuid.UUID,
    expected_version: int,
    overlap_hours: int,
) -> tuple[Subscription, str]:
    """A new secret signs from now on; the old ones sign beside it for ``overlap_hours``."""
    _admin_only(principal)
    sub = await _load(ctx, sub_id)
    if sub.row_version != expected_version:
        raise _stale(sub)
    now = ctx.clock.now()
    secrets = rules.rotate(sub.secrets, now, timedelta(hours=overlap_hours))
    after = replace(sub, secrets=secrets, updated_at=now)
    saved = await _save(
        ctx,
        principal,
        sub,
        after,
        expected_version,
        "subscription.secret_rotated",
        f"旧密钥 {overlap_hours} 小时后失效",
    )
    return saved, secrets[0].secret


async def list_subscriptions(ctx: Services, principal: Principal) -> list[Subscription]:
    return await repo.subscriptions(ctx.settings.secret, _readable_department(principal))


async def get_subscription(ctx: Services, principal: Principal, sub_id: uuid.UUID) -> Subscription:
    department = _readable_department(principal)
    sub = await _load(ctx, sub_id)
    if department is not None and sub.department != department:
        raise not_found("推送订阅", "Subscription", "subscription_id")
    return sub


# -- deliveries ----------------------------------------------------------------------------


async def list_deliveries(
    principal: Principal,
    *,
    status: str | None,
    subscription_id: uuid.UUID | None,
    after_id: int | None,
    limit: int,
) -> list[repo.DeliveryView]:
    return await repo.deliveries(
        status=status,
        subscription_id=subscription_id,
        department=_readable_department(principal),
        after_id=after_id,
        limit=limit,
    )


async def delivery_detail(
    principal: Principal, delivery_id: int
) -> tuple[repo.DeliveryView, list[repo.AttemptView]]:
    department = _readable_department(principal)
    found = await repo.delivery_by_id(delivery_id)
    if found is None or (department is not None and found.department != department):
        raise not_found("推送记录", "Delivery", "delivery_id")
    return found, await repo.attempts_of(delivery_id)


async def replay_dead(
    ctx: Services,
    principal: Principal,
    *,
    delivery_ids: list[int] | None,
    subscription_id: uuid.UUID | None,
) -> int:
    """Dead deliveries go out again with a fresh schedule; how many were replayed."""
    _admin_only(principal)
    if delivery_ids is None and subscription_id is None:
        raise DomainError(
            ErrorKind.INVALID,
            "replay_what",
            "请指定要重发的推送记录编号或订阅。",
            "Name the deliveries or the subscription to replay.",
        )
    now = ctx.clock.now()
    async with transaction():
        count = await repo.replay(
            delivery_ids=delivery_ids, subscription_id=subscription_id, now=now
        )
        await append_to_chain(
            "deliveries",
            [
                DomainEvent(
                    "deliveries.replayed",
                    now,
                    "caller",
                    data={
                        "count": count,
                        "delivery_ids": delivery_ids or [],
                        "subscription_id": str(subscription_id or ""),
                    },
                )
            ],
            actor_id=str(principal.account_id),
            actor_name=principal.display_name,
            target_type="delivery",
            target_id=str(subscription_id or ""),
        )
    return count


# -- the pull feed --------------------------------------------------------------------------


async def read_feed(
    ctx: Services, principal: Principal, after: tuple[int, int] | None, limit: int
) -> list[repo.FeedEvent]:
    department = _readable_department(principal)
    codes: list[str] | None = None
    if department is not None:
        codes = [
            p.spec.code
            for p in await ctx.catalogue.all_current()
            if department in p.spec.supervision_departments
        ]
    return await repo.feed(after, codes, limit)
