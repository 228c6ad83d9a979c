"""Altered and forged tokens: every change is refused, with the reason a verifier would report."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives import serialization

from certs.claims import CertificateClaims
from certs.keys import SigningKey, VerifyingKey
from certs.tokens import TokenInvalid, sign_token, verify_token

ClaimsFactory = Callable[..., CertificateClaims]
Forge = Callable[[SigningKey, bytes, bytes], str]
Published = dict[str, list[VerifyingKey]]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def reason_for(token: str, published: Published) -> str:
    with pytest.raises(TokenInvalid) as caught:
        verify_token(token, published)
    return caught.value.reason


def flip_byte(token: str, index: int, position: int) -> str:
    """Flip one bit of one decoded byte of part ``index`` and re-encode canonically."""
    parts = token.split(".")
    raw = bytearray(unb64url(parts[index]))
    raw[position % len(raw)] ^= 0x01
    parts[index] = b64url(bytes(raw))
    return ".".join(parts)


@pytest.mark.parametrize("position", [0, 1, 17, 50, -1])
def test_flipping_a_byte_of_the_payload_breaks_the_signature(
    make_claims: ClaimsFactory, signing_key: SigningKey, position: int
) -> None:
    token = sign_token(make_claims(), signing_key)
    published = {signing_key.kid: [signing_key.verifying_key()]}
    assert reason_for(flip_byte(token, 1, position), published) == "bad_signature"


@pytest.mark.parametrize("position", [0, 1, 31, 32, 63])
def test_flipping_a_byte_of_the_signature_breaks_it(
    make_claims: ClaimsFactory, signing_key: SigningKey, position: int
) -> None:
    token = sign_token(make_claims(), signing_key)
    published = {signing_key.kid: [signing_key.verifying_key()]}
    assert reason_for(flip_byte(token, 2, position), published) == "bad_signature"


@pytest.mark.parametrize("position", range(0, 90, 7))
def test_flipping_a_byte_of_the_header_never_verifies(
    make_claims: ClaimsFactory, signing_key: SigningKey, position: int
) -> None:
    token = sign_token(make_claims(), signing_key)
    published = {signing_key.kid: [signing_key.verifying_key()]}
    reason = reason_for(flip_byte(token, 0, position), published)
    assert reason in {"malformed", "unsupported_alg", "unknown_key", "bad_signature"}


def test_payload_swapped_between_two_genuine_tokens_is_refused(
    make_claims: ClaimsFactory, es256_key: SigningKey, published: Published
) -> None:
    first = sign_token(make_claims(holder="甲公司"), es256_key).split(".")
    second = sign_token(make_claims(holder="乙公司"), es256_key).split(".")
    spliced = ".".join([first[0], second[1], first[2]])
    assert reason_for(spliced, published) == "bad_signature"


@pytest.mark.parametrize(
    "header",
    [
        b'{"alg":"none"}',
        b'{"alg":"none","typ":"JWT"}',
        b'{"alg":"none","kid":"KID","typ":"hcl+jwt"}',
        b'{"alg":"NONE","kid":"KID","typ":"hcl+jwt"}',
        b'{"alg":"RS256","kid":"KID","typ":"hcl+jwt"}',
        b'{"alg":"ES384","kid":"KID","typ":"hcl+jwt"}',
    ],
)
def test_unsigned_or_foreign_algorithm_tokens_are_refused_as_unsupported(
    make_claims: ClaimsFactory, es256_key: SigningKey, published: Published, header: bytes
) -> None:
    genuine = sign_token(make_claims(), es256_key).split(".")
    header = header.replace(b"KID", es256_key.kid.encode())
    for signature in ("", "AAAA", genuine[2]):
        forged = ".".join([b64url(header), genuine[1], signature])
        expected = "malformed" if signature == "" else "unsupported_alg"
        assert reason_for(forged, published) == expected


@pytest.mark.parametrize("secret_form", ["pem", "jwk_x", "der"])
def test_hs256_token_keyed_with_our_public_key_is_refused(
    make_claims: ClaimsFactory,
    eddsa_key: SigningKey,
    es256_key: SigningKey,
    published: Published,
    secret_form: str,
) -> None:
    # the classic confusion attack: a verifier that takes alg from the header would use the
    # public key it knows as an HMAC secret
    public_key = es256_key.public_key()
    secret = {
        "pem": public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        "der": public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        "jwk_x": es256_key.verifying_key().to_jwk()["x"].encode(),
    }[secret_form]
    header = f'{{"alg":"HS256","kid":"{es256_key.kid}","typ":"hcl+jwt"}}'.encode()
    payload = sign_token(make_claims(), eddsa_key).split(".")[1]
    signing_input = f"{b64url(header)}.{payload}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    assert reason_for(f"{signing_input}.{b64url(mac)}", published) == "unsupported_alg"


def test_header_claiming_the_other_algorithm_for_a_known_kid_is_an_alg_mismatch(
    make_claims: ClaimsFactory, es256_key: SigningKey, published: Published
) -> None:
    header = f'{{"alg":"EdDSA","kid":"{es256_key.kid}","typ":"hcl+jwt"}}'.encode()
    _, payload, signature = sign_token(make_claims(), es256_key).split(".")
    assert reason_for(f"{b64url(header)}.{payload}.{signature}", published) == "alg_mismatch"


def test_token_signed_by_a_key_nobody_published_is_unknown_key(
    make_claims: ClaimsFactory, signing_key: SigningKey, published: Published
) -> None:
    assert reason_for(sign_token(make_claims(), signing_key), published) == "unknown_key"


def test_token_signed_by_another_key_under_our_kid_has_a_bad_signature(
    make_claims: ClaimsFactory, signing_key: SigningKey, es256_key: SigningKey
) -> None:
    published = {signing_key.kid: [es256_key.verifying_key()]}
    reason = reason_for(sign_token(make_claims(), signing_key), published)
    assert reason == ("bad_signature" if signing_key.alg == "ES256" else "alg_mismatch")


@pytest.mark.parametrize(
    "header",
    [
        b'{"alg":"ES256", "kid":"KID","typ":"hcl+jwt"}',  # whitespace
        b'{"kid":"KID","alg":"ES256","typ":"hcl+jwt"}',  # reordered
        b'{"alg":"ES256","kid":"KID","typ":"hcl+jwt","zip":"DEF"}',  # zip
        b'{"alg":"ES256","kid":"KID","typ":"hcl+jwt","crit":["exp"]}',  # crit
        b'{"alg":"ES256","kid":"KID","typ":"JWT"}',  # wrong typ
        b'{"alg":"ES256","alg":"ES256","kid":"KID","typ":"hcl+jwt"}',  # duplicate member
        b'{"alg":"ES256","typ":"hcl+jwt"}',  # no kid
    ],
)
def test_correctly_signed_token_with_a_non_canonical_header_is_malformed(
    make_claims: ClaimsFactory,
    es256_key: SigningKey,
    published: Published,
    forge_token: Forge,
    header: bytes,
) -> None:
    payload = sign_token(make_claims(), es256_key).split(".")[1]
    forged = forge_token(es256_key, header.replace(b"KID", es256_key.kid.encode()), b"{}")
    forged_parts = forged.split(".")
    # keep a real payload so only the header differs from a genuine token
    signing_input = f"{forged_parts[0]}.{payload}"
    token = f"{signing_input}.{b64url(es256_key.sign(signing_input.encode()))}"
    assert reason_for(token, published) == "malformed"


def test_non_canonical_base64_in_the_signature_is_malformed(
    make_claims: ClaimsFactory, es256_key: SigningKey, published: Published
) -> None:
    # 64 bytes encode to 86 characters whose last one carries 4 unused bits; setting one of them
    # leaves the decoded bytes unchanged but makes a second spelling of the same token
    token = sign_token(make_claims(), es256_key)
    head, signature = token.rsplit(".", 1)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    altered = signature[:-1] + alphabet[alphabet.index(signature[-1]) ^ 1]
    assert unb64url(altered) == unb64url(signature)
    assert reason_for(f"{head}.{altered}", published) == "malformed"


def test_der_encoded_es256_signature_is_refused(
    make_claims: ClaimsFactory, es256_key: SigningKey, published: Published
) -> None:
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    token = sign_token(make_claims(), es256_key)
    head, signature = token.rsplit(".", 1)
    raw = unb64url(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    assert reason_for(f"{head}.{b64url(der)}", published) == "bad_signature"


@pytest.mark.parametrize(
    "token",
    ["", ".", "..", "a.b", "a.b.c.d", "a..c", "eyJ.eyJ.", " " + "a.b.c", "a.b.c\n"],
)
def test_structurally_broken_tokens_are_malformed(token: str, published: Published) -> None:
    assert reason_for(token, published) == "malformed"


def test_token_over_4096_characters_is_refused_before_decoding(published: Published) -> None:
    assert reason_for("a" * 4097, published) == "too_long"
    assert reason_for("." * 100_000, published) == "too_long"
