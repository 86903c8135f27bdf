"""Billing periods: half-open UTC intervals ``[start, end)`` of ledger time (``posted_at``).

A period is a calendar month (``2026-11``) or any interval of at most ``MAX_PERIOD_DAYS``
between two instants, written ISO 8601 with ``Z`` (or an offset) or as a date (midnight UTC).
Parsing is strict: every problem is an ``InvalidInput`` naming the field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from ursa.domain.errors import InvalidInput, Issue

MAX_PERIOD_DAYS = 400
"""Longest period a single statement covers (a year plus a margin for fiscal years)."""
FIRST_YEAR, LAST_YEAR = 2000, 2999
"""Instants outside these years are refused: nothing was billed before, and ledger keys
hold four-digit years."""
MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
MONTH_PATTERN = MONTH_RE.pattern
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _z(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True, kw_only=True)
class Period:
    """``start <= posted_at < end``, both aware UTC; ``label`` names it for people and files."""

    start: datetime
    end: datetime
    label: str

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a period needs aware datetimes")
        if not self.start < self.end:
            raise ValueError("a period must end after it starts")


def _bad(field: str, code: str, message: str) -> InvalidInput:
    return InvalidInput.single(field, code, message)


def _check_year(year: int, field: str) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise _bad(field, "OUT_OF_RANGE", f"{field} must lie in the years {FIRST_YEAR}–{LAST_YEAR}")


def month_period(text: str, *, field: str = "period") -> Period:
    """``YYYY-MM`` → that calendar month in UTC."""
    match = MONTH_RE.fullmatch(text)
    if match is None:
        raise _bad(field, "INVALID_FORMAT", f"{field} must be a month written YYYY-MM")
    year, month = int(match.group(1)), int(match.group(2))
    _check_year(year, field)  # before building a datetime: year 0 does not exist
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return Period(start=start, end=end, label=f"{year:04d}-{month:02d}")


def month_of(now: datetime) -> Period:
    """The calendar month (UTC) that contains ``now``: the default billing period."""
    at = now.astimezone(UTC)
    return month_period(f"{at.year:04d}-{at.month:02d}")


def parse_instant(text: str, *, field: str) -> datetime:
    """An ISO 8601 instant with ``Z`` or an offset, or a date (its midnight UTC)."""
    try:
        if _DATE_RE.fullmatch(text):
            at = datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=UTC)
        else:
            at = datetime.fromisoformat(text)
    except ValueError:
        raise _bad(field, "INVALID_FORMAT", f"{field} is not an ISO 8601 date or time") from None
    if at.tzinfo is None or at.utcoffset() is None:
        raise _bad(field, "TIMEZONE_REQUIRED", f"{field} needs a timezone: end it with Z")
    _check_year(at.year, field)
    return at.astimezone(UTC)


def period_between(start: datetime, end: datetime) -> Period:
    issues: list[Issue] = []
    if not start < end:
        issues.append(Issue(field="end", code="OUT_OF_RANGE", message="end must be after start"))
    elif end - start > timedelta(days=MAX_PERIOD_DAYS):
        message = f"a period spans at most {MAX_PERIOD_DAYS} days"
        issues.append(Issue(field="end", code="OUT_OF_RANGE", message=message))
    if issues:
        raise InvalidInput("the period is not valid", tuple(issues))
    return Period(start=start, end=end, label=f"{_z(start)}/{_z(end)}")


def choose_period(
    *, period: str | None, start: str | None, end: str | None, now: datetime
) -> Period:
    """A month (``period``), or ``start`` and ``end`` together; neither means this month."""
    if period is not None and (start is not None or end is not None):
        raise _bad("period", "CONFLICTING", "give either period or start and end, not both")
    if period is not None:
        return month_period(period)
    if start is None and end is None:
        return month_of(now)
    if start is None or end is None:
        missing = "start" if start is None else "end"
        raise _bad(missing, "REQUIRED", "start and end go together")
    return period_between(parse_instant(start, field="start"), parse_instant(end, field="end"))
