"""Acceptance by operation of law (行政许可法 art. 32) is kept by the database, not by a
timer in some process: a deadline that passed while no server ran fires when one starts,
once, even when two start together, and never again after a restart.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from approvals.clock import SystemClock, local_date
from factories import applicant_account, file_bundle, login
from servers import running_server

SWEEP_OFTEN = {"APPROVALS_HOUSEKEEPING_SECONDS": "0.5"}


async def _case(base: str, case_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    async with httpx.AsyncClient(base_url=base) as http:
        headers = await login(http, "window")
        case = await http.get(f"/api/applications/{case_id}", headers=headers)
        timeline = await http.get(f"/api/applications/{case_id}/timeline", headers=headers)
    return case.json(), timeline.json()


async def _time_passes(case_id: str, days: int) -> str:
    """The server was down while the days went by: the receipt (and so the intake
    deadline filed with it) is that much older."""
    from approvals.domain.clocks import intake_deadline
    from approvals.services.calendar import CalendarService
    from approvals.tables import Application

    received = local_date(SystemClock().now()) - timedelta(days=days)
    due = intake_deadline(received, await CalendarService().calendar()).due
    await Application.update({Application.received_on: received, Application.next_due: due}).where(
        Application.id == uuid.UUID(case_id)
    )
    return received.isoformat()


async def test_deemed_acceptance_fires_after_a_restart_exactly_once(
    database: None, data_dir: Path
) -> None:
    applicant = await applicant_account()
    with running_server(data_dir) as first:
        async with httpx.AsyncClient(base_url=first) as http:
            case = await file_bundle(http, await login(http, applicant))
    received = await _time_passes(case["id"], days=30)  # far more than 5 working days

    with running_server(data_dir, **SWEEP_OFTEN) as one, running_server(data_dir, **SWEEP_OFTEN):
        deadline = time.monotonic() + 30
        while (found := (await _case(one, case["id"]))[0])["status"] == "submitted":
            assert time.monotonic() < deadline, "no process accepted the case"
            await asyncio.sleep(0.3)
        await asyncio.sleep(2)  # both go on sweeping, several rounds each
    assert found["status"] == "in_review"
    assert found["accepted_on"] == received  # from the day of receipt

    with running_server(data_dir, **SWEEP_OFTEN) as restarted:
        await asyncio.sleep(2)
        after, timeline = await _case(restarted, case["id"])

    accepted = [e for e in timeline if e["action"] == "application.accepted"]
    assert len(accepted) == 1 and "第三十二条" in accepted[0]["reason"]
    assert after["row_version"] == found["row_version"]
    assert after["acceptance_no"] == found["acceptance_no"]
