"""Cluster-side ports of the workset engine: the head node's shell, the cluster control
plane, staging, export, and the stores for command logs and cluster snapshots.

Every call has a timeout. Transport failures (unreachable, timed out, refused) raise
``Unavailable``; a host key that does not match the pinned one raises ``Forbidden``. A
command's non-zero exit is data (``CommandResult.exit_code``), never an exception."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Protocol

from ursa.domain.command_log import CommandLogEntry
from ursa.domain.run_record import HeadNodeRef
from ursa.domain.slurm import ClusterSnapshot

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandResult:
    exit_code: int
    stdout: str
    stderr: str
    duration_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoteCommand:
    """One script for the head node, built by the domain from quoted argv lists
    (``ursa.domain.shell.script``) and run as ``bash -lc <script>``.

    ``params`` states what the script means (run id, pipeline dir, job ids). Real shells
    ignore it; the simulated head node of ``ursa dev`` acts on it instead of parsing bash."""

    label: str
    script: str
    params: Mapping[str, str] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoteFile:
    path: str
    size: int


class RemoteShell(Protocol):
    """Commands and files on a head node over SSH. Host keys are pinned per node (never
    disabled); a host key mismatch or a refused client key raises ``Forbidden``.
    Connections are reused per node. ``put_file`` creates missing parent directories and
    replaces the file atomically. ``read_file`` and ``walk`` raise ``NotFound`` for a
    missing path and ``InvalidInput`` for a path of the wrong kind (not a regular file, not
    a directory); ``read_file`` also raises ``InvalidInput`` above ``max_bytes``. ``walk``
    lists regular files below ``root``, recursively, absolute paths, symlinks skipped."""

    async def run(
        self, node: HeadNodeRef, command: RemoteCommand, *, timeout_s: float
    ) -> CommandResult: ...

    async def put_file(
        self, node: HeadNodeRef, path: str, data: bytes, *, mode: int = 0o644, timeout_s: float
    ) -> None: ...

    async def read_file(
        self, node: HeadNodeRef, path: str, *, max_bytes: int, timeout_s: float
    ) -> bytes: ...

    async def walk(
        self, node: HeadNodeRef, root: str, *, timeout_s: float
    ) -> tuple[RemoteFile, ...]: ...


class CommandJournal(Protocol):
    """Where adapters report each external command they ran for a workset (§14.1). The
    engine binds it to the workset, run, step and lease token and stamps the times."""

    def record(
        self,
        *,
        label: str,
        transport: str,
        argv: Sequence[str],
        rendered: str,
        result: CommandResult,
        cwd: str | None = None,
        env_names: Sequence[str] = (),
    ) -> None: ...


class ClusterStatus(StrEnum):
    READY = "ready"
    CREATING = "creating"
    FAILED = "failed"
    DELETING = "deleting"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class ClusterInfo:
    """A cluster as the control plane reports it. ``head_node`` is None until the head
    node runs. ``tags`` carry ``ursa:managed``, ``ursa:clinical`` and friends (§10.3)."""

    name: str
    region: str
    status: ClusterStatus
    head_node: HeadNodeRef | None = None
    tags: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    fsx_id: str | None = None
    static: bool = False
    failure: str = ""


class ClusterGateway(Protocol):
    """ParallelCluster-shaped control plane (or one static head node). ``describe`` raises
    ``NotFound``; ``create`` and ``delete`` return once the request is accepted. Calls made
    for a workset are reported to ``journal`` (transport ``local`` or ``aws_api``)."""

    def regions(self) -> tuple[str, ...]: ...

    async def list_clusters(
        self, region: str, *, journal: CommandJournal | None = None
    ) -> tuple[ClusterInfo, ...]: ...

    async def describe(
        self, region: str, name: str, *, journal: CommandJournal | None = None
    ) -> ClusterInfo: ...

    async def create(
        self, region: str, name: str, *, journal: CommandJournal | None = None
    ) -> None: ...

    async def delete(
        self, region: str, name: str, *, journal: CommandJournal | None = None
    ) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class StageFile:
    """One pinned input object and its file name under the run's stage dir."""

    uri: str
    version_id: str | None
    size: int
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StageRequest:
    run_id: str
    cluster: ClusterInfo
    node: HeadNodeRef
    stage_dir: str
    files: tuple[StageFile, ...]


class Stager(Protocol):
    """Copies inputs to where the cluster reads them. Idempotent: a file already present
    with the pinned size is not copied again. Returns the staged paths, in request order.
    A missing or unreadable source raises ``NotFound`` / ``Forbidden``."""

    async def stage(self, request: StageRequest, journal: CommandJournal) -> tuple[str, ...]: ...


class ExportLifecycle(StrEnum):
    PENDING = "PENDING"
    EXECUTING = "EXECUTING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportRequest:
    """Export ``<pipeline_dir>/<path>`` for each path to ``s3://<bucket>/<prefix><path>/``
    (``prefix`` is the export_uri's key, ending in ``/``; ``report_prefix`` has no trailing
    ``/``)."""

    run_id: str
    cluster: ClusterInfo
    node: HeadNodeRef
    pipeline_dir: str
    bucket: str
    prefix: str
    report_prefix: str
    paths: tuple[str, ...] = ("results", "logs")


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportStatus:
    task_id: str
    lifecycle: ExportLifecycle
    detached: bool = True
    message: str = ""
    files: int = 0
    bytes: int = 0


class Exporter(Protocol):
    """Head node results → S3. ``start`` is idempotent per run (returns the task already
    started for it); ``poll`` reports progress and is safe to call after a crash;
    ``cancel`` stops an unfinished task."""

    async def start(self, request: ExportRequest, journal: CommandJournal) -> str: ...

    async def poll(
        self, request: ExportRequest, task_id: str, journal: CommandJournal
    ) -> ExportStatus: ...

    async def cancel(
        self, request: ExportRequest, task_id: str, journal: CommandJournal
    ) -> None: ...


class CommandLogStore(Protocol):
    """The admin command log. ``append`` is idempotent by (workset_id, seq): the first write
    of a seq wins. ``for_workset`` returns at most ``limit`` entries (none for ``limit`` ≤ 0)
    in ``seq`` order, filtered by exact ``label`` and by a case-insensitive substring
    ``text`` of the rendered command or its output tails."""

    async def append(self, entries: Sequence[CommandLogEntry]) -> None: ...

    async def for_workset(
        self,
        workset_id: str,
        *,
        label: str | None = None,
        text: str | None = None,
        limit: int = 1000,
    ) -> tuple[CommandLogEntry, ...]: ...


class ClusterSnapshotStore(Protocol):
    """The latest node snapshot per cluster. ``put`` never replaces a newer snapshot;
    ``latest`` raises NotFound; ``all_latest`` is sorted by cluster name."""

    async def put(self, snapshot: ClusterSnapshot) -> None: ...
    async def latest(self, cluster_name: str) -> ClusterSnapshot: ...
    async def all_latest(self) -> tuple[ClusterSnapshot, ...]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineBeat:
    """An engine replica's heartbeat, visible to admins."""

    owner: str
    started_at: datetime
    beat_at: datetime
    running: tuple[str, ...]
    draining: bool = False
