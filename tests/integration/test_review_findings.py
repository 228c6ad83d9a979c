"""Regression tests for problems found in review: each names what went wrong."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from approvals.config import settings
from approvals.repository.codec import as_utc_any
from approvals.services.audit_check import seal_pending, verify_audit_log
from approvals.tables import AuditEntry, OutboxEvent
from factories import (
    DEMO_PASSWORD,
    PDF_BYTES,
    bundle_form,
    hygiene_application,
    new_applicant,
)


async def test_a_crafted_cursor_with_an_extreme_date_is_a_400_not_a_500(client: Any) -> None:
    headers = await new_applicant(client)
    raw = f"0001-01-01T00:00:00+23:59|{uuid.uuid4()}".encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    response = await client.get(f"/api/applications?cursor={cursor}", headers=headers)
    assert response.status_code == 400
    assert response.json()["field"] == "cursor"


async def test_a_non_ascii_csrf_header_is_refused_not_a_crash(client: Any) -> None:
    login = await client.post(
        "/api/auth/login",
        json={"username": "applicant", "password": DEMO_PASSWORD, "session": "cookie"},
    )
    cookie = login.cookies["hs_session"]
    browser = httpx.AsyncClient(
        transport=client._transport, base_url=str(client.base_url), cookies={"hs_session": cookie}
    )
    async with browser:
        response = await browser.post(
            "/api/applications",
            json=await hygiene_application(client),
            headers=[("X-CSRF-Token", "\xe9\xe9".encode("latin-1"))],
        )
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"


async def test_login_accepts_only_json_so_a_cross_site_form_cannot_log_anyone_in(
    client: Any,
) -> None:
    body = '{"username": "applicant", "password": "' + DEMO_PASSWORD + '", "session": "cookie"}'
    response = await client.post(
        "/api/auth/login", content=body, headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    assert "set-cookie" not in response.headers


async def test_the_bundle_requires_the_materials_of_every_component_that_applies(
    client: Any,
) -> None:
    headers = await new_applicant(client)
    body = {"permit_code": "medical_institution_bundle", "form": bundle_form()}

    response = await client.post("/api/applications", json=body, headers=headers)

    assert response.status_code == 422
    missing = {e["field"] for e in response.json()["errors"] if e["code"] == "material_missing"}
    assert "materials.radiation_protection_evaluation" in missing  # radiology applies
    assert "materials.narcotic_management" not in missing  # no narcotics: not asked for


async def test_the_bundle_is_filed_once_every_required_material_is_there(client: Any) -> None:
    headers = await new_applicant(client)
    upload = await client.post(
        "/api/materials", files={"file": ("a.pdf", PDF_BYTES, "application/pdf")}, headers=headers
    )
    material = upload.json()["id"]
    first = await client.post(
        "/api/applications",
        json={"permit_code": "medical_institution_bundle", "form": bundle_form()},
        headers=headers,
    )
    slots = {e["field"].split(".", 1)[1] for e in first.json()["errors"]}
    body = {
        "permit_code": "medical_institution_bundle",
        "form": bundle_form(),
        "materials": {slot: [material] for slot in slots},  # one upload reused by every slot
    }
    response = await client.post("/api/applications", json=body, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["application"]["status"] == "submitted"


async def test_a_token_signed_with_our_key_but_not_what_we_issued_is_not_genuine(
    client: Any, app: Any
) -> None:
    import msgspec

    from certs.tokens import decode_unverified, sign_token

    headers = await new_applicant(client)
    created = await client.post(
        "/api/applications", json=await hygiene_application(client), headers=headers
    )
    token = created.json()["certificate"]["token"]
    _, claims = decode_unverified(token)
    key = await app.state.services.keyring.signing_key("yinchuan_approval")
    forged = sign_token(msgspec.structs.replace(claims, holder="冒名顶替有限公司"), key)

    verdict = (await client.post("/api/verify", json={"token": forged})).json()

    assert verdict["verdict"] == "not_genuine"
    assert verdict["reason"] == "registry_mismatch"


async def test_logging_in_and_uploading_are_audited_on_the_account_chain(client: Any) -> None:
    headers = await new_applicant(client)
    me = (await client.get("/api/auth/me", headers=headers)).json()
    await client.post(
        "/api/materials", files={"file": ("a.pdf", PDF_BYTES, "application/pdf")}, headers=headers
    )
    actions = await AuditEntry.select(AuditEntry.action).where(
        AuditEntry.chain == f"account:{me['id']}"
    )
    assert [a["action"] for a in actions] == ["account.logged_in", "material.uploaded"]


async def test_an_old_entry_left_unsealed_is_reported_and_each_seal_is_published(
    client: Any,
) -> None:
    headers = await new_applicant(client)
    await client.post("/api/applications", json=await hygiene_application(client), headers=headers)
    # Two hours after the newest entry: tests of deadlines write entries on a moved clock.
    newest = await AuditEntry.select(AuditEntry.at).order_by(AuditEntry.at, ascending=False).first()
    assert newest is not None
    in_two_hours = max(datetime.now(UTC), as_utc_any(newest["at"])) + timedelta(hours=2)

    report = await verify_audit_log(settings().secret, now=in_two_hours)
    assert any(f.kind == "unsealed" for f in report.faults)

    from approvals.clock import FrozenClock

    while await seal_pending(settings().secret, FrozenClock(in_two_hours)):
        pass
    report = await verify_audit_log(settings().secret, now=in_two_hours)
    assert not any(f.kind == "unsealed" for f in report.faults), report.summary()
    assert (
        await OutboxEvent.count().where(OutboxEvent.type == "cn.gov.health.approvals.audit.sealed")
        >= 1
    )


async def test_unreadable_audit_data_is_reported_as_altered_not_a_crash(
    client: Any, engine_name: str
) -> None:
    headers = await new_applicant(client)
    created = await client.post(
        "/api/applications", json=await hygiene_application(client), headers=headers
    )
    chain = f"application:{created.json()['application']['id']}"
    entry = (await AuditEntry.select().where(AuditEntry.chain == chain).order_by(AuditEntry.seq))[0]
    # PostgreSQL's JSONB cannot hold broken JSON; there, change it to other valid JSON.
    tampered = '{"broken": ' if engine_name == "sqlite" else '{"permit_code": "other"}'
    await AuditEntry.update({AuditEntry.data: tampered}).where(AuditEntry.id == entry["id"])
    try:
        report = await verify_audit_log(settings().secret)
        assert any(f.kind == "altered" and f.entry_id == entry["id"] for f in report.faults)
    finally:
        await AuditEntry.update({AuditEntry.data: entry["data"]}).where(
            AuditEntry.id == entry["id"]
        )


async def test_a_binary_upload_part_without_a_filename_is_a_400(client: Any) -> None:
    headers = await new_applicant(client)
    body = (
        b'--b\r\nContent-Disposition: form-data; name="file"\r\n\r\n'
        b"\x89PNG\r\n\x1a\nabc\r\n--b--\r\n"
    )
    response = await client.post(
        "/api/materials",
        content=body,
        headers={**headers, "Content-Type": "multipart/form-data; boundary=b"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "bad_encoding"


async def test_an_unexpected_error_still_answers_with_our_json_error(
    client: Any, monkeypatch: Any
) -> None:
    from approvals.services import commitment_permits

    def boom(*_: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(commitment_permits, "check_qr_fits", boom)
    headers = await new_applicant(client)
    response = await client.post(
        "/api/applications", json=await hygiene_application(client), headers=headers
    )
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    assert response.json()["zh"]
