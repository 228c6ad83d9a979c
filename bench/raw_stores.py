"""The raw-driver side: ``sqlite3`` directly, or an ``asyncpg`` pool; no ORM.

Both run the statements the service runs for a commitment permit: the session
look-up (login_session joined to account), the credit-bar SELECT, the issuer's
numbers with ``UPDATE … RETURNING`` in a statement of its own, then the rows —
application, commitment letter, three audit entries (one multi-row INSERT),
certificate, outbox event — written atomically: one ``BEGIN IMMEDIATE``
transaction on SQLite, one statement of data-modifying CTEs on PostgreSQL (as
``approvals.persistence.statements.WriteBatch`` does). The SQL is built once,
from the rows' column names.
"""

from __future__ import annotations

import contextlib
import sqlite3
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, date, datetime
from typing import Any, Protocol

import asyncpg
import msgspec

from approvals.clock import local_date
from bench.raw_checks import Caller, Issuer
from bench.raw_issue import Issue, Row
from forms.catalogue import PermitType

_SESSION = (
    "SELECT a.id, a.username, a.display_name, a.roles, a.is_active "
    "FROM login_session s JOIN account a ON a.id = s.account "
    "WHERE s.token_hash = {0} AND s.expires_at > {1} AND s.revoked_at IS NULL"
)
_CREDIT_BAR = (
    "SELECT reason, barred_until FROM credit_record WHERE holder_code = {0} "
    "AND (barred_until IS NULL OR barred_until >= {1}) LIMIT 1"
)
_ALLOCATE = (  # as approvals.repository.certificates.allocate_numbers_unless_barred
    "UPDATE issuer SET last_serial = last_serial + 1, last_status_index = last_status_index + 1 "
    "WHERE code = {0} AND NOT EXISTS (SELECT 1 FROM credit_record WHERE holder_code = {1} "
    "AND (barred_until IS NULL OR barred_until >= {2})) RETURNING last_serial, last_status_index"
)
_CATALOGUE = "SELECT definition, version FROM catalogue_entry WHERE code = {0} AND is_current = {1}"
_ISSUER = "SELECT code, name, credit_code FROM issuer WHERE code = {0}"
_KEY = "SELECT kid, alg, private_blob FROM signing_key WHERE issuer = {0} AND state = 'active'"
_PG_SERVER_SETTINGS = {  # as approvals.persistence.engine sets them
    "timezone": "UTC",
    "statement_timeout": "30000",
    "idle_in_transaction_session_timeout": "30000",
    "application_name": "approvals-bench-raw",
}
Loaded = tuple[PermitType, int, Issuer, dict[str, Any]]


class Unit(Protocol):
    """What one request does with the database, on one connection."""

    async def caller(self, token_hash: str, now: datetime) -> Caller | None: ...
    async def barred(self, holder_code: str, today: date) -> bool: ...
    async def issue(self, issue: Issue) -> bytes | None: ...


class Store(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def load(self, permit_code: str) -> Loaded: ...
    def connection(self) -> AbstractAsyncContextManager[Unit]: ...


class _Sql:
    """Statements with ``?`` (sqlite3) or ``$n`` (asyncpg) placeholders, built once."""

    def __init__(self, mark: str) -> None:
        self._mark = mark
        self._inserts: dict[tuple[str, int, int], str] = {}
        marks = ["?"] * 3 if mark == "?" else ["$1", "$2", "$3"]
        self.session, self.bar, self.allocate = (
            t.format(*marks) for t in (_SESSION, _CREDIT_BAR, _ALLOCATE)
        )
        self.catalogue, self.issuer, self.key = (
            t.format(*marks) for t in (_CATALOGUE, _ISSUER, _KEY)
        )

    def insert(self, table: str, rows: Sequence[Row], start: int = 0) -> tuple[str, list[Any]]:
        """``INSERT INTO table (…) VALUES (…), (…)`` for ``rows`` and the flat argument list."""
        key = (table, len(rows), start)
        sql = self._inserts.get(key)
        if sql is None:
            columns = list(rows[0])
            n, groups = len(columns), []
            for r in range(len(rows)):
                marks = (
                    ["?"] * n
                    if self._mark == "?"
                    else [f"${start + r * n + i + 1}" for i in range(n)]
                )
                groups.append("(" + ", ".join(marks) + ")")
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join(groups)}"
            self._inserts[key] = sql
        return sql, [value for row in rows for value in row.values()]


def _caller(row: Sequence[Any]) -> Caller | None:
    if not row[4]:  # is_active
        return None
    return Caller(uuid.UUID(str(row[0])), row[1], row[2], frozenset(row[3].split(",")))


# -- SQLite ----------------------------------------------------------------------


def _lite(value: Any) -> Any:
    """Values as Piccolo's SQLite adapters store them (UUID text, UTC ``str(datetime)``)."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return str(value.astimezone(UTC))
    if isinstance(value, date):
        return value.isoformat()
    return value


class SqliteStore:
    """One connection, WAL, synchronous=NORMAL, foreign keys on (as the service's engine).

    Statements run on the event loop and nothing awaits between ``BEGIN
    IMMEDIATE`` and ``COMMIT``, so one connection serves every request of the
    process without a lock.
    """

    def __init__(self, path: str) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None
        self._sql = _Sql("?")

    @property
    def conn(self) -> sqlite3.Connection:
        assert self._conn is not None, "store not started"
        return self._conn

    async def start(self) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        for pragma in ("busy_timeout = 10000", "foreign_keys = ON", "journal_mode = WAL"):
            conn.execute(f"PRAGMA {pragma}")
        conn.execute("PRAGMA synchronous = NORMAL")
        self._conn = conn

    async def stop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def load(self, permit_code: str) -> Loaded:
        definition, version = self.conn.execute(self._sql.catalogue, (permit_code, 1)).fetchone()
        spec = msgspec.json.decode(definition, type=PermitType)
        issuer = Issuer(*self.conn.execute(self._sql.issuer, (spec.issuer,)).fetchone())
        kid, alg, blob = self.conn.execute(self._sql.key, (spec.issuer,)).fetchone()
        return spec, int(version), issuer, {"kid": kid, "alg": alg, "blob": bytes(blob)}

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Unit]:
        yield self  # one connection for the process

    async def caller(self, token_hash: str, now: datetime) -> Caller | None:
        row = self.conn.execute(self._sql.session, (token_hash, _lite(now))).fetchone()
        return None if row is None else _caller(row)

    async def barred(self, holder_code: str, today: date) -> bool:
        return self.conn.execute(self._sql.bar, (holder_code, _lite(today))).fetchone() is not None

    def _insert(self, table: str, rows: Sequence[Row]) -> None:
        sql, args = self._sql.insert(table, rows)
        self.conn.execute(sql, [_lite(v) for v in args])

    async def issue(self, issue: Issue) -> bytes | None:
        conn = self.conn
        numbers = conn.execute(
            self._sql.allocate,
            (issue.ctx.issuer.code, issue.holder_code, _lite(local_date(issue.now))),
        ).fetchone()
        if numbers is None:
            return None  # barred by a credit record
        certificate, outbox, answer = issue.certificate(int(numbers[0]), int(numbers[1]))
        conn.execute("BEGIN IMMEDIATE")
        try:
            self._insert("application", [issue.application])
            self._insert("commitment_letter", [issue.commitment])
            self._insert("audit_entry", issue.audit_entries)
            self._insert("certificate", [certificate])
            self._insert("outbox_event", outbox)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return answer


# -- PostgreSQL --------------------------------------------------------------------


class PostgresStore:
    """An asyncpg pool sized like the service's (20); asyncpg prepares and caches statements."""

    def __init__(self, dsn: str, pool_size: int = 20) -> None:
        self._dsn = dsn
        self._size = pool_size
        self._pool: asyncpg.Pool | None = None
        self._sql = _Sql("$")

    @property
    def pool(self) -> asyncpg.Pool:
        assert self._pool is not None, "store not started"
        return self._pool

    async def start(self) -> None:
        self._pool = await asyncpg.create_pool(
            self._dsn, min_size=2, max_size=self._size, server_settings=_PG_SERVER_SETTINGS
        )

    async def stop(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def load(self, permit_code: str) -> Loaded:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(self._sql.catalogue, permit_code, True)
            spec = msgspec.json.decode(row["definition"], type=PermitType)
            issuer = Issuer(*(await conn.fetchrow(self._sql.issuer, spec.issuer)))
            key = await conn.fetchrow(self._sql.key, spec.issuer)
        blob = bytes(key["private_blob"])
        return (
            spec,
            int(row["version"]),
            issuer,
            {"kid": key["kid"], "alg": key["alg"], "blob": blob},
        )

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Unit]:
        """One pooled connection for the whole request (one acquire, one reset)."""
        async with self.pool.acquire() as conn:
            yield _PostgresUnit(conn, self._sql)


class _PostgresUnit:
    def __init__(self, conn: asyncpg.Connection, sql: _Sql) -> None:
        self._conn = conn
        self._sql = sql

    async def caller(self, token_hash: str, now: datetime) -> Caller | None:
        row = await self._conn.fetchrow(self._sql.session, token_hash, now)
        return None if row is None else _caller(tuple(row))

    async def barred(self, holder_code: str, today: date) -> bool:
        return await self._conn.fetchrow(self._sql.bar, holder_code, today) is not None

    async def issue(self, issue: Issue) -> bytes | None:
        numbers = await self._conn.fetchrow(
            self._sql.allocate, issue.ctx.issuer.code, issue.holder_code, local_date(issue.now)
        )
        if numbers is None:
            return None  # barred by a credit record
        certificate, outbox, answer = issue.certificate(numbers[0], numbers[1])
        parts: list[str] = []
        args: list[Any] = []
        for table, rows in (
            ("application", [issue.application]),
            ("commitment_letter", [issue.commitment]),
            ("audit_entry", issue.audit_entries),
            ("certificate", [certificate]),
            ("outbox_event", outbox),
        ):
            sql, values = self._sql.insert(table, rows, start=len(args))
            parts.append(sql)
            args.extend(values)
        *ctes, last = parts
        statement = "WITH " + ", ".join(f"w{i} AS ({p})" for i, p in enumerate(ctes)) + " " + last
        await self._conn.execute(statement, *args)
        return answer


def open_store(target: str) -> Store:
    if target.startswith(("postgres://", "postgresql://")):
        return PostgresStore(target)
    return SqliteStore(target)
