"""Contract of the AuditLog port: create-only per (tenant, seq), head, oldest-first pages."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from builders import ACME, GLOBEX, NOW
from store_world import Stores
from ursa.domain.audit import AuditDraft, AuditRecord, chain, snapshot_digest, verify_chain
from ursa.domain.errors import Conflict

pytestmark = pytest.mark.anyio


def _draft(n: int, customer_id: str = ACME, actor_id: str = "u-cu") -> AuditDraft:
    return AuditDraft(
        customer_id=customer_id,
        at=NOW + timedelta(minutes=n, microseconds=n),
        actor_id=actor_id,
        action=f"workset.a{n}",
        target=f"workset:ws-{n}",
        request_id=f"req-{n}" if n % 2 else None,
        before_digest="" if n == 1 else snapshot_digest({"version": n - 1}),
        after_digest=snapshot_digest({"version": n}),
    )


async def _append_chain(stores: Stores, n: int, customer_id: str = ACME) -> list[AuditRecord]:
    records: list[AuditRecord] = []
    for i in range(1, n + 1):
        record = chain(records[-1] if records else None, _draft(i, customer_id))
        await stores.audit.append(record)
        records.append(record)
    return records


async def test_head_is_none_then_the_latest_record_of_that_tenant(stores: Stores) -> None:
    assert await stores.audit.head(ACME) is None
    records = await _append_chain(stores, 3)
    await _append_chain(stores, 1, customer_id=GLOBEX)
    if stores.calls is not None:
        stores.calls.reset()
    assert await stores.audit.head(ACME) == records[-1]
    if stores.calls is not None:
        assert dict(stores.calls.ops) == {"query": 1}
    head = await stores.audit.head(GLOBEX)
    assert head is not None and head.customer_id == GLOBEX and head.seq == 1


async def test_append_is_create_only_per_tenant_and_seq(stores: Stores) -> None:
    first, second = await _append_chain(stores, 2)
    rival = chain(first, _draft(9, actor_id="u-rival"))  # also seq 2: lost the race
    with pytest.raises(Conflict):
        await stores.audit.append(rival)
    assert await stores.audit.head(ACME) == second
    assert await stores.audit.for_tenant(ACME) == (first, second)
    # The identical record again (an ambiguous write retried) is a no-op.
    await stores.audit.append(second)
    assert await stores.audit.for_tenant(ACME) == (first, second)
    # The same seq in another tenant's chain is no conflict.
    await stores.audit.append(chain(None, _draft(1, customer_id=GLOBEX)))


async def test_pages_are_oldest_first_after_a_seq(stores: Stores) -> None:
    records = await _append_chain(stores, 7)
    await _append_chain(stores, 2, customer_id=GLOBEX)
    if stores.calls is not None:
        stores.calls.reset()
    page1 = await stores.audit.for_tenant(ACME, limit=3)
    if stores.calls is not None:
        assert dict(stores.calls.ops) == {"query": 1}
    page2 = await stores.audit.for_tenant(ACME, limit=3, after_seq=page1[-1].seq)
    page3 = await stores.audit.for_tenant(ACME, limit=3, after_seq=page2[-1].seq)
    assert [[r.seq for r in p] for p in (page1, page2, page3)] == [[1, 2, 3], [4, 5, 6], [7]]
    assert (*page1, *page2, *page3) == tuple(records)
    assert await stores.audit.for_tenant(ACME, after_seq=7) == ()
    assert await stores.audit.for_tenant(ACME) == tuple(records)
    assert [r.seq for r in await stores.audit.for_tenant(GLOBEX)] == [1, 2]
    assert await stores.audit.for_tenant("nobody-00000000") == ()


async def test_a_stored_chain_reads_back_verifiable(stores: Stores) -> None:
    records = await _append_chain(stores, 3)
    odd = chain(records[-1], replace(_draft(4), target="workset:caf\u00e9-\u2603", request_id=""))
    await stores.audit.append(odd)
    stored = await stores.audit.for_tenant(ACME)
    assert stored == (*records, odd)
    report = verify_chain(stored, customer_id=ACME)
    assert report.ok and report.checked == 4 and report.head_hash == odd.hash
