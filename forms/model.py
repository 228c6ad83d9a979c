"""The permit catalogue as data: what an administrator writes in `forms/catalogue/*.toml`.

Every Struct is frozen and refuses unknown keys, so a typo in a TOML file ("requried = false") is a
load error instead of a silently ignored line.  Nothing here knows about HTTP or the database;
`approvals/` stores a definition's digest with each application so that the exact form an applicant
filled in can always be shown again, even after the catalogue has moved on.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Literal

import msgspec

__all__ = [
    "Component",
    "Condition",
    "FieldKind",
    "FieldSpec",
    "MaterialSpec",
    "Option",
    "PermitType",
    "Reviewer",
    "Route",
    "TimeLimit",
]

# Identifiers end up in URLs, HTML ids and JSON keys, so keep them boring.
Slug = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Label = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
LongText = Annotated[str, msgspec.Meta(max_length=20_000)]
Positive = Annotated[int, msgspec.Meta(ge=1)]
DEFAULT_CONTENT_TYPES = ("application/pdf", "image/jpeg", "image/png")
MiB = 1024 * 1024


class _Data(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Shared configuration.  Subclasses repeat `frozen` (for mypy's dataclass view) and `kw_only`
    (msgspec applies it per class): keyword-only construction keeps factories and tests readable
    and lets optional and required fields sit in their natural order."""


class Route(StrEnum):
    """How an application of this type is decided."""

    COMMITMENT = "commitment"  # 告知承诺: issued at once when every automatic check passes
    REVIEW = "review"  # staff intake (受理), parallel review, decision
    FILING = "filing"  # 备案: recorded, not decided


class FieldKind(StrEnum):
    TEXT = "text"
    TEXTAREA = "textarea"
    CREDIT_CODE = "credit_code"  # 统一社会信用代码, GB 32100
    PHONE = "phone"  # mainland mobile or landline with area code
    ID_NUMBER = "id_number"  # 居民身份证号码, GB 11643
    EMAIL = "email"
    DATE = "date"  # YYYY-MM-DD
    INTEGER = "integer"
    DECIMAL = "decimal"  # kept as a normalised string ("120.5") so no float rounding creeps in
    BOOLEAN = "boolean"
    SELECT = "select"
    MULTISELECT = "multiselect"
    ADDRESS = "address"


class Option(_Data, frozen=True, kw_only=True):
    value: Slug
    label: Label


class Condition(_Data, frozen=True, kw_only=True):
    """A test on one cleaned form value: `equals` for a select or boolean, `contains` for a
    multiselect.  Exactly one of the two is set (checked when the catalogue loads)."""

    field: Slug
    equals: str | bool | None = None
    contains: str | None = None

    def holds(self, values: Mapping[str, object]) -> bool:
        """Whether the condition holds for `values` (cleaned, as `validate_form` returns them)."""
        value = values.get(self.field)
        if self.contains is not None:
            return isinstance(value, list) and self.contains in value
        # compare types too: True == 1 in Python, and a boolean must never match a string
        return type(value) is type(self.equals) and value == self.equals


class FieldSpec(_Data, frozen=True, kw_only=True):
    name: Slug
    label: Label
    kind: FieldKind
    required: bool = True
    max_length: Positive = 200
    min_length: Annotated[int, msgspec.Meta(ge=0)] = 0
    options: list[Option] = []
    # ints for INTEGER; decimal strings ("0.01") for DECIMAL, so the bound is exact
    min_value: int | str | None = None
    max_value: int | str | None = None
    # how many digits after the point a DECIMAL may have (areas are recorded to 0.01 m²)
    decimal_places: Annotated[int, msgspec.Meta(ge=0, le=10)] = 2
    date_rule: Literal["any", "not_future", "not_past"] = "any"
    max_items: Positive | None = None
    # a regular expression the whole (stripped) text must match, for text fields with a national
    # format (an ICP filing number); `help` should show the expected shape, the error quotes it
    pattern: str = ""
    # an optional field that becomes required when the condition holds ("which radiology
    # services?" once the applicant says they offer radiology)
    required_when: Condition | None = None
    help: str = ""
    section: str = ""


class MaterialSpec(_Data, frozen=True, kw_only=True):
    """One upload slot.  One upload serves every component listed, so nothing is uploaded twice."""

    slot: Slug
    name: Label
    required: bool
    max_bytes: Positive = 10 * MiB
    content_types: list[str] = msgspec.field(default_factory=lambda: list(DEFAULT_CONTENT_TYPES))
    help: str = ""
    # empty: the material belongs to the application as a whole; otherwise it is asked for only
    # when at least one of these components applies
    components: list[Slug] = []


class TimeLimit(_Data, frozen=True, kw_only=True):
    value: Positive
    unit: Literal["minutes", "working_days"]


class Component(_Data, frozen=True, kw_only=True):
    """One permit inside an industry bundle (一业一证); listed on the combined certificate."""

    code: Slug
    name: Label
    licence_type_code: str
    when: Condition | None = None  # None: always part of the bundle


class Reviewer(_Data, frozen=True, kw_only=True):
    """One department or specialty in the parallel review."""

    department: Slug
    name: Label
    # set when the opinion is needed only if that component applies (no radiology, no
    # radiation-health reviewer)
    component: Slug | None = None


class InspectionItem(_Data, frozen=True, kw_only=True):
    """One point of the joint on-site inspection (联合现场核查), checked by one department."""

    code: Slug
    text: Label
    department: Slug
    # only when that component applies (no radiology, no shielding check)
    component: Slug | None = None


class PermitType(_Data, frozen=True, kw_only=True):
    """A permit type (事项): one TOML file in `forms/catalogue/`.

    `department` and `issuer` are codes of rows the service seeds (the responsible section and the
    authority whose seal and credit code go on the certificate).  `holder_field`,
    `holder_code_field`, `address_field` and `items_field` name the form fields whose cleaned
    values the certificate carries, so `certs/` never has to know a form's field names.
    """

    code: Slug
    item_code: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    name: Label
    certificate_name: Label
    department: Slug
    issuer: Slug
    route: Route
    promised_limit: TimeLimit
    # TOML has no null: leave a key out to mean "none" (a commitment permit has no statutory clock;
    # a permit without validity never expires)
    statutory_limit: TimeLimit | None = None
    validity_years: Positive | None = None
    licence_type_code: str
    number_format: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    holder_field: Slug
    holder_code_field: Slug
    address_field: Slug
    items_field: Slug
    fields: list[FieldSpec]
    materials: list[MaterialSpec]
    notice: LongText
    commitment_text: LongText
    components: list[Component] = []
    reviewers: list[Reviewer] = []
    # the merged checklist of the joint on-site inspection, when the type has one
    checklist: list[InspectionItem] = []
    supervision_departments: list[Slug] = []
    # working days a supervision department has to claim an item pushed for this type
    claim_limit_days: Positive = 2
    # calendar days after issuance by which the post-check (事后核查) of a commitment is due
    post_check_days: Positive | None = None
    # calendar days a false commitment bars the applicant from the commitment route
    commitment_bar_days: Positive | None = None
    legal_basis: list[Label] = []
