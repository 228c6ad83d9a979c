"""Pages: supervisor (being built)."""

from __future__ import annotations

from litestar import Controller


class SupervisorPages(Controller):
    include_in_schema = False
