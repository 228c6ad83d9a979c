"""The staff workbench in a real Chromium: the 开办医疗机构 (一业一证) bundle worked from filing
to one combined certificate by window staff, each department's reviewer and inspector and
the decision maker — every step through the pages, confirmations included — and a stale
page that learns someone else already acted."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from applicant_steps import file_bundle_in_browser

from approvals.clock import SHANGHAI
from factories import applicant_account, file_bundle, login, staff_account
from pages import assert_accessible, confirm, logged_in_page, shoot

# bundle_form() is a dental clinic with X-ray imaging: two departments review and inspect.
DEPARTMENTS = ("medical_administration", "radiation_health")


async def _file_as_applicant(live_server: str) -> tuple[str, dict[str, Any]]:
    """A fresh applicant files the bundle over the API; (their username, the case JSON)."""
    username = await applicant_account()
    async with httpx.AsyncClient(base_url=live_server, timeout=30) as http:
        case = await file_bundle(http, await login(http, username))
    return username, case


async def _case_json(live_server: str, case_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=live_server, timeout=30) as http:
        response = await http.get(
            f"/api/applications/{case_id}", headers=await login(http, "admin")
        )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _flash(page: Any) -> str:
    return str(await page.locator(".flash").inner_text())


async def _all_forms_accessible(page: Any) -> None:
    """axe on the page with every folded form (不予受理, 补正, 分派, 暂停, 延期…) unfolded."""
    await page.locator("details").evaluate_all("all => all.forEach(d => { d.open = true; })")
    await assert_accessible(page)


async def _task_row(page: Any, number: str) -> Any:
    """The case's review task on the workbench, following the task list's 下一页 as a
    reviewer would (other cases' tasks may come first: most urgent first)."""
    for _ in range(100):
        row = page.locator("#tasks-title + div tr", has_text=number)
        if await row.count():
            return row
        # The link's name: 下一页 and, for screen readers, which list (a space between).
        following = page.get_by_role("link", name=re.compile(r"^下一页\s*（待审查任务）$"))
        if not await following.count():
            break
        await following.click()
        await page.wait_for_load_state()
    main = await page.inner_text("main")
    raise AssertionError(f"no review task for {number} on the workbench ({page.url}):\n{main}")


async def test_the_bundle_is_worked_in_the_browser_from_acceptance_to_one_combined_certificate(
    browser: Any, live_server: str, screens: Path
) -> None:
    # The applicant files the bundle through their own pages.
    applicant = await applicant_account()
    holder = await logged_in_page(browser, live_server, applicant)
    filed_url = await file_bundle_in_browser(holder, live_server)
    case = await _case_json(live_server, filed_url.rstrip("/").rsplit("/", 1)[-1])
    assert case["status"] == "submitted"
    case_path = f"/work/cases/{case['id']}"
    team = {
        "window": await staff_account("window_staff", "health_approval"),
        "decider": await staff_account("decision_maker", "health_approval"),
    }
    for dept in DEPARTMENTS:
        team[f"reviewer:{dept}"] = await staff_account("reviewer", dept)
        team[f"inspector:{dept}"] = await staff_account("inspector", dept)

    # Window staff find the new filing in the queue and accept it, confirming in the dialog.
    window = await logged_in_page(browser, live_server, team["window"][0])
    await window.goto(f"/work?q={case['number']}")
    row = window.locator("table.queue tbody tr", has_text=case["number"])
    assert await row.count() == 1
    assert "待受理" in await row.inner_text()  # status and deadline in words, not codes
    assert await row.locator(".badge", has_text="按时").count() == 1
    await assert_accessible(window)
    await shoot(window, screens, "staff-queue")
    await row.get_by_role("link", name="办理").click()
    await window.wait_for_url(f"**{case_path}")
    assert "医疗机构名称" in await window.inner_text("main")  # labels from the catalogue
    await _all_forms_accessible(window)
    await shoot(window, screens, "staff-case-before-acceptance")
    await window.get_by_role("button", name="受理", exact=True).click()
    await confirm(window)
    assert "已受理" in await _flash(window)
    assert "已受理，审查中" in await window.locator("h1").inner_text()
    await shoot(window, screens, "staff-case-after-acceptance")

    # Each department's reviewer finds its task on the workbench and agrees.
    for dept in DEPARTMENTS:
        reviewer = await logged_in_page(browser, live_server, team[f"reviewer:{dept}"][0])
        await reviewer.goto("/work")
        if dept == DEPARTMENTS[0]:
            await shoot(reviewer, screens, "staff-reviewer-workbench")
        task_row = await _task_row(reviewer, case["number"])
        await task_row.get_by_role("link", name="提出审查意见").click()
        form = reviewer.locator("form[action$='/opinion']")
        await _all_forms_accessible(reviewer)
        await form.get_by_label("同意", exact=True).check()
        await form.get_by_label("审查意见").fill("材料齐全，符合《医疗机构基本标准》。")
        await form.get_by_role("button", name="提交审查意见").click()
        await confirm(reviewer)
        assert "审查意见已提交" in await _flash(reviewer)
        await reviewer.context.close()

    # Both agreed and the bundle has components: the joint inspection is scheduled.
    await window.goto(case_path)
    assert "现场核查中" in await window.locator("h1").inner_text()
    await _all_forms_accessible(window)
    when = datetime.now(SHANGHAI) + timedelta(days=2)
    schedule = window.locator("form#schedule")
    await schedule.get_by_label("核查时间").fill(when.strftime("%Y-%m-%dT09:30"))
    for dept in DEPARTMENTS:
        inspector_name = f"测试人员{team[f'inspector:{dept}'][0]}"
        await schedule.locator(f"select[name='inspector.{dept}']").select_option(
            label=inspector_name
        )
    await schedule.get_by_role("button", name="安排核查").click()
    await confirm(window)
    assert "联合现场核查已安排" in await _flash(window)

    # Each appointed inspector records their department's items and signs.
    for dept in DEPARTMENTS:
        inspector = await logged_in_page(browser, live_server, team[f"inspector:{dept}"][0])
        await inspector.goto("/work")
        if dept == DEPARTMENTS[0]:
            await shoot(inspector, screens, "staff-inspector-workbench")
        await inspector.get_by_role("link", name="记录核查结果").first.click()
        results = inspector.locator("form#results")
        await _all_forms_accessible(inspector)
        radios = results.locator("input[type=radio][value=pass]")
        assert await radios.count() >= 1
        for n in range(await radios.count()):
            await radios.nth(n).check()
        await results.get_by_role("button", name="提交核查结果并签字").click()
        await confirm(inspector)
        assert "核查结果已记录" in await _flash(inspector)
        await inspector.context.close()

    # The decision maker approves.
    decider = await logged_in_page(browser, live_server, team["decider"][0])
    await decider.goto(case_path)
    assert "待决定" in await decider.locator("h1").inner_text()
    decision = decider.locator("form#decision")
    await _all_forms_accessible(decider)
    await shoot(decider, screens, "staff-decision-form")  # reloads the page: choose after
    await decision.get_by_label("准予许可").check()
    await decision.get_by_role("button", name="提交决定").click()
    await confirm(decider)
    assert "电子证照已签发" in await _flash(decider)
    assert "准予许可" in await decider.locator("h1").inner_text()
    await window.context.close()
    await decider.context.close()

    # The applicant downloads ONE combined certificate from their case page.
    done = await _case_json(live_server, case["id"])
    assert done["status"] == "approved" and len(done["certificates"]) == 1
    assert {c["code"] for c in done["certificates"][0]["components"]} == {
        "practice_licence",
        "radiation_diagnosis",
    }
    response = await holder.goto(f"/my/cases/{case['id']}")
    assert response.status == 200
    link = holder.get_by_role("link", name="下载 PDF")
    assert await link.count() == 1  # one combined certificate, not one per component
    async with holder.expect_download() as info:
        await link.click()
    pdf = await asyncio.to_thread(Path(await (await info.value).path()).read_bytes)
    assert pdf.startswith(b"%PDF-")
    await holder.context.close()


async def test_a_stale_page_hears_that_someone_else_acted_and_the_case_is_unchanged(
    browser: Any, live_server: str
) -> None:
    _, case = await _file_as_applicant(live_server)
    username, _ = await staff_account("window_staff", "health_approval")
    first = await logged_in_page(browser, live_server, username)
    second = await first.context.new_page()
    case_path = f"/work/cases/{case['id']}"
    await first.goto(case_path)
    await second.goto(case_path)

    await first.get_by_role("button", name="受理", exact=True).click()
    await confirm(first)
    assert "已受理" in await _flash(first)
    accepted = await _case_json(live_server, case["id"])

    await second.get_by_role("button", name="受理", exact=True).click()
    await confirm(second)
    message = await second.locator(".flash.error").inner_text()
    assert "办件已被他人处理" in message and "刷新" in message
    after = await _case_json(live_server, case["id"])
    assert after["status"] == "in_review"
    assert after["row_version"] == accepted["row_version"]
    assert after["acceptance_no"] == accepted["acceptance_no"]
    await first.context.close()


async def test_a_clerk_gives_the_case_to_a_colleague_picked_by_name(
    browser: Any, live_server: str, screens: Path
) -> None:
    _, case = await _file_as_applicant(live_server)
    username, _ = await staff_account("window_staff", "health_approval")
    colleague, colleague_id = await staff_account("window_staff", "health_approval")
    page = await logged_in_page(browser, live_server, username)
    await page.goto(f"/work/cases/{case['id']}")
    await page.locator("summary", has_text="分派承办人").click()
    picker = page.locator("form#assign select[name=to]")
    await picker.select_option(label=f"测试人员{colleague}（窗口受理人员）")
    await assert_accessible(page)  # with the picker open
    await page.locator("form#assign").screenshot(path=str(screens / "staff-assign-picker.png"))
    await page.locator("form#assign").get_by_role("button", name="分派", exact=True).click()
    await confirm(page)
    assert f"已分派给测试人员{colleague}承办" in await _flash(page)
    assert f"测试人员{colleague}" in await page.locator(".case-head").inner_text()
    assigned = await _case_json(live_server, case["id"])
    assert assigned["assignee"] == colleague_id and assigned["status"] == "submitted"
    await page.context.close()
