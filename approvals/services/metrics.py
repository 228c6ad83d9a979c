"""The supervision loop's numbers, per department and period (PRODUCT.md §4).

A period is a range of Asia/Shanghai dates, both ends included. Items and post-checks
count in the period they were pushed or created in, whatever happened to them since:

- 认领率 claim rate: claimed ÷ pushed; 及时认领率 on-time claim rate: claimed on or before
  the claim deadline ÷ pushed;
- 反馈率 feedback rate: fed back ÷ claimed; 闭环率 closed-loop rate: closed ÷ pushed;
- 核查完成率 post-check completion: post-checks with a result ÷ post-checks;
  承诺不实率 false-commitment rate: found false ÷ post-checks with a result;
- deliveries made in the period: delivered ÷ (delivered + dead), the dead ones, and the age
  of the oldest event still waiting (now, whatever the period).

A rate with nothing to divide by is null, not zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from approvals.clock import SHANGHAI, local_date
from approvals.domain.errors import DomainError, ErrorKind, forbidden
from approvals.domain.people import Principal, Role
from approvals.persistence.statements import fetch
from approvals.repository.codec import as_date, as_utc_any
from approvals.services.context import Services

MAX_PERIOD_DAYS = 366 * 3


@dataclass(frozen=True)
class DepartmentFigures:
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
    deliveries_delivered: int
    deliveries_dead: int
    deliveries_pending: int
    oldest_pending_seconds: float | None

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    @property
    def claim_rate(self) -> float | None:
        return self._rate(self.claimed, self.pushed)

    @property
    def on_time_claim_rate(self) -> float | None:
        return self._rate(self.claimed_on_time, self.pushed)

    @property
    def feedback_rate(self) -> float | None:
        return self._rate(self.fed_back, self.claimed)

    @property
    def closed_loop_rate(self) -> float | None:
        return self._rate(self.closed, self.pushed)

    @property
    def post_check_completion_rate(self) -> float | None:
        return self._rate(self.post_checks_done, self.post_checks)

    @property
    def false_commitment_rate(self) -> float | None:
        return self._rate(self.found_false, self.post_checks_done)

    @property
    def delivery_success_rate(self) -> float | None:
        return self._rate(
            self.deliveries_delivered, self.deliveries_delivered + self.deliveries_dead
        )


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    for field, day in (("from", start), ("to", end)):
        if not 2000 <= day.year <= 2100:
            raise DomainError(
                ErrorKind.INVALID,
                "date_out_of_range",
                f"{field} 应为 2000 年至 2100 年之间的日期。",
                f"`{field}` is a date in the years 2000 to 2100.",
                field,
            )
    if end < start:
        raise DomainError(
            ErrorKind.INVALID,
            "bad_period",
            "统计期间的结束日期不能早于开始日期。",
            "The period ends before it starts.",
            "to",
        )
    if (end - start).days > MAX_PERIOD_DAYS:
        raise DomainError(
            ErrorKind.INVALID,
            "period_too_long",
            "统计期间最长三年。",
            "A period is three years at most.",
            "to",
        )
    return (
        datetime.combine(start, time(0), SHANGHAI),
        datetime.combine(end + timedelta(days=1), time(0), SHANGHAI),
    )


def _departments_for(principal: Principal, wanted: str | None) -> str | None:
    if principal.has(Role.ADMIN, Role.DECISION_MAKER):
        return wanted
    if principal.has(Role.SUPERVISOR, Role.DEPARTMENT_HEAD) and principal.department:
        if wanted not in (None, principal.department):
            raise forbidden("只能查看本部门的统计。", "You see your own department's figures.")
        return principal.department
    raise forbidden(
        "只有监管部门和审批负责人可以查看统计。", "Supervision and decision staff only."
    )


async def supervision_figures(
    ctx: Services, principal: Principal, department: str | None, start: date, end: date
) -> list[DepartmentFigures]:
    department = _departments_for(principal, department)
    since, until = _bounds(start, end)
    now = ctx.clock.now()
    today = local_date(now)
    where = "pushed_at >= :since AND pushed_at < :until"
    params: dict[str, object] = {"since": since, "until": until}
    if department is not None:
        where += " AND department = :department"
        params["department"] = department
    items = await fetch(
        "SELECT department, status, claim_due, claimed_at, closed_at FROM supervision_item"
        f" WHERE {where}",
        **params,
    )
    checks = await fetch(
        "SELECT department, status FROM post_check WHERE created_at >= :since"
        " AND created_at < :until" + (" AND department = :department" if department else ""),
        **params,
    )
    deliveries = await fetch(
        "SELECT s.department, d.status, count(*) AS n, min(d.created_at) AS oldest"
        " FROM delivery d JOIN subscription s ON s.id = d.subscription"
        " WHERE ((d.created_at >= :since AND d.created_at < :until) OR d.status = 'pending')"
        + (" AND s.department = :department" if department else "")
        + " GROUP BY s.department, d.status",
        **params,
    )
    names = {r["department"] for r in (*items, *checks, *deliveries)}
    if department is not None:
        names = {department}
    figures = []
    for name in sorted(names):
        mine = [r for r in items if r["department"] == name]
        claimed = [r for r in mine if r["claimed_at"]]
        on_time = [
            r for r in claimed if local_date(as_utc_any(r["claimed_at"])) <= as_date(r["claim_due"])
        ]
        done = [r for r in checks if r["department"] == name and r["status"] != "open"]
        false = [r for r in done if r["status"] in ("statement_period", "revoked", "kept")]
        sent = {r["status"]: r for r in deliveries if r["department"] == name}
        oldest = sent.get("pending", {}).get("oldest")
        figures.append(
            DepartmentFigures(
                department=name,
                pushed=len(mine),
                claimed=len(claimed),
                claimed_on_time=len(on_time),
                fed_back=sum(1 for r in claimed if r["closed_at"]),
                closed=sum(1 for r in mine if r["status"] == "closed"),
                overdue_unclaimed=sum(
                    1 for r in mine if r["status"] == "pending" and as_date(r["claim_due"]) < today
                ),
                post_checks=sum(1 for r in checks if r["department"] == name),
                post_checks_done=len(done),
                found_false=len(false),
                deliveries_delivered=int(sent.get("delivered", {}).get("n", 0)),
                deliveries_dead=int(sent.get("dead", {}).get("n", 0)),
                deliveries_pending=int(sent.get("pending", {}).get("n", 0)),
                oldest_pending_seconds=(now - as_utc_any(oldest)).total_seconds()
                if oldest
                else None,
            )
        )
    return figures


# -- the approval side ---------------------------------------------------------------------

MINUTES_PER_WORKING_DAY = 8 * 60
STATUTORY_DEFAULT_DAYS = 20  # art. 42: the baseline a type without its own statutory limit has
DECIDED = ("approved", "denied")


@dataclass(frozen=True)
class PermitFigures:
    permit_code: str
    permit_name: str
    filed: int
    decided: int
    approved: int
    on_the_spot: int  # decided on the day of filing (即办)
    open_overdue: int
    promised_days: float
    statutory_days: float
    handling_days: list[int]  # working days from filing to decision, per decided case

    @property
    def on_the_spot_rate(self) -> float | None:  # 即办率
        return DepartmentFigures._rate(self.on_the_spot, self.decided)

    @property
    def compression_ratio(self) -> float:  # 承诺时限压缩比
        return round(1 - self.promised_days / self.statutory_days, 4)

    @property
    def average_handling_days(self) -> float | None:
        days = self.handling_days
        return round(sum(days) / len(days), 2) if days else None

    @property
    def worst_handling_days(self) -> int | None:
        return max(self.handling_days) if self.handling_days else None


def _in_days(limit: object) -> float:
    value, unit = getattr(limit, "value", 0), getattr(limit, "unit", "working_days")
    return value / MINUTES_PER_WORKING_DAY if unit == "minutes" else float(value)


async def approval_figures(
    ctx: Services, principal: Principal, permit_code: str | None, start: date, end: date
) -> list[PermitFigures]:
    """Per permit type, for applications filed in the period: 即办率, 承诺时限压缩比, average
    and worst handling time (working days from filing to decision), cases open past due."""
    from approvals.domain.calendar import working_days_between

    if not principal.has(Role.ADMIN, Role.DECISION_MAKER, Role.DEPARTMENT_HEAD):
        raise forbidden("只有审批负责人和科室负责人可以查看审批统计。", "Decision staff only.")
    since, until = _bounds(start, end)
    today = local_date(ctx.clock.now())
    where = "submitted_at >= :since AND submitted_at < :until"
    params: dict[str, object] = {"since": since, "until": until}
    if permit_code is not None:
        where += " AND permit_code = :code"
        params["code"] = permit_code
    rows = await fetch(
        "SELECT permit_code, status, submitted_at, decided_at, next_due FROM application"
        f" WHERE {where}",
        **params,
    )
    calendar = await ctx.calendar.calendar()
    published = {p.spec.code: p.spec for p in await ctx.catalogue.all_current()}
    figures = []
    for code in sorted(
        {r["permit_code"] for r in rows} | ({permit_code} if permit_code else set())
    ):
        spec = published.get(code)
        mine = [r for r in rows if r["permit_code"] == code]
        decided = [r for r in mine if r["status"] in DECIDED and r["decided_at"]]
        handling = [
            working_days_between(
                local_date(as_utc_any(r["submitted_at"])),
                local_date(as_utc_any(r["decided_at"])),
                calendar,
            )
            for r in decided
        ]
        statutory = (
            _in_days(spec.statutory_limit)
            if spec and spec.statutory_limit
            else float(STATUTORY_DEFAULT_DAYS)
        )
        figures.append(
            PermitFigures(
                permit_code=code,
                permit_name=spec.name if spec else code,
                filed=len(mine),
                decided=len(decided),
                approved=sum(1 for r in decided if r["status"] == "approved"),
                on_the_spot=sum(1 for d in handling if d == 0),
                open_overdue=sum(
                    1
                    for r in mine
                    if r["status"] not in (*DECIDED, "not_accepted", "withdrawn")
                    and r["next_due"]
                    and as_date(r["next_due"]) < today
                ),
                promised_days=_in_days(spec.promised_limit) if spec else statutory,
                statutory_days=statutory,
                handling_days=handling,
            )
        )
    return figures
