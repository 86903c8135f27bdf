"""Retry policy: retries are data (§8). ``decide_retry`` is pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from ursa.domain.diagnostics_types import ErrorCategory, Owner, Remedy
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
