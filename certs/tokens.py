"""Certificate tokens: what the QR code on an electronic licence carries, and how to check one.

Wire format, version 1
======================

A token is a JWS in compact serialisation (RFC 7515 §7.1), three base64url parts joined by dots::

    BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(signature)

base64url is RFC 4648 §5 without ``=`` padding, and canonical: the unused low bits of the last
character are zero, so each byte string has exactly one spelling. The whole token is ASCII and at
most 4096 characters; a verifier refuses anything longer before decoding it.

Header
    UTF-8 JSON, exactly these members in this order, no whitespace::

        {"alg":"ES256","kid":"<kid>","typ":"hcl+jwt"}

    ``alg`` is ``"ES256"`` (ECDSA on NIST P-256 with SHA-256) or ``"EdDSA"`` (Ed25519, RFC 8037).
    ``kid`` names the signing key (see *Keys*). ``typ`` is always ``"hcl+jwt"``. There is no
    ``zip``, ``crit``, ``jku``, ``x5u`` or any other member. (Our verifier insists on these exact
    bytes; a third-party verifier may settle for these three members with these values.)

Payload
    UTF-8 JSON object of the claims below, written in this order without whitespace and with
    non-ASCII characters as UTF-8 (not ``\\u`` escapes); a verifier must not depend on the order.
    Every string is in Unicode NFC and has no control characters (U+0000-U+001F, U+007F-U+009F,
    U+2028, U+2029). Optional claims are omitted, never ``null``. Verifiers ignore claims and
    object members they do not know. Dates are ``YYYY-MM-DD`` calendar days in China (UTC+8).
    Limits a verifier enforces: names and texts 1-200 characters, ``ad`` 0-300, codes 1-64,
    at most 100 items and 50 components, ``iat`` in [0, 2^40), ``sl.idx`` in [0, 2^32),
    ``sl.uri`` 1-512 characters.

    =====  ===========================  ==========================================================
    key    type                         meaning
    =====  ===========================  ==========================================================
    v      int                          format version, always 1; reject other values
    id     string                       GB/T 36904 identifier ``1.2.156.3005.2.<type code 21>.``
                                        ``<issuer code 18>.<serial 10 digits>.<version 3 digits>.``
                                        ``<check>``; check = ISO/IEC 7064 MOD 37,36 over the
                                        identifier without the root and without dots
    no     string                       certificate number as the authority prints it (may be
                                        Chinese), e.g. ``银卫公字〔2026〕第000123号``
    ln     string                       licence name, e.g. ``公共场所卫生许可证``
    h      string                       holder name (person or organisation)
    hc     string                       holder code (credit code or ID number)
    hct    string (3 digits), optional  holder code type: ``001`` unified social credit code
                                        (the default when absent), ``111`` resident identity
                                        card number (GB/T 36903 codes)
    ad     string                       address (may be empty)
    it     array of strings             permitted items (may be empty)
    is     string                       issuing authority name
    iat    int                          signing time, JWT NumericDate (Unix seconds)
    di     string date                  issue date printed on the licence
    vf     string date, optional        first day of validity; absent = the issue date ``di``
    vu     string date, optional        last day of validity, not before the first; absent =
                                        no expiry
    jd     string, optional             jurisdiction, administrative-division code, e.g. 640100
    sl     object, optional             ``{"idx": int}`` or ``{"idx": int, "uri": string}``:
                                        index of this certificate in its issuer's status list
                                        (IETF Token Status List: 2 bits per certificate, 0
                                        valid, 1 revoked, 2 suspended), published at ``uri`` or,
                                        when absent, where the issuer's trust list says
    cm     array of strings, optional   components of a combined licence (多证合一): the
                                        GB/T 36903 licence type code of each, in printed order;
                                        their names and statuses are in the online registry
    =====  ===========================  ==========================================================

    The GB/T 36903 licence type code, issuer code and version are not repeated as claims: they
    are the 2nd, 3rd and 5th parts of ``id`` after the root (``1.2.156.3005.2``), and every byte
    saved keeps the QR code small enough for cheap phone cameras (version 22 or below).

    There is deliberately no ``exp`` or ``nbf``: a licence that has expired is still a genuine
    document. Verifiers report validity (``vf``/``vu`` against today's date in China) beside
    the signature result instead of failing it, and should not let a JWT library enforce them.

Signature
    Over the ASCII bytes of ``BASE64URL(header) "." BASE64URL(payload)``. ES256: the 64-byte
    concatenation ``r || s``, each a 32-byte big-endian integer (RFC 7518 §3.4; not DER).
    EdDSA: the 64-byte Ed25519 signature (RFC 8032).

Keys
    The issuer publishes a JWK Set (RFC 7517) at ``/.well-known/jwks.json``. Each key has
    ``kty``/``crv``/``x`` (and ``y`` for EC), ``kid``, ``alg`` and ``use: "sig"``; it may also
    carry a ``status`` member. ``kid`` is the first 22 characters (128 bits) of the key's RFC 7638
    thumbprint (SHA-256, base64url), so any verifier can recompute it from the key.
    Several keys may share a ``kid`` during a rotation mishap; try every key with the token's
    ``kid`` whose ``alg`` equals the header's ``alg``.

What a verifier must check, in this order
    1. at most 4096 characters, three non-empty parts of canonical base64url;
    2. the header is exactly the JSON above and ``alg`` is ES256 or EdDSA (never ``none``, never
       an HMAC algorithm);
    3. a published key has the header's ``kid`` and the same ``alg``; the signature verifies
       with it;
    4. only then parse the payload: ``v`` is 1, the claims have the types and limits above,
       ``id`` has a correct check character, dates are real days and the first day of validity
       is not after ``vu``;
    5. separately and online where possible, look up the status (``sl``) for revocation.

QR encoding
    The QR code holds an upper-case verification URL followed by the token as digits; see
    :mod:`certs.qr`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal, TypeAlias

import msgspec

from certs._b64 import b64decode, b64encode
from certs.claims import CertificateClaims
from certs.keys import KeyAlgorithm, SigningKey, VerifyingKey

JWS_TYP: Final = "hcl+jwt"
MAX_TOKEN_LENGTH: Final = 4096
_MAX_KID_LENGTH: Final = 128

Reason: TypeAlias = Literal[
    "malformed",
    "too_long",
    "unsupported_alg",
    "unknown_key",
    "bad_signature",
    "bad_claims",
    "alg_mismatch",
]
KeyLookup: TypeAlias = (
    Callable[[str], Sequence[VerifyingKey]] | Mapping[str, Sequence[VerifyingKey]]
)

# (zh, en): what a member of the public is told. Details for the log go in TokenInvalid.detail.
MESSAGES: Final[Mapping[Reason, tuple[str, str]]] = {
    "malformed": ("二维码内容不是有效的电子证照凭证。", "This is not a valid certificate code."),
    "too_long": ("凭证内容过长，无法核验。", "The certificate code is too long to check."),
    "unsupported_alg": (
        "凭证使用了不被接受的签名算法，无法确认真伪。",
        "The certificate code uses a signature algorithm that is not accepted.",
    ),
    "unknown_key": (
        "签发密钥未知，无法确认证照真伪。",
        "The certificate was signed with an unknown key; it cannot be confirmed as genuine.",
    ),
    "bad_signature": (
        "签名核验失败，证照内容可能已被篡改。",
        "The signature does not match; the certificate may have been altered.",
    ),
    "bad_claims": (
        "凭证签名有效但内容不符合规范，请联系发证机关。",
        "The signature is valid but the certificate data is not in the expected form.",
    ),
    "alg_mismatch": (
        "签名算法与签发密钥不符，无法确认证照真伪。",
        "The signature algorithm does not match the signing key.",
    ),
}


class TokenInvalid(ValueError):
    """A token failed verification. ``zh``/``en`` are for the public, ``detail`` for logs."""

    def __init__(self, reason: Reason, detail: str = "") -> None:
        self.reason: Reason = reason
        self.zh, self.en = MESSAGES[reason]
        self.detail = detail
        super().__init__(f"{self.en} [{reason}: {detail}]" if detail else self.en)


class TokenFormatError(TokenInvalid):
    """The token cannot even be read (raised by :func:`decode_unverified`)."""


class TokenHeader(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    alg: str
    kid: str
    typ: str


class _LenientHeader(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # kid and typ optional so that {"alg":"none"} is reported as unsupported_alg, not malformed
    alg: str
    kid: str | None = None
    typ: str | None = None


@dataclass(frozen=True)
class VerifiedToken:
    header: TokenHeader
    claims: CertificateClaims
    key: VerifyingKey


_ENCODER: Final = msgspec.json.Encoder()
_HEADER_DECODER: Final = msgspec.json.Decoder(_LenientHeader)
_CLAIMS_DECODER: Final = msgspec.json.Decoder(CertificateClaims)
_ALGORITHMS: Final = frozenset(str(alg) for alg in KeyAlgorithm)


def sign_token(claims: CertificateClaims, key: SigningKey) -> str:
    """Sign ``claims`` into a compact JWS; ValueError for claims a verifier would refuse.

    Constructing a Struct checks the claims' rules but not the decoding limits (lengths, int
    types), so the payload is decoded once here: we never issue a certificate that our own
    verifier would call ``bad_claims``. That costs ~15 µs next to ~20 µs for the signature.
    """
    payload = _ENCODER.encode(claims)
    try:
        _CLAIMS_DECODER.decode(payload)
    except ValueError as exc:
        raise ValueError(f"these claims would not verify: {exc}") from None
    signing_input = _encoded_header(key.alg, key.kid) + b64encode(payload)
    token = signing_input + b"." + b64encode(key.sign(signing_input))
    if len(token) > MAX_TOKEN_LENGTH:
        raise ValueError(f"the token would be {len(token)} characters, over {MAX_TOKEN_LENGTH}")
    return token.decode("ascii")


# ES256 (r || s) and Ed25519 signatures are both 64 bytes: 86 base64url characters.
_SIGNATURE_CHARS: Final = 86


def size_probe(claims: CertificateClaims, key: SigningKey) -> str:
    """A string exactly as long as ``sign_token(claims, key)``, made without signing.

    For sizing the QR code before anything is allocated or written: the
    signature's length is fixed, so there is no need to compute one. The claims
    are checked as ``sign_token`` checks them.
    """
    payload = _ENCODER.encode(claims)
    try:
        _CLAIMS_DECODER.decode(payload)
    except ValueError as exc:
        raise ValueError(f"these claims would not verify: {exc}") from None
    signing_input = _encoded_header(key.alg, key.kid) + b64encode(payload)
    return signing_input.decode("ascii") + "." + "A" * _SIGNATURE_CHARS


def decode_unverified(token: str) -> tuple[TokenHeader, CertificateClaims]:
    """Read a token WITHOUT checking its signature: for diagnostics, never for trust."""
    try:
        header_text, payload_text, _ = _split(token)
        header = _decode_header(header_text)
        claims = _decode_claims(payload_text)
    except TokenInvalid as exc:
        raise TokenFormatError(exc.reason, exc.detail) from None
    return header, claims


def verify_token(token: str, keys: KeyLookup) -> VerifiedToken:
    """Check a token's signature, then read its claims; raise :class:`TokenInvalid` otherwise.

    ``keys`` maps a kid to the keys published under it, as a mapping or a function. A function
    may raise KeyError for an unknown kid; any other exception it raises propagates, because a
    key store that is down must not be reported to the public as a forged certificate.
    """
    header_text, payload_text, signature_text = _split(token)
    header = _decode_header(header_text)
    try:
        candidates = keys[header.kid] if isinstance(keys, Mapping) else keys(header.kid)
    except KeyError:
        candidates = ()
    if not candidates:
        raise TokenInvalid("unknown_key", f"no published key has kid {header.kid!r}")
    usable = [key for key in candidates if key.alg == header.alg]
    if not usable:
        raise TokenInvalid("alg_mismatch", f"key {header.kid!r} does not sign with {header.alg}")
    signature = b64decode(signature_text)
    if signature is None:
        raise TokenInvalid("malformed", "the signature is not canonical base64url")
    signing_input = f"{header_text}.{payload_text}".encode("ascii")
    for key in usable:
        if key.verify(signature, signing_input):
            return VerifiedToken(header, _decode_claims(payload_text), key)
    raise TokenInvalid("bad_signature", f"no key with kid {header.kid!r} verifies the signature")


@functools.lru_cache(maxsize=256)
def _encoded_header(alg: str, kid: str) -> bytes:
    """The header part and its dot: the same bytes for every token a key signs."""
    return b64encode(_ENCODER.encode(TokenHeader(alg=str(alg), kid=kid, typ=JWS_TYP))) + b"."


def _split(token: object) -> tuple[str, str, str]:
    if not isinstance(token, str):
        raise TokenInvalid("malformed", "a token is text")
    if len(token) > MAX_TOKEN_LENGTH:
        raise TokenInvalid("too_long", f"{len(token)} characters")
    if not token.isascii():
        raise TokenInvalid("malformed", "a token is ASCII")
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise TokenInvalid("malformed", "a token has three non-empty parts separated by dots")
    return parts[0], parts[1], parts[2]


def _decode_header(text: str) -> TokenHeader:
    raw = b64decode(text)
    if raw is None:
        raise TokenInvalid("malformed", "the header is not canonical base64url")
    try:
        lenient = _HEADER_DECODER.decode(raw)
    except ValueError:  # msgspec.DecodeError, and UnicodeDecodeError for bad UTF-8 in a string
        raise TokenInvalid("malformed", "the header is not the expected JSON object") from None
    if lenient.alg not in _ALGORITHMS:
        raise TokenInvalid("unsupported_alg", f"alg {lenient.alg[:20]!r} is not accepted")
    if lenient.typ != JWS_TYP or not lenient.kid or len(lenient.kid) > _MAX_KID_LENGTH:
        raise TokenInvalid("malformed", "the header lacks a kid or the hcl+jwt typ")
    header = TokenHeader(alg=lenient.alg, kid=lenient.kid, typ=lenient.typ)
    # one header, one byte form: no whitespace, duplicate members or reordering slip through
    if _ENCODER.encode(header) != raw:
        raise TokenInvalid("malformed", "the header is not in canonical form")
    return header


def _decode_claims(text: str) -> CertificateClaims:
    raw = b64decode(text)
    if raw is None:
        raise TokenInvalid("malformed", "the payload is not canonical base64url")
    try:
        return _CLAIMS_DECODER.decode(raw)
    except ValueError as exc:  # msgspec.DecodeError (incl. ValidationError), UnicodeDecodeError
        # ValidationError is a DecodeError; its message names the field, never a long input
        raise TokenInvalid("bad_claims", str(exc)[:200]) from None
