"""Validity and status of certificates."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from approvals.domain.certificates import CertStatus, effective_status, format_number, valid_until


def test_a_hygiene_permit_issued_today_is_valid_four_years_to_the_day_before() -> None:
    assert valid_until(date(2026, 11, 23), 4) == date(2030, 11, 22)


def test_a_permit_issued_on_29_february_expires_on_28_february() -> None:
    assert valid_until(date(2028, 2, 29), 4) == date(2032, 2, 28)
    assert valid_until(date(2028, 2, 29), 1) == date(2029, 2, 28)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)), st.integers(1, 10))
def test_validity_always_covers_years_minus_one_day(issued: date, years: int) -> None:
    until = valid_until(issued, years)
    assert until is not None
    assert 365 * years - 1 <= (until - issued).days <= 366 * years


def test_no_validity_period_means_no_expiry() -> None:
    assert valid_until(date(2026, 11, 23), None) is None


def test_a_valid_certificate_reads_as_expired_the_day_after_its_last_day() -> None:
    last = date(2030, 11, 22)
    assert effective_status(CertStatus.VALID, last, last) is CertStatus.VALID
    assert effective_status(CertStatus.VALID, last, date(2030, 11, 23)) is CertStatus.EXPIRED


def test_a_revoked_certificate_stays_revoked_after_expiry() -> None:
    assert (
        effective_status(CertStatus.REVOKED, date(2020, 1, 1), date(2030, 1, 1))
        is CertStatus.REVOKED
    )


def test_numbers_follow_the_authority_style() -> None:
    assert (
        format_number("银审卫公证字〔{year}〕第{serial:06d}号", year=2026, serial=42)
        == "银审卫公证字〔2026〕第000042号"
    )
