"""The text machinery of the Slurm parsers (pure): line-by-line reading that skips and
reports what it cannot read, fixed-width columns cut by a format string's widths, numbers,
timestamps and hostlists. Every function here is one pass over its input."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import product
from typing import Generic, TypeVar

T = TypeVar("T")

MAX_HOSTS = 10_000  # a hostlist that names more nodes than this is kept verbatim
NO_VALUE = frozenset({"", "(null)", "N/A", "None", "Unknown"})
"""How Slurm prints an unset value."""


class Malformed(ValueError):
    """Raised by a line reader: the line is skipped and reported, never fatal."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Skipped:
    line_no: int  # 1-based
    line: str
    why: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Parsed(Generic[T]):
    rows: tuple[T, ...]
    skipped: tuple[Skipped, ...] = ()


def parse_lines(text: str, read: Callable[[str], T | None]) -> Parsed[T]:
    """``read`` returns a row, None for a line to ignore (a header), or raises Malformed."""
    rows: list[T] = []
    skipped: list[Skipped] = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = read(line)
        except Malformed as exc:
            skipped.append(Skipped(line_no=line_no, line=line, why=str(exc)))
            continue
        if row is not None:
            rows.append(row)
    return Parsed(rows=tuple(rows), skipped=tuple(skipped))


_FORMAT_FIELD = re.compile(r"%\.?(\d*)[A-Za-z]")


def column_widths(fmt: str) -> tuple[int | None, ...]:
    """Widths of a one-space-separated Slurm format; None for an unbounded last field."""
    fields = fmt.split(" ")
    matches = [_FORMAT_FIELD.fullmatch(f) for f in fields]
    if not all(matches):
        raise ValueError(f"not a one-space-separated Slurm format: {fmt!r}")
    return tuple(int(m.group(1)) if m and m.group(1) else None for m in matches)


def cut_columns(line: str, widths: Sequence[int | None]) -> list[str]:
    """Slice by position, so empty values and values with spaces keep their column."""
    cells: list[str] = []
    start = 0
    for width in widths:
        end = len(line) if width is None else start + width
        cells.append(line[start:end].strip())
        start = end + 1
    return cells


def is_number(text: str) -> bool:
    """ASCII digits only (``isdigit`` alone accepts ``²``), and short enough for ``int``."""
    return text.isascii() and text.isdigit() and len(text) <= 18


def to_int(text: str, what: str) -> int:
    if not is_number(text):
        raise Malformed(f"{what} {text!r} is not a whole number")
    return int(text)


def optional_int(text: str) -> int | None:
    return int(text) if is_number(text) else None


def slurm_time(text: str) -> datetime | None:
    """Slurm prints the controller's local time, which is UTC on ParallelCluster."""
    if text in NO_VALUE:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


# --- hostlists ----------------------------------------------------------------------------


_DEPTH = {"[": 1, "]": -1}


def _top_level_terms(text: str) -> list[str]:
    """Split at commas outside brackets: ``a-[1,3],b`` → ``a-[1,3]``, ``b``."""
    terms: list[str] = []
    depth, start = 0, 0
    for i, char in enumerate(text):
        depth += _DEPTH.get(char, 0)
        if char == "," and depth == 0:
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return [t for t in terms if t]


def _ranges(body: str) -> list[tuple[int, int, int]] | None:
    """``1-3,05`` → (first, last, zero-pad width) triples; None when not a number range."""
    ranges: list[tuple[int, int, int]] = []
    for part in body.split(","):
        first, _, last = part.partition("-")
        last = last or first
        if not (is_number(first) and is_number(last)) or int(last) < int(first):
            return None
        ranges.append((int(first), int(last), len(first)))
    return ranges


def _name_count(groups: list[list[tuple[int, int, int]]], budget: int) -> int:
    """How many names the groups make, counted only until it passes ``budget``."""
    count = 1
    for ranges in groups:
        count *= sum(last - first + 1 for first, last, _ in ranges)
        if count > budget:
            break
    return count


def _expand_term(term: str, budget: int) -> tuple[str, ...]:
    pieces = re.split(r"\[([^\[\]]*)\]", term)  # literal, group, literal, group, ..., literal
    literals, groups = pieces[0::2], [_ranges(body) for body in pieces[1::2]]
    if any(g is None for g in groups) or any(c in lit for lit in literals for c in "[]"):
        return (term,)
    checked = [g for g in groups if g is not None]
    if _name_count(checked, budget) > budget:
        return (term,)
    choices = [
        [f"{n:0{width}d}" for first, last, width in g for n in range(first, last + 1)]
        for g in checked
    ]
    return tuple(
        "".join(lit + num for lit, num in zip(literals, (*combo, ""), strict=True))
        for combo in product(*choices)
    )


def expand_hostlist(text: str) -> tuple[str, ...]:
    """``i8-dy-gb64-[1-3,5],i192-dy-all-2`` → the node names, in order. A term that is not a
    simple range list, or would name more than MAX_HOSTS nodes, is returned as written."""
    names: list[str] = []
    for term in _top_level_terms(text.strip()):
        names.extend(_expand_term(term, MAX_HOSTS - len(names)))
    return tuple(names)
