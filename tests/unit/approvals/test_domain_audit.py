"""Audit chains and seals reveal any alteration, insertion or removal."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from approvals.domain.audit import (
    EMPTY_HEAD,
    AuditRecord,
    ChainHead,
    append,
    check_chain,
    check_seal,
    make_seal,
)

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
KEY = b"k" * 32


def build_chain(n: int, chain: str = "application:1", start_id: int = 1) -> list[AuditRecord]:
    head, records = EMPTY_HEAD, []
    for i in range(n):
        record = append(
            head,
            chain=chain,
            at=T0 + timedelta(seconds=i),
            actor_id="u1",
            actor_name="王芳",
            action=f"application.step{i}",
            target_type="application",
            target_id="1",
            reason=f"理由{i}",
            data={"i": i, "文字": "中文"},
        )
        record = dataclasses.replace(record, id=start_id + i)
        records.append(record)
        head = ChainHead(record.seq, record.entry_hash)
    return records


def head_of(records: list[AuditRecord]) -> ChainHead:
    return ChainHead(records[-1].seq, records[-1].entry_hash)


def test_an_untouched_chain_has_no_faults() -> None:
    records = build_chain(5)
    assert list(check_chain("application:1", records, head_of(records))) == []


@given(
    st.integers(0, 4), st.sampled_from(["actor_name", "action", "reason", "data_json", "target_id"])
)
def test_changing_any_field_of_any_entry_is_reported_at_that_entry(index: int, field: str) -> None:
    records = build_chain(5)
    head = head_of(records)
    records[index] = dataclasses.replace(records[index], **{field: "篡改"})
    faults = list(check_chain("application:1", records, head))
    assert faults[0].entry_id == index + 1
    assert faults[0].kind == "altered"


@given(st.integers(0, 3))
def test_removing_an_entry_from_the_middle_is_reported(index: int) -> None:
    records = build_chain(5)
    head = head_of(records)
    del records[index]
    kinds = {f.kind for f in check_chain("application:1", records, head)}
    assert "removed" in kinds


def test_removing_the_last_entry_is_caught_by_the_head_the_case_keeps() -> None:
    records = build_chain(5)
    head = head_of(records)
    faults = list(check_chain("application:1", records[:-1], head))
    assert [f.kind for f in faults] == ["removed"]


def test_a_seal_detects_an_entry_rewritten_with_a_recomputed_hash() -> None:
    records = build_chain(4)
    seal = make_seal(records, "0" * 64, T0, KEY)
    forged = dataclasses.replace(records[2], reason="改过的理由")
    forged = dataclasses.replace(forged, entry_hash=forged.computed_hash())
    tampered = [*records[:2], forged, records[3]]
    assert [f.kind for f in check_seal(seal, "0" * 64, tampered, KEY)] == ["altered"]


def test_a_seal_detects_a_removed_entry_and_a_forged_seal() -> None:
    records = build_chain(4)
    seal = make_seal(records, "0" * 64, T0, KEY)
    assert [f.kind for f in check_seal(seal, "0" * 64, records[:3], KEY)] == ["removed"]
    assert [f.kind for f in check_seal(seal, "0" * 64, records, b"wrong key" * 4)] == [
        "seal_forged"
    ]
