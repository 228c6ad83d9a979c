"""validate_form: cleaned values, and every problem with a sentence naming the field."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import msgspec
import pytest

from forms.catalogue import FieldKind, FieldSpec, Option, PermitType
from forms.validation import FieldProblem, validate_form

# the factories in conftest.py; tests are not a package, so the alias is repeated here
MakeValues = Callable[..., dict[str, object]]
TODAY = datetime.date(2026, 3, 2)  # a Monday; the same day the conftest factories assume

replace = msgspec.structs.replace


def _codes(problems: list[FieldProblem]) -> dict[str, str]:
    return {problem.field: problem.code for problem in problems}


def _only(pt: PermitType, *fields: FieldSpec) -> PermitType:
    """`pt` with just these fields, for rules no seeded form exercises."""
    return replace(pt, fields=list(fields))


def test_a_complete_hygiene_form_passes_and_comes_back_typed(
    hygiene: PermitType, make_hygiene_values: MakeValues
) -> None:
    cleaned, problems = validate_form(hygiene, make_hygiene_values(), today=TODAY)
    assert problems == []
    assert cleaned["staff_count"] == 25
    assert cleaned["floor_area"] == "1200.5"
    assert cleaned["has_secondary_water_supply"] is False
    assert cleaned["permit_items"] == ["accommodation"]
    assert "email" not in cleaned  # optional and left out


@pytest.mark.parametrize("pt_name", ["bundle", "internet_hospital"])
def test_complete_review_forms_pass(request: pytest.FixtureRequest, pt_name: str) -> None:
    pt: PermitType = request.getfixturevalue(pt_name)
    make: MakeValues = request.getfixturevalue(
        "make_bundle_values" if pt_name == "bundle" else "make_internet_hospital_values"
    )
    assert validate_form(pt, make(), today=TODAY)[1] == []


def test_values_are_normalised_the_way_people_type_them(
    hygiene: PermitType, make_hygiene_values: MakeValues
) -> None:
    values = make_hygiene_values(
        unit_name="  银川市金凤区悦来宾馆有限公司\n",
        credit_code="９１６４０１００ma76l8q2x8",  # full-width digits, lower case
        contact_phone="139 5100 1234",
        floor_area="0120.50",
        staff_count="25",
        permit_items=["swimming", "accommodation", "swimming"],
        pool_area=300,
        has_central_air_conditioning="true",
        opening_date="２０２６-０４-０１",
    )
    cleaned, problems = validate_form(hygiene, values, today=TODAY)
    assert problems == []
    assert cleaned["unit_name"] == "银川市金凤区悦来宾馆有限公司"
    assert cleaned["credit_code"] == "91640100MA76L8Q2X8"
    assert cleaned["contact_phone"] == "13951001234"
    assert cleaned["floor_area"] == "120.5"
    assert cleaned["staff_count"] == 25
    assert cleaned["permit_items"] == ["accommodation", "swimming"]  # definition order, once
    assert cleaned["pool_area"] == "300"
    assert cleaned["has_central_air_conditioning"] is True
    assert cleaned["opening_date"] == "2026-04-01"


def test_a_multiselect_ticked_once_in_an_html_form_arrives_as_a_string(
    hygiene: PermitType, make_hygiene_values: MakeValues
) -> None:
    cleaned, problems = validate_form(
        hygiene, make_hygiene_values(permit_items="hairdressing", room_count=...), today=TODAY
    )
    assert problems == []
    assert cleaned["permit_items"] == ["hairdressing"]


@pytest.mark.parametrize(
    ("field", "value", "code", "zh_fragment"),
    [
        ("unit_name", "", "required", "为必填项"),
        ("unit_name", "   ", "required", "为必填项"),
        ("unit_name", "宾" * 101, "too_long", "最多100个字"),
        ("unit_name", "宾", "too_short", "至少需要2个字"),
        ("unit_name", 12345, "wrong_type", "应为文字"),
        ("unit_name", ["宾馆"], "wrong_type", "应为文字"),
        ("credit_code", "91640100MA76L8Q2X9", "bad_credit_code", "校验位不正确"),
        ("credit_code", "91640100MA76L8Q2X", "bad_credit_code", "应为18位"),
        ("credit_code", "91640100MA76L8Q2I8", "bad_credit_code", "不使用I、O、S、V、Z"),
        ("legal_representative_id", "110105194912310021", "bad_id_number", "校验位不正确"),
        ("legal_representative_id", "110105194902300021", "bad_id_number", "出生日期"),
        ("contact_phone", "12345678901", "bad_phone", "不是有效的电话号码"),
        ("contact_phone", "1395100123", "bad_phone", "不是有效的电话号码"),
        ("contact_phone", "951-1234567", "bad_phone", "不是有效的电话号码"),
        ("email", "li.na@", "bad_email", "电子邮箱地址"),
        ("district", "beijing", "not_an_option", "不在可选列表中"),
        ("permit_items", ["accommodation", "casino"], "not_an_option", "不在可选列表中"),
        ("permit_items", [], "required", "为必填项"),
        ("permit_items", [1, 2], "wrong_type", "从列表中选择"),
        ("floor_area", "一千", "not_a_number", "应为数字"),
        ("floor_area", "12.345", "too_many_decimals", "最多保留2位小数"),
        ("floor_area", "0.5", "out_of_range", "应在1至500000之间"),
        ("floor_area", float("nan"), "not_a_number", "应为数字"),
        ("staff_count", "25.5", "not_a_number", "应为整数"),
        ("staff_count", 0, "out_of_range", "应在1至10000之间"),
        ("staff_count", 10**40, "out_of_range", "应在1至10000之间"),
        ("staff_count", True, "wrong_type", "应为整数"),
        ("has_central_air_conditioning", "maybe", "wrong_type", "“是”或“否”"),
        ("has_central_air_conditioning", 1, "wrong_type", "“是”或“否”"),
        ("opening_date", "2026/04/01", "bad_date", "年-月-日"),
        ("opening_date", "2026-02-30", "bad_date", "年-月-日"),
        ("opening_date", {"year": 2026}, "wrong_type", "应为文字"),
    ],
)
def test_each_kind_of_bad_value_gets_its_code_and_a_chinese_sentence_naming_the_label(
    hygiene: PermitType,
    make_hygiene_values: MakeValues,
    field: str,
    value: object,
    code: str,
    zh_fragment: str,
) -> None:
    cleaned, problems = validate_form(hygiene, make_hygiene_values(**{field: value}), today=TODAY)
    assert len(problems) == 1, problems
    (problem,) = problems
    label = next(spec.label for spec in hygiene.fields if spec.name == field)
    assert (problem.field, problem.code) == (field, code)
    assert f"「{label}」" in problem.zh
    assert zh_fragment in problem.zh
    assert label in problem.en
    assert field in problem.en
    assert field not in cleaned


def test_every_problem_is_reported_at_once_in_form_order(
    hygiene: PermitType, make_hygiene_values: MakeValues
) -> None:
    values = make_hygiene_values(
        unit_name=...,
        credit_code="91640100MA76L8Q2X9",
        contact_phone="12345",
        staff_count="many",
        district="beijing",
        surprise="!",
    )
    _, problems = validate_form(hygiene, values, today=TODAY)
    assert [(p.field, p.code) for p in problems] == [
        ("surprise", "unknown_field"),
        ("unit_name", "required"),
        ("credit_code", "bad_credit_code"),
        ("contact_phone", "bad_phone"),
        ("district", "not_an_option"),
        ("staff_count", "not_a_number"),
    ]


def test_an_empty_submission_lists_every_required_field(hygiene: PermitType) -> None:
    _, problems = validate_form(hygiene, {}, today=TODAY)
    required = [spec.name for spec in hygiene.fields if spec.required]
    assert [p.field for p in problems] == required
    assert {p.code for p in problems} == {"required"}


@pytest.mark.parametrize(
    "text",
    [
        "悦来\x00宾馆",  # NUL
        "悦来\x1b[31m宾馆",  # ESC, a terminal escape sequence
        "悦来\x85宾馆",  # C1 next-line
        "悦来\n宾馆",  # a line break in a one-line field
        "悦来\u202e馆宾",  # right-to-left override
        "悦来\u2028宾馆",  # line separator
        "悦来\ud800宾馆",  # lone surrogate: cannot even be stored as UTF-8
    ],
)
def test_control_characters_are_refused(
    hygiene: PermitType, make_hygiene_values: MakeValues, text: str
) -> None:
    _, problems = validate_form(hygiene, make_hygiene_values(unit_name=text), today=TODAY)
    assert _codes(problems) == {"unit_name": "control_chars"}
    assert "控制字符" in problems[0].zh


def test_a_textarea_keeps_line_breaks_and_tabs_but_not_other_controls(
    hygiene: PermitType, make_hygiene_values: MakeValues
) -> None:
    values = make_hygiene_values(remarks="第一行\r\n\t第二行")
    cleaned, problems = validate_form(hygiene, values, today=TODAY)
    assert problems == []
    assert cleaned["remarks"] == "第一行\n\t第二行"
    values = make_hygiene_values(remarks="第一行\x07")
    assert _codes(validate_form(hygiene, values, today=TODAY)[1]) == {"remarks": "control_chars"}


def test_unknown_fields_are_refused_and_echoed_safely(
    hygiene: PermitType, make_hygiene_values: MakeValues
) -> None:
    _, problems = validate_form(hygiene, make_hygiene_values(**{"is_admin\x00": True}), today=TODAY)
    assert [(p.field, p.code) for p in problems] == [("is_admin?", "unknown_field")]
    assert "「is_admin?」" in problems[0].zh


def test_a_body_that_is_not_an_object_is_one_clear_problem(hygiene: PermitType) -> None:
    cleaned, problems = validate_form(hygiene, ["not", "a", "form"], today=TODAY)  # type: ignore[arg-type]
    assert cleaned == {}
    assert [p.code for p in problems] == ["not_a_form"]


def test_length_is_counted_in_characters_after_nfc(hygiene: PermitType) -> None:
    spec = FieldSpec(name="name", label="名称", kind=FieldKind.TEXT, max_length=5)
    decomposed = "e\u0301" * 5  # ten code points, five characters once composed
    cleaned, problems = validate_form(_only(hygiene, spec), {"name": decomposed}, today=TODAY)
    assert problems == []
    assert cleaned["name"] == "\u00e9" * 5


def test_a_field_required_only_when_another_answer_asks_for_it(
    hygiene: PermitType, make_hygiene_values: MakeValues
) -> None:
    values = make_hygiene_values(permit_items=["accommodation", "swimming"], room_count=...)
    assert _codes(validate_form(hygiene, values, today=TODAY)[1]) == {
        "room_count": "required",
        "pool_area": "required",
    }
    values = make_hygiene_values(permit_items=["hairdressing"], room_count=...)
    assert validate_form(hygiene, values, today=TODAY)[1] == []


def test_bundle_radiology_categories_are_required_once_radiology_is_offered(
    bundle: PermitType, make_bundle_values: MakeValues
) -> None:
    values = make_bundle_values(radiology_categories=...)
    assert _codes(validate_form(bundle, values, today=TODAY)[1]) == {
        "radiology_categories": "required"
    }
    values = make_bundle_values(has_radiology=False, radiology_categories=...)
    assert validate_form(bundle, values, today=TODAY)[1] == []


@pytest.mark.parametrize(
    ("rule", "day", "code"),
    [
        ("not_future", "2026-03-03", "future_date"),
        ("not_future", "2026-03-02", None),
        ("not_past", "2026-03-01", "past_date"),
        ("not_past", "2026-03-02", None),
        ("any", "1999-12-31", None),
    ],
)
def test_date_rules_compare_with_the_injected_today(
    hygiene: PermitType, rule: str, day: str, code: str | None
) -> None:
    spec = FieldSpec(name="day", label="日期", kind=FieldKind.DATE, date_rule=rule)  # type: ignore[arg-type]
    _, problems = validate_form(_only(hygiene, spec), {"day": day}, today=TODAY)
    assert [p.code for p in problems] == ([code] if code else [])


def test_a_multiselect_with_more_items_than_allowed_is_refused(hygiene: PermitType) -> None:
    options = [Option(value=v, label=v.upper()) for v in ("a", "b", "c")]
    spec = FieldSpec(
        name="pick", label="选择", kind=FieldKind.MULTISELECT, options=options, max_items=2
    )
    _, problems = validate_form(_only(hygiene, spec), {"pick": ["a", "b", "c"]}, today=TODAY)
    assert [(p.code, "最多可选2项" in p.zh) for p in problems] == [("too_many_items", True)]


@pytest.mark.parametrize(
    "phone", ["13951001234", "+86 13951001234", "0951-5012345", "09515012345", "0951-5012345-801"]
)
def test_mobile_and_landline_numbers_are_accepted(
    hygiene: PermitType, make_hygiene_values: MakeValues, phone: str
) -> None:
    assert validate_form(hygiene, make_hygiene_values(contact_phone=phone), today=TODAY)[1] == []


def test_icp_filing_number_must_follow_the_national_format(
    internet_hospital: PermitType, make_internet_hospital_values: MakeValues
) -> None:
    values = make_internet_hospital_values(icp_filing_number="ICP12345678")
    _, problems = validate_form(internet_hospital, values, today=TODAY)
    assert _codes(problems) == {"icp_filing_number": "bad_format"}
    assert "宁ICP备12345678号-1" in problems[0].zh  # the help text shows the expected shape


def test_an_assessment_report_dated_in_the_future_is_refused(
    internet_hospital: PermitType, make_internet_hospital_values: MakeValues
) -> None:
    values = make_internet_hospital_values(security_assessment_date="2026-12-01")
    _, problems = validate_form(internet_hospital, values, today=TODAY)
    assert _codes(problems) == {"security_assessment_date": "future_date"}
