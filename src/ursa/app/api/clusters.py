"""/api/v1/clusters: cluster health. Everyone lists clusters (customers see a redacted
"ready / busy" view); provider admins see the head node and the latest node snapshot, take
a snapshot now, and read every node's ``scontrol`` record."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath

from ursa.app.api import cluster_schemas as out
from ursa.app.deps import container_of
from ursa.domain.ports import Clock
from ursa.domain.ports.cluster import ClusterGateway, ClusterSnapshotStore, RemoteShell
from ursa.domain.principals import Principal
from ursa.domain.services import clusters

DEFAULT_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class ClusterViews:
    """What the cluster endpoints use. A dataclass, because Litestar validates an injected
    value against its annotation and a bare Protocol cannot be checked. ``clusters`` and
    ``shell`` are None when this process runs no engine."""

    clusters: ClusterGateway | None
    shell: RemoteShell | None
    snapshots: ClusterSnapshotStore
    clock: Clock
    timeout_s: float = DEFAULT_TIMEOUT_S


async def provide_cluster_views(state: State) -> ClusterViews:
    container = container_of(state)
    engine = container.engine
    return ClusterViews(
        clusters=engine.clusters if engine is not None else None,
        shell=engine.shell if engine is not None else None,
        snapshots=container.snapshots,
        clock=container.ports.clock,
        timeout_s=engine.config.command_timeout_s if engine is not None else DEFAULT_TIMEOUT_S,
    )


ClusterViewsDep = NamedDependency[ClusterViews]
PrincipalDep = NamedDependency[Principal]


class ClusterController(Controller):
    path = "/clusters"
    tags = ("clusters",)

    @get(
        "/",
        operation_id="listClusters",
        summary="Clusters of every region: full detail for provider admins, ready/busy for "
        "customers",
    )
    async def list_clusters(
        self, cluster_views: ClusterViewsDep, principal: PrincipalDep
    ) -> list[out.ClusterOut]:
        views = await clusters.list_clusters(
            cluster_views.clusters, cluster_views.snapshots, principal
        )
        return [out.cluster(v) for v in views]

    @get(
        "/{region:str}/{name:str}",
        operation_id="getCluster",
        summary="One cluster; provider admins also get its latest node snapshot",
    )
    async def get_cluster(
        self,
        cluster_views: ClusterViewsDep,
        principal: PrincipalDep,
        region: FromPath[str],
        name: FromPath[str],
    ) -> out.ClusterOut:
        view = await clusters.get_cluster(
            cluster_views.clusters, cluster_views.snapshots, principal, region, name
        )
        return out.cluster(view)

    @post(
        "/{region:str}/{name:str}/snapshot",
        operation_id="refreshClusterSnapshot",
        status_code=200,
        summary="Read the cluster's nodes now and store the snapshot (provider admins)",
    )
    async def refresh_snapshot(
        self,
        cluster_views: ClusterViewsDep,
        principal: PrincipalDep,
        region: FromPath[str],
        name: FromPath[str],
    ) -> out.SnapshotOut:
        snapshot = await clusters.refresh_snapshot(
            cluster_views.shell,
            cluster_views.clusters,
            cluster_views.snapshots,
            principal,
            region,
            name,
            cluster_views.clock.now(),
            timeout_s=cluster_views.timeout_s,
        )
        return out.snapshot(snapshot)

    @get(
        "/{region:str}/{name:str}/nodes",
        operation_id="listClusterNodes",
        summary="Every node's scontrol record, read now (provider admins)",
    )
    async def nodes(
        self,
        cluster_views: ClusterViewsDep,
        principal: PrincipalDep,
        region: FromPath[str],
        name: FromPath[str],
    ) -> list[out.NodeOut]:
        records = await clusters.node_detail(
            cluster_views.shell,
            cluster_views.clusters,
            principal,
            region,
            name,
            timeout_s=cluster_views.timeout_s,
        )
        return [out.node(n) for n in records]
