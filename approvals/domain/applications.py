"""The life of an application (办件): its statuses and the moves between them.

Read ``NEXT`` as the table of the whole process. A commitment permit (告知承诺)
goes SUBMITTED → APPROVED inside one request when every automatic check
passes; a review permit walks intake, parallel review, the joint inspection and
the decision (Administrative Licensing Law arts. 32, 42, 44).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Final

from approvals.domain.errors import DomainError, ErrorKind
from approvals.domain.events import DomainEvent


class Route(StrEnum):
    COMMITMENT = "commitment"  # 告知承诺
    REVIEW = "review"  # 审查
    FILING = "filing"  # 备案


class Status(StrEnum):
    SUBMITTED = "submitted"  # 已提交, waiting for intake
    AWAITING_CORRECTION = "awaiting_correction"  # 待补正 (clock paused)
    NOT_ACCEPTED = "not_accepted"  # 不予受理
    IN_REVIEW = "in_review"  # 已受理, parallel review under way
    INSPECTION = "inspection"  # 现场核查中
    RECTIFICATION = "rectification"  # 限期整改 after a failed inspection (clock paused)
    AWAITING_DECISION = "awaiting_decision"  # 待决定
    APPROVED = "approved"  # 准予许可
    DENIED = "denied"  # 不予许可
    WITHDRAWN = "withdrawn"  # 申请人撤回


STATUS_NAMES_ZH: Final[Mapping[Status, str]] = {
    Status.SUBMITTED: "已提交",
    Status.AWAITING_CORRECTION: "待补正",
    Status.NOT_ACCEPTED: "不予受理",
    Status.IN_REVIEW: "已受理，审查中",
    Status.INSPECTION: "现场核查中",
    Status.RECTIFICATION: "限期整改中",
    Status.AWAITING_DECISION: "待决定",
    Status.APPROVED: "准予许可",
    Status.DENIED: "不予许可",
    Status.WITHDRAWN: "已撤回",
}

NEXT: Final[Mapping[Status, frozenset[Status]]] = {
    # intake: accept (受理), refuse (不予受理), one correction notice (补正); a commitment
    # permit goes straight to APPROVED when every automatic check passes
    Status.SUBMITTED: frozenset(
        {
            Status.IN_REVIEW,
            Status.NOT_ACCEPTED,
            Status.AWAITING_CORRECTION,
            Status.APPROVED,
            Status.WITHDRAWN,
        }
    ),
    Status.AWAITING_CORRECTION: frozenset({Status.SUBMITTED, Status.WITHDRAWN}),
    # parallel review, then the joint inspection (if any part asks for one), then decision
    Status.IN_REVIEW: frozenset({Status.INSPECTION, Status.AWAITING_DECISION, Status.WITHDRAWN}),
    Status.INSPECTION: frozenset(
        {Status.AWAITING_DECISION, Status.RECTIFICATION, Status.WITHDRAWN}
    ),
    Status.RECTIFICATION: frozenset(
        {Status.INSPECTION, Status.AWAITING_DECISION, Status.WITHDRAWN}
    ),
    Status.AWAITING_DECISION: frozenset({Status.APPROVED, Status.DENIED}),
    Status.APPROVED: frozenset(),
    Status.DENIED: frozenset(),
    Status.NOT_ACCEPTED: frozenset(),
    Status.WITHDRAWN: frozenset(),
}

FINAL: Final[frozenset[Status]] = frozenset(s for s, nxt in NEXT.items() if not nxt)


def can_move(current: Status, target: Status) -> bool:
    return target in NEXT[current]


@dataclass
class Application:
    """The aggregate. Changes go through methods that record domain events."""

    id: uuid.UUID
    number: str
    permit_code: str
    catalogue_version: int
    route: Route
    status: Status
    applicant_id: uuid.UUID
    holder_name: str
    holder_code: str
    form: dict[str, Any]
    submitted_at: datetime
    decided_at: datetime | None = None
    row_version: int = 1
    department: str = ""
    assignee: str | None = None
    received_on: date | None = None
    accepted_on: date | None = None
    acceptance_no: str = ""
    promised_due: date | None = None
    statutory_due: date | None = None
    next_due: date | None = None
    due_provisional: bool = False
    extension_days: int = 0
    components: list[dict[str, Any]] = field(default_factory=list)
    correction_items: list[dict[str, Any]] = field(default_factory=list)
    decision_reasons: str = ""
    events: list[DomainEvent] = field(default_factory=list)

    def record(
        self,
        name: str,
        at: datetime,
        *,
        actor: str,
        reason: str = "",
        data: dict[str, Any] | None = None,
        target_type: str = "",
        target_id: str = "",
    ) -> None:
        """An event that changes no status (an opinion, a pause, an assignment)."""
        self.events.append(DomainEvent(name, at, actor, reason, data or {}, target_type, target_id))

    def move_to(
        self,
        target: Status,
        at: datetime,
        *,
        actor: str,
        reason: str = "",
        event: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        if not can_move(self.status, target):
            raise DomainError(
                ErrorKind.CONFLICT,
                "illegal_transition",
                f"办件当前状态为「{STATUS_NAMES_ZH[self.status]}」，"
                f"不能变为「{STATUS_NAMES_ZH[target]}」。",
                f"The application is {self.status.value}; it cannot become {target.value}.",
            )
        previous = self.status
        self.status = target
        self.row_version += 1
        if target in FINAL:
            self.decided_at = at
        self.events.append(
            DomainEvent(
                name=event or f"application.{target.value}",
                at=at,
                actor=actor,
                reason=reason,
                data={"from": previous.value, "to": target.value, **(data or {})},
            )
        )


def new_application(
    *,
    id: uuid.UUID,
    number: str,
    permit_code: str,
    catalogue_version: int,
    route: Route,
    applicant_id: uuid.UUID,
    holder_name: str,
    holder_code: str,
    form: dict[str, Any],
    at: datetime,
    actor: str,
) -> Application:
    application = Application(
        id=id,
        number=number,
        permit_code=permit_code,
        catalogue_version=catalogue_version,
        route=route,
        status=Status.SUBMITTED,
        applicant_id=applicant_id,
        holder_name=holder_name,
        holder_code=holder_code,
        form=form,
        submitted_at=at,
    )
    application.events.append(
        DomainEvent(
            name="application.submitted",
            at=at,
            actor=actor,
            data={"permit_code": permit_code, "catalogue_version": catalogue_version},
        )
    )
    return application
