"""services.billing on the in-memory product: who sees which costs, and gone worksets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest

from builders import ACME, ACME_ADMIN, ACME_COLLEAGUE, ACME_USER, GLOBEX_ADMIN, NOW, PROVIDER
from service_world import World
from ursa.domain.errors import Forbidden, InvalidInput, NotFound
from ursa.domain.periods import month_of
from ursa.domain.principals import Principal
from ursa.domain.records import CostLedgerEntry
from ursa.domain.services import billing
from ursa.domain.services.submit import SubmitRequest, submit_workset

pytestmark = pytest.mark.anyio
PERIOD = month_of(NOW)


def _entry(workset_id: str, n: int, amount: str) -> CostLedgerEntry:
    return CostLedgerEntry(
        entry_id=f"{workset_id}:{n}",
        workset_id=workset_id,
        customer_id=ACME,
        run_id=None,
        sample_id=f"S{n}",
        component="compute_direct",
        amount=Decimal(amount),
        basis="actual",
        rate_card_version="2026-11",
        posted_at=NOW + timedelta(minutes=n),
    )


async def _ledger(world: World, request_for: Callable[..., SubmitRequest]) -> str:
    """Sam's workset (1.00 + 2.00), and 4.00 for a workset that is gone (purged)."""
    ports = world.container.ports
    result = await submit_workset(ports, ACME_USER, request_for())
    workset_id = result.workset.workset_id
    for entry in (_entry(workset_id, 1, "1.00"), _entry(workset_id, 2, "2.00")):
        await ports.ledger.post(entry)
    await ports.ledger.post(_entry("gone-ws-00000000", 3, "4.00"))
    return workset_id


async def test_each_role_sees_its_part_of_the_bill(
    world: World, request_for: Callable[..., SubmitRequest]
) -> None:
    workset_id = await _ledger(world, request_for)
    ports = world.container.ports

    async def total(principal: Principal, customer_id: str | None = None) -> Decimal:
        summary = await billing.usage(ports, principal, customer_id=customer_id, period=PERIOD)
        return summary.total

    assert await total(ACME_USER) == Decimal("3.00")  # own worksets only
    assert await total(ACME_COLLEAGUE) == Decimal("0")
    assert await total(ACME_ADMIN) == Decimal("7.00")  # the gone workset stays on the bill
    assert await total(PROVIDER, ACME) == Decimal("7.00")
    bill = await billing.invoice(ports, ACME_ADMIN, customer_id=None, period=PERIOD)
    assert [(line.info.workset_id, line.info.name) for line in bill.lines] == [
        (workset_id, "GIAB trio"),
        ("gone-ws-00000000", None),
    ]
    with pytest.raises(Forbidden):
        await billing.invoice(ports, ACME_USER, customer_id=None, period=PERIOD)
    with pytest.raises(NotFound):
        await billing.usage(ports, GLOBEX_ADMIN, customer_id=ACME, period=PERIOD)
    with pytest.raises(NotFound):
        await billing.usage(ports, PROVIDER, customer_id="nobody-00000000", period=PERIOD)
    with pytest.raises(InvalidInput):
        await billing.usage(ports, PROVIDER, customer_id=None, period=PERIOD)


async def test_workset_detail_is_for_whoever_sees_the_workset(
    world: World, request_for: Callable[..., SubmitRequest]
) -> None:
    workset_id = await _ledger(world, request_for)
    ports = world.container.ports
    detail = await billing.workset_cost_detail(ports, ACME_USER, workset_id)
    assert detail.workset.total == Decimal("3.00")
    assert sum((s.costs.total for s in detail.samples), Decimal(0)) == Decimal("3.00")
    for stranger in (ACME_COLLEAGUE, GLOBEX_ADMIN):
        with pytest.raises(NotFound):
            await billing.workset_cost_detail(ports, stranger, workset_id)
