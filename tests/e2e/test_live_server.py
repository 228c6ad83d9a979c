"""Through a real server process: concurrency, the QR round trip, the published keys."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import httpx
import jwt
import zxingcpp
from PIL import Image

from approvals.tables import AuditEntry, Certificate
from factories import hygiene_application, new_applicant


async def test_fifty_concurrent_filings_get_fifty_distinct_numbers_identifiers_and_audit_entries(
    live_server: str, client: Any
) -> None:
    headers = await new_applicant(client)
    bodies = [await hygiene_application(client) for _ in range(50)]
    async with httpx.AsyncClient(base_url=live_server, timeout=60) as http:
        responses = await asyncio.gather(
            *(http.post("/api/applications", json=body, headers=headers) for body in bodies)
        )

    assert [r.status_code for r in responses] == [201] * 50, [
        r.text for r in responses if r.status_code != 201
    ][:3]
    certificates = [r.json()["certificate"] for r in responses]
    assert len({c["number"] for c in certificates}) == 50
    assert len({c["identifier"] for c in certificates}) == 50
    rows = await Certificate.select(Certificate.serial, Certificate.status_index).where(
        Certificate.id.is_in([c["id"] for c in certificates])
    )
    assert len({r["serial"] for r in rows}) == 50 and len({r["status_index"] for r in rows}) == 50
    issued = await AuditEntry.count().where(
        (AuditEntry.action == "certificate.issued")
        & AuditEntry.target_id.is_in([c["id"] for c in certificates])
    )
    assert issued == 50


async def test_a_certificate_from_the_live_server_verifies_from_its_qr_code(
    live_server: str, client: Any
) -> None:
    headers = await new_applicant(client)
    async with httpx.AsyncClient(base_url=live_server, timeout=30) as http:
        created = await http.post(
            "/api/applications", json=await hygiene_application(client), headers=headers
        )
        assert created.status_code == 201, created.text
        cert = created.json()["certificate"]
        png = await http.get(f"/api/certificates/{cert['id']}/qr.png", headers=headers)
        url = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))[0].text
        assert url.startswith(live_server.upper() + "/V/")

        page = await http.get(url.replace(live_server.upper(), live_server))
        assert page.status_code == 200 and "证照真实有效" in page.text

        token = httpx.URL(url).path.split("/V/")[1]
        jwks = (await http.get("/.well-known/jwks.json")).json()
        assert page.headers["content-type"].startswith("text/html")
    from certs.qr import digits_to_token

    raw = digits_to_token(token)
    kid = jwt.get_unverified_header(raw)["kid"]
    key = next(k for k in jwks["keys"] if k["kid"] == kid)
    claims = jwt.decode(raw, key=jwt.PyJWK(key).key, algorithms=[key["alg"]])
    assert claims["no"] == cert["number"]


async def test_the_key_list_is_cacheable_and_open_to_any_origin(live_server: str) -> None:
    async with httpx.AsyncClient(base_url=live_server) as http:
        first = await http.get("/.well-known/jwks.json")
        assert first.headers["access-control-allow-origin"] == "*"
        assert "max-age" in first.headers["cache-control"]
        again = await http.get(
            "/.well-known/jwks.json", headers={"If-None-Match": first.headers["etag"]}
        )
        assert again.status_code == 304
        assert all({"kid", "alg", "use", "kty"} <= set(k) for k in first.json()["keys"])
