"""The review route over HTTP: intake, parallel review, joint inspection, decision, and the
一业一证 bundle ending in one combined certificate (PRODUCT.md §3.2–3.3).

Rules that depend on the passing of working days are in ``test_review_deadlines.py``,
which moves a clock.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from workflow_support import REVIEW_DEPARTMENTS, Desk, Team

from factories import (
    file_bundle,
    hygiene_application,
    internet_hospital_form,
    login,
    new_applicant,
    new_staff,
    upload_pdf,
)

ALL_THREE = {"uses_narcotics": True}  # radiology (default) + narcotics: three reviewers


@pytest.fixture(scope="module")
async def team(client: Any) -> Team:
    return await Team.hire()


@pytest.fixture
def desk(client: Any, team: Team) -> Desk:
    return Desk(client, team)


async def reviewed(desk: Desk, case_id: str) -> None:
    await desk.act("window", case_id, "accept")
    for dept in REVIEW_DEPARTMENTS:
        await desk.opinion(dept, case_id)


async def inspected(desk: Desk, case_id: str) -> None:
    await reviewed(desk, case_id)
    await desk.schedule(case_id, REVIEW_DEPARTMENTS)
    for dept in REVIEW_DEPARTMENTS:
        await desk.record(dept, case_id)


# ---- the bundle journey ------------------------------------------------------------------


async def test_the_bundle_journey_ends_in_one_combined_certificate_with_component_statuses(
    client: Any, desk: Desk
) -> None:
    applicant = await new_applicant(client)
    case = await file_bundle(client, applicant, **ALL_THREE)
    case_id = case["id"]
    assert case["status"] == "submitted"
    assert [c["code"] for c in case["components"]] == [
        "practice_licence",
        "radiation_diagnosis",
        "narcotic_card",
    ]

    accepted = await desk.act("window", case_id, "accept")
    assert accepted["status"] == "in_review"
    assert accepted["acceptance_no"].startswith("银审受字〔")
    assert accepted["promised_due"] and accepted["statutory_due"]
    clocks = (await client.get(f"/api/applications/{case_id}/clocks", headers=applicant)).json()
    assert clocks["promised"]["limit_days"] == 12  # 一业一证: 12 working days from acceptance
    assert clocks["statutory"]["limit_days"] == 20  # 行政许可法 art. 42

    tasks = await desk.tasks("window", case_id)
    assert set(tasks) == set(REVIEW_DEPARTMENTS)  # parallel: every department at once
    await desk.opinion("medical_administration", case_id)
    await desk.opinion(
        "radiation_health", case_id, "inspect", "需核查防护", ["机房防护门铅当量", "警示标识"]
    )
    await desk.opinion("pharmacy_administration", case_id)
    assert (await desk.case("window", case_id))["status"] == "inspection"

    inspection = await desk.schedule(case_id, REVIEW_DEPARTMENTS)
    codes = {i["code"] for i in inspection["checklist"]}
    assert {"premises_layout", "radiation_shielding", "narcotic_storage"} <= codes
    assert {"radiation_health-1", "radiation_health-2"} <= codes  # the reviewer's items
    assert "maternal_facilities" not in codes  # that component does not apply
    for dept in REVIEW_DEPARTMENTS:
        signed = await desk.record(dept, case_id)
        assert dept in signed["signoffs"]
    assert signed["status"] == "completed" and signed["outcome"] == "passed"
    assert "联合现场核查报告" in signed["report"]

    decided = await desk.act("decider", case_id, "decision", {"approve": True})
    assert decided["status"] == "approved"
    [certificate] = decided["certificates"]
    assert certificate["licence_name"].startswith("医疗机构执业许可证")
    components = {c["code"]: c for c in certificate["components"]}
    assert set(components) == {"practice_licence", "radiation_diagnosis", "narcotic_card"}
    assert {c["status"] for c in components.values()} == {"valid"}

    suspended = await client.post(
        f"/api/certificates/{certificate['id']}/status",
        headers=await desk.headers("decider"),
        json={
            "action": "suspend",
            "reason": "放射诊疗设备检测不合格",
            "component": "radiation_diagnosis",
        },
    )
    assert suspended.status_code == 200, suspended.text
    statuses = {c["code"]: c["status"] for c in suspended.json()["components"]}
    assert statuses == {
        "practice_licence": "valid",
        "radiation_diagnosis": "suspended",
        "narcotic_card": "valid",
    }  # one component alone
    verdict = (await client.post("/api/verify", json={"token": certificate["token"]})).json()
    assert verdict["verdict"] == "valid"  # the licence itself still stands
    shown = {c["name"]: c["status"] for c in verdict["components"]}
    assert shown["放射诊疗许可"] == "suspended" and shown["医疗机构执业许可"] == "valid"

    actions = [e["action"] for e in await desk.timeline("window", case_id)]
    for expected in (
        "application.submitted",
        "application.accepted",
        "review.decided",
        "inspection.scheduled",
        "inspection.recorded",
        "inspection.completed",
        "application.approved",
        "certificate.issued",
    ):
        assert expected in actions, (expected, actions)


async def test_the_internet_hospital_is_accepted_on_filing_under_commitment_with_a_5_day_promise(
    client: Any, desk: Desk
) -> None:
    applicant = await new_applicant(client)
    spec = (await client.get("/api/catalogue/internet_hospital")).json()
    material = await upload_pdf(client, applicant)
    slots = [m["slot"] for m in spec["definition"]["materials"] if m["required"]]
    response = await client.post(
        "/api/applications",
        headers=applicant,
        json={
            "permit_code": "internet_hospital",
            "form": internet_hospital_form(),
            "materials": {slot: [material] for slot in slots},
            "commitment": {
                "accepted": True,
                "signer_name": "马建国",
                "text_sha256": spec["commitment_text_sha256"],
            },
        },
    )
    assert response.status_code == 201, response.text
    case = response.json()["application"]

    assert case["status"] == "in_review"  # commitment-based intake: no waiting at the window
    assert case["accepted_on"] == case["received_on"]
    clocks = (await client.get(f"/api/applications/{case['id']}/clocks", headers=applicant)).json()
    assert clocks["promised"]["limit_days"] == 5
    tasks = await desk.tasks("window", case["id"])
    assert set(tasks) == {"medical_administration", "health_informatics"}


# ---- intake (受理) -------------------------------------------------------------------------


async def test_art32_refusing_to_accept_gives_reasons_and_the_applicants_rights(
    client: Any, desk: Desk
) -> None:
    applicant = await new_applicant(client)
    case = await file_bundle(client, applicant)

    await desk.act("window", case["id"], "refuse", {"reasons": ""}, expect=400)
    refused = await desk.act(
        "window", case["id"], "refuse", {"reasons": "申请事项依法不需要取得行政许可"}
    )

    assert refused["status"] == "not_accepted"
    [notice] = [n for n in await desk.inbox(applicant) if "不予受理" in n["title"]]
    assert "申请事项依法不需要取得行政许可" in notice["body"]
    assert "行政复议" in notice["body"] and "行政诉讼" in notice["body"]


async def test_art32_the_correction_notice_is_sent_once_and_lists_every_item(
    client: Any, desk: Desk
) -> None:
    applicant = await new_applicant(client)
    case = await file_bundle(client, applicant)
    items = [
        {"target": "form.building_area", "what": "建筑面积与租赁合同不一致"},
        {"target": "materials.floor_plan", "what": "平面图未标明放射诊疗场所"},
    ]

    noticed = await desk.act("window", case["id"], "corrections", {"items": items})

    assert noticed["status"] == "awaiting_correction"
    assert noticed["correction_items"] == items
    [notice] = [n for n in await desk.inbox(applicant) if "补正告知" in n["title"]]
    assert "建筑面积与租赁合同不一致" in notice["body"] and "平面图未标明" in notice["body"]
    clocks = (await client.get(f"/api/applications/{case['id']}/clocks", headers=applicant)).json()
    assert clocks["promised"] is None  # not accepted: no review clock runs yet

    form = dict(noticed["form"], building_area="380")
    staff_try = await desk.act("window", case["id"], "resubmit", {"form": form}, expect=403)
    assert staff_try["code"] == "forbidden"
    resubmitted = await desk.act(applicant, case["id"], "resubmit", {"form": form})
    assert resubmitted["status"] == "submitted"
    assert resubmitted["form"]["building_area"] == "380"

    again = await desk.act("window", case["id"], "corrections", {"items": items}, expect=409)
    assert again["code"] == "correction_already_requested"
    accepted = await desk.act("window", case["id"], "accept")
    assert accepted["status"] == "in_review"


async def test_intake_is_for_the_approval_window_of_the_cases_department(
    client: Any, desk: Desk
) -> None:
    applicant = await new_applicant(client)
    case = await file_bundle(client, applicant)

    await desk.act(applicant, case["id"], "accept", expect=403)
    await desk.act("reviewer:medical_administration", case["id"], "accept", expect=403)
    other_window, _ = await new_staff(client, "window_staff", "medical_administration")
    await desk.act(other_window, case["id"], "accept", expect=403)
    assert (await desk.case("window", case["id"]))["status"] == "submitted"


async def test_two_clerks_accepting_at_once_one_wins_and_the_other_hears_what_changed(
    client: Any, desk: Desk
) -> None:
    case = await file_bundle(client, await new_applicant(client))
    version = case["row_version"]

    first, second = await asyncio.gather(
        desk.client.post(
            f"/api/applications/{case['id']}/accept",
            json={"expected_version": version},
            headers=await desk.headers("window"),
        ),
        desk.client.post(
            f"/api/applications/{case['id']}/accept",
            json={"expected_version": version},
            headers=await desk.headers("window2"),
        ),
    )

    assert sorted([first.status_code, second.status_code]) == [200, 409]
    loser = (first if first.status_code == 409 else second).json()
    assert "审查中" in loser["zh"] and f"版本 {version + 1}" in loser["zh"]
    assert f"version {version + 1}" in loser["en"]
    accepted = [
        e
        for e in await desk.timeline("window", case["id"])
        if e["action"] == "application.accepted"
    ]
    assert len(accepted) == 1


# ---- parallel review (并联审查) --------------------------------------------------------------


async def test_review_moves_on_only_when_every_department_has_answered(
    client: Any, desk: Desk
) -> None:
    case = await file_bundle(client, await new_applicant(client), **ALL_THREE)
    await desk.act("window", case["id"], "accept")

    for dept in REVIEW_DEPARTMENTS[:-1]:
        await desk.opinion(dept, case["id"])
        assert (await desk.case("window", case["id"]))["status"] == "in_review"
    await desk.opinion(REVIEW_DEPARTMENTS[-1], case["id"])

    assert (await desk.case("window", case["id"]))["status"] == "inspection"


async def test_a_failing_opinion_must_give_reasons_and_sends_the_case_to_decision(
    client: Any, desk: Desk
) -> None:
    case = await file_bundle(client, await new_applicant(client), **ALL_THREE)
    await desk.act("window", case["id"], "accept")

    bare = await desk.opinion("radiation_health", case["id"], "fail", "", expect=400)
    assert bare["code"] == "reasons_required" and bare["field"] == "opinion"
    items = await desk.opinion("radiation_health", case["id"], "inspect", "看看", [], expect=400)
    assert items["code"] == "items_required"
    await desk.opinion("radiation_health", case["id"], "fail", "机房屏蔽设计不符合GBZ 130要求")
    await desk.opinion("medical_administration", case["id"])
    await desk.opinion("pharmacy_administration", case["id"])

    after = await desk.case("window", case["id"])
    assert after["status"] == "awaiting_decision"  # no inspection when a department refused
    task = (await desk.tasks("window", case["id"]))["radiation_health"]
    assert task["status"] == "failed" and "GBZ 130" in task["opinion"]


async def test_a_department_answers_only_its_own_review_and_only_once(
    client: Any, desk: Desk
) -> None:
    case = await file_bundle(client, await new_applicant(client), **ALL_THREE)
    await desk.act("window", case["id"], "accept")
    task = (await desk.tasks("window", case["id"]))["radiation_health"]
    body = {"expected_version": task["row_version"], "verdict": "pass", "opinion": "同意"}

    wrong = await client.post(
        f"/api/review-tasks/{task['id']}/opinion",
        json=body,
        headers=await desk.headers("reviewer:medical_administration"),
    )
    assert wrong.status_code == 403
    await desk.opinion("radiation_health", case["id"])
    twice = await client.post(
        f"/api/review-tasks/{task['id']}/opinion",
        json=body,
        headers=await desk.headers("reviewer:radiation_health"),
    )
    assert twice.status_code == 409


async def test_a_department_lists_its_open_review_tasks_most_urgent_first(
    client: Any, desk: Desk
) -> None:
    for _ in range(3):
        case = await file_bundle(client, await new_applicant(client))
        await desk.act("window", case["id"], "accept")
    headers = await desk.headers("reviewer:radiation_health")

    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        response = await client.get(
            "/api/review-tasks",
            headers=headers,
            params={"limit": 2, **({"cursor": cursor} if cursor else {})},
        )
        assert response.status_code == 200, response.text
        seen += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
    assert len(seen) >= 3 and len({t["id"] for t in seen}) == len(seen)
    assert {t["department"] for t in seen} == {"radiation_health"}
    assert [t["due_on"] for t in seen] == sorted(t["due_on"] for t in seen)
    other = await client.get(
        "/api/review-tasks", headers=headers, params={"department": "medical_administration"}
    )
    assert other.status_code == 403


# ---- joint inspection (联合现场核查) ---------------------------------------------------------


async def test_the_inspection_needs_an_inspector_from_every_department_on_the_checklist(
    client: Any, desk: Desk
) -> None:
    case = await file_bundle(client, await new_applicant(client), **ALL_THREE)
    await reviewed(desk, case["id"])

    refused = await desk.schedule(case["id"], REVIEW_DEPARTMENTS[:1], expect=422)
    assert "radiation_health" in refused["zh"]
    await desk.schedule(case["id"], REVIEW_DEPARTMENTS)
    again = await desk.schedule(case["id"], REVIEW_DEPARTMENTS, expect=409)
    assert again["code"] == "already_scheduled"


async def test_only_the_appointed_inspector_of_a_department_signs_for_it(
    client: Any, desk: Desk
) -> None:
    case = await file_bundle(client, await new_applicant(client), **ALL_THREE)
    await reviewed(desk, case["id"])
    await desk.schedule(case["id"], REVIEW_DEPARTMENTS)
    inspection = await desk.inspection(case["id"])
    stranger, _ = await new_staff(client, "inspector", "radiation_health")
    items = [
        {"code": i["code"], "result": "pass"}
        for i in inspection["checklist"]
        if i["department"] == "radiation_health"
    ]

    response = await client.post(
        f"/api/applications/{case['id']}/inspection/results",
        headers=stranger,
        json={"expected_version": inspection["row_version"], "results": items},
    )

    assert response.status_code == 403
    assert (await desk.inspection(case["id"]))["signoffs"] == {}


async def test_failed_items_lead_to_a_rectification_deadline_and_a_reinspection(
    client: Any, desk: Desk
) -> None:
    applicant = await new_applicant(client)
    case = await file_bundle(client, applicant, **ALL_THREE)
    await reviewed(desk, case["id"])
    await desk.schedule(case["id"], REVIEW_DEPARTMENTS)
    await desk.record("medical_administration", case["id"])
    await desk.record("radiation_health", case["id"], failing=("radiation_shielding",))
    await desk.record("pharmacy_administration", case["id"])

    after = await desk.case("window", case["id"])
    inspection = await desk.inspection(case["id"])
    assert after["status"] == "rectification"
    assert inspection["outcome"] == "rectification" and inspection["rectification_due"]
    assert "radiation_health" not in inspection["signoffs"]  # signs again after re-inspection
    clocks = (await client.get(f"/api/applications/{case['id']}/clocks", headers=applicant)).json()
    assert clocks["statutory"]["state"] == "paused"  # rectification time is not counted
    assert [p["reason"] for p in clocks["pauses"] if p["ended_on"] is None] == ["rectification"]
    [notice] = [n for n in await desk.inbox(applicant) if n["title"] == "限期整改通知"]
    assert inspection["rectification_due"].replace("-", "")[:4] in notice["body"]

    await desk.record("radiation_health", case["id"])  # only the failed item is re-checked
    done = await desk.inspection(case["id"])
    assert done["status"] == "completed" and done["outcome"] == "passed"
    after = await desk.case("window", case["id"])
    assert after["status"] == "awaiting_decision"
    clocks = (await client.get(f"/api/applications/{case['id']}/clocks", headers=applicant)).json()
    assert all(p["ended_on"] for p in clocks["pauses"])


async def test_failed_items_may_lead_straight_to_a_decision_to_deny(
    client: Any, desk: Desk
) -> None:
    case = await file_bundle(client, await new_applicant(client), **ALL_THREE)
    await reviewed(desk, case["id"])
    await desk.schedule(case["id"], REVIEW_DEPARTMENTS)
    await desk.record(
        "medical_administration", case["id"], failing=("infection_control",), on_failure="deny"
    )
    await desk.record("radiation_health", case["id"])
    await desk.record("pharmacy_administration", case["id"])

    inspection = await desk.inspection(case["id"])
    assert inspection["outcome"] == "failed"
    assert (await desk.case("window", case["id"]))["status"] == "awaiting_decision"


# ---- decision (决定) -----------------------------------------------------------------------


async def test_art38_a_denial_carries_its_reasons_and_the_rights_of_review_and_litigation(
    client: Any, desk: Desk
) -> None:
    applicant = await new_applicant(client)
    case = await file_bundle(client, applicant, **ALL_THREE)
    await inspected(desk, case["id"])

    await desk.act("window", case["id"], "decision", {"approve": False, "reasons": "x"}, expect=403)
    bare = await desk.act("decider", case["id"], "decision", {"approve": False}, expect=400)
    assert bare["code"] == "reasons_required"
    denied = await desk.act(
        "decider",
        case["id"],
        "decision",
        {"approve": False, "reasons": "卫生技术人员配备不符合基本标准"},
    )

    assert denied["status"] == "denied" and denied["certificates"] == []
    assert denied["decision_reasons"] == "卫生技术人员配备不符合基本标准"
    [notice] = [n for n in await desk.inbox(applicant) if "不予行政许可" in n["title"]]
    assert "卫生技术人员配备不符合基本标准" in notice["body"]
    assert "六十日内" in notice["body"] and "行政诉讼" in notice["body"]


async def test_art42_one_extension_of_ten_working_days_with_the_decision_makers_reasons(
    client: Any, desk: Desk
) -> None:
    applicant = await new_applicant(client)
    case = await file_bundle(client, applicant)
    accepted = await desk.act("window", case["id"], "accept")

    await desk.act("window", case["id"], "extension", {"reasons": "需专家论证"}, expect=403)
    await desk.act("decider", case["id"], "extension", {"reasons": ""}, expect=400)
    extended = await desk.act(
        "decider", case["id"], "extension", {"reasons": "涉及放射防护专家论证"}
    )
    second = await desk.act("decider", case["id"], "extension", {"reasons": "再延"}, expect=409)

    assert extended["extension_days"] == 10
    assert extended["statutory_due"] > accepted["statutory_due"]
    assert second["code"] == "already_extended"
    clocks = (await client.get(f"/api/applications/{case['id']}/clocks", headers=applicant)).json()
    assert clocks["statutory"]["limit_days"] == 30
    assert any("延长审查期限" in n["title"] for n in await desk.inbox(applicant))


async def test_art45_a_pause_is_on_the_ledger_and_the_timeline_and_is_resumed_once(
    client: Any, desk: Desk
) -> None:
    applicant = await new_applicant(client)
    case = await file_bundle(client, applicant)
    await desk.act("window", case["id"], "accept")

    await desk.act(
        "decider", case["id"], "pauses", {"reason": "expert_review", "note": "组织放射防护专家评审"}
    )
    twice = await desk.act(
        "decider", case["id"], "pauses", {"reason": "expert_review", "note": "再停"}, expect=409
    )
    clocks = (await client.get(f"/api/applications/{case['id']}/clocks", headers=applicant)).json()
    await desk.act("decider", case["id"], "pauses/resume", {"reason": "expert_review"})
    await desk.act("decider", case["id"], "pauses/resume", {"reason": "expert_review"}, expect=409)
    await desk.act(
        applicant, case["id"], "pauses", {"reason": "testing", "note": "检测"}, expect=403
    )

    assert twice["code"] == "already_paused"
    assert clocks["statutory"]["state"] == "paused"
    [pause] = clocks["pauses"]
    assert pause["reason_name"] == "专家评审" and pause["note"] == "组织放射防护专家评审"
    assert pause["ended_on"] is None
    actions = [e["action"] for e in await desk.timeline("window", case["id"])]
    assert "clock.paused" in actions and "clock.resumed" in actions


# ---- the staff queue -------------------------------------------------------------------------


async def test_the_queue_filters_pages_by_deadline_and_assigns(client: Any, desk: Desk) -> None:
    applicant = await new_applicant(client)
    ids = [(await file_bundle(client, applicant))["id"] for _ in range(3)]
    window = await desk.headers("window")
    assigned = await desk.act(
        "window", ids[0], "assignee", {"account_id": desk.team.ids["window"]}, method="PUT"
    )
    assert assigned["assignee"] == desk.team.ids["window"]

    mine = (await client.get("/api/queue", headers=window, params={"assignee": "me"})).json()[
        "items"
    ]
    assert [c["id"] for c in mine] == [ids[0]]

    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"status": "submitted", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/api/queue", headers=window, params=params)).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert set(ids) <= {c["id"] for c in seen}
    assert len({c["id"] for c in seen}) == len(seen)
    keys = [(c["next_due"], c["id"]) for c in seen]
    assert keys == sorted(keys)
    assert {c["status"] for c in seen} == {"submitted"}
    assert {c["department"] for c in seen} == {"health_approval"}

    unassigned = (
        await client.get(
            "/api/queue",
            headers=window,
            params={"assignee": "none", "status": "submitted", "limit": 200},
        )
    ).json()["items"]
    assert ids[0] not in {c["id"] for c in unassigned}
    assert {ids[1], ids[2]} <= {c["id"] for c in unassigned}


async def test_the_queue_and_assignment_are_for_staff_of_the_department(
    client: Any, desk: Desk
) -> None:
    applicant = await new_applicant(client)
    case = await file_bundle(client, applicant)

    assert (await client.get("/api/queue", headers=applicant)).status_code == 403
    reviewer = await desk.headers("reviewer:radiation_health")
    other = await client.get(
        "/api/queue", headers=reviewer, params={"department": "health_approval"}
    )
    assert other.status_code == 403
    bad = await client.get(
        "/api/queue", headers=await desk.headers("window"), params={"assignee": "somebody"}
    )
    assert bad.status_code == 400 and bad.json()["field"] == "assignee"
    elsewhere = await desk.act(
        "window",
        case["id"],
        "assignee",
        {"account_id": desk.team.ids["reviewer:radiation_health"]},
        method="PUT",
        expect=422,
    )
    assert elsewhere["code"] == "other_department"
    applicant_id = (await client.get("/api/auth/me", headers=applicant)).json()["id"]
    not_staff = await desk.act(
        "window", case["id"], "assignee", {"account_id": applicant_id}, method="PUT", expect=422
    )
    assert not_staff["code"] == "not_staff"


async def test_an_applicant_sees_only_their_own_case_workflow(client: Any, desk: Desk) -> None:
    owner = await new_applicant(client)
    case = await file_bundle(client, owner)
    await desk.act("window", case["id"], "accept")
    stranger = await new_applicant(client)

    for path in ("clocks", "reviews", "timeline"):
        response = await client.get(f"/api/applications/{case['id']}/{path}", headers=stranger)
        assert response.status_code == 404, path
        assert (
            await client.get(f"/api/applications/{case['id']}/{path}", headers=owner)
        ).status_code == 200


async def test_workflow_input_that_is_wrong_is_a_clear_4xx(client: Any, desk: Desk) -> None:
    case = await file_bundle(client, await new_applicant(client))
    window = await desk.headers("window")
    url = f"/api/applications/{case['id']}"

    wrong_type = await client.post(
        f"{url}/accept", json={"expected_version": "one"}, headers=window
    )
    nul = await client.post(
        f"{url}/refuse", json={"expected_version": 1, "reasons": "a\x00b"}, headers=window
    )
    malformed = await client.post(
        f"{url}/accept", content=b"{", headers={**window, "Content-Type": "application/json"}
    )
    unknown = await client.post(
        "/api/applications/00000000-0000-0000-0000-000000000000/accept",
        json={"expected_version": 1},
        headers=window,
    )
    stale = await client.post(f"{url}/accept", json={"expected_version": 99}, headers=window)
    forged = await client.post(
        f"{url}/accept", json={"expected_version": 1}, headers={"Authorization": "Bearer forged"}
    )
    extra = await client.post(
        f"{url}/accept", json={"expected_version": 1, "as": "admin"}, headers=window
    )

    assert [r.status_code for r in (wrong_type, nul, malformed, unknown, stale, forged, extra)] == [
        400,
        400,
        400,
        404,
        409,
        401,
        400,
    ]
    for response in (wrong_type, nul, unknown, stale):
        body = response.json()
        assert body["zh"] and body["en"]
    assert (await desk.case("window", case["id"]))["status"] == "submitted"


async def test_demo_staff_work_the_hygiene_route_too(client: Any) -> None:
    """The hygiene permit is issued on filing; nothing waits in the queue for it."""
    applicant = await new_applicant(client)
    created = await client.post(
        "/api/applications", json=await hygiene_application(client), headers=applicant
    )
    window = await login(client, "window")
    queue = (await client.get("/api/queue", headers=window, params={"limit": 200})).json()
    assert created.json()["application"]["id"] not in {c["id"] for c in queue["items"]}
