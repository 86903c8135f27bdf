"""The admin command log (§14.1): one entry per external command the engine issued.

Entries are ordered by ``seq`` = ``<lease token:08d>.<UTC time, µs>.<counter:04d>``: a new
lease always has a larger token, and within a lease the time orders the entries, so no
writer needs to read the log to number its entries and none can collide with another."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

TAIL_LINES = 50
TAIL_BYTES = 8 * 1024  # keeps an entry far below DynamoDB's 400 KB item limit
SHOWN_ENV = frozenset({"AWS_PROFILE", "AWS_REGION"})
_SECRET = re.compile(
    r"(?i)(?P<key>(?:password|passwd|secret|token|api[_-]?key|access[_-]?key|signature|"
    r"x-amz-security-token|x-amz-signature|x-amz-credential)[\"']?\s*[=:]\s*[\"']?)"
    r"(?P<value>[^\s\"'&]+)"
)


def mask_secrets(text: str) -> str:
    """Values of secret-looking keys become ``***`` (``password=***``, ``X-Amz-Signature=***``)."""
    return _SECRET.sub(lambda m: m.group("key") + "***", text)


def tail(text: str, lines: int = TAIL_LINES, max_bytes: int = TAIL_BYTES) -> str:
    """The last ``lines`` lines (at most ``max_bytes``), with a count of what was cut."""
    parts = text.splitlines()
    kept = "\n".join(parts[-lines:])
    if len(kept.encode()) > max_bytes:
        kept = kept.encode()[-max_bytes:].decode("utf-8", "ignore")
    if len(parts) <= lines and kept == "\n".join(parts):
        return kept
    return f"... ({max(len(parts) - lines, 0)} earlier lines cut)\n" + kept


def sequence(lease_token: int, at: datetime, counter: int) -> str:
    return f"{lease_token:08d}.{at:%Y%m%dT%H%M%S%f}.{counter % 10_000:04d}"


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandLogEntry:
    workset_id: str
    seq: str
    run_id: str
    step: str
    label: str
    transport: str  # local | ssh | aws_api
    argv: tuple[str, ...]
    rendered: str
    cwd: str | None
    env_names: tuple[str, ...]
    started_at: datetime
    ended_at: datetime
    exit_code: int
    stdout_tail: str
    stderr_tail: str
    lease_token: int

    @property
    def duration_s(self) -> float:
        return (self.ended_at - self.started_at).total_seconds()

    def matches(self, *, label: str | None, text: str | None) -> bool:
        if label and self.label != label:
            return False
        if text:
            needle = text.lower()
            haystack = "\n".join((self.rendered, self.stdout_tail, self.stderr_tail)).lower()
            return needle in haystack
        return True


def to_json_line(entry: CommandLogEntry) -> str:
    return json.dumps(
        {
            "seq": entry.seq,
            "run_id": entry.run_id,
            "step": entry.step,
            "label": entry.label,
            "transport": entry.transport,
            "argv": list(entry.argv),
            "rendered": entry.rendered,
            "cwd": entry.cwd,
            "env_names": list(entry.env_names),
            "started_at": entry.started_at.isoformat(),
            "ended_at": entry.ended_at.isoformat(),
            "exit_code": entry.exit_code,
            "stdout_tail": entry.stdout_tail,
            "stderr_tail": entry.stderr_tail,
            "lease_token": entry.lease_token,
        },
        ensure_ascii=False,
        sort_keys=False,
    )


def render_log(entries: Iterable[CommandLogEntry]) -> bytes:
    """``workset_command.log``: JSON lines, rewritten whole on every flush (§4.9)."""
    return "".join(to_json_line(e) + "\n" for e in entries).encode()


def masked_argv(argv: Sequence[str]) -> tuple[str, ...]:
    return tuple(mask_secrets(a) for a in argv)
