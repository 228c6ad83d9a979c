"""``python -m bench``: run the benchmarks, print the report, save it to bench/results/latest.md."""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench import procs
from bench.benchmarks import load_all
from bench.registry import BENCHMARKS, Options, Row, render_section

RESULTS = procs.ROOT / "bench" / "results"


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part)


def parse_options(argv: list[str] | None) -> tuple[Options, list[str]]:
    load_all()
    defaults = Options()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(BENCHMARKS),
        help="run only this benchmark (repeatable)",
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=defaults.duration,
        help="measured seconds per configuration",
    )
    parser.add_argument("--warmup", type=float, default=defaults.warmup)
    parser.add_argument("--connections", type=int, default=defaults.connections)
    parser.add_argument("--threads", type=int, default=defaults.threads)
    parser.add_argument(
        "--engines", default=",".join(defaults.engines), help="comma-separated: sqlite,postgres"
    )
    parser.add_argument(
        "--sqlite-workers",
        type=_ints,
        default=defaults.sqlite_workers,
        help="comma-separated worker counts, e.g. 1",
    )
    parser.add_argument(
        "--postgres-workers",
        type=_ints,
        default=defaults.postgres_workers,
        help="comma-separated worker counts, e.g. 1,2",
    )
    parser.add_argument(
        "--verify-workers",
        type=_ints,
        default=defaults.verify_workers,
        help="comma-separated worker counts of the verification benchmark (every engine)",
    )
    parser.add_argument(
        "--postgres-admin-url",
        default=os.environ.get("BENCH_POSTGRES_URL", defaults.postgres_admin_url),
        help="a superuser DSN; each run creates and drops its own database",
    )
    parser.add_argument(
        "--codes",
        type=int,
        default=defaults.codes,
        help="distinct credit codes pre-generated for the request bodies",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep databases, data directories and wrk scripts (debugging; drop the "
        "approvals_bench_* databases yourself)",
    )
    parser.add_argument(
        "--no-verify-audit",
        action="store_true",
        help="skip `approvals audit verify` after each run",
    )
    args = parser.parse_args(argv)
    engines = tuple(e for e in args.engines.split(",") if e)
    unknown = set(engines) - {"sqlite", "postgres"}
    if unknown:
        parser.error(f"unknown engine(s): {', '.join(sorted(unknown))}")
    opts = Options(
        duration=args.duration,
        warmup=args.warmup,
        connections=args.connections,
        threads=args.threads,
        engines=engines,
        sqlite_workers=args.sqlite_workers,
        postgres_workers=args.postgres_workers,
        verify_workers=args.verify_workers,
        postgres_admin_url=args.postgres_admin_url,
        codes=args.codes,
        work_dir=RESULTS / "runs",
        keep=args.keep,
        verify_audit=not args.no_verify_audit,
    )
    return opts, args.only or list(BENCHMARKS)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=procs.ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def code_state() -> str:
    """The commit and a digest of uncommitted edits to the code the servers run."""
    edits = _git("diff", "HEAD", "--", "approvals", "certs", "forms")
    return (
        f"{_git('rev-parse', '--short', 'HEAD')} {hashlib.sha256(edits.encode()).hexdigest()[:12]}"
    )


def header(opts: Options) -> str:
    dirty = " (uncommitted changes)" if _git("status", "--porcelain") else ""
    wrk_out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    wrk_version = ((wrk_out.stdout or wrk_out.stderr).splitlines() or ["wrk ?"])[0]
    busy = procs.cpu_busy()
    warn = " (other processes are running: the numbers may be low)" if busy > 0.1 else ""
    return "\n".join(
        [
            "# Benchmarks",
            "",
            f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M UTC}",
            f"- Machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), "
            f"{_cpu_model()}, {platform.system()} {platform.release()}; load generator, "
            "database and server share them",
            f"- Python {platform.python_version()}; commit {_git('rev-parse', '--short', 'HEAD')}"
            f"{dirty}; {wrk_version.split(' Copyright')[0]}",
            f"- CPU busy in the second before the run: {busy:.0%}{warn}",
            f"- wrk: {opts.connections} connections, {opts.threads} threads, "
            f"{opts.warmup:g} s warm-up then {opts.duration:g} s measured, per row; server "
            "logs in bench/results/runs/ (replaced by the next run)",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    opts, names = parse_options(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    procs.install_reaper()
    if not opts.keep:  # scratch space of earlier runs (logs, data directories)
        shutil.rmtree(opts.work_dir, ignore_errors=True)
    report = [header(opts)]
    print(report[0], flush=True)
    started_on = code_state()
    failed = False
    try:
        for name in names:
            bench = BENCHMARKS[name]
            print(f"running {name} …", file=sys.stderr, flush=True)
            rows: list[Row] = bench.run(opts)
            section = render_section(bench, rows)
            failed |= any(not row.ok and not row.skipped for row in rows)
            report.append(section)
            print(section, flush=True)
    finally:
        procs.kill_all()
    if code_state() != started_on:  # others commit and edit while a long run goes on
        warning = (
            f"**The code under test changed during this run** ({started_on} → {code_state()}: "
            "commit and digest of uncommitted edits to approvals/, certs/, forms/); every row "
            "starts its own server, so rows may have measured different code.\n"
        )
        report.append(warning)
        print(warning, flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.md").write_text("\n".join(report))
    print(f"written to {(RESULTS / 'latest.md').relative_to(procs.ROOT)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
