"""The working-day calendar is data an administrator loads (PRODUCT.md §3.3)."""

from __future__ import annotations

from typing import Any

from approvals.tables import AuditEntry
from factories import login

SCHEDULE_2031 = {
    "holidays": [
        {"date": "2031-01-01", "name": "元旦"},
        {"date": "2031-01-22", "name": "春节"},
        {"date": "2031-01-23", "name": "春节"},
        {"date": "2031-01-24", "name": "春节"},
    ],
    "workdays": [{"date": "2031-01-26", "name": "春节调休上班"}],  # a Sunday
    "note": "测试用安排",
}


async def test_years_the_package_knows_are_loaded_at_set_up(client: Any) -> None:
    year = (await client.get("/api/calendar/2026")).json()
    assert year["loaded"] and year["source"] == "chinesecalendar"
    assert {"date": "2026-10-10", "name": "国庆节调休上班"} in year["workdays"]
    assert {"date": "2026-10-01", "name": "国庆节"} in year["holidays"]


async def test_a_year_without_a_schedule_gives_provisional_deadlines_until_loaded(
    client: Any,
) -> None:
    before = (await client.get("/api/calendar/working-days?from=2031-01-20&days=5")).json()
    assert before["provisional"] and before["due"] == "2031-01-27"
    admin = await login(client, "admin")

    response = await client.put("/api/admin/calendar/2031", json=SCHEDULE_2031, headers=admin)

    assert response.status_code == 200, response.text
    assert response.json()["loaded"]
    after = (await client.get("/api/calendar/working-days?from=2031-01-20&days=5")).json()
    # 21 (1), holidays 22-24, Sunday 26 worked (2), 27-29 (3-5): due Wednesday 29 January.
    assert after == {"due": "2031-01-29", "provisional": False}
    entries = await AuditEntry.select(AuditEntry.action).where(AuditEntry.chain == "calendar:2031")
    assert [e["action"] for e in entries][-1] == "calendar.loaded"


async def test_a_schedule_with_mistakes_is_refused_with_every_mistake_listed(client: Any) -> None:
    admin = await login(client, "admin")
    bad = {
        "holidays": [
            {"date": "2032-01-01", "name": "元旦"},
            {"date": "2033-01-01", "name": "错年"},
        ],
        "workdays": [
            {"date": "2032-01-05", "name": "周一不是调休"},
            {"date": "2032-01-01", "name": "重复"},
        ],
    }
    response = await client.put("/api/admin/calendar/2032", json=bad, headers=admin)
    assert response.status_code == 422
    codes = sorted(e["code"] for e in response.json()["errors"])
    assert codes == ["duplicate_day", "not_a_weekend", "not_a_weekend", "wrong_year"]
    assert not (await client.get("/api/calendar/2032")).json()["loaded"]


async def test_only_administrators_load_calendars(client: Any) -> None:
    for user in ("window", "decider", "applicant"):
        headers = await login(client, user)
        response = await client.put("/api/admin/calendar/2033", json=SCHEDULE_2031, headers=headers)
        assert response.status_code == 403


async def test_a_year_outside_the_service_range_is_refused_not_looked_up(client: Any) -> None:
    admin = await login(client, "admin")
    for year in ("1999", "2101", "1125899906842624"):
        read = await client.get(f"/api/calendar/{year}")
        load = await client.put(f"/api/admin/calendar/{year}", json=SCHEDULE_2031, headers=admin)
        for response in (read, load):
            assert response.status_code == 400, response.text
            body = response.json()
            assert body["field"] == "year" or "year" in response.text
            assert body["zh"] and body["en"]


async def test_a_start_date_outside_the_service_range_is_refused(client: Any) -> None:
    for start in ("9999-05-21", "1900-01-01"):
        response = await client.get(
            "/api/calendar/working-days", params={"from": start, "days": 284}
        )
        assert response.status_code == 400, response.text
        assert response.json()["field"] == "from" and response.json()["zh"]
