"""/api/v1/clusters bodies (msgspec Structs) and the domain → Struct presenters.

Fields a customer must not see (head node, tags, snapshot, nodes, reasons) default to None
and ``omit_defaults`` leaves them out of the JSON, so a customer's body does not even name
them."""

from __future__ import annotations

from datetime import datetime

import msgspec

from ursa.domain.ports.cluster import ClusterStatus
from ursa.domain.run_record import HeadNodeRef
from ursa.domain.services.clusters import Availability, ClusterView
from ursa.domain.slurm import ClusterSnapshot, UnhappyNode
from ursa.domain.slurm_nodes import ScontrolNode


class StateCount(msgspec.Struct, kw_only=True):
    state: str
    """Compact base state as ``sinfo`` prints it: idle (includes idle~), mix, alloc, drain…"""
    count: int


class UnhappyNodeOut(msgspec.Struct, kw_only=True):
    name: str
    state: str
    reason: str
    """In full (from ``scontrol``), not cut at 20 characters like ``sinfo -R``."""
    user: str
    since: datetime | None
    capacity: bool
    """An EC2 capacity shortage (the node could not start), not a broken node."""


class SnapshotOut(msgspec.Struct, kw_only=True):
    cluster_name: str
    region: str
    generated_at: datetime
    node_count: int
    by_state: list[StateCount]
    unhappy: list[UnhappyNodeOut]
    partitions: list[str]
    error: str | None
    """Why the reading failed (then there are no nodes); None when it worked."""
    warnings: list[str]


class HeadNodeOut(msgspec.Struct, kw_only=True):
    host: str
    port: int
    user: str
    instance_id: str | None


class ClusterOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    name: str
    region: str
    status: ClusterStatus
    availability: Availability
    """The summary everyone sees: ready, busy, unavailable or unknown."""
    head_node: HeadNodeOut | None = None
    """Provider admins only, as every field below."""
    tags: dict[str, str] | None = None
    static: bool | None = None
    failure: str | None = None
    snapshot: SnapshotOut | None = None


class NodeOut(msgspec.Struct, kw_only=True):
    """One ``scontrol show nodes`` record; ``fields`` holds every key as printed."""

    name: str
    state: str
    flags: list[str]
    partitions: list[str]
    cpus: int | None
    cpus_allocated: int | None
    memory_mb: int | None
    free_memory_mb: int | None
    boot_time: datetime | None
    never_booted: bool
    arch: str
    version: str
    os: str
    reason: str
    reason_user: str
    reason_at: datetime | None
    fields: dict[str, str]


def _unhappy(u: UnhappyNode) -> UnhappyNodeOut:
    return UnhappyNodeOut(
        name=u.name,
        state=u.state,
        reason=u.reason,
        user=u.user,
        since=u.since,
        capacity=u.capacity,
    )


def snapshot(s: ClusterSnapshot) -> SnapshotOut:
    return SnapshotOut(
        cluster_name=s.cluster_name,
        region=s.region,
        generated_at=s.generated_at,
        node_count=s.node_count,
        by_state=[StateCount(state=state, count=count) for state, count in s.by_state],
        unhappy=[_unhappy(u) for u in s.unhappy],
        partitions=list(s.partitions),
        error=s.error or None,
        warnings=list(s.warnings),
    )


def _head_node(node: HeadNodeRef) -> HeadNodeOut:
    return HeadNodeOut(host=node.host, port=node.port, user=node.user, instance_id=node.instance_id)


def cluster(view: ClusterView) -> ClusterOut:
    admin = view.admin
    if admin is None:
        return ClusterOut(
            name=view.name,
            region=view.region,
            status=view.status,
            availability=view.availability,
        )
    return ClusterOut(
        name=view.name,
        region=view.region,
        status=view.status,
        availability=view.availability,
        head_node=_head_node(admin.head_node) if admin.head_node is not None else None,
        tags=dict(admin.tags),
        static=admin.static,
        failure=admin.failure or None,
        snapshot=snapshot(admin.snapshot) if admin.snapshot is not None else None,
    )


def node(n: ScontrolNode) -> NodeOut:
    return NodeOut(
        name=n.name,
        state=n.state,
        flags=list(n.flags),
        partitions=list(n.partitions),
        cpus=n.cpus,
        cpus_allocated=n.cpus_allocated,
        memory_mb=n.memory_mb,
        free_memory_mb=n.free_memory_mb,
        boot_time=n.boot_time,
        never_booted=n.never_booted,
        arch=n.arch,
        version=n.version,
        os=n.os,
        reason=n.reason,
        reason_user=n.reason_user,
        reason_at=n.reason_at,
        fields=dict(n.fields),
    )
