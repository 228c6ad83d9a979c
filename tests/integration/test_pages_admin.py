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


# -- managing accounts -------------------------------------------------------------------------


async def _audit_actions(account_id: str) -> list[str]:
    rows = await fetch(
        "SELECT action FROM audit_entry WHERE chain = :chain ORDER BY seq",
        chain=f"account:{account_id}",
    )
    return [str(r["action"]) for r in rows]


async def _is_active(account_id: str) -> bool:
    import uuid

    rows = await fetch("SELECT is_active FROM account WHERE id = :id", id=uuid.UUID(account_id))
    return bool(rows[0]["is_active"])


async def _me(http: Any) -> int:
    return int((await http.get("/api/auth/me")).status_code)


async def test_an_admin_can_neither_deactivate_nor_demote_nor_reset_themselves(
    as_user: Pages,
) -> None:
    username, admin_id = await staff_account("admin", "health_approval")
    http = await as_user(username)
    own = await http.get(f"/admin/people/{admin_id}")
    assert own.status_code == 200 and "这是您本人的账号" in own.text
    assert 'id="deactivate"' not in own.text  # no button, and the server refuses it too
    off = await http.post(
        f"/admin/people/{admin_id}/active", data={"csrf_token": http.csrf, "active": "0"}
    )
    assert off.status_code == 422 and "不能停用自己的账号" in off.text
    demote = await http.post(
        f"/admin/people/{admin_id}/access",
        data={
            "csrf_token": http.csrf,
            "roles": ["reviewer"],
            "department": "health_approval",
            "seen_roles": "admin",
            "seen_department": "health_approval",
        },
    )
    assert demote.status_code == 422 and "不能取消自己的系统管理员角色" in demote.text
    reset = await http.post(
        f"/admin/people/{admin_id}/password",
        data={
            "csrf_token": http.csrf,
            "password": "Own-Reset#2026",
            "password_again": "Own-Reset#2026",
        },
    )
    assert reset.status_code == 422 and "不能在此重置自己的密码" in reset.text
    assert await _is_active(admin_id)
    assert await _me(http) == 200  # still logged in, still an administrator
    assert (await http.get("/admin")).status_code == 200
    assert await _audit_actions(admin_id) == ["account.logged_in"]


async def test_no_change_may_leave_the_service_without_an_active_administrator(
    as_user: Pages, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check runs after the change inside its transaction: refused, everything rolls
    back (the account stays active, its session keeps working, no audit entry)."""
    from approvals.repository import accounts

    http = await admin_client(as_user)
    other, other_id = await staff_account("admin", "health_approval")
    other_http = await as_user(other)

    async def none_left() -> int:
        return 0

    monkeypatch.setattr(accounts, "active_admin_count", none_left)
    off = await http.post(
        f"/admin/people/{other_id}/active", data={"csrf_token": http.csrf, "active": "0"}
    )
    assert off.status_code == 422 and "至少要保留一名在用的系统管理员" in off.text
    demote = await http.post(
        f"/admin/people/{other_id}/access",
        data={
            "csrf_token": http.csrf,
            "roles": ["reviewer"],
            "department": "health_approval",
            "seen_roles": "admin",
            "seen_department": "health_approval",
        },
    )
    assert demote.status_code == 422 and "至少要保留一名" in demote.text
    assert await _is_active(other_id)
    assert await _me(other_http) == 200
    assert (await other_http.get("/admin")).status_code == 200
    assert await _audit_actions(other_id) == ["account.logged_in"]


async def test_a_deactivated_account_cannot_log_in_and_its_open_sessions_stop_at_once(
    as_user: Pages, client: Any
) -> None:
    http = await admin_client(as_user)
    username, account_id = await staff_account("reviewer", "health_approval")
    cookie_session = await as_user(username)
    bearer = await login(client, username)
    assert await _me(cookie_session) == 200
    assert (await client.get("/api/auth/me", headers=bearer)).status_code == 200
    path = f"/admin/people/{account_id}/active"

    for token in ("forged", None):
        data = {"active": "0", **({"csrf_token": token} if token else {})}
        refused = await http.post(path, data=data)
        assert refused.status_code == 403 and "页面已过期或请求来源不可信" in refused.text
    assert await _is_active(account_id) and await _me(cookie_session) == 200
    stranger = await as_user("decider")
    assert (
        await stranger.post(path, data={"csrf_token": stranger.csrf, "active": "0"})
    ).status_code == 403
    assert await _is_active(account_id)

    off = await http.post(path, data={"csrf_token": http.csrf, "active": "0"})
    assert off.status_code == 303, off.text[-1000:]
    page = await http.get(off.headers["location"])
    assert "已停用该账号，并结束其 2 个登录会话" in page.text
    assert await _me(cookie_session) == 401  # at once, not after the session cache expires
    assert (await client.get("/api/auth/me", headers=bearer)).status_code == 401
    work = await cookie_session.get("/work")
    assert work.status_code == 303 and work.headers["location"].startswith("/login")
    denied = await client.post("/api/auth/login", json=_creds(username, DEMO_PASSWORD))
    assert denied.status_code == 401
    listing = await http.get("/admin/people?department=health_approval")
    row = re.search(rf"{username}</a></th>.*?</tr>", listing.text, re.S)
    assert row and "已停用" in row.group(0)

    twice = await http.post(path, data={"csrf_token": http.csrf, "active": "0"})
    assert twice.status_code == 409 and "已被他人修改" in twice.text

    on = await http.post(path, data={"csrf_token": http.csrf, "active": "1"})
    assert on.status_code == 303
    again = await client.post("/api/auth/login", json=_creds(username, DEMO_PASSWORD))
    assert again.status_code == 200
    assert await _audit_actions(account_id) == [
        "account.logged_in",
        "account.logged_in",
        "account.deactivated",
        "account.reactivated",
        "account.logged_in",
    ]


async def test_changed_roles_take_effect_on_the_open_session_under_the_department_rules(
    as_user: Pages, client: Any
) -> None:
    http = await admin_client(as_user)
    username, account_id = await staff_account("reviewer", "health_approval")
    session = await as_user(username)
    assert (await session.get("/admin/subscriptions")).status_code == 403
    path = f"/admin/people/{account_id}/access"
    seen = {"seen_roles": "reviewer", "seen_department": "health_approval"}

    forged = await http.post(
        path,
        data={"csrf_token": "forged", "roles": "admin", "department": "health_approval", **seen},
    )
    assert forged.status_code == 403
    wrong_department = await http.post(
        path,
        data={
            "csrf_token": http.csrf,
            "roles": "supervisor",
            "department": "health_approval",
            **seen,
        },
    )
    assert wrong_department.status_code == 400
    assert "监管人员须属于监管部门" in wrong_department.text
    no_role = await http.post(
        path, data={"csrf_token": http.csrf, "department": "health_approval", **seen}
    )
    assert no_role.status_code == 400 and "请至少选择一个角色" in no_role.text
    bad_role = await http.post(
        path,
        data={"csrf_token": http.csrf, "roles": "emperor", "department": "health_approval", **seen},
    )
    assert bad_role.status_code == 400 and "角色不正确" in bad_role.text
    me = (await session.get("/api/auth/me")).json()
    assert me["roles"] == ["reviewer"] and me["department"] == "health_approval"

    changed = await http.post(
        path,
        data={
            "csrf_token": http.csrf,
            "roles": ["supervisor", "department_head"],
            "department": "health_inspection",
            **seen,
        },
    )
    assert changed.status_code == 303, changed.text[-1000:]
    me = (await session.get("/api/auth/me")).json()  # the same session, at once
    assert sorted(me["roles"]) == ["department_head", "supervisor"]
    assert me["department"] == "health_inspection"
    work = await session.get("/work/cases/00000000-0000-4000-8000-000000000000")
    assert work.status_code in (403, 404)
    assert (await session.get("/stats")).status_code == 200

    stale = await http.post(
        path,
        data={
            "csrf_token": http.csrf,
            "roles": "inspector",
            "department": "health_approval",
            **seen,
        },
    )
    assert stale.status_code == 409 and "已被他人修改" in stale.text
    me = (await session.get("/api/auth/me")).json()
    assert sorted(me["roles"]) == ["department_head", "supervisor"]
    assert await _audit_actions(account_id) == ["account.logged_in", "account.access_changed"]

    applicant = await applicant_account()
    applicant_id = (await (await as_user(applicant)).get("/api/auth/me")).json()["id"]
    refused = await http.post(
        f"/admin/people/{applicant_id}/access",
        data={
            "csrf_token": http.csrf,
            "roles": "admin",
            "department": "health_approval",
            "seen_roles": "applicant",
            "seen_department": "",
        },
    )
    assert refused.status_code == 422 and "申请人账号的角色和部门不能在此修改" in refused.text


async def test_a_password_reset_needs_the_password_rules_and_ends_the_sessions(
    as_user: Pages, client: Any
) -> None:
    http = await admin_client(as_user)
    username, account_id = await staff_account("inspector", "radiation_health")
    session = await as_user(username)
    path = f"/admin/people/{account_id}/password"
    weak = await http.post(
        path, data={"csrf_token": http.csrf, "password": "abcdefgh", "password_again": "abcdefgh"}
    )
    assert weak.status_code == 400 and "至少包含大写字母、小写字母、数字、符号中的三种" in weak.text
    mismatch = await http.post(
        path,
        data={
            "csrf_token": http.csrf,
            "password": "Temp#Pass2026",
            "password_again": "Temp#Pass2027",
        },
    )
    assert mismatch.status_code == 400 and "两次输入的密码不一致" in mismatch.text
    forged = await http.post(
        path,
        data={"csrf_token": "x", "password": "Temp#Pass2026", "password_again": "Temp#Pass2026"},
    )
    assert forged.status_code == 403
    assert await _me(session) == 200
    assert (
        await client.post("/api/auth/login", json=_creds(username, DEMO_PASSWORD))
    ).status_code == 200

    done = await http.post(
        path,
        data={
            "csrf_token": http.csrf,
            "password": "Temp#Pass2026",
            "password_again": "Temp#Pass2026",
        },
    )
    assert done.status_code == 303
    assert (
        "已设置临时密码，并结束其 2 个登录会话" in (await http.get(done.headers["location"])).text
    )
    assert await _me(session) == 401
    old = await client.post("/api/auth/login", json=_creds(username, DEMO_PASSWORD))
    assert old.status_code == 401
    new = await client.post("/api/auth/login", json=_creds(username, "Temp#Pass2026"))
    assert new.status_code == 200
    actions = await _audit_actions(account_id)
    assert actions[-2:] == ["account.password_reset", "account.logged_in"]
    assert "account.password_reset" not in actions[:-2]


async def test_an_unknown_account_is_a_404_page(as_user: Pages) -> None:
    http = await admin_client(as_user)
    missing = "00000000-0000-4000-8000-000000000000"
    assert (await http.get(f"/admin/people/{missing}")).status_code == 404
    response = await http.post(
        f"/admin/people/{missing}/active", data={"csrf_token": http.csrf, "active": "0"}
    )
    assert response.status_code == 404 and "未找到" in response.text


# -- editing a subscription --------------------------------------------------------------------


async def test_a_subscription_edit_checks_each_field_and_the_target_and_its_version(
    as_user: Pages, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    http = await admin_client(as_user)
    admin_api = await login(client, "admin")
    monkeypatch.setenv("APPROVALS_PUSH_ALLOW_PRIVATE", "1")
    name = f"编辑测试{secrets.token_hex(3)}"
    made = await client.post(
        "/api/admin/subscriptions",
        json={
            "department": "health_inspection",
            "name": name,
            "url": "http://127.0.0.1:9/hook",
            "event_types": ["cn.gov.health.approvals.*"],
            "rate_limit_per_s": 20,
        },
        headers=admin_api,
    )
    assert made.status_code == 201, made.text
    sub = made.json()["subscription"]
    path = f"/admin/subscriptions/{sub['id']}"
    monkeypatch.delenv("APPROVALS_PUSH_ALLOW_PRIVATE")  # as in production
    good = {
        "csrf_token": http.csrf,
        "expected_version": str(sub["row_version"]),
        "name": name + "改",
        "url": "http://127.0.0.1:8/other",
        "event_types": ["cn.gov.health.approvals.certificate.revoked"],
        "rate_limit_per_s": "7",
    }

    async def unchanged() -> None:
        now = (await client.get(f"/api/subscriptions/{sub['id']}", headers=admin_api)).json()
        assert now == {**sub, "secrets_in_force": now["secrets_in_force"]}

    try:
        page = await http.get(path)
        assert 'id="edit-subscription"' in page.text and f'value="{name}"' in page.text
        forged = await http.post(path, data={**good, "csrf_token": "forged"})
        assert forged.status_code == 403
        private = await http.post(path, data=good)
        assert private.status_code == 400
        assert "推送地址不可用（指向本机地址）" in private.text and "loopback" not in private.text
        assert 'value="http://127.0.0.1:8/other"' in private.text  # the input is kept
        for field, value, message in (
            ("url", "ftp://example.org/x", "推送地址应为 http:// 或 https:// 开头的网址"),
            ("url", "http://10.1.2.3/hook", "推送地址不可用（指向内网地址）"),
            ("url", "http://user:pw@example.org/hook", "网址中不得包含用户名或密码"),
            ("name", "短", "名称应为 2–100 个字"),
            ("rate_limit_per_s", "0", "推送速率应为 1–10000 之间的整数"),
            ("event_types", "cn.gov.other.*", "事件类型不正确"),
        ):
            bad = await http.post(path, data={**good, field: value})
            assert bad.status_code == 400, (field, value)
            assert message in bad.text, (field, value)
            assert f'id="{field}-error"' in bad.text  # the message is at its field
        no_types = await http.post(path, data={k: v for k, v in good.items() if k != "event_types"})
        assert no_types.status_code == 400 and "请至少选择一种事件" in no_types.text
        await unchanged()

        monkeypatch.setenv("APPROVALS_PUSH_ALLOW_PRIVATE", "1")
        saved = await http.post(path, data=good)
        assert saved.status_code == 303, saved.text[-1500:]
        assert "已保存订阅设置" in (await http.get(saved.headers["location"])).text
        now = (await client.get(f"/api/subscriptions/{sub['id']}", headers=admin_api)).json()
        assert now["name"] == name + "改" and now["url"] == "http://127.0.0.1:8/other"
        assert now["event_types"] == ["cn.gov.health.approvals.certificate.revoked"]
        assert now["rate_limit_per_s"] == 7 and now["row_version"] == sub["row_version"] + 1
        stale = await http.post(path, data={**good, "name": "过期的修改"})
        assert stale.status_code == 303
        assert "已被他人修改" in (await http.get(stale.headers["location"])).text
        after = (await client.get(f"/api/subscriptions/{sub['id']}", headers=admin_api)).json()
        assert after["name"] == name + "改" and after["row_version"] == now["row_version"]
        audit = await fetch(
            "SELECT action FROM audit_entry WHERE chain = :chain ORDER BY seq",
            chain=f"subscription:{sub['id']}",
        )
        assert [r["action"] for r in audit] == ["subscription.created", "subscription.changed"]
    finally:
        current = (await client.get(f"/api/subscriptions/{sub['id']}", headers=admin_api)).json()
        off = await client.patch(
            f"/api/admin/subscriptions/{sub['id']}",
            json={"expected_version": current["row_version"], "active": False},
            headers=admin_api,
        )
        assert off.status_code == 200
