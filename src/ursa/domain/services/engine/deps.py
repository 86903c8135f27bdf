"""What the engine needs: the core ports, the cluster-side ports, and its configuration."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from ursa.domain import runs
from ursa.domain.ports.cluster import (
    ClusterGateway,
    ClusterSnapshotStore,
    CommandLogStore,
    Exporter,
    RemoteShell,
    Stager,
)
from ursa.domain.scheduling import AdmissionLimits
from ursa.domain.services.context import Ports
from ursa.domain.shell import DEFAULT_PIPELINE_BASE

DAYOA_CLONE = ("day-clone", "-d", "{workdir}", "-t", "{version}")


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineConfig:
    """``owner`` is ``<hostname>/<pid>/<8-hex boot nonce>`` (§6.1).

    ``pipeline_command`` empty means DayOA (``day_run`` with the catalogue's targets); a
    static or test cluster names its own command. ``clone_command`` tokens may contain
    ``{workdir}``, ``{version}`` and ``{pipeline_dir}``."""

    owner: str
    lease_s: float = runs.LEASE_DURATION.total_seconds()
    heartbeat_s: float = runs.HEARTBEAT_INTERVAL.total_seconds()
    takeover_margin_s: float = runs.TAKEOVER_MARGIN.total_seconds()
    max_concurrent: int = 4
    claim_interval_s: float = 5.0
    fast_poll_s: float = 2.0
    slow_poll_s: float = 30.0
    command_timeout_s: float = 60.0
    pipeline_base: str = DEFAULT_PIPELINE_BASE
    stage_base: str = "/fsx/data/staged_sample_data/"
    clone_command: tuple[str, ...] = DAYOA_CLONE
    pipeline_command: tuple[str, ...] = ()
    pipeline_environment: tuple[tuple[str, str], ...] = ()
    cancel_interrupt_wait_s: float = 60.0
    cancel_jobs_wait_s: float = 120.0
    unreachable_grace_s: float = 600.0
    max_step_errors: int = 5
    limits: AdmissionLimits = field(default_factory=AdmissionLimits)
    snapshot_every_s: float = 1200.0

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.lease_s)

    @property
    def takeover_margin(self) -> timedelta:
        return timedelta(seconds=self.takeover_margin_s)

    @property
    def self_fence_after(self) -> timedelta:
        """§6.1: 270 s of a 300 s lease; the same share of a shorter one."""
        return timedelta(seconds=self.lease_s * 0.9)


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineDeps:
    ports: Ports
    shell: RemoteShell
    clusters: ClusterGateway
    stager: Stager
    exporter: Exporter
    command_log: CommandLogStore
    config: EngineConfig
    snapshots: ClusterSnapshotStore | None = None
    """Where the periodic node snapshot of each cluster goes (None: no snapshots)."""
