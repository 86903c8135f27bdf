"""Every (state, event) pair of §2.4: legal ones transition and write history, the rest raise."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from builders import NOW, USER_ACTOR, make_workset
from ursa.domain.enums import ProgressStep, WorksetState
from ursa.domain.errors import IllegalTransition
from ursa.domain.transitions import TABLE, allowed_events, apply_transition, can_cancel, check_pair
from ursa.domain.worksets import InvariantViolation, Workset

ALL_PAIRS = [(event, state) for event in sorted(TABLE) for state in WorksetState]


def _in_state(state: WorksetState) -> Workset:
    extra: dict[str, object] = {"state": state}
    if state is WorksetState.IN_PROGRESS:
        extra |= {
            "current_run_id": "acme-trio-7c1e2a9b-r1",
            "attempts": 1,
            "progress_step": ProgressStep.STAGING,
            "lease_owner": "h/1/n",
            "lease_token": 1,
        }
    if state is WorksetState.COMPLETE:
        extra["completed_at"] = NOW
    return make_workset(**extra)


@pytest.mark.parametrize(("event", "state"), ALL_PAIRS)
def test_table_is_enforced(event: str, state: WorksetState) -> None:
    sources, targets = TABLE[event]
    ws = _in_state(state)
    target = sorted(targets)[0]
    changes = {"current_run_id": "r1", "attempts": 1} if target is WorksetState.IN_PROGRESS else {}
    if target is WorksetState.COMPLETE:
        changes["completed_at"] = NOW
    if state not in sources:
        with pytest.raises(IllegalTransition):
            apply_transition(ws, event, to_state=target, actor=USER_ACTOR, now=NOW)
        return
    later = NOW + timedelta(minutes=1)
    result = apply_transition(
        ws, event, to_state=target, actor=USER_ACTOR, now=later, changes=changes, reason="because"
    )
    assert result.workset.state is target
    assert result.workset.version == ws.version + 1
    assert result.workset.history_seq == ws.history_seq + 1
    assert result.expected_version == ws.version
    entry = result.history
    assert (entry.event, entry.from_state, entry.to_state) == (event, state, target)
    assert entry.seq == result.workset.history_seq and entry.version_after == ws.version + 1
    assert result.workset.updated_at == later


@pytest.mark.parametrize("event", sorted(TABLE))
def test_target_outside_the_table_is_refused(event: str) -> None:
    sources, targets = TABLE[event]
    state = sorted(sources)[0]
    wrong = next(s for s in WorksetState if s not in targets)
    with pytest.raises(IllegalTransition, match="to "):
        check_pair(_in_state(state), event, wrong)


def test_unknown_event_is_refused() -> None:
    with pytest.raises(IllegalTransition, match="unknown event"):
        check_pair(make_workset(), "set_state", WorksetState.COMPLETE)


def test_allowed_events_mirror_the_table() -> None:
    assert "cancel" in allowed_events(WorksetState.READY)
    assert "request_cancel" in allowed_events(WorksetState.IN_PROGRESS)
    assert "cancel" not in allowed_events(WorksetState.IN_PROGRESS)
    assert allowed_events(WorksetState.DELETED) == {"undelete", "purge_completed"}


def test_events_get_deterministic_ids_per_version() -> None:
    ws = make_workset()
    result = apply_transition(
        ws,
        "hold",
        to_state=WorksetState.ON_HOLD,
        actor=USER_ACTOR,
        now=NOW,
        events=(("workset.held", {"reason": "x"}),),
    )
    assert [e.event_id for e in result.events] == [f"{ws.workset_id}:v2:0"]
    assert result.events[0].customer_id == ws.customer_id


@pytest.mark.parametrize(
    "overrides",
    [
        {"state": WorksetState.IN_PROGRESS, "current_run_id": None},
        {"attempts": 4},
        {"state": WorksetState.READY, "completed_at": NOW},
        {"state": WorksetState.COMPLETE, "completed_at": None},
        {"version": 0},
    ],
)
def test_invariants_reject_impossible_shapes(overrides: dict[str, object]) -> None:
    with pytest.raises(InvariantViolation):
        make_workset(**overrides)


def test_completed_at_survives_archive() -> None:
    ws = replace(make_workset(state=WorksetState.COMPLETE, completed_at=NOW))
    archived = apply_transition(
        ws,
        "archive",
        to_state=WorksetState.ARCHIVED,
        actor=USER_ACTOR,
        now=NOW,
        changes={"pre_archive_state": ws.state},
    )
    assert archived.workset.completed_at == NOW


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"state": WorksetState.READY}, True),
        ({"state": WorksetState.ERROR}, True),
        ({"state": WorksetState.COMPLETE, "completed_at": NOW}, False),
        ({"state": WorksetState.FAILED}, False),
        (
            {"state": WorksetState.IN_PROGRESS, "current_run_id": "r1", "attempts": 1},
            True,
        ),
        (
            {
                "state": WorksetState.IN_PROGRESS,
                "current_run_id": "r1",
                "attempts": 1,
                "cancel_requested_at": NOW,
            },
            False,
        ),
    ],
)
def test_can_cancel(overrides: dict[str, object], expected: bool) -> None:
    assert can_cancel(make_workset(**overrides)) is expected
