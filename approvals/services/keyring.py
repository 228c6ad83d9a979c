"""The signing keys of every issuer, decrypted once and cached.

Keys are stored encrypted under the master secret (certs.keys). The ring
reloads from the database at most every ``refresh_seconds``, so a key
activated, retired or revoked by ``approvals keys`` in another process is
picked up without a restart; signing never waits on the database.

Two purposes: *certificate* keys sign certificates and status lists (one active
per issuer); the *trust_list* key signs the list of issuers and their keys, and
is what verifiers pin.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from approvals.domain.errors import DomainError, ErrorKind
from approvals.domain.events import DomainEvent
from approvals.repository import certificates as repo
from approvals.services.audit_log import append_to_chain
from certs.keys import (
    KeyAlgorithm,
    SigningKey,
    VerifyingKey,
    decrypt_private_key,
    encrypt_private_key,
    generate_private_key,
    jwks,
    key_id,
    public_jwk,
)

CERTIFICATE = "certificate"
TRUST_LIST = "trust_list"
VERIFYING_STATES = frozenset({"pending", "active", "retired"})


def _aad(kid: str, issuer_code: str) -> bytes:
    # Binds the ciphertext to its row: a blob copied to another key row fails.
    return f"{issuer_code}/{kid}".encode()


@dataclass(frozen=True)
class KeyInfo:
    kid: str
    issuer: str
    purpose: str
    alg: str
    state: str
    public_jwk: dict[str, Any]
    created_at: datetime
    activated_at: datetime | None
    retired_at: datetime | None
    revoked_at: datetime | None


class KeyRing:
    def __init__(self, secret: bytes, refresh_seconds: float = 60.0) -> None:
        self._secret = secret
        self._refresh = refresh_seconds
        self._loaded_at = -1e9
        self._signing: dict[tuple[str, str], SigningKey] = {}
        self._verifying: dict[str, list[VerifyingKey]] = {}
        self._info: dict[str, KeyInfo] = {}

    async def load(self, *, force: bool = False) -> None:
        if not force and time.monotonic() - self._loaded_at < self._refresh:
            return
        signing: dict[tuple[str, str], SigningKey] = {}
        verifying: dict[str, list[VerifyingKey]] = {}
        info: dict[str, KeyInfo] = {}
        for row in await repo.signing_key_rows():
            key = KeyInfo(
                kid=row["kid"],
                issuer=row["issuer"],
                purpose=row["purpose"],
                alg=row["alg"],
                state=row["state"],
                public_jwk=row["public_jwk"],
                created_at=row["created_at"],
                activated_at=row["activated_at"],
                retired_at=row["retired_at"],
                revoked_at=row["revoked_at"],
            )
            info[key.kid] = key
            if key.purpose == CERTIFICATE:
                verifying.setdefault(key.kid, []).append(VerifyingKey.from_jwk(key.public_jwk))
            if key.state == "active":
                private = decrypt_private_key(
                    bytes(row["private_blob"]), self._secret, aad=_aad(key.kid, key.issuer)
                )
                signing[(key.purpose, key.issuer)] = SigningKey(
                    kid=key.kid, alg=KeyAlgorithm(key.alg), private_key=private
                )
        self._signing, self._verifying, self._info = signing, verifying, info
        self._loaded_at = time.monotonic()

    def forget(self) -> None:
        """Reload on next use (after this process changed a key)."""
        self._loaded_at = -1e9

    async def signing_key(self, issuer_code: str, purpose: str = CERTIFICATE) -> SigningKey:
        await self.load()
        key = self._signing.get((purpose, issuer_code))
        if key is None:
            raise DomainError(
                ErrorKind.CONFLICT,
                "no_signing_key",
                "发证机关暂无可用的签名密钥，请联系管理员。",
                f"Issuer {issuer_code} has no active {purpose} key; ask an administrator.",
            )
        return key

    async def trust_list_key(self) -> SigningKey:
        await self.load()
        key = next((k for (p, _), k in self._signing.items() if p == TRUST_LIST), None)
        if key is None:
            raise DomainError(
                ErrorKind.CONFLICT,
                "no_trust_list_key",
                "尚未配置信任列表签名密钥。",
                "No active trust-list key; run `approvals setup`.",
            )
        return key

    def verifying_keys(self, kid: str) -> Sequence[VerifyingKey]:
        return self._verifying.get(kid, ())

    def info(self, kid: str) -> KeyInfo | None:
        return self._info.get(kid)

    def all_info(self) -> list[KeyInfo]:
        return sorted(self._info.values(), key=lambda k: (k.issuer, k.created_at))

    def jwks(self) -> dict[str, Any]:
        """Certificate keys verifiers should trust: not revoked ones."""
        keys = [
            VerifyingKey.from_jwk(k.public_jwk)
            for k in self.all_info()
            if k.purpose == CERTIFICATE and k.state in VERIFYING_STATES
        ]
        extra = {k.kid: {"status": k.state} for k in self.all_info() if k.purpose == CERTIFICATE}
        return jwks(keys, extra=extra)

    def trust_anchors(self) -> dict[str, Any]:
        keys = [
            VerifyingKey.from_jwk(k.public_jwk)
            for k in self.all_info()
            if k.purpose == TRUST_LIST and k.state in VERIFYING_STATES
        ]
        return jwks(keys)

    async def create_key(
        self,
        issuer_code: str,
        at: datetime,
        *,
        alg: KeyAlgorithm = KeyAlgorithm.ES256,
        state: str = "pending",
        purpose: str = CERTIFICATE,
        actor_id: str = "",
        actor_name: str = "系统初始化",
    ) -> str:
        """Make a key; call inside a transaction (the key and its audit entry commit together)."""
        private = generate_private_key(alg)
        kid = key_id(private.public_key())
        await append_to_chain(
            f"key:{kid}",
            [
                DomainEvent(
                    "key.created",
                    at,
                    "caller",
                    data={
                        "alg": alg.value,
                        "state": state,
                        "purpose": purpose,
                        "issuer": issuer_code,
                    },
                )
            ],
            actor_id=actor_id,
            actor_name=actor_name,
            target_type="signing_key",
            target_id=kid,
        )
        await repo.insert_signing_key(
            kid=kid,
            issuer_code=issuer_code,
            alg=alg.value,
            public_jwk=public_jwk(private.public_key(), alg),
            private_blob=encrypt_private_key(private, self._secret, aad=_aad(kid, issuer_code)),
            state=state,
            purpose=purpose,
            at=at,
        )
        self.forget()
        return kid
