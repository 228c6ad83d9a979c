"""What every filing shares: the command, the signed commitment, the new case and its rows."""

from __future__ import annotations

import hashlib
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from approvals.domain import commitment as checks
from approvals.domain.applications import Application, Route, new_application
from approvals.domain.audit import EMPTY_HEAD
from approvals.domain.certificates import IssuedCertificate
from approvals.domain.events import DomainEvent
from approvals.domain.ids import case_number, uuid7
from approvals.domain.people import Principal
from approvals.persistence.statements import WriteBatch
from approvals.repository import applications as app_repo
from approvals.repository import audit as audit_repo
from approvals.repository.applications import SignedCommitment
from approvals.services.audit_log import chain_of_application, records_for
from approvals.services.catalogue import PublishedType

SYSTEM = "system"


@dataclass(frozen=True)
class CommitmentSignature:
    accepted: bool
    signer_name: str
    text_sha256: str


@dataclass(frozen=True)
class SubmitCommand:
    permit_code: str
    form: dict[str, object]
    materials: dict[str, list[uuid.UUID]] = field(default_factory=dict)
    commitment: CommitmentSignature | None = None


@dataclass(frozen=True)
class SubmitResult:
    application: Application
    certificate: IssuedCertificate | None
    checks: list[checks.CheckResult]


def commitment_check(
    published: PublishedType, signature: CommitmentSignature | None
) -> checks.CheckResult:
    if signature is None:
        return checks.check_commitment("", published.commitment_digest, accepted=False)
    return checks.check_commitment(
        signature.text_sha256, published.commitment_digest, accepted=signature.accepted
    )


def signed_commitment(
    principal: Principal, published: PublishedType, cmd: SubmitCommand, now: datetime
) -> SignedCommitment | None:
    if cmd.commitment is None or not published.spec.commitment_text:
        return None
    text = unicodedata.normalize("NFC", published.spec.commitment_text)
    return SignedCommitment(
        text=text,
        text_sha256=hashlib.sha256(text.encode()).hexdigest(),
        signer_id=principal.account_id,
        signer_name=cmd.commitment.signer_name,
        signed_at=now,
        catalogue_version=published.version,
    )


def new_case(
    principal: Principal,
    published: PublishedType,
    cleaned: dict[str, object],
    now: datetime,
    application_id: uuid.UUID | None = None,
) -> Application:
    """A new case with a fresh case number (a retry after a number clash keeps its id)."""
    spec = published.spec
    return new_application(
        id=application_id or uuid7(now),
        number=case_number(now),
        permit_code=spec.code,
        catalogue_version=published.version,
        route=Route(spec.route.value),
        applicant_id=principal.account_id,
        holder_name=str(cleaned.get(spec.holder_field, "")),
        holder_code=str(cleaned.get(spec.holder_code_field, "")),
        form=cleaned,
        at=now,
        actor=principal.username,
    )


def stage_case(
    batch: WriteBatch,
    principal: Principal,
    application: Application,
    signed: SignedCommitment | None,
    cmd: SubmitCommand,
    events: list[DomainEvent],
) -> None:
    """The rows every filing writes: the case, what was signed, its materials, its audit."""
    records, head = records_for(
        chain_of_application(application.id),
        EMPTY_HEAD,
        events,
        actor_id=str(principal.account_id),
        actor_name=principal.display_name,
        target_type="application",
        target_id=str(application.id),
    )
    app_repo.stage_application(batch, application, audit_seq=head.seq, audit_head=head.entry_hash)
    if signed is not None:
        app_repo.stage_commitment(batch, application.id, signed)
    app_repo.stage_materials(batch, application.id, cmd.materials)
    audit_repo.stage_entries(batch, records)
