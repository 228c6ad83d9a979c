"""Subscriptions and outbox events for the push benchmark.

``python -m bench.pushseed BASE_URL RATE`` runs in the service's environment
(``DATABASE_URL`` / ``APPROVALS_DATA_DIR``, ``APPROVALS_PUSH_ALLOW_PRIVATE=1``) after
``approvals setup --demo``: it creates one subscription per department in
``DEPARTMENTS`` through the service's own use case (``create_subscription``, as the demo
``admin``; the audit entry included), ``BASE_URL/hook/<department>``, every event type,
``RATE`` requests/s per worker, and prints ``BENCH_SUBS [{department, id, url, secret}]``.

The harness writes outbox events straight into the database (:func:`insert_events`), as
the service's ``stage_events`` writes them (the same columns and encodings; on PostgreSQL
``tx`` fills itself in): cases of ``public_place_hygiene`` — whose supervision departments
are exactly ``DEPARTMENTS``, so every event makes one delivery per subscription — each
with the three events a case pushes in its life (accepted, approved, certificate issued),
``partition_key`` the case's id, and data shaped like ``case_action._payload``'s.
Within a batch the cases' first events come first, then their second ones, then the
third: a backlog holds many partitions, as it would in a day's traffic.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from bench.databases import Database

PERMIT_CODE = "public_place_hygiene"
DEPARTMENTS = ("health_inspection", "market_regulation")
EVENT_TYPES = ["cn.gov.health.approvals.*"]
PREFIX = "cn.gov.health.approvals."
LIFE = ("application.accepted", "application.approved", "certificate.issued")
MARK = "BENCH_SUBS "
COLUMNS = (
    "event_id",
    "type",
    "subject",
    "partition_key",
    "time",
    "data",
    "permit_code",
    "fanned_out",
)


@dataclass(frozen=True)
class Sub:
    department: str
    id: str
    url: str
    secret: str

    @property
    def path(self) -> str:
        return "/hook/" + self.department


# -- subscriptions (run in the service's environment) ----------------------------------------


async def _subscribe(base_url: str, rate: int) -> list[dict[str, str]]:
    from approvals.clock import SystemClock
    from approvals.config import settings
    from approvals.domain.people import Principal
    from approvals.repository import accounts
    from approvals.services.context import build_services
    from approvals.services.subscriptions import SubscriptionSpec, create_subscription

    admin = await accounts.account_by_username("admin")
    if admin is None:
        raise SystemExit("demo user 'admin' missing: run `approvals setup --demo`")
    principal = Principal(
        admin.id,
        admin.username,
        admin.display_name,
        admin.roles,
        admin.department,
        uuid.uuid4(),
        "",
    )
    ctx = build_services(settings(), SystemClock())
    made = []
    for department in DEPARTMENTS:
        url = f"{base_url}/hook/{department}"
        spec = SubscriptionSpec(department, f"压测接收 {department}", url, EVENT_TYPES, rate)
        sub, secret = await create_subscription(ctx, principal, spec)
        made.append({"department": department, "id": str(sub.id), "url": url, "secret": secret})
    return made


async def _main(base_url: str, rate: int) -> list[dict[str, str]]:
    from approvals.persistence.engine import current_engine, start_engine, stop_engine

    engine = current_engine()
    await start_engine(engine, 2)
    try:
        return await _subscribe(base_url, rate)
    finally:
        await stop_engine(engine)


def parse_subs(output: str) -> list[Sub]:
    line = next((ln for ln in output.splitlines() if ln.startswith(MARK)), None)
    if line is None:
        raise RuntimeError(f"bench.pushseed printed no subscriptions:\n{output[-2000:]}")
    return [Sub(**d) for d in json.loads(line[len(MARK) :])]


# -- outbox events (the harness) ---------------------------------------------------------------


def event_rows(cases: int, at: datetime, start: int = 0) -> list[tuple[Any, ...]]:
    """``cases`` × len(LIFE) outbox rows (``COLUMNS`` order): each case's first event, then
    every case's second, then every case's third."""
    ids = [uuid.uuid4() for _ in range(cases)]
    rows = []
    for step, name in enumerate(LIFE):
        status = "approved" if step else "in_review"
        for i, case_id in enumerate(ids):
            n = start + i
            data = {
                "application_id": str(case_id),
                "application_number": f"SQ{at:%Y%m%d}B{n:09d}",
                "permit_code": PERMIT_CODE,
                "holder_name": f"银川压测宾馆{n % 997}号店",
                "holder_code": "91640100MA7X2Q8K5R",
                "status": status,
                "acceptance_no": f"银审受字〔{at.year}〕第{n % 1_000_000:06d}号",
                "accepted_on": at.date().isoformat(),
                "event": name,
                "reason": "",
            }
            if name == "certificate.issued":
                data["certificate_no"] = f"卫公证字〔{at.year}〕第{n % 1_000_000:06d}号"
            rows.append(
                (
                    uuid.uuid4(),
                    PREFIX + name,
                    f"applications/{case_id}",
                    str(case_id),
                    at,
                    json.dumps(data, ensure_ascii=False, separators=(",", ":")),
                    PERMIT_CODE,
                    False,
                )
            )
    return rows


def _for_sqlite(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """The service's SQLite encodings (Piccolo's adapters): UUIDs and UTC instants as text,
    booleans as 0/1."""
    return tuple(
        str(v)
        if isinstance(v, uuid.UUID)
        else str(v.astimezone(UTC))
        if isinstance(v, datetime)
        else int(v)
        if isinstance(v, bool)
        else v
        for v in row
    )


class EventWriter:
    """A connection held open by the harness for writing events into ``db``."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._sqlite: sqlite3.Connection | None = None
        self._pg: asyncpg.Connection | None = None
        self._loop = asyncio.new_event_loop()
        if db.url is None:
            self._sqlite = sqlite3.connect(db.sqlite_path, isolation_level=None, timeout=30)
            self._sqlite.execute("PRAGMA busy_timeout = 30000")
        else:
            self._pg = self._loop.run_until_complete(asyncpg.connect(db.url, timeout=10))

    def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
        if self._pg is not None:
            self._loop.run_until_complete(self._pg.close())
        self._loop.close()

    def insert(self, rows: list[tuple[Any, ...]]) -> None:
        """One transaction."""
        if self._sqlite is not None:
            marks = ", ".join("?" * len(COLUMNS))
            conn = self._sqlite
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(
                    f"INSERT INTO outbox_event ({', '.join(COLUMNS)}) VALUES ({marks})",
                    [_for_sqlite(r) for r in rows],
                )
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return
        assert self._pg is not None
        self._loop.run_until_complete(
            self._pg.copy_records_to_table("outbox_event", records=rows, columns=list(COLUMNS))
        )

    def execute(self, sql: str) -> None:
        if self._sqlite is not None:
            self._sqlite.execute(sql)
            return
        assert self._pg is not None
        self._loop.run_until_complete(self._pg.execute(sql))

    def scalar(self, sql: str) -> int:
        if self._sqlite is not None:
            return int(self._sqlite.execute(sql).fetchone()[0])
        assert self._pg is not None
        return int(self._loop.run_until_complete(self._pg.fetchval(sql)))

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        if self._sqlite is not None:
            return [tuple(r) for r in self._sqlite.execute(sql).fetchall()]
        assert self._pg is not None
        return [tuple(r) for r in self._loop.run_until_complete(self._pg.fetch(sql))]


@contextlib.contextmanager
def writer(db: Database) -> Any:
    w = EventWriter(db)
    try:
        yield w
    finally:
        w.close()


if __name__ == "__main__":
    subs = asyncio.run(_main(sys.argv[1], int(sys.argv[2])))
    print(MARK + json.dumps(subs))
