"""The tamper-evident audit log, as pure functions.

Entries form **one hash chain per case** (``application:<id>``) or per other
aggregate (``account:<id>``, ``key:<kid>``): each entry's hash covers its
content and the previous entry's hash, and the aggregate's row keeps the head.
Chains are independent, so writes to different cases never wait on one
another; a system-wide chain would serialise every write in the service.

Per-chain links reveal an entry that was altered, inserted or removed in the
middle of a chain. To reveal the removal of a chain's tail (or of a whole
chain) and edits by someone who recomputed the plain hashes, a background task
**seals** blocks of entries in id order: a seal holds the count and a digest of
the block's entry hashes and is keyed with an HMAC under the service secret,
chained to the previous seal. Someone with write access to the database but not
the secret cannot forge a seal.

Hash input (UTF-8 of the JSON array, no spaces): ``[chain, seq, prev_hash,
at, actor_id, actor_name, action, target_type, target_id, reason, data]``
where ``at`` is UTC ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` and ``data`` is the stored
JSON text of the entry's data.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec

GENESIS = "0" * 64
_encoder = msgspec.json.Encoder(order="deterministic")


def canonical_json(value: Any) -> str:
    return _encoder.encode(value).decode()


def format_instant(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class AuditRecord:
    chain: str
    seq: int
    prev_hash: str
    at: datetime
    actor_id: str
    actor_name: str
    action: str
    target_type: str
    target_id: str
    reason: str
    data_json: str
    entry_hash: str = ""
    id: int | None = None  # assigned by the database

    def computed_hash(self) -> str:
        material = [
            self.chain,
            self.seq,
            self.prev_hash,
            format_instant(self.at),
            self.actor_id,
            self.actor_name,
            self.action,
            self.target_type,
            self.target_id,
            self.reason,
            self.data_json,
        ]
        return hashlib.sha256(_encoder.encode(material)).hexdigest()


@dataclass(frozen=True)
class ChainHead:
    seq: int
    entry_hash: str


def append(
    head: ChainHead,
    *,
    chain: str,
    at: datetime,
    actor_id: str,
    actor_name: str,
    action: str,
    target_type: str,
    target_id: str,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> AuditRecord:
    """The next entry of ``chain`` after ``head``, with its hash filled in."""
    draft = AuditRecord(
        chain=chain,
        seq=head.seq + 1,
        prev_hash=head.entry_hash,
        at=at,
        actor_id=actor_id,
        actor_name=actor_name,
        action=action,
        target_type=target_type,
        target_id=target_id,
        reason=reason,
        data_json=canonical_json(data or {}),
    )
    return _with_hash(draft)


def _with_hash(record: AuditRecord) -> AuditRecord:
    return AuditRecord(**{**record.__dict__, "entry_hash": record.computed_hash()})


EMPTY_HEAD = ChainHead(seq=0, entry_hash=GENESIS)


@dataclass(frozen=True)
class Fault:
    """Something wrong in the log; ``entry_id`` is where it shows."""

    entry_id: int | None
    chain: str
    kind: str  # altered | inserted | removed | unsealed_gap | seal_forged
    detail: str


def check_chain(
    chain: str, entries: Sequence[AuditRecord], head: ChainHead | None
) -> Iterator[Fault]:
    """Faults in one chain; ``entries`` sorted by seq, ``head`` as the aggregate keeps it."""
    expected_seq, expected_prev = 1, GENESIS
    for entry in entries:
        if entry.seq != expected_seq:
            kind = "removed" if entry.seq > expected_seq else "inserted"
            yield Fault(entry.id, chain, kind, f"expected seq {expected_seq}, found {entry.seq}")
        if entry.prev_hash != expected_prev:
            yield Fault(entry.id, chain, "inserted", "previous-hash link broken")
        if entry.computed_hash() != entry.entry_hash:
            yield Fault(entry.id, chain, "altered", "content does not match its hash")
        expected_seq, expected_prev = entry.seq + 1, entry.entry_hash
    if head is not None and (head.seq, head.entry_hash) != (expected_seq - 1, expected_prev):
        last_id = entries[-1].id if entries else None
        yield Fault(
            last_id, chain, "removed", f"chain ends at seq {expected_seq - 1}, head says {head.seq}"
        )


# -- seals -------------------------------------------------------------------


@dataclass(frozen=True)
class Seal:
    first_entry_id: int
    last_entry_id: int
    entry_count: int
    entries_digest: str
    prev_seal_hash: str
    sealed_at: datetime
    seal_hash: str = ""


def block_digest(entries: Iterable[AuditRecord]) -> tuple[int, str]:
    digest = hashlib.sha256()
    count = 0
    for entry in entries:
        digest.update(f"{entry.id}:{entry.entry_hash}\n".encode())
        count += 1
    return count, digest.hexdigest()


def seal_hash(seal: Seal, key: bytes) -> str:
    material = canonical_json(
        [
            seal.first_entry_id,
            seal.last_entry_id,
            seal.entry_count,
            seal.entries_digest,
            seal.prev_seal_hash,
            format_instant(seal.sealed_at),
        ]
    )
    return hmac.new(key, material.encode(), hashlib.sha256).hexdigest()


def make_seal(
    entries: Sequence[AuditRecord], prev_seal_hash: str, sealed_at: datetime, key: bytes
) -> Seal:
    count, digest = block_digest(entries)
    first, last = entries[0].id, entries[-1].id
    if first is None or last is None:
        raise ValueError("only stored entries (with ids) can be sealed")
    seal = Seal(first, last, count, digest, prev_seal_hash, sealed_at)
    return Seal(**{**seal.__dict__, "seal_hash": seal_hash(seal, key)})


def check_seal(
    seal: Seal, prev_seal_hash: str, entries: Sequence[AuditRecord], key: bytes
) -> Iterator[Fault]:
    """Faults in one sealed block; ``entries`` are those now stored in its id range."""
    if not hmac.compare_digest(seal.seal_hash.encode(), seal_hash(seal, key).encode()) or (
        seal.prev_seal_hash != prev_seal_hash
    ):
        yield Fault(seal.first_entry_id, "", "seal_forged", "seal does not verify under the key")
        return
    count, digest = block_digest(entries)
    if count != seal.entry_count:
        kind = "removed" if count < seal.entry_count else "inserted"
        yield Fault(
            _first_difference(entries, seal),
            "",
            kind,
            f"sealed block {seal.first_entry_id}–{seal.last_entry_id} had {seal.entry_count} "
            f"entries, now {count}",
        )
    elif digest != seal.entries_digest:
        yield Fault(
            _first_difference(entries, seal), "", "altered", "entries differ from the sealed block"
        )


def _first_difference(entries: Sequence[AuditRecord], seal: Seal) -> int | None:
    # Without the original entries we can only point at the block's start.
    return entries[0].id if entries else seal.first_entry_id
