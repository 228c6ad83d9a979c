"""The benchmarks the harness knows, the rows they return and the Markdown they print as.

A benchmark is a function ``(Options) -> list[Row]`` registered under a name with
:func:`benchmark`. ``python -m bench`` runs every registered benchmark (or those
named with ``--only``) and prints one table per benchmark, so a later issue adds
a benchmark by writing one module and listing it in ``bench.benchmarks.MODULES``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Options:
    """Settings shared by every benchmark (from the command line)."""

    duration: float = 15.0
    warmup: float = 3.0
    connections: int = 64
    threads: int = 2
    engines: tuple[str, ...] = ("sqlite", "postgres")
    sqlite_workers: tuple[int, ...] = (1,)
    postgres_workers: tuple[int, ...] = (1, 2)
    postgres_admin_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    codes: int = 200_000
    verify_workers: tuple[int, ...] = (1, 2)  # the verification benchmark, on every engine
    work_dir: Path = Path("bench/results/runs")
    keep: bool = False
    verify_audit: bool = True


@dataclass(frozen=True)
class Row:
    """One measured configuration: an engine, a path through the code, a worker count."""

    engine: str
    path: str
    workers: int  # server worker processes; 0 for an in-process measurement (not shown)
    requests_per_s: float | None
    p50_ms: float | None
    p99_ms: float | None
    errors: int | None
    ratio: float | None = None  # service / raw, on the service row
    notes: list[str] = field(default_factory=list)
    skipped: bool = False  # not measured on purpose (e.g. no PostgreSQL server)

    @property
    def ok(self) -> bool:
        return self.errors == 0 and self.requests_per_s is not None


@dataclass(frozen=True)
class Benchmark:
    name: str
    title: str
    run: Callable[[Options], list[Row]]
    # Lines printed under the table: the goal, how to read the numbers.
    legend: tuple[str, ...] = ()
    goal: Callable[[list[Row]], list[str]] | None = None
    header: tuple[str, ...] | None = None  # the table's column titles, when not HEADER's


BENCHMARKS: dict[str, Benchmark] = {}


def benchmark(
    name: str,
    title: str,
    *,
    legend: tuple[str, ...] = (),
    goal: Callable[[list[Row]], list[str]] | None = None,
    header: tuple[str, ...] | None = None,
) -> Callable[[Callable[[Options], list[Row]]], Callable[[Options], list[Row]]]:
    """Register ``fn`` as benchmark ``name``."""
    if header is not None and len(header) != len(HEADER):
        raise ValueError(f"a header has {len(HEADER)} columns")

    def register(fn: Callable[[Options], list[Row]]) -> Callable[[Options], list[Row]]:
        if name in BENCHMARKS:
            raise ValueError(f"benchmark {name!r} is registered twice")
        BENCHMARKS[name] = Benchmark(name, title, fn, legend, goal, header)
        return fn

    return register


# -- rendering ---------------------------------------------------------------

HEADER = ("engine", "path", "requests/s", "p50 ms", "p99 ms", "errors", "ratio service/raw")


def _num(value: float | None, digits: int) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _engine_cell(row: Row) -> str:
    if row.workers == 0:
        return row.engine
    return f"{row.engine} ({row.workers} worker{'s' if row.workers != 1 else ''})"


def render_table(rows: list[Row], header: tuple[str, ...] = HEADER) -> str:
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(["---"] * 2 + ["---:"] * 5) + "|",
    ]
    for row in rows:
        errors = "—" if row.errors is None else f"{row.errors:,}"
        cells = (
            _engine_cell(row),
            row.path,
            _num(row.requests_per_s, 0),
            _num(row.p50_ms, 1),
            _num(row.p99_ms, 1),
            errors,
            _num(row.ratio, 2),
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render_section(bench: Benchmark, rows: list[Row]) -> str:
    parts = [f"## {bench.title}", "", render_table(rows, bench.header or HEADER), ""]
    parts += [f"- {line}" for line in bench.legend]
    if bench.goal is not None:
        parts += [f"- {line}" for line in bench.goal(rows)]
    notes = [f"{_engine_cell(r)}, {r.path}: {n}" for r in rows for n in r.notes]
    if notes:
        parts += ["", "Notes:", ""] + [f"- {n}" for n in notes]
    return "\n".join(parts) + "\n"
