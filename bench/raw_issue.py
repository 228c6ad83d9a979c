"""The baseline's issuance: the rows the service writes, as plain column → value dicts.

This mirrors ``approvals.services.commitment_permits.file_commitment_permit``
step for step: refuse a certificate whose QR code would be too dense (sized with
the largest numbers, ``certs.tokens.size_probe``) before writing; after the
issuer's numbers are allocated, the application, approved at once, with its
commitment letter; three audit entries chained with
``approvals.domain.audit.append``; the certificate signed with
``certs.tokens.sign_token``; the two outbox events. Nothing here touches Litestar
or Piccolo (``approvals.services`` imports the Piccolo tables, so the few lines
needed from it are repeated here).
"""

from __future__ import annotations

import hashlib
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec

from approvals.clock import local_date
from approvals.domain import audit
from approvals.domain.audit import EMPTY_HEAD, ChainHead
from approvals.domain.certificates import format_number, valid_until
from approvals.domain.events import EVENT_TYPE_PREFIX
from approvals.domain.ids import case_number, uuid7
from bench.raw_checks import Caller, Context, Filing, Refused, item_labels, to_json
from certs.claims import CertificateClaims, StatusListRef
from certs.identifiers import build_identifier
from certs.qr import QrTooDense, qr_version_for, verification_url
from certs.tokens import sign_token, size_probe

SYSTEM_NAME = "系统自动"
APPROVED_REASON = "告知承诺自动核验全部通过"
_WORST_SERIAL = 9_999_999_999
_WORST_STATUS_INDEX = 2**32 - 1
# Column names of audit_entry, as AuditRecord names them (but data is AuditRecord.data_json).
_AUDIT = "chain seq prev_hash entry_hash at actor_id actor_name action target_type target_id"

Row = dict[str, Any]


@dataclass
class Issue:
    """Everything known before the issuer's counters are allocated."""

    ctx: Context
    now: datetime
    application_id: uuid.UUID
    number: str
    certificate_id: uuid.UUID
    holder_name: str
    holder_code: str
    address: str
    items: list[str]
    application: Row = field(default_factory=dict)
    commitment: Row = field(default_factory=dict)
    audit_entries: list[Row] = field(default_factory=list)

    def claims(self, serial: int, status_index: int) -> CertificateClaims:
        spec, issuer, issued = self.ctx.spec, self.ctx.issuer, local_date(self.now)
        until = valid_until(issued, spec.validity_years)
        return CertificateClaims(
            format_version=1,
            identifier=build_identifier(spec.licence_type_code, issuer.credit_code, serial, 1),
            number=format_number(spec.number_format, year=issued.year, serial=serial),
            licence_name=spec.certificate_name,
            holder=self.holder_name,
            holder_code=self.holder_code,
            address=self.address,
            items=tuple(self.items),
            issuer=issuer.name,
            issued_at=int(self.now.timestamp()),
            issue_date=issued.isoformat(),
            valid_until=until.isoformat() if until else None,
            status_list=StatusListRef(idx=status_index),
        )

    def certificate(self, serial: int, status_index: int) -> tuple[Row, list[Row], bytes]:
        """The certificate row, the outbox rows and the response body, once numbers are known."""
        ctx, spec, now = self.ctx, self.ctx.spec, self.now
        claims = self.claims(serial, status_index)
        token = sign_token(claims, ctx.key)
        issued = local_date(now)
        until = valid_until(issued, spec.validity_years)
        common = {
            "holder_name": self.holder_name,
            "holder_code": self.holder_code,
            "address": self.address,
        }
        certificate = {
            "id": self.certificate_id,
            "identifier": claims.identifier,
            "number": claims.number,
            "serial": serial,
            "version": 1,
            "issuer": ctx.issuer.code,
            "permit_code": spec.code,
            "application": self.application_id,
            "licence_name": spec.certificate_name,
            "licence_type_code": spec.licence_type_code,
            **common,
            "holder_code_type": "001",
            "items": to_json(self.items),
            "issued_at": now,
            "issue_date": issued,
            "valid_from": issued,
            "valid_until": until,
            "status": "valid",
            "status_reason": "",
            "status_changed_at": now,
            "status_index": status_index,
            "kid": ctx.key.kid,
            "token": token,
            "post_check_pending": True,
            "supersedes": None,
            "superseded_by": None,
        }
        payload = {  # as approvals.services.commitment_permits._payload sends
            "certificate_id": str(self.certificate_id),
            "identifier": claims.identifier,
            "number": claims.number,
            "version": 1,
            "licence_name": spec.certificate_name,
            "permit_code": spec.code,
            "route": "commitment",
            "application_id": str(self.application_id),
            "application_number": self.number,
            **common,
            "items": self.items,
            "issued_at": now.isoformat(),
            "valid_until": until.isoformat() if until else None,
            "post_check_pending": True,
        }
        approved = {**common, "status": "approved", "reason": "告知承诺自动核验全部通过"}
        outbox = [
            {
                "event_id": uuid7(now),
                "type": EVENT_TYPE_PREFIX + "application.approved",
                "subject": f"applications/{self.application_id}",
                "partition_key": str(self.application_id),
                "time": now,
                "data": to_json(approved),
            },
            {
                "event_id": uuid7(now),
                "type": EVENT_TYPE_PREFIX + "certificate.issued",
                "subject": f"certificates/{self.certificate_id}",
                "partition_key": str(self.application_id),
                "time": now,
                "data": to_json(payload),
            },
        ]
        answer = msgspec.json.encode(
            {
                "application": {"id": self.application_id, "number": self.number},
                "certificate": {"id": self.certificate_id, "number": claims.number, "token": token},
            }
        )
        return certificate, outbox, answer


def _audit_entries(ctx: Context, caller: Caller, issue: Issue) -> tuple[list[Row], ChainHead]:
    """submitted (by the applicant), approved and certificate.issued (by the system)."""
    spec, app_id, cert_id = ctx.spec, str(issue.application_id), str(issue.certificate_id)
    applicant = (str(caller.account_id), caller.display_name)
    system = ("", SYSTEM_NAME)
    events: list[tuple[tuple[str, str], str, str, str, str, dict[str, Any]]] = [
        (applicant, "application.submitted", "application", app_id, "",
         {"permit_code": spec.code, "catalogue_version": ctx.version}),
        (system, "application.approved", "application", app_id, APPROVED_REASON,
         {"from": "submitted", "to": "approved"}),
        (system, "certificate.issued", "certificate", cert_id, "",
         {"certificate_id": cert_id, "licence": spec.certificate_name, "kid": ctx.key.kid}),
    ]  # fmt: skip
    head, rows = EMPTY_HEAD, []
    for (actor_id, actor_name), action, target_type, target_id, reason, data in events:
        record = audit.append(
            head,
            chain=f"application:{app_id}",
            at=issue.now,
            actor_id=actor_id,
            actor_name=actor_name,
            action=action,
            target_type=target_type,
            target_id=target_id,
            reason=reason,
            data=data,
        )
        head = ChainHead(record.seq, record.entry_hash)
        row = {name: getattr(record, name) for name in _AUDIT.split()}
        rows.append({**row, "reason": record.reason, "data": record.data_json})
    return rows, head


def prepare(ctx: Context, caller: Caller, filing: Filing, now: datetime) -> Issue:
    """The rows written before allocation; refuses a certificate whose QR would be too dense."""
    spec, cleaned = ctx.spec, filing.cleaned
    issue = Issue(
        ctx=ctx,
        now=now,
        application_id=uuid7(now),
        number=case_number(now),
        certificate_id=uuid7(now),
        holder_name=str(cleaned.get(spec.holder_field, "")),
        holder_code=filing.holder_code,
        address=str(cleaned.get(spec.address_field, "")),
        items=item_labels(spec, cleaned.get(spec.items_field)),
    )
    worst = size_probe(issue.claims(_WORST_SERIAL, _WORST_STATUS_INDEX), ctx.key)
    try:
        qr_version_for(verification_url(ctx.base_url, worst))
    except QrTooDense:
        raise Refused(422, "certificate_too_long") from None
    issue.audit_entries, head = _audit_entries(ctx, caller, issue)
    issue.application = {
        "id": issue.application_id,
        "number": issue.number,
        "permit_code": spec.code,
        "catalogue_version": ctx.version,
        "route": "commitment",
        "status": "approved",
        "applicant": caller.account_id,
        "holder_name": issue.holder_name,
        "holder_code": issue.holder_code,
        "form": to_json(cleaned),
        "submitted_at": now,
        "decided_at": now,
        "row_version": 2,  # submitted, then approved
        "audit_seq": head.seq,
        "audit_head": head.entry_hash,
        "updated_at": now,
    }
    text = unicodedata.normalize("NFC", spec.commitment_text)
    issue.commitment = {
        "id": uuid.uuid4(),
        "application": issue.application_id,
        "text": text,
        "text_sha256": hashlib.sha256(text.encode()).hexdigest(),
        "signer": caller.account_id,
        "signer_name": filing.signer_name,
        "signed_at": now,
        "catalogue_version": ctx.version,
    }
    return issue
