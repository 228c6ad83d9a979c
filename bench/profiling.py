"""Optional sampling profiles of the server during a measured run (``BENCH_PROFILE=1``).

Off by default: profiling a server costs it CPU, so a profiled run's numbers are not the
benchmark's numbers. With ``BENCH_PROFILE=1`` in the harness's environment,
:func:`maybe_profile` runs ``py-spy record`` (``pip install py-spy`` into the venv; it
needs ptrace rights, e.g. root or ``kernel.yama.ptrace_scope=0``) over every process
listening on the benchmark's port group — the server and its workers — for the measured
window, and writes one speedscope/flamegraph file per process under
``<run_dir>/profiles/``. When py-spy is missing the block runs unprofiled and says so on
stderr; nothing else changes.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

ENV_VAR = "BENCH_PROFILE"


def enabled() -> bool:
    return os.environ.get(ENV_VAR, "") not in ("", "0", "false", "no")


def _py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"  # the venv's, when pip-installed there
    return str(beside) if beside.exists() else shutil.which("py-spy")


def _group_pids(leader: int) -> list[int]:
    """Every live process of ``leader``'s process group (procs.server starts a new session,
    so the group is the server and the workers it forked)."""
    pids = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(entry.path, "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[2]) == leader:  # field 5 of /proc/<pid>/stat: the process group id
            pids.append(int(entry.name))
    return sorted(pids)


@contextlib.contextmanager
def maybe_profile(
    run_dir: Path, tag: str, warmup: float, duration: float, server_pid: int | None = None
) -> Iterator[None]:
    """Profile the server group ``server_pid`` for the ``duration`` after ``warmup``
    (the block's own timing), when ``BENCH_PROFILE`` is set and py-spy is installed."""
    if not enabled():
        yield
        return
    exe = _py_spy()
    if exe is None or server_pid is None:
        why = "py-spy is not installed (.venv/bin/pip install py-spy)" if exe is None else ""
        print(f"{ENV_VAR}: not profiling {tag}: {why or 'no server pid'}", file=sys.stderr)
        yield
        return
    out_dir = run_dir / "profiles"
    out_dir.mkdir(parents=True, exist_ok=True)
    procs: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = []
    stop = threading.Event()

    def start() -> None:
        if stop.wait(warmup):  # the block ended during the warm-up
            return
        for pid in _group_pids(server_pid):
            argv = [exe, "record", "--pid", str(pid), "--duration", str(max(1, round(duration)))]
            argv += ["--rate", "200", "--format", "speedscope", "--nonblocking"]
            argv += ["--output", str(out_dir / f"{tag}-{pid}.speedscope.json")]
            log = (out_dir / f"{tag}-{pid}.log").open("wb")  # closed below
            procs.append((subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT), log))

    timer = threading.Thread(target=start, daemon=True)
    timer.start()
    try:
        yield
    finally:
        stop.set()
        timer.join()
        for proc, log in procs:
            try:
                proc.wait(timeout=duration + 30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()
        if procs:
            print(f"{ENV_VAR}: profiles of {tag} in {out_dir}", file=sys.stderr)
