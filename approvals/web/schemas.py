"""Wire types: explicit msgspec Structs with limits on everything that comes from outside.

Strings refuse NUL and other control characters at the edge (PostgreSQL cannot
store NUL, and no field of ours has a use for them).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

import msgspec
from msgspec import Meta, Struct

# No C0 controls except tab/newline, no DEL, no C1 controls.
NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"

Username = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")]
Password = Annotated[str, Meta(min_length=1, max_length=256, pattern=NO_CONTROL)]
ShortText = Annotated[str, Meta(max_length=200, pattern=NO_CONTROL)]
Slug = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")]
Sha256Hex = Annotated[str, Meta(min_length=64, max_length=64, pattern=r"^[0-9a-f]{64}$")]
FormText = Annotated[str, Meta(max_length=4000)]
FormValue = FormText | int | float | bool | list[Annotated[str, Meta(max_length=200)]] | None


class ErrorDetail(Struct):
    code: str
    zh: str
    en: str
    field: str | None = None


class ErrorBody(Struct):
    """Every error: a machine code, a Chinese and an English message, the field at fault."""

    code: str
    zh: str
    en: str
    field: str | None = None
    errors: list[ErrorDetail] = []


# -- auth --------------------------------------------------------------------


class LoginRequest(Struct, forbid_unknown_fields=True):
    username: Username
    password: Password
    session: Literal["bearer", "cookie"] = "bearer"


class Me(Struct):
    id: uuid.UUID
    username: str
    display_name: str
    roles: list[str]
    department: str | None
    csrf_token: str


class LoginResponse(Struct):
    token_type: str
    expires_in: int
    account: Me
    token: str | None = None


# -- catalogue ----------------------------------------------------------------


class TimeLimitOut(Struct):
    value: int
    unit: str


class PermitSummary(Struct):
    code: str
    name: str
    certificate_name: str
    route: str
    version: int
    promised_limit: TimeLimitOut
    statutory_limit: TimeLimitOut | None


class PermitDetail(Struct):
    code: str
    version: int
    commitment_text_sha256: str
    definition: dict[str, object]


# -- materials -----------------------------------------------------------------


class MaterialOut(Struct):
    id: uuid.UUID
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: str


# -- applications ----------------------------------------------------------------


class CommitmentIn(Struct, forbid_unknown_fields=True):
    accepted: bool
    signer_name: Annotated[str, Meta(min_length=1, max_length=50, pattern=NO_CONTROL)]
    text_sha256: Sha256Hex


class ApplicationIn(Struct, forbid_unknown_fields=True):
    permit_code: Slug
    form: Annotated[
        dict[Annotated[str, Meta(max_length=64)], FormValue],
        Meta(
            max_length=200,
            description="Field name → value, as the permit type defines them (GET "
            "/api/catalogue/{code}). At most 200 fields; names ≤ 64 characters; text ≤ 4000 "
            "characters; list items ≤ 200 characters. Every problem is reported at once.",
        ),
    ]
    materials: Annotated[
        dict[Slug, Annotated[list[uuid.UUID], Meta(max_length=20)]],
        Meta(
            max_length=50,
            description="Material slot → ids of files uploaded with POST /api/materials "
            "(your own uploads only). At most 50 slots and 20 files per slot.",
        ),
    ] = {}
    commitment: CommitmentIn | None = None


class CheckOut(Struct):
    code: str
    name: str
    passed: bool


Reason = Annotated[str, Meta(min_length=2, max_length=500, pattern=NO_CONTROL)]


class StatusChangeIn(Struct, forbid_unknown_fields=True):
    """暂扣/恢复/撤销/吊销/注销; ``component`` for one permit inside a combined licence."""

    action: Literal["suspend", "restore", "revoke", "revoke_penalty", "cancel"]
    reason: Reason
    component: Slug | None = None


class NewVersionIn(Struct, forbid_unknown_fields=True):
    """变更 (change: give the new values), 延续 (renewal), 补办 (reissue)."""

    kind: Literal["change", "renewal", "reissue"]
    reason: Reason
    holder_name: Annotated[str, Meta(min_length=1, max_length=200, pattern=NO_CONTROL)] | None = (
        None
    )
    address: Annotated[str, Meta(min_length=1, max_length=300, pattern=NO_CONTROL)] | None = None
    items: (
        Annotated[
            list[Annotated[str, Meta(min_length=1, max_length=60, pattern=NO_CONTROL)]],
            Meta(max_length=30),
        ]
        | None
    ) = None


class ComponentOut(Struct):
    code: str
    name: str
    licence_type_code: str
    status: str
    status_name: str


class NotificationOut(Struct):
    id: uuid.UUID
    subject: str
    title: str
    body: str
    created_at: str
    read: bool


class CertificateOut(Struct):
    id: uuid.UUID
    identifier: str
    number: str
    version: int
    licence_name: str
    holder_name: str
    holder_code: str
    address: str
    items: list[str]
    issuer_code: str
    issue_date: str
    valid_from: str
    valid_until: str | None
    status: str
    status_code: str
    status_name: str
    post_check_pending: bool
    kid: str
    token: str
    verification_url: str
    qr_png_url: str
    face_png_url: str
    face_pdf_url: str
    status_reason: str = ""
    supersedes: uuid.UUID | None = None
    superseded_by: uuid.UUID | None = None
    components: list[ComponentOut] = []


class ApplicationOut(Struct):
    id: uuid.UUID
    number: str
    permit_code: str
    catalogue_version: int
    route: str
    status: str
    status_name: str
    holder_name: str
    holder_code: str
    submitted_at: str
    decided_at: str | None
    row_version: int
    department: str = ""
    assignee: str | None = None
    received_on: str | None = None
    accepted_on: str | None = None
    acceptance_no: str = ""
    promised_due: str | None = None
    statutory_due: str | None = None
    next_due: str | None = None
    due_provisional: bool = False
    extension_days: int = 0
    components: list[dict[str, object]] = []
    correction_items: list[dict[str, object]] = []
    decision_reasons: str = ""
    form: dict[str, object] | None = None
    certificates: list[CertificateOut] = []


class ApplicationCreated(Struct):
    application: ApplicationOut
    certificate: CertificateOut | None
    checks: list[CheckOut]


class ApplicationPage(Struct):
    items: list[ApplicationOut]
    next_cursor: str | None


class TimelineEntry(Struct):
    seq: int
    at: str
    action: str
    actor_name: str
    reason: str
    target_type: str
    target_id: str


# -- verification ---------------------------------------------------------------


class VerifyRequest(Struct, forbid_unknown_fields=True):
    token: Annotated[str, Meta(min_length=1, max_length=8192)]


class VerificationOut(Struct):
    genuine: bool
    verdict: Literal["valid", "not_valid", "not_genuine", "unknown"]
    message_zh: str
    message_en: str
    reason: str | None = None
    status: str | None = None
    status_code: str | None = None
    status_name: str | None = None
    post_check_pending: bool | None = None
    superseded_by: str | None = None
    kid: str | None = None
    current_version_url: str | None = None
    components: list[dict[str, str]] = []
    certificate: dict[str, object] | None = None


def encode(value: object) -> bytes:
    return msgspec.json.encode(value)
