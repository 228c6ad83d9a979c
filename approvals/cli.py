"""The ``approvals`` command: migrate, seed, serve, audit.

approvals migrate            apply database migrations
approvals setup [--demo]     migrate, load reference data and the catalogue (and demo users)
approvals serve              run the HTTP service (granian); it also pushes events
approvals worker             push events to supervision systems (run several for scale)
approvals audit verify       check the audit log's hash chains and seals
approvals audit seal         seal the audit entries written since the last seal
approvals calendar show|load the working-day calendar (load a newly published year)
approvals keys …             signing keys: list, create, activate, retire, revoke
approvals certificates resign --kid KID   re-issue what a revoked key signed
approvals trust fetch …      download trust data for offline verification
approvals verify FILE|TOKEN  verify a certificate offline (photo, PNG, URL or token)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from approvals import cli_calendar, cli_keys, cli_trust


def _run(coro_fn: Callable[[], Awaitable[int]]) -> int:
    async def wrapper() -> int:
        from approvals.config import settings
        from approvals.persistence.engine import current_engine, start_engine, stop_engine

        engine = current_engine()
        await start_engine(engine, min(settings().pool_size, 5))
        try:
            return await coro_fn()
        finally:
            await stop_engine(engine)

    return asyncio.run(wrapper())


async def migrate() -> int:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    result = await run_forwards(app_name="approvals")
    if not result.success:
        print(f"migration failed: {result.message}", file=sys.stderr)
        return 1
    return 0


async def setup(demo: bool) -> int:
    from approvals.clock import SystemClock
    from approvals.config import settings
    from approvals.seed import seed_demo_users, seed_reference_data

    code = await migrate()
    if code:
        return code
    clock = SystemClock()
    await seed_reference_data(settings(), clock)
    if demo:
        created = await seed_demo_users(clock)
        if created:
            print(f"created {len(created)} demo accounts")
    return 0


def serve(demo: bool = False) -> int:
    from granian import Granian
    from granian.constants import Interfaces

    from approvals.config import settings

    conf = settings()
    print_banner(conf.base_url, demo)
    Granian(
        "approvals.web.app:app_factory",
        factory=True,
        address=conf.host,
        port=conf.port,
        interface=Interfaces.ASGI,
        workers=conf.workers,
        log_access=bool(os.environ.get("APPROVALS_ACCESS_LOG")),
    ).serve()
    return 0


def print_banner(base_url: str, demo: bool) -> None:
    from approvals.seed import DEMO_PASSWORD, DEMO_USERS

    lines = [
        "",
        "卫生健康行政许可审批服务 — licence-approval service",
        f"  Open in a browser: {base_url}/   (log in at {base_url}/login)",
        f"  一键导航 (guide):   {base_url}/guide",
        f"  API docs:       {base_url}/schema",
        f"  Health:         {base_url}/health",
        f"  Catalogue:      {base_url}/api/catalogue",
        f"  Published keys: {base_url}/.well-known/jwks.json",
        "",
    ]
    if demo:
        lines += _demo_lines(base_url, DEMO_PASSWORD, DEMO_USERS)
    print("\n".join(lines), flush=True)


def _demo_lines(base_url: str, password: str, users: Any) -> list[str]:
    return [
        f"  Demo accounts (password for all: {password}):",
        *(f"    {u.username:<18} {u.display_name}" for u in users),
        "",
        f"  Pages:   {base_url}/login — applicant → /my, window/reviewer/inspector/decider → "
        "/work, supervisor → /supervise, admin → /admin, statistics → /stats",
        "  API:     curl -s -X POST "
        f"{base_url}/api/auth/login -H 'Content-Type: application/json' "
        f'-d \'{{"username":"applicant","password":"{password}"}}\'',
        "",
    ]


async def worker() -> int:
    """Deliver pushed events until SIGTERM or SIGINT; the round under way finishes first."""
    import logging
    import signal

    from approvals.clock import SystemClock
    from approvals.config import settings
    from approvals.services.context import build_services
    from approvals.services.delivery import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"approvals worker {os.getpid()}: pushing events", flush=True)
    await run_worker(build_services(settings(), SystemClock()), stop)
    return 0


async def audit_verify() -> int:
    from approvals.config import settings
    from approvals.services.audit_check import verify_audit_log

    report = await verify_audit_log(settings().secret)
    print(report.summary())
    return 0 if report.ok else 2


async def audit_seal() -> int:
    from approvals.clock import SystemClock
    from approvals.config import settings
    from approvals.services.audit_check import seal_pending

    seal = await seal_pending(settings().secret, SystemClock())
    print(
        f"sealed entries {seal.first_entry_id}–{seal.last_entry_id}" if seal else "nothing to seal"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="approvals", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations")
    setup_parser = sub.add_parser("setup", help="migrate and load reference data")
    setup_parser.add_argument("--demo", action="store_true", help="also create the demo accounts")
    serve_parser = sub.add_parser("serve", help="run the HTTP service")
    serve_parser.add_argument(
        "--demo", action="store_true", help="print the demo accounts (after `setup --demo`)"
    )
    sub.add_parser("worker", help="push events to supervision systems")
    audit = sub.add_parser("audit", help="audit log tools")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    audit_sub.add_parser("verify", help="report the first altered, inserted or removed entry")
    audit_sub.add_parser("seal", help="seal entries written since the last seal")
    cli_keys.add_commands(sub)
    cli_calendar.add_commands(sub)
    cli_trust.add_commands(sub)
    args = parser.parse_args(argv)

    commands: dict[str, Callable[[], Any]] = {
        "migrate": lambda: _run(migrate),
        "setup": lambda: _run(lambda: setup(args.demo)),
        "serve": lambda: serve(args.demo),
        "worker": lambda: _run(worker),
    }
    if args.command == "audit":
        return _run(audit_verify if args.audit_command == "verify" else audit_seal)
    if args.command == "calendar":
        return _run(cli_calendar.command(args))
    if args.command in {"keys", "certificates"}:
        return _run(cli_keys.command(args))
    if args.command in {"trust", "verify"}:
        return cli_trust.run(args)  # offline: no database
    result: int = commands[args.command]()
    return result


if __name__ == "__main__":
    raise SystemExit(main())
