"""The review journey of one 开办医疗机构 case, over HTTP, many cases at a time.

A case is filed by the demo applicant (a bundle with X-ray imaging and narcotics, so that
medical administration, radiation health and pharmacy administration all review), accepted
at the window, reviewed by the three departments at once, inspected jointly (one inspector
per department, signing one after another) and approved by the decision maker, which issues
the signed combined certificate. Every step is its own request, as the staff's browsers
would send them, and every action carries the version its sender last saw:

====  ==========================================  ==================================
step  request                                     who
====  ==========================================  ==================================
file  POST /api/applications                      applicant
acc.  POST …/{id}/accept                          window (version from the filing)
rev.  GET  …/{id}/reviews                         window (the three task ids)
op.   POST /api/review-tasks/{task}/opinion  x3   each department's reviewer, at once
read  GET  …/{id}                                 window (the version after the opinions)
sch.  POST …/{id}/inspection                      window (one inspector per department)
res.  POST …/{id}/inspection/results  x3          each inspector, in turn (inspection
                                                  version from the previous answer)
read  GET  …/{id}                                 decision maker
dec.  POST …/{id}/decision                        decision maker (approve)
====  ==========================================  ==================================

13 requests, 10 of them write transactions. The client is ``bench.loadgen``'s keep-alive
connections on uvloop; a request waits for a free connection, and its latency is counted
from the moment it is written to one.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
import uvloop

from bench import loadgen, workload

PERMIT_CODE = "medical_institution_bundle"
DEPARTMENTS = ("medical_administration", "radiation_health", "pharmacy_administration")
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
BUNDLE_SLOTS = (  # tests/factories.py::BUNDLE_SLOTS: one upload in every slot
    "premises_proof",
    "floor_plan",
    "staff_roster",
    "equipment_list",
    "rules_and_procedures",
    "radiation_protection_evaluation",
    "radiation_workers",
    "narcotic_management",
    "maternal_qualifications",
)
STEPS = ("file", "accept", "reviews", "opinion", "read", "schedule", "results", "decision")
REQUESTS_PER_CASE = 13
WRITES_PER_CASE = 10
_HOLE = "\u0000HOLE\u0000"
_encode = msgspec.json.encode
_decode = msgspec.json.decode


def bundle_form(credit_code: str) -> dict[str, Any]:
    """``tests/factories.py::bundle_form`` with narcotics: a dental clinic, three reviewers."""
    return {
        "institution_name": "银川悦康口腔门诊部",
        "credit_code": credit_code,
        "institution_category": "outpatient_department",
        "operation_nature": "for_profit",
        "ownership": "private",
        "address": "兴庆区解放东街88号2层",
        "legal_representative": "马建国",
        "principal": "马建国",
        "principal_id": "11010519491231002X",
        "contact_phone": "0951-5012345",
        "building_area": "420",
        "beds": 0,
        "physicians": 6,
        "nurses": 8,
        "clinical_departments": ["stomatology", "medical_imaging"],
        "has_radiology": True,
        "radiology_categories": ["x_ray_imaging"],
        "uses_narcotics": True,
        "has_maternal_services": False,
    }


def filing_pieces(material_id: str) -> tuple[bytes, bytes]:
    """The filing's JSON body split where the credit code goes."""
    body = {
        "permit_code": PERMIT_CODE,
        "form": bundle_form(_HOLE),
        "materials": {slot: [material_id] for slot in BUNDLE_SLOTS},
    }
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    before, after = text.split(json.dumps(_HOLE)[1:-1])
    return before.encode(), after.encode()


# -- the team: one login per desk ------------------------------------------------------


@dataclass
class Team:
    """Bearer tokens of every desk (``bench.staff`` desks), and the applicant's upload."""

    base_url: str
    ids: dict[str, str]  # desk -> account id
    tokens: dict[str, str] = field(default_factory=dict)
    material_id: str = ""

    @classmethod
    def log_in(cls, base_url: str, desks: dict[str, dict[str, str]]) -> Team:
        team = cls(base_url, {desk: d["id"] for desk, d in desks.items()})
        for desk, d in desks.items():
            answer = _post_json(
                base_url,
                "/api/auth/login",
                {"username": d["username"], "password": workload.DEMO_PASSWORD},
            )
            team.tokens[desk] = str(answer["token"])
        team.material_id = upload_pdf(base_url, team.tokens["applicant"])
        return team


def _post_json(base_url: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        base_url + path, data=_encode(body), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        result: dict[str, Any] = json.loads(response.read())
        return result


def upload_pdf(base_url: str, token: str) -> str:
    """``POST /api/materials`` (multipart, field ``file``): the upload's id."""
    boundary = secrets.token_hex(12)
    body = b"".join(
        [
            f"--{boundary}\r\n".encode(),
            b'Content-Disposition: form-data; name="file"; filename="a.pdf"\r\n',
            b"Content-Type: application/pdf\r\n\r\n",
            PDF_BYTES,
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )
    request = urllib.request.Request(
        base_url + "/api/materials",
        data=body,
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Authorization": f"Bearer {token}",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(json.loads(response.read())["id"])


# -- the client ----------------------------------------------------------------------


class StepFailed(Exception):
    def __init__(self, step: str, status: int, body: bytes) -> None:
        super().__init__(f"{step}: {status} {body[:400]!r}")
        self.step, self.status = step, status


@dataclass
class Tally:
    """What one run saw: latencies of requests answered inside the window, per step."""

    window: tuple[float, float] = (0.0, float("inf"))
    latencies: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})
    requests: int = 0  # answered inside the window
    errors: int = 0  # non-2xx answers and lost connections, in the whole run
    first_error: str = ""

    def error(self, text: str) -> None:
        self.errors += 1
        self.first_error = self.first_error or text


class Client:
    """Keep-alive connections shared by every case; one request per connection at a time."""

    def __init__(self, host: str, port: int, conns: Sequence[loadgen.Connection]) -> None:
        self.host, self.port = host, port
        self.host_header = f"{host}:{port}"
        self.free: asyncio.Queue[loadgen.Connection] = asyncio.Queue()
        for conn in conns:
            self.free.put_nowait(conn)
        self.tally = Tally()
        self._headers: dict[str, dict[str, str]] = {}

    def headers(self, token: str) -> dict[str, str]:
        if token not in self._headers:
            self._headers[token] = {
                "Content-Type": "application/json",
                "Authorization": f"Bearer {token}",
            }
        return self._headers[token]

    async def call(self, step: str, method: str, path: str, token: str, body: bytes = b"") -> Any:
        raw = loadgen.build_request(method, path, self.host_header, self.headers(token), body)
        conn = await self.free.get()
        start = time.perf_counter()
        try:
            status, payload = await conn.request(raw)
        except ConnectionError as exc:
            conn.close()
            (fresh,) = await loadgen.connect(self.host, self.port, 1)
            self.free.put_nowait(fresh)
            self.tally.error(f"{step}: {exc}")
            raise StepFailed(step, 0, str(exc).encode()) from exc
        self.free.put_nowait(conn)
        end = time.perf_counter()
        tally = self.tally
        if tally.window[0] <= end < tally.window[1]:
            tally.latencies[step].append(end - start)
            tally.requests += 1
        if not 200 <= status < 300:
            failure = StepFailed(step, status, payload)
            tally.error(str(failure))
            raise failure
        return _decode(payload)


async def journey(client: Client, team: Team, filing: bytes) -> str:
    """One case from filing to the signed certificate; its id."""
    tokens = team.tokens
    window, decider = tokens["window"], tokens["decider"]
    created = await client.call("file", "POST", "/api/applications", tokens["applicant"], filing)
    case = created["application"]
    base = f"/api/applications/{case['id']}"
    version = {"expected_version": case["row_version"]}
    await client.call("accept", "POST", f"{base}/accept", window, _encode(version))
    tasks = await client.call("reviews", "GET", f"{base}/reviews", window)
    await asyncio.gather(
        *(
            client.call(
                "opinion",
                "POST",
                f"/api/review-tasks/{task['id']}/opinion",
                tokens[f"reviewer:{task['department']}"],
                _encode(
                    {
                        "expected_version": task["row_version"],
                        "verdict": "pass",
                        "opinion": "同意",
                        "items": [],
                    }
                ),
            )
            for task in tasks
        )
    )
    seen = await client.call("read", "GET", base, window)
    schedule = {
        "expected_version": seen["row_version"],
        "scheduled_for": "2026-12-03T09:30:00+08:00",
        "place": "兴庆区解放东街88号2层",
        "inspectors": [
            {"department": d, "account_id": team.ids[f"inspector:{d}"]} for d in DEPARTMENTS
        ],
    }
    inspection = await client.call(
        "schedule", "POST", f"{base}/inspection", window, _encode(schedule)
    )
    for dept in DEPARTMENTS:
        results = [
            {"code": item["code"], "result": "pass"}
            for item in inspection["checklist"]
            if item["department"] == dept
        ]
        body = {"expected_version": inspection["row_version"], "results": results}
        inspection = await client.call(
            "results",
            "POST",
            f"{base}/inspection/results",
            tokens[f"inspector:{dept}"],
            _encode(body),
        )
    seen = await client.call("read", "GET", base, decider)
    decided = await client.call(
        "decision",
        "POST",
        f"{base}/decision",
        decider,
        _encode({"expected_version": seen["row_version"], "approve": True}),
    )
    if decided["status"] != "approved" or len(decided["certificates"]) != 1:
        raise StepFailed("decision", 200, _encode(decided)[:400])
    return str(case["id"])


@dataclass
class Run:
    seconds: float  # the measured window
    completed: int  # cases whose decision was answered inside the window
    case_latencies: list[float]  # filing sent to decision answered, those cases
    tally: Tally
    case_ids: list[str]  # every case that reached its certificate (warm-up and drain too)
    started: int  # cases begun, finished or not
    failed: int  # cases abandoned at a failed step
    client_cpu_s: float
    wall_s: float

    @property
    def cases_per_s(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0

    @property
    def requests_per_s(self) -> float:
        return self.tally.requests / self.seconds if self.seconds else 0.0


async def _drive(
    host: str,
    port: int,
    team: Team,
    filings: Callable[[int], bytes],
    *,
    cases_in_flight: int,
    connections: int,
    warmup: float,
    duration: float,
    first: int,
) -> Run:
    conns = await loadgen.connect(host, port, connections)
    client = Client(host, port, conns)
    now = time.perf_counter
    start = now()
    begin, end = start + warmup, start + warmup + duration
    client.tally.window = (begin, end)
    numbers = itertools.count(first)
    done: list[str] = []
    durations: list[float] = []
    counts = {"started": 0, "failed": 0, "completed": 0}

    async def lane() -> None:
        while now() < end:
            i = next(numbers)
            counts["started"] += 1
            t0 = now()
            try:
                done.append(await journey(client, team, filings(i)))
            except StepFailed:
                counts["failed"] += 1
                await asyncio.sleep(0.05)  # a failing server must not turn this into a spin
                continue
            t1 = now()
            if begin <= t1 < end:
                counts["completed"] += 1
                durations.append(t1 - t0)

    cpu0 = time.process_time()
    try:
        await asyncio.wait_for(
            asyncio.gather(*(lane() for _ in range(cases_in_flight))),
            timeout=warmup + duration + 120,
        )
    finally:
        for conn in conns:
            conn.close()
        while not client.free.empty():
            client.free.get_nowait().close()
    return Run(
        seconds=duration,
        completed=counts["completed"],
        case_latencies=durations,
        tally=client.tally,
        case_ids=done,
        started=counts["started"],
        failed=counts["failed"],
        client_cpu_s=time.process_time() - cpu0,
        wall_s=now() - start,
    )


def drive(
    host: str,
    port: int,
    team: Team,
    credit_codes: Sequence[str],
    *,
    cases_in_flight: int,
    connections: int,
    warmup: float,
    duration: float,
    first: int = 0,
) -> Run:
    """Cases ``cases_in_flight`` at a time for ``warmup + duration`` seconds, then the
    ones under way run to their end; counts come from the ``duration`` window only.
    Case *i* is filed with ``credit_codes[i]`` (cycling)."""
    before, after = filing_pieces(team.material_id)
    codes = [c.encode() for c in credit_codes]

    def filing(i: int) -> bytes:
        return before + codes[i % len(codes)] + after

    return uvloop.run(
        _drive(
            host,
            port,
            team,
            filing,
            cases_in_flight=cases_in_flight,
            connections=connections,
            warmup=warmup,
            duration=duration,
            first=first,
        )
    )


def percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def step_summary(tally: Tally) -> Iterator[str]:
    """``step p50/p99 ms (count)`` for every step that was answered in the window."""
    for step in STEPS:
        values = tally.latencies[step]
        p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
        if p50 is not None and p99 is not None:
            yield f"{step} {p50 * 1000:.1f}/{p99 * 1000:.1f}"
