"""The test receiver (tests/receiver.py) behaves as a supervision system would, and its fault
plan does what it says: a real process, real signatures from ``standardwebhooks``."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cloudevents.core.bindings.http import to_structured_event
from cloudevents.core.v1.event import CloudEvent
from receiver import Receiver, ReceiverError, new_secret, signed_headers
from standardwebhooks.webhooks import Webhook

SECRET_A = new_secret()
SECRET_B = new_secret()
SECRET_OTHER = new_secret()  # not configured on the receiver
SOURCE = "https://approvals.example.gov.cn"
TYPE = "cn.gov.health.approvals.certificate.issued"


def event_body(event_id: str | None = None, **attributes: Any) -> tuple[str, bytes]:
    """A structured-mode CloudEvent written by the SDK, as the service sends them."""
    event_id = event_id or str(uuid.uuid4())
    event = CloudEvent(
        {
            "id": event_id,
            "source": SOURCE,
            "type": TYPE,
            "subject": "certificates/卫公证字[2026]第0001号",
            "time": datetime(2026, 3, 1, 8, 30, tzinfo=UTC),
            "datacontenttype": "application/json",
            "partitionkey": "licence-42",
            **attributes,
        },
        {"certificate_no": "0001", "holder": "某某诊所"},
    )
    return event_id, to_structured_event(event).body


@pytest.fixture(scope="module")
def shared_receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Receiver]:
    with Receiver(secrets=[SECRET_A, SECRET_B], log_dir=tmp_path_factory.mktemp("rx")) as rx:
        yield rx


@pytest.fixture
def rx(shared_receiver: Receiver) -> Receiver:
    shared_receiver.clear_faults()
    shared_receiver.clear()
    return shared_receiver


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5, trust_env=False) as client:
        yield client


def push(
    http: httpx.Client,
    rx: Receiver,
    path: str = "/hook/health_inspection",
    *,
    secret: str = SECRET_A,
    event_id: str | None = None,
    timeout: float | None = None,
) -> tuple[str, httpx.Response]:
    event_id, body = event_body(event_id)
    headers = signed_headers(secret, event_id, body)
    kwargs: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
    return event_id, http.post(rx.url(path), content=body, headers=headers, **kwargs)


def test_a_signed_cloudevent_is_accepted_and_recorded(rx: Receiver, http: httpx.Client) -> None:
    event_id, body = event_body()
    now = datetime.now(UTC)
    headers = {
        "content-type": "application/cloudevents+json; charset=utf-8",
        "webhook-id": event_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(SECRET_A).sign(event_id, now, body.decode()),
    }

    response = http.post(rx.url("/hook/health_inspection"), content=body, headers=headers)

    assert response.status_code == 204
    assert response.content == b""
    [delivery] = rx.received()
    assert delivery == delivery | {
        "path": "/hook/health_inspection",
        "webhook_id": event_id,
        "ce_id": event_id,
        "type": TYPE,
        "subject": "certificates/卫公证字[2026]第0001号",
        "source": SOURCE,
        "partitionkey": "licence-42",
        "time": "2026-03-01T08:30:00Z",
        "datacontenttype": "application/json",
        "data": {"certificate_no": "0001", "holder": "某某诊所"},
        "webhook_timestamp": int(now.timestamp()),
        "signatures": 1,
        "secret_index": 0,
        "answered": 204,
        "processed": True,
    }
    assert abs(delivery["received_at"] - time.time()) < 5
    assert rx.processed_ids() == {event_id}
    assert rx.rejected() == []
    assert rx.read_log()[-1] == delivery


@pytest.mark.parametrize(
    ("make_headers", "reason"),
    [
        pytest.param(
            lambda i, b: {"content-type": "application/cloudevents+json"},
            "Missing required headers",
            id="unsigned",
        ),
        pytest.param(
            lambda i, b: signed_headers(SECRET_OTHER, i, b),
            "No matching signature",
            id="unknown-secret",
        ),
        pytest.param(
            lambda i, b: signed_headers(SECRET_A, i, b + b" "),
            "No matching signature",
            id="body-changed",
        ),
        pytest.param(
            lambda i, b: signed_headers(SECRET_A, "another-id", b) | {"webhook-id": i},
            "No matching signature",
            id="id-changed",
        ),
        pytest.param(
            lambda i, b: signed_headers(SECRET_A, i, b, datetime.now(UTC) - timedelta(minutes=6)),
            "too old",
            id="stale",
        ),
        pytest.param(
            lambda i, b: signed_headers(SECRET_A, i, b) | {"webhook-signature": "garbage"},
            "ValueError",
            id="malformed",
        ),
    ],
)
def test_a_bad_signature_is_401_and_only_counted_as_rejected(
    rx: Receiver, http: httpx.Client, make_headers: Any, reason: str
) -> None:
    event_id, body = event_body()

    response = http.post(rx.url("/hook/x"), content=body, headers=make_headers(event_id, body))

    assert response.status_code == 401
    assert reason in response.json()["reason"]
    assert rx.received() == []
    [rejected] = rx.rejected()
    assert rejected["status"] == 401
    assert rejected["path"] == "/hook/x"
    assert reason in rejected["reason"]


def test_either_configured_secret_verifies_and_one_valid_signature_suffices(
    rx: Receiver, http: httpx.Client
) -> None:
    _, signed_a = push(http, rx, secret=SECRET_A)
    _, signed_b = push(http, rx, secret=SECRET_B)
    event_id, body = event_body()
    rotation = signed_headers([SECRET_OTHER, SECRET_B], event_id, body)  # one unknown, one good
    assert len(rotation["webhook-signature"].split(" ")) == 2
    both = http.post(rx.url("/hook/x"), content=body, headers=rotation)

    assert [signed_a.status_code, signed_b.status_code, both.status_code] == [204, 204, 204]
    deliveries = rx.received()
    assert [d["secret_index"] for d in deliveries] == [0, 1, 1]
    assert [d["signatures"] for d in deliveries] == [1, 1, 2]
    assert rx.rejected() == []


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param(b"not json at all", "application/cloudevents+json", id="not-json"),
        pytest.param(b"[1, 2]", "application/cloudevents+json", id="json-array"),
        pytest.param(
            json.dumps({"specversion": "1.0", "id": "e1", "data": {}}).encode(),
            "application/cloudevents+json",
            id="no-type-or-source",
        ),
        pytest.param(
            json.dumps({"specversion": "1.0", "source": "/s", "type": "t"}).encode(),
            "application/cloudevents+json",
            id="no-id",  # the SDK would make one up
        ),
        pytest.param(
            json.dumps({"id": "e1", "source": "/s", "type": "t"}).encode(),
            "application/cloudevents+json",
            id="no-specversion",  # the SDK would assume 1.0
        ),
        pytest.param(
            json.dumps({"specversion": "0.3", "id": "e1", "source": "/s", "type": "t"}).encode(),
            "application/cloudevents+json",
            id="specversion-0.3",
        ),
        pytest.param(
            json.dumps(
                {"specversion": "1.0", "id": "e1", "source": "/s", "type": "t", "time": "then"}
            ).encode(),
            "application/cloudevents+json",
            id="bad-time",
        ),
        pytest.param(event_body("e1")[1], "application/json", id="wrong-content-type"),
    ],
)
def test_a_signed_body_that_is_not_a_cloudevent_is_400(
    rx: Receiver, http: httpx.Client, body: bytes, content_type: str
) -> None:
    headers = signed_headers(SECRET_A, "e1", body, content_type=content_type)

    response = http.post(rx.url("/hook/x"), content=body, headers=headers)

    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid event"
    assert rx.received() == []
    assert [r["status"] for r in rx.rejected()] == [400]


def test_a_status_fault_answers_it_and_still_records_the_attempt(
    rx: Receiver, http: httpx.Client
) -> None:
    rx.faults([{"action": "status", "status": 500, "times": 2}])
    event_id = str(uuid.uuid4())

    statuses = [push(http, rx, event_id=event_id)[1].status_code for _ in range(3)]

    assert statuses == [500, 500, 204]
    deliveries = rx.received()
    assert [d["answered"] for d in deliveries] == [500, 500, 204]
    assert [d["processed"] for d in deliveries] == [False, False, True]
    assert {d["webhook_id"] for d in deliveries} == {event_id}
    assert rx.processed_ids() == {event_id}
    assert rx.pending_faults() == []


@pytest.mark.parametrize(
    ("status", "retry_after"), [(429, "2"), (503, "Wed, 21 Oct 2026 07:28:00 GMT")]
)
def test_retry_after_sends_the_header_verbatim(
    rx: Receiver, http: httpx.Client, status: int, retry_after: str
) -> None:
    rx.faults([{"action": "retry_after", "status": status, "retry_after": retry_after}])

    _, response = push(http, rx)

    assert response.status_code == status
    assert response.headers["retry-after"] == retry_after
    assert [d["answered"] for d in rx.received()] == [status]


def test_a_held_request_times_the_sender_out_without_blocking_others(
    rx: Receiver, http: httpx.Client
) -> None:
    rx.faults([{"path": "/hook/slow", "action": "timeout", "seconds": 4}])
    outcome: list[BaseException | int] = []

    def slow_sender() -> None:
        with httpx.Client(timeout=1, trust_env=False) as client:
            try:
                outcome.append(push(client, rx, "/hook/slow")[1].status_code)
            except httpx.HTTPError as exc:
                outcome.append(exc)

    thread = threading.Thread(target=slow_sender)
    thread.start()
    rx.wait_for(lambda ds: any(d["path"] == "/hook/slow" for d in ds), timeout=5)
    started = time.monotonic()
    _, fast = push(http, rx, "/hook/fast")  # while the slow one is held
    fast_took = time.monotonic() - started
    thread.join(5)

    assert fast.status_code == 204
    assert fast_took < 2  # not held behind the 4 s one
    [timed_out] = outcome
    assert isinstance(timed_out, httpx.ReadTimeout)
    answered = {d["path"]: (d["answered"], d["processed"]) for d in rx.received()}
    assert answered == {"/hook/slow": ("timeout", False), "/hook/fast": (204, True)}


def test_drop_after_processing_closes_the_connection_and_counts_once(
    rx: Receiver, http: httpx.Client
) -> None:
    rx.faults([{"action": "drop_after_processing"}])
    event_id = str(uuid.uuid4())

    with pytest.raises(httpx.RemoteProtocolError):
        push(http, rx, event_id=event_id)
    _, resent = push(http, rx, event_id=event_id)

    assert resent.status_code == 204
    deliveries = rx.received()
    assert [d["answered"] for d in deliveries] == ["dropped", 204]
    assert [d["processed"] for d in deliveries] == [True, True]
    assert rx.processed_ids() == {event_id}


def test_a_rule_with_a_path_applies_only_to_that_path(rx: Receiver, http: httpx.Client) -> None:
    rx.faults([{"path": "/hook/a", "action": "status", "status": 503}])

    other = push(http, rx, "/hook/b")[1].status_code
    first = push(http, rx, "/hook/a")[1].status_code
    second = push(http, rx, "/hook/a")[1].status_code

    assert (other, first, second) == (204, 503, 204)


def test_rules_are_consumed_in_order_and_can_be_cleared(rx: Receiver, http: httpx.Client) -> None:
    plan = rx.faults(
        [
            {"action": "status", "status": 500},
            {"action": "status", "status": 503, "times": 2},
            {"action": "status", "status": 410},
        ]
    )
    assert [(r["status"], r["times"]) for r in plan] == [(500, 1), (503, 2), (410, 1)]

    statuses = [push(http, rx)[1].status_code for _ in range(5)]

    assert statuses == [500, 503, 503, 410, 204]
    rx.faults([{"action": "status", "status": 500, "times": 3}])
    rx.clear_faults()
    assert push(http, rx)[1].status_code == 204


def test_concurrent_pushes_are_all_recorded(rx: Receiver) -> None:
    def send(n: int) -> int:
        with httpx.Client(timeout=5, trust_env=False) as client:
            return push(client, rx, f"/hook/{n % 3}")[1].status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(send, range(24)))

    assert statuses == [204] * 24
    assert len(rx.wait_for(lambda ds: len(ds) == 24, timeout=5)) == 24
    assert len(rx.processed_ids()) == 24


def test_control_endpoints(rx: Receiver, http: httpx.Client) -> None:
    assert http.get(rx.url("/_health")).status_code == 200
    assert http.get(rx.url("/_nothing")).status_code == 404
    assert http.post(rx.url("/_faults"), json=[{"action": "explode"}]).status_code == 400
    assert http.post(rx.url("/_faults"), json=[{"action": "status"}]).status_code == 400
    assert rx.pending_faults() == []
    logged = len(rx.read_log())
    push(http, rx)

    rx.clear()

    assert rx.received() == []
    assert len(rx.read_log()) == logged + 1


def test_the_process_starts_logs_and_stops_cleanly(tmp_path: Path, http: httpx.Client) -> None:
    rx = Receiver(log_dir=tmp_path)
    with rx:
        assert rx.url("/hook/x") == f"http://127.0.0.1:{rx.port}/hook/x"
        event_id, response = push(http, rx, secret=rx.secrets[0])
        assert response.status_code == 204
    assert rx.returncode == 0  # SIGTERM handled: a clean exit
    assert [d["webhook_id"] for d in rx.read_log()] == [event_id]
    assert "receiver stopped" in rx.stderr_path.read_text()


def test_a_receiver_that_cannot_start_says_why(tmp_path: Path) -> None:
    with pytest.raises(ReceiverError, match="24 to 64 bytes"):
        Receiver(secrets=["whsec_c2hvcnQ="], log_dir=tmp_path).start()
