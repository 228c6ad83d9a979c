"""Pages: admin (being built)."""

from __future__ import annotations

from litestar import Controller


class AdminPages(Controller):
    include_in_schema = False
