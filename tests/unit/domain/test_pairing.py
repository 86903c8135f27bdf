"""R1/R2 auto-pairing for S3 discovery and the draft manifest (DOMAIN.md §4.7)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ursa.domain.errors import InvalidInput
from ursa.domain.fastq_names import mates_problem, parse_read_name
from ursa.domain.manifests import COLUMNS, ManifestRules, parse_manifest
from ursa.domain.pairing import (
    ManifestDefaults,
    PairingResult,
    draft_manifest,
    pair_keys,
    propose_sample_id,
)

MANIFESTS = Path(__file__).parents[2] / "fixtures" / "manifests"
BUCKET = "ursa-demo-lab-a"


def load(name: str) -> tuple[list[str], dict[str, Any], PairingResult]:
    keys = (MANIFESTS / f"s3_keys_{name}.txt").read_text().splitlines()
    expected = json.loads((MANIFESTS / f"expected_pairs_{name}.json").read_text())
    return keys, expected, pair_keys(keys)


def every_key_once(keys: list[str], result: PairingResult) -> None:
    seen = [k for p in result.pairs for k in (p.r1, p.r2)]
    seen += [u.key for u in (*result.unpaired, *result.ambiguous)]
    seen += [i.key for i in result.ignored]
    assert sorted(seen) == sorted(keys)


def unpaired_and_ignored(result: PairingResult) -> tuple[list[dict[str, Any]], ...]:
    unpaired = [{"key": u.key, "read": u.read, "reason": u.reason} for u in result.unpaired]
    ignored = [{"key": i.key, "reason": i.reason} for i in result.ignored]
    return unpaired, ignored


def test_illumina_listing_matches_expected_pairs() -> None:
    keys, expected, result = load("illumina")
    pairs = [
        {
            "sample": p.sample,
            "sample_number": p.sample_number,
            "lane": p.lane,
            "r1": p.r1,
            "r2": p.r2,
        }
        for p in result.pairs
    ]
    assert pairs == expected["pairs"]
    samples: dict[str, list[str]] = {}
    for p in result.pairs:
        samples.setdefault(p.sample, []).append(p.lane or "")
    assert samples == expected["samples"]
    assert unpaired_and_ignored(result) == (expected["unpaired"], expected["ignored"])
    assert result.ambiguous == ()
    assert [p.lane_number for p in result.pairs] == [1, 2, 1, 1]
    every_key_once(keys, result)


def test_mixed_listing_matches_expected_pairs() -> None:
    keys, expected, result = load("mixed")
    pairs = [{"sample": p.sample, "prefix": p.prefix, "r1": p.r1, "r2": p.r2} for p in result.pairs]
    assert pairs == expected["pairs"]
    assert unpaired_and_ignored(result) == (expected["unpaired"], expected["ignored"])
    assert result.ambiguous == ()
    assert all(p.lane is None and p.sample_number is None for p in result.pairs)
    every_key_once(keys, result)


def test_more_than_one_mate_is_ambiguous_never_guessed() -> None:
    keys = ["d/X_R1.fq", "d/X.R1.fq", "d/X_R2.fq", "d/Y_1.fq", "d/Y_R1.fq", "d/Y_2.fq"]
    result = pair_keys(keys)
    assert result.pairs == ()
    assert [a.key for a in result.ambiguous] == sorted(keys)
    assert "2 R1 and 1 R2" in result.ambiguous[0].reason


def test_pair_key_includes_extension_tail_and_folder() -> None:
    result = pair_keys(["A_R1.fastq.gz", "A_R2.fq.gz", "a/B_R1_001.fq", "a/B_R2_002.fq"])
    assert result.pairs == ()
    assert [(u.key, u.reason) for u in result.unpaired] == [
        ("A_R1.fastq.gz", "no matching R2"),
        ("A_R2.fq.gz", "no matching R1"),
        ("a/B_R1_001.fq", "no matching R2"),
        ("a/B_R2_002.fq", "no matching R1"),
    ]
    root = pair_keys(["C_1.fastq", "C_2.fastq", "C_1.fastq"])
    assert [(p.prefix, p.sample) for p in root.pairs] == [("", "C")]


@pytest.mark.parametrize(
    ("name", "stem", "read", "lane", "tail"),
    [
        ("x/HG002_S1_L001_R2_001.fastq.gz", "HG002", 2, "001", None),
        ("HG002_S1_L001_R1_002.fastq.gz", "HG002_S1_L001", 1, None, "_002"),
        ("HG002_1_R1.fastq.gz", "HG002_1", 1, None, None),
        ("a.R1.b_R2.fq", "a.R1.b", 2, None, None),
        ("SRR1_2.fq.gz", "SRR1", 2, None, None),
    ],
)
def test_first_pattern_wins(
    name: str, stem: str, read: int, lane: str | None, tail: str | None
) -> None:
    parsed = parse_read_name(name)
    assert parsed is not None
    assert (parsed.stem, parsed.read, parsed.lane, parsed.tail) == (stem, read, lane, tail)
    assert parse_read_name("NA24385.fastq.gz") is None


def test_mates_problem() -> None:
    assert mates_problem("s3://b/d/X_R1.fq.gz", "s3://b/d/X_R2.fq.gz") is None
    assert "read 2 and read 1" in (mates_problem("d/X_R2.fq", "d/X_R1.fq") or "")
    assert "elsewhere" in (mates_problem("s3://b/d/X_R1.fq", "s3://c/d/X_R2.fq") or "")
    assert "no read token" in (mates_problem("d/X.fq", "d/X_R2.fq") or "")


def test_propose_sample_id() -> None:
    assert propose_sample_id("HG002_1") == "HG002-1"
    assert propose_sample_id("a.b__c-d") == "a-b-c-d"


def test_illumina_draft_uses_defaults_and_lanes() -> None:
    _, _, result = load("illumina")
    defaults = ManifestDefaults(run_id="NVX0042", experiment_id="x1")
    data, issues = draft_manifest(BUCKET, result, defaults)
    assert issues == ()
    lines = data.decode().splitlines()
    assert lines[0].split("\t") == list(COLUMNS)
    first = dict(zip(COLUMNS, lines[1].split("\t"), strict=True))
    assert first["R1_FQ"] == f"s3://{BUCKET}/{result.pairs[0].r1}"
    assert (first["SAMPLE_TYPE"], first["LIB_PREP"], first["SEQ_VENDOR"]) == (
        "blood",
        "noampwgs",
        "ILMN",
    )
    assert (first["SEQ_PLATFORM"], first["STAGE_DIRECTIVE"]) == ("NOVASEQX", "stage_data")
    assert (first["STAGE_TARGET"], first["SUBSAMPLE_PCT"]) == ("/fsx/staged_sample_data/", "na")
    assert (first["IS_POS_CTRL"], first["IS_NEG_CTRL"], first["N_X"], first["N_Y"]) == (
        "false",
        "false",
        "",
        "",
    )
    # sex is never defaulted: the draft is rejected until the user fills N_X/N_Y
    with pytest.raises(InvalidInput) as caught:
        parse_manifest(data)
    assert {(i.code, i.field) for i in caught.value.issues} == {
        ("EMPTY_REQUIRED", "N_X"),
        ("EMPTY_REQUIRED", "N_Y"),
    }
    manifest = parse_manifest(data, ManifestRules(require_sex=False))
    assert manifest.sample_ids == ("HG002", "HG003", "HG004")
    assert [lane.lane for lane in manifest.samples[0].units[0].lanes] == [1, 2]
    assert [r.seqbc_id for r in manifest.rows] == ["S1", "S1", "S2", "S3"]


def test_mixed_draft_reports_collisions() -> None:
    _, _, result = load("mixed")
    data, issues = draft_manifest(BUCKET, result)
    rows = [line.split("\t") for line in data.decode().splitlines()[1:]]
    assert [r[1] for r in rows][:2] == ["HG002-1", "HG00731"]
    assert {r[7] for r in rows} == {"0"}
    assert {r[0] for r in rows} == {""}
    assert [(i.code, i.row, i.field) for i in issues] == [("DUPLICATE_SAMPLE", 8, "SAMPLE_ID")]
    assert "batch-08/HG00731" in issues[0].message
    assert "row 3" in issues[0].message


def test_draft_reports_bad_ids_case_collisions_and_unsafe_keys() -> None:
    result = pair_keys(
        [
            "d/_x_R1.fq",
            "d/_x_R2.fq",
            "d/abc_R1.fq",
            "d/abc_R2.fq",
            "d/ABC_R1.fq",
            "d/ABC_R2.fq",
            "d/%2e_R1.fq",
            "d/%2e_R2.fq",
        ]
    )
    data, issues = draft_manifest(BUCKET, result)
    found = [(i.code, i.row, i.field) for i in issues]
    assert ("UNSAFE_KEY", None, "R1_FQ") in found
    assert ("BAD_VALUE", 3, "SAMPLE_ID") in found  # '-x' from '_x'
    assert ("SAMPLE_ID_CASE_COLLISION", 4, "SAMPLE_ID") in found
    assert b"%2e" not in data
    assert len(data.splitlines()) == 4


def test_several_non_illumina_pairs_of_one_stem_become_lanes() -> None:
    result = pair_keys(["d/X_R1_001.fq", "d/X_R2_001.fq", "d/X_R1_002.fq", "d/X_R2_002.fq"])
    data, issues = draft_manifest(BUCKET, result, ManifestDefaults(run_id="R", experiment_id="E"))
    assert issues == ()
    manifest = parse_manifest(data, ManifestRules(require_sex=False))
    assert [lane.lane for lane in manifest.units[0].lanes] == [1, 2]


def test_draft_rejects_a_bad_bucket() -> None:
    with pytest.raises(InvalidInput):
        draft_manifest("Bad_Bucket", pair_keys([]))
