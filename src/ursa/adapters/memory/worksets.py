"""InMemoryWorksetRepository: the same promises as the DynamoDB adapter (version-checked
commits, create-only creates, history appended atomically, signed cursor pages)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ursa.adapters.cursors import CursorCodec
from ursa.domain.enums import WorksetState
from ursa.domain.errors import Conflict, NotFound, StaleVersion
from ursa.domain.events import DomainEvent
from ursa.domain.ports import Page, WorksetQuery
from ursa.domain.samples import Sample
from ursa.domain.workset_filters import matches
from ursa.domain.worksets import HistoryEntry, Transition, Workset


def _sort_key(ws: Workset) -> tuple[str, str]:
    return (ws.created_at.isoformat(), ws.workset_id)


class InMemoryWorksetRepository:
    """No method awaits between its check and its write, so each is atomic on the loop."""

    def __init__(self, cursor_key: bytes = b"ursa-memory") -> None:
        self._items: dict[str, Workset] = {}
        self._samples: dict[str, tuple[Sample, ...]] = {}
        self._history: dict[str, list[HistoryEntry]] = {}
        self.outbox: list[DomainEvent] = []
        self._cursors = CursorCodec(cursor_key)

    async def create(self, transition: Transition, samples: Sequence[Sample]) -> None:
        ws = transition.workset
        if ws.workset_id in self._items:
            raise Conflict(f"workset {ws.workset_id} already exists")
        self._items[ws.workset_id] = ws
        self._samples[ws.workset_id] = tuple(samples)
        self._history[ws.workset_id] = [transition.history]
        self.outbox.extend(transition.events)

    async def commit(self, transition: Transition) -> None:
        ws = transition.workset
        self._check_version(ws.workset_id, transition.expected_version)
        self._items[ws.workset_id] = ws
        self._history[ws.workset_id].append(transition.history)
        self.outbox.extend(transition.events)

    async def save_workset(self, workset: Workset, *, expected_version: int) -> None:
        self._check_version(workset.workset_id, expected_version)
        self._items[workset.workset_id] = workset

    def _check_version(self, workset_id: str, expected: int | None) -> None:
        current = self._items.get(workset_id)
        if current is None:
            raise NotFound("workset not found")
        if expected is None or current.version != expected:
            raise StaleVersion(
                f"workset {workset_id} changed (version {current.version}, expected {expected})"
            )

    async def save_samples(self, workset_id: str, samples: Sequence[Sample]) -> None:
        if workset_id not in self._items:
            raise NotFound("workset not found")
        if any(s.workset_id != workset_id for s in samples):
            raise Conflict("a sample belongs to another workset")
        self._samples[workset_id] = tuple(samples)

    async def get(self, workset_id: str) -> Workset:
        try:
            return self._items[workset_id]
        except KeyError:
            raise NotFound("workset not found") from None

    async def samples(self, workset_id: str) -> tuple[Sample, ...]:
        await self.get(workset_id)
        return self._samples.get(workset_id, ())

    async def history(self, workset_id: str) -> tuple[HistoryEntry, ...]:
        await self.get(workset_id)
        return tuple(self._history.get(workset_id, ()))

    async def list(self, query: WorksetQuery) -> Page[Workset]:
        rows = sorted(
            (w for w in self._items.values() if matches(w, query)), key=_sort_key, reverse=True
        )
        if query.cursor:
            after = tuple(self._cursors.decode(query.cursor))
            rows = [w for w in rows if _sort_key(w) < after]
        page = rows[: query.limit]
        more = len(rows) > query.limit
        cursor = self._cursors.encode(list(_sort_key(page[-1]))) if more and page else None
        return Page(items=tuple(page), next_cursor=cursor)

    async def due_for_claim(self, now: datetime, limit: int = 50) -> tuple[Workset, ...]:
        due = [
            w
            for w in self._items.values()
            if w.state is WorksetState.READY
            or (
                w.state is WorksetState.RETRYING
                and w.next_attempt_at is not None
                and w.next_attempt_at <= now
            )
        ]
        return tuple(sorted(due, key=lambda w: (w.priority.rank, w.updated_at))[:limit])

    async def leased(self, limit: int = 1000) -> tuple[Workset, ...]:
        running = [w for w in self._items.values() if w.state is WorksetState.IN_PROGRESS]
        return tuple(sorted(running, key=_expiry_order)[:limit])


def _expiry_order(ws: Workset) -> tuple[str, str]:
    return (ws.lease_expires_at.isoformat() if ws.lease_expires_at else "", ws.workset_id)
