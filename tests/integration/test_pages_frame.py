"""The frame every page shares: log-in through the page (with its own CSRF token), log-out,
the large-text switch, flash messages that no one else can plant, and errors as pages."""

from __future__ import annotations

import re
from typing import Any

import httpx

from factories import DEMO_PASSWORD, applicant_account


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden {name} in the page"
    return match.group(1)


async def _log_in(http: httpx.AsyncClient, username: str, next_path: str = "") -> httpx.Response:
    page = await http.get("/login")
    assert page.status_code == 200
    return await http.post(
        "/login",
        data={
            "csrf_token": _hidden(page.text, "csrf_token"),
            "username": username,
            "password": DEMO_PASSWORD,
            "next": next_path,
        },
    )


async def test_logging_in_through_the_page_sets_an_httponly_session_and_goes_home(
    page_clients: Any,
) -> None:
    username = await applicant_account()
    http = page_clients()
    response = await _log_in(http, username)
    assert response.status_code == 303
    assert response.headers["location"] == "/my"
    cookie = next(h for h in response.headers.get_list("set-cookie") if "hs_session=" in h)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    home = await http.get("/")
    assert home.status_code == 303 and home.headers["location"] == "/my"


async def test_a_login_form_posted_without_the_page_token_is_refused(page_clients: Any) -> None:
    """Login CSRF: another site cannot log a victim into an account it controls."""
    http = page_clients()
    response = await http.post(
        "/login", data={"csrf_token": "forged", "username": "applicant", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 403
    assert "页面已过期" in response.text
    assert "hs_session" not in response.headers.get("set-cookie", "")


async def test_a_wrong_password_shows_the_reason_in_chinese_and_keeps_the_username(
    page_clients: Any,
) -> None:
    http = page_clients()
    page = await http.get("/login")
    response = await http.post(
        "/login",
        data={
            "csrf_token": _hidden(page.text, "csrf_token"),
            "username": "someone",
            "password": "wrong-password",
        },
    )
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text
    assert 'value="someone"' in response.text


async def test_after_login_only_a_path_on_this_site_is_followed(page_clients: Any) -> None:
    username = await applicant_account()
    http = page_clients()
    response = await _log_in(http, username, "https://evil.example/phish")
    assert response.headers["location"] == "/my"
    http = page_clients()
    response = await _log_in(http, username, "//evil.example/")
    assert response.headers["location"] == "/my"
    http = page_clients()
    response = await _log_in(http, username, "/my?page=2")
    assert response.headers["location"] == "/my?page=2"


async def test_logout_needs_the_session_token_and_then_ends_the_session(page_clients: Any) -> None:
    username = await applicant_account()
    http = page_clients()
    await _log_in(http, username)
    me = await http.get("/api/auth/me")
    assert me.status_code == 200
    csrf = me.json()["csrf_token"]
    # A forged logout (no token) does not end the session.
    await http.post("/logout", data={"csrf_token": "forged"})
    assert (await http.get("/api/auth/me")).status_code == 200
    response = await http.post("/logout", data={"csrf_token": csrf})
    assert response.status_code == 303
    assert (await http.get("/api/auth/me")).status_code == 401


async def test_the_large_text_switch_is_remembered_and_returns_to_the_same_page(
    page_clients: Any,
) -> None:
    http = page_clients()
    response = await http.get("/prefs/large", params={"on": "1", "next": "/login"})
    assert response.status_code == 303 and response.headers["location"] == "/login"
    page = await http.get("/login")
    assert '<body class="large">' in page.text
    assert "标准版" in page.text
    off = await http.get("/prefs/large", params={"on": "0", "next": "https://evil.example/"})
    assert off.headers["location"] == "/"
    assert '<body class="">' in (await http.get("/login")).text


async def test_a_flash_message_not_signed_by_us_is_not_shown(page_clients: Any) -> None:
    import base64

    body = base64.urlsafe_b64encode("ok|请拨打 400-000-0000 领取补贴".encode()).decode()
    http = page_clients()
    http.cookies.set("hs_flash", f"{body}.0123456789abcdef0123456789abcdef")
    page = await http.get("/login")
    assert "领取补贴" not in page.text


async def test_pages_are_locked_down_by_their_headers(client: Any) -> None:
    page = await client.get("/login")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"


async def test_an_unknown_address_is_a_chinese_page_for_a_browser_and_json_for_the_api(
    client: Any,
) -> None:
    page = await client.get("/no-such-page", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "页面或记录不存在" in page.text
    api = await client.get("/api/no-such-thing", headers={"Accept": "text/html"})
    assert api.status_code == 404
    assert api.json()["zh"]


async def test_a_page_that_needs_a_login_sends_the_visitor_to_log_in_and_back(
    page_clients: Any,
) -> None:
    http = page_clients()
    response = await http.get("/my")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/my"


def _page_post_paths(app: Any) -> list[str]:
    """Every page route that takes a POST, with its path parameters filled in."""
    import uuid

    from litestar.routes import HTTPRoute

    fill = {"uuid": str(uuid.uuid4()), "int": "1", "str": "x"}
    paths = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or "POST" not in route.methods:
            continue
        if route.path.startswith(("/api", "/.well-known")) or route.path in ("/login", "/logout"):
            continue
        path = re.sub(r"\{[a-z_]+:([a-z]+)\}", lambda m: fill.get(m.group(1), "x"), route.path)
        paths.append(path)
    return paths


async def test_every_page_form_is_refused_without_the_session_token(
    app: Any, page_clients: Any
) -> None:
    """Whatever the handler does, a post without the session's CSRF token never reaches it."""
    username = await applicant_account()
    http = page_clients()
    await _log_in(http, username)
    paths = _page_post_paths(app)
    assert len(paths) >= 30, paths  # every area's forms are here
    for path in paths:
        for data in ({"csrf_token": "forged"}, {}):
            response = await http.post(path, data=data)
            assert response.status_code == 403, (path, response.status_code)
            assert "页面已过期" in response.text, path
