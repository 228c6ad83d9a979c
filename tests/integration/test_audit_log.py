"""The audit log shows who did what, when and why — and shows it when someone alters it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import timedelta
from typing import Any

from approvals.clock import FrozenClock, SystemClock
from approvals.config import settings
from approvals.domain.audit import AuditRecord, canonical_json
from approvals.repository.codec import from_json
from approvals.services.audit_check import seal_pending, verify_audit_log
from approvals.tables import Application, AuditEntry
from factories import hygiene_application, new_applicant


async def _filed_case(client: Any) -> list[dict[str, Any]]:
    headers = await new_applicant(client)
    created = await client.post(
        "/api/applications", json=await hygiene_application(client), headers=headers
    )
    chain = f"application:{created.json()['application']['id']}"
    return list(await AuditEntry.select().where(AuditEntry.chain == chain).order_by(AuditEntry.seq))


def _faults_at(report: Any, entry_id: int) -> list[str]:
    return [f.kind for f in report.faults if f.entry_id == entry_id]


async def test_each_entry_records_actor_time_action_target_and_reason(client: Any) -> None:
    entries = await _filed_case(client)
    submitted, approved, issued = entries
    assert submitted["action"] == "application.submitted" and submitted["actor_name"].startswith(
        "测试申请人"
    )
    assert approved["actor_name"] == "系统自动" and approved["reason"] == "告知承诺自动核验全部通过"
    assert issued["action"] == "certificate.issued" and issued["target_type"] == "certificate"
    assert [e["prev_hash"] for e in entries[1:]] == [e["entry_hash"] for e in entries[:-1]]


async def test_an_intact_log_verifies(client: Any) -> None:
    await _filed_case(client)
    report = await verify_audit_log(settings().secret)
    assert report.ok, report.summary()
    assert report.entries >= 3


async def test_an_altered_reason_is_reported_at_that_entry(client: Any) -> None:
    entries = await _filed_case(client)
    target = entries[1]
    await AuditEntry.update({AuditEntry.reason: "人工审批通过"}).where(
        AuditEntry.id == target["id"]
    )
    try:
        report = await verify_audit_log(settings().secret)
        assert "altered" in _faults_at(report, target["id"])
        assert f"entry {target['id']}" in report.summary()
    finally:
        await AuditEntry.update({AuditEntry.reason: target["reason"]}).where(
            AuditEntry.id == target["id"]
        )


async def test_a_removed_middle_entry_is_reported(client: Any) -> None:
    entries = await _filed_case(client)
    removed = entries[1]
    await AuditEntry.delete().where(AuditEntry.id == removed["id"])
    try:
        report = await verify_audit_log(settings().secret)
        assert "removed" in _faults_at(report, entries[2]["id"])
    finally:
        await AuditEntry.insert(AuditEntry(**dict(removed)))


async def test_a_removed_last_entry_is_reported_against_the_case_head(client: Any) -> None:
    entries = await _filed_case(client)
    last = entries[-1]
    await AuditEntry.delete().where(AuditEntry.id == last["id"])
    try:
        report = await verify_audit_log(settings().secret)
        assert any(f.kind == "removed" and f.chain == last["chain"] for f in report.faults)
    finally:
        await AuditEntry.insert(AuditEntry(**dict(last)))


async def test_a_seal_reveals_an_edit_whose_hashes_were_recomputed(client: Any) -> None:
    entries = await _filed_case(client)
    later = FrozenClock(SystemClock().now() + timedelta(hours=1))
    while await seal_pending(settings().secret, later):
        pass
    last = entries[-1]
    forged = AuditRecord(
        chain=last["chain"],
        seq=last["seq"],
        prev_hash=last["prev_hash"],
        at=last["at"],
        actor_id=last["actor_id"],
        actor_name="伪造的人",
        action=last["action"],
        target_type=last["target_type"],
        target_id=last["target_id"],
        reason=last["reason"],
        data_json=canonical_json(from_json(last["data"])),
    )
    new_hash = forged.computed_hash()
    application_id = last["chain"].split(":", 1)[1]
    await AuditEntry.update(
        {AuditEntry.actor_name: "伪造的人", AuditEntry.entry_hash: new_hash}
    ).where(AuditEntry.id == last["id"])
    await Application.update({Application.audit_head: new_hash}).where(
        Application.id == application_id
    )
    try:
        report = await verify_audit_log(settings().secret)
        assert not any(
            f.chain == last["chain"] for f in report.faults
        )  # the chain itself looks fine
        assert any(
            f.kind == "altered" and f.chain == "" for f in report.faults
        )  # the seal does not
    finally:
        await AuditEntry.update(
            {AuditEntry.actor_name: last["actor_name"], AuditEntry.entry_hash: last["entry_hash"]}
        ).where(AuditEntry.id == last["id"])
        await Application.update({Application.audit_head: last["entry_hash"]}).where(
            Application.id == application_id
        )


async def test_the_audit_verify_command_reports_ok_and_fails_on_an_alteration(client: Any) -> None:
    entries = await _filed_case(client)
    command = [sys.executable, "-m", "approvals.cli", "audit", "verify"]
    ok = await asyncio.to_thread(
        subprocess.run, command, env=dict(os.environ), capture_output=True, text=True, timeout=120
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "OK" in ok.stdout

    target = entries[0]
    await AuditEntry.update({AuditEntry.action: "application.withdrawn"}).where(
        AuditEntry.id == target["id"]
    )
    try:
        bad = await asyncio.to_thread(
            subprocess.run,
            command,
            env=dict(os.environ),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert bad.returncode == 2
        assert f"FIRST: entry {target['id']}" in bad.stdout or f"entry {target['id']}" in bad.stdout
    finally:
        await AuditEntry.update({AuditEntry.action: target["action"]}).where(
            AuditEntry.id == target["id"]
        )
