"""Workset list filters (domain/workset_filters.py): the shared predicate, and how query
parameters, search operators and tenant keys combine (AND; conflicts intersect)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builders import NOW, make_workset
from ursa.domain.enums import Priority, WorksetState, WorksetType
from ursa.domain.ports import WorksetQuery
from ursa.domain.search import SearchTerms, parse_search
from ursa.domain.workset_filters import HIDDEN_STATES, combine, matches
from ursa.domain.worksets import Workset

H = timedelta(hours=1)
WS = make_workset(workset_id="acme-Exome-7c1e2a9b", name="Exome batch 7", created_at=NOW)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (WorksetQuery(), True),
        (WorksetQuery(created_after=NOW), True),  # inclusive
        (WorksetQuery(created_after=NOW + timedelta(microseconds=1)), False),
        (WorksetQuery(created_before=NOW), False),  # exclusive
        (WorksetQuery(created_before=NOW + timedelta(microseconds=1)), True),
        (WorksetQuery(id_prefix="acme-Exome"), True),
        (WorksetQuery(id_prefix="acme-exome"), False),  # ids compare exactly
        (WorksetQuery(names=("EXOME", "batch 7")), True),
        (WorksetQuery(names=("exome", "batch 8")), False),  # every name part must hold
        (WorksetQuery(names=("7c1e",)), False),  # the id is not the name
        (WorksetQuery(text="7c1e"), True),  # free text: name or id
        (WorksetQuery(priorities=frozenset({Priority.URGENT, Priority.LOW})), False),
        (WorksetQuery(priorities=frozenset({Priority.NORMAL})), True),
        (WorksetQuery(workset_types=frozenset({WorksetType.RUO, WorksetType.LSMC})), True),
        (WorksetQuery(priority=Priority.NORMAL, priorities=frozenset({Priority.LOW})), False),
        (WorksetQuery(owner_user_id="u-cu", customer_id=WS.customer_id), True),
        (WorksetQuery(owner_user_id="u-other"), False),
    ],
)
def test_matches(query: WorksetQuery, expected: bool) -> None:
    assert matches(WS, query) is expected


def test_hidden_states_need_a_choice_or_include_archived() -> None:
    archived = replace(WS, state=WorksetState.ARCHIVED)
    assert not matches(archived, WorksetQuery())
    assert matches(archived, WorksetQuery(include_archived=True))
    assert matches(archived, WorksetQuery(states=frozenset({WorksetState.ARCHIVED})))


def _combine(
    q: WorksetQuery, search: str = "", owners: tuple[str, ...] = ()
) -> WorksetQuery | None:
    return combine(q, parse_search(search), owner_ids=owners)


def test_no_operators_keeps_the_query_and_keeps_the_free_text_residual() -> None:
    combined = _combine(WorksetQuery(text='trio state:ready "a b"', limit=7), 'trio "a b"')
    assert combined == WorksetQuery(text="trio a b", limit=7)


S = WorksetState
ALL = set(WorksetState)


@pytest.mark.parametrize(
    ("query", "search", "states"),
    [
        (WorksetQuery(states=frozenset({S.READY, S.FAILED})), "state:failed", {S.FAILED}),
        (WorksetQuery(states=frozenset({S.READY})), "state:failed", None),
        (WorksetQuery(), "state:ready -state:ready", None),
        (WorksetQuery(), "state:archived", {S.ARCHIVED}),
        (WorksetQuery(), "-state:failed", ALL - HIDDEN_STATES - {S.FAILED}),
        (WorksetQuery(include_archived=True), "-state:failed", ALL - {S.FAILED}),
        (WorksetQuery(states=frozenset({S.DELETED})), "-state:failed", {S.DELETED}),
    ],
)
def test_states_intersect_and_exclude(
    query: WorksetQuery, search: str, states: set[WorksetState] | None
) -> None:
    combined = _combine(query, search)
    assert (None if combined is None else set(combined.states)) == states


def test_priorities_and_types_fold_the_single_parameters_in() -> None:
    urgent = _combine(WorksetQuery(priority=Priority.URGENT), "priority:urgent priority:low")
    assert urgent is not None and urgent.priorities == {Priority.URGENT} and urgent.priority is None
    assert _combine(WorksetQuery(priority=Priority.LOW), "priority:urgent") is None
    not_urgent = _combine(WorksetQuery(), "-priority:urgent")
    assert not_urgent is not None and not_urgent.priorities == {Priority.NORMAL, Priority.LOW}
    every = _combine(WorksetQuery(workset_type=WorksetType.RUO), "type:ruo -type:clinical")
    assert every is not None and every.workset_types == {WorksetType.RUO}
    unconstrained = _combine(WorksetQuery(), "type:ruo type:clinical type:lsmc")
    assert unconstrained is not None and unconstrained.workset_types == frozenset()


def test_owners_must_agree() -> None:
    tenant = WorksetQuery(customer_id="acme", owner_user_id="u-sam")
    assert _combine(tenant, owners=("u-sam", "u-sam")) == tenant
    assert _combine(tenant, owners=("u-ada",)) is None
    assert _combine(WorksetQuery(), owners=("u-ada",)) == WorksetQuery(owner_user_id="u-ada")
    assert _combine(WorksetQuery(), owners=("u-ada", "u-sam")) is None


def test_created_bounds_take_the_tightest_and_an_empty_range_is_none() -> None:
    q = WorksetQuery(created_after=NOW - 5 * H, created_before=NOW)
    combined = _combine(q, "created>=2026-11-23T06:00:00Z created<2026-11-24")
    assert combined is not None
    six = datetime(2026, 11, 23, 6, tzinfo=UTC)
    assert (combined.created_after, combined.created_before) == (six, NOW)
    assert _combine(q, "created<2026-11-23T05:15:00Z") is None  # equal bounds: empty
    assert _combine(q, "created:2026-11-20") is None


def test_id_prefixes_must_nest_and_names_accumulate() -> None:
    nested = _combine(WorksetQuery(id_prefix="acme", names=("exome",)), "id:acme-trio name:7")
    assert nested is not None and nested.id_prefix == "acme-trio"
    assert nested.names == ("exome", "7")
    assert _combine(WorksetQuery(id_prefix="acme"), "id:globex") is None
    assert _combine(WorksetQuery(), "id:acme-trio id:acme-tr") is not None


# States a bare workset can hold (in_progress needs a run, complete a completion time).
BUILDABLE = [s for s in WorksetState if s not in (S.IN_PROGRESS, S.COMPLETE)]
_STATES = st.frozensets(st.sampled_from(list(WorksetState)), max_size=4)
_PRIORITIES = st.frozensets(st.sampled_from(list(Priority)))
_TYPES = st.frozensets(st.sampled_from(list(WorksetType)))
_INSTANTS = st.one_of(st.none(), st.sampled_from([NOW - 2 * H, NOW - H, NOW, NOW + H]))


@st.composite
def _cases(draw: st.DrawFn) -> tuple[Workset, WorksetQuery, SearchTerms]:
    ws = replace(
        WS,
        state=draw(st.sampled_from(BUILDABLE)),
        priority=draw(st.sampled_from(list(Priority))),
        workset_type=draw(st.sampled_from(list(WorksetType))),
        created_at=draw(st.sampled_from([NOW - 2 * H, NOW - H, NOW, NOW + H])),
    )
    query = WorksetQuery(
        states=draw(_STATES),
        priority=draw(st.one_of(st.none(), st.sampled_from(list(Priority)))),
        workset_types=draw(_TYPES),
        include_archived=draw(st.booleans()),
        created_after=draw(_INSTANTS),
        created_before=draw(_INSTANTS),
    )
    terms = SearchTerms(
        states=draw(_STATES),
        excluded_states=draw(_STATES),
        priorities=draw(_PRIORITIES),
        excluded_priorities=draw(_PRIORITIES),
        types=draw(_TYPES),
        excluded_types=draw(_TYPES),
        created_after=draw(_INSTANTS),
        created_before=draw(_INSTANTS),
    )
    return ws, query, terms


T = TypeVar("T")


def _in(value: T, chosen: frozenset[T], excluded: frozenset[T]) -> bool:
    return (not chosen or value in chosen) and value not in excluded


@settings(max_examples=500, deadline=None)
@given(_cases())
def test_combined_matches_exactly_when_the_query_and_every_term_do(
    case: tuple[Workset, WorksetQuery, SearchTerms],
) -> None:
    ws, query, terms = case
    # A state operator is an explicit choice, like the parameter: hidden states then show.
    widened = replace(query, include_archived=query.include_archived or bool(terms.states))
    expected = (
        matches(ws, widened)
        and _in(ws.state, terms.states, terms.excluded_states)
        and _in(ws.priority, terms.priorities, terms.excluded_priorities)
        and _in(ws.workset_type, terms.types, terms.excluded_types)
        and (terms.created_after is None or ws.created_at >= terms.created_after)
        and (terms.created_before is None or ws.created_at < terms.created_before)
    )
    if not query.states and not terms.states and not query.include_archived:
        expected = expected and ws.state not in HIDDEN_STATES
    combined = combine(query, terms)
    assert (combined is not None and matches(ws, combined)) is expected


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_a_day_operator_covers_that_day_only(at: datetime) -> None:
    ws = replace(WS, created_at=at.replace(tzinfo=UTC))
    that_day = combine(WorksetQuery(), parse_search(f"created:{at.date().isoformat()}"))
    assert that_day is not None and matches(ws, that_day)
    following = (at + timedelta(days=1)).date().isoformat()
    next_day = combine(WorksetQuery(), parse_search(f"created:{following}"))
    assert next_day is not None and not matches(ws, next_day)
