"""Benchmark: the staff queue (GET /api/queue) with a thousand and with a million cases.

For each engine and size a fresh database (``approvals setup --demo``) gets that many
cases written in bulk (``bench/queueseed.py``: a spread of statuses, sections, clerks and
deadlines, most cases long closed), then ``approvals serve`` (one worker) starts and the
demo ``window`` clerk logs in. Each query shape is its own row, measured with wrk over
a few keep-alive connections (a warm-up, then the measured run, one URL per shape):

- first page: ``/api/queue`` (the clerk's section, most urgent first, 50 a page);
- status: ``?status=in_review``;
- assignee=me: ``?assignee=me``;
- overdue: ``?overdue=true``;
- deep page: ``?cursor=…`` — the cursor reached by following ``next_cursor`` from the
  first page for 50 pages (or as far as the queue goes).

Afterwards the SQL the service issues for each shape (``approvals.repository
.applications.queue``, captured, not rewritten) is EXPLAINed in the same database; the
plans go to ``bench/results/queue-plans.md`` and, for the largest size, a one-line
summary to the notes.

``BENCH_QUEUE_SIZES=1000,100000`` changes the sizes (short development runs);
``BENCH_QUEUE_TRY_SQL="CREATE INDEX …; …"`` also measures every shape again after running
those statements by hand in the benchmark database (rows marked ``+ index``): a way to
try an index before proposing it as a migration.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import sqlite3
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import asyncpg

from bench import procs, queueseed, workload
from bench.databases import Database, fresh_database, postgres_available
from bench.registry import Options, Row, benchmark
from bench.wrk import WrkResult, run_wrk, write_script

SIZES = (1_000, 1_000_000)
CONNECTIONS = 4  # a latency benchmark: little queueing in front of the one worker
WORKERS = 1
LIMIT = 50  # the service's default page
DEEP_PAGES = 50
GOAL_RATIO = 2.0
TRY_INDEX = "+ index"
CLERK = "window"
PLANS = procs.ROOT / "bench" / "results" / "queue-plans.md"


@dataclass(frozen=True)
class Shape:
    name: str
    query: dict[str, str]  # the URL's query parameters (the deep page's cursor is added)


SHAPES = (
    Shape("first page", {}),
    Shape("status", {"status": "in_review"}),
    Shape("assignee=me", {"assignee": "me"}),
    Shape("overdue", {"overdue": "true"}),
    Shape("deep page", {}),
)


@dataclass
class Plan:
    opts: Options
    secret: str
    port: int
    run_dir: Path
    plans: list[str] = field(default_factory=list)  # Markdown for PLANS

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def sizes() -> tuple[int, ...]:
    text = os.environ.get("BENCH_QUEUE_SIZES", "")
    return tuple(int(p) for p in text.split(",") if p) or SIZES


def size_label(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return f"{n:,}"


def path_label(n: int, shape: str, extra: str = "") -> str:
    return f"{size_label(n)} cases: {shape}{' ' + extra if extra else ''}"


def _env(plan: Plan, db: Database) -> dict[str, str]:
    return procs.python_env(
        {
            **db.env,
            "APPROVALS_HOST": "127.0.0.1",
            "APPROVALS_PORT": str(plan.port),
            "APPROVALS_BASE_URL": plan.base_url,
            "APPROVALS_WORKERS": str(WORKERS),
        }
    )


# -- talking to the service ---------------------------------------------------------------


def _get(base_url: str, path: str, token: str) -> dict[str, Any]:
    request = urllib.request.Request(base_url + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=120) as response:
        answer: dict[str, Any] = json.loads(response.read())
        return answer


def log_in(base_url: str) -> str:
    body = json.dumps({"username": CLERK, "password": workload.DEMO_PASSWORD}).encode()
    request = urllib.request.Request(
        base_url + "/api/auth/login", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(json.loads(response.read())["token"])


def deep_cursor(base_url: str, token: str) -> tuple[str | None, int]:
    """The cursor after ``DEEP_PAGES`` pages of the unfiltered queue (or the last one there
    is) and how many pages were followed to reach it."""
    cursor, depth = None, 0
    while depth < DEEP_PAGES:
        query = f"?{urlencode({'cursor': cursor})}" if cursor else ""
        following = _get(base_url, f"/api/queue{query}", token).get("next_cursor")
        if not following:
            break
        cursor, depth = following, depth + 1
    return cursor, depth


def url_path(shape: Shape, cursor: str | None) -> str:
    query = dict(shape.query)
    if shape.name == "deep page" and cursor:
        query["cursor"] = cursor
    return "/api/queue" + (f"?{urlencode(query)}" if query else "")


def _drive(plan: Plan, path: str, token: str, tag: str) -> WrkResult:
    opts = plan.opts
    script = write_script(
        plan.run_dir / f"{tag}.lua",
        method="GET",
        url_path=path,
        headers={"Authorization": f"Bearer {token}"},
        pieces=(),
        values=(path,),
        path_pieces=("", ""),
    )
    common = {"connections": CONNECTIONS, "threads": min(opts.threads, CONNECTIONS), "offset": 0}
    run_wrk(plan.base_url, script, seconds=opts.warmup, **common)
    return run_wrk(plan.base_url, script, seconds=opts.duration, **common)


# -- the SQL the service issues, and its plans ------------------------------------------------


def service_sql(
    shape: Shape, clerk_id: str, today: date, cursor: str | None
) -> tuple[str, dict[str, Any]]:
    """The statement and parameters ``repository.applications.queue`` sends for ``shape``,
    called as ``services.queue.list_queue`` calls it for the clerk (captured, not copied)."""
    from approvals.repository import applications
    from approvals.web.controllers.reviews import decode_cursor

    seen: list[tuple[str, dict[str, Any]]] = []

    async def capture(sql: str, **params: Any) -> list[dict[str, Any]]:
        seen.append((sql, params))
        return []

    query = shape.query
    after = decode_cursor(cursor) if shape.name == "deep page" and cursor else None
    original = applications.fetch
    applications.fetch = capture  # type: ignore[assignment]
    try:
        asyncio.run(
            applications.queue(
                department=queueseed.HOME,
                status=query.get("status"),
                assignee=clerk_id if query.get("assignee") == "me" else None,
                unassigned=False,
                due_before=today if query.get("overdue") else None,
                after=after,
                limit=LIMIT + 1,
            )
        )
    finally:
        applications.fetch = original  # type: ignore[assignment]
    return seen[0]


_NAMED = re.compile(r":([a-z_][a-z0-9_]*)")


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def explain(db: Database, sql: str, params: dict[str, Any]) -> tuple[str, str, float]:
    """(full plan, one-line summary, the query's own time in ms, warm) on ``db``."""
    if db.url is None:
        args = {k: _sqlite_value(v) for k, v in params.items()}
        with contextlib.closing(sqlite3.connect(db.sqlite_path)) as conn:
            steps = [r[3] for r in conn.execute(f"EXPLAIN QUERY PLAN {sql}", args)]
            times = []
            for _ in range(7):  # the median of warm runs, as the server's would be
                start = time.perf_counter()
                conn.execute(sql, args).fetchall()
                times.append((time.perf_counter() - start) * 1000)
        return "\n".join(steps), "; ".join(steps), sorted(times)[3]

    order: list[str] = []

    def positional(match: re.Match[str]) -> str:
        if match.group(1) not in order:
            order.append(match.group(1))
        return f"${order.index(match.group(1)) + 1}"

    text = _NAMED.sub(positional, sql)

    async def run() -> list[str]:
        conn = await asyncpg.connect(db.url, timeout=10)
        try:
            statement = f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {text}"
            args = [params[n] for n in order]
            await conn.fetch(statement, *args)  # warm, then the run that is shown
            rows = await conn.fetch(statement, *args)
        finally:
            await conn.close()
        return [str(r[0]) for r in rows]

    lines = asyncio.run(run())
    ms = next(
        (float(ln.split(":")[1].split()[0]) for ln in lines if ln.startswith("Execution Time")),
        0.0,
    )
    nodes = [ln.split("->", 1)[-1].strip() for ln in lines[:1] + [x for x in lines if "->" in x]]
    summary = " → ".join(re.sub(r"\s*\(actual .*?\)", "", node) for node in nodes)
    return "\n".join(lines), summary, ms


def _record_plans(
    plan: Plan, db: Database, n: int, clerk_id: str, today: date, cursor: str | None, extra: str
) -> dict[str, str]:
    """EXPLAIN every shape; Markdown for PLANS; the summaries by shape."""
    summaries = {}
    title = f"{db.label}, {size_label(n)} cases{' ' + extra if extra else ''}"
    plan.plans.append(f"## {title}\n")
    for shape in SHAPES:
        sql, params = service_sql(shape, clerk_id, today, cursor)
        try:
            full, summary, ms = explain(db, sql, params)
        except Exception as exc:  # a plan is a diagnosis: never fail the row for it
            full, summary, ms = f"EXPLAIN failed: {exc}", "EXPLAIN failed", 0.0
        summaries[shape.name] = f"{summary} ({ms:,.1f} ms)"
        shown = {k: str(v) for k, v in params.items()}
        plan.plans.append(
            f"### {shape.name} ({ms:,.1f} ms)\n\n```sql\n{sql}\n-- {shown}\n```\n\n"
            f"```\n{full}\n```\n"
        )
    return summaries


def tried_sql() -> list[str]:
    return [s.strip() for s in os.environ.get("BENCH_QUEUE_TRY_SQL", "").split(";") if s.strip()]


def _run_tried_sql(db: Database) -> None:
    if db.url is None:
        with contextlib.closing(sqlite3.connect(db.sqlite_path)) as conn:
            for statement in tried_sql():
                conn.execute(statement)
            conn.commit()
        return

    async def run() -> None:
        conn = await asyncpg.connect(db.url, timeout=10)
        try:
            for statement in tried_sql():
                await conn.execute(statement)
            await conn.execute("ANALYZE application")
        finally:
            await conn.close()

    asyncio.run(run())


# -- one engine and size ------------------------------------------------------------------------


@contextlib.contextmanager
def _server(plan: Plan, db: Database, tag: str) -> Iterator[None]:
    argv = [procs.PYTHON, "-m", "approvals.cli", "serve"]
    log = plan.run_dir / "logs" / f"{tag}.log"
    with procs.server(argv, _env(plan, db), f"{plan.base_url}/health", log):
        yield


def _measure_shapes(
    plan: Plan, db: Database, n: int, tag: str, extra: str
) -> tuple[list[Row], str | None, int]:
    rows = []
    with _server(plan, db, tag), procs.foreign_cpu(db.engine == "postgres") as other:
        token = log_in(plan.base_url)
        cursor, depth = deep_cursor(plan.base_url, token)
        for shape in SHAPES:
            path = url_path(shape, cursor)
            listed = len(_get(plan.base_url, path, token)["items"])
            result = _drive(plan, path, token, f"{tag}-{shape.name.replace(' ', '_')}")
            notes = []
            if result.errors:
                notes.append(
                    f"{result.non2xx} non-2xx, socket errors {result.socket_errors or '{}'}; "
                    f"first {result.sample_status}: {result.sample_body[:300]!r}"
                )
            notes.append(f"{listed} cases on the page")
            if shape.name == "deep page":
                notes[-1] += f" (page {depth + 1}, after {depth * LIMIT:,} cases)"
            rows.append(
                Row(
                    db.label,
                    path_label(n, shape.name, extra),
                    WORKERS,
                    result.ok_per_s,
                    result.p50_ms,
                    result.p99_ms,
                    result.errors,
                    notes=notes,
                )
            )
    if other[0] > 0.05:
        rows[0].notes.append(
            f"processes outside this benchmark used {other[0]:.0%} of the CPUs during these "
            "rows: numbers may be high"
        )
    return rows, cursor, depth


def measure(plan: Plan, engine: str, n: int) -> list[Row]:
    opts = plan.opts
    tag = f"queue-{engine}-{size_label(n)}"
    busy = procs.cpu_busy()
    today = _today()
    with fresh_database(
        engine, plan.run_dir, plan.secret, opts.postgres_admin_url, opts.keep
    ) as db:
        seeded = queueseed.seed(db, n, today)
        clerk_id = queueseed.demo_ids(db)[1]
        rows, cursor, _ = _measure_shapes(plan, db, n, tag, "")
        summaries = _record_plans(plan, db, n, clerk_id, today, cursor, "")
        rows[0].notes.append(
            f"{n:,} cases written in {seeded.seconds:,.0f} s; the clerk's queue holds "
            f"{seeded.open_home:,} open cases, {seeded.overdue_home:,} overdue, "
            f"{seeded.mine_open:,} assigned to the clerk"
        )
        if n == max(sizes()):
            for row in rows:
                row.notes.append("plan: " + summaries[row.path.split(": ", 1)[1]])
        if tried_sql():
            _run_tried_sql(db)
            more, cursor, _ = _measure_shapes(plan, db, n, f"{tag}-index", TRY_INDEX)
            summaries = _record_plans(plan, db, n, clerk_id, today, cursor, TRY_INDEX)
            if n == max(sizes()):
                for row in more:
                    shape = row.path.split(": ", 1)[1].removesuffix(" " + TRY_INDEX)
                    row.notes.append("plan: " + summaries[shape])
            rows += more
    if busy > 0.1:
        rows[0].notes.append(
            f"the machine was {busy:.0%} busy just before these rows: numbers may be high"
        )
    return rows


def _today() -> date:
    from approvals.clock import local_date

    return local_date(datetime.now(UTC))


# -- the table ------------------------------------------------------------------------------------


def _failed(engine: str, n: int, why: str, skipped: bool = False) -> Row:
    label = "PostgreSQL" if engine == "postgres" else "SQLite"
    path = path_label(n, "all")
    return Row(label, path, WORKERS, None, None, None, None, notes=[why], skipped=skipped)


def _with_ratios(rows: list[Row]) -> list[Row]:
    """Each row's p99 ÷ the p99 of the same engine and shape at the smallest size."""
    smallest = min(sizes())
    base: dict[tuple[str, str], float] = {}
    for row in rows:
        size, _, shape = row.path.partition(" cases: ")
        if size == size_label(smallest) and row.p99_ms:
            base[(row.engine, shape)] = row.p99_ms
    out = []
    for row in rows:
        size, _, shape = row.path.partition(" cases: ")
        reference = base.get((row.engine, shape))
        if size != size_label(smallest) and reference and row.p99_ms is not None:
            row = replace(row, ratio=row.p99_ms / reference)
        out.append(row)
    return out


def _goal(rows: list[Row]) -> list[str]:
    largest, smallest = size_label(max(sizes())), size_label(min(sizes()))
    lines = []
    for engine in dict.fromkeys(r.engine for r in rows):
        measured = [
            r
            for r in rows
            if r.engine == engine and r.path.startswith(f"{largest} cases:") and r.ratio
        ]
        for extra in ("", TRY_INDEX):
            chosen = [r for r in measured if r.path.endswith(TRY_INDEX) == bool(extra)]
            if not chosen:
                continue
            worst = max(chosen, key=lambda r: r.ratio or 0.0)
            met = "met" if all((r.ratio or 0) <= GOAL_RATIO and r.ok for r in chosen) else "NOT met"
            each = ", ".join(
                f"{r.path.split(': ', 1)[1].removesuffix(' ' + TRY_INDEX)} {r.ratio:.1f}×"
                for r in chosen
            )
            lines.append(
                f"Goal on {engine}{' ' + extra if extra else ''}: p99 at {largest} ≤ "
                f"{GOAL_RATIO:g} × p99 at {smallest} {met} (worst {worst.ratio:.1f}×; {each})."
            )
    return lines


@benchmark(
    "queue",
    "Staff queue latency, 1k against 1M cases (GET /api/queue)",
    legend=(
        f"One row per engine, size and query shape; the demo `{CLERK}` clerk "
        "(section health_approval) asks, 50 cases a page. wrk over "
        f"{CONNECTIONS} keep-alive connections against `approvals serve` with {WORKERS} "
        "worker: requests/s counts 2xx answers; p50/p99 are wrk's, from send to full answer.",
        "Cases are written straight into the database (bench/queueseed.py): 30 % open, "
        "2 % awaiting correction, 68 % closed; 70 % in health_approval; one open case in three "
        "overdue; one clerk a section per 25,000 cases, so every shape fills its page at 1k "
        "too. PostgreSQL is VACUUM ANALYZEd after loading, SQLite is not ANALYZEd (the "
        "service never does).",
        "deep page: the cursor reached after following 50 pages (fewer when the queue is "
        "shorter: see the notes). ratio: this row's p99 ÷ the same shape's p99 at the "
        "smallest size. Plans of the service's SQL: bench/results/queue-plans.md.",
    ),
    goal=_goal,
    header=("engine", "cases: query", "requests/s", "p50 ms", "p99 ms", "errors", "p99 ÷ 1k"),
)
def queue(opts: Options) -> list[Row]:
    plan = Plan(
        opts, secrets.token_urlsafe(32), procs.free_port(), opts.work_dir / secrets.token_hex(4)
    )
    plan.run_dir.mkdir(parents=True, exist_ok=True)
    plan.plans.append(f"# Queue plans, {datetime.now(UTC):%Y-%m-%d %H:%M UTC}\n")
    rows: list[Row] = []
    for engine in opts.engines:
        unavailable = postgres_available(opts.postgres_admin_url) if engine == "postgres" else None
        for n in sizes():
            if unavailable:
                rows.append(_failed(engine, n, f"skipped: {unavailable}", True))
                continue
            try:
                rows += measure(plan, engine, n)
            except Exception as exc:  # one broken configuration must not hide the others
                rows.append(_failed(engine, n, f"failed: {str(exc)[-1500:]}"))
    PLANS.parent.mkdir(parents=True, exist_ok=True)
    PLANS.write_text("\n".join(plan.plans))
    return _with_ratios(rows)
