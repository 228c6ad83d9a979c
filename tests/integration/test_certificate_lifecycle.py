"""Status changes and new versions (PRODUCT.md §3.4): visible at once on the page, in the
API and in the signed status list; audited, pushed, and told to the holder."""

from __future__ import annotations

import asyncio
from typing import Any

import jwt

from approvals.tables import AuditEntry, OutboxEvent
from certs.keys import VerifyingKey
from certs.status_list import verify_status_list
from factories import hygiene_application, login, new_applicant


async def issued(client: Any) -> tuple[dict[str, str], dict[str, Any]]:
    holder = await new_applicant(client)
    response = await client.post(
        "/api/applications", json=await hygiene_application(client), headers=holder
    )
    assert response.status_code == 201, response.text
    return holder, response.json()["certificate"]


async def status_bit(client: Any, index: int) -> int:
    jwks = (await client.get("/.well-known/jwks.json")).json()
    keys = {k["kid"]: [VerifyingKey.from_jwk(k)] for k in jwks["keys"]}
    token = (await client.get("/api/status-lists/yinchuan_approval")).text
    assert jwt.get_unverified_header(token)["typ"] == "statuslist+jwt"
    return verify_status_list(token, keys).array.get(index)


async def verdict(client: Any, cert: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/api/verify", json={"token": cert["verification_url"]})
    body: dict[str, Any] = response.json()
    return body


async def change(client: Any, cert: dict[str, Any], headers: dict[str, str], **body: Any) -> Any:
    return await client.post(f"/api/certificates/{cert['id']}/status", json=body, headers=headers)


async def index_of(cert: dict[str, Any]) -> int:
    from approvals.tables import Certificate

    rows = await Certificate.select(Certificate.status_index).where(Certificate.id == cert["id"])
    return int(rows[0]["status_index"])


async def test_a_suspension_shows_on_the_page_in_the_api_and_in_the_status_list_at_once(
    client: Any,
) -> None:
    _holder, cert = await issued(client)
    decider = await login(client, "decider")

    response = await change(
        client, cert, decider, action="suspend", reason="卫生检查发现问题，限期整改"
    )

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "suspended" and response.json()["status_code"] == "02"
    result = await verdict(client, cert)
    assert result["verdict"] == "not_valid" and result["status"] == "suspended"
    assert "限期整改" in result["message_zh"]
    assert await status_bit(client, await index_of(cert)) == 2
    page = await client.get(cert["verification_url"].split("TESTSERVER.LOCAL", 1)[1])
    assert "暂扣" in page.text


async def test_restoring_a_suspended_certificate_makes_it_valid_again(client: Any) -> None:
    _, cert = await issued(client)
    decider = await login(client, "decider")
    await change(client, cert, decider, action="suspend", reason="限期整改")

    response = await change(client, cert, decider, action="restore", reason="整改完成")

    assert response.json()["status"] == "valid"
    assert (await verdict(client, cert))["verdict"] == "valid"
    assert await status_bit(client, await index_of(cert)) == 0


async def test_revocation_is_audited_pushed_and_told_to_the_holder(client: Any) -> None:
    holder, cert = await issued(client)
    decider = await login(client, "decider")

    await change(client, cert, decider, action="revoke", reason="承诺内容与事实不符")

    assert (await verdict(client, cert))["status_name"] == "已撤销"
    assert await status_bit(client, await index_of(cert)) == 1
    actions = await AuditEntry.select(
        AuditEntry.action, AuditEntry.reason, AuditEntry.actor_name
    ).where(AuditEntry.target_id == cert["id"])
    revoked = [a for a in actions if a["action"] == "certificate.revoked"]
    assert revoked and revoked[0]["reason"] == "承诺内容与事实不符"
    assert "陈敏" in revoked[0]["actor_name"]
    assert (
        await OutboxEvent.count().where(
            (OutboxEvent.subject == f"certificates/{cert['id']}")
            & (OutboxEvent.type == "cn.gov.health.approvals.certificate.revoked")
        )
        == 1
    )
    messages = (await client.get("/api/notifications", headers=holder)).json()
    assert any("撤销" in m["title"] and "承诺内容与事实不符" in m["body"] for m in messages)


async def test_the_holder_may_cancel_their_own_certificate_but_no_one_elses(client: Any) -> None:
    holder, cert = await issued(client)
    stranger = await new_applicant(client)
    window = await login(client, "window")

    assert (await change(client, cert, stranger, action="cancel", reason="停业")).status_code == 404
    assert (await change(client, cert, window, action="cancel", reason="停业")).status_code == 403
    assert (
        await change(client, cert, holder, action="suspend", reason="我要暂停")
    ).status_code == 403
    response = await change(client, cert, holder, action="cancel", reason="停业注销")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled" and response.json()["status_code"] == "04"


async def test_an_impossible_change_is_a_409_that_says_the_current_status(client: Any) -> None:
    _, cert = await issued(client)
    decider = await login(client, "decider")
    await change(client, cert, decider, action="revoke", reason="第一次")

    response = await change(client, cert, decider, action="suspend", reason="第二次")

    assert response.status_code == 409
    assert "已撤销" in response.json()["zh"]


async def test_two_officials_revoking_at_once_one_wins_and_the_other_gets_a_409(
    client: Any,
) -> None:
    _, cert = await issued(client)
    decider = await login(client, "decider")
    admin = await login(client, "admin")

    results = await asyncio.gather(
        change(client, cert, decider, action="revoke", reason="甲方意见"),
        change(client, cert, admin, action="revoke_penalty", reason="乙方意见"),
    )

    assert sorted(r.status_code for r in results) == [200, 409]
    entries = await AuditEntry.count().where(
        (AuditEntry.target_id == cert["id"]) & (AuditEntry.action == "certificate.revoked")
    )
    assert entries == 1


async def test_a_change_makes_a_new_version_and_the_old_one_points_to_it(client: Any) -> None:
    holder, cert = await issued(client)
    decider = await login(client, "decider")

    response = await client.post(
        f"/api/certificates/{cert['id']}/versions",
        json={"kind": "change", "reason": "经营地址变更", "address": "银川市兴庆区解放东街99号"},
        headers=decider,
    )

    assert response.status_code == 201, response.text
    new = response.json()
    assert new["version"] == 2 and new["number"] == cert["number"]
    assert new["identifier"].rsplit(".", 2)[1] == "002"
    assert new["address"] == "银川市兴庆区解放东街99号" and new["supersedes"] == cert["id"]
    old = await verdict(client, cert)
    assert old["verdict"] == "not_valid" and old["status"] == "superseded"
    assert old["current_version_url"] == new["verification_url"]
    assert await status_bit(client, await index_of(cert)) == 3
    assert (await verdict(client, new))["verdict"] == "valid"
    mine = (await client.get(f"/api/certificates/{new['id']}", headers=holder)).json()
    assert mine["identifier"] == new["identifier"]


async def test_a_renewal_starts_a_new_period_of_validity(client: Any) -> None:
    _, cert = await issued(client)
    decider = await login(client, "decider")

    response = await client.post(
        f"/api/certificates/{cert['id']}/versions",
        json={"kind": "renewal", "reason": "有效期届满前申请延续"},
        headers=decider,
    )

    new = response.json()
    assert new["valid_from"] == cert["valid_until"]
    assert int(new["valid_until"][:4]) == int(cert["valid_until"][:4]) + 4


async def test_a_superseded_certificate_cannot_get_another_version(client: Any) -> None:
    _, cert = await issued(client)
    decider = await login(client, "decider")
    body = {"kind": "reissue", "reason": "证照遗失补办"}
    assert (
        await client.post(f"/api/certificates/{cert['id']}/versions", json=body, headers=decider)
    ).status_code == 201

    again = await client.post(
        f"/api/certificates/{cert['id']}/versions", json=body, headers=decider
    )

    assert again.status_code == 409
    assert "替代" in again.json()["zh"]


async def test_an_applicant_cannot_issue_versions(client: Any) -> None:
    holder, cert = await issued(client)
    response = await client.post(
        f"/api/certificates/{cert['id']}/versions",
        json={"kind": "reissue", "reason": "想要新证"},
        headers=holder,
    )
    assert response.status_code == 403
