"""Strict base64url: exactly one accepted spelling for every byte string."""

from __future__ import annotations

import base64

from hypothesis import given
from hypothesis import strategies as st

from certs._b64 import b64decode, b64encode

B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@given(data=st.binary(max_size=200))
def test_encoding_is_unpadded_base64url_and_decodes_back(data: bytes) -> None:
    encoded = b64encode(data)
    assert encoded == base64.urlsafe_b64encode(data).rstrip(b"=")
    assert b64decode(encoded.decode()) == data


@given(text=st.text(alphabet=B64URL + "=+/ \n.", max_size=40))
def test_decoding_accepts_a_string_exactly_when_it_is_the_canonical_encoding(text: str) -> None:
    decoded = b64decode(text)
    if decoded is None:
        padded = text + "=" * (-len(text) % 4)
        canonical = (
            len(text) % 4 != 1
            and set(text) <= set(B64URL)
            and b64encode(base64.urlsafe_b64decode(padded)).decode() == text
        )
        assert not canonical
    else:
        assert b64encode(decoded).decode() == text
