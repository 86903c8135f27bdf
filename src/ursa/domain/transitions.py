"""The enforced transition table (§2.4) and the one function every command goes through.

``apply_transition`` checks the (state, event) pair, bumps ``version`` and ``history_seq``,
builds the history entry and events, and re-checks the invariants, so no command can skip
history or land in a state the table does not allow."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from types import MappingProxyType
from typing import Any

from ursa.domain.enums import WorksetState as S
from ursa.domain.errors import IllegalTransition
from ursa.domain.events import DomainEvent, event_id
from ursa.domain.principals import Actor
from ursa.domain.worksets import HistoryEntry, Transition, Workset

_LEAVABLE = frozenset({S.AWAITING_APPROVAL, S.READY, S.ON_HOLD, S.RETRYING, S.ERROR, S.FAILED})
_ENDED = frozenset({S.COMPLETE, S.FAILED, S.CANCELED, S.IGNORED, S.ERROR})

# event -> (allowed from-states, allowed to-states). Creation events (submit, clone_retry,
# recover) have no from-state and are built by ``creation.py``.
TABLE: Mapping[str, tuple[frozenset[S], frozenset[S]]] = MappingProxyType(
    {
        "approve": (frozenset({S.AWAITING_APPROVAL}), frozenset({S.READY, S.ON_HOLD})),
        "requote": (frozenset({S.AWAITING_APPROVAL}), frozenset({S.AWAITING_APPROVAL})),
        "reject": (frozenset({S.AWAITING_APPROVAL}), frozenset({S.CANCELED})),
        "approval_timeout": (frozenset({S.AWAITING_APPROVAL}), frozenset({S.CANCELED})),
        "hold": (frozenset({S.READY, S.RETRYING}), frozenset({S.ON_HOLD})),
        "release": (frozenset({S.ON_HOLD}), frozenset({S.READY})),
        "claim": (frozenset({S.READY, S.RETRYING}), frozenset({S.IN_PROGRESS})),
        "takeover": (frozenset({S.IN_PROGRESS}), frozenset({S.IN_PROGRESS})),
        "advance": (frozenset({S.IN_PROGRESS}), frozenset({S.IN_PROGRESS})),
        "complete": (frozenset({S.IN_PROGRESS}), frozenset({S.COMPLETE})),
        "fail": (frozenset({S.IN_PROGRESS}), frozenset({S.RETRYING, S.ERROR, S.FAILED})),
        "request_cancel": (frozenset({S.IN_PROGRESS}), frozenset({S.IN_PROGRESS})),
        "cancel_confirmed": (frozenset({S.IN_PROGRESS}), frozenset({S.CANCELED})),
        "cancel": (
            frozenset({S.AWAITING_APPROVAL, S.READY, S.ON_HOLD, S.RETRYING, S.ERROR}),
            frozenset({S.CANCELED}),
        ),
        "give_up": (frozenset({S.ERROR, S.RETRYING}), frozenset({S.FAILED})),
        "operator_retry": (frozenset({S.ERROR, S.FAILED}), frozenset({S.READY})),
        "ignore": (_LEAVABLE, frozenset({S.IGNORED})),
        "unignore": (frozenset({S.IGNORED}), _LEAVABLE),
        "archive": (_ENDED, frozenset({S.ARCHIVED})),
        "restore": (frozenset({S.ARCHIVED}), _ENDED),
        "delete": (_ENDED | {S.ARCHIVED}, frozenset({S.DELETED})),
        "undelete": (frozenset({S.DELETED}), frozenset({S.ARCHIVED})),
        "purge_completed": (frozenset({S.DELETED}), frozenset({S.DELETED})),
        "park": (frozenset({S.READY, S.RETRYING}), frozenset({S.ERROR})),
    }
)


def allowed_events(state: S) -> frozenset[str]:
    """Events whose from-set contains ``state`` (used by presenters to offer actions)."""
    return frozenset(event for event, (sources, _) in TABLE.items() if state in sources)


def can_cancel(ws: Workset) -> bool:
    """A cancel would do something: T17 or T19 applies and no cancel is pending yet."""
    events = allowed_events(ws.state)
    return ("cancel" in events or "request_cancel" in events) and not ws.cancel_pending


def check_pair(ws: Workset, event: str, to_state: S) -> None:
    try:
        sources, targets = TABLE[event]
    except KeyError:
        raise IllegalTransition(f"unknown event {event!r}") from None
    if ws.state not in sources or to_state not in targets:
        raise IllegalTransition(
            f"cannot {event.replace('_', ' ')} a workset in state {ws.state.value}"
            + (f" (to {to_state.value})" if to_state not in targets else "")
        )


def apply_transition(
    ws: Workset,
    event: str,
    *,
    to_state: S,
    actor: Actor,
    now: datetime,
    reason: str | None = None,
    changes: Mapping[str, Any] | None = None,
    events: tuple[tuple[str, Mapping[str, object]], ...] = (),
    details: Mapping[str, str] | None = None,
    correlation_id: str | None = None,
) -> Transition:
    """Check the pair, apply ``changes``, append history and events; return the Transition."""
    check_pair(ws, event, to_state)
    version = ws.version + 1
    new = replace(
        ws,
        **dict(changes or {}),
        state=to_state,
        version=version,
        history_seq=ws.history_seq + 1,
        updated_at=now,
    )
    entry = HistoryEntry(
        seq=new.history_seq,
        at=now,
        actor=actor,
        event=event,
        from_state=ws.state,
        to_state=to_state,
        from_step=ws.progress_step,
        to_step=new.progress_step,
        reason=reason,
        version_after=version,
        lease_token=new.lease_token,
        correlation_id=correlation_id,
        details=MappingProxyType(dict(details or {})),
    )
    return Transition(
        workset=new,
        history=entry,
        events=build_events(new, actor, now, events, correlation_id),
        expected_version=ws.version,
    )


def build_events(
    ws: Workset,
    actor: Actor,
    now: datetime,
    specs: tuple[tuple[str, Mapping[str, object]], ...],
    correlation_id: str | None = None,
) -> tuple[DomainEvent, ...]:
    return tuple(
        DomainEvent(
            event_id=event_id(ws.workset_id, ws.version, index),
            type=kind,
            occurred_at=now,
            customer_id=ws.customer_id,
            actor=actor,
            aggregate_version=ws.version,
            workset_id=ws.workset_id,
            run_id=ws.current_run_id,
            correlation_id=correlation_id,
            payload=MappingProxyType(dict(payload)),
        )
        for index, (kind, payload) in enumerate(specs)
    )
