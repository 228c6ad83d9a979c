"""Pages: the staff workbench (审批工作台) — the queue, the case page and every action on it.

Each action posts a form with the CSRF token and the version of the case (or review
task, or inspection) the page showed; it calls the same service function as the API
controller, so access checks and rules are identical. A stale page gets the service's
409 text as a flash message; a form that cannot be acted on is shown again with the
error (4xx) and nothing changed.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Controller, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from approvals.domain.clocks import PauseReason
from approvals.domain.errors import DomainError, ErrorKind, not_found
from approvals.domain.people import Principal, Role
from approvals.repository import reviews as review_repo
from approvals.repository.accounts import account_by_id
from approvals.services import decision, inspection, intake, queue, review
from approvals.services.intake import CorrectionItem
from approvals.web.pages.base import (
    AnyRequest,
    echoed,
    form_of,
    redirect,
    render,
    require,
    services_of,
)
from approvals.web.pages.staff_case import (
    PAUSE_CHOICES,
    RESULT_ZH,
    TASK_BADGE,
    TASK_STATUS_ZH,
    VERDICT_ZH,
    load_staff_case,
)
from approvals.web.pages.staff_forms import (
    FormProblem,
    as_struct,
    lines,
    local_datetime,
    text,
    version,
)
from approvals.web.pages.staff_queue import QUEUE_STATUSES, parse_filters, workbench
from approvals.web.schemas_workflow import (
    CorrectionIn,
    DecisionIn,
    OpinionIn,
    PauseIn,
    ReasonsIn,
    ResultsIn,
    ResumeIn,
    ScheduleIn,
    VersionIn,
)

STAFF = (
    Role.WINDOW_STAFF,
    Role.REVIEWER,
    Role.INSPECTOR,
    Role.DECISION_MAKER,
    Role.DEPARTMENT_HEAD,
    Role.ADMIN,
)
CASE = "/work/cases/{case_id:uuid}"
Action = Callable[[], Awaitable[Any]]


def case_url(case_id: uuid.UUID) -> str:
    return f"/work/cases/{case_id}"


async def case_page(
    request: AnyRequest,
    principal: Principal,
    case_id: uuid.UUID,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> Template:
    staff = await load_staff_case(services_of(request), principal, case_id)
    return render(
        request,
        "staff/case.html",
        principal,
        status_code=status_code,
        s=staff,
        errors=errors or {},
        values=echoed(values),
        task_status=TASK_STATUS_ZH,
        task_badge=TASK_BADGE,
        verdicts=VERDICT_ZH,
        results=RESULT_ZH,
        pause_choices=PAUSE_CHOICES,
    )


async def perform(
    request: AnyRequest,
    principal: Principal,
    case_id: uuid.UUID,
    name: str,
    form: dict[str, Any],
    action: Action,
    done: str | Callable[[], str],
) -> Template | Redirect:
    """Run one action; answer with the case page (redirect, or the form again with the error).

    ``done`` is the flash message on success (a callable when the action decides it)."""
    try:
        await action()
    except FormProblem as problem:
        errors = {name: problem.zh}
        return await case_page(
            request, principal, case_id, status_code=400, errors=errors, values=form
        )
    except DomainError as error:
        message = error.zh + "".join(f" {p.zh}" for p in error.problems)
        if error.kind is ErrorKind.CONFLICT:
            return redirect(request, case_url(case_id), message, "error")
        if error.kind in (ErrorKind.INVALID, ErrorKind.REFUSED):
            status = 400 if error.kind is ErrorKind.INVALID else 422
            return await case_page(
                request, principal, case_id, status_code=status, errors={name: message}, values=form
            )
        raise
    return redirect(request, case_url(case_id), done() if callable(done) else done)


class StaffPages(Controller):
    include_in_schema = False

    @get("/work")
    async def queue_page(self, request: AnyRequest) -> Template:
        principal = await require(request, *STAFF)
        services = services_of(request)
        try:
            filters = parse_filters(request.query_params)
        except FormProblem as problem:
            return render(
                request,
                "error.html",
                principal,
                status_code=400,
                title="筛选条件有误",
                message=problem.zh,
            )
        bench = await workbench(services, principal, filters)
        return render(
            request,
            "staff/queue.html",
            principal,
            w=bench,
            statuses=QUEUE_STATUSES,
            is_admin=principal.has(Role.ADMIN),
            verdicts=VERDICT_ZH,
        )

    @get(CASE)
    async def case(self, request: AnyRequest, case_id: FromPath[uuid.UUID]) -> Template:
        principal = await require(request, *STAFF)
        return await case_page(request, principal, case_id)

    # --- intake ---------------------------------------------------------------------

    @post(f"{CASE}/accept")
    async def accept(
        self, request: AnyRequest, case_id: FromPath[uuid.UUID]
    ) -> Template | Redirect:
        principal = await require(request, *STAFF)
        form = await form_of(request, principal)

        async def act() -> None:
            data = as_struct({"expected_version": version(form)}, VersionIn)
            await intake.accept(services_of(request), principal, case_id, data.expected_version)

        return await perform(
            request, principal, case_id, "accept", form, act, "已受理，受理通知书已发送申请人。"
        )

    @post(f"{CASE}/refuse")
    async def refuse(
        self, request: AnyRequest, case_id: FromPath[uuid.UUID]
    ) -> Template | Redirect:
        principal = await require(request, *STAFF)
        form = await form_of(request, principal)

        async def act() -> None:
            data = as_struct(
                {"expected_version": version(form), "reasons": text(form, "reasons")}, ReasonsIn
            )
            await intake.refuse(
                services_of(request), principal, case_id, data.expected_version, data.reasons
            )

        return await perform(
            request,
            principal,
            case_id,
            "refuse",
            form,
            act,
            "已作出不予受理决定，并告知申请人理由和救济途径。",
        )

    @post(f"{CASE}/corrections")
    async def corrections(
        self, request: AnyRequest, case_id: FromPath[uuid.UUID]
    ) -> Template | Redirect:
        principal = await require(request, *STAFF)
        form = await form_of(request, principal)

        async def act() -> None:
            targets = [t for t in _values(form, "target") if isinstance(t, str)]
            if not targets:
                raise FormProblem("请至少勾选一项需要补正的材料或信息。", "items")
            items = [{"target": t, "what": text(form, f"what.{t}")} for t in dict.fromkeys(targets)]
            data = as_struct({"expected_version": version(form), "items": items}, CorrectionIn)
            await intake.request_correction(
                services_of(request),
                principal,
                case_id,
                data.expected_version,
                [CorrectionItem(i.target, i.what) for i in data.items],
            )

        return await perform(
            request, principal, case_id, "corrections", form, act, "补正告知已一次性发送申请人。"
        )

    @post(f"{CASE}/assign")
    async def assign(
        self, request: AnyRequest, case_id: FromPath[uuid.UUID]
    ) -> Template | Redirect:
        """由我承办, 取消 (to=none) or 分派 to a clerk picked by name (to=<account id>)."""
        principal = await require(request, *STAFF)
        form = await form_of(request, principal)
        done = "已取消承办人。"

        async def act() -> None:
            nonlocal done
            to = text(form, "to")
            who: uuid.UUID | None = None
            if to == "me":
                who, done = principal.account_id, "已由您承办。"
            elif to != "none":
                try:
                    who = uuid.UUID(to)
                except ValueError as exc:
                    raise FormProblem("请选择承办人。", "to") from exc
                account = await account_by_id(who)
                done = f"已分派给{account.display_name}承办。" if account else "已分派。"
            await queue.assign(services_of(request), principal, case_id, version(form), who)

        return await perform(request, principal, case_id, "assign", form, act, lambda: done)

    # --- review ---------------------------------------------------------------------

    @post("/work/tasks/{task_id:uuid}/opinion")
    async def opinion(
        self, request: AnyRequest, task_id: FromPath[uuid.UUID]
    ) -> Template | Redirect:
        principal = await require(request, *STAFF)
        form = await form_of(request, principal)
        task = await review_repo.get_task(task_id)
        if task is None:
            raise not_found("该审查任务", "Review task", "task_id")
        case_id = task.application_id

        async def act() -> None:
            data = as_struct(
                {
                    "expected_version": version(form),
                    "verdict": text(form, "verdict"),
                    "opinion": text(form, "opinion"),
                    "items": lines(text(form, "items")) if form.get("verdict") == "inspect" else [],
                },
                OpinionIn,
            )
            await review.give_opinion(
                services_of(request),
                principal,
                task_id,
                data.expected_version,
                data.verdict,
                data.opinion,
                list(data.items),
            )

        return await perform(
            request, principal, case_id, f"opinion.{task_id}", form, act, "审查意见已提交。"
        )

    # --- inspection -----------------------------------------------------------------

    @post(f"{CASE}/inspection")
    async def schedule(
        self, request: AnyRequest, case_id: FromPath[uuid.UUID]
    ) -> Template | Redirect:
        principal = await require(request, *STAFF)
        form = await form_of(request, principal)
        services = services_of(request)

        async def act() -> None:
            when = local_datetime(text(form, "scheduled_for"), services.clock.now())
            chosen = {
                key.removeprefix("inspector."): value
                for key, value in form.items()
                if key.startswith("inspector.") and isinstance(value, str) and value
            }
            data = as_struct(
                {
                    "expected_version": version(form),
                    "scheduled_for": when.isoformat(),
                    "place": text(form, "place"),
                    "inspectors": [{"department": d, "account_id": a} for d, a in chosen.items()],
                },
                ScheduleIn,
            )
            people = []
            for person in data.inspectors:
                account = await account_by_id(person.account_id)
                people.append(
                    inspection.Inspector(
                        person.department,
                        str(person.account_id),
                        account.display_name if account else "",
                    )
                )
            await inspection.schedule(
                services,
                principal,
                case_id,
                data.expected_version,
                data.scheduled_for,
                data.place,
                people,
            )

        return await perform(
            request, principal, case_id, "schedule", form, act, "联合现场核查已安排，已通知申请人。"
        )

    @post(f"{CASE}/inspection/results")
    async def results(
        self, request: AnyRequest, case_id: FromPath[uuid.UUID]
    ) -> Template | Redirect:
        principal = await require(request, *STAFF)
        form = await form_of(request, principal)

        async def act() -> None:
            codes = [c for c in _values(form, "code") if isinstance(c, str)]
            results = []
            for code in codes:
                result = text(form, f"result.{code}")
                if not result:
                    raise FormProblem(
                        "请为每个核查事项选择结果（合格、不合格或不适用）。", "results"
                    )
                results.append({"code": code, "result": result, "note": text(form, f"note.{code}")})
            data = as_struct(
                {
                    "expected_version": version(form),
                    "results": results,
                    "on_failure": text(form, "on_failure") or "rectify",
                },
                ResultsIn,
            )
            await inspection.record_results(
                services_of(request),
                principal,
                case_id,
                data.expected_version,
                {r.code: (r.result, r.note) for r in data.results},
                data.on_failure,
            )

        return await perform(
            request, principal, case_id, "results", form, act, "本部门核查结果已记录并签字。"
        )

    # --- decision and clocks ----------------------------------------------------------

    @post(f"{CASE}/decision")
    async def decide(
        self, request: AnyRequest, case_id: FromPath[uuid.UUID]
    ) -> Template | Redirect:
        principal = await require(request, *STAFF)
        form = await form_of(request, principal)

        async def act() -> None:
            choice = text(form, "approve")
            if choice not in ("1", "0"):
                raise FormProblem("请选择准予许可或不予许可。", "approve")
            data = as_struct(
                {
                    "expected_version": version(form),
                    "approve": choice == "1",
                    "reasons": text(form, "reasons"),
                },
                DecisionIn,
            )
            await decision.decide(
                services_of(request),
                principal,
                case_id,
                data.expected_version,
                approve=data.approve,
                reasons=data.reasons,
            )

        done = (
            "已作出准予许可决定，电子证照已签发。"
            if form.get("approve") == "1"
            else "已作出不予许可决定。"
        )
        return await perform(request, principal, case_id, "decision", form, act, done)

    @post(f"{CASE}/extension")
    async def extend(
        self, request: AnyRequest, case_id: FromPath[uuid.UUID]
    ) -> Template | Redirect:
        principal = await require(request, *STAFF)
        form = await form_of(request, principal)

        async def act() -> None:
            data = as_struct(
                {"expected_version": version(form), "reasons": text(form, "reasons")}, ReasonsIn
            )
            await decision.extend(
                services_of(request), principal, case_id, data.expected_version, data.reasons
            )

        return await perform(
            request,
            principal,
            case_id,
            "extension",
            form,
            act,
            "审查期限已延长 10 个工作日，已告知申请人。",
        )

    @post(f"{CASE}/pause")
    async def pause(self, request: AnyRequest, case_id: FromPath[uuid.UUID]) -> Template | Redirect:
        principal = await require(request, *STAFF)
        form = await form_of(request, principal)

        async def act() -> None:
            data = as_struct(
                {
                    "expected_version": version(form),
                    "reason": text(form, "reason"),
                    "note": text(form, "note"),
                },
                PauseIn,
            )
            await decision.pause(
                services_of(request),
                principal,
                case_id,
                data.expected_version,
                PauseReason(data.reason),
                data.note,
            )

        return await perform(request, principal, case_id, "pause", form, act, "已暂停计时。")

    @post(f"{CASE}/resume")
    async def resume(
        self, request: AnyRequest, case_id: FromPath[uuid.UUID]
    ) -> Template | Redirect:
        principal = await require(request, *STAFF)
        form = await form_of(request, principal)

        async def act() -> None:
            data = as_struct(
                {"expected_version": version(form), "reason": text(form, "reason")}, ResumeIn
            )
            await decision.resume(
                services_of(request),
                principal,
                case_id,
                data.expected_version,
                PauseReason(data.reason),
            )

        return await perform(request, principal, case_id, "resume", form, act, "已恢复计时。")


def _values(form: dict[str, Any], name: str) -> list[Any]:
    value = form.get(name, form.get(f"{name}[]"))
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]
