"""A CommandJournal for adapter tests: keeps every reported command as a plain dict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ursa.domain.ports.cluster import CommandResult


@dataclass
class RecordingJournal:
    entries: list[dict[str, Any]] = field(default_factory=list)

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
        self.entries.append(
            {
                "label": label,
                "transport": transport,
                "argv": list(argv),
                "rendered": rendered,
                "result": result,
                "exit_code": result.exit_code,
                "cwd": cwd,
                "env_names": list(env_names),
            }
        )
