"""record and verify_tenant: append to a tenant's audit chain, and check it end to end.

The mutating use cases call ``record`` once, after their write succeeded, with a snapshot of
the few fields they changed; only the snapshots' digests are stored."""

from __future__ import annotations

from collections.abc import Mapping

from ursa.domain.audit import (
    AuditDraft,
    AuditRecord,
    ChainReport,
    chain,
    snapshot_digest,
    verify_chain,
)
from ursa.domain.errors import Conflict
from ursa.domain.principals import Actor, Principal
from ursa.domain.services.context import Ports
from ursa.domain.worksets import Workset

MAX_ATTEMPTS = 5
"""Appends that lose the race for the next seq re-read the head and try again this often."""

PAGE_SIZE = 100

Snapshot = Mapping[str, object]


async def record(
    ports: Ports,
    *,
    actor: Principal | Actor,
    customer_id: str,
    action: str,
    target: str,
    before: Snapshot | None = None,
    after: Snapshot | None = None,
    request_id: str | None = None,
) -> AuditRecord:
    """Chain a record after the tenant's head and append it; ``Conflict`` if the seq race
    is lost ``MAX_ATTEMPTS`` times in a row."""
    who = actor.actor if isinstance(actor, Principal) else actor
    if request_id is None and isinstance(actor, Principal):
        request_id = actor.request_id
    draft = AuditDraft(
        customer_id=customer_id,
        at=ports.clock.now(),
        actor_id=who.id,
        action=str(action),
        target=target,
        request_id=request_id,
        before_digest=snapshot_digest(before),
        after_digest=snapshot_digest(after),
    )
    for _ in range(MAX_ATTEMPTS):
        link = chain(await ports.audit.head(customer_id), draft)
        try:
            await ports.audit.append(link)
        except Conflict:
            continue  # another writer took this seq: re-read the head
        return link
    raise Conflict(f"the audit log of {customer_id} is too busy; try again")


def workset_snapshot(ws: Workset | None) -> Snapshot | None:
    """What a workset mutation is audited by: its state and version."""
    return None if ws is None else {"state": ws.state, "version": ws.version}


async def record_workset(
    ports: Ports,
    actor: Principal | Actor,
    action: str,
    *,
    before: Workset | None,
    after: Workset,
    request_id: str | None = None,
) -> AuditRecord:
    """``record`` for a workset mutation: tenant, target and snapshots from the workset."""
    return await record(
        ports,
        actor=actor,
        customer_id=after.customer_id,
        action=action,
        target=f"workset:{after.workset_id}",
        before=workset_snapshot(before),
        after=workset_snapshot(after),
        request_id=request_id,
    )


async def verify_tenant(
    ports: Ports, customer_id: str, *, page_size: int = PAGE_SIZE
) -> ChainReport:
    """Walk the tenant's whole chain oldest first, one page at a time; stop at the first
    break. ``checked`` counts every good record, ``head_hash`` is the last good hash."""
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    checked = 0
    last: AuditRecord | None = None
    while True:
        page = await ports.audit.for_tenant(
            customer_id, limit=page_size, after_seq=None if last is None else last.seq
        )
        report = verify_chain(page, after=last, customer_id=customer_id)
        checked += report.checked
        if not report.ok or len(page) < page_size:
            return ChainReport(
                ok=report.ok,
                first_bad_seq=report.first_bad_seq,
                problem=report.problem,
                checked=checked,
                head_hash=report.head_hash,
            )
        last = page[-1]
