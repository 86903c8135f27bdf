"""Retry policy (§8) and resume points (§2.6)."""

from __future__ import annotations

import math
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ursa.domain.diagnostics import catalogue_entry
from ursa.domain.diagnostics_types import Diagnosis, Owner, Remedy
from ursa.domain.enums import ProgressStep
from ursa.domain.retries import (
    AttemptRecord,
    Dead,
    NoRetryCancelPending,
    Park,
    RetryAt,
    RetryPolicy,
    RetrySnapshot,
    decide_retry,
    resume_point,
    retry_delay_s,
)

NOW = datetime(2026, 1, 23, 16, 40, tzinfo=UTC)
POLICY = RetryPolicy()


def failure(code: str, owner: Owner | None = None) -> Diagnosis:
    entry = catalogue_entry(code)
    return Diagnosis(
        code=entry.code,
        name=entry.name,
        category=entry.category,
        severity=entry.severity,
        retryable=entry.retryable,
        owner=owner or entry.owner,
        remedy=entry.remedy,
        confidence=0.9,
    )


def attempt(n: int, code: str | None) -> AttemptRecord:
    entry = catalogue_entry(code) if code else None
    return AttemptRecord(
        attempt=n,
        run_id=f"ws-1-r{n}",
        kind="auto",
        lease_token=n,
        started_at=NOW - timedelta(hours=4 - n),
        ended_at=NOW - timedelta(hours=3 - n),
        failed_step=ProgressStep.PIPELINE_RUNNING if code else None,
        code=code,
        category=entry.category if entry else None,
        owner=entry.owner if entry else None,
    )


def snapshot(attempts: int = 1, **kwargs: object) -> RetrySnapshot:
    return RetrySnapshot(attempts=attempts, **kwargs)  # type: ignore[arg-type]


def decide(
    code: str,
    ws: RetrySnapshot | None = None,
    history: tuple[AttemptRecord, ...] = (),
    rand: float = 0.5,
    policy: RetryPolicy = POLICY,
) -> object:
    return decide_retry(history, failure(code), ws or snapshot(), policy, NOW, rand)


# --- rules 1-6 ------------------------------------------------------------------------------


def test_rule1_cancel_pending_wins_over_everything() -> None:
    ws = snapshot(attempts=9, cancel_pending=True)
    assert decide("WS-DAT-001", ws) == NoRetryCancelPending()
    assert decide("WS-NET-001", ws) == NoRetryCancelPending()


def test_rule2_data_error_on_attempt_one_parks_with_the_customer() -> None:
    assert decide("WS-DAT-001", snapshot(attempts=1)) == Park(reason="data", owner=Owner.CUSTOMER)


def test_rule2_configuration_parks_with_the_failure_owner() -> None:
    assert decide("WS-DAT-003") == Park(reason="configuration", owner=Owner.PROVIDER)
    denied = decide_retry((), failure("WS-AWS-002", Owner.CUSTOMER), snapshot(), POLICY, NOW, 0.1)
    assert denied == Park(reason="configuration", owner=Owner.CUSTOMER)


def test_rule2_uses_the_policy_categories() -> None:
    policy = replace(POLICY, auto_categories=frozenset())
    assert decide("WS-NET-001", policy=policy) == Park(reason="transient", owner=Owner.AWS)


def test_rule3_attempt_three_of_three_failing_transiently_is_dead() -> None:
    history = (attempt(1, "WS-NET-001"), attempt(2, "WS-NET-001"))
    assert decide("WS-NET-001", snapshot(attempts=3), history) == Dead(reason="attempts exhausted")


def test_rule3_extra_attempts_from_an_operator_retry_count() -> None:
    history = (attempt(1, "WS-NET-001"), attempt(2, "WS-NET-001"), attempt(3, "WS-NET-001"))
    decision = decide("WS-NET-001", snapshot(attempts=3, extra_attempts=1), history)
    assert isinstance(decision, RetryAt)


def test_rule3_precedes_the_repeat_cap() -> None:
    history = (attempt(1, "WS-PIP-001"), attempt(2, "WS-PIP-001"))
    assert decide("WS-PIP-001", snapshot(attempts=3), history) == Dead(reason="attempts exhausted")


def test_rule4_repeat_beyond_the_code_cap_parks_with_the_provider() -> None:
    history = (attempt(1, "WS-PIP-001"),)
    assert decide("WS-PIP-001", snapshot(attempts=2), history) == Park(
        reason="repeat WS-PIP-001", owner=Owner.PROVIDER
    )


def test_rule4_counts_only_the_same_code() -> None:
    history = (attempt(1, "WS-PIP-002"),)
    assert isinstance(decide("WS-PIP-001", snapshot(attempts=2), history), RetryAt)


def test_rule4_oom_cap_is_two() -> None:
    one = (attempt(1, "WS-RES-001"),)
    two = (*one, attempt(2, "WS-RES-001"))
    ws = snapshot(attempts=2, current_partition="i192mem", extra_attempts=5)
    assert isinstance(decide("WS-RES-001", ws, one), RetryAt)
    assert decide("WS-RES-001", replace(ws, attempts=3), two) == Park(
        reason="repeat WS-RES-001", owner=Owner.PROVIDER
    )


def test_rule4_plain_yes_has_no_code_cap() -> None:
    history = tuple(attempt(i, "WS-NET-001") for i in range(1, 6))
    assert isinstance(
        decide("WS-NET-001", snapshot(attempts=6, extra_attempts=5), history), RetryAt
    )


def test_rule5_oom_on_the_biggest_partition_is_dead() -> None:
    ws = snapshot(current_partition="i192bigmem")
    assert decide("WS-RES-001", ws) == Dead(reason="no larger resource")


@pytest.mark.parametrize(
    ("current", "following"),
    [("i192", "i192mem"), ("i192mem", "i192bigmem"), (None, "i192mem"), ("i128", "i192mem")],
)
def test_oom_escalates_memory_and_partition(current: str | None, following: str) -> None:
    decision = decide("WS-RES-001", snapshot(current_partition=current))
    assert isinstance(decision, RetryAt)
    assert decision.remedy is Remedy.RETRY_MORE_MEMORY
    assert decision.overrides == {"partition": following, "mem_factor": "1.5"}


@pytest.mark.parametrize(
    ("code", "overrides"),
    [
        ("WS-RES-003", {"time_factor": "2"}),
        ("WS-RES-002", {"fsx_headroom_factor": "2", "clean_scratch": "true"}),
        ("WS-CLU-001", {"exclude_failed_capacity": "true"}),
        ("WS-NET-002", {}),
        ("WS-UNK-000", {}),
    ],
)
def test_remedy_overrides(code: str, overrides: dict[str, str]) -> None:
    decision = decide(code)
    assert isinstance(decision, RetryAt)
    assert decision.remedy is catalogue_entry(code).remedy
    assert decision.overrides == overrides


def test_rule6_cost_cap_parks_with_the_customer() -> None:
    ws = snapshot(
        cost_cap=Decimal("100"),
        actual_cost_so_far=Decimal("90"),
        retry_point_estimate=Decimal("11"),
    )
    assert decide("WS-NET-001", ws) == Park(reason="COST_CAP_REACHED", owner=Owner.CUSTOMER)


def test_rule6_exactly_at_the_cap_still_retries() -> None:
    ws = snapshot(
        cost_cap=Decimal("100"),
        actual_cost_so_far=Decimal("90"),
        retry_point_estimate=Decimal("10"),
    )
    assert isinstance(decide("WS-NET-001", ws), RetryAt)


def test_rule5_precedes_the_cost_cap() -> None:
    ws = snapshot(
        current_partition="i192bigmem", cost_cap=Decimal(0), retry_point_estimate=Decimal(1)
    )
    assert decide("WS-RES-001", ws) == Dead(reason="no larger resource")


# --- rule 7: RetryAt ------------------------------------------------------------------------


def test_retry_at_carries_time_resume_point_and_scope() -> None:
    ws = snapshot(
        attempts=2,
        failed_step=ProgressStep.PIPELINE_RUNNING,
        retry_sample_scope=("HG003", "HG004"),
    )
    decision = decide("WS-NET-002", ws, (attempt(1, "WS-NET-002"),), rand=0.25)
    # n = 2 failures so far: 0.25 * min(3600, 30 * 2)
    assert decision == RetryAt(
        next_attempt_at=NOW + timedelta(seconds=15),
        resume_from=ProgressStep.PIPELINE_STARTING,
        sample_scope=("HG003", "HG004"),
        remedy=Remedy.RETRY_SAME,
        overrides={},
    )


def test_retry_resumes_at_staging_when_the_run_context_is_gone() -> None:
    ws = snapshot(failed_step=ProgressStep.PIPELINE_RUNNING, run_context_intact=False)
    decision = decide("WS-NET-002", ws)
    assert isinstance(decision, RetryAt)
    assert decision.resume_from is ProgressStep.STAGING


def test_successful_attempts_do_not_count_as_failures() -> None:
    history = (attempt(1, None), attempt(2, None))
    decision = decide("WS-NET-001", snapshot(attempts=3, extra_attempts=1), history, rand=0.5)
    assert isinstance(decision, RetryAt)
    assert decision.next_attempt_at == NOW + timedelta(seconds=15)  # n = 1


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 12, 40])
def test_thousand_draws_stay_within_full_jitter_bounds(n: int) -> None:
    draws = random.Random(n)
    ceiling = min(POLICY.cap_s, POLICY.base_s * 2 ** (n - 1))
    delays = [retry_delay_s(n, "WS-NET-001", POLICY, draws.random()) for _ in range(1000)]
    assert all(0 <= delay <= ceiling for delay in delays)
    assert max(delays) > ceiling * 0.9  # the draws do spread over the range


def test_thousand_draws_through_decide_retry() -> None:
    draws = random.Random(7)
    history = (attempt(1, "WS-NET-001"), attempt(2, "WS-NET-001"))
    ws = snapshot(attempts=3, extra_attempts=1)
    for _ in range(1000):
        decision = decide("WS-NET-001", ws, history, rand=draws.random())
        assert isinstance(decision, RetryAt)
        assert NOW <= decision.next_attempt_at <= NOW + timedelta(seconds=120)


@given(
    n=st.integers(min_value=1, max_value=200),
    rand=st.floats(min_value=0, max_value=1, exclude_max=True),
)
def test_delay_property(n: int, rand: float) -> None:
    delay = retry_delay_s(n, "WS-CLU-002", POLICY, rand)
    assert 0 <= delay <= min(POLICY.cap_s, POLICY.base_s * 2 ** min(n - 1, 64))


@pytest.mark.parametrize("rand", [0.0, 0.5, 0.999999])
def test_throttling_waits_at_least_the_floor(rand: float) -> None:
    decision = decide("WS-AWS-001", rand=rand)
    assert isinstance(decision, RetryAt)
    assert decision.remedy is Remedy.WAIT_AND_RETRY
    assert decision.next_attempt_at - NOW >= timedelta(seconds=300)


def test_delay_never_exceeds_the_cap() -> None:
    assert retry_delay_s(1000, "WS-NET-001", POLICY, 0.999999) <= 3600


@pytest.mark.parametrize("rand", [-0.1, 1.0, 1.5, math.nan, math.inf])
def test_rand_outside_unit_interval_is_rejected(rand: float) -> None:
    with pytest.raises(ValueError, match="rand"):
        decide("WS-NET-001", rand=rand)


def test_rand_is_checked_even_when_no_retry_follows() -> None:
    with pytest.raises(ValueError, match="rand"):
        decide("WS-DAT-001", snapshot(cancel_pending=True), rand=1.0)


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone"):
        decide_retry((), failure("WS-NET-001"), snapshot(), POLICY, datetime(2026, 1, 23), 0.5)


def test_delay_rejects_n_below_one() -> None:
    with pytest.raises(ValueError, match="n must"):
        retry_delay_s(0, "WS-NET-001", POLICY, 0.5)


# --- resume points (§2.6) -------------------------------------------------------------------

P = ProgressStep


@pytest.mark.parametrize(
    ("failed", "resume"),
    [
        (None, P.STAGING),
        (P.STAGING, P.STAGING),
        (P.CLUSTER_PROVISIONING, P.CLUSTER_PROVISIONING),
        (P.CLUSTER_READY, P.PIPELINE_STARTING),
        (P.PIPELINE_STARTING, P.PIPELINE_STARTING),
        (P.PIPELINE_RUNNING, P.PIPELINE_STARTING),
        (P.PIPELINE_COMPLETE, P.EXPORTING),
        (P.EXPORTING, P.EXPORTING),
        (P.EXPORT_COMPLETE, P.FINALIZING),
        (P.COLLECTING_METRICS, P.FINALIZING),
        (P.FINALIZING, P.FINALIZING),
        (P.CANCELING, P.STAGING),
    ],
)
def test_resume_point_table(failed: ProgressStep | None, resume: ProgressStep) -> None:
    assert resume_point(failed, run_context_intact=True) is resume


@pytest.mark.parametrize("failed", [None, *ProgressStep])
def test_resume_point_without_run_context_restarts_at_staging(failed: ProgressStep | None) -> None:
    assert resume_point(failed, run_context_intact=False) is P.STAGING
