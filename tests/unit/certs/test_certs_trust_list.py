"""The trust list: who may sign certificates, verified against a pinned anchor."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import jwt
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certs.keys import KeyAlgorithm, SigningKey, generate_private_key
from certs.status_list import sign_jws
from certs.trust_list import (
    TRUST_LIST_TYP,
    Issuer,
    KeyState,
    TrustedKey,
    TrustList,
    TrustListInvalid,
    anchors_from_jwks,
    build_trust_list,
    sign_trust_list,
    trusted_key,
    verify_trust_list,
)

T0 = 1_767_225_600
DAY = 86_400
ISSUER_A = "11640100MB1234567X"
ISSUER_B = "11640200MB7654321Y"
fuzz = settings(
    max_examples=int(os.environ.get("CERTS_FUZZ_EXAMPLES", "300")),
    suppress_health_check=[HealthCheck.too_slow],
)


def new_key(alg: KeyAlgorithm = KeyAlgorithm.ES256) -> SigningKey:
    return SigningKey.from_private_key(generate_private_key(alg))


def make_issuer(code: str = ISSUER_A, **overrides: Any) -> Issuer:
    fields = {
        "code": code,
        "name": "银川市行政审批服务局",
        "credit_code": code,
        "jurisdiction": "640100",
        "status_list": f"https://zwfw.example.gov.cn/status/{code}",
    } | overrides
    return Issuer(**fields)


def make_entry(key: SigningKey, state: KeyState = "active", **times: Any) -> TrustedKey:
    defaults: dict[str, Any] = {"issuer": ISSUER_A, "created": T0 - 60 * DAY}
    if state in ("active", "retired"):
        defaults["activated"] = T0 - 30 * DAY
    if state == "retired":
        defaults["retired"] = T0 - DAY
    if state == "revoked":
        defaults["revoked"] = T0 - DAY
    return trusted_key(key.verifying_key(), state=state, **(defaults | times))


def make_list(*entries: TrustedKey, **overrides: Any) -> TrustList:
    fields: dict[str, Any] = {
        "seq": 7,
        "iat": T0,
        "next_update": T0 + 2 * DAY,
        "issuers": [make_issuer()],
        "keys": entries,
    } | overrides
    return build_trust_list(**fields)


@pytest.fixture(scope="module")
def anchor() -> SigningKey:
    return new_key(KeyAlgorithm.EDDSA)


@pytest.fixture(scope="module")
def cert_key() -> SigningKey:
    return new_key()


def test_signed_list_verifies_against_its_pinned_anchor_and_equals_what_was_built(
    anchor: SigningKey, cert_key: SigningKey
) -> None:
    built = make_list(make_entry(cert_key))
    verified = verify_trust_list(sign_trust_list(built, anchor), [anchor.verifying_key()])
    assert verified == built
    assert verified.keys_for(cert_key.kid) == [cert_key.verifying_key()]
    assert verified.key_state(cert_key.kid) == "active"
    assert verified.key_state("nobody") is None
    assert verified.issuer(ISSUER_A) == make_issuer()
    assert verified.entry_for(cert_key.verifying_key()) == make_entry(cert_key)


def test_wire_form_has_the_documented_header_and_members_with_nulls_not_omissions(
    anchor: SigningKey, cert_key: SigningKey
) -> None:
    eddsa = new_key(KeyAlgorithm.EDDSA)
    token = sign_trust_list(make_list(make_entry(cert_key), make_entry(eddsa)), anchor)
    header, payload, _ = token.split(".")
    assert json.loads(base64.urlsafe_b64decode(header + "==")) == {
        "alg": "EdDSA",
        "kid": anchor.kid,
        "typ": "hcl-trust+jwt",
    }
    body = json.loads(base64.urlsafe_b64decode(payload + "=="))
    assert list(body) == ["v", "seq", "iat", "next_update", "issuers", "keys"]
    assert list(body["issuers"][0]) == [
        "code",
        "name",
        "credit_code",
        "jurisdiction",
        "status_list",
    ]
    ec, okp = body["keys"]
    assert ec["retired"] is None and ec["revoked"] is None and ec["not_after"] is None
    assert set(ec) - set(okp) == {"y"}
    assert {ec["use"], okp["use"]} == {"sig"}


def test_third_party_jwt_library_reads_the_trust_list_with_the_anchor_jwk(
    anchor: SigningKey, cert_key: SigningKey
) -> None:
    token = sign_trust_list(make_list(make_entry(cert_key)), anchor)
    decoded = jwt.decode(
        token, key=jwt.PyJWK(anchor.verifying_key().to_jwk()).key, algorithms=["EdDSA"]
    )
    assert decoded["keys"][0]["kid"] == cert_key.kid
    assert jwt.get_unverified_header(token)["typ"] == TRUST_LIST_TYP


def test_list_signed_by_an_unpinned_key_is_refused_as_unknown_anchor(
    anchor: SigningKey, cert_key: SigningKey
) -> None:
    token = sign_trust_list(make_list(make_entry(cert_key)), new_key())
    with pytest.raises(TrustListInvalid) as caught:
        verify_trust_list(token, [anchor.verifying_key()])
    assert caught.value.reason == "unknown_anchor"
    assert caught.value.zh and caught.value.en


def test_certificate_key_cannot_vouch_for_itself_by_signing_the_list(
    anchor: SigningKey, cert_key: SigningKey
) -> None:
    token = sign_trust_list(make_list(make_entry(cert_key)), cert_key)
    with pytest.raises(TrustListInvalid, match="unknown_anchor"):
        verify_trust_list(token, [anchor.verifying_key()])


def test_list_with_an_added_key_after_signing_is_refused_as_bad_signature(
    anchor: SigningKey, cert_key: SigningKey
) -> None:
    header, payload, signature = sign_trust_list(make_list(make_entry(cert_key)), anchor).split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=="))
    body["keys"].append(msgspec.to_builtins(make_entry(new_key())))
    forged_payload = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    with pytest.raises(TrustListInvalid) as caught:
        verify_trust_list(f"{header}.{forged_payload}.{signature}", [anchor.verifying_key()])
    assert caught.value.reason == "bad_signature"


def test_status_list_or_certificate_token_is_not_accepted_as_a_trust_list(
    anchor: SigningKey,
) -> None:
    for typ in ("statuslist+jwt", "hcl+jwt"):
        with pytest.raises(TrustListInvalid, match="wrong_typ"):
            verify_trust_list(sign_jws(typ, b"{}", anchor), [anchor.verifying_key()])


@pytest.mark.parametrize(
    "payload",
    [
        b"{}",
        b'{"v":2,"seq":1,"iat":1,"next_update":2,"issuers":[],"keys":[]}',
        b'{"v":1,"seq":1,"iat":5,"next_update":5,"issuers":[],"keys":[]}',
        b"\x80",
    ],
)
def test_anchor_signed_payloads_that_are_not_trust_lists_are_refused_as_bad_payload(
    anchor: SigningKey, payload: bytes
) -> None:
    with pytest.raises(TrustListInvalid) as caught:
        verify_trust_list(sign_jws(TRUST_LIST_TYP, payload, anchor), [anchor.verifying_key()])
    assert caught.value.reason == "bad_payload"


def test_stale_list_is_still_returned_and_reports_itself_stale_after_next_update(
    anchor: SigningKey, cert_key: SigningKey
) -> None:
    token = sign_trust_list(make_list(make_entry(cert_key)), anchor)
    verified = verify_trust_list(token, [anchor.verifying_key()], now=T0 + 30 * DAY)
    assert not verified.is_stale(T0 + 2 * DAY)
    assert verified.is_stale(T0 + 2 * DAY + 1)


def test_older_sequence_number_than_already_accepted_is_refused_as_rollback(
    anchor: SigningKey, cert_key: SigningKey
) -> None:
    token = sign_trust_list(make_list(make_entry(cert_key), seq=6), anchor)
    verify_trust_list(token, [anchor.verifying_key()], min_seq=6)
    with pytest.raises(TrustListInvalid, match="rollback"):
        verify_trust_list(token, [anchor.verifying_key()], min_seq=7)


def test_list_signed_more_than_a_day_after_the_device_clock_says_the_clock_is_wrong(
    anchor: SigningKey, cert_key: SigningKey
) -> None:
    token = sign_trust_list(make_list(make_entry(cert_key)), anchor)
    verify_trust_list(token, [anchor.verifying_key()], now=T0 - DAY)
    with pytest.raises(TrustListInvalid, match="from_the_future"):
        verify_trust_list(token, [anchor.verifying_key()], now=T0 - DAY - 1)


@pytest.mark.parametrize(
    ("state", "times", "iat", "problem"),
    [
        ("pending", {}, T0, "not_yet_valid_key"),
        ("active", {}, T0, None),
        ("active", {}, T0 - 30 * DAY - 301, "not_yet_valid_key"),  # before activation
        ("retired", {}, T0 - 2 * DAY, None),  # signed while active, still good
        ("retired", {}, T0 - DAY, None),
        ("retired", {}, T0 - DAY + 1, "signed_after_retirement"),
        ("revoked", {}, T0 - 10 * DAY, "revoked_key"),  # compromised: even old signatures
    ],
)
def test_key_state_decides_whether_a_signature_made_at_iat_counts(
    state: KeyState, times: dict[str, int], iat: int, problem: str | None, cert_key: SigningKey
) -> None:
    assert make_entry(cert_key, state, **times).signing_problem(iat) == problem


def test_key_state_reports_the_gravest_when_two_entries_share_a_kid(cert_key: SigningKey) -> None:
    listed = make_list(make_entry(cert_key), make_entry(cert_key, "revoked"))
    assert listed.key_state(cert_key.kid) == "revoked"
    assert len(listed.keys_for(cert_key.kid)) == 2


@pytest.mark.parametrize(
    "change",
    [
        {"issuers": [make_issuer(ISSUER_B)]},  # the key's issuer is not listed
        {"issuers": [make_issuer(), make_issuer()]},  # duplicate codes
        {"next_update": T0},
        {"issuers": [make_issuer(credit_code="not-a-credit-code")]},
        {"issuers": [make_issuer(code="../etc")]},  # codes become file names offline
        {"issuers": [make_issuer(jurisdiction="宁夏")]},
        {"seq": -1},
    ],
)
def test_build_refuses_lists_a_verifier_would_reject(
    change: dict[str, Any], cert_key: SigningKey
) -> None:
    with pytest.raises(ValueError):
        make_list(make_entry(cert_key), **change)


@pytest.mark.parametrize(
    ("state", "missing"), [("active", "activated"), ("retired", "retired"), ("revoked", "revoked")]
)
def test_entry_without_the_time_of_its_state_is_refused(
    state: KeyState, missing: str, cert_key: SigningKey
) -> None:
    with pytest.raises(ValueError, match=missing):
        trusted_key(cert_key.verifying_key(), issuer=ISSUER_A, state=state, created=T0)


def test_entry_whose_jwk_is_not_a_point_on_the_curve_is_refused(cert_key: SigningKey) -> None:
    members = msgspec.to_builtins(make_entry(cert_key)) | {"y": "A" * 43}
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert(members, TrustedKey)


@pytest.mark.parametrize(
    "document",
    [{}, {"keys": []}, {"keys": ["x"]}, {"keys": [{"kty": "RSA"}]}, [], "jwks"],
)
def test_anchor_file_that_is_not_a_usable_jwk_set_is_refused(document: object) -> None:
    with pytest.raises(TrustListInvalid, match="bad_anchor"):
        anchors_from_jwks(document)


@fuzz
@given(text=st.text(max_size=3000))
def test_random_text_raises_only_trust_list_invalid(text: str, anchor: SigningKey) -> None:
    with pytest.raises(TrustListInvalid):
        verify_trust_list(text, [anchor.verifying_key()], now=T0)


@fuzz
@given(payload=st.binary(max_size=800))
def test_anchor_signed_random_bytes_raise_only_trust_list_invalid(
    payload: bytes, anchor: SigningKey
) -> None:
    with pytest.raises(TrustListInvalid):
        verify_trust_list(sign_jws(TRUST_LIST_TYP, payload, anchor), [anchor.verifying_key()])
