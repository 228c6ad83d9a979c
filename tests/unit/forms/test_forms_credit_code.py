"""GB 32100-2015 unified social credit codes and GB 11643 identity numbers."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forms.credit_code import (
    CHARSET,
    credit_code_check_char,
    credit_code_problem,
    is_valid_credit_code,
    make_credit_code,
)
from forms.id_number import id_number_check_char, id_number_problem, is_valid_id_number

# Published codes: the example printed in GB 32100-2015 itself, and the codes that large
# companies show on their websites and in their annual reports.
PUBLISHED_CODES = [
    "91350100M000100Y43",  # GB 32100-2015, worked example
    "914403001922038216",  # 华为技术有限公司
    "9144030071526726XG",  # 腾讯科技（深圳）有限公司
    "91330100799655058B",  # 阿里巴巴（中国）有限公司
    "91110108551385082Q",  # 小米科技有限责任公司
]

bodies = st.builds(
    lambda head, division, org: head + division + org,
    st.text(CHARSET, min_size=2, max_size=2),
    st.text("0123456789", min_size=6, max_size=6),
    st.text(CHARSET, min_size=9, max_size=9),
)


@pytest.mark.parametrize("code", PUBLISHED_CODES)
def test_published_credit_codes_are_valid(code: str) -> None:
    assert is_valid_credit_code(code)
    assert credit_code_check_char(code[:17]) == code[17]


def test_weights_are_powers_of_three_mod_31() -> None:
    from forms.credit_code import WEIGHTS

    assert WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


@given(bodies)
def test_made_codes_are_valid(body: str) -> None:
    assert credit_code_problem(make_credit_code(body)) is None


@given(bodies, st.integers(0, 17), st.sampled_from(CHARSET))
def test_every_single_character_substitution_is_detected(
    body: str, position: int, replacement: str
) -> None:
    code = make_credit_code(body)
    if replacement == code[position] or (2 <= position < 8 and not replacement.isdigit()):
        return
    altered = code[:position] + replacement + code[position + 1 :]
    assert credit_code_problem(altered) == "check_char"


@given(bodies, st.integers(0, 16))
def test_every_adjacent_transposition_is_detected(body: str, position: int) -> None:
    code = make_credit_code(body)
    if code[position] == code[position + 1]:
        return
    swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
    assert credit_code_problem(swapped) in {"check_char", "charset"}


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("", "length"),
        ("91640100MA76L8Q2X", "length"),
        ("91640100MA76L8Q2X80", "length"),
        ("91640100MA76L8Q2I8", "charset"),  # I is not in the alphabet
        ("91640100MA76L8O2X8", "charset"),  # nor is O
        ("91640100ma76l8q2x8", "charset"),  # callers upper-case first
        ("9164A100MA76L8Q2X8", "charset"),  # the division code is digits only
        ("91640100MA76L8Q2X9", "check_char"),
        ("91640100MA76L8Q2X8", None),
    ],
)
def test_credit_code_problem_names_what_is_wrong(code: str, problem: str | None) -> None:
    assert credit_code_problem(code) == problem


@pytest.mark.parametrize("body", ["", "9164010", "91640100MA76L8Q2I", "91640100MA76L8Q2XX"])
def test_check_char_refuses_a_body_that_is_not_17_valid_characters(body: str) -> None:
    with pytest.raises(ValueError):
        credit_code_check_char(body)


def test_standard_example_identity_number_is_valid() -> None:
    # GB 11643-1999 prints 11010519491231002X as its example
    assert is_valid_id_number("11010519491231002X")
    assert id_number_check_char("11010519491231002") == "X"


@given(st.text("0123456789", min_size=17, max_size=17), st.integers(0, 17), st.integers(0, 9))
def test_identity_number_single_digit_substitution_is_detected(
    body: str, position: int, digit: int
) -> None:
    body = body[:6] + "19900101" + body[14:]
    code = body + id_number_check_char(body)
    altered = code[:position] + str(digit) + code[position + 1 :]
    if altered != code:
        assert id_number_problem(altered) in {"check_char", "birth_date", "charset"}


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("11010519491231002", "length"),
        ("1101051949123100XX", "charset"),
        ("110105194902300021", "birth_date"),  # 30 February
        ("11010519491231002Y", "charset"),
        ("110105194912310021", "check_char"),
    ],
)
def test_identity_number_problem_names_what_is_wrong(code: str, problem: str) -> None:
    assert id_number_problem(code) == problem


def test_identity_number_born_in_the_future_is_refused() -> None:
    code = "110105" + "20270101" + "001"
    code += id_number_check_char(code)
    assert id_number_problem(code) is None
    assert id_number_problem(code, today=datetime.date(2026, 3, 2)) == "birth_date"
