"""Turning domain events into audit entries and outbox rows."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from approvals.domain import audit
from approvals.domain.audit import AuditRecord, ChainHead
from approvals.domain.events import EVENT_TYPE_PREFIX, DomainEvent
from approvals.domain.ids import uuid7
from approvals.persistence.statements import WriteBatch
from approvals.repository import audit as audit_repo
from approvals.repository.outbox import OutgoingEvent


def records_for(
    chain: str,
    head: ChainHead,
    events: Sequence[DomainEvent],
    *,
    actor_id: str,
    actor_name: str,
    target_type: str,
    target_id: str,
) -> tuple[list[AuditRecord], ChainHead]:
    """Chain ``events`` after ``head``; returns the entries and the new head."""
    records = []
    for event in events:
        record = audit.append(
            head,
            chain=chain,
            at=event.at,
            actor_id=actor_id if event.actor != "system" else "",
            actor_name=actor_name if event.actor != "system" else "系统自动",
            action=event.name,
            target_type=event.target_type or target_type,
            target_id=event.target_id or target_id,
            reason=event.reason,
            data=event.data,
        )
        records.append(record)
        head = ChainHead(record.seq, record.entry_hash)
    return records, head


def outgoing(
    event: DomainEvent,
    *,
    subject: str,
    partition_key: str,
    data: dict[str, Any],
    permit_code: str = "",
) -> OutgoingEvent:
    return OutgoingEvent(
        event_id=uuid7(event.at),
        type=EVENT_TYPE_PREFIX + event.name,
        subject=subject,
        partition_key=partition_key,
        time=event.at,
        data=data,
        permit_code=permit_code,
    )


def chain_of_application(application_id: uuid.UUID) -> str:
    return f"application:{application_id}"


async def append_to_chain(
    chain: str,
    events: Sequence[DomainEvent],
    *,
    actor_id: str,
    actor_name: str,
    target_type: str,
    target_id: str,
) -> None:
    """Append to a chain whose head lives in ``audit_chain_head`` (accounts, keys,
    catalogue entries — anything without a case row to carry it).

    Call inside the transaction of the change being recorded: the head row stays
    locked until commit, so two appends to one chain cannot fork it.
    """
    head = await audit_repo.lock_chain_head(chain)
    records, new_head = records_for(
        chain,
        head,
        events,
        actor_id=actor_id,
        actor_name=actor_name,
        target_type=target_type,
        target_id=target_id,
    )
    batch = WriteBatch()
    audit_repo.stage_entries(batch, records)
    await batch.commit()
    await audit_repo.save_chain_head(chain, new_head)
