"""Benchmark: pushed deliveries per second to a local receiver (``approvals worker``).

For each engine and worker count a fresh database (``approvals setup --demo``) gets two
subscriptions made through the service's own use case (``bench/pushseed.py``): the
supervision departments of 公共场所卫生许可, ``health_inspection`` and
``market_regulation``, each at ``/hook/<department>`` of one local receiver
(``bench/fastreceiver.py``: asyncio, keep-alive, verifies every signature, parses every
body, counts distinct ``webhook-id``s per subscription), every event type, a rate limit of
``RATE_LIMIT``/s (so the per-subscription limit, 50/s by default, does not bound what is
measured). Each event therefore makes two deliveries.

Then ``approvals worker`` processes (``APPROVALS_PUSH_ALLOW_PRIVATE=1``, every other push
setting at its default) fan out, lease, sign, POST and record, in three phases:

1. steady: the harness writes events straight into the outbox (three per case, one
   partition per case) and keeps about ``BACKLOG_SECONDS`` of work queued (at least
   ``BACKLOG`` deliveries). After a warm-up, deliveries/s is the number of deliveries the
   database records as delivered during the measured window, per second; p50/p99 are
   those of the window's POSTs as the workers time them (``delivery_attempt.duration_ms``:
   signing, sending, the answer, and any wait for the worker's event loop). The harness
   then stops writing, the workers drain the rest, and every delivery must be delivered,
   each on its first attempt.
2. latency: with the workers idle, ``TRICKLE_EVENTS`` events committed one at a time at
   ``TRICKLE_PER_S``/s; p50/p99 from each commit to its receipt (both deliveries).
3. catch-up: ``CATCHUP_CASES`` × 3 events written at once, as after an outage of the
   receivers or the workers; once they are fanned out (PostgreSQL: ``ANALYZE delivery``,
   as autovacuum soon would for a table grown that much), the same measured window. The
   lease's cost grows with what is queued, so this row can differ much from the first.
   Not drained afterwards.

At the end, workers stopped (SIGTERM: the round under way finishes): no attempt other than
a 2xx, no request rejected by the receiver, nothing left leased, and the receiver's
distinct (subscription, webhook-id) pairs = the deliveries recorded as delivered.
Duplicates (a webhook-id received twice) are noted, not errors: at-least-once delivery
allows them.

``BENCH_PUSH_WORKERS=1,4`` sets the PostgreSQL worker counts (SQLite: ``--sqlite-workers``);
``BENCH_PUSH_BACKLOG=N`` the steady phase's least queue; ``BENCH_PUSH_ANALYZE=0`` skips
the ``ANALYZE`` before the catch-up window (the first minute after a burst, before
autovacuum gets to the table). ``BENCH_PROFILE=1`` records a
py-spy profile of every worker over both measured windows (``bench/profiling.py``).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import procs, profiling, pushseed
from bench.databases import Database, fresh_database, postgres_available
from bench.registry import Options, Row, benchmark
from bench.wrk import run_wrk, write_script

GOAL_PER_S = 1_000.0
GOAL_WORKERS = 4
POSTGRES_WORKERS = (1, 4)
RATE_LIMIT = 10_000  # the most a subscription may ask for (web/controllers/push.py)
MAX_BATCH_CASES = 2_000  # cases written per top-up at most (6,000 events), one transaction
MIN_BATCH_CASES = 200
BACKLOG_SECONDS = 2.0  # top up when fewer deliveries than this many seconds' worth are left
BACKLOG = 2_000  # … or fewer than this many (BENCH_PUSH_BACKLOG)
CATCHUP_CASES = 6_700  # × 3 events × 2 subscriptions = 40,200 deliveries queued at once
FANOUT_TIMEOUT_S = 120.0
POLL_S = 0.25
TRICKLE_PER_S = 20
TRICKLE_EVENTS = 60
DRAIN_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 60.0  # a round may hold a statement for up to 30 s (statement_timeout)
RECEIVER_CONNECTIONS = 64
DELIVERIES = f"deliveries/s, ≈{BACKLOG_SECONDS:g} s queued"
CATCHUP_DELIVERIES = CATCHUP_CASES * len(pushseed.LIFE) * len(pushseed.DEPARTMENTS)
CATCHUP = f"deliveries/s, {CATCHUP_DELIVERIES:,} queued"
LATENCY = f"commit → receipt, {TRICKLE_PER_S} events/s"
RECEIVER = "receiver alone"


@dataclass(frozen=True)
class Plan:
    opts: Options
    secret: str
    run_dir: Path


def backlog_floor() -> int:
    return int(os.environ.get("BENCH_PUSH_BACKLOG", "") or BACKLOG)


def postgres_workers() -> tuple[int, ...]:
    text = os.environ.get("BENCH_PUSH_WORKERS", "")
    return tuple(int(p) for p in text.split(",") if p) or POSTGRES_WORKERS


def _env(db: Database) -> dict[str, str]:
    return procs.python_env({**db.env, "APPROVALS_PUSH_ALLOW_PRIVATE": "1"})


# -- processes ---------------------------------------------------------------------------------


def _get_json(url: str, method: str = "GET") -> Any:
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


@contextlib.contextmanager
def receiver(plan: Plan, subs: list[pushseed.Sub], tag: str) -> Iterator[tuple[str, int]]:
    """``bench.fastreceiver`` with these subscriptions' secrets: (its URL, its pid)."""
    port = int(subs[0].url.split(":")[2].split("/")[0])
    secrets_file = plan.run_dir / f"{tag}-secrets.json"
    secrets_file.write_text(json.dumps({s.path: [s.secret] for s in subs}))
    argv = [procs.PYTHON, "-m", "bench.fastreceiver", "--port", str(port)]
    argv += ["--secrets", str(secrets_file)]
    url = f"http://127.0.0.1:{port}"
    log = plan.run_dir / "logs" / f"{tag}-receiver.log"
    with procs.server(argv, procs.python_env({}), f"{url}/_health", log) as proc:
        yield url, proc.pid


@contextlib.contextmanager
def workers(
    plan: Plan, env: dict[str, str], count: int, tag: str
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` ``approvals worker`` processes, each in its own process group (registered
    with the harness's reaper), started and ready; stopped with SIGTERM at the end (the
    round under way finishes), killed if one does not stop within ``STOP_TIMEOUT_S``."""
    started: list[subprocess.Popen[bytes]] = []
    logs = []
    try:
        for i in range(count):
            log = plan.run_dir / "logs" / f"{tag}-worker{i}.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            with log.open("wb") as out:
                proc = subprocess.Popen(
                    [procs.PYTHON, "-m", "approvals.cli", "worker"],
                    env=env,
                    cwd=procs.ROOT,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
            procs._live[proc.pid] = proc  # the reaper kills it if the harness dies
            started.append(proc)
            logs.append(log)
        deadline = time.monotonic() + 60
        for proc, log in zip(started, logs, strict=True):
            while "pushing events" not in log.read_text(errors="replace"):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"worker did not start ({proc.poll()}):\n{procs.tail(log)}")
                time.sleep(0.05)
        yield started
        for proc, log in zip(started, logs, strict=True):
            if proc.poll() is not None:
                raise RuntimeError(
                    f"worker died during the run ({proc.returncode}):\n{procs.tail(log)}"
                )
    finally:
        for proc in started:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in started:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=STOP_TIMEOUT_S)
            procs._kill_group(proc, grace=1.0)


def _ticks(pids: list[int]) -> dict[str, int]:
    """CPU ticks used so far: by ``pids`` (each), and by every postgres process."""
    table = procs._process_ticks()
    out = {str(pid): table[pid][3] for pid in pids if pid in table}
    out["postgres"] = sum(t for _, name, _, t in table.values() if name == "postgres")
    return out


def _cpu_note(
    before: dict[str, int], after: dict[str, int], seconds: float, who: dict[str, str]
) -> str:
    """'workers 1.2 cores (0.31, …), receiver 0.2, PostgreSQL 0.5' over ``seconds``."""
    hz = os.sysconf("SC_CLK_TCK")

    def cores(key: str) -> float:
        return (after.get(key, 0) - before.get(key, 0)) / hz / seconds

    worker_keys = [k for k, v in who.items() if v == "worker"]
    per_worker = [cores(k) for k in worker_keys]
    parts = [f"workers {sum(per_worker):.2f} cores ({', '.join(f'{c:.2f}' for c in per_worker)})"]
    parts += [f"{v} {cores(k):.2f}" for k, v in who.items() if v != "worker"]
    return "CPU in the window: " + ", ".join(parts) + " (cores of 2)"


# -- one configuration ---------------------------------------------------------------------------

_DELIVERED = "SELECT count(*) FROM delivery WHERE status = 'delivered'"
_LAST_ATTEMPT = "SELECT coalesce(max(id), 0) FROM delivery_attempt"
_FAILED = (
    "SELECT count(*) FROM delivery_attempt WHERE status_code IS NULL"
    " OR status_code < 200 OR status_code >= 300"
)


@dataclass
class Feeder:
    """Writes events, keeps the backlog topped up, and follows the receiver's count."""

    w: pushseed.EventWriter
    rx_url: str
    per_event: int  # deliveries per event (subscriptions that take it)
    alive: list[subprocess.Popen[bytes]] = field(default_factory=list)
    events: int = 0
    cases: int = 0
    seconds_writing: float = 0.0
    rate: float = 0.0  # deliveries/s, smoothed, from the receiver's count
    _last: tuple[float, int] | None = None

    def add_cases(self, cases: int) -> None:
        start = time.perf_counter()
        rows = pushseed.event_rows(cases, datetime.now(UTC), self.cases)
        self.w.insert(rows)
        self.seconds_writing += time.perf_counter() - start
        self.cases += cases
        self.events += len(rows)

    def count(self) -> dict[str, Any]:
        answer: dict[str, Any] = _get_json(self.rx_url + "/_count")
        return answer

    def run_until(self, deadline: float, feed: bool) -> None:
        """Poll until ``deadline``; with ``feed``, top the backlog up to ``BACKLOG_SECONDS``
        of work (at least ``backlog_floor()`` deliveries)."""
        while time.monotonic() < deadline:
            got = int(self.count()["distinct"])
            now = time.monotonic()
            if self._last is not None and now > self._last[0]:
                recent = (got - self._last[1]) / (now - self._last[0])
                self.rate = recent if self.rate == 0 else 0.7 * self.rate + 0.3 * recent
            self._last = (now, got)
            if feed:
                queued = self.events * self.per_event - got
                target = max(backlog_floor(), BACKLOG_SECONDS * self.rate)
                if queued < target:
                    need = (target - queued) / (self.per_event * len(pushseed.LIFE))
                    self.add_cases(min(MAX_BATCH_CASES, max(MIN_BATCH_CASES, int(need) + 1)))
            for proc in self.alive:
                if proc.poll() is not None:
                    raise RuntimeError(f"a worker exited during the run ({proc.returncode})")
            time.sleep(max(0.0, min(POLL_S, deadline - time.monotonic())))


@dataclass
class Config:
    """One engine and worker count in flight."""

    plan: Plan
    engine: str
    count: int
    tag: str
    subs: list[pushseed.Sub]
    w: pushseed.EventWriter
    feeder: Feeder
    pids: list[int]
    rx_pid: int

    def who(self) -> dict[str, str]:
        names = {str(p): "worker" for p in self.pids} | {str(self.rx_pid): "receiver"}
        if self.engine == "postgres":
            names["postgres"] = "PostgreSQL"
        return names


@dataclass(frozen=True)
class Window:
    delivered: int
    seconds: float
    durations: list[float]  # the window's POSTs, ms, as the workers timed them
    cpu: str
    receiver_rate: float

    @property
    def rate(self) -> float:
        return self.delivered / self.seconds


def _window(cfg: Config, duration: float, feed: bool, what: str) -> Window:
    """Deliveries recorded as delivered during ``duration`` (profiled with BENCH_PROFILE)."""
    w, feeder = cfg.w, cfg.feeder
    with contextlib.ExitStack() as stack:
        for pid in cfg.pids:
            stack.enter_context(
                profiling.maybe_profile(
                    cfg.plan.run_dir, f"{cfg.tag}-{what}-{pid}", 0.0, duration, pid
                )
            )
        ticks0, a0 = _ticks([*cfg.pids, cfg.rx_pid]), w.scalar(_LAST_ATTEMPT)
        t0, d0 = time.monotonic(), w.scalar(_DELIVERED)
        feeder.run_until(t0 + duration, feed)
        d1, t1 = w.scalar(_DELIVERED), time.monotonic()
        ticks1, a1 = _ticks([*cfg.pids, cfg.rx_pid]), w.scalar(_LAST_ATTEMPT)
    durations = [
        float(r[0])
        for r in w.rows(f"SELECT duration_ms FROM delivery_attempt WHERE id > {a0} AND id <= {a1}")
    ]
    cpu = _cpu_note(ticks0, ticks1, t1 - t0, cfg.who())
    return Window(d1 - d0, t1 - t0, durations, cpu, feeder.rate)


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _trickle(feeder: Feeder, subs: list[pushseed.Sub]) -> tuple[list[float], float, int]:
    """Commit ``TRICKLE_EVENTS`` events one by one; (commit→receipt latencies in ms,
    deliveries/s over the phase, deliveries missing after the wait)."""
    rows = pushseed.event_rows(TRICKLE_EVENTS, datetime.now(UTC), 10_000_000)[:TRICKLE_EVENTS]
    committed: dict[str, float] = {}
    start, first = time.monotonic(), time.time()
    for i, row in enumerate(rows):
        pause = start + i / TRICKLE_PER_S - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        feeder.w.insert([row])
        committed[str(row[0])] = time.time()
    wanted = {(s.path, event_id) for s in subs for event_id in committed}
    deadline = time.monotonic() + 30
    received: dict[tuple[str, str], float] = {}
    while time.monotonic() < deadline:
        times = _get_json(f"{feeder.rx_url}/_times?after={first - 1:.3f}")
        received = {(p, i): t for p, i, t in times if (p, i) in wanted}
        if len(received) == len(wanted):
            break
        time.sleep(0.2)
    latencies = [(t - committed[i]) * 1000 for (_, i), t in received.items()]
    elapsed = (max(received.values()) - min(committed.values())) if received else 0.0
    rate = len(received) / elapsed if elapsed > 0 else 0.0
    return latencies, rate, len(wanted) - len(received)


def _wait_recorded(w: pushseed.EventWriter, seconds: float) -> None:
    """Until nothing is pending (the last answers being recorded), at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and w.scalar(
        "SELECT count(*) FROM delivery WHERE status <> 'delivered'"
    ):
        time.sleep(0.2)


def _all_delivered(w: pushseed.EventWriter) -> list[str]:
    """After the drain: what is not delivered exactly once, on its first attempt."""
    total = w.scalar("SELECT count(*) FROM delivery")
    delivered = w.scalar(_DELIVERED)
    unfanned = w.scalar("SELECT count(*) FROM outbox_event WHERE NOT fanned_out")
    attempts = w.scalar("SELECT count(*) FROM delivery_attempt")
    wrong = []
    if delivered != total or unfanned:
        by_status = w.rows("SELECT status, count(*) FROM delivery GROUP BY status")
        wrong.append(
            f"{total - delivered:,} deliveries not delivered ({by_status}), "
            f"{unfanned:,} events not fanned out"
        )
    if attempts != total:
        wrong.append(f"{attempts:,} attempts for {total:,} deliveries")
    return wrong or [f"all {total:,} deliveries delivered, each on its first attempt"]


def _consistent(w: pushseed.EventWriter, rx: dict[str, Any]) -> tuple[list[str], list[str]]:
    """With the workers stopped: (what is wrong, what is fine) between the database's
    deliveries and attempts and what the receiver saw."""
    delivered = w.scalar(_DELIVERED)
    attempts = w.scalar("SELECT count(*) FROM delivery_attempt")
    failed = w.scalar(_FAILED)
    leased = w.scalar(
        "SELECT count(*) FROM delivery WHERE status = 'pending' AND lease_until IS NOT NULL"
    )
    wrong = []
    if failed:
        sample = w.rows(
            "SELECT status_code, error FROM delivery_attempt WHERE status_code IS NULL"
            " OR status_code < 200 OR status_code >= 300 LIMIT 1"
        )
        wrong.append(f"{failed:,} attempts not 2xx (first: {sample})")
    if attempts != delivered + failed:
        wrong.append(f"{attempts:,} attempts for {delivered:,} delivered and {failed:,} failed")
    if leased:
        wrong.append(f"{leased:,} deliveries left leased when the workers stopped")
    if rx["rejected"]:
        wrong.append(
            f"{rx['rejected']:,} requests rejected by the receiver (first: {rx['first_rejection']})"
        )
    if rx["distinct"] != delivered:
        wrong.append(
            f"the receiver has {rx['distinct']:,} distinct deliveries, the database "
            f"{delivered:,} delivered"
        )
    fine = ["the receiver's distinct webhook-ids = the deliveries recorded as delivered"]
    if rx["duplicates"]:
        fine.append(f"{rx['duplicates']:,} duplicate webhook-ids received (at-least-once)")
    return wrong, fine


def worker_log_problems(plan: Plan, tag: str) -> str | None:
    """What the workers logged as failing (rounds, records, lost leases), or None."""
    counts: dict[str, int] = {}
    first = ""
    for log in sorted((plan.run_dir / "logs").glob(f"{tag}-worker*.log")):
        lines = log.read_text(errors="replace").splitlines()
        for i, line in enumerate(lines):
            for what in ("push round failed", "failed to record", "lease lost"):
                if what in line:
                    counts[what] = counts.get(what, 0) + 1
                    if not first:  # the exception's last line follows the traceback
                        tail = [x for x in lines[i + 1 : i + 40] if x and not x[0].isspace()]
                        first = tail[1] if len(tail) > 1 else line
    if not counts:
        return None
    listed = ", ".join(f"{n} × {what!r}" for what, n in counts.items())
    return f"worker logs: {listed} (first: {first[:200]})"


def _wait_fanned_out(w: pushseed.EventWriter, alive: list[subprocess.Popen[bytes]]) -> float:
    """Until every outbox event is fanned out, at most ``FANOUT_TIMEOUT_S``; seconds taken."""
    start = time.monotonic()
    while time.monotonic() - start < FANOUT_TIMEOUT_S:
        if not w.scalar("SELECT count(*) FROM outbox_event WHERE NOT fanned_out"):
            break
        if any(p.poll() is not None for p in alive):
            raise RuntimeError("a worker exited during the fan-out")
        time.sleep(0.25)
    return time.monotonic() - start


def _steady(cfg: Config, opts: Options) -> tuple[Window, list[float], float, int, list[str]]:
    """Warm-up, the measured window with the backlog topped up, the drain, the trickle;
    (window, trickle latencies, trickle rate, trickle deliveries missing, notes)."""
    feeder, w = cfg.feeder, cfg.w
    feeder.run_until(time.monotonic() + opts.warmup, True)
    win = _window(cfg, opts.duration, True, "steady")
    drain_start = time.monotonic()
    expected = feeder.events * feeder.per_event
    while time.monotonic() - drain_start < DRAIN_TIMEOUT_S:
        if int(feeder.count()["distinct"]) >= expected:
            break
        feeder.run_until(time.monotonic() + 1.0, False)
    _wait_recorded(w, 10)
    drained = time.monotonic() - drain_start
    time.sleep(1.0)  # the workers go idle
    latencies, trickle_rate, missing = _trickle(feeder, cfg.subs)
    _wait_recorded(w, 10)
    notes = [
        win.cpu,
        f"{feeder.events:,} events ({feeder.cases:,} cases) × {feeder.per_event} "
        f"subscriptions; {win.delivered:,} delivered in the {win.seconds:.1f} s window "
        f"(receiver's rate at its end {win.receiver_rate:,.0f}/s); the rest drained in "
        f"{drained:.1f} s; the harness spent {feeder.seconds_writing:.1f} s writing events",
    ]
    checked = _all_delivered(w)
    notes.append(
        ("check: " if checked[0].startswith("all ") else "check FAILED: ") + "; ".join(checked)
    )
    return win, latencies, trickle_rate, missing, notes


def _catch_up(cfg: Config, opts: Options) -> tuple[Window, list[str]]:
    """``CATCHUP_EVENTS`` events at once, as after an outage; measured once fanned out."""
    feeder, w = cfg.feeder, cfg.w
    before = feeder.events
    feeder.add_cases(CATCHUP_CASES)
    fanout_s = _wait_fanned_out(w, feeder.alive)
    unfanned = w.scalar("SELECT count(*) FROM outbox_event WHERE NOT fanned_out")
    if cfg.engine == "postgres" and os.environ.get("BENCH_PUSH_ANALYZE", "1") != "0":
        w.execute("ANALYZE delivery")  # what autovacuum does to a table grown that much, soon
    queued = w.scalar("SELECT count(*) FROM delivery WHERE status = 'pending'")
    win = _window(cfg, opts.duration, False, "catchup")
    notes = [
        win.cpu,
        f"{feeder.events - before:,} events written at once; their fan-out took "
        f"{fanout_s:.1f} s"
        + (f" ({unfanned:,} still not fanned out)" if unfanned else "")
        + f"; {queued:,} deliveries pending when the window began, "
        f"{win.delivered:,} delivered in the {win.seconds:.1f} s window (not drained after)",
    ]
    return win, notes


def measure(plan: Plan, engine: str, count: int) -> list[Row]:
    opts = plan.opts
    tag = f"push-{engine}-{count}w"
    busy = procs.cpu_busy()
    with fresh_database(
        engine, plan.run_dir, plan.secret, opts.postgres_admin_url, opts.keep
    ) as db:
        env = _env(db)
        rx_port = procs.free_port()
        out = procs.run(
            [procs.PYTHON, "-m", "bench.pushseed", f"http://127.0.0.1:{rx_port}", str(RATE_LIMIT)],
            env,
        )
        subs = pushseed.parse_subs(out)
        with receiver(plan, subs, tag) as (rx_url, rx_pid), pushseed.writer(db) as w:
            feeder = Feeder(w, rx_url, per_event=len(subs))
            feeder.add_cases(backlog_floor() // (len(pushseed.LIFE) * len(subs)) + 1)
            with (
                workers(plan, env, count, tag) as running,
                procs.foreign_cpu(engine == "postgres") as other,
            ):
                feeder.alive = running
                cfg = Config(
                    plan, engine, count, tag, subs, w, feeder, [p.pid for p in running], rx_pid
                )
                steady, latencies, trickle_rate, missing, steady_notes = _steady(cfg, opts)
                steady_failed = w.scalar(_FAILED), int(feeder.count()["rejected"])
                catch, catch_notes = _catch_up(cfg, opts)
            wrong, fine = _consistent(w, feeder.count())
            logged = worker_log_problems(plan, tag)
            if logged:
                catch_notes.append(logged)
            failed = w.scalar(_FAILED), int(feeder.count()["rejected"])
    outside = []
    if other[0] > 0.05:
        outside.append(
            f"processes outside this benchmark used {other[0]:.0%} of the CPUs: numbers may be low"
        )
    if busy > 0.1:
        outside.append(f"the machine was {busy:.0%} busy just before this row: numbers may be low")
    check = ("check FAILED: " + "; ".join(wrong)) if wrong else ("check: " + "; ".join(fine))
    return [
        Row(
            db.label,
            DELIVERIES,
            count,
            steady.rate,
            _percentile(steady.durations, 0.5),
            _percentile(steady.durations, 0.99),
            sum(steady_failed),
            ratio=steady.rate / GOAL_PER_S,
            notes=[*steady_notes, check, *outside],
        ),
        Row(
            db.label,
            CATCHUP,
            count,
            catch.rate,
            _percentile(catch.durations, 0.5),
            _percentile(catch.durations, 0.99),
            sum(failed) - sum(steady_failed),
            ratio=catch.rate / GOAL_PER_S,
            notes=catch_notes,
        ),
        Row(
            db.label,
            LATENCY,
            count,
            trickle_rate,
            _percentile(latencies, 0.5),
            _percentile(latencies, 0.99),
            missing,
            notes=[f"{missing} deliveries not received within 30 s"] if missing else [],
        ),
    ]


# -- the receiver's own capacity -----------------------------------------------------------------


def receiver_capacity(plan: Plan) -> Row:
    """wrk against ``bench.fastreceiver`` alone, one pre-signed request over and over."""
    from approvals.domain import delivery as rules

    port = procs.free_port()
    secret = rules.new_secret()
    sub = pushseed.Sub("health_inspection", "-", f"http://127.0.0.1:{port}/hook/x", secret)
    now = datetime.now(UTC)
    event_id = "0193a000-0000-7000-8000-000000000000"
    data = json.loads(pushseed.event_rows(1, now)[0][5])
    body = rules.cloudevent(
        event_id=event_id,
        source="http://localhost:8000",
        type=pushseed.PREFIX + "application.accepted",
        subject="applications/x",
        time=now,
        partition_key="x",
        data=data,
    )
    headers = rules.headers([secret], event_id, now, body)
    script = write_script(
        plan.run_dir / "push-receiver.lua",
        method="POST",
        url_path=sub.path,
        headers=headers,
        pieces=(body.decode(),),
        values=("-",),
    )
    with receiver(plan, [sub], "push-receiver-alone") as (url, pid):
        common = {"connections": RECEIVER_CONNECTIONS, "threads": 1, "offset": 0}
        run_wrk(url, script, seconds=1, **common)
        before, start = _ticks([pid]), time.monotonic()
        result = run_wrk(url, script, seconds=5, **common)
        after, elapsed = _ticks([pid]), time.monotonic() - start
        counted = _get_json(url + "/_count")
    hz = os.sysconf("SC_CLK_TCK")
    cpu = (after[str(pid)] - before[str(pid)]) / hz / elapsed
    notes = [
        f"the receiver used {cpu:.2f} of a core (wrk, 1 thread, shares the other); "
        f"{counted['rejected']:,} rejected; the same signed event every time"
    ]
    return Row(
        RECEIVER,
        f"wrk, {RECEIVER_CONNECTIONS} connections, signed POST",
        0,
        result.ok_per_s,
        result.p50_ms,
        result.p99_ms,
        result.errors + int(counted["rejected"]),
        notes=notes,
    )


# -- the table -------------------------------------------------------------------------------------


def _failed(engine: str, workers: int, why: str, skipped: bool = False) -> Row:
    label = "PostgreSQL" if engine == "postgres" else "SQLite"
    return Row(label, DELIVERIES, workers, None, None, None, None, notes=[why], skipped=skipped)


def _goal(rows: list[Row]) -> list[str]:
    """The goal holds when both regimes reach it: a push that keeps up only while the queue
    is short falls behind for good after the first outage."""
    chosen = [
        r
        for r in rows
        if r.engine == "PostgreSQL"
        and r.workers == GOAL_WORKERS
        and r.path in (DELIVERIES, CATCHUP)
        and not r.skipped
    ]
    if not chosen:
        return [f"Goal on PostgreSQL ({GOAL_WORKERS} workers): not measured."]
    met = all(r.ok and (r.requests_per_s or 0) >= GOAL_PER_S for r in chosen) and len(chosen) == 2
    each = "; ".join(
        f"{r.path.removeprefix('deliveries/s, ')}: "
        + ("failed" if r.requests_per_s is None else f"{r.requests_per_s:,.0f}/s = "
           f"{r.ratio or 0:.2f} × the goal")
        for r in chosen
    )  # fmt: skip
    return [
        f"Goal on PostgreSQL ({GOAL_WORKERS} workers): ≥ {GOAL_PER_S:,.0f} deliveries/s, "
        f"queue short and long, {'met' if met else 'NOT met'} ({each})."
    ]


@benchmark(
    "push",
    "Supervision push: deliveries per second to a local receiver (approvals worker)",
    legend=(
        "Two subscriptions (health_inspection, market_regulation: the supervision "
        "departments of 公共场所卫生许可), so each event makes 2 deliveries; rate limit "
        f"{RATE_LIMIT:,}/s per subscription and worker (not binding); every other push "
        "setting at its default (32 deliveries a round per worker, 5 database connections).",
        f"{DELIVERIES}: the harness writes events into the outbox (three per case, one "
        f"partition per case) and keeps ≈ {BACKLOG_SECONDS:g} s of work (≥ {BACKLOG:,} "
        "deliveries) queued; deliveries recorded as delivered in the measured window ÷ its "
        "length. p50/p99: the window's POSTs as the workers time them (sign, send, answer, "
        "event-loop wait). Then the rest is drained and checked: every delivery delivered, "
        "each on its first attempt.",
        f"{CATCHUP}: then {CATCHUP_CASES * len(pushseed.LIFE):,} events at once, as after an "
        "outage; once fanned out (PostgreSQL: `ANALYZE delivery`, as autovacuum soon would), "
        "the same window, not drained afterwards.",
        f"{LATENCY}: between the two, {TRICKLE_EVENTS} events committed one at a time; "
        "p50/p99 from commit to the receiver's receipt (both deliveries of each).",
        "errors: attempts that were not 2xx plus requests the receiver rejected (signature, "
        "timestamp, CloudEvent); at the end the receiver's distinct webhook-ids must equal "
        "the deliveries recorded as delivered.",
        f"÷ goal: deliveries/s ÷ {GOAL_PER_S:,.0f}/s. receiver alone: bench/fastreceiver.py "
        "under wrk (one pre-signed event, verified and parsed every time): its capacity.",
    ),
    goal=_goal,
    header=("engine", "what", "per s", "p50 ms", "p99 ms", "errors", "÷ goal"),
)
def push(opts: Options) -> list[Row]:
    plan = Plan(opts, secrets.token_urlsafe(32), opts.work_dir / secrets.token_hex(4))
    (plan.run_dir / "logs").mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    try:
        rows.append(receiver_capacity(plan))
    except Exception as exc:
        rows.append(Row(RECEIVER, "wrk", 0, None, None, None, None, notes=[f"failed: {exc}"]))
    for engine in opts.engines:
        counts = postgres_workers() if engine == "postgres" else opts.sqlite_workers
        unavailable = postgres_available(opts.postgres_admin_url) if engine == "postgres" else None
        for count in counts:
            if unavailable:
                rows.append(_failed(engine, count, f"skipped: {unavailable}", True))
                continue
            try:
                rows += measure(plan, engine, count)
            except Exception as exc:  # one broken configuration must not hide the others
                rows.append(_failed(engine, count, f"failed: {str(exc)[-1500:]}"))
    return rows
