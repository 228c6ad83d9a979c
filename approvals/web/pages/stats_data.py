"""The statistics page's data: filters from the query string, the figures through the
same services as the metrics API, bar-chart geometry for SVG, and the CSV export.

Charts are drawn as SVG attributes (no inline CSS: the pages' CSP forbids it); every chart
has a table beside it that carries the same numbers and is the accessible version.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from approvals.clock import local_date
from approvals.domain.errors import DomainError, ErrorKind
from approvals.domain.people import Principal, Role
from approvals.repository import admin_reads
from approvals.services.context import Services
from approvals.services.metrics import (
    DepartmentFigures,
    PermitFigures,
    approval_figures,
    supervision_figures,
)

STATS_ROLES = (Role.ADMIN, Role.DECISION_MAKER, Role.DEPARTMENT_HEAD, Role.SUPERVISOR)
APPROVAL_ROLES = (Role.ADMIN, Role.DECISION_MAKER, Role.DEPARTMENT_HEAD)


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    department: str | None
    permit_code: str | None

    def query(self, **extra: str) -> str:
        from urllib.parse import urlencode

        params = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        if self.department:
            params["department"] = self.department
        if self.permit_code:
            params["permit_code"] = self.permit_code
        params.update(extra)
        return urlencode(params)


def _date(raw: str | None, default: date, name: str, label: str) -> date:
    if raw is None or raw == "":
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise DomainError(
            ErrorKind.INVALID,
            "bad_date",
            f"{label}应为“年-月-日”格式的日期，例如 2026-01-31。",
            f"`{name}` is a date (YYYY-MM-DD).",
            name,
        ) from None


def _slug(raw: str | None, name: str) -> str | None:
    if not raw:
        return None
    if len(raw) > 64 or not all(c.isascii() and (c.isalnum() or c == "_") for c in raw):
        raise DomainError(
            ErrorKind.INVALID, "bad_filter", "筛选条件不正确。", f"`{name}` is a code.", name
        )
    return raw


def parse_filters(query: Any, today: date) -> Filters:
    """From the query string; the period defaults to this year up to today."""
    for key in ("from", "to", "department", "permit_code"):
        if "\x00" in (query.get(key) or ""):
            raise DomainError(
                ErrorKind.INVALID, "nul", "提交的内容含有非法字符（NUL）。", "NUL byte.", key
            )
    return Filters(
        start=_date(query.get("from"), today.replace(month=1, day=1), "from", "开始日期"),
        end=_date(query.get("to"), today, "to", "结束日期"),
        department=_slug(query.get("department"), "department"),
        permit_code=_slug(query.get("permit_code"), "permit_code"),
    )


@dataclass
class Figures:
    approvals: list[PermitFigures] | None  # None: the caller's roles do not see them
    supervision: list[DepartmentFigures]
    department_names: dict[str, str] = field(default_factory=dict)


async def figures_for(ctx: Services, principal: Principal, f: Filters) -> Figures:
    """The same service calls, with the same access checks, as /api/metrics/*."""
    approvals = None
    if principal.has(*APPROVAL_ROLES):
        approvals = await approval_figures(ctx, principal, f.permit_code, f.start, f.end)
    supervision = await supervision_figures(ctx, principal, f.department, f.start, f.end)
    names = {d.code: d.name for d in await admin_reads.departments()}
    return Figures(approvals, supervision, names)


def today_of(ctx: Services) -> date:
    return local_date(ctx.clock.now())


# -- formatting ------------------------------------------------------------------------------


def pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def num(value: float | int | None, places: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{places}f}".rstrip("0").rstrip(".")


def csv_pct(rate: float | None) -> str:
    return "" if rate is None else f"{rate * 100:.2f}"


def csv_num(value: float | int | None) -> str:
    return "" if value is None else str(value)


# -- charts ------------------------------------------------------------------------------------

WIDTH = 480
LABEL_W = 92
BAR_X = 96
BAR_MAX = 300
ROW = 18
GROUP_GAP = 12
HEAD = 20


@dataclass(frozen=True)
class Bar:
    y: float
    width: float
    series: str
    value_text: str
    css: str


@dataclass(frozen=True)
class Group:
    label: str
    y: float
    bars: list[Bar]


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    desc: str
    height: float
    groups: list[Group]
    bar_x: int = BAR_X
    bar_max: int = BAR_MAX
    width: int = WIDTH
    axis_label: str = ""


def bar_chart(
    chart_id: str,
    title: str,
    categories: list[tuple[str, list[float | None]]],
    series: list[str],
    *,
    percent: bool,
    unit: str = "",
) -> Chart:
    """Horizontal grouped bars: one group per category, one bar per series. Rates (0–1)
    are drawn on a 0–100% scale; other values against the largest one."""
    values = [v for _, vs in categories for v in vs if v is not None]
    top = 1.0 if percent else max([*values, 0.0]) or 1.0
    groups, y = [], float(HEAD)
    for label, vs in categories:
        bars = []
        top_y = y + ROW
        for i, (name, v) in enumerate(zip(series, vs, strict=True)):
            width = 0.0 if v is None else max(0.0, min(v, top)) / top * BAR_MAX
            text = "无数据" if v is None else (pct(v) if percent else f"{num(v)}{unit}")
            bars.append(Bar(top_y + i * ROW, round(width, 1), name, text, f"s{i}"))
        groups.append(Group(label, y, bars))
        y = top_y + len(series) * ROW + GROUP_GAP
    described = "；".join(
        f"{label}：" + "，".join(f"{b.series} {b.value_text}" for b in g.bars)
        for (label, _), g in zip(categories, groups, strict=True)
    )
    return Chart(
        chart_id,
        title,
        described or "本期间没有数据。",
        max(y, HEAD + ROW * 2),
        groups,
        axis_label="0–100%" if percent else f"0–{num(top)}{unit}",
    )


def approval_charts(rows: list[PermitFigures]) -> list[Chart]:
    return [
        bar_chart(
            "chart-approval-rates",
            "即办率与承诺时限压缩比",
            [(r.permit_name, [r.on_the_spot_rate, r.compression_ratio]) for r in rows],
            ["即办率", "压缩比"],
            percent=True,
        ),
        bar_chart(
            "chart-approval-days",
            "平均与最长办理时间（工作日）",
            [
                (
                    r.permit_name,
                    [
                        r.average_handling_days,
                        float(r.worst_handling_days) if r.worst_handling_days is not None else None,
                    ],
                )
                for r in rows
            ],
            ["平均", "最长"],
            percent=False,
            unit="天",
        ),
    ]


def supervision_charts(rows: list[DepartmentFigures], names: dict[str, str]) -> list[Chart]:
    return [
        bar_chart(
            "chart-supervision-claims",
            "认领率、及时认领率、反馈率、闭环率",
            [
                (
                    names.get(r.department, r.department),
                    [r.claim_rate, r.on_time_claim_rate, r.feedback_rate, r.closed_loop_rate],
                )
                for r in rows
            ],
            ["认领率", "及时认领率", "反馈率", "闭环率"],
            percent=True,
        ),
        bar_chart(
            "chart-supervision-checks",
            "核查完成率、承诺不实率、推送成功率",
            [
                (
                    names.get(r.department, r.department),
                    [
                        r.post_check_completion_rate,
                        r.false_commitment_rate,
                        r.delivery_success_rate,
                    ],
                )
                for r in rows
            ],
            ["核查完成率", "承诺不实率", "推送成功率"],
            percent=True,
        ),
    ]


# -- CSV -------------------------------------------------------------------------------------

APPROVAL_COLUMNS = [
    "统计期间起",
    "统计期间止",
    "事项编码",
    "事项名称",
    "申请件数",
    "办结件数",
    "准予件数",
    "即办件数",
    "即办率(%)",
    "承诺时限(工作日)",
    "法定时限(工作日)",
    "承诺时限压缩比(%)",
    "平均办理时间(工作日)",
    "最长办理时间(工作日)",
    "逾期未办结件数",
]
SUPERVISION_COLUMNS = [
    "统计期间起",
    "统计期间止",
    "部门编码",
    "部门名称",
    "推送事项数",
    "已认领",
    "及时认领",
    "已反馈",
    "已闭环",
    "逾期未认领",
    "事后核查数",
    "核查完成数",
    "承诺不实数",
    "认领率(%)",
    "及时认领率(%)",
    "反馈率(%)",
    "闭环率(%)",
    "核查完成率(%)",
    "承诺不实率(%)",
    "推送成功数",
    "推送失败数",
    "待推送数",
    "推送成功率(%)",
]


# A cell a spreadsheet would read as a formula (CSV injection): = + - @, and the tab or
# carriage return some programs skip before one. Names come from the catalogue and the
# department table, not from this code.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value: str) -> str:
    """A text cell that a spreadsheet shows as text: a leading apostrophe before what it
    would otherwise evaluate (OWASP's advice for CSV exports)."""
    return "'" + value if value.startswith(FORMULA_START) else value


def approvals_csv(f: Filters, rows: list[PermitFigures]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(APPROVAL_COLUMNS)
    for r in rows:
        writer.writerow(
            [
                f.start.isoformat(),
                f.end.isoformat(),
                text_cell(r.permit_code),
                text_cell(r.permit_name),
                r.filed,
                r.decided,
                r.approved,
                r.on_the_spot,
                csv_pct(r.on_the_spot_rate),
                csv_num(round(r.promised_days, 4)),
                csv_num(r.statutory_days),
                csv_pct(r.compression_ratio),
                csv_num(r.average_handling_days),
                csv_num(r.worst_handling_days),
                r.open_overdue,
            ]
        )
    return out.getvalue()


def supervision_csv(f: Filters, rows: list[DepartmentFigures], names: dict[str, str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(SUPERVISION_COLUMNS)
    for r in rows:
        writer.writerow(
            [
                f.start.isoformat(),
                f.end.isoformat(),
                text_cell(r.department),
                text_cell(names.get(r.department, r.department)),
                r.pushed,
                r.claimed,
                r.claimed_on_time,
                r.fed_back,
                r.closed,
                r.overdue_unclaimed,
                r.post_checks,
                r.post_checks_done,
                r.found_false,
                csv_pct(r.claim_rate),
                csv_pct(r.on_time_claim_rate),
                csv_pct(r.feedback_rate),
                csv_pct(r.closed_loop_rate),
                csv_pct(r.post_check_completion_rate),
                csv_pct(r.false_commitment_rate),
                r.deliveries_delivered,
                r.deliveries_dead,
                r.deliveries_pending,
                csv_pct(r.delivery_success_rate),
            ]
        )
    return out.getvalue()
