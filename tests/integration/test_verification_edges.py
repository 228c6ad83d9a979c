"""Verification at the edges: expiry, combined licences, and whatever a scanner sends."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from approvals.clock import local_date
from approvals.persistence.statements import WriteBatch
from approvals.repository import certificates as cert_repo
from approvals.tables import Certificate
from factories import hygiene_application, login, new_applicant


async def issued(client: Any) -> tuple[dict[str, str], dict[str, Any]]:
    holder = await new_applicant(client)
    response = await client.post(
        "/api/applications", json=await hygiene_application(client), headers=holder
    )
    return holder, response.json()["certificate"]


async def test_a_certificate_past_its_last_day_verifies_as_expired(client: Any, app: Any) -> None:
    _, cert = await issued(client)
    yesterday = local_date(app.state.services.clock.now()) - timedelta(days=1)
    await Certificate.update({Certificate.valid_until: yesterday}).where(
        Certificate.id == cert["id"]
    )

    result = (await client.post("/api/verify", json={"token": cert["token"]})).json()

    assert result["verdict"] == "not_valid" and result["status"] == "expired"
    assert result["status_code"] == "05" and result["genuine"] is True


async def combined_certificate(client: Any, app: Any) -> dict[str, Any]:
    """A 多证合一 certificate on an existing case (part 3 issues these from the bundle)."""
    from approvals.services.issuing import signed
    from certs.identifiers import with_version

    ctx = app.state.services
    _, base = await issued(client)
    original = await cert_repo.get_certificate(uuid.UUID(base["id"]))
    assert original is not None
    components = []
    for code, name, type_code in (
        ("practice_licence", "医疗机构执业许可", "11100000MB1A372603002"),
        ("radiation_diagnosis", "放射诊疗许可", "11100000MB1A372603003"),
    ):
        index = await cert_repo.allocate_status_index("yinchuan_approval")
        components.append(
            {
                "code": code,
                "name": name,
                "licence_type_code": type_code,
                "status": "valid",
                "status_index": index,
            }
        )
    index = await cert_repo.allocate_status_index("yinchuan_approval")
    combined = replace(
        original,
        id=uuid.uuid4(),
        identifier=with_version(original.identifier, 999),
        status_index=index,
        components=components,
        licence_name="医疗机构执业许可证",
    )
    key = await ctx.keyring.signing_key("yinchuan_approval")
    combined = signed(combined, "银川市审批服务管理局", key)
    batch = WriteBatch()
    cert_repo.stage_certificate(batch, combined)
    await batch.commit()
    return {"id": str(combined.id), "token": combined.token}


async def test_one_component_of_a_combined_licence_can_be_revoked_alone(
    client: Any, app: Any
) -> None:
    cert = await combined_certificate(client, app)
    decider = await login(client, "decider")

    response = await client.post(
        f"/api/certificates/{cert['id']}/status",
        json={"action": "revoke", "reason": "放射防护不达标", "component": "radiation_diagnosis"},
        headers=decider,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "valid"
    assert {c["code"]: c["status"] for c in body["components"]} == {
        "practice_licence": "valid",
        "radiation_diagnosis": "revoked",
    }
    result = (await client.post("/api/verify", json={"token": cert["token"]})).json()
    assert result["verdict"] == "valid"
    assert {c["name"]: c["status_name"] for c in result["components"]}["放射诊疗许可"] == "已撤销"


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    text=st.one_of(
        st.text(max_size=3000), st.binary(max_size=500).map(lambda b: b.decode("latin-1"))
    )
)
async def test_whatever_a_scanner_sends_gets_a_verdict_never_a_server_error(
    client: Any, text: str
) -> None:
    response = await client.post("/api/verify", json={"token": text or "x"})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.json()["verdict"] in {"not_genuine", "unknown", "valid", "not_valid"}
