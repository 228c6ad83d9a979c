"""The trust data an offline verifier keeps: a directory written by one fetch, read at start-up.

:func:`certs.offline.verify_offline` needs the pinned anchor, the trust list and each issuer's
status list, each verified. This module writes what a fetch brought to a trust directory, reads
it back and verifies it all into a :class:`TrustBundle`, so that the verifier does no file I/O
(its names are re-exported by :mod:`certs.offline`, where they began).

Trust directory
    ``anchor.jwk``          JWK Set of the pinned trust-list key(s)
    ``trust-list.jwt``      the trust list token
    ``status/<code>.jwt``   the status list token of the issuer with that issuer code
    ``fetched.json``        ``{"fetched_at": <Unix seconds>, "source": <base URL>}``
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import msgspec

from certs.keys import VerifyingKey
from certs.status_list import (
    MAX_STATUS_TOKEN_LENGTH,
    StatusListInvalid,
    StatusListToken,
    verify_status_list,
)
from certs.trust_list import MAX_TRUST_LIST_LENGTH, TrustList, anchors_from_jwks, verify_trust_list

ANCHOR_FILE: Final = "anchor.jwk"
TRUST_LIST_FILE: Final = "trust-list.jwt"
STATUS_DIR: Final = "status"
FETCHED_FILE: Final = "fetched.json"
_ISSUER_CODE_RE: Final = re.compile(r"[0-9A-Z]{1,64}")


class TrustBundleInvalid(ValueError):
    """The trust directory lacks a file or holds a garbled one (a bad *signature* is a
    :class:`certs.trust_list.TrustListInvalid`)."""

    def __init__(self, detail: str) -> None:
        self.reason, self.detail = "bad_bundle", detail
        self.zh, self.en = "本机核验数据缺失或损坏，请联网更新。", "Trust data missing or damaged."
        super().__init__(f"{self.en} [{detail}]")


class _Fetched(msgspec.Struct, frozen=True):
    fetched_at: int
    source: str


@dataclass(frozen=True)
class TrustBundle:
    """Verified trust data. ``status_problems`` maps an issuer code to why its list was refused."""

    anchors: tuple[VerifyingKey, ...]
    trust_list: TrustList
    status_lists: Mapping[str, StatusListToken]
    status_problems: Mapping[str, str]
    fetched_at: int
    source: str


def build_trust_bundle(
    anchors_jwks: object,
    trust_list_token: str,
    status_tokens: Mapping[str, str],
    *,
    fetched_at: int,
    source: str,
) -> TrustBundle:
    """Verify everything once; TrustListInvalid if the trust list fails its anchors.

    A status list that fails is recorded, not raised: one issuer's broken list must not stop
    the inspector from checking every other issuer's licences.
    """
    anchors = tuple(anchors_from_jwks(anchors_jwks))
    trust_list = verify_trust_list(trust_list_token, anchors)
    lists: dict[str, StatusListToken] = {}
    problems: dict[str, str] = {}
    for code, token in status_tokens.items():
        issuer = trust_list.issuer(code)
        if issuer is None:
            problems[code] = "unknown_issuer"
            continue
        own = {e.kid: [e.verifying_key()] for e in trust_list.keys if e.issuer == code}
        try:  # already expired when fetched: nothing it says can be relied on
            status = verify_status_list(token, own, now=fetched_at, uri=issuer.status_list)
        except StatusListInvalid as exc:
            problems[code] = exc.reason
            continue
        entry = trust_list.entry_for(status.key)
        problem = entry.signing_problem(status.iat) if entry else "unknown_key"
        if problem:
            problems[code] = problem
        else:
            lists[code] = status
    return TrustBundle(anchors, trust_list, lists, problems, fetched_at, source)


def save_trust_bundle(
    directory: str | os.PathLike[str],
    anchors_jwks: Mapping[str, object],
    trust_list_token: str,
    status_tokens: Mapping[str, str],
    fetched_at: int,
    source: str,
) -> None:
    """Write a trust directory; each file is replaced atomically, stale status files go.

    Not atomic across files: a crash may leave a new trust list beside old status lists, which
    is harmless because every file is verified on its own when loaded.
    """
    bad = [code for code in status_tokens if not _ISSUER_CODE_RE.fullmatch(code)]
    if bad:  # the code becomes a file name
        raise ValueError(f"issuer codes are 1-64 of 0-9A-Z: {bad[:3]}")
    root = Path(directory)
    (root / STATUS_DIR).mkdir(parents=True, exist_ok=True)
    _write(root / ANCHOR_FILE, json.dumps(dict(anchors_jwks), ensure_ascii=False))
    _write(root / TRUST_LIST_FILE, trust_list_token)
    for code, token in status_tokens.items():
        _write(root / STATUS_DIR / f"{code}.jwt", token)
    for old in (root / STATUS_DIR).glob("*.jwt"):
        if old.stem not in status_tokens:
            old.unlink()
    fetched = {"fetched_at": fetched_at, "source": source}
    _write(root / FETCHED_FILE, json.dumps(fetched, ensure_ascii=False))


def load_trust_bundle(directory: str | os.PathLike[str]) -> TrustBundle:
    """Read and verify a trust directory; TrustBundleInvalid or TrustListInvalid if unusable."""
    root = Path(directory)
    try:
        anchors = msgspec.json.decode(_read(root / ANCHOR_FILE, 1 << 20))
        trust_list_token = _read(root / TRUST_LIST_FILE, MAX_TRUST_LIST_LENGTH)
        fetched = msgspec.json.decode(_read(root / FETCHED_FILE, 1 << 16), type=_Fetched)
        status_tokens = {
            path.stem: _read(path, MAX_STATUS_TOKEN_LENGTH)
            for path in sorted((root / STATUS_DIR).glob("*.jwt"))
            if _ISSUER_CODE_RE.fullmatch(path.stem)
        }
    except (OSError, ValueError) as exc:  # missing, unreadable, oversized, not JSON/ASCII
        raise TrustBundleInvalid(f"{type(exc).__name__}: {str(exc)[:200]}") from None
    return build_trust_bundle(
        anchors,
        trust_list_token,
        status_tokens,
        fetched_at=fetched.fetched_at,
        source=fetched.source,
    )


def _read(path: Path, limit: int) -> str:
    with path.open("rb") as handle:
        raw = handle.read(limit + 1)
    if len(raw) > limit:
        raise ValueError(f"{path.name} is over {limit} bytes")
    return raw.decode("ascii") if path.suffix == ".jwt" else raw.decode("utf-8")


def _write(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
