"""Each issuer's token status list: kept current in the database, published signed.

The list lives as a row per issuer (the compressed ``lst`` of the IETF draft)
and is changed only when a certificate's status changes — in that change's
transaction, under the row's lock. New certificates need no write: their bits
are 0 (valid) until something happens. The signed Status List Token is made
on request and cached until the list changes or the token nears expiry.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from approvals.repository import certificates as repo
from approvals.services.keyring import KeyRing
from certs.status_list import StatusArray, sign_status_list

BITS = 2
TTL_SECONDS = 300  # verifiers may cache the list this long
LIFETIME_SECONDS = 24 * 3600  # a token older than this must not be used at all
PADDING = 65_536  # indices published ahead of the last one in use


def status_list_uri(base_url: str, issuer_code: str) -> str:
    return f"{base_url}/api/status-lists/{issuer_code}"


async def set_statuses(issuer_code: str, changes: dict[int, int], at: datetime) -> None:
    """Write status values into the issuer's list; call inside the change's transaction."""
    stored, version = await repo.lock_status_list(issuer_code, at)
    array = StatusArray.from_lst(stored.decode(), bits=BITS) if stored else StatusArray(bits=BITS)
    for index, value in changes.items():
        array.set(index, value)
    await repo.save_status_list(issuer_code, array.to_lst().encode(), version + 1, at)


async def status_of(issuer_code: str, index: int) -> int:
    row = await repo.read_status_list(issuer_code)
    if row is None or not row[0]:
        return 0
    return StatusArray.from_lst(row[0].decode(), bits=BITS).get(index)


@dataclass(frozen=True)
class _Signed:
    version: int
    size: int
    token: str
    expires: float


class StatusListPublisher:
    def __init__(self, keyring: KeyRing, base_url: str) -> None:
        self._keyring = keyring
        self._base_url = base_url
        self._cache: dict[str, _Signed] = {}

    async def token(self, issuer_code: str, now: datetime) -> tuple[str, int]:
        """The signed list and its version (for ETags).

        The list is published padded past the last index handed out: an index beyond
        the end reads as "unknown" to a verifier (as the draft says), and a certificate
        issued after the list was fetched must still read as valid offline.
        """
        row = await repo.read_status_list(issuer_code)
        stored, version = (row[0], row[1]) if row else (b"", 0)
        size = _padded(await repo.last_status_index(issuer_code))
        cached = self._cache.get(issuer_code)
        if (
            cached
            and (cached.version, cached.size) == (version, size)
            and cached.expires - time.time() > TTL_SECONDS
        ):
            return cached.token, version
        array = (
            StatusArray.from_lst(stored.decode(), bits=BITS) if stored else StatusArray(bits=BITS)
        )
        iat = int(now.timestamp())
        key = await self._keyring.signing_key(issuer_code)
        token = sign_status_list(
            status_list_uri(self._base_url, issuer_code),
            array,
            key,
            iat=iat,
            ttl=TTL_SECONDS,
            exp=iat + LIFETIME_SECONDS,
            size=size,
        )
        self._cache[issuer_code] = _Signed(version, size, token, time.time() + LIFETIME_SECONDS)
        return token, version


def _padded(last_index: int) -> int:
    """Room for the indices in use and the next ``PADDING`` (all-zero: compresses to nothing)."""
    return (last_index // PADDING + 2) * PADDING
