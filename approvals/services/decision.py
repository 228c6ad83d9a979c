"""Use cases: the decision (准予/不予许可), the one extension, and pausing the clocks.

Approval issues the certificate in the same transaction (行政许可法 art. 44 gives
ten working days; we take none): for an industry bundle (一业一证) one combined
certificate lists every component that applies, each with its own status-list
index so that one can later be revoked alone. A denial always carries its
reasons and the applicant's rights of administrative review and litigation.
"""

from __future__ import annotations

import uuid
from typing import Final

from approvals.clock import local_date
from approvals.domain.applications import Status
from approvals.domain.clocks import EXTENSION_DAYS, PAUSE_NAMES_ZH, PauseReason
from approvals.domain.errors import DomainError, ErrorKind, conflict, forbidden
from approvals.domain.events import DomainEvent
from approvals.domain.ids import uuid7
from approvals.domain.people import Principal, Role
from approvals.repository import certificates as cert_repo
from approvals.repository import pauses as pause_repo
from approvals.services.audit_log import outgoing
from approvals.services.case_action import Case, case_action
from approvals.services.context import Services
from approvals.services.intake import RIGHTS_ZH, require_status
from approvals.services.issuing import (
    CertificateDraft,
    check_qr_fits,
    item_labels,
    sign_certificate,
)
from approvals.services.supervision import stage_pushed

DECIDERS = (Role.DECISION_MAKER, Role.ADMIN)
RUNNING: Final = (
    Status.IN_REVIEW,
    Status.INSPECTION,
    Status.RECTIFICATION,
    Status.AWAITING_DECISION,
)


def _check_decider(principal: Principal) -> None:
    if not principal.has(*DECIDERS):
        raise forbidden("只有审批负责人可以作出决定。", "Only decision makers decide.")


def _reasons(text: str) -> str:
    if len(text.strip()) < 2:
        raise DomainError(
            ErrorKind.INVALID, "reasons_required", "请写明理由。", "Give the reasons.", "reasons"
        )
    return text.strip()


async def decide(
    ctx: Services,
    principal: Principal,
    application_id: uuid.UUID,
    expected_version: int,
    *,
    approve: bool,
    reasons: str,
) -> Case:
    _check_decider(principal)
    if not approve:
        reasons = _reasons(reasons)
    async with case_action(ctx, principal, application_id, expected_version) as case:
        require_status(case.app, Status.AWAITING_DECISION)
        if approve:
            await _approve(ctx, case, reasons or "经审查，符合法定条件和标准")
        else:
            case.app.decision_reasons = reasons
            case.app.move_to(Status.DENIED, case.now, actor="caller", reason=reasons)
            case.notify(
                f"不予行政许可决定（办件 {case.app.number}）",
                f"不予许可的理由：{reasons}。{RIGHTS_ZH}",
            )
    return case


async def _approve(ctx: Services, case: Case, reasons: str) -> None:
    app = case.app
    published = await ctx.catalogue.at_version(app.permit_code, app.catalogue_version)
    spec = published.spec
    issuer = await ctx.issuers.get(spec.issuer)
    components = []
    for component in app.components:
        components.append(
            {
                **component,
                "status": "valid",
                "status_reason": "",
                "status_index": await cert_repo.allocate_status_index(issuer.code),
            }
        )
    draft = CertificateDraft(
        id=uuid7(case.now),
        spec=spec,
        issuer=issuer,
        application_id=app.id,
        holder_name=app.holder_name,
        holder_code=app.holder_code,
        address=str(app.form.get(spec.address_field, "")),
        items=item_labels(spec, app.form.get(spec.items_field)),
        issued_at=case.now,
        components=tuple(components),
    )
    key = await ctx.keyring.signing_key(spec.issuer)
    check_qr_fits(draft, key, ctx.settings.base_url)
    numbers = await cert_repo.allocate_numbers(issuer.code, key.kid)
    certificate = sign_certificate(draft, key, ctx.settings.base_url, numbers)
    cert_repo.stage_certificate(case.batch, certificate)
    app.decision_reasons = reasons
    app.move_to(Status.APPROVED, case.now, actor="caller", reason=reasons)
    issued = DomainEvent(
        "certificate.issued",
        case.now,
        "caller",
        data={
            "certificate_id": str(certificate.id),
            "identifier": certificate.identifier,
            "number": certificate.number,
            "components": len(components),
        },
        target_type="certificate",
        target_id=str(certificate.id),
    )
    app.events.append(issued)
    await stage_pushed(
        ctx,
        case.batch,
        [
            outgoing(
                issued,
                subject=f"certificates/{certificate.id}",
                partition_key=str(app.id),
                permit_code=app.permit_code,
                data={
                    "certificate_id": str(certificate.id),
                    "identifier": certificate.identifier,
                    "number": certificate.number,
                    "licence_name": certificate.licence_name,
                    "holder_name": certificate.holder_name,
                    "holder_code": certificate.holder_code,
                    "address": certificate.address,
                    "permit_code": certificate.permit_code,
                    "route": app.route.value,
                    "application_id": str(app.id),
                    "components": [c["name"] for c in components],
                    "supervision_departments": list(spec.supervision_departments),
                    "claim_limit_working_days": spec.claim_limit_days,
                },
            )
        ],
        app.id,
    )
    case.notify(
        f"准予行政许可决定（办件 {app.number}）",
        f"您的申请已获准许可，电子证照 {certificate.number} 已签发，可在线下载。",
    )


async def extend(
    ctx: Services,
    principal: Principal,
    application_id: uuid.UUID,
    expected_version: int,
    reasons: str,
) -> Case:
    """The one extension of ten working days (art. 42), with reasons told to the applicant."""
    _check_decider(principal)
    reasons = _reasons(reasons)
    async with case_action(ctx, principal, application_id, expected_version) as case:
        require_status(case.app, *RUNNING)
        if case.app.extension_days:
            raise conflict(
                "already_extended",
                "该办件已延长过一次审查期限，依法不能再延长。",
                "The limit was extended once already; the law allows no second time.",
            )
        case.app.extension_days = EXTENSION_DAYS
        case.app.record(
            "application.extended",
            case.now,
            actor="caller",
            reason=reasons,
            data={"days": EXTENSION_DAYS},
        )
        case.notify(
            "延长审查期限告知",
            f"经负责人批准，办件 {case.app.number} 的审查期限延长 {EXTENSION_DAYS} 个工作日。"
            f"理由：{reasons}",
        )
    return case


PAUSERS = (Role.WINDOW_STAFF, Role.REVIEWER, Role.DECISION_MAKER, Role.DEPARTMENT_HEAD, Role.ADMIN)


async def pause(
    ctx: Services,
    principal: Principal,
    application_id: uuid.UUID,
    expected_version: int,
    reason: PauseReason,
    note: str,
) -> Case:
    """Stop the clocks for time the law does not count (art. 45); shown on the timeline."""
    if not principal.has(*PAUSERS):
        raise forbidden("您无权暂停办件计时。", "You may not pause a case's clocks.")
    async with case_action(ctx, principal, application_id, expected_version) as case:
        require_status(case.app, *RUNNING)
        if any(
            p["ended_on"] is None and p["reason"] == reason.value
            for p in await pause_repo.pauses_of(application_id)
        ):
            raise conflict(
                "already_paused", "该事由的计时暂停尚未结束。", "Already paused for this."
            )
        await pause_repo.open_pause(
            application_id, reason, local_date(case.now), principal.display_name, note
        )
        case.app.record(
            "clock.paused", case.now, actor="caller", reason=note, data={"reason": reason.value}
        )
        case.notify(
            "办件计时暂停", f"因{PAUSE_NAMES_ZH[reason]}，办件 {case.app.number} 暂停计时。{note}"
        )
    return case


async def resume(
    ctx: Services,
    principal: Principal,
    application_id: uuid.UUID,
    expected_version: int,
    reason: PauseReason,
) -> Case:
    if not principal.has(*PAUSERS):
        raise forbidden("您无权恢复办件计时。", "You may not resume a case's clocks.")
    async with case_action(ctx, principal, application_id, expected_version) as case:
        if not await pause_repo.close_pauses(
            application_id, reason, local_date(case.now), principal.display_name
        ):
            raise conflict("not_paused", "该事由没有进行中的计时暂停。", "Not paused for this.")
        case.app.record("clock.resumed", case.now, actor="caller", data={"reason": reason.value})
    return case
