"""The baseline: issuing a commitment permit with a bare ASGI app and the raw driver.

No Litestar, no Piccolo: a hand-written ASGI callable served by granian, the
same request body decoded by msgspec into ``approvals.web.schemas.ApplicationIn``,
the same checks and rows as the service (``bench.raw_issue``), written with
``sqlite3`` or ``asyncpg`` (``bench.raw_stores``).

Run it like the service (``approvals serve`` builds the same ``Granian``)::

    BENCH_RAW_DATABASE=data/approvals.sqlite3 APPROVALS_SECRET=… python -m bench.raw_server

Environment: BENCH_RAW_DATABASE (a SQLite file or a postgresql:// DSN),
APPROVALS_SECRET (decrypts the issuer's signing key), APPROVALS_HOST,
APPROVALS_PORT, APPROVALS_WORKERS, APPROVALS_BASE_URL (as the service reads them).
"""

from __future__ import annotations

import gc
import hashlib
import os
from collections.abc import Awaitable, Callable
from typing import Any

from approvals.clock import SystemClock, local_date
from bench.raw_checks import Context, Refused, check
from bench.raw_issue import prepare
from bench.raw_stores import Store, open_store
from certs.keys import KeyAlgorithm, SigningKey, decrypt_private_key
from forms.catalogue import commitment_text_digest

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

PERMIT_CODE = "public_place_hygiene"
_JSON = [(b"content-type", b"application/json")]
_clock = SystemClock()


class RawApp:
    def __init__(self) -> None:
        self.store: Store | None = None
        self.ctx: Context | None = None

    async def startup(self) -> None:
        store = open_store(os.environ["BENCH_RAW_DATABASE"])
        await store.start()
        spec, version, issuer, key = await store.load(PERMIT_CODE)
        secret = os.environ["APPROVALS_SECRET"].encode()
        private = decrypt_private_key(
            key["blob"], secret, aad=f"{spec.issuer}/{key['kid']}".encode()
        )
        host = os.environ.get("APPROVALS_HOST", "127.0.0.1")
        port = os.environ.get("APPROVALS_PORT", "8000")
        base_url = os.environ.get("APPROVALS_BASE_URL", f"http://{host}:{port}").rstrip("/")
        self.ctx = Context(
            spec=spec,
            version=version,
            key=SigningKey(kid=key["kid"], alg=KeyAlgorithm(key["alg"]), private_key=private),
            issuer=issuer,
            base_url=base_url,
            commitment_digest=commitment_text_digest(spec),
        )
        self.store = store
        # As the service does after start-up: long-lived objects leave the collector's sight.
        gc.collect()
        gc.freeze()

    async def shutdown(self) -> None:
        if self.store is not None:
            await self.store.stop()

    async def submit(self, headers: list[tuple[bytes, bytes]], body: bytes) -> tuple[int, bytes]:
        store, ctx = self.store, self.ctx
        assert store is not None
        assert ctx is not None
        token = ""
        for name, value in headers:
            if name == b"authorization":
                scheme, _, rest = value.decode("latin-1").partition(" ")
                token = rest.strip() if scheme.lower() == "bearer" else ""
        if not token or len(token) > 128:
            return 401, b'{"code":"unauthenticated"}'
        now = _clock.now()
        today = local_date(now)
        async with store.connection() as db:
            caller = await db.caller(hashlib.sha256(token.encode()).hexdigest(), now)
            if caller is None:
                return 401, b'{"code":"unauthenticated"}'
            try:
                filing = check(ctx, caller, body, today)
                if filing.problems:  # report the credit bar too, as the service does
                    barred = filing.code_valid and await db.barred(filing.holder_code, today)
                    problems = filing.problems + (["commitment_barred"] if barred else [])
                    raise Refused(422, "automatic_checks_failed", problems)
                answer = await db.issue(prepare(ctx, caller, filing, now))
                if answer is None:
                    raise Refused(422, "automatic_checks_failed", ["commitment_barred"])
                return 201, answer
            except Refused as refused:
                return refused.status, refused.body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path, method = scope["path"], scope["method"]
        if path == "/health":
            status, answer = 200, b'{"status":"ok"}'
        elif path in ("/api/applications", "/api/applications/") and method == "POST":
            body = await _read_body(receive)
            try:
                status, answer = await self.submit(scope["headers"], body)
            except Exception as exc:  # a bug in the baseline: say so in the sample body
                status, answer = 500, repr(exc).encode()
        else:
            status, answer = 404, b'{"code":"not_found"}'
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [*_JSON, (b"content-length", str(len(answer)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": answer})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


app = RawApp()


def main() -> None:
    from granian import Granian
    from granian.constants import Interfaces

    env = os.environ.get
    Granian(
        "bench.raw_server:app",
        address=env("APPROVALS_HOST", "127.0.0.1"),
        port=int(env("APPROVALS_PORT", "8000")),
        interface=Interfaces.ASGI,
        workers=int(env("APPROVALS_WORKERS", "1")),
        log_access=bool(env("APPROVALS_ACCESS_LOG")),
    ).serve()


if __name__ == "__main__":
    main()
