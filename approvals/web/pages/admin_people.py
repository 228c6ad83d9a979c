"""Administration pages, part four: one account — deactivate or reactivate it, change a
staff account's roles and department, reset its password. The rules (no self-deactivation
or self-demotion, an administrator always remains, sessions ended, audit, compare-and-set)
are the service's, ``approvals.services.staff_accounts``."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request
from litestar.response import Redirect, Template

from approvals.domain.errors import DomainError, ErrorKind
from approvals.domain.people import Principal, Role, format_roles, parse_roles
from approvals.repository import accounts as account_repo
from approvals.repository import admin_reads
from approvals.services import staff_accounts as use
from approvals.web.pages import admin_forms as forms
from approvals.web.pages.base import form_of, redirect, render, services_of

AnyRequest = Request[Any, Any, Any]
STATUS = {ErrorKind.CONFLICT: 409, ErrorKind.REFUSED: 422}


async def person_page(
    request: AnyRequest,
    principal: Principal,
    account_id: uuid.UUID,
    *,
    failed: str = "",
    errors: forms.FormErrors | None = None,
    problems: list[str] | None = None,
    submitted: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Template:
    """``failed`` names the form whose errors are shown: active | access | password."""
    ctx = services_of(request)
    account = await account_repo.account_by_id(account_id)
    if account is None:
        raise DomainError(ErrorKind.NOT_FOUND, "not_found", "未找到该用户。", "No such account.")
    departments = await admin_reads.departments()
    is_staff = Role.APPLICANT not in account.roles
    access_form = {"roles": [r.value for r in account.roles], "department": account.department}
    if failed == "access" and submitted:
        access_form = submitted
    return render(
        request,
        "admin/person.html",
        principal,
        status_code=status_code,
        account=account,
        is_self=account.id == principal.account_id,
        is_staff=is_staff,
        seen_roles=format_roles(account.roles),
        open_sessions=await account_repo.open_sessions_of(account.id, ctx.clock.now()),
        locked=ctx.sessions.throttle.retry_after(account.username),
        departments=departments,
        department_names={d.code: d.name for d in departments},
        kinds_zh=forms.DEPARTMENT_KINDS_ZH,
        roles_zh=forms.roles_zh,
        role_choices=forms.ROLE_CHOICES,
        access_form=access_form,
        failed=failed,
        errors=errors or forms.FormErrors(),
        problems=problems or [],
        password_min=use.PASSWORD_MIN,
        password_max=use.PASSWORD_MAX,
    )


def _back(account_id: uuid.UUID) -> str:
    return f"/admin/people/{account_id}"


async def _refused(
    request: AnyRequest,
    principal: Principal,
    account_id: uuid.UUID,
    failed: str,
    error: DomainError,
    errors: forms.FormErrors,
    submitted: dict[str, Any] | None = None,
) -> Template:
    """The page again, with what the service said; 403/404 go to the error pages."""
    if error.kind in (ErrorKind.FORBIDDEN, ErrorKind.NOT_FOUND):
        raise error
    for p in error.problems:
        errors.add(p.field or "form", p.zh)
    if error.field and not error.problems:
        errors.add(error.field, error.zh)
    return await person_page(
        request,
        principal,
        account_id,
        failed=failed,
        errors=errors,
        problems=[error.zh],
        submitted=submitted,
        status_code=STATUS.get(error.kind, 400),
    )


async def set_active(
    request: AnyRequest, principal: Principal, account_id: uuid.UUID
) -> Template | Redirect:
    form = await form_of(request, principal)
    active = forms.text(form, "active")
    if active not in ("0", "1"):
        return redirect(request, _back(account_id), "请求不完整，请刷新后重试。", "error")
    try:
        ended = await use.set_account_active(
            services_of(request), principal, account_id, active == "1"
        )
    except DomainError as error:
        return await _refused(request, principal, account_id, "active", error, forms.FormErrors())
    if active == "1":
        message = "已重新启用该账号，本人可以再次登录。"
    else:
        message = f"已停用该账号，并结束其 {ended} 个登录会话；本人不能再登录。"
    return redirect(request, _back(account_id), message)


async def change_access(
    request: AnyRequest, principal: Principal, account_id: uuid.UUID
) -> Template | Redirect:
    form = await form_of(request, principal)
    errors = forms.FormErrors()
    roles = forms.roles_of(form, errors)
    department = forms.text(form, "department")
    submitted = {"roles": [r.value for r in roles], "department": department}
    try:
        seen_roles = parse_roles(forms.text(form, "seen_roles"))
    except ValueError:
        seen_roles = None
    if seen_roles is None or "seen_department" not in form:
        return redirect(request, _back(account_id), "页面数据不完整，请刷新后重试。", "error")
    if errors:
        return await person_page(
            request,
            principal,
            account_id,
            failed="access",
            errors=errors,
            submitted=submitted,
            status_code=400,
        )
    try:
        await use.change_access(
            services_of(request),
            principal,
            account_id,
            roles,
            department,
            seen_roles=seen_roles,
            seen_department=forms.text(form, "seen_department") or None,
        )
    except DomainError as error:
        # A conflict shows the account as it is now, not the stale choices.
        kept = None if error.kind is ErrorKind.CONFLICT else submitted
        return await _refused(request, principal, account_id, "access", error, errors, kept)
    return redirect(request, _back(account_id), "已保存角色和部门，下次操作起生效。")


async def reset_password(
    request: AnyRequest, principal: Principal, account_id: uuid.UUID
) -> Template | Redirect:
    form = await form_of(request, principal)
    errors = forms.FormErrors()
    password = forms.text(form, "password")
    if password != forms.text(form, "password_again"):
        errors.add("password_again", "两次输入的密码不一致。")
        return await person_page(
            request, principal, account_id, failed="password", errors=errors, status_code=400
        )
    try:
        ended = await use.reset_password(services_of(request), principal, account_id, password)
    except DomainError as error:
        return await _refused(request, principal, account_id, "password", error, errors)
    return redirect(
        request,
        _back(account_id),
        f"已设置临时密码，并结束其 {ended} 个登录会话；请将临时密码当面告知本人。",
    )
