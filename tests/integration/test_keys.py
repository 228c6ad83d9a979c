"""Key rotation and compromise: what verifiers see before, during and after."""

from __future__ import annotations

from typing import Any

import jwt

from approvals.services import keys
from approvals.tables import SigningKey
from certs.keys import KeyAlgorithm, VerifyingKey
from certs.trust_list import anchors_from_jwks, verify_trust_list
from factories import hygiene_application, new_applicant


async def issue(client: Any) -> dict[str, Any]:
    holder = await new_applicant(client)
    response = await client.post(
        "/api/applications", json=await hygiene_application(client), headers=holder
    )
    assert response.status_code == 201, response.text
    return dict(response.json()["certificate"])


async def verdict(client: Any, cert: dict[str, Any]) -> dict[str, Any]:
    return dict((await client.post("/api/verify", json={"token": cert["token"]})).json())


async def trust_list(client: Any) -> Any:
    anchors = anchors_from_jwks((await client.get("/.well-known/hcl-trust-anchor.json")).json())
    return verify_trust_list((await client.get("/api/trust-list")).text, anchors)


async def active_kid() -> str:
    rows = await SigningKey.select(SigningKey.kid).where(
        (SigningKey.state == "active") & (SigningKey.purpose == "certificate")
    )
    return str(rows[0]["kid"])


async def test_a_rotation_publishes_first_signs_later_and_keeps_old_certificates_valid(
    client: Any, app: Any
) -> None:
    ctx = app.state.services
    before = await issue(client)
    old_kid = await active_kid()
    seq_before = (await trust_list(client)).seq

    new_kid = await keys.create_key(ctx, "yinchuan_approval", KeyAlgorithm.EDDSA, "测试")
    jwks = (await client.get("/.well-known/jwks.json")).json()
    assert {k["kid"]: k["status"] for k in jwks["keys"]}[new_kid] == "pending"
    listed = await trust_list(client)
    assert listed.seq > seq_before and listed.key_state(new_kid) == "pending"
    assert (await issue(client))["kid"] == old_kid  # published, not yet signing

    refused = await client_error(keys.activate_key(ctx, new_kid, "测试"))
    assert refused == "too_early"
    assert await keys.activate_key(ctx, new_kid, "测试", force=True) == old_kid

    after = await issue(client)
    assert after["kid"] == new_kid
    assert jwt.get_unverified_header(after["token"])["alg"] == "EdDSA"
    assert (await verdict(client, before))["verdict"] == "valid"  # signed by a retired key
    assert (await verdict(client, after))["verdict"] == "valid"
    rotated = await trust_list(client)
    assert rotated.key_state(old_kid) == "retired" and rotated.key_state(new_kid) == "active"


async def test_a_revoked_key_flags_its_certificates_and_resigning_issues_valid_new_versions(
    client: Any, app: Any
) -> None:
    ctx = app.state.services
    new_kid = await keys.create_key(ctx, "yinchuan_approval", KeyAlgorithm.ES256, "测试")
    await keys.activate_key(ctx, new_kid, "测试", force=True)
    victim = await issue(client)
    assert victim["kid"] == new_kid
    replacement = await keys.create_key(ctx, "yinchuan_approval", KeyAlgorithm.ES256, "测试")
    await keys.activate_key(ctx, replacement, "测试", force=True)

    await keys.revoke_key(ctx, new_kid, "测试", "私钥疑似泄露")

    flagged = await verdict(client, victim)
    assert flagged["verdict"] == "unknown" and flagged["reason"] == "revoked_key"
    assert "吊销" in flagged["message_zh"]
    jwks = (await client.get("/.well-known/jwks.json")).json()
    assert new_kid not in {k["kid"] for k in jwks["keys"]}
    assert (await trust_list(client)).key_state(new_kid) == "revoked"

    assert await keys.resign_certificates(ctx, new_kid, "签名密钥吊销后重签") >= 1

    again = await verdict(client, victim)
    assert again["reason"] == "revoked_key"
    assert again["current_version_url"]
    fresh = await client.post("/api/verify", json={"token": again["current_version_url"]})
    assert fresh.json()["verdict"] == "valid"
    assert fresh.json()["kid"] == replacement


async def test_the_trust_list_sequence_only_grows_and_is_stable_without_changes(
    client: Any,
) -> None:
    first = await trust_list(client)
    second = await trust_list(client)
    assert second.seq == first.seq
    for key in first.keys:
        assert VerifyingKey.from_jwk(
            {
                k: getattr(key, k)
                for k in ("kty", "crv", "x", "y", "kid", "alg")
                if getattr(key, k) is not None
            }
        )


async def client_error(coro: Any) -> str:
    from approvals.domain.errors import DomainError

    try:
        await coro
    except DomainError as exc:
        return exc.code
    return "no error"
