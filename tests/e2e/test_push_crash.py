"""Workers killed with SIGKILL at chosen points lose nothing (PRODUCT.md §3.5).

Each phase starts workers that kill themselves at a named point — right after leasing,
after a request was answered but before the answer was recorded, after recording — and
the receivers drop connections after processing and answer 500 now and then. At the end
clean workers finish the work. Every committed event must have reached every subscriber
that wants it; after removing duplicates by id, each receiver's set equals the committed
set, and every delivery in the database is delivered.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from receiver import Receiver

from approvals.clock import SystemClock
from approvals.config import settings
from approvals.services.context import build_services
from approvals.services.delivery import fan_out
from factories import hygiene_application, login, new_applicant
from servers import Worker, running_workers

ISSUED = "cn.gov.health.approvals.certificate.issued"
CASES_PER_PHASE = 4  # per doomed worker
ENV = {
    "APPROVALS_PUSH_RETRY_SECONDS": "0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2",
    "APPROVALS_PUSH_IDLE_SECONDS": "0.05",
    "APPROVALS_PUSH_TIMEOUT_SECONDS": "2",
    "APPROVALS_PUSH_LEASE_SECONDS": "1.5",  # a dead worker's leases run out quickly
    "APPROVALS_PUSH_CONCURRENCY": "4",
}


async def subscribe(client: Any, admin: dict[str, str], department: str, types: list[str]) -> Any:
    response = await client.post(
        "/api/admin/subscriptions",
        json={
            "department": department,
            "name": f"{department} 崩溃测试",
            "url": "http://127.0.0.1:9/later",
            "event_types": types,
        },
        headers=admin,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def set_subscription(
    client: Any, admin: dict[str, str], sub_id: str, **change: Any
) -> dict[str, Any]:
    current = (await client.get(f"/api/subscriptions/{sub_id}", headers=admin)).json()
    response = await client.patch(
        f"/api/admin/subscriptions/{sub_id}",
        json={"expected_version": current["row_version"], **change},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def committed(client: Any, admin: dict[str, str], cases: set[str]) -> list[dict[str, Any]]:
    """Every event of these cases, from the pull feed (the committed set)."""
    events: list[dict[str, Any]] = []
    after = None
    while True:
        params: dict[str, Any] = {"limit": 500}
        if after:
            params["after"] = after
        page = (await client.get("/api/events", params=params, headers=admin)).json()
        events += [e for e in page["events"] if e["partitionkey"] in cases]
        if not page["events"]:
            return events
        after = page["next_cursor"]


async def all_delivered(client: Any, admin: dict[str, str], made: list[Any]) -> bool:
    for sub in made:
        response = await client.get(
            "/api/deliveries",
            params={"subscription_id": sub["subscription"]["id"], "status": "pending"},
            headers=admin,
        )
        if response.json()["items"]:
            return False
    return True


def died_by_sigkill(worker: Worker, timeout: float = 45) -> bool:
    deadline = time.monotonic() + timeout
    while worker.process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    return worker.process.returncode == -9


async def test_workers_killed_at_any_point_lose_no_event_and_duplicates_share_an_id(
    client: Any,
    data_dir: Path,
    engine_name: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APPROVALS_PUSH_ALLOW_PRIVATE", "1")
    services = build_services(settings(), SystemClock())
    while await fan_out(services):  # earlier tests' events: to no one (their subs are off)
        pass
    admin = await login(client, "admin")
    inspection = await subscribe(client, admin, "health_inspection", ["cn.gov.health.approvals.*"])
    market = await subscribe(client, admin, "market_regulation", [ISSUED])
    with (
        Receiver(secrets=[inspection["secret"]], log_dir=tmp_path / "i") as inspection_rx,
        Receiver(secrets=[market["secret"]], log_dir=tmp_path / "m") as market_rx,
    ):
        await set_subscription(
            client, admin, inspection["subscription"]["id"], url=inspection_rx.url("/hook")
        )
        await set_subscription(client, admin, market["subscription"]["id"], url=market_rx.url("/h"))
        for rx in (inspection_rx, market_rx):
            rx.faults(
                [
                    {"action": "drop_after_processing", "times": 3},
                    {"action": "status", "status": 500, "times": 2},
                    {"action": "drop_after_processing", "times": 2},
                ]
            )
        cases: set[str] = set()

        async def file(count: int) -> None:
            for _ in range(count):
                headers = await new_applicant(client)
                response = await client.post(
                    "/api/applications", json=await hygiene_application(client), headers=headers
                )
                assert response.status_code == 201, response.text
                cases.add(response.json()["application"]["id"])

        # Workers that die at chosen points: on PostgreSQL several at once. Each phase
        # files new cases first, so that the doomed workers have work to die in.
        at_once = 3 if engine_name == "postgres" else 1
        for point in ("after_lease:1", "after_send:2", "after_record:2", "after_send:5"):
            await file(CASES_PER_PHASE * at_once)
            doomed = [
                Worker(data_dir, f"doomed-{i}", {**ENV, "APPROVALS_PUSH_FAILPOINT": point})
                for i in range(at_once)
            ]
            try:
                assert all(died_by_sigkill(w) for w in doomed), [w.log_tail() for w in doomed]
            finally:
                for worker in doomed:
                    worker.stop()

        # The feed may hold back the newest events while an older transaction anywhere in
        # the cluster is open (that is how it never skips one): wait until all are there.
        for _ in range(100):
            expected = await committed(client, admin, cases)
            if len({e["partitionkey"] for e in expected if e["type"] == ISSUED}) == len(cases):
                break
            await asyncio.sleep(0.2)
        want_inspection = {e["id"] for e in expected}
        want_market = {e["id"] for e in expected if e["type"] == ISSUED}
        assert len(want_market) == len(cases) and len(want_inspection) > len(cases)

        with running_workers(data_dir, at_once, **ENV):
            for rx, wanted in ((inspection_rx, want_inspection), (market_rx, want_market)):
                await rx.wait_for_async(
                    lambda ds, wanted=wanted: (
                        wanted <= {d["webhook_id"] for d in ds if d["processed"]}
                    ),
                    timeout=90,
                )
            # A delivery a receiver processed but whose answer was dropped is sent again
            # (and recorded) a moment later: wait for the database to say so.
            for _ in range(300):
                if await all_delivered(client, admin, [inspection, market]):
                    break
                await asyncio.sleep(0.2)

        for rx, wanted in ((inspection_rx, want_inspection), (market_rx, want_market)):
            processed = [d for d in rx.received() if d["processed"] and d["partitionkey"] in cases]
            assert {d["webhook_id"] for d in processed} == wanted
            assert all(d["webhook_id"] == d["ce_id"] for d in processed)
        duplicates = sum(
            len([d for d in rx.received() if d["processed"]])
            - len({d["webhook_id"] for d in rx.received() if d["processed"]})
            for rx in (inspection_rx, market_rx)
        )
        assert duplicates > 0, "the crashes and dropped answers must have caused resends"

    for made in (inspection, market):
        sub_id = made["subscription"]["id"]
        response = await client.get(
            "/api/deliveries", params={"subscription_id": sub_id, "limit": 500}, headers=admin
        )
        statuses = {d["status"] for d in response.json()["items"]}
        assert statuses == {"delivered"}, statuses
        await set_subscription(client, admin, sub_id, active=False)
