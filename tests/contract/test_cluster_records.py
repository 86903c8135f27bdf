"""Contract of the command log and the cluster snapshot stores: memory and DynamoDB (moto
server, counting client: never a Scan) pass the same tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from aws_support import REGION, reset_moto
from store_world import TABLE
from ursa.adapters.aws.clients import AwsClients, AwsOptions
from ursa.adapters.dynamodb.calls import CallLog, CountingClient
from ursa.adapters.dynamodb.cluster_records import (
    COMMAND_PAGE,
    DynamoClusterSnapshots,
    DynamoCommandLog,
)
from ursa.adapters.dynamodb.table import ensure_table
from ursa.adapters.memory.cluster_records import InMemoryClusterSnapshots, InMemoryCommandLog
from ursa.domain.command_log import CommandLogEntry
from ursa.domain.errors import NotFound
from ursa.domain.ports.cluster import ClusterSnapshotStore, CommandLogStore
from ursa.domain.slurm import ClusterSnapshot, UnhappyNode

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 1, 23, 15, 5, tzinfo=UTC)
WS, OTHER_WS = "ws-giab-trio-20260123", "ws-other-20260123"


@dataclass
class ClusterRecords:
    commands: CommandLogStore
    snapshots: ClusterSnapshotStore
    calls: CallLog | None = None


@pytest.fixture(params=["memory", "dynamodb"])
async def records(request: pytest.FixtureRequest) -> AsyncIterator[ClusterRecords]:
    if request.param == "memory":
        yield ClusterRecords(commands=InMemoryCommandLog(), snapshots=InMemoryClusterSnapshots())
        return
    endpoint = request.getfixturevalue("moto_endpoint")
    async with AsyncExitStack() as stack:
        clients = AwsClients(AwsOptions(region=REGION, endpoint_url=endpoint), stack)
        client = await clients.client("dynamodb")
        await ensure_table(client, TABLE)
        counting = CountingClient(client)
        world = ClusterRecords(
            commands=DynamoCommandLog(counting, TABLE),
            snapshots=DynamoClusterSnapshots(counting, TABLE),
            calls=counting.log,
        )
        try:
            yield world
        finally:
            reset_moto(endpoint)
        assert world.calls is not None
        assert world.calls.ops["scan"] == 0, "a request path issued a Scan"


def _entry(
    counter: int,
    *,
    workset_id: str = WS,
    label: str = "poll_status",
    rendered: str = "bash -lc 'cat status.json'",
    stdout: str = "",
    stderr: str = "",
    token: int = 3,
) -> CommandLogEntry:
    started = NOW + timedelta(seconds=counter)
    return CommandLogEntry(
        workset_id=workset_id,
        # The stores order by seq as a string; its layout is the domain's business.
        seq=f"{token:08d}.{started:%Y%m%dT%H%M%S%f}.{counter:04d}",
        run_id=f"{workset_id}-r1",
        step="running",
        label=label,
        transport="ssh",
        argv=("bash", "-lc", rendered.removeprefix("bash -lc ")),
        rendered=rendered,
        cwd=None,
        env_names=("AWS_PROFILE",),
        started_at=started,
        ended_at=started + timedelta(milliseconds=250),
        exit_code=0,
        stdout_tail=stdout,
        stderr_tail=stderr,
        lease_token=token,
    )


# --- command log ------------------------------------------------------------------------------


async def test_entries_come_back_in_seq_order_per_workset(records: ClusterRecords) -> None:
    later_lease = _entry(1, token=4)
    entries = [_entry(2), later_lease, _entry(1), _entry(10)]
    await records.commands.append(entries)
    await records.commands.append([_entry(1, workset_id=OTHER_WS)])
    assert await records.commands.for_workset(WS) == (_entry(1), _entry(2), _entry(10), later_lease)
    assert await records.commands.for_workset(OTHER_WS) == (_entry(1, workset_id=OTHER_WS),)
    assert await records.commands.for_workset("ws-never-seen") == ()


async def test_append_is_idempotent_by_workset_and_seq(records: ClusterRecords) -> None:
    await records.commands.append([_entry(1), _entry(2)])
    await records.commands.append([_entry(1), _entry(2), _entry(3)])  # a retried flush
    await records.commands.append([_entry(2, label="cancel_jobs")])  # same seq: not rewritten
    await records.commands.append([])
    assert await records.commands.for_workset(WS) == (_entry(1), _entry(2), _entry(3))


async def test_filters_by_exact_label_and_case_insensitive_text(records: ClusterRecords) -> None:
    launch = _entry(1, label="launch_pipeline", rendered="bash -lc 'tmux new-session -d'")
    squeue = _entry(
        2, label="slurm_queue", rendered="bash -lc 'squeue -h'", stdout="1847|deep15|PENDING"
    )
    failed = _entry(3, label="poll_status", stderr="cat: status.json: No such file")
    await records.commands.append([launch, squeue, failed])
    log = records.commands
    assert await log.for_workset(WS, label="slurm_queue") == (squeue,)
    assert await log.for_workset(WS, label="slurm") == ()  # a label matches exactly
    assert await log.for_workset(WS, text="TMUX") == (launch,)
    assert await log.for_workset(WS, text="pending") == (squeue,)
    assert await log.for_workset(WS, text="no such file") == (failed,)
    assert await log.for_workset(WS, text="status.json") == (failed,)
    assert await log.for_workset(WS, label="poll_status", text="tmux") == ()
    assert await log.for_workset(WS, label="", text="") == (launch, squeue, failed)


async def test_limit_keeps_the_first_matches_across_pages(records: ClusterRecords) -> None:
    count = COMMAND_PAGE + 20
    entries = [
        _entry(i, label="slurm_queue" if i % 2 else "poll_status") for i in range(1, count + 1)
    ]
    await records.commands.append(entries)
    if records.calls is not None:
        records.calls.reset()
    everything = await records.commands.for_workset(WS)
    assert everything == tuple(entries)
    if records.calls is not None:
        assert records.calls.ops["query"] == 2  # paginated, never a Scan
    assert await records.commands.for_workset(WS, limit=3) == tuple(entries[:3])
    queued = await records.commands.for_workset(WS, label="slurm_queue", limit=55)
    assert queued == tuple(entries[0:110:2])  # the 55th match lies on the second page
    assert await records.commands.for_workset(WS, limit=0) == ()


# --- cluster snapshots ------------------------------------------------------------------------


def _snapshot(
    cluster: str = "daylily-usw2d-01", at: datetime = NOW, error: str = ""
) -> ClusterSnapshot:
    return ClusterSnapshot(
        cluster_name=cluster,
        region="us-west-2",
        generated_at=at,
        node_count=0 if error else 15,
        by_state=() if error else (("alloc", 2), ("down", 2), ("idle", 11)),
        unhappy=()
        if error
        else (
            UnhappyNode(
                name="i128-dy-m6gb512-1",
                state="down~",
                reason="(Code:InsufficientInstanceCapacity)Failure when resuming nodes",
                user="root",
                since=datetime(2026, 1, 23, 14, 49, 20, tzinfo=UTC),
                capacity=True,
            ),
            UnhappyNode(name="i192-dy-all-3", state="down*", reason="Not responding"),
        ),
        partitions=() if error else ("i8", "i128"),
        error=error,
        warnings=() if error else ("sinfo_nodes line 3 skipped: cut",),
    )


async def test_a_snapshot_round_trips(records: ClusterRecords) -> None:
    with pytest.raises(NotFound):
        await records.snapshots.latest("daylily-usw2d-01")
    await records.snapshots.put(_snapshot())
    assert await records.snapshots.latest("daylily-usw2d-01") == _snapshot()


async def test_the_latest_snapshot_replaces_the_one_before(records: ClusterRecords) -> None:
    later = NOW + timedelta(minutes=20)
    await records.snapshots.put(_snapshot())
    await records.snapshots.put(_snapshot(at=later, error="head node unreachable"))
    assert await records.snapshots.latest("daylily-usw2d-01") == _snapshot(
        at=later, error="head node unreachable"
    )
    # A slow replica's older reading never goes back in time; a repeat of the same is fine.
    await records.snapshots.put(_snapshot())
    retried = replace(_snapshot(at=later), node_count=16)
    await records.snapshots.put(retried)
    assert await records.snapshots.latest("daylily-usw2d-01") == retried


async def test_all_latest_lists_one_snapshot_per_cluster_by_name(records: ClusterRecords) -> None:
    assert await records.snapshots.all_latest() == ()
    await records.snapshots.put(_snapshot("usw2-b"))
    await records.snapshots.put(_snapshot("usw2-a"))
    await records.snapshots.put(_snapshot("usw2-b", at=NOW + timedelta(minutes=20)))
    assert await records.snapshots.all_latest() == (
        _snapshot("usw2-a"),
        _snapshot("usw2-b", at=NOW + timedelta(minutes=20)),
    )
