"""A Piccolo SQLite engine that keeps its connections open.

Piccolo's stock ``SQLiteEngine`` opens a new aiosqlite connection (a new
thread, a new file handle, ``PRAGMA foreign_keys``) for every query and every
transaction. Measured here that caps the service at a few hundred queries a
second, while the same statements through ``sqlite3`` directly run at tens of
thousands. The fix belongs at the engine, below every table and query, so the
rest of the code keeps using Piccolo as documented.

How it works:

* One **writer** connection, guarded by an ``asyncio.Lock``. A transaction
  holds the lock from ``BEGIN IMMEDIATE`` to ``COMMIT``; a write outside a
  transaction takes it for one statement. SQLite allows one writer at a time
  anyway, so serialising writers in-process costs nothing and removes the
  ``database is locked`` failures of competing connections.
* One **reader** connection for queries outside a transaction. In WAL mode it
  reads the last committed snapshot while a write transaction is open.
* Statements run **synchronously on the event loop**. A SQLite statement on
  an indexed table takes microseconds; handing it to a thread (what aiosqlite
  does) costs more than the statement itself. Long analytical reads should not
  go through this engine's reader on the request path.

* WAL **checkpoints run on a thread of their own** (PASSIVE, twice a second),
  not inside whichever request's COMMIT crosses the auto-checkpoint threshold:
  copying pages back into the database file is the one slow, disk-bound part
  of a commit. The auto-checkpoint stays on at a high mark as a backstop.

This engine is meant for the embedded, single-process deployment. Several
processes writing one SQLite file still work (``busy_timeout`` makes them wait
their turn) but block their event loop while they wait; production runs on
PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import Generator, Sequence
from typing import Any

from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory
from piccolo.querystring import QueryString

_CHECKPOINT_SECONDS = 0.5
_BACKSTOP_CHECKPOINT_PAGES = 20_000  # ~80 MB of WAL before a commit checkpoints itself


def is_read(sql: str) -> bool:
    # Piccolo tags only inserts with a query type, so look at the statement itself.
    return sql.lstrip()[:6].upper() == "SELECT"


class _Cursor:
    """Just enough of aiosqlite's cursor for Piccolo's call sites."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int) -> list[Any]:
        return self._cursor.fetchmany(size)

    async def close(self) -> None:
        self._cursor.close()

    async def __aenter__(self) -> _Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()


class _Connection:
    """An aiosqlite-shaped facade over a synchronous ``sqlite3`` connection.

    ``close`` is a no-op: the engine owns the connection's lifetime.
    """

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    def execute(self, sql: str, args: Any = ()) -> _AwaitableCursor:
        return _AwaitableCursor(self.raw.execute(sql, args))

    async def close(self) -> None:
        return None


class _AwaitableCursor(_Cursor):
    # Piccolo both awaits ``connection.execute(...)`` and uses it as an async
    # context manager; support both shapes.
    def __await__(self) -> Generator[Any, None, _AwaitableCursor]:
        if False:  # pragma: no cover - makes this a generator
            yield
        return self


class PersistentSQLiteTransaction(SQLiteTransaction):
    """A transaction on the engine's writer connection, holding its lock."""

    engine: PersistentSQLiteEngine

    async def get_connection(self) -> _Connection:
        await self.engine.write_lock.acquire()
        return self.engine.writer

    async def begin(self) -> None:
        try:
            self.connection.raw.execute(f"BEGIN {self.transaction_type.value}")
        except BaseException:
            self.engine.write_lock.release()
            raise

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        try:
            if exception:
                if not self._rolled_back and self.connection.raw.in_transaction:
                    self.connection.raw.execute("ROLLBACK")
                    self._rolled_back = True
            elif not self._committed and not self._rolled_back:
                try:
                    self.connection.raw.execute("COMMIT")
                    self._committed = True
                except BaseException:
                    if self.connection.raw.in_transaction:
                        self.connection.raw.execute("ROLLBACK")
                    raise
        finally:
            self.engine.current_transaction.reset(self.context)
            self.engine.write_lock.release()
        return exception is None


class PersistentSQLiteEngine(SQLiteEngine):
    """SQLite with a persistent writer and reader connection (see module doc)."""

    def __init__(self, path: str, *, busy_timeout_ms: int = 10_000, **kwargs: Any) -> None:
        self._busy_timeout_ms = busy_timeout_ms
        self._writer: _Connection | None = None
        self._reader: _Connection | None = None
        self._lock: asyncio.Lock | None = None
        self._checkpointer: tuple[threading.Thread, threading.Event] | None = None
        super().__init__(path=path, **kwargs)

    # -- connections -------------------------------------------------------

    def _open(self, *, read_only: bool) -> _Connection:
        raw = sqlite3.connect(check_same_thread=False, **self.connection_kwargs)
        raw.row_factory = dict_factory
        raw.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
        raw.execute("PRAGMA foreign_keys = ON")
        if read_only:
            raw.execute("PRAGMA query_only = ON")
        else:
            # WAL: readers never block the writer. NORMAL sync is durable at
            # every checkpoint and loses at most the last commits on power loss
            # (never corrupts); see https://sqlite.org/wal.html#performance.
            raw.execute("PRAGMA journal_mode = WAL")
            raw.execute("PRAGMA synchronous = NORMAL")
            raw.execute(f"PRAGMA wal_autocheckpoint = {_BACKSTOP_CHECKPOINT_PAGES}")
        return _Connection(raw)

    def _checkpoint_forever(self, stop: threading.Event) -> None:
        raw = sqlite3.connect(self.connection_kwargs["database"], check_same_thread=False)
        raw.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
        try:
            while not stop.wait(_CHECKPOINT_SECONDS):
                with contextlib.suppress(sqlite3.Error):  # busy now: the next round catches up
                    raw.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            raw.close()

    def _start_checkpointer(self) -> None:
        if self._checkpointer is None:
            stop = threading.Event()
            thread = threading.Thread(
                target=self._checkpoint_forever, args=(stop,), name="sqlite-checkpoint", daemon=True
            )
            thread.start()
            self._checkpointer = (thread, stop)

    @property
    def writer(self) -> _Connection:
        if self._writer is None:
            self._writer = self._open(read_only=False)
        return self._writer

    @property
    def reader(self) -> _Connection:
        if self._reader is None:
            self.writer  # noqa: B018 - the writer switches the file to WAL first
            self._reader = self._open(read_only=True)
        return self._reader

    @property
    def write_lock(self) -> asyncio.Lock:
        # Created lazily so it binds to the running loop, not the import-time one.
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    def close(self) -> None:
        if self._checkpointer is not None:
            thread, stop = self._checkpointer
            stop.set()
            thread.join(timeout=5)
            self._checkpointer = None
        for conn in (self._reader, self._writer):
            if conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    conn.raw.close()
        self._reader = self._writer = None
        self._lock = None

    async def get_connection(self) -> _Connection:  # type: ignore[override]
        # Used by Piccolo for batch reads outside a transaction.
        return self.reader

    async def start_connection_pool(self, **_: Any) -> None:
        self.writer  # noqa: B018 - open eagerly at start-up
        self._start_checkpointer()

    async def close_connection_pool(self) -> None:
        self.close()

    # -- running statements ------------------------------------------------

    @staticmethod
    def execute_now(conn: _Connection, query: str, args: Sequence[Any] | None) -> list[Any]:
        cursor = conn.raw.execute(query, args or [])
        try:
            return cursor.fetchall()
        finally:
            cursor.close()

    async def _run_in_existing_connection(  # type: ignore[override]
        self, connection: _Connection, query: str, args: list[Any] | None = None, **_: Any
    ) -> list[Any]:
        return self.execute_now(connection, query, args)

    async def _run_in_new_connection(  # type: ignore[override]
        self, query: str, args: list[Any] | None = None, query_type: str = "generic", **_: Any
    ) -> list[Any]:
        if is_read(query):
            return self.execute_now(self.reader, query, args)
        # A write outside a transaction must not land inside another task's
        # open transaction on the shared writer: wait for the lock.
        async with self.write_lock:
            return self.execute_now(self.writer, query, args)

    async def run_querystring(self, querystring: QueryString, in_pool: bool = False) -> Any:
        query, args = querystring.compile_string(engine_type=self.engine_type)
        if self.log_queries:
            self.print_query(query_id=self.get_query_id(), query=str(querystring))
        transaction = self.current_transaction.get()
        if transaction is not None:
            return self.execute_now(transaction.connection, query, args)
        return await self._run_in_new_connection(query, args, query_type=querystring.query_type)

    async def run_ddl(self, ddl: str, in_pool: bool = False) -> Any:
        transaction = self.current_transaction.get()
        if transaction is not None:
            return self.execute_now(transaction.connection, ddl, None)
        async with self.write_lock:
            return self.execute_now(self.writer, ddl, None)

    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.immediate,
        allow_nested: bool = True,
    ) -> PersistentSQLiteTransaction:
        # Immediate by default: a deferred transaction that later writes fails
        # at once with "database is locked" when another writer is active.
        return PersistentSQLiteTransaction(
            engine=self, transaction_type=transaction_type, allow_nested=allow_nested
        )
