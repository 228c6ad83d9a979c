"""Working days, as pure functions of a calendar that is data.

China's working days are Monday to Friday, minus statutory holidays, plus the
weekend days the State Council turns into working days (调休上班). The schedule
is published once a year, late in the year before, so it is loaded into the
database by an administrator; a year without a loaded schedule is counted on
weekends only, and every deadline that falls in or crosses it is provisional
(PRODUCT.md §3.3). Time limits of the Administrative Licensing Law are in
working days (art. 82).

Conventions: ``add_working_days(start, n)`` is the n-th working day *after*
``start`` (the day of receipt does not count, as in the law's "within N days
of receipt"); ``working_days_between(a, b)`` counts the working days in
``(a, b]`` so that ``working_days_between(a, add_working_days(a, n)) == n``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final

_MAX_DAYS: Final = 100_000  # no limit is longer than a few hundred working days


@dataclass(frozen=True)
class Calendar:
    """Holidays and make-up working days, and the years whose schedule is loaded."""

    holidays: frozenset[date] = frozenset()
    makeup_workdays: frozenset[date] = frozenset()
    known_years: frozenset[int] = frozenset()
    names: dict[date, str] = field(default_factory=dict, compare=False, hash=False)

    def is_known(self, day: date) -> bool:
        return day.year in self.known_years

    def is_working_day(self, day: date) -> bool:
        if day in self.holidays:
            return False
        if day in self.makeup_workdays:
            return True
        return day.weekday() < 5


@dataclass(frozen=True)
class Deadline:
    """A computed due date; ``provisional`` when the count used a year not yet scheduled."""

    due: date
    provisional: bool


def add_working_days(start: date, days: int, calendar: Calendar) -> Deadline:
    """The ``days``-th working day after ``start`` (``days`` ≥ 0; 0 gives ``start``)."""
    if days < 0:
        raise ValueError("days must not be negative")
    day, counted, provisional = start, 0, False
    for _ in range(_MAX_DAYS):
        if counted == days:
            return Deadline(day, provisional)
        day += timedelta(days=1)
        provisional = provisional or not calendar.is_known(day)
        if calendar.is_working_day(day):
            counted += 1
    raise ValueError("too many working days")


def working_days_between(start: date, end: date, calendar: Calendar) -> int:
    """Working days in ``(start, end]``; negative when ``end`` is before ``start``."""
    if end < start:
        return -working_days_between(end, start, calendar)
    if (end - start).days > _MAX_DAYS:
        raise ValueError("range too long")
    day, count = start, 0
    while day < end:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            count += 1
    return count


def is_provisional(start: date, end: date, calendar: Calendar) -> bool:
    """Whether any day in ``(start, end]`` lies in a year without a loaded schedule."""
    low, high = min(start, end), max(start, end)
    return any(not calendar.is_known(date(y, 1, 1)) for y in range(low.year, high.year + 1))


def build_calendar(days: Iterable[tuple[date, str, str]], known_years: Iterable[int]) -> Calendar:
    """From rows of (date, kind, name), kind being ``holiday`` or ``workday``."""
    holidays: set[date] = set()
    workdays: set[date] = set()
    names: dict[date, str] = {}
    for day, kind, name in days:
        (holidays if kind == "holiday" else workdays).add(day)
        names[day] = name
    return Calendar(frozenset(holidays), frozenset(workdays), frozenset(known_years), names)
