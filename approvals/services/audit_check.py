"""Verifying and sealing the audit log (the rules are in approvals.domain.audit)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from approvals.clock import Clock
from approvals.domain import audit
from approvals.domain.audit import GENESIS, ChainHead, Fault, Seal
from approvals.domain.events import DomainEvent
from approvals.persistence.statements import WriteBatch
from approvals.persistence.transactions import is_unique_violation, transaction
from approvals.repository import audit as repo
from approvals.repository import outbox as outbox_repo
from approvals.services.audit_log import outgoing
from approvals.tables import Application

# Entries younger than this are not sealed yet: a transaction that allocated a
# lower id may still be about to commit (PostgreSQL's statement and idle
# timeouts bound a transaction's life to well under this).
SEAL_MARGIN = timedelta(minutes=2)
SEAL_BLOCK = 5000
# The service seals about once a minute; an entry older than this and still unsealed
# means seals were deleted (or the sealer has not been running).
UNSEALED_ALARM = timedelta(hours=1)


def seal_key(secret: bytes) -> bytes:
    return hashlib.sha256(b"approvals/audit-seal/v1\x00" + secret).digest()


@dataclass
class Report:
    entries: int = 0
    chains: int = 0
    seals: int = 0
    faults: list[Fault] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.faults

    def summary(self) -> str:
        head = f"checked {self.entries} entries in {self.chains} chains and {self.seals} seals"
        if self.ok:
            return f"{head}: OK, no alteration found"
        ordered = sorted(self.faults, key=lambda f: (f.entry_id is None, f.entry_id or 0))
        first = ordered[0]
        lines = [
            f"{head}: {len(self.faults)} problem(s)",
            f"FIRST: entry {first.entry_id} ({first.chain or 'sealed block'}): "
            f"{first.kind} — {first.detail}",
        ]
        lines += [
            f"  entry {f.entry_id} ({f.chain or 'sealed block'}): {f.kind} — {f.detail}"
            for f in ordered[1:20]
        ]
        return "\n".join(lines)


async def _aggregate_heads() -> dict[str, ChainHead]:
    heads = await repo.chain_heads()
    rows = await Application.select(Application.id, Application.audit_seq, Application.audit_head)
    for row in rows:
        heads[f"application:{row['id']}"] = ChainHead(row["audit_seq"], row["audit_head"])
    return heads


async def verify_audit_log(secret: bytes, now: datetime | None = None) -> Report:
    report = Report()
    now = now or datetime.now(UTC)
    oldest_unsealed: audit.AuditRecord | None = None
    heads = await _aggregate_heads()
    by_chain: dict[str, list[audit.AuditRecord]] = {}
    async for batch in repo.iter_entries():
        for entry in batch:
            by_chain.setdefault(entry.chain, []).append(entry)
            report.entries += 1
    sealed_up_to = 0
    for chain in sorted(set(by_chain) | set(heads)):
        entries = sorted(by_chain.get(chain, []), key=lambda e: (e.seq, e.id or 0))
        report.faults.extend(audit.check_chain(chain, entries, heads.get(chain)))
        report.chains += 1
    key = seal_key(secret)
    prev = GENESIS
    expected_first = None
    for seal in await repo.all_seals():
        entries = await repo.entries_between(seal.first_entry_id, seal.last_entry_id)
        report.faults.extend(audit.check_seal(seal, prev, entries, key))
        if expected_first is not None and seal.first_entry_id <= expected_first - 1:
            report.faults.append(Fault(seal.first_entry_id, "", "seal_forged", "seals overlap"))
        prev, expected_first = seal.seal_hash, seal.last_entry_id + 1
        sealed_up_to = seal.last_entry_id
        report.seals += 1
    # Seals cover a contiguous id range and the sealer stops at the first young entry, so
    # only the first unsealed entry can be overdue: one behind a young entry (a clock that
    # stood elsewhere when it was written) is waiting its turn, not missing its seal.
    for entries in by_chain.values():
        for entry in entries:
            if (entry.id or 0) > sealed_up_to and (
                oldest_unsealed is None or (entry.id or 0) < (oldest_unsealed.id or 0)
            ):
                oldest_unsealed = entry
    if oldest_unsealed is not None and oldest_unsealed.at >= now - UNSEALED_ALARM:
        oldest_unsealed = None
    if oldest_unsealed is not None:
        report.faults.append(
            Fault(
                oldest_unsealed.id,
                oldest_unsealed.chain,
                "unsealed",
                f"not sealed although written at {oldest_unsealed.at:%Y-%m-%d %H:%M} UTC: seals "
                "were removed, or the sealer has not run (`approvals audit seal`)",
            )
        )
    return report


async def _publish_seal(seal: Seal) -> None:
    event = DomainEvent(
        "audit.sealed",
        seal.sealed_at,
        "system",
        data={
            "first_entry_id": seal.first_entry_id,
            "last_entry_id": seal.last_entry_id,
            "entry_count": seal.entry_count,
            "seal_hash": seal.seal_hash,
        },
    )
    batch = WriteBatch()
    outbox_repo.stage_events(
        batch,
        [
            outgoing(
                event,
                subject=f"audit/seals/{seal.last_entry_id}",
                partition_key="audit",
                data=event.data,
            )
        ],
    )
    await batch.commit()


async def seal_pending(secret: bytes, clock: Clock) -> Seal | None:
    """Seal the next block of entries older than the margin; None if there are none."""
    cutoff = clock.now() - SEAL_MARGIN
    try:
        async with transaction():
            last = await repo.last_seal()
            after = last.last_entry_id if last else 0
            entries = []
            async for batch in repo.iter_entries(after_id=after, batch=SEAL_BLOCK):
                entries = [e for e in batch if e.at < cutoff]
                # Stop at the first young entry: seals cover a contiguous id range.
                young = next((i for i, e in enumerate(batch) if e.at >= cutoff), None)
                if young is not None:
                    entries = batch[:young]
                break
            if not entries:
                return None
            seal = audit.make_seal(
                entries, last.seal_hash if last else GENESIS, clock.now(), seal_key(secret)
            )
            await repo.insert_seal(seal)
            # Published like any event: copies of the seal chain held outside this
            # database are what make a rewritten seal chain detectable.
            await _publish_seal(seal)
            return seal
    except Exception as exc:
        if is_unique_violation(exc):
            return None  # another process sealed the same block first
        raise
