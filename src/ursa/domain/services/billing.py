"""Billing reads: usage summary, workset costs, invoice and CSV export — fetch the ledger
and the worksets the caller may see, then decide in ``ursa.domain.invoicing``.

Who sees what (DOMAIN §1, "see worksets, samples, costs"; budgets are customer business):

* ``customer_user``: the costs of their **own** worksets (usage summary, workset costs, one
  workset's breakdown); no invoice or export (403: the customer's bill is the admin's).
* ``customer_admin``: everything of their customer, invoice and export included.
* ``provider_admin``: any customer, named by ``customer_id`` (required; 404 if unknown).

A customer naming another customer's id gets 404, exactly as for a customer that does not
exist. The usage summary, the invoice and the CSV are projections of one ``Statement``, so
they agree to the cent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ursa.domain import invoicing
from ursa.domain.errors import InvalidInput, NotFound
from ursa.domain.invoicing import (
    Invoice,
    Statement,
    UsageSummary,
    WorksetCostDetail,
    WorksetCosts,
    WorksetInfo,
)
from ursa.domain.periods import Period
from ursa.domain.principals import Principal, Role
from ursa.domain.samples import Sample
from ursa.domain.services.context import Ports
from ursa.domain.services.queries import load_visible
from ursa.domain.tenancy import Action, can_see, require_role, require_scope
from ursa.domain.worksets import Workset


async def billed_customer(ports: Ports, principal: Principal, customer_id: str | None) -> str:
    """The customer whose billing the caller reads (see the module docstring)."""
    require_scope(principal, Action.VIEW)
    if principal.role is Role.PROVIDER_ADMIN:
        if customer_id is None:
            raise InvalidInput.single(
                "customer_id", "REQUIRED", "provider admins name the customer (customer_id)"
            )
        await ports.directory.get_customer(customer_id)  # NotFound when there is none
        return customer_id
    own = principal.customer_id
    if own is None or (customer_id is not None and customer_id != own):
        raise NotFound("customer not found")
    return own


def _info(ws: Workset | None, workset_id: str, samples: Sequence[Sample] = ()) -> WorksetInfo:
    if ws is None:
        return WorksetInfo(workset_id=workset_id)
    return WorksetInfo(
        workset_id=ws.workset_id,
        name=ws.name,
        owner_user_id=ws.owner_user_id,
        cost_cap=ws.cost_cap,
        sample_ids=tuple(s.sample_id for s in samples),
    )


async def _statement(
    ports: Ports, principal: Principal, customer_id: str, period: Period
) -> Statement:
    """The customer's entries in the period, of the worksets the caller may see. A workset
    that is gone (purged) stays on the customer's bill, without a name; a customer_user
    only sees worksets shown to be their own."""
    entries = await ports.ledger.for_customer(customer_id, period.start, period.end)
    infos: dict[str, WorksetInfo] = {}
    for workset_id in sorted({e.workset_id for e in entries}):
        try:
            ws: Workset | None = await ports.worksets.get(workset_id)
        except NotFound:
            ws = None
        visible = (
            can_see(principal, ws) if ws is not None else principal.role is not Role.CUSTOMER_USER
        )
        if visible:
            infos[workset_id] = _info(ws, workset_id)
    own_only = principal.user_id if principal.role is Role.CUSTOMER_USER else None
    return invoicing.statement(
        customer_id,
        period,
        (e for e in entries if e.workset_id in infos),
        infos,
        owner_user_id=own_only,
    )


async def usage(
    ports: Ports, principal: Principal, *, customer_id: str | None, period: Period
) -> UsageSummary:
    tenant = await billed_customer(ports, principal, customer_id)
    return invoicing.usage_summary(await _statement(ports, principal, tenant, period))


@dataclass(frozen=True, slots=True, kw_only=True)
class WorksetCostList:
    customer_id: str
    period: Period
    items: tuple[WorksetCosts, ...]


async def workset_costs(
    ports: Ports, principal: Principal, *, customer_id: str | None, period: Period
) -> WorksetCostList:
    tenant = await billed_customer(ports, principal, customer_id)
    found = await _statement(ports, principal, tenant, period)
    return WorksetCostList(customer_id=tenant, period=period, items=invoicing.workset_costs(found))


async def invoice(
    ports: Ports, principal: Principal, *, customer_id: str | None, period: Period
) -> Invoice:
    """The customer's invoice for the period; customer admins and provider admins only."""
    tenant = await billed_customer(ports, principal, customer_id)
    require_role(principal, Role.CUSTOMER_ADMIN)
    return invoicing.invoice(await _statement(ports, principal, tenant, period))


async def export_rows(
    ports: Ports, principal: Principal, *, customer_id: str | None, period: Period
) -> tuple[Invoice, tuple[Sequence[str], ...]]:
    """The invoice and its CSV rows (header first), from the same statement."""
    bill = await invoice(ports, principal, customer_id=customer_id, period=period)
    return bill, invoicing.csv_rows(bill)


async def workset_cost_detail(
    ports: Ports, principal: Principal, workset_id: str
) -> WorksetCostDetail:
    """One workset over all its entries, with per-sample costs that add up to it."""
    ws = await load_visible(ports, principal, workset_id, Action.VIEW)
    samples = await ports.worksets.samples(workset_id)
    entries = await ports.ledger.for_workset(workset_id)
    return invoicing.workset_detail(_info(ws, workset_id, samples), entries)
