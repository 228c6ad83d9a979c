"""Identifiers people read and identifiers indexes like."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from approvals.domain.ids import case_number, uuid7


def test_case_numbers_carry_the_shanghai_date_and_ten_unambiguous_characters() -> None:
    late_evening_utc = datetime(2026, 11, 23, 17, 30, tzinfo=UTC)  # 01:30 on the 24th in Shanghai
    number = case_number(late_evening_utc)
    assert re.fullmatch(r"SQ20261124[0-9A-HJKMNP-TV-Z]{10}", number)


def test_case_numbers_do_not_repeat() -> None:
    now = datetime(2026, 11, 23, tzinfo=UTC)
    assert len({case_number(now) for _ in range(10_000)}) == 10_000


def test_uuid7_is_version_7_and_sorts_by_time() -> None:
    t = datetime(2026, 11, 23, tzinfo=UTC)
    earlier, later = uuid7(t), uuid7(t + timedelta(milliseconds=2))
    assert earlier.version == 7 and later.version == 7
    assert earlier < later
