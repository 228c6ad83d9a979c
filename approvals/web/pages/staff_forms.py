"""Staff workbench: turning posted forms into the API's own wire Structs.

A page form is converted into the same msgspec Struct the JSON API decodes
(``ReasonsIn``, ``OpinionIn`` …), so a page accepts exactly what the API accepts;
what the Struct refuses is said in Chinese, naming the field.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, TypeVar

import msgspec

from approvals.clock import SHANGHAI
from approvals.web.pages.base import form_version

T = TypeVar("T")

# What to say when the API's Struct refuses a field (the first part of the msgspec path).
FIELD_MESSAGES: dict[str, str] = {
    "expected_version": "页面版本信息有误，请刷新页面后重新操作。",
    "reasons": "请填写理由（2 至 500 个字，不含控制字符）。",
    "items": "请至少勾选一项，并为每项写明需补正的内容（2 至 500 个字）。",
    "target": "补正事项无效，请刷新页面后重新勾选。",
    "what": "请为每个勾选的事项写明需补正的内容（2 至 500 个字）。",
    "verdict": "请选择审查意见：同意、不同意或需现场核查。",
    "opinion": "审查意见最多 2000 个字，且不能含控制字符。",
    "note": "说明须为 2 至 500 个字，且不能含控制字符。",
    "reason": "请选择暂停计时的事由。",
    "scheduled_for": "请填写核查日期和时间。",
    "place": "请填写核查地点（2 至 300 个字）。",
    "inspectors": "请为每个参与核查的部门指派核查人员。",
    "results": "请为本部门每个核查事项选择结果（合格、不合格或不适用），说明最多 500 个字。",
    "on_failure": "请选择不合格时的处理方式。",
    "approve": "请选择准予许可或不予许可。",
}
_PATH = re.compile(r"- at `\$\.?(?P<field>[a-z_]+)")


class FormProblem(Exception):
    """A posted form the page cannot act on; ``zh`` says what to fix."""

    def __init__(self, zh: str, field: str = "") -> None:
        super().__init__(zh)
        self.zh = zh
        self.field = field


def as_struct(data: dict[str, Any], kind: type[T]) -> T:
    """``data`` as the API's Struct ``kind``, or a FormProblem in Chinese."""
    try:
        return msgspec.convert(data, kind, strict=False)
    except msgspec.ValidationError as exc:
        found = _PATH.search(str(exc))
        field = found.group("field") if found else ""
        raise FormProblem(
            FIELD_MESSAGES.get(field, "提交的内容有误，请检查后重试。"), field
        ) from exc


def text(form: dict[str, Any], name: str) -> str:
    """One text value (a repeated name or an upload is a form someone else made)."""
    value = form.get(name, "")
    if not isinstance(value, str):
        raise FormProblem("提交的内容有误，请刷新页面后重试。", name)
    return value


def version(form: dict[str, Any]) -> int:
    found = form_version(form)
    if found is None:
        raise FormProblem(FIELD_MESSAGES["expected_version"], "expected_version")
    return found


def local_datetime(raw: str, now: datetime) -> datetime:
    """A ``datetime-local`` value (Beijing time), not in the past and within two years."""
    try:
        when = datetime.fromisoformat(raw).replace(tzinfo=SHANGHAI)
    except ValueError as exc:
        raise FormProblem("请按“年-月-日 时:分”填写核查时间。", "scheduled_for") from exc
    if when < now:
        raise FormProblem("核查时间不能早于现在。", "scheduled_for")
    if (when - now).days > 730:
        raise FormProblem("核查时间不能晚于两年以后。", "scheduled_for")
    return when


def lines(raw: str) -> list[str]:
    return [line.strip() for line in raw.splitlines() if line.strip()]
