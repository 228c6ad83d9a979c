"""Log-in and log-out."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.exceptions import HTTPException
from litestar.params import JSONBody

from approvals.web.errors import error_responses
from approvals.web.schemas import LoginRequest, LoginResponse, Me
from approvals.web.security import COOKIE_NAME, PrincipalDep, ServicesDep, logged_in


def me_of(principal: PrincipalDep) -> Me:
    return Me(
        id=principal.account_id,
        username=principal.username,
        display_name=principal.display_name,
        roles=sorted(r.value for r in principal.roles),
        department=principal.department,
        csrf_token=principal.csrf_token,
    )


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @post(
        "/login",
        operation_id="login",
        summary="Log in: a bearer token for API clients, or a session cookie for pages",
        responses=error_responses(400, 401, 415, 429),
        status_code=200,
    )
    async def login(
        self, request: Request[Any, Any, Any], data: JSONBody[LoginRequest], services: ServicesDep
    ) -> Response[LoginResponse]:
        # Only JSON: a cross-site HTML form can post text/plain that parses as JSON and
        # would log the victim into the attacker's account (login CSRF).
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            raise HTTPException(status_code=415, detail="Content-Type must be application/json")
        session = await services.sessions.login(data.username, data.password, data.session)
        body = LoginResponse(
            token_type="cookie" if data.session == "cookie" else "bearer",
            expires_in=session.expires_in,
            account=me_of(session.principal),
            token=None if data.session == "cookie" else session.token,
        )
        cookies = []
        if data.session == "cookie":
            cookies.append(
                Cookie(
                    key=COOKIE_NAME,
                    value=session.token,
                    max_age=session.expires_in,
                    httponly=True,
                    samesite="lax",
                    secure=services.settings.cookie_secure,
                    path="/",
                )
            )
        return Response(body, cookies=cookies, headers={"Cache-Control": "no-store"})

    @post(
        "/logout",
        operation_id="logout",
        summary="End the current session (bearer or cookie)",
        guards=[logged_in],
        responses=error_responses(401, 403),
        status_code=204,
    )
    async def logout(
        self, request: Request[Any, Any, Any], principal: PrincipalDep, services: ServicesDep
    ) -> Response[None]:
        await services.sessions.logout(request.state.session_token, principal)
        response: Response[None] = Response(None, status_code=204)
        response.delete_cookie(COOKIE_NAME, path="/")
        return response

    @get(
        "/me",
        operation_id="me",
        summary="Who am I",
        guards=[logged_in],
        responses=error_responses(401),
    )
    async def me(self, principal: PrincipalDep) -> Me:
        return me_of(principal)
