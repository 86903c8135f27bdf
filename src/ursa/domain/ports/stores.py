"""Persistence ports. Real adapters: DynamoDB and S3; twins: ``adapters/memory``.

``ObjectFacts`` and ``ObjectStore`` live in ``ports/objects.py`` (re-exported here)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ursa.domain.customers import ApiToken, Customer, TokenUsage, User
from ursa.domain.estimates import Quote
from ursa.domain.linked_buckets import LinkedBucket
from ursa.domain.ports.objects import ObjectFacts as ObjectFacts
from ursa.domain.ports.objects import ObjectStore as ObjectStore
from ursa.domain.ports.pages import Page, WorksetQuery
from ursa.domain.records import AuditRecord, CostLedgerEntry
from ursa.domain.samples import Sample
from ursa.domain.saved_manifests import SavedManifest
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
    """Customers and users. Lookups are keyed (by id, by email); ``NotFound`` if absent.

    ``put_customer`` with ``expected_version`` writes only when the stored customer's
    ``version`` equals it (the caller bumps the version): ``StaleVersion`` otherwise,
    ``NotFound`` when absent, and nothing is written. Without it the put is unconditional."""

    async def get_customer(self, customer_id: str) -> Customer: ...
    async def list_customers(self) -> tuple[Customer, ...]: ...
    async def put_customer(
        self, customer: Customer, *, expected_version: int | None = None
    ) -> None: ...
    async def get_user(self, user_id: str) -> User: ...
    async def user_by_email(self, email: str) -> User: ...
    async def list_users(self, customer_id: str | None = None) -> tuple[User, ...]: ...
    async def put_user(self, user: User) -> None: ...


class TokenStore(Protocol):
    """API tokens, looked up by the sha256 of the secret (one keyed read).

    * ``put`` creates or replaces a token (revoking is a put with ``revoked_at``).
    * ``by_hash`` is the authentication path: one consistent keyed read; ``NotFound``.
    * ``by_id`` finds a token by its ``token_id`` (``NotFound``); it is served by an index,
      so a token created a moment ago may be missing for a moment, as from ``for_user``.
    * ``record_use`` counts one authenticated call of ``endpoint`` (method and route
      template) at ``at``: one write, never a read. ``usage`` returns the counts per endpoint
      and the newest use; a token never used has no endpoints. The token record itself is
      not touched (``ApiToken.last_used_at`` is not maintained; ``usage`` is the truth).
    """

    async def put(self, token: ApiToken) -> None: ...
    async def by_hash(self, token_hash: str) -> ApiToken: ...
    async def by_id(self, token_id: str) -> ApiToken: ...
    async def for_user(self, user_id: str) -> tuple[ApiToken, ...]: ...
    async def record_use(self, token_id: str, endpoint: str, at: datetime) -> None: ...
    async def usage(self, token_id: str) -> TokenUsage: ...


class QuoteRepository(Protocol):
    """Quotes are immutable once written; ``get`` raises NotFound."""

    async def put(self, quote: Quote) -> None: ...
    async def get(self, quote_id: str) -> Quote: ...


class LedgerRepository(Protocol):
    """Cost ledger entries, idempotent by ``entry_id`` (a second post is ignored).

    * ``for_workset``: every entry of one workset (one consistent keyed Query).
    * ``for_customer``: the customer's entries with ``start <= posted_at < end`` (aware
      datetimes), oldest first, ties by ``entry_id``; empty when ``start >= end``. Served by
      an index (ADR 0006), so an entry posted a moment ago may not be listed yet. Never
      crosses tenants; nothing scans.
    """

    async def post(self, entry: CostLedgerEntry) -> None: ...
    async def for_workset(self, workset_id: str) -> tuple[CostLedgerEntry, ...]: ...
    async def for_customer(
        self, customer_id: str, start: datetime, end: datetime
    ) -> tuple[CostLedgerEntry, ...]: ...


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


class ManifestStore(Protocol):
    """Saved manifest records (``ursa.domain.saved_manifests``); the TSV bytes themselves
    are objects in the customer's bucket, not stored here.

    * ``put`` is create-only: an existing ``manifest_id`` raises ``Conflict`` and nothing
      is written (never an overwrite).
    * ``get`` is a consistent keyed read; ``NotFound("manifest not found")`` when absent.
    * ``list`` pages one customer's records (every customer's when ``customer_id`` is None),
      newest first (``created_at``, then ``manifest_id``, descending), at most ``limit``
      (clamped to 1..100) per page, with an opaque signed cursor bound to that listing
      (``InvalidInput`` when forged, edited or used on another listing). Served by an
      index, so a record written a moment ago may be missing from a listing for a moment.
    * ``update`` replaces the record when the stored ``version`` equals
      ``expected_version`` (the caller bumps it); ``StaleVersion`` otherwise and nothing is
      written; ``NotFound`` when absent.
    * ``delete`` removes the record on the same version condition; ``StaleVersion`` or
      ``NotFound`` as for ``update``.
    """

    async def put(self, manifest: SavedManifest) -> None: ...
    async def get(self, manifest_id: str) -> SavedManifest: ...
    async def list(
        self, customer_id: str | None, *, limit: int = 25, cursor: str | None = None
    ) -> Page[SavedManifest]: ...
    async def update(self, manifest: SavedManifest, *, expected_version: int) -> None: ...
    async def delete(self, manifest_id: str, *, expected_version: int) -> None: ...


class LinkedBucketStore(Protocol):
    """Customers' linked buckets (``ursa.domain.linked_buckets``), keyed by ``bucket_id``.

    * ``create`` is create-only and one bucket links to one customer: when the bucket name is
      already linked by any customer (this one included) it raises ``Conflict`` and writes
      nothing. Of two concurrent creates for one bucket exactly one succeeds.
    * ``get`` raises ``NotFound``; ``by_bucket`` returns the link of a bucket name or None.
    * ``list_for_customer`` returns one customer's links, ``list_all`` every link (provider
      admins); both ordered by bucket name, each one keyed query of an index, so a link
      written a moment ago may be missing for a moment (``get`` and ``by_bucket`` are
      consistent).
    * ``update`` replaces the link when the stored version equals ``expected_version``
      (``StaleVersion`` otherwise, ``NotFound`` if absent); the bucket and the customer of a
      link never change (``InvalidInput``).
    * ``delete`` removes the link and frees its bucket name; ``NotFound`` if absent.
    """

    async def create(self, link: LinkedBucket) -> None: ...
    async def get(self, bucket_id: str) -> LinkedBucket: ...
    async def by_bucket(self, bucket: str) -> LinkedBucket | None: ...
    async def list_for_customer(self, customer_id: str) -> tuple[LinkedBucket, ...]: ...
    async def list_all(self) -> tuple[LinkedBucket, ...]: ...
    async def update(self, link: LinkedBucket, *, expected_version: int) -> None: ...
    async def delete(self, bucket_id: str) -> None: ...
