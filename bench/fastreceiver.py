"""A fast webhook receiver for the push benchmark: asyncio (stdlib), HTTP/1.1 keep-alive.

``python -m bench.fastreceiver --port 8123 --secrets secrets.json`` binds 127.0.0.1 and
treats every ``POST /hook/<anything>`` as a pushed event, handled as a supervision system
would, but with nothing slow in the way (``tests/receiver.py`` is the faithful one, built
on ``standardwebhooks`` and the ``cloudevents`` SDK, for tests):

1. the Standard Webhooks signature: HMAC-SHA256 of ``{webhook-id}.{webhook-timestamp}.{body}``
   under each secret configured for the request's path (``secrets.json``:
   ``{"/hook/x": ["whsec_…", …]}``), compared in constant time against every ``v1,…`` of
   ``webhook-signature``; the timestamp must be within 5 minutes → else 401;
2. ``Content-Type: application/cloudevents+json`` and a JSON body whose ``id`` is the
   ``webhook-id`` and whose ``specversion`` is 1.0 → else 400;
3. records ``(path, webhook-id)`` with the receipt time (a repeat is counted as a
   duplicate, not again as a delivery) and answers 204.

Control endpoints (the harness polls them; they are not counted as hooks):

- ``GET /_health`` — 200;
- ``GET /_count`` — ``{"requests", "distinct", "duplicates", "rejected", "first_rejection"}``;
- ``GET /_times?after=T`` — ``[[path, webhook-id, receipt unix time], …]`` for every distinct
  delivery (received after unix time ``T``, when given);
- ``POST /_reset`` — forget everything counted so far.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import signal
import time
from pathlib import Path
from typing import Any

TOLERANCE_S = 300
MAX_HEAD = 64 * 1024
SECRET_PREFIX = "whsec_"


class State:
    def __init__(self, secrets: dict[str, list[str]]) -> None:
        self.keys = {
            path: [base64.b64decode(s.removeprefix(SECRET_PREFIX)) for s in values]
            for path, values in secrets.items()
        }
        self.reset()

    def reset(self) -> None:
        self.requests = 0
        self.duplicates = 0
        self.rejected = 0
        self.first_rejection = ""
        self.seen: dict[tuple[str, str], float] = {}

    def reject(self, status: int, why: str) -> tuple[int, bytes]:
        self.rejected += 1
        if not self.first_rejection:
            self.first_rejection = f"{status} {why}"
        return status, why.encode()

    def hook(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        self.requests += 1
        keys = self.keys.get(path)
        if keys is None:
            return self.reject(404, f"no subscription at {path}")
        msg_id = headers.get("webhook-id", "")
        stamp = headers.get("webhook-timestamp", "")
        offered = headers.get("webhook-signature", "")
        if not msg_id or not stamp.isdigit() or not offered:
            return self.reject(401, "missing webhook-id, -timestamp or -signature")
        if abs(time.time() - int(stamp)) > TOLERANCE_S:
            return self.reject(401, "timestamp outside the tolerance")
        signed = f"{msg_id}.{stamp}.".encode() + body
        candidates = [part[3:].encode() for part in offered.split(" ") if part.startswith("v1,")]
        valid = False
        for key in keys:
            expected = base64.b64encode(hmac.digest(key, signed, hashlib.sha256))
            if any(hmac.compare_digest(expected, c) for c in candidates):
                valid = True
                break
        if not valid:
            return self.reject(401, "no signature verifies")
        if headers.get("content-type", "").split(";")[0].strip() != (
            "application/cloudevents+json"
        ):
            return self.reject(400, "not application/cloudevents+json")
        try:
            event = json.loads(body)
        except ValueError:
            return self.reject(400, "body is not JSON")
        if (
            not isinstance(event, dict)
            or event.get("id") != msg_id
            or event.get("specversion") != "1.0"
        ):
            return self.reject(400, "not a CloudEvent of this webhook-id")
        key = (path, msg_id)
        if key in self.seen:
            self.duplicates += 1
        else:
            self.seen[key] = time.time()
        return 204, b""

    def control(self, method: str, path: str, query: str) -> tuple[int, bytes]:
        if path == "/_health":
            return 200, b"ok"
        if path == "/_count" and method == "GET":
            return 200, json.dumps(
                {
                    "requests": self.requests,
                    "distinct": len(self.seen),
                    "duplicates": self.duplicates,
                    "rejected": self.rejected,
                    "first_rejection": self.first_rejection,
                }
            ).encode()
        if path == "/_times" and method == "GET":
            after = float(query.removeprefix("after=") or 0) if query.startswith("after=") else 0
            found = [[p, i, t] for (p, i), t in self.seen.items() if t > after]
            return 200, json.dumps(found).encode()
        if path == "/_reset" and method == "POST":
            self.reset()
            return 200, b"{}"
        return 404, b"not found"


_REASONS = {200: "OK", 204: "No Content", 400: "Bad Request", 401: "Unauthorized"}


class HttpProtocol(asyncio.Protocol):
    def __init__(self, state: State) -> None:
        self.state = state
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        out: list[bytes] = []
        close = False
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > MAX_HEAD:
                    close = True
                break
            lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
            try:
                method, target, version = lines[0].split(" ", 2)
            except ValueError:
                close = True
                break
            headers: dict[str, str] = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            if "chunked" in headers.get("transfer-encoding", ""):
                out.append(self._response(411, b"send a content-length", True))
                close = True
                break
            length = int(headers.get("content-length", "0") or 0)
            if len(buf) < end + 4 + length:
                break
            body = bytes(buf[end + 4 : end + 4 + length])
            del buf[: end + 4 + length]
            path, _, query = target.partition("?")
            if path.startswith("/_"):
                status, payload = self.state.control(method, path, query)
            elif method == "POST":
                status, payload = self.state.hook(path, headers, body)
            else:
                status, payload = 405, b"POST only"
            close = headers.get("connection", "").lower() == "close" or version == "HTTP/1.0"
            out.append(self._response(status, payload, close))
            if close:
                break
        if out and self.transport is not None:
            self.transport.write(b"".join(out))
        if close and self.transport is not None:
            self.transport.close()

    @staticmethod
    def _response(status: int, payload: bytes, close: bool) -> bytes:
        # (a header on every answer: wrk hands a response to its script only if it has one)
        head = f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\nServer: fastreceiver\r\n"
        if status != 204:
            kind = "application/json" if payload[:1] in (b"{", b"[") else "text/plain"
            head += f"Content-Type: {kind}\r\nContent-Length: {len(payload)}\r\n"
        if close:
            head += "Connection: close\r\n"
        return head.encode() + b"\r\n" + payload


async def serve(port: int, state: State) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    server = await loop.create_server(
        lambda: HttpProtocol(state), "127.0.0.1", port, backlog=1024, reuse_address=True
    )
    print(f"fastreceiver listening on 127.0.0.1:{port}", flush=True)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fastreceiver", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secrets", type=Path, required=True, help='{"/hook/x": ["whsec_…"]}')
    args = parser.parse_args(argv)
    secrets: dict[str, Any] = json.loads(args.secrets.read_text())
    asyncio.run(serve(args.port, State({str(k): list(v) for k, v in secrets.items()})))


if __name__ == "__main__":
    main()
