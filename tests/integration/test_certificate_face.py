"""The certificate face: downloadable as PNG and PDF, its QR code leading to a genuine verdict."""

from __future__ import annotations

import io
import re
from typing import Any

import zxingcpp
from PIL import Image

from factories import hygiene_application, new_applicant


async def test_the_face_png_carries_a_qr_code_that_verifies(client: Any) -> None:
    holder = await new_applicant(client)
    created = await client.post(
        "/api/applications", json=await hygiene_application(client), headers=holder
    )
    cert = created.json()["certificate"]

    png = await client.get(f"/api/certificates/{cert['id']}/face.png", headers=holder)

    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(png.content))
    assert image.size[1] > image.size[0]  # A4 portrait
    codes = zxingcpp.read_barcodes(image)
    assert [c.text for c in codes] == [cert["verification_url"]]
    verdict = await client.post("/api/verify", json={"token": codes[0].text})
    assert verdict.json()["verdict"] == "valid"


async def test_the_face_pdf_is_one_a4_page_and_is_served_from_cache_the_second_time(
    client: Any, data_dir: Any
) -> None:
    holder = await new_applicant(client)
    created = await client.post(
        "/api/applications", json=await hygiene_application(client), headers=holder
    )
    cert_id = created.json()["certificate"]["id"]

    first = await client.get(f"/api/certificates/{cert_id}/face.pdf", headers=holder)
    second = await client.get(f"/api/certificates/{cert_id}/face.pdf", headers=holder)

    assert first.status_code == 200 and first.content.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page(?!s)", first.content)) == 1
    media_box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)", first.content)
    assert media_box is not None
    assert (round(float(media_box[1])), round(float(media_box[2]))) == (595, 842)  # A4 in pt
    assert second.content == first.content
    assert any((data_dir / "cache" / "face-pdf").rglob("*.pdf"))


async def test_someone_elses_face_is_a_404(client: Any) -> None:
    holder = await new_applicant(client)
    stranger = await new_applicant(client)
    created = await client.post(
        "/api/applications", json=await hygiene_application(client), headers=holder
    )
    cert_id = created.json()["certificate"]["id"]
    assert (
        await client.get(f"/api/certificates/{cert_id}/face.png", headers=stranger)
    ).status_code == 404


async def test_the_token_in_the_face_qr_verifies_with_pyjwt_and_only_the_published_keys(
    client: Any,
) -> None:
    import jwt

    from certs.qr import token_from_url

    holder = await new_applicant(client)
    created = await client.post(
        "/api/applications", json=await hygiene_application(client), headers=holder
    )
    cert_id = created.json()["certificate"]["id"]
    png = await client.get(f"/api/certificates/{cert_id}/face.png", headers=holder)
    token = token_from_url(zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))[0].text)

    jwks = (await client.get("/.well-known/jwks.json")).json()
    header = jwt.get_unverified_header(token)
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    claims = jwt.decode(token, key=jwt.PyJWK(key).key, algorithms=[key["alg"]])
    assert claims["id"] == created.json()["certificate"]["identifier"]
