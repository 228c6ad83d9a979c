"""Statements built once, and atomic batches of inserts, for the hot paths.

Piccolo rebuilds an INSERT's SQL — a ``QueryString`` per value, per row — on
every call; profiling the issuing request showed that as its largest single
cost (~20% of CPU). Here a statement is built once per table, column list and
row count from Piccolo's own table metadata (so the schema still has one
source) and then runs on the engine's connection, inside the caller's
transaction when there is one.

``WriteBatch`` writes rows to several tables atomically. On PostgreSQL it is
**one** statement — data-modifying CTEs, one per table — so an issuance costs
one round trip instead of BEGIN, five INSERTs and COMMIT; foreign keys are
checked at the end of that statement, when every row is in. On SQLite, where a
statement costs microseconds and there is no round trip, it is the same
INSERTs in one ``BEGIN IMMEDIATE`` transaction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

from approvals.persistence.engine import current_engine
from approvals.persistence.sqlite_engine import PersistentSQLiteEngine, is_read
from approvals.persistence.transactions import transaction

_NAMED = re.compile(r":([a-z_][a-z0-9_]*)")


def _quote(name: str) -> str:
    return f'"{name}"'


@cache
def _db_columns(table: type[Table], names: tuple[str, ...]) -> tuple[str, ...]:
    by_name = {c._meta.name: c._meta.db_column_name for c in table._meta.columns}
    return tuple(by_name[n] for n in names)


@cache
def _insert_sql(
    table: type[Table], names: tuple[str, ...], rows: int, postgres: bool, start: int
) -> str:
    columns = ", ".join(_quote(c) for c in _db_columns(table, names))
    width = len(names)
    if postgres:
        groups = (
            "(" + ", ".join(f"${start + r * width + i + 1}" for i in range(width)) + ")"
            for r in range(rows)
        )
    else:
        groups = ("(" + ", ".join("?" * width) + ")" for _ in range(rows))
    return f"INSERT INTO {_quote(table._meta.tablename)} ({columns}) VALUES {', '.join(groups)}"


@cache
def _positional(sql: str, postgres: bool) -> tuple[str, tuple[str, ...]]:
    """``:name`` placeholders → ``$n`` (asyncpg) or ``?`` (sqlite3), and the name order."""
    order: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if postgres:
            if name not in order:
                order.append(name)
            return f"${order.index(name) + 1}"
        order.append(name)
        return "?"

    return _NAMED.sub(replace, sql), tuple(order)


async def _run(sql: str, args: Sequence[Any]) -> list[dict[str, Any]]:
    engine = current_engine()
    txn = engine.current_transaction.get()
    if isinstance(engine, PersistentSQLiteEngine):
        if txn is not None:
            return engine.execute_now(txn.connection, sql, args)
        if is_read(sql):
            return engine.execute_now(engine.reader, sql, args)
        async with engine.write_lock:
            return engine.execute_now(engine.writer, sql, args)
    if isinstance(engine, PostgresEngine):
        if txn is not None:
            rows = await txn.connection.fetch(sql, *args)
        else:
            if engine.pool is None:
                raise RuntimeError("the PostgreSQL pool is not started")
            async with engine.pool.acquire() as conn:
                rows = await conn.fetch(sql, *args)
        return [dict(row) for row in rows]
    raise TypeError(f"unsupported engine {type(engine).__name__}")


async def fetch(sql: str, **params: Any) -> list[dict[str, Any]]:
    """Run one statement written with ``:name`` placeholders; rows as dicts."""
    postgres = isinstance(current_engine(), PostgresEngine)
    text, order = _positional(sql, postgres)
    return await _run(text, [params[name] for name in order])


class WriteBatch:
    """Rows for several tables, written atomically by ``commit``."""

    def __init__(self) -> None:
        self._groups: dict[tuple[type[Table], tuple[str, ...]], list[tuple[Any, ...]]] = {}

    def add(self, table: type[Table], values: Mapping[str, Any]) -> None:
        names = tuple(values)
        self._groups.setdefault((table, names), []).append(tuple(values.values()))

    def add_many(self, table: type[Table], rows: Sequence[Mapping[str, Any]]) -> None:
        for row in rows:
            self.add(table, row)

    async def commit(self) -> None:
        if not self._groups:
            return
        engine = current_engine()
        if isinstance(engine, PostgresEngine):
            await self._commit_postgres()
        else:
            async with transaction():
                for (table, names), rows in self._groups.items():
                    sql = _insert_sql(table, names, len(rows), False, 0)
                    await _run(sql, [v for row in rows for v in row])

    async def _commit_postgres(self) -> None:
        parts: list[str] = []
        args: list[Any] = []
        for (table, names), rows in self._groups.items():
            parts.append(_insert_sql(table, names, len(rows), True, len(args)))
            args.extend(v for row in rows for v in row)
        *ctes, last = parts
        sql = last
        if ctes:
            sql = (
                "WITH " + ", ".join(f"w{i} AS ({part})" for i, part in enumerate(ctes)) + " " + last
            )
        await _run(sql, args)
