"""Reading the supervision pages' forms: the same limits as the API's wire schemas
(``controllers/supervision.py``, ``controllers/post_checks.py``), said in Chinese, so that
a page can refuse bad input with a message next to the field and change nothing."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from litestar.datastructures import UploadFile

from approvals.config import settings
from approvals.domain.people import Principal
from approvals.services.context import Services
from approvals.services.materials import clean_filename, sniff_type
from approvals.web.pages.base import form_version
from approvals.web.schemas import NO_CONTROL

_NO_CONTROL = re.compile(NO_CONTROL)
# All evidence of one result travels in one request: its body may hold this much.
MAX_EVIDENCE_BYTES = settings().max_upload_bytes
MAX_EVIDENCE_FILES = 10


@dataclass
class FormErrors:
    """Field name → what to fix, in Chinese."""

    by_field: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, zh: str) -> None:
        self.by_field.setdefault(name, zh)

    def __bool__(self) -> bool:
        return bool(self.by_field)


def text(
    form: dict[str, Any],
    name: str,
    label: str,
    errors: FormErrors,
    *,
    min_length: int = 0,
    max_length: int,
) -> str:
    raw = form.get(name, "")
    value = raw if isinstance(raw, str) else ""
    if not isinstance(raw, str):
        errors.add(name, f"{label}只能填写一次。")
    elif min_length and len(value) < min_length:
        errors.add(
            name,
            f"请填写{label}。" if not value else f"{label}至少 {min_length} 个字。",
        )
    elif len(value) > max_length:
        errors.add(name, f"{label}最多 {max_length} 个字，现为 {len(value)} 个字。")
    elif not _NO_CONTROL.match(value):
        errors.add(name, f"{label}含有不可见的控制字符，请删除后重新填写。")
    return value


def choice(
    form: dict[str, Any], name: str, label: str, allowed: dict[str, str], errors: FormErrors
) -> str:
    value = form.get(name, "")
    if not isinstance(value, str) or value not in allowed:
        errors.add(name, f"请选择{label}。")
        return ""
    return value


def whole_number(
    form: dict[str, Any], name: str, label: str, errors: FormErrors, *, low: int, high: int
) -> int:
    raw = form.get(name, "")
    try:
        number = int(raw) if isinstance(raw, str) and raw.isascii() else None
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        errors.add(name, f"{label}须为 {low} 至 {high} 之间的整数。")
        return low
    return number


def version(form: dict[str, Any]) -> int:
    """The row version the form was made from (a stale one is the service's 409)."""
    return form_version(form) or 0


def uploads(form: dict[str, Any], name: str, errors: FormErrors) -> list[UploadFile]:
    """The files chosen in a multiple-file input (an empty input sends one empty part)."""
    values = form.get(name)
    chosen = [
        v
        for v in (values if isinstance(values, list) else [values])
        if isinstance(v, UploadFile) and v.filename
    ]
    if len(chosen) > MAX_EVIDENCE_FILES:
        errors.add(name, f"一次最多上传 {MAX_EVIDENCE_FILES} 个证据文件。")
    return chosen


async def store_evidence(
    services: Services, principal: Principal, files: list[UploadFile], errors: FormErrors
) -> list[uuid.UUID]:
    """Each file through the materials service, as the API's upload does (type read from
    the content, size limit, stored once by hash). Every file is looked at before any is
    stored, so one bad file stores none."""
    contents = [(upload.filename or "", await upload.read()) for upload in files]
    for name, content in contents:
        if not content:
            errors.add("evidence", f"文件「{clean_filename(name)}」是空的，请重新选择。")
        elif sniff_type(content[:16]) is None:
            errors.add(
                "evidence",
                f"文件「{clean_filename(name)}」不是 PDF、JPEG 或 PNG 格式，请转换后再上传。",
            )
    if errors:
        return []
    ids = []
    for name, content in contents:
        record = await services.materials.store(principal, name, content)
        ids.append(record.id)
    return ids
