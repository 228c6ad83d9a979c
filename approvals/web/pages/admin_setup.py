"""Administration pages, part one: the overview, the permit catalogue, the working-day
calendar and people (departments and staff accounts)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Redirect, Template

from approvals.clock import local_date
from approvals.domain.errors import DomainError, ErrorKind
from approvals.domain.people import Principal
from approvals.repository import admin_reads
from approvals.repository import calendar as calendar_repo
from approvals.services import keys as key_use
from approvals.services import subscriptions as sub_use
from approvals.services.calendar import load_year
from approvals.services.staff_accounts import PASSWORD_MAX, PASSWORD_MIN, create_staff_account
from approvals.web.pages import admin_forms as forms
from approvals.web.pages.base import form_of, redirect, render, services_of

AnyRequest = Request[Any, Any, Any]
YEARS = range(2000, 2101)


def _names() -> dict[str, Any]:
    return {
        "kinds_zh": forms.DEPARTMENT_KINDS_ZH,
        "routes_zh": forms.ROUTES_ZH,
        "field_kinds_zh": forms.FIELD_KINDS_ZH,
        "limit_zh": forms.limit_zh,
        "local_time": forms.local_time,
        "roles_zh": forms.roles_zh,
    }


async def overview(request: AnyRequest, principal: Principal) -> Template:
    ctx = services_of(request)
    subs = await sub_use.list_subscriptions(ctx, principal)
    dead = sum(t.dead for t in (await admin_reads.delivery_totals()).values())
    key_states: dict[str, int] = {}
    for report in await key_use.list_keys(ctx):
        key_states[report.info.state] = key_states.get(report.info.state, 0) + 1
    loaded = [int(y["year"]) for y in await admin_reads.calendar_years()]
    this_year = local_date(ctx.clock.now()).year
    return render(
        request,
        "admin/overview.html",
        principal,
        permit_types=len(await ctx.catalogue.all_current()),
        departments=len(await admin_reads.departments()),
        accounts=await admin_reads.account_count(),
        subscriptions=len(subs),
        active_subscriptions=sum(1 for s in subs if str(s.status) == "active"),
        dead=dead,
        key_states=key_states,
        key_states_zh=forms.KEY_STATES_ZH,
        next_year_loaded=(this_year + 1) in loaded,
        this_year=this_year,
        last_year_loaded=max(loaded) if loaded else None,
    )


async def catalogue(request: AnyRequest, principal: Principal) -> Template:
    types = await services_of(request).catalogue.all_current()
    return render(request, "admin/catalogue.html", principal, types=types, **_names())


async def catalogue_type(request: AnyRequest, principal: Principal, code: str) -> Template:
    if len(code) > 64 or not code.replace("_", "").isalnum() or not code.isascii():
        raise DomainError(ErrorKind.NOT_FOUND, "not_found", "未找到该许可事项。", "No such type.")
    published = await services_of(request).catalogue.current(code)
    departments = {d.code: d.name for d in await admin_reads.departments()}
    return render(
        request,
        "admin/catalogue_type.html",
        principal,
        p=published,
        spec=published.spec,
        department_names=departments,
        **_names(),
    )


# -- the calendar ------------------------------------------------------------------------------


async def calendar_page(
    request: AnyRequest,
    principal: Principal,
    year: int | None = None,
    *,
    errors: forms.FormErrors | None = None,
    problems: list[str] | None = None,
    submitted: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    ctx = services_of(request)
    this_year = local_date(ctx.clock.now()).year
    if year is None:
        raw = request.query_params.get("year", "")
        year = forms.whole_number(raw, YEARS.start, YEARS.stop - 1) if raw else this_year
        if year is None:
            raise DomainError(
                ErrorKind.INVALID, "bad_year", "年份应为 2000–2100 之间的整数。", "year", "year"
            )
    loaded = {int(r["year"]): r for r in await admin_reads.calendar_years()}
    shown = sorted(set(loaded) | {this_year - 1, this_year, this_year + 1, this_year + 2, year})
    days = await calendar_repo.days_of(year)
    holidays = [(d, n) for d, k, n in days if k == "holiday"]
    workdays = [(d, n) for d, k, n in days if k == "workday"]
    form = submitted or {
        "holidays": forms.days_text(holidays),
        "workdays": forms.days_text(workdays),
        "note": str(loaded[year]["note"]) if year in loaded else "",
    }
    return render(
        request,
        "admin/calendar.html",
        principal,
        status_code=status_code,
        year=year,
        this_year=this_year,
        years=[(y, loaded.get(y)) for y in shown],
        row=loaded.get(year),
        holidays=holidays,
        workdays=workdays,
        form=form,
        errors=errors or forms.FormErrors(),
        problems=problems or [],
        **_names(),
    )


async def load_calendar(
    request: AnyRequest, principal: Principal, year: int
) -> Template | Redirect:
    if year not in YEARS:
        raise DomainError(ErrorKind.INVALID, "bad_year", "年份应为 2000–2100 之间的整数。", "", "")
    form = await form_of(request, principal)
    submitted = {k: forms.text(form, k) for k in ("holidays", "workdays", "note")}
    errors = forms.FormErrors()
    holidays = forms.parse_days(submitted["holidays"], "法定节假日", "holidays", errors)
    workdays = forms.parse_days(submitted["workdays"], "调休上班", "workdays", errors)
    if len(holidays) > 80:
        errors.add("holidays", "节假日最多 80 天。")
    if len(workdays) > 30:
        errors.add("workdays", "调休上班日最多 30 天。")
    if len(submitted["note"]) > 500:
        errors.add("note", "说明最多 500 个字。")
    if errors:
        return await calendar_page(
            request, principal, year, errors=errors, submitted=submitted, status_code=400
        )
    ctx = services_of(request)
    try:
        await load_year(
            ctx.calendar,
            year,
            holidays,
            workdays,
            source="admin",
            note=submitted["note"],
            actor_id=str(principal.account_id),
            actor_name=principal.display_name,
            at=ctx.clock.now(),
        )
    except DomainError as error:
        problems = [error.zh] + [p.zh for p in error.problems]
        status = 422 if error.kind is ErrorKind.REFUSED else 400
        return await calendar_page(
            request, principal, year, problems=problems, submitted=submitted, status_code=status
        )
    return redirect(
        request,
        f"/admin/calendar?year={year}",
        f"已载入 {year} 年节假日安排：{len(holidays)} 个节假日，{len(workdays)} 个调休上班日。",
    )


# -- people ------------------------------------------------------------------------------------


async def people_page(
    request: AnyRequest,
    principal: Principal,
    *,
    errors: forms.FormErrors | None = None,
    problems: list[str] | None = None,
    submitted: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Template:
    ctx = services_of(request)
    departments = await admin_reads.departments()
    wanted = request.query_params.get("department") or None
    if wanted is not None and wanted not in {d.code for d in departments}:
        wanted = None
    everyone = await admin_reads.accounts()
    counts: dict[str | None, int] = {}
    for account in everyone:
        counts[account.department] = counts.get(account.department, 0) + 1
    shown = [a for a in everyone if wanted is None or a.department == wanted]
    throttle = ctx.sessions.throttle
    return render(
        request,
        "admin/people.html",
        principal,
        status_code=status_code,
        departments=departments,
        department_names={d.code: d.name for d in departments},
        counts=counts,
        wanted=wanted,
        accounts=shown,
        locked={a.username: throttle.retry_after(a.username) for a in shown},
        role_choices=forms.ROLE_CHOICES,
        errors=errors or forms.FormErrors(),
        problems=problems or [],
        form=submitted or {},
        password_min=PASSWORD_MIN,
        password_max=PASSWORD_MAX,
        **_names(),
    )


async def create_person(request: AnyRequest, principal: Principal) -> Template | Redirect:
    form = await form_of(request, principal)
    errors = forms.FormErrors()
    spec = forms.staff_spec(form, errors)
    submitted = {
        "username": forms.text(form, "username"),
        "display_name": spec.display_name,
        "department": spec.department,
        "roles": [r.value for r in spec.roles],
    }
    if errors:
        return await people_page(
            request, principal, errors=errors, submitted=submitted, status_code=400
        )
    try:
        await create_staff_account(services_of(request), principal, spec)
    except DomainError as error:
        for p in error.problems:
            errors.add(p.field or "form", p.zh)
        if error.field and not error.problems:
            errors.add(error.field, error.zh)
        status = {ErrorKind.CONFLICT: 409, ErrorKind.FORBIDDEN: 403}.get(error.kind, 400)
        return await people_page(
            request,
            principal,
            errors=errors,
            problems=[error.zh],
            submitted=submitted,
            status_code=status,
        )
    return redirect(
        request,
        "/admin/people",
        f"已创建用户 {spec.username}（{spec.display_name}），请将初始密码当面告知本人。",
    )
