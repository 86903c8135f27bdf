"""Samples: per-sample state, attempts and costs (§3)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType

from ursa.domain.enums import SampleState
from ursa.domain.errors import IllegalTransition, InvalidInput


@dataclass(frozen=True, slots=True, kw_only=True)
class SampleAttempt:
    run_id: str
    attempt: int
    state: SampleState
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
    state: SampleState = SampleState.PENDING
    attempts: tuple[SampleAttempt, ...] = ()
    skip_reason: str | None = None
    failure_code: str | None = None
    cost_estimate: Decimal = Decimal(0)
    cost_actual: Decimal | None = None


# event -> (from states, to state), §3.2
SAMPLE_TABLE: Mapping[str, tuple[frozenset[SampleState], SampleState]] = MappingProxyType(
    {
        "run_started": (frozenset({SampleState.PENDING}), SampleState.STAGING),
        "staged": (frozenset({SampleState.STAGING}), SampleState.RUNNING),
        "stage_failed": (frozenset({SampleState.STAGING}), SampleState.FAILED),
        "outputs_verified": (frozenset({SampleState.RUNNING}), SampleState.SUCCEEDED),
        "sample_failed": (frozenset({SampleState.RUNNING}), SampleState.FAILED),
        "requeue": (frozenset({SampleState.FAILED}), SampleState.PENDING),
        "skip": (frozenset({SampleState.PENDING, SampleState.FAILED}), SampleState.SKIPPED),
        "unskip": (frozenset({SampleState.SKIPPED}), SampleState.PENDING),
        "run_aborted": (frozenset({SampleState.STAGING, SampleState.RUNNING}), SampleState.PENDING),
        "workset_canceled": (
            frozenset({SampleState.PENDING, SampleState.STAGING, SampleState.RUNNING}),
            SampleState.CANCELED,
        ),
    }
)


def apply_sample(
    sample: Sample, event: str, *, reason: str | None = None, failure_code: str | None = None
) -> Sample:
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
        skip_reason=reason
        if event == "skip"
        else (None if event == "unskip" else sample.skip_reason),
        failure_code=failure_code if target is SampleState.FAILED else sample.failure_code,
    )


def retry_scope(samples: tuple[Sample, ...]) -> tuple[str, ...]:
    """§3.3: a retry covers failed and pending samples only."""
    return tuple(
        s.sample_id for s in samples if s.state in (SampleState.FAILED, SampleState.PENDING)
    )


def mark_succeeded_as_skipped(samples: tuple[Sample, ...], original_id: str) -> tuple[Sample, ...]:
    """For a clone with only_failed=True: succeeded samples become skipped (§3.5)."""
    return tuple(
        replace(s, state=SampleState.SKIPPED, skip_reason=f"succeeded in {original_id}")
        if s.state is SampleState.SUCCEEDED
        else s
        for s in samples
    )


def outcome_all_succeeded(samples: tuple[Sample, ...]) -> bool:
    """A workset is complete only when every non-skipped sample succeeded (§3.3)."""
    return all(s.state in (SampleState.SUCCEEDED, SampleState.SKIPPED) for s in samples) and any(
        s.state is SampleState.SUCCEEDED for s in samples
    )
