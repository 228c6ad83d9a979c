"""Use cases: intake (受理) — accept, refuse to accept, one correction notice, resubmission,
and acceptance by operation of law when staff stay silent (行政许可法 art. 32).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from approvals.clock import local_date
from approvals.domain.applications import STATUS_NAMES_ZH, Application, Status
from approvals.domain.clocks import intake_deadline
from approvals.domain.errors import DomainError, ErrorKind, conflict, forbidden
from approvals.domain.people import Principal, Role
from approvals.repository import applications as app_repo
from approvals.repository import certificates as cert_repo
from approvals.services.case_action import Case, case_action
from approvals.services.context import Services
from approvals.services.review import open_review_tasks

INTAKE_ROLES = (Role.WINDOW_STAFF, Role.DEPARTMENT_HEAD, Role.ADMIN)
RIGHTS_ZH = (
    "如对本决定不服，可以自收到本决定书之日起六十日内依法申请行政复议，"
    "或者在六个月内依法向人民法院提起行政诉讼。"
)
DEEMED_REASON = (
    "五个工作日内未告知补正，依法自收到申请材料之日起即为受理（《行政许可法》第三十二条）"
)


@dataclass(frozen=True)
class CorrectionItem:
    """One thing to fix: a form field or a material slot, and what is wrong with it."""

    target: str  # "form.<field>" or "materials.<slot>"
    what: str


def check_intake_staff(principal: Principal, app: Application) -> None:
    if not principal.has(*INTAKE_ROLES):
        raise forbidden("只有窗口受理人员可以办理受理。", "Only intake staff may do this.")
    if not principal.has(Role.ADMIN) and principal.department != app.department:
        raise forbidden("该办件不属于您所在的部门。", "This case belongs to another department.")


def require_status(app: Application, *statuses: Status) -> None:
    if app.status not in statuses:
        raise conflict(
            "wrong_status",
            f"办件当前状态为「{STATUS_NAMES_ZH[app.status]}」，不能办理此项。",
            f"The case is {app.status.value}; this action does not apply.",
        )


async def _accept(
    ctx: Services, case: Case, *, accepted_on: date, reason: str, deemed: bool
) -> None:
    app = case.app
    spec = (await ctx.catalogue.at_version(app.permit_code, app.catalogue_version)).spec
    issuer = await ctx.issuers.get(spec.issuer)
    number = await cert_repo.allocate_acceptance_no(issuer.code)
    app.acceptance_no = f"银审受字〔{accepted_on.year}〕第{number:06d}号"
    app.accepted_on = accepted_on
    app.move_to(
        Status.IN_REVIEW,
        case.now,
        actor=case.actor_tag,
        reason=reason,
        event="application.accepted",
        data={
            "acceptance_no": app.acceptance_no,
            "deemed": deemed,
            "accepted_on": accepted_on.isoformat(),
        },
    )
    await open_review_tasks(ctx, case, spec)
    case.notify(
        f"受理通知书 {app.acceptance_no}",
        f"您的申请（办件编号 {app.number}）已于 {accepted_on:%Y年%m月%d日} 受理。"
        + ("（依法视为受理）" if deemed else "")
        + f"承诺办结时限 {spec.promised_limit.value} 个工作日。",
    )


async def accept(
    ctx: Services, principal: Principal, application_id: uuid.UUID, expected_version: int
) -> Application:
    async with case_action(ctx, principal, application_id, expected_version) as case:
        check_intake_staff(principal, case.app)
        require_status(case.app, Status.SUBMITTED)
        today, received = local_date(case.now), case.app.received_on
        if received and today > intake_deadline(received, await ctx.calendar.calendar()).due:
            # Late: the law already counts it as accepted from the day of receipt.
            await _accept(ctx, case, accepted_on=received, reason=DEEMED_REASON, deemed=True)
        else:
            await _accept(
                ctx, case, accepted_on=today, reason="材料齐全，符合法定形式", deemed=False
            )
    return case.app


async def refuse(
    ctx: Services,
    principal: Principal,
    application_id: uuid.UUID,
    expected_version: int,
    reasons: str,
) -> Application:
    async with case_action(ctx, principal, application_id, expected_version) as case:
        check_intake_staff(principal, case.app)
        require_status(case.app, Status.SUBMITTED)
        case.app.decision_reasons = reasons
        case.app.move_to(Status.NOT_ACCEPTED, case.now, actor="caller", reason=reasons)
        case.notify(
            f"不予受理决定（办件 {case.app.number}）", f"不予受理的理由：{reasons}。{RIGHTS_ZH}"
        )
    return case.app


async def request_correction(
    ctx: Services,
    principal: Principal,
    application_id: uuid.UUID,
    expected_version: int,
    items: list[CorrectionItem],
) -> Application:
    """The one-time notice listing everything to fix (一次性告知补正)."""
    if not items:
        raise DomainError(
            ErrorKind.INVALID,
            "no_items",
            "补正告知须列明全部需补正的内容。",
            "A correction notice must list every item to fix.",
            "items",
        )
    async with case_action(ctx, principal, application_id, expected_version) as case:
        app = case.app
        check_intake_staff(principal, app)
        require_status(app, Status.SUBMITTED)
        if app.correction_items:
            raise conflict(
                "correction_already_requested",
                "补正告知应一次性告知全部内容，该办件已告知过补正，不能再次告知；"
                "请受理或作出不予受理决定。",
                "The correction notice is one-time: this case had one already; "
                "accept it or refuse to accept it.",
            )
        calendar = await ctx.calendar.calendar()
        if (
            app.received_on
            and local_date(case.now) > intake_deadline(app.received_on, calendar).due
        ):
            raise conflict(
                "intake_period_over",
                "收到申请已超过五个工作日，依法视为已受理，不能再告知补正。",
                "More than five working days since receipt: the application counts as accepted "
                "by law and a correction notice is no longer possible.",
            )
        app.correction_items = [{"target": i.target, "what": i.what} for i in items]
        app.move_to(
            Status.AWAITING_CORRECTION,
            case.now,
            actor="caller",
            reason="一次性告知补正",
            event="application.correction_requested",
            data={"items": len(items)},
        )
        listing = "；".join(f"{n}. {i.what}" for n, i in enumerate(items, 1))
        case.notify(f"补正告知（办件 {app.number}）", f"请一次性补正以下全部内容：{listing}")
    return case.app


async def resubmit(
    ctx: Services,
    principal: Principal,
    application_id: uuid.UUID,
    expected_version: int,
    form: dict[str, object],
    materials: dict[str, list[uuid.UUID]],
) -> Application:
    from approvals.services.filing import validated_form

    async with case_action(ctx, principal, application_id, expected_version) as case:
        app = case.app
        if app.applicant_id != principal.account_id:
            raise forbidden("只有申请人本人可以提交补正。", "Only the applicant may resubmit.")
        require_status(app, Status.AWAITING_CORRECTION)
        app.form = await validated_form(ctx, principal, app, form, materials, case)
        app.received_on = local_date(case.now)
        app.move_to(
            Status.SUBMITTED,
            case.now,
            actor="caller",
            reason="申请人提交补正材料",
            event="application.resubmitted",
        )
    return case.app


async def accept_overdue_intakes(ctx: Services) -> int:
    """Accept, by operation of law, every case whose intake period ended in silence.

    Safe to run from any number of processes, any number of times: each case is
    re-read under its row lock and accepted only if it is still waiting.
    """
    today = local_date(ctx.clock.now())
    calendar = await ctx.calendar.calendar()
    count = 0
    for application_id, received_on in await app_repo.submitted_due_before(today):
        if intake_deadline(received_on, calendar).due >= today:
            continue
        async with case_action(ctx, None, application_id, None) as case:
            if case.app.status is not Status.SUBMITTED or case.app.received_on != received_on:
                continue
            await _accept(ctx, case, accepted_on=received_on, reason=DEEMED_REASON, deemed=True)
            count += 1
    return count


async def accept_on_commitment(ctx: Services, application_id: uuid.UUID) -> Application:
    """Commitment-based intake: a complete filing with a signed commitment is accepted at once."""
    async with case_action(ctx, None, application_id, None) as case:
        if case.app.status is Status.SUBMITTED:
            await _accept(
                ctx,
                case,
                accepted_on=local_date(case.now),
                reason="告知承诺受理：材料齐全并已签署承诺书",
                deemed=False,
            )
    return case.app
