"""Post-checks of commitment permits (PRODUCT.md §3.1): a false commitment ends in
revocation, a credit record and a bar from the commitment route."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from receiver import Receiver
from test_certificate_lifecycle import index_of, status_bit, verdict
from test_supervision_push import (
    FAST,
    Subscriptions,
    allow_local_targets,
    point,
    pull_all,
    subs,
)

from factories import hygiene_application, login, new_applicant, new_staff, upload_pdf
from servers import running_workers

__all__ = ["allow_local_targets", "subs"]  # fixtures used here
REVOKED = "cn.gov.health.approvals.certificate.revoked"
FALSE = "cn.gov.health.approvals.commitment.false"


async def issue(client: Any) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
    holder = await new_applicant(client)
    body = await hygiene_application(client)
    response = await client.post("/api/applications", json=body, headers=holder)
    assert response.status_code == 201, response.text
    return holder, body, response.json()


async def post_check_of(client: Any, headers: dict[str, str], case_id: str) -> dict[str, Any]:
    response = await client.get("/api/post-checks", params={"limit": 500}, headers=headers)
    assert response.status_code == 200, response.text
    found = [c for c in response.json() if c["application_id"] == case_id]
    assert len(found) == 1, found
    return dict(found[0])


async def test_a_false_commitment_ends_revoked_recorded_barred_and_told_to_market_regulation(
    client: Any, subs: Subscriptions, tmp_path: Path, data_dir: Path
) -> None:
    market_sub = await subs.add("market_regulation", "http://127.0.0.1:9/x", [REVOKED, FALSE])
    holder, body, issued = await issue(client)
    case_id, cert = issued["application"]["id"], issued["certificate"]
    supervisor, _ = await new_staff(client, "supervisor", "health_inspection")
    check = await post_check_of(client, supervisor, case_id)
    # Due two months (61 days) after issue, with the first department of the type.
    assert check["status"] == "open" and check["department"] == "health_inspection"
    assert check["holder_code"] == body["form"]["credit_code"]

    no_evidence = await client.post(
        f"/api/post-checks/{check['id']}/result",
        json={"expected_version": check["row_version"], "result": "false"},
        headers=supervisor,
    )
    assert no_evidence.status_code == 400 and no_evidence.json()["field"] == "evidence"
    evidence = await upload_pdf(client, supervisor)
    found_false = await client.post(
        f"/api/post-checks/{check['id']}/result",
        json={
            "expected_version": check["row_version"],
            "result": "false",
            "finding": "现场无集中空调通风系统清洗记录，承诺的卫生管理制度不存在",
            "evidence": [evidence],
        },
        headers=supervisor,
    )
    assert found_false.status_code == 200, found_false.text
    check = found_false.json()
    assert check["status"] == "statement_period" and check["statement_due"]

    decider = await login(client, "decider")
    too_early = await client.post(
        f"/api/post-checks/{check['id']}/decision",
        json={"expected_version": check["row_version"], "revoke": True, "reasons": "承诺不实"},
        headers=decider,
    )
    assert too_early.status_code == 409 and "陈述申辩" in too_early.json()["zh"]
    other = await new_applicant(client)
    not_holder = await client.post(
        f"/api/post-checks/{check['id']}/statement", json={"text": "我来替他说"}, headers=other
    )
    assert not_holder.status_code == 404
    stated = await client.post(
        f"/api/post-checks/{check['id']}/statement",
        json={"text": "清洗记录在外包单位处，尚未取回"},
        headers=holder,
    )
    assert stated.status_code == 200, stated.text

    decided = await client.post(
        f"/api/post-checks/{check['id']}/decision",
        json={
            "expected_version": stated.json()["row_version"],
            "revoke": True,
            "reasons": "陈述理由不成立，承诺不实",
        },
        headers=decider,
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "revoked"

    # The QR code verifies as revoked, and the signed status list says so.
    result = await verdict(client, cert)
    assert result["verdict"] == "not_valid" and result["status"] == "revoked"
    assert await status_bit(client, await index_of(cert)) == 1
    # The holder's next commitment filing is refused, and told why.
    again = await client.post("/api/applications", json=body, headers=holder)
    assert again.status_code == 422
    barred = [e for e in again.json()["errors"] if e["code"] == "commitment_barred"]
    assert barred and "承诺不实" in barred[0]["zh"]
    # Market regulation, a supervision department of the type, is pushed the events...
    with Receiver(secrets=[market_sub["secret"]], log_dir=tmp_path) as rx:
        await point(client, subs.admin, market_sub["subscription"], rx.url("/market"))
        with running_workers(data_dir, 1, **FAST):
            got = await rx.wait_for_async(
                lambda ds: REVOKED in {d["type"] for d in ds if d["partitionkey"] == case_id},
                timeout=30,
            )
    pushed = [d for d in got if d["partitionkey"] == case_id and d["processed"]]
    assert [d["type"] for d in pushed] == [FALSE, REVOKED]
    assert pushed[1]["data"]["reason"].startswith("告知承诺不实")
    # ... and finds them in its pull feed (which may hold back the newest for a moment:
    # see test_supervision_push.pull_until).
    market, _ = await new_staff(client, "supervisor", "market_regulation")
    for _ in range(100):
        feed, _ = await pull_all(client, market, None)
        types = [
            e["type"].removeprefix("cn.gov.health.approvals.")
            for e in feed
            if e["partitionkey"] == case_id
        ]
        if "certificate.revoked" in types:
            break
        await asyncio.sleep(0.2)
    assert "commitment.false" in types and types[-1] == "certificate.revoked"
    # And the case timeline tells the whole story.
    timeline = (await client.get(f"/api/applications/{case_id}/timeline", headers=decider)).json()
    actions = [e["action"] for e in timeline]
    for action in ("commitment.false", "commitment.statement", "certificate.revoked"):
        assert action in actions


async def test_fulfilled_and_not_fulfilled_checks_and_who_may_record_them(client: Any) -> None:
    _, _, issued = await issue(client)
    case_id = issued["application"]["id"]
    supervisor, _ = await new_staff(client, "supervisor", "health_inspection")
    check = await post_check_of(client, supervisor, case_id)
    market, _ = await new_staff(client, "supervisor", "market_regulation")
    wrong_department = await client.post(
        f"/api/post-checks/{check['id']}/result",
        json={"expected_version": check["row_version"], "result": "fulfilled"},
        headers=market,
    )
    assert wrong_department.status_code == 404
    evidence = await upload_pdf(client, supervisor)
    ordered = await client.post(
        f"/api/post-checks/{check['id']}/result",
        json={
            "expected_version": check["row_version"],
            "result": "not_fulfilled",
            "finding": "从业人员健康证明不全",
            "evidence": [evidence],
            "correction_days": 10,
        },
        headers=supervisor,
    )
    assert ordered.status_code == 200, ordered.text
    assert ordered.json()["status"] == "correction_ordered" and ordered.json()["correction_due"]
    stale = await client.post(
        f"/api/post-checks/{check['id']}/result",
        json={"expected_version": check["row_version"], "result": "fulfilled"},
        headers=supervisor,
    )
    assert stale.status_code == 409
    done = await client.post(
        f"/api/post-checks/{check['id']}/result",
        json={"expected_version": ordered.json()["row_version"], "result": "fulfilled"},
        headers=supervisor,
    )
    assert done.status_code == 200 and done.json()["status"] == "fulfilled"
    someone = await upload_pdf(client, await new_applicant(client))
    _, _, other = await issue(client)
    other_check = await post_check_of(client, supervisor, other["application"]["id"])
    not_mine = await client.post(
        f"/api/post-checks/{other_check['id']}/result",
        json={"expected_version": 1, "result": "false", "evidence": [someone]},
        headers=supervisor,
    )
    assert not_mine.status_code == 400 and not_mine.json()["code"] == "unknown_evidence"


async def test_a_late_post_check_and_a_lapsed_correction_order_are_flagged_once(
    clocked: Any,
) -> None:
    from approvals.services.deadlines import run_deadline_sweeps

    client = clocked.client
    clocked.at("2027-03-01 09:00")
    _, _, first = await issue(client)
    _, _, second = await issue(client)
    supervisor, _ = await new_staff(client, "supervisor", "health_inspection")
    ordered = await post_check_of(client, supervisor, second["application"]["id"])
    evidence = await upload_pdf(client, supervisor)
    response = await client.post(
        f"/api/post-checks/{ordered['id']}/result",
        json={
            "expected_version": ordered["row_version"],
            "result": "not_fulfilled",
            "evidence": [evidence],
            "correction_days": 5,
        },
        headers=supervisor,
    )
    assert response.json()["correction_due"] == "2027-03-08"

    clocked.at("2027-03-09 09:00")  # the correction order has lapsed; the first check is not due
    checker, checker_id = await new_staff(client, "supervisor", "health_inspection")
    await run_deadline_sweeps(clocked.services)
    await run_deadline_sweeps(clocked.services)
    assert await told_about(checker_id, ordered["id"]) == ["整改期限届满，请复查"], "told once"
    assert (await post_check_of(client, checker, first["application"]["id"]))["status"] == "open"

    clocked.at("2027-05-03 09:00")  # 61 days after 1 March is 1 May: the first check is late
    head, head_id = await new_staff(client, "department_head", "health_inspection")
    await run_deadline_sweeps(clocked.services)
    flagged = await post_check_of(client, head, first["application"]["id"])
    await run_deadline_sweeps(clocked.services)
    again = await post_check_of(client, head, first["application"]["id"])
    assert flagged["overdue_at"] and again["overdue_at"] == flagged["overdue_at"]
    assert await told_about(head_id, flagged["id"]) == ["告知承诺事后核查逾期"]


async def told_about(account_id: str, check_id: str) -> list[str]:
    """The titles of an account's notifications about one post-check (read from the table:
    a moved clock sends many notices at one instant, more than the inbox's newest 50)."""
    from approvals.tables import Notification

    rows = await Notification.select(Notification.title).where(
        (Notification.recipient == account_id) & (Notification.subject == f"post-checks/{check_id}")
    )
    return [r["title"] for r in rows]
