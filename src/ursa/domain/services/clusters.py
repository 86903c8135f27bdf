"""Clusters as people see them: provider admins get everything (head node, tags, the latest
node snapshot with its unhappy nodes and their reasons) and may read Slurm on demand;
customers get the name, region, status and a "ready / busy" summary of the clusters Ursa
runs work on, nothing more (DOMAIN.md §13 item 4).

The control plane (``ClusterGateway``) is the list of clusters; the snapshot store adds the
latest reading. A process without the engine has no gateway: it lists the clusters known
from snapshots and cannot run Slurm commands (``Unavailable``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from ursa.domain.cluster_choice import MANAGED_TAG
from ursa.domain.errors import Forbidden, NotFound, Unavailable
from ursa.domain.ports.cluster import (
    ClusterGateway,
    ClusterInfo,
    ClusterSnapshotStore,
    ClusterStatus,
    RemoteShell,
)
from ursa.domain.principals import Principal
from ursa.domain.run_record import HeadNodeRef
from ursa.domain.services import cluster_health
from ursa.domain.slurm import ClusterSnapshot
from ursa.domain.slurm_nodes import ScontrolNode, split_compact_state

_EMPTY: Mapping[str, str] = MappingProxyType({})
NO_ENGINE = (
    "cluster commands need the workset engine, and this process runs none "
    "(start it with URSA_ENGINE=true, or use `ursa monitor`)"
)
FREE_STATES = frozenset({"idle", "mix"})
"""Base states of a node that can take more work (``idle~`` is a dynamic node that starts
on demand)."""


class Availability(StrEnum):
    """The customer's summary of a cluster."""

    READY = "ready"  # a node is free, or can be started
    BUSY = "busy"  # every node is allocated, draining or down
    UNAVAILABLE = "unavailable"  # not ready (creating, failed, deleting) or Slurm is silent
    UNKNOWN = "unknown"  # no reading and no control plane to ask


@dataclass(frozen=True, slots=True, kw_only=True)
class ClusterAdminDetail:
    """What only provider admins see."""

    head_node: HeadNodeRef | None
    tags: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    static: bool = False
    failure: str = ""
    snapshot: ClusterSnapshot | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ClusterView:
    """One cluster; ``admin`` is None for everyone but provider admins."""

    name: str
    region: str
    status: ClusterStatus
    availability: Availability
    admin: ClusterAdminDetail | None = None


def availability(status: ClusterStatus, snapshot: ClusterSnapshot | None) -> Availability:
    """Ready when a healthy node is idle or partly used. A cluster the control plane calls
    ready but that has no snapshot yet counts as ready; without a control plane
    (``UNKNOWN``) and without a snapshot nothing is known."""
    if status not in (ClusterStatus.READY, ClusterStatus.UNKNOWN):
        return Availability.UNAVAILABLE
    if snapshot is None:
        return Availability.READY if status is ClusterStatus.READY else Availability.UNKNOWN
    if snapshot.error:
        return Availability.UNAVAILABLE
    counts = dict(snapshot.by_state)
    free = sum(counts.get(state, 0) for state in FREE_STATES)
    free -= sum(1 for u in snapshot.unhappy if split_compact_state(u.state)[0] in FREE_STATES)
    return Availability.READY if free > 0 else Availability.BUSY


def _managed(info: ClusterInfo) -> bool:
    return info.static or info.tags.get(MANAGED_TAG) == "true"


def _view(info: ClusterInfo, snapshot: ClusterSnapshot | None, principal: Principal) -> ClusterView:
    admin = (
        ClusterAdminDetail(
            head_node=info.head_node,
            tags=info.tags,
            static=info.static,
            failure=info.failure,
            snapshot=snapshot,
        )
        if principal.is_provider_admin
        else None
    )
    return ClusterView(
        name=info.name,
        region=info.region,
        status=info.status,
        availability=availability(info.status, snapshot),
        admin=admin,
    )


@dataclass(frozen=True, slots=True)
class _Known:
    """A cluster and whether the control plane listed it (else only a snapshot names it:
    the engine reads the clusters it runs on, so customers may see it)."""

    info: ClusterInfo
    listed: bool = True

    @property
    def customer_visible(self) -> bool:
        return not self.listed or _managed(self.info)


def _from_snapshot(snapshot: ClusterSnapshot) -> _Known:
    status = ClusterStatus.UNKNOWN  # the control plane was not asked, or did not answer
    info = ClusterInfo(name=snapshot.cluster_name, region=snapshot.region, status=status)
    return _Known(info, listed=False)


def _snapshot_of(
    latest: Mapping[str, ClusterSnapshot], region: str, name: str
) -> ClusterSnapshot | None:
    snapshot = latest.get(name)
    return snapshot if snapshot is not None and snapshot.region == region else None


async def _known(
    gateway: ClusterGateway | None, latest: Mapping[str, ClusterSnapshot]
) -> list[_Known]:
    """The control plane's clusters of every region; a region whose control plane does not
    answer shows the clusters its snapshots name, with status unknown."""
    if gateway is None:
        return [_from_snapshot(s) for s in latest.values()]
    found: list[_Known] = []
    for region in gateway.regions():
        try:
            found += [_Known(info) for info in await gateway.list_clusters(region)]
        except Unavailable:
            found += [_from_snapshot(s) for s in latest.values() if s.region == region]
    return found


async def list_clusters(
    engine_clusters: ClusterGateway | None,
    snapshots: ClusterSnapshotStore,
    principal: Principal,
) -> tuple[ClusterView, ...]:
    """Every cluster for provider admins; the Ursa-managed ones, redacted, for customers.
    Sorted by region, then name."""
    latest = {s.cluster_name: s for s in await snapshots.all_latest()}
    views = [
        _view(known.info, _snapshot_of(latest, known.info.region, known.info.name), principal)
        for known in await _known(engine_clusters, latest)
        if principal.is_provider_admin or known.customer_visible
    ]
    return tuple(sorted(views, key=lambda v: (v.region, v.name)))


async def latest_snapshot(
    snapshots: ClusterSnapshotStore, region: str, name: str
) -> ClusterSnapshot | None:
    try:
        snapshot = await snapshots.latest(name)
    except NotFound:
        return None
    return snapshot if snapshot.region == region else None


def _unknown(region: str, name: str) -> NotFound:
    return NotFound(f"cluster {name} does not exist in {region}")


async def describe_cluster(gateway: ClusterGateway, region: str, name: str) -> ClusterInfo:
    """``NotFound`` for a region the gateway does not serve, before any command runs."""
    if region not in gateway.regions():
        raise _unknown(region, name)
    return await gateway.describe(region, name)


async def get_cluster(
    engine_clusters: ClusterGateway | None,
    snapshots: ClusterSnapshotStore,
    principal: Principal,
    region: str,
    name: str,
) -> ClusterView:
    """One cluster, as ``list_clusters`` shows it; ``NotFound`` when unknown, and for
    customers when Ursa does not manage it. A control plane that does not answer falls back
    to the snapshot."""
    snapshot = await latest_snapshot(snapshots, region, name)
    if engine_clusters is None:
        if snapshot is None:
            raise _unknown(region, name)
        known = _from_snapshot(snapshot)
    else:
        try:
            known = _Known(await describe_cluster(engine_clusters, region, name))
        except Unavailable:
            if snapshot is None:
                raise
            known = _from_snapshot(snapshot)
    if not (principal.is_provider_admin or known.customer_visible):
        raise _unknown(region, name)
    return _view(known.info, snapshot, principal)


def _require_admin(principal: Principal, what: str) -> None:
    if not principal.is_provider_admin:
        raise Forbidden(f"{what} is for provider admins")


async def _head_node(clusters: ClusterGateway | None, region: str, name: str) -> HeadNodeRef:
    if clusters is None:
        raise Unavailable(NO_ENGINE)
    info = await describe_cluster(clusters, region, name)
    if info.head_node is None:
        raise Unavailable(f"cluster {name} has no head node yet (status {info.status.value})")
    return info.head_node


async def refresh_snapshot(
    shell: RemoteShell | None,
    clusters: ClusterGateway | None,
    snapshots: ClusterSnapshotStore,
    principal: Principal,
    region: str,
    name: str,
    now: datetime,
    *,
    timeout_s: float = 30.0,
) -> ClusterSnapshot:
    """Provider admins: read the cluster's nodes now and store the snapshot. Slurm not
    answering still gives (and stores) a snapshot, with ``error`` set."""
    _require_admin(principal, "refreshing a cluster snapshot")
    node = await _head_node(clusters, region, name)
    if shell is None:
        raise Unavailable(NO_ENGINE)
    return await cluster_health.take_snapshot(
        shell, snapshots, cluster_name=name, region=region, node=node, now=now, timeout_s=timeout_s
    )


async def node_detail(
    shell: RemoteShell | None,
    clusters: ClusterGateway | None,
    principal: Principal,
    region: str,
    name: str,
    *,
    timeout_s: float = 30.0,
) -> tuple[ScontrolNode, ...]:
    """Provider admins: every node's ``scontrol show nodes`` record, read now;
    ``Unavailable`` when the head node or Slurm does not answer."""
    _require_admin(principal, "node detail")
    node = await _head_node(clusters, region, name)
    if shell is None:
        raise Unavailable(NO_ENGINE)
    return await cluster_health.node_detail(shell, node, timeout_s=timeout_s)
