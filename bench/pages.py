"""Benchmark: what a server-rendered page costs over the API's JSON for the same data.

For each engine a fresh database (``approvals setup --demo``) gets 10,000 cases written in
bulk (``bench/queueseed.py``, the queue benchmark's mix), then ``approvals serve`` (one
worker) starts. The demo applicant files one commitment-route application through
``POST /api/applications`` (approved at once: a real certificate, audit trail and clocks),
and, once the server's start-up housekeeping round has run (its deadline sweep deems
overdue submissions accepted: cases change under it; later rounds are put off for an hour),
the demo ``window`` clerk logs in with ``"session": "cookie"``. Every request below,
page or JSON, carries that clerk's ``hs_session`` cookie (the public verification URLs need
none, but the cookie costs them nothing), so both sides authenticate the same way.

Pairs (each row one URL; the ratio is on the page's row):

- queue: ``GET /work`` (the workbench, 25 cases a page) against ``GET /api/queue?limit=25``
  (the same 25 cases through the same service function);
- submitted case: a case of the clerk's queue waiting for intake (the clerk's own work: the
  page offers the accept / refuse / correction forms), ``GET /work/cases/{id}`` against
  ``GET /api/applications/{id}``, and also ``…/clocks`` and ``…/timeline``, which the page
  shows as well (its timeline is empty: bulk-written cases have no audit entries);
- issued case: the application filed above (approved, with its certificate and an audit
  trail), the same four URLs;
- verification: ``GET /V/{digits}`` (the HTML page a QR scan opens) against
  ``GET /api/verify?token=…`` for that certificate. Both check the same signature, cached
  per token after the first request (``SignatureCache``), and read its registry row.

Within a pair every URL is warmed up with wrk, then measured in two halves in the order
A B … B A (API first, page in the middle, API last), so that the machine's load drifting
during a pair (other sessions share it) weighs on both sides alike. requests/s is the 2xx
answers of both halves over their time; p50/p99 the mean of the halves'.

``BENCH_PAGES_CASES=…`` changes the number of cases written (default 10,000).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench import procs, queueseed, workload
from bench.databases import Database, fresh_database, postgres_available
from bench.registry import Options, Row, benchmark
from bench.wrk import WrkResult, run_wrk, write_script

CASES = 10_000
CONNECTIONS = 4  # as the queue benchmark: little queueing in front of the one worker
WORKERS = 1
GOAL_RATIO = 2.0
CLERK = "window"
COOKIE = "hs_session"
SWEEP_WAIT = 30.0
QUEUE_PAGE = 25  # approvals.web.pages.staff_queue.PAGE_SIZE: the API is asked for as many


@dataclass(frozen=True)
class Target:
    group: str  # the pair it belongs to
    what: str  # the URL as shown in the table
    url: str
    page: bool  # HTML (the page) or JSON (the API)
    main: bool = True  # the JSON the page's ratio is taken against (not clocks/timeline)

    @property
    def label(self) -> str:
        return f"{self.group}: {self.what}"


@dataclass(frozen=True)
class Plan:
    opts: Options
    secret: str
    port: int
    run_dir: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def warmup(self) -> float:
        return max(1.0, round(self.opts.warmup / 3))

    @property
    def half(self) -> float:
        """Seconds of each of a row's two measured halves (wrk counts whole seconds)."""
        return max(1.0, round(self.opts.duration / 8))


def cases() -> int:
    return int(os.environ.get("BENCH_PAGES_CASES", "") or CASES)


# -- talking to the service ------------------------------------------------------------------


def _request(
    base_url: str, path: str, headers: dict[str, str], body: Any = None
) -> tuple[int, dict[str, list[str]], bytes]:
    data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
    if data is not None:
        headers = {**headers, "Content-Type": "application/json"}
    request = urllib.request.Request(base_url + path, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:
        seen: dict[str, list[str]] = {}
        for key, value in response.headers.items():
            seen.setdefault(key.lower(), []).append(value)
        return response.status, seen, response.read()


def log_in(base_url: str) -> str:
    """The clerk's session cookie, ``hs_session=…``, from the service's login."""
    body = {"username": CLERK, "password": workload.DEMO_PASSWORD, "session": "cookie"}
    _, headers, _ = _request(base_url, "/api/auth/login", {}, body)
    for value in headers.get("set-cookie", []):
        pair = value.split(";", 1)[0].strip()
        if pair.startswith(COOKIE + "="):
            return pair
    raise RuntimeError(f"the login set no {COOKIE} cookie: {headers.get('set-cookie')}")


def issue_one(base_url: str) -> tuple[str, str]:
    """(application id, certificate token) of one commitment-route filing by the applicant."""
    bearer = {"Authorization": f"Bearer {workload.login(base_url)}"}
    digest = workload.commitment_digest(base_url)
    body = workload.application_body(workload.credit_codes(1, seed=4711)[0], digest)
    status, _, raw = _request(base_url, "/api/applications", bearer, body)
    answer = json.loads(raw)
    certificate = answer.get("certificate") or {}
    if status != 201 or not certificate.get("token"):
        raise RuntimeError(f"filing answered {status} without a certificate: {raw[:500]!r}")
    return str(answer["application"]["id"]), str(certificate["token"])


def submitted_case(base_url: str, cookie: str) -> str:
    """The most urgent case of the clerk's queue still waiting for intake."""
    headers = {"Cookie": cookie}
    _, _, raw = _request(base_url, "/api/queue?status=submitted&limit=1", headers)
    items = json.loads(raw)["items"]
    if not items:
        raise RuntimeError("the clerk's queue holds no submitted case")
    return str(items[0]["id"])


def targets(case_id: str, issued_id: str, token: str) -> list[list[Target]]:
    from certs.qr import token_to_digits

    def case(group: str, ident: str) -> list[Target]:
        api = f"/api/applications/{ident}"
        return [
            Target(group, "GET /api/applications/{id}", api, False),
            Target(group, "GET /api/applications/{id}/clocks", api + "/clocks", False, False),
            Target(group, "GET /api/applications/{id}/timeline", api + "/timeline", False, False),
            Target(group, "GET /work/cases/{id} (page)", f"/work/cases/{ident}", True),
        ]

    return [
        [
            Target(
                "queue",
                f"GET /api/queue?limit={QUEUE_PAGE}",
                f"/api/queue?limit={QUEUE_PAGE}",
                False,
            ),
            Target("queue", "GET /work (page)", "/work", True),
        ],
        case("submitted case", case_id),
        case("issued case", issued_id),
        [
            Target(
                "verification",
                "GET /api/verify?token=…",
                "/api/verify?token=" + quote(token, safe=""),
                False,
            ),
            Target("verification", "GET /V/{digits} (page)", "/V/" + token_to_digits(token), True),
        ],
    ]


def _check(plan: Plan, target: Target, cookie: str) -> int:
    """One request ahead of wrk: a 200 of the right kind; its size in bytes."""
    status, headers, body = _request(plan.base_url, target.url, {"Cookie": cookie})
    kind = (headers.get("content-type") or [""])[0]
    wanted = "text/html" if target.page else "application/json"
    if status != 200 or wanted not in kind:
        raise RuntimeError(f"{target.url} answered {status} {kind}: {body[:300]!r}")
    return len(body)


# -- measuring -------------------------------------------------------------------------------


def _script(plan: Plan, target: Target, cookie: str, tag: str) -> Path:
    return write_script(
        plan.run_dir / f"{tag}.lua",
        method="GET",
        url_path=target.url,
        headers={"Cookie": cookie},
        pieces=(),
        values=(target.url,),
        path_pieces=("", ""),
    )


def _wrk(plan: Plan, script: Path, seconds: float) -> WrkResult:
    threads = min(plan.opts.threads, CONNECTIONS)
    return run_wrk(
        plan.base_url,
        script,
        seconds=seconds,
        connections=CONNECTIONS,
        threads=threads,
        offset=0,
    )


def _row(label: str, target: Target, halves: Sequence[WrkResult], size: int) -> Row:
    seconds = sum(h.seconds for h in halves)
    ok = sum(h.ok for h in halves)
    errors = sum(h.errors for h in halves)
    notes = [f"{size / 1000:,.1f} kB {'HTML' if target.page else 'JSON'}"]
    bad = next((h for h in halves if h.errors), None)
    if bad is not None:
        notes.append(
            f"{bad.non2xx} non-2xx, socket errors {bad.socket_errors or '{}'}; "
            f"first {bad.sample_status}: {bad.sample_body[:300]!r}"
        )
    return Row(
        label,
        target.label,
        WORKERS,
        ok / seconds if seconds else None,
        sum(h.p50_ms for h in halves) / len(halves),
        sum(h.p99_ms for h in halves) / len(halves),
        errors,
        notes=notes,
    )


def measure_pair(plan: Plan, label: str, pair: list[Target], cookie: str, tag: str) -> list[Row]:
    sizes = [_check(plan, t, cookie) for t in pair]
    scripts = [_script(plan, t, cookie, f"{tag}-{i}") for i, t in enumerate(pair)]
    for script in scripts:
        _wrk(plan, script, plan.warmup)
    halves: list[list[WrkResult]] = [[] for _ in pair]
    order = list(range(len(pair)))
    for sequence in (order, order[::-1]):  # A B … B A
        for i in sequence:
            halves[i].append(_wrk(plan, scripts[i], plan.half))
    rows = [_row(label, t, h, s) for t, h, s in zip(pair, halves, sizes, strict=True)]
    api = next(r for r, t in zip(rows, pair, strict=True) if t.main and not t.page)
    return [
        replace(row, ratio=api.requests_per_s / row.requests_per_s)
        if target.page and row.requests_per_s and api.requests_per_s
        else row
        for row, target in zip(rows, pair, strict=True)
    ]


@contextlib.contextmanager
def _server(plan: Plan, db: Database) -> Iterator[Path]:
    env = procs.python_env(
        {
            **db.env,
            "APPROVALS_HOST": "127.0.0.1",
            "APPROVALS_PORT": str(plan.port),
            "APPROVALS_BASE_URL": plan.base_url,
            "APPROVALS_WORKERS": str(WORKERS),
            # the start-up round only (waited for below), none during the measurement
            "APPROVALS_HOUSEKEEPING_SECONDS": "3600",
        }
    )
    argv = [procs.PYTHON, "-m", "approvals.cli", "serve"]
    log = plan.run_dir / "logs" / f"pages-{db.engine}.log"
    with procs.server(argv, env, f"{plan.base_url}/health", log):
        yield log


def _wait_for_housekeeping(log: Path, timeout: float = SWEEP_WAIT) -> bool:
    """Wait for the server's start-up deadline sweep (it deems overdue submissions accepted
    and escalates reviews in the background, writing to the cases measured here)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace") if log.exists() else ""
        if "deadline sweeps:" in text or "housekeeping failed" in text:
            return True
        time.sleep(0.2)
    return False


def measure(plan: Plan, engine: str) -> list[Row]:
    opts, n = plan.opts, cases()
    with fresh_database(
        engine, plan.run_dir, plan.secret, opts.postgres_admin_url, opts.keep
    ) as db:
        seeded = queueseed.seed(db, n, _today())
        rows: list[Row] = []
        with _server(plan, db) as log, procs.foreign_cpu(engine == "postgres") as other:
            swept = _wait_for_housekeeping(log)
            issued, token = issue_one(plan.base_url)
            cookie = log_in(plan.base_url)
            case_id = submitted_case(plan.base_url, cookie)
            for i, pair in enumerate(targets(case_id, issued, token)):
                rows += measure_pair(plan, db.label, pair, cookie, f"pages-{engine}-{i}")
    rows[0].notes.insert(
        0,
        f"{n:,} cases written in {seeded.seconds:,.1f} s ({seeded.open_home:,} open in the "
        f"clerk's section); per URL {plan.warmup:g} s of warm-up, then 2 × {plan.half:g} s "
        "measured (a third of --warmup, an eighth of --duration each: the URLs are many)",
    )
    if not swept:
        rows[0].notes.append(
            f"no deadline sweep logged within {SWEEP_WAIT:g} s of start-up (nothing due, or "
            "late: it may have changed cases during the first rows)"
        )
    if other[0] > 0.05:
        rows[0].notes.append(
            f"processes outside this benchmark used {other[0]:.0%} of the CPUs during these "
            "rows: absolute numbers may be low, ratios are paired"
        )
    return rows


def _today() -> date:
    from approvals.clock import local_date

    return local_date(datetime.now(UTC))


# -- the table -------------------------------------------------------------------------------


def _failed(engine: str, why: str, skipped: bool = False) -> Row:
    label = "PostgreSQL" if engine == "postgres" else "SQLite"
    return Row(label, "all", WORKERS, None, None, None, None, notes=[why], skipped=skipped)


def _cost(rows: Sequence[Row]) -> float | None:
    """Seconds of one worker per request, summed over ``rows`` (at their requests/s)."""
    if any(not r.requests_per_s for r in rows):
        return None
    return sum(1 / r.requests_per_s for r in rows if r.requests_per_s)


def _verdict(ratio: float, ok: bool) -> str:
    return "met" if ratio <= GOAL_RATIO and ok else "NOT met"


def _goal(rows: list[Row]) -> list[str]:
    lines = []
    for engine in dict.fromkeys(r.engine for r in rows):
        mine = [r for r in rows if r.engine == engine and r.path != "all"]
        parts = []
        for page in (r for r in mine if r.ratio is not None):
            group = page.path.split(": ", 1)[0]
            apis = [r for r in mine if r.path.startswith(group + ": ") and r is not page]
            ratio = page.ratio or 0.0
            ok = page.ok and all(r.ok for r in apis)
            if len(apis) == 1:
                parts.append(f"{group} {ratio:.2f}× {_verdict(ratio, ok)}")
                continue
            part = f"{group} {ratio:.2f}× the application alone {_verdict(ratio, ok)}"
            page_cost, api_cost = _cost([page]), _cost(apis)
            if page_cost and api_cost:
                together = page_cost / api_cost
                part += (
                    f", {together:.2f}× its {len(apis)} JSON calls together "
                    f"{_verdict(together, ok)}"
                )
            parts.append(part)
        if parts:
            lines.append(
                f"Goal on {engine}, a page ≤ {GOAL_RATIO:g}× the JSON of the same data: "
                + "; ".join(parts)
                + "."
            )
    return lines


@benchmark(
    "pages",
    "Server-rendered pages against the API's JSON for the same data",
    legend=(
        f"One row per URL; the demo `{CLERK}` clerk's `{COOKIE}` cookie on every request. wrk "
        f"over {CONNECTIONS} keep-alive connections against `approvals serve` with {WORKERS} "
        "worker; per pair each URL is warmed up, then measured in two halves ordered "
        "API … page … API (the load of the shared machine drifts alike on both sides): "
        "requests/s counts 2xx answers of both halves, p50/p99 are the halves' mean.",
        "queue: the workbench's 25 cases against `/api/queue?limit=25` (the same service "
        "call; the page adds the filter lists). submitted case: the most urgent case awaiting "
        "intake in the clerk's queue (bulk-written: no timeline); issued case: a filing "
        "approved through the service (certificate, audit trail). The case page shows the "
        "application, its clocks and its timeline: the JSON rows are those three calls. "
        "verification: `/V/{digits}` HTML against `GET /api/verify?token=…` for the same "
        "certificate (its signature check cached after the first request on both).",
        "ratio: the API row's requests/s ÷ the page's, i.e. a page's worker time over its "
        "JSON's (for cases: over `/api/applications/{id}` alone; the goal line also gives it "
        "over the three JSON calls together). Goal: a page costs at most "
        f"~{GOAL_RATIO:g}× the API call for the same data. Sizes of the answers: notes.",
    ),
    goal=_goal,
    header=("engine", "pair: URL", "requests/s", "p50 ms", "p99 ms", "errors", "page ÷ API"),
)
def pages(opts: Options) -> list[Row]:
    plan = Plan(
        opts, secrets.token_urlsafe(32), procs.free_port(), opts.work_dir / secrets.token_hex(4)
    )
    plan.run_dir.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    for engine in opts.engines:
        unavailable = postgres_available(opts.postgres_admin_url) if engine == "postgres" else None
        if unavailable:
            rows.append(_failed(engine, f"skipped: {unavailable}", True))
            continue
        try:
            rows += measure(plan, engine)
        except Exception as exc:  # one broken engine must not hide the other
            rows.append(_failed(engine, f"failed: {str(exc)[-1500:]}"))
    return rows
