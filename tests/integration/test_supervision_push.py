"""The supervision push (PRODUCT.md §3.5, REFERENCES.md §4), against real processes.

Events are pushed by ``approvals worker`` processes to a receiver process that checks
signatures with ``standardwebhooks`` and parses with the ``cloudevents`` SDK, and injects
the faults a real network and real receivers produce.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from receiver import Receiver

from approvals.clock import SystemClock
from approvals.config import settings
from approvals.persistence.engine import current_engine
from approvals.services.context import build_services
from approvals.services.delivery import fan_out
from factories import hygiene_application, login, new_applicant, new_staff
from servers import running_workers

ISSUED = "cn.gov.health.approvals.certificate.issued"
ALL_APPROVALS = "cn.gov.health.approvals.*"
FAST = {
    "APPROVALS_PUSH_RETRY_SECONDS": "0.3,0.3,0.3",
    "APPROVALS_PUSH_IDLE_SECONDS": "0.1",
    "APPROVALS_PUSH_TIMEOUT_SECONDS": "1",
}


@pytest.fixture
def allow_local_targets(monkeypatch: pytest.MonkeyPatch) -> None:
    """The receiver listens on 127.0.0.1, which the service refuses unless allowed."""
    monkeypatch.setenv("APPROVALS_PUSH_ALLOW_PRIVATE", "1")


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    with Receiver(log_dir=tmp_path) as rx:
        yield rx


class Subscriptions:
    """Subscriptions made by one test; disabled when it ends, so later tests' events do
    not pile up for receivers that are gone."""

    def __init__(self, client: Any, admin: dict[str, str]) -> None:
        self.client = client
        self.admin = admin
        self.made: list[dict[str, Any]] = []

    async def add(
        self, department: str, url: str, types: list[str] | None = None, **extra: Any
    ) -> dict[str, Any]:
        response = await self.client.post(
            "/api/admin/subscriptions",
            json={
                "department": department,
                "name": f"{department} 监管系统",
                "url": url,
                "event_types": types or [ALL_APPROVALS],
                **extra,
            },
            headers=self.admin,
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        self.made.append(body["subscription"])
        return body

    async def get(self, sub_id: str) -> dict[str, Any]:
        response = await self.client.get(f"/api/subscriptions/{sub_id}", headers=self.admin)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def close(self) -> None:
        for sub in self.made:
            current = await self.get(sub["id"])
            if current["status"] == "active":
                await self.client.patch(
                    f"/api/admin/subscriptions/{sub['id']}",
                    json={"expected_version": current["row_version"], "active": False},
                    headers=self.admin,
                )


@pytest.fixture
async def subs(client: Any, allow_local_targets: None) -> AsyncIterator[Subscriptions]:
    # Earlier tests' events are fanned out first (to no one: their subscriptions are
    # disabled), so this test's receivers see only what this test causes.
    services = build_services(settings(), SystemClock())
    while await fan_out(services):
        pass
    made = Subscriptions(client, await login(client, "admin"))
    yield made
    await made.close()


async def issue_permit(client: Any) -> dict[str, Any]:
    headers = await new_applicant(client)
    response = await client.post(
        "/api/applications", json=await hygiene_application(client), headers=headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    # The case id (the partition key of its events) beside the certificate.
    return {"id": body["application"]["id"], "certificate": body["certificate"]}


def of_case(deliveries: list[dict[str, Any]], case_id: str) -> list[dict[str, Any]]:
    return [d for d in deliveries if d["partitionkey"] == case_id]


async def deliveries_of(client: Any, admin: dict[str, str], sub_id: str) -> list[dict[str, Any]]:
    response = await client.get(
        "/api/deliveries", params={"subscription_id": sub_id, "limit": 500}, headers=admin
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_pushes_are_signed_with_the_subscription_secret_and_are_cloudevents(
    client: Any, subs: Subscriptions, tmp_path: Path, data_dir: Path
) -> None:
    admin = subs.admin
    # A receiver per department, each holding that subscription's secret.
    first = await subs.add("health_inspection", "http://127.0.0.1:9/placeholder")
    second = await subs.add("market_regulation", "http://127.0.0.1:9/placeholder", [ISSUED])
    third = await subs.add("medical_insurance", "http://127.0.0.1:9/placeholder")
    with (
        Receiver(secrets=[first["secret"]], log_dir=tmp_path / "a") as inspection_rx,
        Receiver(secrets=[second["secret"]], log_dir=tmp_path / "b") as market_rx,
        Receiver(secrets=[third["secret"]], log_dir=tmp_path / "c") as insurance_rx,
    ):
        for sub, rx in ((first, inspection_rx), (second, market_rx), (third, insurance_rx)):
            await point(client, admin, sub["subscription"], rx.url("/events"))
        case = await issue_permit(client)
        with running_workers(data_dir, 1, **FAST):
            await inspection_rx.wait_for_async(
                lambda ds: ISSUED in {d["type"] for d in of_case(ds, case["id"])}, timeout=30
            )
            await market_rx.wait_for_async(lambda ds: bool(of_case(ds, case["id"])), timeout=30)
            await asyncio.sleep(1)  # time enough for a wrong push to medical insurance
        inspection = of_case(inspection_rx.received(), case["id"])
        market = of_case(market_rx.received(), case["id"])
        assert not of_case(insurance_rx.received(), case["id"]), "not a department of this type"
        assert not inspection_rx.rejected() and not market_rx.rejected()

    # health inspection asked for every approval event: the case's events, in order.
    types = [d["type"].rsplit(".", 2)[-2] + "." + d["type"].rsplit(".", 1)[-1] for d in inspection]
    assert types[-1] == "certificate.issued" and "application.approved" in types
    assert [d["time"] for d in inspection] == sorted(d["time"] for d in inspection)
    # market regulation asked for issued certificates only.
    assert [d["type"] for d in market] == [ISSUED]
    issued = market[0]
    assert issued["webhook_id"] == issued["ce_id"]
    assert issued["source"] == "http://testserver.local"
    assert issued["subject"] == f"certificates/{case['certificate']['id']}"
    assert issued["data"]["number"] == case["certificate"]["number"]
    assert issued["content_type"] == "application/cloudevents+json"

    delivered = await deliveries_of(client, admin, second["subscription"]["id"])
    mine = [d for d in delivered if d["event_id"] == issued["ce_id"]]
    assert len(mine) == 1 and mine[0]["status"] == "delivered" and mine[0]["attempts"] == 1
    detail = (await client.get(f"/api/deliveries/{mine[0]['id']}", headers=admin)).json()
    assert [a["status_code"] for a in detail["attempts"]] == [204]


async def point(client: Any, admin: dict[str, str], sub: dict[str, Any], url: str) -> None:
    current = (await client.get(f"/api/subscriptions/{sub['id']}", headers=admin)).json()
    response = await client.patch(
        f"/api/admin/subscriptions/{sub['id']}",
        json={"expected_version": current["row_version"], "url": url},
        headers=admin,
    )
    assert response.status_code == 200, response.text


async def test_failed_pushes_are_retried_with_retry_after_honoured_and_every_attempt_logged(
    client: Any, subs: Subscriptions, tmp_path: Path, data_dir: Path
) -> None:
    made = await subs.add("market_regulation", "http://127.0.0.1:9/x", [ISSUED])
    with Receiver(secrets=[made["secret"]], log_dir=tmp_path) as rx:
        await point(client, subs.admin, made["subscription"], rx.url("/hook"))
        rx.faults(
            [
                {"action": "status", "status": 500},
                {"action": "retry_after", "status": 429, "retry_after": "2"},
                {"action": "timeout", "seconds": 3},
                {"action": "status", "status": 503},
            ]
        )
        case = await issue_permit(client)
        with running_workers(
            data_dir, 1, **{**FAST, "APPROVALS_PUSH_RETRY_SECONDS": "0.2,0.2,0.2,0.2"}
        ):
            await rx.wait_for_async(
                lambda ds: any(d["processed"] for d in of_case(ds, case["id"])), timeout=40
            )
        attempts = of_case(rx.received(), case["id"])
    assert [a["answered"] for a in attempts] == [500, 429, "timeout", 503, 204]
    assert len({a["webhook_id"] for a in attempts}) == 1, "one id across every retry"
    # Retry-After: 2 beat the schedule's 0.2 s.
    assert attempts[2]["received_at"] - attempts[1]["received_at"] >= 1.9
    delivery = next(
        d
        for d in await deliveries_of(client, subs.admin, made["subscription"]["id"])
        if d["event_id"] == attempts[0]["ce_id"]
    )
    assert delivery["status"] == "delivered" and delivery["attempts"] == 5
    log = (await client.get(f"/api/deliveries/{delivery['id']}", headers=subs.admin)).json()
    codes = [a["status_code"] for a in log["attempts"]]
    assert codes == [500, 429, None, 503, 204]
    assert "no answer within 1 s" in log["attempts"][2]["error"]


async def test_exhausted_and_refused_pushes_go_to_the_dead_letter_list_and_can_be_replayed(
    client: Any, subs: Subscriptions, tmp_path: Path, data_dir: Path
) -> None:
    made = await subs.add("market_regulation", "http://127.0.0.1:9/x", [ISSUED])
    sub_id = made["subscription"]["id"]
    with Receiver(secrets=[made["secret"]], log_dir=tmp_path) as rx:
        await point(client, subs.admin, made["subscription"], rx.url("/hook"))
        rx.faults([{"action": "status", "status": 500, "times": 3}])  # schedule: 2 retries
        first = await issue_permit(client)
        with running_workers(data_dir, 1, **{**FAST, "APPROVALS_PUSH_RETRY_SECONDS": "0.2,0.2"}):
            await rx.wait_for_async(lambda ds: len(of_case(ds, first["id"])) >= 3, timeout=30)
            rx.faults([{"action": "status", "status": 400}])  # final: a client error
            second = await issue_permit(client)
            await rx.wait_for_async(lambda ds: len(of_case(ds, second["id"])) >= 1, timeout=30)
            dead = await wait_dead(client, subs.admin, sub_id, 2)
            reasons = sorted(d["last_error"] for d in dead)
            assert reasons[0].startswith("HTTP 400")
            assert reasons[1].startswith("retries exhausted after 3: HTTP 500")

            viewer, _ = await new_staff(client, "supervisor", "market_regulation")
            refused = await client.post(
                f"/api/admin/deliveries/{dead[0]['id']}/replay", headers=viewer
            )
            assert refused.status_code == 403
            one = await client.post(
                f"/api/admin/deliveries/{dead[0]['id']}/replay", headers=subs.admin
            )
            assert one.json() == {"replayed": 1}
            again = await client.post(
                f"/api/admin/deliveries/{dead[0]['id']}/replay", headers=subs.admin
            )
            assert again.status_code == 409, "only a dead delivery is replayed"
            rest = await client.post(
                "/api/admin/deliveries/replay", json={"subscription_id": sub_id}, headers=subs.admin
            )
            assert rest.json() == {"replayed": 1}
            await rx.wait_for_async(
                lambda ds: (
                    {first["id"], second["id"]} <= {d["partitionkey"] for d in ds if d["processed"]}
                ),
                timeout=30,
            )
    statuses = {d["status"] for d in await deliveries_of(client, subs.admin, sub_id)}
    assert statuses == {"delivered"}


async def wait_dead(
    client: Any, admin: dict[str, str], sub_id: str, count: int
) -> list[dict[str, Any]]:
    for _ in range(150):
        response = await client.get(
            "/api/deliveries", params={"status": "dead", "subscription_id": sub_id}, headers=admin
        )
        items: list[dict[str, Any]] = response.json()["items"]
        if len(items) >= count:
            return items
        await asyncio.sleep(0.2)
    raise AssertionError(f"fewer than {count} dead deliveries: {items}")


async def test_a_410_disables_the_subscription_and_nothing_more_is_sent(
    client: Any, subs: Subscriptions, tmp_path: Path, data_dir: Path
) -> None:
    made = await subs.add("market_regulation", "http://127.0.0.1:9/x", [ISSUED])
    sub_id = made["subscription"]["id"]
    with Receiver(secrets=[made["secret"]], log_dir=tmp_path) as rx:
        await point(client, subs.admin, made["subscription"], rx.url("/hook"))
        rx.faults([{"action": "status", "status": 410}])
        first = await issue_permit(client)
        with running_workers(data_dir, 1, **FAST):
            await rx.wait_for_async(lambda ds: bool(of_case(ds, first["id"])), timeout=30)
            for _ in range(50):
                sub = await subs.get(sub_id)
                if sub["status"] == "disabled":
                    break
                await asyncio.sleep(0.1)
            assert sub["status"] == "disabled" and "410" in sub["disabled_reason"]
            second = await issue_permit(client)
            await asyncio.sleep(1.5)
            assert not of_case(rx.received(), second["id"]), "nothing after a 410"
            # Enabled again, the refused event goes out; what happened while it was
            # disabled was not pushed, and the pull feed has it.
            response = await client.patch(
                f"/api/admin/subscriptions/{sub_id}",
                json={"expected_version": sub["row_version"], "active": True},
                headers=subs.admin,
            )
            assert response.status_code == 200, response.text
            assert response.json()["status"] == "active" and not response.json()["disabled_reason"]
            await rx.wait_for_async(
                lambda ds: first["id"] in {d["partitionkey"] for d in ds if d["processed"]},
                timeout=30,
            )
            await asyncio.sleep(1)
            assert not of_case(rx.received(), second["id"])
    supervisor, _ = await new_staff(client, "supervisor", "market_regulation")
    feed, _ = await pull_all(client, supervisor, None)
    assert second["id"] in {e["partitionkey"] for e in feed}


async def test_a_rotated_secret_signs_beside_the_old_one_during_the_overlap(
    client: Any, subs: Subscriptions, tmp_path: Path, data_dir: Path
) -> None:
    made = await subs.add("market_regulation", "http://127.0.0.1:9/x", [ISSUED])
    sub = made["subscription"]
    rotated = await client.post(
        f"/api/admin/subscriptions/{sub['id']}/rotate-secret",
        json={"expected_version": sub["row_version"], "overlap_hours": 2},
        headers=subs.admin,
    )
    assert rotated.status_code == 201, rotated.text
    new = rotated.json()
    assert new["secret"] != made["secret"] and new["subscription"]["secrets_in_force"] == 2
    stale = await client.post(
        f"/api/admin/subscriptions/{sub['id']}/rotate-secret",
        json={"expected_version": sub["row_version"]},
        headers=subs.admin,
    )
    assert stale.status_code == 409 and "版本" in stale.json()["zh"]
    with (
        Receiver(secrets=[made["secret"]], log_dir=tmp_path / "old") as old_rx,
        Receiver(secrets=[new["secret"]], log_dir=tmp_path / "new") as new_rx,
    ):
        await point(client, subs.admin, new["subscription"], old_rx.url("/hook"))
        case = await issue_permit(client)
        with running_workers(data_dir, 1, **FAST):
            got = await old_rx.wait_for_async(lambda ds: bool(of_case(ds, case["id"])), timeout=30)
            assert of_case(got, case["id"])[0]["signatures"] == 2
            await point(client, subs.admin, new["subscription"], new_rx.url("/hook"))
            other = await issue_permit(client)
            await new_rx.wait_for_async(lambda ds: bool(of_case(ds, other["id"])), timeout=30)
        assert not old_rx.rejected() and not new_rx.rejected()


async def test_events_of_one_permit_arrive_in_order_even_when_the_first_is_retried(
    client: Any, subs: Subscriptions, tmp_path: Path, data_dir: Path
) -> None:
    made = await subs.add("health_inspection", "http://127.0.0.1:9/x")
    with Receiver(secrets=[made["secret"]], log_dir=tmp_path) as rx:
        await point(client, subs.admin, made["subscription"], rx.url("/hook"))
        case = await issue_permit(client)
        decider = await login(client, "decider")
        cert = case["certificate"]
        for action in ("suspend", "restore"):
            response = await client.post(
                f"/api/certificates/{cert['id']}/status",
                json={"action": action, "reason": "卫生监督检查后处理"},
                headers=decider,
            )
            assert response.status_code == 200, response.text
        rx.faults([{"action": "status", "status": 503, "times": 2}])
        with running_workers(data_dir, 2, **FAST):
            got = await rx.wait_for_async(
                lambda ds: (
                    "cn.gov.health.approvals.certificate.restored"
                    in {d["type"] for d in of_case(ds, case["id"]) if d["processed"]}
                ),
                timeout=40,
            )
    processed = [d for d in of_case(got, case["id"]) if d["processed"]]
    assert [d["time"] for d in processed] == sorted(d["time"] for d in processed)
    assert [d["type"].rsplit(".", 1)[-1] for d in processed][-2:] == ["suspended", "restored"]
    firsts = [d for d in of_case(got, case["id"]) if not d["processed"]]
    assert len(firsts) == 2 and firsts[0]["webhook_id"] == processed[0]["webhook_id"]


async def test_targets_on_private_or_loopback_addresses_are_refused_unless_allowed(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("APPROVALS_PUSH_ALLOW_PRIVATE", raising=False)
    admin = await login(client, "admin")
    for url in (
        "http://127.0.0.1:8080/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.5/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://localhost/hook",
        "ftp://example.org/hook",
    ):
        response = await client.post(
            "/api/admin/subscriptions",
            json={
                "department": "health_inspection",
                "name": "内网地址",
                "url": url,
                "event_types": [ALL_APPROVALS],
            },
            headers=admin,
        )
        assert response.status_code == 400, (url, response.text)
        assert response.json()["field"] == "url" and response.json()["zh"]


async def test_only_administrators_configure_and_supervisors_see_their_own_department(
    client: Any, subs: Subscriptions
) -> None:
    mine = await subs.add("medical_insurance", "http://127.0.0.1:9/a")
    theirs = await subs.add("market_regulation", "http://127.0.0.1:9/b")
    supervisor, _ = await new_staff(client, "supervisor", "medical_insurance")
    listed = (await client.get("/api/subscriptions", headers=supervisor)).json()
    assert {s["department"] for s in listed} == {"medical_insurance"}
    assert all("secret" not in s for s in listed)
    other = await client.get(
        f"/api/subscriptions/{theirs['subscription']['id']}", headers=supervisor
    )
    assert other.status_code == 404
    for headers in (supervisor, await login(client, "window"), await new_applicant(client)):
        response = await client.post(
            "/api/admin/subscriptions",
            json={
                "department": "medical_insurance",
                "name": "越权",
                "url": "http://127.0.0.1:9/",
                "event_types": [ALL_APPROVALS],
            },
            headers=headers,
        )
        assert response.status_code == 403
    applicant = await new_applicant(client)
    assert (await client.get("/api/subscriptions", headers=applicant)).status_code == 403
    assert (await client.get("/api/events", headers=applicant)).status_code == 403
    wrong_department = await client.post(
        "/api/admin/subscriptions",
        json={
            "department": "radiation_health",
            "name": "审查科室",
            "url": "http://127.0.0.1:9/",
            "event_types": [ALL_APPROVALS],
        },
        headers=subs.admin,
    )
    assert wrong_department.status_code == 400
    assert wrong_department.json()["code"] == "not_a_supervision_department"
    del mine


async def pull_all(
    client: Any, headers: dict[str, str], after: str | None
) -> tuple[list[Any], str]:
    events: list[Any] = []
    while True:
        params: dict[str, Any] = {"limit": 7}
        if after:
            params["after"] = after
        response = await client.get("/api/events", params=params, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        events += page["events"]
        if not page["events"]:
            assert page["next_cursor"] == after or after is None
            return events, page["next_cursor"]
        after = page["next_cursor"]


async def pull_until(
    client: Any, headers: dict[str, str], after: str | None, wanted: set[str]
) -> tuple[list[Any], str]:
    """The feed from ``after`` once it holds events of every case in ``wanted``. On
    PostgreSQL the feed holds back events until every older transaction *in the cluster*
    has ended (that is what makes it never skip one), so a busy neighbour delays them."""
    for _ in range(100):
        events, end = await pull_all(client, headers, after)
        if wanted <= {e["partitionkey"] for e in events}:
            return events, end
        await asyncio.sleep(0.2)
    raise AssertionError(f"the feed never showed {wanted}")


async def test_the_pull_feed_returns_every_event_once_and_only_the_department_s(
    client: Any,
) -> None:
    admin = await login(client, "admin")
    _, start = await pull_all(client, admin, None)
    cases = [await issue_permit(client) for _ in range(3)]
    events, end = await pull_until(client, admin, start, {c["id"] for c in cases})
    ids = [e["id"] for e in events]
    assert len(ids) == len(set(ids))
    assert {c["id"] for c in cases} <= {e["partitionkey"] for e in events}
    assert all(e["specversion"] == "1.0" and e["source"] for e in events)
    again, _ = await pull_all(client, admin, end)
    assert again == [], "the cursor of the last page gives nothing new"

    insurance, _ = await new_staff(client, "supervisor", "medical_insurance")
    inspection, _ = await new_staff(client, "supervisor", "health_inspection")
    theirs, _ = await pull_all(client, insurance, start)
    assert not {c["id"] for c in cases} & {e["partitionkey"] for e in theirs}
    ours, _ = await pull_all(client, inspection, start)
    assert {c["id"] for c in cases} <= {e["partitionkey"] for e in ours}

    for bad in ("nonsense", "ZTEuMS4x" + "A" * 300, "ZTIuMS4x", "\x00"):
        response = await client.get("/api/events", params={"after": bad}, headers=admin)
        assert response.status_code == 400, (bad, response.text)


async def test_the_pull_feed_never_skips_an_event_whose_transaction_commits_late(
    client: Any, engine_name: str
) -> None:
    """Serial ids are taken at insert, not at commit: a reader going by id alone could pass
    over a row whose transaction is still open. Here a transaction holds an event open
    while a later one commits; the feed must not move past the open one."""
    admin = await login(client, "admin")
    _, start = await pull_all(client, admin, None)
    insert = (
        "INSERT INTO outbox_event (event_id, type, subject, partition_key, time, data,"
        " permit_code, fanned_out) VALUES ({}, 'cn.gov.health.approvals.test.late', 'test/late',"
        " 'late', {}, '{{}}', '', {})"
    )
    if engine_name == "postgres":
        url = str(current_engine().config["dsn"])
        slow = await asyncpg.connect(url)
        tx = slow.transaction()
        await tx.start()
        await slow.execute(insert.format("gen_random_uuid()", "now()", "true"))
        later = await issue_permit(client)  # its events get larger ids and commit first
        seen, _ = await pull_all(client, admin, start)
        assert later["id"] not in {e["partitionkey"] for e in seen}, "held back, not skipped"
        await tx.commit()
        await slow.close()
    else:
        # One writer at a time: no later transaction can commit while this one is open,
        # so ids commit in order; the feed must still not show the open transaction's row.
        slow_db = sqlite3.connect(settings().sqlite_path, timeout=30)
        slow_db.execute("BEGIN IMMEDIATE")
        slow_db.execute(
            insert.format("lower(hex(randomblob(16)))", "strftime('%Y-%m-%dT%H:%M:%f','now')", "1")
        )
        seen, _ = await pull_all(client, admin, start)
        assert "late" not in {e["partitionkey"] for e in seen}
        slow_db.commit()
        slow_db.close()
        later = await issue_permit(client)
    events, _ = await pull_until(client, admin, start, {"late", later["id"]})
    keys = [e["partitionkey"] for e in events]
    assert "late" in keys and later["id"] in keys
    assert keys.index("late") < keys.index(later["id"])
