"""A small HTTP/1.1 client in asyncio: a closed loop (fetch these, N at a time) and a paced
open loop (wrk2-style, for want of wrk2 in Debian).

Both keep ``connections`` keep-alive connections open and send ready-made request bytes.
Responses are read by ``Content-Length`` (what granian sends for Litestar's bodies;
anything else is an error, never a silent hang).

:func:`paced` sends request *i* at ``start + i / rate`` on whichever connection is free and
measures each latency from that *scheduled* time, so a server that stalls is charged for
every request that had to wait behind the stall (no coordinated omission); such requests
are counted as ``queued``. How late the generator itself woke for a send it was waiting
for (its timer and its CPU) is kept apart as ``lag``: a large lag means the numbers say
more about this process than about the server.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast


def build_request(
    method: str, path: str, host: str, headers: Mapping[str, str], body: bytes = b""
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += (f"{name}: {value}" for name, value in headers.items())
    if body or method != "GET":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class _Connection(asyncio.Protocol):
    """One keep-alive connection; one request in flight at a time."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # asyncio's own transport, or uvloop's (which is no asyncio.Transport subclass).
        self._transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(ConnectionError(f"connection lost: {exc}"))

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0 or self._waiter is None or self._waiter.done():
            return
        head = bytes(self._buffer[:end]).decode("latin-1").split("\r\n")
        length = None
        for line in head[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        if length is None:
            self._waiter.set_exception(ConnectionError(f"no Content-Length: {head[:3]}"))
            return
        total = end + 4 + length
        if len(self._buffer) >= total:
            body = bytes(self._buffer[end + 4 : total])
            del self._buffer[:total]
            self._waiter.set_result((int(head[0].split(" ", 2)[1]), body))

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        if self._transport is None:
            raise ConnectionError("not connected")
        self._waiter = asyncio.get_running_loop().create_future()
        self._transport.write(raw)
        return await self._waiter

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


async def _connect(host: str, port: int, count: int) -> list[_Connection]:
    loop = asyncio.get_running_loop()
    made = [await loop.create_connection(_Connection, host, port) for _ in range(count)]
    return [protocol for _, protocol in made]


# For clients that keep state between requests (bench.casework): the same connections.
Connection = _Connection
connect = _connect


# -- closed loop ----------------------------------------------------------------


async def _fetch_all(
    host: str, port: int, requests: Sequence[bytes], connections: int
) -> list[tuple[int, bytes]]:
    conns = await _connect(host, port, connections)
    results: list[tuple[int, bytes]] = [(0, b"")] * len(requests)
    counter = itertools.count()

    async def worker(conn: _Connection) -> None:
        for i in iter(counter.__next__, None):
            if i >= len(requests):
                return
            results[i] = await conn.request(requests[i])

    try:
        await asyncio.gather(*(worker(c) for c in conns))
    finally:
        for conn in conns:
            conn.close()
    return results


def fetch_all(
    host: str, port: int, requests: Sequence[bytes], connections: int = 16
) -> list[tuple[int, bytes]]:
    """(status, body) of every request, in order, ``connections`` at a time."""
    return asyncio.run(_fetch_all(host, port, requests, connections))


# -- paced (open) loop ------------------------------------------------------------


@dataclass(frozen=True)
class PacedResult:
    rate: float  # asked for, requests/s
    sent: int
    queued: int  # sent late because no connection was free at the scheduled time
    ok: int
    non2xx: int
    socket_errors: int
    seconds: float  # from the first scheduled send to the last answer
    p50_ms: float
    p99_ms: float
    max_ms: float
    lag_p99_ms: float  # how late the generator woke for a send it waited for, 99th percentile
    cpu_s: float  # the generator's own CPU time
    sample_status: int
    sample_body: str

    @property
    def ok_per_s(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return self.non2xx + self.socket_errors


def _percentile(sorted_values: Sequence[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


async def _paced(
    host: str,
    port: int,
    requests: Sequence[bytes],
    *,
    rate: float,
    seconds: float,
    connections: int,
    offset: int,
) -> PacedResult:
    loop = asyncio.get_running_loop()
    conns = await _connect(host, port, connections)
    total = max(1, round(rate * seconds))
    counter = itertools.count()
    latencies: list[float] = []
    lags: list[float] = []
    tally = {"ok": 0, "non2xx": 0, "socket": 0, "status": 0, "queued": 0}
    sample = [b""]
    start = loop.time() + 0.05

    async def worker(conn: _Connection) -> None:
        for i in iter(counter.__next__, None):
            if i >= total:
                return
            due = start + i / rate
            if due > loop.time():
                await asyncio.sleep(due - loop.time())
                lags.append(loop.time() - due)  # the generator's own lateness
            else:
                tally["queued"] += 1  # every connection was still busy: the server is behind
            try:
                status, body = await conn.request(requests[(offset + i) % len(requests)])
            except ConnectionError:
                tally["socket"] += 1
                return  # this connection is gone; the others go on
            latencies.append(loop.time() - due)
            if 200 <= status < 300:
                tally["ok"] += 1
            else:
                tally["non2xx"] += 1
                if not tally["status"]:
                    tally["status"], sample[0] = status, body

    cpu0 = time.process_time()
    try:
        await asyncio.wait_for(
            asyncio.gather(*(worker(c) for c in conns)), timeout=seconds * 2 + 60
        )
    finally:
        for conn in conns:
            conn.close()
    elapsed = loop.time() - start
    latencies.sort()
    lags.sort()
    return PacedResult(
        rate=rate,
        sent=len(latencies) + tally["socket"],
        queued=tally["queued"],
        ok=tally["ok"],
        non2xx=tally["non2xx"],
        socket_errors=tally["socket"],
        seconds=elapsed,
        p50_ms=_percentile(latencies, 0.50) * 1000,
        p99_ms=_percentile(latencies, 0.99) * 1000,
        max_ms=(latencies[-1] if latencies else 0.0) * 1000,
        lag_p99_ms=_percentile(lags, 0.99) * 1000,
        cpu_s=time.process_time() - cpu0,
        sample_status=tally["status"],
        sample_body=sample[0].decode(errors="replace"),
    )


def paced(
    host: str,
    port: int,
    requests: Sequence[bytes],
    *,
    rate: float,
    seconds: float,
    connections: int = 16,
    offset: int = 0,
) -> PacedResult:
    """Send ``rate`` requests a second for ``seconds``, request ``offset + i`` (cycling) as
    the *i*-th; latency from each request's scheduled time to its full answer."""
    return asyncio.run(
        _paced(
            host,
            port,
            requests,
            rate=rate,
            seconds=seconds,
            connections=connections,
            offset=offset,
        )
    )
