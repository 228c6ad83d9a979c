"""Administration pages, part three: signing keys — create (published at once, signing
nothing yet), activate (retires the issuer's previous key: that is a rotation), retire
and revoke — through the same services as ``approvals keys``, which write the audit."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Redirect, Template

from approvals.domain.errors import DomainError, ErrorKind
from approvals.domain.people import Principal
from approvals.repository import certificates as cert_repo
from approvals.services import keys as use
from approvals.services.keyring import CERTIFICATE, TRUST_LIST
from approvals.web.pages import admin_forms as forms
from approvals.web.pages.base import form_of, redirect, render, services_of
from certs.keys import KeyAlgorithm

AnyRequest = Request[Any, Any, Any]
BACK = "/admin/keys"


def _actor(principal: Principal) -> str:
    # The key services record a name (the CLI passes "命令行 <user>"): say who and how.
    return f"{principal.display_name}（{principal.username}，管理页面）"


async def page(request: AnyRequest, principal: Principal) -> Template:
    ctx = services_of(request)
    reports = await use.list_keys(ctx)
    issuers = await cert_repo.issuers()
    return render(
        request,
        "admin/keys.html",
        principal,
        reports=reports,
        issuers=issuers,
        issuer_names={i["code"]: i["name"] for i in issuers},
        algs=[a.value for a in KeyAlgorithm],
        purposes=[
            (CERTIFICATE, forms.KEY_PURPOSES_ZH[CERTIFICATE]),
            (TRUST_LIST, forms.KEY_PURPOSES_ZH[TRUST_LIST]),
        ],
        states_zh=forms.KEY_STATES_ZH,
        state_badge=forms.KEY_STATE_BADGE,
        purposes_zh=forms.KEY_PURPOSES_ZH,
        local_time=forms.local_time,
        lead_hours=int(use.PUBLISH_LEAD.total_seconds() // 3600),
    )


def _kid(kid: str) -> str:
    if not forms.KID.match(kid):
        raise DomainError(ErrorKind.NOT_FOUND, "not_found", "未找到该密钥。", "No such key.")
    return kid


async def create(request: AnyRequest, principal: Principal) -> Redirect:
    form = await form_of(request, principal)
    issuer = forms.text(form, "issuer")
    alg, purpose = forms.text(form, "alg"), forms.text(form, "purpose")
    if alg not in {a.value for a in KeyAlgorithm} or purpose not in (CERTIFICATE, TRUST_LIST):
        return redirect(request, BACK, "请选择算法和用途。", "error")
    try:
        kid = await use.create_key(
            services_of(request), issuer, KeyAlgorithm(alg), _actor(principal), purpose
        )
    except DomainError as error:
        return redirect(request, BACK, error.zh, "error")
    return redirect(
        request,
        BACK,
        f"已生成新密钥 {kid}：已发布，尚未用于签名；核验方获取后（约 24 小时）请启用。",
    )


async def activate(request: AnyRequest, principal: Principal, kid: str) -> Redirect:
    form = await form_of(request, principal)
    force = forms.text(form, "force") == "1"
    try:
        retired = await use.activate_key(
            services_of(request), _kid(kid), _actor(principal), force=force
        )
    except DomainError as error:
        if error.kind is ErrorKind.NOT_FOUND:
            raise
        message = error.zh.replace("（或明确使用 --force）", "（或勾选“不等待发布期”）")
        return redirect(request, BACK, message, "error")
    extra = f"，原密钥 {retired} 已退役（仍可核验其已签发的证照）" if retired else ""
    return redirect(request, BACK, f"已启用密钥 {kid}{extra}。")


async def retire(request: AnyRequest, principal: Principal, kid: str) -> Redirect:
    await form_of(request, principal)
    try:
        await use.retire_key(services_of(request), _kid(kid), _actor(principal))
    except DomainError as error:
        if error.kind is ErrorKind.NOT_FOUND:
            raise
        return redirect(request, BACK, error.zh, "error")
    return redirect(request, BACK, f"密钥 {kid} 已退役：不再签名，仍可核验。")


async def revoke(request: AnyRequest, principal: Principal, kid: str) -> Redirect:
    form = await form_of(request, principal)
    reason = forms.text(form, "reason")
    if not 2 <= len(reason) <= 500:
        return redirect(request, BACK, "吊销密钥须填写原因（2–500 字）。", "error")
    try:
        await use.revoke_key(services_of(request), _kid(kid), _actor(principal), reason)
    except DomainError as error:
        if error.kind is ErrorKind.NOT_FOUND:
            raise
        return redirect(request, BACK, error.zh, "error")
    return redirect(
        request,
        BACK,
        f"密钥 {kid} 已吊销，其签发的证照需重新签发（命令：approvals certificates resign）。",
    )
