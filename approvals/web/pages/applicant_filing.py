"""Filing from the page: each chosen file goes through the same store as ``POST
/api/materials``, then the filing through the same use case as ``POST /api/applications``
(or, for a correction, ``POST …/resubmit``). Files uploaded on a try that failed are
remembered by id, so the applicant never uploads the same file twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from litestar.datastructures import UploadFile

from approvals.domain.errors import DomainError, Problem
from approvals.domain.people import Principal
from approvals.services.access import visible_material
from approvals.services.context import Services
from approvals.web.pages.applicant_form import FILE_PREFIX, KeptFile, kept_ids

__all__ = ["Uploads", "collect_uploads", "kept_files"]


@dataclass
class Uploads:
    """Material ids by slot (new uploads replace remembered ones) and upload problems."""

    ids: dict[str, list[uuid.UUID]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


async def collect_uploads(
    services: Services,
    principal: Principal,
    posted: Mapping[str, Any],
    slots: Iterable[str],
    *,
    keep: bool = True,
) -> Uploads:
    slot_list = list(slots)
    out = Uploads(ids=kept_ids(posted, slot_list) if keep else {})
    for slot in slot_list:
        upload = posted.get(FILE_PREFIX + slot)
        if isinstance(upload, list):
            upload = next((u for u in upload if isinstance(u, UploadFile)), None)
        if not isinstance(upload, UploadFile) or not upload.filename:
            continue
        content = await upload.read()
        if not content:
            continue  # the browser sends an empty part for a file input left empty
        try:
            record = await services.materials.store(principal, upload.filename, content)
        except DomainError as error:
            out.problems.append(Problem(error.code, error.zh, error.en, f"materials.{slot}"))
            continue
        out.ids[slot] = [record.id]
    return out


async def kept_files(
    principal: Principal, ids: Mapping[str, list[uuid.UUID]]
) -> dict[str, list[KeptFile]]:
    """The remembered uploads with their file names, read through the API's access check
    (an id that is not the caller's own is dropped)."""
    out: dict[str, list[KeptFile]] = {}
    for slot, slot_ids in ids.items():
        for material_id in slot_ids:
            try:
                record = await visible_material(principal, material_id)
            except DomainError:
                continue
            out.setdefault(slot, []).append(KeptFile(str(record.id), record.filename))
    return out
