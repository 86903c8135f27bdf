"""The simulated control plane and stager."""

from __future__ import annotations

from dataclasses import replace

from ursa.domain.errors import InvalidInput, NotFound
from ursa.domain.ports.cluster import (
    ClusterInfo,
    ClusterStatus,
    CommandJournal,
    CommandResult,
    StageRequest,
)
from ursa.domain.run_record import HeadNodeRef

SIM_CLUSTER = "ursa-sim-01"
SIM_HEAD = HeadNodeRef(host="sim-headnode.ursa.local", user="ubuntu", instance_id="i-0sim0head")


class SimulatedCluster:
    """One ready cluster, tagged as Ursa-managed, in the configured region; a provider
    admin may delete it (it then stays ``deleting``)."""

    def __init__(self, region: str) -> None:
        self._info = ClusterInfo(
            name=SIM_CLUSTER,
            region=region,
            status=ClusterStatus.READY,
            head_node=SIM_HEAD,
            tags={"ursa:managed": "true"},
            static=True,
        )

    def regions(self) -> tuple[str, ...]:
        return (self._info.region,)

    async def list_clusters(
        self, region: str, *, journal: CommandJournal | None = None
    ) -> tuple[ClusterInfo, ...]:
        self._log(journal, "describe_cluster", ["pcluster", "list-clusters", "--region", region])
        return (self._info,) if region == self._info.region else ()

    async def describe(
        self, region: str, name: str, *, journal: CommandJournal | None = None
    ) -> ClusterInfo:
        argv = ["pcluster", "describe-cluster", "--region", region, "--cluster-name", name]
        self._log(journal, "describe_cluster", argv)
        if (region, name) != (self._info.region, self._info.name):
            raise NotFound(f"cluster {name} does not exist in {region}")
        return self._info

    async def create(
        self, region: str, name: str, *, journal: CommandJournal | None = None
    ) -> None:
        raise InvalidInput.single("cluster", "BAD_VALUE", "the simulated cluster cannot be created")

    async def delete(
        self, region: str, name: str, *, journal: CommandJournal | None = None
    ) -> None:
        """As ``pcluster delete-cluster``: accepted, and the cluster is ``deleting`` from
        then on (the simulation never finishes the deletion; restart ``ursa dev``)."""
        if (region, name) != (self._info.region, self._info.name):
            raise NotFound(f"cluster {name} does not exist in {region}")
        argv = ["pcluster", "delete-cluster", "--region", region, "--cluster-name", name]
        self._log(journal, "delete_cluster", argv)
        self._info = replace(self._info, status=ClusterStatus.DELETING)

    @staticmethod
    def _log(journal: CommandJournal | None, label: str, argv: list[str]) -> None:
        if journal is not None:
            journal.record(
                label=label,
                transport="local",
                argv=argv,
                rendered=" ".join(argv),
                result=CommandResult(exit_code=0, stdout="", stderr="", duration_s=0.4),
                env_names=("AWS_PROFILE", "AWS_REGION"),
            )


class SimulatedStager:
    """Staging is instant here; the command log shows what DayEC's stager would run."""

    async def stage(self, request: StageRequest, journal: CommandJournal) -> tuple[str, ...]:
        argv = [
            "daylily-ec",
            "samples",
            "stage",
            f"runs/{request.run_id}/stage_samples.tsv",
            "--region",
            request.cluster.region,
        ]
        listing = "\n".join(f"{request.stage_dir}/{f.name}" for f in request.files)
        journal.record(
            label="stage_samples",
            transport="local",
            argv=argv,
            rendered=" ".join(argv),
            result=CommandResult(
                exit_code=0,
                stdout=(
                    f"Remote FSx stage directory: {request.stage_dir}\n"
                    f"Staged files ({len(request.files)}):\n{listing}"
                ),
                stderr="",
                duration_s=1.5,
            ),
            env_names=("AWS_PROFILE", "AWS_REGION"),
        )
        return tuple(f"{request.stage_dir}/{f.name}" for f in request.files)
