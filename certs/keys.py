"""Signing keys: generation, JWK publication, thumbprint key ids and encryption at rest.

Two algorithms are supported, both standard in JOSE so that any verifier library can check our
certificates: ES256 (ECDSA on P-256 with SHA-256, RFC 7518) and EdDSA with Ed25519 (RFC 8037).
A key's id (``kid``) is the first 22 characters of its RFC 7638 JWK thumbprint, so the id is
derived from the key itself and two keys can never be published under the same id by mistake.

Private keys are stored encrypted with AES-256-GCM under a key derived by HKDF-SHA256 from a
service secret. HKDF does not stretch: the secret must be random key material (32 bytes from a
secrets manager), never a password someone chose.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, TypeAlias

from cryptography.exceptions import InvalidSignature, InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from certs._b64 import b64decode, b64encode

PrivateKey: TypeAlias = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
PublicKey: TypeAlias = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey


class KeyAlgorithm(StrEnum):
    """JOSE ``alg`` values we sign with."""

    ES256 = "ES256"  # ECDSA P-256 with SHA-256
    EDDSA = "EdDSA"  # Ed25519


class KeyDecryptionError(Exception):
    """An encrypted key could not be opened: wrong secret, wrong context or a damaged blob."""


_BLOB_MAGIC: Final = b"AK1"
_HKDF_INFO: Final = b"approvals/signing-key/v1"
_SALT_LEN: Final = 16
_NONCE_LEN: Final = 12
_TAG_LEN: Final = 16
_MIN_SECRET_LEN: Final = 16
_P256_COORD_LEN: Final = 32
_ECDSA_SHA256: Final = ec.ECDSA(hashes.SHA256())
# JWK members that describe the key itself; jwks(extra=...) may not overwrite them.
_CORE_MEMBERS: Final = frozenset({"kty", "crv", "x", "y", "kid", "alg", "use"})


def generate_private_key(alg: KeyAlgorithm) -> PrivateKey:
    """Generate a fresh private key for ``alg``."""
    if alg == KeyAlgorithm.ES256:
        return ec.generate_private_key(ec.SECP256R1())
    if alg == KeyAlgorithm.EDDSA:
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(f"unsupported algorithm {alg!r}")


def algorithm_of(key: PrivateKey | PublicKey) -> KeyAlgorithm:
    """The algorithm a key can sign or verify with; ValueError for keys we do not support."""
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return KeyAlgorithm.EDDSA
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) and isinstance(
        key.curve, ec.SECP256R1
    ):
        return KeyAlgorithm.ES256
    raise ValueError("only P-256 (ES256) and Ed25519 (EdDSA) keys are supported")


KEY_ID_LENGTH: Final = 22


def jwk_thumbprint(public_key: PublicKey) -> str:
    """RFC 7638 JWK thumbprint: SHA-256 of the required members, sorted, without whitespace."""
    members = _key_members(public_key)
    canonical = json.dumps(members, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return _b64(hashlib.sha256(canonical.encode("ascii")).digest())


def key_id(public_key: PublicKey) -> str:
    """The key's id: the first 22 characters (128 bits) of its RFC 7638 thumbprint.

    Derived from the key, so nobody can mint a second key under the same id by accident,
    and short because the id travels in every token header, i.e. in every QR code.
    """
    return jwk_thumbprint(public_key)[:KEY_ID_LENGTH]


def public_jwk(
    public_key: PublicKey, alg: KeyAlgorithm, *, kid: str | None = None
) -> dict[str, str]:
    """The public JWK for publication; ``kid`` defaults to :func:`key_id` of the key."""
    if algorithm_of(public_key) != alg:
        raise ValueError(f"this key cannot be used with {alg}")
    return {
        **_key_members(public_key),
        "kid": kid if kid is not None else key_id(public_key),
        "alg": str(alg),
        "use": "sig",
    }


def encrypt_blob(plaintext: bytes, secret: bytes, *, aad: bytes) -> bytes:
    """AES-256-GCM under a key derived from the master secret and a fresh salt; ``aad``
    binds the blob to its context (a key's kid, a subscription's id)."""
    if len(secret) < _MIN_SECRET_LEN:
        raise ValueError(f"the secret must be at least {_MIN_SECRET_LEN} random bytes")
    salt = os.urandom(_SALT_LEN)
    nonce = os.urandom(_NONCE_LEN)
    ciphertext = AESGCM(_derive(secret, salt)).encrypt(nonce, plaintext, aad)
    return _BLOB_MAGIC + salt + nonce + ciphertext


def decrypt_blob(blob: bytes, secret: bytes, *, aad: bytes, what: str = "data") -> bytes:
    """Open a blob made by :func:`encrypt_blob`; any failure is a KeyDecryptionError.

    Messages never include key material or the blob, since they end up in logs.
    """
    header_len = len(_BLOB_MAGIC) + _SALT_LEN + _NONCE_LEN
    if not blob.startswith(_BLOB_MAGIC) or len(blob) < header_len + _TAG_LEN:
        raise KeyDecryptionError(f"not encrypted {what} (bad prefix or length)")
    salt = blob[len(_BLOB_MAGIC) : len(_BLOB_MAGIC) + _SALT_LEN]
    nonce = blob[len(_BLOB_MAGIC) + _SALT_LEN : header_len]
    try:
        return AESGCM(_derive(secret, salt)).decrypt(nonce, blob[header_len:], aad)
    except InvalidTag:
        raise KeyDecryptionError(
            f"the {what} could not be decrypted: wrong secret, wrong context or damaged data"
        ) from None


def encrypt_private_key(key: PrivateKey, secret: bytes, *, aad: bytes) -> bytes:
    """Encrypt a private key for storage; ``aad`` binds the blob to its context (e.g. its kid)."""
    plaintext = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return encrypt_blob(plaintext, secret, aad=aad)


def decrypt_private_key(blob: bytes, secret: bytes, *, aad: bytes) -> PrivateKey:
    """Open a blob made by :func:`encrypt_private_key`; any failure is a KeyDecryptionError."""
    plaintext = decrypt_blob(blob, secret, aad=aad, what="signing key")
    try:
        key = serialization.load_der_private_key(plaintext, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise KeyDecryptionError("the decrypted data is not a private key") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        raise KeyDecryptionError("the decrypted key is of an unsupported type")
    try:
        algorithm_of(key)
    except ValueError:
        raise KeyDecryptionError("the decrypted key is on an unsupported curve") from None
    return key


@dataclass(frozen=True)
class SigningKey:
    """A private key with its id and algorithm, ready to sign JWS signing inputs."""

    kid: str
    alg: KeyAlgorithm
    private_key: PrivateKey

    def __post_init__(self) -> None:
        # accept the plain string from a database row, keep the enum
        object.__setattr__(self, "alg", KeyAlgorithm(self.alg))
        if algorithm_of(self.private_key) is not self.alg:
            raise ValueError(f"the private key cannot sign with {self.alg}")

    @classmethod
    def from_private_key(cls, private_key: PrivateKey) -> SigningKey:
        """Wrap a key, deriving its algorithm and its thumbprint kid."""
        return cls(key_id(private_key.public_key()), algorithm_of(private_key), private_key)

    def public_key(self) -> PublicKey:
        return self.private_key.public_key()

    def verifying_key(self) -> VerifyingKey:
        return VerifyingKey(self.kid, self.alg, self.public_key())

    def sign(self, signing_input: bytes) -> bytes:
        """JWS signature bytes: raw ``r || s`` (64 bytes) for ES256, as RFC 7518 §3.4 requires."""
        key = self.private_key
        if isinstance(key, ed25519.Ed25519PrivateKey):
            return key.sign(signing_input)
        r, s = decode_dss_signature(key.sign(signing_input, _ECDSA_SHA256))
        return r.to_bytes(_P256_COORD_LEN, "big") + s.to_bytes(_P256_COORD_LEN, "big")


@dataclass(frozen=True)
class VerifyingKey:
    """A public key as a verifier sees it: id, algorithm, key."""

    kid: str
    alg: KeyAlgorithm
    public_key: PublicKey

    def __post_init__(self) -> None:
        object.__setattr__(self, "alg", KeyAlgorithm(self.alg))
        if algorithm_of(self.public_key) is not self.alg:
            raise ValueError(f"the public key cannot verify {self.alg} signatures")

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, object]) -> VerifyingKey:
        """Read a published public JWK; ValueError when it is not a P-256 or Ed25519 signing key."""
        kty, crv = jwk.get("kty"), jwk.get("crv")
        public_key: PublicKey
        if kty == "EC" and crv == "P-256":
            alg = KeyAlgorithm.ES256
            x = _jwk_bytes(jwk, "x", _P256_COORD_LEN)
            y = _jwk_bytes(jwk, "y", _P256_COORD_LEN)
            try:  # from_encoded_point checks that the point lies on the curve
                public_key = ec.EllipticCurvePublicKey.from_encoded_point(
                    ec.SECP256R1(), b"\x04" + x + y
                )
            except ValueError:
                raise ValueError("x and y are not a point on P-256") from None
        elif kty == "OKP" and crv == "Ed25519":
            alg = KeyAlgorithm.EDDSA
            public_key = ed25519.Ed25519PublicKey.from_public_bytes(_jwk_bytes(jwk, "x", 32))
        else:
            raise ValueError(f"unsupported key type kty={kty!r} crv={crv!r}")
        if "alg" in jwk and jwk["alg"] != alg:
            raise ValueError(f"alg {jwk['alg']!r} does not fit a {kty}/{crv} key")
        if "use" in jwk and jwk["use"] != "sig":
            raise ValueError(f"use {jwk['use']!r} is not a signing key")
        kid = jwk.get("kid", None)
        if kid is None:
            kid = key_id(public_key)
        if not isinstance(kid, str) or not kid:
            raise ValueError("kid must be a non-empty string")
        return cls(kid, alg, public_key)

    def to_jwk(self) -> dict[str, str]:
        return public_jwk(self.public_key, self.alg, kid=self.kid)

    def verify(self, signature: bytes, signing_input: bytes) -> bool:
        """True when ``signature`` (JWS encoding) is valid for ``signing_input``."""
        key = self.public_key
        try:
            if isinstance(key, ed25519.Ed25519PublicKey):
                key.verify(signature, signing_input)
                return True
            if len(signature) != 2 * _P256_COORD_LEN:
                return False
            r = int.from_bytes(signature[:_P256_COORD_LEN], "big")
            s = int.from_bytes(signature[_P256_COORD_LEN:], "big")
            key.verify(encode_dss_signature(r, s), signing_input, _ECDSA_SHA256)
        except (InvalidSignature, ValueError):
            return False
        return True


def jwks(
    keys: Iterable[VerifyingKey], extra: Mapping[str, Mapping[str, object]] | None = None
) -> dict[str, list[dict[str, object]]]:
    """A JWK Set for ``/.well-known/jwks.json``; ``extra`` adds members per kid (e.g. a status)."""
    published: list[dict[str, object]] = []
    for key in keys:
        jwk: dict[str, object] = dict(key.to_jwk())
        members = (extra or {}).get(key.kid, {})
        clash = _CORE_MEMBERS.intersection(members)
        if clash:
            raise ValueError(f"extra members may not replace {sorted(clash)} of key {key.kid}")
        jwk.update(members)
        published.append(jwk)
    return {"keys": published}


def _key_members(public_key: PublicKey) -> dict[str, str]:
    """The RFC 7638 required members of a public key, in their lexicographic order."""
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"crv": "Ed25519", "kty": "OKP", "x": _b64(raw)}
    algorithm_of(public_key)  # refuses curves other than P-256
    numbers = public_key.public_numbers()
    return {
        "crv": "P-256",
        "kty": "EC",
        "x": _b64(numbers.x.to_bytes(_P256_COORD_LEN, "big")),
        "y": _b64(numbers.y.to_bytes(_P256_COORD_LEN, "big")),
    }


def _jwk_bytes(jwk: Mapping[str, object], name: str, length: int) -> bytes:
    value = jwk.get(name)
    if not isinstance(value, str) or len(value) > 64:
        raise ValueError(f"JWK member {name!r} must be a base64url string")
    raw = b64decode(value)
    if raw is None or len(raw) != length:
        raise ValueError(f"JWK member {name!r} must encode exactly {length} bytes")
    return raw


def _derive(secret: bytes, salt: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_HKDF_INFO).derive(secret)


def _b64(data: bytes) -> str:
    return b64encode(data).decode("ascii")
