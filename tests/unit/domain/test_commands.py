"""Guards of the people-and-sweeper commands (§2.4 T5–T10, T19–T29)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from builders import NOW, USER_ACTOR, make_workset
from ursa.domain import commands
from ursa.domain.enums import WorksetState, WorksetType
from ursa.domain.errors import GuardFailed, IllegalTransition, InvalidInput
from ursa.domain.principals import Actor, ActorKind, Role

APPROVER = Actor(kind=ActorKind.USER, id="u-ca", role=Role.CUSTOMER_ADMIN)
AWAITING = {"state": WorksetState.AWAITING_APPROVAL, "ready_since": None}


def test_approve_sets_cap_and_ready() -> None:
    ws = make_workset(**AWAITING)
    result = commands.approve(
        ws,
        actor=APPROVER,
        now=NOW,
        quote_id=ws.quote_id or "",
        quote_expires_at=NOW + timedelta(days=7),
        cost_cap=Decimal("35"),
    )
    assert result.workset.state is WorksetState.READY and result.workset.cost_cap == Decimal("35")
    assert result.workset.approved_by == "u-ca" and result.workset.ready_since == NOW


@pytest.mark.parametrize(
    ("overrides", "quote_id", "expires", "actor", "code"),
    [
        ({}, "q-other", NOW + timedelta(days=1), APPROVER, "QUOTE_SUPERSEDED"),
        ({}, "q-acme-trio-7c1e2a9b-1", NOW, APPROVER, "QUOTE_EXPIRED"),
        (
            {"workset_type": WorksetType.CLINICAL},
            "q-acme-trio-7c1e2a9b-1",
            NOW + timedelta(days=1),
            USER_ACTOR,
            "APPROVAL_REQUIRED",
        ),
    ],
)
def test_approve_guards(
    overrides: dict[str, object], quote_id: str, expires: object, actor: Actor, code: str
) -> None:
    ws = make_workset(**AWAITING, **overrides)
    with pytest.raises(GuardFailed) as raised:
        commands.approve(
            ws,
            actor=actor,
            now=NOW,
            quote_id=quote_id,
            quote_expires_at=expires,
            cost_cap=Decimal(1),
        )  # type: ignore[arg-type]
    assert raised.value.code == code


def test_budget_hold_sends_an_approved_workset_on_hold() -> None:
    ws = make_workset(**AWAITING)
    held = commands.approve(
        ws,
        actor=APPROVER,
        now=NOW,
        quote_id=ws.quote_id or "",
        quote_expires_at=NOW + timedelta(days=1),
        cost_cap=Decimal(1),
        hold=True,
    ).workset
    assert held.state is WorksetState.ON_HOLD and held.hold_reason == "budget"


@pytest.mark.parametrize(
    "command", [commands.reject, commands.give_up, commands.ignore, commands.hold]
)
def test_reason_is_required(command: object) -> None:
    state = WorksetState.AWAITING_APPROVAL if command is commands.reject else WorksetState.ERROR
    if command is commands.hold:
        state = WorksetState.READY
    with pytest.raises(InvalidInput, match="reason"):
        command(
            make_workset(state=state),
            actor=USER_ACTOR,
            now=NOW,  # type: ignore[operator]
            reason="  ",
        )


def test_operator_retry_grants_one_attempt_and_keeps_history() -> None:
    ws = make_workset(state=WorksetState.FAILED, attempts=3, last_error_code="WS-UNK-000")
    result = commands.operator_retry(
        ws, actor=APPROVER, now=NOW, reason="node replaced", mode=commands.RetryMode.RESTART
    )
    assert result.workset.state is WorksetState.READY
    assert (result.workset.extra_attempts, result.workset.manual_retry_count) == (1, 1)
    assert result.workset.attempts == 3 and result.history.details["mode"] == "restart"
    with pytest.raises(GuardFailed, match="lease"):
        commands.operator_retry(
            make_workset(state=WorksetState.ERROR, lease_owner="x"),
            actor=APPROVER,
            now=NOW,
            reason="r",
            mode=commands.RetryMode.RESUME,
        )


def test_ignore_and_unignore_return_to_the_previous_state() -> None:
    ignored = commands.ignore(
        make_workset(state=WorksetState.ERROR), actor=APPROVER, now=NOW, reason="handled by hand"
    ).workset
    assert ignored.pre_ignore_state is WorksetState.ERROR
    back = commands.unignore(ignored, actor=APPROVER, now=NOW, reason="needed after all").workset
    assert back.state is WorksetState.ERROR and back.pre_ignore_state is None


def test_archive_and_restore_never_requeue() -> None:
    done = make_workset(state=WorksetState.COMPLETE, completed_at=NOW)
    archived = commands.archive(done, actor=USER_ACTOR, now=NOW).workset
    restored = commands.restore(archived, actor=USER_ACTOR, now=NOW).workset
    assert restored.state is WorksetState.COMPLETE and restored.completed_at == NOW


def test_delete_and_undelete_window() -> None:
    gone = commands.delete(
        make_workset(state=WorksetState.CANCELED), actor=USER_ACTOR, now=NOW
    ).workset
    assert not gone.hard_delete and gone.deleted_at == NOW
    back = commands.undelete(
        gone, actor=APPROVER, now=NOW + timedelta(days=29, hours=23), reason="wrong one"
    ).workset
    assert back.state is WorksetState.ARCHIVED and back.deleted_at is None
    assert back.pre_archive_state is WorksetState.CANCELED  # restore goes back there
    with pytest.raises(GuardFailed, match="window") as late:
        commands.undelete(gone, actor=APPROVER, now=NOW + timedelta(days=30), reason="late")
    assert late.value.code == "UNDELETE_WINDOW_CLOSED"
    with pytest.raises(GuardFailed, match="lease"):
        commands.delete(
            make_workset(state=WorksetState.ERROR, lease_owner="x"), actor=USER_ACTOR, now=NOW
        )


def test_no_undelete_once_the_purge_started_or_finished() -> None:
    """T27: a hard delete starts its purge at once (T26), so it can never be undone, even
    inside the 30-day window, and neither can a completed purge (T28)."""
    soft = commands.delete(make_workset(state=WorksetState.CANCELED), actor=APPROVER, now=NOW)
    hard = commands.delete(
        make_workset(state=WorksetState.CANCELED), actor=APPROVER, now=NOW, hard=True
    ).workset
    purged = commands.purge_completed(
        soft.workset, actor=APPROVER, now=NOW + timedelta(hours=1), objects_removed=3
    ).workset
    assert purged.purged_at == NOW + timedelta(hours=1) and purged.hard_delete
    for gone in (hard, purged):
        with pytest.raises(GuardFailed, match="purged") as refused:
            commands.undelete(gone, actor=APPROVER, now=NOW + timedelta(days=1), reason="oops")
        assert refused.value.code == "PURGE_STARTED"
    back = commands.undelete(soft.workset, actor=APPROVER, now=NOW + timedelta(days=1), reason="x")
    assert back.workset.state is WorksetState.ARCHIVED


def test_undelete_of_a_workset_that_is_not_deleted_is_illegal() -> None:
    with pytest.raises(IllegalTransition):
        commands.undelete(
            make_workset(state=WorksetState.ERROR), actor=APPROVER, now=NOW, reason="x"
        )
    with pytest.raises(InvalidInput):
        commands.undelete(
            make_workset(state=WorksetState.DELETED, deleted_at=NOW),
            actor=APPROVER,
            now=NOW,
            reason=" ",
        )


def test_approval_timeout_only_after_thirty_days() -> None:
    ws = make_workset(**AWAITING)
    with pytest.raises(GuardFailed):
        commands.approval_timeout(ws, actor=APPROVER, now=NOW + timedelta(days=30))
    out = commands.approval_timeout(ws, actor=APPROVER, now=NOW + timedelta(days=30, seconds=1))
    assert out.workset.state is WorksetState.CANCELED


def test_cancel_of_queued_work_records_who_asked() -> None:
    result = commands.cancel(make_workset(), actor=USER_ACTOR, now=NOW, reason="dup")
    assert result.workset.state is WorksetState.CANCELED
    assert result.workset.cancel_requested_by == "u-cu"


def test_park_records_the_claim_time_failure() -> None:
    parked = commands.park(
        make_workset(),
        actor=USER_ACTOR,
        now=NOW,
        code="INPUT_CHANGED",
        owner="customer",
        message="R1 changed since validation",
    ).workset
    assert parked.state is WorksetState.ERROR and parked.last_error_code == "INPUT_CHANGED"
