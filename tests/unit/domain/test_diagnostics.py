"""Error catalogue, classifier, redaction and log tail (§7)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ursa.domain.diagnostics import (
    CATALOGUE,
    UNKNOWN_CODE,
    Evidence,
    catalogue_entry,
    classify,
    log_tail,
    redact,
)
from ursa.domain.diagnostics_types import ErrorCategory, Owner, Remedy, Severity

SAMPLES = Path(__file__).parents[2] / "fixtures" / "logs"
EXPECTED: dict[str, dict[str, str]] = json.loads(
    (SAMPLES / "expected_codes.json").read_text(encoding="utf-8")
)["files"]


def _log(text: str, **kwargs: object) -> Evidence:
    return Evidence(log_excerpt=text, **kwargs)  # type: ignore[arg-type]


# --- catalogue (§7.2) ---------------------------------------------------------------------


def test_catalogue_has_fourteen_codes_plus_fallback_in_table_order() -> None:
    codes = [entry.code for entry in CATALOGUE]
    assert codes == [
        "WS-RES-001", "WS-RES-002", "WS-RES-003", "WS-NET-001", "WS-NET-002", "WS-DAT-001",
        "WS-DAT-002", "WS-DAT-003", "WS-AWS-001", "WS-AWS-002", "WS-PIP-001", "WS-PIP-002",
        "WS-CLU-001", "WS-CLU-002", "WS-UNK-000",
    ]  # fmt: skip
    assert all(entry.remediation for entry in CATALOGUE)
    assert all(entry.patterns for entry in CATALOGUE if entry.code != UNKNOWN_CODE)


# code, name, category, severity, retryable (auto cap: "-" = only the workset cap), owner, remedy
SPEC_TABLE = """
WS-RES-001 OutOfMemory resource error 2 provider retry_more_memory
WS-RES-002 DiskFull resource critical 1 provider retry_more_storage
WS-RES-003 CPUTimeout resource warning 1 provider retry_longer_time
WS-NET-001 S3Timeout transient warning - aws retry_same
WS-NET-002 ConnectionRefused transient error - provider retry_same
WS-DAT-001 InvalidFASTQ data error no customer notify_customer
WS-DAT-002 MissingInput data error no customer notify_customer
WS-DAT-003 InvalidReference configuration critical no provider notify_provider
WS-AWS-001 AWSThrottling transient warning - aws wait_and_retry
WS-AWS-002 AccessDenied configuration error no provider notify_provider
WS-PIP-001 BWAError transient error 1 provider retry_same
WS-PIP-002 GATKError transient error 1 provider retry_same
WS-CLU-001 NodeFailure resource warning 2 aws retry_other_capacity
WS-CLU-002 SlurmError transient error 1 provider retry_same
WS-UNK-000 Unknown transient error 1 provider retry_same
"""


@pytest.mark.parametrize("row", SPEC_TABLE.strip().splitlines())
def test_catalogue_rows_match_the_spec_table(row: str) -> None:
    code, name, category, severity, cap, owner, remedy = row.split()
    entry = catalogue_entry(code)
    assert (entry.name, entry.category, entry.severity) == (name, category, severity)
    assert (entry.owner, entry.remedy) == (owner, remedy)
    assert entry.retryable is (cap != "no")
    assert entry.auto_cap == (int(cap) if cap.isdigit() else None)


def test_catalogue_entry_rejects_unknown_code() -> None:
    with pytest.raises(KeyError):
        catalogue_entry("WS-XXX-999")


# --- fixtures -------------------------------------------------------------------------------


def test_every_fixture_file_has_an_expected_code() -> None:
    files = {path.name for path in (SAMPLES / "error_samples").glob("*.log")}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_classifies_to_its_expected_code(name: str) -> None:
    text = (SAMPLES / "error_samples" / name).read_text(encoding="utf-8")
    diagnosis = classify(_log(log_tail(text)))
    assert diagnosis.code == EXPECTED[name]["code"]
    assert diagnosis.name == EXPECTED[name]["name"]
    assert diagnosis.confidence >= 0.9
    assert diagnosis.alternatives == ()  # the generic lines do not compete
    assert 1 <= len(diagnosis.matched) <= 5
    assert all(len(line) <= 300 for line in diagnosis.matched)


# --- confidence (§7.4) ----------------------------------------------------------------------


def test_repeated_matches_of_one_pattern_count_once() -> None:
    once = classify(_log("oom_kill event"))
    many = classify(_log("oom_kill event\noom_kill event\noom_kill again\n"))
    assert once.confidence == many.confidence == 0.9


def test_distinct_patterns_combine_as_noisy_or() -> None:
    diagnosis = classify(_log("Detected 1 oom_kill event\nMemoryError: out of memory"))
    # 1 - (1-0.9)(1-0.6)(1-0.6)
    assert diagnosis.code == "WS-RES-001"
    assert diagnosis.confidence == pytest.approx(0.984)


@pytest.mark.parametrize(
    ("state", "code"),
    [
        ("OUT_OF_MEMORY", "WS-RES-001"),
        ("TIMEOUT", "WS-RES-003"),
        ("NODE_FAIL", "WS-CLU-001"),
        ("PREEMPTED", "WS-CLU-001"),
        ("BOOT_FAIL", "WS-CLU-001"),
        (" out_of_memory ", "WS-RES-001"),
    ],
)
def test_structured_slurm_state_is_certain(state: str, code: str) -> None:
    diagnosis = classify(Evidence(slurm_state=state))
    assert (diagnosis.code, diagnosis.confidence) == (code, 1.0)
    assert diagnosis.matched == (f"slurm_state={state.strip().upper()}",)


def test_pipeline_timeout_is_certain_cpu_timeout() -> None:
    diagnosis = classify(Evidence(pipeline_timeout=True))
    assert (diagnosis.code, diagnosis.confidence) == ("WS-RES-003", 1.0)


def test_exit_137_alone_is_weak_and_stays_unknown() -> None:
    diagnosis = classify(Evidence(exit_code=137))
    assert diagnosis.code == UNKNOWN_CODE
    assert diagnosis.alternatives == (("WS-RES-001", 0.3),)


def test_exit_137_strengthens_oom_text() -> None:
    diagnosis = classify(_log("MemoryError", exit_code=137))
    assert diagnosis.code == "WS-RES-001"
    assert diagnosis.confidence == pytest.approx(0.72)  # 1 - 0.4 * 0.7


def test_unmapped_slurm_state_is_not_evidence() -> None:
    assert classify(Evidence(slurm_state="CANCELLED by 1000")).code == UNKNOWN_CODE


def test_matching_is_case_insensitive() -> None:
    assert classify(_log("NO SPACE LEFT ON DEVICE")).code == "WS-RES-002"


# --- choice, ties and the fallback ----------------------------------------------------------


def test_equal_confidence_goes_to_higher_severity() -> None:
    # DiskFull (critical) vs ConnectionRefused (error), both 0.9
    diagnosis = classify(_log("connection refused\nNo space left on device"))
    assert diagnosis.code == "WS-RES-002"
    assert diagnosis.alternatives == (("WS-NET-002", 0.9),)


def test_equal_confidence_and_severity_goes_to_catalogue_order() -> None:
    text = "sbatch: error: x\nssh: connection refused"  # CLU-002 and NET-002: error, 0.9
    assert classify(_log(text)).code == "WS-NET-002"
    reordered = tuple(reversed(CATALOGUE))
    assert classify(_log(text), reordered).code == "WS-CLU-002"


def test_higher_confidence_beats_severity() -> None:
    text = "ThrottlingException: Rate exceeded\nNo space left on device"  # 0.99 warning vs 0.9
    diagnosis = classify(_log(text))
    assert diagnosis.code == "WS-AWS-001"
    assert diagnosis.alternatives == (("WS-RES-002", 0.9),)


def test_below_half_is_unknown_with_the_best_candidate_as_alternative() -> None:
    diagnosis = classify(_log("cat: /x: No such file or directory"))
    assert diagnosis.code == UNKNOWN_CODE
    assert diagnosis.name == "Unknown"
    assert diagnosis.retryable is True
    assert diagnosis.alternatives == (("WS-DAT-002", 0.3),)
    assert diagnosis.matched == ("cat: /x: No such file or directory",)


def test_two_weak_hits_cross_the_threshold() -> None:
    diagnosis = classify(_log("HTTP 404\nNo such file or directory"))
    assert (diagnosis.code, diagnosis.confidence) == ("WS-DAT-002", 0.51)


def test_nothing_matched_is_unknown_without_alternatives() -> None:
    diagnosis = classify(_log("everything is fine, then it is not"))
    assert diagnosis.code == UNKNOWN_CODE
    assert (diagnosis.confidence, diagnosis.alternatives, diagnosis.matched) == (0.0, (), ())


def test_unknown_fallback_when_catalogue_lacks_it() -> None:
    known = tuple(entry for entry in CATALOGUE if entry.code != UNKNOWN_CODE)
    assert classify(_log("nothing"), known).code == UNKNOWN_CODE


def test_access_denied_owner_depends_on_the_bucket() -> None:
    text = "An error occurred (AccessDenied) when calling the GetObject operation"
    ours = classify(_log(text, resource_ref="s3://ursa-demo-omics-analysis-us-west-2/x"))
    theirs = classify(_log(text, resource_ref="s3://ursa-demo-lab-a/x", is_customer_bucket=True))
    assert (ours.owner, ours.remedy) == (Owner.PROVIDER, Remedy.NOTIFY_PROVIDER)
    assert (theirs.owner, theirs.remedy) == (Owner.CUSTOMER, Remedy.NOTIFY_CUSTOMER)
    assert theirs.category is ErrorCategory.CONFIGURATION
    assert theirs.severity is Severity.ERROR


# --- matched lines and redaction ------------------------------------------------------------


def test_matched_is_at_most_five_redacted_lines_of_300_chars() -> None:
    key = "AKIAABCDEFGHIJKLMNOP"
    lines = [f"{'x' * 400} oom_kill #{i} {key} token=abc{i}" for i in range(8)]
    diagnosis = classify(_log("\n".join(lines)))
    assert len(diagnosis.matched) == 5
    for line in diagnosis.matched:
        assert len(line) <= 300
        assert "oom_kill" in line  # the window keeps the hit
        assert key not in line
        assert "abc" not in line


def test_matched_lines_keep_log_order() -> None:
    text = "a\nMemoryError here\nb\noom_kill there\n"
    assert classify(_log(text)).matched == ("MemoryError here", "oom_kill there")


@pytest.mark.parametrize(
    ("raw", "secret"),
    [
        ("key AKIAIOSFODNN7EXAMPLE used", "IOSFODNN7EXAMPLE"),
        ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI"),
        ("AWS_SECRET_ACCESS_KEY:wJalrXUtnFEMI/K7MDENG", "wJalrXUtnFEMI"),
        ("https://b.s3.amazonaws.com/k?X-Amz-Signature=0a1b2c3d4e5f6789abcdef", "0a1b2c3d4e5f"),
        ("mysql -u root password=hunter2 -h db", "hunter2"),
        ("curl ?token=eyJhbGciOi.payload.sig", "eyJhbGciOi"),
        ("PASSWORD=Sup3r", "Sup3r"),
    ],
)
def test_redaction_removes_secrets(raw: str, secret: str) -> None:
    cleaned = redact(raw)
    assert secret not in cleaned
    assert "[REDACTED]" in cleaned


def test_redaction_keeps_ordinary_text() -> None:
    text = "slurmstepd: error: Detected 1 oom_kill event in StepId=1796.batch."
    assert redact(text) == text


# --- regex safety (§7.4) --------------------------------------------------------------------

MIB = 1024 * 1024
ADVERSARIAL = {
    "a": "a" * MIB,
    "oom": "oom " * (MIB // 4),
    "spaces": " " * MIB,
    "near-misses": (
        "quality length contig node kms 403 bwa-mem2 gatk .fai reference contigs span "
        "error in rule " + "b" * 40 + " ssh: connect to host " + "h" * 40 + " "
    )
    * (MIB // 170),
}


@pytest.mark.parametrize("kind", sorted(ADVERSARIAL))
def test_every_pattern_survives_a_mebibyte_of_adversarial_input(kind: str) -> None:
    text = ADVERSARIAL[kind]
    for entry in CATALOGUE:
        for pattern, _weight in entry.patterns:
            pattern.search(text)  # completes: bounded gaps, no nested quantifiers


# --- log tail -------------------------------------------------------------------------------


def test_log_tail_keeps_the_last_lines() -> None:
    text = "".join(f"line {i}\n" for i in range(5000))
    tail = log_tail(text)
    assert tail.splitlines()[0] == "line 3000"
    assert tail.endswith("line 4999\n")
    assert len(tail.splitlines()) == 2000


def test_log_tail_short_text_is_unchanged() -> None:
    assert log_tail("a\nb") == "a\nb"
    assert log_tail("") == ""


def test_log_tail_cuts_bytes_at_a_line_boundary() -> None:
    text = "".join(f"{i:04d}{'é' * 50}\n" for i in range(100))  # 105 bytes a line
    tail = log_tail(text, max_bytes=1000)
    assert len(tail.encode()) <= 1000
    assert tail.startswith("0091")  # the partial line before it was dropped
    assert tail.endswith("0099" + "é" * 50 + "\n")


def test_log_tail_of_one_huge_line_keeps_its_end() -> None:
    tail = log_tail("é" * 1000, max_bytes=101)
    assert tail == "é" * 50  # never splits a character
