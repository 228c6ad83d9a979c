"""Cases for the queue benchmark, written straight into a benchmark database in bulk.

Rows look like what the service writes (the same columns, formats and JSON, the demo
applicant as filer), with a spread that a licensing office accumulates over years:

- 68 % closed (approved, denied, not accepted, withdrawn; ``next_due`` NULL, as the service
  leaves a final case), 2 % waiting for the applicant's corrections (``next_due`` NULL),
  30 % open: submitted, in review, inspection, rectification, awaiting decision (a heavy
  backlog: more open cases make a queue harder, not easier);
- open cases are due from 10 days ago to 20 days ahead (about one in three is overdue);
- 70 % belong to ``health_approval`` (every permit of today's catalogue is that section's),
  the rest to the five review sections;
- three in four accepted cases (open or closed) have an assignee, one of the clerks of
  their section: one clerk a section per 25,000 cases (a bigger office has more staff), so
  that every query shape fills its 50-case page even with 1,000 cases; the demo ``window``
  clerk is one of health_approval's.

SQLite: one ``executemany`` in one transaction; PostgreSQL: binary ``COPY``. The
application table's secondary indexes are dropped first and rebuilt from their own
definitions afterwards (faster than maintaining them row by row); PostgreSQL then gets
``VACUUM ANALYZE``, as autovacuum would give a table that size; SQLite gets nothing, as
the service never runs ``ANALYZE``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from bench import workload
from bench.casework import bundle_form
from bench.databases import Database

HOME = "health_approval"
SECTIONS = (
    "medical_administration",
    "radiation_health",
    "pharmacy_administration",
    "maternal_child_health",
    "health_informatics",
)
CASES_PER_CLERK = 25_000
OPEN = ("submitted", "in_review", "inspection", "rectification", "awaiting_decision")
OPEN_WEIGHTS = (15, 45, 15, 5, 20)
CLOSED = ("approved", "denied", "not_accepted", "withdrawn")
CLOSED_WEIGHTS = (85, 4, 5, 6)
COLUMNS = (
    "id",
    "number",
    "permit_code",
    "catalogue_version",
    "route",
    "status",
    "applicant",
    "holder_name",
    "holder_code",
    "form",
    "submitted_at",
    "decided_at",
    "row_version",
    "audit_seq",
    "audit_head",
    "updated_at",
    "acceptance_no",
    "accepted_on",
    "assignee",
    "components",
    "correction_items",
    "decision_reasons",
    "department",
    "due_provisional",
    "extension_days",
    "next_due",
    "promised_due",
    "received_on",
    "statutory_due",
)
_HOLE = "@@CREDIT_CODE@@"
_BUNDLE_COMPONENTS = json.dumps(
    [
        {
            "code": "practice_licence",
            "licence_type_code": "11100000MB1A372603002",
            "name": "医疗机构执业许可",
        },
        {
            "code": "radiation_diagnosis",
            "licence_type_code": "11100000MB1A372603003",
            "name": "放射诊疗许可",
        },
    ],
    ensure_ascii=False,
    separators=(",", ":"),
)


@dataclass(frozen=True)
class Seeded:
    cases: int
    open_home: int  # open cases of health_approval: what the window clerk's queue lists
    overdue_home: int
    mine_open: int  # open cases of the window clerk
    seconds: float


def _form_pieces() -> list[tuple[str, str, str, str, tuple[str, str]]]:
    """(permit, route, holder name, components, (form before the code, after it))."""
    from approvals.seed import demo_hygiene_form

    def split(form: dict[str, Any]) -> tuple[str, str]:
        text = json.dumps(form, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        before, after = text.split(_HOLE)
        return before, after

    hygiene = demo_hygiene_form()
    hygiene["credit_code"] = _HOLE
    bundle = bundle_form(_HOLE)
    bundle["uses_narcotics"] = False
    return [
        (
            "public_place_hygiene",
            "commitment",
            str(hygiene["unit_name"]),
            "[]",
            split(hygiene),
        ),
        (
            "medical_institution_bundle",
            "review",
            str(bundle["institution_name"]),
            _BUNDLE_COMPONENTS,
            split(bundle),
        ),
    ]


def _clerks(rng: random.Random, window_id: str, n: int) -> dict[str, list[str]]:
    count = max(1, n // CASES_PER_CLERK)
    clerks = {
        s: [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(count)]
        for s in (HOME, *SECTIONS)
    }
    clerks[HOME][0] = window_id
    return clerks


def case_rows(
    n: int, applicant_id: uuid.UUID, window_id: str, today: date, seed: int = 2028
) -> Iterator[tuple[Any, ...]]:
    """``n`` application rows (``COLUMNS`` order, Python values), reproducibly."""
    rng = random.Random(seed)
    clerks = _clerks(rng, window_id, n)
    kinds = _form_pieces()
    codes = workload.credit_codes(5_000, seed=seed)
    rand, randint, choices, choice = rng.random, rng.randint, rng.choices, rng.choice
    getrandbits = rng.getrandbits
    day = timedelta(days=1)
    for i in range(n):
        permit, route, holder, components, (before, after) = kinds[i % 3 != 0]
        code = codes[i % len(codes)]
        roll = rand()
        if roll < 0.30:
            status = choices(OPEN, OPEN_WEIGHTS)[0]
            due = today + randint(-10, 20) * day
            received = due - randint(8, 16) * day
        elif roll < 0.32:
            status, due = "awaiting_correction", None
            received = today - randint(0, 30) * day
        else:
            status, due = choices(CLOSED, CLOSED_WEIGHTS)[0], None
            received = today - randint(30, 5 * 365) * day
        if route == "commitment" and status in ("submitted", "inspection", "rectification"):
            status = "in_review"  # accepted on filing, no inspection
        section = HOME if rand() < 0.7 else SECTIONS[randint(0, len(SECTIONS) - 1)]
        accepted = None
        if status not in ("submitted", "awaiting_correction", "not_accepted"):
            accepted = received + randint(0, 2) * day if route == "review" else received
        if status == "submitted":  # the intake deadline: 5 working days after receipt
            received = due - 7 * day
        assignee = None
        if (accepted is not None and rand() < 0.75) or (status == "submitted" and rand() < 0.2):
            assignee = choice(clerks[section])
        promised = statutory = None
        if accepted is not None:
            promised = accepted + 17 * day
            statutory = accepted + 28 * day
            if due is not None and status != "submitted":
                promised = due  # the deadline the clock reads today, pauses included
        submitted = datetime(received.year, received.month, received.day, 1, tzinfo=UTC)
        submitted += timedelta(seconds=randint(0, 32_000), microseconds=randint(0, 999_999))
        decided = None
        if status in CLOSED:
            decided = submitted + timedelta(days=randint(1, 20), seconds=randint(0, 30_000))
        versions = 2 if due is not None else 9
        yield (
            uuid.UUID(int=getrandbits(128), version=4),
            f"BQ{received:%Y%m%d}{i:010d}",
            permit,
            1,
            route,
            status,
            applicant_id,
            holder,
            code,
            before + code + after,
            submitted,
            decided,
            versions,
            versions + 2,
            f"{getrandbits(256):064x}",
            decided or submitted,
            f"银审受字〔{accepted.year}〕第{i % 1_000_000:06d}号" if accepted else "",
            accepted,
            assignee,
            components if permit == "medical_institution_bundle" else "[]",
            "[]",
            "经审查，符合法定条件和标准" if status == "approved" else "",
            section,
            False,
            0,
            due,
            promised,
            received,
            statutory,
        )


def _for_sqlite(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """The service's SQLite encodings: UUIDs, dates and instants as text, booleans as 0/1."""
    return tuple(
        v
        if v is None or isinstance(v, (str, int))
        else str(v)
        if isinstance(v, (uuid.UUID, datetime))
        else v.isoformat()
        if isinstance(v, date)
        else v
        for v in row
    )


def _sqlite_seed(path: str, rows: Iterator[tuple[Any, ...]]) -> None:
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA journal_mode = DELETE")  # bench data: no WAL of a gigabyte
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -262144")
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'application'"
            " AND sql IS NOT NULL"
        ).fetchall()
        conn.execute("BEGIN")
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        marks = ", ".join("?" * len(COLUMNS))
        conn.executemany(
            f"INSERT INTO application ({', '.join(COLUMNS)}) VALUES ({marks})",
            (_for_sqlite(r) for r in rows),
        )
        for _, sql in indexes:
            conn.execute(sql)
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode = WAL")  # as the service keeps it


async def _postgres_seed(url: str, rows: Iterator[tuple[Any, ...]]) -> None:
    conn = await asyncpg.connect(url, timeout=10)
    try:
        indexes = await conn.fetch(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i JOIN pg_class c"
            " ON c.relname = i.indexname JOIN pg_index x ON x.indexrelid = c.oid"
            " WHERE i.tablename = 'application' AND NOT x.indisunique"
        )
        await conn.execute("SET maintenance_work_mem = '256MB'")
        async with conn.transaction():
            for row in indexes:
                await conn.execute(f'DROP INDEX "{row["indexname"]}"')
            await conn.copy_records_to_table("application", records=rows, columns=list(COLUMNS))
            for row in indexes:
                await conn.execute(row["indexdef"])
        await conn.execute("VACUUM ANALYZE application")
    finally:
        await conn.close()


async def _pg_ids(url: str) -> tuple[uuid.UUID, str]:
    conn = await asyncpg.connect(url, timeout=10)
    try:
        applicant = await conn.fetchval("SELECT id FROM account WHERE username = 'applicant'")
        window = await conn.fetchval("SELECT id FROM account WHERE username = 'window'")
    finally:
        await conn.close()
    return applicant, str(window)


def demo_ids(db: Database) -> tuple[uuid.UUID, str]:
    """The demo applicant's and the demo window clerk's account ids."""
    if db.url is not None:
        return asyncio.run(_pg_ids(db.url))
    with contextlib.closing(sqlite3.connect(db.sqlite_path)) as conn:
        ids = dict(
            conn.execute(
                "SELECT username, id FROM account WHERE username IN ('applicant', 'window')"
            ).fetchall()
        )
    return uuid.UUID(str(ids["applicant"])), str(ids["window"])


def seed(db: Database, n: int, today: date) -> Seeded:
    """Write ``n`` cases into ``db`` (freshly set up, no cases yet)."""
    applicant, window = demo_ids(db)
    start = time.perf_counter()
    rows = case_rows(n, applicant, window, today)
    counted = _Counter(rows, window, today)
    if db.url is None:
        _sqlite_seed(str(db.sqlite_path), iter(counted))
    else:
        asyncio.run(_postgres_seed(db.url, iter(counted)))
    return Seeded(
        n, counted.open_home, counted.overdue_home, counted.mine, time.perf_counter() - start
    )


class _Counter:
    """Passes rows through, counting what the window clerk's queue should list."""

    def __init__(self, rows: Iterator[tuple[Any, ...]], window: str, today: date) -> None:
        self.rows, self.window, self.today = rows, window, today
        self.open_home = self.overdue_home = self.mine = 0
        self._due = COLUMNS.index("next_due")
        self._section = COLUMNS.index("department")
        self._assignee = COLUMNS.index("assignee")

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        due_at, section_at, assignee_at = self._due, self._section, self._assignee
        for row in self.rows:
            due = row[due_at]
            if due is not None and row[section_at] == HOME:
                self.open_home += 1
                self.overdue_home += due < self.today
                self.mine += row[assignee_at] == self.window
            yield row
