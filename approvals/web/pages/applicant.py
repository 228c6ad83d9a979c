"""Pages: the applicant portal — 一键导航, the application form, my cases, one case.

Every action goes through the use case the JSON API calls, with the same principal, so a
page can never do more than the API would let the same applicant do.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from approvals.clock import SHANGHAI, local_date
from approvals.config import settings
from approvals.domain.applications import Status
from approvals.domain.errors import DomainError, ErrorKind, Problem
from approvals.domain.people import Principal, Role
from approvals.repository import applications as app_repo
from approvals.repository import notifications as notification_repo
from approvals.services.cases import CommitmentSignature, SubmitCommand
from approvals.services.catalogue import PublishedType
from approvals.services.filing import submit_application
from approvals.web.controllers.applications import _decode_cursor, _encode_cursor
from approvals.web.errors import STATUS_OF_KIND
from approvals.web.pages import applicant_guide as guide
from approvals.web.pages.applicant_case import case_page, resubmit_case
from approvals.web.pages.applicant_filing import collect_uploads, kept_files
from approvals.web.pages.applicant_form import (
    errors_by_target,
    form_values,
    material_views,
    sections,
    summary_items,
)
from approvals.web.pages.base import (
    current_principal,
    form_of,
    redirect,
    render,
    require,
    services_of,
)
from approvals.web.presenters import application_out
from forms.validation import validate_form

AnyRequest = Request[Any, Any, Any]
CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
NO_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# one file per material slot, each up to the configured limit; a whole form is capped at a
# few files' worth (the materials API takes one file per request)
MAX_FORM_BODY = settings().max_upload_bytes * 3 + 256 * 1024
PAGE_SIZE = 20


async def _published(request: AnyRequest, code: str) -> PublishedType:
    if not CODE.match(code):
        raise NotFoundException
    return await services_of(request).catalogue.current(code)


def _today(request: AnyRequest) -> date:
    return local_date(services_of(request).clock.now())


class ApplicantPages(Controller):
    include_in_schema = False

    @get("/guide")
    async def guide_page(self, request: AnyRequest) -> Template:
        """Public: no login needed. A GET form, so it works without JavaScript."""
        await current_principal(request)  # the header shows who is logged in, if anyone
        types = await services_of(request).catalogue.all_current()
        query = {k: str(v) for k, v in request.query_params.items()}
        target, answers = guide.resolve(types, query)
        asked = bool(query.get("industry")) or any(
            query.get(q.name) in (guide.YES, guide.NO) for q in guide.questions(types)
        )
        return render(
            request,
            "applicant/guide.html",
            industries=guide.industries(types),
            questions=guide.questions(types),
            query=query,
            asked=asked,
            result=guide.result(target, answers) if target else None,
            all_types=[guide.result(p, {}) for p in types],
        )

    @get("/apply/{permit_code:str}")
    async def apply_page(self, request: AnyRequest, permit_code: FromPath[str]) -> Template:
        principal = await require(request, Role.APPLICANT)
        published = await _published(request, permit_code)
        spec = published.spec
        names = {f.name for f in spec.fields}
        values: dict[str, object] = {}
        for name in names:  # answers carried over from the guide
            given = request.query_params.getall(name, [])
            if given:
                values[name] = list(given) if len(given) > 1 else given[0]
        return _form(request, principal, published, values, {}, [], signer="", accepted=False)

    @post("/apply/{permit_code:str}", request_max_body_size=MAX_FORM_BODY)
    async def apply(self, request: AnyRequest, permit_code: FromPath[str]) -> Template | Redirect:
        principal = await require(request, Role.APPLICANT)
        published = await _published(request, permit_code)
        spec = published.spec
        services = services_of(request)
        posted = await form_of(request, principal)
        values = form_values(spec, posted)
        slots = [m.slot for m in spec.materials]
        uploads = await collect_uploads(services, principal, posted, slots)
        given = posted.get("commitment_signer", "")
        signer = given if isinstance(given, str) else ""  # repeated or a file: not a name
        accepted = posted.get("commitment_accepted") == "yes"
        local = list(uploads.problems)
        commitment = None
        if spec.commitment_text:
            if not signer or len(signer) > 50 or NO_CONTROL.search(signer):
                local.append(
                    Problem(
                        "signer_name",
                        "请填写承诺人姓名（不超过50个字）。",
                        "Enter the signer's name.",
                        "commitment.signer_name",
                    )
                )
            commitment = CommitmentSignature(
                accepted, signer, str(posted.get("commitment_sha256", ""))[:64]
            )
        kept = await kept_files(principal, uploads.ids)
        if local:
            # Nothing is filed while a file or the signature is wrong; the form's own
            # problems are shown at the same time (一次性告知).
            _, form_problems = validate_form(spec, values, today=_today(request))
            local += [Problem(p.code, p.zh, p.en, f"form.{p.field}") for p in form_problems]
            return _form(
                request, principal, published, values, kept, local, signer, accepted, status=400
            )
        command = SubmitCommand(
            permit_code=spec.code, form=values, materials=uploads.ids, commitment=commitment
        )
        try:
            result = await submit_application(services, principal, command)
        except DomainError as error:
            if error.kind in (ErrorKind.FORBIDDEN, ErrorKind.NOT_FOUND, ErrorKind.TOO_MANY):
                raise
            problems = error.problems or [Problem(error.code, error.zh, error.en, None)]
            return _form(
                request,
                principal,
                published,
                values,
                kept,
                problems,
                signer,
                accepted,
                status=STATUS_OF_KIND[error.kind],
                lead=error.zh if error.problems else "",
            )
        app = result.application
        if result.certificate is not None:
            message = (
                "申请已提交，自动核验全部通过，电子许可证已当场核发"
                f"（证照编号 {result.certificate.number}），可在本页下载。"
            )
        elif app.status is Status.IN_REVIEW:
            message = f"申请已提交并已受理（受理通知书 {app.acceptance_no}），请留意审查进度。"
        else:
            message = f"申请已提交（办件编号 {app.number}），请等待窗口工作人员受理。"
        return redirect(request, f"/my/cases/{app.id}", message)

    @get("/my")
    async def my_cases(self, request: AnyRequest) -> Template:
        principal = await require(request, Role.APPLICANT)
        services = services_of(request)
        cursor = request.query_params.get("cursor")
        if cursor is not None and len(cursor) > 200:
            cursor = "x"
        before = _decode_cursor(cursor) if cursor else None
        items = await app_repo.list_applications(
            applicant_id=principal.account_id, before=before, limit=PAGE_SIZE + 1
        )
        page, more = items[:PAGE_SIZE], len(items) > PAGE_SIZE
        names = {p.spec.code: p.spec.name for p in await services.catalogue.all_current()}
        messages = await notification_repo.messages_for(principal.account_id, limit=20)
        return render(
            request,
            "applicant/my.html",
            principal,
            cases=[application_out(a) for a in page],
            submitted={a.id: f"{a.submitted_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}" for a in page},
            names=names,
            next_cursor=_encode_cursor(page[-1]) if more else None,
            paged=bool(cursor),
            unread=[m for m in messages if m.read_at is None][:5],
            local=lambda at: f"{at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}",
        )

    @get("/my/cases/{case_id:uuid}")
    async def case(self, request: AnyRequest, case_id: FromPath[uuid.UUID]) -> Template:
        principal = await require(request, Role.APPLICANT)
        return await case_page(request, principal, case_id)

    @post("/my/cases/{case_id:uuid}/resubmit", request_max_body_size=MAX_FORM_BODY)
    async def resubmit(
        self, request: AnyRequest, case_id: FromPath[uuid.UUID]
    ) -> Template | Redirect:
        principal = await require(request, Role.APPLICANT)
        return await resubmit_case(request, principal, case_id)


def _form(
    request: AnyRequest,
    principal: Principal,
    published: PublishedType,
    values: dict[str, object],
    kept: dict[str, Any],
    problems: list[Problem],
    signer: str,
    accepted: bool,
    *,
    status: int = 200,
    lead: str = "",
) -> Template:
    spec = published.spec
    errors, general = errors_by_target(problems)
    return render(
        request,
        "applicant/apply.html",
        principal,
        status_code=status,
        spec=spec,
        published=published,
        limits=(guide.limit_zh(spec.promised_limit), guide.limit_zh(spec.statutory_limit)),
        sections=sections(spec, values, errors, _today(request)),
        materials=material_views(spec, kept, errors),
        errors=errors,
        summary=summary_items(problems),
        general=general,
        lead=lead,
        signer=signer,
        accepted=accepted,
    )
