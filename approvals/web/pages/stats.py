"""Pages: statistics (PRODUCT.md §4) per department and period, as charts, tables and CSV.

Who sees what is decided by the metrics services, exactly as for /api/metrics/*:
administrators and decision makers see everything; department heads their department's
supervision figures and the approval figures; supervisors their department's
supervision figures only.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get
from litestar.response import Template

from approvals.domain.errors import DomainError, ErrorKind, forbidden
from approvals.domain.people import Role
from approvals.repository import admin_reads
from approvals.web.pages import stats_data as data
from approvals.web.pages.base import render, require, services_of

AnyRequest = Request[Any, Any, Any]


class StatsPages(Controller):
    include_in_schema = False

    @get("/stats")
    async def stats(self, request: AnyRequest) -> Template:
        principal = await require(request, *data.STATS_ROLES)
        ctx = services_of(request)
        today = data.today_of(ctx)
        every_department = await admin_reads.departments()
        departments = [d for d in every_department if d.kind == "supervision"]
        permit_types = [(p.spec.code, p.spec.name) for p in await ctx.catalogue.all_current()]
        own_department = not principal.has(Role.ADMIN, Role.DECISION_MAKER)
        context: dict[str, Any] = {
            "departments": departments,
            "permit_types": permit_types,
            "own_department": own_department,
            "own_department_name": next(
                (d.name for d in every_department if d.code == principal.department),
                principal.department or "",
            ),
            "sees_approvals": principal.has(*data.APPROVAL_ROLES),
            "pct": data.pct,
            "num": data.num,
        }
        raw = {
            k: request.query_params.get(k, "") for k in ("from", "to", "department", "permit_code")
        }
        try:
            filters = data.parse_filters(request.query_params, today)
            figures = await data.figures_for(ctx, principal, filters)
        except DomainError as error:
            return render(
                request,
                "stats/index.html",
                principal,
                status_code=400 if error.kind is ErrorKind.INVALID else 403,
                error=error.zh,
                raw=raw,
                filters=None,
                figures=None,
                **context,
            )
        charts_a = data.approval_charts(figures.approvals) if figures.approvals else []
        charts_s = data.supervision_charts(figures.supervision, figures.department_names)
        return render(
            request,
            "stats/index.html",
            principal,
            error=None,
            raw=raw,
            filters=filters,
            figures=figures,
            approval_charts=charts_a,
            supervision_charts=charts_s if figures.supervision else [],
            **context,
        )

    @get("/stats.csv")
    async def stats_csv(self, request: AnyRequest) -> Response[bytes]:
        principal = await require(request, *data.STATS_ROLES)
        ctx = services_of(request)
        filters = data.parse_filters(request.query_params, data.today_of(ctx))
        table = request.query_params.get("table") or (
            "approvals" if principal.has(*data.APPROVAL_ROLES) else "supervision"
        )
        if table not in ("approvals", "supervision"):
            raise DomainError(
                ErrorKind.INVALID,
                "bad_table",
                "导出的表格只能是审批统计或监管统计。",
                "table",
                "table",
            )
        figures = await data.figures_for(ctx, principal, filters)
        if table == "approvals":
            if figures.approvals is None:
                raise forbidden(
                    "只有审批负责人和科室负责人可以查看审批统计。", "Decision staff only."
                )
            text = data.approvals_csv(filters, figures.approvals)
            title = "审批统计"
        else:
            text = data.supervision_csv(filters, figures.supervision, figures.department_names)
            title = "监管统计"
        name = f"{title}_{filters.start.isoformat()}_{filters.end.isoformat()}.csv"
        ascii_name = f"stats-{table}-{filters.start.isoformat()}-{filters.end.isoformat()}.csv"
        # UTF-8 with a BOM, so that Excel opens the Chinese headers correctly.
        return Response(
            content=b"\xef\xbb\xbf" + text.encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": (
                    f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
                ),
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )
