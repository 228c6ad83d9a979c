"""The clocks of a case follow the Administrative Licensing Law (arts. 32, 42, 45, 82)."""

from __future__ import annotations

from datetime import date

from chinese_calendar import constants

from approvals.domain.calendar import build_calendar
from approvals.domain.clocks import (
    EXTENSION_DAYS,
    STATUTORY_DECISION_DAYS,
    ClockState,
    Pause,
    PauseReason,
    intake_deadline,
    read_clock,
)

CALENDAR = build_calendar(
    [(d, "holiday", n) for d, n in constants.holidays.items()]
    + [(d, "workday", n) for d, n in constants.workdays.items()],
    range(2004, 2027),
)
ACCEPTED = date(2026, 3, 2)  # a Monday


def test_art_42_a_decision_is_due_twenty_working_days_after_acceptance() -> None:
    clock = read_clock(ACCEPTED, STATUTORY_DECISION_DAYS, [], ACCEPTED, CALENDAR)
    assert clock.due == date(2026, 3, 30)
    assert clock.remaining_days == 20 and clock.state is ClockState.ON_TIME


def test_art_42_the_one_extension_adds_ten_working_days() -> None:
    clock = read_clock(
        ACCEPTED, STATUTORY_DECISION_DAYS, [], ACCEPTED, CALENDAR, extension_days=EXTENSION_DAYS
    )
    assert clock.due == date(2026, 4, 14)  # Qingming (4-6 April 2026) is skipped


def test_art_45_time_waiting_for_corrections_is_deducted_and_shown() -> None:
    pause = Pause(PauseReason.CORRECTION, date(2026, 3, 4), date(2026, 3, 11))
    clock = read_clock(ACCEPTED, 20, [pause], date(2026, 3, 12), CALENDAR)
    assert clock.paused_days == 5
    assert clock.due == date(2026, 4, 7)  # five working days later than without the pause
    assert clock.used_days == 3


def test_an_open_pause_stops_the_clock() -> None:
    pause = Pause(PauseReason.EXPERT_REVIEW, date(2026, 3, 4))
    early = read_clock(ACCEPTED, 20, [pause], date(2026, 3, 6), CALENDAR)
    later = read_clock(ACCEPTED, 20, [pause], date(2026, 3, 20), CALENDAR)
    assert early.state is ClockState.PAUSED
    assert early.used_days == later.used_days == 2


def test_a_clock_is_due_soon_two_days_before_and_overdue_after_its_due_day() -> None:
    due_soon = read_clock(ACCEPTED, 20, [], date(2026, 3, 26), CALENDAR)
    overdue = read_clock(ACCEPTED, 20, [], date(2026, 3, 31), CALENDAR)
    assert due_soon.state is ClockState.DUE_SOON and due_soon.remaining_days == 2
    assert overdue.state is ClockState.OVERDUE and overdue.remaining_days == -1


def test_a_decided_case_records_whether_it_met_its_limit() -> None:
    kept = read_clock(ACCEPTED, 12, [], date(2026, 5, 1), CALENDAR, stopped_on=date(2026, 3, 10))
    missed = read_clock(ACCEPTED, 12, [], date(2026, 5, 1), CALENDAR, stopped_on=date(2026, 3, 31))
    assert kept.state is ClockState.STOPPED and kept.met is True
    assert missed.met is False


def test_art_32_the_correction_notice_is_due_within_five_working_days_of_receipt() -> None:
    # Received on Wednesday 30 September 2026: National Day comes between.
    assert intake_deadline(date(2026, 9, 30), CALENDAR).due == date(2026, 10, 13)


def test_a_limit_running_into_an_unscheduled_year_is_provisional() -> None:
    clock = read_clock(date(2026, 12, 20), 20, [], date(2026, 12, 21), CALENDAR)
    assert clock.provisional
    assert not read_clock(ACCEPTED, 20, [], ACCEPTED, CALENDAR).provisional
