"""Pages: stats (being built)."""

from __future__ import annotations

from litestar import Controller


class StatsPages(Controller):
    include_in_schema = False
