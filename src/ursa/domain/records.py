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
    customer_id: str
    at: datetime
    actor_id: str
    action: str
    target: str
    request_id: str | None = None
    digest: str = ""
