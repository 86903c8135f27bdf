"""Provider-admin views of the engine's work: a workset's command log (§14.1)."""

from __future__ import annotations

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
