"""Offline verification from the command line: no database, no service needed.

    approvals trust fetch --url https://zwfw.example.gov.cn [--dir DIR] [--anchor FILE]
    approvals verify PHOTO.jpg|CERT.png|URL|TOKEN [--trust-dir DIR]

``trust fetch`` downloads the pinned trust-list key (or takes it from --anchor,
which is how a verifier should get it: out of band), the signed trust list and
every issuer's status list into a directory. ``verify`` reads a certificate —
a photo or scan of its face, its QR code, the URL in it, or the bare token —
and checks it against that directory only, saying how old the trust data is.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.request
from pathlib import Path

DEFAULT_DIR = Path(os.environ.get("APPROVALS_TRUST_DIR", Path.home() / ".approvals-trust"))


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    trust = sub.add_parser("trust", help="trust data for offline verification")
    ts = trust.add_subparsers(dest="trust_command", required=True)
    fetch = ts.add_parser("fetch", help="download the trust list and status lists")
    fetch.add_argument("--url", required=True, help="the service's base URL")
    fetch.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    fetch.add_argument("--anchor", type=Path, help="the pinned trust-list key set (JWKS file)")
    verify = sub.add_parser("verify", help="verify a certificate offline")
    verify.add_argument("input", help="image file (PNG/JPEG), verification URL, or token")
    verify.add_argument("--trust-dir", type=Path, default=DEFAULT_DIR)
    verify.add_argument("--json", action="store_true", help="print the verdict as JSON")


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=15) as response:  # noqa: S310 - http(s) only, checked
        return bytes(response.read())


def fetch(base_url: str, directory: Path, anchor_file: Path | None) -> int:
    from certs.keys import VerifyingKey
    from certs.offline import save_trust_bundle
    from certs.trust_list import verify_trust_list

    if not base_url.startswith(("https://", "http://")):
        print("--url must be an http(s) URL", file=sys.stderr)
        return 2
    base = base_url.rstrip("/")
    anchors = json.loads(
        anchor_file.read_text()
        if anchor_file
        else _get(f"{base}/.well-known/hcl-trust-anchor.json")
    )
    token = _get(f"{base}/api/trust-list").decode()
    trust = verify_trust_list(token, [VerifyingKey.from_jwk(k) for k in anchors["keys"]])
    statuses = {issuer.code: _get(issuer.status_list).decode() for issuer in trust.issuers}
    save_trust_bundle(directory, anchors, token, statuses, int(time.time()), base)
    print(
        f"trust data saved to {directory}: {len(trust.keys)} keys, {len(statuses)} status lists"
        f"{'' if anchor_file else ' (anchor downloaded, not pinned: compare it out of band)'}"
    )
    return 0


def verify(raw: str, directory: Path, as_json: bool) -> int:
    from certs.offline import load_trust_bundle, verify_offline

    path = Path(raw)
    data: bytes | str = path.read_bytes() if len(raw) < 4096 and path.is_file() else raw
    bundle = load_trust_bundle(directory)
    verdict = verify_offline(data, bundle, now=int(time.time()))
    if as_json:
        print(
            json.dumps(
                {
                    "verdict": verdict.verdict,
                    "genuine": verdict.genuine,
                    "reason": verdict.reason,
                    "zh": verdict.zh,
                    "en": verdict.en,
                    "trust_age_seconds": verdict.trust_age_seconds,
                },
                ensure_ascii=False,
            )
        )
    else:
        print(verdict.zh)
        print(verdict.en)
        if verdict.claims is not None:
            c = verdict.claims
            print(
                f"  {c.licence_name}  {c.number}\n  {c.holder}（{c.holder_code}）\n  {c.identifier}"
            )
        print(f"  {verdict.trust_note_zh} / {verdict.trust_note_en}")
    return {"valid": 0, "not_valid": 3, "unknown": 4}.get(verdict.verdict, 5)


def run(args: argparse.Namespace) -> int:
    try:
        if args.command == "trust":
            return fetch(args.url, args.dir, args.anchor)
        return verify(args.input, args.trust_dir, args.json)
    except (OSError, ValueError) as exc:  # unreadable files, bad downloads, refused trust data
        zh = getattr(exc, "zh", None)
        print(zh or "无法完成：请检查输入文件、网络或核验数据目录。", file=sys.stderr)
        print(getattr(exc, "en", None) or str(exc), file=sys.stderr)
        return 2
