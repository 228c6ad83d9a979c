"""A case's deadlines: computed from its dates, pauses and the calendar.

The due dates are stored on the case row (the staff queue sorts and filters on
them) and recomputed inside every action that can move them; the full clock
readings (used, remaining, state) are computed when a case is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from approvals.clock import local_date
from approvals.domain.applications import FINAL, Application, Status
from approvals.domain.calendar import Deadline
from approvals.domain.clocks import (
    STATUTORY_DECISION_DAYS,
    ClockReading,
    intake_deadline,
    read_clock,
)
from approvals.repository.pauses import as_pauses, pauses_of
from approvals.services.context import Services


@dataclass(frozen=True)
class CaseClocks:
    intake: Deadline | None
    promised: ClockReading | None
    statutory: ClockReading | None


async def case_clocks(ctx: Services, app: Application, today: date) -> CaseClocks:
    calendar = await ctx.calendar.calendar()
    if app.accepted_on is None:
        intake = intake_deadline(app.received_on, calendar) if app.received_on else None
        return CaseClocks(intake if app.status is Status.SUBMITTED else None, None, None)
    spec = (await ctx.catalogue.at_version(app.permit_code, app.catalogue_version)).spec
    pauses = as_pauses(await pauses_of(app.id))
    stopped = local_date(app.decided_at) if app.decided_at else None
    promised_days = spec.promised_limit.value if spec.promised_limit.unit == "working_days" else 0
    promised = (
        read_clock(app.accepted_on, promised_days, pauses, today, calendar, stopped_on=stopped)
        if promised_days
        else None
    )
    statutory = read_clock(
        app.accepted_on,
        STATUTORY_DECISION_DAYS,
        pauses,
        today,
        calendar,
        extension_days=app.extension_days,
        stopped_on=stopped,
    )
    return CaseClocks(None, promised, statutory)


async def refresh_deadlines(ctx: Services, app: Application, now: datetime) -> None:
    """Write the case's due dates for its current status (inside the action's transaction)."""
    clocks = await case_clocks(ctx, app, local_date(now))
    if app.status in FINAL or app.status is Status.AWAITING_CORRECTION:
        app.next_due = None
    elif clocks.intake is not None:
        app.next_due, app.due_provisional = clocks.intake.due, clocks.intake.provisional
    if clocks.statutory is not None:
        app.statutory_due = clocks.statutory.due
        app.promised_due = clocks.promised.due if clocks.promised else None
        app.due_provisional = clocks.statutory.provisional or bool(
            clocks.promised and clocks.promised.provisional
        )
        if app.status not in FINAL:
            app.next_due = app.promised_due or app.statutory_due
