"""The applicant's journey in a real Chromium against a real server: the guide, the form
(a mistake caught inline, one caught by the server, both fixed), the signed commitment, the
permit issued at once, its PDF and PNG, its QR link verified, my cases; and the 开办医疗机构
bundle filed through the pages.

Screenshots (desktop, phone, large text) land in tests/artifacts/screens/.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from applicant_steps import file_bundle_in_browser, fill_form, pdf, submit_and_confirm

from factories import applicant_account, hygiene_form, unique_credit_code
from pages import assert_accessible, logged_in_page, shoot


def local(url: str, live_server: str) -> str:
    """The QR URL is upper-case (QR alphanumeric mode); a phone opens it as it is."""
    return live_server + url[len(live_server) :]


async def _download(page: Any, link_name: str) -> bytes:
    async with page.expect_download() as info:
        await page.get_by_role("link", name=link_name).click()
    download = await info.value
    return await asyncio.to_thread(Path(await download.path()).read_bytes)


async def test_an_applicant_finds_the_hygiene_permit_files_it_and_gets_a_verifiable_licence(
    browser: Any, live_server: str, screens: Path
) -> None:
    page = await logged_in_page(browser, live_server, await applicant_account())

    # 一键导航: a hotel → the public-place hygiene permit, instant, with its materials
    await page.goto("/guide")
    await page.get_by_label("住宿场所（宾馆、酒店、旅店、招待所）").check()
    await page.get_by_role("button", name="查看办理指引").click()
    result = page.locator("#guide-result")
    assert "公共场所卫生许可" in await result.inner_text()
    assert "告知承诺 · 即时办结" in await result.inner_text()
    await assert_accessible(page)
    await shoot(page, screens, "applicant-guide")
    await page.locator("#guide-result").get_by_role("link", name="开始申请").click()
    await page.wait_for_url("**/apply/public_place_hygiene?permit_items=accommodation")
    assert await page.locator("#f-permit_items").is_checked()  # carried over from the guide

    # the form: a malformed phone number is caught as soon as the field is left
    good_code = unique_credit_code()
    bad_code = good_code[:-1] + ("0" if good_code[-1] != "0" else "1")
    form = hygiene_form(credit_code=bad_code, unit_name="银川浏览器测试宾馆")
    form.pop("permit_items")
    await fill_form(page, {**form, "contact_phone": "12345"})
    await page.locator("#f-contact_phone").blur()
    phone_error = page.locator("#f-contact_phone-error")
    assert "请填写11位手机号码" in await phone_error.inner_text()
    assert await page.locator("#f-contact_phone").get_attribute("aria-invalid") == "true"
    await page.locator("#f-contact_phone").fill(str(form["contact_phone"]))
    await page.locator("#f-contact_phone").blur()
    assert await phone_error.inner_text() == ""
    await page.locator("#m-floor_plan").set_input_files(pdf("平面布局图.pdf"))
    commitment = await page.locator(".commitment-text").inner_text()
    assert "本单位申请办理公共场所卫生许可，现郑重承诺如下" in commitment
    await page.get_by_label("承诺人姓名（法定代表人或负责人）").fill("马建国")
    await page.get_by_label("我已阅读并承诺").check()
    await assert_accessible(page)
    await shoot_form(page, screens)

    # the credit code's check character is wrong: the server says so, in Chinese
    await submit_and_confirm(page, "签署承诺并提交申请")
    summary = page.locator(".errors-summary")
    assert "校验位不正确" in await summary.inner_text()
    await assert_accessible(page)
    await page.screenshot(path=str(screens / "applicant-form-error-desktop.png"))
    assert "校验位不正确" in await page.locator("#f-credit_code-error").inner_text()
    assert await page.locator("#f-unit_name").input_value() == "银川浏览器测试宾馆"
    assert "平面布局图.pdf" in await page.locator("#m-floor_plan").locator("..").inner_text()
    assert await page.get_by_label("我已阅读并承诺").is_checked()
    await summary.get_by_role("link").first.click()
    await page.locator("#f-credit_code").fill(good_code)
    await submit_and_confirm(page, "签署承诺并提交申请")

    # the permit was issued at once: the case page says what to do (nothing) and offers it
    await page.wait_for_url("**/my/cases/*")
    main = await page.inner_text("main")
    assert "电子许可证已当场核发" in main and "已办结，可下载证照" in main
    assert "准予许可" in main
    case_url = page.url
    await assert_accessible(page)
    await shoot(page, screens, "applicant-case")
    face_pdf = await _download(page, "下载 PDF")
    assert face_pdf.startswith(b"%PDF") and len(face_pdf) > 10_000
    face_png = await _download(page, "下载图片（PNG）")
    assert face_png.startswith(b"\x89PNG\r\n\x1a\n") and len(face_png) > 10_000

    # the QR code's link, opened as a phone would, says the licence is genuine and valid
    href = await page.get_by_role("link", name="核验链接").get_attribute("href")
    assert href
    verify = await page.context.new_page()
    response = await verify.goto(local(href, live_server))
    assert response.status == 200
    assert await verify.locator("#verdict-title").inner_text() == "真实有效"
    assert "银川浏览器测试宾馆" in await verify.inner_text("main")
    await verify.close()

    # my cases
    await page.goto("/my")
    row = page.locator("table.list tbody tr").first
    assert "银川浏览器测试宾馆" in await row.inner_text()
    assert "准予许可" in await row.inner_text()
    await assert_accessible(page)
    await shoot(page, screens, "applicant-my")
    await row.get_by_role("link").click()
    assert page.url == case_url
    await page.context.close()


async def shoot_form(page: Any, screens: Path) -> None:
    """The form, filled in, on three screens; what was typed survives the reloads only on
    the server's re-render, so the screenshots are taken without navigating away."""
    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.screenshot(path=str(screens / "applicant-form-desktop.png"), full_page=True)
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.screenshot(path=str(screens / "applicant-form-phone.png"), full_page=True)
    await page.evaluate("document.body.classList.add('large')")
    await page.screenshot(path=str(screens / "applicant-form-large.png"), full_page=True)
    await page.evaluate("document.body.classList.remove('large')")
    await page.set_viewport_size({"width": 1280, "height": 900})


async def test_the_medical_institution_bundle_is_filed_through_the_pages(
    browser: Any, live_server: str, screens: Path
) -> None:
    page = await logged_in_page(browser, live_server, await applicant_account())
    case_url = await file_bundle_in_browser(page, live_server)
    assert "/my/cases/" in case_url
    main = await page.inner_text("main")
    assert "等待受理" in main
    assert "医疗机构执业许可" in main and "放射诊疗许可" in main  # the components that apply
    await assert_accessible(page)
    await shoot(page, screens, "applicant-bundle-case")
    await page.context.close()
