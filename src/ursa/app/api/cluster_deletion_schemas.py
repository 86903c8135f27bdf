"""Bodies of the two-step cluster deletion (msgspec Structs) and their presenters."""

from __future__ import annotations

from datetime import datetime

import msgspec

from ursa.app.api.cluster_schemas import HeadNodeOut
from ursa.domain.cluster_deletion import BlockingWorkset, DeletionPlan
from ursa.domain.enums import ProgressStep, WorksetState
from ursa.domain.ports.cluster import ClusterStatus
from ursa.domain.services.cluster_deletion import DeletionAccepted


class BlockingWorksetOut(msgspec.Struct, kw_only=True):
    workset_id: str
    name: str
    customer_id: str
    state: WorksetState
    progress_step: ProgressStep | None


class DeletionPlanOut(msgspec.Struct, kw_only=True):
    """What ``DELETE /api/v1/clusters/{region}/{name}`` would remove, and the token that
    confirms it (send it back in ``X-Confirmation-Token`` before ``expires_at``)."""

    name: str
    region: str
    status: ClusterStatus
    head_node: HeadNodeOut | None
    compute_nodes: int | None
    """Nodes in the latest snapshot; null without one."""
    fsx_id: str | None
    """The FSx file system, when the control plane knows it."""
    static: bool
    """A static cluster is not Ursa's to delete: the control plane refuses it."""
    blocking_worksets: list[BlockingWorksetOut]
    """Worksets in progress on the cluster: the delete is refused while any remains."""
    clear_to_delete: bool
    """No workset blocks it and it is not already being deleted."""
    confirmation_token: str
    expires_at: datetime


class ClusterDeletionOut(msgspec.Struct, kw_only=True):
    name: str
    region: str
    status: ClusterStatus
    """``deleting``: the control plane accepted the request."""
    requested_at: datetime


def _blocking(b: BlockingWorkset) -> BlockingWorksetOut:
    return BlockingWorksetOut(
        workset_id=b.workset_id,
        name=b.name,
        customer_id=b.customer_id,
        state=b.state,
        progress_step=b.progress_step,
    )


def plan(p: DeletionPlan) -> DeletionPlanOut:
    t, head = p.target, p.target.head_node
    return DeletionPlanOut(
        name=t.name,
        region=t.region,
        status=t.status,
        head_node=None
        if head is None
        else HeadNodeOut(
            host=head.host, port=head.port, user=head.user, instance_id=head.instance_id
        ),
        compute_nodes=t.compute_nodes,
        fsx_id=t.fsx_id,
        static=t.static,
        blocking_worksets=[_blocking(b) for b in p.blocking],
        clear_to_delete=p.clear,
        confirmation_token=p.token,
        expires_at=p.expires_at,
    )


def accepted(a: DeletionAccepted) -> ClusterDeletionOut:
    return ClusterDeletionOut(
        name=a.name, region=a.region, status=a.status, requested_at=a.requested_at
    )
