"""The workset search language: ``key:value`` operators and free text in one string.

``state:failed priority:urgent owner:sam@acme.example created>=2026-11-01 name:"exome batch"
tumour`` becomes structured terms plus the residual free text ``tumour``. Pure: no I/O (an
owner given as an email is resolved by the service).

Grammar (whitespace separates terms; double quotes group a value or a phrase)::

    term     := ["-"] key ":" value | "created" cmp when | text
    key      := state | priority | type | owner | id | name | created   (any case)
    cmp      := ">=" | ">" | "<=" | "<"
    when     := YYYY-MM-DD (that whole UTC day) | an ISO-8601 date-time with a timezone

* Repeating ``state:``, ``priority:`` or ``type:`` means any of them; a leading ``-`` (only
  on those three keys) excludes a value. Other repeated keys must all hold.
* ``id:`` matches ids starting with the value; ``name:`` a case-insensitive substring.
* ``created:<when>`` is that day (or instant); the comparisons are exact, a date standing for
  its whole day: ``created>2026-11-01`` starts on 2 November, ``created<=2026-11-30`` ends with
  30 November. ``owner:`` takes a user id, an email or ``me``.
* A word with a colon whose key is not one of these is an error (quote it to search for it);
  an unclosed quote runs to the end. Every problem is reported, each as an ``Issue`` on
  ``field="q"`` whose message names the operator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from ursa.domain.enums import Priority, WorksetState, WorksetType
from ursa.domain.errors import InvalidInput, Issue

E = TypeVar("E", bound=StrEnum)

FIELD = "q"
MAX_ISSUES = 10
MAX_OWNER = 254
MAX_NAME = 200
MAX_ID = 64
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)
"""Instants outside [EARLIEST, LATEST) are refused: keys store four-digit years."""

_OPERATOR = re.compile(r"(-?)([A-Za-z_]+)(:|>=|<=|>|<)(.*)", re.DOTALL | re.ASCII)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_DATE_TIME = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)(Z|z|[+-]\d{2}:\d{2})?",
    re.ASCII,
)
_WORKSET_ID_CHARS = re.compile(r"[A-Za-z0-9_-]+", re.ASCII)
_ENUM_KEYS = ("state", "priority", "type")
KEYS = ("state", "priority", "type", "owner", "id", "name", "created")


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchTerms:
    """What a search string asks for. Empty sets and tuples mean "no constraint"."""

    states: frozenset[WorksetState] = frozenset()
    excluded_states: frozenset[WorksetState] = frozenset()
    priorities: frozenset[Priority] = frozenset()
    excluded_priorities: frozenset[Priority] = frozenset()
    types: frozenset[WorksetType] = frozenset()
    excluded_types: frozenset[WorksetType] = frozenset()
    owners: tuple[str, ...] = ()
    id_prefixes: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    created_after: datetime | None = None
    """Inclusive lower bound (UTC)."""
    created_before: datetime | None = None
    """Exclusive upper bound (UTC)."""
    text: str = ""


class _Problem(Exception):
    """One broken term; collected into a single InvalidInput."""

    def __init__(self, message: str, code: str = "BAD_VALUE") -> None:
        super().__init__(message)
        self.code = code


def _shown(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "…")


def _bounded(at: datetime, what: str) -> datetime:
    try:
        utc = at.astimezone(UTC)
    except OverflowError:
        raise _Problem(f"{what} is out of range") from None
    if not EARLIEST <= utc < LATEST:
        raise _Problem(f"{what} must lie between 1900 and 9999")
    return utc


def _date_time(value: str, what: str) -> datetime | None:
    """A full date-time with its timezone, or None when the text is not that shape."""
    match = _DATE_TIME.fullmatch(value)
    if match is None:
        return None
    day, clock, zone = match.groups()
    if zone is None:
        raise _Problem(f"{what} needs a timezone (Z or ±HH:MM), got {_shown(value)}")
    offset = "+00:00" if zone in ("Z", "z") else zone
    try:
        parsed = datetime.fromisoformat(f"{day}T{clock}{offset}")
    except ValueError:
        raise _Problem(f"{what} is not a valid date-time: {_shown(value)}") from None
    return _bounded(parsed, what)


def _span(value: str, what: str) -> tuple[datetime, datetime]:
    """[start, end) of a value: a whole UTC day for a date, one microsecond for an instant."""
    if _DATE.fullmatch(value):
        try:
            start = datetime.fromisoformat(value).replace(tzinfo=UTC)
        except ValueError:
            raise _Problem(f"{what} is not a valid date: {_shown(value)}") from None
        start = _bounded(start, what)
        return start, start + timedelta(days=1)
    instant = _date_time(value, what)
    if instant is None:
        raise _Problem(
            f"{what} expects a date (2026-11-01) or a date-time with a timezone "
            f"(2026-11-01T08:00:00Z), got {_shown(value)}"
        )
    return instant, instant + timedelta(microseconds=1)


def parse_instant(value: str, field_name: str) -> datetime:
    """A query parameter such as ``created_after``: an ISO-8601 date-time with a timezone."""
    try:
        instant = _date_time(value.strip(), field_name)
    except _Problem as problem:
        raise InvalidInput.single(field_name, "BAD_VALUE", str(problem)) from None
    if instant is None:
        raise InvalidInput.single(
            field_name,
            "BAD_VALUE",
            f"{field_name} must be an ISO-8601 date-time with a timezone, "
            f"e.g. 2026-11-01T00:00:00Z (got {_shown(value)})",
        )
    return instant


def _member(enum: type[E], key: str, value: str) -> E:
    wanted = value.strip().lower()
    for member in enum:
        if member.value == wanted:
            return member
    allowed = ", ".join(m.value for m in enum)
    raise _Problem(f"{key}: must be one of: {allowed} (got {_shown(value)})")


def _choose(chosen: set[E], excluded: set[E], member: E, *, negated: bool) -> None:
    (excluded if negated else chosen).add(member)


@dataclass(slots=True)
class _Builder:
    states: set[WorksetState] = field(default_factory=set)
    excluded_states: set[WorksetState] = field(default_factory=set)
    priorities: set[Priority] = field(default_factory=set)
    excluded_priorities: set[Priority] = field(default_factory=set)
    types: set[WorksetType] = field(default_factory=set)
    excluded_types: set[WorksetType] = field(default_factory=set)
    owners: list[str] = field(default_factory=list)
    id_prefixes: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    after: datetime | None = None
    before: datetime | None = None
    words: list[str] = field(default_factory=list)

    def add_enum(self, key: str, value: str, *, negated: bool) -> None:
        if key == "state":
            state = _member(WorksetState, key, value)
            _choose(self.states, self.excluded_states, state, negated=negated)
        elif key == "priority":
            priority = _member(Priority, key, value)
            _choose(self.priorities, self.excluded_priorities, priority, negated=negated)
        else:
            kind = _member(WorksetType, key, value)
            _choose(self.types, self.excluded_types, kind, negated=negated)

    def bound(self, after: datetime | None = None, before: datetime | None = None) -> None:
        if after is not None:
            self.after = after if self.after is None else max(self.after, after)
        if before is not None:
            self.before = before if self.before is None else min(self.before, before)

    def terms(self) -> SearchTerms:
        return SearchTerms(
            states=frozenset(self.states),
            excluded_states=frozenset(self.excluded_states),
            priorities=frozenset(self.priorities),
            excluded_priorities=frozenset(self.excluded_priorities),
            types=frozenset(self.types),
            excluded_types=frozenset(self.excluded_types),
            owners=tuple(self.owners),
            id_prefixes=tuple(self.id_prefixes),
            names=tuple(self.names),
            created_after=self.after,
            created_before=self.before,
            text=" ".join(self.words),
        )


def _tokens(q: str) -> list[str]:
    """Split on unquoted whitespace, keeping the quotes (an unclosed quote runs to the end)."""
    tokens: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in q:
        if ch == '"':
            quoted = not quoted
            current.append(ch)
        elif ch.isspace() and not quoted:
            if current:
                tokens.append("".join(current))
                current = []
        else:
            current.append(ch)
    if current:
        tokens.append("".join(current))
    return tokens


def _unquote(text: str) -> str:
    return text.replace('"', "")


def _created(builder: _Builder, op: str, value: str) -> None:
    what = f"created{op}"
    if op == ":" and value[:1] in (">", "<"):
        raise _Problem(f"write the comparison without a colon, e.g. created{value[:2]}…")
    start, end = _span(value, what)
    if op == ":":
        builder.bound(after=start, before=end)
    elif op == ">=":
        builder.bound(after=start)
    elif op == ">":
        builder.bound(after=end)
    elif op == "<":
        builder.bound(before=start)
    else:
        builder.bound(before=end)


def _operator(builder: _Builder, negated: bool, key: str, op: str, value: str) -> None:
    if key not in KEYS:
        raise _Problem(
            f"unknown search operator {key + ':'!r}; use one of "
            + ", ".join(k + ":" for k in KEYS)
            + ' (put text in "quotes" to search for it)',
            "UNKNOWN_OPERATOR",
        )
    if negated and key not in _ENUM_KEYS:
        raise _Problem(
            f"-{key}: negation works only with -state:, -priority: and -type:", "BAD_OPERATOR"
        )
    value = value.strip()
    if not value:
        raise _Problem(f"{key}{op} needs a value")
    if key in _ENUM_KEYS:
        builder.add_enum(key, value, negated=negated)
    elif key == "created":
        _created(builder, op, value)
    elif key == "owner":
        if len(value) > MAX_OWNER:
            raise _Problem(f"owner: is longer than {MAX_OWNER} characters")
        builder.owners.append(value)
    elif key == "id":
        if len(value) > MAX_ID or not _WORKSET_ID_CHARS.fullmatch(value):
            raise _Problem(f"id: a workset id has up to {MAX_ID} letters, digits, '-' or '_'")
        builder.id_prefixes.append(value)
    else:
        if len(value) > MAX_NAME:
            raise _Problem(f"name: is longer than {MAX_NAME} characters")
        builder.names.append(value)


def parse_search(q: str) -> SearchTerms:
    """Split ``q`` into operators and free text; raises only ``InvalidInput`` (field ``q``)."""
    builder = _Builder()
    issues: list[Issue] = []
    for token in _tokens(q):
        match = _OPERATOR.fullmatch(token)
        key = match.group(2).lower() if match else ""
        if match is None or (match.group(3) != ":" and key != "created"):
            word = _unquote(token).strip()
            if word:
                builder.words.append(word)
            continue
        negated, op, value = bool(match.group(1)), match.group(3), _unquote(match.group(4))
        try:
            _operator(builder, negated, key, op, value)
        except _Problem as problem:
            issues.append(Issue(field=FIELD, code=problem.code, message=str(problem)))
    if issues:
        shown = issues[:MAX_ISSUES]
        raise InvalidInput("; ".join(i.message for i in shown), tuple(shown))
    return builder.terms()
