"""Benchmark: the CPU a certificate's QR code and face cost to draw, and what the disk cache saves.

Fifty distinct realistic certificates (``bench.certdata``: holder, number, serial and token
differ, so every QR code differs), each drawn once per operation, timed with
``time.process_time`` (CPU of this process, in-process, one core):

* ``certs.qr.render_qr_png``: what ``GET /api/certificates/{id}/qr.png`` renders once;
* ``certs.face.render_face_png``: the A4 face at 150 dpi, QR code included (``face.png``);
* ``certs.face.render_face_pdf``: the face at 200 dpi inside a one-page PDF (``face.pdf``);
* a cache hit: ``certs.face.face_cache_key`` and the read of the stored PNG, which is what
  the service does for every later request of the same face (``approvals.web.render_cache``).

One other certificate is drawn first at each resolution and not counted: it loads the fonts
and draws the border, title and seal that later faces of the same type and issuer reuse.
"""

from __future__ import annotations

import shutil
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path

from bench import certdata
from bench.registry import Options, Row, benchmark
from certs.face import FaceData, face_cache_key, render_face_pdf, render_face_png
from certs.keys import KeyAlgorithm
from certs.qr import qr_version_for, render_qr_png

COUNT = 50
GOAL_MS = 15.0
SUBJECT = f"{COUNT} certificates"
QR, FACE, PDF = "QR PNG (render_qr_png)", "face PNG (render_face_png)", "face PDF (render_face_pdf)"
BOTH = "QR PNG + face PNG, per certificate"
HIT = "face PNG cache hit (face_cache_key + read)"


def _cpu_ms(op: Callable[[], object]) -> float:
    start = time.process_time()
    op()
    return (time.process_time() - start) * 1000


def _row(path: str, ms: Sequence[float], base: Sequence[float] | None = None) -> Row:
    ordered = sorted(ms)
    mean = statistics.fmean(ordered)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    ratio = mean / statistics.fmean(base) if base else None
    return Row(SUBJECT, path, 0, 1000 / mean, statistics.median(ordered), p99, 0, ratio)


def _cache_hits(
    certificates: Sequence[tuple[FaceData, str]], directory: Path
) -> tuple[list[float], list[float]]:
    """CPU and wall ms of key + read, for faces stored as the service stores them."""
    for face, url in certificates:
        key = face_cache_key(face, url)
        path = directory / key[:2] / f"{key}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(render_face_png(face, url))
    cpu, wall = [], []
    for face, url in certificates:
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        key = face_cache_key(face, url)
        (directory / key[:2] / f"{key}.png").read_bytes()
        cpu.append((time.process_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start_wall) * 1000)
    return cpu, wall


def measure(opts: Options) -> list[Row]:
    key = certdata.signing_key(KeyAlgorithm.ES256)
    *certificates, spare = certdata.faces_with_urls(COUNT + 1, key)
    first_png = _cpu_ms(lambda: render_face_png(*spare))
    first_pdf = _cpu_ms(lambda: render_face_pdf(*spare))
    qr_ms = [_cpu_ms(partial(render_qr_png, url)) for _, url in certificates]
    face_ms = [_cpu_ms(partial(render_face_png, f, u)) for f, u in certificates]
    pdf_ms = [_cpu_ms(partial(render_face_pdf, f, u)) for f, u in certificates]
    directory = opts.work_dir / "render-cache"
    try:
        hit_cpu, hit_wall = _cache_hits(certificates, directory)
    finally:
        if not opts.keep:
            shutil.rmtree(directory, ignore_errors=True)
    versions = sorted({qr_version_for(url) for _, url in certificates})
    both = [q + f for q, f in zip(qr_ms, face_ms, strict=True)]
    wall = (
        f"CPU p50 {statistics.median(hit_cpu):.3f} ms, wall p50 "
        f"{statistics.median(hit_wall):.3f} ms (the file in the page cache)"
    )
    return [
        replace(_row(QR, qr_ms), notes=[f"QR versions {versions[0]}-{versions[-1]}, level M"]),
        replace(_row(FACE, face_ms), notes=[f"first face of the process: {first_png:.0f} ms"]),
        _row(BOTH, both),
        replace(_row(PDF, pdf_ms), notes=[f"first PDF of the process: {first_pdf:.0f} ms"]),
        replace(_row(HIT, hit_cpu, face_ms), notes=[wall]),
    ]


def _failed(why: str) -> Row:
    return Row(SUBJECT, "all", 0, None, None, None, None, notes=[why])


def _goal(rows: list[Row]) -> list[str]:
    found = {r.path: r.p50_ms for r in rows if r.p50_ms is not None}
    if FACE not in found or BOTH not in found:
        return [f"Goal ≤ {GOAL_MS:g} ms CPU per certificate for QR + face: not measured."]
    face, both = found[FACE], found[BOTH]
    return [
        f"Goal ≤ {GOAL_MS:g} ms CPU per certificate for QR + face, read as the face PNG with "
        f"its QR code: {'met' if face <= GOAL_MS else 'NOT met'} (p50 {face:.1f} ms); read as "
        f"both endpoints' first renders (qr.png and face.png, each drawing the QR code): "
        f"{'met' if both <= GOAL_MS else 'NOT met'} (p50 {both:.1f} ms).",
    ]


@benchmark(
    "render",
    "QR code and certificate face: CPU per certificate, in-process on one core",
    legend=(
        "per s = 1000 / mean CPU ms; p50/p99 over the certificates (time.process_time); "
        "ratio (cache hit only) = mean CPU of a hit / mean CPU of drawing the face PNG.",
        "Each face is drawn once per format and kept on disk under face_cache_key: the "
        "drawing cost is paid on a certificate's first view, the hit on every later one.",
    ),
    goal=_goal,
    header=("content", "operation", "per s", "CPU ms p50", "CPU ms p99", "errors", "ratio"),
)
def render(opts: Options) -> list[Row]:
    try:
        return measure(opts)
    except Exception as exc:  # e.g. no CJK font installed (make fonts)
        return [_failed(f"failed: {type(exc).__name__}: {str(exc)[-1500:]}")]
