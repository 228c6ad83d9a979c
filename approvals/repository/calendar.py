"""The working-day calendar as stored: published days and the years they cover."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from approvals.repository.codec import as_date
from approvals.tables import CalendarDay, CalendarYear


async def all_days() -> list[tuple[date, str, str]]:
    rows = await CalendarDay.select(CalendarDay.day, CalendarDay.kind, CalendarDay.name)
    return [(as_date(r["day"]), r["kind"], r["name"]) for r in rows]


async def known_years() -> list[int]:
    return [int(r["year"]) for r in await CalendarYear.select(CalendarYear.year)]


async def year(year: int) -> dict[str, Any] | None:
    rows = await CalendarYear.select().where(CalendarYear.year == year)
    return dict(rows[0]) if rows else None


async def days_of(year: int) -> list[tuple[date, str, str]]:
    rows = (
        await CalendarDay.select(CalendarDay.day, CalendarDay.kind, CalendarDay.name)
        .where(CalendarDay.year == year)
        .order_by(CalendarDay.day)
    )
    return [(as_date(r["day"]), r["kind"], r["name"]) for r in rows]


async def replace_year(
    year: int, days: list[tuple[date, str, str]], source: str, note: str, at: datetime
) -> None:
    """Replace a year's schedule; call inside a transaction."""
    await CalendarDay.delete().where(CalendarDay.year == year)
    if days:
        await CalendarDay.insert(
            *(CalendarDay(day=d, kind=k, name=n, year=year) for d, k, n in days)
        )
    await CalendarYear.delete().where(CalendarYear.year == year)
    await CalendarYear.insert(CalendarYear(year=year, loaded_at=at, source=source, note=note))
