"""GB/T 36904 identifiers and their ISO/IEC 7064 MOD 37,36 check character."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certs.identifiers import (
    ROOT,
    InvalidIdentifier,
    build_identifier,
    mod37_36_check_char,
    parse_identifier,
    with_version,
)

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
TYPE_CODE = "11640100MB1234567X001"
ISSUER_CODE = "11640100MB1234567X"

alphanumeric = st.text(alphabet=ALPHABET, min_size=1, max_size=80)
type_codes = st.builds(
    lambda code, n: code + n,
    st.text(alphabet=ALPHABET, min_size=18, max_size=18),
    st.text(alphabet="0123456789", min_size=3, max_size=3),
)
issuer_codes = st.text(alphabet=ALPHABET, min_size=18, max_size=18)
serials = st.integers(min_value=1, max_value=9_999_999_999)
versions = st.integers(min_value=1, max_value=999)


def is_valid(data_and_check: str) -> bool:
    return mod37_36_check_char(data_and_check[:-1]) == data_and_check[-1]


# ISAN (ISO 15706-2) uses MOD 37,36: the first check covers root + episode (16 hex digits), the
# second covers root + episode + version (24 hex digits) and skips the first check character.
@pytest.mark.parametrize(
    ("data", "check"),
    [
        ("00000000D07A0090", "Q"),  # ISAN 0000-0000-D07A-0090-Q-0000-0000-X
        ("00000000D07A009000000000", "X"),
        ("188166C734206541", "Y"),  # ISAN 1881-66C7-3420-6541-Y-9F3A-0245-O
        ("188166C7342065419F3A0245", "O"),
        ("B159D8FA01240000", "K"),  # ISAN B159-D8FA-0124-0000-K
    ],
)
def test_check_char_matches_published_isan_numbers(data: str, check: str) -> None:
    assert mod37_36_check_char(data) == check


# Identifiers printed in public interface documents of provincial e-licence platforms.
@pytest.mark.parametrize(
    "identifier",
    [
        "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.002.S",
        "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
        "1.2.156.3005.2.11100000000013338W087.11370800MB28559184.37080001202411010001.001.3",
        "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0",
    ],
)
def test_check_char_matches_identifiers_issued_by_national_platforms(identifier: str) -> None:
    *body, check = identifier.removeprefix(ROOT + ".").split(".")
    assert mod37_36_check_char("".join(body)) == check


def test_check_char_treats_lower_case_letters_as_upper_case() -> None:
    assert mod37_36_check_char("00000000d07a0090") == "Q"


@pytest.mark.parametrize("bad", ["", "ABC-1", "12 3", "Ａ1", "ı", "ß", "ſ", "é"])
def test_check_char_refuses_characters_outside_0_9_a_z(bad: str) -> None:
    # ı, ß and ſ upper-case to ASCII letters: they must not be mistaken for I, SS and S
    with pytest.raises(ValueError):
        mod37_36_check_char(bad)


@given(data=alphanumeric, position=st.integers(min_value=0), replacement=st.sampled_from(ALPHABET))
def test_check_char_detects_every_single_character_substitution(
    data: str, position: int, replacement: str
) -> None:
    full = data + mod37_36_check_char(data)
    position %= len(full)
    if full[position] == replacement:
        return
    changed = full[:position] + replacement + full[position + 1 :]
    assert not is_valid(changed)


def are_neighbours(a: str, b: str) -> bool:
    return (ALPHABET.index(a) - ALPHABET.index(b)) % 36 in (1, 35)


@given(data=alphanumeric, position=st.integers(min_value=0))
def test_check_char_detects_every_swap_of_adjacent_characters_whose_values_are_not_neighbours(
    data: str, position: int
) -> None:
    full = data + mod37_36_check_char(data)
    position %= len(full) - 1
    a, b = full[position], full[position + 1]
    if a == b or are_neighbours(a, b):
        return
    swapped = full[:position] + b + a + full[position + 2 :]
    assert not is_valid(swapped)


def test_check_char_misses_only_72_of_45360_swaps_all_between_neighbouring_values() -> None:
    # ISO/IEC 7064 promises "nearly all" transpositions for hybrid systems. The misses are swaps
    # of values v, v+1 that meet the running state at 18/19; one leading character reaches each
    # of the 36 states, so these triples cover every case.
    missed = [
        (lead, a, b)
        for lead in ALPHABET
        for a in ALPHABET
        for b in ALPHABET
        if a != b and mod37_36_check_char(lead + a + b) == mod37_36_check_char(lead + b + a)
    ]
    assert len(missed) == 72
    assert all(are_neighbours(a, b) for _, a, b in missed)


def test_build_identifier_lays_out_root_codes_padded_serial_version_and_check() -> None:
    identifier = build_identifier(TYPE_CODE, ISSUER_CODE, 123, 1)
    body = f"{TYPE_CODE}.{ISSUER_CODE}.0000000123.001"
    assert identifier == f"{ROOT}.{body}.{mod37_36_check_char(body.replace('.', ''))}"


def test_build_identifier_accepts_the_largest_serial_and_version() -> None:
    identifier = build_identifier(TYPE_CODE, ISSUER_CODE, 9_999_999_999, 999)
    assert ".9999999999.999." in identifier


@pytest.mark.parametrize(
    ("type_code", "issuer_code", "serial", "version", "message"),
    [
        ("11640100MB1234567X01", ISSUER_CODE, 1, 1, "type_code"),  # 20 characters
        ("11640100MB1234567XA01", ISSUER_CODE, 1, 1, "type_code"),  # letter in the 3 digits
        ("11640100mb1234567X001", ISSUER_CODE, 1, 1, "type_code"),  # lower case
        (TYPE_CODE, "11640100MB1234567", 1, 1, "issuer_code"),
        (TYPE_CODE, "11640100MB1234567-", 1, 1, "issuer_code"),
        (TYPE_CODE, ISSUER_CODE, 0, 1, "serial"),
        (TYPE_CODE, ISSUER_CODE, 10_000_000_000, 1, "serial"),
        (TYPE_CODE, ISSUER_CODE, True, 1, "serial"),
        (TYPE_CODE, ISSUER_CODE, 1, 0, "version"),
        (TYPE_CODE, ISSUER_CODE, 1, 1000, "version"),
    ],
)
def test_build_identifier_refuses_bad_parts_and_names_the_part(
    type_code: str, issuer_code: str, serial: int, version: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        build_identifier(type_code, issuer_code, serial, version)


def test_build_identifier_refuses_unicode_digits_that_int_would_accept() -> None:
    with pytest.raises(ValueError, match="type_code"):
        build_identifier("11640100MB1234567X٠٠١", ISSUER_CODE, 1, 1)


@given(type_code=type_codes, issuer_code=issuer_codes, serial=serials, version=versions)
def test_parse_identifier_returns_the_parts_that_built_it(
    type_code: str, issuer_code: str, serial: int, version: int
) -> None:
    identifier = build_identifier(type_code, issuer_code, serial, version)
    parsed = parse_identifier(identifier)
    assert (parsed.type_code, parsed.issuer_code, parsed.serial, parsed.version) == (
        type_code,
        issuer_code,
        serial,
        version,
    )
    assert parsed.identifier == identifier


def test_parse_identifier_accepts_pasted_lower_case_with_whitespace_and_canonicalises() -> None:
    identifier = build_identifier(TYPE_CODE, ISSUER_CODE, 42, 3)
    parsed = parse_identifier(f"  {identifier.lower()}\n")
    assert parsed.identifier == identifier


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1.2.156.3005.1.11640100MB1234567X001.11640100MB1234567X.0000000123.001.K", "wrong_root"),
        ("1.2.156.3005.2.11640100MB1234567X001.11640100MB1234567X.0000000123.001", "wrong_parts"),
        ("1.2.156.3005.2.11640100MB1234567X001.11640100MB1234567X.123.001.K", "bad_serial"),
        ("1.2.156.3005.2.11640100MB1234567X001.11640100MB1234567X.0000000000.001.K", "bad_serial"),
        ("1.2.156.3005.2.11640100MB1234567X001.11640100MB1234567X.0000000123.000.K", "bad_version"),
        (
            "1.2.156.3005.2.11640100MB1234567X01.11640100MB1234567X.0000000123.001.K",
            "bad_type_code",
        ),
        (
            "1.2.156.3005.2.11640100MB1234567X001.1164010MB1234567X.0000000123.001.K",
            "bad_issuer_code",
        ),
        ("1.2.156.3005.2.11640100MB1234567X001.11640100MB1234567X.0000000123.001.KK", "bad_check"),
        ("1.2.156.3005.2.11640100MB1234567X001.11640100MB1234567X.000000012٣.001.K", "malformed"),
        ("1" * 500, "malformed"),
    ],
)
def test_parse_identifier_names_the_reason_for_refusing(text: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        parse_identifier(text)
    assert caught.value.reason == reason


def test_parse_identifier_refuses_a_mistyped_serial_by_its_check_character() -> None:
    identifier = build_identifier(TYPE_CODE, ISSUER_CODE, 123, 1)
    mistyped = identifier.replace(".0000000123.", ".0000000132.")
    with pytest.raises(InvalidIdentifier) as caught:
        parse_identifier(mistyped)
    assert caught.value.reason == "bad_check"


def test_invalid_identifier_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_identifier("not an identifier")


def test_with_version_keeps_the_licence_and_recomputes_the_check() -> None:
    first = build_identifier(TYPE_CODE, ISSUER_CODE, 123, 1)
    second = with_version(first, 2)
    assert second == build_identifier(TYPE_CODE, ISSUER_CODE, 123, 2)
    assert parse_identifier(second).serial == parse_identifier(first).serial


def test_with_version_refuses_an_out_of_range_version() -> None:
    with pytest.raises(ValueError, match="version"):
        with_version(build_identifier(TYPE_CODE, ISSUER_CODE, 123, 1), 1000)
