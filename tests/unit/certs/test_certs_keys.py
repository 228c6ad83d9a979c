"""Signing keys: thumbprints against published vectors, JWKs, signatures, encryption at rest."""

from __future__ import annotations

import base64
import hashlib
import json
import string

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from certs.keys import (
    KEY_ID_LENGTH,
    KeyAlgorithm,
    KeyDecryptionError,
    SigningKey,
    VerifyingKey,
    decrypt_private_key,
    encrypt_private_key,
    generate_private_key,
    jwk_thumbprint,
    jwks,
    key_id,
    public_jwk,
)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# RFC 8037 appendix A: an Ed25519 key, its thumbprint and a signed JWS.
RFC8037_D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
RFC8037_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
RFC8037_SIGNING_INPUT = b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"
RFC8037_SIGNATURE = (
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
)

# A P-256 test key published with its RFC 7638 thumbprint (transmute-industries/jwt.vc, as hex).
EC_D = "C-5QLfqkE0pffZfp3tA5TfS06haBEWrW13VNwqmv4uc"
EC_X = "V8ctRWc2deLSjfOjqQm7-m33SinduQbKJVgSHFj7ZxQ"
EC_Y = "svjg0e-iAe5zElQhfqqagr4-S8k3WWgzz6JDPmRE_bk"
EC_THUMBPRINT_HEX = "1235335bd15b2c75f3e84f4c681d85cbc059c00d7910d1bad0690a2af566aaf8"

SECRET = bytes(range(32))


def rfc8037_private_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(unb64url(RFC8037_D))


def test_jwk_thumbprint_matches_the_rfc_8037_ed25519_thumbprint() -> None:
    key = VerifyingKey.from_jwk({"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X})
    assert jwk_thumbprint(key.public_key) == RFC8037_THUMBPRINT


def test_key_id_is_the_22_character_prefix_of_the_rfc_8037_thumbprint() -> None:
    key = VerifyingKey.from_jwk({"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X})
    assert key_id(key.public_key) == RFC8037_THUMBPRINT[:22] == "kPrK_qmxVWaYVA9wwBF6Iu"
    assert key.kid == key_id(key.public_key)  # a JWK without kid gets the key's id


def test_rfc_8037_private_key_yields_the_published_public_key_and_thumbprint() -> None:
    signing_key = SigningKey.from_private_key(rfc8037_private_key())
    assert public_jwk(signing_key.public_key(), KeyAlgorithm.EDDSA)["x"] == RFC8037_X
    assert jwk_thumbprint(signing_key.public_key()) == RFC8037_THUMBPRINT
    assert signing_key.kid == RFC8037_THUMBPRINT[:22]


def test_eddsa_signature_matches_the_rfc_8037_example_byte_for_byte() -> None:
    signing_key = SigningKey.from_private_key(rfc8037_private_key())
    signature = signing_key.sign(RFC8037_SIGNING_INPUT)
    assert b64url(signature) == RFC8037_SIGNATURE
    assert signing_key.verifying_key().verify(signature, RFC8037_SIGNING_INPUT)


def test_jwk_thumbprint_matches_a_published_p256_thumbprint_and_key_id_is_its_prefix() -> None:
    private_key = ec.derive_private_key(int.from_bytes(unb64url(EC_D), "big"), ec.SECP256R1())
    jwk = public_jwk(private_key.public_key(), KeyAlgorithm.ES256)
    assert (jwk["x"], jwk["y"]) == (EC_X, EC_Y)
    thumbprint = jwk_thumbprint(private_key.public_key())
    assert unb64url(thumbprint).hex() == EC_THUMBPRINT_HEX
    assert key_id(private_key.public_key()) == thumbprint[:22]
    assert jwk["kid"] == thumbprint[:22]


def test_jwk_thumbprint_of_a_fresh_p256_key_equals_a_hand_written_canonical_json_hash() -> None:
    public_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    numbers = public_key.public_numbers()
    x, y = b64url(numbers.x.to_bytes(32, "big")), b64url(numbers.y.to_bytes(32, "big"))
    canonical = '{"crv":"P-256","kty":"EC","x":"' + x + '","y":"' + y + '"}'
    expected = b64url(hashlib.sha256(canonical.encode()).digest())
    assert jwk_thumbprint(public_key) == expected
    assert key_id(public_key) == expected[:22]


@pytest.mark.parametrize("alg", list(KeyAlgorithm))
def test_key_id_is_22_base64url_characters_and_the_full_thumbprint_is_43(alg: KeyAlgorithm) -> None:
    # 22 characters travel in every token header; the full 256-bit thumbprint is 43
    public_key = generate_private_key(alg).public_key()
    thumbprint = jwk_thumbprint(public_key)
    assert len(thumbprint) == 43
    assert len(unb64url(thumbprint)) == 32
    assert len(key_id(public_key)) == KEY_ID_LENGTH == 22
    assert thumbprint.startswith(key_id(public_key))
    assert set(key_id(public_key)) <= set(string.ascii_letters + string.digits + "-_")


def test_key_ids_of_different_keys_differ() -> None:
    ids = {key_id(generate_private_key(alg).public_key()) for alg in KeyAlgorithm for _ in range(8)}
    assert len(ids) == 16


@pytest.mark.parametrize("alg", list(KeyAlgorithm))
def test_public_jwk_has_exactly_the_members_verifiers_need(alg: KeyAlgorithm) -> None:
    public_key = generate_private_key(alg).public_key()
    jwk = public_jwk(public_key, alg)
    expected = {"kty", "crv", "x", "kid", "alg", "use"} | ({"y"} if alg == "ES256" else set())
    assert set(jwk) == expected
    assert (jwk["alg"], jwk["use"], jwk["kid"]) == (str(alg), "sig", key_id(public_key))
    assert jwt.PyJWK(jwk).key is not None  # an independent JOSE library accepts it


def test_public_jwk_refuses_a_key_of_the_other_algorithm() -> None:
    with pytest.raises(ValueError):
        public_jwk(generate_private_key(KeyAlgorithm.EDDSA).public_key(), KeyAlgorithm.ES256)


@pytest.mark.parametrize("alg", list(KeyAlgorithm))
def test_verifying_key_round_trips_through_its_jwk(alg: KeyAlgorithm) -> None:
    signing_key = SigningKey.from_private_key(generate_private_key(alg))
    again = VerifyingKey.from_jwk(signing_key.verifying_key().to_jwk())
    assert (again.kid, again.alg) == (signing_key.kid, alg)
    assert again.verify(signing_key.sign(b"data"), b"data")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kty": "RSA"}, "unsupported key type"),
        ({"crv": "P-384"}, "unsupported key type"),
        ({"alg": "EdDSA"}, "alg"),
        ({"alg": "HS256"}, "alg"),
        ({"use": "enc"}, "use"),
        ({"x": EC_X[:-1]}, "x"),
        ({"x": EC_X + "="}, "x"),
        ({"y": 5}, "y"),
        ({"kid": ""}, "kid"),
        ({"y": EC_X}, "not a point"),
    ],
)
def test_verifying_key_from_jwk_refuses_what_is_not_a_p256_signing_key(
    change: dict[str, object], message: str
) -> None:
    jwk: dict[str, object] = {"kty": "EC", "crv": "P-256", "x": EC_X, "y": EC_Y, "alg": "ES256"}
    jwk.update(change)
    with pytest.raises(ValueError, match=message):
        VerifyingKey.from_jwk(jwk)


def test_verifying_key_from_jwk_refuses_an_ed25519_key_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        VerifyingKey.from_jwk({"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X[:-2]})


def test_es256_signature_is_raw_r_and_s_not_der() -> None:
    signing_key = SigningKey.from_private_key(generate_private_key(KeyAlgorithm.ES256))
    signature = signing_key.sign(b"payload")
    assert len(signature) == 64
    assert not signing_key.verifying_key().verify(signature[:63], b"payload")
    assert not signing_key.verifying_key().verify(signature, b"payloaD")


def test_signing_key_refuses_a_private_key_of_another_algorithm() -> None:
    with pytest.raises(ValueError):
        SigningKey("kid", KeyAlgorithm.ES256, generate_private_key(KeyAlgorithm.EDDSA))


def test_signing_key_refuses_curves_other_than_p256() -> None:
    with pytest.raises(ValueError, match="P-256"):
        SigningKey.from_private_key(ec.generate_private_key(ec.SECP384R1()))


def test_signing_key_accepts_the_algorithm_as_stored_text() -> None:
    key = SigningKey("kid", "ES256", generate_private_key(KeyAlgorithm.ES256))  # type: ignore[arg-type]
    assert key.alg is KeyAlgorithm.ES256


@pytest.mark.parametrize("alg", list(KeyAlgorithm))
def test_encrypted_private_key_decrypts_to_the_same_key(alg: KeyAlgorithm) -> None:
    private_key = generate_private_key(alg)
    blob = encrypt_private_key(private_key, SECRET, aad=b"kid-1")
    assert blob.startswith(b"AK1")
    opened = decrypt_private_key(blob, SECRET, aad=b"kid-1")
    assert key_id(opened.public_key()) == key_id(private_key.public_key())


def test_encrypting_twice_gives_different_blobs_because_salt_and_nonce_are_random() -> None:
    private_key = generate_private_key(KeyAlgorithm.ES256)
    assert encrypt_private_key(private_key, SECRET, aad=b"a") != encrypt_private_key(
        private_key, SECRET, aad=b"a"
    )


def _blob_and_der() -> tuple[bytes, bytes]:
    private_key = generate_private_key(KeyAlgorithm.ES256)
    der = private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return encrypt_private_key(private_key, SECRET, aad=b"kid-1"), der


def test_decrypting_with_a_wrong_secret_or_context_fails_without_leaking_key_bytes() -> None:
    blob, der = _blob_and_der()
    for secret, aad in [(bytes(32), b"kid-1"), (SECRET, b"kid-2"), (SECRET[:31], b"kid-1")]:
        with pytest.raises(KeyDecryptionError) as caught:
            decrypt_private_key(blob, secret, aad=aad)
        text = str(caught.value) + repr(caught.value)
        assert der.hex() not in text
        assert SECRET.hex() not in text
        assert caught.value.__cause__ is None
        assert caught.value.__suppress_context__


@pytest.mark.parametrize("position", [0, 3, 18, 19, 30, 31, 40, -1])
def test_decrypting_a_blob_with_any_flipped_byte_fails(position: int) -> None:
    blob, _ = _blob_and_der()
    damaged = bytearray(blob)
    damaged[position] ^= 0x01
    with pytest.raises(KeyDecryptionError):
        decrypt_private_key(bytes(damaged), SECRET, aad=b"kid-1")


@pytest.mark.parametrize("cut", [0, 3, 31, 46, 47])
def test_decrypting_a_truncated_blob_fails(cut: int) -> None:
    blob, _ = _blob_and_der()
    with pytest.raises(KeyDecryptionError):
        decrypt_private_key(blob[:cut], SECRET, aad=b"kid-1")


def test_encrypting_refuses_a_secret_too_short_to_be_key_material() -> None:
    with pytest.raises(ValueError, match="at least 16"):
        encrypt_private_key(generate_private_key(KeyAlgorithm.ES256), b"password", aad=b"")


def test_jwks_lists_every_key_with_extra_members_per_kid_and_serialises_to_json() -> None:
    keys = [
        SigningKey.from_private_key(generate_private_key(alg)).verifying_key()
        for alg in KeyAlgorithm
    ]
    document = jwks(keys, extra={keys[0].kid: {"status": "retired"}})
    assert [jwk["kid"] for jwk in document["keys"]] == [key.kid for key in keys]
    assert document["keys"][0]["status"] == "retired"
    assert "status" not in document["keys"][1]
    parsed = json.loads(json.dumps(document))
    assert [VerifyingKey.from_jwk(jwk).kid for jwk in parsed["keys"]] == [k.kid for k in keys]


def test_jwks_refuses_extra_members_that_would_replace_the_key_itself() -> None:
    key = SigningKey.from_private_key(generate_private_key(KeyAlgorithm.ES256)).verifying_key()
    with pytest.raises(ValueError, match="alg"):
        jwks([key], extra={key.kid: {"alg": "none"}})
