"""Fresh databases for a measurement, set up by ``approvals setup --demo``, removed afterwards.

SQLite lives in a directory under ``bench/results/runs`` (the same disk as ``./data``,
not a tmpfs); PostgreSQL gets a database ``approvals_bench_<random>`` that is
dropped (``WITH (FORCE)``) when the block ends, even on errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from bench import procs

# Counted after a run: what one issuance writes, per table.
COUNTED_TABLES = ("application", "commitment_letter", "audit_entry", "certificate", "outbox_event")


@dataclass(frozen=True)
class Database:
    engine: str  # "sqlite" | "postgres"
    label: str  # "SQLite" | "PostgreSQL"
    data_dir: Path
    url: str | None = None  # PostgreSQL DSN
    env: dict[str, str] = field(default_factory=dict)

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "approvals.sqlite3"

    @property
    def raw_target(self) -> str:
        """What ``bench.raw_server`` connects to: a DSN or a SQLite file."""
        return self.url or str(self.sqlite_path)


def postgres_available(admin_url: str) -> str | None:
    """None when the server answers, else why not."""

    async def probe() -> None:
        conn = await asyncpg.connect(admin_url, timeout=5)
        await conn.close()

    try:
        asyncio.run(probe())
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _admin(admin_url: str, sql: str) -> None:
    conn = await asyncpg.connect(admin_url, timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.contextmanager
def fresh_database(
    engine: str, work_dir: Path, secret: str, admin_url: str, keep: bool = False
) -> Iterator[Database]:
    """A new database of ``engine``, migrated and seeded with the demo data."""
    data_dir = work_dir / f"{engine}-{secrets.token_hex(4)}"
    data_dir.mkdir(parents=True, exist_ok=True)
    name = f"approvals_bench_{secrets.token_hex(6)}"
    url = _with_database(admin_url, name) if engine == "postgres" else None
    env = {"APPROVALS_DATA_DIR": str(data_dir), "APPROVALS_SECRET": secret}
    if url:
        env["DATABASE_URL"] = url
        asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    db = Database(engine, "PostgreSQL" if url else "SQLite", data_dir, url, env)
    try:
        procs.run([procs.PYTHON, "-m", "approvals.cli", "setup", "--demo"], procs.python_env(env))
        yield db
    finally:
        if url and not keep:
            with contextlib.suppress(Exception):
                asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if not keep:
            shutil.rmtree(data_dir, ignore_errors=True)


def count_rows(db: Database) -> dict[str, int]:
    """Rows per table written by issuing, and the issuer's serial counter."""
    queries = {t: f"SELECT count(*) FROM {t}" for t in COUNTED_TABLES}
    # Set-up and log-ins write audit entries on other chains; count the cases' own.
    queries["audit_entry"] = "SELECT count(*) FROM audit_entry WHERE chain LIKE 'application:%'"
    queries["outbox_event"] = "SELECT count(*) FROM outbox_event WHERE partition_key <> 'audit'"
    queries["last_serial"] = "SELECT coalesce(max(last_serial), 0) FROM issuer"
    if db.url is None:
        with contextlib.closing(sqlite3.connect(db.sqlite_path)) as conn:
            return {k: int(conn.execute(q).fetchone()[0]) for k, q in queries.items()}

    async def count() -> dict[str, int]:
        conn = await asyncpg.connect(db.url, timeout=10)
        try:
            return {k: int(await conn.fetchval(q)) for k, q in queries.items()}
        finally:
            await conn.close()

    return asyncio.run(count())
