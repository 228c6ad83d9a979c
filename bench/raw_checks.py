"""The baseline's checks of a filing, without the framework (see ``bench.raw_issue``).

As ``approvals.services.filing.submit_application`` does on the commitment
route: the caller must be an applicant; the body is decoded by msgspec into the
service's own ``ApplicationIn``; the form is validated with
``forms.validation.validate_form`` against the published definition; the credit
code must be valid and the commitment accepted over the current digest. Every
problem is collected, none stops the others.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import msgspec

from approvals.web.schemas import ApplicationIn
from certs.keys import SigningKey
from forms.catalogue import PermitType
from forms.credit_code import credit_code_problem
from forms.validation import validate_form

_decoder = msgspec.json.Decoder(ApplicationIn)
_json = msgspec.json.Encoder(order="deterministic")


class Refused(Exception):
    def __init__(self, status: int, code: str, detail: object = None) -> None:
        super().__init__(code)
        self.status = status
        self.body = msgspec.json.encode({"code": code, "detail": detail})


@dataclass(frozen=True)
class Issuer:
    code: str
    name: str
    credit_code: str


@dataclass(frozen=True)
class Context:
    """Loaded once at start-up, like the service's caches."""

    spec: PermitType
    version: int
    key: SigningKey
    issuer: Issuer
    base_url: str
    commitment_digest: str  # forms.catalogue.commitment_text_digest, computed once


@dataclass(frozen=True)
class Caller:
    account_id: uuid.UUID
    username: str
    display_name: str
    roles: frozenset[str]


@dataclass(frozen=True)
class Filing:
    cleaned: dict[str, object]
    holder_code: str
    code_valid: bool  # the credit-bar look-up runs only for a valid code, as in the service
    signer_name: str
    problems: list[str]


def to_json(value: Any) -> str:
    return _json.encode(value).decode()


def check(ctx: Context, caller: Caller, body: bytes, today: date) -> Filing:
    """Decode and validate a filing; the credit-bar look-up is the caller's."""
    if "applicant" not in caller.roles:
        raise Refused(403, "forbidden")
    try:
        data = _decoder.decode(body)
    except msgspec.ValidationError as exc:
        raise Refused(400, "bad_request", str(exc)) from None
    if data.permit_code != ctx.spec.code:
        raise Refused(404, "not_found", "permit_code")
    if data.materials:
        raise Refused(422, "materials_not_supported_by_raw_baseline")
    spec = ctx.spec
    cleaned, field_problems = validate_form(spec, dict(data.form), today=today)
    problems = [f"form.{p.field}:{p.code}" for p in field_problems]
    holder_code = str(cleaned.get(spec.holder_code_field, ""))
    code_valid = bool(holder_code) and credit_code_problem(holder_code) is None
    if not code_valid:
        problems.append("credit_code_invalid")
    commitment = data.commitment
    if commitment is None or not commitment.accepted:
        problems.append("commitment_not_accepted")
    elif commitment.text_sha256 != ctx.commitment_digest:
        problems.append("commitment_text_changed")
    signer = commitment.signer_name if commitment else ""
    return Filing(cleaned, holder_code, code_valid, signer, problems)


def item_labels(spec: PermitType, values: object) -> list[str]:
    """As ``approvals.services.issuing.item_labels``: option labels without the bracketed part."""
    field = next((f for f in spec.fields if f.name == spec.items_field), None)
    if field is None or values is None:
        return []
    labels = {o.value: o.label.split("（", 1)[0].strip() for o in field.options}
    if isinstance(values, list):
        return [labels.get(str(v), str(v)) for v in values]
    return [labels.get(str(values), str(values))]
