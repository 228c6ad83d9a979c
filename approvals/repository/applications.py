"""Applications, commitment letters and their materials."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from approvals.domain.applications import Application, Route, Status
from approvals.domain.audit import ChainHead
from approvals.persistence.statements import WriteBatch, fetch
from approvals.repository.codec import as_date, as_utc_any, as_uuid, from_json, to_json
from approvals.tables import Application as ApplicationRow
from approvals.tables import ApplicationMaterial, CommitmentLetter


@dataclass(frozen=True)
class SignedCommitment:
    text: str
    text_sha256: str
    signer_id: uuid.UUID
    signer_name: str
    signed_at: datetime
    catalogue_version: int


def stage_application(
    batch: WriteBatch, app: Application, *, audit_seq: int, audit_head: str
) -> None:
    batch.add(
        ApplicationRow,
        {
            "id": app.id,
            "number": app.number,
            "permit_code": app.permit_code,
            "catalogue_version": app.catalogue_version,
            "route": app.route.value,
            "applicant": app.applicant_id,
            "holder_name": app.holder_name,
            "holder_code": app.holder_code,
            "submitted_at": app.submitted_at,
            "row_version": app.row_version,
            "audit_seq": audit_seq,
            "audit_head": audit_head,
            "updated_at": app.decided_at or app.submitted_at,
            **_mutable(app),
        },
    )


def _mutable(app: Application) -> dict[str, Any]:
    """The columns a case's life changes after filing."""
    return {
        "status": app.status.value,
        "decided_at": app.decided_at,
        "department": app.department,
        "assignee": app.assignee,
        "received_on": app.received_on,
        "accepted_on": app.accepted_on,
        "acceptance_no": app.acceptance_no,
        "promised_due": app.promised_due,
        "statutory_due": app.statutory_due,
        "next_due": app.next_due,
        "due_provisional": app.due_provisional,
        "extension_days": app.extension_days,
        "components": to_json(app.components),
        "correction_items": to_json(app.correction_items),
        "decision_reasons": app.decision_reasons,
        "form": to_json(app.form),
    }


def stage_commitment(
    batch: WriteBatch, application_id: uuid.UUID, letter: SignedCommitment
) -> None:
    batch.add(
        CommitmentLetter,
        {
            "id": uuid.uuid4(),
            "application": application_id,
            "text": letter.text,
            "text_sha256": letter.text_sha256,
            "signer": letter.signer_id,
            "signer_name": letter.signer_name,
            "signed_at": letter.signed_at,
            "catalogue_version": letter.catalogue_version,
        },
    )


def stage_materials(
    batch: WriteBatch, application_id: uuid.UUID, slots: dict[str, list[uuid.UUID]]
) -> None:
    for slot, materials in slots.items():
        for material in materials:
            batch.add(
                ApplicationMaterial,
                {
                    "id": uuid.uuid4(),
                    "application": application_id,
                    "slot": slot,
                    "material": material,
                },
            )


async def materials_of(application_id: uuid.UUID) -> dict[str, list[uuid.UUID]]:
    """The files attached to a case, by slot."""
    rows = await ApplicationMaterial.select(
        ApplicationMaterial.slot, ApplicationMaterial.material
    ).where(ApplicationMaterial.application == application_id)
    slots: dict[str, list[uuid.UUID]] = {}
    for row in rows:
        slots.setdefault(row["slot"], []).append(as_uuid(row["material"]))
    return slots


async def detach_materials(application_id: uuid.UUID, slots: list[str]) -> None:
    """Forget what was attached to these slots (a resubmission replaces them)."""
    if slots:
        await ApplicationMaterial.delete().where(
            (ApplicationMaterial.application == application_id)
            & ApplicationMaterial.slot.is_in(slots)
        )


def _application(row: dict[str, Any]) -> Application:
    return Application(
        id=as_uuid(row["id"]),
        number=row["number"],
        permit_code=row["permit_code"],
        catalogue_version=row["catalogue_version"],
        route=Route(row["route"]),
        status=Status(row["status"]),
        applicant_id=as_uuid(row["applicant"]),
        holder_name=row["holder_name"],
        holder_code=row["holder_code"],
        form=from_json(row["form"]),
        submitted_at=as_utc_any(row["submitted_at"]),
        decided_at=as_utc_any(row["decided_at"]) if row["decided_at"] else None,
        row_version=row["row_version"],
        department=row["department"],
        assignee=row["assignee"],
        received_on=_day(row["received_on"]),
        accepted_on=_day(row["accepted_on"]),
        acceptance_no=row["acceptance_no"],
        promised_due=_day(row["promised_due"]),
        statutory_due=_day(row["statutory_due"]),
        next_due=_day(row["next_due"]),
        due_provisional=bool(row["due_provisional"]),
        extension_days=int(row["extension_days"]),
        components=from_json(row["components"]),
        correction_items=from_json(row["correction_items"]),
        decision_reasons=row["decision_reasons"],
    )


def _day(value: Any) -> date | None:
    return as_date(value) if value else None


async def get_application(application_id: uuid.UUID) -> Application | None:
    rows = await ApplicationRow.select().where(ApplicationRow.id == application_id)
    return _application(rows[0]) if rows else None


async def applications_by_id(ids: list[uuid.UUID]) -> dict[uuid.UUID, Application]:
    """Several cases in one query (a list page's rows), by id."""
    if not ids:
        return {}
    rows = await ApplicationRow.select().where(ApplicationRow.id.is_in(list(set(ids))))
    return {app.id: app for app in map(_application, rows)}


async def list_applications(
    *, applicant_id: uuid.UUID | None, before: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[Application]:
    """Newest first, keyset-paginated on (submitted_at, id)."""
    query = ApplicationRow.select()
    if applicant_id is not None:
        query = query.where(ApplicationRow.applicant == applicant_id)
    if before is not None:
        at, last_id = before
        query = query.where(
            (ApplicationRow.submitted_at < at)
            | ((ApplicationRow.submitted_at == at) & (ApplicationRow.id < last_id))
        )
    rows = await query.order_by(
        ApplicationRow.submitted_at, ApplicationRow.id, ascending=False
    ).limit(limit)
    return [_application(row) for row in rows]


async def lock_case(application_id: uuid.UUID) -> tuple[ChainHead, uuid.UUID] | None:
    """The case's audit-chain head and its applicant, the row locked until commit."""
    rows = await fetch(
        "UPDATE application SET audit_seq = audit_seq WHERE id = :id"
        " RETURNING audit_seq, audit_head, applicant",
        id=application_id,
    )
    if not rows:
        return None
    row = rows[0]
    return ChainHead(int(row["audit_seq"]), row["audit_head"]), as_uuid(row["applicant"])


async def lock_application(application_id: uuid.UUID) -> tuple[Application, ChainHead] | None:
    """The case and its audit-chain head, the row locked until the transaction ends."""
    rows = await fetch(
        "UPDATE application SET row_version = row_version WHERE id = :id RETURNING *",
        id=application_id,
    )
    if not rows:
        return None
    row = rows[0]
    return _application(row), ChainHead(int(row["audit_seq"]), row["audit_head"])


async def update_case(
    app: Application, *, expected_version: int, head: ChainHead, at: datetime
) -> bool:
    """Write a case's changed state, compare-and-set on its version."""
    values = _mutable(app)
    assignments = ", ".join(f"{name} = :{name}" for name in values)
    rows = await fetch(
        f"UPDATE application SET {assignments}, row_version = :new_version,"
        " audit_seq = :audit_seq, audit_head = :audit_head, updated_at = :at"
        " WHERE id = :id AND row_version = :expected RETURNING id",
        **values,
        new_version=app.row_version,
        audit_seq=head.seq,
        audit_head=head.entry_hash,
        at=at,
        id=app.id,
        expected=expected_version,
    )
    return bool(rows)


async def save_case_head(application_id: uuid.UUID, head: ChainHead, at: datetime) -> None:
    await fetch(
        "UPDATE application SET audit_seq = :seq, audit_head = :head, updated_at = :at"
        " WHERE id = :id",
        seq=head.seq,
        head=head.entry_hash,
        at=at,
        id=application_id,
    )


async def submitted_due_before(today: date) -> list[tuple[uuid.UUID, date]]:
    """Cases still waiting for intake whose intake deadline has passed."""
    rows = await fetch(
        "SELECT id, received_on FROM application WHERE status = 'submitted'"
        " AND next_due < :today AND received_on IS NOT NULL",
        today=today,
    )
    return [(as_uuid(r["id"]), as_date(r["received_on"])) for r in rows]


async def queue(
    *,
    department: str | None,
    status: str | None,
    assignee: str | None,
    unassigned: bool,
    due_before: date | None,
    after: tuple[date, uuid.UUID] | None,
    limit: int,
    permit_code: str | None = None,
    match: tuple[str, str] | None = None,
) -> list[Application]:
    """Open cases, most urgent first: keyset pagination on (next_due, id), which the queue
    indexes end in, so a page costs the same with a thousand cases or a million.

    ``match`` is (column, value): equality on ``number``, ``acceptance_no`` or
    ``holder_code``, or a substring of ``holder_name`` (filtered inside the same index
    range, so it costs at most the open cases of the department)."""
    where = ["next_due IS NOT NULL"]
    params: dict[str, Any] = {"limit": limit}
    for column, value in (
        ("department", department),
        ("status", status),
        ("assignee", assignee),
        ("permit_code", permit_code),
    ):
        if value is not None:
            where.append(f"{column} = :{column}")
            params[column] = value
    if unassigned:
        where.append("assignee IS NULL")
    if due_before is not None:
        where.append("next_due < :due_before")
        params["due_before"] = due_before
    if match is not None:
        column, value = match
        if column == "holder_name":
            escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append("holder_name LIKE :match ESCAPE '\\'")
            params["match"] = f"%{escaped}%"
        elif column in ("number", "acceptance_no", "holder_code"):
            where.append(f"{column} = :match")
            params["match"] = value
        else:
            raise ValueError(column)
    if after is not None:
        # A row-value comparison both engines turn into an index range: page 500 starts
        # where page 499 ended instead of filtering its way there.
        where.append("(next_due, id) > (:after_due, :after_id)")
        params.update(after_due=after[0], after_id=after[1])
    rows = await fetch(
        f"SELECT * FROM application WHERE {' AND '.join(where)} ORDER BY next_due, id LIMIT :limit",
        **params,
    )
    return [_application(row) for row in rows]
