"""Commands of the lease holder (§2.4 T11–T18, §6): claim, takeover, heartbeat, advance,
complete, fail, cancel. Every holder write is fenced by the lease token."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ursa.domain.diagnostics_types import ErrorCategory, Owner
from ursa.domain.enums import STEP_ORDER, ProgressStep
from ursa.domain.enums import WorksetState as S
from ursa.domain.errors import GuardFailed
from ursa.domain.ids import run_id as make_run_id
from ursa.domain.principals import Actor
from ursa.domain.retries import AttemptRecord, Dead, Park, RetryAt
from ursa.domain.run_record import Run, RunKind
from ursa.domain.run_writes import LEASE_DURATION as LEASE_DURATION
from ursa.domain.run_writes import fence
from ursa.domain.run_writes import heartbeat as heartbeat
from ursa.domain.run_writes import record_actual_cost as record_actual_cost
from ursa.domain.run_writes import release_lease as release_lease
from ursa.domain.run_writes import update_progress as update_progress
from ursa.domain.run_writes import update_run as update_run
from ursa.domain.transitions import apply_transition
from ursa.domain.worksets import Transition, Workset

HEARTBEAT_INTERVAL = timedelta(seconds=60)
TAKEOVER_MARGIN = timedelta(seconds=30)
SELF_FENCE_AFTER = timedelta(seconds=270)

_RELEASED = {"lease_owner": None, "lease_expires_at": None, "lease_acquired_at": None}


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelEvidence:
    jobs_found: int
    jobs_cancelled: int
    jobs_remaining: int
    tmux_gone: bool
    at: datetime


def _lease(owner: str, token: int, now: datetime, lease: timedelta) -> dict[str, object]:
    """The fields of a freshly taken lease (claim and takeover)."""
    return {
        "lease_owner": owner,
        "lease_token": token,
        "lease_acquired_at": now,
        "lease_expires_at": now + lease,
        "heartbeat_at": now,
    }


def _run_kind(ws: Workset) -> RunKind:
    if ws.state is S.RETRYING:
        return RunKind.AUTO_RETRY
    return RunKind.OPERATOR_RETRY if ws.manual_retry_count else RunKind.INITIAL


def _new_run(
    ws: Workset, *, run_id: str, attempt: int, start: ProgressStep, token: int, now: datetime
) -> Run:
    """A fresh run record. Resuming past staging keeps the previous run's cluster, head node,
    stage and pipeline dirs (``resume_point`` already fell back to staging if they are gone);
    the tmux session and status file are per run, so a resumed launch never collides."""
    run = Run(
        run_id=run_id,
        attempt=attempt,
        kind=_run_kind(ws),
        resume_from=start,
        lease_token_at_start=token,
        started_at=now,
    )
    previous = ws.run
    if previous is None or start is ProgressStep.STAGING:
        return run
    return replace(
        run,
        cluster_name=previous.cluster_name,
        region=previous.region,
        head_node=previous.head_node,
        stage_dir=previous.stage_dir,
        staged_at=previous.staged_at,
        workdir_name=previous.workdir_name,
        pipeline_dir=previous.pipeline_dir,
    )


def claim(
    ws: Workset,
    *,
    actor: Actor,
    owner: str,
    now: datetime,
    lease: timedelta = LEASE_DURATION,
) -> Transition:
    """T11/T12: take the lease, start a run (attempts + 1, token + 1)."""
    if ws.lease_live:
        raise GuardFailed("a live lease exists", code="LEASE_HELD")
    if ws.cancel_pending:
        raise GuardFailed("a cancel is pending", code="CANCEL_PENDING")
    if ws.state is S.RETRYING and (ws.next_attempt_at is None or ws.next_attempt_at > now):
        raise GuardFailed("the retry is not due yet", code="RETRY_NOT_DUE")
    if ws.attempts >= ws.attempts_allowed:
        raise GuardFailed("no attempts left", code="ATTEMPTS_EXHAUSTED")
    attempt = ws.attempts + 1
    run = make_run_id(ws.workset_id, attempt)
    start = ws.resume_from or ProgressStep.STAGING
    token = ws.lease_token + 1
    return apply_transition(
        ws,
        "claim",
        to_state=S.IN_PROGRESS,
        actor=actor,
        now=now,
        changes={
            **_lease(owner, token, now, lease),
            "attempts": attempt,
            "current_run_id": run,
            "run": _new_run(ws, run_id=run, attempt=attempt, start=start, token=token, now=now),
            "last_attempt_at": now,
            "progress_step": start,
            "progress_message": "",
            "progress_pct": None,
            "next_attempt_at": None,
            "wait_reason": None,
        },
        events=(
            (
                "workset.claimed",
                {
                    "run_id": run,
                    "attempt": attempt,
                    "lease_owner": owner,
                    "lease_token": token,
                    "resume_from": start.value,
                },
            ),
        ),
    )


def takeover(
    ws: Workset,
    *,
    actor: Actor,
    owner: str,
    seen_token: int,
    now: datetime,
    lease: timedelta = LEASE_DURATION,
    margin: timedelta = TAKEOVER_MARGIN,
) -> Transition:
    """T13: resume a run whose holder died; attempts do not change."""
    if ws.lease_token != seen_token:
        raise GuardFailed("the lease changed since it was read", code="LEASE_CHANGED")
    expired = ws.lease_expires_at is None or ws.lease_expires_at < now - margin
    if not expired:
        raise GuardFailed("the lease has not expired", code="LEASE_HELD")
    token = ws.lease_token + 1
    return apply_transition(
        ws,
        "takeover",
        to_state=S.IN_PROGRESS,
        actor=actor,
        now=now,
        changes={
            **_lease(owner, token, now, lease),
            "takeovers": ws.takeovers + 1,
        },
        events=(
            (
                "lease.taken_over",
                {"old_owner": ws.lease_owner or "", "new_owner": owner, "token": token},
            ),
        ),
    )


def next_step(step: ProgressStep | None) -> ProgressStep:
    if step is None:
        return STEP_ORDER[0]
    index = STEP_ORDER.index(step)
    if index + 1 >= len(STEP_ORDER):
        raise GuardFailed(f"{step.value} is the last step", code="NO_NEXT_STEP")
    return STEP_ORDER[index + 1]


def advance(
    ws: Workset,
    *,
    actor: Actor,
    token: int,
    step: ProgressStep,
    now: datetime,
    message: str = "",
    pct: int | None = None,
) -> Transition:
    """T14: move to the allowed successor step."""
    fence(ws, token)
    if ws.progress_step is ProgressStep.CANCELING:
        raise GuardFailed("the run is being canceled", code="CANCEL_PENDING")
    if step is not next_step(ws.progress_step):
        current = ws.progress_step.value if ws.progress_step else "start"
        raise GuardFailed(
            f"{step.value} does not follow {current}",
            code="STEP_OUT_OF_ORDER",
        )
    return apply_transition(
        ws,
        "advance",
        to_state=S.IN_PROGRESS,
        actor=actor,
        now=now,
        changes={"progress_step": step, "progress_message": message[:200], "progress_pct": pct},
        events=(
            (
                "workset.step_changed",
                {
                    "from_step": ws.progress_step.value if ws.progress_step else "",
                    "to_step": step.value,
                    "message": message,
                },
            ),
        ),
    )


def request_cancel(
    ws: Workset, *, actor: Actor, now: datetime, reason: str | None = None
) -> Transition:
    """T17: record intent; the holder runs the stop procedure (§2.7)."""
    if ws.cancel_pending:
        raise GuardFailed("a cancel is already pending", code="CANCEL_PENDING")
    return apply_transition(
        ws,
        "request_cancel",
        to_state=S.IN_PROGRESS,
        actor=actor,
        now=now,
        reason=reason,
        changes={
            "cancel_requested_at": now,
            "cancel_requested_by": actor.id,
            "progress_step": ProgressStep.CANCELING,
        },
        events=(("workset.cancel_requested", {"requested_by": actor.id, "reason": reason or ""}),),
    )


def cancel_confirmed(
    ws: Workset, *, actor: Actor, token: int, evidence: CancelEvidence, now: datetime
) -> Transition:
    """T18: only with evidence that nothing of the run still runs."""
    fence(ws, token)
    if evidence.jobs_remaining != 0 or not evidence.tmux_gone:
        raise GuardFailed("jobs or the tmux session are still alive", code="STOP_UNVERIFIED")
    payload = {
        "jobs_found": evidence.jobs_found,
        "jobs_cancelled": evidence.jobs_cancelled,
        "jobs_remaining": 0,
    }
    return apply_transition(
        ws,
        "cancel_confirmed",
        to_state=S.CANCELED,
        actor=actor,
        now=now,
        changes=dict(_RELEASED),
        details={k: str(v) for k, v in payload.items()},
        events=(("workset.canceled", payload),),
    )


def complete(
    ws: Workset,
    *,
    actor: Actor,
    token: int,
    now: datetime,
    samples_ok: bool,
    export_complete: bool,
    costs_posted: bool,
) -> Transition:
    """T15: every guard is a fact the engine established and the service passes in."""
    fence(ws, token)
    if ws.progress_step is not ProgressStep.FINALIZING:
        raise GuardFailed("complete needs the finalizing step", code="STEP_OUT_OF_ORDER")
    for ok, code, text in (
        (samples_ok, "SAMPLES_INCOMPLETE", "not every in-scope sample succeeded"),
        (export_complete, "EXPORT_INCOMPLETE", "the export has not completed"),
        (costs_posted, "COSTS_NOT_POSTED", "actual costs are not posted"),
    ):
        if not ok:
            raise GuardFailed(text, code=code)
    return apply_transition(
        ws,
        "complete",
        to_state=S.COMPLETE,
        actor=actor,
        now=now,
        changes={**_RELEASED, "completed_at": now, "progress_pct": 100},
        events=(("workset.completed", {"cost_actual": str(ws.cost_actual or 0)}),),
    )


def _attempt(ws: Workset, now: datetime, code: str, category: str, owner: str) -> AttemptRecord:
    run = ws.run
    return AttemptRecord(
        attempt=ws.attempts,
        run_id=ws.current_run_id or "",
        kind=run.kind.value if run else RunKind.INITIAL.value,
        lease_token=ws.lease_token,
        started_at=run.started_at if run else now,
        ended_at=now,
        failed_step=ws.progress_step,
        code=code,
        category=ErrorCategory(category),
        owner=Owner(owner),
    )


def fail(
    ws: Workset,
    *,
    actor: Actor,
    token: int,
    now: datetime,
    decision: RetryAt | Park | Dead,
    code: str,
    category: str,
    owner: str,
    message: str,
    failed_samples: tuple[tuple[str, str], ...] = (),
) -> Transition:
    """T16: the target state comes from ``decide_retry``. ``failed_samples`` are
    (sample id, code) pairs, each announced as ``workset.sample_failed``."""
    fence(ws, token)
    ended = replace(ws.run, ended_at=now, diagnosis_code=code) if ws.run else None
    common = {
        **_RELEASED,
        "run": ended,
        "attempt_history": (*ws.attempt_history, _attempt(ws, now, code, category, owner)),
        "last_error_code": code,
        "last_error_category": category,
        "last_error_owner": owner,
        "last_error_message": message[:1024],
        "failed_step": ws.progress_step,
        "first_failed_at": ws.first_failed_at or now,
    }
    diagnosis = {"code": code, "category": category, "owner": owner}
    sample_events = tuple(
        ("workset.sample_failed", {"sample_id": sample_id, "code": sample_code})
        for sample_id, sample_code in failed_samples
    )
    if isinstance(decision, RetryAt):
        return apply_transition(
            ws,
            "fail",
            to_state=S.RETRYING,
            actor=actor,
            now=now,
            reason=message[:500],
            changes={
                **common,
                "next_attempt_at": decision.next_attempt_at,
                "resume_from": decision.resume_from,
            },
            events=(
                *sample_events,
                ("workset.attempt_failed", diagnosis),
                (
                    "workset.retry_scheduled",
                    {
                        "next_attempt_at": decision.next_attempt_at.isoformat(),
                        "remedy": decision.remedy.value,
                    },
                ),
            ),
        )
    to_state = S.ERROR if isinstance(decision, Park) else S.FAILED
    kind = "workset.parked" if isinstance(decision, Park) else "workset.dead"
    return apply_transition(
        ws,
        "fail",
        to_state=to_state,
        actor=actor,
        now=now,
        reason=decision.reason,
        changes={**common, "next_attempt_at": None, "resume_from": ws.progress_step},
        events=(
            *sample_events,
            ("workset.attempt_failed", diagnosis),
            (kind, {"code": code, "reason": decision.reason, "attempts": ws.attempts}),
        ),
    )
