"""Slurm as Ursa reads it: the job row, the unhappy node and the cluster snapshot (pure).

Parsers live next door and never raise on odd input (a line they cannot read is reported in
``Parsed.skipped``): ``slurm_nodes`` for ``sinfo`` / ``scontrol``, ``slurm_jobs`` for
``squeue`` / ``sacct``, both on the machinery of ``slurm_text``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from ursa.domain.slurm_nodes import ReasonRow, ScontrolNode, SinfoNode, StateSuffix


@dataclass(frozen=True, slots=True, kw_only=True)
class SlurmJob:
    """One ``squeue -h -o '%i|%j|%T|%P|%C|%m|%M|%N|%Z|%k'`` row. ``nodes`` is empty while
    pending; ``work_dir`` (``%Z``) identifies the run's jobs (§2.7)."""

    job_id: str
    name: str
    state: str
    partition: str
    cpus: int
    memory: str
    elapsed: str
    nodes: str
    work_dir: str
    comment: str


@dataclass(frozen=True, slots=True, kw_only=True)
class UnhappyNode:
    """A node admins should look at. ``state`` is sinfo's compact state (``down*``);
    ``reason``, ``user`` and ``since`` come from the node's reason, if it has one.
    ``capacity`` marks an EC2 capacity shortage (the node could not be started), which is
    not a broken node."""

    name: str
    state: str
    reason: str
    user: str = ""
    since: datetime | None = None
    capacity: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ClusterSnapshot:
    """The latest reading of a cluster's nodes. ``by_state`` counts distinct nodes by
    compact base state (``idle`` includes ``idle~``). ``error`` says why the reading failed
    (then there are no nodes); ``warnings`` name output lines that could not be read."""

    cluster_name: str
    region: str
    generated_at: datetime
    node_count: int
    by_state: tuple[tuple[str, int], ...]
    unhappy: tuple[UnhappyNode, ...]
    partitions: tuple[str, ...] = ()
    error: str = ""
    warnings: tuple[str, ...] = ()


UNHAPPY_STATES = frozenset({"down", "drain", "drng", "fail", "failg", "inval"})
# ParallelCluster reason codes for a node EC2 could not start (capacity, spot, quota).
CAPACITY_CODES = ("(Code:Insufficient", "(Code:MaxSpotInstanceCount", "(Code:VcpuLimitExceeded")


def is_unhappy(node: SinfoNode) -> bool:
    """Down, draining or failing, or not responding. Powered down (``idle~``), powering up
    (``mix#``) and powering down (``idle%``) are the normal life of a dynamic node."""
    return node.state in UNHAPPY_STATES or node.suffix == StateSuffix.NOT_RESPONDING


def _unhappy(
    node: SinfoNode, details: Mapping[str, ScontrolNode], reasons: Mapping[str, ReasonRow]
) -> UnhappyNode:
    detail, cut = details.get(node.name), reasons.get(node.name)
    if detail is not None and detail.reason:
        text, user, since = detail.reason, detail.reason_user, detail.reason_at
    elif cut is not None:
        text, user, since = cut.reason, cut.user, cut.at
    else:
        text, user, since = "", "", None
    return UnhappyNode(
        name=node.name,
        state=node.compact,
        reason=text,
        user=user,
        since=since,
        capacity=text.startswith(CAPACITY_CODES),
    )


def summarize(
    cluster_name: str,
    region: str,
    generated_at: datetime,
    nodes: Sequence[SinfoNode],
    reasons: Sequence[ReasonRow],
    scontrol_records: Sequence[ScontrolNode],
    *,
    warnings: Sequence[str] = (),
) -> ClusterSnapshot:
    """Counts and unhappy nodes over distinct node names (sinfo lists a node once per
    partition). Reasons come from scontrol in full, else cut from ``sinfo -R``."""
    distinct: dict[str, SinfoNode] = {}
    for node in nodes:
        distinct.setdefault(node.name, node)
    ordered = tuple(distinct.values())
    by_reason = {name: row for row in reversed(reasons) for name in row.nodes}  # first wins
    details = {d.name: d for d in scontrol_records}
    counts = Counter(n.state for n in ordered)
    return ClusterSnapshot(
        cluster_name=cluster_name,
        region=region,
        generated_at=generated_at,
        node_count=len(ordered),
        by_state=tuple(sorted(counts.items())),
        unhappy=tuple(_unhappy(n, details, by_reason) for n in ordered if is_unhappy(n)),
        partitions=tuple(dict.fromkeys(n.partition for n in nodes)),
        warnings=tuple(warnings),
    )
