"""Building, checking and signing a certificate version.

Shared by every route that ends in a licence: the commitment flow here, the
review decision and re-issues later. Nothing in this module writes: the caller
owns the transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from approvals.clock import local_date
from approvals.domain.certificates import (
    CertStatus,
    IssuedCertificate,
    format_number,
    valid_until,
)
from approvals.domain.errors import DomainError, ErrorKind, not_found
from approvals.repository import certificates as repo
from certs.claims import CertificateClaims, StatusListRef
from certs.identifiers import build_identifier
from certs.keys import SigningKey
from certs.qr import QrTooDense, qr_version_for, verification_url
from certs.tokens import sign_token, size_probe
from forms.catalogue import PermitType

HOLDER_CODE_CREDIT = "001"  # GB/T 36903 holder-code type: unified social credit code
_WORST_SERIAL = 9_999_999_999
_WORST_STATUS_INDEX = 2**32 - 1  # the status-list index is a 32-bit number


@dataclass(frozen=True)
class IssuerInfo:
    code: str
    name: str
    credit_code: str
    jurisdiction: str


class Issuers:
    """Issuing authorities, cached: they change about once a decade."""

    def __init__(self) -> None:
        self._by_code: dict[str, IssuerInfo] = {}

    async def get(self, code: str, *, missing_is_404: bool = False) -> IssuerInfo:
        info = self._by_code.get(code)
        if info is None:
            rows = {r["code"]: r for r in await repo.issuers()}
            self._by_code = {
                c: IssuerInfo(c, r["name"], r["credit_code"], r["jurisdiction"])
                for c, r in rows.items()
            }
            info = self._by_code.get(code)
        if info is None and missing_is_404:
            raise not_found("该发证机关", "Issuer", "issuer")
        if info is None:
            raise DomainError(
                ErrorKind.CONFLICT,
                "issuer_not_configured",
                "该事项的发证机关尚未配置，请联系管理员。",
                f"Issuer {code} is not configured; ask an administrator.",
            )
        return info


@dataclass(frozen=True)
class CertificateDraft:
    """Everything about a certificate that is known before numbers are allocated."""

    id: uuid.UUID
    spec: PermitType
    issuer: IssuerInfo
    application_id: uuid.UUID
    holder_name: str
    holder_code: str
    address: str
    items: list[str]
    issued_at: datetime
    version: int = 1
    post_check_pending: bool = False
    components: tuple[dict[str, Any], ...] = ()

    @property
    def issue_date(self) -> date:
        return local_date(self.issued_at)

    @property
    def valid_until(self) -> date | None:
        return valid_until(self.issue_date, self.spec.validity_years)


def item_labels(spec: PermitType, values: Any) -> list[str]:
    """The permitted items as the certificate prints them (option labels, not codes)."""
    field = next((f for f in spec.fields if f.name == spec.items_field), None)
    if field is None or values is None:
        return []
    # The certificate prints the category, not the explanation in brackets:
    # "住宿场所（宾馆、酒店、旅店、招待所）" → "住宿场所".
    labels = {o.value: o.label.split("（", 1)[0].strip() for o in field.options}
    if isinstance(values, list):
        return [labels.get(str(v), str(v)) for v in values]
    return [labels.get(str(values), str(values))]


def claims_of(cert: IssuedCertificate, issuer_name: str) -> CertificateClaims:
    """What a certificate record says, as the token carries it."""
    return CertificateClaims(
        format_version=1,
        identifier=cert.identifier,
        number=cert.number,
        licence_name=cert.licence_name,
        holder=cert.holder_name,
        holder_code=cert.holder_code,
        holder_code_type=cert.holder_code_type,
        address=cert.address,
        items=tuple(cert.items),
        issuer=issuer_name,
        issued_at=int(cert.issued_at.timestamp()),
        issue_date=cert.issue_date.isoformat(),
        valid_from=cert.valid_from.isoformat(),
        valid_until=cert.valid_until.isoformat() if cert.valid_until else None,
        status_list=StatusListRef(idx=cert.status_index),
        components=tuple(c["licence_type_code"] for c in cert.components),
    )


def signed(cert: IssuedCertificate, issuer_name: str, key: SigningKey) -> IssuedCertificate:
    """The record with its token: the claims read from the record, signed with ``key``."""
    return replace(cert, kid=key.kid, token=sign_token(claims_of(cert, issuer_name), key))


def unsigned(draft: CertificateDraft, serial: int, status_index: int) -> IssuedCertificate:
    """The record of a first version, before signing."""
    spec, issuer = draft.spec, draft.issuer
    return IssuedCertificate(
        id=draft.id,
        identifier=build_identifier(
            spec.licence_type_code, issuer.credit_code, serial, draft.version
        ),
        number=format_number(spec.number_format, year=draft.issue_date.year, serial=serial),
        serial=serial,
        version=draft.version,
        issuer_code=issuer.code,
        permit_code=spec.code,
        application_id=draft.application_id,
        licence_name=spec.certificate_name,
        licence_type_code=spec.licence_type_code,
        holder_name=draft.holder_name,
        holder_code=draft.holder_code,
        holder_code_type=HOLDER_CODE_CREDIT,
        address=draft.address,
        items=draft.items,
        issued_at=draft.issued_at,
        issue_date=draft.issue_date,
        valid_from=draft.issue_date,
        valid_until=draft.valid_until,
        status=CertStatus.VALID,
        status_index=status_index,
        kid="",
        token="",
        post_check_pending=draft.post_check_pending,
        status_changed_at=draft.issued_at,
        components=list(draft.components),
    )


def check_qr_fits(draft: CertificateDraft, key: SigningKey, base_url: str) -> None:
    """Refuse, before anything is written, a first version whose QR would be too dense.

    Sized with the largest numbers the issuer could allocate, so the real token
    is never longer than the one measured here (and without signing: the
    signature's length is fixed).
    """
    worst = unsigned(draft, _WORST_SERIAL, _WORST_STATUS_INDEX)
    check_token_fits(worst, draft.issuer.name, key, base_url)


def check_token_fits(
    cert: IssuedCertificate, issuer_name: str, key: SigningKey, base_url: str
) -> None:
    """The same refusal for any version: its status index is not known yet, so the largest."""
    worst = replace(cert, status_index=_WORST_STATUS_INDEX)
    token = size_probe(claims_of(worst, issuer_name), key)
    try:
        qr_version_for(verification_url(base_url, token))
    except QrTooDense as exc:
        raise DomainError(
            ErrorKind.REFUSED,
            "certificate_too_long",
            "证照信息过长，二维码将无法可靠识读：请精简单位名称、地址或许可项目的写法后重新提交。",
            "The certificate's content is too long for a reliably scannable QR code "
            "(over version 22); shorten the holder name, address or permitted items.",
        ) from exc


def sign_certificate(
    draft: CertificateDraft, key: SigningKey, base_url: str, numbers: tuple[int, int]
) -> IssuedCertificate:
    """The first version, signed; the caller stages and commits it."""
    serial, status_index = numbers
    return signed(unsigned(draft, serial, status_index), draft.issuer.name, key)
