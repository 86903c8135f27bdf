"""The S3 sentinel protocol (§5): names, the one precedence rule, the desired set per state,
and sentinel bodies. The reconciler's decisions are in ``reconcile``. Pure: callers pass
``now`` and the facts."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from enum import StrEnum

from ursa.domain.enums import WorksetState
from ursa.domain.errors import InvalidInput
from ursa.domain.worksets import Workset

SENTINEL_PREFIX = "daylily."
WRITER_KEY = "ursa-writer"
VERSION_KEY = "ursa-version"
"""Object metadata on Ursa's writes: the writer (lease owner or ``mirror``) and the workset
``version`` the sentinel mirrors. A sentinel without ``ursa-writer`` is foreign."""
MIRROR_WRITER = "mirror"
MAX_MESSAGE_BYTES = 1024
INFO_FILE = "daylily_info.yaml"
RECOVERED_UNCERTAIN = "RECOVERED_UNCERTAIN"


class Sentinel(StrEnum):
    READY = "ready"
    LOCK = "lock"
    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"
    ERROR = "error"
    IGNORE = "ignore"

    @property
    def filename(self) -> str:
        return f"{SENTINEL_PREFIX}{self.value}"


class SentinelView(StrEnum):
    """What a folder's sentinels say, by the single precedence rule (§5.2)."""

    IGNORE = "ignore"
    COMPLETE = "complete"
    ERROR = "error"
    IN_PROGRESS = "in_progress"
    LOCK = "lock"
    READY = "ready"
    UNKNOWN = "unknown"


PRECEDENCE: tuple[Sentinel, ...] = (
    Sentinel.IGNORE,
    Sentinel.COMPLETE,
    Sentinel.ERROR,
    Sentinel.IN_PROGRESS,
    Sentinel.LOCK,
    Sentinel.READY,
)
"""ignore > complete > error > in_progress > lock > ready (> unknown): one order for the list
column, the report and the reconciler (the earlier Ursa had two)."""


def derive_from_sentinels(names: Iterable[Sentinel]) -> SentinelView:
    present = frozenset(names)
    for sentinel in PRECEDENCE:
        if sentinel in present:
            return SentinelView(sentinel.value)
    return SentinelView.UNKNOWN


_DESIRED: Mapping[WorksetState, frozenset[Sentinel]] = {
    WorksetState.AWAITING_APPROVAL: frozenset(),
    WorksetState.READY: frozenset({Sentinel.READY}),
    WorksetState.ON_HOLD: frozenset(),
    WorksetState.IN_PROGRESS: frozenset({Sentinel.LOCK, Sentinel.IN_PROGRESS}),
    WorksetState.RETRYING: frozenset({Sentinel.ERROR}),
    WorksetState.ERROR: frozenset({Sentinel.ERROR}),
    WorksetState.FAILED: frozenset({Sentinel.ERROR}),
    WorksetState.COMPLETE: frozenset({Sentinel.COMPLETE}),
    WorksetState.CANCELED: frozenset({Sentinel.IGNORE}),
    WorksetState.IGNORED: frozenset({Sentinel.IGNORE}),
    WorksetState.DELETED: frozenset({Sentinel.IGNORE}),
}


def desired_sentinels(
    state: WorksetState, pre_archive_state: WorksetState | None = None
) -> frozenset[Sentinel]:
    """The §2.3 table; ``archived`` mirrors the state it was archived from."""
    if state is WorksetState.ARCHIVED:
        if pre_archive_state is None or pre_archive_state is WorksetState.ARCHIVED:
            raise InvalidInput.single(
                "pre_archive_state", "BAD_VALUE", "an archived workset needs its prior state"
            )
        return _DESIRED[pre_archive_state]
    return _DESIRED[state]


def folder_prefix(prefix: str) -> str:
    """The folder with exactly one trailing slash (``worksets/<id>/``)."""
    return prefix.rstrip("/") + "/" if prefix.strip("/") else ""


def sentinel_key(prefix: str, name: Sentinel) -> str:
    """The exact key at the top of the folder (never searched for deeper down)."""
    return f"{folder_prefix(prefix)}{name.filename}"


def sentinel_of_key(prefix: str, key: str) -> Sentinel | None:
    """The sentinel an exact top-level key names; None for any other key."""
    folder = folder_prefix(prefix)
    if not key.startswith(folder + SENTINEL_PREFIX):
        return None
    name = key[len(folder) + len(SENTINEL_PREFIX) :]
    return next((s for s in Sentinel if s.value == name), None)


def is_foreign(metadata: Mapping[str, str]) -> bool:
    return WRITER_KEY not in {k.lower() for k in metadata}


def writer_metadata(writer: str, version: int) -> dict[str, str]:
    return {WRITER_KEY: writer, VERSION_KEY: str(version)}


def legacy_import_key(bucket: str, prefix: str, ready_etag: str) -> str:
    """The idempotency key of a legacy-intake import (§5.4): sha256(bucket, prefix, etag)."""
    return hashlib.sha256(f"{bucket}\n{prefix}\n{ready_etag}".encode()).hexdigest()


# -- bodies (§5.1) ---------------------------------------------------------------------------


def stamp(now: datetime) -> str:
    """``2026-11-23T10:15:00.123456Z``: UTC, always with microseconds."""
    if now.tzinfo is None:
        raise InvalidInput.single("now", "BAD_VALUE", "sentinel times must be timezone-aware")
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def one_line(text: str, max_bytes: int | None = None) -> str:
    """Tabs and line breaks become spaces (a body is tab-separated, one line); optionally cut
    to ``max_bytes`` of UTF-8 without splitting a character."""
    flat = text.replace("\r\n", " ").translate(str.maketrans("\t\r\n\v\f", "     "))
    if max_bytes is None:
        return flat
    return flat.encode()[:max_bytes].decode(errors="ignore")


def ready_body(now: datetime, workset_id: str, version: int) -> str:
    return f"{stamp(now)}\tursa:{one_line(workset_id)}:v{version}"


def lock_body(now: datetime, lease_owner: str, lease_token: int) -> str:
    return f"{stamp(now)}\t{one_line(lease_owner)}\t{lease_token}"


def in_progress_body(now: datetime, run_id: str) -> str:
    return f"{stamp(now)}\t{one_line(run_id)}"


def complete_body(now: datetime) -> str:
    return stamp(now)


def error_body(now: datetime, code: str, message: str, retry_at: datetime | None = None) -> str:
    body = f"{stamp(now)}\t{one_line(code)}: {one_line(message, MAX_MESSAGE_BYTES)}"
    return body if retry_at is None else f"{body}; retrying at {stamp(retry_at)}"


def ignore_body(now: datetime, reason: str, kind: str | None = None) -> str:
    """``kind`` is ``canceled`` or ``deleted`` when Ursa writes it for those states."""
    text = one_line(reason, MAX_MESSAGE_BYTES)
    return f"{stamp(now)}\t{kind}: {text}" if kind else f"{stamp(now)}\t{text}"


def sentinel_body(
    name: Sentinel, workset: Workset, now: datetime, *, ignore_reason: str | None = None
) -> str:
    """The body Ursa writes for ``name`` given the workset as DynamoDB has it."""
    state = workset.state
    if state is WorksetState.ARCHIVED and workset.pre_archive_state is not None:
        state = workset.pre_archive_state
    if name is Sentinel.READY:
        return ready_body(now, workset.workset_id, workset.version)
    if name is Sentinel.LOCK:
        return lock_body(now, workset.lease_owner or "released", workset.lease_token)
    if name is Sentinel.IN_PROGRESS:
        return in_progress_body(now, workset.current_run_id or "unknown")
    if name is Sentinel.COMPLETE:
        return complete_body(now)
    if name is Sentinel.ERROR:
        retry_at = workset.next_attempt_at if state is WorksetState.RETRYING else None
        code = workset.last_error_code or "UNKNOWN"
        return error_body(now, code, workset.last_error_message or "", retry_at)
    if state is WorksetState.CANCELED:
        by = workset.cancel_requested_by
        return ignore_body(now, ignore_reason or (f"by {by}" if by else "on request"), "canceled")
    if state is WorksetState.DELETED:
        return ignore_body(now, ignore_reason or "soft-deleted", "deleted")
    return ignore_body(now, ignore_reason or "ignored")
