"""/api/v1/clusters: cluster health. Everyone lists clusters (customers see a redacted
"ready / busy" view); provider admins see the head node and the latest node snapshot, take
a snapshot now, read every node's ``scontrol`` record, and delete a cluster in two steps (a
plan with a confirmation token, then ``DELETE`` carrying it in ``X-Confirmation-Token``)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter

from ursa.app.api import cluster_deletion_schemas as deletion_out
from ursa.app.api import cluster_schemas as out
from ursa.app.deps import container_of
from ursa.domain.ports import Clock
from ursa.domain.ports.cluster import ClusterGateway, ClusterSnapshotStore, RemoteShell
from ursa.domain.principals import Principal
from ursa.domain.services import cluster_deletion, clusters
from ursa.domain.services.context import Ports

DEFAULT_TIMEOUT_S = 30.0
CONFIRMATION_HEADER = "X-Confirmation-Token"
_DELETION_KEY_PURPOSE = b"ursa/cluster-deletion/v1"


def deletion_key(session_secret: str) -> bytes:
    """The key that signs cluster-deletion confirmations, derived from the session secret
    (every app process shares it, and it never signs anything else)."""
    return hmac.new(session_secret.encode(), _DELETION_KEY_PURPOSE, hashlib.sha256).digest()


@dataclass(frozen=True, slots=True)
class ClusterViews:
    """What the cluster endpoints use. A dataclass, because Litestar validates an injected
    value against its annotation and a bare Protocol cannot be checked. ``clusters`` and
    ``shell`` are None when this process runs no engine."""

    clusters: ClusterGateway | None
    shell: RemoteShell | None
    snapshots: ClusterSnapshotStore
    clock: Clock
    deletion_key: bytes
    """Signs and checks deletion confirmations (``deletion_key``)."""
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
        deletion_key=deletion_key(container.settings.session_secret),
    )


ClusterViewsDep = NamedDependency[ClusterViews]
PrincipalDep = NamedDependency[Principal]
PortsDep = NamedDependency[Ports]
ConfirmationToken = Annotated[
    str | None,
    HeaderParameter(
        name=CONFIRMATION_HEADER,
        max_length=256,
        description="The confirmation_token of a delete plan of this cluster, made by you "
        "less than five minutes ago.",
    ),
]


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

    @post(
        "/{region:str}/{name:str}/delete-plan",
        operation_id="planClusterDeletion",
        status_code=200,
        summary="What deleting the cluster removes, what blocks it, and a five-minute "
        "confirmation token (provider admins; changes nothing)",
    )
    async def plan_deletion(
        self,
        ports: PortsDep,
        cluster_views: ClusterViewsDep,
        principal: PrincipalDep,
        region: FromPath[str],
        name: FromPath[str],
    ) -> deletion_out.DeletionPlanOut:
        plan = await cluster_deletion.plan_deletion(
            ports,
            cluster_views.clusters,
            cluster_views.snapshots,
            principal,
            region,
            name,
            key=cluster_views.deletion_key,
        )
        return deletion_out.plan(plan)

    @delete(
        "/{region:str}/{name:str}",
        operation_id="deleteCluster",
        status_code=202,
        summary="Delete the cluster a delete plan confirmed; refused while worksets run on "
        "it (provider admins)",
    )
    async def delete_cluster(
        self,
        ports: PortsDep,
        cluster_views: ClusterViewsDep,
        principal: PrincipalDep,
        region: FromPath[str],
        name: FromPath[str],
        confirmation_token: ConfirmationToken = None,
    ) -> deletion_out.ClusterDeletionOut:
        accepted = await cluster_deletion.delete_cluster(
            ports,
            cluster_views.clusters,
            principal,
            region,
            name,
            confirmation_token,
            key=cluster_views.deletion_key,
        )
        return deletion_out.accepted(accepted)
