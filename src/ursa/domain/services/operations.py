"""Provider-admin views of the engine's work: a workset's command log (§14.1) and the
leases the engine replicas hold (their heartbeats, read from the table, so every replica
is visible whichever process serves the request)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ursa.domain.command_log import CommandLogEntry
from ursa.domain.errors import Forbidden
from ursa.domain.ports.cluster import CommandLogStore
from ursa.domain.principals import Principal
from ursa.domain.services.context import Ports
from ursa.domain.services.queries import load_visible

MAX_ENTRIES = 1000


async def command_log(
    ports: Ports,
    store: CommandLogStore,
    principal: Principal,
    workset_id: str,
    *,
    label: str | None = None,
    text: str | None = None,
    limit: int = 200,
) -> tuple[CommandLogEntry, ...]:
    """Commands as run, oldest first, filtered by label and text. The workset is checked
    first, so another tenant's id answers 404 as everywhere else."""
    await load_visible(ports, principal, workset_id)
    if not principal.is_provider_admin:
        raise Forbidden("the command log is for provider admins")
    return await store.for_workset(
        workset_id, label=label or None, text=text or None, limit=min(max(limit, 1), MAX_ENTRIES)
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaseView:
    workset_id: str
    customer_id: str
    owner: str | None
    token: int
    step: str | None
    heartbeat_at: datetime | None
    expires_at: datetime | None
    expired: bool


async def engine_leases(ports: Ports, principal: Principal) -> tuple[LeaseView, ...]:
    """Every running workset with its holder and heartbeat; ``expired`` marks a lease a
    replica will take over (a dead or drained engine)."""
    if not principal.is_provider_admin:
        raise Forbidden("engine leases are for provider admins")
    now = ports.clock.now()
    return tuple(
        LeaseView(
            workset_id=ws.workset_id,
            customer_id=ws.customer_id,
            owner=ws.lease_owner,
            token=ws.lease_token,
            step=ws.progress_step.value if ws.progress_step else None,
            heartbeat_at=ws.heartbeat_at,
            expires_at=ws.lease_expires_at,
            expired=ws.lease_expires_at is None or ws.lease_expires_at < now,
        )
        for ws in await ports.worksets.leased(limit=MAX_ENTRIES)
    )
