"""Log-in, sessions, CSRF and role checks."""

from __future__ import annotations

from typing import Any

from factories import DEMO_PASSWORD, hygiene_application, login, new_applicant


async def test_wrong_password_and_unknown_user_get_the_same_401(client: Any) -> None:
    wrong = await client.post("/api/auth/login", json={"username": "applicant", "password": "nope"})
    unknown = await client.post("/api/auth/login", json={"username": "nobody", "password": "nope"})

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["zh"] == "用户名或密码错误。"


async def test_a_forged_bearer_token_is_refused(client: Any) -> None:
    response = await client.get("/api/auth/me", headers={"Authorization": "Bearer forged-token"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["en"]


async def test_a_request_without_credentials_is_refused_with_a_chinese_message(client: Any) -> None:
    response = await client.get("/api/applications")
    assert response.status_code == 401
    assert "登录" in response.json()["zh"]


async def test_bearer_session_identifies_the_account_and_its_roles(client: Any) -> None:
    headers = await login(client, "decider")
    me = (await client.get("/api/auth/me", headers=headers)).json()
    assert me["username"] == "decider"
    assert me["roles"] == ["decision_maker"]
    assert me["department"] == "health_approval"


async def test_logout_ends_the_session_at_once(client: Any) -> None:
    headers = await login(client)
    assert (await client.post("/api/auth/logout", headers=headers)).status_code == 204
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 401


async def test_cookie_session_is_httponly_and_state_changes_need_the_csrf_token(
    client: Any,
) -> None:
    import httpx

    response = await client.post(
        "/api/auth/login",
        json={"username": "applicant", "password": DEMO_PASSWORD, "session": "cookie"},
    )
    assert response.status_code == 200
    assert response.json()["token"] is None
    set_cookie = response.headers["set-cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie
    csrf = response.json()["account"]["csrf_token"]
    cookie = response.cookies["hs_session"]

    browser = httpx.AsyncClient(
        transport=client._transport, base_url=str(client.base_url), cookies={"hs_session": cookie}
    )
    async with browser:
        assert (await browser.get("/api/auth/me")).status_code == 200
        body = await hygiene_application(client)
        refused = await browser.post("/api/applications", json=body)
        assert refused.status_code == 403
        assert refused.json()["code"] == "csrf_failed"
        accepted = await browser.post(
            "/api/applications", json=body, headers={"X-CSRF-Token": csrf}
        )
        assert accepted.status_code == 201, accepted.text


async def test_roles_are_enforced_on_every_filing_endpoint(client: Any) -> None:
    for username in ("window", "reviewer", "inspector", "decider", "supervisor", "head", "admin"):
        headers = await login(client, username)
        body = await hygiene_application(client)
        assert (
            await client.post("/api/applications", json=body, headers=headers)
        ).status_code == 403
        upload = await client.post(
            "/api/materials",
            files={"file": ("a.pdf", b"%PDF-1.4", "application/pdf")},
            headers=headers,
        )
        # Applicants upload filing materials; supervisors upload post-check evidence.
        assert upload.status_code == (201 if username == "supervisor" else 403), upload.text


async def test_supervisors_do_not_see_the_approval_case_list(client: Any) -> None:
    applicant = await new_applicant(client)
    created = await client.post(
        "/api/applications", json=await hygiene_application(client), headers=applicant
    )
    supervisor = await login(client, "supervisor")
    case = created.json()["application"]["id"]
    assert (await client.get(f"/api/applications/{case}", headers=supervisor)).status_code == 404
    listing = (await client.get("/api/applications", headers=supervisor)).json()
    assert listing["items"] == []


async def test_repeated_wrong_passwords_lock_that_username_for_a_while(client: Any) -> None:
    headers = await new_applicant(client)
    me = (await client.get("/api/auth/me", headers=headers)).json()["username"]
    for _ in range(5):
        wrong = await client.post("/api/auth/login", json={"username": me, "password": "wrong"})
        assert wrong.status_code == 401

    locked = await client.post("/api/auth/login", json={"username": me, "password": DEMO_PASSWORD})

    assert locked.status_code == 429
    assert locked.headers["retry-after"]
    assert "登录失败次数过多" in locked.json()["zh"]
    other = await client.post(
        "/api/auth/login", json={"username": "decider", "password": DEMO_PASSWORD}
    )
    assert other.status_code == 200
