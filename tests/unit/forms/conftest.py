"""Shared fixtures: the seed catalogue and factories for valid answers to each seeded form.

The answers are valid on 2026-03-02, the `today` the validation tests pass.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from forms.catalogue import PermitType, load_catalogue

Values = dict[str, object]
MakeValues = Callable[..., Values]


@pytest.fixture(scope="session")
def catalogue() -> dict[str, PermitType]:
    return load_catalogue()


@pytest.fixture
def hygiene(catalogue: dict[str, PermitType]) -> PermitType:
    return catalogue["public_place_hygiene"]


@pytest.fixture
def bundle(catalogue: dict[str, PermitType]) -> PermitType:
    return catalogue["medical_institution_bundle"]


@pytest.fixture
def internet_hospital(catalogue: dict[str, PermitType]) -> PermitType:
    return catalogue["internet_hospital"]


def _with(defaults: Values, overrides: Values) -> Values:
    """Defaults updated by overrides; an override of `...` removes the key."""
    merged = {**defaults, **overrides}
    return {key: value for key, value in merged.items() if value is not ...}


@pytest.fixture
def make_hygiene_values() -> MakeValues:
    def make(**overrides: object) -> Values:
        return _with(
            {
                "unit_name": "银川市金凤区悦来宾馆有限公司",
                "credit_code": "91640100MA76L8Q2X8",
                "legal_representative": "马建国",
                "legal_representative_id": "11010519491231002X",
                "contact_name": "李娜",
                "contact_phone": "13951001234",
                "district": "jinfeng",
                "premises_address": "金凤区北京中路168号1层",
                "floor_area": "1200.5",
                "staff_count": 25,
                "hygiene_manager": "王芳",
                "permit_items": ["accommodation"],
                "room_count": 80,
                "has_central_air_conditioning": True,
                "has_secondary_water_supply": False,
            },
            overrides,
        )

    return make


@pytest.fixture
def make_bundle_values() -> MakeValues:
    def make(**overrides: object) -> Values:
        return _with(
            {
                "institution_name": "银川悦康口腔门诊部",
                "credit_code": "91640100MA76L8Q2X8",
                "institution_category": "outpatient_department",
                "operation_nature": "for_profit",
                "ownership": "private",
                "address": "兴庆区解放东街88号2层",
                "legal_representative": "马建国",
                "principal": "马建国",
                "principal_id": "11010519491231002X",
                "contact_phone": "0951-5012345",
                "building_area": "420",
                "beds": 0,
                "physicians": 6,
                "nurses": 8,
                "clinical_departments": ["stomatology", "medical_imaging"],
                "has_radiology": True,
                "radiology_categories": ["x_ray_imaging"],
                "uses_narcotics": False,
                "has_maternal_services": False,
            },
            overrides,
        )

    return make


@pytest.fixture
def make_internet_hospital_values() -> MakeValues:
    def make(**overrides: object) -> Values:
        return _with(
            {
                "hospital_name": "银川悦康医院互联网医院",
                "credit_code": "91640100MA76L8Q2X8",
                "setup_mode": "self_built",
                "legal_representative": "马建国",
                "principal": "马建国",
                "principal_id": "11010519491231002X",
                "contact_phone": "09515012345-801",
                "address": "金凤区阅海湾中央商务区万寿路142号",
                "host_institution_name": "银川悦康医院",
                "host_institution_credit_code": "52640100MJ1234567X",
                "host_licence_number": "PDY00001264010015A1001",
                "platform_name": "悦康云诊室",
                "domain": "yuekang.example.com",
                "icp_filing_number": "宁ICP备20012345号-1",
                "security_level": "level_3",
                "security_filing_number": "64010099002-20001",
                "security_assessment_date": "2026-01-15",
                "clinical_departments": ["internal_medicine", "paediatrics"],
                "physicians": 40,
                "pharmacists": 3,
            },
            overrides,
        )

    return make
