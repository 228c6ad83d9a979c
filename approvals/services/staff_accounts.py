"""Use cases: an administrator creates a staff account, deactivates or reactivates an
account, changes a staff account's roles and department, or resets a password
(PRODUCT.md §2: 管理员维护用户).

The password rule follows the usual government-system baseline (GB/T 22239 等保 2.0:
complexity and a minimum length): 8 to 64 characters, at least three of upper-case
letters, lower-case letters, digits and symbols, and not containing the username. A
supervisor belongs to a supervision department (their items are pushed there); the
other approval-side roles to an approval or review department. Each change and its
audit entry commit together.

Deactivating an account or resetting its password ends its sessions at once (revoked in
the database; this process's session cache forgets them, other processes' within the
cache's few seconds). A change of roles takes effect on the account's next request. An
administrator can neither deactivate nor demote themselves, and no change may leave the
service without an active administrator. Accounts have no version column: deactivation
and role changes are compare-and-set on the values the administrator saw (a concurrent
edit is a 409); a password reset is last-writer-wins.
"""

from __future__ import annotations

import asyncio
import re
import string
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from approvals.domain.errors import DomainError, ErrorKind, Problem, conflict, forbidden, not_found
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


def _name_problems(spec: StaffSpec) -> list[Problem]:
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
    return problems


async def access_problems(roles: frozenset[Role], department: str) -> list[Problem]:
    """What is wrong with a staff account's roles and department (creation and changes
    follow the same rules)."""
    problems = []
    if not roles:
        problems.append(Problem("no_role", "请至少选择一个角色。", "Choose a role.", "roles"))
    if Role.APPLICANT in roles:
        problems.append(
            Problem("applicant_role", "申请人账号不在此处创建。", "Not for applicants.", "roles")
        )
    kind = await repo.department_kind(department) if department else None
    if kind is None:
        problems.append(
            Problem("bad_department", "请选择所属部门。", "Choose a department.", "department")
        )
    elif Role.SUPERVISOR in roles and kind != "supervision":
        problems.append(
            Problem(
                "supervisor_department",
                "监管人员须属于监管部门。",
                "A supervisor belongs to a supervision department.",
                "department",
            )
        )
    elif kind == "supervision" and roles & {
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
    return problems


async def _spec_problems(spec: StaffSpec) -> list[Problem]:
    problems = _name_problems(spec)
    problems += await access_problems(spec.roles, spec.department)
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


# -- changes to an existing account ----------------------------------------------------------


def _admin_only(principal: Principal) -> None:
    if not principal.has(Role.ADMIN):
        raise forbidden("只有系统管理员可以管理用户。", "Only administrators manage accounts.")


async def _load(account_id: uuid.UUID) -> repo.AccountRecord:
    account = await repo.account_by_id(account_id)
    if account is None:
        raise not_found("用户", "Account", "account_id")
    return account


def _refused(code: str, zh: str, en: str, field: str | None = None) -> DomainError:
    return DomainError(ErrorKind.REFUSED, code, zh, en, field)


def _changed_meanwhile(account: repo.AccountRecord) -> DomainError:
    return conflict(
        "account_changed",
        f"用户 {account.username} 的信息已被他人修改，请查看最新情况后重试。",
        f"The account {account.username} changed meanwhile; look again and retry.",
    )


async def _keep_an_admin() -> None:
    if await repo.active_admin_count() == 0:
        raise _refused(
            "last_admin",
            "系统至少要保留一名在用的系统管理员，此项修改未执行。",
            "At least one active administrator must remain; nothing was changed.",
        )


async def _audit(
    principal: Principal,
    account: repo.AccountRecord,
    action: str,
    at: datetime,
    data: dict[str, Any],
) -> None:
    await append_to_chain(
        f"account:{account.id}",
        [DomainEvent(action, at, "caller", data={"username": account.username, **data})],
        actor_id=str(principal.account_id),
        actor_name=principal.display_name,
        target_type="account",
        target_id=str(account.id),
    )


async def set_account_active(
    ctx: Services, principal: Principal, account_id: uuid.UUID, active: bool
) -> int:
    """Deactivate (its sessions end) or reactivate an account; how many sessions ended."""
    _admin_only(principal)
    account = await _load(account_id)
    if not active and account.id == principal.account_id:
        raise _refused(
            "deactivate_self",
            "不能停用自己的账号。",
            "You cannot deactivate your own account.",
        )
    now = ctx.clock.now()
    ended = 0
    async with transaction():
        await repo.lock_admin_changes()
        if not await repo.set_active(account.id, active):
            raise _changed_meanwhile(account)
        if not active:
            ended = await repo.revoke_sessions_of(account.id, now)
            await _keep_an_admin()
        await _audit(
            principal,
            account,
            "account.reactivated" if active else "account.deactivated",
            now,
            {"sessions_ended": ended} if not active else {},
        )
    ctx.sessions.forget_account(account.id)
    return ended


async def change_access(
    ctx: Services,
    principal: Principal,
    account_id: uuid.UUID,
    roles: frozenset[Role],
    department: str,
    *,
    seen_roles: frozenset[Role],
    seen_department: str | None,
) -> None:
    """New roles and department for a staff account, under the rules of creation; refused
    if they changed since the administrator saw ``seen_roles`` and ``seen_department``."""
    _admin_only(principal)
    account = await _load(account_id)
    if Role.APPLICANT in account.roles:
        raise _refused(
            "applicant_account",
            "申请人账号的角色和部门不能在此修改。",
            "An applicant's account has no staff roles to change.",
            "roles",
        )
    problems = await access_problems(roles, department)
    if problems:
        raise DomainError(
            ErrorKind.INVALID,
            "access_invalid",
            "角色或部门有误，请逐项修改。",
            "The roles or department have problems; fix each one.",
            problems=problems,
        )
    if account.id == principal.account_id and Role.ADMIN not in roles:
        raise _refused(
            "demote_self",
            "不能取消自己的系统管理员角色。",
            "You cannot take the administrator role from yourself.",
            "roles",
        )
    unchanged = roles == account.roles and department == account.department
    if unchanged and roles == seen_roles and department == seen_department:
        return  # nothing to change
    now = ctx.clock.now()
    async with transaction():
        await repo.lock_admin_changes()
        changed = await repo.set_access(
            account.id,
            roles,
            department,
            seen_roles=seen_roles,
            seen_department=seen_department,
        )
        if not changed:
            raise _changed_meanwhile(account)
        await _keep_an_admin()
        await _audit(
            principal,
            account,
            "account.access_changed",
            now,
            {
                "roles_before": sorted(r.value for r in seen_roles),
                "roles": sorted(r.value for r in roles),
                "department_before": seen_department or "",
                "department": department,
            },
        )
    ctx.sessions.forget_account(account.id)


async def reset_password(
    ctx: Services, principal: Principal, account_id: uuid.UUID, password: str
) -> int:
    """A temporary password set by an administrator; the account's sessions end. How many
    sessions ended. Last-writer-wins: two resets at once leave the later one."""
    _admin_only(principal)
    account = await _load(account_id)
    if account.id == principal.account_id:
        raise _refused(
            "reset_own_password",
            "不能在此重置自己的密码（会立即结束您自己的登录）。",
            "You cannot reset your own password here.",
            "password",
        )
    problems = password_problems(password, account.username)
    if problems:
        raise DomainError(
            ErrorKind.INVALID,
            "password_invalid",
            "临时密码不符合要求，请修改。",
            "The temporary password does not meet the rules.",
            problems=problems,
        )
    hashed = await asyncio.to_thread(hash_password, password)
    now = ctx.clock.now()
    async with transaction():
        if not await repo.set_password_hash(account.id, hashed):
            raise not_found("用户", "Account", "account_id")
        ended = await repo.revoke_sessions_of(account.id, now)
        await _audit(principal, account, "account.password_reset", now, {"sessions_ended": ended})
    ctx.sessions.forget_account(account.id)
    ctx.sessions.throttle.succeeded(account.username)
    return ended
