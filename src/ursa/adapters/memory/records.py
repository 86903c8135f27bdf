"""In-memory idempotency records, quotes, cost ledger and audit log."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ursa.domain.errors import Conflict, NotFound
from ursa.domain.estimates import Quote
from ursa.domain.ports import IdempotencyRecord
from ursa.domain.records import AuditRecord, CostLedgerEntry


class InMemoryIdempotencyStore:
    def __init__(self) -> None:
        self._records: dict[tuple[str, str], IdempotencyRecord] = {}

    async def begin(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        existing = self._records.get((record.scope, record.key))
        if existing is not None and existing.expires_at > record.created_at:
            return existing
        self._records[(record.scope, record.key)] = record
        return None

    async def finish(self, scope: str, key: str, *, result_id: str, result_status: int) -> None:
        record = self._records.get((scope, key))
        if record is None:
            raise NotFound("idempotency record not found")
        self._records[(scope, key)] = replace(
            record, status="done", result_id=result_id, result_status=result_status
        )

    async def abandon(self, scope: str, key: str) -> None:
        self._records.pop((scope, key), None)


class InMemoryQuoteRepository:
    def __init__(self) -> None:
        self._quotes: dict[str, Quote] = {}

    async def put(self, quote: Quote) -> None:
        existing = self._quotes.setdefault(quote.quote_id, quote)
        if existing != quote:
            raise Conflict(f"quote {quote.quote_id} already exists and quotes are immutable")

    async def get(self, quote_id: str) -> Quote:
        try:
            return self._quotes[quote_id]
        except KeyError:
            raise NotFound("quote not found") from None


class InMemoryLedger:
    def __init__(self) -> None:
        self._entries: dict[str, CostLedgerEntry] = {}

    async def post(self, entry: CostLedgerEntry) -> None:
        self._entries.setdefault(entry.entry_id, entry)

    async def for_workset(self, workset_id: str) -> tuple[CostLedgerEntry, ...]:
        return tuple(e for e in self._entries.values() if e.workset_id == workset_id)

    async def for_customer(
        self, customer_id: str, start: datetime, end: datetime
    ) -> tuple[CostLedgerEntry, ...]:
        found = (
            e
            for e in self._entries.values()
            if e.customer_id == customer_id and start <= e.posted_at < end
        )
        return tuple(sorted(found, key=lambda e: (e.posted_at, e.entry_id)))


class InMemoryAuditLog:
    """Each tenant's chain as a dict keyed by seq (the DynamoDB sort key's twin)."""

    def __init__(self) -> None:
        self._chains: dict[str, dict[int, AuditRecord]] = {}

    async def append(self, record: AuditRecord) -> None:
        chain = self._chains.setdefault(record.customer_id, {})
        existing = chain.setdefault(record.seq, record)
        if existing != record:
            raise Conflict(f"audit seq {record.seq} of {record.customer_id} is already taken")

    async def head(self, customer_id: str) -> AuditRecord | None:
        chain = self._chains.get(customer_id, {})
        return chain[max(chain)] if chain else None

    async def for_tenant(
        self, customer_id: str, limit: int = 100, after_seq: int | None = None
    ) -> tuple[AuditRecord, ...]:
        chain = self._chains.get(customer_id, {})
        seqs = [seq for seq in sorted(chain) if after_seq is None or seq > after_seq]
        return tuple(chain[seq] for seq in seqs[:limit])
