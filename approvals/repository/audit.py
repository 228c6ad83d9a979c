"""Audit entries and chain heads."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from approvals.domain.audit import AuditRecord, ChainHead, Seal, canonical_json
from approvals.persistence.statements import WriteBatch
from approvals.repository.codec import as_utc, from_json
from approvals.tables import AuditChainHead, AuditEntry, AuditSeal


def stage_entries(batch: WriteBatch, records: Sequence[AuditRecord]) -> None:
    for r in records:
        batch.add(
            AuditEntry,
            {
                "chain": r.chain,
                "seq": r.seq,
                "prev_hash": r.prev_hash,
                "entry_hash": r.entry_hash,
                "at": r.at,
                "actor_id": r.actor_id,
                "actor_name": r.actor_name,
                "action": r.action,
                "target_type": r.target_type,
                "target_id": r.target_id,
                "reason": r.reason,
                "data": r.data_json,
            },
        )


def _record(row: dict[str, Any]) -> AuditRecord:
    # PostgreSQL's JSONB keeps the parsed value, not our text (it reorders keys and
    # adds spaces); the hash covers the canonical encoding, so re-encode canonically.
    try:
        data = canonical_json(from_json(row["data"]))
    except ValueError:  # unreadable data: keep the raw text, so the hash check reports it
        data = str(row["data"])
    return AuditRecord(
        id=row["id"],
        chain=row["chain"],
        seq=row["seq"],
        prev_hash=row["prev_hash"],
        entry_hash=row["entry_hash"],
        at=as_utc(row["at"]),
        actor_id=row["actor_id"],
        actor_name=row["actor_name"],
        action=row["action"],
        target_type=row["target_type"],
        target_id=row["target_id"],
        reason=row["reason"],
        data_json=data,
    )


async def entries_for_chain(chain: str) -> list[AuditRecord]:
    rows = await AuditEntry.select().where(AuditEntry.chain == chain).order_by(AuditEntry.seq)
    return [_record(row) for row in rows]


async def iter_entries(after_id: int = 0, batch: int = 2000) -> AsyncIterator[list[AuditRecord]]:
    """All entries in id order, a batch at a time (keyset, so it stays fast)."""
    last = after_id
    while True:
        rows = (
            await AuditEntry.select()
            .where(AuditEntry.id > last)
            .order_by(AuditEntry.id)
            .limit(batch)
        )
        if not rows:
            return
        yield [_record(row) for row in rows]
        last = rows[-1]["id"]


async def entries_between(first_id: int, last_id: int) -> list[AuditRecord]:
    rows = (
        await AuditEntry.select()
        .where((AuditEntry.id >= first_id) & (AuditEntry.id <= last_id))
        .order_by(AuditEntry.id)
    )
    return [_record(row) for row in rows]


async def lock_chain_head(chain: str) -> ChainHead:
    """The head of a chain kept in AuditChainHead, locked for this transaction.

    Creating the row first and then updating it takes the row lock on
    PostgreSQL (SQLite's writer lock already serialises us).
    """
    await AuditChainHead.raw(
        "INSERT INTO audit_chain_head (chain, seq, entry_hash) VALUES ({}, 0, {}) "
        "ON CONFLICT (chain) DO NOTHING",
        chain,
        "0" * 64,
    )
    rows = await AuditChainHead.raw(
        "UPDATE audit_chain_head SET seq = seq WHERE chain = {} RETURNING seq, entry_hash", chain
    )
    return ChainHead(seq=rows[0]["seq"], entry_hash=rows[0]["entry_hash"])


async def save_chain_head(chain: str, head: ChainHead) -> None:
    await AuditChainHead.update(
        {AuditChainHead.seq: head.seq, AuditChainHead.entry_hash: head.entry_hash}
    ).where(AuditChainHead.chain == chain)


async def chain_heads() -> dict[str, ChainHead]:
    rows = await AuditChainHead.select()
    return {r["chain"]: ChainHead(r["seq"], r["entry_hash"]) for r in rows}


async def last_seal() -> Seal | None:
    rows = await AuditSeal.select().order_by(AuditSeal.id, ascending=False).limit(1)
    return _seal(rows[0]) if rows else None


async def all_seals() -> list[Seal]:
    return [_seal(r) for r in await AuditSeal.select().order_by(AuditSeal.id)]


async def insert_seal(seal: Seal) -> None:
    await AuditSeal.insert(
        AuditSeal(
            first_entry_id=seal.first_entry_id,
            last_entry_id=seal.last_entry_id,
            entry_count=seal.entry_count,
            entries_digest=seal.entries_digest,
            prev_seal_hash=seal.prev_seal_hash,
            seal_hash=seal.seal_hash,
            sealed_at=seal.sealed_at,
        )
    )


def _seal(row: dict[str, Any]) -> Seal:
    return Seal(
        first_entry_id=row["first_entry_id"],
        last_entry_id=row["last_entry_id"],
        entry_count=row["entry_count"],
        entries_digest=row["entries_digest"],
        prev_seal_hash=row["prev_seal_hash"],
        sealed_at=as_utc(row["sealed_at"]),
        seal_hash=row["seal_hash"],
    )
