"""The simulated head node of ``ursa dev`` answers the cluster-health queries in Slurm's own
layouts: the real parsers read every line, and the snapshot shows its drained node."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ursa.adapters.memory.cluster_records import InMemoryClusterSnapshots
from ursa.adapters.memory.system import FixedClock
from ursa.adapters.simulated.cluster import SIM_CLUSTER, SIM_HEAD
from ursa.adapters.simulated.headnode import SIM_NODES, SimulatedHeadNode
from ursa.domain.ports.cluster import RemoteCommand
from ursa.domain.services.cluster_health import (
    LABEL,
    SCONTROL_NODES,
    SINFO_NODES,
    SINFO_REASONS,
    node_detail,
    take_snapshot,
)
from ursa.domain.slurm_nodes import (
    StateSuffix,
    parse_scontrol_nodes,
    parse_sinfo_nodes,
    parse_sinfo_reasons,
)

NOW = datetime(2026, 1, 23, 15, 5, 30, tzinfo=UTC)
REGION = "us-west-2"
NAMES = [n.name for n in SIM_NODES]


@pytest.fixture
def head() -> SimulatedHeadNode:
    return SimulatedHeadNode(clock=FixedClock(NOW))


async def _stdout(head: SimulatedHeadNode, command: RemoteCommand) -> str:
    result = await head.run(SIM_HEAD, command, timeout_s=5.0)
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.mark.anyio
async def test_sinfo_nodes_parses_without_skips(head: SimulatedHeadNode) -> None:
    text = await _stdout(head, SINFO_NODES)
    parsed = parse_sinfo_nodes(text)
    assert parsed.skipped == ()
    assert [n.name for n in parsed.rows] == NAMES
    assert {n.compact for n in parsed.rows} >= {"idle", "idle~", "mix", "alloc", "drain"}
    powered_down = [n for n in parsed.rows if n.suffix == StateSuffix.POWERED_DOWN]
    assert [n.state for n in powered_down] == ["idle"]
    assert all(n.default_partition == (n.partition == "i8") for n in parsed.rows)
    assert all(n.gres == "" and n.cpus > 0 and n.memory_mb > 0 for n in parsed.rows)
    header, *lines = text.splitlines()
    columns = ["NODELIST", "PARTITION", "STATE", "CPUS", "MEMORY", "GRES", "PARTITION"]
    assert header.split() == columns
    assert {len(line) for line in lines} == {len(header)}  # fixed-width, like sinfo -o


@pytest.mark.anyio
async def test_sinfo_reasons_cut_the_reason_like_slurm(head: SimulatedHeadNode) -> None:
    parsed = parse_sinfo_reasons(await _stdout(head, SINFO_REASONS))
    assert parsed.skipped == ()
    (row,) = parsed.rows
    drained = next(n for n in SIM_NODES if n.state == "drain")
    assert row.nodes == (drained.name,)
    assert row.reason == drained.reason[:20] != drained.reason
    assert row.user == "root"
    assert row.at == (NOW - timedelta(minutes=47)).replace(microsecond=0)


@pytest.mark.anyio
async def test_scontrol_records_match_sinfo(head: SimulatedHeadNode) -> None:
    parsed = parse_scontrol_nodes(await _stdout(head, SCONTROL_NODES))
    assert parsed.skipped == ()
    assert [n.name for n in parsed.rows] == NAMES
    by_name = {n.name: n for n in parsed.rows}
    drained = by_name["i192-dy-c7gb384-3"]
    assert (drained.state, drained.flags) == ("IDLE", ("CLOUD", "DRAIN"))
    assert (drained.reason, drained.reason_user) == ("Scheduler health check failed", "root")
    asleep = by_name["i8-dy-r6gb64-2"]
    assert asleep.never_booted and "POWERED_DOWN" in asleep.flags
    assert asleep.free_memory_mb is None and asleep.arch == ""
    busy = by_name["i192-dy-c7gb384-2"]
    assert busy.state == "ALLOCATED" and busy.cpus_allocated == busy.cpus == 192
    assert busy.boot_time is not None and busy.boot_time < NOW
    assert busy.os.startswith("Linux ") and busy.fields["CfgTRES"].startswith("cpu=192,")
    for n in parsed.rows:
        assert n.partitions == (next(s.partition for s in SIM_NODES if s.name == n.name),)


@pytest.mark.anyio
async def test_snapshot_of_the_simulated_cluster(head: SimulatedHeadNode) -> None:
    store = InMemoryClusterSnapshots()
    snapshot = await take_snapshot(
        head, store, cluster_name=SIM_CLUSTER, region=REGION, node=SIM_HEAD, now=NOW
    )
    assert snapshot.error == "" and snapshot.warnings == ()
    assert snapshot.node_count == len(SIM_NODES)
    assert dict(snapshot.by_state) == {"alloc": 1, "drain": 1, "idle": 2, "mix": 1}
    assert snapshot.partitions == ("i8", "i192")
    (unhappy,) = snapshot.unhappy
    assert (unhappy.name, unhappy.state, unhappy.reason, unhappy.user) == (
        "i192-dy-c7gb384-3",
        "drain",
        "Scheduler health check failed",
        "root",
    )
    assert not unhappy.capacity
    assert await store.latest(SIM_CLUSTER) == snapshot
    assert len(await node_detail(head, SIM_HEAD)) == len(SIM_NODES)


@pytest.mark.anyio
async def test_an_unknown_query_fails_like_a_command(head: SimulatedHeadNode) -> None:
    result = await head.run(
        SIM_HEAD, RemoteCommand(label=LABEL, script="sinfo", params={"query": "x"}), timeout_s=1
    )
    assert result.exit_code != 0 and "unknown" in result.stderr and result.stdout == ""
