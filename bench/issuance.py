"""Benchmark: commitment permits issued over real HTTP, the service against the raw driver.

For each engine and worker count, and for each path (the service, ``approvals
serve``; the baseline, ``python -m bench.raw_server``), a fresh database is set up
with ``approvals setup --demo``; the service's own login endpoint gives the demo
applicant's token and the catalogue endpoint the commitment digest; wrk then
posts filings, each with a different valid credit code (a warm-up, then the
measured run). Afterwards the rows are counted (one application, letter,
certificate and outbox event and three audit entries per 2xx answer) and
``approvals audit verify`` checks every hash chain, so both paths are known to
have done the same, correct work.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from pathlib import Path

from bench import procs, workload
from bench.databases import Database, count_rows, fresh_database, postgres_available
from bench.registry import Options, Row, benchmark
from bench.wrk import WrkResult, run_wrk, write_script

SERVICE, RAW = "service", "raw driver"
GOAL_RPS, GOAL_RATIO = 1000.0, 0.5


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
            "BENCH_RAW_DATABASE": db.raw_target,
        }
    )


def _drive(plan: Plan, token: str, digest: str, tag: str) -> tuple[WrkResult, WrkResult]:
    """Warm-up, then the measured run (which starts after the warm-up's codes)."""
    opts = plan.opts
    script = write_script(
        plan.run_dir / f"{tag}.lua",
        method="POST",
        url_path="/api/applications",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        pieces=workload.body_pieces(digest),
        values=plan.codes,
    )
    common = {"connections": opts.connections, "threads": opts.threads}
    try:
        warm = run_wrk(plan.base_url, script, seconds=opts.warmup, offset=0, **common)
        offset = warm.next_index  # no code of the warm-up is sent again
        measured = run_wrk(plan.base_url, script, seconds=opts.duration, offset=offset, **common)
    finally:
        if not opts.keep:
            script.unlink(missing_ok=True)  # ~4 MB of credit codes
    return warm, measured


def _row_check(counts: dict[str, int], answered: int, in_flight: int) -> list[str]:
    """Every issuance wrote one application, letter and certificate, two outbox events and
    three audit entries; at least one per 2xx answer, at most ``in_flight`` more (requests still
    open when wrk stopped are committed but not counted). Serials are allocated in a
    statement of their own, so a request cut off between allocation and commit leaves a
    gap: at most ``in_flight`` of them."""
    apps = counts["application"]
    per_app = {
        "commitment_letter": 1,
        "certificate": 1,
        "outbox_event": 2,  # application.approved and certificate.issued
        "audit_entry": 3,
    }
    wrong = [
        f"{t} {counts[t]:,} for {apps:,} applications"
        for t, k in per_app.items()
        if counts[t] != k * apps
    ]
    if not apps <= counts["last_serial"] <= apps + in_flight:
        wrong.append(f"last_serial {counts['last_serial']:,} for {apps:,} applications")
    if not answered <= apps <= answered + in_flight:
        wrong.append(f"{apps:,} applications for {answered:,} 2xx answers")
    return ["row check FAILED: " + "; ".join(wrong)] if wrong else []


def _checks(
    plan: Plan, db: Database, env: dict[str, str], warm: WrkResult, measured: WrkResult
) -> list[str]:
    """Notes on anything that makes the numbers suspect (none when all is well)."""
    notes = []
    if warm.errors:
        notes.append(
            f"warm-up had {warm.errors} errors (first: {warm.sample_status} "
            f"{warm.sample_body[:300]!r})"
        )
    if measured.errors:
        notes.append(
            f"{measured.non2xx} non-2xx, socket errors {measured.socket_errors or '{}'}; "
            f"first error {measured.sample_status}: {measured.sample_body[:500]!r}"
        )
    if measured.next_index > len(plan.codes):
        notes.append(
            f"{measured.next_index:,} requests cycled through {len(plan.codes):,} credit codes "
            "(raise --codes for all-distinct codes)"
        )
    notes += _row_check(count_rows(db), warm.ok + measured.ok, 2 * plan.opts.connections)
    if plan.opts.verify_audit:
        try:
            procs.run([procs.PYTHON, "-m", "approvals.cli", "audit", "verify"], env, timeout=600)
        except RuntimeError as exc:
            notes.append(f"audit verify FAILED: {str(exc)[-300:]}")
    return notes


def measure(plan: Plan, engine: str, path: str, workers: int) -> Row:
    tag = f"{engine}-{workers}w-{'service' if path == SERVICE else 'raw'}"
    busy = procs.cpu_busy()  # nothing of ours runs now: anything busy is someone else
    logs = plan.run_dir / "logs"
    with fresh_database(
        engine, plan.run_dir, plan.secret, plan.opts.postgres_admin_url, plan.opts.keep
    ) as db:
        env = _env(plan, db, workers)
        service_argv = [procs.PYTHON, "-m", "approvals.cli", "serve"]
        health = f"{plan.base_url}/health"
        with procs.server(service_argv, env, health, logs / f"{tag}-service.log"):
            # Credentials and the digest always come from the real service.
            token = workload.login(plan.base_url)
            digest = workload.commitment_digest(plan.base_url)
            if path == SERVICE:
                warm, measured = _drive(plan, token, digest, tag)
        if path == RAW:
            raw_argv = [procs.PYTHON, "-m", "bench.raw_server"]
            with procs.server(raw_argv, env, health, logs / f"{tag}.log"):
                warm, measured = _drive(plan, token, digest, tag)
        notes = _checks(plan, db, env, warm, measured)
    if busy > 0.1:
        notes.append(f"the machine was {busy:.0%} busy just before this row: numbers may be low")
    return Row(
        db.label,
        path,
        workers,
        measured.ok_per_s,
        measured.p50_ms,
        measured.p99_ms,
        measured.errors,
        notes=notes,
    )


def _failed(engine: str, path: str, workers: int, why: str, skipped: bool = False) -> Row:
    label = "PostgreSQL" if engine == "postgres" else "SQLite"
    return Row(label, path, workers, None, None, None, None, notes=[why], skipped=skipped)


def _goal(rows: list[Row]) -> list[str]:
    lines = []
    for row in rows:
        if row.path != SERVICE or row.requests_per_s is None:
            continue
        rate = "met" if row.requests_per_s >= GOAL_RPS and row.ok else "NOT met"
        ratio = "—" if row.ratio is None else f"{row.ratio:.2f}"
        ratio_ok = "met" if row.ratio is not None and row.ratio >= GOAL_RATIO else "NOT met"
        lines.append(
            f"Goal on {row.engine} ({row.workers} w): ≥ 1,000 issuances/s {rate} "
            f"({row.requests_per_s:,.0f}/s); ratio ≥ 0.5 {ratio_ok} ({ratio})."
        )
    return lines


@benchmark(
    "issuance",
    "Commitment permits issued over HTTP (POST /api/applications)",
    legend=(
        "requests/s counts 2xx answers only (each one a signed certificate and its rows, "
        "committed); latency is wrk's, from send to full answer; errors are non-2xx answers "
        "plus socket errors in the measured run.",
        "service: `approvals serve` (Litestar + Piccolo); raw driver: `bench/raw_server.py` "
        "(bare ASGI + sqlite3/asyncpg, same checks, same rows), both on granian with the same "
        "worker count, each on its own freshly set-up database.",
    ),
    goal=_goal,
)
def issuance(opts: Options) -> list[Row]:
    plan = Plan(
        opts,
        workload.credit_codes(opts.codes),
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
            pair: dict[str, Row] = {}
            for path in (SERVICE, RAW):
                if unavailable:
                    pair[path] = _failed(engine, path, workers, f"skipped: {unavailable}", True)
                    continue
                try:
                    pair[path] = measure(plan, engine, path, workers)
                except Exception as exc:  # one broken configuration must not hide the others
                    pair[path] = _failed(engine, path, workers, f"failed: {str(exc)[-1500:]}")
            service, raw = pair[SERVICE], pair[RAW]
            if service.requests_per_s and raw.requests_per_s:
                service = replace(service, ratio=service.requests_per_s / raw.requests_per_s)
            rows += [service, raw]
    return rows
