"""Read use cases: list and get, tenant-scoped by construction."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ursa.domain.errors import NotFound
from ursa.domain.ports import Page, WorksetQuery
from ursa.domain.ports.pages import MAX_PAGE_SIZE
from ursa.domain.principals import Principal
from ursa.domain.samples import Sample
from ursa.domain.search import parse_search
from ursa.domain.services.context import Ports
from ursa.domain.tenancy import Action, authorize, require_scope, tenant_filter
from ursa.domain.workset_filters import combine
from ursa.domain.worksets import HistoryEntry, Workset


@dataclass(frozen=True, slots=True, kw_only=True)
class WorksetDetail:
    workset: Workset
    samples: tuple[Sample, ...]
    history: tuple[HistoryEntry, ...]


async def list_worksets(
    ports: Ports, principal: Principal, query: WorksetQuery, *, owner: str | None = None
) -> Page[Workset]:
    """The tenant keys come from the principal, never from the request (defect 2).

    ``query.text`` is the search box: its ``key:value`` operators (``domain/search.py``) are
    parsed here and AND-ed with the other filters; ``owner`` (and each ``owner:``) is a user
    id, an email or ``me``. Filters only narrow: an owner outside the caller's view, an
    unknown email or contradictory filters give an empty page, never an error."""
    require_scope(principal, Action.VIEW)
    terms = parse_search(query.text)
    customer_id, tenant_owner = tenant_filter(principal)
    owners = [tenant_owner] if tenant_owner is not None else []
    for wanted in (owner or "", *terms.owners):
        if not wanted.strip():
            continue
        resolved = await _owner_id(ports, principal, wanted.strip())
        if resolved is None:
            return Page(items=())
        owners.append(resolved)
    scoped = combine(
        replace(
            query,
            customer_id=customer_id if customer_id is not None else query.customer_id,
            limit=max(1, min(query.limit, MAX_PAGE_SIZE)),
        ),
        terms,
        owner_ids=owners,
    )
    if scoped is None:
        return Page(items=())
    return await ports.worksets.list(scoped)


async def _owner_id(ports: Ports, principal: Principal, owner: str) -> str | None:
    """``me``, an email (None when nobody has it) or a user id taken as given."""
    if owner.lower() == "me":
        return principal.user_id
    if "@" not in owner:
        return owner
    try:
        return (await ports.directory.user_by_email(owner)).user_id
    except NotFound:
        return None


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
