"""Domain errors: each says, in Chinese and in English, what went wrong and what to fix.

The web layer maps ``kind`` to an HTTP status in one place
(``approvals.web.errors``); nothing else decides statuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from enum import StrEnum


class ErrorKind(StrEnum):
    INVALID = "invalid"  # the request itself is wrong: 400/422
    UNAUTHENTICATED = "unauthenticated"  # 401
    FORBIDDEN = "forbidden"  # 403
    NOT_FOUND = "not_found"  # 404
    CONFLICT = "conflict"  # 409: the state changed under the caller
    REFUSED = "refused"  # 422: understood, but a business rule says no
    TOO_LARGE = "too_large"  # 413
    TOO_MANY = "too_many"  # 429: slow down


@dataclass(frozen=True)
class Problem:
    """One thing to fix, usually tied to a field."""

    code: str
    zh: str
    en: str
    field: str | None = None


@dataclass
class DomainError(Exception):
    kind: ErrorKind
    code: str
    zh: str
    en: str
    field: str | None = None
    problems: list[Problem] = dataclass_field(default_factory=list)
    retry_after: int | None = None  # seconds, for TOO_MANY

    def __str__(self) -> str:
        return f"{self.code}: {self.en}"


def not_found(what_zh: str, what_en: str, field: str | None = None) -> DomainError:
    return DomainError(
        ErrorKind.NOT_FOUND,
        "not_found",
        f"未找到{what_zh}，请检查编号是否正确。",
        f"{what_en} not found; check the id.",
        field,
    )


def forbidden(zh: str = "您无权执行此操作。", en: str = "You may not do this.") -> DomainError:
    return DomainError(ErrorKind.FORBIDDEN, "forbidden", zh, en)


def conflict(code: str, zh: str, en: str) -> DomainError:
    return DomainError(ErrorKind.CONFLICT, code, zh, en)
