"""Workset list filters: one predicate every repository agrees with, and the combination of
query parameters, search operators (``domain/search.py``) and tenant keys into one query.

Parameters and operators combine with AND; where both constrain the same attribute (a
``state`` parameter and ``state:`` operators) the allowed values are intersected. A
combination that can match nothing is ``None``: the caller answers an empty page."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import replace
from enum import StrEnum
from typing import TypeVar

from ursa.domain.enums import Priority, WorksetState, WorksetType
from ursa.domain.ports.pages import WorksetQuery
from ursa.domain.search import SearchTerms
from ursa.domain.worksets import Workset

E = TypeVar("E", bound=StrEnum)
HIDDEN_STATES = frozenset({WorksetState.ARCHIVED, WorksetState.DELETED})
"""Left out of a listing unless states are chosen or ``include_archived`` is set."""


def matches(ws: Workset, q: WorksetQuery) -> bool:
    """Whether ``ws`` belongs in the listing ``q`` (tenant keys included)."""
    if q.customer_id is not None and ws.customer_id != q.customer_id:
        return False
    if q.owner_user_id is not None and ws.owner_user_id != q.owner_user_id:
        return False
    if q.states and ws.state not in q.states:
        return False
    if not q.states and not q.include_archived and ws.state in HIDDEN_STATES:
        return False
    if q.priority is not None and ws.priority is not q.priority:
        return False
    if q.priorities and ws.priority not in q.priorities:
        return False
    if q.workset_type is not None and ws.workset_type is not q.workset_type:
        return False
    if q.workset_types and ws.workset_type not in q.workset_types:
        return False
    if q.created_after is not None and ws.created_at < q.created_after:
        return False
    if q.created_before is not None and ws.created_at >= q.created_before:
        return False
    if q.id_prefix and not ws.workset_id.startswith(q.id_prefix):
        return False
    name = ws.name.lower()
    if any(part.lower() not in name for part in q.names):
        return False
    text = q.text.strip().lower()
    return not text or text in name or text in ws.workset_id


def _allowed(
    universe: frozenset[E], chosen: Iterable[frozenset[E]], excluded: frozenset[E]
) -> frozenset[E] | None:
    """The values every non-empty choice allows, minus the excluded; None: unconstrained."""
    picks = [c for c in chosen if c]
    if not picks and not excluded:
        return None
    allowed = universe
    for pick in picks:
        allowed &= pick
    return allowed - excluded


def _one(values: Iterable[E | None]) -> frozenset[E]:
    return frozenset(v for v in values if v is not None)


def _longest_prefix(prefixes: Iterable[str]) -> str | None:
    """The one prefix every given prefix agrees with ("" for none); None if they conflict."""
    longest = ""
    for prefix in sorted((p for p in prefixes if p), key=len):
        if not prefix.startswith(longest):
            return None
        longest = prefix
    return longest


def combine(
    query: WorksetQuery, terms: SearchTerms, *, owner_ids: Collection[str] = ()
) -> WorksetQuery | None:
    """``query`` carries the tenant keys and parameters, ``terms`` the operators parsed from
    its text, ``owner_ids`` every owner that must hold (resolved by the caller). The result's
    text is the residual free text."""
    states_universe = frozenset(WorksetState)
    if not (query.states or terms.states) and not query.include_archived:
        states_universe -= HIDDEN_STATES
    states = _allowed(states_universe, (query.states, terms.states), terms.excluded_states)
    priorities = _allowed(
        frozenset(Priority),
        (_one([query.priority]), query.priorities, terms.priorities),
        terms.excluded_priorities,
    )
    types = _allowed(
        frozenset(WorksetType),
        (_one([query.workset_type]), query.workset_types, terms.types),
        terms.excluded_types,
    )
    owners = set(owner_ids) | ({query.owner_user_id} if query.owner_user_id is not None else set())
    afters = [a for a in (query.created_after, terms.created_after) if a is not None]
    befores = [b for b in (query.created_before, terms.created_before) if b is not None]
    after, before = max(afters, default=None), min(befores, default=None)
    id_prefix = _longest_prefix((query.id_prefix, *terms.id_prefixes))
    if (
        any(allowed is not None and not allowed for allowed in (states, priorities, types))
        or len(owners) > 1
        or (after is not None and before is not None and after >= before)
        or id_prefix is None
    ):
        return None
    return replace(
        query,
        owner_user_id=next(iter(owners), None),
        states=states or frozenset(),
        priority=None,
        priorities=frozenset() if priorities in (None, frozenset(Priority)) else priorities,
        workset_type=None,
        workset_types=frozenset() if types in (None, frozenset(WorksetType)) else types,
        created_after=after,
        created_before=before,
        id_prefix=id_prefix,
        names=(*query.names, *terms.names),
        text=terms.text,
    )
