"""Billing periods: strict parsing, half-open UTC intervals, every problem an InvalidInput."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ursa.domain.errors import InvalidInput
from ursa.domain.periods import (
    MAX_PERIOD_DAYS,
    choose_period,
    month_of,
    month_period,
    parse_instant,
    period_between,
)

NOW = datetime(2026, 11, 23, 10, 15, tzinfo=UTC)


def _codes(exc: pytest.ExceptionInfo[InvalidInput]) -> set[tuple[str, str]]:
    return {(i.field, i.code) for i in exc.value.issues}


def test_a_month_is_its_first_instant_to_the_next_month() -> None:
    nov = month_period("2026-11")
    assert (nov.start, nov.end, nov.label) == (
        datetime(2026, 11, 1, tzinfo=UTC),
        datetime(2026, 12, 1, tzinfo=UTC),
        "2026-11",
    )
    assert month_of(NOW) == nov
    assert month_of(datetime(2026, 12, 1, 3, tzinfo=UTC).astimezone(UTC)) == month_period("2026-12")


@pytest.mark.parametrize(
    "text", ["2026-13", "2026-00", "26-11", "2026-1", "1999-12", "0000-01", "x"]
)
def test_bad_months_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        month_period(text)


def test_instants_need_a_timezone_and_dates_mean_utc_midnight() -> None:
    assert parse_instant("2026-11-01", field="start") == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_instant("2026-11-01T10:00:00Z", field="start") == datetime(
        2026, 11, 1, 10, tzinfo=UTC
    )
    assert parse_instant("2026-11-01T12:00:00+02:00", field="start") == datetime(
        2026, 11, 1, 10, tzinfo=UTC
    )
    with pytest.raises(InvalidInput) as naive:
        parse_instant("2026-11-01T10:00:00", field="start")
    assert _codes(naive) == {("start", "TIMEZONE_REQUIRED")}
    with pytest.raises(InvalidInput) as garbage:
        parse_instant("not a time at all", field="end")
    assert _codes(garbage) == {("end", "INVALID_FORMAT")}
    with pytest.raises(InvalidInput) as far:
        parse_instant("9999-12-31T23:00:00-05:00", field="end")
    assert _codes(far) == {("end", "OUT_OF_RANGE")}


def test_periods_end_after_they_start_and_are_bounded() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(InvalidInput):
        period_between(start, start)
    with pytest.raises(InvalidInput):
        period_between(start, start + timedelta(days=MAX_PERIOD_DAYS, seconds=1))
    period = period_between(start, start + timedelta(days=MAX_PERIOD_DAYS))
    assert period.label == "2026-01-01T00:00:00Z/2027-02-05T00:00:00Z"


def test_choose_period_takes_a_month_or_start_and_end_or_this_month() -> None:
    assert choose_period(period=None, start=None, end=None, now=NOW) == month_period("2026-11")
    assert choose_period(period="2026-10", start=None, end=None, now=NOW).label == "2026-10"
    between = choose_period(period=None, start="2026-11-01", end="2026-11-08", now=NOW)
    assert between.end - between.start == timedelta(days=7)
    with pytest.raises(InvalidInput) as both:
        choose_period(period="2026-10", start="2026-11-01", end=None, now=NOW)
    assert _codes(both) == {("period", "CONFLICTING")}
    with pytest.raises(InvalidInput) as half:
        choose_period(period=None, start=None, end="2026-11-08", now=NOW)
    assert _codes(half) == {("start", "REQUIRED")}
