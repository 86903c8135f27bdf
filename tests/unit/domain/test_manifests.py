"""Stage manifest parsing, validation, serialisation and narrowing (DOMAIN.md §4.1-§4.4, §3.3)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ursa.domain.errors import InvalidInput, Issue
from ursa.domain.manifest_types import VENDOR_PLATFORMS
from ursa.domain.manifests import (
    COLUMNS,
    LibPrep,
    ManifestRow,
    ManifestRules,
    SampleType,
    SeqPlatform,
    SeqVendor,
    StageDirective,
    narrow_manifest,
    parse_manifest,
    serialize_manifest,
)

MANIFESTS = Path(__file__).parents[2] / "fixtures" / "manifests"
VALID = (MANIFESTS / "stage_samples.tsv").read_bytes()
EXPECTED = json.loads((MANIFESTS / "expected_validation.json").read_text())
RULE_CODES = {
    "duplicate_sample_id": "DUPLICATE_SAMPLE",
    "missing_r2": "MISSING_R2",
    "bad_s3_uri": "BAD_S3_URI",
    "missing_required_column": "MISSING_COLUMN",
    "path_traversal": "PATH_TRAVERSAL",
}
INVALID = sorted(name for name, spec in EXPECTED.items() if name != "_notes" and not spec["valid"])


def issues_of(data: bytes, rules: ManifestRules | None = None) -> tuple[Issue, ...]:
    with pytest.raises(InvalidInput) as caught:
        parse_manifest(data, rules or ManifestRules())
    assert caught.value.issues
    return caught.value.issues


def codes(data: bytes, rules: ManifestRules | None = None) -> set[tuple[str, int | None, str]]:
    return {(i.code, i.row, i.field) for i in issues_of(data, rules)}


def edit(data: bytes = VALID, **changes: dict[str, str]) -> bytes:
    """``row4={"LANE": "7"}`` sets cells of file row 4 (header = row 1)."""
    lines = data.decode().split("\n")
    header = lines[0].split("\t")
    for name, cells in changes.items():
        number = int(name.removeprefix("row"))
        values = lines[number - 1].split("\t")
        for column, value in cells.items():
            values[header.index(column)] = value
        lines[number - 1] = "\t".join(values)
    return "\n".join(lines).encode()


# --- the fixtures -------------------------------------------------------------------------


def test_valid_fixture_gives_samples_rows_and_units() -> None:
    spec = EXPECTED["stage_samples.tsv"]
    manifest = parse_manifest(VALID)
    assert manifest.row_count == spec["rows"] == 4
    assert manifest.sample_count == spec["samples"] == 3
    assert len(manifest.units) == spec["units_after_lane_merge"] == 3
    assert list(manifest.multi_lane_samples) == spec["multi_lane_samples"]
    assert manifest.sample_ids == ("HG002", "HG003", "HG004")
    assert manifest.header == COLUMNS
    assert manifest.schema_version == 1
    assert manifest.raw == VALID
    assert manifest.sha256 == hashlib.sha256(VALID).hexdigest()
    hg002, _, hg004 = manifest.samples
    assert [lane.lane for lane in hg002.units[0].lanes] == [1, 2]
    assert hg002.units[0].lanes[1].row == 3
    assert (hg002.n_x, hg002.n_y, hg002.external_sample_id) == (1, 1, "GM24385")
    assert (hg004.n_x, hg004.n_y) == (2, 0)
    row = manifest.rows[0]
    assert row.seq_vendor is SeqVendor.ILMN
    assert row.seq_platform is SeqPlatform.NOVASEQX
    assert row.sample_type is SampleType.BLOOD
    assert row.lib_prep is LibPrep.NOAMPWGS
    assert row.stage_directive is StageDirective.STAGE_DATA
    assert row.concordance_dir is None
    assert row.subsample_pct is None
    assert row.row == 2


@pytest.mark.parametrize("name", INVALID)
def test_invalid_fixtures_match_expected_validation(name: str) -> None:
    spec = EXPECTED[name]
    found = issues_of((MANIFESTS / name).read_bytes())
    code = RULE_CODES[spec["rule"]]
    hits = [i for i in found if (i.code, i.row, i.field) == (code, spec["line"], spec["column"])]
    assert hits, found
    assert f"row {spec['line']}" in hits[0].message
    assert spec["column"] in hits[0].message
    if spec.get("value"):
        assert spec["value"][:40] in hits[0].message


def test_missing_column_is_reported_once_without_row_noise() -> None:
    found = issues_of((MANIFESTS / "stage_samples_invalid_missing_column.tsv").read_bytes())
    assert [(i.code, i.row, i.field) for i in found] == [("MISSING_COLUMN", 1, "SEQBC_ID")]


def test_duplicate_sample_fixture_reports_every_broken_rule() -> None:
    found = codes((MANIFESTS / "stage_samples_invalid_duplicate_sample.tsv").read_bytes())
    assert {
        ("SAMPLE_ATTR_CONFLICT", 5, "N_X"),
        ("SAMPLE_ATTR_CONFLICT", 5, "N_Y"),
        ("LANE_ZERO_MULTILANE", 4, "LANE"),
        ("DUPLICATE_ROW", 5, "LANE"),
    } <= found


# --- file-level rules (§4.1) --------------------------------------------------------------


def test_crlf_is_normalised_before_the_digest() -> None:
    manifest = parse_manifest(VALID.replace(b"\n", b"\r\n"))
    assert manifest.raw == VALID
    assert manifest.sha256 == hashlib.sha256(VALID).hexdigest()


def test_trailing_blank_lines_are_allowed_but_not_inner_ones() -> None:
    assert parse_manifest(VALID + b"\n\n").row_count == 4
    lines = VALID.split(b"\n")
    inner = b"\n".join([*lines[:2], b"", *lines[2:]])
    assert ("BAD_VALUE", 3, "") in codes(inner)


def test_bom_and_invalid_utf8_are_encoding_issues_with_rows() -> None:
    assert ("ENCODING", 1, "") in codes(b"\xef\xbb\xbf" + VALID)
    broken = edit(row3={"EXTERNAL_SAMPLE_ID": "GM"}).replace(b"\tGM\n", b"\tG\xffM\n")
    issue = next(i for i in issues_of(broken) if i.code == "ENCODING")
    assert issue.row == 3
    assert "UTF-8" in issue.message


def test_header_problems_list_known_columns() -> None:
    typo = VALID.replace(b"SEQBC_ID", b"SEQBCID", 1)
    unknown = next(i for i in issues_of(typo) if i.code == "UNKNOWN_COLUMN")
    assert unknown.field == "SEQBCID"
    assert "RUN_ID, SAMPLE_ID, EXPERIMENTID" in unknown.message
    duplicated = VALID.replace(b"EXTERNAL_SAMPLE_ID", b"N_X", 1)
    assert ("DUPLICATE_COLUMN", 1, "N_X") in codes(duplicated)
    lower_case = issues_of(VALID.replace(b"RUN_ID", b"run_id", 1))
    lower = next(i for i in lower_case if i.code == "UNKNOWN_COLUMN")
    assert "did you mean RUN_ID?" in lower.message


def test_columns_in_any_order_and_optional_columns_may_be_left_out() -> None:
    lines = [line.split("\t") for line in VALID.decode().splitlines()]
    keep = [i for i, c in enumerate(lines[0]) if c not in ("SUBSAMPLE_PCT", "IS_POS_CTRL")]
    keep.reverse()
    data = "".join("\t".join(cells[i] for i in keep) + "\n" for cells in lines).encode()
    manifest = parse_manifest(data)
    assert manifest.header[0] == "EXTERNAL_SAMPLE_ID"
    assert manifest.rows[3].n_x == 2
    assert manifest.rows[3].subsample_pct is None


def test_wide_columns_only_when_declared() -> None:
    lines = VALID.decode().splitlines()
    data = "".join(f"{line}\t{'ONT_CRAM' if i == 0 else ''}\n" for i, line in enumerate(lines))
    assert ("UNKNOWN_COLUMN", 1, "ONT_CRAM") in codes(data.encode())
    rows = parse_manifest(data.encode(), ManifestRules(extra_columns=("ONT_CRAM",))).rows
    assert rows[0].extra == (("ONT_CRAM", ""),)
    assert serialize_manifest(rows) == data.encode()


def test_wrong_cell_count() -> None:
    short = VALID.replace(b"\tGM24149\n", b"\n")
    issue = next(i for i in issues_of(short))
    assert (issue.code, issue.row) == ("BAD_VALUE", 4)
    assert "19 cells" in issue.message


def test_limits() -> None:
    assert {i.code for i in issues_of(VALID, ManifestRules(max_bytes=100))} == {"TOO_LARGE"}
    assert ("TOO_MANY_ROWS", 5, "") in codes(VALID, ManifestRules(max_rows=3))
    assert ("TOO_MANY_SAMPLES", 5, "SAMPLE_ID") in codes(VALID, ManifestRules(max_samples=2))
    assert ("EMPTY_REQUIRED", 1, "") in codes(VALID.split(b"\n")[0] + b"\n")
    assert ("EMPTY_REQUIRED", 1, "") in codes(b"")


def test_every_issue_is_collected_and_capped_at_500() -> None:
    found = issues_of(edit(row2={"RUN_ID": ""}, row4={"LANE": "x"}, row5={"N_Y": "9"}))
    assert [(i.code, i.row, i.field) for i in found] == [
        ("EMPTY_REQUIRED", 2, "RUN_ID"),
        ("BAD_VALUE", 4, "LANE"),
        ("BAD_VALUE", 5, "N_Y"),
    ]
    header, row = VALID.split(b"\n")[:2]
    bad_row = row.replace(b"\t1\tS1\t", b"\tx\ty y\t").replace(b"false", b"maybe")
    many = (
        header
        + b"\n"
        + b"\n".join(bad_row.replace(b"HG002", f"S{n}".encode()) for n in range(200))
        + b"\n"
    )
    assert len(issues_of(many)) == 500


# --- cell rules (§4.2) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value", "needle"),
    [
        ("SEQ_VENDOR", "ILLUMINA", "use ILMN"),
        ("SEQ_VENDOR", "ilmn", "use ILMN"),
        ("STAGE_DIRECTIVE", "STAGE", "use stage_data"),
        ("STAGE_DIRECTIVE", "pass_through", "not allowed for this pipeline"),
        ("LIB_PREP", "wes", "allowed: noampwgs, pcr"),
        ("SEQ_PLATFORM", "REVIO", "not a platform of SEQ_VENDOR ILMN"),
        ("SAMPLE_ID", "HG002_a", "no '_'"),
        ("SAMPLE_ID", "HG002.a", "no '.'"),
        ("RUN_ID", "-NVX", "starting with a letter or digit"),
        ("SEQBC_ID", "S 1", "'+' or '-'"),
        ("LANE", "1000", "0-999"),
        ("SUBSAMPLE_PCT", "0", "(0, 100]"),
        ("SUBSAMPLE_PCT", "100.5", "(0, 100]"),
        ("IS_POS_CTRL", "yes", "true or false"),
        ("N_X", "5", "0-4"),
        ("STAGE_TARGET", "/fsx/other/", "must be /fsx/staged_sample_data/"),
        ("EXTERNAL_SAMPLE_ID", "x" * 129, "at most 128"),
        ("EXTERNAL_SAMPLE_ID", " GM24149", "leading or trailing spaces"),
        ("R1_FQ", "s3://ursa-demo-lab-a/x/HG003.bam", "allowed extensions"),
        ("R1_FQ", "s3://ursa-demo-lab-a", "BAD_S3_URI"),
    ],
)
def test_bad_cells(column: str, value: str, needle: str) -> None:
    found = [i for i in issues_of(edit(row4={column: value})) if i.row == 4]
    issue = next(i for i in found if i.field == column)
    assert needle in f"{issue.code} {issue.message}"
    assert issue.message.startswith(f"row 4, column {column}: ")


def test_case_insensitive_fields_are_normalised() -> None:
    data = edit(row4={"SAMPLE_TYPE": "Blood", "IS_POS_CTRL": "TRUE", "SUBSAMPLE_PCT": "NA"})
    row = parse_manifest(data).rows[2]
    assert row.sample_type is SampleType.BLOOD
    assert row.is_pos_ctrl
    assert row.subsample_pct is None
    assert parse_manifest(edit(row4={"SUBSAMPLE_PCT": "12.5"})).rows[2].subsample_pct == Decimal(
        "12.5"
    )


def test_required_cells_and_sex_has_no_default() -> None:
    assert ("EMPTY_REQUIRED", 3, "SEQBC_ID") in codes(edit(row3={"SEQBC_ID": ""}))
    blank = edit(row5={"N_X": "", "N_Y": ""})
    issue = next(i for i in issues_of(blank) if i.field == "N_X")
    assert issue.code == "EMPTY_REQUIRED"
    assert "no default" in issue.message
    row = parse_manifest(blank, ManifestRules(require_sex=False)).rows[3]
    assert (row.n_x, row.n_y) == (None, None)


def test_controls_cannot_both_be_true() -> None:
    data = edit(row4={"IS_POS_CTRL": "true", "IS_NEG_CTRL": "true"})
    assert ("BAD_VALUE", 4, "IS_NEG_CTRL") in codes(data)


def test_r2_rules() -> None:
    r1 = "s3://ursa-demo-lab-a/sequencing/20260121_LH00123_0042_A22FJ7LLT3/fastq/"
    same = edit(row4={"R2_FQ": r1 + "HG003_S2_L001_R1_001.fastq.gz"})
    assert ("R1_EQUALS_R2", 4, "R2_FQ") in codes(same)
    other_ext = edit(row4={"R2_FQ": r1 + "HG003_S2_L001_R2_001.fq.gz"})
    mismatch = next(i for i in issues_of(other_ext) if i.code == "R1_R2_MISMATCH")
    assert mismatch.row == 4
    assert "extensions differ" in mismatch.message
    other_lane = edit(row4={"R2_FQ": r1 + "HG003_S2_L002_R2_001.fastq.gz"})
    assert ("R1_R2_MISMATCH", 4, "R2_FQ") in codes(other_lane)
    ont = edit(row4={"SEQ_VENDOR": "ONT", "SEQ_PLATFORM": "PROMETHION", "R2_FQ": ""})
    assert parse_manifest(ont).rows[2].r2_fq is None
    ug = edit(row4={"SEQ_VENDOR": "UG", "SEQ_PLATFORM": "UG100", "R2_FQ": ""})
    assert ("MISSING_R2", 4, "R2_FQ") in codes(ug)


def test_local_paths() -> None:
    col = "PATH_TO_CONCORDANCE_DATA_DIR"
    local = edit(row4={col: "/fsx/data/giab/"})
    assert ("LOCAL_PATH_FORBIDDEN", 4, col) in codes(local)
    admin = ManifestRules(allow_local_paths=True)
    assert parse_manifest(local, admin).rows[2].concordance_dir == "/fsx/data/giab/"
    outside = edit(row4={col: "/fsx/data-evil/giab/"})
    assert ("LOCAL_PATH_OUTSIDE_ROOTS", 4, col) in codes(outside, admin)
    assert ("BAD_VALUE", 4, col) in codes(edit(row4={col: "giab/truth/"}), admin)
    s3_traversal = edit(row4={col: "s3://ursa-demo-lab-a/a/../b/"})
    assert ("PATH_TRAVERSAL", 4, col) in codes(s3_traversal)
    ok = edit(row4={col: "s3://ursa-demo-omics-analysis-us-west-2/giab/"})
    assert (
        parse_manifest(ok).samples[1].concordance_dir
        == "s3://ursa-demo-omics-analysis-us-west-2/giab/"
    )
    r1_local = edit(row4={"R1_FQ": "/fsx/data/HG003_R1.fastq.gz"})
    assert ("LOCAL_PATH_FORBIDDEN", 4, "R1_FQ") in codes(r1_local)


# --- cross-row rules (§4.3, §4.4) ---------------------------------------------------------


def test_duplicate_row_and_reused_input() -> None:
    dup = edit(row3={"LANE": "1"})
    assert ("DUPLICATE_ROW", 3, "LANE") in codes(dup)
    hg2 = "s3://ursa-demo-lab-a/sequencing/20260121_LH00123_0042_A22FJ7LLT3/fastq/HG002_S1_L001_"
    reused = edit(row4={"R1_FQ": hg2 + "R1_001.fastq.gz", "R2_FQ": hg2 + "R2_001.fastq.gz"})
    issue = next(i for i in issues_of(reused) if i.code == "INPUT_REUSED")
    assert (issue.row, issue.field) == (4, "R1_FQ")
    assert "row 2" in issue.message


def test_lanes_of_a_multi_row_unit() -> None:
    assert ("LANE_ZERO_MULTILANE", 3, "LANE") in codes(edit(row3={"LANE": "0"}))
    same_lane = edit(row3={"LANE": "1", "SEQBC_ID": "S9"})
    assert ("LANE_ZERO_MULTILANE", 3, "LANE") in codes(same_lane)
    two_runs = edit(row3={"RUN_ID": "NVX0043", "LANE": "0"})
    manifest = parse_manifest(two_runs)
    assert len(manifest.samples[0].units) == 2
    assert manifest.multi_lane_samples == ()


def test_sample_level_fields_must_agree() -> None:
    found = codes(edit(row3={"RUN_ID": "NVX0043", "EXTERNAL_SAMPLE_ID": "GM0"}))
    assert ("SAMPLE_ATTR_CONFLICT", 3, "EXTERNAL_SAMPLE_ID") in found
    assert ("DUPLICATE_SAMPLE", 3, "SAMPLE_ID") in found


def test_id_collisions() -> None:
    case = edit(row5={"SAMPLE_ID": "hg002"})
    issue = next(i for i in issues_of(case) if i.code == "SAMPLE_ID_CASE_COLLISION")
    assert (issue.row, issue.field) == (5, "SAMPLE_ID")
    assert "'HG002'" in issue.message
    runs = edit(row2={"RUN_ID": "NVX_42"}, row3={"RUN_ID": "NVX_42"}, row4={"RUN_ID": "NVX-42"})
    assert ("ID_NORMALISATION_COLLISION", 4, "RUN_ID") in codes(runs)
    exps = edit(row5={"EXPERIMENTID": "x_1"}, row4={"EXPERIMENTID": "x-1"})
    assert ("ID_NORMALISATION_COLLISION", 5, "EXPERIMENTID") in codes(exps)


# --- serialise and narrow -----------------------------------------------------------------


def test_serialize_reproduces_the_canonical_fixture() -> None:
    assert serialize_manifest(parse_manifest(VALID).rows) == VALID


def test_serialize_refuses_cells_with_tabs() -> None:
    row = parse_manifest(VALID).rows[0]
    bad = dataclasses.replace(row, run_id="a\tb")
    with pytest.raises(InvalidInput):
        serialize_manifest([bad])


def test_narrow_keeps_header_and_rows_byte_for_byte() -> None:
    lines = VALID.splitlines(keepends=True)
    assert narrow_manifest(VALID, {"HG002", "HG004"}) == b"".join(
        [lines[0], lines[1], lines[2], lines[4]]
    )
    crlf = VALID.replace(b"\n", b"\r\n")
    assert narrow_manifest(crlf, ["HG003"]) == b"".join(
        crlf.splitlines(keepends=True)[i] for i in (0, 3)
    )
    assert parse_manifest(narrow_manifest(VALID, ["HG003"])).sample_ids == ("HG003",)


@pytest.mark.parametrize(
    ("data", "scope", "code"),
    [
        (VALID, {"HG999"}, "BAD_VALUE"),
        (VALID, set(), "EMPTY_REQUIRED"),
        (b"RUN_ID\n", {"HG002"}, "MISSING_COLUMN"),
        (b"", {"HG002"}, "EMPTY_REQUIRED"),
    ],
)
def test_narrow_rejects_bad_scopes(data: bytes, scope: set[str], code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        narrow_manifest(data, scope)
    assert caught.value.issues[0].code == code


# --- property: serialise → parse round-trips ----------------------------------------------

RUN = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,20}", fullmatch=True)
SAMPLE_IDS = st.lists(
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9-]{0,20}", fullmatch=True),
    min_size=1,
    max_size=4,
    unique_by=str.casefold,
)
PCT = st.one_of(
    st.none(), st.from_regex(r"[1-9][0-9]?(\.[0-9]{1,3})?", fullmatch=True).map(Decimal)
)
EXTERNAL = st.one_of(
    st.none(), st.text(st.characters(categories=("L", "N")), min_size=1, max_size=20)
)


@st.composite
def manifest_rows(draw: st.DrawFn) -> list[ManifestRow]:
    run_id, experiment_id = draw(RUN), draw(RUN)
    rows: list[ManifestRow] = []
    for sample_id in draw(SAMPLE_IDS):
        vendor = draw(st.sampled_from(list(SeqVendor)))
        sample_type = draw(st.sampled_from(list(SampleType)))
        lib_prep = draw(st.sampled_from([LibPrep.NOAMPWGS, LibPrep.PCR]))
        n_x, n_y = draw(st.integers(0, 4)), draw(st.integers(0, 4))
        pos = draw(st.booleans())
        external = draw(EXTERNAL)
        concordance = draw(st.sampled_from([None, "s3://ref-bucket/giab/"]))
        count = draw(st.integers(1, 3))
        if count == 1:
            lanes = [draw(st.integers(0, 999))]
        else:
            lanes = draw(st.lists(st.integers(1, 999), min_size=count, max_size=count, unique=True))
        paired = vendor in (SeqVendor.ILMN, SeqVendor.UG) or draw(st.booleans())
        for lane in lanes:
            base = f"s3://lab-bucket/runs/{sample_id}_L{lane:03d}"
            rows.append(
                ManifestRow(
                    run_id=run_id,
                    sample_id=sample_id,
                    experiment_id=experiment_id,
                    sample_type=sample_type,
                    lib_prep=lib_prep,
                    seq_vendor=vendor,
                    seq_platform=draw(st.sampled_from(VENDOR_PLATFORMS[vendor])),
                    lane=lane,
                    seqbc_id=draw(st.sampled_from(["S1", "bc+2"])),
                    concordance_dir=concordance,
                    r1_fq=f"{base}_R1.fastq.gz",
                    r2_fq=f"{base}_R2.fastq.gz" if paired else None,
                    stage_directive=StageDirective.STAGE_DATA,
                    stage_target="/fsx/staged_sample_data/",
                    subsample_pct=draw(PCT),
                    is_pos_ctrl=pos,
                    is_neg_ctrl=False,
                    n_x=n_x,
                    n_y=n_y,
                    external_sample_id=external,
                    row=len(rows) + 2,
                )
            )
    return rows


@settings(max_examples=60, deadline=None)
@given(manifest_rows())
def test_serialize_parse_round_trip(rows: list[ManifestRow]) -> None:
    data = serialize_manifest(rows)
    manifest = parse_manifest(data)
    assert list(manifest.rows) == rows
    assert serialize_manifest(manifest.rows) == data
    assert manifest.sample_ids == tuple(dict.fromkeys(r.sample_id for r in rows))
