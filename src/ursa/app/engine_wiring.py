"""Builds the engine's cluster-side adapters from ``EngineSettings`` and the container."""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path

from ursa.app.engine_settings import EngineSettings
from ursa.domain.ports import Clock, ObjectStore
from ursa.domain.ports.cluster import (
    ClusterGateway,
    ClusterSnapshotStore,
    CommandLogStore,
    Exporter,
    RemoteShell,
    Stager,
)
from ursa.domain.run_record import HeadNodeRef
from ursa.domain.services.context import Ports
from ursa.domain.services.engine.deps import DAYOA_CLONE, EngineConfig, EngineDeps


def lease_owner() -> str:
    """``<hostname>/<pid>/<8-hex boot nonce>`` (§6.1)."""
    return f"{socket.gethostname()}/{os.getpid()}/{secrets.token_hex(4)}"


def engine_config(settings: EngineSettings, *, owner: str | None = None) -> EngineConfig:
    return EngineConfig(
        owner=owner or lease_owner(),
        lease_s=settings.lease_s,
        heartbeat_s=settings.heartbeat_s,
        takeover_margin_s=settings.takeover_margin_s,
        max_concurrent=settings.max_concurrent,
        claim_interval_s=settings.claim_interval_s,
        fast_poll_s=settings.fast_poll_s,
        slow_poll_s=settings.poll_s,
        command_timeout_s=settings.command_timeout_s,
        pipeline_base=settings.pipeline_base,
        stage_base=settings.stage_base,
        clone_command=settings.clone_command or DAYOA_CLONE,
        pipeline_command=settings.pipeline_command,
        pipeline_environment=settings.pipeline_environment,
    )


def ssh_shell(settings: EngineSettings) -> RemoteShell:
    from ursa.adapters.ssh import AsyncsshShell

    assert settings.ssh_key_path and settings.ssh_known_hosts_path  # checked by the settings
    return AsyncsshShell(
        client_keys=settings.ssh_key_path,
        known_hosts=Path(settings.ssh_known_hosts_path).read_text(),
        connect_timeout_s=min(settings.command_timeout_s, 15.0),
    )


def cluster_side(
    settings: EngineSettings, objects: ObjectStore, clock: Clock, region: str
) -> tuple[RemoteShell, ClusterGateway, Stager, Exporter]:
    """The head-node shell, control plane, stager and exporter of the configured mode."""
    if settings.cluster_mode == "simulated":
        from ursa.adapters.memory.system import SystemClock
        from ursa.adapters.simulated import (
            SimulatedCluster,
            SimulatedExporter,
            SimulatedHeadNode,
            SimulatedStager,
        )

        head = SimulatedHeadNode(
            clock=SystemClock(), failing=frozenset(settings.simulated_failing_samples)
        )
        return head, SimulatedCluster(region), SimulatedStager(), SimulatedExporter(head, objects)
    from ursa.adapters.direct import DirectExporter, DirectStager

    shell = ssh_shell(settings)
    stager = DirectStager(
        shell, objects, max_file_bytes=settings.max_transfer_bytes, timeout_s=600.0
    )
    if settings.cluster_mode == "static":
        from ursa.adapters.pcluster.static import StaticClusterGateway

        assert settings.head_host is not None
        gateway: ClusterGateway = StaticClusterGateway(
            name=settings.cluster_name,
            region=region,
            head_node=HeadNodeRef(
                host=settings.head_host, port=settings.head_port, user=settings.head_user
            ),
            tags={"ursa:managed": "true"},
        )
        exporter: Exporter = DirectExporter(
            shell, objects, max_file_bytes=settings.max_transfer_bytes, timeout_s=600.0
        )
        return shell, gateway, stager, exporter
    raise NotImplementedError("pcluster mode is wired by build_aws (it needs the AWS clients)")


def engine_deps(
    ports: Ports,
    command_log: CommandLogStore,
    settings: EngineSettings,
    region: str,
    *,
    snapshots: ClusterSnapshotStore | None = None,
    owner: str | None = None,
) -> EngineDeps:
    shell, clusters, stager, exporter = cluster_side(settings, ports.objects, ports.clock, region)
    return EngineDeps(
        ports=ports,
        shell=shell,
        clusters=clusters,
        stager=stager,
        exporter=exporter,
        command_log=command_log,
        config=engine_config(settings, owner=owner),
        snapshots=snapshots,
    )
