"""Bad input gets a clear 4xx that says what to fix, in Chinese and English — never a 500."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from approvals.tables import Application
from factories import hygiene_application, new_applicant


def assert_clear_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"]
    assert body["zh"]
    assert body["en"]
    return body


async def test_malformed_json_is_a_400_that_says_so(client: Any) -> None:
    headers = await new_applicant(client)
    response = await client.post(
        "/api/applications",
        content=b'{"permit_code": "public_place_hygiene", "form": {',
        headers={**headers, "Content-Type": "application/json"},
    )
    assert_clear_error(response, 400)


async def test_a_wrong_type_names_the_field(client: Any) -> None:
    headers = await new_applicant(client)
    body = await hygiene_application(client)
    body["form"] = "not an object"
    error = assert_clear_error(
        await client.post("/api/applications", json=body, headers=headers), 400
    )
    assert error["field"] == "form"


async def test_unknown_top_level_fields_are_refused(client: Any) -> None:
    headers = await new_applicant(client)
    body = await hygiene_application(client)
    body["status"] = "approved"
    error = assert_clear_error(
        await client.post("/api/applications", json=body, headers=headers), 400
    )
    assert "status" in error["en"]


async def test_a_body_over_one_megabyte_is_a_413(client: Any) -> None:
    headers = await new_applicant(client)
    body = await hygiene_application(client, remarks="长" * 400_000)
    assert_clear_error(await client.post("/api/applications", json=body, headers=headers), 413)


async def test_an_oversize_form_field_is_reported_with_its_label(client: Any) -> None:
    headers = await new_applicant(client)
    body = await hygiene_application(client, unit_name="名" * 201)
    error = assert_clear_error(
        await client.post("/api/applications", json=body, headers=headers), 422
    )
    problem = next(e for e in error["errors"] if e["field"] == "form.unit_name")
    assert problem["code"] == "too_long"
    assert "单位名称" in problem["zh"]


@pytest.mark.parametrize("value", ["银川\x00酒店", "银川\x1b[31m酒店", "银川\u202e酒店"])
async def test_control_characters_in_a_form_field_are_refused(client: Any, value: str) -> None:
    headers = await new_applicant(client)
    before = await Application.count()
    body = await hygiene_application(client, unit_name=value)
    error = assert_clear_error(
        await client.post("/api/applications", json=body, headers=headers), 422
    )
    assert any(e["field"] == "form.unit_name" for e in error["errors"])
    assert await Application.count() == before


async def test_nul_in_the_signer_name_is_refused_at_the_edge(client: Any) -> None:
    headers = await new_applicant(client)
    body = await hygiene_application(client)
    body["commitment"]["signer_name"] = "马\x00建国"
    error = assert_clear_error(
        await client.post("/api/applications", json=body, headers=headers), 400
    )
    assert error["field"] == "commitment.signer_name"


async def test_an_unknown_permit_code_is_a_404(client: Any) -> None:
    headers = await new_applicant(client)
    body = await hygiene_application(client)
    body["permit_code"] = "no_such_permit"
    assert_clear_error(await client.post("/api/applications", json=body, headers=headers), 404)


async def test_unknown_ids_are_404s(client: Any) -> None:
    headers = await new_applicant(client)
    for path in (
        f"/api/applications/{uuid.uuid4()}",
        f"/api/certificates/{uuid.uuid4()}",
        f"/api/certificates/{uuid.uuid4()}/qr.png",
        f"/api/materials/{uuid.uuid4()}",
        "/api/catalogue/unknown_code",
    ):
        assert_clear_error(await client.get(path, headers=headers), 404)


async def test_a_malformed_id_or_cursor_is_a_4xx(client: Any) -> None:
    headers = await new_applicant(client)
    assert (await client.get("/api/applications/not-a-uuid", headers=headers)).status_code in (
        400,
        404,
    )
    error = assert_clear_error(
        await client.get("/api/applications?cursor=%%%garbage", headers=headers), 400
    )
    assert error["field"] == "cursor"
    assert_clear_error(await client.get("/api/applications?limit=100000", headers=headers), 400)


async def test_uploads_of_the_wrong_type_empty_or_missing_files_are_refused(client: Any) -> None:
    headers = await new_applicant(client)
    script = await client.post(
        "/api/materials",
        files={"file": ("x.pdf", b"#!/bin/sh\nrm -rf /", "application/pdf")},
        headers=headers,
    )
    assert assert_clear_error(script, 400)["code"] == "file_type_not_allowed"
    empty = await client.post(
        "/api/materials", files={"file": ("x.pdf", b"", "application/pdf")}, headers=headers
    )
    assert assert_clear_error(empty, 400)["code"] == "empty_file"
    missing = await client.post(
        "/api/materials", files={"other": ("x.pdf", b"%PDF-", "application/pdf")}, headers=headers
    )
    assert assert_clear_error(missing, 400)["code"] == "file_missing"


async def test_an_upload_over_the_limit_is_a_413(client: Any) -> None:
    headers = await new_applicant(client)
    big = b"%PDF-1.4\n" + b"0" * (21 * 1024 * 1024)
    response = await client.post(
        "/api/materials", files={"file": ("big.pdf", big, "application/pdf")}, headers=headers
    )
    assert_clear_error(response, 413)


@pytest.mark.parametrize(
    "token",
    ["", "garbage", "a.b.c", "eyJhbGciOiJub25lIn0.e30.", "x" * 9000, "\u4e2d\u6587.\u4e2d.\u6587"],
)
async def test_verification_of_garbage_says_not_genuine_or_asks_to_fix(
    client: Any, token: str
) -> None:
    response = await client.post("/api/verify", json={"token": token})
    if response.status_code == 200:
        assert response.json()["verdict"] == "not_genuine"
        assert response.json()["message_zh"]
    else:
        assert_clear_error(response, 400)


async def test_a_tampered_certificate_token_is_not_genuine(client: Any) -> None:
    headers = await new_applicant(client)
    cert = (
        await client.post(
            "/api/applications", json=await hygiene_application(client), headers=headers
        )
    ).json()["certificate"]
    header, payload, signature = cert["token"].split(".")
    forged = f"{header}.{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{signature}"
    verdict = (await client.post("/api/verify", json={"token": forged})).json()
    assert verdict["verdict"] == "not_genuine"
    assert verdict["genuine"] is False
