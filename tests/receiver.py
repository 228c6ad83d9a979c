"""A supervision department's webhook receiver, for tests: a real process, driven over HTTP.

Run as a script (it binds 127.0.0.1 only)::

    python tests/receiver.py --port 8123 --secret whsec_… [--secret whsec_…] --log hooks.jsonl

It treats every ``POST`` to a path not starting with ``/_`` as a pushed event and handles it
as a supervision system would (shared/REFERENCES.md §4):

1. verifies the Standard Webhooks signature with ``standardwebhooks`` against each configured
   secret (one match is enough; the library also refuses timestamps more than 5 min off)
   → 401 with a JSON reason if none verifies;
2. requires ``Content-Type: application/cloudevents+json`` and parses the body with the
   ``cloudevents`` SDK (2.x, ``cloudevents.core``) as a CloudEvents 1.0 structured event
   → 400 if that fails;
3. applies the fault plan (below), records the delivery (in memory and as one JSON line in
   the ``--log`` file) and answers 204 unless a fault says otherwise.

Rejected requests (401/400) are not deliveries; they are kept in memory, under ``rejected``.

Control endpoints:

- ``POST /_faults`` — a JSON list of rules appended to the plan. A rule
  ``{"path": "/exact/path" (optional), "times": N (default 1), "action": …}`` applies to the
  next N hook requests that match it; the first matching rule in the plan wins. Actions:
  ``{"action": "status", "status": 500}``;
  ``{"action": "retry_after", "status": 429, "retry_after": "2"}`` (header value verbatim);
  ``{"action": "timeout", "seconds": 20}`` (hold the request, then answer 204);
  ``{"action": "drop_after_processing"}`` (record as processed, close without answering).
- ``GET /_faults`` — what is left of the plan; ``DELETE /_faults`` — clear it.
- ``GET /_received`` — ``{"deliveries": […], "rejected": […]}``; ``DELETE /_received`` clears
  both (the log file stays).
- ``GET /_health`` — 200.

Every verified, parsed request is recorded, faulted or not, with ``answered`` (the status
code, ``"timeout"`` or ``"dropped"``) and ``processed`` (true for a 2xx answer and for
``drop_after_processing``: the attempts a real receiver would have acted on).

From tests, use :class:`Receiver` (starts this script in a process of its own)::

    with Receiver(secrets=[new_secret()], log_dir=tmp_path) as rx:
        rx.faults([{"action": "status", "status": 500, "times": 2}])
        ...  # push to rx.url("/hook/health_inspection")
        rx.wait_for(lambda deliveries: len(deliveries) >= 3, timeout=30)
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import contextlib
import itertools
import json
import os
import secrets as random_secrets
import signal
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import IO, Any
from urllib.parse import urlsplit

import httpx
from cloudevents.core.bindings.http import HTTPMessage, from_structured_event
from cloudevents.core.v1.event import CloudEvent
from standardwebhooks.webhooks import Webhook

HOST = "127.0.0.1"
CE_MEDIA_TYPE = "application/cloudevents+json"
MAX_BODY = 10 * 1024 * 1024
SECRET_PREFIX = "whsec_"
ACTIONS = ("status", "retry_after", "timeout", "drop_after_processing")

Delivery = dict[str, Any]


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(random_secrets.token_bytes(32)).decode()


def check_secret(secret: str) -> str:
    """The secret itself, or ValueError unless it is ``whsec_`` + base64 of 24–64 bytes."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a secret starts with whsec_")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except binascii.Error as exc:
        raise ValueError("a secret is whsec_ followed by base64") from exc
    if not 24 <= len(key) <= 64:
        raise ValueError(f"a secret holds 24 to 64 bytes, not {len(key)}")
    return secret


def signed_headers(
    secrets: str | Sequence[str],
    msg_id: str,
    body: bytes | str,
    timestamp: datetime | None = None,
    *,
    content_type: str | None = CE_MEDIA_TYPE,
) -> dict[str, str]:
    """Standard Webhooks headers made with the library's own ``Webhook.sign`` (one
    ``v1,…`` per secret, as during a rotation), plus the CloudEvents content type."""
    when = timestamp or datetime.now(UTC)
    payload = body.decode() if isinstance(body, bytes) else body
    keys = [secrets] if isinstance(secrets, str) else list(secrets)
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        # Webhook.sign *replaces* the tzinfo with UTC: give it UTC, never local time.
        "webhook-signature": " ".join(
            Webhook(key).sign(msg_id, when.astimezone(UTC), payload) for key in keys
        ),
    }
    if content_type is not None:
        headers["content-type"] = content_type
    return headers


# -- the server ------------------------------------------------------------------------------


class RuleError(ValueError):
    pass


class EventError(ValueError):
    pass


@dataclass
class Rule:
    action: str
    times: int
    path: str | None
    status: int | None = None
    retry_after: str | None = None
    seconds: float = 0.0

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"action": self.action, "times": self.times, "path": self.path}
        if self.status is not None:
            out["status"] = self.status
        if self.retry_after is not None:
            out["retry_after"] = self.retry_after
        if self.action == "timeout":
            out["seconds"] = self.seconds
        return out


def _status(value: Any, default: int | None = None) -> int:
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not 200 <= value <= 599:
        raise RuleError(f"status must be an integer from 200 to 599, not {value!r}")
    return value


def parse_rule(obj: Any) -> Rule:
    if not isinstance(obj, dict):
        raise RuleError(f"a rule is a JSON object, not {obj!r}")
    action = obj.get("action")
    if action not in ACTIONS:
        raise RuleError(f"action must be one of {', '.join(ACTIONS)}, not {action!r}")
    times = obj.get("times", 1)
    if isinstance(times, bool) or not isinstance(times, int) or times < 1:
        raise RuleError(f"times must be a positive integer, not {times!r}")
    path = obj.get("path")
    if path is not None and (not isinstance(path, str) or not path.startswith("/")):
        raise RuleError(f"path must be an absolute path such as /hook, not {path!r}")
    rule = Rule(action=action, times=times, path=path)
    if action == "status":
        rule.status = _status(obj.get("status"))
    elif action == "retry_after":
        rule.status = _status(obj.get("status"), 503)
        value = obj.get("retry_after")
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
            raise RuleError(f"retry_after must be a header value (a string), not {value!r}")
        rule.retry_after = value
    elif action == "timeout":
        seconds = obj.get("seconds", 30)
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise RuleError(f"seconds must be a non-negative number, not {seconds!r}")
        rule.seconds = float(seconds)
    return rule


def parse_event(content_type: str | None, body: bytes) -> tuple[CloudEvent, dict[str, Any]]:
    """The CloudEvent in a structured-mode request, parsed by the SDK, and the raw JSON
    object (read only to see what the sender wrote: the SDK fills in a missing ``id``,
    ``specversion`` and ``time`` by itself, which a receiver must not accept)."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != CE_MEDIA_TYPE:
        raise EventError(f"Content-Type must be {CE_MEDIA_TYPE}, not {content_type!r}")
    try:
        event = from_structured_event(
            HTTPMessage(headers={"content-type": CE_MEDIA_TYPE}, body=body)
        )
    except Exception as exc:  # the SDK raises JSON, type, value and validation errors alike
        raise EventError(f"not a CloudEvent: {type(exc).__name__}: {exc}") from exc
    if not isinstance(event, CloudEvent) or event.get_specversion() != "1.0":
        raise EventError(f"not a CloudEvents 1.0 event: {type(event).__name__}")
    raw = json.loads(body)
    missing = [name for name in ("specversion", "id") if name not in raw]
    if missing:
        raise EventError(f"not a CloudEvent: missing {', '.join(missing)}")
    return event, raw


class State:
    """What the receiver knows: secrets, fault plan, deliveries; shared by the threads."""

    def __init__(self, secrets: Sequence[str], log_path: Path) -> None:
        self.webhooks = [Webhook(s) for s in secrets]
        self.lock = threading.Lock()
        self.deliveries: list[Delivery] = []
        self.rejected: list[dict[str, Any]] = []
        self.plan: list[Rule] = []
        self.stopping = threading.Event()
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log: IO[str] = log_path.open("a", encoding="utf-8")

    def verify(self, body: bytes, headers: Mapping[str, str]) -> tuple[int | None, str]:
        """The index of the first secret that verifies the request, or None and why not."""
        reasons: list[str] = []
        for index, webhook in enumerate(self.webhooks):
            try:
                webhook.verify(body, dict(headers), json_parse=False)
            except Exception as exc:  # malformed headers raise ValueError, not the library's
                reasons.append(f"{type(exc).__name__}: {exc}")
            else:
                return index, ""
        return None, "; ".join(dict.fromkeys(reasons))

    def take_fault(self, path: str) -> Rule | None:
        with self.lock:
            for index, rule in enumerate(self.plan):
                if rule.path is None or rule.path == path:
                    taken = Rule(**vars(rule))
                    rule.times -= 1
                    if rule.times == 0:
                        del self.plan[index]
                    return taken
        return None

    def add_faults(self, rules: Iterable[Rule]) -> list[dict[str, Any]]:
        with self.lock:
            self.plan.extend(rules)
            return [rule.describe() for rule in self.plan]

    def faults(self) -> list[dict[str, Any]]:
        with self.lock:
            return [rule.describe() for rule in self.plan]

    def clear_faults(self) -> int:
        with self.lock:
            count = len(self.plan)
            self.plan.clear()
            return count

    def record(self, delivery: Delivery) -> None:
        line = json.dumps(delivery, ensure_ascii=False)
        with self.lock:
            self.deliveries.append(delivery)
            self.log.write(line + "\n")
            self.log.flush()

    def reject(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.rejected.append(entry)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {"deliveries": list(self.deliveries), "rejected": list(self.rejected)}

    def clear_received(self) -> None:
        with self.lock:
            self.deliveries.clear()
            self.rejected.clear()

    def close(self) -> None:
        with self.lock:
            self.log.close()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a held ("timeout") request must not delay shutting down
    request_queue_size = 128

    def __init__(self, port: int, state: State) -> None:
        self.state = state
        super().__init__((HOST, port), Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would also look the host name up (getfqdn): not needed.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = HOST, int(self.server_address[1])


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SupervisionReceiver/1.0"
    timeout = 120  # idle keep-alive connections end eventually
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls
    server: Server

    # -- plumbing --

    def _read_body(self) -> bytes | None:
        """The request body (Content-Length or chunked); None once an error was sent."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            size_total = 0
            while True:
                line = self.rfile.readline(1024)
                try:
                    size = int(line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    self._fail(400, "bad chunked encoding")
                    return None
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                size_total += size
                if size_total > MAX_BODY:
                    self._fail(413, "body too large")
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            return b""
        try:
            length = int(length_header)
        except ValueError:
            self._fail(400, "bad Content-Length")
            return None
        if length < 0:
            self._fail(400, "bad Content-Length")
            return None
        if length > MAX_BODY:
            self._fail(413, "body too large")
            return None
        return self.rfile.read(length)

    def _fail(self, status: int, reason: str) -> None:
        self.close_connection = True  # the body was not read: the stream is out of step
        self._send(status, {"error": reason})

    def _send(
        self,
        status: int,
        payload: Any = None,
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if status in (204, 304):
            self.end_headers()
            return
        body = json.dumps({} if payload is None else payload, ensure_ascii=False).encode()
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"{self.log_date_time_string()} {format % args}\n")

    # -- methods --

    def do_GET(self) -> None:
        if self._read_body() is None:
            return
        path = urlsplit(self.path).path
        state = self.server.state
        if path == "/_health":
            self._send(200, {"status": "ok"})
        elif path == "/_received":
            self._send(200, state.snapshot())
        elif path == "/_faults":
            self._send(200, {"faults": state.faults()})
        elif path.startswith("/_"):
            self._send(404, {"error": f"no control endpoint {path}"})
        else:
            self._send(405, {"error": "hooks take POST"}, [("Allow", "POST")])

    def do_DELETE(self) -> None:
        if self._read_body() is None:
            return
        path = urlsplit(self.path).path
        state = self.server.state
        if path == "/_received":
            state.clear_received()
            self._send(200, {"cleared": True})
        elif path == "/_faults":
            self._send(200, {"cleared": state.clear_faults()})
        elif path.startswith("/_"):
            self._send(404, {"error": f"no control endpoint {path}"})
        else:
            self._send(405, {"error": "hooks take POST"}, [("Allow", "POST")])

    def do_POST(self) -> None:
        received_at = time.time()
        body = self._read_body()
        if body is None:
            return
        path = urlsplit(self.path).path
        if path == "/_faults":
            self._post_faults(body)
        elif path.startswith("/_"):
            self._send(404, {"error": f"no control endpoint {path}"})
        else:
            self._hook(path, body, received_at)

    def _post_faults(self, body: bytes) -> None:
        try:
            obj = json.loads(body)
            items = obj if isinstance(obj, list) else [obj]
            rules = [parse_rule(item) for item in items]
        except ValueError as exc:  # JSONDecodeError and RuleError
            self._send(400, {"error": str(exc)})
            return
        self._send(200, {"faults": self.server.state.add_faults(rules)})

    def _hook(self, path: str, body: bytes, received_at: float) -> None:
        state = self.server.state
        headers = {name.lower(): value for name, value in self.headers.items()}
        secret_index, why = state.verify(body, headers)
        if secret_index is None:
            self._refuse(401, path, received_at, headers, "invalid signature", why)
            return
        try:
            event, raw = parse_event(headers.get("content-type"), body)
        except EventError as exc:
            self._refuse(400, path, received_at, headers, "invalid event", str(exc))
            return

        rule = state.take_fault(path)
        answered: int | str
        if rule is None:
            answered = 204
        elif rule.action == "timeout":
            answered = "timeout"
        elif rule.action == "drop_after_processing":
            answered = "dropped"
        else:
            answered = rule.status or 500
        data = event.get_data()
        delivery: Delivery = {
            "path": path,
            "webhook_id": headers.get("webhook-id"),
            "ce_id": event.get_id(),
            "type": event.get_type(),
            "subject": event.get_subject(),
            "source": event.get_source(),
            "partitionkey": event.get_extension("partitionkey"),
            "time": raw.get("time"),  # as sent; the SDK turns it into a datetime
            "datacontenttype": event.get_datacontenttype(),
            "data": None if isinstance(data, bytes) else data,
            "received_at": received_at,
            "webhook_timestamp": int(float(headers["webhook-timestamp"])),
            "signatures": len(headers["webhook-signature"].split()),
            "secret_index": secret_index,
            "content_type": headers.get("content-type"),
            "fault": rule.action if rule else None,
            "answered": answered,
            "processed": answered == "dropped"
            or (isinstance(answered, int) and 200 <= answered < 300),
        }
        if isinstance(data, bytes):
            delivery["data_base64"] = base64.b64encode(data).decode()
        state.record(delivery)

        if rule is None:
            self._send(204)
        elif rule.action == "status":
            self._send(rule.status or 500, {"fault": "status"})
        elif rule.action == "retry_after":
            self._send(
                rule.status or 503,
                {"fault": "retry_after"},
                [("Retry-After", rule.retry_after or "")],
            )
        elif rule.action == "timeout":
            state.stopping.wait(rule.seconds)
            self.close_connection = True
            with contextlib.suppress(OSError):  # the sender has long gone
                self._send(204)
        else:  # drop_after_processing: "crash" before answering
            self.close_connection = True

    def _refuse(
        self,
        status: int,
        path: str,
        received_at: float,
        headers: Mapping[str, str],
        error: str,
        reason: str,
    ) -> None:
        self.server.state.reject(
            {
                "path": path,
                "status": status,
                "error": error,
                "reason": reason,
                "webhook_id": headers.get("webhook-id"),
                "received_at": received_at,
            }
        )
        self._send(status, {"error": error, "reason": reason})


def _secret_arg(value: str) -> str:
    try:
        return check_secret(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--port", type=int, required=True, help="port on 127.0.0.1; 0: any free")
    parser.add_argument(
        "--secret", action="append", required=True, type=_secret_arg, help="whsec_…; repeatable"
    )
    parser.add_argument("--log", type=Path, required=True, help="JSON-lines file of deliveries")
    parser.add_argument("--port-file", type=Path, help="write the bound port here when ready")
    args = parser.parse_args(argv)

    state = State(args.secret, args.log)
    server = Server(args.port, state)
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    serving.start()
    port = server.server_port
    if args.port_file is not None:
        partial = args.port_file.with_name(args.port_file.name + ".partial")
        partial.write_text(str(port))
        partial.replace(args.port_file)
    print(f"receiver listening on http://{HOST}:{port}/", file=sys.stderr, flush=True)
    try:
        while not stop.wait(0.2):
            pass
    finally:
        state.stopping.set()  # releases held requests
        server.shutdown()
        serving.join()
        server.server_close()
        state.close()
        print("receiver stopped", file=sys.stderr, flush=True)
    return 0


# -- the test API ----------------------------------------------------------------------------


class ReceiverError(RuntimeError):
    pass


_names = itertools.count()


class Receiver:
    """The receiver in a process of its own on a free 127.0.0.1 port; a context manager.

    ``secrets`` default to one fresh secret (``rx.secrets``). Deliveries go to
    ``rx.log_path`` in ``log_dir`` (a temporary directory if not given), the process's
    output to ``rx.stderr_path`` beside it.
    """

    def __init__(
        self,
        secrets: Sequence[str] | None = None,
        log_dir: str | os.PathLike[str] | None = None,
        *,
        name: str = "receiver",
        start_timeout: float = 15.0,
        control_timeout: float = 10.0,
    ) -> None:
        self.secrets = list(secrets) if secrets else [new_secret()]
        self.log_dir = Path(log_dir) if log_dir is not None else Path(tempfile.mkdtemp())
        self.log_dir.mkdir(parents=True, exist_ok=True)
        stem = name
        while (self.log_dir / f"{stem}.jsonl").exists() or (self.log_dir / f"{stem}.out").exists():
            stem = f"{name}-{next(_names)}"
        self.log_path = self.log_dir / f"{stem}.jsonl"
        self.stderr_path = self.log_dir / f"{stem}.out"
        self._port_file = self.log_dir / f"{stem}.port"
        self.start_timeout = start_timeout
        self.control_timeout = control_timeout
        self.port: int | None = None
        self.returncode: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._http: httpx.Client | None = None

    # -- life cycle --

    def start(self) -> Receiver:
        if self._process is not None:
            raise ReceiverError("the receiver is already started")
        command = [sys.executable, str(Path(__file__).resolve()), "--port", "0"]
        command += ["--log", str(self.log_path), "--port-file", str(self._port_file)]
        for secret in self.secrets:
            command += ["--secret", secret]
        self._stderr = self.stderr_path.open("ab")
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self._stderr,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self._wait_until_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_healthy(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.start_timeout
        while True:
            if self._process.poll() is not None:
                raise ReceiverError(
                    f"the receiver exited with {self._process.returncode}{self._tail()}"
                )
            if self.port is None and self._port_file.exists():
                self.port = int(self._port_file.read_text())
                self._http = httpx.Client(
                    base_url=self.base_url, timeout=self.control_timeout, trust_env=False
                )
            if self._http is not None:
                with contextlib.suppress(httpx.HTTPError):
                    if self._http.get("/_health", timeout=1).status_code == 200:
                        return
            if time.monotonic() > deadline:
                raise ReceiverError(f"the receiver did not come up{self._tail()}")
            time.sleep(0.02)

    def stop(self, timeout: float = 5.0) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout``; the exit status (0 after a clean stop)."""
        process = self._process
        if process is not None:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
            self.returncode = process.returncode
            self._process = None
        if self._http is not None:
            self._http.close()
            self._http = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        return self.returncode

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses --

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise ReceiverError("the receiver is not started")
        return f"http://{HOST}:{self.port}"

    def url(self, path: str = "/hook") -> str:
        """The URL of a hook (a subscription URL), e.g. ``rx.url("/hook/health_inspection")``."""
        return self.base_url + (path if path.startswith("/") else "/" + path)

    # -- control --

    def _tail(self, chars: int = 3000) -> str:
        if self._stderr is not None:
            self._stderr.flush()
        try:
            text = self.stderr_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""
        return f"\n--- receiver output ({self.stderr_path}) ---\n{text}" if text else ""

    def _call(self, method: str, path: str, payload: Any = None) -> Any:
        if self._http is None:
            raise ReceiverError("the receiver is not started")
        try:
            response = self._http.request(method, path, json=payload)
        except httpx.HTTPError as exc:
            raise ReceiverError(f"{method} {path}: {exc!r}{self._tail()}") from exc
        if response.status_code != 200:
            raise ReceiverError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()

    def faults(self, rules: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Append rules to the fault plan; the whole plan as it now stands."""
        return list(self._call("POST", "/_faults", list(rules))["faults"])

    def pending_faults(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/_faults")["faults"])

    def clear_faults(self) -> None:
        self._call("DELETE", "/_faults")

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        return dict(self._call("GET", "/_received"))

    def received(self) -> list[Delivery]:
        """Every recorded attempt (faulted ones included), in the order they arrived."""
        return list(self.snapshot()["deliveries"])

    def rejected(self) -> list[dict[str, Any]]:
        """Requests refused with 401 (signature) or 400 (not a CloudEvent)."""
        return list(self.snapshot()["rejected"])

    def processed_ids(self) -> set[str]:
        """Webhook ids of the deliveries a real receiver would have acted on."""
        return {d["webhook_id"] for d in self.received() if d.get("processed")}

    def clear(self) -> None:
        """Forget deliveries and rejections (the log file keeps them)."""
        self._call("DELETE", "/_received")

    def read_log(self) -> list[Delivery]:
        """The deliveries in the log file (all of them, since the file was created)."""
        if not self.log_path.exists():
            return []
        lines = self.log_path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def wait_for(
        self,
        predicate: Callable[[list[Delivery]], bool],
        timeout: float = 30.0,
        interval: float = 0.05,
    ) -> list[Delivery]:
        """Poll the deliveries until ``predicate(deliveries)`` holds; them, or TimeoutError.

        Blocks the calling thread: from a coroutine whose event loop also runs the sender,
        use :meth:`wait_for_async`."""
        deadline = time.monotonic() + timeout
        while True:
            deliveries = self.received()
            if predicate(deliveries):
                return deliveries
            if time.monotonic() > deadline:
                raise TimeoutError(self._timeout_message(timeout, deliveries))
            time.sleep(interval)

    async def received_async(self) -> list[Delivery]:
        async with httpx.AsyncClient(timeout=self.control_timeout, trust_env=False) as http:
            response = await http.get(self.url("/_received"))
        response.raise_for_status()
        return list(response.json()["deliveries"])

    async def wait_for_async(
        self,
        predicate: Callable[[list[Delivery]], bool],
        timeout: float = 30.0,  # noqa: ASYNC109 -- the same signature as wait_for
        interval: float = 0.05,
    ) -> list[Delivery]:
        """:meth:`wait_for` without blocking the event loop."""
        deadline = time.monotonic() + timeout
        while True:
            deliveries = await self.received_async()
            if predicate(deliveries):
                return deliveries
            if time.monotonic() > deadline:
                raise TimeoutError(self._timeout_message(timeout, deliveries))
            await asyncio.sleep(interval)

    def _timeout_message(self, timeout: float, deliveries: list[Delivery]) -> str:
        summary = "\n".join(
            f"  {d['path']} {d['webhook_id']} {d['type']} -> {d['answered']}" for d in deliveries
        )
        return (
            f"condition not met within {timeout} s; {len(deliveries)} deliveries:\n"
            f"{summary}{self._tail(1500)}"
        )


if __name__ == "__main__":
    sys.exit(main())
