"""The applicant portal over HTTP: the guide, the generated form, filing, my cases, one case,
answering a correction notice — and every way a page must refuse (CSRF, roles, someone
else's case, NUL bytes, bad values), with nothing filed when it refuses."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx

from factories import (
    BUNDLE_SLOTS,
    DEMO_PASSWORD,
    PDF_BYTES,
    PNG_1PX,
    applicant_account,
    bundle_form,
    hygiene_application,
    hygiene_form,
    internet_hospital_form,
    login,
    new_staff,
    staff_account,
    upload_pdf,
)
from forms.credit_code import make_credit_code

HYGIENE = "/apply/public_place_hygiene"
BUNDLE = "/apply/medical_institution_bundle"


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden {name} in the page"
    return match.group(1)


@contextlib.asynccontextmanager
async def _browser(client: Any, username: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client with its own cookie jar, logged in through the login page."""
    async with httpx.AsyncClient(
        transport=client._transport, base_url=str(client.base_url)
    ) as http:
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
        yield http


@contextlib.asynccontextmanager
async def _applicant(client: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with _browser(client, await applicant_account()) as http:
        yield http


async def _csrf(http: httpx.AsyncClient) -> str:
    return str((await http.get("/api/auth/me")).json()["csrf_token"])


async def _my_cases(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await http.get("/api/applications")
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def _as_fields(form: dict[str, Any]) -> list[tuple[str, str]]:
    """A JSON-shaped form as an HTML form posts it (booleans as true/false, lists repeated)."""
    out: list[tuple[str, str]] = []
    for name, value in form.items():
        values = value if isinstance(value, list) else [value]
        for v in values:
            out.append((name, ("true" if v else "false") if isinstance(v, bool) else str(v)))
    return out


async def _hygiene_fields(http: httpx.AsyncClient, **overrides: Any) -> list[tuple[str, str]]:
    page = await http.get(HYGIENE)
    assert page.status_code == 200, page.text
    return [
        ("csrf_token", await _csrf(http)),
        *_as_fields(hygiene_form(**overrides)),
        ("commitment_signer", "马建国"),
        ("commitment_accepted", "yes"),
        ("commitment_sha256", _hidden(page.text, "commitment_sha256")),
    ]


# --- the guide ------------------------------------------------------------------------


async def test_the_guide_needs_no_login_and_leads_a_hotel_to_the_instant_hygiene_permit(
    client: Any,
) -> None:
    async with httpx.AsyncClient(transport=client._transport, base_url="http://t") as anon:
        page = await anon.get("/guide", params={"industry": "public_place_hygiene.accommodation"})
    assert page.status_code == 200
    html = page.text
    assert "您应当办理" in html and "公共场所卫生许可" in html
    assert "告知承诺 · 即时办结" in html and "5 分钟" in html
    assert "经营场所平面布局图" in html  # the materials list comes from the catalogue
    assert 'href="/apply/public_place_hygiene?permit_items=accommodation"' in html
    assert "开始申请" in html


async def test_the_guide_sends_a_clinic_with_x_ray_to_the_bundle_with_radiation_materials(
    client: Any,
) -> None:
    async with httpx.AsyncClient(transport=client._transport, base_url="http://t") as anon:
        page = await anon.get(
            "/guide",
            params={
                "open_medical_institution_bundle": "yes",
                "has_radiology": "yes",
                "uses_narcotics": "no",
                "has_maternal_services": "no",
            },
        )
    html = page.text
    assert "开办医疗机构（一业一证）" in html and "12 个工作日" in html and "20 个工作日" in html
    assert "放射诊疗许可" in html
    materials = html[html.index('<ul class="materials">') :].split("</ul>")[0]
    assert "放射防护控制效果评价报告" in materials
    assert "母婴保健技术考核合格证明" not in materials  # not asked for: no maternal services
    assert "has_radiology=true" in html


async def test_the_guide_without_answers_asks_again_instead_of_guessing(client: Any) -> None:
    async with httpx.AsyncClient(transport=client._transport, base_url="http://t") as anon:
        page = await anon.get("/guide", params={"industry": "no_such_thing"})
    assert page.status_code == 200
    assert "请选择场所或机构类别" in page.text and 'id="guide-result"' not in page.text


# --- the form and filing --------------------------------------------------------------


async def test_the_form_is_generated_from_the_catalogue_with_constraints_and_the_commitment(
    client: Any,
) -> None:
    async with _applicant(client) as http:
        page = await http.get(HYGIENE + "?permit_items=accommodation")
    html = page.text
    assert page.status_code == 200
    assert 'class="validate' in html and 'enctype="multipart/form-data"' in html
    assert '<label for="f-credit_code">统一社会信用代码' in html
    assert 'id="f-contact_phone"' in html and 'type="tel"' in html
    assert re.search(r'id="f-permit_items"[^>]*value="accommodation"[^>]*checked', html)
    assert html.count('type="file"') == 5  # one input per material slot
    assert "本单位申请办理公共场所卫生许可，现郑重承诺如下" in html  # the letter in full
    assert "我已阅读并承诺" in html
    assert "「许可项目」勾选「住宿场所" in html  # room count: required when accommodation


async def test_a_complete_hygiene_form_with_a_file_issues_the_permit_and_lands_on_the_case(
    client: Any,
) -> None:
    async with _applicant(client) as http:
        fields = await _hygiene_fields(http)
        response = await http.post(
            HYGIENE,
            data=dict(_multi(fields)),
            files={"file__floor_plan": ("平面图.pdf", PDF_BYTES, "application/pdf")},
        )
        assert response.status_code == 303, response.text
        target = response.headers["location"]
        assert target.startswith("/my/cases/")
        page = await http.get(target)
        assert page.status_code == 200
        html = page.text
        assert "电子许可证已当场核发" in html  # the flash, once
        assert "已办结，可下载证照" in html
        assert "/face.pdf" in html and "/face.png" in html and "核验链接" in html
        cases = await _my_cases(http)
        assert len(cases) == 1 and cases[0]["status"] == "approved"
        detail = (await http.get(f"/api/applications/{cases[0]['id']}")).json()
        assert detail["form"]["permit_items"] == ["accommodation"]
        again = await http.get(target)
        assert "电子许可证已当场核发" not in again.text


def _multi(fields: list[tuple[str, str]]) -> dict[str, Any]:
    """httpx wants repeated names as lists."""
    out: dict[str, Any] = {}
    for name, value in fields:
        if name in out:
            out[name] = [*out[name], value] if isinstance(out[name], list) else [out[name], value]
        else:
            out[name] = value
    return out


async def test_an_invalid_credit_code_rerenders_the_form_in_chinese_keeping_values_and_files(
    client: Any,
) -> None:
    good = make_credit_code("91640100MA76XK2P0")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    async with _applicant(client) as http:
        fields = await _hygiene_fields(http, credit_code=bad, unit_name="银川错码测试宾馆")
        response = await http.post(
            HYGIENE,
            data=_multi(fields),
            files={"file__floor_plan": ("平面图.pdf", PDF_BYTES, "application/pdf")},
        )
        assert response.status_code == 422
        html = response.text
        assert "统一社会信用代码」的校验位不正确" in html
        assert 'class="errors-summary"' in html and 'href="#f-credit_code"' in html
        assert 'value="银川错码测试宾馆"' in html  # what was typed is kept
        assert f'value="{bad}"' in html
        assert "已上传：<b>平面图.pdf</b>" in html  # and the file is remembered
        kept = _hidden(html, "kept__floor_plan")
        assert await _my_cases(http) == []  # nothing filed

        # fixed, without uploading again: the remembered file is filed with it
        fields = [(k, good if k == "credit_code" else v) for k, v in fields]
        fields = [*fields, ("kept__floor_plan", kept)]
        response = await http.post(HYGIENE, data=_multi(fields))
        assert response.status_code == 303, response.text
        cases = await _my_cases(http)
        assert [c["status"] for c in cases] == ["approved"]


async def test_an_unsigned_commitment_and_a_missing_field_are_reported_together(
    client: Any,
) -> None:
    async with _applicant(client) as http:
        fields = [
            (k, v)
            for k, v in await _hygiene_fields(http)
            if k not in ("commitment_accepted", "contact_phone")
        ]
        response = await http.post(HYGIENE, data=_multi(fields))
        assert response.status_code == 422
        assert "请阅读告知书并勾选同意承诺后再提交" in response.text
        assert "「联系电话」为必填项" in response.text
        assert await _my_cases(http) == []


async def test_a_file_that_is_not_pdf_jpeg_or_png_is_refused_and_nothing_is_filed(
    client: Any,
) -> None:
    async with _applicant(client) as http:
        fields = await _hygiene_fields(http)
        response = await http.post(
            HYGIENE,
            data=_multi(fields),
            files={"file__floor_plan": ("x.pdf", b"#!/bin/sh\necho hi\n", "application/pdf")},
        )
        assert response.status_code == 400
        assert "只接受 PDF、JPEG 或 PNG" in response.text
        assert await _my_cases(http) == []


async def test_a_post_without_or_with_a_forged_csrf_token_is_refused_and_files_nothing(
    client: Any,
) -> None:
    async with _applicant(client) as http:
        fields = [(k, v) for k, v in await _hygiene_fields(http) if k != "csrf_token"]
        missing = await http.post(HYGIENE, data=_multi(fields))
        assert missing.status_code == 403 and "页面已过期" in missing.text
        forged = await http.post(HYGIENE, data=_multi([*fields, ("csrf_token", "forged")]))
        assert forged.status_code == 403
        assert await _my_cases(http) == []


async def test_a_nul_byte_in_a_field_is_refused_with_400_and_nothing_is_filed(
    client: Any,
) -> None:
    async with _applicant(client) as http:
        fields = [
            (k, "银川\x00宾馆" if k == "unit_name" else v) for k, v in await _hygiene_fields(http)
        ]
        response = await http.post(HYGIENE, data=_multi(fields))
        assert response.status_code == 400
        assert "非法字符" in response.text
        assert await _my_cases(http) == []


async def test_a_commitment_signed_twice_over_is_not_a_name_and_nothing_is_filed(
    client: Any,
) -> None:
    """A repeated signer field (a hand-made post) is no one's signature."""
    async with _applicant(client) as http:
        fields = [*await _hygiene_fields(http), ("commitment_signer", "李四")]
        response = await http.post(HYGIENE, data=_multi(fields))
        assert response.status_code == 400
        assert "请填写承诺人姓名" in response.text
        assert "[&#39;" not in response.text  # no list echoed as the name
        assert await _my_cases(http) == []


async def test_staff_get_the_403_page_on_the_application_form(client: Any) -> None:
    username, _ = await staff_account("window_staff", "health_approval")
    async with _browser(client, username) as http:
        page = await http.get(HYGIENE)
        assert page.status_code == 403 and "无权访问" in page.text
        response = await http.post(HYGIENE, data={"csrf_token": await _csrf(http)})
        assert response.status_code == 403


async def test_the_form_asks_an_anonymous_visitor_to_log_in_first(client: Any) -> None:
    async with httpx.AsyncClient(transport=client._transport, base_url="http://t") as anon:
        response = await anon.get(HYGIENE)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/apply/public_place_hygiene"


async def test_an_unknown_permit_type_is_a_404_page(client: Any) -> None:
    async with _applicant(client) as http:
        assert (await http.get("/apply/no_such_permit")).status_code == 404
        assert (await http.get("/apply/Bad-Code")).status_code == 404


# --- my cases, one case -----------------------------------------------------------------


async def _file_hygiene(http: httpx.AsyncClient, **overrides: Any) -> str:
    response = await http.post(HYGIENE, data=_multi(await _hygiene_fields(http, **overrides)))
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


async def test_my_cases_lists_mine_newest_first_and_not_anyone_elses(client: Any) -> None:
    async with _applicant(client) as http, _applicant(client) as other:
        await _file_hygiene(http, unit_name="银川第一家测试宾馆")
        await _file_hygiene(http, unit_name="银川第二家测试宾馆")
        await _file_hygiene(other, unit_name="别人家的测试宾馆")
        page = await http.get("/my")
        assert page.status_code == 200
        html = page.text
        assert html.index("银川第二家测试宾馆") < html.index("银川第一家测试宾馆")
        assert "别人家的测试宾馆" not in html
        assert "准予许可" in html and "公共场所卫生许可" in html


async def test_another_applicants_case_page_is_a_404_as_in_the_api(client: Any) -> None:
    async with _applicant(client) as owner, _applicant(client) as other:
        case_url = await _file_hygiene(owner)
        case_id = case_url.rsplit("/", 1)[1]
        assert (await other.get(case_url)).status_code == 404
        assert (await other.get(f"/api/applications/{case_id}")).status_code == 404
        resubmit = await other.post(
            case_url + "/resubmit", data={"csrf_token": await _csrf(other), "expected_version": "1"}
        )
        assert resubmit.status_code == 404


async def test_a_bundle_filed_through_the_form_then_corrected_through_the_case_page(
    client: Any,
) -> None:
    window, _ = await new_staff(client, "window_staff", "health_approval")
    async with _applicant(client) as http:
        page = await http.get(BUNDLE)
        assert "告知承诺书" not in page.text  # review route, no commitment
        fields = [("csrf_token", await _csrf(http)), *_as_fields(bundle_form())]
        files = {
            f"file__{slot}": (f"{slot}.pdf", PDF_BYTES, "application/pdf") for slot in BUNDLE_SLOTS
        }
        response = await http.post(BUNDLE, data=_multi(fields), files=files)
        assert response.status_code == 303, response.text
        case_url = response.headers["location"]
        case_id = case_url.rsplit("/", 1)[1]
        page = await http.get(case_url)
        assert "等待受理" in page.text and "请等待窗口工作人员受理" in page.text

        version = (await http.get(f"/api/applications/{case_id}")).json()["row_version"]
        notice = await client.post(
            f"/api/applications/{case_id}/corrections",
            json={
                "expected_version": version,
                "items": [
                    {"target": "materials.floor_plan", "what": "平面图未标明放射诊疗场所"},
                    {"target": "form.nurses", "what": "护士人数与名录不一致"},
                ],
            },
            headers=window,
        )
        assert notice.status_code == 200, notice.text
        page = await http.get(case_url)
        html = page.text
        assert "请补正以下内容后重新提交" in html
        assert "平面图未标明放射诊疗场所" in html and "注册护士人数" in html
        assert 'id="f-nurses"' in html and 'name="file__floor_plan"' in html
        assert 'id="f-physicians"' not in html  # only what the notice names

        post = {
            "csrf_token": await _csrf(http),
            "expected_version": _hidden(html, "expected_version"),
            "nurses": "-3",
        }
        wrong = await http.post(case_url + "/resubmit", data=post)
        assert wrong.status_code == 422
        assert "「注册护士人数」应在0至50000之间" in wrong.text
        post["nurses"] = "7"
        done = await http.post(
            case_url + "/resubmit",
            data=post,
            files={"file__floor_plan": ("新平面图.png", PNG_1PX, "image/png")},
        )
        assert done.status_code == 303, done.text
        page = await http.get(case_url)
        assert "补正内容已提交" in page.text and "等待受理" in page.text
        detail = (await http.get(f"/api/applications/{case_id}")).json()
        assert detail["status"] == "submitted" and detail["form"]["nurses"] == 7


async def test_a_refusal_to_accept_shows_the_reasons_and_the_rights_of_review_and_appeal(
    client: Any,
) -> None:
    window, _ = await new_staff(client, "window_staff", "health_approval")
    async with _applicant(client) as http:
        fields = [("csrf_token", await _csrf(http)), *_as_fields(bundle_form())]
        files = {
            f"file__{slot}": (f"{slot}.pdf", PDF_BYTES, "application/pdf") for slot in BUNDLE_SLOTS
        }
        case_url = (await http.post(BUNDLE, data=_multi(fields), files=files)).headers["location"]
        case_id = case_url.rsplit("/", 1)[1]
        version = (await http.get(f"/api/applications/{case_id}")).json()["row_version"]
        refused = await client.post(
            f"/api/applications/{case_id}/refuse",
            json={"expected_version": version, "reasons": "申请事项不属于本机关职权范围"},
            headers=window,
        )
        assert refused.status_code == 200, refused.text
        html = (await http.get(case_url)).text
        assert "已办结：不予受理" in html
        assert "申请事项不属于本机关职权范围" in html
        assert "行政复议" in html and "行政诉讼" in html
        # the applicant was told, and /my shows it among the unread notifications
        my = (await http.get("/my")).text
        assert "未读通知" in my and "不予受理决定" in my


async def test_the_internet_hospital_form_signs_its_commitment_and_is_accepted_at_once(
    client: Any,
) -> None:
    async with _applicant(client) as http:
        page = await http.get("/apply/internet_hospital")
        assert "互联网医院执业登记告知承诺书" in page.text
        fields = [
            ("csrf_token", await _csrf(http)),
            *_as_fields(internet_hospital_form()),
            ("commitment_signer", "马建国"),
            ("commitment_accepted", "yes"),
            ("commitment_sha256", _hidden(page.text, "commitment_sha256")),
        ]
        slots = (
            "host_licence",
            "security_filing",
            "platform_plan",
            "staff_roster",
            "service_rules",
        )
        files = {f"file__{s}": (f"{s}.pdf", PDF_BYTES, "application/pdf") for s in slots}
        response = await http.post("/apply/internet_hospital", data=_multi(fields), files=files)
        assert response.status_code == 303, response.text
        html = (await http.get(response.headers["location"])).text
        assert "申请已提交并已受理" in html and "已受理，等待审查" in html
        assert "承诺时限" in html and "法定时限" in html


async def test_my_cases_pages_twenty_at_a_time_and_a_bad_cursor_is_a_chinese_400(
    client: Any,
) -> None:
    username = await applicant_account()
    bearer = await login(client, username)
    for n in range(21):
        body = await hygiene_application(client, unit_name=f"银川分页测试宾馆{n:02d}号店")
        assert (
            await client.post("/api/applications", json=body, headers=bearer)
        ).status_code == 201
    async with _browser(client, username) as http:
        first = (await http.get("/my")).text
        assert "银川分页测试宾馆20号店" in first and "银川分页测试宾馆00号店" not in first
        cursor = re.search(r'href="/my\?cursor=([^"]+)">下一页', first)
        assert cursor
        second = await http.get(f"/my?cursor={cursor.group(1)}")
        assert (
            "银川分页测试宾馆00号店" in second.text and "银川分页测试宾馆01号店" not in second.text
        )
        assert "下一页" not in second.text and "回到第一页" in second.text
        bad = await http.get("/my?cursor=not-a-cursor")
        assert bad.status_code == 400 and "分页游标无效" in bad.text


async def test_a_post_check_awaiting_the_holders_statement_is_flagged_on_the_case_page(
    client: Any,
) -> None:
    supervisor, _ = await new_staff(client, "supervisor", "health_inspection")
    async with _applicant(client) as http:
        case_url = await _file_hygiene(http)
        case_id = case_url.rsplit("/", 1)[1]
        checks = await client.get("/api/post-checks", params={"limit": 500}, headers=supervisor)
        check = next(c for c in checks.json() if c["application_id"] == case_id)
        evidence = await upload_pdf(client, supervisor)
        found = await client.post(
            f"/api/post-checks/{check['id']}/result",
            json={
                "expected_version": check["row_version"],
                "result": "false",
                "finding": "现场未设置顾客用品清洗消毒设施",
                "evidence": [evidence],
            },
            headers=supervisor,
        )
        assert found.status_code == 200, found.text
        html = (await http.get(case_url)).text
        assert "请在期限内陈述申辩" in html
        assert f'href="/my/post-checks/{check["id"]}"' in html
