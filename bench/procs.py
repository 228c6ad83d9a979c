"""Server processes in their own process groups, always killed at the end.

Every server starts in a new session (``start_new_session``), so the group holds
the server and every worker it forks; stopping sends SIGTERM to the group, then
SIGKILL. A registry of live groups is emptied on normal exit, on exceptions (the
context manager), and on SIGTERM/SIGINT/SIGHUP to the harness (``install_reaper``).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
_live: dict[int, subprocess.Popen[bytes]] = {}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _kill_group(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    _live.pop(proc.pid, None)
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        # The leader is gone; make sure no worker of its group outlived it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        return


def kill_all() -> None:
    for proc in list(_live.values()):
        _kill_group(proc, grace=3.0)


def install_reaper() -> None:
    """Kill every server group when the harness exits or is told to stop."""
    atexit.register(kill_all)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        kill_all()
        raise SystemExit(128 + signum)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)


def _wait_ready(proc: subprocess.Popen[bytes], url: str, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server not ready at {url} after {timeout:.0f} s:\n{tail(log)}")


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextlib.contextmanager
def server(
    argv: list[str], env: Mapping[str, str], health_url: str, log: Path, timeout: float = 60.0
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``argv`` in its own process group until the block ends; wait for ``health_url``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv,
            env=dict(env),
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    _live[proc.pid] = proc
    try:
        _wait_ready(proc, health_url, log, timeout)
        yield proc
        if proc.poll() is not None:
            raise RuntimeError(f"server died during the run ({proc.returncode}):\n{tail(log)}")
    finally:
        _kill_group(proc)


def run(argv: list[str], env: Mapping[str, str], timeout: float = 300.0) -> str:
    """Run a command to completion (own process group too); its output, or RuntimeError."""
    proc = subprocess.Popen(
        argv,
        env=dict(env),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    _live[proc.pid] = proc
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc, grace=1.0)
        raise RuntimeError(f"timed out after {timeout:.0f} s: {' '.join(argv)}") from None
    finally:
        _live.pop(proc.pid, None)
    text = out.decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}):\n{text[-3000:]}")
    return text


def python_env(extra: Mapping[str, str]) -> dict[str, str]:
    """The harness's environment, minus anything that would point servers elsewhere."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APPROVALS_", "DATABASE_"))}
    env.pop("PICCOLO_CONF", None)
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


PYTHON = sys.executable


def _cpu_times() -> tuple[int, int]:
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields), fields[3] + fields[4]  # total, idle + iowait


def cpu_busy(seconds: float = 1.0) -> float:
    """Share of all CPUs busy during ``seconds`` (0 when /proc/stat is unavailable)."""
    try:
        total0, idle0 = _cpu_times()
        time.sleep(seconds)
        total1, idle1 = _cpu_times()
    except (OSError, ValueError, IndexError):
        return 0.0
    return 1 - (idle1 - idle0) / max(1, total1 - total0)


def _process_ticks() -> dict[int, tuple[int, str, int, int]]:
    """pid -> (parent pid, command name, start time, CPU ticks used so far), from /proc."""
    table = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            text = Path(entry.path, "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        head, _, rest = text.rpartition(")")
        fields = rest.split()
        start, ticks = int(fields[19]), int(fields[11]) + int(fields[12])
        table[int(entry.name)] = (int(fields[1]), head.partition("(")[2], start, ticks)
    return table


@contextlib.contextmanager
def foreign_cpu(postgres_is_ours: bool) -> Iterator[list[float]]:
    """Yields a list that, when the block ends, holds the share of all CPUs used during the
    block by processes other than this harness and its descendants (servers, wrk) and, when
    ``postgres_is_ours``, PostgreSQL's. Other sessions share this machine: their tests show
    up here. Processes that both start and end inside the block are missed."""
    share = [0.0]
    try:
        before, start = _process_ticks(), time.monotonic()
    except (OSError, ValueError, IndexError):
        yield share
        return
    yield share
    after, elapsed = _process_ticks(), time.monotonic() - start
    children: dict[int, list[int]] = {}
    for pid, (ppid, *_) in after.items():
        children.setdefault(ppid, []).append(pid)
    ours, todo = set(), [os.getpid()]
    while todo:
        pid = todo.pop()
        ours.add(pid)
        todo += children.get(pid, [])
    used = 0
    for pid, (_, name, born, ticks) in after.items():
        if pid in ours or (postgres_is_ours and name == "postgres"):
            continue
        earlier = before.get(pid)
        used += ticks - (earlier[3] if earlier and earlier[2] == born else 0)
    capacity = elapsed * os.sysconf("SC_CLK_TCK") * (os.cpu_count() or 1)
    share[0] = used / capacity if capacity else 0.0
