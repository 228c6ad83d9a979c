"""One case as its applicant sees it: what to do now, the clocks, the correction notice and
the form to answer it, the decision with its reasons and rights, the timeline, the
certificates. Read through the API's access check (someone else's case is a 404)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import Request
from litestar.response import Redirect, Template

from approvals.clock import SHANGHAI, local_date
from approvals.domain.errors import DomainError, ErrorKind, Problem
from approvals.domain.people import Principal
from approvals.services import intake
from approvals.services import post_checks as post_check_service
from approvals.services.intake import RIGHTS_ZH
from approvals.web.errors import STATUS_OF_KIND
from approvals.web.pages.applicant_filing import collect_uploads, kept_files
from approvals.web.pages.applicant_form import (
    errors_by_target,
    form_values,
    material_views,
    sections,
    summary_items,
)
from approvals.web.pages.base import form_of, redirect, render, services_of
from approvals.web.pages.case_view import CaseView, case_view

AnyRequest = Request[Any, Any, Any]


@dataclass(frozen=True)
class NextStep:
    kind: str  # notice class: "info" or "" (a warning: the applicant must act)
    title: str
    text: str


def next_step(view: CaseView, statement_due: str | None, post_check_days: int | None) -> NextStep:
    case, clocks = view.case, view.clocks
    status = case.status
    if statement_due is not None:
        return NextStep(
            "",
            "请在期限内陈述申辩",
            f"事后核查认为承诺内容与实际不符，拟撤销许可。您可以在 {statement_due} 前陈述、申辩。",
        )
    if status == "submitted":
        due = f"，最迟于 {clocks.intake_due} 前" if clocks.intake_due else ""
        return NextStep(
            "info",
            "等待受理",
            f"窗口工作人员将审核您的申请材料{due}作出是否受理的决定；逾期未告知补正的，"
            "依法视为受理。您无需操作。",
        )
    if status == "awaiting_correction":
        return NextStep(
            "",
            "请补正以下内容后重新提交",
            "窗口工作人员已一次性告知需要补正的全部内容（见下方补正告知）。补正期间不计入办理时限，"
            "请按要求修改或重新上传后提交。",
        )
    if status in ("in_review", "inspection", "awaiting_decision"):
        titles = {
            "in_review": "已受理，等待审查",
            "inspection": "等待现场核查",
            "awaiting_decision": "审查完毕，等待审批决定",
        }
        promised = case.promised_due or case.next_due
        return NextStep(
            "info",
            titles[status],
            f"受理通知书 {case.acceptance_no or '—'}。"
            + (f"承诺于 {promised} 前办结。" if promised else "")
            + "您无需操作，办理结果将通知您。",
        )
    if status == "rectification":
        return NextStep(
            "", "请按要求限期整改", "现场核查发现问题需要整改，请按办理过程中的整改要求完成整改。"
        )
    if status == "approved":
        later = (
            f"请在取得许可证之日起 {post_check_days} 日内备齐告知书所列材料，配合事后核查。"
            if post_check_days and case.certificates and case.certificates[0].post_check_pending
            else ""
        )
        return NextStep(
            "info",
            "已办结，可下载证照",
            "准予许可。电子证照见下方，可下载 PDF 或图片，扫码即可核验。" + later,
        )
    if status in ("denied", "not_accepted"):
        return NextStep("", "已办结：" + case.status_name, "决定理由和您的权利见下方。")
    return NextStep("info", case.status_name, "该办件已结束。")


def _local(iso: str | None) -> str:
    if not iso:
        return ""
    return f"{datetime.fromisoformat(iso).astimezone(SHANGHAI):%Y-%m-%d %H:%M}"


async def _statement(principal: Principal, case_id: uuid.UUID) -> tuple[str | None, str | None]:
    """(the statement deadline, the post-check page) of a post-check awaiting the holder's
    statement on this case, if any."""
    checks = await post_check_service.list_checks(principal, "statement_period", 50)
    for check in checks:
        if check.application_id == case_id:
            due = check.statement_due.isoformat() if check.statement_due else "期限届满"
            return due, f"/my/post-checks/{check.id}"
    return None, None


def _targets(view: CaseView) -> tuple[list[dict[str, str]], list[str], list[str]]:
    items, fields, slots = [], [], []
    for item in view.case.correction_items:
        target, what = str(item.get("target", "")), str(item.get("what", ""))
        kind, _, name = target.partition(".")
        if kind == "form" and name:
            fields.append(name)
        elif kind == "materials" and name:
            slots.append(name)
        items.append({"target": target, "what": what})
    return items, fields, slots


async def case_page(
    request: AnyRequest,
    principal: Principal,
    case_id: uuid.UUID,
    *,
    values: dict[str, object] | None = None,
    kept: dict[str, Any] | None = None,
    problems: list[Problem] | None = None,
    status: int = 200,
) -> Template:
    services = services_of(request)
    view = await case_view(services, principal, case_id)
    case = view.case
    spec = (await services.catalogue.at_version(case.permit_code, case.catalogue_version)).spec
    statement_due, post_check_url = await _statement(principal, case_id)
    items, fields, slots = _targets(view)
    labels = {f"form.{f.name}": f.label for f in spec.fields}
    labels.update({f"materials.{m.slot}": m.name for m in spec.materials})
    for item in items:
        item["label"] = labels.get(item["target"], "")
    errors, general = errors_by_target(problems or [])
    today = local_date(services.clock.now())
    correcting = case.status == "awaiting_correction"
    shown = values if values is not None else case.form or {}
    return render(
        request,
        "applicant/case.html",
        principal,
        status_code=status,
        view=view,
        case=case,
        spec=spec,
        step=next_step(view, statement_due, spec.post_check_days),
        post_check_url=post_check_url,
        items=items,
        correction_sections=sections(spec, shown, errors, today, only=fields) if correcting else [],
        correction_materials=material_views(spec, kept or {}, errors, only=slots)
        if correcting
        else [],
        summary=summary_items(problems or []),
        general=general,
        rights=RIGHTS_ZH if case.status in ("denied", "not_accepted") else "",
        form_labels={f.name: f for f in spec.fields},
        decided_at=_local(case.decided_at),
    )


async def resubmit_case(
    request: AnyRequest, principal: Principal, case_id: uuid.UUID
) -> Template | Redirect:
    """The answer to the correction notice: the named fields and materials, through the
    same use case as ``POST /api/applications/{id}/resubmit``."""
    services = services_of(request)
    view = await case_view(services, principal, case_id)  # 404 for someone else's case
    posted = await form_of(request, principal)
    try:
        expected = int(str(posted.get("expected_version", "")))
    except ValueError:
        return redirect(request, f"/my/cases/{case_id}", "页面已过期，请刷新后重新提交。", "error")
    case = view.case
    spec = (await services.catalogue.at_version(case.permit_code, case.catalogue_version)).spec
    _, fields, slots = _targets(view)
    form = dict(case.form or {})
    typed = form_values(spec, posted)
    for name in fields:
        form.pop(name, None)
        if name in typed:
            form[name] = typed[name]
    uploads = await collect_uploads(services, principal, posted, slots)
    kept = await kept_files(principal, uploads.ids)
    if uploads.problems:
        return await case_page(
            request,
            principal,
            case_id,
            values=form,
            kept=kept,
            problems=uploads.problems,
            status=400,
        )
    try:
        await intake.resubmit(services, principal, case_id, expected, form, uploads.ids)
    except DomainError as error:
        if error.problems:
            return await case_page(
                request,
                principal,
                case_id,
                values=form,
                kept=kept,
                problems=error.problems,
                status=STATUS_OF_KIND[error.kind],
            )
        if error.kind in (ErrorKind.CONFLICT, ErrorKind.INVALID, ErrorKind.REFUSED):
            return redirect(request, f"/my/cases/{case_id}", error.zh, "error")
        raise
    return redirect(request, f"/my/cases/{case_id}", "补正内容已提交，请等待窗口工作人员受理。")
