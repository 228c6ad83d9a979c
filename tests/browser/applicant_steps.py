"""Applicant steps in a real browser, for journeys that start with an applicant's filing
(the staff journey imports :func:`file_bundle_in_browser`)."""

from __future__ import annotations

from typing import Any

from factories import PDF_BYTES, bundle_form


async def fill_form(page: Any, form: dict[str, Any]) -> None:
    """Fill the generated application form the way a person would: type into text boxes,
    pick from lists, tick boxes and radio buttons (booleans are the 是/否 radios)."""
    for name, value in form.items():
        if isinstance(value, bool):
            await page.check(f'input[name="{name}"][value="{"true" if value else "false"}"]')
            continue
        if isinstance(value, list):
            boxes = page.locator(f'input[type="checkbox"][name="{name}"]')
            for i in range(await boxes.count()):
                box = boxes.nth(i)
                wanted = await box.get_attribute("value") in value
                if wanted != await box.is_checked():
                    await box.set_checked(wanted)
            continue
        control = page.locator(f'[name="{name}"]').first
        if await control.evaluate("el => el.tagName") == "SELECT":
            await control.select_option(str(value))
        else:
            await control.fill(str(value))


def pdf(name: str) -> dict[str, Any]:
    """An in-memory PDF for ``set_input_files``."""
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF_BYTES}


async def submit_and_confirm(page: Any, button: str) -> None:
    await page.get_by_role("button", name=button).click()
    await page.get_by_role("button", name="确认提交").click()
    await page.wait_for_load_state()


async def file_bundle_in_browser(page: Any, base: str, **form_overrides: Any) -> str:
    """File the 开办医疗机构 (一业一证) bundle through the applicant's pages, with a PDF in
    every material slot; the case page's URL.

    ``page`` is logged in as an applicant (``pages.logged_in_page``)."""
    await page.goto(f"{base}/apply/medical_institution_bundle")
    await fill_form(page, bundle_form(**form_overrides))
    files = page.locator('input[type="file"]')
    for i in range(await files.count()):
        slot = (await files.nth(i).get_attribute("name") or "file").removeprefix("file__")
        await files.nth(i).set_input_files(pdf(f"{slot}.pdf"))
    await submit_and_confirm(page, "提交申请")
    await page.wait_for_url("**/my/cases/*")
    text = await page.inner_text("main")
    assert "申请已提交" in text, text
    return str(page.url)
