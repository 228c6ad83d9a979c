"""Certificates, issuers' counters and signing keys."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from approvals.domain.certificates import CertStatus, IssuedCertificate
from approvals.domain.errors import DomainError, ErrorKind
from approvals.persistence.statements import WriteBatch, fetch
from approvals.repository.codec import (
    as_date,
    as_utc,
    as_utc_any,
    as_uuid,
    from_json,
    to_json,
)
from approvals.tables import Certificate, Issuer, SigningKey


def stage_certificate(batch: WriteBatch, cert: IssuedCertificate) -> None:
    batch.add(
        Certificate,
        {
            "id": cert.id,
            "identifier": cert.identifier,
            "number": cert.number,
            "serial": cert.serial,
            "version": cert.version,
            "issuer": cert.issuer_code,
            "permit_code": cert.permit_code,
            "application": cert.application_id,
            "licence_name": cert.licence_name,
            "licence_type_code": cert.licence_type_code,
            "holder_name": cert.holder_name,
            "holder_code": cert.holder_code,
            "holder_code_type": cert.holder_code_type,
            "address": cert.address,
            "items": to_json(cert.items),
            "issued_at": cert.issued_at,
            "issue_date": cert.issue_date,
            "valid_from": cert.valid_from,
            "valid_until": cert.valid_until,
            "status": cert.status.value,
            "status_reason": cert.status_reason,
            "status_changed_at": cert.status_changed_at or cert.issued_at,
            "status_index": cert.status_index,
            "kid": cert.kid,
            "token": cert.token,
            "post_check_pending": cert.post_check_pending,
            "supersedes": str(cert.supersedes) if cert.supersedes else None,
            "superseded_by": str(cert.superseded_by) if cert.superseded_by else None,
            "components": to_json(cert.components),
        },
    )


def _certificate(row: dict[str, Any]) -> IssuedCertificate:
    return IssuedCertificate(
        id=as_uuid(row["id"]),
        identifier=row["identifier"],
        number=row["number"],
        serial=int(row["serial"]),
        version=row["version"],
        issuer_code=row["issuer"],
        permit_code=row["permit_code"],
        application_id=as_uuid(row["application"]),
        licence_name=row["licence_name"],
        licence_type_code=row["licence_type_code"],
        holder_name=row["holder_name"],
        holder_code=row["holder_code"],
        holder_code_type=row["holder_code_type"],
        address=row["address"],
        items=from_json(row["items"]),
        issued_at=as_utc(row["issued_at"]),
        issue_date=as_date(row["issue_date"]),
        valid_from=as_date(row["valid_from"]),
        valid_until=as_date(row["valid_until"]) if row["valid_until"] else None,
        status=CertStatus(row["status"]),
        status_index=int(row["status_index"]),
        kid=row["kid"],
        token=row["token"],
        post_check_pending=bool(row["post_check_pending"]),
        status_reason=row["status_reason"],
        status_changed_at=as_utc(row["status_changed_at"]),
        supersedes=as_uuid(row["supersedes"]) if row["supersedes"] else None,
        superseded_by=as_uuid(row["superseded_by"]) if row["superseded_by"] else None,
        components=from_json(row["components"]),
    )


async def get_certificate(certificate_id: uuid.UUID) -> IssuedCertificate | None:
    rows = await Certificate.select().where(Certificate.id == certificate_id)
    return _certificate(rows[0]) if rows else None


async def find_by_identifier(identifier: str) -> IssuedCertificate | None:
    # On every verification: a statement built once, not a Piccolo query per call.
    rows = await fetch(
        "SELECT * FROM certificate WHERE identifier = :identifier", identifier=identifier
    )
    return _certificate(rows[0]) if rows else None


async def certificates_of_application(application_id: uuid.UUID) -> list[IssuedCertificate]:
    rows = (
        await Certificate.select()
        .where(Certificate.application == application_id)
        .order_by(Certificate.version)
    )
    return [_certificate(row) for row in rows]


async def allocate_numbers(issuer_code: str, kid: str) -> tuple[int, int]:
    """The issuer's next (serial, status-list index), inside the caller's transaction,
    provided ``kid`` is still the active key (see allocate_numbers_unless_barred)."""
    rows = await fetch(
        "UPDATE issuer SET last_serial = last_serial + 1,"
        " last_status_index = last_status_index + 1 WHERE code = :code"
        " AND EXISTS (SELECT 1 FROM signing_key WHERE kid = :kid AND state = 'active')"
        " RETURNING last_serial, last_status_index",
        code=issuer_code,
        kid=kid,
    )
    if not rows:
        raise DomainError(
            ErrorKind.CONFLICT,
            "signing_key_changed",
            "发证机关的签名密钥正在更换，请稍后重试。",
            "The issuer's signing key is being changed; retry in a moment.",
        )
    return int(rows[0]["last_serial"]), int(rows[0]["last_status_index"])


async def allocate_numbers_unless_barred(
    issuer_code: str, holder_code: str, today: date, kid: str
) -> tuple[int, int] | None:
    """The issuer's next (serial, status-list index), unless a credit record bars the
    holder from the commitment route today: then None, and nothing is allocated.

    A statement of its own, outside the issuing write, on purpose: the issuer row is
    one hot row, and holding its lock from allocation to commit serialised every
    issuance on PostgreSQL behind several round trips. A number is never handed out
    twice; an issuance that fails afterwards leaves a gap. The credit bar rides on the
    same statement so that a clean filing, by far the common case, pays one round trip
    for both. The same statement checks that ``kid`` is still the active key: another
    process may have rotated or revoked it since this one loaded its key ring.
    """
    rows = await fetch(
        "UPDATE issuer SET last_serial = last_serial + 1,"
        " last_status_index = last_status_index + 1"
        " WHERE code = :code AND NOT EXISTS (SELECT 1 FROM credit_record"
        " WHERE holder_code = :holder AND (barred_until IS NULL OR barred_until >= :today))"
        " AND EXISTS (SELECT 1 FROM signing_key WHERE kid = :kid AND state = 'active')"
        " RETURNING last_serial, last_status_index",
        code=issuer_code,
        holder=holder_code,
        today=today,
        kid=kid,
    )
    if not rows:
        if not await Issuer.exists().where(Issuer.code == issuer_code):
            raise LookupError(f"issuer {issuer_code!r} is not configured")
        return None
    return int(rows[0]["last_serial"]), int(rows[0]["last_status_index"])


async def change_status(
    certificate_id: uuid.UUID,
    *,
    expected: CertStatus,
    status: CertStatus,
    reason: str,
    at: datetime,
    superseded_by: uuid.UUID | None = None,
) -> bool:
    """Compare-and-set the status; False when someone changed it first."""
    rows = await fetch(
        "UPDATE certificate SET status = :status, status_reason = :reason,"
        " status_changed_at = :at, superseded_by = COALESCE(:superseded_by, superseded_by)"
        " WHERE id = :id AND status = :expected RETURNING id",
        status=status.value,
        reason=reason,
        at=at,
        id=certificate_id,
        expected=expected.value,
        superseded_by=str(superseded_by) if superseded_by else None,
    )
    return bool(rows)


async def set_components(
    certificate_id: uuid.UUID, components: list[dict[str, Any]], expected: list[dict[str, Any]]
) -> bool:
    """Compare-and-set the components of a combined licence."""
    current = await get_certificate(certificate_id)
    if current is None or current.components != expected:
        return False
    await Certificate.update({Certificate.components: to_json(components)}).where(
        Certificate.id == certificate_id
    )
    return True


async def allocate_status_index(issuer_code: str) -> int:
    rows = await fetch(
        "UPDATE issuer SET last_status_index = last_status_index + 1 WHERE code = :code"
        " RETURNING last_status_index",
        code=issuer_code,
    )
    if not rows:
        raise LookupError(f"issuer {issuer_code!r} is not configured")
    return int(rows[0]["last_status_index"])


async def certificates_signed_by(
    kid: str, statuses: tuple[CertStatus, ...]
) -> list[IssuedCertificate]:
    rows = await Certificate.select().where(
        (Certificate.kid == kid) & Certificate.status.is_in([s.value for s in statuses])
    )
    return [_certificate(row) for row in rows]


async def last_expiry_signed_by(kid: str) -> date | None:
    rows = await fetch("SELECT MAX(valid_until) AS last FROM certificate WHERE kid = :kid", kid=kid)
    last = rows[0]["last"] if rows else None
    return as_date(last) if last else None


# -- status lists ------------------------------------------------------------------


async def lock_status_list(issuer_code: str, at: datetime) -> tuple[bytes, int]:
    """The issuer's status array and version, locked until the transaction ends."""
    await fetch(
        "INSERT INTO status_list (issuer, bits, version, updated_at)"
        " VALUES (:issuer, :bits, 0, :at) ON CONFLICT (issuer) DO NOTHING",
        issuer=issuer_code,
        bits=b"",
        at=at,
    )
    rows = await fetch(
        "UPDATE status_list SET version = version WHERE issuer = :issuer RETURNING bits, version",
        issuer=issuer_code,
    )
    return bytes(rows[0]["bits"]), int(rows[0]["version"])


async def save_status_list(issuer_code: str, bits: bytes, version: int, at: datetime) -> None:
    await fetch(
        "UPDATE status_list SET bits = :bits, version = :version, updated_at = :at"
        " WHERE issuer = :issuer",
        bits=bits,
        version=version,
        at=at,
        issuer=issuer_code,
    )


async def allocate_acceptance_no(issuer_code: str) -> int:
    """The next 受理通知书 number (inside the accepting transaction: gap-free)."""
    rows = await fetch(
        "UPDATE issuer SET last_acceptance_no = last_acceptance_no + 1 WHERE code = :code"
        " RETURNING last_acceptance_no",
        code=issuer_code,
    )
    return int(rows[0]["last_acceptance_no"])


async def last_status_index(issuer_code: str) -> int:
    rows = await fetch("SELECT last_status_index FROM issuer WHERE code = :code", code=issuer_code)
    return int(rows[0]["last_status_index"]) if rows else 0


async def read_status_list(issuer_code: str) -> tuple[bytes, int, datetime] | None:
    rows = await fetch(
        "SELECT bits, version, updated_at FROM status_list WHERE issuer = :issuer",
        issuer=issuer_code,
    )
    if not rows:
        return None
    return bytes(rows[0]["bits"]), int(rows[0]["version"]), as_utc_any(rows[0]["updated_at"])


# -- issuers and keys ----------------------------------------------------------


async def issuers() -> list[dict[str, Any]]:
    return list(
        await Issuer.select(Issuer.code, Issuer.name, Issuer.credit_code, Issuer.jurisdiction)
    )


async def signing_key_rows() -> list[dict[str, Any]]:
    rows = await SigningKey.select().order_by(SigningKey.created_at)
    for row in rows:
        row["public_jwk"] = from_json(row["public_jwk"])
        for column in ("created_at", "activated_at", "retired_at", "revoked_at"):
            row[column] = as_utc(row[column]) if row[column] else None
    return list(rows)


async def set_key_state(
    kid: str, *, expected: str, state: str, at: datetime, reason: str = ""
) -> bool:
    """Compare-and-set a key's state, stamping the matching date."""
    stamp = {"active": "activated_at", "retired": "retired_at", "revoked": "revoked_at"}[state]
    reason_sql = ", revocation_reason = :reason" if state == "revoked" else ""
    rows = await fetch(
        f"UPDATE signing_key SET state = :state, {stamp} = :at{reason_sql}"
        " WHERE kid = :kid AND state = :expected RETURNING kid",
        state=state,
        at=at,
        kid=kid,
        expected=expected,
        **({"reason": reason} if state == "revoked" else {}),
    )
    return bool(rows)


async def insert_signing_key(
    *,
    kid: str,
    issuer_code: str,
    alg: str,
    public_jwk: dict[str, str],
    private_blob: bytes,
    state: str,
    at: datetime,
    purpose: str = "certificate",
) -> None:
    await SigningKey.insert(
        SigningKey(
            kid=kid,
            issuer=issuer_code,
            purpose=purpose,
            alg=alg,
            public_jwk=to_json(public_jwk),
            private_blob=private_blob,
            state=state,
            created_at=at,
            activated_at=at if state == "active" else None,
        )
    )
