"""Rendered images and documents, made once per content and kept on disk.

The key is a digest of everything that goes into the rendering, so a changed
certificate is a new file and nothing is ever invalidated by hand. Rendering
runs on a worker thread: a QR code or a certificate face costs milliseconds of
CPU that the event loop should not wait for.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def _read_or_render(path: Path, render: Callable[[], bytes]) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    data = render()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".render-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)  # atomic: readers see the old file or the whole new one
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return data


async def cached_render(
    cache_dir: Path, kind: str, key: str, suffix: str, render: Callable[[], bytes]
) -> bytes:
    path = cache_dir / kind / key[:2] / f"{key}{suffix}"
    return await asyncio.to_thread(_read_or_render, path, render)
