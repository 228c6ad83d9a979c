"""Log-in, sessions and passwords.

Passwords are hashed with Argon2id (memory-hard; RFC 9106's second recommended
profile: 64 MiB, 3 passes). Session tokens are 256-bit random strings; only
their SHA-256 is stored, so a copy of the database holds no usable token.
A short in-process cache keeps the session lookup off the hot path; logging out
clears it in this process at once and in others within ``cache_seconds``.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from approvals.clock import Clock
from approvals.domain.errors import DomainError, ErrorKind
from approvals.domain.events import DomainEvent
from approvals.domain.people import Principal
from approvals.persistence.transactions import transaction
from approvals.repository import accounts
from approvals.services.audit_log import append_to_chain

_hasher = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4)
# Verifying against this when the username is unknown keeps the timing equal.
_DUMMY_HASH = _hasher.hash("timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


BAD_LOGIN = DomainError(
    ErrorKind.UNAUTHENTICATED,
    "bad_credentials",
    "用户名或密码错误。",
    "Wrong username or password.",
)


class LoginThrottle:
    """Slows password guessing: after ``limit`` failures for one username within
    ``window`` seconds, further attempts for it are refused until the window has passed.

    Counted per username, not per address: behind a load balancer every client has the
    balancer's address. In-process: with several processes each keeps its own count.
    """

    def __init__(self, limit: int = 5, window: float = 900.0) -> None:
        self._limit, self._window = limit, window
        self._failures: dict[str, list[float]] = {}

    def _recent(self, key: str, now: float) -> list[float]:
        times = [t for t in self._failures.get(key, ()) if now - t < self._window]
        if times:
            self._failures[key] = times
        else:
            self._failures.pop(key, None)
        return times

    def retry_after(self, username: str) -> int | None:
        now = time.monotonic()
        times = self._recent(username.lower(), now)
        if len(times) >= self._limit:
            return max(1, int(self._window - (now - times[0])))
        return None

    def failed(self, username: str) -> None:
        if len(self._failures) > 100_000:
            self._failures.clear()  # a flood of distinct names must not exhaust memory
        self._failures.setdefault(username.lower(), []).append(time.monotonic())

    def succeeded(self, username: str) -> None:
        self._failures.pop(username.lower(), None)


def too_many_attempts(seconds: int) -> DomainError:
    minutes = max(1, seconds // 60)
    return DomainError(
        ErrorKind.TOO_MANY,
        "too_many_login_attempts",
        f"登录失败次数过多，请 {minutes} 分钟后再试。",
        f"Too many failed log-ins; try again in {minutes} minute(s).",
        retry_after=seconds,
    )


@dataclass(frozen=True)
class NewSession:
    token: str
    principal: Principal
    expires_in: int


class Sessions:
    def __init__(self, clock: Clock, *, hours: int, cache_seconds: float = 5.0) -> None:
        self._clock = clock
        self._lifetime = timedelta(hours=hours)
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Principal]] = {}
        self.throttle = LoginThrottle()

    async def login(self, username: str, password: str, kind: str) -> NewSession:
        wait = self.throttle.retry_after(username)
        if wait is not None:
            raise too_many_attempts(wait)
        # Counted before the (slow) check, so parallel guesses cannot slip past the limit.
        self.throttle.failed(username)
        account = await accounts.account_by_username(username)
        hashed = account.password_hash if account and account.is_active else _DUMMY_HASH
        # Argon2 takes ~50 ms of CPU: keep it off the event loop.
        ok = await asyncio.to_thread(_verify_password, hashed, password)
        if not ok or account is None or not account.is_active:
            raise BAD_LOGIN
        self.throttle.succeeded(username)
        token = secrets.token_urlsafe(32)
        now = self._clock.now()
        session_id = uuid.uuid4()
        csrf = secrets.token_urlsafe(24)
        async with transaction():
            await accounts.insert_session(
                session_id=session_id,
                token_hash=token_hash(token),
                account_id=account.id,
                kind=kind,
                csrf_token=csrf,
                at=now,
                expires_at=now + self._lifetime,
            )
            await _audit_account(
                account.id,
                account.display_name,
                "account.logged_in",
                now,
                {"session_id": str(session_id), "kind": kind},
            )
        principal = Principal(
            account_id=account.id,
            username=account.username,
            display_name=account.display_name,
            roles=account.roles,
            department=account.department,
            session_id=session_id,
            csrf_token=csrf,
        )
        return NewSession(token, principal, int(self._lifetime.total_seconds()))

    async def resolve(self, token: str) -> Principal | None:
        if not token or len(token) > 128:
            return None
        key = token_hash(token)
        cached = self._cache.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        record = await accounts.live_session(key, self._clock.now())
        if record is None:
            self._cache.pop(key, None)
            return None
        principal = Principal(
            account_id=record.account.id,
            username=record.account.username,
            display_name=record.account.display_name,
            roles=record.account.roles,
            department=record.account.department,
            session_id=record.id,
            csrf_token=record.csrf_token,
        )
        if len(self._cache) > 50_000:
            self._cache.clear()
        self._cache[key] = (time.monotonic() + self._cache_seconds, principal)
        return principal

    def forget_account(self, account_id: uuid.UUID) -> None:
        """Drop this process's cached sessions of one account (deactivated, roles changed,
        password reset): the change holds here at once, in other processes within
        ``cache_seconds``."""
        for key, (_, principal) in list(self._cache.items()):
            if principal.account_id == account_id:
                self._cache.pop(key, None)

    async def logout(self, token: str, principal: Principal) -> None:
        now = self._clock.now()
        async with transaction():
            await accounts.revoke_session(principal.session_id, now)
            await _audit_account(
                principal.account_id,
                principal.display_name,
                "account.logged_out",
                now,
                {"session_id": str(principal.session_id)},
            )
        self._cache.pop(token_hash(token), None)


async def _audit_account(
    account_id: uuid.UUID, name: str, action: str, at: datetime, data: dict[str, str]
) -> None:
    await append_to_chain(
        f"account:{account_id}",
        [DomainEvent(action, at, "caller", data=data)],
        actor_id=str(account_id),
        actor_name=name,
        target_type="account",
        target_id=str(account_id),
    )
