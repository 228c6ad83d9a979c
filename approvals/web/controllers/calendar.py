"""The working-day calendar: public to read, administrators load and correct years."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Controller, get, put
from litestar.params import JSONBody, Parameter, QueryParameter
from msgspec import Meta, Struct

from approvals.domain.calendar import add_working_days
from approvals.domain.errors import DomainError, ErrorKind
from approvals.domain.people import Role
from approvals.repository import calendar as repo
from approvals.services.calendar import DayEntry, load_year
from approvals.web.errors import error_responses
from approvals.web.schemas import NO_CONTROL
from approvals.web.security import PrincipalDep, ServicesDep, requires

# A path parameter: Litestar applies its own Parameter bounds there, not msgspec's Meta.
Year = Annotated[int, Parameter(ge=2000, le=2100, description="a calendar year, 2000–2100")]
DayName = Annotated[str, Meta(min_length=1, max_length=50, pattern=NO_CONTROL)]


class DayIn(Struct, forbid_unknown_fields=True):
    date: dt.date
    name: DayName


class YearIn(Struct, forbid_unknown_fields=True):
    """A year's schedule as the State Council publishes it."""

    holidays: Annotated[list[DayIn], Meta(max_length=80)]
    workdays: Annotated[list[DayIn], Meta(max_length=30)] = []
    note: Annotated[str, Meta(max_length=500, pattern=NO_CONTROL)] = ""


class YearOut(Struct):
    year: int
    loaded: bool
    source: str | None
    holidays: list[DayIn]
    workdays: list[DayIn]


class DueOut(Struct):
    due: dt.date
    provisional: bool


async def _year_out(year: int) -> YearOut:
    row = await repo.year(year)
    days = await repo.days_of(year)
    return YearOut(
        year=year,
        loaded=row is not None,
        source=row["source"] if row else None,
        holidays=[DayIn(d, n) for d, k, n in days if k == "holiday"],
        workdays=[DayIn(d, n) for d, k, n in days if k == "workday"],
    )


class CalendarController(Controller):
    tags = ["calendar"]

    @get(
        "/api/calendar/{year:int}",
        operation_id="getCalendarYear",
        summary="A year's holidays and make-up working days (调休上班), and whether it is loaded",
        responses=error_responses(400),
    )
    async def get_year(self, year: Year) -> YearOut:
        return await _year_out(year)

    @put(
        "/api/admin/calendar/{year:int}",
        operation_id="loadCalendarYear",
        guards=[requires(Role.ADMIN)],
        summary="Load or correct a year's schedule (admin)",
        responses=error_responses(400, 401, 403, 422),
    )
    async def put_year(
        self,
        year: Year,
        data: JSONBody[YearIn],
        principal: PrincipalDep,
        services: ServicesDep,
    ) -> YearOut:
        await load_year(
            services.calendar,
            year,
            [DayEntry(d.date, d.name) for d in data.holidays],
            [DayEntry(d.date, d.name) for d in data.workdays],
            source="admin",
            note=data.note,
            actor_id=str(principal.account_id),
            actor_name=principal.display_name,
            at=services.clock.now(),
        )
        return await _year_out(year)

    @get(
        "/api/calendar/working-days",
        operation_id="addWorkingDays",
        summary="The n-th working day after a date, and whether that is provisional",
        responses=error_responses(400),
    )
    async def working_days(
        self,
        services: ServicesDep,
        start: Annotated[dt.date, QueryParameter(name="from")],
        days: Annotated[int, QueryParameter(ge=0, le=366)],
    ) -> DueOut:
        if not 2000 <= start.year <= 2100:
            raise DomainError(
                ErrorKind.INVALID,
                "date_out_of_range",
                "from 应为 2000 年至 2100 年之间的日期。",
                "`from` is a date in the years 2000 to 2100.",
                "from",
            )
        deadline = add_working_days(start, days, await services.calendar.calendar())
        return DueOut(deadline.due, deadline.provisional)
