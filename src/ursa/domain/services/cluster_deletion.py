"""plan_deletion and delete_cluster: the two steps of deleting a cluster (provider admins).

The plan says what will be removed and which worksets run there, and hands out a
confirmation token (``ursa.domain.cluster_deletion``) good for five minutes. The delete
re-checks everything against the control plane: the token, the cluster still being the one
planned, no workset in progress on it. Only then is the control plane asked to delete, and
the request is audited in the provider's chain.

Not covered: a workset claimed onto the cluster between the check and the request (the
engine's teardown lock, DOMAIN.md §10.5, does not exist yet)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ursa.domain.audit import PROVIDER_TENANT, AuditAction
from ursa.domain.cluster_deletion import (
    CONFIRMATION_TTL,
    BlockingWorkset,
    DeletionPlan,
    DeletionTarget,
    blocking_worksets,
    check_deletable,
    issue_token,
    plan_digest,
    read_token,
)
from ursa.domain.errors import Forbidden, Unavailable
from ursa.domain.ports.cluster import ClusterGateway, ClusterSnapshotStore, ClusterStatus
from ursa.domain.principals import Principal
from ursa.domain.services import audit
from ursa.domain.services.clusters import NO_ENGINE, describe_cluster, latest_snapshot
from ursa.domain.services.context import Ports
from ursa.domain.tenancy import Action, require_scope

MAX_RUNNING = 1000
"""In-progress worksets read to find those on the cluster (far above any real count)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DeletionAccepted:
    name: str
    region: str
    status: ClusterStatus
    requested_at: datetime


def _require_admin(principal: Principal) -> None:
    if not principal.is_provider_admin:
        raise Forbidden("deleting a cluster is for provider admins")
    require_scope(principal, Action.ADMIN)


def _gateway(clusters: ClusterGateway | None) -> ClusterGateway:
    if clusters is None:
        raise Unavailable(NO_ENGINE)
    return clusters


async def _blocking(ports: Ports, region: str, name: str) -> tuple[BlockingWorkset, ...]:
    return blocking_worksets(await ports.worksets.leased(MAX_RUNNING), region, name)


async def plan_deletion(
    ports: Ports,
    clusters: ClusterGateway | None,
    snapshots: ClusterSnapshotStore,
    principal: Principal,
    region: str,
    name: str,
    *,
    key: bytes,
    ttl: timedelta = CONFIRMATION_TTL,
) -> DeletionPlan:
    """What deleting the cluster removes, what blocks it now, and a token confirming this
    plan for this principal until ``now + ttl``. Changes nothing."""
    _require_admin(principal)
    info = await describe_cluster(_gateway(clusters), region, name)
    snapshot = await latest_snapshot(snapshots, region, name)
    digest = plan_digest(info)
    expires_at = ports.clock.now() + ttl
    return DeletionPlan(
        target=DeletionTarget(
            name=info.name,
            region=info.region,
            status=info.status,
            head_node=info.head_node,
            compute_nodes=snapshot.node_count if snapshot and not snapshot.error else None,
            fsx_id=info.fsx_id,
            static=info.static,
        ),
        blocking=await _blocking(ports, region, name),
        digest=digest,
        token=issue_token(
            key,
            region=region,
            name=name,
            principal_id=principal.user_id,
            digest=digest,
            expires_at=expires_at,
        ),
        expires_at=expires_at,
    )


async def delete_cluster(
    ports: Ports,
    clusters: ClusterGateway | None,
    principal: Principal,
    region: str,
    name: str,
    token: str | None,
    *,
    key: bytes,
    request_id: str | None = None,
) -> DeletionAccepted:
    """Ask the control plane to delete the cluster the token confirms. Refusals, before any
    request is made: ``Forbidden`` (not a provider admin), ``InvalidInput`` (no token, or
    not one issued to this principal for this cluster), ``Conflict`` (expired, the cluster
    changed, is already being deleted, or runs worksets), ``NotFound``."""
    _require_admin(principal)
    gateway = _gateway(clusters)
    now = ports.clock.now()
    confirmed = read_token(
        token, key, region=region, name=name, principal_id=principal.user_id, now=now
    )
    info = await describe_cluster(gateway, region, name)
    check_deletable(info, confirmed, await _blocking(ports, region, name))
    await gateway.delete(region, name)
    await audit.record(
        ports,
        actor=principal,
        customer_id=PROVIDER_TENANT,
        action=AuditAction.CLUSTER_DELETE,
        target=f"cluster:{region}/{name}",
        before={"status": info.status, "plan": confirmed},
        after={"status": ClusterStatus.DELETING},
        request_id=request_id,
    )
    return DeletionAccepted(
        name=name, region=region, status=ClusterStatus.DELETING, requested_at=now
    )
