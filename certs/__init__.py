"""Electronic licence certificates: identifiers, signing keys, signed tokens and QR codes,
status and trust lists, the offline verifier and the printable face.

A pure library: no web framework, no database. The service stores keys and certificates and
calls these functions; a third party can verify a certificate from the format documented in
:mod:`certs.tokens` and :mod:`certs.qr` alone.
"""

from certs.claims import (
    FORMAT_VERSION,
    CertificateClaims,
    StatusListRef,
    numeric_date,
    shanghai_date,
)
from certs.face import FaceData, face_cache_key, render_face_pdf, render_face_png
from certs.identifiers import (
    ROOT,
    InvalidIdentifier,
    ParsedIdentifier,
    build_identifier,
    mod37_36_check_char,
    parse_identifier,
    with_version,
)
from certs.keys import (
    KeyAlgorithm,
    KeyDecryptionError,
    PrivateKey,
    PublicKey,
    SigningKey,
    VerifyingKey,
    decrypt_private_key,
    encrypt_private_key,
    generate_private_key,
    jwks,
    key_id,
    public_jwk,
)
from certs.offline import verify_offline
from certs.qr import (
    MAX_QR_VERSION,
    QrTooDense,
    digits_to_token,
    qr_version_for,
    render_qr_image,
    render_qr_png,
    token_from_url,
    token_to_digits,
    verification_prefix,
    verification_url,
)
from certs.status_list import StatusArray, verify_status_list
from certs.tokens import (
    MAX_TOKEN_LENGTH,
    TokenFormatError,
    TokenHeader,
    TokenInvalid,
    VerifiedToken,
    decode_unverified,
    sign_token,
    verify_token,
)
from certs.trust_bundle import load_trust_bundle
from certs.trust_list import verify_trust_list

__all__ = [
    "FORMAT_VERSION",
    "MAX_QR_VERSION",
    "MAX_TOKEN_LENGTH",
    "ROOT",
    "CertificateClaims",
    "FaceData",
    "InvalidIdentifier",
    "KeyAlgorithm",
    "KeyDecryptionError",
    "ParsedIdentifier",
    "PrivateKey",
    "PublicKey",
    "QrTooDense",
    "SigningKey",
    "StatusArray",
    "StatusListRef",
    "TokenFormatError",
    "TokenHeader",
    "TokenInvalid",
    "VerifiedToken",
    "VerifyingKey",
    "build_identifier",
    "decode_unverified",
    "decrypt_private_key",
    "digits_to_token",
    "encrypt_private_key",
    "face_cache_key",
    "generate_private_key",
    "jwks",
    "key_id",
    "load_trust_bundle",
    "mod37_36_check_char",
    "numeric_date",
    "parse_identifier",
    "public_jwk",
    "qr_version_for",
    "render_face_pdf",
    "render_face_png",
    "render_qr_image",
    "render_qr_png",
    "shanghai_date",
    "sign_token",
    "token_from_url",
    "token_to_digits",
    "verification_prefix",
    "verification_url",
    "verify_offline",
    "verify_status_list",
    "verify_token",
    "verify_trust_list",
    "with_version",
]
