"""Choosing and starting the database engine."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine

from approvals.config import Settings, settings
from approvals.persistence.sqlite_engine import PersistentSQLiteEngine
from approvals.tables import ALL_TABLES

# Server-side guards: a statement or an idle transaction may not hold locks for
# long. Audit sealing relies on no transaction living past this bound.
_PG_SERVER_SETTINGS = {
    "timezone": "UTC",
    "statement_timeout": "30000",
    "idle_in_transaction_session_timeout": "30000",
    "application_name": "approvals",
}


def engine_from_settings(conf: Settings | None = None) -> Engine[Any]:
    conf = conf or settings()
    if conf.database_url:
        scheme = urlsplit(conf.database_url).scheme
        if scheme not in {"postgres", "postgresql"}:
            raise ValueError(f"DATABASE_URL must be postgresql://…, got scheme {scheme!r}")
        return PostgresEngine(
            config={"dsn": conf.database_url, "server_settings": _PG_SERVER_SETTINGS},
            extensions=(),
        )
    conf.data_dir.mkdir(parents=True, exist_ok=True)
    return PersistentSQLiteEngine(path=str(conf.sqlite_path))


def current_engine() -> Engine[Any]:
    return ALL_TABLES[0]._meta.db


def bind_engine(engine: Engine[Any]) -> None:
    """Point every table at ``engine`` (tests and tools switch databases)."""
    for table in ALL_TABLES:
        table._meta.db = engine


async def _keep_session(connection: Any) -> None:
    """Pool reset that sends nothing.

    asyncpg's default reset runs ``RESET ALL; UNLISTEN *; CLOSE ALL; …`` — one
    round trip every time a connection goes back to the pool, i.e. after every
    query Piccolo runs outside a transaction. This service never changes session
    state (no SET, LISTEN, cursors or advisory locks), and asyncpg still rolls
    back a transaction left open before calling this.
    """


async def start_engine(engine: Engine[Any], pool_size: int) -> None:
    if isinstance(engine, PostgresEngine):
        if engine.pool is None:
            await engine.start_connection_pool(min_size=2, max_size=pool_size, reset=_keep_session)
    elif isinstance(engine, PersistentSQLiteEngine):
        await engine.start_connection_pool()


async def stop_engine(engine: Engine[Any]) -> None:
    if isinstance(engine, PostgresEngine):
        if engine.pool is not None:
            await engine.close_connection_pool()
    elif isinstance(engine, PersistentSQLiteEngine):
        engine.close()
