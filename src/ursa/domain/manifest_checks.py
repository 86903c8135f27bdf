"""Cross-row rules of the stage manifest (§4.3, §4.4) and the grouping of rows into units and
samples. Issues are reported at the later row, with the earlier row named in the message."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ursa.domain.errors import Issue
from ursa.domain.manifest_rows import show
from ursa.domain.manifest_types import (
    ManifestRow,
    ManifestRules,
    ManifestSample,
    Unit,
    UnitKey,
    UnitLane,
)

# Sample-level fields (§4.3 SAMPLE_ATTR_CONFLICT): column → getter.
SAMPLE_FIELDS: tuple[tuple[str, Callable[[ManifestRow], Any]], ...] = (
    ("SAMPLE_TYPE", lambda r: r.sample_type),
    ("N_X", lambda r: r.n_x),
    ("N_Y", lambda r: r.n_y),
    ("IS_POS_CTRL", lambda r: r.is_pos_ctrl),
    ("IS_NEG_CTRL", lambda r: r.is_neg_ctrl),
    ("EXTERNAL_SAMPLE_ID", lambda r: r.external_sample_id),
    ("PATH_TO_CONCORDANCE_DATA_DIR", lambda r: r.concordance_dir),
)


def _issue(row: int, column: str, code: str, text: str) -> Issue:
    return Issue(field=column, code=code, row=row, message=f"row {row}, column {column}: {text}")


def _cell(value: object) -> str:
    return show(
        "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    )


def _duplicates(rows: Sequence[ManifestRow]) -> list[Issue]:
    issues: list[Issue] = []
    seen_rows: dict[tuple[UnitKey, int, str], int] = {}
    seen_inputs: dict[str, tuple[int, str]] = {}
    for r in rows:
        key = (r.unit_key, r.lane, r.seqbc_id)
        if key in seen_rows:
            issues.append(
                _issue(
                    r.row,
                    "LANE",
                    "DUPLICATE_ROW",
                    f"row repeats row {seen_rows[key]}: same unit key "
                    f"(RUN_ID … SEQ_PLATFORM), LANE {r.lane} and SEQBC_ID "
                    f"{show(r.seqbc_id)}",
                )
            )
        else:
            seen_rows[key] = r.row
        for column, uri in (("R1_FQ", r.r1_fq), ("R2_FQ", r.r2_fq)):
            if uri is None:
                continue
            if uri in seen_inputs:
                first_row, first_col = seen_inputs[uri]
                issues.append(
                    _issue(
                        r.row,
                        column,
                        "INPUT_REUSED",
                        f"value {show(uri)} is already used in row {first_row}, "
                        f"column {first_col}; each object may appear only once",
                    )
                )
            else:
                seen_inputs[uri] = (r.row, column)
    return issues


def _lanes(rows: Sequence[ManifestRow]) -> list[Issue]:
    """In a unit with more than one row every LANE must be ≥1 and distinct (§4.4)."""
    issues: list[Issue] = []
    units: dict[UnitKey, list[ManifestRow]] = {}
    for r in rows:
        units.setdefault(r.unit_key, []).append(r)
    for members in units.values():
        if len(members) < 2:
            continue
        first_row_of_lane: dict[int, ManifestRow] = {}
        rows_listed = ", ".join(str(m.row) for m in members[:10])
        rows_listed += ", …" if len(members) > 10 else ""
        for r in members:
            if r.lane == 0:
                issues.append(
                    _issue(
                        r.row,
                        "LANE",
                        "LANE_ZERO_MULTILANE",
                        f"value '0' is not allowed: sample {show(r.sample_id)} has "
                        f"a unit of several rows ({rows_listed}), so each LANE must "
                        "be 1-999 and distinct; LANE 0 means a single-row unit",
                    )
                )
            elif r.lane in first_row_of_lane:
                other = first_row_of_lane[r.lane]
                if other.seqbc_id != r.seqbc_id:  # same SEQBC_ID is DUPLICATE_ROW already
                    issues.append(
                        _issue(
                            r.row,
                            "LANE",
                            "LANE_ZERO_MULTILANE",
                            f"value '{r.lane}' is already used by row {other.row} "
                            "of the same unit; lanes of a unit must be distinct",
                        )
                    )
            else:
                first_row_of_lane[r.lane] = r
    return issues


def _samples(rows: Sequence[ManifestRow]) -> list[Issue]:
    """SAMPLE_ATTR_CONFLICT per differing field, and one DUPLICATE_SAMPLE per later row that
    can be neither another lane of the unit nor another unit of the same sample."""
    issues: list[Issue] = []
    first_of_sample: dict[str, ManifestRow] = {}
    first_of_unit: dict[UnitKey, ManifestRow] = {}
    zero_of_unit: dict[UnitKey, ManifestRow] = {}
    for r in rows:
        first = first_of_sample.setdefault(r.sample_id, r)
        unit_first = first_of_unit.setdefault(r.unit_key, r)
        if first is not r:
            conflicts = [col for col, get in SAMPLE_FIELDS if get(r) != get(first)]
            for col, get in SAMPLE_FIELDS:
                if col in conflicts:
                    issues.append(
                        _issue(
                            r.row,
                            col,
                            "SAMPLE_ATTR_CONFLICT",
                            f"value {_cell(get(r))} differs from {_cell(get(first))} "
                            f"in row {first.row} of sample {show(r.sample_id)}; "
                            "sample-level fields must agree on every row",
                        )
                    )
            zero = zero_of_unit.get(r.unit_key) or (
                unit_first if r.lane == 0 and unit_first is not r else None
            )
            why = f"its {', '.join(conflicts)} differ" if conflicts else None
            if why is None and zero is not None:
                why = f"it shares the unit of row {zero.row} and LANE 0 marks a single-row unit"
            if why is not None:
                issues.append(
                    _issue(
                        r.row,
                        "SAMPLE_ID",
                        "DUPLICATE_SAMPLE",
                        f"value {show(r.sample_id)} already appears in row "
                        f"{first.row} and this row is neither another lane of that "
                        f"unit nor a consistent second unit: {why}",
                    )
                )
        if r.lane == 0:
            zero_of_unit.setdefault(r.unit_key, r)
    return issues


def _collisions(rows: Sequence[ManifestRow]) -> list[Issue]:
    issues: list[Issue] = []
    checks: tuple[tuple[str, str, Callable[[ManifestRow], str], Callable[[str], str]], ...] = (
        ("SAMPLE_ID", "SAMPLE_ID_CASE_COLLISION", lambda r: r.sample_id, str.casefold),
        ("RUN_ID", "ID_NORMALISATION_COLLISION", lambda r: r.run_id, lambda v: v.replace("_", "-")),
        (
            "EXPERIMENTID",
            "ID_NORMALISATION_COLLISION",
            lambda r: r.experiment_id,
            lambda v: v.replace("_", "-"),
        ),
    )
    for column, code, get, fold in checks:
        first: dict[str, tuple[str, int]] = {}
        reported: set[str] = set()
        for r in rows:
            value = get(r)
            seen = first.setdefault(fold(value), (value, r.row))
            if seen[0] != value and value not in reported:
                reported.add(value)
                how = (
                    "differ only in case"
                    if code == "SAMPLE_ID_CASE_COLLISION"
                    else "become equal when the stager rewrites '_' to '-'"
                )
                issues.append(
                    _issue(
                        r.row,
                        column,
                        code,
                        f"value {show(value)} and {show(seen[0])} (row {seen[1]}) "
                        f"{how}; use one spelling",
                    )
                )
    return issues


def _sample_limit(rows: Sequence[ManifestRow], rules: ManifestRules) -> list[Issue]:
    seen: set[str] = set()
    for r in rows:
        seen.add(r.sample_id)
        if len(seen) > rules.max_samples:
            return [
                _issue(
                    r.row,
                    "SAMPLE_ID",
                    "TOO_MANY_SAMPLES",
                    f"sample {show(r.sample_id)} is sample number {len(seen)}; at most "
                    f"{rules.max_samples} samples are allowed per workset",
                )
            ]
    return []


def cross_row_issues(rows: Sequence[ManifestRow], rules: ManifestRules) -> list[Issue]:
    return [
        *_duplicates(rows),
        *_lanes(rows),
        *_samples(rows),
        *_collisions(rows),
        *_sample_limit(rows, rules),
    ]


def build_samples(rows: Sequence[ManifestRow]) -> tuple[ManifestSample, ...]:
    """Samples in first-appearance order, each with its units; lanes sorted by LANE."""
    by_sample: dict[str, dict[UnitKey, list[ManifestRow]]] = {}
    for r in rows:
        by_sample.setdefault(r.sample_id, {}).setdefault(r.unit_key, []).append(r)
    samples = []
    for units in by_sample.values():
        first = next(iter(units.values()))[0]
        built = tuple(
            Unit(
                run_id=key[0],
                sample_id=key[1],
                experiment_id=key[2],
                sample_type=key[3],
                lib_prep=key[4],
                seq_vendor=key[5],
                seq_platform=key[6],
                lanes=tuple(
                    UnitLane(
                        lane=m.lane,
                        seqbc_id=m.seqbc_id,
                        r1_fq=m.r1_fq,
                        r2_fq=m.r2_fq,
                        subsample_pct=m.subsample_pct,
                        row=m.row,
                    )
                    for m in sorted(members, key=lambda m: (m.lane, m.row))
                ),
            )
            for key, members in units.items()
        )
        samples.append(
            ManifestSample(
                sample_id=first.sample_id,
                external_sample_id=first.external_sample_id,
                sample_type=first.sample_type,
                is_pos_ctrl=first.is_pos_ctrl,
                is_neg_ctrl=first.is_neg_ctrl,
                n_x=first.n_x,
                n_y=first.n_y,
                concordance_dir=first.concordance_dir,
                units=built,
            )
        )
    return tuple(samples)
