"""Use case: the notice-and-commitment route (告知承诺, PRODUCT.md §3.1).

Every automatic check runs and all failures are reported at once; when all
pass, the permit is approved and the certificate issued in the same request,
with no staff involved. The only checks that need the database — is the holder
barred by a credit record? — ride on the statement that allocates the
certificate's numbers, so a clean filing costs two round trips on PostgreSQL
(allocate-unless-barred, then one atomic write) after the form was validated.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from approvals.clock import local_date
from approvals.domain import commitment as checks
from approvals.domain.applications import Application, Status
from approvals.domain.certificates import IssuedCertificate
from approvals.domain.errors import Problem, conflict
from approvals.domain.events import DomainEvent
from approvals.domain.ids import uuid7
from approvals.domain.people import Principal
from approvals.persistence.statements import WriteBatch
from approvals.persistence.transactions import is_unique_violation
from approvals.repository import certificates as cert_repo
from approvals.repository import materials as material_repo
from approvals.services.audit_log import outgoing
from approvals.services.cases import (
    SYSTEM,
    SubmitCommand,
    SubmitResult,
    commitment_check,
    new_case,
    signed_commitment,
    stage_case,
)
from approvals.services.catalogue import PublishedType
from approvals.services.context import Services
from approvals.services.issuing import (
    CertificateDraft,
    IssuerInfo,
    check_qr_fits,
    item_labels,
    sign_certificate,
)
from approvals.services.post_checks import stage_for_commitment_permit
from approvals.services.supervision import stage_pushed
from forms.credit_code import credit_code_problem


async def file_commitment_permit(
    ctx: Services,
    principal: Principal,
    published: PublishedType,
    cmd: SubmitCommand,
    cleaned: dict[str, object],
    form_problems: list[Problem],
    missing: list[tuple[str, str]],
    now: datetime,
) -> SubmitResult:
    spec = published.spec
    holder_code = str(cleaned.get(spec.holder_code_field, ""))
    code_flagged = any(p.field == f"form.{spec.holder_code_field}" for p in form_problems)
    results = [
        checks.check_form(form_problems),
        checks.check_materials(missing),
        checks.check_credit_code(
            spec.holder_code_field, _credit_code_reason(holder_code), reported=code_flagged
        ),
        commitment_check(published, cmd.commitment),
    ]
    today = local_date(now)
    if not all(r.passed for r in results):
        bar = None
        if holder_code and credit_code_problem(holder_code) is None:
            bar = await material_repo.active_credit_bar(holder_code, today)
        checks.require_all_passed([*results, checks.check_not_barred(bar)])

    application_id = uuid7(now)
    issuer = await ctx.issuers.get(spec.issuer)
    draft = _draft(published, cleaned, application_id, now, issuer)
    numbers = None
    for _ in range(2):
        key = await ctx.keyring.signing_key(spec.issuer)
        check_qr_fits(draft, key, ctx.settings.base_url)
        numbers = await cert_repo.allocate_numbers_unless_barred(
            spec.issuer, holder_code, today, key.kid
        )
        if numbers is not None:
            break
        # Barred — or the key was rotated by another process: reload and look again.
        await ctx.keyring.load(force=True)
        if (await ctx.keyring.signing_key(spec.issuer)).kid == key.kid:
            break
    if numbers is None:
        bar = await material_repo.active_credit_bar(holder_code, today)
        checks.require_all_passed([*results, checks.check_not_barred(bar)])
        raise conflict(  # not barred: the signing key changed twice under us
            "signing_key_changed",
            "发证机关的签名密钥正在更换，请稍后重试。",
            "The issuer's signing key is being changed; retry in a moment.",
        )
    results.append(checks.check_not_barred(None))

    for attempt in range(3):
        application = new_case(principal, published, cleaned, now, application_id)
        application.move_to(Status.APPROVED, now, actor=SYSTEM, reason="告知承诺自动核验全部通过")
        certificate = sign_certificate(draft, key, ctx.settings.base_url, numbers)
        try:
            await _write(ctx, principal, published, cmd, application, certificate, now, key.kid)
        except Exception as exc:
            # A case-number clash is astronomically rare: draw a new number and
            # reuse the certificate numbers, since nothing was written.
            if is_unique_violation(exc, "application_number") and attempt < 2:
                continue
            raise
        return SubmitResult(application, certificate, results)
    raise AssertionError("unreachable")


def _credit_code_reason(code: str) -> str | None:
    problem = credit_code_problem(code) if code else "missing"
    return None if problem is None else str(problem)


def _draft(
    published: PublishedType,
    cleaned: dict[str, object],
    application_id: uuid.UUID,
    now: datetime,
    issuer: IssuerInfo,
) -> CertificateDraft:
    spec = published.spec
    return CertificateDraft(
        id=uuid7(now),
        spec=spec,
        issuer=issuer,
        application_id=application_id,
        holder_name=str(cleaned.get(spec.holder_field, "")),
        holder_code=str(cleaned.get(spec.holder_code_field, "")),
        address=str(cleaned.get(spec.address_field, "")),
        items=item_labels(spec, cleaned.get(spec.items_field)),
        issued_at=now,
        post_check_pending=True,
    )


async def _write(
    ctx: Services,
    principal: Principal,
    published: PublishedType,
    cmd: SubmitCommand,
    application: Application,
    certificate: IssuedCertificate,
    now: datetime,
    kid: str,
) -> None:
    issued = DomainEvent(
        "certificate.issued",
        now,
        SYSTEM,
        data={
            "certificate_id": str(certificate.id),
            "identifier": certificate.identifier,
            "number": certificate.number,
            "kid": kid,
        },
        target_type="certificate",
        target_id=str(certificate.id),
    )
    events = [*application.events, issued]
    batch = WriteBatch()
    signed = signed_commitment(principal, published, cmd, now)
    stage_case(batch, principal, application, signed, cmd, events)
    cert_repo.stage_certificate(batch, certificate)
    stage_for_commitment_permit(
        batch,
        spec_post_check_days=published.spec.post_check_days,
        departments=list(published.spec.supervision_departments),
        application_id=application.id,
        certificate_id=certificate.id,
        holder_id=principal.account_id,
        holder_code=certificate.holder_code,
        holder_name=certificate.holder_name,
        permit_code=published.spec.code,
        issued_on=local_date(now),
        at=now,
    )
    # Every approval event goes to the supervision departments (PRODUCT.md §3.5),
    # in this same write; one partition per case keeps them in order.
    await stage_pushed(
        ctx,
        batch,
        [
            outgoing(
                event,
                subject=f"certificates/{certificate.id}"
                if event is issued
                else f"applications/{application.id}",
                partition_key=str(application.id),
                permit_code=application.permit_code,
                data=_payload(event, published, application, certificate),
            )
            for event in events
            if event.is_pushed
        ],
        application.id,
    )
    await batch.commit()


def _payload(
    event: DomainEvent,
    published: PublishedType,
    application: Application,
    cert: IssuedCertificate,
) -> dict[str, object]:
    """What a supervision department needs to act without calling back."""
    spec = published.spec
    common: dict[str, object] = {
        "application_id": str(application.id),
        "application_number": application.number,
        "permit_code": spec.code,
        "route": application.route.value,
        "holder_name": application.holder_name,
        "holder_code": application.holder_code,
        "supervision_departments": list(spec.supervision_departments),
    }
    if event.name != "certificate.issued":
        return {**common, "status": application.status.value, "reason": event.reason}
    due = cert.issue_date + timedelta(days=spec.post_check_days) if spec.post_check_days else None
    return {
        **common,
        **_certificate_payload(cert),
        "post_check_due": due.isoformat() if due else None,
        "claim_limit_working_days": spec.claim_limit_days,
    }


def _certificate_payload(cert: IssuedCertificate) -> dict[str, object]:
    return {
        "certificate_id": str(cert.id),
        "identifier": cert.identifier,
        "number": cert.number,
        "version": cert.version,
        "licence_name": cert.licence_name,
        "address": cert.address,
        "items": cert.items,
        "issued_at": cert.issued_at.isoformat(),
        "valid_until": cert.valid_until.isoformat() if cert.valid_until else None,
        "post_check_pending": cert.post_check_pending,
    }
