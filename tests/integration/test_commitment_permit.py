"""The notice-and-commitment flow (告知承诺, PRODUCT.md §3.1) over HTTP, on both engines."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import jwt
import zxingcpp
from PIL import Image

from approvals.tables import Application, AuditEntry, Certificate, CommitmentLetter, OutboxEvent
from factories import (
    PDF_BYTES,
    commitment_sha,
    hygiene_application,
    login,
    new_applicant,
)


async def test_hygiene_permit_is_issued_in_the_same_request_with_a_signed_certificate(
    client: Any,
) -> None:
    headers = await new_applicant(client)
    body = await hygiene_application(client)

    response = await client.post("/api/applications", json=body, headers=headers)

    assert response.status_code == 201, response.text
    result = response.json()
    assert result["application"]["status"] == "approved"
    cert = result["certificate"]
    assert cert["status"] == "valid" and cert["status_code"] == "01"
    assert cert["holder_code"] == body["form"]["credit_code"]
    assert cert["post_check_pending"] is True
    assert cert["identifier"].startswith("1.2.156.3005.2.11100000MB1A372603001.")
    assert cert["items"] == ["住宿场所"]
    # Valid four years: the day before the fourth anniversary of the issue date.
    issued = cert["issue_date"]
    assert cert["valid_until"][:4] == str(int(issued[:4]) + 4)
    assert all(check["passed"] for check in result["checks"])


async def test_certificate_token_verifies_with_pyjwt_using_only_the_published_jwks(
    client: Any,
) -> None:
    headers = await new_applicant(client)
    response = await client.post(
        "/api/applications", json=await hygiene_application(client), headers=headers
    )
    token = response.json()["certificate"]["token"]

    jwks = (await client.get("/.well-known/jwks.json")).json()
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in jwks["keys"] if k["kid"] == kid)
    claims = jwt.decode(token, key=jwt.PyJWK(key).key, algorithms=["ES256"])

    assert claims["id"] == response.json()["certificate"]["identifier"]
    assert claims["h"] == response.json()["certificate"]["holder_name"]


async def test_qr_png_decodes_with_zxing_to_the_verification_url_and_that_url_verifies(
    client: Any,
) -> None:
    headers = await new_applicant(client)
    cert = (
        await client.post(
            "/api/applications", json=await hygiene_application(client), headers=headers
        )
    ).json()["certificate"]

    png = await client.get(f"/api/certificates/{cert['id']}/qr.png", headers=headers)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    assert len(decoded) == 1
    assert decoded[0].text == cert["verification_url"]

    path = decoded[0].text.split("/V/", 1)[1]
    page = await client.get(f"/V/{path}", headers={"Accept": "application/json"})
    assert page.json()["verdict"] == "valid"
    html = await client.get(f"/V/{path}")
    assert "证照真实有效" in html.text


async def test_every_failed_check_is_listed_and_nothing_is_written(client: Any) -> None:
    headers = await new_applicant(client)
    body = await hygiene_application(
        client, contact_phone="12345", credit_code="91640100MA76XK2P0X"
    )
    body["commitment"]["accepted"] = False
    before = await Application.count()

    response = await client.post("/api/applications", json=body, headers=headers)

    assert response.status_code == 422
    error = response.json()
    assert error["code"] == "automatic_checks_failed"
    fields = {e["field"] for e in error["errors"]}
    assert {"form.contact_phone", "form.credit_code", "commitment.accepted"} <= fields
    assert all(e["zh"] and e["en"] for e in error["errors"])
    assert await Application.count() == before


async def test_commitment_signed_against_an_outdated_text_is_refused(client: Any) -> None:
    headers = await new_applicant(client)
    body = await hygiene_application(client)
    body["commitment"]["text_sha256"] = hashlib.sha256(b"an older text").hexdigest()

    response = await client.post("/api/applications", json=body, headers=headers)

    assert response.status_code == 422
    assert [e["code"] for e in response.json()["errors"]] == ["commitment_text_changed"]


async def test_the_exact_commitment_text_is_stored_with_its_hash_signer_and_time(
    client: Any,
) -> None:
    headers = await new_applicant(client)
    response = await client.post(
        "/api/applications", json=await hygiene_application(client), headers=headers
    )
    application_id = response.json()["application"]["id"]

    rows = await CommitmentLetter.select().where(CommitmentLetter.application == application_id)

    assert len(rows) == 1
    letter = rows[0]
    assert hashlib.sha256(letter["text"].encode()).hexdigest() == letter["text_sha256"]
    assert letter["text_sha256"] == await commitment_sha(client)
    assert letter["signer_name"] == "马建国"
    assert letter["signed_at"] is not None


async def test_holder_with_a_credit_record_is_barred_from_the_commitment_route(client: Any) -> None:
    from datetime import timedelta

    from approvals.clock import SystemClock, local_date
    from approvals.repository.materials import insert_credit_record

    headers = await new_applicant(client)
    body = await hygiene_application(client)
    await insert_credit_record(
        holder_code=body["form"]["credit_code"],
        holder_name="失信企业",
        reason="承诺不实",
        at=SystemClock().now(),
        barred_until=local_date(SystemClock().now()) + timedelta(days=365),
        source="test",
    )

    from approvals.tables import Issuer

    serial_before = await Issuer.select(Issuer.last_serial).first()

    response = await client.post("/api/applications", json=body, headers=headers)

    assert response.status_code == 422
    barred = [e for e in response.json()["errors"] if e["code"] == "commitment_barred"]
    assert barred and "承诺不实" in barred[0]["zh"]
    assert await Issuer.select(Issuer.last_serial).first() == serial_before  # nothing allocated


async def test_issuing_writes_application_certificate_audit_and_outbox_together(
    client: Any,
) -> None:
    headers = await new_applicant(client)
    response = await client.post(
        "/api/applications", json=await hygiene_application(client), headers=headers
    )
    application_id = response.json()["application"]["id"]
    certificate_id = response.json()["certificate"]["id"]

    audit = await AuditEntry.select(AuditEntry.action).where(
        AuditEntry.chain == f"application:{application_id}"
    )
    events = await OutboxEvent.select(OutboxEvent.type).where(
        OutboxEvent.subject == f"certificates/{certificate_id}"
    )

    assert [a["action"] for a in audit] == [
        "application.submitted",
        "application.approved",
        "certificate.issued",
    ]
    assert [e["type"] for e in events] == ["cn.gov.health.approvals.certificate.issued"]
    assert await Certificate.count().where(Certificate.application == application_id) == 1


async def test_a_failure_in_the_last_insert_leaves_nothing_half_written(
    client: Any, monkeypatch: Any
) -> None:
    """The certificate row fails at the database (a duplicate identifier) after the case,
    the commitment and the audit entries were sent: none of them may remain."""
    import dataclasses

    from approvals.services import commitment_permits as filing

    headers = await new_applicant(client)
    first = await client.post(
        "/api/applications", json=await hygiene_application(client), headers=headers
    )
    taken = first.json()["certificate"]["identifier"]
    real_sign = filing.sign_certificate

    def sign_with_a_taken_identifier(*args: Any) -> Any:
        return dataclasses.replace(real_sign(*args), identifier=taken)

    monkeypatch.setattr(filing, "sign_certificate", sign_with_a_taken_identifier)
    tables = (Application, Certificate, AuditEntry, CommitmentLetter, OutboxEvent)
    counts = [await t.count() for t in tables]

    response = await client.post(
        "/api/applications", json=await hygiene_application(client), headers=headers
    )

    assert response.status_code == 409
    assert response.json()["zh"]
    assert [await t.count() for t in tables] == counts


async def test_materials_are_uploaded_once_hashed_and_attached_by_id(client: Any) -> None:
    headers = await new_applicant(client)
    upload = await client.post(
        "/api/materials",
        files={"file": ("平面图.pdf", PDF_BYTES, "application/pdf")},
        headers=headers,
    )
    assert upload.status_code == 201, upload.text
    material = upload.json()
    assert material["sha256"] == hashlib.sha256(PDF_BYTES).hexdigest()

    body = await hygiene_application(client)
    body["materials"] = {"floor_plan": [material["id"]]}
    response = await client.post("/api/applications", json=body, headers=headers)

    assert response.status_code == 201, response.text


async def test_another_applicants_material_cannot_be_attached(client: Any) -> None:
    owner = await new_applicant(client)
    thief = await new_applicant(client)
    material = (
        await client.post(
            "/api/materials", files={"file": ("a.pdf", PDF_BYTES, "application/pdf")}, headers=owner
        )
    ).json()
    body = await hygiene_application(client)
    body["materials"] = {"floor_plan": [material["id"]]}

    response = await client.post("/api/applications", json=body, headers=thief)

    assert response.status_code == 422
    assert any(e["code"] == "unknown_material" for e in response.json()["errors"])
    assert (await client.get(f"/api/materials/{material['id']}", headers=thief)).status_code == 404


async def test_an_applicant_sees_only_their_own_cases(client: Any) -> None:
    alice = await new_applicant(client)
    bob = await new_applicant(client)
    created = (
        await client.post(
            "/api/applications", json=await hygiene_application(client), headers=alice
        )
    ).json()

    assert (
        await client.get(f"/api/applications/{created['application']['id']}", headers=bob)
    ).status_code == 404
    assert (
        await client.get(f"/api/certificates/{created['certificate']['id']}", headers=bob)
    ).status_code == 404
    listing = (await client.get("/api/applications", headers=bob)).json()
    assert created["application"]["id"] not in {a["id"] for a in listing["items"]}
    staff = await login(client, "window")
    assert (
        await client.get(f"/api/applications/{created['application']['id']}", headers=staff)
    ).status_code == 200


async def test_staff_cannot_file_applications(client: Any) -> None:
    staff = await login(client, "window")
    response = await client.post(
        "/api/applications", json=await hygiene_application(client), headers=staff
    )
    assert response.status_code == 403
    assert response.json()["zh"]


async def test_a_certificate_whose_qr_code_would_exceed_version_22_is_refused_before_writing(
    client: Any,
) -> None:
    headers = await new_applicant(client)
    body = await hygiene_application(
        client,
        unit_name="宁夏回族自治区银川市悦来国际大酒店管理有限公司金凤区分公司",
        premises_address="宁夏回族自治区银川市金凤区北京中路168号悦来国际大厦A座1至5层及地下一层",
        permit_items=[
            "accommodation",
            "bathing",
            "hairdressing",
            "beauty_salon",
            "swimming",
            "dance_hall",
        ],
        pool_area="800",
    )
    counts = [await t.count() for t in (Application, Certificate, AuditEntry, OutboxEvent)]

    response = await client.post("/api/applications", json=body, headers=headers)

    assert response.status_code == 422, response.text
    assert response.json()["code"] == "certificate_too_long"
    assert "二维码" in response.json()["zh"]
    assert [await t.count() for t in (Application, Certificate, AuditEntry, OutboxEvent)] == counts
