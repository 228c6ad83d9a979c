"""Compact JWS (RFC 7515) with a fixed ``typ``: the envelope of status lists and trust lists.

:mod:`certs.status_list` and :mod:`certs.trust_list` sign and open tokens the same way, so the
rules live once, here: exactly the header members ``alg``, ``kid`` and ``typ``; only the
algorithms of :class:`certs.keys.KeyAlgorithm`; canonical base64url; the payload handed back
only after a signature checks out. Each caller maps :class:`JwsRefused` onto its own refusal
with its own messages. (Certificate tokens have their own, tighter format: :mod:`certs.tokens`.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Final, Literal, TypeAlias

import msgspec

from certs._b64 import b64decode, b64encode
from certs.keys import KeyAlgorithm, SigningKey, VerifyingKey
from certs.tokens import KeyLookup

JwsReason: TypeAlias = Literal[
    "malformed", "too_long", "unsupported_alg", "wrong_typ", "unknown_key", "bad_signature"
]
_ALGORITHMS: Final = frozenset(str(alg) for alg in KeyAlgorithm)


class JwsRefused(ValueError):
    def __init__(self, reason: JwsReason, detail: str = "") -> None:
        self.reason: JwsReason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}")


class _Header(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # kid and typ optional so that {"alg":"none"} reads as unsupported_alg; no crit, zip, jku…
    alg: Annotated[str, msgspec.Meta(max_length=32)]
    kid: Annotated[str, msgspec.Meta(min_length=1, max_length=128)] | None = None
    typ: Annotated[str, msgspec.Meta(max_length=64)] | None = None


_ENCODER: Final = msgspec.json.Encoder()
_HEADER_DECODER: Final = msgspec.json.Decoder(_Header)


def sign_jws(typ: str, payload: bytes, key: SigningKey) -> str:
    header = _ENCODER.encode(_Header(alg=str(key.alg), kid=key.kid, typ=typ))
    signing_input = b64encode(header) + b"." + b64encode(payload)
    return (signing_input + b"." + b64encode(key.sign(signing_input))).decode("ascii")


def open_jws(
    token: object, *, typ: str, max_length: int, keys: KeyLookup
) -> tuple[bytes, VerifyingKey]:
    """The payload bytes of a JWS with header ``typ`` that one of ``keys`` verifies, and that key.

    The payload is decoded only after the signature checks out, so nobody's parser ever sees
    bytes an attacker chose.
    """
    if not isinstance(token, str) or not token.isascii():
        raise JwsRefused("malformed", "a JWS is ASCII text")
    if len(token) > max_length:
        raise JwsRefused("too_long", f"{len(token)} characters")
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise JwsRefused("malformed", "three non-empty parts separated by dots")
    header_raw, payload, signature = (b64decode(part) for part in parts)
    if header_raw is None or payload is None or signature is None:
        raise JwsRefused("malformed", "a part is not canonical base64url")
    try:
        header = _HEADER_DECODER.decode(header_raw)
    except ValueError:
        raise JwsRefused("malformed", "the header is not the expected JSON object") from None
    if header.alg not in _ALGORITHMS:
        raise JwsRefused("unsupported_alg", f"alg {header.alg!r}")
    if header.typ != typ or header.kid is None:
        raise JwsRefused("wrong_typ", f"typ {header.typ!r}, expected {typ!r}")
    try:
        candidates = keys[header.kid] if isinstance(keys, Mapping) else keys(header.kid)
    except KeyError:
        candidates = ()
    usable = [key for key in candidates if key.alg == header.alg]
    if not usable:
        raise JwsRefused("unknown_key", f"no {header.alg} key with kid {header.kid!r}")
    signing_input = f"{parts[0]}.{parts[1]}".encode("ascii")
    for key in usable:
        if key.verify(signature, signing_input):
            return payload, key
    raise JwsRefused("bad_signature", f"no key with kid {header.kid!r} verifies it")
