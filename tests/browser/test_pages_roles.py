"""A wrong role is refused on every page of the site, in a real Chromium.

The site's URL map (public, applicant, staff, supervisor, admin, stats) is written down
here once, with who may open each page. For every page and every role that may not, the
browser must get the 403 page (「无权访问」), or for another person's record the 404 page —
never the content; someone not logged in is sent to /login. Each page is also opened once
by a role that may, so that a page answering 403 (or 404) to everyone cannot pass.

Every failure is collected and reported together, page by page.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from approvals.repository import post_checks as check_repo
from approvals.repository import supervision as item_repo
from factories import (
    applicant_account,
    hygiene_application,
    login,
    staff_account,
    upload_pdf,
)
from pages import DESKTOP, logged_in_page

STAFF = ("window_staff", "reviewer", "inspector", "decision_maker", "department_head")
EVERYONE = ("applicant", *STAFF, "supervisor", "admin")
NOT_APPLICANT = tuple(r for r in EVERYONE if r != "applicant")
# Administrators may read any case, as in the API (Principal.can_read_case, CASE_STAFF).
NOT_STAFF = ("applicant", "supervisor")
# Supervision items, as services.supervision._console_department: supervisors and department
# heads read their own department's; administrators, window staff and decision makers (the
# approval side, who reassign returned items) every department's. Post-checks, as
# services.post_checks.list_checks / _visible: the same people (the holder reads theirs at
# /my/post-checks). Everyone else is refused.
SUPERVISION_READERS = ("supervisor", "department_head", "window_staff", "decision_maker", "admin")
NOT_SUPERVISION = ("applicant", "reviewer", "inspector")
NOT_POST_CHECKS = NOT_SUPERVISION
NOT_ADMIN = tuple(r for r in EVERYONE if r != "admin")
NOT_STATS = ("applicant", "window_staff", "reviewer", "inspector")  # as /api/metrics/*


@dataclass
class World:
    """Real records to open, and one logged-in browser page per role."""

    case_id: str
    check_id: str
    item_id: str
    verification_path: str
    marker: str  # the holder's unit name: must never show on a refused page
    pages: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="module")
async def world(browser: Any, live_server: str, client: Any) -> AsyncIterator[World]:
    holder = await applicant_account()
    body = await hygiene_application(client)
    filed = await client.post("/api/applications", json=body, headers=await login(client, holder))
    assert filed.status_code == 201, filed.text
    case_id = filed.json()["application"]["id"]
    verification = filed.json()["certificate"]["verification_url"]

    accounts = {"applicant": holder, "other_applicant": await applicant_account()}
    for role, department in (
        ("window_staff", "health_approval"),
        ("reviewer", "medical_administration"),
        ("inspector", "medical_administration"),
        ("decision_maker", "health_approval"),
        ("department_head", "health_approval"),
        ("supervisor", "health_inspection"),
        ("admin", "health_approval"),
    ):
        accounts[role], _ = await staff_account(role, department)
    accounts["other_supervisor"], _ = await staff_account("supervisor", "medical_insurance")

    supervisor = await login(client, accounts["supervisor"])
    # This case's item and post-check (the department's lists hold every other test's too).
    items = await item_repo.of_application(uuid.UUID(case_id))
    item_id = str(next(i.id for i in items if i.department == "health_inspection"))
    [pending] = await check_repo.of_application(uuid.UUID(case_id))
    check = (await client.get(f"/api/post-checks/{pending.id}", headers=supervisor)).json()
    # Found false, so the holder has a statement page to open.
    found = await client.post(
        f"/api/post-checks/{check['id']}/result",
        json={
            "expected_version": check["row_version"],
            "result": "false",
            "finding": "现场核查发现承诺的卫生管理制度不存在",
            "evidence": [await upload_pdf(client, supervisor)],
        },
        headers=supervisor,
    )
    assert found.status_code == 200, found.text

    w = World(
        case_id=case_id,
        check_id=check["id"],
        item_id=item_id,
        verification_path="/V/" + verification.split("/V/", 1)[1],
        marker=body["form"]["unit_name"],
    )
    for role, username in accounts.items():
        w.pages[role] = await logged_in_page(browser, live_server, username)
    w.pages["anonymous"] = await (
        await browser.new_context(viewport=DESKTOP, base_url=live_server, locale="zh-CN")
    ).new_page()
    yield w
    for page in w.pages.values():
        await page.context.close()


@dataclass
class Rule:
    path: str
    allowed: str  # a role (or account) that may open it: the positive control
    refused: tuple[str, ...]  # each must get the 403 page
    not_found: tuple[str, ...] = ()  # another person's record: the 404 page (403 accepted
    # where marked lenient: a supervisor of another department)
    lenient_not_found: bool = False


class Report:
    def __init__(self) -> None:
        self.problems: list[str] = []
        self.missing: list[str] = []

    def check(self) -> None:
        lines = []
        if self.missing:
            lines.append("Pages that answered 404 to a role that should see them (not built yet?):")
            lines += [f"  - {m}" for m in self.missing]
        if self.problems:
            lines.append("Access problems:")
            lines += [f"  - {p}" for p in self.problems]
        assert not lines, "\n".join(lines)


async def _open(page: Any, path: str) -> tuple[int, str, str]:
    """Status, final URL and the text of <main>; a CSV is fetched with the page's cookies
    (a browser would download it rather than show it)."""
    if path.startswith("/stats.csv"):
        response = await page.context.request.get(path, max_redirects=0)
        return response.status, path, (await response.body()).decode("utf-8-sig", "replace")
    response = await page.goto(path)
    main = page.locator("main")
    text = await main.inner_text() if await main.count() else await page.content()
    return (response.status if response else 0), page.url, text


async def _apply(w: World, rules: list[Rule], report: Report) -> None:
    for rule in rules:
        status, _, text = await _open(w.pages[rule.allowed], rule.path)
        if status == 404:
            report.missing.append(f"{rule.path} ({rule.allowed}: 404)")
            continue
        if status != 200 or "无权访问" in text:
            report.problems.append(f"{rule.path}: {rule.allowed} should see it, got {status}")
        for role in rule.refused:
            status, _, text = await _open(w.pages[role], rule.path)
            if status != 403 or "无权访问" not in text:
                report.problems.append(f"{rule.path}: {role} got {status}, not the 403 page")
            if w.marker in text:
                report.problems.append(f"{rule.path}: {role} was shown the holder's data")
        for role in rule.not_found:
            status, _, text = await _open(w.pages[role], rule.path)
            ok = status == 404 and "页面或记录不存在" in text
            ok = ok or (rule.lenient_not_found and status == 403 and "无权访问" in text)
            if not ok:
                report.problems.append(f"{rule.path}: {role} got {status}, not the 404 page")
            if w.marker in text:
                report.problems.append(f"{rule.path}: {role} was shown another holder's data")


async def test_applicant_pages_refuse_staff_and_hide_another_applicants_records(
    world: World,
) -> None:
    w, report = world, Report()
    await _apply(
        w,
        [
            Rule("/apply/public_place_hygiene", "applicant", NOT_APPLICANT),
            Rule("/my", "applicant", NOT_APPLICANT),
            Rule(f"/my/cases/{w.case_id}", "applicant", NOT_APPLICANT, ("other_applicant",)),
            Rule(f"/my/post-checks/{w.check_id}", "applicant", NOT_APPLICANT, ("other_applicant",)),
        ],
        report,
    )
    report.check()


async def test_staff_pages_refuse_applicants_and_supervisors(
    world: World,
) -> None:
    w, report = world, Report()
    await _apply(
        w,
        [
            Rule("/work", "window_staff", NOT_STAFF),
            # The holder reads their case at /my/cases/…, never on the staff desk.
            Rule(f"/work/cases/{w.case_id}", "window_staff", NOT_STAFF),
        ],
        report,
    )
    report.check()


async def test_supervision_pages_refuse_other_roles_and_other_departments(world: World) -> None:
    w, report = world, Report()
    # The department head here heads the approval section: another department than the
    # item's and the check's (health inspection), so those are not theirs — 404 as in the API.
    other = ("other_supervisor", "department_head")
    item, check = f"/supervise/items/{w.item_id}", f"/supervise/post-checks/{w.check_id}"
    await _apply(
        w,
        [
            Rule("/supervise", "supervisor", NOT_SUPERVISION),
            Rule(item, "supervisor", NOT_SUPERVISION, other),
            Rule("/supervise/post-checks", "supervisor", NOT_POST_CHECKS),
            Rule(check, "supervisor", NOT_POST_CHECKS, other),
            # Each other reader opens the lists, and the approval side the records too.
            *(Rule("/supervise", r, ()) for r in SUPERVISION_READERS),
            *(Rule("/supervise/post-checks", r, ()) for r in SUPERVISION_READERS),
            *(Rule(item, r, ()) for r in ("window_staff", "decision_maker", "admin")),
            *(Rule(check, r, ()) for r in ("window_staff", "decision_maker", "admin")),
        ],
        report,
    )
    report.check()


async def test_admin_pages_refuse_every_other_role(world: World) -> None:
    report = Report()
    paths = [
        "/admin",
        "/admin/catalogue",
        "/admin/calendar",
        "/admin/people",
        "/admin/subscriptions",
        "/admin/keys",
    ]
    await _apply(world, [Rule(p, "admin", NOT_ADMIN) for p in paths], report)
    report.check()


async def test_stats_pages_refuse_the_roles_the_metrics_api_refuses(world: World) -> None:
    report = Report()
    await _apply(
        world,
        [
            Rule("/stats", "decision_maker", NOT_STATS),
            Rule("/stats.csv", "decision_maker", NOT_STATS),
        ],
        report,
    )
    report.check()


async def test_not_logged_in_every_private_page_goes_to_login_and_public_pages_open(
    world: World,
) -> None:
    w, report = world, Report()
    anonymous = w.pages["anonymous"]
    private = [
        "/apply/public_place_hygiene",
        "/my",
        f"/my/cases/{w.case_id}",
        f"/my/post-checks/{w.check_id}",
        "/work",
        f"/work/cases/{w.case_id}",
        "/supervise",
        f"/supervise/items/{w.item_id}",
        "/supervise/post-checks",
        f"/supervise/post-checks/{w.check_id}",
        "/admin",
        "/admin/catalogue",
        "/admin/calendar",
        "/admin/people",
        "/admin/subscriptions",
        "/admin/keys",
        "/stats",
        "/stats.csv",
    ]
    for path in private:
        if path == "/stats.csv":
            response = await anonymous.context.request.get(path, max_redirects=0)
            location = response.headers.get("location", "")
            if response.status != 303 or not location.startswith("/login"):
                report.problems.append(f"{path}: anonymous got {response.status} {location}")
            continue
        status, url, text = await _open(anonymous, path)
        if "/login" not in url:
            report.problems.append(f"{path}: anonymous was not sent to /login (ended at {url})")
        if w.marker in text:
            report.problems.append(f"{path}: anonymous was shown the holder's data")
    for path in ("/", "/login", "/guide", w.verification_path):
        status, _, _ = await _open(anonymous, path)
        if status == 404:
            report.missing.append(f"{path} (anonymous: 404)")
        elif status != 200:
            report.problems.append(f"{path}: public page answered {status} to anonymous")
    report.check()
