"""Commands people and system sweeps issue outside a run (§2.4 T5–T10, T19–T29).

Who may issue them is decided by ``tenancy``; these functions enforce the table and guards."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from ursa.domain.enums import WorksetState as S
from ursa.domain.enums import WorksetType
from ursa.domain.errors import GuardFailed, InvalidInput
from ursa.domain.principals import Actor
from ursa.domain.transitions import apply_transition, check_pair
from ursa.domain.worksets import Transition, Workset

APPROVAL_TTL = timedelta(days=30)
UNDELETE_WINDOW = timedelta(days=30)


class RetryMode(StrEnum):
    RESUME = "resume"
    RESTART = "restart"


def _require_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidInput.single("reason", "EMPTY_REQUIRED", "a reason is required")
    return text[:500]


def approve(
    ws: Workset,
    *,
    actor: Actor,
    now: datetime,
    quote_id: str,
    quote_expires_at: datetime,
    cost_cap: Decimal,
    hold: bool = False,
) -> Transition:
    """T5. ``hold`` comes from the budget check (hold_new/hold_all) done by the service."""
    if quote_id != ws.quote_id:
        raise GuardFailed("that quote is not the current quote", code="QUOTE_SUPERSEDED")
    if quote_expires_at <= now:
        raise GuardFailed("the quote has expired; request a new quote", code="QUOTE_EXPIRED")
    if ws.workset_type is WorksetType.CLINICAL and actor.id == ws.owner_user_id:
        raise GuardFailed(
            "a clinical workset must be approved by someone other than its submitter",
            code="APPROVAL_REQUIRED",
        )
    to_state = S.ON_HOLD if hold else S.READY
    return apply_transition(
        ws,
        "approve",
        to_state=to_state,
        actor=actor,
        now=now,
        changes={
            "approved_quote_id": quote_id,
            "approved_by": actor.id,
            "approved_at": now,
            "ready_since": now if to_state is S.READY else None,
            "hold_reason": "budget" if hold else None,
            "cost_cap": cost_cap,
        },
        events=(("workset.quote_approved", {"quote_id": quote_id, "approver": actor.id}),),
    )


def reject(ws: Workset, *, actor: Actor, now: datetime, reason: str | None) -> Transition:
    text = _require_reason(reason)
    return apply_transition(
        ws,
        "reject",
        to_state=S.CANCELED,
        actor=actor,
        now=now,
        reason=text,
        events=(("workset.quote_rejected", {"quote_id": ws.quote_id, "reason": text}),),
    )


def approval_timeout(ws: Workset, *, actor: Actor, now: datetime) -> Transition:
    if ws.submitted_at + APPROVAL_TTL >= now:
        raise GuardFailed("the approval window is still open", code="APPROVAL_PENDING")
    return apply_transition(
        ws,
        "approval_timeout",
        to_state=S.CANCELED,
        actor=actor,
        now=now,
        reason="approval timed out",
        events=(("workset.canceled", {"reason": "approval timeout"}),),
    )


def hold(ws: Workset, *, actor: Actor, now: datetime, reason: str | None) -> Transition:
    text = _require_reason(reason)
    return apply_transition(
        ws,
        "hold",
        to_state=S.ON_HOLD,
        actor=actor,
        now=now,
        reason=text,
        changes={"hold_reason": text},
        events=(("workset.held", {"reason": text}),),
    )


def release(ws: Workset, *, actor: Actor, now: datetime, reason: str | None) -> Transition:
    text = _require_reason(reason)
    return apply_transition(
        ws,
        "release",
        to_state=S.READY,
        actor=actor,
        now=now,
        reason=text,
        changes={"hold_reason": None, "ready_since": now},
        events=(("workset.released", {"reason": text}),),
    )


def cancel(ws: Workset, *, actor: Actor, now: datetime, reason: str | None = None) -> Transition:
    """T19: cancel work that is not running. Running work goes through request_cancel."""
    return apply_transition(
        ws,
        "cancel",
        to_state=S.CANCELED,
        actor=actor,
        now=now,
        reason=reason,
        changes={
            "cancel_requested_at": now,
            "cancel_requested_by": actor.id,
            "next_attempt_at": None,
            "wait_reason": None,
        },
        events=(("workset.canceled", {"requested_by": actor.id, "reason": reason or ""}),),
    )


def give_up(ws: Workset, *, actor: Actor, now: datetime, reason: str | None) -> Transition:
    text = _require_reason(reason)
    return apply_transition(
        ws,
        "give_up",
        to_state=S.FAILED,
        actor=actor,
        now=now,
        reason=text,
        changes={"next_attempt_at": None},
        events=(("workset.dead", {"reason": text, "attempts": ws.attempts}),),
    )


def operator_retry(
    ws: Workset, *, actor: Actor, now: datetime, reason: str | None, mode: RetryMode
) -> Transition:
    """T21: one extra attempt; history and ``attempts`` are never reset."""
    text = _require_reason(reason)
    if ws.lease_live:
        raise GuardFailed("a lease is still held on this workset", code="LEASE_HELD")
    return apply_transition(
        ws,
        "operator_retry",
        to_state=S.READY,
        actor=actor,
        now=now,
        reason=text,
        changes={
            "extra_attempts": ws.extra_attempts + 1,
            "manual_retry_count": ws.manual_retry_count + 1,
            "ready_since": now,
            "next_attempt_at": None,
            "resume_from": ws.resume_from if mode is RetryMode.RESUME else None,
        },
        details={"mode": mode.value},
        events=(("workset.operator_retried", {"mode": mode.value, "reason": text}),),
    )


def ignore(ws: Workset, *, actor: Actor, now: datetime, reason: str | None) -> Transition:
    text = _require_reason(reason)
    return apply_transition(
        ws,
        "ignore",
        to_state=S.IGNORED,
        actor=actor,
        now=now,
        reason=text,
        changes={"pre_ignore_state": ws.state, "next_attempt_at": None},
        events=(("workset.ignored", {"reason": text, "pre_state": ws.state.value}),),
    )


def unignore(ws: Workset, *, actor: Actor, now: datetime, reason: str | None) -> Transition:
    text = _require_reason(reason)
    target = ws.pre_ignore_state or S.ERROR
    return apply_transition(
        ws,
        "unignore",
        to_state=target,
        actor=actor,
        now=now,
        reason=text,
        changes={"pre_ignore_state": None},
        events=(("workset.unignored", {"reason": text, "pre_state": target.value}),),
    )


def archive(ws: Workset, *, actor: Actor, now: datetime, reason: str | None = None) -> Transition:
    """T24: hides the workset from default lists; moves no objects (defect 14)."""
    return apply_transition(
        ws,
        "archive",
        to_state=S.ARCHIVED,
        actor=actor,
        now=now,
        reason=reason,
        changes={"pre_archive_state": ws.state, "archived_at": now},
        events=(("workset.archived", {"pre_state": ws.state.value}),),
    )


def restore(ws: Workset, *, actor: Actor, now: datetime, reason: str | None = None) -> Transition:
    """T25: back to the state before archive; never re-queues work."""
    target = ws.pre_archive_state or S.COMPLETE
    return apply_transition(
        ws,
        "restore",
        to_state=target,
        actor=actor,
        now=now,
        reason=reason,
        changes={"pre_archive_state": None, "archived_at": None},
        events=(("workset.restored", {"pre_state": target.value}),),
    )


def delete(
    ws: Workset, *, actor: Actor, now: datetime, hard: bool = False, reason: str | None = None
) -> Transition:
    if ws.lease_live:
        raise GuardFailed("a lease is still held on this workset", code="LEASE_HELD")
    return apply_transition(
        ws,
        "delete",
        to_state=S.DELETED,
        actor=actor,
        now=now,
        reason=reason,
        changes={
            "deleted_at": now,
            "hard_delete": hard,
            "pre_archive_state": ws.pre_archive_state or ws.state,
        },
        events=(("workset.deleted", {"hard": hard, "pre_state": ws.state.value}),),
    )


def purge_completed(
    ws: Workset, *, actor: Actor, now: datetime, objects_removed: int, reason: str | None = None
) -> Transition:
    """T28: the workset's S3 folder was emptied; the tombstone stays, marked hard-deleted,
    and the history entry records how many objects went."""
    return apply_transition(
        ws,
        "purge_completed",
        to_state=S.DELETED,
        actor=actor,
        now=now,
        reason=reason,
        changes={"hard_delete": True, "purged_at": now},
        events=(("workset.purged", {"hard": True, "object_count": objects_removed}),),
        details={"object_count": str(objects_removed)},
    )


def undelete(ws: Workset, *, actor: Actor, now: datetime, reason: str | None) -> Transition:
    """T27: back to ``archived`` while the purge has not started and the 30-day window is
    open. A hard delete starts its purge in the same request (T26, T28), so ``hard_delete``
    set means the data is going or gone; ``purged_at`` means it is gone."""
    text = _require_reason(reason)
    check_pair(ws, "undelete", S.ARCHIVED)  # a workset that is not deleted: no guard to tell
    if ws.hard_delete or ws.purged_at is not None:
        raise GuardFailed(
            f"workset {ws.workset_id} was hard-deleted: its S3 folder is being or has been "
            "purged, so it cannot be undeleted",
            code="PURGE_STARTED",
        )
    if ws.deleted_at is None or ws.deleted_at + UNDELETE_WINDOW <= now:
        raise GuardFailed(
            f"the undelete window of workset {ws.workset_id} has closed (30 days after "
            "its deletion)",
            code="UNDELETE_WINDOW_CLOSED",
        )
    return apply_transition(
        ws,
        "undelete",
        to_state=S.ARCHIVED,
        actor=actor,
        now=now,
        reason=text,
        changes={"deleted_at": None, "hard_delete": False, "archived_at": now},
        events=(("workset.undeleted", {"reason": text}),),
    )


def park(
    ws: Workset, *, actor: Actor, now: datetime, code: str, owner: str, message: str
) -> Transition:
    """T29: a claim-time check failed (inputs changed, bound cluster unavailable too long)."""
    return apply_transition(
        ws,
        "park",
        to_state=S.ERROR,
        actor=actor,
        now=now,
        reason=message,
        changes={
            "last_error_code": code,
            "last_error_owner": owner,
            "last_error_message": message[:1024],
            "next_attempt_at": None,
        },
        events=(("workset.parked", {"code": code, "owner": owner, "reason": message}),),
    )
