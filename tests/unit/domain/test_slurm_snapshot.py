"""The cluster snapshot: node counts, states and the unhappy nodes with their full reasons."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ursa.domain.slurm import ClusterSnapshot, UnhappyNode, is_unhappy, summarize
from ursa.domain.slurm_nodes import (
    ReasonRow,
    ScontrolNode,
    SinfoNode,
    parse_scontrol_nodes,
    parse_sinfo_nodes,
    parse_sinfo_reasons,
)

SLURM = Path(__file__).parents[2] / "fixtures" / "slurm"
AT = datetime(2026, 1, 23, 15, 5, tzinfo=UTC)
CLUSTER, REGION = "daylily-usw2d-01", "us-west-2"


def _read(name: str) -> str:
    return (SLURM / name).read_text()


def _at(hh_mm_ss: str) -> datetime:
    hours, minutes, seconds = (int(p) for p in hh_mm_ss.split(":"))
    return datetime(2026, 1, 23, hours, minutes, seconds, tzinfo=UTC)


def _node(name: str, compact: str, partition: str = "i192") -> SinfoNode:
    state, suffix = compact.rstrip("*~#%!$@^-"), compact.lstrip("abcdefghijklmnopqrstuvwxyz_")
    return SinfoNode(
        name=name,
        partition=partition,
        default_partition=False,
        state=state,
        suffix=suffix,
        cpus=192,
        memory_mb=373555,
        gres="",
    )


def _summary(
    nodes: list[SinfoNode],
    reasons: tuple[ReasonRow, ...] = (),
    details: tuple[ScontrolNode, ...] = (),
) -> ClusterSnapshot:
    return summarize(CLUSTER, REGION, AT, nodes, reasons, details)


def test_the_busy_cluster() -> None:
    snapshot = summarize(
        CLUSTER,
        REGION,
        AT,
        parse_sinfo_nodes(_read("sinfo_nodes_busy.txt")).rows,
        parse_sinfo_reasons(_read("sinfo_list_reasons_busy.txt")).rows,
        parse_scontrol_nodes(_read("scontrol_show_nodes_busy.txt")).rows,
    )
    assert snapshot == ClusterSnapshot(
        cluster_name=CLUSTER,
        region=REGION,
        generated_at=AT,
        node_count=15,
        by_state=(("alloc", 2), ("down", 2), ("drain", 1), ("drng", 1), ("idle", 5), ("mix", 4)),
        unhappy=(
            # Not in the scontrol capture: only the 20-character reason of sinfo -R.
            UnhappyNode(
                name="i128-dy-c6gb256-2",
                state="drain",
                reason="Scheduler health che",
                user="root",
                since=_at("14:13:13"),
            ),
            # A capacity shortage: listed, with the full reason, but flagged as such.
            UnhappyNode(
                name="i128-dy-m6gb512-1",
                state="down~",
                reason="(Code:InsufficientInstanceCapacity)Failure when resuming nodes",
                user="root",
                since=_at("14:49:20"),
                capacity=True,
            ),
            UnhappyNode(
                name="i192-dy-all-3",
                state="down*",
                reason="Not responding",
                user="slurm",
                since=_at("15:01:47"),
            ),
            UnhappyNode(
                name="i192-dy-all-4",
                state="drng",
                reason="Kill task failed",
                user="slurm",
                since=_at("14:58:02"),
            ),
        ),
        partitions=("i8", "i128", "i192", "i192mem", "i192bigmem"),
    )


def test_the_idle_cluster_has_nothing_unhappy_even_with_an_old_reason_on_a_node() -> None:
    snapshot = summarize(
        CLUSTER,
        REGION,
        AT,
        parse_sinfo_nodes(_read("sinfo_nodes.txt")).rows,
        (),
        parse_scontrol_nodes(_read("scontrol_show_nodes.txt")).rows,
    )
    assert (snapshot.node_count, snapshot.by_state, snapshot.unhappy) == (4, (("idle", 4),), ())
    assert snapshot.partitions == ("i8", "i128") and snapshot.error == ""


@pytest.mark.parametrize(
    ("compact", "unhappy"),
    [
        ("down~", True),
        ("down*", True),
        ("down", True),
        ("drain", True),
        ("drng", True),
        ("fail", True),
        ("failg", True),
        ("inval", True),
        ("idle*", True),  # not responding, whatever the base state
        ("mix*", True),
        ("idle~", False),  # powered down: the normal rest of a dynamic node
        ("mix#", False),  # powering up
        ("idle#", False),
        ("idle%", False),  # powering down
        ("idle", False),
        ("mix", False),
        ("alloc", False),
        ("comp", False),
    ],
)
def test_which_states_are_unhappy(compact: str, unhappy: bool) -> None:
    assert is_unhappy(_node("n1", compact)) is unhappy


def test_a_node_in_two_partitions_counts_once() -> None:
    nodes = [
        _node("i192-dy-all-1", "drain", "i192"),
        _node("i192-dy-all-1", "drain", "all"),
        _node("i192-dy-all-2", "idle~", "all"),
    ]
    snapshot = _summary(nodes)
    assert (snapshot.node_count, snapshot.by_state) == (2, (("drain", 1), ("idle", 1)))
    assert snapshot.partitions == ("i192", "all")
    assert snapshot.unhappy == (UnhappyNode(name="i192-dy-all-1", state="drain", reason=""),)


def test_the_full_scontrol_reason_beats_the_cut_sinfo_one() -> None:
    cut = ReasonRow(reason="Scheduler health che", user="root", at=_at("14:13:13"), nodes=("n1",))
    (detail,) = parse_scontrol_nodes(
        "NodeName=n1 State=IDLE+DRAIN\n"
        "   Reason=Scheduler health check failed [root@2026-01-23T14:13:13]\n"
    ).rows
    (with_detail,) = _summary([_node("n1", "drain")], (cut,), (detail,)).unhappy
    (without,) = _summary([_node("n1", "drain")], (cut,)).unhappy
    assert (with_detail.reason, without.reason) == (
        "Scheduler health check failed",
        "Scheduler health che",
    )


def test_a_cut_capacity_reason_is_still_recognised() -> None:
    cut = ReasonRow(reason="(Code:InsufficientIn", user="root", at=None, nodes=("n1",))
    (node,) = _summary([_node("n1", "down~")], (cut,)).unhappy
    assert node.capacity and node.reason == "(Code:InsufficientIn"


def test_an_empty_cluster_and_warnings() -> None:
    snapshot = summarize(CLUSTER, REGION, AT, [], [], [], warnings=["sinfo line 3: cut"])
    assert snapshot == ClusterSnapshot(
        cluster_name=CLUSTER,
        region=REGION,
        generated_at=AT,
        node_count=0,
        by_state=(),
        unhappy=(),
        warnings=("sinfo line 3: cut",),
    )
