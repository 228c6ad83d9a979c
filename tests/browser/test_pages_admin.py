"""Administration and statistics pages in a real Chromium against a real server: an
administrator creates a staff user who then logs in, creates a push subscription and sees
its secret once, and the statistics page's charts, tables and CSV agree with the metrics
API. Screenshots of every page go to tests/artifacts/screens/."""

from __future__ import annotations

import asyncio
import csv
import re
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from approvals.clock import SystemClock, local_date
from factories import hygiene_application, login, new_applicant, staff_account
from pages import DESKTOP, PHONE, confirm, logged_in_page, shoot
from servers import running_server


async def _admin(browser: Any, base: str) -> Any:
    username, _ = await staff_account("admin", "health_approval")
    return await logged_in_page(browser, base, username)


async def _log_in_with(browser: Any, base: str, username: str, password: str) -> Any:
    context = await browser.new_context(viewport=DESKTOP, base_url=base, locale="zh-CN")
    page = await context.new_page()
    await page.goto("/login")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(password)
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_load_state()
    return page


async def test_an_admin_creates_a_staff_user_in_the_browser_who_can_then_log_in(
    browser: Any, live_server: str, screens: Path
) -> None:
    page = await _admin(browser, live_server)
    await page.goto("/admin")
    assert await page.locator("h1").inner_text() == "系统管理"
    await shoot(page, screens, "admin-overview")
    await page.goto("/admin/people")
    username = f"insp{secrets.token_hex(4)}"
    password = "Insp-Rad#2026"
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("姓名（显示名）").fill("勘验人员 欧阳明")
    await page.get_by_label("勘验人员").check()
    await page.get_by_label("所属部门").select_option("radiation_health")
    # A weak password is refused on the server (the browser's own checks pass it).
    await page.locator("#password").fill("abcdefgh")
    await page.locator("#password_again").fill("abcdefgh")
    await page.get_by_role("button", name="创建账号").click()
    await confirm(page)
    assert "至少包含大写字母" in await page.locator("#form-errors").inner_text()
    assert await page.get_by_label("用户名").input_value() == username
    await page.locator("#password").fill(password)
    await page.locator("#password_again").fill(password)
    await page.get_by_role("button", name="创建账号").click()
    await confirm(page)
    assert f"已创建用户 {username}" in await page.locator(".flash").inner_text()
    row = page.locator("#users tr", has_text=username)
    assert "勘验人员" in await row.inner_text() and "正常" in await row.inner_text()
    await shoot(page, screens, "admin-people")

    newcomer = await _log_in_with(browser, live_server, username, password)
    assert newcomer.url.endswith("/work"), newcomer.url
    assert "勘验人员 欧阳明" in await newcomer.locator("header").inner_text()

    # The administrator deactivates the account: the newcomer's open session ends at once.
    await page.locator("#users").get_by_role("link", name=username, exact=True).click()
    await page.wait_for_load_state()
    assert "1 个未结束的登录会话" in await page.locator("#account-info").inner_text()
    await shoot(page, screens, "admin-person")
    await page.get_by_role("button", name="停用账号").click()
    await confirm(page)
    assert "已停用该账号，并结束其 1 个登录会话" in await page.locator(".flash").inner_text()
    assert "已停用" in await page.locator("#account-info").inner_text()
    await shoot(page, screens, "admin-person-deactivated")
    await newcomer.reload()
    assert "/login" in newcomer.url, newcomer.url
    await newcomer.context.close()
    refused = await _log_in_with(browser, live_server, username, password)
    assert (
        "/login" in refused.url and "用户名或密码错误" in await refused.locator("main").inner_text()
    )
    await refused.context.close()
    await page.context.close()


async def test_an_admin_creates_a_subscription_and_sees_its_secret_exactly_once(
    browser: Any, data_dir: Path, client: Any, screens: Path
) -> None:
    # Pushing to 127.0.0.1 is refused unless allowed; this server allows it and pushes
    # nothing (APPROVALS_PUSH=off for the whole run). The subscription is disabled at the end.
    with running_server(data_dir, APPROVALS_PUSH_ALLOW_PRIVATE="1") as base:
        page = await _admin(browser, base)
        await page.goto("/admin/subscriptions")
        name = f"卫生监督测试{secrets.token_hex(3)}"
        await page.get_by_label("监管部门").select_option("health_inspection")
        await page.locator("#name").fill(name)
        await page.get_by_label("推送地址").fill("http://127.0.0.1:9/events")
        await page.get_by_label("证照撤销").check()
        await page.get_by_label("推送速率上限（次/秒）").fill("10")
        await page.get_by_role("button", name="新建订阅").click()
        await confirm(page)
        secret = (await page.locator("#secret").inner_text()).strip()
        assert re.fullmatch(r"whsec_[A-Za-z0-9+/=]{40,}", secret)
        assert "仅显示这一次" in await page.locator("main").inner_text()
        # Not `shoot`: its large-text shot reloads the URL, and a reload never shows a secret.
        await page.screenshot(path=str(screens / "admin-subscription-secret-desktop.png"))
        await page.set_viewport_size(PHONE)
        await page.screenshot(
            path=str(screens / "admin-subscription-secret-phone.png"), full_page=True
        )
        await page.set_viewport_size(DESKTOP)
        await page.get_by_role("link", name="已妥善保存，查看订阅").click()
        await page.wait_for_load_state()
        detail_url = page.url
        assert secret not in await page.content()
        assert "证照撤销" in await page.locator("main").inner_text()
        await shoot(page, screens, "admin-subscription")
        await page.goto(detail_url)  # reloading never shows it again
        assert secret not in await page.content()
        await page.goto("/admin/subscriptions")
        assert secret not in await page.content() and name in await page.content()
        await shoot(page, screens, "admin-subscriptions")

        await page.goto(detail_url)
        edit = page.locator("#edit-subscription")
        await edit.get_by_label("名称").fill(name + "（新）")
        await edit.get_by_label("推送速率上限（次/秒）").fill("12")
        await edit.get_by_label("全部审批事件").uncheck()
        await edit.get_by_label("证照注销").check()
        await edit.get_by_role("button", name="保存修改").click()
        await confirm(page)
        assert "已保存订阅设置" in await page.locator(".flash").inner_text()
        assert "证照注销" in await page.locator("main dl.kv").inner_text()
        await shoot(page, screens, "admin-subscription-edited")
        name += "（新）"

        await page.get_by_role("button", name="停用推送").click()
        await confirm(page)
        assert "已停用推送" in await page.locator(".flash").inner_text()
        assert "已停用" in await page.locator("main").inner_text()
        admin = await login(client, "admin")
        subs = (await client.get("/api/subscriptions", headers=admin)).json()
        made = next(s for s in subs if s["name"] == name)
        assert made["status"] == "disabled" and made["rate_limit_per_s"] == 12
        assert sorted(made["event_types"]) == [
            "cn.gov.health.approvals.certificate.cancelled",
            "cn.gov.health.approvals.certificate.revoked",
        ]
        await page.context.close()


async def test_the_catalogue_calendar_and_keys_pages(
    browser: Any, live_server: str, screens: Path
) -> None:
    page = await _admin(browser, live_server)
    await page.goto("/admin/catalogue")
    await page.get_by_role("link", name="公共场所卫生许可").first.click()
    await page.wait_for_load_state()
    text = await page.locator("main").inner_text()
    assert "告知承诺" in text and "申请表字段" in text and "认领期限" in text
    await shoot(page, screens, "admin-catalogue-type")
    await page.goto("/admin/catalogue")
    await shoot(page, screens, "admin-catalogue")
    await page.goto("/admin/calendar?year=2026")
    assert "国庆节" in await page.locator("#holidays-table").inner_text()
    await shoot(page, screens, "admin-calendar")
    await page.goto("/admin/keys")
    assert "启用中" in await page.locator("#keys").inner_text()
    await shoot(page, screens, "admin-keys")
    await page.context.close()


def _number(text: str) -> str:
    return text.strip().split(" ")[0]


async def test_the_stats_page_shows_charts_and_tables_that_match_the_api_and_its_csv(
    browser: Any, live_server: str, client: Any, screens: Path
) -> None:
    holder = await new_applicant(client)
    filed = await client.post(
        "/api/applications", json=await hygiene_application(client), headers=holder
    )
    assert filed.status_code == 201
    today = local_date(SystemClock().now())
    period = {"from": (today - timedelta(days=30)).isoformat(), "to": today.isoformat()}
    username, _ = await staff_account("decision_maker", "health_approval")
    api = await login(client, username)
    approvals = (await client.get("/api/metrics/approvals", params=period, headers=api)).json()
    supervision = (await client.get("/api/metrics/supervision", params=period, headers=api)).json()

    page = await logged_in_page(browser, live_server, username)
    await page.goto("/stats")
    await page.get_by_label("开始日期").fill(period["from"])
    await page.get_by_label("结束日期").fill(period["to"])
    await page.get_by_role("button", name="查询").click()
    await page.wait_for_load_state()
    assert f"from={period['from']}" in page.url

    hygiene = next(
        p for p in approvals["permit_types"] if p["permit_code"] == "public_place_hygiene"
    )
    row = page.locator('#approval-table tr[data-code="public_place_hygiene"]')
    assert _number(await row.locator('[data-key="filed"]').inner_text()) == str(hygiene["filed"])
    assert _number(await row.locator('[data-key="decided"]').inner_text()) == str(
        hygiene["decided"]
    )
    rate = f"{hygiene['on_the_spot_rate'] * 100:.1f}%"
    assert await row.locator('[data-key="on_the_spot_rate"]').inner_text() == rate
    bars = page.locator("svg#chart-approval-rates rect.bar")
    assert await bars.count() == 2 * len(approvals["permit_types"])
    values = [await bars.nth(i).get_attribute("data-value") for i in range(await bars.count())]
    assert rate in values
    inspection = next(
        d for d in supervision["departments"] if d["department"] == "health_inspection"
    )
    srow = page.locator('#supervision-table tr[data-code="health_inspection"]')
    assert _number(await srow.locator('[data-key="pushed"]').inner_text()) == str(
        inspection["pushed"]
    )
    assert await page.locator("svg#chart-supervision-claims rect.bar").count() >= 4
    assert "网办率" in await page.locator(".notice.info").first.inner_text()
    await shoot(page, screens, "stats")

    async with page.expect_download() as info:
        await page.get_by_role("link", name="导出审批统计（CSV）").click()
    download = await info.value
    raw = await asyncio.to_thread(Path(await download.path()).read_bytes)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = {r["事项编码"]: r for r in csv.DictReader(raw.decode("utf-8-sig").splitlines())}
    for entry in approvals["permit_types"]:
        assert int(rows[entry["permit_code"]]["申请件数"]) == entry["filed"]
        assert int(rows[entry["permit_code"]]["即办件数"]) == entry["on_the_spot"]
    assert float(rows["public_place_hygiene"]["即办率(%)"]) == round(
        hygiene["on_the_spot_rate"] * 100, 2
    )
    async with page.expect_download() as info:
        await page.get_by_role("link", name="导出监管统计（CSV）").click()
    sup_raw = await asyncio.to_thread(Path(await (await info.value).path()).read_bytes)
    sup_rows = {r["部门编码"]: r for r in csv.DictReader(sup_raw.decode("utf-8-sig").splitlines())}
    assert int(sup_rows["health_inspection"]["推送事项数"]) == inspection["pushed"]
    async with httpx.AsyncClient(base_url=live_server) as http:
        assert (await http.get("/stats.csv")).status_code == 303  # not logged in
    await page.context.close()
