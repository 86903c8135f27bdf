"""Lease holder commands: claim, takeover, heartbeat, advance, cancel, complete, fail (§6)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from builders import NOW, USER_ACTOR, make_workset
from ursa.domain import runs
from ursa.domain.diagnostics_types import Owner, Remedy
from ursa.domain.enums import STEP_ORDER, ProgressStep, WorksetState
from ursa.domain.errors import GuardFailed, IllegalTransition, LeaseLost
from ursa.domain.principals import ENGINE, SWEEPER
from ursa.domain.retries import Dead, Park, RetryAt
from ursa.domain.worksets import Workset

OWNER = "host-a/101/0a0b0c0d"


def claimed(**overrides: object) -> Workset:
    return runs.claim(make_workset(**overrides), actor=ENGINE, owner=OWNER, now=NOW).workset


def test_claim_takes_the_lease_and_counts_the_attempt() -> None:
    result = runs.claim(make_workset(lease_token=7), actor=ENGINE, owner=OWNER, now=NOW)
    ws = result.workset
    assert ws.state is WorksetState.IN_PROGRESS and ws.lease_owner == OWNER
    assert ws.lease_token == 8 and ws.attempts == 1
    assert ws.current_run_id == "acme-trio-7c1e2a9b-r1"
    assert ws.lease_expires_at == NOW + runs.LEASE_DURATION
    assert ws.progress_step is ProgressStep.STAGING
    assert [e.type for e in result.events] == ["workset.claimed"]


def test_claim_resumes_from_the_recorded_step() -> None:
    ws = claimed(resume_from=ProgressStep.PIPELINE_STARTING)
    assert ws.progress_step is ProgressStep.PIPELINE_STARTING


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"lease_owner": "other"}, "LEASE_HELD"),
        ({"cancel_requested_at": NOW}, "CANCEL_PENDING"),
        (
            {"state": WorksetState.RETRYING, "next_attempt_at": NOW + timedelta(seconds=1)},
            "RETRY_NOT_DUE",
        ),
        ({"attempts": 3}, "ATTEMPTS_EXHAUSTED"),
    ],
)
def test_claim_guards(overrides: dict[str, object], code: str) -> None:
    with pytest.raises(GuardFailed) as raised:
        runs.claim(make_workset(**overrides), actor=ENGINE, owner=OWNER, now=NOW)
    assert raised.value.code == code


def test_due_retry_is_claimable() -> None:
    ws = make_workset(state=WorksetState.RETRYING, next_attempt_at=NOW, attempts=1)
    assert runs.claim(ws, actor=ENGINE, owner=OWNER, now=NOW).workset.attempts == 2


def test_takeover_only_after_expiry_plus_margin_and_keeps_attempts() -> None:
    ws = claimed()
    at_edge = NOW + runs.LEASE_DURATION + runs.TAKEOVER_MARGIN
    with pytest.raises(GuardFailed, match="not expired"):
        runs.takeover(ws, actor=SWEEPER, owner="host-b", seen_token=ws.lease_token, now=at_edge)
    later = at_edge + timedelta(seconds=1)
    with pytest.raises(GuardFailed, match="changed"):
        runs.takeover(ws, actor=SWEEPER, owner="host-b", seen_token=ws.lease_token - 1, now=later)
    taken = runs.takeover(
        ws, actor=SWEEPER, owner="host-b", seen_token=ws.lease_token, now=later
    ).workset
    assert taken.lease_token == ws.lease_token + 1 and taken.takeovers == 1
    assert taken.attempts == ws.attempts and taken.lease_owner == "host-b"


def test_a_fenced_holder_cannot_write() -> None:
    ws = claimed()
    stale = ws.lease_token - 1
    with pytest.raises(LeaseLost):
        runs.heartbeat(ws, token=stale, now=NOW)
    with pytest.raises(LeaseLost):
        runs.advance(ws, actor=ENGINE, token=stale, step=ProgressStep.CLUSTER_PROVISIONING, now=NOW)


def test_heartbeat_extends_without_history() -> None:
    ws = claimed()
    later = NOW + runs.HEARTBEAT_INTERVAL
    beat = runs.heartbeat(ws, token=ws.lease_token, now=later)
    assert beat.lease_expires_at == later + runs.LEASE_DURATION
    assert beat.history_seq == ws.history_seq and beat.version == ws.version + 1


def test_steps_advance_in_order_only() -> None:
    ws = claimed()
    for step in STEP_ORDER[1:]:
        ws = runs.advance(ws, actor=ENGINE, token=ws.lease_token, step=step, now=NOW).workset
    assert ws.progress_step is ProgressStep.FINALIZING
    with pytest.raises(GuardFailed, match="last step"):
        runs.advance(ws, actor=ENGINE, token=ws.lease_token, step=ProgressStep.STAGING, now=NOW)
    with pytest.raises(GuardFailed) as raised:
        runs.advance(claimed(), actor=ENGINE, token=1, step=ProgressStep.EXPORTING, now=NOW)
    assert raised.value.code == "STEP_OUT_OF_ORDER"


def test_cancel_needs_evidence_before_canceled() -> None:
    ws = runs.request_cancel(claimed(), actor=USER_ACTOR, now=NOW).workset
    assert ws.progress_step is ProgressStep.CANCELING and ws.cancel_pending
    with pytest.raises(GuardFailed, match="already pending"):
        runs.request_cancel(ws, actor=USER_ACTOR, now=NOW)
    alive = runs.CancelEvidence(
        jobs_found=3, jobs_cancelled=2, jobs_remaining=1, tmux_gone=True, at=NOW
    )
    with pytest.raises(GuardFailed, match="still alive"):
        runs.cancel_confirmed(ws, actor=ENGINE, token=ws.lease_token, evidence=alive, now=NOW)
    done = runs.CancelEvidence(
        jobs_found=3, jobs_cancelled=3, jobs_remaining=0, tmux_gone=True, at=NOW
    )
    final = runs.cancel_confirmed(ws, actor=ENGINE, token=ws.lease_token, evidence=done, now=NOW)
    assert final.workset.state is WorksetState.CANCELED and final.workset.lease_owner is None
    assert final.history.details["jobs_cancelled"] == "3"


def test_complete_requires_every_fact() -> None:
    ws = claimed()
    for step in STEP_ORDER[1:]:
        ws = runs.advance(ws, actor=ENGINE, token=ws.lease_token, step=step, now=NOW).workset
    token = ws.lease_token
    for flags, code in (
        ((False, True, True), "SAMPLES_INCOMPLETE"),
        ((True, False, True), "EXPORT_INCOMPLETE"),
        ((True, True, False), "COSTS_NOT_POSTED"),
    ):
        with pytest.raises(GuardFailed) as raised:
            runs.complete(
                ws,
                actor=ENGINE,
                token=token,
                now=NOW,
                samples_ok=flags[0],
                export_complete=flags[1],
                costs_posted=flags[2],
            )
        assert raised.value.code == code
    done = runs.complete(
        ws,
        actor=ENGINE,
        token=token,
        now=NOW,
        samples_ok=True,
        export_complete=True,
        costs_posted=True,
    ).workset
    assert done.state is WorksetState.COMPLETE and done.completed_at == NOW
    assert done.lease_owner is None and done.lease_token == token


def test_complete_outside_finalizing_is_refused() -> None:
    ws = claimed()
    with pytest.raises(GuardFailed, match="finalizing"):
        runs.complete(
            ws,
            actor=ENGINE,
            token=ws.lease_token,
            now=NOW,
            samples_ok=True,
            export_complete=True,
            costs_posted=True,
        )


@pytest.mark.parametrize(
    ("decision", "state"),
    [
        (
            RetryAt(
                next_attempt_at=NOW + timedelta(minutes=1),
                resume_from=ProgressStep.STAGING,
                sample_scope=("HG002",),
                remedy=Remedy.RETRY_SAME,
            ),
            WorksetState.RETRYING,
        ),
        (Park(reason="data", owner=Owner.CUSTOMER), WorksetState.ERROR),
        (Dead(reason="attempts exhausted"), WorksetState.FAILED),
    ],
)
def test_fail_follows_the_retry_decision(
    decision: RetryAt | Park | Dead, state: WorksetState
) -> None:
    ws = claimed()
    result = runs.fail(
        ws,
        actor=ENGINE,
        token=ws.lease_token,
        now=NOW,
        decision=decision,
        code="WS-RES-001",
        category="resource",
        owner="provider",
        message="oom",
    )
    failed = result.workset
    assert failed.state is state and failed.lease_owner is None
    assert failed.last_error_code == "WS-RES-001" and failed.failed_step is ProgressStep.STAGING
    assert result.events[0].type == "workset.attempt_failed"
    if state is WorksetState.RETRYING:
        assert failed.next_attempt_at == NOW + timedelta(minutes=1)


def test_fail_from_a_state_outside_the_table_is_illegal() -> None:
    ws = make_workset(state=WorksetState.ERROR)
    with pytest.raises((IllegalTransition, LeaseLost)):
        runs.fail(
            ws,
            actor=ENGINE,
            token=0,
            now=NOW,
            decision=Dead(reason="x"),
            code="c",
            category="data",
            owner="customer",
            message="m",
        )
