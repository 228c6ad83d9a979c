"""The supervision pages that show one record — an item, a post-check, the holder's view of
a post-check — with their forms, as first shown and as shown again with what to fix."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request
from litestar.response import Template

from approvals.clock import local_date
from approvals.domain.people import Principal, Role
from approvals.services import post_checks as checks
from approvals.services import supervision
from approvals.web.pages import supervisor_forms as forms
from approvals.web.pages import supervisor_views as views
from approvals.web.pages.base import echoed, render, services_of

AnyRequest = Request[Any, Any, Any]


async def item_page(
    request: AnyRequest,
    principal: Principal,
    item_id: uuid.UUID,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> Template:
    services = services_of(request)
    item = await supervision.get_item(principal, item_id)
    today = local_date(services.clock.now())
    mine = item.claimed_by == str(principal.account_id)
    names = await views.department_names()
    department = names.get(item.department, item.department)
    own = principal.department == item.department
    # Only a supervisor of the item's own department claims, returns or feeds back.
    acting = views.can_act_on_items(principal) and own
    can_reassign = views.can_reassign(principal) and item.status == "returned"
    choices = {}
    if can_reassign:
        # The service takes another supervision department than the one that returned it.
        choices = {
            code: name
            for code, name in (await views.supervision_departments()).items()
            if code != item.department
        }
    return render(
        request,
        "supervisor/item.html",
        principal,
        status_code=status_code,
        item=item,
        deadline=views.claim_deadline(item, today),
        state_badge=views.item_state_badge(item),
        state_words=views.item_state_words(item),
        permit_name=(await views.permit_names(services, {item.permit_code}))[item.permit_code],
        department=department,
        own_department=own,
        event_name=supervision.EVENT_NAMES_ZH.get(item.event_name, item.event_name),
        cert=await views.certificate_for(services, item.certificate_id),
        history=views.item_history(item, "" if own else department),
        claimed_late=item.claimed_at is not None and local_date(item.claimed_at) > item.claim_due,
        when=views.when,
        post_checks=await views.checks_of_item(principal, item),
        check_states=checks.STATUS_ZH,
        can_claim=acting and item.status == "pending",
        can_return=acting and (item.status == "pending" or (item.status == "claimed" and mine)),
        can_feed_back=acting and item.status == "claimed" and mine,
        can_reassign=can_reassign,
        reassign_choices=choices,
        results=supervision.RESULTS,
        errors=errors or {},
        values=echoed(values),
    )


async def check_page(
    request: AnyRequest,
    principal: Principal,
    check_id: uuid.UUID,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> Template:
    services = services_of(request)
    check = await checks.get_check(principal, check_id)
    today = local_date(services.clock.now())
    checker = principal.has(Role.SUPERVISOR) and principal.department == check.department
    return render(
        request,
        "supervisor/check.html",
        principal,
        status_code=status_code,
        check=check,
        deadline=views.check_deadline(check, today),
        badge=views.CHECK_BADGES[check.status],
        state_words=checks.STATUS_ZH[check.status],
        permit_name=(await views.permit_names(services, {check.permit_code}))[check.permit_code],
        department=(await views.department_names()).get(check.department, check.department),
        cert=await views.certificate_for(services, check.certificate_id),
        evidence=await views.evidence_of(principal, check),
        can_record=checker and check.status in ("open", "correction_ordered"),
        can_decide=views.can_decide(principal) and check.status == "statement_period",
        may_decide_now=views.may_decide_now(check, today),
        results=views.CHECK_RESULTS_ZH,
        when=views.when,
        max_files=forms.MAX_EVIDENCE_FILES,
        max_mb=forms.MAX_EVIDENCE_BYTES // (1024 * 1024),
        errors=errors or {},
        values=echoed(values),
    )


async def statement_page(
    request: AnyRequest,
    principal: Principal,
    check_id: uuid.UUID,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> Template:
    services = services_of(request)
    check = await checks.get_check(principal, check_id)
    today = local_date(services.clock.now())
    return render(
        request,
        "supervisor/statement.html",
        principal,
        status_code=status_code,
        check=check,
        badge=views.CHECK_BADGES[check.status],
        state_words=checks.STATUS_ZH[check.status],
        permit_name=(await views.permit_names(services, {check.permit_code}))[check.permit_code],
        cert=await views.certificate_for(services, check.certificate_id),
        can_state=check.status == "statement_period"
        and check.statement_at is None
        and (check.statement_due is None or today <= check.statement_due),
        when=views.when,
        errors=errors or {},
        values=echoed(values),
    )
