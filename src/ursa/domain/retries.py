"""Retry policy: retries are data (§8). ``decide_retry`` is pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from ursa.domain.diagnostics import catalogue_entry
from ursa.domain.diagnostics_types import Diagnosis, ErrorCategory, Owner, Remedy
from ursa.domain.enums import ProgressStep


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    base_s: int = 30
    cap_s: int = 3600
    max_attempts: int = 3
    auto_categories: frozenset[ErrorCategory] = frozenset(
        {ErrorCategory.TRANSIENT, ErrorCategory.RESOURCE}
    )
    throttle_floor_s: int = 300


@dataclass(frozen=True, slots=True, kw_only=True)
class AttemptRecord:
    attempt: int
    run_id: str
    kind: str
    lease_token: int
    started_at: datetime
    ended_at: datetime | None
    failed_step: ProgressStep | None
    code: str | None
    category: ErrorCategory | None
    owner: Owner | None
    remedy_applied: Remedy | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RetrySnapshot:
    """What the policy needs to know about the workset."""

    attempts: int
    extra_attempts: int = 0
    cancel_pending: bool = False
    cost_cap: Decimal | None = None
    actual_cost_so_far: Decimal = Decimal(0)
    retry_point_estimate: Decimal = Decimal(0)
    failed_step: ProgressStep | None = None
    retry_sample_scope: tuple[str, ...] = ()
    current_partition: str | None = None
    run_context_intact: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryAt:
    next_attempt_at: datetime
    resume_from: ProgressStep
    sample_scope: tuple[str, ...]
    remedy: Remedy
    overrides: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Park:
    reason: str
    owner: Owner


@dataclass(frozen=True, slots=True, kw_only=True)
class Dead:
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class NoRetryCancelPending:
    """Rule 1: a cancel is pending; the holder finishes the stop procedure instead."""


RetryDecision = RetryAt | Park | Dead | NoRetryCancelPending


OOM_PARTITIONS: tuple[str, ...] = ("i192", "i192mem", "i192bigmem")
"""Rule 5 escalation ladder for WS-RES-001 (§7.2): rule memory ×1.5 on the next partition."""

THROTTLING_CODE = "WS-AWS-001"

# §2.6 "on retry, resume from". Steps without their own resume point ("—") resume at the next
# step that has one; canceling carries no position, so it restarts.
_RESUME: dict[ProgressStep, ProgressStep] = {
    ProgressStep.STAGING: ProgressStep.STAGING,
    ProgressStep.CLUSTER_PROVISIONING: ProgressStep.CLUSTER_PROVISIONING,
    ProgressStep.CLUSTER_READY: ProgressStep.PIPELINE_STARTING,
    ProgressStep.PIPELINE_STARTING: ProgressStep.PIPELINE_STARTING,
    ProgressStep.PIPELINE_RUNNING: ProgressStep.PIPELINE_STARTING,
    ProgressStep.PIPELINE_COMPLETE: ProgressStep.EXPORTING,
    ProgressStep.EXPORTING: ProgressStep.EXPORTING,
    ProgressStep.EXPORT_COMPLETE: ProgressStep.FINALIZING,
    ProgressStep.COLLECTING_METRICS: ProgressStep.FINALIZING,
    ProgressStep.FINALIZING: ProgressStep.FINALIZING,
    ProgressStep.CANCELING: ProgressStep.STAGING,
}


def resume_point(failed_step: ProgressStep | None, run_context_intact: bool) -> ProgressStep:
    """§2.6: where a retry resumes. Without a failed step, or once the run context (cluster,
    pipeline dir, staged data) no longer exists, everything restarts at ``staging``."""
    if failed_step is None or not run_context_intact:
        return ProgressStep.STAGING
    return _RESUME[failed_step]


def _escalation(failure: Diagnosis, ws: RetrySnapshot) -> dict[str, str] | None:
    """The overrides of the failure's remedy, or None when no escalation is left (rule 5)."""
    if failure.remedy is Remedy.RETRY_MORE_MEMORY:
        # A partition outside the ladder (or unknown) counts as its bottom rung.
        current = ws.current_partition if ws.current_partition in OOM_PARTITIONS else "i192"
        rung = OOM_PARTITIONS.index(current)
        if rung + 1 >= len(OOM_PARTITIONS):
            return None
        return {"partition": OOM_PARTITIONS[rung + 1], "mem_factor": "1.5"}
    if failure.remedy is Remedy.RETRY_LONGER_TIME:
        return {"time_factor": "2"}  # the engine caps it at the partition maximum
    if failure.remedy is Remedy.RETRY_MORE_STORAGE:
        return {"fsx_headroom_factor": "2", "clean_scratch": "true"}
    if failure.remedy is Remedy.RETRY_OTHER_CAPACITY:
        return {"exclude_failed_capacity": "true"}
    return {}


def retry_delay_s(n: int, failure_code: str, policy: RetryPolicy, rand: float) -> float:
    """Rule 7: full jitter ``rand × min(cap_s, base_s × 2^(n−1))``; ≥ the throttle floor for
    WS-AWS-001. ``n`` is the number of failed attempts so far, this one included (≥1)."""
    if not 0.0 <= rand < 1.0:
        raise ValueError(f"rand must be in [0, 1) (got {rand!r})")
    if n < 1:
        raise ValueError(f"n must be ≥ 1 (got {n})")
    ceiling = min(policy.cap_s, policy.base_s << min(n - 1, 64))  # exponent bounded
    delay = rand * ceiling
    if failure_code == THROTTLING_CODE:
        delay = max(delay, float(policy.throttle_floor_s))
    return delay


def decide_retry(
    history: tuple[AttemptRecord, ...],
    failure: Diagnosis,
    ws: RetrySnapshot,
    policy: RetryPolicy,
    now: datetime,
    rand: float,
) -> RetryDecision:
    """§8 rules 1-7, first match wins. ``history`` holds the earlier attempts, not this one."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if not 0.0 <= rand < 1.0:
        raise ValueError(f"rand must be in [0, 1) (got {rand!r})")
    if ws.cancel_pending:  # 1
        return NoRetryCancelPending()
    if failure.category not in policy.auto_categories:  # 2
        return Park(reason=failure.category.value, owner=failure.owner)
    if ws.attempts >= policy.max_attempts + ws.extra_attempts:  # 3
        return Dead(reason="attempts exhausted")
    cap = catalogue_entry(failure.code).auto_cap
    same_code = sum(1 for record in history if record.code == failure.code) + 1
    if cap is not None and same_code > cap:  # 4
        return Park(reason=f"repeat {failure.code}", owner=Owner.PROVIDER)
    overrides = _escalation(failure, ws)
    if overrides is None:  # 5
        return Dead(reason="no larger resource")
    if (
        ws.cost_cap is not None and ws.actual_cost_so_far + ws.retry_point_estimate > ws.cost_cap
    ):  # 6
        return Park(reason="COST_CAP_REACHED", owner=Owner.CUSTOMER)
    n = sum(1 for record in history if record.code is not None) + 1  # 7
    delay = retry_delay_s(n, failure.code, policy, rand)
    return RetryAt(
        next_attempt_at=now + timedelta(seconds=delay),
        resume_from=resume_point(ws.failed_step, ws.run_context_intact),
        sample_scope=ws.retry_sample_scope,
        remedy=failure.remedy,
        overrides=overrides,
    )
