"""The frame of every page in a real Chromium: log in with the keyboard alone, skip to the
content, switch to large text, and pass axe-core's accessibility rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from factories import DEMO_PASSWORD, applicant_account
from pages import DESKTOP, assert_accessible, shoot


async def test_the_login_page_works_with_the_keyboard_alone(
    browser: Any, live_server: str, screens: Path
) -> None:
    username = await applicant_account()
    context = await browser.new_context(viewport=DESKTOP, base_url=live_server, locale="zh-CN")
    page = await context.new_page()
    await page.goto("/login")
    await assert_accessible(page)
    await shoot(page, screens, "login")

    # The first Tab reaches the skip link; following it puts focus on the content.
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent") == "跳到主要内容"
    await page.keyboard.press("Enter")
    assert await page.evaluate("document.activeElement.id") == "main"

    await page.get_by_label("用户名").focus()
    await page.keyboard.type(username)
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.id") == "password"
    await page.keyboard.type(DEMO_PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/my")
    assert await page.get_by_role("button", name="退出").count() == 1
    await context.close()


async def test_a_wrong_password_is_announced_next_to_the_form(
    browser: Any, live_server: str
) -> None:
    context = await browser.new_context(viewport=DESKTOP, base_url=live_server, locale="zh-CN")
    page = await context.new_page()
    await page.goto("/login")
    await page.get_by_label("用户名").fill("nobody-here")
    await page.get_by_label("密码").fill("wrong")
    await page.get_by_role("button", name="登录").click()
    alert = page.get_by_role("alert")
    assert "用户名或密码错误" in await alert.inner_text()
    assert await page.get_by_label("用户名").input_value() == "nobody-here"
    await context.close()


async def test_the_home_page_and_an_error_page_in_both_modes(
    browser: Any, live_server: str, screens: Path
) -> None:
    context = await browser.new_context(viewport=DESKTOP, base_url=live_server, locale="zh-CN")
    page = await context.new_page()
    await page.goto("/")
    await assert_accessible(page)
    await shoot(page, screens, "home")
    await page.get_by_role("link", name="长者版（大字）").click()
    size = await page.evaluate("getComputedStyle(document.body).fontSize")
    assert float(size.removesuffix("px")) >= 22
    await assert_accessible(page)  # large text keeps the contrast
    await page.get_by_role("link", name="标准版").click()
    assert float((await page.evaluate("getComputedStyle(document.body).fontSize"))[:-2]) < 20

    response = await page.goto("/work/cases/not-a-case")
    assert response.status in (400, 404)
    assert "首页" in await page.inner_text("main")
    await context.close()
