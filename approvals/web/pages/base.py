"""What every page shares: who is calling (the session cookie), CSRF on forms, flash
messages, the large-text mode, rendering, and errors as pages in Chinese.

Pages call the same services as the API with the same principal, so a page can never
show or do more than the API would let the same person see or do. Forms post
``application/x-www-form-urlencoded`` (or multipart for uploads) with a hidden
``csrf_token`` that must equal the session's; a page handler checks it with
:func:`form_of` before it acts, then redirects (POST/redirect/GET) with a flash message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from approvals.domain.errors import DomainError, ErrorKind
from approvals.domain.people import ROLE_NAMES_ZH, Principal, Role
from approvals.repository import accounts as account_repo
from approvals.services.context import Services
from approvals.web.security import COOKIE_NAME

AnyRequest = Request[Any, Any, Any]
STATIC = Path(__file__).resolve().parents[1] / "static"

LARGE_COOKIE = "hs_large"
FLASH_COOKIE = "hs_flash"
LOGIN_CSRF_COOKIE = "hs_login_csrf"

# Our pages load only our own CSS and JS; nothing inline, nothing from elsewhere.
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
PAGE_HEADERS = {"Cache-Control": "no-store", "Content-Security-Policy": PAGE_CSP}

# Where each role starts, and the navigation it sees (label, path), in order.
HOME_OF: list[tuple[Role, str]] = [
    (Role.ADMIN, "/admin"),
    (Role.SUPERVISOR, "/supervise"),
    (Role.WINDOW_STAFF, "/work"),
    (Role.REVIEWER, "/work"),
    (Role.INSPECTOR, "/work"),
    (Role.DECISION_MAKER, "/work"),
    (Role.DEPARTMENT_HEAD, "/work"),
    (Role.APPLICANT, "/my"),
]
NAV: list[tuple[str, str, frozenset[Role]]] = [
    ("一键导航", "/guide", frozenset({Role.APPLICANT})),
    ("我的办件", "/my", frozenset({Role.APPLICANT})),
    (
        "审批工作台",
        "/work",
        frozenset(
            {
                Role.WINDOW_STAFF,
                Role.REVIEWER,
                Role.INSPECTOR,
                Role.DECISION_MAKER,
                Role.DEPARTMENT_HEAD,
            }
        ),
    ),
    # Window staff and administrators reassign items a department returned
    # (services.supervision.reassign); decision makers reach it from 事后核查's tabs.
    (
        "监管工作台",
        "/supervise",
        frozenset({Role.SUPERVISOR, Role.DEPARTMENT_HEAD, Role.WINDOW_STAFF, Role.ADMIN}),
    ),
    # Decision makers decide revocations after a false commitment (services.post_checks).
    ("事后核查", "/supervise/post-checks", frozenset({Role.DECISION_MAKER})),
    (
        "统计分析",
        "/stats",
        frozenset({Role.DECISION_MAKER, Role.DEPARTMENT_HEAD, Role.SUPERVISOR, Role.ADMIN}),
    ),
    ("系统管理", "/admin", frozenset({Role.ADMIN})),
]


class LoginRequired(Exception):
    """No valid session: the page handler turns this into a redirect to /login."""


class PageForbidden(Exception):
    """Logged in, but this page is not for the caller's roles."""

    def __init__(self, zh: str = "您的账号角色无权访问此页面。") -> None:
        super().__init__(zh)
        self.zh = zh


def services_of(request: AnyRequest) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


async def current_principal(request: AnyRequest) -> Principal | None:
    """The caller from the session cookie, or None. Never checks CSRF: GET pages only
    read; forms are checked by :func:`form_of`."""
    cached = request.state.get("page_principal")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    token = request.cookies.get(COOKIE_NAME, "")
    if not token or len(token) > 512:
        return None
    principal = await services_of(request).sessions.resolve(token)
    if principal is not None:
        request.state.page_principal = principal
        request.state.session_token = token
        if principal.department:
            names = await _department_names()
            request.state.department_name = names.get(principal.department, principal.department)
    return principal


_DEPARTMENTS: dict[str, Any] = {"at": -1e9, "names": {}}


async def _department_names() -> dict[str, str]:
    """Department code → name for the page header; departments change rarely (a minute)."""
    if time.monotonic() - _DEPARTMENTS["at"] > 60:
        _DEPARTMENTS["names"] = await account_repo.department_names()
        _DEPARTMENTS["at"] = time.monotonic()
    return _DEPARTMENTS["names"]  # type: ignore[no-any-return]


async def require(request: AnyRequest, *roles: Role) -> Principal:
    """The caller, who must be logged in and (if roles are given) hold one of them."""
    principal = await current_principal(request)
    if principal is None:
        raise LoginRequired
    if roles and not principal.has(*roles):
        raise PageForbidden
    return principal


def home_of(principal: Principal) -> str:
    for role, path in HOME_OF:
        if principal.has(role):
            return path
    return "/"


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path on this site: never an absolute URL (open redirect)."""
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


# --- forms and CSRF -------------------------------------------------------------------

CSRF_PAGE_ZH = "页面已过期或请求来源不可信，请刷新页面后重新提交。"


async def form_of(request: AnyRequest, principal: Principal) -> dict[str, Any]:
    """The posted form as a plain dict (lists for repeated names), after the CSRF check.

    Text fields have NUL bytes refused and surrounding blanks stripped."""
    form = await request.form()
    sent = form.get("csrf_token", "")
    if not isinstance(sent, str) or not hmac.compare_digest(
        sent.encode(), principal.csrf_token.encode()
    ):
        raise HTTPException(status_code=403, detail=CSRF_PAGE_ZH)
    out: dict[str, Any] = {}
    for key in form:
        values = form.getall(key)
        clean: list[Any] = []
        for value in values:
            if isinstance(value, str):
                if "\x00" in value:
                    raise HTTPException(status_code=400, detail="提交的内容含有非法字符（NUL）。")
                value = value.strip()
            clean.append(value)
        out[key] = clean if len(clean) > 1 or key.endswith("[]") else clean[0]
    out.pop("csrf_token", None)
    return out


# These two check their own tokens: the log-in form's is not a session's, and a forged
# log-out answers with a page rather than an error.
OWN_TOKEN_PATHS = frozenset({"/login", "/logout"})


async def csrf_guard(request: AnyRequest) -> None:
    """Before every page handler that changes state: a session, and the session's CSRF
    token in the posted form. Handlers check again in :func:`form_of`; this guard makes a
    handler that forgets to do so still safe. (The parsed form is cached on the request.)"""
    if request.method in ("GET", "HEAD", "OPTIONS") or request.url.path in OWN_TOKEN_PATHS:
        return
    principal = await current_principal(request)
    if principal is None:
        raise LoginRequired
    sent = (await request.form()).get("csrf_token", "")
    if not isinstance(sent, str) or not hmac.compare_digest(
        sent.encode(), principal.csrf_token.encode()
    ):
        raise HTTPException(status_code=403, detail=CSRF_PAGE_ZH)


def as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def form_version(form: Mapping[str, Any]) -> int | None:
    """The row version a form was made from (hidden ``expected_version``), or None when it
    is not a version: ASCII digits only (``str.isdigit`` also admits "²" or "①", which
    ``int`` refuses), within the database's integer range."""
    raw = form.get("expected_version", "")
    if not isinstance(raw, str) or not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        return None
    value = int(raw)
    return value if 1 <= value < 2**31 else None


def echoed(form: Mapping[str, Any] | None) -> dict[str, Any]:
    """The posted values a form shows again with its errors: text, and lists of text, only.
    (A file posted where text belongs, or among ticked boxes, is not shown back: templates
    read these values as text.)"""
    return {
        key: value
        for key, value in (form or {}).items()
        if isinstance(value, str)
        or (isinstance(value, list) and all(isinstance(v, str) for v in value))
    }


# --- flash messages (signed, so no other site can plant text on our pages) -------------


def _flash_sig(secret: bytes, body: str) -> str:
    return hmac.new(secret + b"|flash", body.encode(), hashlib.sha256).hexdigest()[:32]


def flash_cookie(services: Services, message: str, kind: str = "ok") -> Cookie:
    body = base64.urlsafe_b64encode(f"{kind}|{message}".encode()).decode()
    value = f"{body}.{_flash_sig(services.settings.secret, body)}"
    return Cookie(key=FLASH_COOKIE, value=value, path="/", httponly=True, samesite="lax")


def read_flash(request: AnyRequest) -> dict[str, str] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw or "." not in raw or len(raw) > 4096:
        return None
    body, _, sig = raw.rpartition(".")
    expected = _flash_sig(services_of(request).settings.secret, body)
    if not hmac.compare_digest(sig, expected):
        return None
    try:
        kind, _, message = base64.urlsafe_b64decode(body).decode().partition("|")
    except (ValueError, UnicodeDecodeError):
        return None
    return {"kind": kind if kind in ("ok", "error") else "ok", "message": message}


def redirect(
    request: AnyRequest, to: str, message: str | None = None, kind: str = "ok"
) -> Redirect:
    """POST/redirect/GET, with an optional flash message shown once on the next page."""
    cookies = [flash_cookie(services_of(request), message, kind)] if message else []
    return Redirect(
        path=to, status_code=303, cookies=cookies, headers={"Cache-Control": "no-store"}
    )


# --- rendering --------------------------------------------------------------------------


def is_large(request: AnyRequest) -> bool:
    query: str | None = request.query_params.get("large")
    if query in ("0", "1"):
        return query == "1"
    return bool(request.cookies.get(LARGE_COOKIE) == "1")


def render(
    request: AnyRequest,
    template: str,
    principal: Principal | None = None,
    *,
    status_code: int = 200,
    cookies: list[Cookie] | None = None,
    **context: Any,
) -> Template:
    """A page from ``templates/pages``, with what the layout needs (user, nav, CSRF token,
    the flash message, large-text mode)."""
    principal = principal or request.state.get("page_principal")
    flash = read_flash(request)
    cookies = list(cookies or [])
    if flash is not None:
        cookies.append(Cookie(key=FLASH_COOKIE, value="", max_age=0, path="/"))
    nav = []
    if principal is not None:
        nav = [(label, path) for label, path, roles in NAV if principal.has(*roles)]
    return Template(
        f"pages/{template}",
        context={
            "me": principal,
            "role_names": (
                "、".join(ROLE_NAMES_ZH[r] for r in sorted(principal.roles)) if principal else ""
            ),
            "nav": nav,
            "csrf": principal.csrf_token if principal else "",
            "department_name": request.state.get("department_name", ""),
            "flash": flash,
            "large": is_large(request),
            "path": request.url.path,
            "full_path": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            **context,
        },
        status_code=status_code,
        media_type="text/html",
        headers=PAGE_HEADERS,
        cookies=cookies,
    )


def error_page(request: AnyRequest, status: int, title: str, message: str) -> Response[Any]:
    return render(request, "error.html", status_code=status, title=title, message=message)


# --- errors as pages --------------------------------------------------------------------

TITLES = {
    400: "提交的内容有误",
    401: "请先登录",
    403: "无权访问",
    404: "页面或记录不存在",
    409: "办件状态已变化",
    413: "文件过大",
    422: "无法办理",
    429: "操作过于频繁",
}


def _login_redirect(request: AnyRequest) -> Response[Any]:
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(path=f"/login?next={quote(path)}", status_code=303)


def page_exception_handler(request: AnyRequest, exc: Exception) -> Response[Any]:
    if isinstance(exc, LoginRequired):
        return _login_redirect(request)
    if isinstance(exc, PageForbidden):
        return error_page(request, 403, TITLES[403], exc.zh)
    if isinstance(exc, DomainError):
        if exc.kind is ErrorKind.UNAUTHENTICATED:
            return _login_redirect(request)
        from approvals.web.errors import STATUS_OF_KIND

        status = STATUS_OF_KIND[exc.kind]
        detail = exc.zh
        if exc.problems:
            detail += " " + "；".join(p.zh for p in exc.problems)
        return error_page(request, status, TITLES.get(status, "无法办理"), detail)
    if isinstance(exc, NotFoundException):
        return error_page(request, 404, TITLES[404], "您访问的页面或记录不存在，请检查链接。")
    if isinstance(exc, HTTPException):
        status = exc.status_code
        detail = exc.detail if any("\u4e00" <= c <= "\u9fff" for c in exc.detail) else ""
        if status == 413:
            detail = "上传的文件或提交的内容过大，请压缩后重试。"
        return error_page(
            request, status, TITLES.get(status, "请求有误"), detail or "请求有误，请返回后重试。"
        )
    import logging

    logging.getLogger("approvals").exception(
        "unhandled error on page %s %s", request.method, request.url.path
    )
    return error_page(
        request,
        HTTP_500_INTERNAL_SERVER_ERROR,
        "系统内部错误",
        "系统内部错误，已记录，请稍后重试。",
    )


# Litestar picks the handler by the exception's class across all layers, so the app's
# JSON handlers for these classes would win over a page router's ``Exception`` alone.
PAGE_EXCEPTION_HANDLERS: Mapping[Any, Any] = dict.fromkeys(
    (Exception, HTTPException, NotFoundException, ValidationException, DomainError),
    page_exception_handler,
)


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)
