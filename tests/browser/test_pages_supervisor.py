"""The closed loop in a real Chromium: a commitment permit is pushed to supervision; a
supervisor sees it overdue in the console, claims it (a colleague who tries a moment later
is told who won), finds the commitment false with an evidence PDF uploaded through the page;
the holder makes a statement; the decision maker revokes; the public verification page then
says the certificate can no longer be used.

Screenshots (desktop, phone, large text) go to tests/artifacts/screens/supervise-*.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from approvals.clock import SHANGHAI
from approvals.repository import supervision as item_repo
from factories import PDF_BYTES, applicant_account, hygiene_application, login, staff_account
from pages import confirm, logged_in_page, shoot

PHONE = {"width": 390, "height": 844}


async def _issued_long_ago(clocked: Any, username: str) -> dict[str, Any]:
    """The holder's hygiene permit, filed 70 days ago (on an app whose clock stands there):
    its claim deadline and its post-check are both past now."""
    clocked.at((datetime.now(SHANGHAI) - timedelta(days=70)).strftime("%Y-%m-%d 10:00"))
    http = clocked.client
    headers = await login(http, username)
    response = await http.post(
        "/api/applications", json=await hygiene_application(http), headers=headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _row_of(page: Any, item_id: str) -> Any:
    """The item's row in the console, following 下一页 as a person would."""
    for _ in range(50):
        row = page.locator(f'tr[data-item="{item_id}"]')
        if await row.count():
            return row
        await page.get_by_role("link", name="下一页").click()
        await page.wait_for_load_state()
    raise AssertionError(f"item {item_id} not in the console")


async def test_claim_find_false_state_revoke_and_the_public_page_says_revoked(
    browser: Any, live_server: str, clocked: Any, screens: Path
) -> None:
    holder = await applicant_account()
    filed = await _issued_long_ago(clocked, holder)
    case_id = filed["application"]["id"]
    certificate = filed["certificate"]
    first, _ = await staff_account("supervisor", "health_inspection")
    second, _ = await staff_account("supervisor", "health_inspection")

    # The console: the item, overdue, highlighted and said in words.
    page = await logged_in_page(browser, live_server, first)
    assert urlsplit(page.url).path == "/supervise"
    await page.get_by_label("只看逾期未认领").check()
    await page.get_by_role("button", name="筛选").click()
    await page.wait_for_load_state()
    items = await item_repo.of_application(uuid.UUID(case_id))
    item = next(i for i in items if i.department == "health_inspection")
    row = await _row_of(page, str(item.id))
    assert await row.get_attribute("class") == "overdue"
    text = await row.inner_text()
    assert "逾期未认领" in text and "待认领" in text and certificate["holder_name"] in text
    await shoot(page, screens, "supervise-console")

    # A colleague opens the same item in another tab before it is claimed.
    item_path = await row.locator("a").first.get_attribute("href")
    other = await logged_in_page(browser, live_server, second)
    await other.goto(item_path)

    await row.locator("a").first.click()
    await page.wait_for_load_state()
    assert "认领期限" in await page.inner_text("main")
    await page.get_by_role("button", name="认领", exact=True).click()
    await confirm(page)
    assert "已认领" in await page.locator(".flash").inner_text()
    winner = await page.locator(".me").inner_text()
    await shoot(page, screens, "supervise-item")

    await other.get_by_role("button", name="认领", exact=True).click()
    await confirm(other)
    lost = await other.locator(".flash.error").inner_text()
    assert "已被处理" in lost and winner.split(" · ")[0] in lost
    await other.context.close()

    # The post-check: a false commitment, with the evidence uploaded through the form.
    await page.get_by_role("link", name=re.compile("事后核查（")).click()
    await page.wait_for_load_state()
    check_url = page.url
    assert "核查已逾期" in await page.inner_text("main")
    await page.get_by_label("虚假承诺（启动撤销程序）").check()
    await page.get_by_label("核查情况").fill(
        "现场无集中空调通风系统清洗记录，承诺的卫生管理制度不存在"
    )
    await page.get_by_label(re.compile("^证据材料")).set_input_files(
        [{"name": "现场检查照片.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}]
    )
    await page.screenshot(
        path=str(screens / "supervise-post-check-form-desktop.png"), full_page=True
    )
    await page.get_by_role("button", name="提交核查结果").click()
    await confirm(page)
    assert "核查结果已记录" in await page.locator(".flash").inner_text()
    assert await page.locator("#check-state").inner_text() == "撤销告知（陈述申辩期）"
    assert "现场检查照片.pdf" in await page.inner_text("main")
    await shoot(page, screens, "supervise-post-check")
    await page.context.close()

    # The holder reads the notice and makes a statement, on a phone.
    mine = await logged_in_page(browser, live_server, holder, PHONE)
    await mine.goto("/my/post-checks")
    await mine.get_by_role("link", name="公共场所卫生许可").first.click()
    await mine.wait_for_load_state()
    assert "撤销许可告知" in await mine.inner_text("main")
    await shoot(mine, screens, "supervise-statement")
    await mine.get_by_label("陈述申辩意见").fill(
        "清洗记录在外包单位处保存，尚未取回，并非虚假承诺。"
    )
    await mine.get_by_role("button", name="提交陈述申辩").click()
    await confirm(mine)
    assert "已提交" in await mine.locator(".flash").inner_text()
    assert "外包单位" in await mine.locator("#my-statement").inner_text()
    await mine.context.close()

    # The decision maker revokes.
    decider = await logged_in_page(browser, live_server, "decider")
    await decider.get_by_role("link", name="事后核查", exact=True).click()
    await decider.get_by_label("状态").select_option(label="撤销告知（陈述申辩期）")
    await decider.get_by_role("button", name="筛选").click()
    await decider.wait_for_load_state()
    check_id = urlsplit(check_url).path.rsplit("/", 1)[1]
    listed = decider.locator(f'tr[data-check="{check_id}"]')
    assert "待作出撤销决定" in await listed.inner_text()
    await listed.locator("a").click()
    await decider.wait_for_load_state()
    assert "外包单位" in await decider.inner_text("main")
    await decider.get_by_label("撤销许可（撤销）").check()
    await decider.get_by_label("决定理由").fill("陈述理由不成立，承诺内容不实")
    await decider.get_by_role("button", name="提交决定").click()
    await confirm(decider)
    assert "已撤销许可" in await decider.locator(".flash").inner_text()
    assert await decider.locator("#check-state").inner_text() == "已撤销许可"
    await decider.context.close()

    # The QR code's page, as anyone scanning it sees it.
    public = await browser.new_page(viewport=PHONE, device_scale_factor=2)
    response = await public.goto(live_server + urlsplit(certificate["verification_url"]).path)
    assert response.status == 200
    assert await public.locator("#verdict-title").inner_text() == "证照真实，但已不能使用"
    assert "已撤销" in await public.inner_text("main")
    await public.screenshot(
        path=str(screens / "supervise-revoked-public-phone.png"), full_page=True
    )
    await public.close()


async def test_a_window_clerk_finds_a_returned_item_and_reassigns_it(
    browser: Any, live_server: str, client: Any, screens: Path
) -> None:
    holder = await applicant_account()
    headers = await login(client, holder)
    filed = await client.post(
        "/api/applications", json=await hygiene_application(client), headers=headers
    )
    assert filed.status_code == 201, filed.text
    items = await item_repo.of_application(uuid.UUID(filed.json()["application"]["id"]))
    item = next(i for i in items if i.department == "health_inspection")
    supervisor, _ = await staff_account("supervisor", "health_inspection")
    returned = await client.post(
        f"/api/supervision-items/{item.id}/return",
        json={"expected_version": item.row_version, "reason": "该场所由医疗保障部门监管"},
        headers=await login(client, supervisor),
    )
    assert returned.status_code == 200, returned.text
    clerk, _ = await staff_account("window_staff", "health_approval")

    page = await logged_in_page(browser, live_server, clerk)
    await page.get_by_role("link", name="监管工作台").click()
    await page.wait_for_load_state()
    assert "等待重新指派" in await page.locator(".sv-returned").inner_text()
    await shoot(page, screens, "supervise-console-approval")
    await page.get_by_role("link", name="查看已退回的事项").click()
    await page.wait_for_load_state()
    row = await _row_of(page, str(item.id))
    assert "已退回" in await row.inner_text()
    await shoot(page, screens, "supervise-returned")
    await row.locator("a").first.click()
    await page.wait_for_load_state()
    assert "该场所由医疗保障部门监管" in await page.inner_text("main")
    await page.get_by_label("指派给监管部门").select_option(label="市医疗保障局")
    await shoot(page, screens, "supervise-reassign")
    await page.get_by_label("指派给监管部门").select_option(label="市医疗保障局")
    await page.get_by_role("button", name="重新指派").click()
    await confirm(page)
    assert "已重新指派给市医疗保障局" in await page.locator(".flash").inner_text()
    moved = await item_repo.get(item.id)
    assert moved is not None and moved.department == "medical_insurance"
    assert moved.status == "pending"
    await page.context.close()
