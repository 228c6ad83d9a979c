"""Electronic certificates (电子证照): statuses, validity and the issuing record.

Status codes follow the national platforms (REFERENCES.md §3): 01 valid,
02 suspended, 03 revoked (撤销), 04 cancelled (注销), 05 expired, 06
transferred out, 07 revoked as a penalty (吊销), 99 other — "superseded by a
newer version" is reported as 99 with its own name.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from approvals.domain.errors import conflict


class CertStatus(StrEnum):
    VALID = "valid"
    SUSPENDED = "suspended"
    REVOKED = "revoked"  # 撤销: defect in issuance (e.g. a false commitment)
    REVOKED_PENALTY = "revoked_penalty"  # 吊销: revoked as a penalty
    CANCELLED = "cancelled"  # 注销 at the holder's request
    EXPIRED = "expired"
    SUPERSEDED = "superseded"


NATIONAL_CODES: Final[dict[CertStatus, str]] = {
    CertStatus.VALID: "01",
    CertStatus.SUSPENDED: "02",
    CertStatus.REVOKED: "03",
    CertStatus.CANCELLED: "04",
    CertStatus.EXPIRED: "05",
    CertStatus.REVOKED_PENALTY: "07",
    CertStatus.SUPERSEDED: "99",
}

STATUS_NAMES_ZH: Final[dict[CertStatus, str]] = {
    CertStatus.VALID: "有效",
    CertStatus.SUSPENDED: "暂扣",
    CertStatus.REVOKED: "已撤销",
    CertStatus.REVOKED_PENALTY: "已吊销",
    CertStatus.CANCELLED: "已注销",
    CertStatus.EXPIRED: "已失效",
    CertStatus.SUPERSEDED: "已被新版本替代",
}


def valid_until(issue_date: date, years: int | None) -> date | None:
    """Last day of validity: the day before the anniversary (4 years → 2026-11-23..2030-11-22).

    A 29 February issue date expires on 28 February of the anniversary year.
    """
    if years is None:
        return None
    try:
        anniversary = issue_date.replace(year=issue_date.year + years)
    except ValueError:  # 29 February into a common year
        anniversary = issue_date.replace(year=issue_date.year + years, day=28) + timedelta(days=1)
    return anniversary - timedelta(days=1)


def effective_status(stored: CertStatus, valid_until_date: date | None, today: date) -> CertStatus:
    """Expiry is a fact of the calendar, not an event: derive it when reading."""
    if stored is CertStatus.VALID and valid_until_date is not None and today > valid_until_date:
        return CertStatus.EXPIRED
    return stored


def format_number(template: str, *, year: int, serial: int) -> str:
    return template.format(year=year, serial=serial)


@dataclass
class IssuedCertificate:
    """The record of one certificate version as issued."""

    id: uuid.UUID
    identifier: str
    number: str
    serial: int
    version: int
    issuer_code: str
    permit_code: str
    application_id: uuid.UUID
    licence_name: str
    licence_type_code: str
    holder_name: str
    holder_code: str
    holder_code_type: str
    address: str
    items: list[str]
    issued_at: datetime
    issue_date: date
    valid_from: date
    valid_until: date | None
    status: CertStatus
    status_index: int
    kid: str
    token: str
    post_check_pending: bool = False
    status_reason: str = ""
    status_changed_at: datetime | None = None
    supersedes: uuid.UUID | None = None
    superseded_by: uuid.UUID | None = None
    components: list[dict[str, Any]] = field(default_factory=list)


# -- status changes and versions -------------------------------------------------


class StatusAction(StrEnum):
    SUSPEND = "suspend"  # 暂扣
    RESTORE = "restore"  # 恢复 (end of a suspension)
    REVOKE = "revoke"  # 撤销: issued in error or on a false commitment
    REVOKE_PENALTY = "revoke_penalty"  # 吊销: withdrawn as a penalty
    CANCEL = "cancel"  # 注销: at the holder's request


# action: (statuses it may start from, status it leads to, event name)
STATUS_CHANGES: Final[dict[StatusAction, tuple[frozenset[CertStatus], CertStatus, str]]] = {
    StatusAction.SUSPEND: (
        frozenset({CertStatus.VALID}),
        CertStatus.SUSPENDED,
        "certificate.suspended",
    ),
    StatusAction.RESTORE: (
        frozenset({CertStatus.SUSPENDED}),
        CertStatus.VALID,
        "certificate.restored",
    ),
    StatusAction.REVOKE: (
        frozenset({CertStatus.VALID, CertStatus.SUSPENDED}),
        CertStatus.REVOKED,
        "certificate.revoked",
    ),
    StatusAction.REVOKE_PENALTY: (
        frozenset({CertStatus.VALID, CertStatus.SUSPENDED}),
        CertStatus.REVOKED_PENALTY,
        "certificate.revoked",
    ),
    StatusAction.CANCEL: (
        frozenset({CertStatus.VALID, CertStatus.SUSPENDED}),
        CertStatus.CANCELLED,
        "certificate.cancelled",
    ),
}

ACTION_NAMES_ZH: Final[dict[StatusAction, str]] = {
    StatusAction.SUSPEND: "暂扣",
    StatusAction.RESTORE: "恢复",
    StatusAction.REVOKE: "撤销",
    StatusAction.REVOKE_PENALTY: "吊销",
    StatusAction.CANCEL: "注销",
}


class VersionKind(StrEnum):
    CHANGE = "change"  # 变更: some recorded facts changed (name, address, items)
    RENEWAL = "renewal"  # 延续: a new period of validity
    REISSUE = "reissue"  # 补办: lost or damaged; same content, new version
    REKEY = "rekey"  # re-signed because the old signing key was revoked


VERSION_NAMES_ZH: Final[dict[VersionKind, str]] = {
    VersionKind.CHANGE: "变更",
    VersionKind.RENEWAL: "延续",
    VersionKind.REISSUE: "补办",
    VersionKind.REKEY: "密钥更换重签",
}

# IETF Token Status List values (2 bits); expiry is read from the token, not listed.
LIST_VALUE: Final[dict[CertStatus, int]] = {
    CertStatus.VALID: 0,
    CertStatus.EXPIRED: 0,
    CertStatus.REVOKED: 1,
    CertStatus.REVOKED_PENALTY: 1,
    CertStatus.CANCELLED: 1,
    CertStatus.SUSPENDED: 2,
    CertStatus.SUPERSEDED: 3,
}


def next_status(current: CertStatus, action: StatusAction) -> CertStatus:
    """The status ``action`` leads to from ``current``; a conflict if it cannot start there."""
    starts, target, _ = STATUS_CHANGES[action]
    if current not in starts:
        raise conflict(
            "illegal_status_change",
            f"证照当前状态为「{STATUS_NAMES_ZH[current]}」，不能{ACTION_NAMES_ZH[action]}。",
            f"The certificate is {current.value}; it cannot be {action.value}d.",
        )
    return target
