"""The supervision loop's figures for a seeded period match a hand count (PRODUCT.md §4).

The periods (February and June 2027) are on the app whose clock the tests move; no other
test writes in them.
"""

from __future__ import annotations

from typing import Any

from factories import hygiene_application, login, new_applicant, new_staff, upload_pdf

PERIOD = {"from": "2027-02-01", "to": "2027-02-28"}


async def issue(client: Any) -> str:
    holder = await new_applicant(client)
    response = await client.post(
        "/api/applications", json=await hygiene_application(client), headers=holder
    )
    assert response.status_code == 201, response.text
    return str(response.json()["application"]["id"])


async def item_of(client: Any, headers: dict[str, str], case_id: str) -> dict[str, Any]:
    response = await client.get("/api/supervision-items", params={"limit": 200}, headers=headers)
    return next(i for i in response.json()["items"] if i["application_id"] == case_id)


async def check_of(client: Any, headers: dict[str, str], case_id: str) -> dict[str, Any]:
    response = await client.get("/api/post-checks", params={"limit": 500}, headers=headers)
    return next(c for c in response.json() if c["application_id"] == case_id)


async def test_the_figures_of_a_period_match_a_hand_count(clocked: Any) -> None:
    client = clocked.client
    clocked.at("2027-02-01 09:00")  # Monday: items due to be claimed by Tuesday 2 February
    cases = [await issue(client) for _ in range(4)]
    supervisor, _ = await new_staff(client, "supervisor", "health_inspection")
    first, second, third, fourth = [await item_of(client, supervisor, c) for c in cases]
    assert {i["claim_due"] for i in (first, second, third, fourth)} == {"2027-02-02"}

    # 1st: claimed on time and fed back. 3rd: returned as not ours. 4th: left alone.
    claimed = await client.post(f"/api/supervision-items/{first['id']}/claim", headers=supervisor)
    await client.post(
        f"/api/supervision-items/{first['id']}/feedback",
        json={"expected_version": claimed.json()["row_version"], "result": "compliant"},
        headers=supervisor,
    )
    returned = await client.post(
        f"/api/supervision-items/{third['id']}/return",
        json={"expected_version": third["row_version"], "reason": "不属于本部门监管范围"},
        headers=supervisor,
    )
    assert returned.status_code == 200, returned.text
    # Post-checks: the 1st fulfilled, the 2nd found false, the others not done yet.
    evidence = await upload_pdf(client, supervisor)
    for case_id, result in ((cases[0], "fulfilled"), (cases[1], "false")):
        check = await check_of(client, supervisor, case_id)
        response = await client.post(
            f"/api/post-checks/{check['id']}/result",
            json={
                "expected_version": check["row_version"],
                "result": result,
                "evidence": [evidence],
            },
            headers=supervisor,
        )
        assert response.status_code == 200, response.text

    # 2nd: claimed late, on Thursday 4 February.
    clocked.at("2027-02-04 10:00")
    late, _ = await new_staff(client, "supervisor", "health_inspection")
    response = await client.post(f"/api/supervision-items/{second['id']}/claim", headers=late)
    assert response.status_code == 200, response.text

    admin = await login(client, "admin")
    response = await client.get("/api/metrics/supervision", params=PERIOD, headers=admin)
    assert response.status_code == 200, response.text
    figures = {d["department"]: d for d in response.json()["departments"]}
    inspection = figures["health_inspection"]
    assert {
        k: inspection[k]
        for k in (
            "pushed",
            "claimed",
            "claimed_on_time",
            "fed_back",
            "closed",
            "overdue_unclaimed",
            "post_checks",
            "post_checks_done",
            "found_false",
        )
    } == {
        "pushed": 4,
        "claimed": 2,
        "claimed_on_time": 1,
        "fed_back": 1,
        "closed": 1,
        "overdue_unclaimed": 1,
        "post_checks": 4,
        "post_checks_done": 2,
        "found_false": 1,
    }
    assert inspection["claim_rate"] == 0.5  # 认领率 2/4
    assert inspection["on_time_claim_rate"] == 0.25  # 及时认领率 1/4
    assert inspection["feedback_rate"] == 0.5  # 反馈率 1/2 claimed
    assert inspection["closed_loop_rate"] == 0.25  # 闭环率 1/4
    assert inspection["post_check_completion_rate"] == 0.5  # 核查完成率 2/4
    assert inspection["false_commitment_rate"] == 0.5  # 承诺不实率 1/2
    market = figures["market_regulation"]
    assert market["pushed"] == 4 and market["claimed"] == 0 and market["claim_rate"] == 0.0
    assert market["post_checks"] == 0 and market["post_check_completion_rate"] is None

    # A supervisor sees their own department's figures only; applicants none.
    own = await client.get("/api/metrics/supervision", params=PERIOD, headers=late)
    assert [d["department"] for d in own.json()["departments"]] == ["health_inspection"]
    other = await client.get(
        "/api/metrics/supervision",
        params={**PERIOD, "department": "market_regulation"},
        headers=late,
    )
    assert other.status_code == 403
    applicant = await new_applicant(client)
    assert (
        await client.get("/api/metrics/supervision", params=PERIOD, headers=applicant)
    ).status_code == 403
    backwards = await client.get(
        "/api/metrics/supervision", params={"from": "2027-03-01", "to": "2027-02-01"}, headers=admin
    )
    assert backwards.status_code == 400 and backwards.json()["zh"]
    for params in (
        {"from": "2027-01-01", "to": "9999-12-31"},
        {"from": "0001-01-01", "to": "2027-01-01"},
    ):
        response = await client.get("/api/metrics/supervision", params=params, headers=admin)
        assert response.status_code == 400, response.text
    # The month before holds none of this.
    before = await client.get(
        "/api/metrics/supervision",
        params={"from": "2027-01-25", "to": "2027-01-31", "department": "health_inspection"},
        headers=admin,
    )
    assert before.json()["departments"][0]["pushed"] == 0


async def test_the_approval_figures_of_a_period_match_a_hand_count(clocked: Any) -> None:
    client = clocked.client
    clocked.at("2027-06-15 10:00")  # no other test files in June 2027 on this app
    for _ in range(3):
        await issue(client)
    decider = await login(client, "decider")
    response = await client.get(
        "/api/metrics/approvals", params={"from": "2027-06-01", "to": "2027-06-30"}, headers=decider
    )
    assert response.status_code == 200, response.text
    figures = {f["permit_code"]: f for f in response.json()["permit_types"]}
    hygiene = figures["public_place_hygiene"]
    assert (hygiene["filed"], hygiene["decided"], hygiene["approved"]) == (3, 3, 3)
    assert hygiene["on_the_spot"] == 3 and hygiene["on_the_spot_rate"] == 1.0  # 即办率
    # 5 minutes promised against the law's 20 working days of 8 hours: 1 - (5/480)/20.
    assert hygiene["compression_ratio"] == round(1 - (5 / 480) / 20, 4)  # 承诺时限压缩比
    assert hygiene["average_handling_days"] == 0 and hygiene["worst_handling_days"] == 0
    window = await login(client, "window")
    refused = await client.get(
        "/api/metrics/approvals", params={"from": "2027-06-01", "to": "2027-06-30"}, headers=window
    )
    assert refused.status_code == 403
