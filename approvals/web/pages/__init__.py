"""Server-rendered pages in Simplified Chinese (Jinja through Litestar).

One router holds every page so that errors on pages render as pages (in Chinese), while
the API keeps its JSON errors. Each area lives in its own module.
"""

from __future__ import annotations

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.static_files import create_static_files_router

from approvals.web.pages.admin import AdminPages
from approvals.web.pages.applicant import ApplicantPages
from approvals.web.pages.base import PAGE_EXCEPTION_HANDLERS, STATIC, csrf_guard
from approvals.web.pages.home import HomePages
from approvals.web.pages.staff import StaffPages
from approvals.web.pages.stats import StatsPages
from approvals.web.pages.supervisor import SupervisorPages


def page_router() -> Router:
    return Router(
        path="/",
        route_handlers=[
            HomePages,
            ApplicantPages,
            StaffPages,
            SupervisorPages,
            AdminPages,
            StatsPages,
        ],
        exception_handlers=dict(PAGE_EXCEPTION_HANDLERS),
        before_request=csrf_guard,
        include_in_schema=False,
    )


def static_router() -> Router:
    return create_static_files_router(
        path="/static",
        directories=[STATIC],
        include_in_schema=False,
        cache_control=CacheControlHeader(max_age=3600),
        send_as_attachment=False,
    )
