"""Read-only listings for the administration pages: departments, accounts, calendar
years, and each subscription's delivery totals. Nothing here writes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from approvals.domain.people import Role, parse_roles
from approvals.persistence.statements import fetch
from approvals.repository.codec import as_utc_any, as_uuid
from approvals.tables import Account, CalendarYear, Department


@dataclass(frozen=True)
class DepartmentRow:
    code: str
    name: str
    kind: str  # approval | review | supervision


@dataclass(frozen=True)
class AccountRow:
    id: uuid.UUID
    username: str
    display_name: str
    roles: frozenset[Role]
    department: str | None
    is_active: bool
    created_at: datetime


async def departments() -> list[DepartmentRow]:
    rows = await Department.select(Department.code, Department.name, Department.kind).order_by(
        Department.code
    )
    return [DepartmentRow(r["code"], r["name"], r["kind"]) for r in rows]


async def accounts(department: str | None = None, limit: int = 500) -> list[AccountRow]:
    """Accounts (never their password hashes), staff first by department, then by name."""
    a = Account
    query = a.select(
        a.id, a.username, a.display_name, a.roles, a.department, a.is_active, a.created_at
    )
    if department:
        query = query.where(a.department == department)
    rows = await query.order_by(a.username).limit(limit)
    return [
        AccountRow(
            id=as_uuid(r["id"]),
            username=r["username"],
            display_name=r["display_name"],
            roles=parse_roles(r["roles"]),
            department=r["department"],
            is_active=bool(r["is_active"]),
            created_at=as_utc_any(r["created_at"]),
        )
        for r in rows
    ]


async def account_count() -> int:
    return int(await Account.count())


async def calendar_years() -> list[dict[str, Any]]:
    """Every loaded year: year, loaded_at, source, note."""
    rows = await CalendarYear.select().order_by(CalendarYear.year)
    return [dict(r) for r in rows]


@dataclass(frozen=True)
class DeliveryTotals:
    delivered: int = 0
    pending: int = 0
    dead: int = 0
    last_delivered_at: datetime | None = None
    last_created_at: datetime | None = None


async def delivery_totals() -> dict[uuid.UUID, DeliveryTotals]:
    """Per subscription: deliveries by status, the last successful one, the newest one."""
    rows = await fetch(
        "SELECT subscription, status, count(*) AS n, max(delivered_at) AS last_delivered,"
        " max(created_at) AS last_created FROM delivery GROUP BY subscription, status"
    )
    totals: dict[uuid.UUID, dict[str, Any]] = {}
    for r in rows:
        entry = totals.setdefault(as_uuid(r["subscription"]), {})
        entry[str(r["status"])] = int(r["n"])
        for key, column in (
            ("last_delivered_at", "last_delivered"),
            ("last_created_at", "last_created"),
        ):
            if r[column] is not None:
                value = as_utc_any(r[column])
                entry[key] = max(value, entry.get(key, value))
    return {key: DeliveryTotals(**value) for key, value in totals.items()}
