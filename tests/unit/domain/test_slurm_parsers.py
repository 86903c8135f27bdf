"""The Slurm parsers against every fixture in tests/fixtures/slurm (expected values read off
the files by eye), plus odd input: empty, truncated, garbage, and generated lines."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ursa.domain.slurm import SlurmJob
from ursa.domain.slurm_jobs import (
    AccountingRow,
    AccountingUnavailable,
    QueueRow,
    TaskState,
    elapsed_seconds,
    memory_mb,
    parse_sacct,
    parse_sq_alias,
    parse_squeue,
    parse_squeue_table,
    split_job_name,
    task_state,
)
from ursa.domain.slurm_nodes import (
    StateSuffix,
    parse_scontrol_nodes,
    parse_sinfo_nodes,
    parse_sinfo_reasons,
    parse_sinfo_states,
    split_compact_state,
)
from ursa.domain.slurm_text import MAX_HOSTS, Malformed, Parsed, expand_hostlist

SLURM = Path(__file__).parents[2] / "fixtures" / "slurm"
PARSERS = (
    parse_sinfo_nodes,
    parse_sinfo_states,
    parse_sinfo_reasons,
    parse_scontrol_nodes,
    parse_squeue,
    parse_squeue_table,
    parse_sq_alias,
)


def _read(name: str) -> str:
    return (SLURM / name).read_text()


def _at(hh_mm_ss: str, day: int = 23) -> datetime:
    hours, minutes, seconds = (int(p) for p in hh_mm_ss.split(":"))
    return datetime(2026, 1, day, hours, minutes, seconds, tzinfo=UTC)


# --- sinfo -N -o "%.20N %.9P %.6t %.10c %.10m %.10G %.20R" ------------------------------------


def _sinfo_rows(text: str) -> list[tuple[str, str, bool, str, str, int, int]]:
    parsed = parse_sinfo_nodes(text)
    assert parsed.skipped == () and all(n.gres == "" for n in parsed.rows)
    return [
        (n.name, n.partition, n.default_partition, n.state, n.suffix, n.cpus, n.memory_mb)
        for n in parsed.rows
    ]


def test_sinfo_nodes_of_the_idle_cluster() -> None:
    assert _sinfo_rows(_read("sinfo_nodes.txt")) == [
        ("i8-dy-r6gb64-1", "i8", True, "idle", "~", 8, 62259),
        ("i8-dy-r7gb64-1", "i8", True, "idle", "~", 8, 62259),
        ("i128-dy-c6gb256-1", "i128", False, "idle", "~", 128, 249036),
        ("i128-dy-c6gb256-2", "i128", False, "idle", "~", 128, 249036),
    ]


def test_sinfo_nodes_of_the_busy_cluster() -> None:
    # The 20-char name has no leading space; i192bigme is cut by %.9P, whole in %.20R.
    assert _sinfo_rows(_read("sinfo_nodes_busy.txt")) == [
        ("i8-dy-r6gb64-1", "i8", True, "idle", "~", 8, 62259),
        ("i8-dy-r7gb64-1", "i8", True, "mix", "", 8, 62259),
        ("i128-dy-c6gb256-1", "i128", False, "alloc", "", 128, 249036),
        ("i128-dy-c6gb256-2", "i128", False, "drain", "", 128, 249036),
        ("i128-dy-m6gb512-1", "i128", False, "down", "~", 128, 498073),
        ("i128-dy-r6gb1024r6-1", "i128", False, "idle", "~", 128, 996147),
        ("i192-dy-all-1", "i192", False, "alloc", "", 192, 373555),
        ("i192-dy-all-2", "i192", False, "mix", "", 192, 373555),
        ("i192-dy-all-3", "i192", False, "down", "*", 192, 373555),
        ("i192-dy-all-4", "i192", False, "drng", "", 192, 373555),
        ("i192-dy-all-5", "i192", False, "mix", "#", 192, 373555),
        ("i192-dy-all-6", "i192", False, "idle", "%", 192, 373555),
        ("i192mem-dy-all-1", "i192mem", False, "mix", "", 192, 747110),
        ("i192mem-dy-all-2", "i192mem", False, "idle", "~", 192, 747110),
        ("i192bigmem-dy-all-1", "i192bigmem", False, "idle", "~", 192, 1494220),
    ]


def _sinfo_line(
    name: str, partition: str, state: str, cpus: object, memory: object, gres: str, full: str
) -> str:
    """What sinfo prints for SINFO_NODES_FORMAT: right-justified, cut at each width."""
    return (
        f"{name:>20.20} {partition:>9.9} {state:>6.6} {cpus!s:>10.10} {memory!s:>10.10}"
        f" {gres:>10.10} {full:>20.20}"
    )


def test_sinfo_node_keeps_gres_and_reports_a_cut_line() -> None:
    text = "\n".join(
        [
            _sinfo_line("i8-dy-r6gb64-1", "i8*", "idle~", 8, 62259, "gpu:a10:1", "i8"),
            _sinfo_line("i8-dy-r7gb64-1", "i8*", "idle~", 8, 62259, "", "")[:49],
            _sinfo_line("i8-dy-r7gb64-2", "i8*", "idle~", 8, 62259, "(null)", "i8")[:-1],
        ]
    )
    parsed = parse_sinfo_nodes(text)
    assert [(n.name, n.gres, n.partition) for n in parsed.rows] == [
        ("i8-dy-r6gb64-1", "gpu:a10:1", "i8"),
        ("i8-dy-r7gb64-2", "", "i8"),  # a cut last column ("i") falls back to %P
    ]
    assert [(s.line_no, s.why) for s in parsed.skipped] == [(2, "MEMORY '' is not a whole number")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("idle~", ("idle", StateSuffix.POWERED_DOWN)),
        ("down*", ("down", StateSuffix.NOT_RESPONDING)),
        ("mix#", ("mix", StateSuffix.POWERING_UP)),
        ("idle%", ("idle", StateSuffix.POWERING_DOWN)),
        ("maint$", ("maint", StateSuffix.MAINTENANCE)),
        ("idle@", ("idle", StateSuffix.REBOOT_PENDING)),
        ("drng", ("drng", StateSuffix.NONE)),
        ("pow_up", ("pow_up", "")),
        ("idle&", ("idle", "&")),  # a flag newer than StateSuffix still parses
    ],
)
def test_compact_states(text: str, expected: tuple[str, str]) -> None:
    assert split_compact_state(text) == expected


@pytest.mark.parametrize("text", ["", "IDLE", "idle~~", "idle ~", "~"])
def test_a_non_state_is_malformed(text: str) -> None:
    with pytest.raises(Malformed):
        split_compact_state(text)


_NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=20)
_PARTITION = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=20)


@given(
    name=_NAME,
    partition=_PARTITION,
    default=st.booleans(),
    state=st.sampled_from(["idle", "mix", "alloc", "down", "drng", "drain", "fail"]),
    suffix=st.sampled_from([s.value for s in StateSuffix]),
    cpus=st.integers(0, 10**9),
    memory=st.integers(0, 10**9),
)
def test_a_rendered_sinfo_line_parses_back(
    name: str, partition: str, default: bool, state: str, suffix: str, cpus: int, memory: int
) -> None:
    # What sinfo does with "%.20N %.9P ...": right-justify, cut at the width.
    marked = partition + ("*" if default else "")
    line = _sinfo_line(name, marked, state + suffix, cpus, memory, "(null)", partition)
    (node,) = parse_sinfo_nodes(line).rows
    assert (node.name, node.partition, node.state, node.suffix) == (name, partition, state, suffix)
    assert (node.cpus, node.memory_mb, node.gres) == (cpus, memory, "")
    # %.9P cuts the '*' of a long default partition name; nothing else can tell.
    assert node.default_partition is (default and len(marked) <= 9)


# --- sinfo -N -r ------------------------------------------------------------------------------


def _state_rows(text: str) -> list[tuple[str, int, str, bool, str]]:
    parsed = parse_sinfo_states(text)
    assert parsed.skipped == () and all(len(r.nodes) == 1 for r in parsed.rows)
    return [
        (r.nodes[0], r.node_count, r.partition, r.default_partition, r.state + r.suffix)
        for r in parsed.rows
    ]


def test_sinfo_responding_nodes_of_the_idle_cluster() -> None:
    assert _state_rows(_read("sinfo_reasons.txt")) == [
        ("i8-dy-r6gb64-1", 1, "i8", True, "idle~"),
        ("i8-dy-r7gb64-1", 1, "i8", True, "idle~"),
        ("i128-dy-c6gb256-1", 1, "i128", False, "idle~"),
        ("i128-dy-c6gb256-2", 1, "i128", False, "idle~"),
    ]


def test_sinfo_responding_nodes_of_the_busy_cluster_omit_the_down_star_node() -> None:
    assert _state_rows(_read("sinfo_responding_busy.txt")) == [
        ("i8-dy-r6gb64-1", 1, "i8", True, "idle~"),
        ("i8-dy-r7gb64-1", 1, "i8", True, "mix"),
        ("i128-dy-c6gb256-1", 1, "i128", False, "alloc"),
        ("i128-dy-c6gb256-2", 1, "i128", False, "drain"),
        ("i128-dy-m6gb512-1", 1, "i128", False, "down~"),
        ("i128-dy-r6gb1024r6-1", 1, "i128", False, "idle~"),
        ("i192-dy-all-1", 1, "i192", False, "alloc"),
        ("i192-dy-all-2", 1, "i192", False, "mix"),
        ("i192-dy-all-4", 1, "i192", False, "drng"),
        ("i192-dy-all-5", 1, "i192", False, "mix#"),
        ("i192-dy-all-6", 1, "i192", False, "idle%"),
        ("i192mem-dy-all-1", 1, "i192mem", False, "mix"),
        ("i192mem-dy-all-2", 1, "i192mem", False, "idle~"),
        ("i192bigmem-dy-all-1", 1, "i192bigmem", False, "idle~"),
    ]


def test_sinfo_grouped_lines_expand_their_node_list() -> None:
    parsed = parse_sinfo_states("i192-dy-all-[1-2,4]      3       i192 mix\nbroken line\n")
    assert [r.nodes for r in parsed.rows] == [("i192-dy-all-1", "i192-dy-all-2", "i192-dy-all-4")]
    assert [s.line for s in parsed.skipped] == ["broken line"]


# --- sinfo -R ---------------------------------------------------------------------------------


def test_sinfo_reasons_are_cut_at_20_characters() -> None:
    parsed = parse_sinfo_reasons(_read("sinfo_list_reasons_busy.txt"))
    assert parsed.skipped == ()
    assert [(r.reason, r.user, r.at, r.nodes) for r in parsed.rows] == [
        ("(Code:InsufficientIn", "root", _at("14:49:20"), ("i128-dy-m6gb512-1",)),
        ("Kill task failed", "slurm", _at("14:58:02"), ("i192-dy-all-4",)),
        ("Not responding", "slurm", _at("15:01:47"), ("i192-dy-all-3",)),
        ("Scheduler health che", "root", _at("14:13:13"), ("i128-dy-c6gb256-2",)),
    ]


def test_a_sinfo_reason_names_several_nodes_and_may_lack_a_time() -> None:
    text = (
        "Scheduler health che root      Unknown             i8-dy-gb64-[1-3,5]\n"
        "Kill task failed     slurm     2026-01-23T14:58:02\n"
    )
    parsed = parse_sinfo_reasons(text)
    assert [(r.at, r.nodes) for r in parsed.rows] == [
        (None, ("i8-dy-gb64-1", "i8-dy-gb64-2", "i8-dy-gb64-3", "i8-dy-gb64-5"))
    ]
    assert [s.line_no for s in parsed.skipped] == [2]


# --- hostlists --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("i8-dy-gb64-[1-3,5]", ("i8-dy-gb64-1", "i8-dy-gb64-2", "i8-dy-gb64-3", "i8-dy-gb64-5")),
        ("i192-dy-all-4", ("i192-dy-all-4",)),
        ("a-[1-2],b-7", ("a-1", "a-2", "b-7")),
        ("n[08-10]", ("n08", "n09", "n10")),
        ("r[1-2]n[1-2]", ("r1n1", "r1n2", "r2n1", "r2n2")),
        ("", ()),
        ("a-[3-1]", ("a-[3-1]",)),  # not a range: kept as written
        ("a-[1-", ("a-[1-",)),
        ("a-[x]", ("a-[x]",)),
        ("a-[1-2]]", ("a-[1-2]]",)),
        (f"n[1-{MAX_HOSTS + 1}]", (f"n[1-{MAX_HOSTS + 1}]",)),
        ("n[1-" + "9" * 5000 + "]", ("n[1-" + "9" * 5000 + "]",)),
    ],
)
def test_expand_hostlist(text: str, expected: tuple[str, ...]) -> None:
    assert expand_hostlist(text) == expected


# --- scontrol show nodes ----------------------------------------------------------------------

_OS = "Linux 6.8.0-1029-aws #31~22.04.1-Ubuntu SMP Thu Apr 24 21:16:18 UTC 2025"


def test_scontrol_nodes_of_the_idle_cluster() -> None:
    parsed = parse_scontrol_nodes(_read("scontrol_show_nodes.txt"))
    assert parsed.skipped == ()
    assert [
        (n.name, n.state, n.flags, n.partitions, n.cpus, n.memory_mb, n.free_memory_mb)
        for n in parsed.rows
    ] == [
        ("i8-dy-r6gb64-1", "IDLE", ("CLOUD", "POWERED_DOWN"), ("i8",), 8, 62259, 54627),
        ("i8-dy-r7gb64-1", "IDLE", ("CLOUD", "POWERED_DOWN"), ("i8",), 8, 62259, 53982),
        ("i128-dy-c6gb256-1", "IDLE", ("CLOUD", "POWERED_DOWN"), ("i128",), 128, 249036, None),
    ]
    first, second, third = parsed.rows
    # The Reason line follows a blank line and still belongs to the first node.
    assert (first.reason, first.reason_user, first.reason_at) == (
        "Scheduler health check failed",
        "root",
        _at("14:13:13"),
    )
    assert (first.os, first.arch, first.version, first.boot_time) == (
        _OS,
        "x86_64",
        "24.05.8",
        _at("13:37:33"),
    )
    assert second.reason == "" and second.boot_time == _at("07:29:07", day=24)
    assert third.never_booted and (third.arch, third.version, third.os) == ("", "", "")
    assert not first.never_booted
    assert first.fields["CfgTRES"] == "cpu=8,mem=62259M,billing=8"
    assert first.fields["AllocTRES"] == ""


def test_scontrol_nodes_of_the_busy_cluster() -> None:
    parsed = parse_scontrol_nodes(_read("scontrol_show_nodes_busy.txt"))
    assert parsed.skipped == ()
    assert [
        (n.name, n.state, n.flags, n.cpus_allocated, n.reason, n.reason_user, n.reason_at)
        for n in parsed.rows
    ] == [
        ("i192-dy-all-2", "MIXED", ("CLOUD",), 128, "", "", None),
        (
            "i192-dy-all-3",
            "DOWN",
            ("CLOUD", "NOT_RESPONDING"),
            0,
            "Not responding",
            "slurm",
            _at("15:01:47"),
        ),
        (
            "i192-dy-all-4",
            "MIXED",
            ("CLOUD", "DRAIN", "COMPLETING"),
            84,
            "Kill task failed",
            "slurm",
            _at("14:58:02"),
        ),
        ("i192-dy-all-5", "MIXED", ("CLOUD", "POWERING_UP"), 42, "", "", None),
        (
            "i128-dy-m6gb512-1",
            "DOWN",
            ("CLOUD", "POWERED_DOWN"),
            0,
            "(Code:InsufficientInstanceCapacity)Failure when resuming nodes",
            "root",
            _at("14:49:20"),
        ),
    ]
    assert [n.never_booted for n in parsed.rows] == [False, False, False, True, True]
    assert parsed.rows[0].fields["NodeAddr"] == "10.0.1.57"


def test_scontrol_values_run_to_the_next_key_and_reasons_to_the_end_of_the_line() -> None:
    text = (
        "garbage before any node\n"
        "NodeName=n1 Arch=x86_64 State=DOWN+DRAIN\n"
        "   OS=Linux 6.8 #1 SMP PREEMPT_DYNAMIC x=y\n"
        "   no pairs here\n"
        "   Reason=mem=low, see ticket [42] [admin@2026-01-23T10:00:00]\n"
        "NodeName=n2 State=IDLE\n"
        "   Reason=operator said so\n"
        "NodeName="
    )
    parsed = parse_scontrol_nodes(text)
    n1, n2 = parsed.rows
    assert n1.os == "Linux 6.8 #1 SMP PREEMPT_DYNAMIC x=y"
    assert (n1.reason, n1.reason_user, n1.reason_at) == (
        "mem=low, see ticket [42]",
        "admin",
        datetime(2026, 1, 23, 10, tzinfo=UTC),
    )
    assert (n2.reason, n2.reason_user, n2.reason_at, n2.flags) == ("operator said so", "", None, ())
    assert [(s.line_no, s.why) for s in parsed.skipped] == [
        (1, "before the first NodeName"),
        (4, "no Key=Value pair"),
    ]


# --- squeue -----------------------------------------------------------------------------------

_D = "/fsx/analysis_results/ubuntu/ws-giab-trio-20260123/daylily-omics-analysis"


def test_squeue_pipe_rows_keep_pending_jobs_and_pipes_in_the_comment() -> None:
    text = (
        f"1841|alignstats-NVX0042_HG004_S3_0|RUNNING|i128|64|16G|15:08|i128-dy-c6gb256-1|{_D}|"
        "da-us-west-2d-daylily-usw2d-01\n"
        f"1847|deep15_sort-NVX0042_HG004_S3_0|PENDING|i128|4|3000M|0:00||{_D}|a|b\n"
        "1848|cut|RUNNING\n"
        f"1849|x|RUNNING|i8|many|1G|0:01|n1|{_D}|\n"
    )
    parsed = parse_squeue(text)
    assert parsed.rows == (
        SlurmJob(
            job_id="1841",
            name="alignstats-NVX0042_HG004_S3_0",
            state="RUNNING",
            partition="i128",
            cpus=64,
            memory="16G",
            elapsed="15:08",
            nodes="i128-dy-c6gb256-1",
            work_dir=_D,
            comment="da-us-west-2d-daylily-usw2d-01",
        ),
        SlurmJob(
            job_id="1847",
            name="deep15_sort-NVX0042_HG004_S3_0",
            state="PENDING",
            partition="i128",
            cpus=4,
            memory="3000M",
            elapsed="0:00",
            nodes="",
            work_dir=_D,
            comment="a|b",
        ),
    )
    assert [(s.line_no, s.why) for s in parsed.skipped] == [
        (3, "expected 10 '|'-separated fields, found 3"),
        (4, "CPUS 'many' is not a whole number"),
    ]


S1, S2, S3 = "NVX0042_HG002_S1_0", "NVX0042_HG003_S2_0", "NVX0042_HG004_S3_0"
DV3 = f"deepvariant_15-{S3}"
C1, A1, A2, A4, A5 = (
    "i128-dy-c6gb256-1",
    "i192-dy-all-1",
    "i192-dy-all-2",
    "i192-dy-all-4",
    "i192-dy-all-5",
)
M1, R7 = "i192mem-dy-all-1", "i8-dy-r7gb64-1"

_TABLE = [
    ("1847", "i128", "deep15_sort_index_chunk_vcf-NVX0042_HG00", "PENDING", "0:00", ""),
    ("1841", "i128", f"alignstats-{S3}", "RUNNING", "15:08", C1),
    ("1842", "i128", f"mosdepth-{S3}", "RUNNING", "15:05", C1),
    ("1812", "i192", f"bwa_mem2_sort-{S1}", "RUNNING", "1:12:38", A1),
    ("1813", "i192", f"bwa_mem2_sort-{S2}", "RUNNING", "1:12:31", A2),
    ("1838", "i192", DV3, "RUNNING", "7:55", A4),
    ("1844", "i192", DV3, "CONFIGURIN", "1:12", A5),
    ("1837", "i192", DV3, "COMPLETING", "6:12", A4),
    ("1845", "i192,i128", DV3, "PENDING", "0:00", ""),
    ("1846", "i192,i128", DV3, "PENDING", "0:00", ""),
    ("1840", "i192mem", DV3, "RUNNING", "5:30", M1),
    ("1843", "i8", f"deep15_concat_fofn-{S3}", "RUNNING", "0:41", R7),
]


def test_squeue_table_rows() -> None:
    parsed = parse_squeue_table(_read("squeue_formatted.txt"))
    assert parsed.skipped == ()
    assert [
        (r.job_id, ",".join(r.partitions), r.name, r.state, r.elapsed, r.nodes) for r in parsed.rows
    ] == _TABLE
    assert {(r.user, r.node_count) for r in parsed.rows} == {("ubuntu", 1)}
    assert [(r.job_id, r.reason) for r in parsed.rows if r.reason] == [
        (
            "1847",
            "Nodes required for job are DOWN, DRAINED or reserved for jobs in higher "
            "priority partitions",
        ),
        ("1845", "Resources"),
        ("1846", "Priority"),
    ]
    assert parsed.rows[3].elapsed_s == 4358


_SQ = [  # JOBID PARTITION CPUS NODELIST STATE MIN_MEMORY (MB) TIME NAME
    ("1847", "i128", 4, "", "PENDING", 3000.0, "0:00", f"deep15_sort_index_chunk_vcf-{S3}"),
    ("1841", "i128", 64, C1, "RUNNING", 16384.0, "15:08", f"alignstats-{S3}"),
    ("1842", "i128", 64, C1, "RUNNING", 8192.0, "15:05", f"mosdepth-{S3}"),
    ("1812", "i192", 192, A1, "RUNNING", 360000.0, "1:12:38", f"bwa_mem2_sort-{S1}"),
    ("1813", "i192", 128, A2, "RUNNING", 360000.0, "1:12:31", f"bwa_mem2_sort-{S2}"),
    ("1838", "i192", 42, A4, "RUNNING", 61440.0, "7:55", DV3),
    ("1844", "i192", 42, A5, "CONFIGURING", 61440.0, "1:12", DV3),
    ("1837", "i192", 42, A4, "COMPLETING", 61440.0, "6:12", DV3),
    ("1845", "i192,i128,i192mem", 42, "", "PENDING", 61440.0, "0:00", DV3),
    ("1846", "i192,i128,i192mem", 42, "", "PENDING", 61440.0, "0:00", DV3),
    ("1840", "i192mem", 42, M1, "RUNNING", 61440.0, "5:30", DV3),
    ("1843", "i8", 2, R7, "RUNNING", 3000.0, "0:41", f"deep15_concat_fofn-{S3}"),
]


def test_sq_alias_rows_keep_pending_jobs() -> None:
    parsed = parse_sq_alias(_read("squeue_sq_alias.txt"))
    assert parsed.skipped == ()
    assert [
        (
            r.job_id,
            ",".join(r.partitions),
            r.cpus,
            r.nodes,
            r.state,
            r.min_memory_mb,
            r.elapsed,
            r.name,
        )
        for r in parsed.rows
    ] == _SQ
    assert {r.node_count for r in parsed.rows} == {1}


def test_sq_alias_reports_a_short_line() -> None:
    parsed = parse_sq_alias("1847  i128  4  PD\n")
    assert parsed.rows == () and parsed.skipped[0].why == "expected 11 fields, found 4"


def test_a_queue_row_from_a_pending_table_line() -> None:
    line = f"{'1845':>18} {'i192,i128':>9} {'x-y':>40} {'ubuntu':>8} {'PENDING':>10}"
    line += f" {'0:00':>10} {'1':>6} (Resources)"
    assert parse_squeue_table(line).rows == (
        QueueRow(
            job_id="1845",
            name="x-y",
            state="PENDING",
            partitions=("i192", "i128"),
            elapsed="0:00",
            node_count=1,
            reason="Resources",
            user="ubuntu",
        ),
    )  # fmt: skip


# --- sacct ------------------------------------------------------------------------------------

BM3, DM3 = f"bwa_mem2_sort-{S3}", f"doppelmark_dups-{S3}"
BIG1 = "i192bigmem-dy-all-1"
_JOB_LINES = [  # job id, name, state, by, exit code, signal, elapsed s, CPUs, nodes
    ("1790", BM3, "COMPLETED", "", 0, 0, 3891, 192, (A1,)),
    ("1796", DM3, "OUT_OF_MEMORY", "", 0, 125, 2282, 192, (M1,)),
    ("1797", DM3, "OUT_OF_MEMORY", "", 0, 125, 2503, 192, (M1,)),
    ("1799", DM3, "COMPLETED", "", 0, 0, 2497, 192, (BIG1,)),
    ("1821", DV3, "FAILED", "", 1, 0, 847, 42, (A2,)),
    ("1824", f"alignstats-{S3}", "TIMEOUT", "", 0, 0, 5418, 16, (C1,)),
    ("1838", DV3, "CANCELLED", "1000", 0, 0, 552, 42, (A4,)),
    ("1846", DV3, "CANCELLED", "1000", 0, 0, 0, 0, ()),
    ("1851", f"mosdepth-{S2}", "RUNNING", "", 0, 0, 161, 64, (C1,)),
    ("1852", f"deepvariant_15-{S2}", "PENDING", "", 0, 0, 0, 0, ()),
]
_STEP_LINES = [  # job id, step, state, exit code, signal, elapsed s, MaxRSS in KiB
    ("1790", "batch", "COMPLETED", 0, 0, 3891, 71553218),
    ("1790", "extern", "COMPLETED", 0, 0, 3891, 1044),
    ("1796", "batch", "OUT_OF_MEMORY", 0, 125, 2282, 745881092),
    ("1796", "extern", "COMPLETED", 0, 0, 2282, 1016),
    ("1797", "batch", "OUT_OF_MEMORY", 0, 125, 2503, 746001334),
    ("1797", "extern", "COMPLETED", 0, 0, 2503, 1012),
    ("1799", "batch", "COMPLETED", 0, 0, 2497, 1012640772),
    ("1799", "extern", "COMPLETED", 0, 0, 2497, 1008),
    ("1821", "batch", "FAILED", 1, 0, 847, 18236772),
    ("1821", "extern", "COMPLETED", 0, 0, 847, 988),
    ("1824", "batch", "CANCELLED", 0, 15, 5420, 9123456),
    ("1824", "extern", "COMPLETED", 0, 0, 5418, 1024),
    ("1838", "batch", "CANCELLED", 0, 15, 553, 21044332),
    ("1838", "extern", "COMPLETED", 0, 0, 552, 1020),
    ("1851", "batch", "RUNNING", 0, 0, 161, None),
    ("1851", "extern", "RUNNING", 0, 0, 161, None),
]


def _kib(mb: float | None) -> float | None:
    return None if mb is None else mb * 1024  # exact: 1024 is a power of two


def _sacct_rows() -> tuple[AccountingRow, ...]:
    parsed = parse_sacct(_read("sacct_parsable.txt"))
    assert isinstance(parsed, Parsed) and parsed.skipped == ()
    return parsed.rows


def test_sacct_job_lines() -> None:
    jobs = [r for r in _sacct_rows() if not r.step]
    assert [
        (
            r.job_id,
            r.name,
            r.state,
            r.canceled_by,
            r.exit_code,
            r.signal,
            r.elapsed_s,
            r.alloc_cpus,
            r.nodes,
        )
        for r in jobs
    ] == _JOB_LINES
    assert {r.max_rss_mb for r in jobs} == {None}  # the job line carries no MaxRSS
    assert [r.task_state for r in jobs] == [
        TaskState.COMPLETED,
        TaskState.FAILED,
        TaskState.FAILED,
        TaskState.COMPLETED,
        TaskState.FAILED,
        TaskState.FAILED,
        TaskState.CANCELED,
        TaskState.CANCELED,
        TaskState.RUNNING,
        TaskState.PENDING,
    ]


def test_sacct_step_lines_carry_max_rss_in_mb() -> None:
    steps = [r for r in _sacct_rows() if r.step]
    assert [
        (r.job_id, r.step, r.state, r.exit_code, r.signal, r.elapsed_s, _kib(r.max_rss_mb))
        for r in steps
    ] == _STEP_LINES
    assert {r.name for r in steps} == {"batch", "extern"}


def test_sacct_disabled_means_accounting_is_unavailable_not_no_jobs() -> None:
    message = _read("sacct_disabled.txt")
    expected = AccountingUnavailable(message="Slurm accounting storage is disabled", disabled=True)
    assert parse_sacct("", stderr=message, exit_code=1) == expected
    assert parse_sacct(message) == expected  # 2>&1 into stdout, even with exit status 0


def test_sacct_failing_otherwise_is_unavailable_too() -> None:
    result = parse_sacct("", stderr="sacct: error: Problem talking to the database", exit_code=1)
    assert result == AccountingUnavailable(
        message="sacct: error: Problem talking to the database", disabled=False
    )
    assert parse_sacct("", exit_code=1) == AccountingUnavailable(
        message="sacct exited with status 1", disabled=False
    )


def test_sacct_without_a_header_reads_the_columns_it_was_asked_for() -> None:
    # DOMAIN §14.3: sacct -n -P -j ... --format=JobID,JobName,State,ExitCode,Elapsed,MaxRSS,NodeList
    columns = ("JobID", "JobName", "State", "ExitCode", "Elapsed", "MaxRSS", "NodeList")
    text = "4242.batch|batch|FAILED|1:0|1-00:00:05|2048M|i8-dy-r7gb64-[1-2]\n4243|x|RUNNING\n"
    parsed = parse_sacct(text, columns=columns)
    assert isinstance(parsed, Parsed)
    assert parsed.rows == (
        AccountingRow(
            job_id="4242",
            step="batch",
            name="batch",
            state="FAILED",
            exit_code=1,
            signal=0,
            elapsed_s=86405,
            max_rss_mb=2048.0,
            nodes=("i8-dy-r7gb64-1", "i8-dy-r7gb64-2"),
        ),
    )
    assert [s.why for s in parsed.skipped] == ["expected 7 fields, found 3"]


def test_sacct_with_no_jobs_is_an_empty_result() -> None:
    assert parse_sacct("JobID|JobName|State\n") == Parsed(rows=())


# --- states, names, durations, sizes ----------------------------------------------------------


@pytest.mark.parametrize(
    ("slurm", "expected"),
    [
        ("PENDING", TaskState.PENDING),
        ("RUNNING", TaskState.RUNNING),
        ("COMPLETING", TaskState.RUNNING),
        ("CONFIGURING", TaskState.RUNNING),
        ("COMPLETED", TaskState.COMPLETED),
        ("FAILED", TaskState.FAILED),
        ("OUT_OF_MEMORY", TaskState.FAILED),
        ("TIMEOUT", TaskState.FAILED),
        ("NODE_FAIL", TaskState.FAILED),
        ("BOOT_FAIL", TaskState.FAILED),
        ("PREEMPTED", TaskState.FAILED),
        ("DEADLINE", TaskState.FAILED),
        ("CANCELLED", TaskState.CANCELED),
        ("CANCELLED by 1000", TaskState.CANCELED),
        ("CONFIGURIN", None),
        ("SUSPENDED", None),
        ("", None),
    ],
)
def test_task_state(slurm: str, expected: TaskState | None) -> None:
    assert task_state(slurm) is expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("deepvariant_15-NVX0042_HG004_S3_0", ("deepvariant_15", "NVX0042_HG004_S3_0")),
        ("bwa_mem2_sort-a-b", ("bwa_mem2_sort", "a-b")),
        ("batch", ("batch", "")),
    ],
)
def test_split_job_name(name: str, expected: tuple[str, str]) -> None:
    assert split_job_name(name) == expected


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0:00", 0),
        ("15:08", 908),
        ("1:12:38", 4358),
        ("01:04:51", 3891),
        ("1-02:03:04", 93784),
        ("00:01.250", 1),
        ("INVALID", None),
        ("UNLIMITED", None),
        ("", None),
    ],
)
def test_elapsed_seconds(text: str, seconds: int | None) -> None:
    assert elapsed_seconds(text) == seconds


@pytest.mark.parametrize(
    ("text", "unit", "mb"),
    [
        ("60G", "M", 61440.0),
        ("360000M", "M", 360000.0),
        ("3000", "M", 3000.0),
        ("1044K", "K", 1044 / 1024),
        ("0", "K", 0.0),
        ("1.5T", "M", 1.5 * 1024 * 1024),
        ("", "K", None),
        ("12X", "M", None),
    ],
)
def test_memory_mb(text: str, unit: str, mb: float | None) -> None:
    assert memory_mb(text, bare_unit=unit) == mb


# --- odd input never raises -------------------------------------------------------------------


@pytest.mark.parametrize("parse", PARSERS)
def test_empty_output_is_an_empty_result(parse: object) -> None:
    assert callable(parse)
    assert parse("") == Parsed(rows=()) and parse("\n  \n") == Parsed(rows=())


@pytest.mark.parametrize(
    "name",
    [
        "sinfo_nodes_busy.txt",
        "sinfo_list_reasons_busy.txt",
        "scontrol_show_nodes_busy.txt",
        "squeue_formatted.txt",
        "squeue_sq_alias.txt",
        "sacct_parsable.txt",
    ],
)
@pytest.mark.parametrize("parse", [*PARSERS, parse_sacct])
def test_every_parser_survives_every_fixture_cut_anywhere(parse: object, name: str) -> None:
    assert callable(parse)
    text = _read(name)
    for end in range(0, len(text), 7):
        parse(text[:end])


@given(st.text(max_size=400))
def test_no_parser_raises_on_arbitrary_text(text: str) -> None:
    for parse in (*PARSERS, parse_sacct):
        parse(text)
    expand_hostlist(text)
