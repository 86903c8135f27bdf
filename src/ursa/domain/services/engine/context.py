"""One step's view of its run: the lease, the journal, and helpers that run a command on
the head node and record it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from ursa.domain import runs
from ursa.domain.errors import GuardFailed, InvalidInput
from ursa.domain.ports.cluster import ClusterInfo, CommandResult, ExportRequest, RemoteCommand
from ursa.domain.run_record import HeadNodeRef, Run
from ursa.domain.samples import Sample
from ursa.domain.services.engine.deps import EngineDeps
from ursa.domain.services.engine.journal import StepJournal
from ursa.domain.services.engine.lease import LeaseHandle
from ursa.domain.shell import rendered_remote
from ursa.domain.worksets import Workset


@dataclass(slots=True, kw_only=True)
class RunContext:
    deps: EngineDeps
    handle: LeaseHandle
    journal: StepJournal

    @property
    def ws(self) -> Workset:
        return self.handle.ws

    @property
    def run(self) -> Run:
        if self.ws.run is None:
            raise GuardFailed(f"{self.ws.workset_id} is in progress without a run record")
        return self.ws.run

    @property
    def node(self) -> HeadNodeRef:
        if self.run.head_node is None:
            raise GuardFailed(f"run {self.run.run_id} has no head node yet")
        return self.run.head_node

    def now(self) -> datetime:
        return self.deps.ports.clock.now()

    async def save_run(self, **changes: Any) -> Run:
        """Record facts about the run (fenced; re-applied on a concurrent cancel request)."""
        await self.handle.apply(
            lambda ws: runs.update_run(
                ws, token=self.handle.token, run=replace(run_of(ws), **changes), now=self.now()
            )
        )
        return self.run

    async def update_run(self, change: Callable[[Run], Run]) -> Run:
        await self.handle.apply(
            lambda ws: runs.update_run(
                ws, token=self.handle.token, run=change(run_of(ws)), now=self.now()
            )
        )
        return self.run

    async def remote(
        self, command: RemoteCommand, *, timeout_s: float | None = None
    ) -> CommandResult:
        self.handle.ensure_live()
        result = await self.deps.shell.run(
            self.node, command, timeout_s=timeout_s or self.deps.config.command_timeout_s
        )
        self.journal.record(
            label=command.label,
            transport="ssh",
            argv=("bash", "-lc", command.script),
            rendered=_ssh_form(self.node, command.script),
            result=result,
        )
        return result

    async def put_remote(self, label: str, path: str, data: bytes, *, mode: int = 0o644) -> None:
        self.handle.ensure_live()
        started = time.monotonic()
        await self.deps.shell.put_file(
            self.node, path, data, mode=mode, timeout_s=self.deps.config.command_timeout_s
        )
        self.journal.record(
            label=label,
            transport="ssh",
            argv=("sftp", "put", path),
            rendered=f"sftp {self.node.user}@{self.node.host}:{path}  # {len(data)} bytes",
            result=CommandResult(
                exit_code=0, stdout="", stderr="", duration_s=time.monotonic() - started
            ),
        )

    async def cluster(self) -> ClusterInfo:
        run = self.run
        if run.cluster_name is None or run.region is None:
            raise GuardFailed(f"run {run.run_id} has no cluster yet")
        return await self.deps.clusters.describe(run.region, run.cluster_name, journal=self.journal)

    async def export_request(self) -> ExportRequest:
        """``<pipeline_dir>/{results,logs}`` → the workset's ``results/`` prefix (§4.9)."""
        ws, run = self.ws, self.run
        if run.pipeline_dir is None:
            raise InvalidInput.single("run", "BAD_VALUE", f"run {run.run_id} has no pipeline dir")
        return ExportRequest(
            run_id=run.run_id,
            cluster=await self.cluster(),
            node=self.node,
            pipeline_dir=run.pipeline_dir,
            bucket=ws.bucket,
            prefix=f"{ws.prefix}results/",
            report_prefix=f"{ws.prefix}runs/{run.run_id}/export-report",
        )

    async def samples(self) -> tuple[Sample, ...]:
        return await self.deps.ports.worksets.samples(self.ws.workset_id)

    async def save_samples(self, samples: tuple[Sample, ...]) -> None:
        self.handle.ensure_live()
        await self.deps.ports.worksets.save_samples(self.ws.workset_id, samples)


def run_of(ws: Workset) -> Run:
    """The run of a workset held in progress (a holder write always has one)."""
    if ws.run is None:
        raise GuardFailed(f"{ws.workset_id} has no run record")
    return ws.run


def _ssh_form(node: HeadNodeRef, script: str) -> str:
    """The pasteable shape of what asyncssh does (§14.3), host key checking on."""
    port = f" -p {node.port}" if node.port != 22 else ""
    return (
        f"ssh{port} -o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=10 "
        f"{node.user}@{node.host} -- {rendered_remote(script)}"
    )
