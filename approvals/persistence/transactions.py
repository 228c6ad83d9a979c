"""Transactions that mean the same on both engines."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from approvals.persistence.engine import current_engine


@asynccontextmanager
async def transaction() -> AsyncIterator[None]:
    """One write transaction; nested calls join the outer one.

    On SQLite the engine begins it IMMEDIATE (it takes the write lock at once,
    instead of failing later when a read turns into a write).
    """
    async with current_engine().transaction():
        yield


def is_unique_violation(exc: BaseException, constraint_hint: str = "") -> bool:
    """Whether ``exc`` is a unique-constraint failure (optionally on a named index/column)."""
    if isinstance(exc, asyncpg.UniqueViolationError):
        name = exc.constraint_name or ""
        return constraint_hint.replace("_", "") in name.replace("_", "") or not constraint_hint
    if isinstance(exc, sqlite3.IntegrityError):
        text = str(exc)
        if "UNIQUE constraint failed" not in text:
            return False
        # SQLite names columns ("application.number"), not the constraint.
        return not constraint_hint or constraint_hint.replace("_", ".", 1) in text
    return False
