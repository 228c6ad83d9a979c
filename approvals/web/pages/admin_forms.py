"""What the administration pages show and how their forms are read: Chinese names for
codes, the calendar's "one date per line" text, the staff-account and subscription forms.

Forms are checked here for shape only (what HTML constraints also say, for browsers
without JS); every business rule is the services' own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from approvals.clock import SHANGHAI
from approvals.domain.errors import DomainError
from approvals.domain.events import EVENT_TYPE_PREFIX, PUSHED
from approvals.domain.people import ROLE_NAMES_ZH, Role
from approvals.repository.codec import as_utc_any
from approvals.services.calendar import DayEntry
from approvals.services.staff_accounts import STAFF_ROLES, StaffSpec
from approvals.services.subscriptions import SubscriptionSpec
from approvals.web.pages.base import as_list

DEPARTMENT_KINDS_ZH = {"approval": "审批部门", "review": "审查部门", "supervision": "监管部门"}
ROUTES_ZH = {"commitment": "告知承诺（即报即批）", "review": "审查审批", "filing": "备案"}
FIELD_KINDS_ZH = {
    "text": "文本",
    "textarea": "多行文本",
    "credit_code": "统一社会信用代码",
    "phone": "电话号码",
    "id_number": "居民身份证号码",
    "email": "电子邮箱",
    "date": "日期",
    "integer": "整数",
    "decimal": "小数",
    "boolean": "是/否",
    "select": "单选",
    "multiselect": "多选",
    "address": "地址",
}
KEY_STATES_ZH = {"pending": "待启用", "active": "启用中", "retired": "已退役", "revoked": "已吊销"}
KEY_STATE_BADGE = {"pending": "pending", "active": "ok", "retired": "info", "revoked": "bad"}
KEY_PURPOSES_ZH = {"certificate": "证照签名", "trust_list": "信任列表签名"}
SUB_STATES_ZH = {"active": "启用", "disabled": "已停用"}
DELIVERY_STATES_ZH = {"pending": "待推送", "delivered": "已送达", "dead": "推送失败"}
EVENT_NAMES_ZH = {
    "application.accepted": "已受理",
    "application.approved": "准予许可",
    "application.denied": "不予许可",
    "certificate.issued": "证照签发",
    "certificate.changed": "证照变更",
    "certificate.suspended": "证照暂扣",
    "certificate.restored": "证照恢复",
    "certificate.revoked": "证照撤销",
    "certificate.cancelled": "证照注销",
    "commitment.false": "承诺不实",
}
ALL_EVENTS = EVENT_TYPE_PREFIX + "*"
EVENT_CHOICES: list[tuple[str, str]] = [(ALL_EVENTS, "全部审批事件")] + [
    (EVENT_TYPE_PREFIX + name, EVENT_NAMES_ZH.get(name, name)) for name in sorted(PUSHED)
]
ROLE_CHOICES: list[tuple[str, str]] = [(r.value, ROLE_NAMES_ZH[r]) for r in STAFF_ROLES]
KID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def event_name_zh(event_type: str) -> str:
    if event_type == "*":
        return "全部事件"
    return dict(EVENT_CHOICES).get(event_type, event_type)


def roles_zh(roles: frozenset[Role]) -> str:
    return "、".join(ROLE_NAMES_ZH[r] for r in Role if r in roles)  # in the order of Role


def local_time(at: datetime | str | None) -> str:
    """Beijing time to the minute; raw statements may hand back text (SQLite)."""
    if not at:
        return "—"
    return as_utc_any(at).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def limit_zh(limit: Any) -> str:
    if limit is None:
        return "—"
    return f"{limit.value} 分钟" if limit.unit == "minutes" else f"{limit.value} 个工作日"


@dataclass
class FormErrors:
    """Problems by field name, and the list shown at the top of the form."""

    by_field: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.by_field[name] = (
            self.by_field[name] + " " + message if name in self.by_field else message
        )

    def __bool__(self) -> bool:
        return bool(self.by_field)


def text(form: dict[str, Any], name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


# -- the calendar ---------------------------------------------------------------------------

_LINE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[\s,，、]+(.*))?$")


def parse_days(raw: str, default_name: str, name: str, errors: FormErrors) -> list[DayEntry]:
    """One day a line: ``2027-01-01 元旦`` (the name may be left out)."""
    entries = []
    for number, line in enumerate(raw.replace("\r", "").split("\n"), start=1):
        line = line.strip()
        if not line:
            continue
        match = _LINE.match(line)
        day = None
        if match:
            try:
                day = date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                day = None
        if day is None:
            errors.add(
                name, f"第 {number} 行“{line[:40]}”不是有效日期，应为“2027-01-01 元旦”的格式。"
            )
            continue
        label = (match[4] or "").strip() if match else ""
        if len(label) > 50:
            errors.add(name, f"第 {number} 行的名称超过 50 个字。")
            continue
        entries.append(DayEntry(day, label or default_name))
    return entries


def days_text(entries: list[tuple[date, str]]) -> str:
    return "\n".join(f"{d.isoformat()} {n}" for d, n in entries)


# -- staff accounts -------------------------------------------------------------------------


def roles_of(form: dict[str, Any], errors: FormErrors) -> frozenset[Role]:
    roles: set[Role] = set()
    for value in as_list(form.get("roles")):
        try:
            roles.add(Role(value))
        except ValueError:
            errors.add("roles", "角色不正确。")
    return frozenset(roles)


def staff_spec(form: dict[str, Any], errors: FormErrors) -> StaffSpec:
    roles = roles_of(form, errors)
    password = text(form, "password")
    if password != text(form, "password_again"):
        errors.add("password_again", "两次输入的密码不一致。")
    return StaffSpec(
        username=text(form, "username").lower(),
        display_name=text(form, "display_name"),
        roles=roles,
        department=text(form, "department"),
        password=password,
    )


# -- subscriptions -----------------------------------------------------------------------------

_URL = re.compile(r"^https?://[^\s\x00-\x1f]+$")


def subscription_spec(
    form: dict[str, Any], errors: FormErrors, extra_types: set[str] | None = None
) -> SubscriptionSpec:
    """``extra_types``: event patterns accepted besides the form's choices (an edit keeps
    what the API set)."""
    name, url = text(form, "name"), text(form, "url")
    if not 2 <= len(name) <= 100 or any(ord(c) < 32 for c in name):
        errors.add("name", "名称应为 2–100 个字，不含控制字符。")
    if not (8 <= len(url) <= 500 and _URL.match(url)):
        errors.add("url", "推送地址应为 http:// 或 https:// 开头的网址（不超过 500 个字符）。")
    types = [t for t in as_list(form.get("event_types")) if isinstance(t, str)]
    if not types:
        errors.add("event_types", "请至少选择一种事件。")
    elif any(t not in dict(EVENT_CHOICES) and t not in (extra_types or set()) for t in types):
        errors.add("event_types", "事件类型不正确。")
    rate = 50
    try:
        rate = int(text(form, "rate_limit_per_s") or "50")
        if not 1 <= rate <= 10_000:
            raise ValueError
    except ValueError:
        errors.add("rate_limit_per_s", "推送速率应为 1–10000 之间的整数。")
    return SubscriptionSpec(text(form, "department"), name, url, types, rate)


_TARGET_PROBLEMS_ZH = (
    ("credentials", "网址中不得包含用户名或密码"),
    ("not an http(s) URL", "不是 http(s) 网址"),
    ("does not resolve", "域名无法解析"),
    ("loopback", "指向本机地址"),
    ("link-local", "指向链路本地地址"),
    ("private", "指向内网地址"),
    ("not routable", "不是可路由的公网地址"),
)


def error_zh(error: DomainError) -> str:
    """The service's Chinese message; for a refused push target (whose text carries the
    resolver's English reason), the reason in Chinese."""
    if error.code != "bad_target":
        return error.zh
    why = next((zh for key, zh in _TARGET_PROBLEMS_ZH if key in error.en), "")
    return (
        f"推送地址不可用{('（' + why + '）') if why else ''}："
        "须为可公开访问的 http(s) 地址，不得指向内网或本机。"
    )


def whole_number(raw: str, low: int, high: int) -> int | None:
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if low <= value <= high else None
