"""Who is calling: sessions from a bearer token or a cookie, and role guards.

A guard resolves the caller once and leaves the principal on the request's
state for the handler's ``principal`` dependency. Cookie-authenticated requests
that change state must echo the session's CSRF token in ``X-CSRF-Token``; bearer-token
clients are not exposed to CSRF.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler

from approvals.domain.errors import DomainError, ErrorKind, forbidden
from approvals.domain.people import Principal, Role
from approvals.services.context import Services

COOKIE_NAME = "hs_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

UNAUTHENTICATED = DomainError(
    ErrorKind.UNAUTHENTICATED,
    "unauthenticated",
    "请先登录（登录已过期或凭据无效）。",
    "Log in first: the session is missing, expired or invalid.",
)
CSRF_FAILED = DomainError(
    ErrorKind.FORBIDDEN,
    "csrf_failed",
    "页面已过期或请求来源不可信，请刷新页面后重试。",
    "Missing or wrong CSRF token; reload the page and retry.",
)

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]


def _bearer(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


async def authenticate(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    cached = connection.state.get("principal")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    services: Services = connection.app.state.services
    token = _bearer(connection)
    via_cookie = token is None
    if via_cookie:
        token = connection.cookies.get(COOKIE_NAME)
    principal = await services.sessions.resolve(token or "")
    if principal is None:
        raise UNAUTHENTICATED
    if via_cookie and connection.scope.get("method", "GET") not in SAFE_METHODS:
        sent = connection.headers.get("x-csrf-token", "")
        if not sent or not hmac.compare_digest(sent.encode(), principal.csrf_token.encode()):
            raise CSRF_FAILED
    connection.state.principal = principal
    connection.state.session_token = token
    return principal


def requires(*roles: Role) -> Guard:
    """Guard: the caller is logged in and, if roles are given, holds one of them."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = await authenticate(connection)
        if roles and not principal.has(*roles):
            names = "、".join(sorted(r.value for r in roles))
            raise forbidden(
                "您的账号角色无权访问此功能。",
                f"This needs one of the roles: {names}.",
            )

    return guard


logged_in = requires()


async def provide_principal(
    request: Request[Any, Any, Any], services: NamedDependency[Services]
) -> Principal:
    # Depending on ``services`` puts the two dependencies in separate batches:
    # Litestar resolves a batch of several in a task group, a task per request.
    return await authenticate(request)


async def provide_services(request: Request[Any, Any, Any]) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


# Handlers name their dependencies explicitly (inferred ones end with Litestar 3).
ServicesDep = NamedDependency[Services]
PrincipalDep = NamedDependency[Principal]
