"""Presenters and formatting: pure functions, table-tested."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from ursa.domain.enums import SampleState, WorksetState
from ursa.web import formatting as fmt
from ursa.web.forms import ListFilters, parse_cancel, parse_list_filters
from ursa.web.presenters import list_url

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(seconds=10), "just now"),
        (timedelta(minutes=12), "12 min ago"),
        (timedelta(hours=5, minutes=59), "5 h ago"),
        (timedelta(days=3), "3 d ago"),
        (timedelta(days=45), "9 Oct 2026"),
        (timedelta(minutes=-4, seconds=-10), "in 4 min"),
    ],
)
def test_relative_times(delta: timedelta, expected: str) -> None:
    assert fmt.relative(NOW - delta, NOW) == expected


def test_full_time_is_utc() -> None:
    local = datetime(2026, 1, 5, 9, 30, tzinfo=UTC).astimezone(timezone(timedelta(hours=2)))
    assert fmt.full_time(local) == "5 Jan 2026 09:30 UTC"
    assert fmt.iso(local) == "2026-01-05T09:30:00Z"


@pytest.mark.parametrize(
    ("size", "expected"),
    [(0, "—"), (1024, "<0.1 GiB"), (64424525278, "60.0 GiB"), (3 * 1024**4, "3,072.0 GiB")],
)
def test_gib(size: int, expected: str) -> None:
    assert fmt.gib(size) == expected


def test_money() -> None:
    assert fmt.cost_summary(Decimal("16.337648"), None) == "est. $16.34"
    assert fmt.cost_summary(Decimal("16.337648"), Decimal("1234.5")) == "$1,234.50"
    assert fmt.money(None) == "—"


def test_every_state_has_a_badge_group() -> None:
    groups = {"queued", "running", "done", "error", "inactive"}
    assert {fmt.workset_badge(s).group for s in WorksetState} == groups
    assert {fmt.sample_badge(s).group for s in SampleState} == groups
    assert fmt.workset_badge(WorksetState.AWAITING_APPROVAL).label == "Awaiting approval"


def test_list_filters_are_parsed_and_bounded() -> None:
    filters = parse_list_filters(state="ready", q="  cohort ", cursor="", limit=1000)
    assert filters.state is WorksetState.READY
    assert filters.q == "cohort"
    assert filters.cursor is None
    assert filters.limit == ListFilters.MAX_LIMIT
    assert list_url(filters, cursor="abc") == "/worksets?state=ready&q=cohort&limit=100&cursor=abc"
    assert list_url(parse_list_filters(state=None, q=None, cursor=None, limit=None)) == "/worksets"


def test_cancel_reason_is_bounded() -> None:
    assert parse_cancel({"reason": " dup "}).reason == "dup"
    assert parse_cancel({}).valid
    assert not parse_cancel({"reason": "x" * 501}).valid
