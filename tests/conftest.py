"""Test set-up: which database, a migrated and seeded schema, an app and clients.

The suite runs once per engine, chosen by ``APPROVALS_TEST_DB`` (``sqlite``,
the default, or ``postgres``); ``make test`` runs both. The environment is set
here, before anything imports ``approvals``, because the engine is chosen when
``approvals.piccolo_conf`` is first imported.

On PostgreSQL a fresh database ``approvals_test_<random>`` is created for the
run and dropped afterwards. When no server is reachable the PostgreSQL run is
skipped *loudly*, unless ``APPROVALS_REQUIRE_POSTGRES=1`` (CI), where that is
an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from servers import running_server

ENGINE = os.environ.get("APPROVALS_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get(
    "APPROVALS_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_PG = os.environ.get("APPROVALS_REQUIRE_POSTGRES") == "1"

_DATA_DIR = Path(tempfile.mkdtemp(prefix="approvals-test-"))
_PG_DB = f"approvals_test_{secrets.token_hex(4)}"
os.environ["APPROVALS_DATA_DIR"] = str(_DATA_DIR)
os.environ["APPROVALS_SECRET"] = "test-secret-" + secrets.token_hex(16)
os.environ["APPROVALS_BASE_URL"] = "http://testserver.local"
os.environ.pop("DATABASE_URL", None)
# Background rounds only at start-up: a test that needs a sweep runs it, or starts a server
# that does (tests/e2e/test_deadline_restart.py).
os.environ["APPROVALS_HOUSEKEEPING_SECONDS"] = "3600"
# The in-process app pushes nothing: push tests start `approvals worker` and `serve`
# processes of their own, with the schedule and targets they need.
os.environ["APPROVALS_PUSH"] = "off"


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _pg_reachable() -> str | None:
    try:
        asyncio.run(_pg_admin("SELECT 1"))
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


if ENGINE == "postgres":
    problem = _pg_reachable()
    if problem is not None:
        message = f"PostgreSQL at {PG_ADMIN_URL} is not reachable ({problem})"
        if REQUIRE_PG:
            raise SystemExit(f"ERROR: {message}; APPROVALS_REQUIRE_POSTGRES=1 forbids skipping.")
        os.environ["APPROVALS_SKIP_ALL"] = message
    else:
        asyncio.run(_pg_admin(f'CREATE DATABASE "{_PG_DB}"'))
        base = PG_ADMIN_URL.rsplit("/", 1)[0]
        os.environ["DATABASE_URL"] = f"{base}/{_PG_DB}"


def pytest_report_header(config: pytest.Config) -> str:
    target = os.environ.get("DATABASE_URL") or f"SQLite in {_DATA_DIR}"
    return f"approvals test database: {ENGINE} ({target})"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = os.environ.get("APPROVALS_SKIP_ALL")
    if reason:
        marker = pytest.mark.skip(reason=f"SKIPPED PostgreSQL run: {reason}")
        for item in items:
            item.add_marker(marker)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_DATA_DIR, ignore_errors=True)
    if ENGINE == "postgres" and "DATABASE_URL" in os.environ:
        with contextlib.suppress(Exception):  # best-effort clean-up
            asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{_PG_DB}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return _DATA_DIR


@pytest.fixture(scope="session")
def engine_name() -> str:
    return ENGINE


@pytest.fixture(scope="session")
async def database() -> AsyncIterator[None]:
    """Migrated schema with reference data and demo users, shared by the session."""
    from approvals.cli import migrate
    from approvals.clock import SystemClock
    from approvals.config import settings
    from approvals.persistence.engine import current_engine, start_engine, stop_engine
    from approvals.seed import seed_demo_users, seed_reference_data
    from factories import demo_password_hash

    engine = current_engine()
    await start_engine(engine, 10)
    assert await migrate() == 0
    await seed_reference_data(settings(), SystemClock())
    await seed_demo_users(SystemClock(), password_hash=demo_password_hash())
    yield
    await stop_engine(engine)


@pytest.fixture(scope="session")
async def app(database: None) -> Any:
    from approvals.web.app import create_app

    return create_app()


@pytest.fixture(scope="session")
async def client(app: Any) -> AsyncIterator[Any]:
    """An HTTP client wired to the app in this event loop (start-up and shut-down included).

    Litestar's own test client runs the app on a portal thread with its own loop,
    which a PostgreSQL pool created on the test loop cannot cross.
    """
    import httpx

    for hook in app.on_startup:
        await hook(app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as http:
        yield http
    for hook in app.on_shutdown:
        await hook(app)


@pytest.fixture(autouse=True)
def _forget_cookies(request: pytest.FixtureRequest) -> Iterator[None]:
    """The shared client keeps the cookies it is sent (a cookie log-in in one test would
    log in every later test): each test starts with an empty jar."""
    yield
    if "client" in request.fixturenames:
        request.getfixturevalue("client").cookies.clear()


@pytest.fixture
async def page_clients(app: Any, client: Any) -> AsyncIterator[Any]:
    """Make browser-like clients on the started app, each with its own cookie jar:
    ``http = page_clients()``. All are closed when the test ends."""
    import httpx

    made: list[httpx.AsyncClient] = []

    def make() -> httpx.AsyncClient:
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver.local"
        )
        made.append(http)
        return http

    yield make
    for http in made:
        await http.aclose()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    path = Path(__file__).parent / "artifacts"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(scope="session")
def live_server(database: None, data_dir: Path) -> Iterator[str]:
    with running_server(data_dir) as base:
        yield base


class ClockedApp:
    """A second app on the same database whose clock tests move: for rules about time."""

    def __init__(self, client: Any, clock: Any, services: Any) -> None:
        self.client, self.clock, self.services = client, clock, services

    def at(self, local: str) -> None:
        """Set the clock to a wall-clock time in Shanghai, e.g. ``"2026-11-30 09:00"``."""
        from datetime import datetime

        from approvals.clock import SHANGHAI

        self.clock.set(datetime.fromisoformat(local).replace(tzinfo=SHANGHAI))


@pytest.fixture(scope="session")
async def clocked(database: None) -> AsyncIterator[ClockedApp]:
    """No start-up hooks (the engine is already up), so no background sweeps: the test
    runs them itself, when it has moved the clock."""
    from datetime import UTC, datetime

    from approvals.clock import FrozenClock
    from approvals.web.app import create_app

    clock = FrozenClock(datetime.now(UTC))
    app = create_app(clock=clock)
    services = app.state.services
    await services.keyring.load(force=True)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as http:
        yield ClockedApp(http, clock, services)
