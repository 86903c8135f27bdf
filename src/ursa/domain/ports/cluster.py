"""Cluster ports (issue: the workset engine). Declared now so the shape is fixed early."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandResult:
    exit_code: int
    stdout: str
    stderr: str
    duration_s: float


class RemoteShell(Protocol):
    """Runs one argv on a head node as ``bash -lc <quoted script>``. Host keys are pinned;
    every call has a timeout (``Unavailable`` when exceeded or unreachable). The exit code
    and stderr are preserved, never raised for a non-zero exit."""

    async def run(self, host: str, argv: Sequence[str], *, timeout_s: float) -> CommandResult: ...


class ClusterGateway(Protocol):
    """ParallelCluster-shaped cluster control. ``describe`` raises ``NotFound``."""

    async def list_clusters(self, region: str) -> tuple[dict[str, str], ...]: ...
    async def describe(self, region: str, name: str) -> dict[str, str]: ...
