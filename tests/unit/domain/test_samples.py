"""Sample state machine and retry scope (§3.2, §3.3)."""

from __future__ import annotations

import pytest

from ursa.domain.enums import SampleState
from ursa.domain.errors import IllegalTransition, InvalidInput
from ursa.domain.samples import (
    SAMPLE_TABLE,
    Sample,
    apply_sample,
    mark_succeeded_as_skipped,
    outcome_all_succeeded,
    retry_scope,
)


def sample(state: SampleState, sid: str = "HG002") -> Sample:
    return Sample(workset_id="ws-1-0000000a", sample_id=sid, customer_id="c", state=state)


@pytest.mark.parametrize(
    ("event", "state"), [(e, s) for e in sorted(SAMPLE_TABLE) for s in SampleState]
)
def test_sample_table(event: str, state: SampleState) -> None:
    sources, target = SAMPLE_TABLE[event]
    if state not in sources:
        with pytest.raises(IllegalTransition):
            apply_sample(sample(state), event, reason="r")
        return
    assert apply_sample(sample(state), event, reason="r").state is target


def test_skip_needs_a_reason_and_failure_keeps_its_code() -> None:
    with pytest.raises(InvalidInput):
        apply_sample(sample(SampleState.PENDING), "skip")
    failed = apply_sample(sample(SampleState.RUNNING), "sample_failed", failure_code="WS-RES-001")
    assert failed.failure_code == "WS-RES-001"


def test_retry_scope_and_outcome() -> None:
    samples = (
        sample(SampleState.SUCCEEDED, "A"),
        sample(SampleState.FAILED, "B"),
        sample(SampleState.PENDING, "C"),
        sample(SampleState.SKIPPED, "D"),
    )
    assert retry_scope(samples) == ("B", "C")
    assert not outcome_all_succeeded(samples)
    assert outcome_all_succeeded((samples[0], samples[3]))
    assert not outcome_all_succeeded((samples[3],))


def test_only_failed_clone_skips_succeeded_samples() -> None:
    marked = mark_succeeded_as_skipped(
        (sample(SampleState.SUCCEEDED, "A"), sample(SampleState.FAILED, "B")), "ws-orig"
    )
    assert [s.state for s in marked] == [SampleState.SKIPPED, SampleState.FAILED]
    assert marked[0].skip_reason == "succeeded in ws-orig"
