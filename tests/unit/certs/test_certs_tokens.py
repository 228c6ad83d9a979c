"""Certificate tokens: the wire format, interoperability with PyJWT, and the claims' own rules."""

from __future__ import annotations

import base64
import hashlib
import json
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime

import jwt
import msgspec
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from certs.claims import (
    CertificateClaims,
    StatusListRef,
    numeric_date,
    shanghai_date,
)
from certs.identifiers import build_identifier, parse_identifier, with_version
from certs.keys import (
    KeyAlgorithm,
    SigningKey,
    VerifyingKey,
    generate_private_key,
    jwks,
    public_jwk,
)
from certs.tokens import (
    MAX_TOKEN_LENGTH,
    MESSAGES,
    TokenFormatError,
    TokenInvalid,
    decode_unverified,
    sign_token,
    verify_token,
)

ClaimsFactory = Callable[..., CertificateClaims]
Published = dict[str, list[VerifyingKey]]
Forge = Callable[[SigningKey, bytes, bytes], str]
TYPE_CODE = "11640100MB1234567X001"
ISSUER_CODE = "11640100MB1234567X"


def part(token: str, index: int) -> bytes:
    text = token.split(".")[index]
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_signed_token_verifies_and_returns_the_same_claims_and_the_key(
    make_claims: ClaimsFactory, signing_key: SigningKey
) -> None:
    claims = make_claims()
    token = sign_token(claims, signing_key)
    verified = verify_token(token, {signing_key.kid: [signing_key.verifying_key()]})
    assert verified.claims == claims
    assert verified.key == signing_key.verifying_key()
    assert (verified.header.alg, verified.header.kid, verified.header.typ) == (
        signing_key.alg,
        signing_key.kid,
        "hcl+jwt",
    )


def test_header_is_exactly_alg_kid_typ_without_whitespace(
    make_claims: ClaimsFactory, signing_key: SigningKey
) -> None:
    token = sign_token(make_claims(), signing_key)
    expected = f'{{"alg":"{signing_key.alg}","kid":"{signing_key.kid}","typ":"hcl+jwt"}}'
    assert part(token, 0) == expected.encode()
    assert "=" not in token


def test_payload_uses_the_short_wire_keys_in_order_and_omits_unset_optional_claims(
    make_claims: ClaimsFactory, es256_key: SigningKey
) -> None:
    payload = json.loads(part(sign_token(make_claims(), es256_key), 1))
    assert list(payload) == [
        "v", "id", "no", "ln", "h", "hc", "ad", "it", "is", "iat", "di", "vu",
    ]  # fmt: skip
    assert payload["v"] == 1
    assert isinstance(payload["iat"], int)
    assert "exp" not in payload
    assert "nbf" not in payload


def test_payload_does_not_repeat_the_type_code_issuer_code_or_version_of_the_identifier(
    make_claims: ClaimsFactory, es256_key: SigningKey
) -> None:
    claims = make_claims(serial=456, version=3)
    payload = json.loads(part(sign_token(claims, es256_key), 1))
    assert not {"lt", "ic", "ver"} & set(payload)
    # ... because every one of them is part of the identifier that is sent
    assert payload["id"] == build_identifier(TYPE_CODE, ISSUER_CODE, 456, 3)
    assert f".{TYPE_CODE}.{ISSUER_CODE}.0000000456.003." in payload["id"]


@pytest.mark.parametrize(
    ("overrides", "hct", "vf"),
    [
        ({}, None, None),
        ({"holder_code_type": "111"}, "111", None),  # a resident identity card number
        ({"valid_from": "2026-02-01"}, None, "2026-02-01"),
        ({"holder_code_type": "111", "valid_from": "2026-02-01"}, "111", "2026-02-01"),
        # the defaults spelt out are still the defaults: one meaning, one byte form
        ({"holder_code_type": "001", "valid_from": "2026-01-01"}, None, None),
        # "001" as a database row or a JSON document delivers it: equal, not the same object
        ({"holder_code_type": "".join(["0", "0", "1"])}, None, None),
    ],
    ids=["defaults", "hct", "vf", "both", "defaults-spelt-out", "hct-001-not-interned"],
)
def test_hct_and_vf_are_sent_only_when_they_differ_from_their_defaults(
    make_claims: ClaimsFactory,
    es256_key: SigningKey,
    published: Published,
    overrides: dict[str, str],
    hct: str | None,
    vf: str | None,
) -> None:
    claims = make_claims(**overrides)
    token = sign_token(claims, es256_key)
    payload = json.loads(part(token, 1))
    assert payload.get("hct") == hct
    assert payload.get("vf") == vf
    keys = list(payload)
    if hct is not None:  # wire order: after hc, before ad
        assert keys[keys.index("hc") + 1] == "hct"
    if vf is not None:  # wire order: after di, before vu
        assert keys[keys.index("di") + 1 : keys.index("di") + 3] == ["vf", "vu"]
    verified = verify_token(token, published).claims
    assert verified == claims
    assert verified.holder_code_type == (hct or "001")
    assert verified.valid_from == vf
    assert verified.starts == (vf or verified.issue_date)


def test_absent_hct_and_vf_decode_to_credit_code_and_the_issue_date(
    make_claims: ClaimsFactory, es256_key: SigningKey, published: Published
) -> None:
    claims = verify_token(sign_token(make_claims(), es256_key), published).claims
    assert claims.holder_code_type == "001"
    assert claims.valid_from is None
    assert claims.starts == claims.issue_date == "2026-01-01"


def test_a_signed_hct_of_001_or_a_vf_equal_to_di_reads_as_the_defaults(
    make_claims: ClaimsFactory, es256_key: SigningKey, published: Published, forge_token: Forge
) -> None:
    # another issuer's software may send the defaults explicitly; the meaning is the same
    wire = json.loads(msgspec.json.encode(make_claims()))
    wire.update(hct="001", vf=wire["di"])
    header = f'{{"alg":"ES256","kid":"{es256_key.kid}","typ":"hcl+jwt"}}'.encode()
    token = forge_token(es256_key, header, json.dumps(wire, ensure_ascii=False).encode())
    claims = verify_token(token, published).claims
    assert claims == make_claims()
    assert b'"hct"' not in msgspec.json.encode(claims)
    assert b'"vf"' not in msgspec.json.encode(claims)


def test_payload_carries_optional_claims_when_set(
    make_claims: ClaimsFactory, es256_key: SigningKey
) -> None:
    claims = make_claims(
        valid_until=None,
        jurisdiction="640104",
        status_list=StatusListRef(idx=7, uri="https://zwfw.yinchuan.gov.cn/sl/1"),
        components=["11100000000013338W001"],
    )
    payload = json.loads(part(sign_token(claims, es256_key), 1))
    assert "vu" not in payload
    assert payload["jd"] == "640104"
    assert payload["sl"] == {"idx": 7, "uri": "https://zwfw.yinchuan.gov.cn/sl/1"}
    assert payload["cm"] == ["11100000000013338W001"]


@pytest.mark.parametrize("idx", [0, 7, 2**32 - 1])
def test_token_with_a_status_list_index_but_no_uri_signs_verifies_and_decodes(
    make_claims: ClaimsFactory, signing_key: SigningKey, idx: int
) -> None:
    claims = make_claims(status_list=StatusListRef(idx=idx))
    token = sign_token(claims, signing_key)
    assert json.loads(part(token, 1))["sl"] == {"idx": idx}
    verified = verify_token(token, {signing_key.kid: [signing_key.verifying_key()]}).claims
    assert verified == claims
    assert verified.status_list == StatusListRef(idx=idx)
    assert verified.status_list is not None
    assert verified.status_list.uri is None
    assert decode_unverified(token)[1] == claims


def test_payload_writes_chinese_as_utf8_not_escapes(
    make_claims: ClaimsFactory, es256_key: SigningKey
) -> None:
    raw = part(sign_token(make_claims(), es256_key), 1)
    assert "银川市某某宾馆".encode() in raw
    assert b"\\u" not in raw


def test_es256_signature_part_is_64_raw_bytes_that_cryptography_verifies_as_r_and_s(
    make_claims: ClaimsFactory, es256_key: SigningKey
) -> None:
    token = sign_token(make_claims(), es256_key)
    signature = part(token, 2)
    assert len(signature) == 64
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    public_key = es256_key.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(der, token.rsplit(".", 1)[0].encode(), ec.ECDSA(hashes.SHA256()))


@pytest.mark.parametrize("alg", list(KeyAlgorithm))
def test_pyjwt_verifies_our_token_from_the_published_jwk_alone(
    make_claims: ClaimsFactory, alg: KeyAlgorithm
) -> None:
    signing_key = SigningKey.from_private_key(generate_private_key(alg))
    token = sign_token(make_claims(), signing_key)
    jwk = json.loads(json.dumps(public_jwk(signing_key.public_key(), alg)))  # as fetched
    decoded = jwt.decode(token, key=jwt.PyJWK(jwk).key, algorithms=[str(alg)])
    assert decoded["h"] == "银川市某某宾馆"
    assert jwt.get_unverified_header(token) == {
        "alg": str(alg),
        "kid": jwk["kid"],
        "typ": "hcl+jwt",
    }


@pytest.mark.parametrize("alg", list(KeyAlgorithm))
def test_pyjwt_verifies_a_token_as_issued_from_the_jwk_set_alone(
    make_claims: ClaimsFactory, alg: KeyAlgorithm
) -> None:
    # the third-party path: fetch /.well-known/jwks.json, pick the key by the header's kid,
    # check the kid is the key's own thumbprint prefix, verify, read the claims
    signers = [SigningKey.from_private_key(generate_private_key(a)) for a in KeyAlgorithm]
    signer = next(key for key in signers if key.alg == alg)
    claims = make_claims(status_list=StatusListRef(idx=2**32 - 1), holder_code_type="111")
    token = sign_token(claims, signer)
    document = json.loads(
        json.dumps(
            jwks(
                [key.verifying_key() for key in signers],
                extra={signer.kid: {"status": "active"}},
            )
        )
    )

    kid = jwt.get_unverified_header(token)["kid"]
    [jwk] = [jwk for jwk in document["keys"] if jwk["kid"] == kid]
    required = {"crv", "kty", "x", "y"} & set(jwk)
    canonical = json.dumps({m: jwk[m] for m in sorted(required)}, separators=(",", ":"))
    thumbprint = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest())
    assert kid == thumbprint.rstrip(b"=").decode()[:22]

    key = jwt.PyJWKSet.from_dict(document)[kid]
    decoded = jwt.decode(token, key=key, algorithms=[jwk["alg"]])
    assert msgspec.convert(decoded, CertificateClaims) == claims
    assert decoded["sl"] == {"idx": 2**32 - 1}
    assert decoded["hct"] == "111"
    assert not {"lt", "ic", "ver", "vf"} & set(decoded)

    stranger = SigningKey.from_private_key(generate_private_key(alg)).verifying_key()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, key=jwt.PyJWK(stranger.to_jwk()).key, algorithms=[str(alg)])


def test_expired_certificate_still_verifies_because_validity_is_not_a_signature_matter(
    make_claims: ClaimsFactory, es256_key: SigningKey, published: Published
) -> None:
    claims = make_claims(issue_date="2001-01-01", valid_until="2002-12-31")
    verified = verify_token(sign_token(claims, es256_key), published)
    assert verified.claims.valid_until == "2002-12-31"
    assert verified.claims.starts == "2001-01-01"


def test_claims_are_nfc_normalised_on_construction_and_on_the_wire(
    make_claims: ClaimsFactory, es256_key: SigningKey
) -> None:
    decomposed = unicodedata.normalize("NFD", "Café 김밥 銀川")
    assert decomposed != unicodedata.normalize("NFC", decomposed)
    claims = make_claims(holder=decomposed, items=[decomposed])
    assert claims.holder == unicodedata.normalize("NFC", decomposed)
    assert claims.items == (claims.holder,)
    assert unicodedata.normalize("NFC", decomposed).encode() in part(
        sign_token(claims, es256_key),
        1,
    )


LOWER_CASE_IDENTIFIER = build_identifier(TYPE_CODE, "91640100MA7654321Y", 1, 1).lower()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"identifier": "1.2.156.3005.2.X"}, "identifier"),
        (
            {"identifier": build_identifier(TYPE_CODE, ISSUER_CODE, 1, 1)[:-1] + "0"},
            "check character",
        ),
        ({"identifier": LOWER_CASE_IDENTIFIER}, "canonical upper-case"),
        ({"valid_until": "2025-12-31"}, "before valid_from"),  # before the issue date
        ({"valid_from": "2026-06-01", "valid_until": "2026-05-31"}, "before valid_from"),
        ({"valid_from": "2026-02-30"}, "day is out of range"),
        ({"valid_from": "2026/02/01"}, "YYYY-MM-DD"),
        ({"issue_date": "20260101"}, "YYYY-MM-DD"),
        ({"holder": "某某\n宾馆"}, "control character"),
        ({"items": ["住宿", "\u2028"]}, "control character"),
        ({"holder_code_type": "00\x01"}, "control character"),
        ({"format_version": 2}, "format version"),
    ],
)
def test_claims_refuse_inconsistent_or_malformed_values_on_construction(
    make_claims: ClaimsFactory, overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        make_claims(**overrides)


def test_valid_until_on_the_first_day_of_validity_is_accepted(make_claims: ClaimsFactory) -> None:
    assert make_claims(valid_until="2026-01-01").starts == "2026-01-01"
    assert make_claims(valid_from="2026-03-01", valid_until="2026-03-01").starts == "2026-03-01"


@pytest.mark.parametrize("name", ["licence_type", "issuer_code", "version"])
def test_claims_no_longer_take_the_parts_of_the_identifier_as_arguments(
    make_claims: ClaimsFactory, name: str
) -> None:
    claims = make_claims()
    fields = msgspec.structs.asdict(claims)
    with pytest.raises(TypeError, match=name):
        CertificateClaims(**fields, **{name: getattr(claims, name)})


@pytest.mark.parametrize(
    ("type_code", "issuer_code", "serial", "version"),
    [
        (TYPE_CODE, ISSUER_CODE, 123, 1),
        ("11100000000013338W002", "91640100MA7654321Y", 9_999_999_999, 999),
        ("11640100MB1234567X017", "12640100K0000000XA", 1, 42),
    ],
)
def test_licence_type_issuer_code_and_version_are_read_from_the_identifier(
    make_claims: ClaimsFactory, type_code: str, issuer_code: str, serial: int, version: int
) -> None:
    identifier = build_identifier(type_code, issuer_code, serial, version)
    claims = make_claims(identifier=identifier)
    assert (claims.licence_type, claims.issuer_code, claims.version) == (
        type_code,
        issuer_code,
        version,
    )
    parsed = parse_identifier(claims.identifier)
    assert (parsed.type_code, parsed.issuer_code, parsed.version) == (
        claims.licence_type,
        claims.issuer_code,
        claims.version,
    )


def test_a_new_version_of_a_licence_is_a_new_identifier_and_the_version_follows_it(
    make_claims: ClaimsFactory, es256_key: SigningKey, published: Published
) -> None:
    first = make_claims()
    second = make_claims(identifier=with_version(first.identifier, 2))
    assert (first.version, second.version) == (1, 2)
    assert second.licence_type == first.licence_type
    assert second.issuer_code == first.issuer_code
    assert verify_token(sign_token(second, es256_key), published).claims.version == 2


@pytest.mark.parametrize("name", ["licence_type", "issuer_code", "version", "starts"])
def test_derived_properties_cannot_be_assigned(make_claims: ClaimsFactory, name: str) -> None:
    claims = make_claims()
    with pytest.raises(AttributeError):
        setattr(claims, name, "x")


def test_lt_ic_ver_in_a_signed_payload_are_ignored_and_the_identifier_is_what_counts(
    make_claims: ClaimsFactory, es256_key: SigningKey, published: Published, forge_token: Forge
) -> None:
    # a token in the older, longer form, or one whose extra members contradict its identifier:
    # verifiers ignore members they do not know, so only the identifier can be trusted
    wire = json.loads(msgspec.json.encode(make_claims()))
    wire.update(lt="11100000000013338W002", ic="91640100MA7654321Y", ver=7)
    header = f'{{"alg":"ES256","kid":"{es256_key.kid}","typ":"hcl+jwt"}}'.encode()
    token = forge_token(es256_key, header, json.dumps(wire, ensure_ascii=False).encode())
    claims = verify_token(token, published).claims
    assert claims == make_claims()
    assert (claims.licence_type, claims.issuer_code, claims.version) == (TYPE_CODE, ISSUER_CODE, 1)


def test_date_helpers_give_the_day_in_china_and_whole_unix_seconds() -> None:
    moment = datetime(2025, 12, 31, 16, 30, 0, 999_999, tzinfo=UTC)  # 00:30 on 1 Jan in China
    assert shanghai_date(moment) == "2026-01-01"
    assert numeric_date(moment) == 1_767_198_600
    with pytest.raises(ValueError):
        shanghai_date(datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test


def test_verify_tries_every_key_published_under_the_kid(
    make_claims: ClaimsFactory, es256_key: SigningKey
) -> None:
    impostor = SigningKey(
        es256_key.kid, KeyAlgorithm.ES256, generate_private_key(KeyAlgorithm.ES256)
    )
    token = sign_token(make_claims(), es256_key)
    keys = [impostor.verifying_key(), es256_key.verifying_key()]
    assert verify_token(token, {es256_key.kid: keys}).key == es256_key.verifying_key()


def test_verify_accepts_a_lookup_function_and_treats_its_key_error_as_unknown_key(
    make_claims: ClaimsFactory, es256_key: SigningKey, published: Published
) -> None:
    token = sign_token(make_claims(), es256_key)
    assert verify_token(token, lambda kid: published[kid]).claims == make_claims()
    nothing: Published = {}
    with pytest.raises(TokenInvalid) as caught:
        verify_token(token, lambda kid: nothing[kid])
    assert caught.value.reason == "unknown_key"


def test_verify_lets_a_failing_key_store_error_through_rather_than_call_the_token_forged(
    make_claims: ClaimsFactory, es256_key: SigningKey
) -> None:
    def key_store_down(kid: str) -> list[VerifyingKey]:
        raise ConnectionError("database unavailable")

    with pytest.raises(ConnectionError):
        verify_token(sign_token(make_claims(), es256_key), key_store_down)


def test_signed_payload_that_breaks_the_claims_rules_is_reported_as_bad_claims(
    es256_key: SigningKey, published: Published, forge_token: Callable[..., str]
) -> None:
    header = f'{{"alg":"ES256","kid":"{es256_key.kid}","typ":"hcl+jwt"}}'.encode()
    for payload in (b'{"v":2}', b"[]", b'{"v":1,"id":"x"}', b"\xff"):
        with pytest.raises(TokenInvalid) as caught:
            verify_token(forge_token(es256_key, header, payload), published)
        assert caught.value.reason == "bad_claims"


def test_sign_token_refuses_a_token_longer_than_verifiers_accept(
    make_claims: ClaimsFactory, es256_key: SigningKey
) -> None:
    with pytest.raises(ValueError, match=str(MAX_TOKEN_LENGTH)):
        sign_token(make_claims(items=["很" * 150] * 8), es256_key)


def test_decode_unverified_reads_header_and_claims_without_keys(
    make_claims: ClaimsFactory, eddsa_key: SigningKey
) -> None:
    header, claims = decode_unverified(sign_token(make_claims(), eddsa_key))
    assert header.kid == eddsa_key.kid
    assert claims == make_claims()


def test_decode_unverified_raises_token_format_error_which_is_a_token_invalid() -> None:
    with pytest.raises(TokenFormatError) as caught:
        decode_unverified("a.b")
    assert isinstance(caught.value, TokenInvalid)
    assert isinstance(caught.value, ValueError)
    assert caught.value.reason == "malformed"


@pytest.mark.parametrize("reason", list(MESSAGES))
def test_every_failure_reason_has_a_chinese_and_an_english_sentence(reason: str) -> None:
    error = TokenInvalid(reason, "detail for the log")  # type: ignore[arg-type]
    assert any("\u4e00" <= char <= "\u9fff" for char in error.zh)
    assert error.zh.endswith("。")
    assert error.en.endswith(".")
    assert "detail for the log" not in error.zh + error.en
    assert "detail for the log" in str(error)


def test_claims_round_trip_through_msgspec_with_their_wire_names(
    make_claims: ClaimsFactory,
) -> None:
    claims = make_claims(components=("11100000MB1A372603003", "11100000MB1A372603004"))
    wire = msgspec.json.encode(claims)
    assert b'"cm":["11100000MB1A372603003","11100000MB1A372603004"]' in wire
    assert msgspec.json.decode(wire, type=type(claims)) == claims


@pytest.mark.parametrize(
    "overrides",
    [
        {"holder": "很" * 201},
        {"items": ["住宿"] * 101},
        {"issued_at": 1.5},
        {"issued_at": -1},
        {"holder_code_type": "1"},
        {"holder_code_type": "0001"},
        {"status_list": StatusListRef(idx=-1, uri="https://a.cn/sl")},
        {"status_list": StatusListRef(idx=2**32)},
        {"status_list": StatusListRef(idx=0, uri="")},
    ],
)
def test_sign_token_refuses_claims_that_its_own_verifier_would_reject(
    make_claims: ClaimsFactory, es256_key: SigningKey, overrides: dict[str, object]
) -> None:
    with pytest.raises(ValueError, match="would not verify"):
        sign_token(make_claims(**overrides), es256_key)


def test_the_size_probe_is_exactly_as_long_as_the_signed_token(
    make_claims: ClaimsFactory, signing_key: SigningKey
) -> None:
    from certs.tokens import size_probe

    for items in ((), ("住宿场所",), ("住宿场所", "沐浴场所", "美容店")):
        claims = make_claims(items=items)
        assert len(size_probe(claims, signing_key)) == len(sign_token(claims, signing_key))
