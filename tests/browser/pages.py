"""Helpers for page journeys: log in through the login page, take the three screenshots
(desktop, phone, large text) of a page, confirm a dialog."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from factories import DEMO_PASSWORD

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


async def logged_in_page(
    browser: Any, base: str, username: str, viewport: dict[str, int] | None = None
) -> Any:
    """A fresh browser context (its own cookies) logged in through /login as ``username``."""
    context = await browser.new_context(
        viewport=viewport or DESKTOP, base_url=base, locale="zh-CN", accept_downloads=True
    )
    page = await context.new_page()
    await page.goto("/login")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_load_state()
    assert "/login" not in page.url, await page.inner_text("main")
    return page


async def confirm(page: Any) -> None:
    """Answer the confirmation dialog that a form with data-confirm opens."""
    await page.get_by_role("button", name="确认提交").click()
    await page.wait_for_load_state()


async def shoot(page: Any, screens: Path, name: str) -> None:
    """Screenshots of the page as it is now: desktop, phone and large text (长者版), and
    axe-core's accessibility rules on the desktop and the large-text rendering.

    The large-text rendering is asked for with ``?large=1`` (what the switch's cookie does
    for every page), then the page is loaded again as it was."""
    url = page.url
    await page.set_viewport_size(DESKTOP)
    await assert_accessible(page)
    await page.screenshot(path=str(screens / f"{name}-desktop.png"), full_page=True)
    await page.set_viewport_size(PHONE)
    await page.screenshot(path=str(screens / f"{name}-phone.png"), full_page=True)
    await page.set_viewport_size(DESKTOP)
    await page.goto(url + ("&" if "?" in url else "?") + "large=1")
    assert "large" in (await page.locator("body").get_attribute("class") or "")
    await assert_accessible(page)
    await page.screenshot(path=str(screens / f"{name}-large.png"), full_page=True)
    await page.goto(url)


async def assert_accessible(page: Any) -> None:
    """axe-core's WCAG 2 A and AA rules on the page as it is: no serious or critical
    violation (missing labels, too little contrast, unnamed buttons, bad ARIA...)."""
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(
        page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]}}
    )
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, f"{page.url}:\n" + "\n".join(serious)
