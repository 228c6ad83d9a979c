"""The supervision pages over HTTP: the console of one department, claim / return / feedback,
the post-check with evidence uploaded through the page, the holder's statement and the
revocation decision — and every refusal (CSRF, role, another department's item, someone
else's check, bad input) as a Chinese page that leaves the record as it was."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx

from approvals.clock import SHANGHAI
from approvals.repository import post_checks as check_repo
from approvals.repository import supervision as item_repo
from factories import (
    DEMO_PASSWORD,
    PDF_BYTES,
    applicant_account,
    hygiene_application,
    login,
    staff_account,
)

PNG_NOT_PDF = b"MZ\x90\x00 this is not a document"


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden {name} in the page"
    return match.group(1)


async def _page_login(
    page_clients: Any, username: str, landing: str
) -> tuple[httpx.AsyncClient, str]:
    """A browser-like client logged in through /login; the session's form CSRF token."""
    http: httpx.AsyncClient = page_clients()
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
    home = await http.get(landing)
    assert home.status_code == 200, home.text
    return http, _hidden(home.text, "csrf_token")


async def _supervisor(
    page_clients: Any, department: str = "health_inspection"
) -> tuple[httpx.AsyncClient, str]:
    username, _ = await staff_account("supervisor", department)
    return await _page_login(page_clients, username, "/supervise")


async def _issue(client: Any) -> tuple[str, dict[str, str], dict[str, Any]]:
    """A hygiene permit issued to a fresh applicant: (username, API headers, the answer)."""
    username = await applicant_account()
    headers = await login(client, username)
    response = await client.post(
        "/api/applications", json=await hygiene_application(client), headers=headers
    )
    assert response.status_code == 201, response.text
    return username, headers, response.json()


async def _item(case: dict[str, Any], department: str = "health_inspection") -> item_repo.Item:
    items = await item_repo.of_application(uuid.UUID(case["application"]["id"]))
    return next(i for i in items if i.department == department)


async def _check(case: dict[str, Any]) -> check_repo.Check:
    (check,) = await check_repo.of_application(uuid.UUID(case["application"]["id"]))
    return check


def _flash(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


async def test_the_console_shows_the_departments_items_and_highlights_an_overdue_one(
    client: Any, clocked: Any, page_clients: Any
) -> None:
    # Filed twelve days ago (on an app whose clock stands there): its claim is overdue now.
    clocked.at((datetime.now(SHANGHAI) - timedelta(days=12)).strftime("%Y-%m-%d 10:00"))
    _, _, old = await _issue(clocked.client)
    _, _, fresh = await _issue(client)
    overdue, new = await _item(old), await _item(fresh)
    http, _ = await _supervisor(page_clients)

    listed = await _find_row(http, "/supervise?overdue=1", overdue.id)
    assert 'class="overdue"' in listed and "逾期未认领" in listed and "待认领" in listed
    assert str(new.id) not in (await http.get("/supervise?overdue=1")).text
    page = await http.get(f"/supervise/items/{overdue.id}")
    assert page.status_code == 200
    for words in ("认领期限", "逾期未认领", "公共场所卫生许可", "打开公开核验页面", "推送至本部门"):
        assert words in page.text, words
    # The market regulation item of the same case is not this department's.
    market = await _item(fresh, "market_regulation")
    assert (await http.get(f"/supervise/items/{market.id}")).status_code == 404
    assert (await http.get("/supervise?state=nonsense")).status_code == 400
    forged_cursor = await http.get("/supervise?cursor=bm90LW91cnM=")
    assert forged_cursor.status_code == 400 and "翻页参数无效" in forged_cursor.text


async def _find_row(http: httpx.AsyncClient, url: str, item_id: uuid.UUID) -> str:
    """The table row of one item, following 下一页 as a person would."""
    for _ in range(50):
        page = await http.get(url)
        assert page.status_code == 200, page.text
        row = re.search(rf'<tr class="[^"]*" data-item="{item_id}">.*?</tr>', page.text, re.S)
        if row:
            return row.group(0)
        following = re.search(r'rel="next" href="([^"]+)"', page.text)
        assert following, f"item {item_id} not listed"
        url = following.group(1).replace("&amp;", "&")
    raise AssertionError("too many pages")


async def test_the_console_pages_through_every_item_once_in_claim_deadline_order(
    client: Any, page_clients: Any, monkeypatch: Any
) -> None:
    from approvals.web.pages import supervisor as pages

    monkeypatch.setattr(pages, "PAGE_SIZE", 3)
    cases = [(await _issue(client))[2] for _ in range(4)]
    mine = {str((await _item(c)).id) for c in cases}
    http, _ = await _supervisor(page_clients)
    seen: list[str] = []
    url: str | None = "/supervise?state=pending"
    while url:
        page = await http.get(url)
        assert page.status_code == 200, page.text
        rows = re.findall(r'data-item="([0-9a-f-]+)"', page.text)
        assert 0 < len(rows) <= 3
        if seen:
            assert "回到第一页" in page.text
        seen += rows
        following = re.search(r'rel="next" href="([^"]+)"', page.text)
        url = following.group(1).replace("&amp;", "&") if following else None
        if mine <= set(seen):
            break  # other tests' items may follow; ours are all seen
    assert len(seen) == len(set(seen)) and mine <= set(seen)
    dues = [(await item_repo.get(uuid.UUID(i))).claim_due for i in seen]  # type: ignore[union-attr]
    assert dues == sorted(dues)


async def test_an_applicant_on_the_console_gets_the_403_page_and_a_stranger_the_login(
    page_clients: Any,
) -> None:
    http, _ = await _page_login(page_clients, await applicant_account(), "/my/post-checks")
    for path in ("/supervise", "/supervise/post-checks"):
        response = await http.get(path)
        assert response.status_code == 403 and "无权访问" in response.text
    anonymous = await page_clients().get("/supervise")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")


async def test_claiming_with_a_forged_or_missing_csrf_token_is_refused_and_changes_nothing(
    client: Any, page_clients: Any
) -> None:
    _, _, case = await _issue(client)
    item = await _item(case)
    http, _ = await _supervisor(page_clients)
    for data in ({"csrf_token": "forged"}, {}):
        response = await http.post(f"/supervise/items/{item.id}/claim", data=data)
        assert response.status_code == 403 and "页面已过期" in response.text
    after = await item_repo.get(item.id)
    assert after is not None and after.status == "pending" and after.row_version == item.row_version


async def test_a_lost_claim_race_says_who_won_and_the_winner_can_feed_back(
    client: Any, page_clients: Any
) -> None:
    _, _, case = await _issue(client)
    item = await _item(case)
    first, first_csrf = await _supervisor(page_clients)
    second, second_csrf = await _supervisor(page_clients)
    back = f"/supervise/items/{item.id}"
    assert _flash(await first.post(f"{back}/claim", data={"csrf_token": first_csrf})) == back
    lost = await second.post(f"{back}/claim", data={"csrf_token": second_csrf})
    assert _flash(lost) == back
    shown = await second.get(back)
    winner = (await item_repo.get(item.id)).claimed_by_name  # type: ignore[union-attr]
    assert 'class="flash error"' in shown.text and winner in shown.text
    assert "已被处理" in shown.text and "认领</button>" not in shown.text

    claimed = await first.get(back)
    version = _hidden(claimed.text, "expected_version")
    bad = await first.post(
        f"{back}/feedback",
        data={"csrf_token": first_csrf, "expected_version": version, "result": "nonsense"},
    )
    assert bad.status_code == 400 and "请选择核查结果" in bad.text
    done = await first.post(
        f"{back}/feedback",
        data={
            "csrf_token": first_csrf,
            "expected_version": version,
            "result": "compliant",
            "note": "现场核查，卫生管理制度齐全",
        },
    )
    assert _flash(done) == back
    closed = await item_repo.get(item.id)
    assert closed is not None and closed.status == "closed" and closed.result == "compliant"
    assert "已反馈（核查合格）" in (await first.get(back)).text


async def test_returning_without_a_reason_or_with_a_nul_is_refused_and_nothing_changes(
    client: Any, page_clients: Any
) -> None:
    _, _, case = await _issue(client)
    item = await _item(case)
    http, csrf = await _supervisor(page_clients)
    url = f"/supervise/items/{item.id}/return"
    version = str(item.row_version)
    empty = await http.post(url, data={"csrf_token": csrf, "expected_version": version})
    assert empty.status_code == 400 and "请填写退回理由" in empty.text
    assert 'aria-invalid="true"' in empty.text
    short = await http.post(
        url, data={"csrf_token": csrf, "expected_version": version, "reason": "否"}
    )
    assert short.status_code == 400 and "退回理由至少 2 个字" in short.text
    nul = await http.post(
        url, data={"csrf_token": csrf, "expected_version": version, "reason": "不是\x00我们的"}
    )
    assert nul.status_code == 400 and "NUL" in nul.text
    unchanged = await item_repo.get(item.id)
    assert unchanged is not None and unchanged.status == "pending"
    assert unchanged.row_version == item.row_version

    returned = await http.post(
        url,
        data={"csrf_token": csrf, "expected_version": version, "reason": "该场所属市场监管部门"},
    )
    assert _flash(returned) == f"/supervise/items/{item.id}"
    after = await item_repo.get(item.id)
    assert after is not None and after.status == "returned"
    assert after.returned_reason == "该场所属市场监管部门"


async def test_a_department_head_reads_the_console_but_may_not_claim(
    client: Any, page_clients: Any
) -> None:
    _, _, case = await _issue(client)
    item = await _item(case)
    username, _ = await staff_account("department_head", "health_inspection")
    http, csrf = await _page_login(page_clients, username, "/supervise")
    page = await http.get(f"/supervise/items/{item.id}")
    assert page.status_code == 200 and "认领</button>" not in page.text
    refused = await http.post(f"/supervise/items/{item.id}/claim", data={"csrf_token": csrf})
    assert refused.status_code == 403
    assert (await item_repo.get(item.id)).status == "pending"  # type: ignore[union-attr]


async def test_another_departments_supervisor_cannot_see_or_record_the_post_check(
    client: Any, page_clients: Any
) -> None:
    _, _, case = await _issue(client)
    check = await _check(case)
    item = await _item(case)
    http, csrf = await _supervisor(page_clients, "market_regulation")
    assert (await http.get(f"/supervise/items/{item.id}")).status_code == 404
    assert (await http.get(f"/supervise/post-checks/{check.id}")).status_code == 404
    posted = await http.post(
        f"/supervise/post-checks/{check.id}/result",
        data={"csrf_token": csrf, "expected_version": "1", "result": "fulfilled"},
        files={"evidence": ("a.pdf", PDF_BYTES, "application/pdf")},
    )
    assert posted.status_code == 404
    assert (await check_repo.get(check.id)).status == "open"  # type: ignore[union-attr]


async def test_a_false_commitment_with_evidence_the_holders_statement_and_the_revocation(
    client: Any, page_clients: Any
) -> None:
    holder_name, _, case = await _issue(client)
    check = await _check(case)
    http, csrf = await _supervisor(page_clients)
    url = f"/supervise/post-checks/{check.id}/result"
    base = {"csrf_token": csrf, "expected_version": str(check.row_version), "result": "false"}

    no_evidence = await http.post(
        url, data=base, files={"evidence": ("", b"", "application/octet-stream")}
    )
    assert no_evidence.status_code == 400 and "须上传证据材料" in no_evidence.text
    not_a_document = await http.post(
        url, data=base, files={"evidence": ("a.pdf", PNG_NOT_PDF, "application/pdf")}
    )
    assert not_a_document.status_code == 400 and "不是 PDF、JPEG 或 PNG" in not_a_document.text
    assert (await check_repo.get(check.id)).status == "open"  # type: ignore[union-attr]

    recorded = await http.post(
        url,
        data={**base, "finding": "现场无集中空调清洗记录"},
        files=[
            ("evidence", ("现场照片.pdf", PDF_BYTES, "application/pdf")),
            ("evidence", ("询问笔录.pdf", PDF_BYTES + b"%2", "application/pdf")),
        ],
    )
    assert _flash(recorded) == f"/supervise/post-checks/{check.id}"
    found = await check_repo.get(check.id)
    assert found is not None and found.status == "statement_period" and len(found.evidence) == 2
    shown = await http.get(f"/supervise/post-checks/{check.id}")
    assert "现场照片.pdf" in shown.text and "撤销决定由审批负责人作出" in shown.text

    # Someone else's statement page does not exist for them; the holder's does.
    other, other_csrf = await _page_login(
        page_clients, await applicant_account(), "/my/post-checks"
    )
    assert (await other.get(f"/my/post-checks/{check.id}")).status_code == 404
    stolen = await other.post(
        f"/my/post-checks/{check.id}", data={"csrf_token": other_csrf, "text": "替他申辩"}
    )
    assert stolen.status_code == 404
    holder, holder_csrf = await _page_login(page_clients, holder_name, "/my/post-checks")
    notice = await holder.get(f"/my/post-checks/{check.id}")
    assert "撤销许可告知" in notice.text and str(found.statement_due) in notice.text
    assert "现场照片.pdf" not in notice.text  # the supervisor's files are not the holder's
    forged = await holder.post(
        f"/my/post-checks/{check.id}", data={"csrf_token": "x", "text": "申辩"}
    )
    assert forged.status_code == 403
    too_short = await holder.post(
        f"/my/post-checks/{check.id}", data={"csrf_token": holder_csrf, "text": "否"}
    )
    assert too_short.status_code == 400 and "至少 2 个字" in too_short.text

    decider, decider_csrf = await _page_login(page_clients, "decider", "/supervise/post-checks")
    decision = f"/supervise/post-checks/{check.id}/decision"
    version = str((await check_repo.get(check.id)).row_version)  # type: ignore[union-attr]
    early = await decider.post(
        decision,
        data={
            "csrf_token": decider_csrf,
            "expected_version": version,
            "outcome": "revoke",
            "reasons": "承诺不实",
        },
    )
    assert _flash(early) == f"/supervise/post-checks/{check.id}"
    assert "陈述申辩期" in (await decider.get(f"/supervise/post-checks/{check.id}")).text

    stated = await holder.post(
        f"/my/post-checks/{check.id}",
        data={"csrf_token": holder_csrf, "text": "清洗记录在外包单位处，尚未取回"},
    )
    assert _flash(stated) == f"/my/post-checks/{check.id}"
    version = str((await check_repo.get(check.id)).row_version)  # type: ignore[union-attr]
    # A supervisor may not decide: the service says decision makers do.
    refused = await http.post(
        decision,
        data={
            "csrf_token": csrf,
            "expected_version": version,
            "outcome": "revoke",
            "reasons": "承诺不实",
        },
    )
    assert refused.status_code == 403
    no_reason = await decider.post(
        decision,
        data={"csrf_token": decider_csrf, "expected_version": version, "outcome": "revoke"},
    )
    assert no_reason.status_code == 400 and "请填写决定理由" in no_reason.text
    revoked = await decider.post(
        decision,
        data={
            "csrf_token": decider_csrf,
            "expected_version": version,
            "outcome": "revoke",
            "reasons": "陈述理由不成立，承诺不实",
        },
    )
    assert _flash(revoked) == f"/supervise/post-checks/{check.id}"
    assert (await check_repo.get(check.id)).status == "revoked"  # type: ignore[union-attr]
    cert = await client.get(
        f"/api/certificates/{case['certificate']['id']}", headers=await login(client, "admin")
    )
    assert cert.json()["status"] == "revoked"
    assert "已撤销许可" in (await holder.get(f"/my/post-checks/{check.id}")).text


async def test_an_unfulfilled_commitment_orders_a_correction_by_the_days_given(
    client: Any, page_clients: Any
) -> None:
    _, _, case = await _issue(client)
    check = await _check(case)
    http, csrf = await _supervisor(page_clients)
    url = f"/supervise/post-checks/{check.id}/result"
    base = {
        "csrf_token": csrf,
        "expected_version": str(check.row_version),
        "result": "not_fulfilled",
        "finding": "从业人员健康证明不全",
    }
    evidence = {"evidence": ("笔录.pdf", PDF_BYTES, "application/pdf")}
    for days in ("0", "91", "十"):
        bad = await http.post(url, data={**base, "correction_days": days}, files=evidence)
        assert bad.status_code == 400 and "整改期限须为 1 至 90 之间的整数" in bad.text
    assert (await check_repo.get(check.id)).status == "open"  # type: ignore[union-attr]
    ordered = await http.post(url, data={**base, "correction_days": "10"}, files=evidence)
    assert _flash(ordered) == f"/supervise/post-checks/{check.id}"
    after = await check_repo.get(check.id)
    assert after is not None and after.status == "correction_ordered" and after.correction_due
    page = await http.get(f"/supervise/post-checks/{check.id}")
    assert f"已责令于 {after.correction_due} 前改正" in page.text
    stale = await http.post(url, data={**base, "correction_days": "10"}, files=evidence)
    assert _flash(stale) == f"/supervise/post-checks/{check.id}"
    assert "该核查已被处理" in (await http.get(f"/supervise/post-checks/{check.id}")).text


# -- the approval side: every department's items, and reassigning a returned one -------------


async def _window_clerk(page_clients: Any) -> tuple[httpx.AsyncClient, str]:
    username, _ = await staff_account("window_staff", "health_approval")
    return await _page_login(page_clients, username, "/supervise")


async def _returned(client: Any, page_clients: Any) -> item_repo.Item:
    """A fresh item of health inspection, returned through the page by its supervisor."""
    _, _, case = await _issue(client)
    item = await _item(case)
    http, csrf = await _supervisor(page_clients)
    returned = await http.post(
        f"/supervise/items/{item.id}/return",
        data={
            "csrf_token": csrf,
            "expected_version": str(item.row_version),
            "reason": "该场所由医疗保障部门监管",
        },
    )
    assert _flash(returned) == f"/supervise/items/{item.id}"
    after = await item_repo.get(item.id)
    assert after is not None and after.status == "returned"
    return after


async def test_a_window_clerk_sees_every_department_and_reassigns_a_returned_item(
    client: Any, page_clients: Any
) -> None:
    item = await _returned(client, page_clients)
    market = await item_repo.get(
        next(
            i.id
            for i in await item_repo.of_application(item.application_id)
            if i.department == "market_regulation"
        )
    )
    assert market is not None
    clerk, csrf = await _window_clerk(page_clients)

    # Every department's items, with the department said; the returned ones easy to find.
    console = await clerk.get("/supervise")
    assert console.status_code == 200 and 'id="f-department"' in console.text
    assert "等待重新指派" in console.text and "查看已退回的事项" in console.text
    # Window staff find the console in the main navigation (they reassign returned items).
    assert '<a href="/supervise" aria-current="page">监管工作台</a>' in console.text
    row = await _find_row(clerk, "/supervise?state=returned", item.id)
    assert "已退回" in row and "市卫生健康综合监督执法局" in row
    assert 'class="badge warn"' in row
    await _find_row(clerk, "/supervise?department=market_regulation", market.id)
    inspection_only = await clerk.get("/supervise?department=market_regulation&state=returned")
    assert str(item.id) not in inspection_only.text
    assert (await clerk.get("/supervise?department=nowhere")).status_code == 400

    page = await clerk.get(f"/supervise/items/{item.id}")
    assert page.status_code == 200 and "重新指派</button>" in page.text
    assert "该场所由医疗保障部门监管" in page.text and "认领</button>" not in page.text
    # The department that returned it is not offered again.
    select = re.search(r'<select id="department".*?</select>', page.text, re.S)
    assert select and 'value="health_inspection"' not in select.group(0)
    assert 'value="medical_insurance"' in select.group(0)
    url = f"/supervise/items/{item.id}/reassign"
    version = _hidden(page.text, "expected_version")

    # Nothing chosen, or a department that is not a supervision department: said, unchanged.
    for department in ("", "health_approval"):
        bad = await clerk.post(
            url,
            data={"csrf_token": csrf, "expected_version": version, "department": department},
        )
        assert bad.status_code == 400 and "请选择监管部门" in bad.text
    same = await clerk.post(
        url,
        data={"csrf_token": csrf, "expected_version": version, "department": "health_inspection"},
    )
    assert same.status_code == 400 and "不是可指派的监管部门" in same.text
    assert (await item_repo.get(item.id)).row_version == item.row_version  # type: ignore[union-attr]

    done = await clerk.post(
        url,
        data={"csrf_token": csrf, "expected_version": version, "department": "medical_insurance"},
    )
    assert _flash(done) == f"/supervise/items/{item.id}"
    moved = await item_repo.get(item.id)
    assert moved is not None and moved.status == "pending"
    assert moved.department == "medical_insurance"
    shown = await clerk.get(f"/supervise/items/{item.id}")
    assert "已重新指派给市医疗保障局" in shown.text and "重新指派</button>" not in shown.text

    # A stale page (the old version) gets the service's 409 as a flash error.
    stale = await clerk.post(
        url,
        data={"csrf_token": csrf, "expected_version": version, "department": "market_regulation"},
    )
    assert _flash(stale) == f"/supervise/items/{item.id}"
    again = await clerk.get(f"/supervise/items/{item.id}")
    assert 'class="flash error"' in again.text and "已被处理" in again.text
    assert (await item_repo.get(item.id)).department == "medical_insurance"  # type: ignore[union-attr]

    # The new department's supervisor sees it in their console, and may claim it;
    # the department that returned it no longer sees it.
    insurer, insurer_csrf = await _supervisor(page_clients, "medical_insurance")
    row = await _find_row(insurer, "/supervise?state=pending", item.id)
    assert "待认领" in row
    item_page = await insurer.get(f"/supervise/items/{item.id}")
    assert "审批部门重新指派，推送至本部门" in item_page.text and "原部门退回理由" in item_page.text
    claimed = await insurer.post(
        f"/supervise/items/{item.id}/claim", data={"csrf_token": insurer_csrf}
    )
    assert _flash(claimed) == f"/supervise/items/{item.id}"
    inspector, _ = await _supervisor(page_clients)
    assert (await inspector.get(f"/supervise/items/{item.id}")).status_code == 404


async def test_a_supervisor_may_not_reassign_and_a_forged_token_changes_nothing(
    client: Any, page_clients: Any
) -> None:
    item = await _returned(client, page_clients)
    url = f"/supervise/items/{item.id}/reassign"
    data = {"expected_version": str(item.row_version), "department": "medical_insurance"}

    supervisor, csrf = await _supervisor(page_clients)
    page = await supervisor.get(f"/supervise/items/{item.id}")
    assert page.status_code == 200 and "重新指派</button>" not in page.text
    assert "等待审批部门重新指派" in page.text
    refused = await supervisor.post(url, data={**data, "csrf_token": csrf})
    assert refused.status_code == 403 and "无权访问" in refused.text

    head_name, _ = await staff_account("department_head", "health_inspection")
    head, head_csrf = await _page_login(page_clients, head_name, "/supervise")
    refused = await head.post(url, data={**data, "csrf_token": head_csrf})
    assert refused.status_code == 403

    clerk, _ = await _window_clerk(page_clients)
    for forged in ({"csrf_token": "forged"}, {}):
        response = await clerk.post(url, data={**data, **forged})
        assert response.status_code == 403 and "页面已过期" in response.text
    after = await item_repo.get(item.id)
    assert after is not None and after.status == "returned"
    assert after.department == "health_inspection" and after.row_version == item.row_version


async def test_the_approval_side_reads_items_and_post_checks_as_the_api_lets_it(
    client: Any, page_clients: Any
) -> None:
    _, _, case = await _issue(client)
    item = await _item(case)
    check = await _check(case)
    for role in ("window_staff", "decision_maker", "admin"):
        username, _ = await staff_account(role, "health_approval")
        http, csrf = await _page_login(page_clients, username, "/supervise")
        for path in (
            f"/supervise/items/{item.id}",
            "/supervise/post-checks",
            f"/supervise/post-checks/{check.id}",
        ):
            response = await http.get(path)
            assert response.status_code == 200, (role, path, response.status_code)
        # Reading is not acting: claiming is the department's supervisors' (the service's 403).
        refused = await http.post(f"/supervise/items/{item.id}/claim", data={"csrf_token": csrf})
        assert refused.status_code == 403, role
    for role in ("reviewer", "inspector"):
        username, _ = await staff_account(role, "medical_administration")
        http, _ = await _page_login(page_clients, username, "/work")
        for path in ("/supervise", f"/supervise/items/{item.id}", "/supervise/post-checks"):
            response = await http.get(path)
            assert response.status_code == 403 and "无权访问" in response.text, (role, path)
    assert (await item_repo.get(item.id)).status == "pending"  # type: ignore[union-attr]
