"""Benchmark TSV parsing (§9.3) against the DayOA fixture and expected_costs.json."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from ursa.domain.benchmarks import BenchmarkSummary, match_sample, parse_benchmark_tsv
from ursa.domain.billing import per_sample_costs
from ursa.domain.errors import InvalidInput

D = Decimal
PIPELINE = Path(__file__).resolve().parents[2] / "fixtures" / "pipeline"
SAMPLES = ("HG002", "HG003", "HG004")
HEADER = "rule\tsample\tcpu_time\ttask_cost\n"


def _parse(body: str, samples: tuple[str, ...] = SAMPLES) -> BenchmarkSummary:
    return parse_benchmark_tsv((HEADER + body).encode(), samples)


def test_fixture_reproduces_expected_costs_exactly() -> None:
    expected = json.loads((PIPELINE / "expected_costs.json").read_text(), parse_float=D)
    data = (PIPELINE / "rules_benchmark_data_singleton.tsv").read_bytes()
    summary = parse_benchmark_tsv(data, SAMPLES)

    assert summary.row_count == expected["row_count"]
    assert summary.missing_cost == 0
    assert summary.warnings == ()
    for want in expected["samples"].values():
        got = summary.samples[want["sample_id"]]
        assert got.direct_cost == D(want["compute_cost_usd"])
        assert got.rule_rows == want["rule_rows"]
    assert summary.samples_total == D(expected["samples_total_usd"])
    assert set(summary.pseudo) == set(expected["excluded_pseudo_samples"])
    for label, want in expected["excluded_pseudo_samples"].items():
        assert summary.pseudo[label].cost == D(want["compute_cost_usd"])
        assert summary.pseudo[label].rule_rows == want["rule_rows"]
    assert summary.pseudo_total == D(expected["excluded_total_usd"])
    assert summary.all_rows_total == D(expected["all_rows_total_usd"])
    assert summary.samples["HG002"].cpu_seconds == D("1311248.57")  # awk over column 13


def test_fixture_feeds_the_exact_split() -> None:
    data = (PIPELINE / "rules_benchmark_data_singleton.tsv").read_bytes()
    summary = parse_benchmark_tsv(data, SAMPLES)
    shares = per_sample_costs(summary.direct_costs(), summary.cpu_seconds(), summary.pseudo_total)
    # Nothing is lost: the samples add up to every row's cost, rounded to the cent.
    assert sum(shares.values()) == D("24.34")


def test_sample_matching() -> None:
    ids = frozenset(SAMPLES)
    assert match_sample("NVX0042_HG002_S1_0.", ids) == "HG002"
    assert match_sample("HG003.", ids) == "HG003"
    assert match_sample("HG004", ids) == "HG004"
    for pseudo in ("DAY_all.", "all", "all.", "unknown", "", "NVX0042_HG999_S9_0."):
        assert match_sample(pseudo, ids) is None


def test_missing_columns_are_named() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_benchmark_tsv(b"rule\tsample\tcpu\n", SAMPLES)
    assert [(i.field, i.code) for i in caught.value.issues] == [
        ("cpu_time", "MISSING_COLUMN"),
        ("task_cost", "MISSING_COLUMN"),
    ]
    assert "cpu_time" in caught.value.message
    with pytest.raises(InvalidInput):
        parse_benchmark_tsv(b"", SAMPLES)


def test_row_rules() -> None:
    summary = _parse(
        "a\tX_HG002_S1_0.\t10\t3e-06\n"  # scientific notation, exact
        "b\tX_HG002_S1_0.\t5\tNA\n"  # NA → 0, counted
        "c\tX_HG002_S1_0.\t\t\n"  # blank → 0, counted
        "d\tX_HG002_S1_0.\t1\t-0.5\n"  # negative → dropped with a warning
        "e\tX_HG002_S1_0.\t1\tabc\n"  # not a number → dropped
        "f\tX_HG002_S1_0.\t1\n"  # short row → dropped
        "\n"
        "g\tDAY_all.\t2\t1E-2\n"
    )
    hg002 = summary.samples["HG002"]
    assert hg002.direct_cost == D("0.000003")
    assert hg002.rule_rows == 3
    assert hg002.cpu_seconds == D(15)
    assert summary.missing_cost == 2
    assert summary.missing_cpu_time == 1
    assert summary.row_count == 4
    assert len(summary.warnings) == 3
    assert "negative task_cost" in summary.warnings[0]
    assert summary.pseudo_total == D("0.01")
    # Samples with no rows are still listed, at zero.
    assert summary.samples["HG004"].direct_cost == 0
    assert summary.samples["HG004"].rule_rows == 0


def test_bom_and_crlf_are_tolerated() -> None:
    data = ("\ufeff" + HEADER + "r\tHG003.\t1.5\t0.25\r\n").encode()
    summary = parse_benchmark_tsv(data, SAMPLES)
    assert summary.samples["HG003"].direct_cost == D("0.25")
