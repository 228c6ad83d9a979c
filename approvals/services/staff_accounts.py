"""Use case: an administrator creates a staff account (PRODUCT.md §2: 管理员维护用户).

The password rule follows the usual government-system baseline (GB/T 22239 等保 2.0:
complexity and a minimum length): 8 to 64 characters, at least three of upper-case
letters, lower-case letters, digits and symbols, and not containing the username. A
supervisor belongs to a supervision department (their items are pushed there); the
other approval-side roles to an approval or review department. The account and its
audit entry commit together.
"""

from __future__ import annotations

import asyncio
import re
import string
import uuid
from dataclasses import dataclass

from approvals.domain.errors import DomainError, ErrorKind, Problem, forbidden
from approvals.domain.events import DomainEvent
from approvals.domain.people import Principal, Role
from approvals.persistence.transactions import transaction
from approvals.repository import accounts as repo
from approvals.services.audit_log import append_to_chain
from approvals.services.auth import hash_password
from approvals.services.context import Services

USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{2,31}$")
STAFF_ROLES: tuple[Role, ...] = tuple(r for r in Role if r is not Role.APPLICANT)
PASSWORD_MIN, PASSWORD_MAX = 8, 64


@dataclass(frozen=True)
class StaffSpec:
    username: str
    display_name: str
    roles: frozenset[Role]
    department: str
    password: str


def password_problems(password: str, username: str = "") -> list[Problem]:
    """Everything wrong with a new password (empty: acceptable)."""
    problems = []
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        problems.append(
            Problem(
                "password_length",
                f"密码长度应为 {PASSWORD_MIN}–{PASSWORD_MAX} 位。",
                f"A password has {PASSWORD_MIN} to {PASSWORD_MAX} characters.",
                "password",
            )
        )
    classes = sum(
        (
            any(c in string.ascii_uppercase for c in password),
            any(c in string.ascii_lowercase for c in password),
            any(c in string.digits for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if classes < 3:
        problems.append(
            Problem(
                "password_weak",
                "密码须至少包含大写字母、小写字母、数字、符号中的三种。",
                "Use at least three of: upper case, lower case, digits, symbols.",
                "password",
            )
        )
    if username and username.lower() in password.lower():
        problems.append(
            Problem(
                "password_has_username",
                "密码不能包含用户名。",
                "Leave the username out.",
                "password",
            )
        )
    if any(ord(c) < 32 for c in password):
        problems.append(
            Problem("password_control", "密码含有不可见字符。", "Control characters.", "password")
        )
    return problems


async def _spec_problems(spec: StaffSpec) -> list[Problem]:
    problems = []
    if not USERNAME.match(spec.username):
        problems.append(
            Problem(
                "bad_username",
                "用户名应为 3–32 位小写字母、数字或 _ . -，以字母开头。",
                "A username is 3-32 lower-case letters, digits, _ . -, starting with a letter.",
                "username",
            )
        )
    name = spec.display_name
    if not 2 <= len(name) <= 50 or any(ord(c) < 32 for c in name):
        problems.append(
            Problem(
                "bad_display_name",
                "姓名应为 2–50 个字。",
                "A name has 2-50 characters.",
                "display_name",
            )
        )
    if not spec.roles:
        problems.append(Problem("no_role", "请至少选择一个角色。", "Choose a role.", "roles"))
    if Role.APPLICANT in spec.roles:
        problems.append(
            Problem("applicant_role", "申请人账号不在此处创建。", "Not for applicants.", "roles")
        )
    kind = await repo.department_kind(spec.department) if spec.department else None
    if kind is None:
        problems.append(
            Problem("bad_department", "请选择所属部门。", "Choose a department.", "department")
        )
    elif Role.SUPERVISOR in spec.roles and kind != "supervision":
        problems.append(
            Problem(
                "supervisor_department",
                "监管人员须属于监管部门。",
                "A supervisor belongs to a supervision department.",
                "department",
            )
        )
    elif kind == "supervision" and spec.roles & {
        Role.WINDOW_STAFF,
        Role.REVIEWER,
        Role.INSPECTOR,
        Role.DECISION_MAKER,
    }:
        problems.append(
            Problem(
                "approval_role_in_supervision",
                "受理、审查、勘验和审批角色须属于审批或审查部门，不能属于监管部门。",
                "Approval-side roles belong to approval or review departments.",
                "department",
            )
        )
    problems += password_problems(spec.password, spec.username)
    return problems


async def create_staff_account(ctx: Services, principal: Principal, spec: StaffSpec) -> uuid.UUID:
    if not principal.has(Role.ADMIN):
        raise forbidden("只有系统管理员可以创建用户。", "Only administrators create accounts.")
    problems = await _spec_problems(spec)
    if problems:
        raise DomainError(
            ErrorKind.INVALID,
            "account_invalid",
            "用户信息有误，请逐项修改。",
            "The account has problems; fix each one.",
            problems=problems,
        )
    if await repo.account_by_username(spec.username) is not None:
        raise DomainError(
            ErrorKind.CONFLICT,
            "username_taken",
            f"用户名 {spec.username} 已被使用，请换一个。",
            f"The username {spec.username} is taken.",
            "username",
        )
    hashed = await asyncio.to_thread(hash_password, spec.password)
    now = ctx.clock.now()
    async with transaction():
        account_id = await repo.insert_account(
            username=spec.username,
            display_name=spec.display_name,
            password_hash=hashed,
            roles=spec.roles,
            department=spec.department,
            org_name="",
            org_credit_code="",
            phone="",
            at=now,
        )
        await append_to_chain(
            f"account:{account_id}",
            [
                DomainEvent(
                    "account.created",
                    now,
                    "caller",
                    data={
                        "username": spec.username,
                        "roles": sorted(r.value for r in spec.roles),
                        "department": spec.department,
                    },
                )
            ],
            actor_id=str(principal.account_id),
            actor_name=principal.display_name,
            target_type="account",
            target_id=str(account_id),
        )
    return account_id
