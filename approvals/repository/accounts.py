"""Departments, accounts and login sessions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from approvals.domain.people import Role, format_roles, parse_roles
from approvals.persistence.engine import current_engine
from approvals.persistence.statements import fetch
from approvals.repository.codec import as_utc, as_uuid
from approvals.tables import Account, Department, LoginSession


@dataclass(frozen=True)
class AccountRecord:
    id: uuid.UUID
    username: str
    display_name: str
    password_hash: str
    roles: frozenset[Role]
    department: str | None
    org_name: str
    org_credit_code: str
    is_active: bool


def _account(row: dict[str, Any]) -> AccountRecord:
    return AccountRecord(
        id=as_uuid(row["id"]),
        username=row["username"],
        display_name=row["display_name"],
        password_hash=row["password_hash"],
        roles=parse_roles(row["roles"]),
        department=row["department"],
        org_name=row["org_name"],
        org_credit_code=row["org_credit_code"],
        is_active=bool(row["is_active"]),
    )


async def account_by_username(username: str) -> AccountRecord | None:
    rows = await Account.select().where(Account.username == username)
    return _account(rows[0]) if rows else None


async def account_by_id(account_id: uuid.UUID) -> AccountRecord | None:
    rows = await Account.select().where(Account.id == account_id)
    return _account(rows[0]) if rows else None


async def upsert_department(code: str, name: str, kind: str, at: datetime) -> None:
    exists = await Department.exists().where(Department.code == code)
    if exists:
        await Department.update({Department.name: name, Department.kind: kind}).where(
            Department.code == code
        )
    else:
        await Department.insert(Department(code=code, name=name, kind=kind, created_at=at))


async def insert_account(
    *,
    username: str,
    display_name: str,
    password_hash: str,
    roles: frozenset[Role],
    department: str | None,
    org_name: str,
    org_credit_code: str,
    phone: str,
    at: datetime,
) -> uuid.UUID:
    account_id = uuid.uuid4()
    await Account.insert(
        Account(
            id=account_id,
            username=username,
            display_name=display_name,
            password_hash=password_hash,
            roles=format_roles(roles),
            department=department,
            org_name=org_name,
            org_credit_code=org_credit_code,
            phone=phone,
            is_active=True,
            created_at=at,
        )
    )
    return account_id


@dataclass(frozen=True)
class SessionRecord:
    id: uuid.UUID
    account: AccountRecord
    kind: str
    csrf_token: str
    expires_at: datetime


async def insert_session(
    *,
    session_id: uuid.UUID,
    token_hash: str,
    account_id: uuid.UUID,
    kind: str,
    csrf_token: str,
    at: datetime,
    expires_at: datetime,
) -> None:
    await LoginSession.insert(
        LoginSession(
            id=session_id,
            token_hash=token_hash,
            account=account_id,
            kind=kind,
            csrf_token=csrf_token,
            created_at=at,
            expires_at=expires_at,
        )
    )


async def live_session(token_hash: str, now: datetime) -> SessionRecord | None:
    """The unexpired, unrevoked session with this token hash, with its account."""
    s = LoginSession
    rows = await s.select(
        s.id, s.kind, s.csrf_token, s.expires_at, s.revoked_at, *s.account.all_columns()
    ).where((s.token_hash == token_hash) & (s.expires_at > now) & s.revoked_at.is_null())
    if not rows:
        return None
    row = rows[0]
    account = _account(
        {k.removeprefix("account."): v for k, v in row.items() if k.startswith("account.")}
    )
    if not account.is_active:
        return None
    return SessionRecord(
        id=as_uuid(row["id"]),
        account=account,
        kind=row["kind"],
        csrf_token=row["csrf_token"],
        expires_at=as_utc(row["expires_at"]),
    )


async def revoke_session(session_id: uuid.UUID, at: datetime) -> None:
    await LoginSession.update({LoginSession.revoked_at: at}).where(LoginSession.id == session_id)


async def purge_expired_sessions(before: datetime) -> None:
    await LoginSession.delete().where(LoginSession.expires_at < before)


async def department_kind(code: str) -> str | None:
    """approval | review | supervision, or None if there is no such department."""
    rows = await Department.select(Department.kind).where(Department.code == code)
    return str(rows[0]["kind"]) if rows else None


async def supervisors_of(department: str) -> list[uuid.UUID]:
    """A supervision department's supervisors, who are reminded of items to claim."""
    rows = await Account.select(Account.id, Account.roles).where(
        (Account.department == department) & (Account.is_active == True)  # noqa: E712
    )
    return [as_uuid(r["id"]) for r in rows if Role.SUPERVISOR in parse_roles(r["roles"])]


async def heads_of(department: str) -> list[uuid.UUID]:
    """Accounts heading ``department`` (科室负责人), who receive its escalations."""
    rows = await Account.select(Account.id, Account.roles).where(
        (Account.department == department) & (Account.is_active == True)  # noqa: E712
    )
    return [as_uuid(r["id"]) for r in rows if Role.DEPARTMENT_HEAD in parse_roles(r["roles"])]


async def active_staff(department: str, *roles: Role) -> list[AccountRecord]:
    """A department's active accounts holding any of ``roles`` (for pickers on staff pages)."""
    rows = await Account.select().where(
        (Account.department == department) & (Account.is_active == True)  # noqa: E712
    )
    wanted = frozenset(roles)
    return sorted(
        (a for a in map(_account, rows) if not wanted.isdisjoint(a.roles)),
        key=lambda a: a.display_name,
    )


async def department_names() -> dict[str, str]:
    """Department code → name, for people-facing pages."""
    rows = await Department.select(Department.code, Department.name)
    return {str(r["code"]): str(r["name"]) for r in rows}


# -- administrators' changes to an account (approvals.services.staff_accounts) --------------
#
# Accounts carry no version column: each change is a compare-and-set on the very values the
# administrator saw (active or not; roles and department), so a concurrent edit is a
# conflict instead of being silently overwritten.

ADMINS_LOCK = 7_146_011  # pg advisory lock key: one change to administrators at a time


async def set_active(account_id: uuid.UUID, active: bool) -> bool:
    """False if the account is not (or no longer) in the opposite state."""
    rows = (
        await Account.update({Account.is_active: active})
        .where((Account.id == account_id) & (Account.is_active == (not active)))
        .returning(Account.id)
    )
    return bool(rows)


async def set_access(
    account_id: uuid.UUID,
    roles: frozenset[Role],
    department: str,
    *,
    seen_roles: frozenset[Role],
    seen_department: str | None,
) -> bool:
    """New roles and department; False if either changed since they were seen."""
    same_department = (
        Account.department.is_null()
        if seen_department is None
        else Account.department == seen_department
    )
    rows = (
        await Account.update({Account.roles: format_roles(roles), Account.department: department})
        .where(
            (Account.id == account_id)
            & (Account.roles == format_roles(seen_roles))
            & same_department
        )
        .returning(Account.id)
    )
    return bool(rows)


async def set_password_hash(account_id: uuid.UUID, password_hash: str) -> bool:
    rows = (
        await Account.update({Account.password_hash: password_hash})
        .where(Account.id == account_id)
        .returning(Account.id)
    )
    return bool(rows)


async def revoke_sessions_of(account_id: uuid.UUID, at: datetime) -> int:
    """End every open session of an account; how many there were."""
    rows = (
        await LoginSession.update({LoginSession.revoked_at: at})
        .where((LoginSession.account == account_id) & LoginSession.revoked_at.is_null())
        .returning(LoginSession.id)
    )
    return len(rows)


async def open_sessions_of(account_id: uuid.UUID, now: datetime) -> int:
    s = LoginSession
    return int(
        await s.count().where(
            (s.account == account_id) & s.revoked_at.is_null() & (s.expires_at > now)
        )
    )


async def lock_admin_changes() -> None:
    """Inside a transaction: wait until no other change to accounts' access is under way,
    so "the last administrator remains" holds under concurrency. On SQLite the write
    transaction already excludes every other writer."""
    if isinstance(current_engine(), PostgresEngine):
        await fetch("SELECT 1 AS locked FROM pg_advisory_xact_lock(:key)", key=ADMINS_LOCK)


async def active_admin_count() -> int:
    rows = await Account.select(Account.roles).where(Account.is_active == True)  # noqa: E712
    return sum(1 for r in rows if Role.ADMIN in parse_roles(r["roles"]))
