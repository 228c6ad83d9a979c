"""Every error leaves as JSON with a Chinese and an English message — in one place.

Domain errors map by kind; framework errors (malformed JSON, failed msgspec
validation, unknown route, body too large) are translated so that a client
always learns what to fix. Unexpected exceptions are logged and answered with
a 500 that leaks nothing; the tests treat any 500 as a bug.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from typing import Any

import asyncpg
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from approvals.domain.errors import DomainError, ErrorKind
from approvals.persistence.transactions import is_unique_violation
from approvals.web.schemas import ErrorBody, ErrorDetail

log = logging.getLogger("approvals.web")

STATUS_OF_KIND: dict[ErrorKind, int] = {
    ErrorKind.INVALID: 400,
    ErrorKind.UNAUTHENTICATED: 401,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.TOO_LARGE: 413,
    ErrorKind.REFUSED: 422,
    ErrorKind.TOO_MANY: 429,
}

_GENERIC: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "请求格式不正确。", "The request is malformed."),
    401: ("unauthenticated", "请先登录。", "Log in first."),
    403: ("forbidden", "您无权执行此操作。", "You may not do this."),
    404: ("not_found", "请求的资源不存在，请检查地址。", "Not found; check the URL."),
    405: ("method_not_allowed", "该地址不支持此请求方法。", "This method is not allowed here."),
    409: ("conflict", "数据已被他人修改，请刷新后重试。", "The data changed; reload and retry."),
    413: ("too_large", "请求内容过大。", "The request body is too large."),
    415: ("unsupported_media_type", "请求内容类型不受支持。", "Unsupported content type."),
    429: ("too_many_requests", "请求过于频繁，请稍后再试。", "Too many requests; retry later."),
}


def error_response(
    status: int, body: ErrorBody, headers: dict[str, str] | None = None
) -> Response[Any]:
    return Response(
        content=body, status_code=status, media_type="application/json", headers=headers
    )


def domain_error_handler(_: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    body = ErrorBody(
        code=exc.code,
        zh=exc.zh,
        en=exc.en,
        field=exc.field,
        errors=[ErrorDetail(p.code, p.zh, p.en, p.field) for p in exc.problems],
    )
    headers = {"WWW-Authenticate": "Bearer"} if exc.kind is ErrorKind.UNAUTHENTICATED else None
    if exc.kind is ErrorKind.TOO_MANY:
        headers = {"Retry-After": str(exc.retry_after or 60)}
    return error_response(STATUS_OF_KIND[exc.kind], body, headers)


_MSGSPEC_AT = re.compile(r"- at `\$(?P<path>[^`]*)`")


def _field_of(message: str) -> str | None:
    match = _MSGSPEC_AT.search(message)
    if not match:
        return None
    path = match.group("path").lstrip(".")
    return re.sub(r"\[(\d+)\]", r".\1", path) or None


def validation_handler(_: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    extra = exc.extra if isinstance(exc.extra, list) else []
    details = []
    for item in extra:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", ""))
        key = item.get("key")
        source = getattr(item.get("source"), "value", item.get("source"))
        field = _field_of(message) or (str(key) if key else None)
        if source and field and source != "body":
            field = f"{source}.{field}"
        details.append(
            ErrorDetail(
                code="invalid_value",
                zh=f"「{field or '请求体'}」的值不符合要求（类型、长度或格式有误），请修改。",
                en=message or "Invalid value.",
                field=field,
            )
        )
    detail = str(exc.detail or "")
    if not details:
        zh = (
            "请求内容不是有效的 JSON，请检查格式。"
            if "JSON" in detail or "decode" in detail.lower()
            else (f"请求内容不符合要求：{detail}")
        )
        details.append(ErrorDetail("invalid_request", zh, detail or "Invalid request.", None))
    first = details[0]
    return error_response(
        400,
        ErrorBody(
            code="validation_failed",
            zh=f"请求内容不符合要求，请修改后重试。{first.zh}",
            en=f"The request is invalid: {first.en}",
            field=first.field,
            errors=details,
        ),
    )


def http_exception_handler(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if status >= 500:
        return internal_error_handler(_, exc)
    code, zh, en = _GENERIC.get(status, ("http_error", "请求无法处理。", str(exc.detail)))
    if isinstance(exc, NotAuthorizedException):
        code, zh, en = _GENERIC[401]
    elif isinstance(exc, PermissionDeniedException):
        code, zh, en = _GENERIC[403]
    elif isinstance(exc, NotFoundException):
        code, zh, en = _GENERIC[404]
    detail = str(exc.detail or "")
    if status == 400 and detail:
        en = f"{en} {detail}"
    headers = dict(exc.headers or {})
    return error_response(status, ErrorBody(code=code, zh=zh, en=en), headers or None)


_TRANSIENT_PG = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.QueryCanceledError,  # statement_timeout
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.InterfaceError,
)


def _is_transient(exc: Exception) -> bool:
    """Worth a retry: the database is unreachable, busy or timed out — not a bug or bad data."""
    if isinstance(exc, (*_TRANSIENT_PG, ConnectionError, TimeoutError)):
        return True
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if is_unique_violation(exc):
        # Two requests raced to create the same thing; the loser learns it plainly.
        return error_response(
            409,
            ErrorBody(
                code="duplicate",
                zh="该记录已存在（可能已被他人同时提交）。",
                en="This record already exists (a concurrent request created it).",
            ),
        )
    if _is_transient(exc):
        log.exception("transient failure on %s %s", request.method, request.url.path)
        return error_response(
            503,
            ErrorBody(
                code="unavailable",
                zh="服务暂时繁忙，请稍后重试。",
                en="The service is temporarily unavailable; retry.",
            ),
            {"Retry-After": "2"},
        )
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(
        HTTP_500_INTERNAL_SERVER_ERROR,
        ErrorBody(
            code="internal_error",
            zh="系统内部错误，已记录，请稍后重试。",
            en="Internal error; it has been logged. Retry later.",
        ),
    )


def encoding_error_handler(_: Request[Any, Any, Any], exc: UnicodeDecodeError) -> Response[Any]:
    # Raised while decoding request parts (e.g. a multipart field without a filename
    # that carries binary data): the client's bytes, not our bug.
    return error_response(
        400,
        ErrorBody(
            code="bad_encoding",
            zh="请求内容不是有效的 UTF-8 文本；上传文件时请在表单字段中带上文件名。",
            en="Part of the request is not valid UTF-8; send files as parts with a filename.",
        ),
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: domain_error_handler,
    UnicodeDecodeError: encoding_error_handler,
    ValidationException: validation_handler,
    HTTPException: http_exception_handler,
    Exception: internal_error_handler,
}


def error_responses(*statuses: int) -> dict[int, Any]:
    """OpenAPI ``responses=`` for a route: each listed status carries an ErrorBody."""
    from litestar.openapi.datastructures import ResponseSpec

    descriptions = {
        400: "Malformed or invalid request (what to fix is in `errors`)",
        401: "Not logged in, or the token is unknown or expired",
        403: "Logged in, but this role or account may not do this",
        404: "No such resource (or not visible to you)",
        409: "Conflict with the current state; reload and retry",
        413: "Body too large",
        415: "Wrong Content-Type (this route takes application/json)",
        422: "Understood but refused by a business rule (every failed check in `errors`)",
        429: "Too many attempts; retry after the time in Retry-After",
    }
    return {
        s: ResponseSpec(data_container=ErrorBody, description=descriptions.get(s, "Error"))
        for s in statuses
    }
