"""Persistence ports. Real adapters: DynamoDB and S3; twins: ``adapters/memory``.

``ObjectFacts`` and ``ObjectStore`` live in ``ports/objects.py`` (re-exported here)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ursa.domain.customers import ApiToken, Customer, User
from ursa.domain.estimates import Quote
from ursa.domain.ports.objects import ObjectFacts as ObjectFacts
from ursa.domain.ports.objects import ObjectStore as ObjectStore
from ursa.domain.ports.pages import Page, WorksetQuery
from ursa.domain.records import AuditRecord, CostLedgerEntry
from ursa.domain.samples import Sample
from ursa.domain.worksets import HistoryEntry, Transition, Workset


class WorksetRepository(Protocol):
    """Worksets, their samples and their append-only history.

    * ``create`` is create-only: an existing ``workset_id`` raises ``Conflict`` and
      nothing is written (never an overwrite).
    * ``commit`` writes the new aggregate, its history entry and its events in one
      atomic step, conditioned on the stored ``version`` equal to
      ``transition.expected_version``; otherwise ``StaleVersion`` and nothing is written.
    * ``save_samples`` replaces the sample records of one workset; samples belong to it.
    * ``get`` raises ``NotFound``; ``list`` is newest first, filtered by the query's
      tenant keys, and pages with an opaque cursor (``InvalidInput`` for a bad cursor).
    * ``due_for_claim`` lists ready worksets and retrying ones whose time has come.
    * ``leased`` lists in_progress worksets, soonest lease expiry first (released leases
      first of all): the engine finds expired leases and counts running work with it.
    """

    async def create(self, transition: Transition, samples: Sequence[Sample]) -> None: ...
    async def commit(self, transition: Transition) -> None: ...
    async def save_workset(self, workset: Workset, *, expected_version: int) -> None: ...
    async def save_samples(self, workset_id: str, samples: Sequence[Sample]) -> None: ...
    async def get(self, workset_id: str) -> Workset: ...
    async def samples(self, workset_id: str) -> tuple[Sample, ...]: ...
    async def history(self, workset_id: str) -> tuple[HistoryEntry, ...]: ...
    async def list(self, query: WorksetQuery) -> Page[Workset]: ...
    async def due_for_claim(self, now: datetime, limit: int = 50) -> tuple[Workset, ...]: ...
    async def leased(self, limit: int = 1000) -> tuple[Workset, ...]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class IdempotencyRecord:
    scope: str
    key: str
    fingerprint: str
    status: str  # "in_progress" | "done"
    created_at: datetime
    expires_at: datetime
    result_id: str | None = None
    result_status: int | None = None


class IdempotencyStore(Protocol):
    """``begin`` creates the record if absent and returns None; otherwise it returns the
    existing record unchanged (the caller decides replay/conflict). Expired records are
    treated as absent. ``finish`` marks the record done with its result."""

    async def begin(self, record: IdempotencyRecord) -> IdempotencyRecord | None: ...
    async def finish(self, scope: str, key: str, *, result_id: str, result_status: int) -> None: ...
    async def abandon(self, scope: str, key: str) -> None: ...


class CustomerDirectory(Protocol):
    """Customers and users. Lookups are keyed (by id, by email); ``NotFound`` if absent."""

    async def get_customer(self, customer_id: str) -> Customer: ...
    async def list_customers(self) -> tuple[Customer, ...]: ...
    async def put_customer(self, customer: Customer) -> None: ...
    async def get_user(self, user_id: str) -> User: ...
    async def user_by_email(self, email: str) -> User: ...
    async def list_users(self, customer_id: str | None = None) -> tuple[User, ...]: ...
    async def put_user(self, user: User) -> None: ...


class TokenStore(Protocol):
    """API tokens, looked up by the sha256 of the secret (one keyed read)."""

    async def put(self, token: ApiToken) -> None: ...
    async def by_hash(self, token_hash: str) -> ApiToken: ...
    async def for_user(self, user_id: str) -> tuple[ApiToken, ...]: ...


class QuoteRepository(Protocol):
    """Quotes are immutable once written; ``get`` raises NotFound."""

    async def put(self, quote: Quote) -> None: ...
    async def get(self, quote_id: str) -> Quote: ...


class LedgerRepository(Protocol):
    """Cost ledger entries, idempotent by ``entry_id`` (a second post is ignored)."""

    async def post(self, entry: CostLedgerEntry) -> None: ...
    async def for_workset(self, workset_id: str) -> tuple[CostLedgerEntry, ...]: ...


class AuditLog(Protocol):
    """Each tenant's audit chain (``ursa.domain.audit``), keyed by ``(customer_id, seq)``.

    * ``append`` is create-only per ``(customer_id, seq)``: when that seq is already taken by
      a different record it raises ``Conflict`` and writes nothing (two writers raced for the
      next seq; the loser re-reads ``head``, re-chains and tries again). Appending the very
      same record again is a no-op, so an ambiguous write can be retried safely. The store
      does not check the chain itself: ``verify_chain`` does.
    * ``head`` is the record with the highest seq, or None for an empty chain (one keyed,
      consistent read).
    * ``for_tenant`` pages the chain oldest first: at most ``limit`` records with
      ``seq > after_seq`` (from the start when None) in seq order, each page one keyed
      consistent read. A page shorter than ``limit`` is the last one; to walk the chain,
      pass the last seq of each page as the next ``after_seq``.
    * Reads never cross tenants; nothing ever scans.
    """

    async def append(self, record: AuditRecord) -> None: ...
    async def head(self, customer_id: str) -> AuditRecord | None: ...
    async def for_tenant(
        self, customer_id: str, limit: int = 100, after_seq: int | None = None
    ) -> tuple[AuditRecord, ...]: ...
