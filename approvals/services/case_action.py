"""The shape of every staff or applicant action on a case, in one place.

    async with case_action(ctx, actor, application_id, expected_version) as case:
        ...check and change case.app (its methods record domain events)...
        case.notify(...)                      # tell the applicant
        case.batch.add(...)                   # other rows (tasks, pauses, inspections)

In a fixed order and one transaction: lock the case row; refuse with a 409 that
says what changed if the caller acted on an older version; run the body; then
recompute the case's deadlines, write the case (version + 1), its audit entries
(chained after the case's head), the pushed events to the outbox, the other
rows and the notifications — or, on any error, none of it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

from approvals.domain.applications import STATUS_NAMES_ZH, Application
from approvals.domain.audit import ChainHead
from approvals.domain.errors import conflict, not_found
from approvals.domain.ids import uuid7
from approvals.domain.people import Principal
from approvals.persistence.statements import WriteBatch
from approvals.persistence.transactions import transaction
from approvals.repository import applications as repo
from approvals.repository import audit as audit_repo
from approvals.repository import outbox as outbox_repo
from approvals.repository.notifications import Message, stage_message
from approvals.services.audit_log import chain_of_application, outgoing, records_for
from approvals.services.case_clock import refresh_deadlines
from approvals.services.context import Services

SYSTEM_NAME = "系统自动"


@dataclass
class Case:
    app: Application
    now: datetime
    actor: Principal | None
    batch: WriteBatch = field(default_factory=WriteBatch)
    messages: list[tuple[uuid.UUID, str, str]] = field(default_factory=list)

    @property
    def actor_tag(self) -> str:
        return "caller" if self.actor else "system"

    def notify(self, title: str, body: str, recipient: uuid.UUID | None = None) -> None:
        self.messages.append((recipient or self.app.applicant_id, title, body))


def _stale(app: Application, expected: int) -> Exception:
    return conflict(
        "changed_meanwhile",
        f"办件已被他人处理（当前状态：{STATUS_NAMES_ZH[app.status]}，版本 {app.row_version}，"
        f"您看到的是版本 {expected}），请刷新后再操作。",
        f"The case changed meanwhile: it is now {app.status.value} at version "
        f"{app.row_version} (you acted on version {expected}); reload and retry.",
    )


@asynccontextmanager
async def case_action(
    ctx: Services,
    actor: Principal | None,
    application_id: uuid.UUID,
    expected_version: int | None,
) -> AsyncIterator[Case]:
    async with transaction():
        locked = await repo.lock_application(application_id)
        if locked is None:
            raise not_found("该办件", "Application", "application_id")
        app, head = locked
        if expected_version is not None and expected_version != app.row_version:
            raise _stale(app, expected_version)
        version = app.row_version
        case = Case(app=app, now=ctx.clock.now(), actor=actor)
        yield case
        if not app.events:
            return
        await _write(ctx, case, head, version)


async def _write(ctx: Services, case: Case, head: ChainHead, version: int) -> None:
    app, now = case.app, case.now
    await refresh_deadlines(ctx, app, now)
    app.row_version = version + 1
    records, new_head = records_for(
        chain_of_application(app.id),
        head,
        app.events,
        actor_id=str(case.actor.account_id) if case.actor else "",
        actor_name=case.actor.display_name if case.actor else SYSTEM_NAME,
        target_type="application",
        target_id=str(app.id),
    )
    if not await repo.update_case(app, expected_version=version, head=new_head, at=now):
        raise _stale(app, version)  # cannot happen under the row lock; kept as a guard
    audit_repo.stage_entries(case.batch, records)
    outbox_repo.stage_events(
        case.batch,
        [
            outgoing(
                e,
                subject=f"applications/{app.id}",
                partition_key=str(app.id),
                permit_code=app.permit_code,
                data=_payload(app, e.name, e.reason, e.data),
            )
            for e in app.events
            if e.is_pushed
        ],
    )
    for recipient, title, body in case.messages:
        stage_message(
            case.batch, Message(uuid7(now), recipient, f"applications/{app.id}", title, body, now)
        )
    await case.batch.commit()


def _payload(
    app: Application, name: str, reason: str, data: dict[str, object]
) -> dict[str, object]:
    return {
        "application_id": str(app.id),
        "application_number": app.number,
        "permit_code": app.permit_code,
        "holder_name": app.holder_name,
        "holder_code": app.holder_code,
        "status": app.status.value,
        "acceptance_no": app.acceptance_no,
        "accepted_on": app.accepted_on.isoformat() if app.accepted_on else None,
        "event": name,
        "reason": reason,
        **{k: v for k, v in data.items() if isinstance(v, str | int | bool | None)},
    }
