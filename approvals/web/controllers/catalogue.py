"""The public permit catalogue."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.params import PathParameter

from approvals.web.errors import error_responses
from approvals.web.schemas import PermitDetail, PermitSummary, TimeLimitOut
from approvals.web.security import ServicesDep

CodeParam = Annotated[str, PathParameter(max_length=64, pattern=r"^[a-z0-9_]+$")]


class CatalogueController(Controller):
    path = "/api/catalogue"
    tags = ["catalogue"]

    @get("/", operation_id="listPermitTypes", summary="Permit types (事项) open for filing")
    async def list_types(self, services: ServicesDep) -> list[PermitSummary]:
        return [
            PermitSummary(
                code=p.spec.code,
                name=p.spec.name,
                certificate_name=p.spec.certificate_name,
                route=p.spec.route.value,
                version=p.version,
                promised_limit=TimeLimitOut(
                    p.spec.promised_limit.value, p.spec.promised_limit.unit
                ),
                statutory_limit=TimeLimitOut(
                    p.spec.statutory_limit.value, p.spec.statutory_limit.unit
                )
                if p.spec.statutory_limit
                else None,
            )
            for p in await services.catalogue.all_current()
        ]

    @get(
        "/{code:str}",
        operation_id="getPermitType",
        summary="One permit type: fields, materials, notice, commitment text and its SHA-256",
        responses=error_responses(400, 404),
    )
    async def get_type(self, code: CodeParam, services: ServicesDep) -> PermitDetail:
        published = await services.catalogue.current(code)
        return PermitDetail(
            code=published.spec.code,
            version=published.version,
            commitment_text_sha256=published.commitment_digest,
            definition=msgspec.to_builtins(published.spec),
        )
