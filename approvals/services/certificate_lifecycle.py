"""Use cases: change a certificate's status, and issue a new version of it.

Each runs in one transaction in a fixed order: lock the case (its audit chain
head), check, change the certificate, update the issuer's status list, append
the audit entry, write the outbox event and the holder's notification, commit.
A concurrent change to the same certificate loses with a 409 that says what
the status is now.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from approvals.clock import local_date
from approvals.domain.audit import ChainHead
from approvals.domain.certificates import (
    ACTION_NAMES_ZH,
    LIST_VALUE,
    STATUS_CHANGES,
    STATUS_NAMES_ZH,
    VERSION_NAMES_ZH,
    CertStatus,
    IssuedCertificate,
    StatusAction,
    VersionKind,
    next_status,
    valid_until,
)
from approvals.domain.errors import DomainError, ErrorKind, conflict, forbidden, not_found
from approvals.domain.events import DomainEvent
from approvals.domain.ids import uuid7
from approvals.domain.people import Principal, Role
from approvals.persistence.statements import WriteBatch
from approvals.persistence.transactions import transaction
from approvals.repository import applications as app_repo
from approvals.repository import audit as audit_repo
from approvals.repository import certificates as repo
from approvals.repository.notifications import Message, stage_message
from approvals.services.audit_log import chain_of_application, outgoing, records_for
from approvals.services.context import Services
from approvals.services.issuing import check_token_fits, signed
from approvals.services.status_lists import set_statuses
from approvals.services.supervision import stage_pushed
from certs.identifiers import with_version

DECIDERS = (Role.DECISION_MAKER, Role.ADMIN)


@dataclass(frozen=True)
class VersionChanges:
    """What a change (变更) may alter; None keeps the current value."""

    holder_name: str | None = None
    address: str | None = None
    items: list[str] | None = None


def _may_change(principal: Principal | None, action: StatusAction, holder_id: uuid.UUID) -> bool:
    if principal is None:  # the system itself (a supervision procedure, a CLI run)
        return True
    if principal.has(*DECIDERS):
        return True
    # 注销 is the holder's own request.
    return action is StatusAction.CANCEL and principal.account_id == holder_id


async def change_status(
    ctx: Services,
    principal: Principal | None,
    certificate_id: uuid.UUID,
    action: StatusAction,
    reason: str,
    *,
    component: str | None = None,
) -> IssuedCertificate:
    now = ctx.clock.now()
    async with transaction():
        cert = await _load(certificate_id)
        head, holder_id = await _lock_case(cert)
        if not _may_change(principal, action, holder_id):
            raise forbidden(
                f"您无权{ACTION_NAMES_ZH[action]}该证照。", f"You may not {action.value} this."
            )
        _, _, event_name = STATUS_CHANGES[action]
        if component is None:
            target = next_status(cert.status, action)
            if not await repo.change_status(
                cert.id, expected=cert.status, status=target, reason=reason, at=now
            ):
                raise _changed_meanwhile()
            index = cert.status_index
            updated = replace(cert, status=target, status_reason=reason, status_changed_at=now)
        else:
            updated, index, target = await _change_component(cert, component, action, reason, now)
        await set_statuses(cert.issuer_code, {index: LIST_VALUE[target]}, now)
        event = DomainEvent(
            event_name if component is None else f"certificate.component_{action.value}d",
            now,
            "caller" if principal else "system",
            reason,
            data={"status": target.value, "identifier": cert.identifier, "component": component},
            target_type="certificate",
            target_id=str(cert.id),
        )
        what = f"「{component}」" if component else ""
        await _record(
            ctx,
            principal,
            cert,
            head,
            holder_id,
            event,
            now,
            title=f"您的{cert.licence_name}{what}已{ACTION_NAMES_ZH[action]}",
            body=f"证照编号 {cert.number}：{what}状态变为「{STATUS_NAMES_ZH[target]}」。"
            f"原因：{reason}",
        )
    return updated


async def _change_component(
    cert: IssuedCertificate, code: str, action: StatusAction, reason: str, now: datetime
) -> tuple[IssuedCertificate, int, CertStatus]:
    components = [dict(c) for c in cert.components]
    found = next((c for c in components if c["code"] == code), None)
    if found is None:
        raise not_found("该证照组成项", "Component", "component")
    target = next_status(CertStatus(found["status"]), action)
    found.update(status=target.value, status_reason=reason, status_changed_at=now.isoformat())
    if not await repo.set_components(cert.id, components, expected=cert.components):
        raise _changed_meanwhile()
    return replace(cert, components=components), int(found["status_index"]), target


async def issue_new_version(
    ctx: Services,
    principal: Principal | None,
    certificate_id: uuid.UUID,
    kind: VersionKind,
    reason: str,
    changes: VersionChanges | None = None,
) -> IssuedCertificate:
    """A new version (变更/延续/补办, or a re-signing): the old one then verifies as superseded."""
    if principal is not None and not principal.has(*DECIDERS):
        raise forbidden("只有审批负责人可以换发证照。", "Only decision makers issue new versions.")
    now = ctx.clock.now()
    async with transaction():
        old = await _load(certificate_id)
        head, holder_id = await _lock_case(old)
        allowed = {CertStatus.VALID} | (
            {CertStatus.SUSPENDED} if kind is VersionKind.REKEY else set()
        )
        if old.status not in allowed:
            raise conflict(
                "not_current",
                f"证照当前状态为「{STATUS_NAMES_ZH[old.status]}」，不能{VERSION_NAMES_ZH[kind]}。",
                f"The certificate is {old.status.value}; no new version ({kind.value}).",
            )
        if old.version >= 999:
            raise conflict("too_many_versions", "证照版本已达上限。", "No more versions possible.")
        await ctx.keyring.load(force=True)  # never sign a version with a key rotated elsewhere
        key = await ctx.keyring.signing_key(old.issuer_code)
        issuer = await ctx.issuers.get(old.issuer_code)
        new = _next_version(old, kind, changes or VersionChanges(), now)
        check_token_fits(new, issuer.name, key, ctx.settings.base_url)
        new = signed(
            replace(new, status_index=await repo.allocate_status_index(issuer.code)),
            issuer.name,
            key,
        )
        if not await repo.change_status(
            old.id,
            expected=old.status,
            status=CertStatus.SUPERSEDED,
            reason=reason,
            at=now,
            superseded_by=new.id,
        ):
            raise _changed_meanwhile()
        await set_statuses(
            old.issuer_code,
            {
                old.status_index: LIST_VALUE[CertStatus.SUPERSEDED],
                new.status_index: LIST_VALUE[new.status],
            },
            now,
        )
        batch = WriteBatch()
        repo.stage_certificate(batch, new)
        await batch.commit()
        event = DomainEvent(
            f"certificate.{_EVENT[kind]}",
            now,
            "caller" if principal else "system",
            reason,
            data={"from": str(old.id), "identifier": new.identifier, "version": new.version},
            target_type="certificate",
            target_id=str(new.id),
        )
        await _record(
            ctx,
            principal,
            new,
            head,
            holder_id,
            event,
            now,
            title=f"您的{old.licence_name}已{VERSION_NAMES_ZH[kind]}（第 {new.version} 版）",
            body=f"证照编号 {old.number} 换发新版本，旧版本即日起显示为「已被新版本替代」。"
            f"原因：{reason}",
        )
    return new


_EVENT = {
    VersionKind.CHANGE: "changed",
    VersionKind.RENEWAL: "renewed",
    VersionKind.REISSUE: "reissued",
    VersionKind.REKEY: "resigned",
}


def _next_version(
    old: IssuedCertificate, kind: VersionKind, changes: VersionChanges, now: datetime
) -> IssuedCertificate:
    today = local_date(now)
    new = replace(
        old,
        id=uuid7(now),
        identifier=with_version(old.identifier, old.version + 1),
        version=old.version + 1,
        issued_at=now,
        issue_date=today,
        status=old.status if kind is VersionKind.REKEY else CertStatus.VALID,
        status_reason="",
        status_changed_at=now,
        supersedes=old.id,
        superseded_by=None,
        kid="",
        token="",
    )
    if kind is VersionKind.CHANGE:
        new = replace(
            new,
            holder_name=changes.holder_name or old.holder_name,
            address=changes.address or old.address,
            items=changes.items if changes.items is not None else old.items,
        )
    elif kind is VersionKind.RENEWAL:
        if old.valid_until is None:
            raise DomainError(
                ErrorKind.REFUSED,
                "no_expiry",
                "该证照长期有效，无需延续。",
                "This licence does not expire; there is nothing to renew.",
            )
        years = round((old.valid_until - old.valid_from).days / 365.25) or 1
        start = max(today, old.valid_until)
        new = replace(new, valid_from=start, valid_until=valid_until(start, years))
    return new


async def _load(certificate_id: uuid.UUID) -> IssuedCertificate:
    cert = await repo.get_certificate(certificate_id)
    if cert is None:
        raise not_found("该证照", "Certificate", "certificate_id")
    return cert


async def _lock_case(cert: IssuedCertificate) -> tuple[ChainHead, uuid.UUID]:
    locked = await app_repo.lock_case(cert.application_id)
    if locked is None:
        raise not_found("该证照所属办件", "Application")
    return locked


def _changed_meanwhile() -> DomainError:
    return conflict(
        "changed_meanwhile",
        "该证照刚刚被他人处理，请刷新后查看最新状态。",
        "Someone changed this certificate a moment ago; reload to see its current state.",
    )


async def _record(
    ctx: Services,
    principal: Principal | None,
    cert: IssuedCertificate,
    head: ChainHead,
    holder_id: uuid.UUID,
    event: DomainEvent,
    now: datetime,
    *,
    title: str,
    body: str,
) -> None:
    """Audit entry, outbox event and the holder's notification, in the caller's transaction."""
    records, new_head = records_for(
        chain_of_application(cert.application_id),
        head,
        [event],
        actor_id=str(principal.account_id) if principal else "",
        actor_name=principal.display_name if principal else "系统自动",
        target_type="certificate",
        target_id=str(cert.id),
    )
    batch = WriteBatch()
    audit_repo.stage_entries(batch, records)
    await stage_pushed(
        ctx,
        batch,
        [
            outgoing(
                event,
                subject=f"certificates/{cert.id}",
                partition_key=str(cert.application_id),
                permit_code=cert.permit_code,
                data={
                    "certificate_id": str(cert.id),
                    "identifier": cert.identifier,
                    "number": cert.number,
                    "holder_code": cert.holder_code,
                    "reason": event.reason,
                    **event.data,
                },
            )
        ],
        cert.application_id,
    )
    stage_message(
        batch, Message(uuid7(now), holder_id, f"certificates/{cert.id}", title, body, now)
    )
    await batch.commit()
    await app_repo.save_case_head(cert.application_id, new_head, now)
