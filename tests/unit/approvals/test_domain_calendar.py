"""Working-day arithmetic against the published holiday schedule (chinesecalendar as oracle)."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
from chinese_calendar import constants
from hypothesis import given
from hypothesis import strategies as st

from approvals.domain.calendar import (
    Calendar,
    add_working_days,
    build_calendar,
    is_provisional,
    working_days_between,
)

KNOWN = range(2004, 2027)
CALENDAR = build_calendar(
    [(d, "holiday", n) for d, n in constants.holidays.items()]
    + [(d, "workday", n) for d, n in constants.workdays.items()],
    KNOWN,
)
scheduled_days = st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 11, 30))
# Starts from which 30 working days stay inside the years the oracle knows (to 2026-12-31).
starts_for_adding = st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 11, 13))


def oracle_add(start: date, days: int) -> date:
    day, counted = start, 0
    while counted < days:
        day += timedelta(days=1)
        if chinese_calendar.is_workday(day):
            counted += 1
    return day


@given(scheduled_days)
def test_every_scheduled_day_is_a_working_day_exactly_when_the_schedule_says(day: date) -> None:
    assert CALENDAR.is_working_day(day) == chinese_calendar.is_workday(day)


@given(starts_for_adding, st.integers(0, 30))
def test_adding_working_days_agrees_with_the_published_schedule(start: date, days: int) -> None:
    assert add_working_days(start, days, CALENDAR).due == oracle_add(start, days)


@given(scheduled_days, st.integers(0, 60))
def test_counting_undoes_adding(start: date, days: int) -> None:
    due = add_working_days(start, days, CALENDAR).due
    assert working_days_between(start, due, CALENDAR) == days


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2035, 12, 31)), st.integers(1, 40))
def test_the_due_day_is_always_a_working_day_after_the_start(start: date, days: int) -> None:
    due = add_working_days(start, days, CALENDAR).due
    assert due > start and CALENDAR.is_working_day(due)


def test_the_make_up_saturday_of_national_day_2026_counts_as_a_working_day() -> None:
    # 2026-10-10 is a Saturday worked in exchange for the National Day holiday.
    assert date(2026, 10, 10).weekday() == 5
    assert CALENDAR.is_working_day(date(2026, 10, 10))
    # Friday 30 September + 1 working day skips 1-7 October and lands on Thursday the 8th.
    assert add_working_days(date(2026, 9, 30), 1, CALENDAR).due == date(2026, 10, 8)
    assert add_working_days(date(2026, 10, 9), 1, CALENDAR).due == date(2026, 10, 10)


def test_spring_festival_2026_is_skipped_and_its_make_up_saturdays_are_worked() -> None:
    assert add_working_days(date(2026, 2, 13), 1, CALENDAR).due == date(2026, 2, 14)
    assert add_working_days(date(2026, 2, 14), 1, CALENDAR).due == date(2026, 2, 24)
    # 14 Feb (make-up Sat), 24-27 Feb, 28 Feb (make-up Sat): six working days.
    assert working_days_between(date(2026, 2, 13), date(2026, 2, 28), CALENDAR) == 6


def test_twenty_working_days_of_the_law_cross_national_day(  # 行政许可法 art. 42 and 82
) -> None:
    accepted = date(2026, 9, 21)
    due = add_working_days(accepted, 20, CALENDAR)
    assert due.due == oracle_add(accepted, 20)
    assert not due.provisional


def test_a_year_without_a_schedule_counts_weekends_only_and_is_provisional() -> None:
    due = add_working_days(date(2026, 12, 24), 10, CALENDAR)
    # 2027 is not loaded: 1 January 2027 (a Friday) counts as a working day.
    assert due.provisional
    assert CALENDAR.is_working_day(date(2027, 1, 1))
    assert due.due == date(2027, 1, 7)
    assert is_provisional(date(2026, 12, 24), due.due, CALENDAR)
    assert not is_provisional(date(2026, 3, 1), date(2026, 4, 1), CALENDAR)


def test_an_empty_calendar_counts_monday_to_friday() -> None:
    empty = Calendar()
    assert add_working_days(date(2026, 11, 20), 1, empty).due == date(2026, 11, 23)  # Fri → Mon
    assert working_days_between(date(2026, 11, 23), date(2026, 11, 30), empty) == 5
