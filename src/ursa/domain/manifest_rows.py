"""Cell-by-cell checks of one manifest data row (§4.1, §4.2, §4.6 and the row-level part of
§4.3). Every message names the row, the column, the value and what is allowed."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from ursa.domain.errors import InvalidInput, Issue
from ursa.domain.fastq_names import FASTQ_EXTENSIONS, is_fastq_name, mates_problem
from ursa.domain.manifest_types import (
    HEADER_REQUIRED,
    PAIRED_VENDORS,
    SEX_COLUMNS,
    VENDOR_PLATFORMS,
    LibPrep,
    ManifestRow,
    ManifestRules,
    SampleType,
    SeqPlatform,
    SeqVendor,
    StageDirective,
)
from ursa.domain.validation import check_local_path, parse_s3_uri

RUN_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
SAMPLE_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,62}")
SEQBC_ID_RE = re.compile(r"[A-Za-z0-9+-]{1,64}")
LANE_RE = re.compile(r"[0-9]{1,3}")
SEX_COUNT_RE = re.compile(r"[0-4]")
PCT_RE = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,6})?")
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MAX_EXTERNAL_ID = 128

_VENDOR_HINTS = {"ILLUMINA": "use ILMN", "NANOPORE": "use ONT"}
_DIRECTIVE_HINTS = {"STAGE": "use stage_data"}
E = TypeVar("E", bound=StrEnum)


def show(value: str, limit: int = 160) -> str:
    shown = repr(value)
    return shown if len(shown) <= limit else shown[: limit - 4] + "...'"


def _listed(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join(values)


class RowChecker:
    """Collects the issues of one row; each ``_col`` method returns the typed value or None."""

    def __init__(self, cells: Mapping[str, str], row: int, rules: ManifestRules) -> None:
        self.cells = cells
        self.row = row
        self.rules = rules
        self.issues: list[Issue] = []
        # Header columns already reported as MISSING_COLUMN: their cells are not re-reported.
        required = HEADER_REQUIRED + (SEX_COLUMNS if rules.require_sex else ())
        self.missing = frozenset(col for col in required if col not in cells)
        self.broken = False

    def fail(self, column: str, code: str, text: str) -> None:
        if column in self.missing:
            self.broken = True
            return
        message = f"row {self.row}, column {column}: {text}"
        self.issues.append(Issue(field=column, code=code, message=message, row=self.row))

    def raw(self, column: str) -> str | None:
        """The cell, or None when it breaks the §4.1 cell rules. Absent columns read as ""."""
        value = self.cells.get(column, "")
        if value != value.strip():
            self.fail(column, "BAD_VALUE", f"value {show(value)} has leading or trailing spaces")
            return None
        if CONTROL_RE.search(value):
            self.fail(column, "BAD_VALUE", f"value {show(value)} contains a control character")
            return None
        return value

    def required(self, column: str, what: str) -> str | None:
        value = self.raw(column)
        if value == "":
            self.fail(column, "EMPTY_REQUIRED", f"a value is required: {what}")
            return None
        return value

    def pattern(self, column: str, regex: re.Pattern[str], what: str) -> str | None:
        value = self.required(column, what)
        if value is None:
            return None
        if regex.fullmatch(value) is None:
            self.fail(column, "BAD_VALUE", f"value {show(value)} is not allowed; {what}")
            return None
        return value

    def choice(
        self,
        column: str,
        enum: type[E],
        allowed: tuple[E, ...],
        *,
        fold: bool = False,
        hints: Mapping[str, str] | None = None,
        restricted: str = "not allowed for this pipeline",
    ) -> E | None:
        names = tuple(member.value for member in allowed)
        value = self.required(column, f"one of {_listed(names)}")
        if value is None:
            return None
        wanted = value.lower() if fold else value
        if wanted in names:
            return enum(wanted)
        hint = (hints or {}).get(value.upper())
        if hint is None and not fold:
            hint = next((f"use {n}" for n in names if n.lower() == value.lower()), None)
        if hint is None and value in {m.value for m in enum}:
            hint = restricted
        suffix = f" ({hint})" if hint else ""
        self.fail(
            column,
            "BAD_VALUE",
            f"value {show(value)} is not allowed{suffix}; allowed: {_listed(names)}",
        )
        return None

    def location(self, column: str, value: str, *, prefix: bool) -> str | None:
        """An s3:// URI, or (provider admins only) a head-node path under an allowed root."""
        before = len(self.issues)
        if value.startswith("s3:") or "://" in value:
            try:
                parse_s3_uri(value, allow_prefix=prefix, field=column)
            except InvalidInput as exc:
                self._adopt(column, exc, "BAD_S3_URI")
        elif ".." in value.split("/"):
            self.fail(
                column,
                "PATH_TRAVERSAL",
                f"value {show(value)} has a '..' segment (path traversal); use an s3:// URI",
            )
        elif not self.rules.allow_local_paths:
            self.fail(
                column,
                "LOCAL_PATH_FORBIDDEN",
                f"value {show(value)} is not an s3:// URI; head-node paths are not allowed",
            )
        else:
            try:
                check_local_path(value, self.rules.allowed_local_roots, field=column)
            except InvalidInput as exc:
                self._adopt(column, exc, "BAD_VALUE")
        return value if len(self.issues) == before else None

    def _adopt(self, column: str, exc: InvalidInput, default: str) -> None:
        value = show(self.cells.get(column, ""))
        for issue in exc.issues or (Issue(field=column, code=default, message=exc.message),):
            self.fail(column, issue.code, f"value {value} is rejected: {issue.message}")

    def fastq(self, column: str, value: str) -> str | None:
        if self.location(column, value, prefix=False) is None:
            return None
        if not is_fastq_name(value):
            self.fail(
                column,
                "BAD_VALUE",
                f"value {show(value)} does not name a FASTQ file; "
                f"allowed extensions: {_listed(list(FASTQ_EXTENSIONS))}",
            )
            return None
        return value

    def flag(self, column: str) -> bool | None:
        value = self.raw(column)
        if value is None:
            return None
        if value.lower() in ("", "false"):
            return False
        if value.lower() == "true":
            return True
        self.fail(column, "BAD_VALUE", f"value {show(value)} is not allowed; use true or false")
        return None

    def sex_count(self, column: str) -> int | None:
        value = self.raw(column)
        if value == "" and not self.rules.require_sex:
            return None
        what = "an integer 0-4 (female: N_X 2, N_Y 0; male: N_X 1, N_Y 1); there is no default"
        checked = self.pattern(column, SEX_COUNT_RE, what) if value is not None else None
        return None if checked is None else int(checked)

    def subsample(self) -> Decimal | None:
        value = self.raw("SUBSAMPLE_PCT")
        if value is None or value.lower() in ("", "na"):
            return None
        if PCT_RE.fullmatch(value) is None or not Decimal(0) < Decimal(value) <= Decimal(100):
            self.fail(
                "SUBSAMPLE_PCT",
                "BAD_VALUE",
                f"value {show(value)} is not allowed; use na or a decimal in (0, 100]",
            )
            return None
        return Decimal(value)

    def optional(self, column: str) -> str | None:
        value = self.raw(column)
        return value or None


def check_row(
    cells: Mapping[str, str], row: int, rules: ManifestRules, extra: tuple[str, ...] = ()
) -> tuple[ManifestRow | None, list[Issue]]:
    """Check one row given as column → cell. Returns the typed row only when it is clean."""
    c = RowChecker(cells, row, rules)
    id_rule = "1-64 letters, digits, '_' or '-', starting with a letter or digit"
    run_id = c.pattern("RUN_ID", RUN_ID_RE, id_rule)
    sample_id = c.pattern(
        "SAMPLE_ID",
        SAMPLE_ID_RE,
        "1-63 letters, digits or '-', starting with a letter or digit "
        "(no '_': staged names split on it; no '.': Snakemake wildcards)",
    )
    experiment_id = c.pattern("EXPERIMENTID", RUN_ID_RE, id_rule)
    sample_type = c.choice("SAMPLE_TYPE", SampleType, tuple(SampleType), fold=True)
    lib_prep = c.choice("LIB_PREP", LibPrep, rules.allowed_lib_preps)
    vendor = c.choice("SEQ_VENDOR", SeqVendor, tuple(SeqVendor), hints=_VENDOR_HINTS)
    platforms = VENDOR_PLATFORMS[vendor] if vendor else tuple(SeqPlatform)
    platform = c.choice(
        "SEQ_PLATFORM", SeqPlatform, platforms, restricted=f"not a platform of SEQ_VENDOR {vendor}"
    )
    lane_text = c.pattern("LANE", LANE_RE, "an integer 0-999")
    seqbc_id = c.pattern("SEQBC_ID", SEQBC_ID_RE, "1-64 letters, digits, '+' or '-'")
    concordance = c.optional("PATH_TO_CONCORDANCE_DATA_DIR")
    if concordance is not None:
        concordance = c.location("PATH_TO_CONCORDANCE_DATA_DIR", concordance, prefix=True)
    r1 = c.required("R1_FQ", "an s3:// URI of a FASTQ file")
    r1 = c.fastq("R1_FQ", r1) if r1 else None
    r2 = c.raw("R2_FQ")
    if r2 == "" and vendor in PAIRED_VENDORS:
        c.fail("R2_FQ", "MISSING_R2", f"R2_FQ is empty but SEQ_VENDOR {vendor} needs paired reads")
    elif r2 and r2 == c.cells.get("R1_FQ"):
        c.fail("R2_FQ", "R1_EQUALS_R2", f"value {show(r2)} is the same object as R1_FQ")
        r2 = None
    elif r2:
        r2 = c.fastq("R2_FQ", r2)
        if r1 and r2 and (problem := mates_problem(r1, r2)):
            c.fail(
                "R2_FQ",
                "R1_R2_MISMATCH",
                f"value {show(r2)} is not the mate of R1_FQ {show(r1)}: {problem}",
            )
    directive = c.choice(
        "STAGE_DIRECTIVE", StageDirective, rules.allowed_stage_directives, hints=_DIRECTIVE_HINTS
    )
    target = c.required("STAGE_TARGET", f"must be {rules.stage_target}")
    if target is not None and target != rules.stage_target:
        c.fail(
            "STAGE_TARGET",
            "BAD_VALUE",
            f"value {show(target)} is not allowed; must be {rules.stage_target}",
        )
    pct = c.subsample()
    pos, neg = c.flag("IS_POS_CTRL"), c.flag("IS_NEG_CTRL")
    if pos and neg:
        c.fail(
            "IS_NEG_CTRL",
            "BAD_VALUE",
            "value 'true' is not allowed: a sample cannot be both a positive and a negative "
            "control",
        )
    n_x, n_y = c.sex_count("N_X"), c.sex_count("N_Y")
    external = c.optional("EXTERNAL_SAMPLE_ID")
    if external is not None and (len(external) > MAX_EXTERNAL_ID or not external.isprintable()):
        c.fail(
            "EXTERNAL_SAMPLE_ID",
            "BAD_VALUE",
            f"value {show(external)} is not allowed; use at most {MAX_EXTERNAL_ID} "
            "printable characters",
        )
    extras = tuple((col, v) for col in extra if (v := c.raw(col)) is not None)
    if (
        c.issues
        or c.broken
        or run_id is None
        or sample_id is None
        or experiment_id is None
        or sample_type is None
        or lib_prep is None
        or vendor is None
        or platform is None
        or lane_text is None
        or seqbc_id is None
        or r1 is None
        or directive is None
        or target is None
        or pos is None
        or neg is None
    ):
        return None, c.issues
    return ManifestRow(
        run_id=run_id,
        sample_id=sample_id,
        experiment_id=experiment_id,
        sample_type=sample_type,
        lib_prep=lib_prep,
        seq_vendor=vendor,
        seq_platform=platform,
        lane=int(lane_text),
        seqbc_id=seqbc_id,
        concordance_dir=concordance,
        r1_fq=r1,
        r2_fq=r2 or None,
        stage_directive=directive,
        stage_target=target,
        subsample_pct=pct,
        is_pos_ctrl=pos,
        is_neg_ctrl=neg,
        n_x=n_x,
        n_y=n_y,
        external_sample_id=external,
        row=row,
        extra=extras,
    ), []
