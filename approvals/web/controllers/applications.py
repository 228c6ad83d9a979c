"""Applications (办件): file, list, read, timeline."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from typing import Annotated

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from approvals.clock import local_date
from approvals.domain.applications import Application
from approvals.domain.errors import DomainError, ErrorKind
from approvals.domain.people import Role
from approvals.repository import applications as app_repo
from approvals.repository import certificates as cert_repo
from approvals.services.access import visible_application
from approvals.services.cases import CommitmentSignature, SubmitCommand
from approvals.services.filing import submit_application
from approvals.web.errors import error_responses
from approvals.web.presenters import application_out, certificate_out, timeline_of
from approvals.web.schemas import (
    ApplicationCreated,
    ApplicationIn,
    ApplicationOut,
    ApplicationPage,
    CheckOut,
    TimelineEntry,
)
from approvals.web.security import PrincipalDep, ServicesDep, logged_in, requires

BAD_CURSOR = DomainError(
    ErrorKind.INVALID,
    "bad_cursor",
    "分页游标无效，请从第一页重新查询。",
    "The cursor is invalid; start again from the first page.",
    "cursor",
)


def _encode_cursor(app: Application) -> str:
    raw = f"{app.submitted_at.isoformat()}|{app.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """Cursors are ours, but they come back from outside: parse them defensively."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, ident = raw.partition("|")
        parsed = datetime.fromisoformat(at)
        if parsed.tzinfo is None:
            raise ValueError("naive")
        parsed = parsed.astimezone(UTC)
        if not 2000 <= parsed.year <= 2999:
            raise ValueError("out of range")
        return parsed, uuid.UUID(ident)
    except (ValueError, OverflowError, UnicodeDecodeError) as exc:
        raise BAD_CURSOR from exc


class ApplicationController(Controller):
    path = "/api/applications"
    tags = ["applications"]

    @post(
        "/",
        operation_id="submitApplication",
        summary="File an application; a commitment permit is issued in the same request",
        description=(
            "On the commitment route every automatic check runs (form, materials, credit code, "
            "signed commitment, credit bar); if all pass the answer carries the certificate, "
            "otherwise a 422 lists every failed check in `errors`."
        ),
        guards=[requires(Role.APPLICANT)],
        responses=error_responses(400, 401, 403, 404, 409, 413, 422),
    )
    async def submit(
        self, data: JSONBody[ApplicationIn], principal: PrincipalDep, services: ServicesDep
    ) -> ApplicationCreated:
        command = SubmitCommand(
            permit_code=data.permit_code,
            form=dict(data.form),
            materials={slot: list(dict.fromkeys(ids)) for slot, ids in data.materials.items()},
            commitment=CommitmentSignature(
                accepted=data.commitment.accepted,
                signer_name=data.commitment.signer_name,
                text_sha256=data.commitment.text_sha256,
            )
            if data.commitment
            else None,
        )
        result = await submit_application(services, principal, command)
        today = local_date(services.clock.now())
        base = services.settings.base_url
        return ApplicationCreated(
            # The certificate is answered once, beside the case, not inside it too.
            application=application_out(result.application, with_form=True, today=today),
            certificate=certificate_out(result.certificate, base, today)
            if result.certificate
            else None,
            checks=[CheckOut(c.code, c.name_zh, c.passed) for c in result.checks],
        )

    @get(
        "/",
        operation_id="listApplications",
        summary="Applications, newest first: an applicant's own, or all for approval staff",
        guards=[logged_in],
        responses=error_responses(400, 401),
    )
    async def list_applications(
        self,
        principal: PrincipalDep,
        cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    ) -> ApplicationPage:
        before = _decode_cursor(cursor) if cursor else None
        applicant = None if principal.is_case_staff else principal.account_id
        items = await app_repo.list_applications(
            applicant_id=applicant, before=before, limit=limit + 1
        )
        page, more = items[:limit], len(items) > limit
        return ApplicationPage(
            items=[application_out(a) for a in page],
            next_cursor=_encode_cursor(page[-1]) if more else None,
        )

    @get(
        "/{application_id:uuid}",
        operation_id="getApplication",
        summary="One application with its form and certificates",
        guards=[logged_in],
        responses=error_responses(400, 401, 404),
    )
    async def get_application(
        self, application_id: FromPath[uuid.UUID], principal: PrincipalDep, services: ServicesDep
    ) -> ApplicationOut:
        application = await visible_application(principal, application_id)
        certificates = await cert_repo.certificates_of_application(application.id)
        return application_out(
            application,
            with_form=True,
            certificates=certificates,
            base_url=services.settings.base_url,
            today=local_date(services.clock.now()),
        )

    @get(
        "/{application_id:uuid}/timeline",
        operation_id="getApplicationTimeline",
        summary="Everything that happened to the case, from the audit log",
        guards=[logged_in],
        responses=error_responses(400, 401, 404),
    )
    async def timeline(
        self, application_id: FromPath[uuid.UUID], principal: PrincipalDep
    ) -> list[TimelineEntry]:
        application = await visible_application(principal, application_id)
        return await timeline_of(application.id)
