"""The signed trust list: issuers, their certificate keys, states and dates.

Verifiers pin the trust-list key (``/.well-known/hcl-trust-anchor.json`` is a
convenience, not a root of trust) and refuse a list whose ``seq`` is lower than
one they have seen; so ``seq`` grows exactly when the content changes, and the
content's digest is kept in ``trust_list_state`` to know when it has.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time

import msgspec

from approvals.clock import SHANGHAI
from approvals.persistence.statements import fetch
from approvals.persistence.transactions import is_unique_violation, transaction
from approvals.repository import certificates as cert_repo
from approvals.services.keyring import CERTIFICATE, KeyInfo, KeyRing
from approvals.services.status_lists import status_list_uri
from certs.keys import VerifyingKey
from certs.trust_list import Issuer, TrustedKey, build_trust_list, sign_trust_list, trusted_key

NEXT_UPDATE = timedelta(hours=24)
RESIGN_AFTER = 3600.0  # seconds a signed list is served before it is signed afresh


def _ts(moment: datetime | None) -> int | None:
    return int(moment.timestamp()) if moment else None


def _end_of(day: date | None) -> int | None:
    """The last second of ``day`` in China: when a licence valid until then expires."""
    if day is None:
        return None
    return int(datetime.combine(day + timedelta(days=1), day_time(), SHANGHAI).timestamp()) - 1


class TrustListPublisher:
    def __init__(self, keyring: KeyRing, base_url: str) -> None:
        self._keyring = keyring
        self._base_url = base_url
        self._cached: tuple[str, float, str] | None = None  # digest, signed at, token

    async def _content(self) -> tuple[list[Issuer], list[TrustedKey]]:
        await self._keyring.load()
        rows = await cert_repo.issuers()
        credit_of = {r["code"]: r["credit_code"] for r in rows}
        issuers = [
            Issuer(
                code=r["credit_code"],
                name=r["name"],
                credit_code=r["credit_code"],
                jurisdiction=r["jurisdiction"],
                status_list=status_list_uri(self._base_url, r["code"]),
            )
            for r in rows
        ]
        keys = [
            await self._entry(k, credit_of[k.issuer])
            for k in self._keyring.all_info()
            if k.purpose == CERTIFICATE
        ]
        return issuers, keys

    async def _entry(self, key: KeyInfo, issuer_code: str) -> TrustedKey:
        not_after = None
        if key.state == "retired":
            not_after = _end_of(await cert_repo.last_expiry_signed_by(key.kid))
        return trusted_key(
            VerifyingKey.from_jwk(key.public_jwk),
            issuer=issuer_code,
            state=key.state,  # type: ignore[arg-type]
            created=int(key.created_at.timestamp()),
            activated=_ts(key.activated_at),
            retired=_ts(key.retired_at),
            revoked=_ts(key.revoked_at),
            not_after=not_after,
        )

    async def token(self, now: datetime) -> str:
        issuers, keys = await self._content()
        digest = hashlib.sha256(
            msgspec.json.encode([issuers, keys], order="deterministic")
        ).hexdigest()
        if (
            self._cached
            and self._cached[0] == digest
            and time.time() - self._cached[1] < RESIGN_AFTER
        ):
            return self._cached[2]
        seq = await _sequence_for(digest, now)
        iat = int(now.timestamp())
        trust_list = build_trust_list(
            seq=seq,
            iat=iat,
            next_update=iat + int(NEXT_UPDATE.total_seconds()),
            issuers=issuers,
            keys=keys,
        )
        token = sign_trust_list(trust_list, await self._keyring.trust_list_key())
        self._cached = (digest, time.time(), token)
        return token


async def _sequence_for(digest: str, now: datetime) -> int:
    """The seq of this content: the existing one, or the next number when it is new."""
    for _ in range(3):
        rows = await fetch("SELECT seq FROM trust_list_state WHERE digest = :d", d=digest)
        if rows:
            return int(rows[0]["seq"])
        try:
            async with transaction():
                top = await fetch("SELECT MAX(seq) AS top FROM trust_list_state")
                seq = int(top[0]["top"] or 0) + 1
                await fetch(
                    "INSERT INTO trust_list_state (seq, digest, issued_at) VALUES (:s, :d, :at)",
                    s=seq,
                    d=digest,
                    at=now.astimezone(UTC),
                )
            return seq
        except Exception as exc:
            if not is_unique_violation(exc):
                raise  # another process published the same change first: read its seq
    raise RuntimeError("could not settle the trust list sequence number")
