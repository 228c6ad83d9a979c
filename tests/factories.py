"""Factory functions with sensible defaults, so tests say only what matters to them."""

from __future__ import annotations

import itertools
import os
import secrets
from typing import Any

from forms.credit_code import make_credit_code

DEMO_PASSWORD = "Demo@2026"
_counter = itertools.count(1)

# Crockford-ish body characters accepted by GB 32100 (no I, O, S, V, Z).
_BODY = "0123456789ABCDEFGHJKLMNPQRTUWXY"


_PASSWORD_HASH: dict[str, str] = {}


def demo_password_hash() -> str:
    """Argon2 is slow on purpose; hash the demo password once per run."""
    if "h" not in _PASSWORD_HASH:
        from approvals.services.auth import hash_password

        _PASSWORD_HASH["h"] = hash_password(DEMO_PASSWORD)
    return _PASSWORD_HASH["h"]


def unique_credit_code() -> str:
    """A fresh, valid unified social credit code (企业法人, Yinchuan)."""
    body = "".join(secrets.choice(_BODY) for _ in range(9))
    return make_credit_code(f"91640100{body}")


def hygiene_form(**overrides: Any) -> dict[str, Any]:
    """A complete, valid 公共场所卫生许可 form for a hotel, with its own name and credit code."""
    from approvals.seed import demo_hygiene_form

    n = next(_counter)
    fields: dict[str, Any] = {
        "unit_name": f"银川悦来酒店有限公司第{n}分店",
        "credit_code": unique_credit_code(),
        **overrides,
    }
    return demo_hygiene_form(**fields)


async def login(
    client: Any, username: str = "applicant", password: str = DEMO_PASSWORD
) -> dict[str, str]:
    """Bearer headers for a demo account."""
    response = await client.post(
        "/api/auth/login", json={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def commitment_sha(client: Any, code: str = "public_place_hygiene") -> str:
    response = await client.get(f"/api/catalogue/{code}")
    assert response.status_code == 200, response.text
    return str(response.json()["commitment_text_sha256"])


async def hygiene_application(client: Any, **form_overrides: Any) -> dict[str, Any]:
    """The JSON body of a complete hygiene-permit filing, commitment signed."""
    return {
        "permit_code": "public_place_hygiene",
        "form": hygiene_form(**form_overrides),
        "commitment": {
            "accepted": True,
            "signer_name": "马建国",
            "text_sha256": await commitment_sha(client),
        },
    }


async def applicant_account() -> str:
    """A brand-new applicant account (created directly); its username."""
    from approvals.clock import SystemClock
    from approvals.domain.people import Role
    from approvals.repository import accounts

    username = f"app{os.getpid()}_{next(_counter)}_{secrets.token_hex(3)}"
    await accounts.insert_account(
        username=username,
        display_name=f"测试申请人{username}",
        password_hash=demo_password_hash(),
        roles=frozenset({Role.APPLICANT}),
        department=None,
        org_name="测试企业",
        org_credit_code=unique_credit_code(),
        phone="13800000000",
        at=SystemClock().now(),
    )
    return username


async def new_applicant(client: Any) -> dict[str, str]:
    """A brand-new applicant account, logged in."""
    return await login(client, await applicant_account())


PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


def bundle_form(**overrides: Any) -> dict[str, Any]:
    """A complete 开办医疗机构 (一业一证) form: a dental clinic with X-ray imaging."""
    form: dict[str, Any] = {
        "institution_name": "银川悦康口腔门诊部",
        "credit_code": unique_credit_code(),
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
    }
    form.update(overrides)
    return form


async def staff_account(role: str, department: str) -> tuple[str, str]:
    """A fresh staff account of one role in one department: (username, account id)."""
    from approvals.clock import SystemClock
    from approvals.domain.people import Role
    from approvals.repository import accounts

    username = f"{role[:4]}{os.getpid()}_{next(_counter)}_{secrets.token_hex(3)}"
    account_id = await accounts.insert_account(
        username=username,
        display_name=f"测试人员{username}",
        password_hash=demo_password_hash(),
        roles=frozenset({Role(role)}),
        department=department,
        org_name="",
        org_credit_code="",
        phone="",
        at=SystemClock().now(),
    )
    return username, str(account_id)


async def new_staff(client: Any, role: str, department: str) -> tuple[dict[str, str], str]:
    """A fresh staff account, logged in: (headers, account id)."""
    username, account_id = await staff_account(role, department)
    return await login(client, username), account_id


async def upload_pdf(client: Any, headers: dict[str, str]) -> str:
    response = await client.post(
        "/api/materials", files={"file": ("a.pdf", PDF_BYTES, "application/pdf")}, headers=headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


BUNDLE_SLOTS = (
    "premises_proof",
    "floor_plan",
    "staff_roster",
    "equipment_list",
    "rules_and_procedures",
    "radiation_protection_evaluation",
    "radiation_workers",
    "narcotic_management",
    "maternal_qualifications",
)


async def file_bundle(
    client: Any, headers: dict[str, str], **form_overrides: Any
) -> dict[str, Any]:
    """File a complete 开办医疗机构 bundle (one upload reused by every slot); the case JSON."""
    material = await upload_pdf(client, headers)
    form = bundle_form(**form_overrides)
    body = {
        "permit_code": "medical_institution_bundle",
        "form": form,
        "materials": {slot: [material] for slot in BUNDLE_SLOTS},
    }
    response = await client.post("/api/applications", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json()["application"])


def internet_hospital_form(**overrides: Any) -> dict[str, Any]:
    """A complete 互联网医院 (setup and registration in one) form, self-built platform."""
    form: dict[str, Any] = {
        "hospital_name": "银川悦康医院互联网医院",
        "credit_code": unique_credit_code(),
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
    }
    form.update(overrides)
    return form
