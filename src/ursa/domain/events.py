"""Domain events (§12). Ids are deterministic per aggregate version so that a retried
commit produces the same ids and at-least-once consumers can deduplicate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from ursa.domain.principals import Actor

_EMPTY: Mapping[str, object] = MappingProxyType({})


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainEvent:
    event_id: str
    type: str
    occurred_at: datetime
    customer_id: str
    actor: Actor
    aggregate_version: int
    workset_id: str | None = None
    sample_id: str | None = None
    run_id: str | None = None
    correlation_id: str | None = None
    payload: Mapping[str, object] = field(default_factory=lambda: _EMPTY)


def event_id(workset_id: str, version: int, index: int) -> str:
    return f"{workset_id}:v{version}:{index}"
