"""Cluster health for admins: the latest node snapshot of each cluster (taken every 20
minutes by the engine, or on demand) and the full ``scontrol`` record of every node.

fetch (three read-only Slurm commands on the head node) → parse and summarize
(``ursa.domain.slurm``) → store. A head node or Slurm controller that does not answer still
gives a snapshot, with ``error`` set, so the admin view shows when reading last failed."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import MappingProxyType

from ursa.domain.errors import Unavailable
from ursa.domain.ports.cluster import ClusterSnapshotStore, RemoteCommand, RemoteShell
from ursa.domain.run_record import HeadNodeRef
from ursa.domain.shell import script
from ursa.domain.slurm import ClusterSnapshot, summarize
from ursa.domain.slurm_nodes import (
    SINFO_NODES_FORMAT,
    SINFO_REASONS_FORMAT,
    ScontrolNode,
    parse_scontrol_nodes,
    parse_sinfo_nodes,
    parse_sinfo_reasons,
)
from ursa.domain.slurm_text import Skipped

SNAPSHOT_EVERY = timedelta(minutes=20)
LABEL = "slurm_nodes"  # the command-log label (§14.1)
MAX_WARNINGS = 20  # a snapshot stays small however garbled the output
_STDERR_SHOWN = 300


def _command(query: str, argv: list[str]) -> RemoteCommand:
    # ``params`` names the query, so the simulated head node need not parse the script.
    return RemoteCommand(
        label=LABEL, script=script(argv), params=MappingProxyType({"query": query})
    )


SINFO_NODES = _command("sinfo_nodes", ["sinfo", "-N", "-o", SINFO_NODES_FORMAT])
# The default -R format, spelled out: a SINFO_FORMAT in the login environment would change it.
SINFO_REASONS = _command("sinfo_reasons", ["sinfo", "-R", "-o", SINFO_REASONS_FORMAT])
SCONTROL_NODES = _command("scontrol_nodes", ["scontrol", "show", "nodes"])


async def _stdout(
    shell: RemoteShell, node: HeadNodeRef, command: RemoteCommand, timeout_s: float
) -> str:
    """A non-zero exit means Slurm did not answer (controller down): Unavailable."""
    result = await shell.run(node, command, timeout_s=timeout_s)
    if result.exit_code != 0:
        said = result.stderr.strip().splitlines()[-1:] or ["no output on stderr"]
        raise Unavailable(
            f"{command.params['query']} exited with status {result.exit_code}: "
            f"{said[0][:_STDERR_SHOWN]}"
        )
    return result.stdout


def _warnings(**skipped: tuple[Skipped, ...]) -> tuple[str, ...]:
    lines = [
        f"{source} line {s.line_no} skipped: {s.why}"
        for source, lines_of_source in skipped.items()
        for s in lines_of_source
    ]
    if len(lines) > MAX_WARNINGS:
        lines[MAX_WARNINGS - 1 :] = [f"... and {len(lines) - MAX_WARNINGS + 1} more"]
    return tuple(lines)


async def _read_cluster(
    shell: RemoteShell,
    node: HeadNodeRef,
    *,
    cluster_name: str,
    region: str,
    now: datetime,
    timeout_s: float,
) -> ClusterSnapshot:
    nodes = parse_sinfo_nodes(await _stdout(shell, node, SINFO_NODES, timeout_s))
    reasons = parse_sinfo_reasons(await _stdout(shell, node, SINFO_REASONS, timeout_s))
    details = parse_scontrol_nodes(await _stdout(shell, node, SCONTROL_NODES, timeout_s))
    return summarize(
        cluster_name,
        region,
        now,
        nodes.rows,
        reasons.rows,
        details.rows,
        warnings=_warnings(
            sinfo_nodes=nodes.skipped,
            sinfo_reasons=reasons.skipped,
            scontrol_nodes=details.skipped,
        ),
    )


async def take_snapshot(
    shell: RemoteShell,
    store: ClusterSnapshotStore,
    *,
    cluster_name: str,
    region: str,
    node: HeadNodeRef,
    now: datetime,
    timeout_s: float = 30.0,
) -> ClusterSnapshot:
    """Read, summarize and store the cluster's nodes; ``timeout_s`` bounds each command."""
    try:
        snapshot = await _read_cluster(
            shell, node, cluster_name=cluster_name, region=region, now=now, timeout_s=timeout_s
        )
    except Unavailable as exc:
        snapshot = ClusterSnapshot(
            cluster_name=cluster_name,
            region=region,
            generated_at=now,
            node_count=0,
            by_state=(),
            unhappy=(),
            error=exc.message,
        )
    await store.put(snapshot)
    return snapshot


async def node_detail(
    shell: RemoteShell, node: HeadNodeRef, *, timeout_s: float = 30.0
) -> tuple[ScontrolNode, ...]:
    """Every node's full ``scontrol`` record, on demand; Unavailable when Slurm is silent."""
    return parse_scontrol_nodes(await _stdout(shell, node, SCONTROL_NODES, timeout_s)).rows


def snapshot_due(
    last: ClusterSnapshot | None, now: datetime, every: timedelta = SNAPSHOT_EVERY
) -> bool:
    """A failed snapshot counts too: an unreachable head node is retried at the same pace."""
    return last is None or now - last.generated_at >= every
