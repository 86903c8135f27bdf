"""Cluster health: snapshots from a scripted head node that prints the fixture outputs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ursa.adapters.memory.cluster_records import InMemoryClusterSnapshots
from ursa.domain.errors import Unavailable
from ursa.domain.ports.cluster import CommandResult, RemoteCommand, RemoteFile
from ursa.domain.run_record import HeadNodeRef
from ursa.domain.services.cluster_health import (
    LABEL,
    MAX_WARNINGS,
    node_detail,
    snapshot_due,
    take_snapshot,
)
from ursa.domain.slurm import ClusterSnapshot, UnhappyNode

SLURM = Path(__file__).parents[2] / "fixtures" / "slurm"
HEAD = HeadNodeRef(host="203.0.113.24", instance_id="i-0a1b2c3d4e5f60718")
NOW = datetime(2026, 1, 23, 15, 5, tzinfo=UTC)
CLUSTER, REGION = "daylily-usw2d-01", "us-west-2"

Answer = CommandResult | Exception


def _ok(stdout: str) -> CommandResult:
    return CommandResult(exit_code=0, stdout=stdout, stderr="", duration_s=0.2)


def _fixture(name: str) -> CommandResult:
    return _ok((SLURM / name).read_text())


BUSY: dict[str, Answer] = {
    "sinfo_nodes": _fixture("sinfo_nodes_busy.txt"),
    "sinfo_reasons": _fixture("sinfo_list_reasons_busy.txt"),
    "scontrol_nodes": _fixture("scontrol_show_nodes_busy.txt"),
}


class ScriptedHeadNode:
    """Answers each query named in ``RemoteCommand.params`` and records what ran."""

    def __init__(self, answers: dict[str, Answer]) -> None:
        self.answers = answers
        self.ran: list[tuple[HeadNodeRef, RemoteCommand, float]] = []

    async def run(
        self, node: HeadNodeRef, command: RemoteCommand, *, timeout_s: float
    ) -> CommandResult:
        self.ran.append((node, command, timeout_s))
        answer = self.answers[command.params["query"]]
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def put_file(
        self, node: HeadNodeRef, path: str, data: bytes, *, mode: int = 0o644, timeout_s: float
    ) -> None:
        raise AssertionError("cluster health only reads")

    async def read_file(
        self, node: HeadNodeRef, path: str, *, max_bytes: int, timeout_s: float
    ) -> bytes:
        raise AssertionError("cluster health runs Slurm commands only")

    async def walk(
        self, node: HeadNodeRef, root: str, *, timeout_s: float
    ) -> tuple[RemoteFile, ...]:
        raise AssertionError("cluster health runs Slurm commands only")


async def _snapshot(
    shell: ScriptedHeadNode, store: InMemoryClusterSnapshots | None = None
) -> ClusterSnapshot:
    return await take_snapshot(
        shell,
        store or InMemoryClusterSnapshots(),
        cluster_name=CLUSTER,
        region=REGION,
        node=HEAD,
        now=NOW,
        timeout_s=12.5,
    )


@pytest.mark.anyio
async def test_a_snapshot_of_the_busy_cluster_is_stored() -> None:
    shell, store = ScriptedHeadNode(BUSY), InMemoryClusterSnapshots()
    snapshot = await _snapshot(shell, store)
    assert await store.latest(CLUSTER) == snapshot
    assert (snapshot.generated_at, snapshot.node_count, snapshot.error) == (NOW, 15, "")
    assert snapshot.by_state == (
        ("alloc", 2),
        ("down", 2),
        ("drain", 1),
        ("drng", 1),
        ("idle", 5),
        ("mix", 4),
    )
    assert [(n.name, n.state, n.reason, n.capacity) for n in snapshot.unhappy] == [
        ("i128-dy-c6gb256-2", "drain", "Scheduler health che", False),
        (
            "i128-dy-m6gb512-1",
            "down~",
            "(Code:InsufficientInstanceCapacity)Failure when resuming nodes",
            True,
        ),
        ("i192-dy-all-3", "down*", "Not responding", False),
        ("i192-dy-all-4", "drng", "Kill task failed", False),
    ]
    assert snapshot.warnings == ()


@pytest.mark.anyio
async def test_the_commands_are_quoted_read_only_and_labelled() -> None:
    shell = ScriptedHeadNode(BUSY)
    await _snapshot(shell)
    assert [(node, c.label, c.script, dict(c.params), t) for node, c, t in shell.ran] == [
        (
            HEAD,
            LABEL,
            "'sinfo' '-N' '-o' '%.20N %.9P %.6t %.10c %.10m %.10G %.20R'",
            {"query": "sinfo_nodes"},
            12.5,
        ),
        (HEAD, LABEL, "'sinfo' '-R' '-o' '%20E %9u %19H %N'", {"query": "sinfo_reasons"}, 12.5),
        (HEAD, LABEL, "'scontrol' 'show' 'nodes'", {"query": "scontrol_nodes"}, 12.5),
    ]
    assert LABEL == "slurm_nodes"


@pytest.mark.anyio
async def test_an_unreachable_head_node_still_gives_a_stored_snapshot() -> None:
    shell = ScriptedHeadNode({"sinfo_nodes": Unavailable("ssh 203.0.113.24: connection refused")})
    store = InMemoryClusterSnapshots()
    snapshot = await _snapshot(shell, store)
    assert snapshot == ClusterSnapshot(
        cluster_name=CLUSTER,
        region=REGION,
        generated_at=NOW,
        node_count=0,
        by_state=(),
        unhappy=(),
        error="ssh 203.0.113.24: connection refused",
    )
    assert await store.latest(CLUSTER) == snapshot and len(shell.ran) == 1


@pytest.mark.anyio
async def test_a_silent_slurm_controller_is_an_error_with_its_last_stderr_line() -> None:
    down = CommandResult(
        exit_code=1,
        stdout="",
        stderr="sinfo: error: Unable to contact slurm controller (connect failure)\n",
        duration_s=10.0,
    )
    snapshot = await _snapshot(ScriptedHeadNode({**BUSY, "sinfo_reasons": down}))
    assert snapshot.node_count == 0 and snapshot.unhappy == ()
    assert snapshot.error == (
        "sinfo_reasons exited with status 1: "
        "sinfo: error: Unable to contact slurm controller (connect failure)"
    )
    quiet = CommandResult(exit_code=255, stdout="", stderr="", duration_s=0.1)
    failed = await _snapshot(ScriptedHeadNode({**BUSY, "scontrol_nodes": quiet}))
    assert failed.error == "scontrol_nodes exited with status 255: no output on stderr"


@pytest.mark.anyio
async def test_unreadable_lines_become_warnings_not_failures() -> None:
    sinfo = (SLURM / "sinfo_nodes.txt").read_text() + "Last login: Fri Jan 23 from 10.0.0.5\n"
    garbage = "".join(f"junk line {i}\n" for i in range(30))
    answers: dict[str, Answer] = {
        "sinfo_nodes": _ok(sinfo),
        "sinfo_reasons": _ok(garbage),
        "scontrol_nodes": _ok(""),
    }
    snapshot = await _snapshot(ScriptedHeadNode(answers))
    assert snapshot.node_count == 4 and snapshot.error == ""
    assert len(snapshot.warnings) == MAX_WARNINGS
    assert snapshot.warnings[0] == (
        "sinfo_nodes line 6 skipped: no node name in the first 20 columns"
    )
    assert snapshot.warnings[1] == (
        "sinfo_reasons line 1 skipped: no node list after the timestamp column"
    )
    assert snapshot.warnings[-1] == "... and 12 more"


@pytest.mark.anyio
async def test_node_detail_reads_every_scontrol_record() -> None:
    shell = ScriptedHeadNode(BUSY)
    nodes = await node_detail(shell, HEAD, timeout_s=5.0)
    assert [(n.name, n.reason) for n in nodes] == [
        ("i192-dy-all-2", ""),
        ("i192-dy-all-3", "Not responding"),
        ("i192-dy-all-4", "Kill task failed"),
        ("i192-dy-all-5", ""),
        ("i128-dy-m6gb512-1", "(Code:InsufficientInstanceCapacity)Failure when resuming nodes"),
    ]
    assert [(c.script, t) for _, c, t in shell.ran] == [("'scontrol' 'show' 'nodes'", 5.0)]


@pytest.mark.anyio
async def test_node_detail_reports_a_silent_controller_as_unavailable() -> None:
    failed = CommandResult(exit_code=1, stdout="", stderr="slurm_load_node error", duration_s=1)
    with pytest.raises(Unavailable, match="scontrol_nodes exited with status 1"):
        await node_detail(ScriptedHeadNode({"scontrol_nodes": failed}), HEAD)


def _taken_at(at: datetime) -> ClusterSnapshot:
    return ClusterSnapshot(
        cluster_name=CLUSTER,
        region=REGION,
        generated_at=at,
        node_count=0,
        by_state=(),
        unhappy=(UnhappyNode(name="n1", state="down*", reason=""),),
    )


@pytest.mark.parametrize(
    ("age", "every", "due"),
    [
        (timedelta(minutes=19, seconds=59), None, False),
        (timedelta(minutes=20), None, True),
        (timedelta(hours=3), None, True),
        (timedelta(minutes=5), timedelta(minutes=5), True),
        (timedelta(minutes=4), timedelta(minutes=5), False),
    ],
)
def test_snapshot_due(age: timedelta, every: timedelta | None, due: bool) -> None:
    last = _taken_at(NOW - age)
    assert (snapshot_due(last, NOW) if every is None else snapshot_due(last, NOW, every)) is due


def test_a_cluster_never_snapshotted_is_due() -> None:
    assert snapshot_due(None, NOW)
