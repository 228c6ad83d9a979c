"""Use cases: the life of a signing key — create, activate, retire, revoke, re-sign.

A key is published (JWKS, trust list) from the moment it is created, but signs
nothing until activated; verifiers refresh their key lists about daily, so
activation waits for a publication lead time unless forced. Activating a key
retires the issuer's previous one: a retired key signs nothing more but stays
published until the last certificate it signed has expired. A revoked key is
withdrawn from the published lists at once, its certificates verify as
"signed with a revoked key — re-check", and ``resign_certificates`` issues them
again as new versions under the active key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from approvals.domain.certificates import CertStatus, VersionKind
from approvals.domain.errors import DomainError, ErrorKind, conflict, not_found
from approvals.domain.events import DomainEvent
from approvals.persistence.transactions import transaction
from approvals.repository import certificates as repo
from approvals.services.audit_log import append_to_chain
from approvals.services.certificate_lifecycle import issue_new_version
from approvals.services.context import Services
from approvals.services.keyring import CERTIFICATE, KeyInfo
from certs.keys import KeyAlgorithm

PUBLISH_LEAD = timedelta(hours=24)


@dataclass(frozen=True)
class KeyReport:
    info: KeyInfo
    certificates: int
    last_expiry: date | None


async def _audit(kid: str, action: str, at: datetime, actor: str, data: dict[str, str]) -> None:
    await append_to_chain(
        f"key:{kid}",
        [DomainEvent(action, at, "caller", data=data)],
        actor_id="",
        actor_name=actor,
        target_type="signing_key",
        target_id=kid,
    )


async def _info(ctx: Services, kid: str) -> KeyInfo:
    await ctx.keyring.load(force=True)
    info = ctx.keyring.info(kid)
    if info is None:
        raise not_found("该密钥", "Key", "kid")
    return info


async def list_keys(ctx: Services) -> list[KeyReport]:
    await ctx.keyring.load(force=True)
    reports = []
    for info in ctx.keyring.all_info():
        signed = await repo.certificates_signed_by(info.kid, tuple(CertStatus))
        reports.append(KeyReport(info, len(signed), await repo.last_expiry_signed_by(info.kid)))
    return reports


async def create_key(
    ctx: Services, issuer_code: str, alg: KeyAlgorithm, actor: str, purpose: str = CERTIFICATE
) -> str:
    await ctx.issuers.get(issuer_code)  # refuses an unknown issuer with a clear error
    async with transaction():
        return await ctx.keyring.create_key(
            issuer_code, ctx.clock.now(), alg=alg, purpose=purpose, actor_name=actor
        )


async def activate_key(ctx: Services, kid: str, actor: str, *, force: bool = False) -> str | None:
    """Make ``kid`` its issuer's signing key; returns the key it retired, if any."""
    info = await _info(ctx, kid)
    now = ctx.clock.now()
    if info.state != "pending":
        raise conflict("not_pending", "只能启用待启用的密钥。", f"Key {kid} is {info.state}.")
    ready = info.created_at + PUBLISH_LEAD
    if now < ready and not force:
        raise DomainError(
            ErrorKind.REFUSED,
            "too_early",
            f"密钥发布不足 {PUBLISH_LEAD.total_seconds() / 3600:.0f} 小时，核验方可能尚未获取，"
            f"请于 {ready:%Y-%m-%d %H:%M} UTC 之后启用（或明确使用 --force）。",
            f"Published less than {PUBLISH_LEAD} ago: verifiers may not have it yet. Activate "
            f"after {ready:%Y-%m-%d %H:%M} UTC, or pass --force.",
        )
    previous = next(
        (
            k
            for k in ctx.keyring.all_info()
            if k.issuer == info.issuer and k.purpose == info.purpose and k.state == "active"
        ),
        None,
    )
    async with transaction():
        if previous is not None:
            await _set(previous.kid, "active", "retired", now)
            await _audit(previous.kid, "key.retired", now, actor, {"replaced_by": kid})
        await _set(kid, "pending", "active", now)
        await _audit(kid, "key.activated", now, actor, {"forced": str(force and now < ready)})
    ctx.keyring.forget()
    return previous.kid if previous else None


async def retire_key(ctx: Services, kid: str, actor: str) -> None:
    info = await _info(ctx, kid)
    if info.state not in {"active", "pending"}:
        raise conflict("not_retirable", "该密钥不能退役。", f"Key {kid} is {info.state}.")
    now = ctx.clock.now()
    async with transaction():
        await _set(kid, info.state, "retired", now)
        await _audit(kid, "key.retired", now, actor, {})
    ctx.keyring.forget()


async def revoke_key(ctx: Services, kid: str, actor: str, reason: str) -> None:
    info = await _info(ctx, kid)
    if info.state == "revoked":
        raise conflict("already_revoked", "该密钥已吊销。", f"Key {kid} is already revoked.")
    now = ctx.clock.now()
    async with transaction():
        await _set(kid, info.state, "revoked", now, reason)
        await _audit(kid, "key.revoked", now, actor, {"reason": reason})
    ctx.keyring.forget()


async def resign_certificates(ctx: Services, kid: str, reason: str) -> int:
    """Issue every current certificate signed with ``kid`` again, under the active key."""
    count = 0
    for cert in await repo.certificates_signed_by(kid, (CertStatus.VALID, CertStatus.SUSPENDED)):
        await issue_new_version(ctx, None, cert.id, VersionKind.REKEY, reason)
        count += 1
    return count


async def _set(kid: str, expected: str, state: str, at: datetime, reason: str = "") -> None:
    if not await repo.set_key_state(kid, expected=expected, state=state, at=at, reason=reason):
        raise conflict(
            "key_changed_meanwhile",
            "密钥状态已被他人修改，请重试。",
            f"Key {kid} changed state meanwhile; retry.",
        )
