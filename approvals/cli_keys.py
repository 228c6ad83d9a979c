"""``approvals keys …`` and ``approvals certificates resign``: the signing-key life cycle.

approvals keys list
approvals keys create --issuer CODE [--alg ES256|EdDSA] [--purpose certificate|trust_list]
approvals keys activate KID [--force]
approvals keys retire KID
approvals keys revoke KID --reason TEXT
approvals certificates resign --kid KID --reason TEXT
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Awaitable, Callable

from approvals.domain.errors import DomainError
from certs.keys import KeyAlgorithm


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = sub.add_parser("keys", help="signing keys: list, create, activate, retire, revoke")
    ks = keys.add_subparsers(dest="keys_command", required=True)
    ks.add_parser("list", help="every key with its state, dates and certificates")
    create = ks.add_parser("create", help="a new key: published at once, signing nothing yet")
    create.add_argument("--issuer", required=True)
    create.add_argument("--alg", choices=[a.value for a in KeyAlgorithm], default="ES256")
    create.add_argument("--purpose", choices=["certificate", "trust_list"], default="certificate")
    activate = ks.add_parser("activate", help="start signing with a published key")
    activate.add_argument("kid")
    activate.add_argument(
        "--force", action="store_true", help="skip the 24-hour publication lead time"
    )
    retire = ks.add_parser("retire", help="stop signing; keep verifying")
    retire.add_argument("kid")
    revoke = ks.add_parser("revoke", help="compromised: its certificates must be re-checked")
    revoke.add_argument("kid")
    revoke.add_argument("--reason", required=True)
    certs = sub.add_parser("certificates", help="certificate tools")
    cs = certs.add_subparsers(dest="certificates_command", required=True)
    resign = cs.add_parser("resign", help="re-issue every current certificate of a key")
    resign.add_argument("--kid", required=True)
    resign.add_argument("--reason", required=True)


def command(args: argparse.Namespace) -> Callable[[], Awaitable[int]]:
    actor = f"命令行 {getpass.getuser()}"

    async def run() -> int:
        from approvals.clock import SystemClock
        from approvals.config import settings
        from approvals.services import keys
        from approvals.services.context import build_services

        ctx = build_services(settings(), SystemClock())
        try:
            if args.command == "certificates":
                count = await keys.resign_certificates(ctx, args.kid, args.reason)
                print(f"re-issued {count} certificate(s) under the active keys")
            elif args.keys_command == "list":
                for report in await keys.list_keys(ctx):
                    k = report.info
                    print(
                        f"{k.kid}  {k.issuer:<20} {k.purpose:<11} {k.alg:<6} {k.state:<8} "
                        f"created {k.created_at:%Y-%m-%d}  certificates {report.certificates}  "
                        f"last expiry {report.last_expiry or '-'}"
                    )
            elif args.keys_command == "create":
                kid = await keys.create_key(
                    ctx, args.issuer, KeyAlgorithm(args.alg), actor, args.purpose
                )
                print(f"created {kid} (pending: published, not signing; activate in 24 h)")
            elif args.keys_command == "activate":
                retired = await keys.activate_key(ctx, args.kid, actor, force=args.force)
                print(f"activated {args.kid}" + (f"; retired {retired}" if retired else ""))
            elif args.keys_command == "retire":
                await keys.retire_key(ctx, args.kid, actor)
                print(f"retired {args.kid}")
            else:
                await keys.revoke_key(ctx, args.kid, actor, args.reason)
                print(
                    f"revoked {args.kid}; re-issue its certificates with "
                    f"`approvals certificates resign --kid {args.kid} --reason …`"
                )
        except DomainError as exc:
            print(f"{exc.zh}\n{exc.en}", file=sys.stderr)
            return 1
        return 0

    return run
