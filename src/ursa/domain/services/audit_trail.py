"""Reading and verifying a tenant's audit chain (``services/audit.py`` writes it).

Customer admins read their own customer's chain; provider admins read any customer's, or
the provider's own chain (``PROVIDER_TENANT``), and must name it. A customer_user may not
read the trail (403); naming another customer is 404, as for a customer that does not exist."""

from __future__ import annotations

from ursa.domain.audit import PROVIDER_TENANT, AuditRecord, ChainReport
from ursa.domain.errors import InvalidInput, NotFound
from ursa.domain.principals import Principal, Role
from ursa.domain.services.audit import verify_tenant
from ursa.domain.services.context import Ports
from ursa.domain.tenancy import Action, require_role, require_scope

MAX_LIMIT = 1000


async def audit_tenant(ports: Ports, principal: Principal, customer_id: str | None) -> str:
    """The chain the caller reads: their own customer's, or the one a provider admin names."""
    require_scope(principal, Action.VIEW)
    if principal.role is Role.PROVIDER_ADMIN:
        if customer_id is None:
            message = f"provider admins name the tenant: a customer id or {PROVIDER_TENANT}"
            raise InvalidInput.single("customer_id", "REQUIRED", message)
        if customer_id != PROVIDER_TENANT:
            await ports.directory.get_customer(customer_id)  # NotFound when there is none
        return customer_id
    own = principal.customer_id
    if own is None or (customer_id is not None and customer_id != own):
        raise NotFound("customer not found")
    require_role(principal, Role.CUSTOMER_ADMIN)
    return own


async def read_trail(
    ports: Ports,
    principal: Principal,
    *,
    customer_id: str | None,
    since: int = 0,
    limit: int = 100,
) -> tuple[str, tuple[AuditRecord, ...]]:
    """At most ``limit`` records with ``seq > since``, oldest first; page on with the last
    seq. Returns the tenant read and the records."""
    if since < 0 or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput.single(
            "limit" if since >= 0 else "since", "OUT_OF_RANGE", "since >= 0, 1 <= limit <= 1000"
        )
    tenant = await audit_tenant(ports, principal, customer_id)
    records = await ports.audit.for_tenant(tenant, limit=limit, after_seq=since or None)
    return tenant, records


async def verify_trail(
    ports: Ports, principal: Principal, *, customer_id: str | None
) -> tuple[str, ChainReport]:
    """Walk the tenant's whole chain (``verify_tenant``) and report where it first breaks."""
    tenant = await audit_tenant(ports, principal, customer_id)
    return tenant, await verify_tenant(ports, tenant)
