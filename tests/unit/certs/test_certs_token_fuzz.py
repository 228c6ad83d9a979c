"""Whatever string arrives from a scanner, verification answers with TokenInvalid or a result."""

from __future__ import annotations

import base64
import contextlib
import json
import os
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certs.claims import CertificateClaims
from certs.keys import SigningKey, VerifyingKey
from certs.tokens import (
    TokenFormatError,
    TokenInvalid,
    VerifiedToken,
    decode_unverified,
    sign_token,
    verify_token,
)

ClaimsFactory = Callable[..., CertificateClaims]
Published = dict[str, list[VerifyingKey]]
TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
# CERTS_FUZZ_EXAMPLES=20000 for a deeper run before a release (about 100 s)
fuzz = settings(
    max_examples=int(os.environ.get("CERTS_FUZZ_EXAMPLES", "300")),
    suppress_health_check=[HealthCheck.too_slow],
)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def only_token_invalid(token: str, published: Published) -> VerifiedToken | None:
    try:
        return verify_token(token, published)
    except TokenInvalid:
        return None


def only_format_error(token: str) -> None:
    with contextlib.suppress(TokenFormatError):
        decode_unverified(token)


@pytest.fixture(scope="module")
def genuine(make_claims: ClaimsFactory, es256_key: SigningKey) -> str:
    return sign_token(make_claims(), es256_key)


@fuzz
@given(text=st.text(max_size=5000))
def test_random_text_raises_only_token_invalid(text: str, published: Published) -> None:
    assert only_token_invalid(text, published) is None
    only_format_error(text)


@fuzz
@given(data=st.binary(max_size=3000))
def test_random_bytes_read_as_latin1_raise_only_token_invalid(
    data: bytes, published: Published
) -> None:
    text = data.decode("latin-1")
    assert only_token_invalid(text, published) is None
    only_format_error(text)


@fuzz
@given(text=st.text(alphabet=TOKEN_ALPHABET, max_size=1500))
def test_random_strings_of_token_characters_raise_only_token_invalid(
    text: str, published: Published
) -> None:
    assert only_token_invalid(text, published) is None
    only_format_error(text)


@fuzz
@given(
    header=st.binary(max_size=200) | st.just(b'{"alg":"ES256","kid":"x","typ":"hcl+jwt"}'),
    payload=st.binary(max_size=600),
    signature=st.binary(max_size=80),
)
def test_random_parts_in_valid_base64url_raise_only_token_invalid(
    header: bytes, payload: bytes, signature: bytes, published: Published
) -> None:
    token = ".".join(b64url(part) for part in (header, payload, signature))
    assert only_token_invalid(token, published) is None
    only_format_error(token)


@fuzz
@given(
    json_header=st.fixed_dictionaries(
        {},
        optional={
            "alg": st.sampled_from(["ES256", "EdDSA", "none", "HS256", ""]) | st.integers(),
            "kid": st.text(max_size=200) | st.none() | st.integers(),
            "typ": st.sampled_from(["hcl+jwt", "JWT"]) | st.lists(st.integers()),
            "zip": st.just("DEF"),
        },
    ),
    json_payload=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner),
        max_leaves=30,
    ),
)
def test_random_json_headers_and_payloads_raise_only_token_invalid(
    json_header: dict[str, object], json_payload: object, published: Published
) -> None:
    header = json.dumps(json_header, separators=(",", ":")).encode()
    payload = json.dumps(json_payload, ensure_ascii=False).encode()
    token = f"{b64url(header)}.{b64url(payload)}.{b64url(bytes(64))}"
    assert only_token_invalid(token, published) is None
    only_format_error(token)


@fuzz
@given(data=st.data())
def test_edited_genuine_tokens_never_verify_and_raise_only_token_invalid(
    genuine: str, published: Published, data: st.DataObject
) -> None:
    position = data.draw(st.integers(min_value=0, max_value=len(genuine)))
    edit = data.draw(st.sampled_from(["replace", "insert", "delete", "truncate"]))
    char = data.draw(st.sampled_from(TOKEN_ALPHABET) | st.characters())
    edited = {
        "replace": genuine[:position] + char + genuine[position + 1 :],
        "insert": genuine[:position] + char + genuine[position:],
        "delete": genuine[:position] + genuine[position + 1 :],
        "truncate": genuine[:position],
    }[edit]
    if edited == genuine:
        return
    assert only_token_invalid(edited, published) is None
    only_format_error(edited)


def test_genuine_token_used_by_the_fuzzers_does_verify(genuine: str, published: Published) -> None:
    assert only_token_invalid(genuine, published) is not None


@pytest.mark.parametrize(
    "token",
    [
        "x" * 10_000_000,
        "." * 4097,
        "\x00" * 5000,
        "\ud800" * 10,  # lone surrogates cannot even be encoded as UTF-8
        "１２３.４５６.７８９",  # full-width digits
        b64url(b"[" * 3000) + "." + b64url(b"[" * 10) + ".AAAA",
    ],
    ids=["ten-megabytes", "dots", "nul", "surrogates", "full-width", "nested-header"],
)
def test_huge_or_pathological_inputs_raise_only_token_invalid(
    token: str, published: Published
) -> None:
    assert only_token_invalid(token, published) is None
    only_format_error(token)


def test_deeply_nested_payload_read_without_verification_raises_a_format_error(
    es256_key: SigningKey,
) -> None:
    header = f'{{"alg":"ES256","kid":"{es256_key.kid}","typ":"hcl+jwt"}}'.encode()
    token = f"{b64url(header)}.{b64url(b'[' * 1400 + b']' * 1400)}.AAAA"
    with pytest.raises(TokenFormatError) as caught:
        decode_unverified(token)
    assert caught.value.reason == "bad_claims"


@pytest.mark.parametrize("value", [None, 42, b"a.b.c", ["a", "b", "c"]])
def test_values_that_are_not_strings_raise_token_invalid(
    value: object, published: Published
) -> None:
    with pytest.raises(TokenInvalid):
        verify_token(value, published)  # type: ignore[arg-type]
