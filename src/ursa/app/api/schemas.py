"""API bodies: msgspec Structs. Requests forbid unknown fields; money is a decimal string."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

import msgspec

from ursa.domain.enums import (
    PipelineType,
    Priority,
    ProgressStep,
    ReferenceGenome,
    SampleState,
    WorksetState,
    WorksetType,
)

ONE_MANIFEST = "Exactly one of manifest_tsv and manifest_id: both, or neither, is a 422."
ManifestTsv = Annotated[
    str,
    msgspec.Meta(
        description="The stage_samples.tsv content (tab-separated, header first). " + ONE_MANIFEST
    ),
]
SavedManifestId = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=128,
        description="A saved manifest of the caller's customer (GET /manifests), submitted "
        "as stored (its digest is checked); another customer's is 404. " + ONE_MANIFEST,
        examples=["mf-na12878-trio-template-0a1b2c3d"],
    ),
]


class SubmitWorkset(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A submit (and a dry run or estimate of one). The manifest is given as ``manifest_tsv``
    or named as ``manifest_id``: exactly one of the two."""

    name: str
    pipeline_type: PipelineType
    reference_genome: ReferenceGenome = ReferenceGenome.GRCH38
    manifest_tsv: ManifestTsv | None = None
    manifest_id: SavedManifestId | None = None
    priority: Priority = Priority.NORMAL
    workset_type: WorksetType = WorksetType.RUO
    pipeline_version: str | None = None
    enable_qc: bool = False
    archive_results: bool = False
    notification_emails: list[str] = msgspec.field(default_factory=list)
    customer_id: str | None = None
    """Provider admins only: the customer to submit for."""

    @property
    def manifest_bytes(self) -> bytes | None:
        """``manifest_tsv`` as the services take it (None when a ``manifest_id`` names it)."""
        return None if self.manifest_tsv is None else self.manifest_tsv.encode()


class CancelWorkset(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: str | None = None


class WorksetSummary(msgspec.Struct, kw_only=True):
    workset_id: str
    name: str
    customer_id: str
    owner_user_id: str
    state: WorksetState
    progress_step: ProgressStep | None
    progress_pct: int | None
    priority: Priority
    workset_type: WorksetType
    pipeline_type: PipelineType
    reference_genome: ReferenceGenome
    sample_count: int
    created_at: datetime
    updated_at: datetime
    cost_estimate: Decimal
    cost_actual: Decimal | None
    last_error_code: str | None
    version: int


class WorksetDetail(WorksetSummary, kw_only=True):
    pipeline_version: str
    genome_build: str
    bucket: str
    prefix: str
    attempts: int
    max_attempts: int
    current_run_id: str | None
    next_attempt_at: datetime | None
    last_error_message: str | None
    quote_id: str | None
    cost_cap: Decimal | None
    retried_from: str | None
    completed_at: datetime | None
    cancel_requested_at: datetime | None


class WorksetPage(msgspec.Struct, kw_only=True):
    items: list[WorksetSummary]
    next_cursor: str | None


class SampleOut(msgspec.Struct, kw_only=True):
    sample_id: str
    state: SampleState
    external_sample_id: str
    sample_type: str
    input_bytes: int
    failure_code: str | None
    cost_estimate: Decimal
    cost_actual: Decimal | None


class HistoryOut(msgspec.Struct, kw_only=True):
    seq: int
    at: datetime
    actor: str
    event: str
    from_state: WorksetState | None
    to_state: WorksetState
    from_step: ProgressStep | None
    to_step: ProgressStep | None
    reason: str | None


class CancelOut(msgspec.Struct, kw_only=True):
    workset: WorksetSummary
    outcome: str


class Health(msgspec.Struct, kw_only=True):
    status: str
    version: str
    checks: dict[str, str] = msgspec.field(default_factory=dict)


class CommandOut(msgspec.Struct, kw_only=True):
    """One external command the engine ran (§14.1); ``rendered`` can be pasted to replay it."""

    seq: str
    run_id: str
    step: str
    label: str
    transport: str
    rendered: str
    cwd: str | None
    started_at: datetime
    ended_at: datetime
    duration_s: float
    exit_code: int
    stdout_tail: str
    stderr_tail: str
    lease_token: int


class LeaseOut(msgspec.Struct, kw_only=True):
    """A running workset's lease: which engine replica holds it and its last heartbeat."""

    workset_id: str
    customer_id: str
    owner: str | None
    token: int
    step: str | None
    heartbeat_at: datetime | None
    expires_at: datetime | None
    expired: bool
