"""The signed trust list: which authorities issue certificates, and with which keys, when.

A JWK Set at ``/.well-known/jwks.json`` says which keys exist, but not whose they are, since when
they may sign, or that one was compromised; and anyone who can change the web page can change
it. The trust list says all of that and is signed by a *trust-list key*, a deployment key kept
apart from the certificate keys, whose public JWK verifiers pin out of band (shipped in the app,
printed in the deployment notice). A stolen certificate key cannot vouch for itself.

Wire format, version 1
    A compact JWS (RFC 7515), header ``{"alg":"ES256"|"EdDSA","kid":<trust-list key id>,
    "typ":"hcl-trust+jwt"}`` (exactly these members), at most 1 MiB. The payload is a UTF-8 JSON
    object; verifiers ignore members they do not know. Times are Unix seconds in [0, 2^40).

    ``v``            int, always 1
    ``seq``          int, grows with every list published; refuse a lower one than last seen
    ``iat``          when the list was signed
    ``next_update``  when the next list will be out (after ``iat``); past it the list is *stale*:
                     still usable, but a compromised key may since have been revoked
    ``issuers``      array (≤ 1,000) of ``{"code", "name", "credit_code", "jurisdiction",
                     "status_list"}``: ``code`` is the issuer code in certificate identifiers
                     (the third part after the root; 1-64 of ``0-9A-Z``) and is unique;
                     ``name`` the authority (1-200 characters); ``credit_code`` its 18-character
                     unified social credit code; ``jurisdiction`` its administrative-division
                     code (2-12 digits); ``status_list`` the uri of its Status List Token
                     (:mod:`certs.status_list`; 1-512 characters)
    ``keys``         array (≤ 10,000) of public JWKs (``kty``, ``crv``, ``x``, ``y`` for EC only,
                     ``kid``, ``alg``, ``use: "sig"``; P-256/ES256 or Ed25519/EdDSA) with:
                     ``issuer`` (an issuer ``code`` above), ``state`` (``pending``, ``active``,
                     ``retired`` or ``revoked``), ``created``, and ``activated``, ``retired``,
                     ``revoked``, ``not_after``, each int or ``null``. The time of the current
                     state (``created`` for pending) is never null. ``not_after`` is the last
                     expiry among the certificates a retired key signed: from then on it may
                     leave the list.

What a key's state means for a token it signed (``iat`` from the token)
    ``pending`` (announced, signs nothing yet) → refuse; ``active`` → accept unless ``iat`` is
    more than 5 minutes before ``activated``; ``retired`` → the same, and refuse if ``iat`` is
    after ``retired`` (certificates outlive the key that signed them); ``revoked`` (compromised:
    anyone may hold it) → refuse, whatever ``iat`` says. Accept only keys whose ``issuer`` is
    the issuer code in the certificate's identifier. The same rules, with the list's ``iat``,
    apply to the key that signed an issuer's status list.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Annotated, Final, Literal, TypeAlias

import msgspec

from certs._jws import JwsRefused, open_jws, sign_jws
from certs.keys import SigningKey, VerifyingKey

TRUST_LIST_TYP: Final = "hcl-trust+jwt"
TRUST_LIST_VERSION: Final = 1
MAX_TRUST_LIST_LENGTH: Final = 1 << 20
# How far ahead of the device's clock a list may be signed before the clock is called wrong.
MAX_CLOCK_SKEW: Final = 86_400
# Key activation is recorded by one server and signing times by another.
_ACTIVATION_SKEW: Final = 300

KeyState: TypeAlias = Literal["pending", "active", "retired", "revoked"]
SigningProblem: TypeAlias = Literal["not_yet_valid_key", "signed_after_retirement", "revoked_key"]
Reason: TypeAlias = Literal[
    "malformed", "too_long", "unsupported_alg", "wrong_typ", "unknown_anchor", "bad_signature",
    "bad_payload", "bad_anchor", "rollback", "from_the_future",
]  # fmt: skip
MESSAGES: Final[Mapping[Reason, tuple[str, str]]] = {
    "malformed": ("信任清单格式错误。", "The trust list is not in the expected format."),
    "too_long": ("信任清单过大，已拒绝。", "The trust list is too large and was refused."),
    "unsupported_alg": ("信任清单的签名算法不被接受。", "The trust list's algorithm is refused."),
    "wrong_typ": ("这不是证照信任清单。", "This is not a certificate trust list."),
    "unknown_anchor": (
        "信任清单不是由本机信任的密钥签发的。",
        "The trust list is not signed by a key this device trusts.",
    ),
    "bad_signature": ("信任清单签名无效，可能已被篡改。", "The trust list signature is invalid."),
    "bad_payload": ("信任清单内容不符合规范。", "The trust list content is not well-formed."),
    "bad_anchor": ("本机保存的信任锚无效。", "The pinned trust anchor on this device is invalid."),
    "rollback": (
        "信任清单比本机已有的版本更旧，已拒绝。",
        "The trust list is older than the one already on this device.",
    ),
    "from_the_future": (
        "信任清单的签发时间晚于本机时间，请校准设备时间。",
        "The trust list is dated after this device's clock; check the device's time.",
    ),
}


class TrustListInvalid(ValueError):
    """A trust list (or its anchor) was refused. ``zh``/``en`` for people, ``detail`` for logs."""

    def __init__(self, reason: Reason, detail: str = "") -> None:
        self.reason: Reason = reason
        self.zh, self.en = MESSAGES[reason]
        self.detail = detail
        super().__init__(f"{self.en} [{reason}: {detail}]" if detail else self.en)


Time = Annotated[int, msgspec.Meta(ge=0, lt=2**40)]
IssuerCode = Annotated[str, msgspec.Meta(pattern=r"^[0-9A-Z]{1,64}$")]
B64Coordinate = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class Issuer(msgspec.Struct, frozen=True, kw_only=True):
    code: IssuerCode
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    credit_code: Annotated[str, msgspec.Meta(pattern=r"^[0-9A-Z]{18}$")]
    jurisdiction: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{2,12}$")]
    status_list: Annotated[str, msgspec.Meta(min_length=1, max_length=512)]


class TrustedKey(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A public JWK with the issuer it belongs to and its life so far."""

    kty: Literal["EC", "OKP"]
    crv: Literal["P-256", "Ed25519"]
    x: B64Coordinate
    y: B64Coordinate | None = None  # EC only; left out for Ed25519
    kid: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    alg: Literal["ES256", "EdDSA"]
    use: Literal["sig"]
    issuer: IssuerCode
    state: KeyState
    created: Time
    activated: Time | None
    retired: Time | None
    revoked: Time | None
    not_after: Time | None

    def __post_init__(self) -> None:
        # a key nobody can use is a broken list, not a key to skip in silence
        self.verifying_key()
        needed = _STATE_TIME[self.state]
        if getattr(self, needed) is None:
            raise ValueError(f"a key in state {self.state} needs its {needed} time")

    def verifying_key(self) -> VerifyingKey:
        return _verifying_key(self)

    def signing_problem(self, iat: int) -> SigningProblem | None:
        """Why this key cannot vouch for something it signed at ``iat``; None when it can."""
        if self.state == "revoked":
            return "revoked_key"
        if self.state == "pending":
            return "not_yet_valid_key"
        if self.activated is not None and iat < self.activated - _ACTIVATION_SKEW:
            return "not_yet_valid_key"
        if self.state == "retired" and self.retired is not None and iat > self.retired:
            return "signed_after_retirement"
        return None


_STATE_TIME: Final[Mapping[KeyState, str]] = {
    "pending": "created",
    "active": "activated",
    "retired": "retired",
    "revoked": "revoked",
}
_JWK_MEMBERS: Final = ("kty", "crv", "x", "y", "kid", "alg", "use")


@functools.lru_cache(maxsize=4096)
def _verifying_key(entry: TrustedKey) -> VerifyingKey:
    # Struct validation runs this once per entry; the cache serves every later lookup.
    members = {name: getattr(entry, name) for name in _JWK_MEMBERS}
    return VerifyingKey.from_jwk({k: v for k, v in members.items() if v is not None})


class TrustList(msgspec.Struct, frozen=True, kw_only=True):
    v: Literal[1]
    seq: Annotated[int, msgspec.Meta(ge=0, lt=2**53)]
    iat: Time
    next_update: Time
    issuers: Annotated[tuple[Issuer, ...], msgspec.Meta(max_length=1000)]
    keys: Annotated[tuple[TrustedKey, ...], msgspec.Meta(max_length=10_000)]

    def __post_init__(self) -> None:
        if self.next_update <= self.iat:
            raise ValueError("next_update must be after iat")
        codes = [issuer.code for issuer in self.issuers]
        if len(set(codes)) != len(codes):
            raise ValueError("issuer codes must be unique")
        orphans = {key.issuer for key in self.keys} - set(codes)
        if orphans:
            raise ValueError(f"keys name issuers that are not listed: {sorted(orphans)[:3]}")

    def is_stale(self, now: int) -> bool:
        """Past ``next_update``: usable, but revocations since then are unknown."""
        return now > self.next_update

    def issuer(self, code: str) -> Issuer | None:
        return next((issuer for issuer in self.issuers if issuer.code == code), None)

    def entries_for(self, kid: str) -> list[TrustedKey]:
        return [entry for entry in self.keys if entry.kid == kid]

    def keys_for(self, kid: str) -> list[VerifyingKey]:
        """Every listed key with this kid, in any state (a verifier tries each, see the docs)."""
        return [entry.verifying_key() for entry in self.entries_for(kid)]

    def key_state(self, kid: str) -> KeyState | None:
        """The state of the key with this kid; the gravest if several share it; None if absent."""
        states = {entry.state for entry in self.entries_for(kid)}
        return next((state for state in _GRAVEST_FIRST if state in states), None)

    def entry_for(self, key: VerifyingKey) -> TrustedKey | None:
        """The entry a verifying key (e.g. the one that checked a signature) came from."""
        return next((e for e in self.entries_for(key.kid) if e.verifying_key() == key), None)


_GRAVEST_FIRST: Final[tuple[KeyState, ...]] = ("revoked", "pending", "retired", "active")
_ENCODER: Final = msgspec.json.Encoder()
_DECODER: Final = msgspec.json.Decoder(TrustList)


def trusted_key(
    key: VerifyingKey,
    *,
    issuer: str,
    state: KeyState,
    created: int,
    activated: int | None = None,
    retired: int | None = None,
    revoked: int | None = None,
    not_after: int | None = None,
) -> TrustedKey:
    """The trust-list entry for ``key``; ValueError when the state lacks its time."""
    times = {"activated": activated, "retired": retired, "revoked": revoked}
    entry = {**key.to_jwk(), "issuer": issuer, "state": state, "created": created, **times}
    # convert() applies the same limits as decoding a published list
    return msgspec.convert({**entry, "not_after": not_after}, TrustedKey)


def build_trust_list(
    *,
    seq: int,
    iat: int,
    next_update: int,
    issuers: Sequence[Issuer],
    keys: Sequence[TrustedKey],
) -> TrustList:
    """A trust list that verifiers will accept; ValueError otherwise.

    Constructing a Struct checks ``__post_init__`` rules but not the field limits, so the list
    is encoded and decoded once, as :func:`certs.tokens.sign_token` does with claims.
    """
    trust_list = TrustList(
        v=TRUST_LIST_VERSION,
        seq=seq,
        iat=iat,
        next_update=next_update,
        issuers=tuple(issuers),
        keys=tuple(keys),
    )
    try:
        return _DECODER.decode(_ENCODER.encode(trust_list))
    except ValueError as exc:
        raise ValueError(f"this trust list would not verify: {exc}") from None


def sign_trust_list(trust_list: TrustList, key: SigningKey) -> str:
    """Sign with a trust-list key (never a certificate key: see the module docstring)."""
    payload = _ENCODER.encode(trust_list)
    try:
        _DECODER.decode(payload)
    except ValueError as exc:
        raise ValueError(f"this trust list would not verify: {exc}") from None
    token = sign_jws(TRUST_LIST_TYP, payload, key)
    if len(token) > MAX_TRUST_LIST_LENGTH:
        raise ValueError(f"the trust list would be {len(token)} characters")
    return token


def verify_trust_list(
    token: str,
    anchors: Sequence[VerifyingKey],
    *,
    now: int | None = None,
    min_seq: int | None = None,
) -> TrustList:
    """Verify a trust list against the pinned ``anchors``; TrustListInvalid for anything wrong.

    A stale list is returned, not refused (check :meth:`TrustList.is_stale`): old trust data
    beats none for an inspector without network. ``now``, when given, refuses a list signed
    more than a day after it, because a device clock that far behind would also call expired
    licences valid. ``min_seq`` refuses a list older than one already accepted (a replay).
    """
    by_kid: dict[str, list[VerifyingKey]] = {}
    for anchor in anchors:
        by_kid.setdefault(anchor.kid, []).append(anchor)
    try:
        raw, _ = open_jws(token, typ=TRUST_LIST_TYP, max_length=MAX_TRUST_LIST_LENGTH, keys=by_kid)
    except JwsRefused as exc:
        reason: Reason = "unknown_anchor" if exc.reason == "unknown_key" else exc.reason
        raise TrustListInvalid(reason, exc.detail) from None
    try:
        trust_list = _DECODER.decode(raw)
    except ValueError as exc:  # msgspec errors, bad UTF-8, and __post_init__ refusals
        raise TrustListInvalid("bad_payload", str(exc)[:200]) from None
    if min_seq is not None and trust_list.seq < min_seq:
        raise TrustListInvalid("rollback", f"seq {trust_list.seq} < {min_seq}")
    if now is not None and trust_list.iat > now + MAX_CLOCK_SKEW:
        raise TrustListInvalid("from_the_future", f"iat {trust_list.iat}, now {now}")
    return trust_list


def anchors_from_jwks(jwks: object) -> list[VerifyingKey]:
    """The pinned trust-list keys from a JWK Set ``{"keys": [...]}``; TrustListInvalid if none."""
    members = jwks.get("keys") if isinstance(jwks, Mapping) else None
    if not isinstance(members, list) or not members:
        raise TrustListInvalid("bad_anchor", "not a JWK Set with keys")
    try:
        return [VerifyingKey.from_jwk(_mapping(jwk)) for jwk in members]
    except ValueError as exc:
        raise TrustListInvalid("bad_anchor", str(exc)[:200]) from None


def _mapping(value: object) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise ValueError("a JWK is a JSON object")
    return value
