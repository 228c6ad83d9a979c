"""A real ``approvals serve`` process for end-to-end tests (imported by conftest and tests)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_server(data_dir: Path, **extra_env: str) -> Iterator[str]:
    """``approvals serve`` in a process of its own, on this run's database; its base URL.

    Stopped with SIGTERM (as a service manager would) when the block ends.
    """
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "APPROVALS_PORT": str(port),
        "APPROVALS_HOST": "127.0.0.1",
        "APPROVALS_BASE_URL": base,
        "APPROVALS_WORKERS": "1",
        **extra_env,
    }
    log_path = data_dir / f"server-{port}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "approvals.cli", "serve"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                raise RuntimeError(log_path.read_text()[-3000:])
            time.sleep(0.2)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


class Worker:
    """An ``approvals worker`` process (tests kill it with SIGKILL at chosen moments)."""

    def __init__(self, data_dir: Path, name: str, env: dict[str, str]) -> None:
        self.log_path = data_dir / f"worker-{name}-{time.monotonic_ns()}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "approvals.cli", "worker"],
            env={**os.environ, "APPROVALS_PUSH_ALLOW_PRIVATE": "1", **env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while b"pushing events" not in self.log_path.read_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self._log.flush()
                raise RuntimeError(self.log_path.read_text()[-3000:])
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no clean-up, leases left behind, a request perhaps half sent."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]


@contextlib.contextmanager
def running_workers(data_dir: Path, count: int = 1, **extra_env: str) -> Iterator[list[Worker]]:
    """``count`` push workers on this run's database, stopped with SIGTERM at the end."""
    workers: list[Worker] = []
    try:
        for i in range(count):
            workers.append(Worker(data_dir, str(i), extra_env))
        yield workers
    except BaseException:
        for worker in workers:  # shown by pytest beside the failure
            print(f"--- {worker.log_path.name} ---\n{worker.log_tail()}", file=sys.stderr)
        raise
    finally:
        for worker in workers:
            worker.stop()
