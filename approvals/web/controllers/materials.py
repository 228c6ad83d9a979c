"""Uploading materials (once; an application names them by id)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath

from approvals.config import settings
from approvals.domain.errors import DomainError, ErrorKind
from approvals.domain.people import Role
from approvals.repository.materials import MaterialRecord
from approvals.services.access import visible_material
from approvals.web.errors import error_responses
from approvals.web.schemas import MaterialOut
from approvals.web.security import PrincipalDep, ServicesDep, logged_in, requires

# The route's body limit follows the configured file limit (plus multipart framing).
MAX_UPLOAD = settings().max_upload_bytes


NO_FILE = DomainError(
    ErrorKind.INVALID,
    "file_missing",
    "请选择要上传的文件（表单字段名 file）。",
    "Send the file as multipart/form-data field 'file'.",
    "file",
)


def material_out(m: MaterialRecord) -> MaterialOut:
    return MaterialOut(
        m.id, m.filename, m.content_type, m.size, m.sha256, m.uploaded_at.isoformat()
    )


class MaterialController(Controller):
    path = "/api/materials"
    tags = ["materials"]

    @post(
        "/",
        operation_id="uploadMaterial",
        summary="Upload one material (PDF, JPEG or PNG; the type is checked from the content): "
        "an applicant's filing material, or a supervisor's post-check evidence",
        guards=[requires(Role.APPLICANT, Role.SUPERVISOR)],
        request_max_body_size=MAX_UPLOAD + 64 * 1024,
        responses=error_responses(400, 401, 403, 413),
        status_code=201,
    )
    async def upload(
        self,
        data: Annotated[
            dict[str, Any],
            Body(
                media_type=RequestEncodingType.MULTI_PART,
                description="multipart/form-data with one part, `file`: a PDF, JPEG or PNG "
                f"of at most {MAX_UPLOAD // (1024 * 1024)} MB (the type is read from the content).",
            ),
        ],
        principal: PrincipalDep,
        services: ServicesDep,
    ) -> MaterialOut:
        # A typed form model turns a part without a filename into a 500 inside the
        # framework; a plain mapping lets us answer it with a clear 400.
        upload = data.get("file")
        if not isinstance(upload, UploadFile):
            raise NO_FILE
        content = await upload.read()
        record = await services.materials.store(principal, upload.filename or "", content)
        return material_out(record)

    @get(
        "/{material_id:uuid}",
        operation_id="getMaterial",
        summary="An uploaded material's metadata",
        guards=[logged_in],
        responses=error_responses(400, 401, 404),
    )
    async def get_material(
        self, material_id: FromPath[uuid.UUID], principal: PrincipalDep
    ) -> MaterialOut:
        return material_out(await visible_material(principal, material_id))

    @get(
        "/{material_id:uuid}/content",
        operation_id="getMaterialContent",
        media_type="application/octet-stream",
        summary="The file itself (its owner or approval staff)",
        guards=[logged_in],
        responses=error_responses(400, 401, 404),
    )
    async def content(
        self, material_id: FromPath[uuid.UUID], principal: PrincipalDep, services: ServicesDep
    ) -> Response[bytes]:
        record = await visible_material(principal, material_id)
        return Response(
            await services.materials.read(record),
            media_type=record.content_type,
            headers={
                "Content-Disposition": "inline",
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "private, max-age=3600",
            },
        )
