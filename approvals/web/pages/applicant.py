"""Pages: applicant (being built)."""

from __future__ import annotations

from litestar import Controller


class ApplicantPages(Controller):
    include_in_schema = False
