"""The working-day calendar: loaded from the database, cached, corrected by administrators.

The State Council publishes each next year's schedule late in the year, so a
year is *data*: ``approvals setup`` seeds every year the ``chinesecalendar``
package knows (2004–2026) and an administrator loads later years (or corrects
one) through the admin API or ``approvals calendar load``. A year without a
schedule counts weekends only and makes its deadlines provisional.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from approvals.domain.calendar import Calendar, build_calendar
from approvals.domain.errors import DomainError, ErrorKind, Problem
from approvals.domain.events import DomainEvent
from approvals.persistence.transactions import transaction
from approvals.repository import calendar as repo
from approvals.services.audit_log import append_to_chain


@dataclass(frozen=True)
class DayEntry:
    day: date
    name: str


class CalendarService:
    def __init__(self, refresh_seconds: float = 60.0) -> None:
        self._refresh = refresh_seconds
        self._loaded_at = -1e9
        self._calendar = Calendar()

    async def calendar(self) -> Calendar:
        if time.monotonic() - self._loaded_at >= self._refresh:
            self._calendar = build_calendar(await repo.all_days(), await repo.known_years())
            self._loaded_at = time.monotonic()
        return self._calendar

    def forget(self) -> None:
        self._loaded_at = -1e9


def check_year(year: int, holidays: Sequence[DayEntry], workdays: Sequence[DayEntry]) -> None:
    """Every problem with a schedule at once: wrong year, a make-up day that is not a
    weekend day, a day listed twice."""
    problems = []
    seen: set[date] = set()
    for kind, entries in (("holidays", holidays), ("workdays", workdays)):
        for i, entry in enumerate(entries):
            where = f"{kind}.{i}"
            if entry.day.year != year:
                problems.append(
                    Problem(
                        "wrong_year",
                        f"{entry.day} 不属于 {year} 年。",
                        f"{entry.day} is not in {year}.",
                        where,
                    )
                )
            if entry.day in seen:
                problems.append(
                    Problem(
                        "duplicate_day",
                        f"{entry.day} 重复出现。",
                        f"{entry.day} is listed twice.",
                        where,
                    )
                )
            seen.add(entry.day)
            if kind == "workdays" and entry.day.weekday() < 5:
                problems.append(
                    Problem(
                        "not_a_weekend",
                        f"{entry.day} 本是工作日，不是调休上班日。",
                        f"{entry.day} is a weekday already, not a make-up day.",
                        where,
                    )
                )
    if problems:
        raise DomainError(
            ErrorKind.REFUSED,
            "calendar_invalid",
            "节假日安排有误，请逐项修改。",
            "The schedule has problems; fix each one.",
            problems=problems,
        )


async def load_year(
    service: CalendarService,
    year: int,
    holidays: Sequence[DayEntry],
    workdays: Sequence[DayEntry],
    *,
    source: str,
    note: str,
    actor_id: str,
    actor_name: str,
    at: datetime,
) -> None:
    check_year(year, holidays, workdays)
    days = [(e.day, "holiday", e.name) for e in holidays] + [
        (e.day, "workday", e.name) for e in workdays
    ]
    async with transaction():
        await repo.replace_year(year, days, source, note, at)
        await append_to_chain(
            f"calendar:{year}",
            [
                DomainEvent(
                    "calendar.loaded",
                    at,
                    "caller",
                    note,
                    data={
                        "year": year,
                        "holidays": len(holidays),
                        "workdays": len(workdays),
                        "source": source,
                    },
                )
            ],
            actor_id=actor_id,
            actor_name=actor_name,
            target_type="calendar",
            target_id=str(year),
        )
    service.forget()


HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def _zh(name: str, workday: bool) -> str:
    zh = HOLIDAY_NAMES_ZH.get(name, name)
    return f"{zh}调休上班" if workday else zh


async def seed_from_chinesecalendar(service: CalendarService, at: datetime) -> list[int]:
    """Load every year the package knows and the database does not have yet."""
    from chinese_calendar import constants

    loaded = set(await repo.known_years())
    years = sorted({d.year for d in constants.holidays} - loaded)
    for year in years:
        holidays = [
            DayEntry(d, _zh(n, False))
            for d, n in sorted(constants.holidays.items())
            if d.year == year
        ]
        workdays = [
            DayEntry(d, _zh(n, True))
            for d, n in sorted(constants.workdays.items())
            if d.year == year
        ]
        await load_year(
            service,
            year,
            holidays,
            workdays,
            source="chinesecalendar",
            note="国务院办公厅节假日安排（chinesecalendar 包）",
            actor_id="",
            actor_name="系统初始化",
            at=at,
        )
    return years
