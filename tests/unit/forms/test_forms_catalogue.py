"""The seed catalogue loads, passes its cross-checks, versions itself and resolves bundles."""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path

import msgspec
import pytest

from forms.catalogue import (
    DEFAULT_DIRECTORY,
    CatalogueError,
    Component,
    Condition,
    PermitType,
    Route,
    TimeLimit,
    commitment_text_digest,
    definition_digest,
    load_catalogue,
    select_components,
    select_materials,
    select_reviewers,
)
from forms.checks import permit_type_problems
from forms.credit_code import is_valid_credit_code

replace = msgspec.structs.replace


def test_seed_catalogue_holds_the_three_yinchuan_permit_types(
    catalogue: dict[str, PermitType],
) -> None:
    assert set(catalogue) == {
        "public_place_hygiene",
        "medical_institution_bundle",
        "internet_hospital",
    }
    assert all(permit_type_problems(pt) == [] for pt in catalogue.values())


def test_hygiene_permit_is_a_five_minute_commitment_permit_valid_four_years(
    hygiene: PermitType,
) -> None:
    assert hygiene.route is Route.COMMITMENT
    assert hygiene.promised_limit == TimeLimit(value=5, unit="minutes")
    assert hygiene.statutory_limit is None
    assert hygiene.validity_years == 4
    assert hygiene.post_check_days == 61
    assert hygiene.commitment_text.strip()
    # one form and one commitment letter: nothing may be compulsory to upload
    assert not any(material.required for material in hygiene.materials)
    assert set(hygiene.supervision_departments) == {"health_inspection", "market_regulation"}


def test_bundle_and_internet_hospital_run_both_clocks(
    bundle: PermitType, internet_hospital: PermitType
) -> None:
    assert bundle.promised_limit == TimeLimit(value=12, unit="working_days")
    assert internet_hospital.promised_limit == TimeLimit(value=5, unit="working_days")
    for pt in (bundle, internet_hospital):
        assert pt.route is Route.REVIEW
        assert pt.statutory_limit == TimeLimit(value=20, unit="working_days")
    assert internet_hospital.commitment_text.strip()
    assert not bundle.commitment_text


def test_every_seeded_licence_type_code_starts_with_a_valid_credit_code(
    catalogue: dict[str, PermitType],
) -> None:
    codes = [pt.licence_type_code for pt in catalogue.values()]
    codes += [c.licence_type_code for pt in catalogue.values() for c in pt.components]
    for code in codes:
        assert len(code) == 21
        assert is_valid_credit_code(code[:18])
        assert code[18:].isdigit()


def test_invented_issuer_credit_code_is_valid() -> None:
    # 银川市审批服务管理局 as seeded for `yinchuan_approval` (invented, see the package report)
    assert is_valid_credit_code("11640100MB1957302W")


def test_certificate_numbers_render_in_the_authoritys_style(hygiene: PermitType) -> None:
    assert hygiene.number_format.format(year=2026, serial=1) == "银审卫公证字〔2026〕第000001号"


def test_definition_digest_is_stable_across_loads(catalogue: dict[str, PermitType]) -> None:
    again = load_catalogue()
    for code, pt in catalogue.items():
        assert definition_digest(pt) == definition_digest(again[code])
        assert len(definition_digest(pt)) == 64


def test_definition_digest_changes_when_a_label_changes(hygiene: PermitType) -> None:
    fields = list(hygiene.fields)
    fields[0] = replace(fields[0], label=fields[0].label + "（全称）")
    assert definition_digest(replace(hygiene, fields=fields)) != definition_digest(hygiene)


def test_commitment_text_digest_is_sha256_of_the_nfc_text(hygiene: PermitType) -> None:
    expected = hashlib.sha256(hygiene.commitment_text.encode()).hexdigest()
    assert commitment_text_digest(hygiene) == expected
    # a client that holds the same text in decomposed form still proves the same text
    decomposed = replace(hygiene, commitment_text=unicodedata.normalize("NFD", "Café"))
    composed = replace(hygiene, commitment_text="Caf\u00e9")
    assert commitment_text_digest(decomposed) == commitment_text_digest(composed)


# ---- bundle resolution ----


def _codes(components: list[Component]) -> list[str]:
    return [c.code for c in components]


def test_bundle_without_radiology_narcotics_or_maternal_care_is_the_practice_licence_alone(
    bundle: PermitType,
) -> None:
    answers = {"has_radiology": False, "uses_narcotics": False, "has_maternal_services": False}
    components = select_components(bundle, answers)
    assert _codes(components) == ["practice_licence"]
    assert [r.department for r in select_reviewers(bundle, components)] == [
        "medical_administration"
    ]
    assert "radiation_protection_evaluation" not in {
        m.slot for m in select_materials(bundle, components)
    }


def test_radiology_adds_the_radiation_permit_its_reviewer_and_its_materials(
    bundle: PermitType,
) -> None:
    answers = {"has_radiology": True, "uses_narcotics": False, "has_maternal_services": False}
    components = select_components(bundle, answers)
    assert _codes(components) == ["practice_licence", "radiation_diagnosis"]
    departments = [r.department for r in select_reviewers(bundle, components)]
    assert departments == ["medical_administration", "radiation_health"]
    slots = [m.slot for m in select_materials(bundle, components)]
    assert "radiation_protection_evaluation" in slots
    assert slots.count("floor_plan") == 1  # shared, uploaded once


def test_every_question_answered_yes_yields_all_four_components(bundle: PermitType) -> None:
    answers = {"has_radiology": True, "uses_narcotics": True, "has_maternal_services": True}
    assert _codes(select_components(bundle, answers)) == [
        "practice_licence",
        "radiation_diagnosis",
        "narcotic_card",
        "maternal_infant",
    ]


def test_a_string_true_does_not_select_a_component_guarded_by_a_boolean(bundle: PermitType) -> None:
    # conditions read *cleaned* values; an uncleaned "true" must not pass for True
    assert _codes(select_components(bundle, {"has_radiology": "true"})) == ["practice_licence"]


def test_contains_condition_reads_a_multiselect() -> None:
    condition = Condition(field="items", contains="swimming")
    assert condition.holds({"items": ["accommodation", "swimming"]})
    assert not condition.holds({"items": ["accommodation"]})
    assert not condition.holds({"items": "swimming"})
    assert not condition.holds({})


# ---- cross-checks ----


def _problems(pt: PermitType) -> str:
    return " | ".join(permit_type_problems(pt))


def test_a_holder_field_that_does_not_exist_is_refused(hygiene: PermitType) -> None:
    assert "holder_field names 'company'" in _problems(replace(hygiene, holder_field="company"))


def test_duplicate_field_names_are_refused(hygiene: PermitType) -> None:
    pt = replace(hygiene, fields=[*hygiene.fields, hygiene.fields[0]])
    assert "field name 'unit_name' appears 2 times" in _problems(pt)


def test_a_licence_type_code_with_a_wrong_check_character_is_refused(hygiene: PermitType) -> None:
    pt = replace(hygiene, licence_type_code="11100000MB1A372604001")
    assert "does not start with a valid credit code" in _problems(pt)


def test_a_component_condition_on_a_missing_field_is_refused(bundle: PermitType) -> None:
    broken = replace(bundle.components[1], when=Condition(field="has_xray", equals=True))
    pt = replace(bundle, components=[bundle.components[0], broken, *bundle.components[2:]])
    assert "condition names 'has_xray', which is not a field" in _problems(pt)


def test_a_material_naming_an_unknown_component_is_refused(bundle: PermitType) -> None:
    material = replace(bundle.materials[0], components=["blood_bank"])
    pt = replace(bundle, materials=[material, *bundle.materials[1:]])
    assert "names unknown component 'blood_bank'" in _problems(pt)


def test_a_select_without_options_is_refused(hygiene: PermitType) -> None:
    fields = [replace(f, options=[]) if f.name == "district" else f for f in hygiene.fields]
    assert "is a select without options" in _problems(replace(hygiene, fields=fields))


@pytest.mark.parametrize(
    "number_format",
    [
        "第{serial}号",  # no year
        "〔{year}〕第{serial:06d}号{extra}",  # an unknown placeholder
        "{year.real}{serial}",  # attribute access
        "{year}{serial:q}",  # a format spec that does not apply to integers
    ],
)
def test_a_number_format_that_cannot_render_both_placeholders_is_refused(
    hygiene: PermitType, number_format: str
) -> None:
    assert "number_format" in _problems(replace(hygiene, number_format=number_format))


def test_a_commitment_route_without_a_commitment_letter_is_refused(hygiene: PermitType) -> None:
    assert "commitment letter" in _problems(replace(hygiene, commitment_text=""))


def _write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_an_unknown_key_in_a_catalogue_file_names_the_file(tmp_path: Path) -> None:
    text = (DEFAULT_DIRECTORY / "public_place_hygiene.toml").read_text(encoding="utf-8")
    text = text.replace("validity_years", "valid_years")
    path = _write(tmp_path, "public_place_hygiene.toml", text)
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(tmp_path)
    assert caught.value.path == path
    assert "valid_years" in str(caught.value)


def test_a_file_whose_name_differs_from_its_code_is_refused(tmp_path: Path) -> None:
    text = (DEFAULT_DIRECTORY / "public_place_hygiene.toml").read_text(encoding="utf-8")
    _write(tmp_path, "hygiene.toml", text)
    with pytest.raises(CatalogueError, match="differs from the file name"):
        load_catalogue(tmp_path)


def test_an_empty_directory_is_an_error_not_an_empty_catalogue(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match=r"no \*\.toml"):
        load_catalogue(tmp_path)


def test_a_cross_check_failure_in_a_file_is_reported_with_the_file(tmp_path: Path) -> None:
    text = (DEFAULT_DIRECTORY / "internet_hospital.toml").read_text(encoding="utf-8")
    text = text.replace('items_field = "clinical_departments"', 'items_field = "scope"')
    _write(tmp_path, "internet_hospital.toml", text)
    with pytest.raises(CatalogueError, match=r"internet_hospital\.toml: .*items_field names 'sc"):
        load_catalogue(tmp_path)


def test_a_review_route_without_a_statutory_limit_is_refused(bundle: PermitType) -> None:
    assert "needs statutory_limit" in _problems(replace(bundle, statutory_limit=None))


def test_a_reviewer_tied_to_an_unknown_component_is_refused(bundle: PermitType) -> None:
    reviewer = replace(bundle.reviewers[1], component="blood_bank")
    pt = replace(bundle, reviewers=[bundle.reviewers[0], reviewer])
    assert "names unknown component 'blood_bank'" in _problems(pt)


def test_a_pattern_that_does_not_compile_is_refused(internet_hospital: PermitType) -> None:
    fields = [
        replace(f, pattern="[0-9") if f.name == "icp_filing_number" else f
        for f in internet_hospital.fields
    ]
    assert "pattern does not compile" in _problems(replace(internet_hospital, fields=fields))
