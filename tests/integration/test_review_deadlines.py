"""Rules about the passing of working days, on a second app whose clock the test moves.

Dates are real: Monday 30 November 2026 is the day of receipt; December 2026 has no
public holiday; 2027 has no loaded schedule in the seeded calendar, so deadlines that
reach into it count weekends only and are marked provisional.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from workflow_support import Desk, Team

from approvals.services.context import build_services
from approvals.services.deadlines import run_deadline_sweeps
from factories import (
    applicant_account,
    file_bundle,
    internet_hospital_form,
    login,
    new_applicant,
    upload_pdf,
)

MONDAY = "2026-11-30 09:00"


@pytest.fixture(scope="module")
async def team(clocked: Any) -> Team:
    return await Team.hire()


@pytest.fixture
def desk(clocked: Any, team: Team) -> Desk:
    clocked.at(MONDAY)
    return Desk(clocked.client, team)


async def at(clocked: Any, desk: Desk, local: str) -> None:
    """Move the clock; sessions from before are long expired, so everyone logs in again."""
    clocked.at(local)
    desk.fresh()


async def actions(desk: Desk, case_id: str, name: str) -> list[dict[str, Any]]:
    return [e for e in await desk.timeline("window", case_id) if e["action"] == name]


async def clocks(desk: Desk, case_id: str) -> dict[str, Any]:
    response = await desk.client.get(
        f"/api/applications/{case_id}/clocks", headers=await desk.headers("window")
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


# ---- art. 32: acceptance by operation of law ----------------------------------------------


async def test_art32_silence_for_five_working_days_means_accepted_from_the_day_of_receipt(
    clocked: Any, desk: Desk
) -> None:
    applicant = await applicant_account()
    case = await file_bundle(clocked.client, await login(clocked.client, applicant))
    assert case["received_on"] == "2026-11-30"
    assert case["next_due"] == "2026-12-07"  # the fifth working day: the notice's last day

    await at(clocked, desk, "2026-12-07 17:30")
    await run_deadline_sweeps(clocked.services)
    assert (await desk.case("window", case["id"]))["status"] == "submitted"

    await at(clocked, desk, "2026-12-08 08:00")
    await run_deadline_sweeps(clocked.services)
    deemed = await desk.case("window", case["id"])
    assert deemed["status"] == "in_review"
    assert deemed["accepted_on"] == "2026-11-30"  # from the day of receipt, not today
    assert deemed["acceptance_no"]
    assert deemed["promised_due"] == "2026-12-16"  # 12 working days from 30 November
    [accepted] = await actions(desk, case["id"], "application.accepted")
    assert "第三十二条" in accepted["reason"] and accepted["actor_name"] == "系统自动"
    inbox = await desk.inbox(await login(clocked.client, applicant))
    assert any("依法视为受理" in n["body"] for n in inbox)

    version = deemed["row_version"]
    await run_deadline_sweeps(clocked.services)  # again: nothing more happens
    assert (await desk.case("window", case["id"]))["row_version"] == version
    assert len(await actions(desk, case["id"], "application.accepted")) == 1


async def test_art32_two_sweepers_at_once_accept_a_case_exactly_once(
    clocked: Any, desk: Desk
) -> None:
    from approvals.config import settings

    case = await file_bundle(clocked.client, await new_applicant(clocked.client))
    await at(clocked, desk, "2026-12-09 10:00")
    other_process = build_services(settings(), clocked.clock)

    await asyncio.gather(run_deadline_sweeps(clocked.services), run_deadline_sweeps(other_process))

    assert (await desk.case("window", case["id"]))["status"] == "in_review"
    assert len(await actions(desk, case["id"], "application.accepted")) == 1
    assert len(await desk.tasks("window", case["id"])) == 2  # review opened once


async def test_art32_no_correction_notice_after_the_fifth_working_day(
    clocked: Any, desk: Desk
) -> None:
    case = await file_bundle(clocked.client, await new_applicant(clocked.client))
    await at(clocked, desk, "2026-12-08 08:30")  # before any sweep has run today

    late = await desk.act(
        "window",
        case["id"],
        "corrections",
        {"items": [{"target": "form.building_area", "what": "面积有误"}]},
        expect=409,
    )
    accepted = await desk.act("window", case["id"], "accept")

    assert late["code"] == "intake_period_over"
    assert accepted["accepted_on"] == "2026-11-30"  # the law counts it from receipt anyway


async def test_art32_a_correction_notice_stops_the_intake_clock_until_resubmission(
    clocked: Any, desk: Desk
) -> None:
    applicant_name = await applicant_account()
    applicant = await login(clocked.client, applicant_name)
    case = await file_bundle(clocked.client, applicant)
    await at(clocked, desk, "2026-12-02 10:00")
    noticed = await desk.act(
        "window",
        case["id"],
        "corrections",
        {"items": [{"target": "form.building_area", "what": "面积与租赁合同不一致"}]},
    )
    assert noticed["next_due"] is None  # the applicant's turn: no intake deadline runs

    await at(clocked, desk, "2026-12-21 09:00")
    await run_deadline_sweeps(clocked.services)
    assert (await desk.case("window", case["id"]))["status"] == "awaiting_correction"
    applicant = await login(clocked.client, applicant_name)
    resubmitted = await desk.act(
        applicant, case["id"], "resubmit", {"form": dict(noticed["form"], building_area="380")}
    )
    assert resubmitted["received_on"] == "2026-12-21"
    assert resubmitted["next_due"] == "2026-12-28"  # five working days from the new receipt


# ---- review limits and escalation ------------------------------------------------------------


async def test_a_co_review_past_its_limit_goes_to_the_department_head_once(
    clocked: Any, desk: Desk
) -> None:
    case = await file_bundle(
        clocked.client, await new_applicant(clocked.client), uses_narcotics=True
    )
    await desk.act("window", case["id"], "accept")
    tasks = await desk.tasks("window", case["id"])
    assert {t["due_on"] for t in tasks.values()} == {"2026-12-07"}  # five working days
    await desk.opinion("medical_administration", case["id"])  # answered in time

    await at(clocked, desk, "2026-12-08 09:00")
    await run_deadline_sweeps(clocked.services)
    await run_deadline_sweeps(clocked.services)

    tasks = await desk.tasks("window", case["id"])
    assert not tasks["medical_administration"]["escalated"]
    assert tasks["radiation_health"]["escalated"] and tasks["pharmacy_administration"]["escalated"]
    escalations = await actions(desk, case["id"], "review.escalated")
    assert len(escalations) == 2  # one each, however often the sweep runs
    for dept in ("radiation_health", "pharmacy_administration"):
        inbox = await desk.inbox(await desk.headers(f"head:{dept}"))
        mine = [n for n in inbox if case["number"] in n["body"] and n["title"] == "审查逾期督办"]
        assert len(mine) == 1, dept
    head = await desk.inbox(await desk.headers("head:medical_administration"))
    assert not [n for n in head if case["number"] in n["body"]]
    assert (await desk.case("window", case["id"]))["status"] == "in_review"  # never silent consent


# ---- the two clocks ---------------------------------------------------------------------------


async def test_the_promised_clock_is_on_time_then_due_soon_then_overdue(
    clocked: Any, desk: Desk
) -> None:
    case = await file_bundle(clocked.client, await new_applicant(clocked.client))
    await desk.act("window", case["id"], "accept")
    assert (await clocks(desk, case["id"]))["promised"]["state"] == "on_time"

    await at(clocked, desk, "2026-12-14 09:00")
    reading = (await clocks(desk, case["id"]))["promised"]
    assert (reading["state"], reading["used_days"], reading["remaining_days"]) == (
        "due_soon",
        10,
        2,
    )

    await at(clocked, desk, "2026-12-17 09:00")
    reading = await clocks(desk, case["id"])
    assert reading["promised"]["state"] == "overdue" and reading["promised"]["due"] == "2026-12-16"
    assert reading["statutory"]["state"] == "on_time"  # the law's 20 days still run
    overdue = await desk.client.get(
        "/api/queue",
        headers=await desk.headers("window"),
        params={"overdue": "true", "limit": 200, "status": "in_review"},
    )
    assert case["id"] in {c["id"] for c in overdue.json()["items"]}


async def test_art42_the_extension_adds_ten_working_days_and_a_year_without_schedule_is_provisional(
    clocked: Any, desk: Desk
) -> None:
    case = await file_bundle(clocked.client, await new_applicant(clocked.client))
    accepted = await desk.act("window", case["id"], "accept")
    assert accepted["statutory_due"] == "2026-12-28"  # 20 working days (art. 42)
    assert accepted["due_provisional"] is False

    extended = await desk.act("decider", case["id"], "extension", {"reasons": "需专家论证"})

    # Ten more: 29, 30, 31 December, then 2027 — no schedule loaded, so weekends only
    # (1 January counts as a working day until the State Council's schedule is loaded).
    assert extended["statutory_due"] == "2027-01-11"
    assert extended["due_provisional"] is True
    assert (await clocks(desk, case["id"]))["statutory"]["provisional"] is True


async def test_art45_paused_working_days_are_not_counted(clocked: Any, desk: Desk) -> None:
    case = await file_bundle(clocked.client, await new_applicant(clocked.client))
    await desk.act("window", case["id"], "accept")
    await at(clocked, desk, "2026-12-01 10:00")
    await desk.act(
        "decider", case["id"], "pauses", {"reason": "testing", "note": "委托检测机构检测"}
    )

    await at(clocked, desk, "2026-12-03 10:00")
    paused = await clocks(desk, case["id"])
    assert paused["statutory"]["state"] == "paused"
    await at(clocked, desk, "2026-12-04 10:00")
    resumed = await desk.act("decider", case["id"], "pauses/resume", {"reason": "testing"})
    reading = await clocks(desk, case["id"])

    assert reading["statutory"]["paused_days"] == 3  # 2, 3 and 4 December
    assert reading["statutory"]["due"] == "2026-12-31"  # 28 December + 3 working days
    assert resumed["statutory_due"] == "2026-12-31"
    assert reading["statutory"]["used_days"] == 1  # 1 December only
    [pause] = reading["pauses"]
    assert (pause["started_on"], pause["ended_on"], pause["reason_name"]) == (
        "2026-12-01",
        "2026-12-04",
        "检验检测",
    )


async def test_the_internet_hospital_promise_is_five_working_days_from_filing(
    clocked: Any, desk: Desk
) -> None:
    applicant = await new_applicant(clocked.client)
    spec = (await clocked.client.get("/api/catalogue/internet_hospital")).json()
    material = await upload_pdf(clocked.client, applicant)
    response = await clocked.client.post(
        "/api/applications",
        headers=applicant,
        json={
            "permit_code": "internet_hospital",
            "form": internet_hospital_form(),
            "materials": {
                m["slot"]: [material] for m in spec["definition"]["materials"] if m["required"]
            },
            "commitment": {
                "accepted": True,
                "signer_name": "马建国",
                "text_sha256": spec["commitment_text_sha256"],
            },
        },
    )
    assert response.status_code == 201, response.text
    case = response.json()["application"]
    assert (case["accepted_on"], case["promised_due"]) == ("2026-11-30", "2026-12-07")
    assert set(await desk.tasks("window", case["id"])) == {
        "medical_administration",
        "health_informatics",
    }
