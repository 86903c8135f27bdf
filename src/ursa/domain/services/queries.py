"""Read use cases: list and get, tenant-scoped by construction."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ursa.domain.ports import Page, WorksetQuery
from ursa.domain.ports.pages import MAX_PAGE_SIZE
from ursa.domain.principals import Principal
from ursa.domain.samples import Sample
from ursa.domain.services.context import Ports
from ursa.domain.tenancy import Action, authorize, require_scope, tenant_filter
from ursa.domain.worksets import HistoryEntry, Workset


@dataclass(frozen=True, slots=True, kw_only=True)
class WorksetDetail:
    workset: Workset
    samples: tuple[Sample, ...]
    history: tuple[HistoryEntry, ...]


async def list_worksets(ports: Ports, principal: Principal, query: WorksetQuery) -> Page[Workset]:
    """The tenant keys come from the principal, never from the request (defect 2)."""
    require_scope(principal, Action.VIEW)
    customer_id, owner = tenant_filter(principal)
    scoped = replace(
        query,
        customer_id=customer_id if customer_id is not None else query.customer_id,
        owner_user_id=owner if owner is not None else query.owner_user_id,
        limit=max(1, min(query.limit, MAX_PAGE_SIZE)),
    )
    return await ports.worksets.list(scoped)


async def load_visible(
    ports: Ports, principal: Principal, workset_id: str, action: Action = Action.VIEW
) -> Workset:
    ws = await ports.worksets.get(workset_id)
    authorize(principal, ws, action)
    return ws


async def get_workset(ports: Ports, principal: Principal, workset_id: str) -> WorksetDetail:
    ws = await load_visible(ports, principal, workset_id)
    return WorksetDetail(
        workset=ws,
        samples=await ports.worksets.samples(workset_id),
        history=await ports.worksets.history(workset_id),
    )
