"""Contract of LedgerRepository.for_customer: one tenant's entries in a half-open period."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from builders import ACME, GLOBEX, NOW
from store_world import Stores
from ursa.domain.records import CostLedgerEntry

pytestmark = pytest.mark.anyio


def _entry(
    entry_id: str, at: datetime, customer_id: str = ACME, workset_id: str = "ws-1"
) -> CostLedgerEntry:
    return CostLedgerEntry(
        entry_id=entry_id,
        workset_id=workset_id,
        customer_id=customer_id,
        run_id=f"{workset_id}-r1",
        sample_id="S1",
        component="storage",
        amount=Decimal("0.123456"),
        basis="estimated",
        rate_card_version="2026-11",
        posted_at=at,
    )


async def test_for_customer_is_the_half_open_period_oldest_first(stores: Stores) -> None:
    start, end = NOW, NOW + timedelta(days=30)
    posted = [
        _entry("before", start - timedelta(microseconds=1)),
        _entry("b-at-start", start),
        _entry("a-at-start", start, workset_id="ws-2"),
        _entry("middle", start + timedelta(days=3, microseconds=5)),
        _entry("last", end - timedelta(microseconds=1)),
        _entry("at-end", end),
        _entry("globex", start + timedelta(days=1), customer_id=GLOBEX),
    ]
    for entry in reversed(posted):
        await stores.ledger.post(entry)
    await stores.ledger.post(_entry("middle", start + timedelta(days=9)))  # a repeat: ignored
    if stores.calls is not None:
        stores.calls.reset()
    found = await stores.ledger.for_customer(ACME, start, end)
    if stores.calls is not None:
        assert dict(stores.calls.ops) == {"query": 1}  # one index Query, never a Scan
    assert [e.entry_id for e in found] == ["a-at-start", "b-at-start", "middle", "last"]
    assert found[2] == posted[3]  # the whole entry round-trips, exact amount included
    globex = await stores.ledger.for_customer(GLOBEX, start, end)
    assert [e.entry_id for e in globex] == ["globex"]


async def test_an_empty_or_inverted_period_has_no_entries(stores: Stores) -> None:
    await stores.ledger.post(_entry("e1", NOW))
    assert await stores.ledger.for_customer(ACME, NOW, NOW) == ()
    assert await stores.ledger.for_customer(ACME, NOW + timedelta(days=1), NOW) == ()
    assert await stores.ledger.for_customer("nobody-00000000", NOW, NOW + timedelta(days=1)) == ()


async def test_for_customer_agrees_with_for_workset(stores: Stores) -> None:
    for n in range(12):
        await stores.ledger.post(_entry(f"e{n:02d}", NOW + timedelta(hours=n), workset_id="ws-9"))
    by_workset = await stores.ledger.for_workset("ws-9")
    by_customer = await stores.ledger.for_customer(ACME, NOW, NOW + timedelta(days=1))
    assert sorted(by_workset, key=lambda e: e.entry_id) == list(by_customer)
