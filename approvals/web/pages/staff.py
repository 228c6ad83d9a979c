"""Pages: staff (being built)."""

from __future__ import annotations

from litestar import Controller


class StaffPages(Controller):
    include_in_schema = False
