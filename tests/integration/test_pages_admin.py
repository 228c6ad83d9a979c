"""The administration and statistics pages over HTTP: who may open them, CSRF on every
form, bad input answered in Chinese with nothing changed, and the same services as the API
doing the work (checked through the API afterwards)."""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from approvals.clock import SystemClock
from approvals.config import settings
from approvals.persistence.statements import fetch
from approvals.services.context import build_services
from approvals.services.delivery import fan_out
from factories import (
    DEMO_PASSWORD,
    applicant_account,
    hygiene_application,
    login,
    new_applicant,
    staff_account,
)

ADMIN_PAGES = [
    "/admin",
    "/admin/catalogue",
    "/admin/catalogue/public_place_hygiene",
    "/admin/calendar",
    "/admin/people",
    "/admin/subscriptions",
    "/admin/keys",
]
Pages = Callable[[str], Any]


@pytest.fixture
async def as_user(app: Any, client: Any) -> AsyncIterator[Pages]:
    """``http = await as_user(username)``: a cookie-session client of its own, logged in,
    with ``http.csrf`` the session's form token."""
    made: list[httpx.AsyncClient] = []

    async def make(username: str) -> httpx.AsyncClient:
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver.local"
        )
        made.append(http)
        response = await http.post(
            "/api/auth/login",
            json={"username": username, "password": DEMO_PASSWORD, "session": "cookie"},
        )
        assert response.status_code == 200, response.text
        http.csrf = response.json()["account"]["csrf_token"]  # type: ignore[attr-defined]
        return http

    yield make
    for http in made:
        await http.aclose()


async def admin_client(as_user: Pages) -> Any:
    username, _ = await staff_account("admin", "health_approval")
    return await as_user(username)


async def year_loaded(client: Any, year: int) -> dict[str, Any]:
    response = await client.get(f"/api/calendar/{year}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def free_year() -> int:
    """A year no other test loads (the calendar is shared by the whole run)."""
    return 2060 + secrets.randbelow(40)


# -- who may open what -----------------------------------------------------------------------


async def test_every_admin_page_opens_for_an_administrator_in_chinese(as_user: Pages) -> None:
    http = await admin_client(as_user)
    for path in [*ADMIN_PAGES, "/admin/calendar?year=2031", "/stats"]:
        response = await http.get(path)
        assert response.status_code == 200, (path, response.text[-2000:])
        assert '<html lang="zh-CN">' in response.text
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
        assert "style=" not in response.text and "<script>" not in response.text


async def test_other_roles_get_the_403_page_and_strangers_the_login_page(
    as_user: Pages, client: Any
) -> None:
    decider = await as_user("decider")
    applicant = await as_user(await applicant_account())
    for path in ADMIN_PAGES:
        for http in (decider, applicant):
            response = await http.get(path)
            assert response.status_code == 403, (path, response.text[-500:])
            assert "无权访问" in response.text
        anonymous = await client.get(path)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/login?next=")
    refused = await decider.post(
        "/admin/people",
        data={"csrf_token": decider.csrf, "username": "sneaky1", "display_name": "某某"},
    )
    assert refused.status_code == 403 and "无权访问" in refused.text
    applicant_stats = await applicant.get("/stats")
    assert applicant_stats.status_code == 403 and "无权访问" in applicant_stats.text


async def test_an_unknown_permit_type_or_subscription_is_a_404_page(as_user: Pages) -> None:
    http = await admin_client(as_user)
    for path in (
        "/admin/catalogue/no_such_type",
        "/admin/subscriptions/00000000-0000-4000-8000-000000000000",
    ):
        response = await http.get(path)
        assert response.status_code == 404, path
        assert "不存在" in response.text or "未找到" in response.text


# -- the calendar ----------------------------------------------------------------------------


async def test_a_forged_or_missing_csrf_token_loads_no_calendar(
    as_user: Pages, client: Any
) -> None:
    http = await admin_client(as_user)
    year = free_year()
    body = {"holidays": f"{year}-01-01 元旦", "workdays": "", "note": "伪造"}
    for token in ("forged", None):
        data = {**body, **({"csrf_token": token} if token else {})}
        response = await http.post(f"/admin/calendar/{year}", data=data)
        assert response.status_code == 403
        assert "页面已过期或请求来源不可信" in response.text
    assert (await year_loaded(client, year))["loaded"] is False


async def test_bad_calendar_lines_are_named_in_chinese_and_nothing_is_loaded(
    as_user: Pages, client: Any
) -> None:
    http = await admin_client(as_user)
    year = free_year()
    bad = await http.post(
        f"/admin/calendar/{year}",
        data={
            "csrf_token": http.csrf,
            "holidays": f"{year}-01-01 元旦\n{year}-02-30 不存在的日子\n明天",
            "workdays": "",
        },
    )
    assert bad.status_code == 400
    assert "第 2 行" in bad.text and "不是有效日期" in bad.text and "第 3 行" in bad.text
    assert "不存在的日子" in bad.text  # the text typed is kept in the form
    wrong = await http.post(
        f"/admin/calendar/{year}",
        data={
            "csrf_token": http.csrf,
            "holidays": f"{year + 1}-01-01 元旦",
            "workdays": _weekday(year),
        },
    )
    assert wrong.status_code == 422
    assert f"不属于 {year} 年" in wrong.text and "本是工作日" in wrong.text
    nul = await http.post(
        f"/admin/calendar/{year}",
        data={"csrf_token": http.csrf, "holidays": f"{year}-01-01 元\x00旦"},
    )
    assert nul.status_code == 400 and "非法字符" in nul.text
    out_of_range = await http.post(
        "/admin/calendar/1999", data={"csrf_token": http.csrf, "holidays": "1999-01-01 元旦"}
    )
    assert out_of_range.status_code == 400 and "2000–2100" in out_of_range.text
    assert (await year_loaded(client, year))["loaded"] is False


def _weekday(year: int) -> str:
    from datetime import date, timedelta

    day = date(year, 3, 2)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return f"{day.isoformat()} 调休"


async def test_loading_a_year_through_the_page_is_what_the_calendar_api_then_reports(
    as_user: Pages, client: Any
) -> None:
    http = await admin_client(as_user)
    year = free_year()
    from datetime import date, timedelta

    saturday = date(year, 1, 8)
    while saturday.weekday() != 5:
        saturday += timedelta(days=1)
    response = await http.post(
        f"/admin/calendar/{year}",
        data={
            "csrf_token": http.csrf,
            "holidays": f"{year}-01-01 元旦\r\n{year}-10-01\r\n",
            "workdays": f"{saturday.isoformat()} 调休上班",
            "note": "国办发明电〔测试〕",
        },
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/admin/calendar?year={year}"
    loaded = await year_loaded(client, year)
    assert loaded["loaded"] is True and loaded["source"] == "admin"
    assert loaded["holidays"] == [
        {"date": f"{year}-01-01", "name": "元旦"},
        {"date": f"{year}-10-01", "name": "法定节假日"},
    ]
    assert loaded["workdays"] == [{"date": saturday.isoformat(), "name": "调休上班"}]
    page = await http.get(response.headers["location"])
    assert "已载入" in page.text and "国办发明电〔测试〕" in page.text


# -- people --------------------------------------------------------------------------------


async def test_a_new_staff_account_needs_a_strong_password_and_then_can_log_in(
    as_user: Pages, client: Any
) -> None:
    http = await admin_client(as_user)
    username = f"staff{secrets.token_hex(4)}"
    form = {
        "csrf_token": http.csrf,
        "username": username,
        "display_name": "审查人员 测试",
        "roles": ["reviewer", "inspector"],
        "department": "radiation_health",
        "password": "weakpass",
        "password_again": "weakpass",
    }
    weak = await http.post("/admin/people", data=form)
    assert weak.status_code == 400
    assert "至少包含大写字母、小写字母、数字、符号中的三种" in weak.text
    assert f'value="{username}"' in weak.text  # kept, the password is not
    assert (
        await client.post("/api/auth/login", json=_creds(username, "weakpass"))
    ).status_code == 401

    supervisor_in_review = await http.post(
        "/admin/people",
        data={
            **form,
            "roles": "supervisor",
            "password": "Strong#2026x",
            "password_again": "Strong#2026x",
        },
    )
    assert (
        supervisor_in_review.status_code == 400
        and "监管人员须属于监管部门" in supervisor_in_review.text
    )

    password = "Rad-Review#2026"
    made = await http.post(
        "/admin/people", data={**form, "password": password, "password_again": password}
    )
    assert made.status_code == 303, made.text
    logged_in = await client.post("/api/auth/login", json=_creds(username, password))
    assert logged_in.status_code == 200, logged_in.text
    account = logged_in.json()["account"]
    assert sorted(account["roles"]) == ["inspector", "reviewer"]
    assert account["department"] == "radiation_health"
    listing = await http.get("/admin/people?department=radiation_health")
    assert username in listing.text and "审查人员、勘验人员" in listing.text

    again = await http.post(
        "/admin/people", data={**form, "password": password, "password_again": password}
    )
    assert again.status_code == 409 and "已被使用" in again.text


async def test_a_forged_token_creates_no_account(as_user: Pages, client: Any) -> None:
    http = await admin_client(as_user)
    username = f"forged{secrets.token_hex(4)}"
    response = await http.post(
        "/admin/people",
        data={
            "csrf_token": "x" * 43,
            "username": username,
            "display_name": "伪造",
            "roles": "admin",
            "department": "health_approval",
            "password": "Forged#2026x",
            "password_again": "Forged#2026x",
        },
    )
    assert response.status_code == 403
    assert (
        await client.post("/api/auth/login", json=_creds(username, "Forged#2026x"))
    ).status_code == 401


def _creds(username: str, password: str) -> dict[str, str]:
    return {"username": username, "password": password}


# -- subscriptions and dead letters -------------------------------------------------------------


@pytest.fixture
def local_targets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPROVALS_PUSH_ALLOW_PRIVATE", "1")


async def test_a_subscription_made_on_the_page_shows_its_secret_once_and_dead_letters_replay(
    as_user: Pages, client: Any, local_targets: None
) -> None:
    http = await admin_client(as_user)
    admin_api = await login(client, "admin")
    name = f"市场监管测试{secrets.token_hex(3)}"
    forged = await http.post(
        "/admin/subscriptions",
        data={"csrf_token": "nope", "department": "market_regulation", "name": name},
    )
    assert forged.status_code == 403
    bad = await http.post(
        "/admin/subscriptions",
        data={
            "csrf_token": http.csrf,
            "department": "health_approval",
            "name": name,
            "url": "http://127.0.0.1:9/hook",
            "event_types": "cn.gov.health.approvals.*",
        },
    )
    assert bad.status_code == 400 and "不是监管部门" in bad.text
    made = await http.post(
        "/admin/subscriptions",
        data={
            "csrf_token": http.csrf,
            "department": "market_regulation",
            "name": name,
            "url": "http://127.0.0.1:9/hook",
            "event_types": ["cn.gov.health.approvals.*"],
            "rate_limit_per_s": "20",
        },
    )
    assert made.status_code == 200, made.text[-1500:]
    secret = re.search(r"whsec_[A-Za-z0-9+/=]+", made.text)
    assert secret and "仅显示这一次" in made.text
    assert made.headers["cache-control"] == "no-store"
    subs = (await client.get("/api/subscriptions", headers=admin_api)).json()
    sub = next(s for s in subs if s["name"] == name)
    assert sub["rate_limit_per_s"] == 20 and sub["status"] == "active"
    detail = await http.get(f"/admin/subscriptions/{sub['id']}")
    listing = await http.get("/admin/subscriptions")
    assert secret.group(0) not in detail.text and secret.group(0) not in listing.text
    assert name in listing.text

    try:
        # An event for market regulation, fanned out to this subscription, then failed.
        holder = await new_applicant(client)
        filed = await client.post(
            "/api/applications", json=await hygiene_application(client), headers=holder
        )
        assert filed.status_code == 201
        services = build_services(settings(), SystemClock())
        while await fan_out(services):
            pass
        await fetch(
            "UPDATE delivery SET status = 'dead', dead_at = next_attempt_at, last_status = 400,"
            " last_error = 'bad request' WHERE subscription = :sub",
            sub=_sub_id(sub["id"]),
        )
        dead = await client.get(
            "/api/deliveries",
            params={"status": "dead", "subscription_id": sub["id"]},
            headers=admin_api,
        )
        ids = [d["id"] for d in dead.json()["items"]]
        assert ids
        page = await http.get(f"/admin/subscriptions/{sub['id']}")
        assert (
            f'action="/admin/deliveries/{ids[0]}/replay"' in page.text and "推送失败" in page.text
        )

        no_token = await http.post(f"/admin/deliveries/{ids[0]}/replay", data={})
        assert no_token.status_code == 403
        one = await http.post(f"/admin/deliveries/{ids[0]}/replay", data={"csrf_token": http.csrf})
        assert one.status_code == 303
        state = await client.get(f"/api/deliveries/{ids[0]}", headers=admin_api)
        assert state.json()["delivery"]["status"] == "pending"
        twice = await http.post(
            f"/admin/deliveries/{ids[0]}/replay", data={"csrf_token": http.csrf}
        )
        flashed = await http.get(twice.headers["location"])
        assert "只有推送失败的记录可以重发" in flashed.text

        replay_all = await http.post(
            f"/admin/subscriptions/{sub['id']}/replay", data={"csrf_token": http.csrf}
        )
        assert replay_all.status_code == 303
        still_dead = await client.get(
            "/api/deliveries",
            params={"status": "dead", "subscription_id": sub["id"]},
            headers=admin_api,
        )
        assert still_dead.json()["items"] == []

        rotated = await http.post(
            f"/admin/subscriptions/{sub['id']}/rotate",
            data={
                "csrf_token": http.csrf,
                "expected_version": str(sub["row_version"]),
                "overlap_hours": "2",
            },
        )
        assert rotated.status_code == 200
        new_secret = re.search(r"whsec_[A-Za-z0-9+/=]+", rotated.text)
        assert new_secret and new_secret.group(0) != secret.group(0)
        stale = await http.post(
            f"/admin/subscriptions/{sub['id']}/state",
            data={
                "csrf_token": http.csrf,
                "expected_version": str(sub["row_version"]),
                "active": "0",
            },
        )
        stale_page = await http.get(stale.headers["location"])
        assert "已被他人修改" in stale_page.text
    finally:
        current = (await client.get(f"/api/subscriptions/{sub['id']}", headers=admin_api)).json()
        off = await http.post(
            f"/admin/subscriptions/{sub['id']}/state",
            data={
                "csrf_token": http.csrf,
                "expected_version": str(current["row_version"]),
                "active": "0",
            },
        )
        assert off.status_code == 303
    after = (await client.get(f"/api/subscriptions/{sub['id']}", headers=admin_api)).json()
    assert after["status"] == "disabled"


def _sub_id(raw: str) -> Any:
    import uuid

    return uuid.UUID(raw)


# -- signing keys ----------------------------------------------------------------------------


async def test_a_new_key_is_published_pending_refused_too_early_and_can_be_retired(
    as_user: Pages, client: Any
) -> None:
    http = await admin_client(as_user)
    before = await http.get("/admin/keys")
    kids_before = set(re.findall(r'data-kid="([^"]+)"', before.text))
    forged = await http.post(
        "/admin/keys",
        data={
            "csrf_token": "bad",
            "issuer": "yinchuan_approval",
            "alg": "EdDSA",
            "purpose": "certificate",
        },
    )
    assert forged.status_code == 403
    made = await http.post(
        "/admin/keys",
        data={
            "csrf_token": http.csrf,
            "issuer": "yinchuan_approval",
            "alg": "EdDSA",
            "purpose": "certificate",
        },
    )
    assert made.status_code == 303
    after = await http.get("/admin/keys")
    new = set(re.findall(r'data-kid="([^"]+)"', after.text)) - kids_before
    assert len(new) == 1
    kid = new.pop()
    jwks = (await client.get("/.well-known/jwks.json")).json()
    assert any(k["kid"] == kid for k in jwks["keys"])  # published at once

    early = await http.post(f"/admin/keys/{kid}/activate", data={"csrf_token": http.csrf})
    told = await http.get(early.headers["location"])
    assert "密钥发布不足" in told.text and "不等待发布期" in told.text
    retired = await http.post(f"/admin/keys/{kid}/retire", data={"csrf_token": http.csrf})
    assert retired.status_code == 303
    page = await http.get("/admin/keys")
    row = page.text.split(f'data-kid="{kid}"')[1].split("</tr>")[0]
    assert "已退役" in row
    unknown = await http.post("/admin/keys/nosuchkey123/retire", data={"csrf_token": http.csrf})
    assert unknown.status_code == 404


# -- statistics ----------------------------------------------------------------------------


async def test_stats_refuse_a_period_that_ends_before_it_starts(as_user: Pages) -> None:
    http = await as_user("decider")
    response = await http.get("/stats", params={"from": "2026-03-01", "to": "2026-02-01"})
    assert response.status_code == 400
    assert "结束日期不能早于开始日期" in response.text
    bad = await http.get("/stats", params={"from": "2026-13-01", "to": "2026-02-01"})
    assert bad.status_code == 400 and "开始日期应为" in bad.text
    csv_bad = await http.get("/stats.csv", params={"from": "2026-03-01", "to": "2026-02-01"})
    assert csv_bad.status_code == 400


async def test_stats_csv_has_a_bom_chinese_headers_and_the_api_numbers(
    as_user: Pages, client: Any
) -> None:
    http = await as_user("decider")
    decider = await login(client, "decider")
    period = {"from": "2026-01-01", "to": "2027-12-31"}
    response = await http.get("/stats.csv", params={**period, "table": "approvals"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    api = (await client.get("/api/metrics/approvals", params=period, headers=decider)).json()
    by_code = {r["事项编码"]: r for r in rows}
    for entry in api["permit_types"]:
        row = by_code[entry["permit_code"]]
        assert int(row["申请件数"]) == entry["filed"]
        assert int(row["办结件数"]) == entry["decided"]
        if entry["on_the_spot_rate"] is not None:
            assert float(row["即办率(%)"]) == pytest.approx(entry["on_the_spot_rate"] * 100)
    sup = await http.get("/stats.csv", params={**period, "table": "supervision"})
    assert sup.status_code == 200 and "认领率(%)" in sup.content.decode("utf-8-sig")


async def test_a_supervisor_sees_only_their_department_and_no_approval_figures(
    as_user: Pages,
) -> None:
    username, _ = await staff_account("supervisor", "health_inspection")
    http = await as_user(username)
    page = await http.get("/stats")
    assert page.status_code == 200
    assert "审批效能统计仅对" in page.text and 'id="approval-table"' not in page.text
    other = await http.get("/stats", params={"department": "market_regulation"})
    assert other.status_code == 403 and "只能查看本部门" in other.text
    approvals = await http.get("/stats.csv", params={"table": "approvals"})
    assert approvals.status_code == 403
