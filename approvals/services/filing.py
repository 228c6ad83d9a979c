"""Use case: an applicant files an application (and, on the commitment route, gets the permit).

Order of work: validate everything without touching the database's write side;
on the commitment route run every automatic check and report all failures at
once; then one transaction writes the application, the signed commitment, the
materials, the certificate, the audit entries and the outbox events — or
nothing at all.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from approvals.clock import local_date
from approvals.domain import commitment as checks
from approvals.domain.applications import Application, Route
from approvals.domain.clocks import intake_deadline
from approvals.domain.errors import DomainError, ErrorKind, Problem, forbidden
from approvals.domain.people import Principal, Role
from approvals.persistence.statements import WriteBatch
from approvals.persistence.transactions import is_unique_violation
from approvals.repository import applications as app_repo
from approvals.services.case_action import Case
from approvals.services.cases import (
    SubmitCommand,
    SubmitResult,
    commitment_check,
    new_case,
    signed_commitment,
    stage_case,
)
from approvals.services.catalogue import PublishedType
from approvals.services.commitment_permits import file_commitment_permit
from approvals.services.context import Services
from approvals.services.material_checks import check_material_slots
from forms.catalogue import select_components
from forms.validation import validate_form


async def submit_application(
    ctx: Services, principal: Principal, cmd: SubmitCommand
) -> SubmitResult:
    if not principal.has(Role.APPLICANT):
        raise forbidden(
            "只有申请人账号可以提交申请。", "Only applicant accounts can file applications."
        )
    published = await ctx.catalogue.current(cmd.permit_code)
    spec = published.spec
    now = ctx.clock.now()
    cleaned, field_problems = validate_form(spec, cmd.form, today=local_date(now))
    problems = [Problem(p.code, p.zh, p.en, f"form.{p.field}") for p in field_problems]
    material_problems, missing = await check_material_slots(spec, principal, cmd.materials, cleaned)

    if Route(spec.route.value) is Route.COMMITMENT:
        return await file_commitment_permit(
            ctx, principal, published, cmd, cleaned, problems + material_problems, missing, now
        )

    all_problems = problems + material_problems + checks.check_materials(missing).problems
    if spec.commitment_text:
        all_problems += commitment_check(published, cmd.commitment).problems
    _refuse_if(all_problems)
    application = await _record_submission(ctx, principal, published, cleaned, cmd, now)
    if spec.commitment_text:
        # Commitment-based intake (告知承诺受理, e.g. the internet hospital): a complete
        # filing with a signed commitment is accepted at once. A separate transaction: if
        # it fails, the case waits for staff or for acceptance by operation of law.
        from approvals.services.intake import accept_on_commitment

        application = await accept_on_commitment(ctx, application.id)
    return SubmitResult(application, None, [])


def _refuse_if(problems: list[Problem]) -> None:
    if problems:
        raise DomainError(
            ErrorKind.REFUSED,
            "application_invalid",
            "申请材料不完整或填写有误，请按提示逐项修改后重新提交。",
            "The application is incomplete or has errors; fix every listed problem.",
            problems=problems,
        )


def components_of(published: PublishedType, cleaned: dict[str, object]) -> list[dict[str, object]]:
    """The bundle components that apply to these answers (一业一证)."""
    return [
        {"code": c.code, "name": c.name, "licence_type_code": c.licence_type_code}
        for c in select_components(published.spec, cleaned)
    ]


async def validated_form(
    ctx: Services,
    principal: Principal,
    app: Application,
    form: dict[str, object],
    materials: dict[str, list[uuid.UUID]],
    case: Case,
) -> dict[str, object]:
    """A resubmission checked against the version it was filed under.

    Materials keep what was filed, slot by slot, unless the resubmission replaces a slot:
    an applicant uploads again only what the correction notice asked for.
    """
    published = await ctx.catalogue.at_version(app.permit_code, app.catalogue_version)
    cleaned, field_problems = validate_form(published.spec, form, today=local_date(case.now))
    problems = [Problem(p.code, p.zh, p.en, f"form.{p.field}") for p in field_problems]
    merged = {**await app_repo.materials_of(app.id), **materials}
    material_problems, missing = await check_material_slots(
        published.spec, principal, merged, cleaned
    )
    _refuse_if(problems + material_problems + checks.check_materials(missing).problems)
    await app_repo.detach_materials(app.id, sorted(materials))
    app_repo.stage_materials(case.batch, app.id, materials)
    app.components = components_of(published, cleaned)
    return cleaned


async def _record_submission(
    ctx: Services,
    principal: Principal,
    published: PublishedType,
    cleaned: dict[str, object],
    cmd: SubmitCommand,
    now: datetime,
) -> Application:
    signed = signed_commitment(principal, published, cmd, now)
    calendar = await ctx.calendar.calendar()
    for attempt in range(3):
        application = new_case(principal, published, cleaned, now)
        application.department = published.spec.department
        application.received_on = local_date(now)
        application.next_due = intake_deadline(application.received_on, calendar).due
        application.components = components_of(published, cleaned)
        batch = WriteBatch()
        stage_case(batch, principal, application, signed, cmd, list(application.events))
        try:
            await batch.commit()
        except Exception as exc:
            if is_unique_violation(exc, "application_number") and attempt < 2:
                continue
            raise
        return application
    raise AssertionError("unreachable")
