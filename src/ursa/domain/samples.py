"""Samples: per-sample state, attempts and costs (§3)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType

from ursa.domain.enums import SampleState as SS
from ursa.domain.errors import IllegalTransition, InvalidInput


@dataclass(frozen=True, slots=True, kw_only=True)
class SampleAttempt:
    run_id: str
    attempt: int
    state: SS
    started_at: datetime
    ended_at: datetime | None = None
    failure_code: str | None = None
    failed_rule: str | None = None
    slurm_job_id: str | None = None
    billable: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Sample:
    workset_id: str
    sample_id: str
    customer_id: str
    external_sample_id: str = ""
    sample_type: str = "blood"
    is_pos_ctrl: bool = False
    is_neg_ctrl: bool = False
    n_x: int | None = None
    n_y: int | None = None
    unit_count: int = 1
    input_bytes: int = 0
    state: SS = SS.PENDING
    attempts: tuple[SampleAttempt, ...] = ()
    skip_reason: str | None = None
    failure_code: str | None = None
    cost_estimate: Decimal = Decimal(0)
    cost_actual: Decimal | None = None


# event -> (from states, to state), §3.2
SAMPLE_TABLE: Mapping[str, tuple[frozenset[SS], SS]] = MappingProxyType(
    {
        "run_started": (frozenset({SS.PENDING}), SS.STAGING),
        "staged": (frozenset({SS.STAGING}), SS.RUNNING),
        "stage_failed": (frozenset({SS.STAGING}), SS.FAILED),
        "outputs_verified": (frozenset({SS.RUNNING}), SS.SUCCEEDED),
        "sample_failed": (frozenset({SS.RUNNING}), SS.FAILED),
        "requeue": (frozenset({SS.FAILED}), SS.PENDING),
        "skip": (frozenset({SS.PENDING, SS.FAILED}), SS.SKIPPED),
        "unskip": (frozenset({SS.SKIPPED}), SS.PENDING),
        "run_aborted": (frozenset({SS.STAGING, SS.RUNNING}), SS.PENDING),
        "workset_canceled": (frozenset({SS.PENDING, SS.STAGING, SS.RUNNING}), SS.CANCELED),
    }
)


def apply_sample(sample: Sample, event: str, *, reason: str | None = None,
                 failure_code: str | None = None) -> Sample:
    try:
        sources, target = SAMPLE_TABLE[event]
    except KeyError:
        raise IllegalTransition(f"unknown sample event {event!r}") from None
    if sample.state not in sources:
        raise IllegalTransition(
            f"sample {sample.sample_id}: cannot {event.replace('_', ' ')} from {sample.state.value}"
        )
    if event == "skip" and not (reason or "").strip():
        raise InvalidInput.single("reason", "EMPTY_REQUIRED", "a reason is required to skip")
    return replace(
        sample,
        state=target,
        skip_reason=reason if event == "skip" else (None if event == "unskip" else sample.skip_reason),
        failure_code=failure_code if target is SS.FAILED else sample.failure_code,
    )


def retry_scope(samples: tuple[Sample, ...]) -> tuple[str, ...]:
    """§3.3: a retry covers failed and pending samples only."""
    return tuple(s.sample_id for s in samples if s.state in (SS.FAILED, SS.PENDING))


def mark_succeeded_as_skipped(samples: tuple[Sample, ...], original_id: str) -> tuple[Sample, ...]:
    """For a clone with only_failed=True: succeeded samples become skipped (§3.5)."""
    return tuple(
        replace(s, state=SS.SKIPPED, skip_reason=f"succeeded in {original_id}")
        if s.state is SS.SUCCEEDED else s
        for s in samples
    )


def outcome_all_succeeded(samples: tuple[Sample, ...]) -> bool:
    """A workset is complete only when every non-skipped sample succeeded (§3.3)."""
    return all(s.state in (SS.SUCCEEDED, SS.SKIPPED) for s in samples) and any(
        s.state is SS.SUCCEEDED for s in samples
    )
