"""`approvals trust fetch` then `approvals verify`: a photo of a certificate face checked
with nothing but downloaded trust data, before and after the certificate is revoked."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from factories import hygiene_application, login, new_applicant


def approvals(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "approvals.cli", *args],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )


def photo_of(face_png: bytes) -> bytes:
    """A phone photo, roughly: smaller, slightly rotated, JPEG-compressed."""
    image = Image.open(io.BytesIO(face_png)).convert("RGB")
    image = image.resize((image.width * 3 // 4, image.height * 3 // 4)).rotate(
        2, expand=True, fillcolor="white"
    )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


async def test_a_photographed_certificate_verifies_offline_and_then_shows_its_revocation(
    live_server: str, client: Any, tmp_path: Path
) -> None:
    holder = await new_applicant(client)
    async with httpx.AsyncClient(base_url=live_server, timeout=60) as http:
        created = await http.post(
            "/api/applications", json=await hygiene_application(client), headers=holder
        )
        cert = created.json()["certificate"]
        face = (await http.get(f"/api/certificates/{cert['id']}/face.png", headers=holder)).content
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(photo_of(face))
    trust = tmp_path / "trust"

    fetched = await asyncio.to_thread(
        approvals, "trust", "fetch", "--url", live_server, "--dir", str(trust)
    )
    assert fetched.returncode == 0, fetched.stderr
    result = await asyncio.to_thread(
        approvals, "verify", str(photo), "--trust-dir", str(trust), "--json"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    verdict = json.loads(result.stdout)
    assert verdict["verdict"] == "valid" and verdict["genuine"] is True

    decider = await login(client, "decider")
    async with httpx.AsyncClient(base_url=live_server, timeout=60) as http:
        revoked = await http.post(
            f"/api/certificates/{cert['id']}/status",
            json={"action": "revoke", "reason": "承诺不实"},
            headers=decider,
        )
        assert revoked.status_code == 200, revoked.text
    await asyncio.to_thread(approvals, "trust", "fetch", "--url", live_server, "--dir", str(trust))
    after = await asyncio.to_thread(approvals, "verify", str(photo), "--trust-dir", str(trust))
    assert after.returncode == 3, after.stdout + after.stderr
    assert "撤销" in after.stdout or "吊销" in after.stdout or "不" in after.stdout
    assert "核验数据" in after.stdout  # says how old the trust data is


async def test_garbage_given_to_the_offline_verifier_is_answered_not_crashed(
    live_server: str, tmp_path: Path
) -> None:
    trust = tmp_path / "trust"
    await asyncio.to_thread(approvals, "trust", "fetch", "--url", live_server, "--dir", str(trust))
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(2000))
    for argument in (str(junk), "eyJhbGciOiJFUzI1NiJ9.e30.AAAA", "not a token at all"):
        result = await asyncio.to_thread(approvals, "verify", argument, "--trust-dir", str(trust))
        assert result.returncode in (2, 3, 4, 5), result.stderr
        assert "Traceback" not in result.stderr
        assert result.stdout or result.stderr
