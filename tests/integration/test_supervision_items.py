"""Supervision items: pushed with the event, claimed once, returned, reassigned, fed back,
reminded and escalated when nobody claims them (PRODUCT.md §3.5)."""

from __future__ import annotations

import asyncio
from typing import Any

from approvals.services.deadlines import run_deadline_sweeps
from approvals.tables import OutboxEvent
from factories import hygiene_application, login, new_applicant, new_staff

ISSUED = "cn.gov.health.approvals.certificate.issued"


async def issue_permit(client: Any) -> tuple[str, dict[str, Any]]:
    headers = await new_applicant(client)
    response = await client.post(
        "/api/applications", json=await hygiene_application(client), headers=headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return body["application"]["id"], body["certificate"]


async def items_of(client: Any, headers: dict[str, str], case_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 200}
        if cursor:
            params["cursor"] = cursor
        response = await client.get("/api/supervision-items", params=params, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        found += [i for i in page["items"] if i["application_id"] == case_id]
        cursor = page["next_cursor"]
        if not cursor:
            return found


async def test_an_issued_permit_creates_an_item_for_each_department_of_its_type_with_the_event(
    client: Any,
) -> None:
    case_id, cert = await issue_permit(client)
    admin = await login(client, "admin")
    items = await items_of(client, admin, case_id)
    # public_place_hygiene: health inspection and market regulation, 1 working day to claim.
    assert sorted(i["department"] for i in items) == ["health_inspection", "market_regulation"]
    assert {i["status"] for i in items} == {"pending"}
    assert {i["certificate_id"] for i in items} == {cert["id"]}
    event = await OutboxEvent.select(OutboxEvent.event_id).where(
        (OutboxEvent.partition_key == case_id) & (OutboxEvent.type == ISSUED)
    )
    assert {i["event_id"] for i in items} == {str(event[0]["event_id"])}
    assert all(i["claim_due"] > i["pushed_at"][:10] for i in items)
    assert all("银川" in i["title"] or i["holder_name"] for i in items)


async def test_many_supervisors_claim_one_item_at_once_and_exactly_one_wins(client: Any) -> None:
    case_id, _ = await issue_permit(client)
    supervisors = [await new_staff(client, "supervisor", "health_inspection") for _ in range(8)]
    item = (await items_of(client, supervisors[0][0], case_id))[0]

    answers = await asyncio.gather(
        *(
            client.post(f"/api/supervision-items/{item['id']}/claim", headers=headers)
            for headers, _ in supervisors
        )
    )

    codes = sorted(a.status_code for a in answers)
    assert codes == [200] + [409] * 7, [a.text for a in answers]
    winner = next(i for i, a in enumerate(answers) if a.status_code == 200)
    loser = next(a for a in answers if a.status_code == 409)
    claimed = answers[winner].json()
    assert claimed["status"] == "claimed" and claimed["claimed_by_name"]
    assert claimed["claimed_by_name"] in loser.json()["zh"], "the 409 says who has it"
    again = await client.post(
        f"/api/supervision-items/{item['id']}/claim", headers=supervisors[winner][0]
    )
    assert again.status_code == 200 and again.json()["row_version"] == claimed["row_version"]
    timeline = (
        await client.get(
            f"/api/applications/{case_id}/timeline", headers=await login(client, "window")
        )
    ).json()
    assert [e["action"] for e in timeline].count("supervision.claimed") == 1


async def test_a_supervisor_sees_and_acts_only_on_their_own_department_s_items(
    client: Any,
) -> None:
    case_id, _ = await issue_permit(client)
    insurance, _ = await new_staff(client, "supervisor", "medical_insurance")
    market, _ = await new_staff(client, "supervisor", "market_regulation")
    mine = await items_of(client, market, case_id)
    assert [i["department"] for i in mine] == ["market_regulation"]
    assert await items_of(client, insurance, case_id) == []
    forbidden = await client.get(
        "/api/supervision-items", params={"department": "market_regulation"}, headers=insurance
    )
    assert forbidden.status_code == 403
    seen = await client.get(f"/api/supervision-items/{mine[0]['id']}", headers=insurance)
    assert seen.status_code == 404
    claim = await client.post(f"/api/supervision-items/{mine[0]['id']}/claim", headers=insurance)
    assert claim.status_code == 404
    applicant = await new_applicant(client)
    assert (await client.get("/api/supervision-items", headers=applicant)).status_code == 403
    head, _ = await new_staff(client, "department_head", "market_regulation")
    by_head = await client.post(f"/api/supervision-items/{mine[0]['id']}/claim", headers=head)
    assert by_head.status_code == 403, "a head oversees; a supervisor claims"
    bad = await client.get("/api/supervision-items", params={"cursor": "bm9wZQ"}, headers=market)
    assert bad.status_code == 400


async def test_a_returned_item_is_reassigned_claimed_and_its_feedback_reaches_the_case(
    client: Any,
) -> None:
    case_id, _ = await issue_permit(client)
    market, _ = await new_staff(client, "supervisor", "market_regulation")
    item = (await items_of(client, market, case_id))[0]

    returned = await client.post(
        f"/api/supervision-items/{item['id']}/return",
        json={"expected_version": item["row_version"], "reason": "该场所由医保部门监管"},
        headers=market,
    )
    assert returned.status_code == 200, returned.text
    assert returned.json()["status"] == "returned"

    window = await login(client, "window")
    reassigned = await client.post(
        f"/api/supervision-items/{item['id']}/reassign",
        json={
            "expected_version": returned.json()["row_version"],
            "department": "medical_insurance",
        },
        headers=window,
    )
    assert reassigned.status_code == 200, reassigned.text
    assert reassigned.json()["department"] == "medical_insurance"
    assert reassigned.json()["status"] == "pending"
    twice = await client.post(
        f"/api/supervision-items/{item['id']}/reassign",
        json={
            "expected_version": returned.json()["row_version"],
            "department": "health_inspection",
        },
        headers=window,
    )
    assert twice.status_code == 409

    insurance, _ = await new_staff(client, "supervisor", "medical_insurance")
    claimed = await client.post(f"/api/supervision-items/{item['id']}/claim", headers=insurance)
    assert claimed.status_code == 200, claimed.text
    other, _ = await new_staff(client, "supervisor", "medical_insurance")
    not_theirs = await client.post(
        f"/api/supervision-items/{item['id']}/feedback",
        json={"expected_version": claimed.json()["row_version"], "result": "compliant"},
        headers=other,
    )
    assert not_theirs.status_code == 409 and "认领人" in not_theirs.json()["zh"]
    closed = await client.post(
        f"/api/supervision-items/{item['id']}/feedback",
        json={
            "expected_version": claimed.json()["row_version"],
            "result": "rectification_ordered",
            "note": "现场检查发现消毒记录不全，责令七日内整改",
        },
        headers=insurance,
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed" and closed.json()["result_name"] == "责令整改"

    timeline = (await client.get(f"/api/applications/{case_id}/timeline", headers=window)).json()
    actions = [e["action"] for e in timeline]
    for action in (
        "supervision.returned",
        "supervision.reassigned",
        "supervision.claimed",
        "supervision.feedback",
    ):
        assert action in actions
    feedback = next(e for e in timeline if e["action"] == "supervision.feedback")
    assert "责令整改" in feedback["reason"] and "消毒记录" in feedback["reason"]


async def test_bad_input_to_the_console_is_refused_with_what_to_fix(client: Any) -> None:
    case_id, _ = await issue_permit(client)
    market, _ = await new_staff(client, "supervisor", "market_regulation")
    item = (await items_of(client, market, case_id))[0]
    url = f"/api/supervision-items/{item['id']}"
    for body in (
        {"expected_version": item["row_version"], "reason": "x"},  # too short
        {"expected_version": item["row_version"], "reason": "含\x00字符"},
        {"expected_version": 0, "reason": "理由充分的退回"},
        {"reason": "理由充分的退回"},
    ):
        response = await client.post(f"{url}/return", json=body, headers=market)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["zh"] and response.json()["en"]
    response = await client.post(
        f"{url}/feedback",
        json={"expected_version": item["row_version"], "result": "maybe"},
        headers=market,
    )
    assert response.status_code == 400
    unknown = await client.post(
        "/api/supervision-items/00000000-0000-4000-8000-000000000000/claim", headers=market
    )
    assert unknown.status_code == 404


async def test_an_unclaimed_item_is_reminded_escalated_and_pressed_each_once(
    clocked: Any,
) -> None:
    client = clocked.client
    clocked.at("2026-11-30 09:00")  # Monday; claim within 1 working day: Tuesday 1 December
    case_id, _ = await issue_permit(client)
    supervisor, _ = await new_staff(client, "supervisor", "health_inspection")
    item = (await items_of(client, supervisor, case_id))[0]
    assert item["claim_due"] == "2026-12-01"

    async def sweep_at(local: str) -> tuple[dict[str, Any], str]:
        """Move the clock, sweep twice (the second must change nothing), read the item as a
        head of the department who logged in then (earlier sessions have expired)."""
        clocked.at(local)
        head, head_id = await new_staff(client, "department_head", "health_inspection")
        await run_deadline_sweeps(clocked.services)
        await run_deadline_sweeps(clocked.services)
        response = await client.get(f"/api/supervision-items/{item['id']}", headers=head)
        assert response.status_code == 200, response.text
        return dict(response.json()), head_id

    async def told(account_id: str) -> list[str]:
        """Notices about this item (from the table: a moved clock sends many at one instant,
        more than the inbox's newest 50)."""
        from approvals.tables import Notification

        rows = await Notification.select(Notification.title).where(
            (Notification.recipient == account_id)
            & (Notification.subject == f"supervision-items/{item['id']}")
        )
        return [r["title"] for r in rows]

    due_day, _ = await sweep_at("2026-12-01 08:30")
    assert due_day["reminded_at"] and not due_day["escalated_at"] and not due_day["overdue"]

    late, head = await sweep_at("2026-12-02 08:30")  # the due day has passed
    assert late["overdue"] and late["escalated_at"] and not late["supervised_at"]
    assert late["reminded_at"] == due_day["reminded_at"]
    assert await told(head) == ["监管事项逾期未认领"]

    pressed, _ = await sweep_at("2026-12-03 08:30")  # two working days after the due day
    assert pressed["supervised_at"] and pressed["escalated_at"] == late["escalated_at"]
    fresh, _ = await new_staff(client, "supervisor", "health_inspection")
    overdue = await client.get(
        "/api/supervision-items", params={"overdue": "true", "limit": 200}, headers=fresh
    )
    assert item["id"] in {i["id"] for i in overdue.json()["items"]}
