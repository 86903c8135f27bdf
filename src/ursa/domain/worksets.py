"""The workset aggregate (§2.1): fields, value objects, history and invariants.

Commands live in ``transitions.py``; this module only describes the data and checks it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType

from ursa.domain.enums import (
    AffinityMode,
    Origin,
    PipelineType,
    Priority,
    ProgressStep,
    ReferenceGenome,
    WaitReason,
    WorksetState,
    WorksetType,
)
from ursa.domain.events import DomainEvent
from ursa.domain.principals import Actor
from ursa.domain.retries import AttemptRecord
from ursa.domain.run_record import Run

GENOME_BUILDS: Mapping[ReferenceGenome, str] = MappingProxyType(
    {ReferenceGenome.GRCH38: "hg38", ReferenceGenome.GRCH37: "b37"}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class InputPin:
    uri: str
    size: int
    etag: str
    version_id: str | None = None
    region: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ManifestRef:
    key: str
    sha256: str
    row_count: int
    sample_count: int
    schema_version: int = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOptions:
    enable_qc: bool = False
    archive_results: bool = False
    notification_emails: tuple[str, ...] = ()
    extra_targets: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Affinity:
    mode: AffinityMode = AffinityMode.ANY
    cluster_name: str | None = None
    region: str | None = None
    reason: str = "none"


@dataclass(frozen=True, slots=True, kw_only=True)
class OverrideDiff:
    field: str
    before: str
    after: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Workset:
    # identity
    workset_id: str
    name: str
    customer_id: str
    owner_user_id: str
    created_by_email: str
    origin: Origin
    idempotency_key: str | None = None
    request_fingerprint: str | None = None
    retried_from: str | None = None
    retry_reason: str | None = None
    retry_overrides: tuple[OverrideDiff, ...] = ()
    created_at: datetime
    submitted_at: datetime
    updated_at: datetime
    ready_since: datetime | None = None
    completed_at: datetime | None = None
    # what to run
    pipeline_type: PipelineType
    pipeline_version: str
    reference_genome: ReferenceGenome
    genome_build: str
    workset_type: WorksetType = WorksetType.RUO
    priority: Priority = Priority.NORMAL
    options: RunOptions = RunOptions()
    manifest: ManifestRef
    input_pins: tuple[InputPin, ...] = ()
    # where
    bucket: str
    prefix: str
    bucket_region: str
    cluster_affinity: Affinity = Affinity()
    # lifecycle
    state: WorksetState
    progress_step: ProgressStep | None = None
    progress_message: str = ""
    progress_pct: int | None = None
    pre_archive_state: WorksetState | None = None
    pre_ignore_state: WorksetState | None = None
    cancel_requested_at: datetime | None = None
    cancel_requested_by: str | None = None
    hold_reason: str | None = None
    wait_reason: WaitReason | None = None
    archived_at: datetime | None = None
    deleted_at: datetime | None = None
    hard_delete: bool = False
    purged_at: datetime | None = None
    version: int = 1
    history_seq: int = 1
    # lease (§6.1)
    lease_owner: str | None = None
    lease_token: int = 0
    lease_acquired_at: datetime | None = None
    lease_expires_at: datetime | None = None
    heartbeat_at: datetime | None = None
    takeovers: int = 0
    # retry (§8)
    attempts: int = 0
    max_attempts: int = 3
    extra_attempts: int = 0
    manual_retry_count: int = 0
    next_attempt_at: datetime | None = None
    first_failed_at: datetime | None = None
    last_attempt_at: datetime | None = None
    last_error_category: str | None = None
    last_error_code: str | None = None
    last_error_owner: str | None = None
    last_error_message: str | None = None
    failed_step: ProgressStep | None = None
    resume_from: ProgressStep | None = None
    current_run_id: str | None = None
    run: Run | None = None
    attempt_history: tuple[AttemptRecord, ...] = ()
    # money (§9)
    quote_id: str | None = None
    approved_quote_id: str | None = None
    approved_by: str | None = None
    approved_at: datetime | None = None
    cost_cap: Decimal | None = None
    cost_estimate: Decimal = Decimal(0)
    cost_actual: Decimal | None = None
    # mirror (§5.3)
    mirrored_version: int = 0

    def __post_init__(self) -> None:
        check_invariants(self)

    @property
    def lease_live(self) -> bool:
        return self.lease_owner is not None

    @property
    def attempts_allowed(self) -> int:
        return self.max_attempts + self.extra_attempts

    @property
    def cancel_pending(self) -> bool:
        return self.cancel_requested_at is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryEntry:
    seq: int
    at: datetime
    actor: Actor
    event: str
    from_state: WorksetState | None
    to_state: WorksetState
    from_step: ProgressStep | None = None
    to_step: ProgressStep | None = None
    reason: str | None = None
    version_after: int
    lease_token: int = 0
    correlation_id: str | None = None
    details: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True, kw_only=True)
class Transition:
    """What every command returns: persisted together in one conditional write (§0)."""

    workset: Workset
    history: HistoryEntry
    events: tuple[DomainEvent, ...]
    expected_version: int | None
    """The version the write is conditioned on; None for a create-only write."""


class InvariantViolation(AssertionError):
    """A bug: an aggregate reached a shape §2.1 forbids."""


def check_invariants(ws: Workset) -> None:
    """§2.1 invariants 1–3 (4 is checked where costs are posted; 5 by the commands)."""
    if ws.state is WorksetState.IN_PROGRESS and not ws.current_run_id:
        raise InvariantViolation(f"{ws.workset_id}: in_progress without a current run")
    if ws.attempts > ws.attempts_allowed:
        raise InvariantViolation(f"{ws.workset_id}: attempts {ws.attempts} > allowed")
    if ws.completed_at is not None and ws.state not in (
        WorksetState.COMPLETE,
        WorksetState.ARCHIVED,
        WorksetState.DELETED,
    ):
        raise InvariantViolation(f"{ws.workset_id}: completed_at set in state {ws.state}")
    if ws.state is WorksetState.COMPLETE and ws.completed_at is None:
        raise InvariantViolation(f"{ws.workset_id}: complete without completed_at")
    if ws.version < 1 or ws.history_seq < 1:
        raise InvariantViolation(f"{ws.workset_id}: version and history start at 1")
