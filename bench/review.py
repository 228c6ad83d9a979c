"""Benchmark: complete review cases per second, every step its own request and transaction.

For each engine and worker count a fresh database (``approvals setup --demo``), the review
team (``python -m bench.staff``: reviewers and inspectors of radiation health and pharmacy
administration beside the demo users), a newly started ``approvals serve``, one login per
desk and one PDF upload by the applicant, reused in every slot of every filing. Then
``bench.casework`` runs the whole 开办医疗机构 journey — filing, acceptance, three opinions
at once, the joint inspection and its three sign-offs, approval with the signed combined
certificate — for many cases at a time: a warm-up, the measured window, and then the cases
still under way are run to their end.

Afterwards every case is checked in the database: each case the client saw approved is
approved with exactly one certificate, there is no other bundle case (none was left
half-way), and ``approvals audit verify`` checks every hash chain.

``BENCH_PROFILE=1`` records a py-spy profile of the server over the measured window
(``bench/profiling.py``; the numbers of such a run are not the benchmark's).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from bench import casework, procs, profiling, workload
from bench.databases import Database, fresh_database, postgres_available
from bench.registry import Options, Row, benchmark

GOAL_CASES_PER_S = 300.0
CASES_IN_FLIGHT = 32
CONNECTIONS = 48  # a case has up to three requests in flight (the opinions)
CASES = "complete cases"
STEPS = f"every step ({casework.REQUESTS_PER_CASE} requests per case)"
TEAM_MARK = "BENCH_TEAM "


@dataclass(frozen=True)
class Plan:
    opts: Options
    codes: list[str]
    secret: str
    port: int
    run_dir: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _env(plan: Plan, db: Database, workers: int) -> dict[str, str]:
    return procs.python_env(
        {
            **db.env,
            "APPROVALS_HOST": "127.0.0.1",
            "APPROVALS_PORT": str(plan.port),
            "APPROVALS_BASE_URL": plan.base_url,
            "APPROVALS_WORKERS": str(workers),
        }
    )


def hire_team(env: dict[str, str]) -> dict[str, dict[str, str]]:
    """The desks of the journey in this database (``bench.staff`` creates what is missing)."""
    out = procs.run([procs.PYTHON, "-m", "bench.staff"], env)
    line = next((ln for ln in out.splitlines() if ln.startswith(TEAM_MARK)), None)
    if line is None:
        raise RuntimeError(f"bench.staff printed no team:\n{out[-2000:]}")
    desks: dict[str, dict[str, str]] = json.loads(line[len(TEAM_MARK) :])
    return desks


@contextlib.contextmanager
def serve(plan: Plan, db: Database, workers: int, tag: str) -> Iterator[int]:
    """``approvals serve`` on this database until the block ends; its process group id."""
    env = _env(plan, db, workers)
    argv = [procs.PYTHON, "-m", "approvals.cli", "serve"]
    log = plan.run_dir / "logs" / f"{tag}.log"
    with procs.server(argv, env, f"{plan.base_url}/health", log) as proc:
        yield proc.pid


# -- checks ----------------------------------------------------------------------------

_CASES_SQL = (
    "SELECT a.id, a.status, (SELECT count(*) FROM certificate c WHERE c.application = a.id)"
    " AS certificates FROM application a WHERE a.permit_code = 'medical_institution_bundle'"
)


def bundle_cases(db: Database) -> dict[str, tuple[str, int]]:
    """Every bundle case in the database: id -> (status, certificates)."""
    if db.url is None:
        with contextlib.closing(sqlite3.connect(db.sqlite_path)) as conn:
            rows = conn.execute(_CASES_SQL).fetchall()
        return {str(r[0]): (str(r[1]), int(r[2])) for r in rows}

    async def fetch() -> dict[str, tuple[str, int]]:
        conn = await asyncpg.connect(db.url, timeout=10)
        try:
            rows = await conn.fetch(_CASES_SQL)
        finally:
            await conn.close()
        return {str(r[0]): (str(r[1]), int(r[2])) for r in rows}

    return asyncio.run(fetch())


def _checks(db: Database, env: dict[str, str], run: casework.Run, verify_audit: bool) -> list[str]:
    notes = []
    tally = run.tally
    if tally.errors or run.failed:
        notes.append(
            f"{tally.errors:,} failed requests, {run.failed:,} cases abandoned; first: "
            f"{tally.first_error[:500]}"
        )
    found = bundle_cases(db)
    wrong = []
    approved = set(run.case_ids)
    if len(approved) != len(run.case_ids):
        wrong.append("a case was counted twice")
    bad = [i for i in approved if found.get(i) != ("approved", 1)]
    if bad:
        sample = bad[0]
        wrong.append(
            f"{len(bad):,} counted cases not approved with one certificate "
            f"(e.g. {sample}: {found.get(sample)})"
        )
    others = set(found) - approved
    if others:
        wrong.append(f"{len(others):,} bundle cases the client did not see approved")
    if run.started != len(run.case_ids) + run.failed:
        wrong.append(f"{run.started:,} cases begun, {len(run.case_ids) + run.failed:,} ended")
    if wrong:
        notes.append("case check FAILED: " + "; ".join(wrong))
    if verify_audit:
        try:
            procs.run([procs.PYTHON, "-m", "approvals.cli", "audit", "verify"], env, timeout=600)
        except RuntimeError as exc:
            notes.append(f"audit verify FAILED: {str(exc)[-300:]}")
    return notes


# -- one configuration -------------------------------------------------------------------


def measure(plan: Plan, engine: str, workers: int) -> list[Row]:
    opts = plan.opts
    tag = f"review-{engine}-{workers}w"
    busy = procs.cpu_busy()
    with fresh_database(
        engine, plan.run_dir, plan.secret, opts.postgres_admin_url, opts.keep
    ) as db:
        env = _env(plan, db, workers)
        desks = hire_team(env)
        with (
            serve(plan, db, workers, tag) as server_pid,
            procs.foreign_cpu(engine == "postgres") as other,
        ):
            team = casework.Team.log_in(plan.base_url, desks)
            with profiling.maybe_profile(plan.run_dir, tag, opts.warmup, opts.duration, server_pid):
                run = casework.drive(
                    "127.0.0.1",
                    plan.port,
                    team,
                    plan.codes,
                    cases_in_flight=CASES_IN_FLIGHT,
                    connections=CONNECTIONS,
                    warmup=opts.warmup,
                    duration=opts.duration,
                )
        notes = _checks(db, env, run, opts.verify_audit)
    tally = run.tally
    all_steps = [v for values in tally.latencies.values() for v in values]
    case_p50 = casework.percentile(run.case_latencies, 0.5)
    case_p99 = casework.percentile(run.case_latencies, 0.99)
    step_p50 = casework.percentile(all_steps, 0.5)
    step_p99 = casework.percentile(all_steps, 0.99)
    notes.append(
        "per step p50/p99 ms: "
        + ", ".join(casework.step_summary(tally))
        + f"; {len(run.case_ids):,} cases approved in all ({run.started:,} begun, warm-up "
        f"and drain included); client {run.client_cpu_s / run.wall_s:.0%} of a core"
    )
    if other[0] > 0.05:
        notes.append(
            f"processes outside this benchmark used {other[0]:.0%} of the CPUs: numbers may be low"
        )
    if busy > 0.1:
        notes.append(f"the machine was {busy:.0%} busy just before this row: numbers may be low")
    label = db.label
    errors = tally.errors + run.failed
    cases = Row(
        label,
        CASES,
        workers,
        run.cases_per_s,
        _ms(case_p50),
        _ms(case_p99),
        errors,
        ratio=run.cases_per_s / GOAL_CASES_PER_S,
        notes=notes,
    )
    steps = Row(
        label, STEPS, workers, run.requests_per_s, _ms(step_p50), _ms(step_p99), tally.errors
    )
    return [cases, steps]


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def _failed(engine: str, workers: int, why: str, skipped: bool = False) -> Row:
    label = "PostgreSQL" if engine == "postgres" else "SQLite"
    return Row(label, CASES, workers, None, None, None, None, notes=[why], skipped=skipped)


def _goal(rows: list[Row]) -> list[str]:
    lines = []
    for row in rows:
        if row.path != CASES or row.requests_per_s is None:
            continue
        met = "met" if row.requests_per_s >= GOAL_CASES_PER_S and row.ok else "NOT met"
        lines.append(
            f"Goal on {row.engine} ({row.workers} w): ≥ {GOAL_CASES_PER_S:,.0f} complete "
            f"cases/s {met} ({row.requests_per_s:,.0f}/s, "
            f"{row.requests_per_s * casework.WRITES_PER_CASE:,.0f} write transactions/s)."
        )
    return lines


@benchmark(
    "review",
    "Review cases end to end over HTTP (开办医疗机构 bundle, three departments)",
    legend=(
        f"One case = {casework.REQUESTS_PER_CASE} requests, each its own transaction: filing, "
        "acceptance, the case's review tasks, three opinions at once, a read, scheduling the "
        "joint inspection, three inspectors' results in turn, the decision maker's read and "
        f"approval (a signed combined certificate); {casework.WRITES_PER_CASE} of them write.",
        f"complete cases: cases whose approval was answered inside the measured window, per "
        f"second; p50/p99 of a case's duration (filing sent to approval answered), "
        f"{CASES_IN_FLIGHT} cases in flight over {CONNECTIONS} keep-alive connections "
        "(bench/casework.py, asyncio on uvloop). every step: requests/s and p50/p99 of "
        "single requests in the window; per-step figures in the notes.",
        "errors: non-2xx answers (a 409 included) and lost connections, plus abandoned "
        "cases. After the run every case is checked in the database (approved, exactly one "
        "certificate, no half-done case) and `approvals audit verify` runs.",
        f"ratio: complete cases/s ÷ the goal of {GOAL_CASES_PER_S:,.0f}/s.",
    ),
    goal=_goal,
    header=("engine", "what", "per s", "p50 ms", "p99 ms", "errors", "÷ goal"),
)
def review(opts: Options) -> list[Row]:
    plan = Plan(
        opts,
        workload.credit_codes(50_000, seed=2027),
        secrets.token_urlsafe(32),
        procs.free_port(),
        opts.work_dir / secrets.token_hex(4),
    )
    plan.run_dir.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    for engine in opts.engines:
        workers_list = opts.postgres_workers if engine == "postgres" else opts.sqlite_workers
        unavailable = postgres_available(opts.postgres_admin_url) if engine == "postgres" else None
        for workers in workers_list:
            if unavailable:
                rows.append(_failed(engine, workers, f"skipped: {unavailable}", True))
                continue
            try:
                rows += measure(plan, engine, workers)
            except Exception as exc:  # one broken configuration must not hide the others
                rows.append(_failed(engine, workers, f"failed: {str(exc)[-1500:]}"))
    return rows
