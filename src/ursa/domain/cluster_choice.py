"""Which cluster a run may use (§10.3): affinity, eligibility tags, clinical pool."""

from __future__ import annotations

from collections.abc import Sequence

from ursa.domain.enums import AffinityMode, WorksetType
from ursa.domain.ports.cluster import ClusterInfo, ClusterStatus
from ursa.domain.worksets import Workset

MANAGED_TAG = "ursa:managed"
CLINICAL_TAG = "ursa:clinical"


def eligible(cluster: ClusterInfo, ws: Workset) -> bool:
    """Ready, with a head node, managed by Ursa (a static cluster is by configuration),
    and in the clinical pool exactly when the workset is clinical."""
    if cluster.status is not ClusterStatus.READY or cluster.head_node is None:
        return False
    if not cluster.static and cluster.tags.get(MANAGED_TAG) != "true":
        return False
    clinical = cluster.tags.get(CLINICAL_TAG) == "true"
    return clinical == (ws.workset_type is WorksetType.CLINICAL) or cluster.static


def choose_cluster(ws: Workset, clusters: Sequence[ClusterInfo]) -> ClusterInfo | None:
    """``binding``: only the named cluster. ``preferred``: the named one when eligible, else
    any. ``any``: the first eligible by name, so replicas agree."""
    affinity = ws.cluster_affinity
    ok = sorted((c for c in clusters if eligible(c, ws)), key=lambda c: (c.region, c.name))
    named = [c for c in ok if c.name == affinity.cluster_name]
    if affinity.mode is AffinityMode.BINDING:
        return named[0] if named else None
    if named:
        return named[0]
    return ok[0] if ok else None


def region_order(ws: Workset, regions: Sequence[str]) -> tuple[str, ...]:
    """The affinity's region first, then the workset bucket's region, then the rest."""
    first = [r for r in (ws.cluster_affinity.region, ws.bucket_region) if r and r in regions]
    return tuple(dict.fromkeys([*first, *regions]))
