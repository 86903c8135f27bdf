"""StaticClusterGateway: one configured cluster (on-premises, or a local Slurm) that Ursa
uses but never creates or deletes."""

from __future__ import annotations

from collections.abc import Mapping

from ursa.domain.errors import InvalidInput, NotFound
from ursa.domain.ports.cluster import ClusterInfo, ClusterStatus, CommandJournal
from ursa.domain.run_record import HeadNodeRef


class StaticClusterGateway:
    """Always lists its one cluster as READY (``static=True``) in its region. Runs no
    command, so nothing is reported to the journal."""

    def __init__(
        self,
        *,
        name: str,
        region: str,
        head_node: HeadNodeRef,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        self._cluster = ClusterInfo(
            name=name,
            region=region,
            status=ClusterStatus.READY,
            head_node=head_node,
            tags=dict(tags or {}),
            static=True,
        )

    def regions(self) -> tuple[str, ...]:
        return (self._cluster.region,)

    async def list_clusters(
        self, region: str, *, journal: CommandJournal | None = None
    ) -> tuple[ClusterInfo, ...]:
        return (self._cluster,) if region == self._cluster.region else ()

    async def describe(
        self, region: str, name: str, *, journal: CommandJournal | None = None
    ) -> ClusterInfo:
        if (region, name) != (self._cluster.region, self._cluster.name):
            raise NotFound(f"cluster {name!r} does not exist in {region}")
        return self._cluster

    async def create(
        self, region: str, name: str, *, journal: CommandJournal | None = None
    ) -> None:
        raise self._refusal(name)

    async def delete(
        self, region: str, name: str, *, journal: CommandJournal | None = None
    ) -> None:
        raise self._refusal(name)

    def _refusal(self, name: str) -> InvalidInput:
        return InvalidInput.single(
            "cluster",
            "STATIC_CLUSTER",
            f"a static cluster cannot be created or deleted (asked for {name!r}); configure "
            f"the cluster's name, region and head node instead (now {self._cluster.name!r} "
            f"in {self._cluster.region})",
        )
