"""The staff workbench pages over HTTP: CSRF, roles, missing cases, bad input — each refused
with a Chinese page and the case left as it was; and the actions doing what the API does."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from typing import Any

import httpx

from approvals.clock import SHANGHAI
from approvals.domain.calendar import add_working_days
from approvals.web.pages import staff_queue
from factories import (
    DEMO_PASSWORD,
    PDF_BYTES,
    applicant_account,
    file_bundle,
    login,
    new_applicant,
    new_staff,
    staff_account,
)

# bundle_form() is a dental clinic with X-ray imaging: these two departments review it.
BUNDLE_DEPARTMENTS = ("medical_administration", "radiation_health")


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


_HEADERS: dict[tuple[int, str, str], dict[str, str]] = {}


async def _api_as(client: Any, role: str, department: str = "") -> dict[str, str]:
    """Bearer headers of one account per role and department for this client (logging in
    hashes a password: done once, not on every look at a case)."""
    key = (id(client), role, department)
    if key not in _HEADERS:
        if role == "admin":
            _HEADERS[key] = await login(client, "admin")
        else:
            _HEADERS[key], _ = await new_staff(client, role, department)
    return _HEADERS[key]


async def _case(client: Any, case_id: str) -> dict[str, Any]:
    response = await client.get(
        f"/api/applications/{case_id}", headers=await _api_as(client, "admin")
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
        {"tcursor": "bm90LWEtY3Vyc29y"},
        {"icursor": "x" * 201},
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


# ---- the actions that change a running case, through the pages ------------------------------


def _form(html: str, action_suffix: str) -> dict[str, str]:
    """The hidden fields of the page's form whose action ends with ``action_suffix``."""
    match = re.search(
        rf'<form method="post" action="[^"]*{re.escape(action_suffix)}"[^>]*>(.*?)</form>',
        html,
        re.S,
    )
    assert match, f"no form {action_suffix} on the page"
    return dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', match.group(1)))


def _section(html: str, title_id: str) -> str:
    """The part of the page from the heading ``title_id`` to the end of its section."""
    start = html.index(f'id="{title_id}"')
    return html[start : html.index("</section>", start)]


async def _staff_page(page_clients: Any, role: str, department: str) -> tuple[Any, str, str]:
    """A fresh staff account logged in through /login: (client, CSRF token, account id)."""
    username, account_id = await staff_account(role, department)
    http = page_clients()
    return http, await _page_login(http, username), account_id


async def _post(http: httpx.AsyncClient, path: str, **data: Any) -> httpx.Response:
    return await http.post(path, data=data)


async def _flash(http: httpx.AsyncClient, response: httpx.Response) -> str:
    """The page a POST redirected to (its flash message is shown once)."""
    assert response.status_code == 303, response.text
    page = await http.get(response.headers["location"])
    assert page.status_code == 200
    return page.text


async def _accepted(client: Any) -> dict[str, Any]:
    """A filed bundle (medical administration and radiation health review it), accepted."""
    case, _ = await _filed_case(client)
    headers = await _api_as(client, "window_staff", "health_approval")
    response = await client.post(
        f"/api/applications/{case['id']}/accept",
        json={"expected_version": case["row_version"]},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _opinion_by_api(client: Any, case_id: str, department: str, verdict: str) -> None:
    headers = await _api_as(client, "reviewer", department)
    tasks = await client.get(f"/api/applications/{case_id}/reviews", headers=headers)
    [task] = [t for t in tasks.json() if t["department"] == department]
    response = await client.post(
        f"/api/review-tasks/{task['id']}/opinion",
        json={
            "expected_version": task["row_version"],
            "verdict": verdict,
            "opinion": "符合要求" if verdict == "pass" else "机房屏蔽设计不符合要求",
            "items": [],
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text


async def _inspecting(client: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """A case both departments agreed on, its joint inspection scheduled with a fresh
    inspector of each; (case, department -> inspector's username)."""
    case = await _accepted(client)
    for dept in BUNDLE_DEPARTMENTS:
        await _opinion_by_api(client, case["id"], dept, "pass")
    inspectors = {dept: await staff_account("inspector", dept) for dept in BUNDLE_DEPARTMENTS}
    headers = await _api_as(client, "window_staff", "health_approval")
    current = await _case(client, case["id"])
    assert current["status"] == "inspection"
    when = (datetime.now(SHANGHAI) + timedelta(days=3)).replace(microsecond=0)
    response = await client.post(
        f"/api/applications/{case['id']}/inspection",
        json={
            "expected_version": current["row_version"],
            "scheduled_for": when.isoformat(),
            "place": "兴庆区解放东街88号2层",
            "inspectors": [
                {"department": d, "account_id": inspectors[d][1]} for d in BUNDLE_DEPARTMENTS
            ],
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return current, {d: inspectors[d][0] for d in BUNDLE_DEPARTMENTS}


async def test_a_clerk_assigns_the_case_to_a_colleague_picked_by_name(
    client: Any, page_clients: Any
) -> None:
    case, _ = await _filed_case(client)
    colleague, colleague_id = await staff_account("window_staff", "health_approval")
    _, elsewhere_id = await staff_account("window_staff", "radiation_health")
    http, csrf, _ = await _staff_page(page_clients, "window_staff", "health_approval")
    page = (await http.get(f"/work/cases/{case['id']}")).text
    picker = re.search(r'<select id="assign-to" name="to"[^>]*>(.*?)</select>', page, re.S)
    assert picker, "no assignment picker"
    assert f'<option value="{colleague_id}">测试人员{colleague}（窗口受理' in picker.group(1)
    assert elsewhere_id not in picker.group(1)  # only the case's department
    fields = _form(page, '/assign" class="validate')
    assert fields["expected_version"] == str(case["row_version"])
    url = f"/work/cases/{case['id']}/assign"

    # someone of another department (a forged form): refused with the service's words
    other = await _post(
        http, url, csrf_token=csrf, expected_version=fields["expected_version"], to=elsewhere_id
    )
    assert other.status_code == 422 and "只能分派给本办件所属部门的人员" in other.text
    bad = await _post(
        http, url, csrf_token=csrf, expected_version=fields["expected_version"], to="not-an-id"
    )
    assert bad.status_code == 400 and "请选择承办人" in bad.text
    assert (await _case(client, case["id"]))["assignee"] is None

    done = await _post(
        http, url, csrf_token=csrf, expected_version=fields["expected_version"], to=colleague_id
    )
    shown = await _flash(http, done)
    assert f"已分派给测试人员{colleague}承办" in shown
    assert f"<dt>承办人</dt><dd>测试人员{colleague}" in shown
    after = await _case(client, case["id"])
    assert after["assignee"] == colleague_id and after["status"] == "submitted"

    # the page showed the version before: a stale page hears so and nothing changes
    stale = await _post(
        http, url, csrf_token=csrf, expected_version=fields["expected_version"], to="me"
    )
    assert "办件已被他人处理" in await _flash(http, stale)
    assert (await _case(client, case["id"]))["assignee"] == colleague_id


async def test_a_reviewer_is_offered_no_assignment_and_is_refused_one(
    client: Any, page_clients: Any
) -> None:
    case, _ = await _filed_case(client)
    http, csrf, _ = await _staff_page(page_clients, "reviewer", "medical_administration")
    page = await http.get(f"/work/cases/{case['id']}")
    assert "/assign" not in page.text and 'id="assign-to"' not in page.text
    response = await _post(
        http,
        f"/work/cases/{case['id']}/assign",
        csrf_token=csrf,
        expected_version=case["row_version"],
        to="me",
    )
    assert response.status_code == 403 and "无权分派办件" in response.text
    assert (await _case(client, case["id"]))["assignee"] is None


async def test_pausing_and_resuming_the_clocks_shows_on_the_page(
    client: Any, page_clients: Any
) -> None:
    case = await _accepted(client)
    http, csrf, _ = await _staff_page(page_clients, "decision_maker", "health_approval")
    page = (await http.get(f"/work/cases/{case['id']}")).text
    assert 'id="pause-reason"' in page and "恢复计时" not in page
    version = _form(page, '/pause" class="validate')["expected_version"]
    url = f"/work/cases/{case['id']}/pause"

    no_note = await _post(
        http, url, csrf_token=csrf, expected_version=version, reason="expert_review", note=""
    )
    assert no_note.status_code == 400 and "说明须为 2 至 500 个字" in no_note.text
    no_reason = await _post(
        http, url, csrf_token=csrf, expected_version=version, reason="holiday", note="组织专家评审"
    )
    assert no_reason.status_code == 400 and "请选择暂停计时的事由" in no_reason.text
    assert (await _case(client, case["id"]))["row_version"] == int(version)

    paused = await _flash(
        http,
        await _post(
            http,
            url,
            csrf_token=csrf,
            expected_version=version,
            reason="expert_review",
            note="组织放射防护专家评审",
        ),
    )
    assert "已暂停计时" in paused
    clocks = _section(paused, "clocks-title")
    assert "暂停计时中" in clocks  # the statutory clock's state, in words
    assert re.search(
        r"<td>专家评审</td><td>[\d-]+</td><td>进行中</td><td>组织放射防护专家评审</td>", clocks
    )
    resume = _form(paused, '/resume" class="inline')
    assert resume["reason"] == "expert_review"
    again = await _post(
        http,
        url,
        csrf_token=csrf,
        expected_version=resume["expected_version"],
        reason="expert_review",
        note="再停",
    )
    assert "该事由的计时暂停尚未结束" in await _flash(http, again)

    resumed = await _flash(
        http,
        await _post(http, f"/work/cases/{case['id']}/resume", **resume),
    )
    assert "已恢复计时" in resumed and "恢复计时（专家评审）" not in resumed
    clocks = _section(resumed, "clocks-title")
    assert "暂停计时中" not in clocks and "进行中" not in clocks
    assert re.search(r"<td>专家评审</td><td>[\d-]+</td><td>[\d-]+</td>", clocks)
    twice = await _post(http, f"/work/cases/{case['id']}/resume", **resume)
    assert "办件已被他人处理" in await _flash(http, twice)  # the page's version is stale now


async def test_one_extension_moves_the_due_date_by_ten_working_days_and_a_second_is_refused(
    app: Any, client: Any, page_clients: Any
) -> None:
    case = await _accepted(client)
    http, csrf, _ = await _staff_page(page_clients, "decision_maker", "health_approval")
    page = (await http.get(f"/work/cases/{case['id']}")).text
    version = _form(page, '/extension" class="validate')["expected_version"]
    url = f"/work/cases/{case['id']}/extension"
    bare = await _post(http, url, csrf_token=csrf, expected_version=version, reasons=" ")
    assert bare.status_code == 400 and "请填写理由" in bare.text

    shown = await _flash(
        http,
        await _post(
            http, url, csrf_token=csrf, expected_version=version, reasons="涉及放射防护专家论证"
        ),
    )
    assert "审查期限已延长 10 个工作日" in shown
    after = await _case(client, case["id"])
    calendar = await app.state.services.calendar.calendar()
    before_due = date.fromisoformat(case["statutory_due"])
    assert after["extension_days"] == 10
    assert after["statutory_due"] == add_working_days(before_due, 10, calendar).due.isoformat()
    assert f"截止日 <b>{after['statutory_due']}</b>" in shown
    assert "已延长 10 个工作日" in shown and "/extension" not in shown  # offered once only

    # a second one (a page from before, or a forged form at the new version): refused
    second = await _post(
        http, url, csrf_token=csrf, expected_version=after["row_version"], reasons="再延长一次"
    )
    assert "该办件已延长过一次审查期限，依法不能再延长" in await _flash(http, second)
    assert (await _case(client, case["id"]))["statutory_due"] == after["statutory_due"]


async def _tasks(client: Any, case_id: str) -> dict[str, dict[str, Any]]:
    response = await client.get(
        f"/api/applications/{case_id}/reviews", headers=await _api_as(client, "admin")
    )
    assert response.status_code == 200, response.text
    return {t["department"]: t for t in response.json()}


async def test_reviewers_disagree_with_reasons_or_ask_for_items_to_be_inspected(
    client: Any, page_clients: Any
) -> None:
    case = await _accepted(client)
    answers = {
        # department: (verdict, what the service says without the rest, the full answer)
        "medical_administration": (
            "fail",
            "不同意的意见必须写明理由",
            {"opinion": "卫生技术人员配备不符合《医疗机构基本标准》", "items": ""},
        ),
        "radiation_health": (
            "inspect",
            "请列出需现场核查的事项",
            {
                "opinion": "需现场核实",
                "items": "核对机房屏蔽检测报告原件\n\n  查看个人剂量计佩戴情况  ",
            },
        ),
    }
    shown = ""
    for dept, (verdict, refusal, answer) in answers.items():
        http, _, _ = await _staff_page(page_clients, "reviewer", dept)
        page = (await http.get(f"/work/cases/{case['id']}")).text
        found = re.search(r'action="(/work/tasks/[0-9a-f-]+/opinion)"', page)
        assert found, f"no opinion form for {dept}"
        url, fields = found.group(1), _form(page, found.group(1))

        # without its reasons or items: a 4xx with the service's words, the task still open
        bare = await _post(http, url, verdict=verdict, opinion="", items="", **fields)
        assert bare.status_code == 400 and refusal in bare.text
        assert (await _tasks(client, case["id"]))[dept]["status"] == "pending"

        shown = await _flash(http, await _post(http, url, verdict=verdict, **answer, **fields))
        assert "审查意见已提交" in shown

    tasks = await _tasks(client, case["id"])
    assert tasks["medical_administration"]["status"] == "failed"
    assert tasks["medical_administration"]["opinion"].startswith("卫生技术人员配备不符合")
    assert tasks["radiation_health"]["status"] == "inspect"
    assert tasks["radiation_health"]["items"] == [
        "核对机房屏蔽检测报告原件",
        "查看个人剂量计佩戴情况",
    ]
    assert (await _case(client, case["id"]))["status"] == "awaiting_decision"  # one refused
    # the case page shows both opinions in words
    assert '<span class="badge bad">不同意</span>' in shown and "卫生技术人员配备不符合" in shown
    assert '<span class="badge info">需现场核查</span>' in shown
    assert "<li>核对机房屏蔽检测报告原件</li>" in shown


async def test_a_denial_with_reasons_reaches_the_applicants_page_with_their_rights(
    client: Any, page_clients: Any
) -> None:
    applicant = await applicant_account()
    case = await file_bundle(client, await login(client, applicant))
    headers = await _api_as(client, "window_staff", "health_approval")
    accepted = await client.post(
        f"/api/applications/{case['id']}/accept",
        json={"expected_version": case["row_version"]},
        headers=headers,
    )
    assert accepted.status_code == 200
    await _opinion_by_api(client, case["id"], "medical_administration", "fail")
    await _opinion_by_api(client, case["id"], "radiation_health", "pass")
    http, _, _ = await _staff_page(page_clients, "decision_maker", "health_approval")
    page = (await http.get(f"/work/cases/{case['id']}")).text
    fields = _form(page, '/decision" class="validate')
    url = f"/work/cases/{case['id']}/decision"

    bare = await _post(http, url, approve="0", reasons="", **fields)
    assert bare.status_code == 400 and re.search(
        r'id="decision-error" class="error-text">[^<]+', bare.text
    )
    unchosen = await _post(http, url, reasons="理由", **fields)
    assert unchosen.status_code == 400 and "请选择准予许可或不予许可" in unchosen.text
    assert (await _case(client, case["id"]))["status"] == "awaiting_decision"

    shown = await _flash(
        http,
        await _post(
            http, url, approve="0", reasons="放射诊疗机房屏蔽设计不符合GBZ 130要求", **fields
        ),
    )
    assert "已作出不予许可决定" in shown and "放射诊疗机房屏蔽设计不符合GBZ 130要求" in shown
    after = await _case(client, case["id"])
    assert after["status"] == "denied" and after["certificates"] == []

    holder = page_clients()
    login_page = await holder.get("/login")
    await holder.post(
        "/login",
        data={
            "csrf_token": _hidden(login_page.text, "csrf_token"),
            "username": applicant,
            "password": DEMO_PASSWORD,
        },
    )
    mine = await holder.get(f"/my/cases/{case['id']}")
    assert mine.status_code == 200
    assert "放射诊疗机房屏蔽设计不符合GBZ 130要求" in mine.text
    assert "行政复议" in mine.text and "行政诉讼" in mine.text


async def test_failed_items_go_to_rectification_and_only_they_are_inspected_again(
    client: Any, page_clients: Any
) -> None:
    case, inspectors = await _inspecting(client)
    pages: dict[str, tuple[Any, str]] = {}
    for dept in BUNDLE_DEPARTMENTS:
        http = page_clients()
        pages[dept] = (http, await _page_login(http, inspectors[dept]))

    async def record(dept: str, failing: frozenset[str] = frozenset()) -> str:
        http, _ = pages[dept]
        page = (await http.get(f"/work/cases/{case['id']}")).text
        fields = _form(page, '/inspection/results" class="validate action-block')
        codes = re.findall(r'type="hidden" name="code" value="([^"]+)"', page)
        assert codes
        data: dict[str, Any] = {**fields, "code": codes, "on_failure": "rectify"}
        for code in codes:
            data[f"result.{code}"] = "fail" if code in failing else "pass"
            data[f"note.{code}"] = "屏蔽厚度不足" if code in failing else ""
        return await _flash(
            http, await http.post(f"/work/cases/{case['id']}/inspection/results", data=data)
        )

    await record("medical_administration")
    http, _ = pages["radiation_health"]
    page = (await http.get(f"/work/cases/{case['id']}")).text
    radiation_codes = re.findall(r'type="hidden" name="code" value="([^"]+)"', page)
    assert len(radiation_codes) >= 2, "the test wants a failing and a passing item"
    failing = radiation_codes[0]
    # a result missing for one item: 4xx, nothing recorded
    fields = _form(page, '/inspection/results" class="validate action-block')
    partial = await http.post(
        f"/work/cases/{case['id']}/inspection/results",
        data={**fields, "code": radiation_codes, f"result.{failing}": "pass"},
    )
    assert partial.status_code == 400 and "请为每个核查事项选择结果" in partial.text

    shown = await record("radiation_health", frozenset({failing}))
    assert "核查结果已记录" in shown
    after = await _case(client, case["id"])
    assert after["status"] == "rectification"
    assert "限期整改至" in shown and "待复查" in shown
    assert re.search(r"<td>限期整改</td><td>[\d-]+</td><td>进行中</td>", shown)
    # the re-inspection asks for the failed item only, and only of its department
    again = re.findall(r'type="hidden" name="code" value="([^"]+)"', shown)
    assert again == [failing]
    medical, _ = pages["medical_administration"]
    assert 'name="code"' not in (await medical.get(f"/work/cases/{case['id']}")).text

    done = await record("radiation_health")
    assert "核查结果已记录" in done and "已完成，全部合格" in done
    final = await _case(client, case["id"])
    assert final["status"] == "awaiting_decision"


# ---- paging the reviewer's and the inspector's lists ----------------------------------------


def _case_links(html: str, section: str) -> list[str]:
    """The case ids a list on /work links to, in the order shown."""
    return re.findall(r'href="/work/cases/([0-9a-f-]+)#', _section(html, section))


async def _walk(http: httpx.AsyncClient, section: str, param: str) -> list[list[str]]:
    """Every page of one list on /work, following its 下一页 link as a person would."""
    pages, url = [], "/work"
    for _ in range(20):
        page = (await http.get(url)).text
        pages.append(_case_links(page, section))
        link = re.search(rf'href="(/work\?[^"]*{param}=[^"#]+)#{section}">下一页', page)
        if not link:
            assert len(pages) == 1 or "回到第一页" in page
            return pages
        url = link.group(1).replace("&amp;", "&")
    raise AssertionError("the list never ended")


async def test_the_reviewers_task_list_is_paged_most_urgent_first_like_the_api(
    client: Any, page_clients: Any, monkeypatch: Any
) -> None:
    for _ in range(3):
        await _accepted(client)
    # the department's whole list as GET /api/review-tasks pages it
    headers = await _api_as(client, "reviewer", "radiation_health")
    listed: list[str] = []
    cursor = None
    for _ in range(100):
        params = {"cursor": cursor} if cursor else {}
        body = (await client.get("/api/review-tasks", params=params, headers=headers)).json()
        listed += [t["application_id"] for t in body["items"]]
        cursor = body.get("next_cursor")
        if not cursor:
            break
    size = max(1, -(-len(listed) // 3))  # about three pages, however many tasks are open
    monkeypatch.setattr(staff_queue, "LIST_SIZE", size)

    http, _, _ = await _staff_page(page_clients, "reviewer", "radiation_health")
    pages = await _walk(http, "tasks-title", "tcursor")
    assert len(pages) >= 2 and all(len(p) == size for p in pages[:-1]) and pages[-1]
    assert [i for p in pages for i in p] == listed
    assert f"本页 {size} 件" in (await http.get("/work")).text


async def test_the_inspectors_list_is_paged_and_each_page_starts_where_the_last_ended(
    client: Any, page_clients: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(staff_queue, "LIST_SIZE", 2)
    username, inspector_id = await staff_account("inspector", "medical_administration")
    radiation = await staff_account("inspector", "radiation_health")
    headers = await _api_as(client, "window_staff", "health_approval")
    scheduled = []
    for _ in range(3):
        case = await _accepted(client)
        for dept in BUNDLE_DEPARTMENTS:
            await _opinion_by_api(client, case["id"], dept, "pass")
        current = await _case(client, case["id"])
        when = (datetime.now(SHANGHAI) + timedelta(days=3)).replace(microsecond=0)
        response = await client.post(
            f"/api/applications/{case['id']}/inspection",
            json={
                "expected_version": current["row_version"],
                "scheduled_for": when.isoformat(),
                "place": "兴庆区解放东街88号2层",
                "inspectors": [
                    {"department": "medical_administration", "account_id": inspector_id},
                    {"department": "radiation_health", "account_id": radiation[1]},
                ],
            },
            headers=headers,
        )
        assert response.status_code == 201, response.text
        scheduled.append((current["next_due"], current["id"]))
    http = page_clients()
    await _page_login(http, username)
    pages = await _walk(http, "insp-title", "icursor")
    assert [len(p) for p in pages] == [2, 1]
    assert [i for p in pages for i in p] == [i for _, i in sorted(scheduled)]
