"""A bounded cache of verified certificate tokens: a signature never changes its mind.

Key revocation is checked separately on every use (the key ring's states), so a
cached entry cannot keep a revoked key's certificates looking genuine.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Sequence

from certs.keys import VerifyingKey
from certs.tokens import VerifiedToken, verify_token


class SignatureCache:
    def __init__(self, size: int = 20_000) -> None:
        self._size = size
        self._items: OrderedDict[bytes, VerifiedToken] = OrderedDict()

    def verify(self, token: str, keys: Callable[[str], Sequence[VerifyingKey]]) -> VerifiedToken:
        """Verified token or ``TokenInvalid`` (failures are not cached: they are cheap to redo)."""
        digest = hashlib.sha256(token.encode("utf-8", "replace")).digest()
        hit = self._items.get(digest)
        if hit is not None:
            self._items.move_to_end(digest)
            return hit
        verified = verify_token(token, keys)
        self._items[digest] = verified
        if len(self._items) > self._size:
            self._items.popitem(last=False)
        return verified
