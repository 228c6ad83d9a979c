"""Certificates to verify, issued by the service under test, and the requests that check them.

Issuing goes through the service's own front door, ``POST /api/applications``, with the
bodies of the issuance benchmark (``bench.workload``: the demo applicant, a different valid
credit code per filing), 16 at a time over keep-alive connections; every answer must be a
201 carrying a signed certificate. The pool only grows (it lives as long as its
database): a top-up issues the next credit codes of the same reproducible sequence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bench import loadgen, workload
from certs.qr import token_to_digits

VERIFY_PATH = "/api/verify"
PAGE_PREFIX = "/V/"
JSON = {"Content-Type": "application/json"}
ACCEPT_JSON = {"Accept": "application/json"}
# The JSON body of POST /api/verify, split where the token goes (tokens need no escaping).
VERIFY_PIECES = ('{"token":"', '"}')
_BATCH = 5_000


@dataclass
class CertPool:
    base_url: str
    bearer: str = ""  # the demo applicant's token, from the first top-up on
    digest: str = ""  # the published commitment text's sha256, likewise
    tokens: list[str] = field(default_factory=list)

    @property
    def address(self) -> tuple[str, int]:
        parts = urlsplit(self.base_url)
        return parts.hostname or "127.0.0.1", parts.port or 80

    @property
    def host_header(self) -> str:
        return urlsplit(self.base_url).netloc

    def top_up(self, count: int) -> int:
        """Issue certificates until the pool holds ``count``; how many were issued."""
        before = len(self.tokens)
        if count <= before:
            return 0
        if not self.bearer:  # credentials and the digest always come from the real service
            self.bearer = workload.login(self.base_url)
            self.digest = workload.commitment_digest(self.base_url)
        codes = workload.credit_codes(count)  # the same sequence every time: a prefix is kept
        headers = {**JSON, "Authorization": f"Bearer {self.bearer}"}
        for start in range(before, count, _BATCH):
            batch = codes[start : min(count, start + _BATCH)]
            requests = [
                loadgen.build_request(
                    "POST",
                    "/api/applications",
                    self.host_header,
                    headers,
                    json.dumps(
                        workload.application_body(code, self.digest), ensure_ascii=False
                    ).encode(),
                )
                for code in batch
            ]
            for status, body in loadgen.fetch_all(*self.address, requests, 16):
                if status != 201:
                    raise RuntimeError(f"issuing answered {status}: {body[:500]!r}")
                certificate = json.loads(body)["certificate"]
                if not certificate or not certificate.get("token"):
                    raise RuntimeError(f"issuing gave no certificate: {body[:500]!r}")
                self.tokens.append(str(certificate["token"]))
        return len(self.tokens) - before

    def post_requests(self) -> list[bytes]:
        """``POST /api/verify`` with ``{"token": ...}``, one per certificate."""
        return [
            loadgen.build_request(
                "POST",
                VERIFY_PATH,
                self.host_header,
                JSON,
                (VERIFY_PIECES[0] + token + VERIFY_PIECES[1]).encode(),
            )
            for token in self.tokens
        ]

    def page_requests(self) -> list[bytes]:
        """``GET /V/<digits>`` asking for JSON, what a scanning app sends, one per certificate."""
        return [
            loadgen.build_request("GET", PAGE_PREFIX + digits, self.host_header, ACCEPT_JSON)
            for digits in self.page_digits()
        ]

    def page_digits(self) -> list[str]:
        return [token_to_digits(token) for token in self.tokens]
