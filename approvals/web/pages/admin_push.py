"""Administration pages, part two: supervision push subscriptions (a secret is shown once,
in the answer to the form that made it, never stored in a cookie or shown again) and the
dead-letter list with replay — through the same services as /api/admin/subscriptions."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request
from litestar.response import Redirect, Template

from approvals.domain.delivery import Subscription
from approvals.domain.errors import DomainError, ErrorKind
from approvals.domain.people import Principal
from approvals.repository import admin_reads
from approvals.services import subscriptions as use
from approvals.web.pages import admin_forms as forms
from approvals.web.pages.base import form_of, form_version, redirect, render, services_of

AnyRequest = Request[Any, Any, Any]
DEAD_SHOWN = 200


def _names() -> dict[str, Any]:
    return {
        "local_time": forms.local_time,
        "event_name_zh": forms.event_name_zh,
        "sub_states_zh": forms.SUB_STATES_ZH,
        "delivery_states_zh": forms.DELIVERY_STATES_ZH,
    }


async def list_page(
    request: AnyRequest,
    principal: Principal,
    *,
    errors: forms.FormErrors | None = None,
    problems: list[str] | None = None,
    submitted: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Template:
    ctx = services_of(request)
    subs = await use.list_subscriptions(ctx, principal)
    departments = await admin_reads.departments()
    return render(
        request,
        "admin/subscriptions.html",
        principal,
        status_code=status_code,
        subs=subs,
        totals=await admin_reads.delivery_totals(),
        department_names={d.code: d.name for d in departments},
        supervision=[d for d in departments if d.kind == "supervision"],
        event_choices=forms.EVENT_CHOICES,
        errors=errors or forms.FormErrors(),
        problems=problems or [],
        form=submitted or {"event_types": [forms.ALL_EVENTS], "rate_limit_per_s": "50"},
        **_names(),
    )


def _secret_page(
    request: AnyRequest, principal: Principal, sub: Subscription, secret: str, rotated: bool
) -> Template:
    return render(
        request,
        "admin/secret.html",
        principal,
        sub=sub,
        secret=secret,
        rotated=rotated,
        **_names(),
    )


async def create(request: AnyRequest, principal: Principal) -> Template:
    form = await form_of(request, principal)
    errors = forms.FormErrors()
    spec = forms.subscription_spec(form, errors)
    submitted = {
        "department": spec.department,
        "name": spec.name,
        "url": spec.url,
        "event_types": spec.event_types,
        "rate_limit_per_s": forms.text(form, "rate_limit_per_s"),
    }
    if errors:
        return await list_page(
            request, principal, errors=errors, submitted=submitted, status_code=400
        )
    try:
        sub, secret = await use.create_subscription(services_of(request), principal, spec)
    except DomainError as error:
        if error.field:
            errors.add(error.field, forms.error_zh(error))
        status = 403 if error.kind is ErrorKind.FORBIDDEN else 400
        return await list_page(
            request,
            principal,
            errors=errors,
            problems=[] if error.field else [error.zh],
            submitted=submitted,
            status_code=status,
        )
    return _secret_page(request, principal, sub, secret, rotated=False)


def _edit_choices(sub: Subscription) -> list[tuple[str, str]]:
    """The event choices of the form, and whatever the subscription has besides (the API
    takes any pattern), so an edit never drops one silently."""
    known = dict(forms.EVENT_CHOICES)
    extra = [(t, forms.event_name_zh(t)) for t in sub.event_types if t not in known]
    return forms.EVENT_CHOICES + extra


async def detail(
    request: AnyRequest,
    principal: Principal,
    sub_id: uuid.UUID,
    *,
    errors: forms.FormErrors | None = None,
    problems: list[str] | None = None,
    submitted: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Template:
    ctx = services_of(request)
    sub = await use.get_subscription(ctx, principal, sub_id)
    dead = await use.list_deliveries(
        principal, status="dead", subscription_id=sub_id, after_id=None, limit=DEAD_SHOWN + 1
    )
    totals = (await admin_reads.delivery_totals()).get(sub_id, admin_reads.DeliveryTotals())
    departments = {d.code: d.name for d in await admin_reads.departments()}
    now = ctx.clock.now()
    in_force = [s for s in sub.secrets if s.not_after is None or s.not_after > now]
    return render(
        request,
        "admin/subscription.html",
        principal,
        status_code=status_code,
        sub=sub,
        edit_choices=_edit_choices(sub),
        errors=errors or forms.FormErrors(),
        problems=problems or [],
        form=submitted
        or {
            "name": sub.name,
            "url": sub.url,
            "event_types": sub.event_types,
            "rate_limit_per_s": str(sub.rate_limit_per_s),
        },
        dead=dead[:DEAD_SHOWN],
        more_dead=len(dead) > DEAD_SHOWN,
        totals=totals,
        department_name=departments.get(sub.department, sub.department),
        secrets_in_force=len(in_force),
        expiring=min((s.not_after for s in in_force if s.not_after), default=None),
        **_names(),
    )


def _version(form: dict[str, Any]) -> int:
    version = form_version(form)
    if version is None:
        raise DomainError(
            ErrorKind.INVALID, "bad_version", "页面数据不完整，请刷新后重试。", "version", ""
        )
    return version


async def edit(request: AnyRequest, principal: Principal, sub_id: uuid.UUID) -> Template | Redirect:
    """Name, target URL, event types and rate limit (what the API's PATCH changes)."""
    form = await form_of(request, principal)
    ctx = services_of(request)
    sub = await use.get_subscription(ctx, principal, sub_id)  # 404 for an unknown one
    errors = forms.FormErrors()
    spec = forms.subscription_spec(form, errors, extra_types={t for t, _ in _edit_choices(sub)})
    submitted = {
        "name": spec.name,
        "url": spec.url,
        "event_types": spec.event_types,
        "rate_limit_per_s": forms.text(form, "rate_limit_per_s"),
    }
    if errors:
        return await detail(
            request, principal, sub_id, errors=errors, submitted=submitted, status_code=400
        )
    change = use.SubscriptionChange(
        name=spec.name,
        url=spec.url,
        event_types=spec.event_types,
        rate_limit_per_s=spec.rate_limit_per_s,
    )
    back = f"/admin/subscriptions/{sub_id}"
    try:
        await use.change_subscription(ctx, principal, sub_id, _version(form), change)
    except DomainError as error:
        if error.kind in (ErrorKind.NOT_FOUND, ErrorKind.FORBIDDEN):
            raise
        if error.kind is ErrorKind.CONFLICT:
            return redirect(request, back, error.zh, "error")
        errors.add(error.field or "form", forms.error_zh(error))
        return await detail(
            request, principal, sub_id, errors=errors, submitted=submitted, status_code=400
        )
    return redirect(request, back, "已保存订阅设置。")


async def set_active(request: AnyRequest, principal: Principal, sub_id: uuid.UUID) -> Redirect:
    form = await form_of(request, principal)
    back = f"/admin/subscriptions/{sub_id}"
    active = forms.text(form, "active")
    if active not in ("0", "1"):
        return redirect(request, back, "请求不完整，请刷新后重试。", "error")
    try:
        await use.change_subscription(
            services_of(request),
            principal,
            sub_id,
            _version(form),
            use.SubscriptionChange(active=active == "1"),
        )
    except DomainError as error:
        if error.kind in (ErrorKind.NOT_FOUND, ErrorKind.FORBIDDEN):
            raise
        return redirect(request, back, error.zh, "error")
    return redirect(request, back, "已启用推送。" if active == "1" else "已停用推送。")


async def rotate(
    request: AnyRequest, principal: Principal, sub_id: uuid.UUID
) -> Template | Redirect:
    form = await form_of(request, principal)
    back = f"/admin/subscriptions/{sub_id}"
    hours = forms.whole_number(forms.text(form, "overlap_hours") or "24", 1, 168)
    if hours is None:
        return redirect(request, back, "新旧密钥并行时间应为 1–168 小时。", "error")
    try:
        sub, secret = await use.rotate_secret(
            services_of(request), principal, sub_id, _version(form), hours
        )
    except DomainError as error:
        if error.kind in (ErrorKind.NOT_FOUND, ErrorKind.FORBIDDEN):
            raise
        return redirect(request, back, error.zh, "error")
    return _secret_page(request, principal, sub, secret, rotated=True)


async def replay_all(request: AnyRequest, principal: Principal, sub_id: uuid.UUID) -> Redirect:
    await form_of(request, principal)
    ctx = services_of(request)
    await use.get_subscription(ctx, principal, sub_id)  # 404 for an unknown one
    count = await use.replay_dead(ctx, principal, delivery_ids=None, subscription_id=sub_id)
    message = f"已重新推送 {count} 条失败记录。" if count else "没有需要重新推送的失败记录。"
    return redirect(request, f"/admin/subscriptions/{sub_id}", message)


async def replay_one(request: AnyRequest, principal: Principal, delivery_id: int) -> Redirect:
    await form_of(request, principal)
    if not 1 <= delivery_id <= 2**62:
        raise DomainError(ErrorKind.NOT_FOUND, "not_found", "未找到推送记录。", "", "")
    found, _ = await use.delivery_detail(principal, delivery_id)
    back = f"/admin/subscriptions/{found.subscription_id}"
    count = await use.replay_dead(
        services_of(request), principal, delivery_ids=[delivery_id], subscription_id=None
    )
    if not count:
        state = forms.DELIVERY_STATES_ZH.get(found.status, found.status)
        return redirect(
            request, back, f"该推送当前状态为“{state}”，只有推送失败的记录可以重发。", "error"
        )
    return redirect(request, back, f"已重新推送第 {delivery_id} 号记录。")
