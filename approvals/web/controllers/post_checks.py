"""Post-checks of commitment permits: the supervisor's result, the holder's statement, the
revocation decision (PRODUCT.md §3.1, §3.5)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody, QueryParameter
from msgspec import Meta, Struct

from approvals.repository.post_checks import Check
from approvals.services import post_checks as use
from approvals.web.errors import error_responses
from approvals.web.schemas import NO_CONTROL, Reason
from approvals.web.schemas_workflow import Version
from approvals.web.security import PrincipalDep, ServicesDep, logged_in

LongText = Annotated[str, Meta(max_length=4000, pattern=NO_CONTROL)]


class CheckOut(Struct):
    id: uuid.UUID
    application_id: uuid.UUID
    certificate_id: uuid.UUID
    holder_code: str
    holder_name: str
    permit_code: str
    department: str
    due_on: dt.date
    status: str
    status_name: str
    checked_by_name: str
    finding: str
    evidence: list[str]
    correction_due: dt.date | None
    statement_due: dt.date | None
    statement: str
    decision_reasons: str
    decided_at: dt.datetime | None
    overdue_at: dt.datetime | None
    row_version: int


class ResultIn(Struct, forbid_unknown_fields=True):
    expected_version: Version
    result: Literal["fulfilled", "not_fulfilled", "false"]
    finding: LongText = ""
    evidence: Annotated[list[uuid.UUID], Meta(max_length=20)] = []
    correction_days: Annotated[int, Meta(ge=1, le=90)] = 15


class StatementIn(Struct, forbid_unknown_fields=True):
    text: Annotated[str, Meta(min_length=2, max_length=4000, pattern=NO_CONTROL)]


class DecisionIn(Struct, forbid_unknown_fields=True):
    expected_version: Version
    revoke: bool
    reasons: Reason


def check_out(c: Check) -> CheckOut:
    return CheckOut(
        c.id,
        c.application_id,
        c.certificate_id,
        c.holder_code,
        c.holder_name,
        c.permit_code,
        c.department,
        c.due_on,
        c.status,
        use.STATUS_ZH[c.status],
        c.checked_by_name,
        c.finding,
        c.evidence,
        c.correction_due,
        c.statement_due,
        c.statement,
        c.decision_reasons,
        c.decided_at,
        c.overdue_at,
        c.row_version,
    )


class PostCheckController(Controller):
    path = "/api/post-checks"
    tags = ["post-checks"]
    guards = [logged_in]

    @get(
        "/",
        operation_id="listPostChecks",
        summary="Post-checks: a supervision department's, the holder's own, or all (approval side)",
        responses=error_responses(400, 401, 403),
    )
    async def list_checks(
        self,
        principal: PrincipalDep,
        status: Annotated[
            Literal[
                "open", "fulfilled", "correction_ordered", "statement_period", "revoked", "kept"
            ]
            | None,
            QueryParameter(),
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> list[CheckOut]:
        return [check_out(c) for c in await use.list_checks(principal, status, limit)]

    @get(
        "/{check_id:uuid}",
        operation_id="getPostCheck",
        summary="One post-check",
        responses=error_responses(401, 404),
    )
    async def get_check(self, check_id: FromPath[uuid.UUID], principal: PrincipalDep) -> CheckOut:
        return check_out(await use.get_check(principal, check_id))

    @post(
        "/{check_id:uuid}/result",
        operation_id="recordPostCheckResult",
        summary="The result with evidence: fulfilled; not fulfilled (correction order); false "
        "(the revocation procedure starts)",
        responses=error_responses(400, 401, 403, 404, 409),
        status_code=200,
    )
    async def record_result(
        self,
        check_id: FromPath[uuid.UUID],
        data: JSONBody[ResultIn],
        principal: PrincipalDep,
        services: ServicesDep,
    ) -> CheckOut:
        check = await use.record_result(
            services,
            principal,
            check_id,
            data.expected_version,
            data.result,
            data.finding,
            data.evidence,
            data.correction_days,
        )
        return check_out(check)

    @post(
        "/{check_id:uuid}/statement",
        operation_id="makeStatement",
        summary="陈述申辩: the holder's statement, within the statement period",
        responses=error_responses(400, 401, 403, 404, 409),
        status_code=200,
    )
    async def statement(
        self,
        check_id: FromPath[uuid.UUID],
        data: JSONBody[StatementIn],
        principal: PrincipalDep,
        services: ServicesDep,
    ) -> CheckOut:
        return check_out(await use.make_statement(services, principal, check_id, data.text))

    @post(
        "/{check_id:uuid}/decision",
        operation_id="decideRevocation",
        summary="Revoke (certificate revoked, credit record, commitment route barred) or keep",
        responses=error_responses(400, 401, 403, 404, 409),
        status_code=200,
    )
    async def decision(
        self,
        check_id: FromPath[uuid.UUID],
        data: JSONBody[DecisionIn],
        principal: PrincipalDep,
        services: ServicesDep,
    ) -> CheckOut:
        check = await use.decide(
            services, principal, check_id, data.expected_version, data.revoke, data.reasons
        )
        return check_out(check)
