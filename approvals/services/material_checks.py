"""Checking the materials an application names against its permit type."""

from __future__ import annotations

import uuid

from approvals.domain.errors import Problem
from approvals.domain.people import Principal
from approvals.repository import materials as repo
from forms.catalogue import PermitType, select_components, select_materials

MAX_FILES_PER_SLOT = 20


async def check_material_slots(
    spec: PermitType,
    principal: Principal,
    slots: dict[str, list[uuid.UUID]],
    answers: dict[str, object],
) -> tuple[list[Problem], list[tuple[str, str]]]:
    """Problems with the named uploads, and the required slots left empty.

    Which materials are required depends on the applicant's answers for an
    industry bundle (一业一证): a material is asked for when the permit type
    itself needs it or a component that applies does.

    Every id must be an upload of the caller's own (an id of someone else's
    file reads as unknown: ids are not a way to borrow documents).
    """
    specs = {m.slot: m for m in spec.materials}
    problems: list[Problem] = []
    wanted = [m for ids in slots.values() for m in ids]
    found = await repo.materials_by_ids(wanted)
    for slot, ids in slots.items():
        where = f"materials.{slot}"
        material_spec = specs.get(slot)
        if material_spec is None:
            problems.append(
                Problem(
                    "unknown_material_slot",
                    f"该事项没有名为「{slot}」的材料项。",
                    f"This permit type has no material slot '{slot}'.",
                    where,
                )
            )
            continue
        if len(ids) > MAX_FILES_PER_SLOT:
            problems.append(
                Problem(
                    "too_many_files",
                    f"「{material_spec.name}」最多上传 {MAX_FILES_PER_SLOT} 个文件。",
                    f"At most {MAX_FILES_PER_SLOT} files per material.",
                    where,
                )
            )
        for material_id in ids:
            record = found.get(material_id)
            if record is None or record.owner_id != principal.account_id:
                problems.append(
                    Problem(
                        "unknown_material",
                        f"「{material_spec.name}」引用的文件不存在，请重新上传。",
                        f"Material {material_id} does not exist; upload it again.",
                        where,
                    )
                )
            elif record.content_type not in material_spec.content_types:
                problems.append(
                    Problem(
                        "material_type_not_allowed",
                        f"「{material_spec.name}」不接受该文件格式。",
                        f"'{material_spec.slot}' does not accept {record.content_type}.",
                        where,
                    )
                )
            elif record.size > material_spec.max_bytes:
                problems.append(
                    Problem(
                        "material_too_large",
                        f"「{material_spec.name}」的文件超过大小上限。",
                        f"The file for '{material_spec.slot}' is too large.",
                        where,
                    )
                )
    wanted_specs = select_materials(spec, select_components(spec, answers))
    missing = [(m.slot, m.name) for m in wanted_specs if m.required and not slots.get(m.slot)]
    return problems, missing
