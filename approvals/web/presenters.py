"""Domain objects → wire Structs."""

from __future__ import annotations

import uuid
from datetime import date

from approvals.clock import local_date
from approvals.domain.applications import STATUS_NAMES_ZH, Application
from approvals.domain.certificates import (
    NATIONAL_CODES,
    CertStatus,
    IssuedCertificate,
    effective_status,
)
from approvals.domain.certificates import STATUS_NAMES_ZH as CERT_STATUS_NAMES_ZH
from approvals.domain.clocks import PAUSE_NAMES_ZH, ClockReading, PauseReason
from approvals.repository import audit as audit_repo
from approvals.repository.pauses import pauses_of
from approvals.services.audit_log import chain_of_application
from approvals.services.case_clock import case_clocks
from approvals.services.context import Services
from approvals.web.schemas import ApplicationOut, CertificateOut, ComponentOut, TimelineEntry
from approvals.web.schemas_workflow import ClockOut, ClocksOut, PauseOut
from certs.qr import verification_url


def certificate_out(cert: IssuedCertificate, base_url: str, today: date) -> CertificateOut:
    status = effective_status(cert.status, cert.valid_until, today)
    return CertificateOut(
        id=cert.id,
        identifier=cert.identifier,
        number=cert.number,
        version=cert.version,
        licence_name=cert.licence_name,
        holder_name=cert.holder_name,
        holder_code=cert.holder_code,
        address=cert.address,
        items=cert.items,
        issuer_code=cert.issuer_code,
        issue_date=cert.issue_date.isoformat(),
        valid_from=cert.valid_from.isoformat(),
        valid_until=cert.valid_until.isoformat() if cert.valid_until else None,
        status=status.value,
        status_code=NATIONAL_CODES[status],
        status_name=CERT_STATUS_NAMES_ZH[status],
        post_check_pending=cert.post_check_pending,
        kid=cert.kid,
        token=cert.token,
        verification_url=verification_url(base_url, cert.token),
        qr_png_url=f"{base_url}/api/certificates/{cert.id}/qr.png",
        face_png_url=f"{base_url}/api/certificates/{cert.id}/face.png",
        face_pdf_url=f"{base_url}/api/certificates/{cert.id}/face.pdf",
        status_reason=cert.status_reason,
        supersedes=cert.supersedes,
        superseded_by=cert.superseded_by,
        components=[
            ComponentOut(
                code=c["code"],
                name=c["name"],
                licence_type_code=c["licence_type_code"],
                status=c["status"],
                status_name=CERT_STATUS_NAMES_ZH[CertStatus(c["status"])],
            )
            for c in cert.components
        ],
    )


def application_out(
    app: Application,
    *,
    with_form: bool = False,
    certificates: list[IssuedCertificate] | None = None,
    base_url: str = "",
    today: date | None = None,
) -> ApplicationOut:
    today = today or local_date(app.decided_at or app.submitted_at)
    return ApplicationOut(
        id=app.id,
        number=app.number,
        permit_code=app.permit_code,
        catalogue_version=app.catalogue_version,
        route=app.route.value,
        status=app.status.value,
        status_name=STATUS_NAMES_ZH[app.status],
        holder_name=app.holder_name,
        holder_code=app.holder_code,
        submitted_at=app.submitted_at.isoformat(),
        decided_at=app.decided_at.isoformat() if app.decided_at else None,
        row_version=app.row_version,
        department=app.department,
        assignee=app.assignee,
        received_on=_iso(app.received_on),
        accepted_on=_iso(app.accepted_on),
        acceptance_no=app.acceptance_no,
        promised_due=_iso(app.promised_due),
        statutory_due=_iso(app.statutory_due),
        next_due=_iso(app.next_due),
        due_provisional=app.due_provisional,
        extension_days=app.extension_days,
        components=app.components,
        correction_items=app.correction_items,
        decision_reasons=app.decision_reasons,
        form=app.form if with_form else None,
        certificates=[certificate_out(c, base_url, today) for c in certificates or []],
    )


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def clock_out(reading: ClockReading | None) -> ClockOut | None:
    if reading is None:
        return None
    return ClockOut(
        reading.limit_days,
        reading.used_days,
        reading.remaining_days,
        reading.paused_days,
        reading.due,
        reading.provisional,
        reading.state.value,
        reading.met,
    )


async def clocks_out(services: Services, app: Application) -> ClocksOut:
    """Both clocks (promised, statutory) and every pause, as they stand today."""
    readings = await case_clocks(services, app, local_date(services.clock.now()))
    pauses = [
        PauseOut(
            p["reason"],
            PAUSE_NAMES_ZH[PauseReason(p["reason"])],
            p["started_on"],
            p["ended_on"],
            p["started_by"],
            p["note"],
        )
        for p in await pauses_of(app.id)
    ]
    return ClocksOut(
        readings.intake.due if readings.intake else None,
        clock_out(readings.promised),
        clock_out(readings.statutory),
        pauses,
    )


async def timeline_of(application_id: uuid.UUID) -> list[TimelineEntry]:
    """Everything that happened to the case, from its audit chain, oldest first."""
    entries = await audit_repo.entries_for_chain(chain_of_application(application_id))
    return [
        TimelineEntry(
            e.seq, e.at.isoformat(), e.action, e.actor_name, e.reason, e.target_type, e.target_id
        )
        for e in entries
    ]
