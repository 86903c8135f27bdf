"""A ``CommandJournal`` bound to one workset, run, step and lease: adapters report each
command, the engine flushes the entries to the store and rewrites the S3 copy (§14.1)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from ursa.domain.command_log import (
    CommandLogEntry,
    mask_secrets,
    masked_argv,
    render_log,
    sequence,
    tail,
)
from ursa.domain.ports import Clock
from ursa.domain.ports.cluster import CommandLogStore, CommandResult
from ursa.domain.ports.objects import ObjectStore
from ursa.domain.worksets import Workset

COMMAND_LOG_NAME = "workset_command.log"


class StepJournal:
    def __init__(self, clock: Clock, ws: Workset, step: str, counter_start: int = 0) -> None:
        self._clock = clock
        self._workset_id = ws.workset_id
        self._run_id = ws.current_run_id or ""
        self._token = ws.lease_token
        self._step = step
        self._counter = counter_start
        self.entries: list[CommandLogEntry] = []

    @property
    def counter(self) -> int:
        return self._counter

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
    ) -> None:
        self._counter += 1
        ended = self._clock.now()
        self.entries.append(
            CommandLogEntry(
                workset_id=self._workset_id,
                seq=sequence(self._token, ended, self._counter),
                run_id=self._run_id,
                step=self._step,
                label=label,
                transport=transport,
                argv=masked_argv(argv),
                rendered=mask_secrets(rendered),
                cwd=cwd,
                env_names=tuple(env_names),
                started_at=ended - timedelta(seconds=max(result.duration_s, 0.0)),
                ended_at=ended,
                exit_code=result.exit_code,
                stdout_tail=tail(mask_secrets(result.stdout)),
                stderr_tail=tail(mask_secrets(result.stderr)),
                lease_token=self._token,
            )
        )


async def flush(
    journal: StepJournal, store: CommandLogStore, objects: ObjectStore, ws: Workset
) -> None:
    """Store the new entries, then rewrite ``workset_command.log`` from the store (§4.9)."""
    if not journal.entries:
        return
    await store.append(journal.entries)
    journal.entries.clear()
    everything = await store.for_workset(ws.workset_id, limit=100_000)
    await objects.put(
        ws.bucket,
        f"{ws.prefix}{COMMAND_LOG_NAME}",
        render_log(everything),
        content_type="application/x-ndjson",
    )
