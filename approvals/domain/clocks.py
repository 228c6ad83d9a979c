"""The clocks of a case, as pure functions (PRODUCT.md §3.3).

Every accepted application runs two clocks from the day of acceptance: the
*statutory* one (法定时限: a decision within 20 working days, extendable once
by 10 with the head's approval — 行政许可法 arts. 42, 82) and the *promised*
one (承诺时限, e.g. 12 working days for the medical-institution bundle). Time
spent waiting for the applicant's corrections, and on hearings, expert review,
testing and inspections ordered by law, is deducted (art. 45): each pause is
recorded and its working days push the due date back. Before acceptance runs
the intake clock: five working days from receipt, after which the application
counts as accepted from the day of receipt (art. 32).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final

from approvals.domain.calendar import (
    Calendar,
    Deadline,
    add_working_days,
    is_provisional,
    working_days_between,
)

INTAKE_DAYS: Final = 5  # art. 32: one-time correction notice, or accepted from receipt
STATUTORY_DECISION_DAYS: Final = 20  # art. 42
EXTENSION_DAYS: Final = 10  # art. 42, once, with the head of the authority's approval
CERTIFICATE_DAYS: Final = 10  # art. 44: from the decision to the certificate
DUE_SOON_DAYS: Final = 2


class PauseReason(StrEnum):
    CORRECTION = "correction"  # 等待申请人补正
    EXPERT_REVIEW = "expert_review"  # 专家评审
    TESTING = "testing"  # 检验、检测
    HEARING = "hearing"  # 听证
    INSPECTION_BY_LAW = "inspection_by_law"  # 依法进行的检查、检疫
    RECTIFICATION = "rectification"  # 现场核查不合格后的限期整改


PAUSE_NAMES_ZH: Final[dict[PauseReason, str]] = {
    PauseReason.CORRECTION: "等待申请人补正",
    PauseReason.EXPERT_REVIEW: "专家评审",
    PauseReason.TESTING: "检验检测",
    PauseReason.HEARING: "听证",
    PauseReason.INSPECTION_BY_LAW: "依法检查检疫",
    PauseReason.RECTIFICATION: "限期整改",
}


class ClockState(StrEnum):
    ON_TIME = "on_time"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    PAUSED = "paused"
    STOPPED = "stopped"  # decided: the clock no longer runs


@dataclass(frozen=True)
class Pause:
    reason: PauseReason
    started_on: date
    ended_on: date | None = None


@dataclass(frozen=True)
class ClockReading:
    limit_days: int
    used_days: int
    remaining_days: int
    paused_days: int
    due: date
    provisional: bool
    state: ClockState
    met: bool | None = None  # for a stopped clock: decided within the limit?


def paused_working_days(pauses: Sequence[Pause], today: date, calendar: Calendar) -> int:
    """Working days inside the pauses (an open pause runs to today)."""
    return sum(working_days_between(p.started_on, p.ended_on or today, calendar) for p in pauses)


def read_clock(
    start: date,
    limit_days: int,
    pauses: Sequence[Pause],
    today: date,
    calendar: Calendar,
    *,
    extension_days: int = 0,
    stopped_on: date | None = None,
) -> ClockReading:
    """Where a clock that started on ``start`` stands ``today`` (or when it stopped)."""
    now = stopped_on or today
    limit = limit_days + extension_days
    paused = paused_working_days(pauses, now, calendar)
    deadline: Deadline = add_working_days(start, limit + paused, calendar)
    used = max(0, working_days_between(start, now, calendar) - paused)
    remaining = limit - used
    provisional = deadline.provisional or is_provisional(start, deadline.due, calendar)
    if stopped_on is not None:
        state, met = ClockState.STOPPED, stopped_on <= deadline.due
    elif any(p.ended_on is None for p in pauses):
        state, met = ClockState.PAUSED, None
    elif now > deadline.due:
        state, met = ClockState.OVERDUE, None
    elif remaining <= DUE_SOON_DAYS:
        state, met = ClockState.DUE_SOON, None
    else:
        state, met = ClockState.ON_TIME, None
    return ClockReading(limit, used, remaining, paused, deadline.due, provisional, state, met)


def intake_deadline(received_on: date, calendar: Calendar) -> Deadline:
    """The last day for the one-time correction notice (art. 32)."""
    return add_working_days(received_on, INTAKE_DAYS, calendar)
