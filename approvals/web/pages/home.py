"""The front door: home, log-in and log-out, and the large-text switch."""

from __future__ import annotations

import hmac
from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template

from approvals.domain.errors import DomainError
from approvals.web.pages.base import (
    CSRF_PAGE_ZH,
    LARGE_COOKIE,
    LOGIN_CSRF_COOKIE,
    current_principal,
    home_of,
    new_login_csrf,
    redirect,
    render,
    safe_next,
    services_of,
)
from approvals.web.security import COOKIE_NAME

AnyRequest = Request[Any, Any, Any]


class HomePages(Controller):
    include_in_schema = False

    @get("/")
    async def home(self, request: AnyRequest) -> Template | Redirect:
        principal = await current_principal(request)
        if principal is not None:
            return Redirect(path=home_of(principal), status_code=303)
        return render(request, "home.html")

    @get("/login")
    async def login_page(self, request: AnyRequest) -> Template | Redirect:
        principal = await current_principal(request)
        target = safe_next(request.query_params.get("next"), "")
        if principal is not None:
            return Redirect(path=target or home_of(principal), status_code=303)
        return _login_form(request, target)

    @post("/login")
    async def login(self, request: AnyRequest) -> Template | Redirect:
        form = await request.form()
        target = safe_next(str(form.get("next", "")), "")
        # Login CSRF: the form's token must match the cookie this site set with the form
        # (a cross-site form cannot read or set it).
        sent = str(form.get("csrf_token", ""))
        expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
            return _login_form(request, target, "页面已过期，请重新输入用户名和密码后登录。", 403)
        username = str(form.get("username", "")).strip()
        password = str(form.get("password", ""))
        if not username or not password or "\x00" in username + password:
            return _login_form(request, target, "请输入用户名和密码。", 400, username)
        if len(username) > 64 or len(password) > 256:
            return _login_form(request, target, "用户名或密码过长。", 400)
        services = services_of(request)
        try:
            session = await services.sessions.login(username, password, "cookie")
        except DomainError as error:
            status = 429 if error.code == "too_many_login_attempts" else 401
            return _login_form(request, target, error.zh, status, username)
        return Redirect(
            path=target or home_of(session.principal),
            status_code=303,
            cookies=[
                Cookie(
                    key=COOKIE_NAME,
                    value=session.token,
                    max_age=session.expires_in,
                    httponly=True,
                    samesite="lax",
                    secure=services.settings.cookie_secure,
                    path="/",
                ),
                Cookie(key=LOGIN_CSRF_COOKIE, value="", max_age=0, path="/login"),
            ],
        )

    @post("/logout")
    async def logout(self, request: AnyRequest) -> Redirect:
        """Ends the session. A post without the session's token (a forged cross-site
        log-out) changes nothing, not even the cookie."""
        principal = await current_principal(request)
        if principal is None:
            return Redirect(path="/login", status_code=303)
        form = await request.form()
        sent = str(form.get("csrf_token", ""))
        if not hmac.compare_digest(sent.encode(), principal.csrf_token.encode()):
            return redirect(request, home_of(principal), CSRF_PAGE_ZH, "error")
        await services_of(request).sessions.logout(request.state.session_token, principal)
        response = redirect(request, "/login", "您已安全退出。")
        response.cookies.append(Cookie(key=COOKIE_NAME, value="", max_age=0, path="/"))
        return response

    @get("/prefs/large")
    async def large_text(self, request: AnyRequest) -> Redirect:
        """Switch the large-text, high-contrast mode (长者版) on or off; remembered for a year."""
        on = request.query_params.get("on") == "1"
        target = safe_next(request.query_params.get("next"), "/")
        return Redirect(
            path=target,
            status_code=303,
            cookies=[
                Cookie(
                    key=LARGE_COOKIE,
                    value="1" if on else "0",
                    max_age=365 * 86400,
                    path="/",
                    samesite="lax",
                )
            ],
        )


def _login_form(
    request: AnyRequest,
    target: str,
    error: str | None = None,
    status: int = 200,
    username: str = "",
) -> Template:
    token = new_login_csrf()
    return render(
        request,
        "login.html",
        status_code=status,
        cookies=[
            Cookie(
                key=LOGIN_CSRF_COOKIE, value=token, httponly=True, samesite="strict", path="/login"
            )
        ],
        login_csrf=token,
        error=error,
        next=target,
        username=username,
    )
