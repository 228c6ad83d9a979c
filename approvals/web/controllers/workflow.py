"""The review workflow on one case: intake, clocks, assignment, inspection, decision.

Every action takes the ``expected_version`` the caller saw; acting on a case that
changed meanwhile is a 409 that says what it is now.
"""

from __future__ import annotations

import uuid

from litestar import Controller, get, post, put
from litestar.params import FromPath, JSONBody

from approvals.clock import local_date
from approvals.domain.applications import Application
from approvals.domain.clocks import PauseReason
from approvals.repository import certificates as cert_repo
from approvals.repository import inspections as inspection_repo
from approvals.services import decision, inspection, intake, queue
from approvals.services.access import visible_application
from approvals.services.context import Services
from approvals.services.intake import CorrectionItem
from approvals.web.controllers.reviews import inspection_out
from approvals.web.errors import error_responses
from approvals.web.presenters import application_out, clocks_out
from approvals.web.schemas import ApplicationOut
from approvals.web.schemas_workflow import (
    AssigneeIn,
    ClocksOut,
    CorrectionIn,
    DecisionIn,
    InspectionOut,
    PauseIn,
    ReasonsIn,
    ResubmitIn,
    ResultsIn,
    ResumeIn,
    ScheduleIn,
    VersionIn,
)
from approvals.web.security import PrincipalDep, ServicesDep, logged_in

Id = FromPath[uuid.UUID]
ACTION = error_responses(400, 401, 403, 404, 409, 422)


def _out(services: Services, app: Application) -> ApplicationOut:
    return application_out(app, with_form=True, today=local_date(services.clock.now()))


class WorkflowController(Controller):
    path = "/api/applications/{application_id:uuid}"
    tags = ["workflow"]
    guards = [logged_in]

    @post(
        "/accept",
        operation_id="acceptApplication",
        status_code=200,
        responses=ACTION,
        summary="受理: accept; the clocks start and the parallel review opens",
    )
    async def accept(
        self,
        application_id: Id,
        data: JSONBody[VersionIn],
        principal: PrincipalDep,
        services: ServicesDep,
    ) -> ApplicationOut:
        return _out(
            services,
            await intake.accept(services, principal, application_id, data.expected_version),
        )

    @post(
        "/refuse",
        operation_id="refuseApplication",
        status_code=200,
        responses=ACTION,
        summary="不予受理: refuse to accept, with reasons",
    )
    async def refuse(
        self,
        application_id: Id,
        data: JSONBody[ReasonsIn],
        principal: PrincipalDep,
        services: ServicesDep,
    ) -> ApplicationOut:
        return _out(
            services,
            await intake.refuse(
                services, principal, application_id, data.expected_version, data.reasons
            ),
        )

    @post(
        "/corrections",
        operation_id="requestCorrections",
        status_code=200,
        responses=ACTION,
        summary="补正: the one-time notice listing every item to fix",
    )
    async def corrections(
        self,
        application_id: Id,
        data: JSONBody[CorrectionIn],
        principal: PrincipalDep,
        services: ServicesDep,
    ) -> ApplicationOut:
        items = [CorrectionItem(i.target, i.what) for i in data.items]
        return _out(
            services,
            await intake.request_correction(
                services, principal, application_id, data.expected_version, items
            ),
        )

    @post(
        "/resubmit",
        operation_id="resubmitApplication",
        status_code=200,
        responses=ACTION,
        summary="The applicant's corrected filing",
    )
    async def resubmit(
        self,
        application_id: Id,
        data: JSONBody[ResubmitIn],
        principal: PrincipalDep,
        services: ServicesDep,
    ) -> ApplicationOut:
        return _out(
            services,
            await intake.resubmit(
                services,
                principal,
                application_id,
                data.expected_version,
                dict(data.form),
                {k: list(v) for k, v in data.materials.items()},
            ),
        )

    @post(
        "/extension",
        operation_id="extendLimit",
        status_code=200,
        responses=ACTION,
        summary="延期: the one extension of 10 working days, with reasons",
    )
    async def extension(
        self,
        application_id: Id,
        data: JSONBody[ReasonsIn],
        principal: PrincipalDep,
        services: ServicesDep,
    ) -> ApplicationOut:
        case = await decision.extend(
            services, principal, application_id, data.expected_version, data.reasons
        )
        return _out(services, case.app)

    @post(
        "/pauses",
        operation_id="pauseClocks",
        status_code=200,
        responses=ACTION,
        summary="Stop the clocks for time the law does not count (art. 45)",
    )
    async def pause(
        self,
        application_id: Id,
        data: JSONBody[PauseIn],
        principal: PrincipalDep,
        services: ServicesDep,
    ) -> ApplicationOut:
        case = await decision.pause(
            services,
            principal,
            application_id,
            data.expected_version,
            PauseReason(data.reason),
            data.note,
        )
        return _out(services, case.app)

    @post(
        "/pauses/resume",
        operation_id="resumeClocks",
        status_code=200,
        responses=ACTION,
        summary="Restart the clocks",
    )
    async def resume(
        self,
        application_id: Id,
        data: JSONBody[ResumeIn],
        principal: PrincipalDep,
        services: ServicesDep,
    ) -> ApplicationOut:
        case = await decision.resume(
            services, principal, application_id, data.expected_version, PauseReason(data.reason)
        )
        return _out(services, case.app)

    @put(
        "/assignee",
        operation_id="assignApplication",
        responses=ACTION,
        summary="Give the case to a clerk of its department (or to no one)",
    )
    async def assignee(
        self,
        application_id: Id,
        data: JSONBody[AssigneeIn],
        principal: PrincipalDep,
        services: ServicesDep,
    ) -> ApplicationOut:
        return _out(
            services,
            await queue.assign(
                services, principal, application_id, data.expected_version, data.account_id
            ),
        )

    @post(
        "/inspection",
        operation_id="scheduleInspection",
        status_code=201,
        responses=ACTION,
        summary="Schedule the one joint on-site inspection",
    )
    async def schedule(
        self,
        application_id: Id,
        data: JSONBody[ScheduleIn],
        principal: PrincipalDep,
        services: ServicesDep,
    ) -> InspectionOut:
        from approvals.repository.accounts import account_by_id

        inspectors = []
        for person in data.inspectors:
            account = await account_by_id(person.account_id)
            inspectors.append(
                inspection.Inspector(
                    person.department,
                    str(person.account_id),
                    account.display_name if account else "",
                )
            )
        result = await inspection.schedule(
            services,
            principal,
            application_id,
            data.expected_version,
            data.scheduled_for,
            data.place,
            inspectors,
        )
        return inspection_out(result)

    @post(
        "/inspection/results",
        operation_id="recordInspection",
        status_code=200,
        responses=ACTION,
        summary="An inspector's results for their department, and sign-off",
    )
    async def results(
        self,
        application_id: Id,
        data: JSONBody[ResultsIn],
        principal: PrincipalDep,
        services: ServicesDep,
    ) -> InspectionOut:
        recorded = await inspection.record_results(
            services,
            principal,
            application_id,
            data.expected_version,
            {r.code: (r.result, r.note) for r in data.results},
            data.on_failure,
        )
        return inspection_out(recorded)

    @get(
        "/inspection",
        operation_id="getInspection",
        responses=error_responses(401, 404),
        summary="The joint inspection: appointment, checklist, sign-offs, report",
    )
    async def get_inspection(self, application_id: Id, principal: PrincipalDep) -> InspectionOut:
        await visible_application(principal, application_id)
        found = await inspection_repo.of_application(application_id)
        if found is None:
            from approvals.domain.errors import not_found

            raise not_found("该办件的现场核查", "Inspection")
        return inspection_out(found)

    @post(
        "/decision",
        operation_id="decideApplication",
        status_code=200,
        responses=ACTION,
        summary="准予/不予许可: approval issues the certificate; denial gives reasons and rights",
    )
    async def decide(
        self,
        application_id: Id,
        data: JSONBody[DecisionIn],
        principal: PrincipalDep,
        services: ServicesDep,
    ) -> ApplicationOut:
        case = await decision.decide(
            services,
            principal,
            application_id,
            data.expected_version,
            approve=data.approve,
            reasons=data.reasons,
        )
        return application_out(
            case.app,
            with_form=True,
            certificates=await cert_repo.certificates_of_application(case.app.id),
            base_url=services.settings.base_url,
            today=local_date(services.clock.now()),
        )

    @get(
        "/clocks",
        operation_id="getClocks",
        responses=error_responses(401, 404),
        summary="Both clocks (promised, statutory) and every pause, as they stand today",
    )
    async def clocks(
        self, application_id: Id, principal: PrincipalDep, services: ServicesDep
    ) -> ClocksOut:
        app = await visible_application(principal, application_id)
        return await clocks_out(services, app)
