"""The run record (§2.8), embedded in the workset so that resume needs nothing but the
workset item: cluster, head node, run dir, tmux session, Slurm job ids, export task id.
The engine writes it only with a fenced holder write."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from ursa.domain.enums import ProgressStep

MAX_JOB_IDS = 2000
MAX_WARNINGS = 20


class RunKind(StrEnum):
    INITIAL = "initial"
    AUTO_RETRY = "auto_retry"
    OPERATOR_RETRY = "operator_retry"


class PipelineOutcome(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class HeadNodeRef:
    """Where to SSH. The host key is pinned by the shell adapter's known-hosts setting;
    ``host_key_sha256`` records the fingerprint that was trusted for this run."""

    host: str
    port: int = 22
    user: str = "ubuntu"
    instance_id: str | None = None
    host_key_sha256: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Run:
    run_id: str
    attempt: int
    kind: RunKind = RunKind.INITIAL
    resume_from: ProgressStep = ProgressStep.STAGING
    sample_scope: tuple[str, ...] = ()
    lease_token_at_start: int = 0
    started_at: datetime
    # cluster
    cluster_name: str | None = None
    region: str | None = None
    cluster_requested_at: datetime | None = None
    head_node: HeadNodeRef | None = None
    # staging
    stage_dir: str | None = None
    staged_at: datetime | None = None
    # pipeline
    workdir_name: str | None = None
    pipeline_dir: str | None = None
    tmux_session: str | None = None
    status_path: str | None = None
    launched_at: datetime | None = None
    pipeline_started_at: datetime | None = None
    pipeline_exit_code: int | None = None
    pipeline_outcome: PipelineOutcome | None = None
    pipeline_ended_at: datetime | None = None
    slurm_job_ids: tuple[str, ...] = ()
    # export
    export_task_id: str | None = None
    export_lifecycle: str | None = None
    export_manifest_key: str | None = None
    exported_at: datetime | None = None
    # outcome
    costs_posted_at: datetime | None = None
    cleaned_up_at: datetime | None = None
    ended_at: datetime | None = None
    diagnosis_code: str | None = None
    failure_evidence: str | None = None
    failed_samples: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def with_jobs(run: Run, job_ids: tuple[str, ...]) -> Run:
    """Add newly seen Slurm job ids, oldest first, keeping the record bounded."""
    known = set(run.slurm_job_ids)
    fresh = tuple(j for j in job_ids if j not in known)
    if not fresh:
        return run
    return replace(run, slurm_job_ids=(run.slurm_job_ids + fresh)[-MAX_JOB_IDS:])


def with_warning(run: Run, warning: str) -> Run:
    return replace(run, warnings=(*run.warnings, warning[:300])[-MAX_WARNINGS:])
