"""The cluster-health service on the simulated cluster: admins see everything, customers a
redacted ready/busy view; refresh and node detail are for provider admins only."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pytest

from builders import ACME_ADMIN, ACME_USER, PROVIDER
from ursa.adapters.memory.cluster_records import InMemoryClusterSnapshots
from ursa.adapters.memory.system import FixedClock
from ursa.adapters.simulated.cluster import SIM_CLUSTER, SIM_HEAD, SimulatedCluster
from ursa.adapters.simulated.headnode import SIM_NODES, SimulatedHeadNode
from ursa.domain.errors import Forbidden, NotFound, Unavailable
from ursa.domain.ports.cluster import (
    ClusterInfo,
    ClusterStatus,
    CommandJournal,
    CommandResult,
    RemoteCommand,
)
from ursa.domain.principals import Principal
from ursa.domain.run_record import HeadNodeRef
from ursa.domain.services.clusters import (
    Availability,
    availability,
    get_cluster,
    list_clusters,
    node_detail,
    refresh_snapshot,
)
from ursa.domain.slurm import ClusterSnapshot, UnhappyNode

NOW = datetime(2026, 1, 23, 15, 5, tzinfo=UTC)
REGION = "us-west-2"
CUSTOMERS = (ACME_ADMIN, ACME_USER)


@dataclass
class Sim:
    clusters: SimulatedCluster
    head: SimulatedHeadNode
    snapshots: InMemoryClusterSnapshots = field(default_factory=InMemoryClusterSnapshots)


@pytest.fixture
def sim() -> Sim:
    return Sim(SimulatedCluster(REGION), SimulatedHeadNode(clock=FixedClock(NOW)))


async def _refresh(sim: Sim, name: str = SIM_CLUSTER, region: str = REGION) -> ClusterSnapshot:
    return await refresh_snapshot(
        sim.head, sim.clusters, sim.snapshots, PROVIDER, region, name, NOW
    )


class TwoRegions:
    """A control plane with an unmanaged cluster in one region and a silent other region."""

    def __init__(self) -> None:
        self.managed = ClusterInfo(
            name="daylily-usw2d-01",
            region=REGION,
            status=ClusterStatus.CREATING,
            tags={"ursa:managed": "true"},
        )
        self.unmanaged = ClusterInfo(
            name="scratch-lab",
            region=REGION,
            status=ClusterStatus.READY,
            head_node=HeadNodeRef(host="198.51.100.7"),
        )

    def regions(self) -> tuple[str, ...]:
        return (REGION, "eu-central-1")

    async def list_clusters(
        self, region: str, *, journal: CommandJournal | None = None
    ) -> tuple[ClusterInfo, ...]:
        if region == "eu-central-1":
            raise Unavailable("pcluster list-clusters timed out")
        return (self.managed, self.unmanaged)

    async def describe(
        self, region: str, name: str, *, journal: CommandJournal | None = None
    ) -> ClusterInfo:
        if region == "eu-central-1":
            raise Unavailable("pcluster describe-cluster timed out")
        for info in (self.managed, self.unmanaged):
            if info.name == name:
                return info
        raise NotFound(f"cluster {name} does not exist in {region}")

    async def create(
        self, region: str, name: str, *, journal: CommandJournal | None = None
    ) -> None:
        raise AssertionError("read only")

    async def delete(
        self, region: str, name: str, *, journal: CommandJournal | None = None
    ) -> None:
        raise AssertionError("read only")


def _snapshot(name: str, region: str, **changes: Any) -> ClusterSnapshot:
    base = ClusterSnapshot(
        cluster_name=name,
        region=region,
        generated_at=NOW,
        node_count=2,
        by_state=(("alloc", 2),),
        unhappy=(),
    )
    return replace(base, **changes)


# --- list ---------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_admin_lists_the_cluster_with_head_node_and_snapshot(sim: Sim) -> None:
    (before,) = await list_clusters(sim.clusters, sim.snapshots, PROVIDER)
    assert before.admin is not None and before.admin.snapshot is None
    assert before.admin.head_node == SIM_HEAD
    assert (before.status, before.availability) == (ClusterStatus.READY, Availability.READY)
    taken = await _refresh(sim)
    (view,) = await list_clusters(sim.clusters, sim.snapshots, PROVIDER)
    assert (view.name, view.region) == (SIM_CLUSTER, REGION)
    assert view.admin is not None and view.admin.snapshot == taken
    assert view.admin.tags["ursa:managed"] == "true" and view.admin.static


@pytest.mark.anyio
@pytest.mark.parametrize("customer", CUSTOMERS, ids=["customer_admin", "customer_user"])
async def test_customers_see_a_redacted_ready_or_busy_view(sim: Sim, customer: Principal) -> None:
    await _refresh(sim)
    (view,) = await list_clusters(sim.clusters, sim.snapshots, customer)
    assert view.admin is None
    assert (view.name, view.region, view.status) == (SIM_CLUSTER, REGION, ClusterStatus.READY)
    assert view.availability is Availability.READY  # one idle node, and one that can start
    one = await get_cluster(sim.clusters, sim.snapshots, customer, REGION, SIM_CLUSTER)
    assert one == view


@pytest.mark.anyio
async def test_customers_do_not_see_unmanaged_clusters_and_a_silent_region_degrades() -> None:
    gateway = TwoRegions()
    snapshots = InMemoryClusterSnapshots()
    await snapshots.put(_snapshot("daylily-euc1-01", "eu-central-1"))
    admin = await list_clusters(gateway, snapshots, PROVIDER)
    assert [(v.region, v.name, v.status) for v in admin] == [
        ("eu-central-1", "daylily-euc1-01", ClusterStatus.UNKNOWN),  # from its snapshot
        (REGION, "daylily-usw2d-01", ClusterStatus.CREATING),
        (REGION, "scratch-lab", ClusterStatus.READY),
    ]
    assert [v.availability for v in admin] == [
        Availability.BUSY,
        Availability.UNAVAILABLE,
        Availability.READY,
    ]
    customer = await list_clusters(gateway, snapshots, ACME_USER)
    assert [v.name for v in customer] == ["daylily-euc1-01", "daylily-usw2d-01"]
    assert all(v.admin is None for v in customer)
    with pytest.raises(NotFound):
        await get_cluster(gateway, snapshots, ACME_USER, REGION, "scratch-lab")
    seen = await get_cluster(gateway, snapshots, PROVIDER, REGION, "scratch-lab")
    assert seen.admin is not None and seen.admin.head_node == gateway.unmanaged.head_node
    fallback = await get_cluster(gateway, snapshots, PROVIDER, "eu-central-1", "daylily-euc1-01")
    assert fallback.status is ClusterStatus.UNKNOWN and fallback.admin is not None
    with pytest.raises(Unavailable):
        await get_cluster(gateway, snapshots, PROVIDER, "eu-central-1", "daylily-euc1-02")


@pytest.mark.anyio
async def test_without_an_engine_clusters_come_from_snapshots(sim: Sim) -> None:
    assert await list_clusters(None, sim.snapshots, PROVIDER) == ()
    taken = await _refresh(sim)
    (view,) = await list_clusters(None, sim.snapshots, ACME_ADMIN)
    assert (view.name, view.status, view.availability, view.admin) == (
        SIM_CLUSTER,
        ClusterStatus.UNKNOWN,
        Availability.READY,
        None,
    )
    admin = await get_cluster(None, sim.snapshots, PROVIDER, REGION, SIM_CLUSTER)
    assert admin.admin is not None and admin.admin.snapshot == taken
    assert admin.admin.head_node is None
    with pytest.raises(NotFound):
        await get_cluster(None, sim.snapshots, PROVIDER, "eu-west-1", SIM_CLUSTER)
    for call in (
        refresh_snapshot(None, None, sim.snapshots, PROVIDER, REGION, SIM_CLUSTER, NOW),
        node_detail(None, None, PROVIDER, REGION, SIM_CLUSTER),
    ):
        with pytest.raises(Unavailable, match="engine"):
            await call


# --- refresh and node detail -----------------------------------------------------------------


@pytest.mark.anyio
async def test_admin_refresh_stores_a_snapshot_with_the_drained_node(sim: Sim) -> None:
    snapshot = await _refresh(sim)
    assert snapshot.node_count == len(SIM_NODES) > 0 and snapshot.generated_at == NOW
    assert [(u.name, u.reason) for u in snapshot.unhappy] == [
        ("i192-dy-c7gb384-3", "Scheduler health check failed")
    ]
    assert await sim.snapshots.latest(SIM_CLUSTER) == snapshot


@pytest.mark.anyio
async def test_admin_reads_every_node(sim: Sim) -> None:
    nodes = await node_detail(sim.head, sim.clusters, PROVIDER, REGION, SIM_CLUSTER)
    assert [n.name for n in nodes] == [n.name for n in SIM_NODES]
    assert sum(1 for n in nodes if n.reason) == 1


@pytest.mark.anyio
@pytest.mark.parametrize("customer", CUSTOMERS, ids=["customer_admin", "customer_user"])
async def test_customers_may_not_refresh_or_read_nodes(sim: Sim, customer: Principal) -> None:
    with pytest.raises(Forbidden):
        await refresh_snapshot(
            sim.head,
            sim.clusters,
            sim.snapshots,
            customer,
            REGION,
            SIM_CLUSTER,
            NOW,
        )
    with pytest.raises(Forbidden):
        await node_detail(sim.head, sim.clusters, customer, REGION, "no-such-cluster")
    assert await sim.snapshots.all_latest() == ()


@pytest.mark.anyio
@pytest.mark.parametrize(("region", "name"), [(REGION, "ursa-sim-99"), ("eu-west-1", SIM_CLUSTER)])
async def test_unknown_clusters_are_not_found(sim: Sim, region: str, name: str) -> None:
    with pytest.raises(NotFound):
        await _refresh(sim, name, region)
    with pytest.raises(NotFound):
        await node_detail(sim.head, sim.clusters, PROVIDER, region, name)
    with pytest.raises(NotFound):
        await get_cluster(sim.clusters, sim.snapshots, PROVIDER, region, name)


@pytest.mark.anyio
async def test_a_cluster_without_a_head_node_cannot_be_read() -> None:
    gateway = TwoRegions()
    with pytest.raises(Unavailable, match="no head node"):
        await node_detail(
            SimulatedHeadNode(clock=FixedClock(NOW)), gateway, PROVIDER, REGION, "daylily-usw2d-01"
        )


class SilentSlurm(SimulatedHeadNode):
    async def run(
        self, node: HeadNodeRef, command: RemoteCommand, *, timeout_s: float
    ) -> CommandResult:
        return CommandResult(
            exit_code=1,
            stdout="",
            stderr="slurm_load_node error: Unable to contact slurm controller",
            duration_s=0.1,
        )


@pytest.mark.anyio
async def test_silent_slurm_gives_an_error_snapshot_and_an_unavailable_cluster(
    sim: Sim,
) -> None:
    silent = SilentSlurm(clock=FixedClock(NOW))
    snapshot = await refresh_snapshot(
        silent, sim.clusters, sim.snapshots, PROVIDER, REGION, SIM_CLUSTER, NOW
    )
    assert "Unable to contact slurm controller" in snapshot.error
    (view,) = await list_clusters(sim.clusters, sim.snapshots, ACME_USER)
    assert view.availability is Availability.UNAVAILABLE
    with pytest.raises(Unavailable):
        await node_detail(silent, sim.clusters, PROVIDER, REGION, SIM_CLUSTER)


# --- the summary ---------------------------------------------------------------------------


def test_availability_counts_only_healthy_free_nodes() -> None:
    ready = ClusterStatus.READY
    assert availability(ready, _snapshot("c", REGION)) is Availability.BUSY
    idle = _snapshot("c", REGION, by_state=(("alloc", 1), ("idle", 1)))
    assert availability(ready, idle) is Availability.READY
    not_responding = _snapshot(
        "c",
        REGION,
        by_state=(("alloc", 1), ("idle", 1)),
        unhappy=(UnhappyNode(name="n", state="idle*", reason="Not responding"),),
    )
    assert availability(ready, not_responding) is Availability.BUSY
    assert availability(ClusterStatus.FAILED, idle) is Availability.UNAVAILABLE
    assert availability(ClusterStatus.UNKNOWN, None) is Availability.UNKNOWN
    assert availability(ready, None) is Availability.READY
