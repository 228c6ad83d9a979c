"""The status table of an application reads like the law's process."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from approvals.domain.applications import (
    FINAL,
    NEXT,
    Route,
    Status,
    can_move,
    new_application,
)
from approvals.domain.errors import DomainError, ErrorKind

AT = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def make_application(**overrides: object) -> object:
    fields: dict[str, object] = {
        "id": uuid.uuid4(),
        "number": "SQ20261123ABCDEFGHJK",
        "permit_code": "public_place_hygiene",
        "catalogue_version": 1,
        "route": Route.COMMITMENT,
        "applicant_id": uuid.uuid4(),
        "holder_name": "银川悦来酒店有限公司",
        "holder_code": "91640100MA76XK2P0C",
        "form": {},
        "at": AT,
        "actor": "applicant",
    }
    fields.update(overrides)
    return new_application(**fields)  # type: ignore[arg-type]


def test_every_status_has_a_row_in_the_transition_table() -> None:
    assert set(NEXT) == set(Status)


def test_final_statuses_are_exactly_decided_refused_and_withdrawn() -> None:
    assert {Status.APPROVED, Status.DENIED, Status.NOT_ACCEPTED, Status.WITHDRAWN} == FINAL


def test_a_commitment_permit_may_be_approved_straight_from_submission() -> None:
    assert can_move(Status.SUBMITTED, Status.APPROVED)


def test_a_review_case_cannot_be_decided_before_it_is_accepted_and_reviewed() -> None:
    assert not can_move(Status.SUBMITTED, Status.AWAITING_DECISION)
    assert not can_move(Status.IN_REVIEW, Status.APPROVED)
    assert not can_move(Status.AWAITING_CORRECTION, Status.IN_REVIEW)


def test_a_new_application_is_submitted_and_records_the_event() -> None:
    app = make_application()
    assert app.status is Status.SUBMITTED  # type: ignore[attr-defined]
    assert [e.name for e in app.events] == ["application.submitted"]  # type: ignore[attr-defined]


def test_approving_records_the_event_bumps_the_version_and_sets_the_decision_time() -> None:
    app = make_application()
    app.move_to(Status.APPROVED, AT, actor="system", reason="自动核验通过")  # type: ignore[attr-defined]
    assert app.row_version == 2  # type: ignore[attr-defined]
    assert app.decided_at == AT  # type: ignore[attr-defined]
    assert app.events[-1].name == "application.approved"  # type: ignore[attr-defined]
    assert app.events[-1].reason == "自动核验通过"  # type: ignore[attr-defined]


@given(st.lists(st.sampled_from(list(Status)), max_size=12))
def test_any_walk_through_statuses_only_takes_legal_steps(targets: list[Status]) -> None:
    app = make_application()
    for target in targets:
        before = app.status  # type: ignore[attr-defined]
        if can_move(before, target):
            app.move_to(target, AT, actor="x")  # type: ignore[attr-defined]
            assert app.status is target  # type: ignore[attr-defined]
        else:
            with pytest.raises(DomainError) as raised:
                app.move_to(target, AT, actor="x")  # type: ignore[attr-defined]
            assert raised.value.kind is ErrorKind.CONFLICT
            assert app.status is before  # type: ignore[attr-defined]
