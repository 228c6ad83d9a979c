"""Shared by the review-workflow tests: a team of staff and short ways to act on a case."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from factories import login, staff_account

REVIEW_DEPARTMENTS = ("medical_administration", "radiation_health", "pharmacy_administration")


@dataclass
class Team:
    """Staff accounts of their own, so that tests never share a queue with the demo users."""

    usernames: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)

    @classmethod
    async def hire(cls) -> Team:
        team = cls()
        wanted = [
            ("window", "window_staff", "health_approval"),
            ("window2", "window_staff", "health_approval"),
            ("decider", "decision_maker", "health_approval"),
            ("approval_head", "department_head", "health_approval"),
        ]
        for dept in REVIEW_DEPARTMENTS:
            wanted += [
                (f"reviewer:{dept}", "reviewer", dept),
                (f"inspector:{dept}", "inspector", dept),
                (f"head:{dept}", "department_head", dept),
            ]
        for key, role, dept in wanted:
            team.usernames[key], team.ids[key] = await staff_account(role, dept)
        return team


class Desk:
    """One client and the team, logged in lazily (``fresh()`` after the clock moves)."""

    def __init__(self, client: Any, team: Team) -> None:
        self.client, self.team = client, team
        self._headers: dict[str, dict[str, str]] = {}

    def fresh(self) -> None:
        self._headers.clear()

    async def headers(self, who: str) -> dict[str, str]:
        if who not in self._headers:
            self._headers[who] = await login(self.client, self.team.usernames[who])
        return self._headers[who]

    async def case(self, who: str | dict[str, str], case_id: str) -> dict[str, Any]:
        headers = who if isinstance(who, dict) else await self.headers(who)
        response = await self.client.get(f"/api/applications/{case_id}", headers=headers)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def act(
        self,
        who: str | dict[str, str],
        case_id: str,
        action: str,
        body: dict[str, Any] | None = None,
        *,
        expect: int = 200,
        method: str = "POST",
    ) -> dict[str, Any]:
        """Act on the case at the version the caller sees now (unless the body names one)."""
        headers = who if isinstance(who, dict) else await self.headers(who)
        body = dict(body or {})
        if "expected_version" not in body:
            body["expected_version"] = (await self.case(headers, case_id))["row_version"]
        response = await self.client.request(
            method, f"/api/applications/{case_id}/{action}", json=body, headers=headers
        )
        assert response.status_code == expect, response.text
        return dict(response.json())

    async def tasks(self, who: str, case_id: str) -> dict[str, dict[str, Any]]:
        response = await self.client.get(
            f"/api/applications/{case_id}/reviews", headers=await self.headers(who)
        )
        assert response.status_code == 200, response.text
        return {t["department"]: t for t in response.json()}

    async def opinion(
        self,
        department: str,
        case_id: str,
        verdict: str = "pass",
        opinion: str = "符合要求",
        items: list[str] | None = None,
        *,
        expect: int = 200,
    ) -> dict[str, Any]:
        who = f"reviewer:{department}"
        task = (await self.tasks(who, case_id))[department]
        response = await self.client.post(
            f"/api/review-tasks/{task['id']}/opinion",
            json={
                "expected_version": task["row_version"],
                "verdict": verdict,
                "opinion": opinion,
                "items": items or [],
            },
            headers=await self.headers(who),
        )
        assert response.status_code == expect, response.text
        return dict(response.json())

    async def schedule(
        self, case_id: str, departments: tuple[str, ...], *, expect: int = 201
    ) -> dict[str, Any]:
        return await self.act(
            "window",
            case_id,
            "inspection",
            {
                "scheduled_for": "2026-12-03T09:30:00+08:00",
                "place": "兴庆区解放东街88号2层",
                "inspectors": [
                    {"department": d, "account_id": self.team.ids[f"inspector:{d}"]}
                    for d in departments
                ],
            },
            expect=expect,
        )

    async def inspection(self, case_id: str) -> dict[str, Any]:
        response = await self.client.get(
            f"/api/applications/{case_id}/inspection", headers=await self.headers("window")
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def record(
        self,
        department: str,
        case_id: str,
        failing: tuple[str, ...] = (),
        *,
        on_failure: str = "rectify",
        expect: int = 200,
    ) -> dict[str, Any]:
        """The department's inspector records every item it owns (only the failed ones on
        a re-inspection) and signs off."""
        inspection = await self.inspection(case_id)
        items = [i for i in inspection["checklist"] if i["department"] == department]
        if inspection["status"] == "scheduled" and inspection["outcome"] == "rectification":
            items = [i for i in items if i["result"] == "fail"]
        results = [
            {
                "code": i["code"],
                "result": "fail" if i["code"] in failing else "pass",
                "note": "未达标" if i["code"] in failing else "",
            }
            for i in items
        ]
        response = await self.client.post(
            f"/api/applications/{case_id}/inspection/results",
            json={
                "expected_version": inspection["row_version"],
                "results": results,
                "on_failure": on_failure,
            },
            headers=await self.headers(f"inspector:{department}"),
        )
        assert response.status_code == expect, response.text
        return dict(response.json())

    async def timeline(self, who: str, case_id: str) -> list[dict[str, Any]]:
        response = await self.client.get(
            f"/api/applications/{case_id}/timeline", headers=await self.headers(who)
        )
        assert response.status_code == 200, response.text
        return list(response.json())

    async def inbox(self, headers: dict[str, str]) -> list[dict[str, Any]]:
        response = await self.client.get("/api/notifications", headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        return list(body["items"] if isinstance(body, dict) else body)
