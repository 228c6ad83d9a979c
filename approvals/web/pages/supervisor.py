"""Pages: the supervision console (审管联动) and post-checks (事后核查), and the holder's
statement page (陈述申辩).

Supervisors see their department's pushed items, claim them, return them with a reason
or feed back the result; they record the post-check of a commitment permit with evidence.
Decision makers decide revocations; the holder answers a finding of a false commitment.
Every action calls the same use case as the API, with the same principal, so who may do
what is decided in one place (``services.supervision``, ``services.post_checks``).
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import HTTPException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from approvals.clock import local_date
from approvals.domain.errors import DomainError, ErrorKind, forbidden
from approvals.domain.people import Role
from approvals.services import post_checks as checks
from approvals.services import supervision
from approvals.web.controllers.supervision import _after, _cursor
from approvals.web.errors import STATUS_OF_KIND
from approvals.web.pages import supervisor_forms as forms
from approvals.web.pages import supervisor_pages as pages
from approvals.web.pages import supervisor_views as views
from approvals.web.pages.base import form_of, redirect, render, require, services_of
from approvals.web.pages.supervisor_forms import FormErrors

AnyRequest = Request[Any, Any, Any]
PAGE_SIZE = 20
# Who reads the console and an item, as ``services.supervision._console_department``: the
# supervision departments (their own items), and the approval side — administrators,
# window staff and decision makers — every department's (they reassign returned items).
READERS = (
    Role.SUPERVISOR,
    Role.DEPARTMENT_HEAD,
    Role.WINDOW_STAFF,
    Role.DECISION_MAKER,
    Role.ADMIN,
)
# Who reads post-checks here, as ``services.post_checks.list_checks`` / ``_visible``: the
# same people (decision makers decide revocations). The holder, whom the API also lets
# read their own, has their page at /my/post-checks.
CHECK_READERS = READERS
ITEM_STATES = {"": "全部", **supervision.STATUS_ZH}
CHECK_STATES = {"": "全部", **checks.STATUS_ZH}
RETURNED_SHOWN = 99  # the returned items counted on the approval side's console


def _failed(request: AnyRequest, back: str, error: DomainError) -> Redirect:
    """A conflict (someone else acted first, a period still running): back to the page,
    which now shows the current state, with the service's words as a flash error."""
    if error.kind is not ErrorKind.CONFLICT:
        raise error
    return redirect(request, back, error.zh, "error")


def _field_status(error: DomainError) -> int | None:
    """The status of an error about what was typed or uploaded (the page is shown again
    with the message by the field), or None for any other error."""
    if error.kind not in (ErrorKind.INVALID, ErrorKind.TOO_LARGE, ErrorKind.REFUSED):
        return None
    return STATUS_OF_KIND[error.kind]


class SupervisorPages(Controller):
    include_in_schema = False

    # -- the console of pushed items -----------------------------------------------------

    @get("/supervise")
    async def console(self, request: AnyRequest) -> Template:
        principal = await require(request, *READERS)
        services = services_of(request)
        state = request.query_params.get("state", "")
        overdue = request.query_params.get("overdue") == "1"
        department = request.query_params.get("department", "")
        cursor = request.query_params.get("cursor") or None
        departments = await views.supervision_departments()
        if state not in ITEM_STATES or (department and department not in departments):
            raise HTTPException(status_code=400, detail="筛选条件不正确，请重新选择。")
        try:
            after = _after(cursor) if cursor and len(cursor) <= 200 else None
        except DomainError:
            after = None
        if cursor and after is None:
            raise HTTPException(status_code=400, detail="翻页参数无效，请从第一页重新浏览。")
        today = local_date(services.clock.now())
        # The service decides whose items: a supervisor's own department (asking for
        # another is its 403), every department or the one chosen for the approval side.
        rows = await supervision.list_items(
            principal,
            department=department or None,
            status=state or None,
            overdue_on=today if overdue else None,
            after=after,
            limit=PAGE_SIZE + 1,
        )
        page = rows[:PAGE_SIZE]
        names = await views.permit_names(services, {i.permit_code for i in page})
        all_departments = views.sees_all_departments(principal)
        returned = 0
        if all_departments and state != "returned":
            # Returned items wait for the approval side: say how many, with a link to them.
            waiting = await supervision.list_items(
                principal,
                department=department or None,
                status="returned",
                overdue_on=None,
                after=None,
                limit=RETURNED_SHOWN + 1,
            )
            returned = len(waiting)
        next_cursor = _cursor(page[-1]) if len(rows) > PAGE_SIZE else None
        return render(
            request,
            "supervisor/console.html",
            principal,
            items=[(i, views.claim_deadline(i, today), views.item_state_badge(i)) for i in page],
            permit_names=names,
            state_words=views.item_state_words,
            when=views.when,
            states=ITEM_STATES,
            state=state,
            overdue=overdue,
            paged=cursor is not None,
            first_url=views.console_query(state, overdue, department),
            next_url=views.console_query(state, overdue, department, next_cursor)
            if next_cursor
            else None,
            returned_url=views.console_query("returned", False, department),
            returned=returned,
            returned_many=returned > RETURNED_SHOWN,
            returned_shown=RETURNED_SHOWN,
            all_departments=all_departments,
            departments=departments,
            chosen_department=department,
            department=departments.get(principal.department or "")
            or (await views.department_names()).get(principal.department or "", ""),
        )

    @get("/supervise/items/{item_id:uuid}")
    async def item(self, request: AnyRequest, item_id: FromPath[uuid.UUID]) -> Template:
        principal = await require(request, *READERS)
        return await pages.item_page(request, principal, item_id)

    @post("/supervise/items/{item_id:uuid}/claim")
    async def claim(self, request: AnyRequest, item_id: FromPath[uuid.UUID]) -> Redirect:
        principal = await require(request, Role.SUPERVISOR)
        await form_of(request, principal)
        back = f"/supervise/items/{item_id}"
        try:
            await supervision.claim(services_of(request), principal, item_id)
        except DomainError as error:
            return _failed(request, back, error)
        return redirect(request, back, "已认领。请在核查后反馈结果。")

    @post("/supervise/items/{item_id:uuid}/return")
    async def give_back(
        self, request: AnyRequest, item_id: FromPath[uuid.UUID]
    ) -> Template | Redirect:
        principal = await require(request, Role.SUPERVISOR)
        form = await form_of(request, principal)
        errors = FormErrors()
        reason = forms.text(form, "reason", "退回理由", errors, min_length=2, max_length=500)
        back = f"/supervise/items/{item_id}"
        status = 400
        if not errors:
            try:
                await supervision.give_back(
                    services_of(request), principal, item_id, forms.version(form), reason
                )
                return redirect(request, back, "已退回，审批部门将重新指派监管部门。")
            except DomainError as error:
                status = _field_status(error) or 0
                if not status:
                    return _failed(request, back, error)
                errors.add("reason", error.zh)
        return await pages.item_page(
            request, principal, item_id, status_code=status, errors=errors.by_field, values=form
        )

    @post("/supervise/items/{item_id:uuid}/feedback")
    async def feed_back(
        self, request: AnyRequest, item_id: FromPath[uuid.UUID]
    ) -> Template | Redirect:
        principal = await require(request, Role.SUPERVISOR)
        form = await form_of(request, principal)
        errors = FormErrors()
        result = forms.choice(form, "result", "核查结果", supervision.RESULTS, errors)
        note = forms.text(form, "note", "反馈说明", errors, max_length=2000)
        back = f"/supervise/items/{item_id}"
        status = 400
        if not errors:
            try:
                await supervision.feed_back(
                    services_of(request), principal, item_id, forms.version(form), result, note
                )
                return redirect(request, back, "已反馈，该事项已办结。")
            except DomainError as error:
                status = _field_status(error) or 0
                if not status:
                    return _failed(request, back, error)
                errors.add("note", error.zh)
        return await pages.item_page(
            request, principal, item_id, status_code=status, errors=errors.by_field, values=form
        )

    @post("/supervise/items/{item_id:uuid}/reassign")
    async def reassign(
        self, request: AnyRequest, item_id: FromPath[uuid.UUID]
    ) -> Template | Redirect:
        """重新指派: a returned item to another supervision department (the approval side,
        as ``services.supervision.reassign`` decides)."""
        principal = await require(request, *views.APPROVAL_SIDE)
        form = await form_of(request, principal)
        errors = FormErrors()
        departments = await views.supervision_departments()
        department = forms.choice(form, "department", "监管部门", departments, errors)
        back = f"/supervise/items/{item_id}"
        status = 400
        if not errors:
            try:
                item = await supervision.reassign(
                    services_of(request), principal, item_id, forms.version(form), department
                )
                return redirect(
                    request,
                    back,
                    f"已重新指派给{departments[department]}，请该部门于 {item.claim_due} 前认领。",
                )
            except DomainError as error:
                status = _field_status(error) or 0
                if not status:
                    return _failed(request, back, error)
                errors.add("department", error.zh)
        return await pages.item_page(
            request, principal, item_id, status_code=status, errors=errors.by_field, values=form
        )

    # -- post-checks ---------------------------------------------------------------------

    @get("/supervise/post-checks")
    async def post_checks(self, request: AnyRequest) -> Template:
        principal = await require(request, *CHECK_READERS)
        services = services_of(request)
        state = request.query_params.get("state", "")
        overdue = request.query_params.get("overdue") == "1"
        if state not in CHECK_STATES:
            raise HTTPException(status_code=400, detail="筛选条件不正确，请重新选择。")
        today = local_date(services.clock.now())
        rows = await checks.list_checks(principal, state or None, 500)
        listed = [(c, views.check_deadline(c, today)) for c in rows]
        if overdue:
            listed = [(c, d) for c, d in listed if d.css == "overdue"]
        return render(
            request,
            "supervisor/checks.html",
            principal,
            checks=listed,
            badges=views.CHECK_BADGES,
            when=views.when,
            check_states=checks.STATUS_ZH,
            permit_names=await views.permit_names(services, {c.permit_code for c in rows}),
            states=CHECK_STATES,
            show_tabs=principal.has(*READERS),
            state=state,
            overdue=overdue,
        )

    @get("/supervise/post-checks/{check_id:uuid}")
    async def post_check(self, request: AnyRequest, check_id: FromPath[uuid.UUID]) -> Template:
        principal = await require(request, *CHECK_READERS)
        return await pages.check_page(request, principal, check_id)

    @post(
        "/supervise/post-checks/{check_id:uuid}/result",
        request_max_body_size=forms.MAX_EVIDENCE_BYTES + 64 * 1024,
    )
    async def record_result(
        self, request: AnyRequest, check_id: FromPath[uuid.UUID]
    ) -> Template | Redirect:
        principal = await require(request, Role.SUPERVISOR)
        form = await form_of(request, principal)
        services = services_of(request)
        check = await checks.get_check(principal, check_id)
        back = f"/supervise/post-checks/{check_id}"
        # Refused before any file is stored (the service refuses these too).
        if principal.department != check.department:
            raise forbidden("只有负责核查的监管部门人员可以记录核查结果。")
        if check.status not in ("open", "correction_ordered") or check.row_version != (
            forms.version(form)
        ):
            words = checks.STATUS_ZH[check.status]
            return redirect(
                request, back, f"该核查已被处理（当前状态：{words}），请查看后再操作。", "error"
            )
        errors = FormErrors()
        result = forms.choice(form, "result", "核查结论", views.CHECK_RESULTS_ZH, errors)
        finding = forms.text(form, "finding", "核查情况", errors, max_length=4000)
        days = 15
        if result == "not_fulfilled":
            days = forms.whole_number(form, "correction_days", "整改期限", errors, low=1, high=90)
        files = forms.uploads(form, "evidence", errors)
        if result in ("not_fulfilled", "false") and not files:
            errors.add("evidence", "认定未履行承诺或虚假承诺须上传证据材料（PDF、JPEG 或 PNG）。")
        status = 400
        if not errors:
            evidence = await forms.store_evidence(services, principal, files, errors)
        if not errors:
            try:
                await checks.record_result(
                    services,
                    principal,
                    check_id,
                    forms.version(form),
                    result,
                    finding,
                    evidence,
                    days,
                )
                return redirect(request, back, "核查结果已记录。")
            except DomainError as error:
                status = _field_status(error) or 0
                if not status:
                    return _failed(request, back, error)
                errors.add(error.field or "finding", error.zh)
        shown = {k: v for k, v in form.items() if k != "evidence"}
        return await pages.check_page(
            request, principal, check_id, status_code=status, errors=errors.by_field, values=shown
        )

    @post("/supervise/post-checks/{check_id:uuid}/decision")
    async def decide(
        self, request: AnyRequest, check_id: FromPath[uuid.UUID]
    ) -> Template | Redirect:
        principal = await require(request, Role.DECISION_MAKER, Role.ADMIN)
        form = await form_of(request, principal)
        errors = FormErrors()
        outcome = forms.choice(
            form, "outcome", "决定", {"revoke": "撤销许可", "keep": "不予撤销"}, errors
        )
        reasons = forms.text(form, "reasons", "决定理由", errors, min_length=2, max_length=500)
        back = f"/supervise/post-checks/{check_id}"
        status = 400
        if not errors:
            try:
                await checks.decide(
                    services_of(request),
                    principal,
                    check_id,
                    forms.version(form),
                    outcome == "revoke",
                    reasons,
                )
                words = "已撤销许可，证照已失效。" if outcome == "revoke" else "已决定不予撤销。"
                return redirect(request, back, words)
            except DomainError as error:
                status = _field_status(error) or 0
                if not status:
                    return _failed(request, back, error)
                errors.add("reasons", error.zh)
        return await pages.check_page(
            request, principal, check_id, status_code=status, errors=errors.by_field, values=form
        )

    # -- the holder's side ---------------------------------------------------------------

    @get("/my/post-checks")
    async def my_checks(self, request: AnyRequest) -> Template:
        principal = await require(request, Role.APPLICANT)
        services = services_of(request)
        rows = await checks.list_checks(principal, None, 200)
        return render(
            request,
            "supervisor/my_checks.html",
            principal,
            checks=rows,
            badges=views.CHECK_BADGES,
            check_states=checks.STATUS_ZH,
            permit_names=await views.permit_names(services, {c.permit_code for c in rows}),
        )

    @get("/my/post-checks/{check_id:uuid}")
    async def my_check(self, request: AnyRequest, check_id: FromPath[uuid.UUID]) -> Template:
        principal = await require(request, Role.APPLICANT)
        return await pages.statement_page(request, principal, check_id)

    @post("/my/post-checks/{check_id:uuid}")
    async def make_statement(
        self, request: AnyRequest, check_id: FromPath[uuid.UUID]
    ) -> Template | Redirect:
        principal = await require(request, Role.APPLICANT)
        form = await form_of(request, principal)
        errors = FormErrors()
        statement = forms.text(form, "text", "陈述申辩意见", errors, min_length=2, max_length=4000)
        back = f"/my/post-checks/{check_id}"
        status = 400
        if not errors:
            try:
                await checks.make_statement(services_of(request), principal, check_id, statement)
                return redirect(request, back, "您的陈述申辩已提交，审批部门将据此作出决定。")
            except DomainError as error:
                status = _field_status(error) or 0
                if not status:
                    return _failed(request, back, error)
                errors.add("text", error.zh)
        return await pages.statement_page(
            request, principal, check_id, status_code=status, errors=errors.by_field, values=form
        )
