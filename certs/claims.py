"""The claims carried in a certificate token, with their short wire keys.

The wire format is documented in :mod:`certs.tokens`. Keys are short because every byte of the
payload ends up as about 9 bits of QR code (base64url, then two digits a character), and the
symbol must stay small enough for cheap phone cameras.

Strings are NFC-normalised on construction: the same Chinese name typed on two systems can arrive
composed or decomposed, and a signed document must have one byte form. Decoding runs the same
checks, so a token whose claims break them is reported as ``bad_claims``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated, Final, Literal

import msgspec

from certs.identifiers import InvalidIdentifier, parse_identifier

FORMAT_VERSION: Final = 1
# GB/T 36903 holder code type of a unified social credit code: the default, left off the wire.
HOLDER_CODE_CREDIT: Final = "001"

# China has kept UTC+8 without daylight saving since 1991; a fixed offset needs no tz database.
SHANGHAI: Final = timezone(timedelta(hours=8), "Asia/Shanghai")

_DATE_RE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NO_CONTROL_RE: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")

# Limits for decoding untrusted tokens; generous next to real licences, tight next to abuse.
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Day = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
Item = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class StatusListRef(msgspec.Struct, frozen=True, omit_defaults=True):
    """Where this certificate's status lives (IETF Token Status List: index into a list)."""

    idx: Annotated[int, msgspec.Meta(ge=0, lt=2**32)]
    # Absent: the status list of the issuer named in ``id``, at the place the trust list gives.
    # Leaving it out saves ~50 bytes of QR code on every licence.
    uri: Annotated[str, msgspec.Meta(min_length=1, max_length=512)] | None = None


class CertificateClaims(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """What a certificate says. Field order is wire order; optional fields are left out when unset.

    The licence type code, issuer code and version that GB/T 36903 names are *parts of*
    ``identifier`` and are read from it (the properties below) rather than sent twice: every
    byte of payload costs ~9 bits of QR code, and a symbol above version 22 fails on cheap
    phone cameras. ``valid_from`` is sent only when it differs from ``issue_date``, and
    ``holder_code_type`` only when it is not ``001`` (a credit code).
    """

    format_version: Literal[1] = msgspec.field(name="v")
    identifier: Name = msgspec.field(name="id")
    number: Name = msgspec.field(name="no")
    licence_name: Name = msgspec.field(name="ln")
    holder: Name = msgspec.field(name="h")
    holder_code: Code = msgspec.field(name="hc")
    holder_code_type: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{3}$")] = msgspec.field(
        default=HOLDER_CODE_CREDIT, name="hct"
    )
    address: Annotated[str, msgspec.Meta(max_length=300)] = msgspec.field(name="ad")
    items: Annotated[tuple[Item, ...], msgspec.Meta(max_length=100)] = msgspec.field(name="it")
    issuer: Name = msgspec.field(name="is")
    issued_at: Annotated[int, msgspec.Meta(ge=0, lt=2**40)] = msgspec.field(name="iat")
    issue_date: Day = msgspec.field(name="di")
    valid_from: Day | None = msgspec.field(default=None, name="vf")
    valid_until: Day | None = msgspec.field(default=None, name="vu")
    jurisdiction: Code | None = msgspec.field(default=None, name="jd")
    status_list: StatusListRef | None = msgspec.field(default=None, name="sl")
    # The licence type codes of the licences folded into a combined licence (多证合一), in
    # the order printed. Names and per-component status are in the registry (online
    # verification): each name would cost ~50 bytes, and three of them push the QR code of
    # a real 开办医疗机构 licence past version 22.
    components: Annotated[tuple[Code, ...], msgspec.Meta(max_length=50)] = msgspec.field(
        default=(), name="cm"
    )

    def __post_init__(self) -> None:
        _normalise_fields(self, _TEXT_FIELDS)
        items = tuple(_normalised_text("items", item) for item in self.items)
        if items != self.items:  # also turns a list from the caller into a tuple
            msgspec.structs.force_setattr(self, "items", items)
        components = tuple(_normalised_text("components", c) for c in self.components)
        if components != self.components:  # also turns a list into a tuple
            msgspec.structs.force_setattr(self, "components", components)
        # omit_defaults compares a str with its default by identity, not equality: a "001" read
        # from a database row or a JSON document would otherwise still be sent. Likewise a
        # valid_from equal to the issue date means the same as none and must not cost bytes.
        if self.holder_code_type == HOLDER_CODE_CREDIT:
            msgspec.structs.force_setattr(self, "holder_code_type", HOLDER_CODE_CREDIT)
        if self.valid_from is not None and self.valid_from == self.issue_date:
            msgspec.structs.force_setattr(self, "valid_from", None)
        self._check_consistency()

    @property
    def licence_type(self) -> str:
        """GB/T 36903 licence type code (21 characters), from the identifier."""
        return _parse_identifier(self.identifier).type_code

    @property
    def issuer_code(self) -> str:
        """The issuing authority's credit code, from the identifier."""
        return _parse_identifier(self.identifier).issuer_code

    @property
    def version(self) -> int:
        """The licence version (1..999), from the identifier."""
        return _parse_identifier(self.identifier).version

    @property
    def starts(self) -> str:
        """First day of validity: ``valid_from`` when sent, else the issue date."""
        return self.valid_from or self.issue_date

    def _check_consistency(self) -> None:
        if self.format_version != FORMAT_VERSION:
            raise ValueError(f"unsupported format version {self.format_version}")
        try:
            parsed = _parse_identifier(self.identifier)
        except InvalidIdentifier as exc:
            raise ValueError(f"identifier: {exc}") from None
        if parsed.identifier != self.identifier:
            raise ValueError("identifier must be in canonical upper-case form")
        parse_day("issue_date", self.issue_date)
        start = parse_day("valid_from", self.starts)
        if self.valid_until is not None and parse_day("valid_until", self.valid_until) < start:
            raise ValueError("valid_until is before valid_from")


# Signing decodes what it just built and verifiers see the same identifiers again and again.
_parse_identifier: Final = functools.lru_cache(maxsize=4096)(parse_identifier)

_TEXT_FIELDS: Final = (
    "identifier",
    "number",
    "licence_name",
    "holder",
    "holder_code",
    "holder_code_type",
    "address",
    "issuer",
    "issue_date",
    "valid_from",
    "valid_until",
    "jurisdiction",
)


def parse_day(name: str, text: str) -> date:
    """Parse a ``YYYY-MM-DD`` claim strictly (``date.fromisoformat`` also takes other forms)."""
    if not _DATE_RE.fullmatch(text):
        raise ValueError(f"{name} must be YYYY-MM-DD, got {text!r}")
    return date.fromisoformat(text)


def shanghai_date(moment: datetime) -> str:
    """The calendar day in China of an aware datetime, as the claims write dates."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no defined day in China")
    return moment.astimezone(SHANGHAI).date().isoformat()


def numeric_date(moment: datetime) -> int:
    """JWT NumericDate (whole Unix seconds) of an aware datetime, for ``issued_at``."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime is not a point in time")
    return int(moment.astimezone(UTC).timestamp())


def _normalise_fields(struct: msgspec.Struct, names: tuple[str, ...]) -> None:
    for name in names:
        value = getattr(struct, name)
        if value is not None:
            normalised = _normalised_text(name, value)
            if normalised is not value:
                msgspec.structs.force_setattr(struct, name, normalised)


def _normalised_text(name: str, value: object) -> str:
    # line breaks and other controls have no place on a licence and can fake layout on a screen
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    if _NO_CONTROL_RE.search(value):
        raise ValueError(f"{name} contains a control character")
    if unicodedata.is_normalized("NFC", value):
        return value
    return unicodedata.normalize("NFC", value)
