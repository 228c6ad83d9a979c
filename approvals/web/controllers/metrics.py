"""The supervision loop's figures per department and period (PRODUCT.md §4)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Controller, get
from litestar.params import QueryParameter
from msgspec import Struct

from approvals.services.metrics import (
    DepartmentFigures,
    PermitFigures,
    approval_figures,
    supervision_figures,
)
from approvals.web.errors import error_responses
from approvals.web.security import PrincipalDep, ServicesDep, logged_in


class FiguresOut(Struct):
    department: str
    pushed: int
    claimed: int
    claimed_on_time: int
    fed_back: int
    closed: int
    overdue_unclaimed: int
    post_checks: int
    post_checks_done: int
    found_false: int
    claim_rate: float | None  # 认领率
    on_time_claim_rate: float | None  # 及时认领率
    feedback_rate: float | None  # 反馈率
    closed_loop_rate: float | None  # 闭环率
    post_check_completion_rate: float | None  # 核查完成率
    false_commitment_rate: float | None  # 承诺不实率
    deliveries_delivered: int
    deliveries_dead: int
    deliveries_pending: int
    delivery_success_rate: float | None
    oldest_pending_seconds: float | None


class PermitFiguresOut(Struct):
    permit_code: str
    permit_name: str
    filed: int
    decided: int
    approved: int
    on_the_spot: int
    on_the_spot_rate: float | None  # 即办率
    promised_days: float
    statutory_days: float
    compression_ratio: float  # 承诺时限压缩比
    average_handling_days: float | None
    worst_handling_days: int | None
    open_overdue: int


class ApprovalMetricsOut(Struct):
    period_from: dt.date
    period_to: dt.date
    permit_types: list[PermitFiguresOut]


def permit_out(f: PermitFigures) -> PermitFiguresOut:
    return PermitFiguresOut(
        f.permit_code,
        f.permit_name,
        f.filed,
        f.decided,
        f.approved,
        f.on_the_spot,
        f.on_the_spot_rate,
        round(f.promised_days, 4),
        f.statutory_days,
        f.compression_ratio,
        f.average_handling_days,
        f.worst_handling_days,
        f.open_overdue,
    )


class MetricsOut(Struct):
    period_from: dt.date
    period_to: dt.date
    departments: list[FiguresOut]


def figures_out(f: DepartmentFigures) -> FiguresOut:
    return FiguresOut(
        f.department,
        f.pushed,
        f.claimed,
        f.claimed_on_time,
        f.fed_back,
        f.closed,
        f.overdue_unclaimed,
        f.post_checks,
        f.post_checks_done,
        f.found_false,
        f.claim_rate,
        f.on_time_claim_rate,
        f.feedback_rate,
        f.closed_loop_rate,
        f.post_check_completion_rate,
        f.false_commitment_rate,
        f.deliveries_delivered,
        f.deliveries_dead,
        f.deliveries_pending,
        f.delivery_success_rate,
        f.oldest_pending_seconds,
    )


class MetricsController(Controller):
    tags = ["metrics"]
    guards = [logged_in]

    @get(
        "/api/metrics/supervision",
        operation_id="supervisionMetrics",
        summary="认领率, 及时认领率, 反馈率, 核查完成率, 承诺不实率, 闭环率 and delivery health, "
        "per department, for a period of Asia/Shanghai dates (both ends included)",
        responses=error_responses(400, 401, 403),
    )
    async def supervision(
        self,
        principal: PrincipalDep,
        services: ServicesDep,
        start: Annotated[dt.date, QueryParameter(name="from")],
        end: Annotated[dt.date, QueryParameter(name="to")],
        department: Annotated[str | None, QueryParameter(max_length=64)] = None,
    ) -> MetricsOut:
        figures = await supervision_figures(services, principal, department, start, end)
        return MetricsOut(start, end, [figures_out(f) for f in figures])

    @get(
        "/api/metrics/approvals",
        operation_id="approvalMetrics",
        summary="即办率, 承诺时限压缩比, average and worst handling time (working days) and cases "
        "open past due, per permit type, for applications filed in a period",
        responses=error_responses(400, 401, 403),
    )
    async def approvals(
        self,
        principal: PrincipalDep,
        services: ServicesDep,
        start: Annotated[dt.date, QueryParameter(name="from")],
        end: Annotated[dt.date, QueryParameter(name="to")],
        permit_code: Annotated[str | None, QueryParameter(max_length=64)] = None,
    ) -> ApprovalMetricsOut:
        figures = await approval_figures(services, principal, permit_code, start, end)
        return ApprovalMetricsOut(start, end, [permit_out(f) for f in figures])
