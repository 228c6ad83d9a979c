"""Benchmark: online verification over real HTTP, at full load (wrk) and at half load (paced).

For each engine, a fresh database (``approvals setup --demo``) and a pool of certificates
issued by the service itself (``bench.certpool``). Then, for each worker count, five runs,
each on a newly started ``approvals serve`` (so every run begins with empty caches):

1. ``POST /api/verify`` cycling through the first 2,000 tokens. The service caches
   signature checks per token (``SignatureCache``, 20,000 per worker process), so after the
   warm-up this measures the cache, not the signature: the optimistic figure.
2. ``POST /api/verify`` with a token no request of the run has sent before (most real scans
   are of distinct certificates): every request checks a signature. The pool is topped up
   after run 1 to hold all of this run's requests (1.25 x run 1's rate x its seconds).
3. The same at a fixed rate of half of run 2's, from 16 connections (``bench.loadgen``;
   Debian has no wrk2), latency counted from each request's scheduled send.
4. ``GET /V/<digits>`` with ``Accept: application/json`` (what a scanning app sends to the
   URL in the QR code), a new token each, wrk.
5. Run 4 at half of its rate, paced as in 3.

The registry row is read on every request in every run (statuses change), caches or not.
"""

from __future__ import annotations

import contextlib
import math
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from bench import loadgen, procs
from bench.certpool import ACCEPT_JSON, JSON, PAGE_PREFIX, VERIFY_PATH, VERIFY_PIECES, CertPool
from bench.databases import Database, fresh_database, postgres_available
from bench.registry import Options, Row, benchmark
from bench.wrk import run_wrk, write_script

SAMPLE = 2_000
PACED_CONNECTIONS = 16
POOL_MARGIN = 1.25
GOAL_RPS, GOAL_P99_MS = 3000.0, 20.0
CACHED = f"POST {VERIFY_PATH}, {SAMPLE:,} tokens cycled (cached)"
POST_NEW = f"POST {VERIFY_PATH}, a new token each"
PAGE_NEW = f"GET {PAGE_PREFIX}<digits> JSON, a new token each"
PACED = ", paced at ½ of max"


@dataclass(frozen=True)
class Plan:
    opts: Options
    secret: str
    port: int
    run_dir: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextlib.contextmanager
def _serve(plan: Plan, db: Database, workers: int, tag: str) -> Iterator[None]:
    """A newly started ``approvals serve``: empty signature cache, key ring and pools."""
    env = procs.python_env(
        {
            **db.env,
            "APPROVALS_HOST": "127.0.0.1",
            "APPROVALS_PORT": str(plan.port),
            "APPROVALS_BASE_URL": plan.base_url,
            "APPROVALS_WORKERS": str(workers),
        }
    )
    argv = [procs.PYTHON, "-m", "approvals.cli", "serve"]
    log = plan.run_dir / "logs" / f"verify-{db.engine}-{workers}w-{tag}.log"
    with procs.server(argv, env, f"{plan.base_url}/health", log):
        yield


def _full_load(
    plan: Plan, label: str, path: str, workers: int, values: Sequence[str], page: bool
) -> Row:
    """wrk: a warm-up from the first value, then the measured run from where it stopped."""
    pool = len(values)
    script = _script(plan, f"verify-{'page' if page else 'post'}-{workers}w", values, page)
    common = {"connections": plan.opts.connections, "threads": plan.opts.threads}
    try:
        warm = run_wrk(plan.base_url, script, seconds=plan.opts.warmup, offset=0, **common)
        measured = run_wrk(
            plan.base_url, script, seconds=plan.opts.duration, offset=warm.next_index, **common
        )
    finally:
        if not plan.opts.keep:
            script.unlink(missing_ok=True)  # tens of MB of tokens
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
    if path != CACHED and measured.next_index > pool:
        notes.append(
            f"{measured.next_index:,} requests cycled through {pool:,} tokens: some were cache hits"
        )
    ok, p50, p99 = measured.ok_per_s, measured.p50_ms, measured.p99_ms
    return Row(label, path, workers, ok, p50, p99, measured.errors, notes=notes)


def _paced_row(
    plan: Plan, label: str, path: str, workers: int, requests: Sequence[bytes], rate: float
) -> Row:
    """Half load: a paced warm-up at the same rate, then the measured run on new tokens."""

    def run(seconds: float, offset: int) -> loadgen.PacedResult:
        return loadgen.paced(
            "127.0.0.1",
            plan.port,
            requests,
            rate=rate,
            seconds=seconds,
            connections=PACED_CONNECTIONS,
            offset=offset,
        )

    warm = run(plan.opts.warmup, 0)
    measured = run(plan.opts.duration, warm.sent)
    notes = [
        f"max latency {measured.max_ms:.1f} ms; {measured.queued:,} requests "
        f"({measured.queued / max(1, measured.sent):.1%}) found all {PACED_CONNECTIONS} "
        f"connections busy at their send time; generator: timer lag p99 "
        f"{measured.lag_p99_ms:.1f} ms (in the latencies), "
        f"{measured.cpu_s / measured.seconds:.0%} of a core"
    ]
    if warm.sent + measured.sent > len(requests):
        notes.append(f"cycled through {len(requests):,} tokens: some were cache hits")
    if measured.errors or warm.errors:
        notes.append(
            f"{measured.non2xx} non-2xx, {measured.socket_errors} socket errors (warm-up "
            f"{warm.errors}); first {measured.sample_status}: {measured.sample_body[:300]!r}"
        )
    return Row(
        label,
        path + PACED,
        workers,
        measured.ok_per_s,
        measured.p50_ms,
        measured.p99_ms,
        measured.errors,
        notes=notes,
    )


def _fresh(plan: Plan, db: Database, workers: int, tag: str, run: Callable[[], Row]) -> Row:
    """``run()`` against a newly started server; a note when other processes took CPU."""
    with _serve(plan, db, workers, tag), procs.foreign_cpu(db.engine == "postgres") as other:
        row = run()
    if other[0] > 0.05:
        row.notes.append(
            f"processes outside this benchmark used {other[0]:.0%} of the CPUs during this "
            "run: numbers may be low"
        )
    return row


def _script(plan: Plan, name: str, values: Sequence[str], page: bool) -> Path:
    if page:
        return write_script(
            plan.run_dir / f"{name}.lua",
            method="GET",
            url_path=PAGE_PREFIX,
            headers=ACCEPT_JSON,
            pieces=(),
            values=values,
            path_pieces=(PAGE_PREFIX, ""),
        )
    return write_script(
        plan.run_dir / f"{name}.lua",
        method="POST",
        url_path=VERIFY_PATH,
        headers=JSON,
        pieces=VERIFY_PIECES,
        values=values,
    )


def measure(plan: Plan, db: Database, pool: CertPool, workers: int) -> list[Row]:
    opts, label, w = plan.opts, db.label, workers
    before = len(pool.tokens)

    def cached_run() -> Row:
        pool.top_up(SAMPLE)
        row = _full_load(plan, label, CACHED, w, pool.tokens[:SAMPLE], page=False)
        # enough new tokens for every request of a run at this rate, on this server
        need = (row.requests_per_s or 0.0) * (opts.warmup + opts.duration) * POOL_MARGIN
        pool.top_up(math.ceil(need))
        return row

    rows = [_fresh(plan, db, w, "cached", cached_run)]
    for path, page in ((POST_NEW, False), (PAGE_NEW, True)):
        tag = "page" if page else "post"
        values = pool.page_digits() if page else pool.tokens
        full = partial(_full_load, plan, label, path, w, values, page)
        row = _fresh(plan, db, w, tag, full)
        requests = pool.page_requests() if page else pool.post_requests()
        half = partial(_paced_row, plan, label, path, w, requests, (row.requests_per_s or 2) / 2)
        paced = _fresh(plan, db, w, f"{tag}-paced", half)
        rows += [row, paced]
    rows[1].notes.append(
        f"{len(pool.tokens):,} certificates issued through the service for this engine "
        f"({len(pool.tokens) - before:,} of them for this worker count)"
    )
    return rows


def _failed(engine: str, path: str, workers: int, why: str, skipped: bool = False) -> Row:
    label = "PostgreSQL" if engine == "postgres" else "SQLite"
    return Row(label, path, workers, None, None, None, None, notes=[why], skipped=skipped)


def _goal(rows: list[Row]) -> list[str]:
    by = {(r.engine, r.workers, r.path): r for r in rows}
    lines = []
    for (engine, workers, path), row in by.items():
        if path != POST_NEW or row.requests_per_s is None:
            continue
        rps = "met" if row.requests_per_s >= GOAL_RPS and row.ok else "NOT met"
        cached = by.get((engine, workers, CACHED))
        cached_rps = f"{cached.requests_per_s:,.0f}/s" if cached and cached.requests_per_s else "—"
        half = [by.get((engine, workers, p + PACED)) for p in (POST_NEW, PAGE_NEW)]
        p99s = [r.p99_ms for r in half if r is not None and r.p99_ms is not None]
        p99_ok = "met" if len(p99s) == 2 and max(p99s) <= GOAL_P99_MS else "NOT met"
        detail = "; ".join(
            f"{'POST' if r.path.startswith('POST') else '/V/'} {r.p99_ms:.1f} ms at "
            f"{r.requests_per_s:,.0f}/s"
            for r in half
            if r is not None and r.p99_ms is not None and r.requests_per_s is not None
        )
        lines.append(
            f"Goal on {engine} ({workers} w): ≥ {GOAL_RPS:,.0f} verifications/s {rps} "
            f"({row.requests_per_s:,.0f}/s with a new token each; {cached_rps} cached); "
            f"p99 ≤ {GOAL_P99_MS:g} ms at half load {p99_ok} ({detail or 'not measured'})."
        )
    return lines


@benchmark(
    "verification",
    "Online verification over HTTP (POST /api/verify, GET /V/<digits>)",
    legend=(
        "wrk rows: requests/s counts 2xx answers, latency is wrk's (send to full answer) at "
        "full load; errors are non-2xx answers plus socket errors in the measured run.",
        "paced rows: bench/loadgen.py (asyncio, no wrk2 in Debian) at half the rate of the "
        f"wrk row above, {PACED_CONNECTIONS} keep-alive connections, latency from each "
        "request's scheduled send time (no coordinated omission), so it includes the "
        "generator's own lag (~1 ms timer granularity).",
        "Signature checks are cached per token in each worker process (SignatureCache, "
        "20,000 entries): the cached row re-sends 2,000 tokens and so measures the cache "
        "after its warm-up; the a-new-token rows never send a token twice and every "
        "request checks an ES256 signature. Every run starts a new server (empty caches).",
        "Each engine has one fresh database for its worker counts; every request reads "
        "the certificate's registry row. Server, wrk or the generator, and the database "
        "share the machine's CPUs.",
    ),
    goal=_goal,
)
def verification(opts: Options) -> list[Row]:
    plan = Plan(
        opts, secrets.token_urlsafe(32), procs.free_port(), opts.work_dir / secrets.token_hex(4)
    )
    plan.run_dir.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    for engine in opts.engines:
        unavailable = postgres_available(opts.postgres_admin_url) if engine == "postgres" else None
        if unavailable:
            rows += [
                _failed(engine, "all", w, f"skipped: {unavailable}", True)
                for w in opts.verify_workers
            ]
            continue
        try:
            with fresh_database(
                engine, plan.run_dir, plan.secret, opts.postgres_admin_url, opts.keep
            ) as db:
                pool = CertPool(plan.base_url)
                for workers in opts.verify_workers:
                    try:
                        rows += measure(plan, db, pool, workers)
                    except Exception as exc:  # one broken configuration must not hide the others
                        rows.append(_failed(engine, "all", workers, f"failed: {str(exc)[-1500:]}"))
        except Exception as exc:  # the database could not be set up
            rows.append(_failed(engine, "all", 0, f"failed: {str(exc)[-1500:]}"))
    return rows
