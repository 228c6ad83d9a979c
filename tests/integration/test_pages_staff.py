"""The staff workbench pages over HTTP: CSRF, roles, missing cases, bad input — each refused
with a Chinese page and the case left as it was; and the actions doing what the API does."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx

from factories import (
    DEMO_PASSWORD,
    PDF_BYTES,
    applicant_account,
    file_bundle,
    login,
    new_applicant,
    staff_account,
)


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden {name} in the page"
    return match.group(1)


async def _page_login(http: httpx.AsyncClient, username: str) -> str:
    """Log in through /login; the session's form CSRF token (from a page that shows it)."""
    page = await http.get("/login")
    response = await http.post(
        "/login",
        data={
            "csrf_token": _hidden(page.text, "csrf_token"),
            "username": username,
            "password": DEMO_PASSWORD,
        },
    )
    assert response.status_code == 303, response.text
    home = await http.get("/work")
    assert home.status_code == 200, home.text
    return _hidden(home.text, "csrf_token")


async def _filed_case(client: Any) -> tuple[dict[str, Any], dict[str, str]]:
    headers = await new_applicant(client)
    return await file_bundle(client, headers), headers


async def _case(client: Any, case_id: str) -> dict[str, Any]:
    response = await client.get(
        f"/api/applications/{case_id}", headers=await login(client, "admin")
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _window(page_clients: Any) -> tuple[httpx.AsyncClient, str]:
    username, _ = await staff_account("window_staff", "health_approval")
    http = page_clients()
    return http, await _page_login(http, username)


async def test_the_queue_lists_a_new_filing_with_its_deadline_in_words_and_finds_it_by_number(
    client: Any, page_clients: Any
) -> None:
    case, _ = await _filed_case(client)
    http, _ = await _window(page_clients)
    page = await http.get("/work", params={"q": case["number"]})
    assert page.status_code == 200
    assert case["number"] in page.text and case["holder_name"] in page.text
    assert re.search(r'class="badge (on_time|due_soon|overdue)">(按时|即将到期|已超期)<', page.text)
    by_code = await http.get("/work", params={"q": case["holder_code"], "status": "submitted"})
    assert case["number"] in by_code.text
    by_name = await http.get(
        "/work", params={"q": "悦康口腔", "permit": "medical_institution_bundle"}
    )
    assert case["number"] in by_name.text
    nothing = await http.get("/work", params={"q": "SQ20000101AAAAAAAAAA"})
    assert case["number"] not in nothing.text and "没有符合条件的办件" in nothing.text


async def test_bad_queue_filters_are_a_chinese_4xx_page(page_clients: Any) -> None:
    http, _ = await _window(page_clients)
    for params in (
        {"status": "approved"},
        {"cursor": "%%%"},
        {"q": "a\x01b"},
        {"department": "X;"},
    ):
        page = await http.get("/work", params=params)
        assert 400 <= page.status_code < 500, params
        assert re.search(r"[\u4e00-\u9fff]", page.text)


async def test_a_forged_or_missing_csrf_token_is_refused_and_nothing_changes(
    client: Any, page_clients: Any
) -> None:
    case, _ = await _filed_case(client)
    http, _ = await _window(page_clients)
    url = f"/work/cases/{case['id']}/accept"
    for data in (
        {"expected_version": case["row_version"]},
        {"csrf_token": "forged", "expected_version": case["row_version"]},
    ):
        response = await http.post(url, data=data)
        assert response.status_code == 403
        assert "页面已过期" in response.text
    after = await _case(client, case["id"])
    assert after["status"] == "submitted" and after["row_version"] == case["row_version"]


async def test_an_applicant_on_the_workbench_gets_a_403_page(
    client: Any, page_clients: Any
) -> None:
    http = page_clients()
    page = await http.get("/login")
    await http.post(
        "/login",
        data={
            "csrf_token": _hidden(page.text, "csrf_token"),
            "username": await applicant_account(),
            "password": DEMO_PASSWORD,
        },
    )
    for path in ("/work", f"/work/cases/{uuid.uuid4()}"):
        response = await http.get(path)
        assert response.status_code == 403
        assert "无权访问" in response.text


async def test_not_logged_in_the_workbench_sends_to_the_login_page(page_clients: Any) -> None:
    response = await page_clients().get("/work")
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")


async def test_an_unknown_case_is_a_404_page_and_a_malformed_id_a_4xx_page(
    page_clients: Any,
) -> None:
    http, _ = await _window(page_clients)
    missing = await http.get(f"/work/cases/{uuid.uuid4()}")
    assert missing.status_code == 404 and "未找到该办件" in missing.text
    # no route matches, so the page answers whoever asks for HTML (as a browser does)
    malformed = await http.get("/work/cases/not-a-uuid", headers={"accept": "text/html"})
    assert 400 <= malformed.status_code < 500
    assert "页面或记录不存在" in malformed.text or "请求有误" in malformed.text


async def test_refusing_without_reasons_is_a_4xx_with_a_chinese_message_and_the_case_unchanged(
    client: Any, page_clients: Any
) -> None:
    case, _ = await _filed_case(client)
    http, csrf = await _window(page_clients)
    for reasons in ("", "x"):
        response = await http.post(
            f"/work/cases/{case['id']}/refuse",
            data={"csrf_token": csrf, "expected_version": case["row_version"], "reasons": reasons},
        )
        assert response.status_code == 400
        assert "请填写理由" in response.text
    after = await _case(client, case["id"])
    assert after["status"] == "submitted" and after["row_version"] == case["row_version"]


async def test_a_nul_byte_in_a_form_is_refused_with_400(client: Any, page_clients: Any) -> None:
    case, _ = await _filed_case(client)
    http, csrf = await _window(page_clients)
    response = await http.post(
        f"/work/cases/{case['id']}/refuse",
        data={"csrf_token": csrf, "expected_version": case["row_version"], "reasons": "理由\x00"},
    )
    assert response.status_code == 400
    assert (await _case(client, case["id"]))["status"] == "submitted"


async def test_a_stale_version_gets_the_services_409_text_as_a_flash_and_changes_nothing(
    client: Any, page_clients: Any
) -> None:
    case, _ = await _filed_case(client)
    http, csrf = await _window(page_clients)
    response = await http.post(
        f"/work/cases/{case['id']}/accept",
        data={"csrf_token": csrf, "expected_version": case["row_version"] + 5},
    )
    assert response.status_code == 303
    shown = await http.get(response.headers["location"])
    assert "办件已被他人处理" in shown.text
    assert (await _case(client, case["id"]))["status"] == "submitted"


async def test_a_reviewer_cannot_accept_even_with_a_valid_token(
    client: Any, page_clients: Any
) -> None:
    case, _ = await _filed_case(client)
    username, _ = await staff_account("reviewer", "medical_administration")
    http = page_clients()
    csrf = await _page_login(http, username)
    page = await http.get(f"/work/cases/{case['id']}")
    assert (
        page.status_code == 200
        and 'action="/work/cases/' + case["id"] + '/accept"' not in page.text
    )
    response = await http.post(
        f"/work/cases/{case['id']}/accept",
        data={"csrf_token": csrf, "expected_version": case["row_version"]},
    )
    assert response.status_code == 403 and "窗口受理人员" in response.text
    assert (await _case(client, case["id"]))["status"] == "submitted"


async def test_a_correction_notice_from_the_page_lists_the_checked_items_with_their_notes(
    client: Any, page_clients: Any
) -> None:
    case, _ = await _filed_case(client)
    http, csrf = await _window(page_clients)
    page = await http.get(f"/work/cases/{case['id']}")
    assert "医疗机构名称" in page.text  # field labels from the catalogue, not raw keys
    assert 'value="materials.floor_plan"' in page.text
    # a checked item without a note: 4xx, nothing sent
    bad = await http.post(
        f"/work/cases/{case['id']}/corrections",
        data={
            "csrf_token": csrf,
            "expected_version": case["row_version"],
            "target": "materials.floor_plan",
        },
    )
    assert bad.status_code == 400 and "补正" in bad.text
    assert (await _case(client, case["id"]))["status"] == "submitted"
    ok = await http.post(
        f"/work/cases/{case['id']}/corrections",
        data={
            "csrf_token": csrf,
            "expected_version": case["row_version"],
            "target": ["materials.floor_plan", "form.address"],
            "what.materials.floor_plan": "平面布局图须标注各功能分区面积",
            "what.form.address": "地址须写明门牌号",
            "what.form.beds": "not checked, so not sent",
        },
    )
    assert ok.status_code == 303
    after = await _case(client, case["id"])
    assert after["status"] == "awaiting_correction"
    assert after["correction_items"] == [
        {"target": "materials.floor_plan", "what": "平面布局图须标注各功能分区面积"},
        {"target": "form.address", "what": "地址须写明门牌号"},
    ]


async def test_staff_open_the_materials_inline_from_the_case_page(
    client: Any, page_clients: Any
) -> None:
    case, _ = await _filed_case(client)
    http, _ = await _window(page_clients)
    page = await http.get(f"/work/cases/{case['id']}")
    link = re.search(
        r'href="(/api/materials/[0-9a-f-]+/content)" target="_blank" rel="noopener"', page.text
    )
    assert link, "no material link"
    content = await http.get(link.group(1))
    assert content.status_code == 200
    assert content.headers["content-type"].startswith("application/pdf")
    assert content.headers["content-disposition"] == "inline"
    assert content.content == PDF_BYTES
