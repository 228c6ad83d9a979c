"""People, roles and what each role may do."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    APPLICANT = "applicant"  # 申请人 (a business or its agent)
    WINDOW_STAFF = "window_staff"  # 窗口受理人员
    REVIEWER = "reviewer"  # 审查人员
    INSPECTOR = "inspector"  # 勘验人员
    DECISION_MAKER = "decision_maker"  # 审批负责人
    SUPERVISOR = "supervisor"  # 监管部门人员
    DEPARTMENT_HEAD = "department_head"  # 科室负责人
    ADMIN = "admin"  # 系统管理员


ROLE_NAMES_ZH: dict[Role, str] = {
    Role.APPLICANT: "申请人",
    Role.WINDOW_STAFF: "窗口受理人员",
    Role.REVIEWER: "审查人员",
    Role.INSPECTOR: "勘验人员",
    Role.DECISION_MAKER: "审批负责人",
    Role.SUPERVISOR: "监管人员",
    Role.DEPARTMENT_HEAD: "科室负责人",
    Role.ADMIN: "系统管理员",
}

# Roles that work cases on the approval side and may therefore read any case.
CASE_STAFF: frozenset[Role] = frozenset(
    {
        Role.WINDOW_STAFF,
        Role.REVIEWER,
        Role.INSPECTOR,
        Role.DECISION_MAKER,
        Role.DEPARTMENT_HEAD,
        Role.ADMIN,
    }
)


def parse_roles(text: str) -> frozenset[Role]:
    return frozenset(Role(part) for part in text.split(",") if part)


def format_roles(roles: frozenset[Role] | set[Role]) -> str:
    return ",".join(sorted(role.value for role in roles))


@dataclass(frozen=True)
class Principal:
    """The caller, as established by a session."""

    account_id: uuid.UUID
    username: str
    display_name: str
    roles: frozenset[Role]
    department: str | None
    session_id: uuid.UUID
    csrf_token: str

    def has(self, *roles: Role) -> bool:
        return not self.roles.isdisjoint(roles)

    @property
    def is_case_staff(self) -> bool:
        return not self.roles.isdisjoint(CASE_STAFF)

    def can_read_case(self, applicant_id: uuid.UUID) -> bool:
        """An applicant sees only their own cases; approval-side staff see all."""
        return self.account_id == applicant_id or self.is_case_staff
