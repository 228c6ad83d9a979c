"""``approvals calendar``: show a year, or load one the State Council has published.

    approvals calendar show 2027
    approvals calendar load 2027 schedule-2027.json

The file is what the admin API takes::

    {"holidays": [{"date": "2027-01-01", "name": "元旦"}, …],
     "workdays": [{"date": "2027-02-07", "name": "春节调休上班"}, …],
     "note": "国办发明电〔2026〕…号"}
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cal = sub.add_parser("calendar", help="the working-day calendar")
    cs = cal.add_subparsers(dest="calendar_command", required=True)
    show = cs.add_parser("show", help="a year's holidays and make-up working days")
    show.add_argument("year", type=int)
    load = cs.add_parser("load", help="load (or correct) a year from a JSON file")
    load.add_argument("year", type=int)
    load.add_argument("file", type=Path)


def command(args: argparse.Namespace) -> Callable[[], Awaitable[int]]:
    async def run() -> int:
        import msgspec

        from approvals.clock import SystemClock
        from approvals.domain.errors import DomainError
        from approvals.repository import calendar as repo
        from approvals.services.calendar import CalendarService, DayEntry, load_year
        from approvals.web.controllers.calendar import YearIn

        if args.calendar_command == "show":
            row = await repo.year(args.year)
            print(
                f"{args.year}: "
                + (
                    f"loaded from {row['source']}"
                    if row
                    else "NOT loaded — counted on weekends only (provisional)"
                )
            )
            for day, kind, name in await repo.days_of(args.year):
                print(f"  {day}  {'休' if kind == 'holiday' else '班'}  {name}")
            return 0
        try:
            data = msgspec.json.decode(args.file.read_bytes(), type=YearIn)
            await load_year(
                CalendarService(),
                args.year,
                [DayEntry(d.date, d.name) for d in data.holidays],
                [DayEntry(d.date, d.name) for d in data.workdays],
                source="admin",
                note=data.note,
                actor_id="",
                actor_name=f"命令行 {getpass.getuser()}",
                at=SystemClock().now(),
            )
        except (OSError, msgspec.ValidationError, msgspec.DecodeError) as exc:
            print(f"无法读取节假日文件：{exc}", file=sys.stderr)
            return 2
        except DomainError as exc:
            print(
                exc.zh,
                exc.en,
                *(f"  {p.field}: {p.zh}" for p in exc.problems),
                sep="\n",
                file=sys.stderr,
            )
            return 1
        print(
            f"loaded {args.year}: {len(data.holidays)} holidays, {len(data.workdays)} make-up days"
        )
        return 0

    return run
