"""The status list: the draft's bit layout and examples, signing, refusals, size and speed."""

from __future__ import annotations

import base64
import json
import os
import random
import time
import zlib

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certs.keys import KeyAlgorithm, SigningKey, VerifyingKey, generate_private_key
from certs.status_list import (
    INVALID,
    MAX_LIST_BYTES,
    STATUS_LIST_TYP,
    SUPERSEDED,
    SUSPENDED,
    VALID,
    StatusArray,
    StatusListInvalid,
    sign_jws,
    sign_status_list,
    verify_status_list,
)

URI = "https://zwfw.example.gov.cn/status/11640100MB1234567X"
IAT = 1_767_225_600
DAY = 86_400
fuzz = settings(
    max_examples=int(os.environ.get("CERTS_FUZZ_EXAMPLES", "300")),
    suppress_health_check=[HealthCheck.too_slow],
)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed(key: SigningKey, array: StatusArray, **times: int) -> str:
    when = {"iat": IAT, "ttl": DAY, "exp": IAT + 7 * DAY} | times
    return sign_status_list(URI, array, key, **when)


def keys_of(key: SigningKey) -> dict[str, list[VerifyingKey]]:
    return {key.kid: [key.verifying_key()]}


# --- the draft's layout and examples ------------------------------------------------------


def test_two_bit_status_of_index_i_sits_in_byte_i_div_4_at_offset_2_times_i_mod_4_lsb_first() -> (
    None
):
    array = StatusArray(bits=2)
    array.set(5, SUSPENDED)  # byte 1, bits 2-3
    array.set(11, SUPERSEDED)  # byte 2, bits 6-7
    assert array.to_bytes() == bytes([0b0000_0000, 0b0000_1000, 0b1100_0000])
    assert [array.get(i) for i in range(12)] == [0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 3]


def test_draft_one_bit_example_compresses_to_the_published_lst_and_reads_back() -> None:
    statuses = [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]
    array = StatusArray.from_statuses(statuses, bits=1)
    assert array.to_bytes() == bytes([0xB9, 0xA3])
    assert array.to_lst() == "eNrbuRgAAhcBXQ"
    decoded = StatusArray.from_lst("eNrbuRgAAhcBXQ", bits=1)
    assert [decoded.get(i) for i in range(16)] == statuses


def test_draft_two_bit_example_compresses_to_the_published_lst_and_reads_back() -> None:
    statuses = [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3]
    array = StatusArray.from_statuses(statuses, bits=2)
    assert array.to_bytes() == bytes([0xC9, 0x44, 0xF9])
    assert array.to_lst() == "eNo76fITAAPfAgc"
    decoded = StatusArray.from_lst("eNo76fITAAPfAgc", bits=2)
    assert [decoded.get(i) for i in range(12)] == statuses
    assert decoded == array
    assert len(decoded) == 12


def test_status_values_are_the_drafts_valid_invalid_suspended_and_application_specific() -> None:
    assert (VALID, INVALID, SUSPENDED, SUPERSEDED) == (0, 1, 2, 3)


@given(
    bits=st.sampled_from([1, 2, 4, 8]),
    writes=st.dictionaries(st.integers(0, 5000), st.integers(0, 255), max_size=60),
)
def test_arrays_of_every_bit_width_survive_lst_round_trip_and_read_unset_indices_as_valid(
    bits: int, writes: dict[int, int]
) -> None:
    array = StatusArray(bits=bits)
    for index, value in writes.items():
        array.set(index, value % (1 << bits))
    decoded = StatusArray.from_lst(array.to_lst(), bits=bits)
    assert decoded == array
    for index in range(0, 5100, 7):
        expected = writes.get(index, 0) % (1 << bits)
        assert decoded.get(index) == expected


def test_absent_indices_read_as_valid_so_issuing_a_certificate_needs_no_list_update() -> None:
    array = StatusArray()
    assert len(array) == 0
    assert array.get(999_999) == VALID
    array.set(9, INVALID)
    assert len(array) == 12  # grown to whole bytes: three of four statuses each
    assert array.get(8) == VALID


def test_preallocated_size_publishes_indices_ahead_of_issuing() -> None:
    array = StatusArray(bits=2, size=1000)
    assert len(array) == 1000
    assert len(StatusArray.from_lst(array.to_lst())) == 1000


def test_signing_with_size_publishes_indices_never_set_and_leaves_the_array_alone(
    es256_key: SigningKey,
) -> None:
    array = StatusArray.from_statuses([0, INVALID])  # 4 slots: one byte
    token = sign_status_list(URI, array, es256_key, iat=IAT, ttl=DAY, exp=IAT + DAY, size=10_000)
    published = verify_status_list(token, keys_of(es256_key), now=IAT).array
    assert len(published) == 10_000
    assert published.get(1) == INVALID
    assert len(array) == 4


@pytest.mark.parametrize(("index", "value"), [(0, 4), (0, -1), (-1, 1)])
def test_set_refuses_values_wider_than_the_bits_and_negative_indices(
    index: int, value: int
) -> None:
    with pytest.raises((ValueError, IndexError)):
        StatusArray(bits=2).set(index, value)


def test_set_refuses_an_index_beyond_what_any_verifier_would_decompress() -> None:
    with pytest.raises(IndexError):
        StatusArray(bits=2).set(MAX_LIST_BYTES * 4, INVALID)


def test_unsupported_bit_width_is_refused() -> None:
    with pytest.raises(ValueError):
        StatusArray(bits=3)
    with pytest.raises(StatusListInvalid):
        StatusArray.from_lst("eNo76fITAAPfAgc", bits=3)


@pytest.mark.parametrize(
    ("lst", "reason"),
    [
        ("eNo76fITAAPfAgc=", "malformed"),  # padding
        ("eNo76fITAAPfAgd", "malformed"),  # non-zero unused bits
        ("eNo76fITAAPfAg", "malformed"),  # truncated zlib stream
        ("not-zlib-at-all", "malformed"),
        (b64url(zlib.compress(b"\x01") + b"junk"), "malformed"),  # bytes after the stream
        (b64url(zlib.compress(bytes(MAX_LIST_BYTES + 1), 9)), "too_large"),  # zip bomb
        ("状态", "malformed"),
    ],
)
def test_from_lst_refuses_non_canonical_truncated_padded_and_explosive_input(
    lst: str, reason: str
) -> None:
    with pytest.raises(StatusListInvalid) as caught:
        StatusArray.from_lst(lst)
    assert caught.value.reason == reason


def test_million_certificate_list_compresses_in_well_under_100_ms_and_stays_small() -> None:
    array = StatusArray(bits=2, size=1_000_000)
    rng = random.Random(7)
    for index in rng.sample(range(1_000_000), 50_000):  # 5 %: revocations and old versions
        array.set(index, rng.choice([INVALID, INVALID, SUSPENDED, SUPERSEDED]))
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        lst = array.to_lst()
        best = min(best, time.perf_counter() - started)
    assert best < 0.1
    assert len(lst) < 120_000  # 250 kB raw
    assert StatusArray.from_lst(lst) == array
    assert len(StatusArray(bits=2, size=1_000_000).to_lst()) < 400  # all valid: a few hundred


# --- signed Status List Tokens --------------------------------------------------------------


def test_signed_list_verifies_with_the_issuers_key_and_carries_uri_times_and_array(
    signing_key: SigningKey,
) -> None:
    array = StatusArray.from_statuses([0, INVALID, SUSPENDED, SUPERSEDED])
    verified = verify_status_list(signed(signing_key, array), keys_of(signing_key), now=IAT)
    assert (verified.uri, verified.iat, verified.exp, verified.ttl) == (
        URI,
        IAT,
        IAT + 7 * DAY,
        DAY,
    )
    assert verified.array == array
    assert verified.key == signing_key.verifying_key()
    assert not verified.is_refresh_due(IAT + DAY - 1)
    assert verified.is_refresh_due(IAT + DAY)


def test_token_header_and_payload_have_exactly_the_drafts_members(
    signing_key: SigningKey,
) -> None:
    token = signed(signing_key, StatusArray.from_statuses([1, 2, 0, 3]))
    header, payload, _ = token.split(".")
    assert json.loads(base64.urlsafe_b64decode(header + "==")) == {
        "alg": str(signing_key.alg),
        "kid": signing_key.kid,
        "typ": "statuslist+jwt",
    }
    body = json.loads(base64.urlsafe_b64decode(payload + "=="))
    assert set(body) == {"sub", "iat", "exp", "ttl", "status_list"}
    assert body["status_list"]["bits"] == 2
    assert StatusArray.from_lst(body["status_list"]["lst"]).to_bytes() == bytes([0b1100_1001])


def test_third_party_jwt_library_reads_the_list_with_the_published_key(
    signing_key: SigningKey,
) -> None:
    token = signed(signing_key, StatusArray.from_statuses([1, 2, 0, 3]))
    key = jwt.PyJWK(signing_key.verifying_key().to_jwk()).key
    decoded = jwt.decode(
        token, key=key, algorithms=[str(signing_key.alg)], options={"verify_exp": False}
    )
    assert decoded["sub"] == URI
    assert jwt.get_unverified_header(token)["typ"] == STATUS_LIST_TYP


def test_list_from_exp_onwards_is_refused_as_expired(es256_key: SigningKey) -> None:
    token = signed(es256_key, StatusArray(), exp=IAT + DAY)
    verify_status_list(token, keys_of(es256_key), now=IAT + DAY - 1)
    with pytest.raises(StatusListInvalid) as caught:
        verify_status_list(token, keys_of(es256_key), now=IAT + DAY)
    assert caught.value.reason == "expired"
    assert caught.value.zh and caught.value.en


def test_without_now_the_current_time_decides_expiry(es256_key: SigningKey) -> None:
    with pytest.raises(StatusListInvalid, match="expired"):
        verify_status_list(signed(es256_key, StatusArray()), keys_of(es256_key))


def test_list_signed_for_another_uri_is_refused(es256_key: SigningKey) -> None:
    with pytest.raises(StatusListInvalid) as caught:
        verify_status_list(
            signed(es256_key, StatusArray()), keys_of(es256_key), now=IAT, uri=URI + "/2"
        )
    assert caught.value.reason == "wrong_uri"


def test_list_signed_by_a_key_nobody_listed_is_refused_as_unknown_key(
    es256_key: SigningKey, eddsa_key: SigningKey
) -> None:
    with pytest.raises(StatusListInvalid) as caught:
        verify_status_list(signed(es256_key, StatusArray()), keys_of(eddsa_key), now=IAT)
    assert caught.value.reason == "unknown_key"


def test_list_whose_payload_was_edited_after_signing_is_refused_as_bad_signature(
    es256_key: SigningKey,
) -> None:
    header, payload, signature = signed(es256_key, StatusArray.from_statuses([1])).split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=="))
    body["status_list"]["lst"] = StatusArray().to_lst()  # "nothing revoked"
    forged = ".".join([header, b64url(json.dumps(body).encode()), signature])
    with pytest.raises(StatusListInvalid) as caught:
        verify_status_list(forged, keys_of(es256_key), now=IAT)
    assert caught.value.reason == "bad_signature"


def test_certificate_token_signed_by_the_same_key_is_not_accepted_as_a_status_list(
    es256_key: SigningKey,
) -> None:
    token = sign_jws("hcl+jwt", b'{"sub":"x"}', es256_key)
    with pytest.raises(StatusListInvalid) as caught:
        verify_status_list(token, keys_of(es256_key), now=IAT)
    assert caught.value.reason == "wrong_typ"


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (b'{"alg":"none","typ":"statuslist+jwt"}', "unsupported_alg"),
        (b'{"alg":"HS256","kid":"k","typ":"statuslist+jwt"}', "unsupported_alg"),
        (b'{"alg":"ES256","kid":"k","typ":"statuslist+jwt","crit":["x"]}', "malformed"),
        (b"[]", "malformed"),
    ],
)
def test_headers_with_none_hmac_crit_or_no_object_are_refused(header: bytes, reason: str) -> None:
    token = f"{b64url(header)}.{b64url(b'{}')}.{b64url(b'sig')}"
    with pytest.raises(StatusListInvalid) as caught:
        verify_status_list(token, {}, now=IAT)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b'{"sub":"x","iat":1,"exp":2,"ttl":1}',
        b'{"sub":"x","iat":5,"exp":2,"ttl":1,"status_list":{"bits":2,"lst":"eNoDAAAAAAE"}}',
        b'{"sub":"x","iat":1,"exp":2,"ttl":1,"status_list":{"bits":3,"lst":"eNoDAAAAAAE"}}',
        b'{"sub":"x","iat":-1,"exp":2,"ttl":1,"status_list":{"bits":2,"lst":"eNoDAAAAAAE"}}',
        b"\xff\xfe",
    ],
)
def test_validly_signed_payloads_that_are_not_status_lists_are_refused_as_bad_payload(
    es256_key: SigningKey, payload: bytes
) -> None:
    token = sign_jws(STATUS_LIST_TYP, payload, es256_key)
    with pytest.raises(StatusListInvalid) as caught:
        verify_status_list(token, keys_of(es256_key), now=0)
    assert caught.value.reason == "bad_payload"


def test_sign_refuses_exp_before_iat() -> None:
    key = SigningKey.from_private_key(generate_private_key(KeyAlgorithm.EDDSA))
    with pytest.raises(ValueError):
        sign_status_list(URI, StatusArray(), key, iat=10, ttl=1, exp=9)


# --- fuzz: anything in, StatusListInvalid or a result out --------------------------------


@fuzz
@given(text=st.text(max_size=3000))
def test_random_text_raises_only_status_list_invalid(text: str, es256_key: SigningKey) -> None:
    with pytest.raises(StatusListInvalid):
        verify_status_list(text, keys_of(es256_key), now=IAT)


@fuzz
@given(payload=st.binary(max_size=600))
def test_validly_signed_random_payload_bytes_raise_only_status_list_invalid(
    payload: bytes, es256_key: SigningKey
) -> None:
    with pytest.raises(StatusListInvalid):
        verify_status_list(sign_jws(STATUS_LIST_TYP, payload, es256_key), keys_of(es256_key))


@fuzz
@given(
    lst=st.one_of(
        st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        st.binary(max_size=200).map(lambda raw: b64url(zlib.compress(raw)[: len(raw) // 2 + 2])),
        st.binary(max_size=200).map(lambda raw: b64url(raw)),
    ),
    bits=st.sampled_from([1, 2, 4, 8]),
)
def test_validly_signed_lists_with_random_lst_give_an_array_or_status_list_invalid(
    lst: str, bits: int, es256_key: SigningKey
) -> None:
    status_list = {"bits": bits, "lst": lst}
    body = {"sub": URI, "iat": IAT, "exp": IAT + DAY, "ttl": 60, "status_list": status_list}
    token = sign_jws(STATUS_LIST_TYP, json.dumps(body).encode(), es256_key)
    try:
        verified = verify_status_list(token, keys_of(es256_key), now=IAT)
    except StatusListInvalid:
        return
    assert verified.array.bits == bits


@fuzz
@given(data=st.data())
def test_genuine_list_with_one_character_changed_or_cut_is_refused(
    data: st.DataObject, es256_key: SigningKey
) -> None:
    token = signed(es256_key, StatusArray.from_statuses([1, 2, 3, 0, 1]))
    position = data.draw(st.integers(0, len(token) - 1))
    if data.draw(st.booleans()):
        mutated = token[:position]
    else:
        replacement = data.draw(st.sampled_from("Aa0-_.x=/"))
        mutated = token[:position] + replacement + token[position + 1 :]
    if mutated == token:
        return
    with pytest.raises(StatusListInvalid):
        verify_status_list(mutated, keys_of(es256_key), now=IAT)
