"""The page a QR scan opens, in a real Chromium: phone and desktop, normal and large text.

Each run saves screenshots to tests/artifacts/screens/ for people to look at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from factories import hygiene_application, login, new_applicant

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


async def issue(live_server: str, client: Any) -> dict[str, Any]:
    holder = await new_applicant(client)
    async with httpx.AsyncClient(base_url=live_server, timeout=30) as http:
        created = await http.post(
            "/api/applications", json=await hygiene_application(client), headers=holder
        )
    assert created.status_code == 201, created.text
    return dict(created.json()["certificate"])


def local(url: str, live_server: str) -> str:
    """The QR URL is upper-case (QR alphanumeric mode); a phone opens it as it is."""
    return live_server + url[len(live_server) :]


async def open_page(browser: Any, url: str, viewport: dict[str, int]) -> Any:
    page = await browser.new_page(
        viewport=viewport, device_scale_factor=2 if viewport is PHONE else 1
    )
    response = await page.goto(url)
    assert response.status == 200
    return page


async def test_a_valid_certificate_reads_genuine_and_valid_on_a_phone_and_on_a_desktop(
    browser: Any, live_server: str, client: Any, screens: Path
) -> None:
    cert = await issue(live_server, client)
    url = local(cert["verification_url"], live_server)
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page = await open_page(browser, url, viewport)
        assert await page.locator("#verdict-title").inner_text() == "真实有效"
        assert cert["holder_name"] in await page.inner_text("main")
        assert await page.locator("html").get_attribute("lang") == "zh-CN"
        await page.screenshot(path=str(screens / f"verify-valid-{name}.png"), full_page=True)
        await page.close()


async def test_large_text_mode_is_one_tap_away_and_makes_the_text_larger(
    browser: Any, live_server: str, client: Any, screens: Path
) -> None:
    cert = await issue(live_server, client)
    page = await open_page(browser, local(cert["verification_url"], live_server), PHONE)
    normal = await page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")

    await page.keyboard.press("Tab")  # the toggle is the first focusable element
    await page.keyboard.press("Enter")
    await page.wait_for_url("**large=1")

    large = await page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert large >= normal * 1.3
    assert await page.locator("#verdict-title").inner_text() == "真实有效"
    await page.screenshot(path=str(screens / "verify-valid-phone-large.png"), full_page=True)
    await page.close()


async def test_a_revoked_certificate_says_so_in_words_and_colour(
    browser: Any, live_server: str, client: Any, screens: Path
) -> None:
    cert = await issue(live_server, client)
    decider = await login(client, "decider")
    async with httpx.AsyncClient(base_url=live_server, timeout=30) as http:
        await http.post(
            f"/api/certificates/{cert['id']}/status",
            json={"action": "revoke", "reason": "事后核查发现承诺内容不实"},
            headers=decider,
        )
    page = await open_page(browser, local(cert["verification_url"], live_server), PHONE)
    assert await page.locator("#verdict-title").inner_text() == "证照真实，但已不能使用"
    text = await page.inner_text("main")
    assert "已撤销" in text and "承诺内容不实" in text
    colour = await page.evaluate(
        "getComputedStyle(document.querySelector('.verdict')).backgroundColor"
    )
    assert colour != "rgb(10, 107, 45)"  # not the green of a valid certificate
    await page.screenshot(path=str(screens / "verify-revoked-phone.png"), full_page=True)
    await page.close()


async def test_a_forged_code_reads_not_genuine(
    browser: Any, live_server: str, client: Any, screens: Path
) -> None:
    cert = await issue(live_server, client)
    url = local(cert["verification_url"], live_server)
    forged = url[:-10] + ("1" if url[-10] != "1" else "2") + url[-9:]
    page = await open_page(browser, forged, PHONE)
    assert await page.locator("#verdict-title").inner_text() == "不是真实证照"
    await page.screenshot(path=str(screens / "verify-forged-phone.png"), full_page=True)
    await page.close()
