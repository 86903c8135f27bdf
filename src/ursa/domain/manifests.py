"""The stage manifest ``stage_samples.tsv`` (§4.1-§4.4): parse and validate, serialise, and
narrow to a sample scope for "retry only failed samples" (§3.3).

``parse_manifest`` takes bytes and returns a ``Manifest`` or raises ``InvalidInput`` carrying
every issue found (at most 500), each with the 1-based row (header = 1), the column and a
message naming both. Cell rules are in ``manifest_rows``, cross-row rules in
``manifest_checks``, the types in ``manifest_types``."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable
from typing import NoReturn

from ursa.domain.errors import InvalidInput, Issue
from ursa.domain.manifest_checks import build_samples, cross_row_issues
from ursa.domain.manifest_rows import check_row, show
from ursa.domain.manifest_types import (
    COLUMNS,
    DEFAULT_RULES,
    HEADER_REQUIRED,
    MAX_ISSUES,
    SCHEMA_VERSION,
    SEX_COLUMNS,
    LibPrep,
    Manifest,
    ManifestRow,
    ManifestRules,
    ManifestSample,
    SampleType,
    SeqPlatform,
    SeqVendor,
    StageDirective,
    Unit,
    UnitLane,
)

__all__ = [
    "COLUMNS",
    "DEFAULT_RULES",
    "SCHEMA_VERSION",
    "LibPrep",
    "Manifest",
    "ManifestRow",
    "ManifestRules",
    "ManifestSample",
    "SampleType",
    "SeqPlatform",
    "SeqVendor",
    "StageDirective",
    "Unit",
    "UnitLane",
    "narrow_manifest",
    "parse_manifest",
    "serialize_manifest",
]

BOM = b"\xef\xbb\xbf"


def _issue(row: int | None, column: str, code: str, text: str) -> Issue:
    where = ", ".join(
        part for part in (f"row {row}" if row else "", f"column {column}" if column else "") if part
    )
    return Issue(field=column, code=code, row=row, message=f"{where}: {text}" if where else text)


def _raise(issues: list[Issue]) -> NoReturn:
    order = {column: i for i, column in enumerate(COLUMNS)}
    issues.sort(key=lambda i: (i.row or 0, order.get(i.field, len(order))))
    shown = issues[:MAX_ISSUES]
    more = f" (showing the first {MAX_ISSUES})" if len(issues) > MAX_ISSUES else ""
    raise InvalidInput(
        f"the manifest has {len(issues)} problem(s){more}; first: {shown[0].message}",
        tuple(shown),
    )


def _decode(lines: list[bytes], issues: list[Issue]) -> list[str | None]:
    texts: list[str | None] = []
    for number, line in enumerate(lines, start=1):
        try:
            texts.append(line.decode("utf-8"))
        except UnicodeDecodeError as exc:
            texts.append(None)
            issues.append(
                _issue(
                    number,
                    "",
                    "ENCODING",
                    f"byte {exc.start + 1} of the line is not valid UTF-8; save the file as UTF-8",
                )
            )
    return texts


def _header(cells: list[str], rules: ManifestRules, issues: list[Issue]) -> dict[str, int]:
    """Column → position of its first occurrence; reports unknown, duplicate, missing ones."""
    known = COLUMNS + rules.extra_columns
    positions: dict[str, int] = {}
    for index, name in enumerate(cells):
        if name in positions:
            issues.append(
                _issue(
                    1,
                    name,
                    "DUPLICATE_COLUMN",
                    f"column {show(name)} appears more than once (also position "
                    f"{positions[name] + 1}); each column must appear once",
                )
            )
        elif name in known:
            positions[name] = index
        else:
            near = next((k for k in known if k == name.strip().upper()), None)
            hint = f" (did you mean {near}?)" if near else ""
            issues.append(
                _issue(
                    1,
                    name,
                    "UNKNOWN_COLUMN",
                    f"column {show(name)} at position {index + 1} is unknown{hint}; "
                    f"known columns: {', '.join(known)}",
                )
            )
    required = HEADER_REQUIRED + (SEX_COLUMNS if rules.require_sex else ())
    for name in required:
        if name not in positions:
            issues.append(
                _issue(
                    1, name, "MISSING_COLUMN", f"required column {name} is missing from the header"
                )
            )
    return positions


def parse_manifest(data: bytes, rules: ManifestRules = DEFAULT_RULES) -> Manifest:
    """Validate ``data`` against §4.1-§4.4; every issue is reported, not just the first."""
    if len(data) > rules.max_bytes:
        raise InvalidInput(
            f"the manifest is {len(data)} bytes; at most {rules.max_bytes} are allowed",
            (
                _issue(
                    None,
                    "",
                    "TOO_LARGE",
                    f"the manifest is {len(data)} bytes; at most {rules.max_bytes} allowed",
                ),
            ),
        )
    raw = data.replace(b"\r\n", b"\n")
    issues: list[Issue] = []
    lines = raw.split(b"\n")
    while lines and lines[-1] == b"":  # blank lines are allowed at the end only
        lines.pop()
    if not lines:
        _raise([_issue(1, "", "EMPTY_REQUIRED", "the manifest is empty; a header row is needed")])
    if lines[0].startswith(BOM):
        issues.append(
            _issue(
                1,
                "",
                "ENCODING",
                "the file starts with a byte order mark (BOM); save it as UTF-8 without a BOM",
            )
        )
        lines[0] = lines[0][len(BOM) :]
    if len(lines) - 1 > rules.max_rows:
        issues.append(
            _issue(
                rules.max_rows + 2,
                "",
                "TOO_MANY_ROWS",
                f"the manifest has {len(lines) - 1} data rows; at most "
                f"{rules.max_rows} are allowed",
            )
        )
        _raise(issues)
    texts = _decode(lines, issues)
    if texts[0] is None:
        _raise(issues)
    header_cells = texts[0].split("\t")
    positions = _header(header_cells, rules, issues)
    if len(lines) == 1:
        issues.append(_issue(1, "", "EMPTY_REQUIRED", "the manifest has no data rows"))
    rows: list[ManifestRow] = []
    for number, text in enumerate(texts[1:], start=2):
        if text is None:
            continue
        if text == "":
            issues.append(
                _issue(
                    number, "", "BAD_VALUE", "blank line; blank lines are allowed only at the end"
                )
            )
            continue
        cells = text.split("\t")
        if len(cells) != len(header_cells):
            issues.append(
                _issue(
                    number,
                    "",
                    "BAD_VALUE",
                    f"the row has {len(cells)} cells but the header has "
                    f"{len(header_cells)}; separate cells with exactly one tab",
                )
            )
            continue
        by_column = {name: cells[index] for name, index in positions.items()}
        row, row_issues = check_row(by_column, number, rules, rules.extra_columns)
        issues.extend(row_issues)
        if row is not None:
            rows.append(row)
    issues.extend(cross_row_issues(rows, rules))
    if issues:
        _raise(issues)
    return Manifest(
        raw=raw,
        sha256=hashlib.sha256(raw).hexdigest(),
        header=tuple(header_cells),
        rows=tuple(rows),
        samples=build_samples(rows),
    )


def serialize_manifest(rows: Iterable[ManifestRow]) -> bytes:
    """Canonical TSV: the 20 columns in §4.2 order (then any declared wide columns in first-seen
    order), LF line ends, one row per line in the given order."""
    materialised = list(rows)
    extra: list[str] = []
    for row in materialised:
        extra.extend(col for col, _ in row.extra if col not in extra)
    header = (*COLUMNS, *extra)
    lines = ["\t".join(header)]
    for row in materialised:
        cells = row.cells() | dict(row.extra)
        values = [cells.get(col, "") for col in header]
        for col, value in zip(header, values, strict=True):
            if any(ch in value for ch in "\t\r\n"):
                raise InvalidInput.single(
                    col, "BAD_VALUE", f"column {col}: {show(value)} contains a tab or newline"
                )
        lines.append("\t".join(values))
    return ("\n".join(lines) + "\n").encode("utf-8")


def narrow_manifest(data: bytes, sample_ids: Collection[str]) -> bytes:
    """The original header line, then only the rows whose SAMPLE_ID is in ``sample_ids``, in
    their original order, byte for byte (§3.3). Blank lines are dropped."""
    lines = data.splitlines(keepends=True)
    if not lines:
        raise InvalidInput.single("SAMPLE_ID", "EMPTY_REQUIRED", "the manifest is empty")
    header = lines[0].removeprefix(BOM).rstrip(b"\r\n").decode("utf-8").split("\t")
    if "SAMPLE_ID" not in header:
        raise InvalidInput.single(
            "SAMPLE_ID", "MISSING_COLUMN", "row 1: the header has no SAMPLE_ID column"
        )
    index = header.index("SAMPLE_ID")
    wanted = set(sample_ids)
    if not wanted:
        raise InvalidInput.single(
            "sample_scope",
            "EMPTY_REQUIRED",
            "the sample scope is empty; a run needs at least one sample",
        )
    kept = [lines[0]]
    found: set[str] = set()
    for line in lines[1:]:
        cells = line.rstrip(b"\r\n").split(b"\t")
        if len(cells) > index and (sample := cells[index].decode("utf-8")) in wanted:
            kept.append(line)
            found.add(sample)
    if missing := sorted(wanted - found):
        raise InvalidInput.single(
            "sample_scope", "BAD_VALUE", f"samples not in the manifest: {', '.join(missing)}"
        )
    return b"".join(kept)
