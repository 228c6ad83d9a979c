"""Wire types of the review workflow: intake, review, inspection, decision, clocks, queue."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from msgspec import Meta, Struct

from approvals.web.schemas import NO_CONTROL, ApplicationOut, FormValue, Reason, Slug

Version = Annotated[int, Meta(ge=1, description="the row_version you acted on (409 if stale)")]
Text = Annotated[str, Meta(max_length=2000, pattern=NO_CONTROL)]


class VersionIn(Struct, forbid_unknown_fields=True):
    expected_version: Version


class ReasonsIn(Struct, forbid_unknown_fields=True):
    expected_version: Version
    reasons: Reason


class CorrectionItemIn(Struct, forbid_unknown_fields=True):
    target: Annotated[
        str, Meta(min_length=1, max_length=80, pattern=r"^(form|materials)\.[a-z0-9_]+$")
    ]
    what: Annotated[str, Meta(min_length=2, max_length=500, pattern=NO_CONTROL)]


class CorrectionIn(Struct, forbid_unknown_fields=True):
    """The one-time notice: every item to fix (一次性告知补正)."""

    expected_version: Version
    items: Annotated[list[CorrectionItemIn], Meta(min_length=1, max_length=50)]


class ResubmitIn(Struct, forbid_unknown_fields=True):
    expected_version: Version
    form: Annotated[dict[Annotated[str, Meta(max_length=64)], FormValue], Meta(max_length=200)]
    materials: Annotated[
        dict[Slug, Annotated[list[uuid.UUID], Meta(max_length=20)]], Meta(max_length=50)
    ] = {}


class PauseIn(Struct, forbid_unknown_fields=True):
    expected_version: Version
    reason: Literal["correction", "expert_review", "testing", "hearing", "inspection_by_law"]
    note: Annotated[str, Meta(min_length=2, max_length=500, pattern=NO_CONTROL)]


class ResumeIn(Struct, forbid_unknown_fields=True):
    expected_version: Version
    reason: Literal["correction", "expert_review", "testing", "hearing", "inspection_by_law"]


class DecisionIn(Struct, forbid_unknown_fields=True):
    expected_version: Version
    approve: bool
    reasons: Annotated[str, Meta(max_length=2000, pattern=NO_CONTROL)] = ""


class AssigneeIn(Struct, forbid_unknown_fields=True):
    expected_version: Version
    account_id: uuid.UUID | None


class OpinionIn(Struct, forbid_unknown_fields=True):
    expected_version: Version
    verdict: Literal["pass", "fail", "inspect"]
    opinion: Text = ""
    items: Annotated[
        list[Annotated[str, Meta(min_length=2, max_length=200, pattern=NO_CONTROL)]],
        Meta(max_length=20),
    ] = []


class InspectorIn(Struct, forbid_unknown_fields=True):
    department: Slug
    account_id: uuid.UUID


class ScheduleIn(Struct, forbid_unknown_fields=True):
    expected_version: Version
    scheduled_for: dt.datetime
    place: Annotated[str, Meta(min_length=2, max_length=300, pattern=NO_CONTROL)]
    inspectors: Annotated[list[InspectorIn], Meta(min_length=1, max_length=20)]


class ResultIn(Struct, forbid_unknown_fields=True):
    code: Annotated[str, Meta(min_length=1, max_length=80)]
    result: Literal["pass", "fail", "na"]
    note: Annotated[str, Meta(max_length=500, pattern=NO_CONTROL)] = ""


class ResultsIn(Struct, forbid_unknown_fields=True):
    expected_version: Version
    results: Annotated[list[ResultIn], Meta(min_length=1, max_length=100)]
    on_failure: Literal["rectify", "deny"] = "rectify"


class ClockOut(Struct):
    limit_days: int
    used_days: int
    remaining_days: int
    paused_days: int
    due: dt.date
    provisional: bool
    state: str
    met: bool | None = None


class PauseOut(Struct):
    reason: str
    reason_name: str
    started_on: dt.date
    ended_on: dt.date | None
    started_by: str
    note: str


class ClocksOut(Struct):
    intake_due: dt.date | None
    promised: ClockOut | None
    statutory: ClockOut | None
    pauses: list[PauseOut]


class TaskOut(Struct):
    id: uuid.UUID
    application_id: uuid.UUID
    department: str
    name: str
    component: str
    status: str
    opinion: str
    items: list[str]
    decided_by_name: str
    decided_at: str | None
    due_on: dt.date
    escalated: bool
    row_version: int


class TaskPage(Struct):
    items: list[TaskOut]
    next_cursor: str | None


class InspectionOut(Struct):
    id: uuid.UUID
    scheduled_for: str
    place: str
    inspectors: list[dict[str, str]]
    checklist: list[dict[str, object]]
    signoffs: dict[str, dict[str, str]]
    report: str
    status: str
    outcome: str
    rectification_due: dt.date | None
    row_version: int


class QueuePage(Struct):
    items: list[ApplicationOut]
    next_cursor: str | None
