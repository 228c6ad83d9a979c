"""The benchmark modules; importing one registers its benchmarks (``bench.registry``).

Add a module here when an issue adds a benchmark (verification requests/s,
review cases/s, queue listing …).
"""

from __future__ import annotations

import importlib

MODULES = (
    "bench.issuance",
    "bench.verification",
    "bench.tokens",
    "bench.render",
    "bench.review",
    "bench.queue",
    "bench.push",
    "bench.pages",
)


def load_all() -> None:
    for name in MODULES:
        importlib.import_module(name)
