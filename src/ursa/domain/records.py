"""Records that are appended, never edited: cost ledger entries and audit records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class CostLedgerEntry:
    """One posted amount; ``entry_id`` makes posting idempotent (§9.10: keyed by run)."""

    entry_id: str
    workset_id: str
    customer_id: str
    run_id: str | None
    sample_id: str | None
    component: str
    amount: Decimal
    basis: str
    rate_card_version: str
    posted_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditRecord:
    """One link of a tenant's audit chain; ``ursa.domain.audit`` builds and verifies it.

    ``seq`` counts from 1 per tenant. ``before_digest``/``after_digest`` are the
    ``snapshot_digest`` of what the mutation changed ("" when there was no before or after).
    ``prev_hash`` is the previous record's ``hash`` (64 zeros for seq 1) and ``hash`` is the
    sha256 of the canonical JSON of every other field, so editing, removing, inserting or
    reordering a record breaks the chain."""

    customer_id: str
    seq: int
    at: datetime
    actor_id: str
    action: str
    target: str
    request_id: str | None = None
    before_digest: str = ""
    after_digest: str = ""
    prev_hash: str
    hash: str
