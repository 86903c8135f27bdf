"""Cancel, archive, restore, delete and undelete (T17, T19, T24–T27).

Cancel, archive and restore are naturally idempotent: repeating them on the target state
is a no-op that writes no history (§6.6)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ursa.domain import commands, runs
from ursa.domain.audit import AuditAction
from ursa.domain.enums import SampleState, WorksetState, WorksetType
from ursa.domain.errors import Forbidden
from ursa.domain.ids import workset_prefix
from ursa.domain.ports import ObjectStore
from ursa.domain.ports.objects import MAX_LIST_LIMIT
from ursa.domain.principals import Principal, Role
from ursa.domain.samples import apply_sample
from ursa.domain.services.audit import record, record_workset, workset_snapshot
from ursa.domain.services.context import Ports, commit
from ursa.domain.services.queries import load_visible
from ursa.domain.tenancy import Action
from ursa.domain.worksets import Workset


class CancelOutcome(StrEnum):
    CANCELED = "canceled"
    """Stopped at once: nothing was running."""
    STOPPING = "stopping"
    """A run is under way; the engine stops it and records evidence (§2.7)."""
    ALREADY = "already"


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelResult:
    workset: Workset
    outcome: CancelOutcome


async def cancel_workset(
    ports: Ports, principal: Principal, workset_id: str, reason: str | None = None
) -> CancelResult:
    ws = await load_visible(ports, principal, workset_id, Action.CANCEL)
    now = ports.clock.now()
    if ws.state is WorksetState.CANCELED or (
        ws.state is WorksetState.IN_PROGRESS and ws.cancel_pending
    ):
        outcome = CancelOutcome.ALREADY
        return CancelResult(workset=ws, outcome=outcome)
    if ws.state is WorksetState.IN_PROGRESS:
        transition = runs.request_cancel(ws, actor=principal.actor, now=now, reason=reason)
        await commit(ports, transition)
        await record_workset(
            ports, principal, AuditAction.WORKSET_CANCEL, before=ws, after=transition.workset
        )
        return CancelResult(workset=transition.workset, outcome=CancelOutcome.STOPPING)
    transition = commands.cancel(ws, actor=principal.actor, now=now, reason=reason)
    await commit(ports, transition)
    await record_workset(
        ports, principal, AuditAction.WORKSET_CANCEL, before=ws, after=transition.workset
    )
    samples = await ports.worksets.samples(workset_id)
    await ports.worksets.save_samples(
        workset_id,
        [
            apply_sample(s, "workset_canceled")
            if s.state in (SampleState.PENDING, SampleState.STAGING, SampleState.RUNNING)
            else s
            for s in samples
        ],
    )
    return CancelResult(workset=transition.workset, outcome=CancelOutcome.CANCELED)


async def archive_workset(ports: Ports, principal: Principal, workset_id: str) -> Workset:
    ws = await load_visible(ports, principal, workset_id, Action.ARCHIVE)
    if ws.state is WorksetState.ARCHIVED:
        return ws
    transition = commands.archive(ws, actor=principal.actor, now=ports.clock.now())
    await commit(ports, transition)
    await record_workset(
        ports, principal, AuditAction.WORKSET_ARCHIVE, before=ws, after=transition.workset
    )
    return transition.workset


async def restore_workset(ports: Ports, principal: Principal, workset_id: str) -> Workset:
    ws = await load_visible(ports, principal, workset_id, Action.RESTORE)
    if ws.state is not WorksetState.ARCHIVED:
        return ws
    transition = commands.restore(ws, actor=principal.actor, now=ports.clock.now())
    await commit(ports, transition)
    await record_workset(
        ports, principal, AuditAction.WORKSET_RESTORE, before=ws, after=transition.workset
    )
    return transition.workset


async def undelete_workset(
    ports: Ports, principal: Principal, workset_id: str, *, reason: str | None
) -> Workset:
    """T27, provider admins: a soft-deleted workset goes back to ``archived`` (restore then
    takes it to the state it was deleted from). Refused once a purge started (a hard delete)
    or 30 days after the delete; a workset that is not deleted is an illegal transition."""
    ws = await load_visible(ports, principal, workset_id, Action.UNDELETE)
    transition = commands.undelete(ws, actor=principal.actor, now=ports.clock.now(), reason=reason)
    await commit(ports, transition)
    await record_workset(
        ports, principal, AuditAction.WORKSET_UNDELETE, before=ws, after=transition.workset
    )
    return transition.workset


@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteResult:
    workset: Workset
    objects_removed: int = 0
    """Objects a hard delete removed from the workset's S3 folder in this request."""


async def purge_folder(
    objects: ObjectStore, bucket: str, prefix: str, *, page_size: int = MAX_LIST_LIMIT
) -> int:
    """Delete every object under ``prefix`` a page at a time; returns how many went.
    Deleting is idempotent, so a purge cut short is finished by asking again."""
    removed = 0
    cursor: str | None = None
    while True:
        page = await objects.list(bucket, prefix, limit=page_size, cursor=cursor)
        for facts in page.items:
            await objects.delete(bucket, facts.key)
        removed += len(page.items)
        if page.next_cursor is None:
            return removed
        cursor = page.next_cursor


async def _purged_before(ports: Ports, ws: Workset) -> bool:
    if ws.state is not WorksetState.DELETED or not ws.hard_delete:
        return False
    return any(h.event == "purge_completed" for h in await ports.worksets.history(ws.workset_id))


async def delete_workset(
    ports: Ports,
    principal: Principal,
    workset_id: str,
    *,
    hard: bool = False,
    reason: str | None = None,
) -> DeleteResult:
    """Soft delete by default. A customer_user may soft-delete own ``ruo`` worksets only;
    hard delete of ``clinical`` data is provider-only (T26).

    ``hard`` also purges ``s3://<bucket>/worksets/<workset_id>/`` (T28, done in the request)
    and records ``purge_completed`` with the object count; it may follow a soft delete.
    The audit record of a hard delete is written once the purge is recorded, and its after
    snapshot carries ``objects_removed``. A purge cut short (the store stopped answering)
    leaves the workset deleted; asking again finishes it. Repeating a delete that has
    nothing left to do is a no-op without history."""
    action = Action.HARD_DELETE if hard else Action.DELETE
    ws = await load_visible(ports, principal, workset_id, action)
    if principal.role is Role.CUSTOMER_USER and ws.workset_type is not WorksetType.RUO:
        raise Forbidden("only research-use worksets can be deleted by their owner")
    if hard and ws.workset_type is WorksetType.CLINICAL and not principal.is_provider_admin:
        raise Forbidden("clinical data can only be purged by the provider")
    current = ws
    if ws.state is not WorksetState.DELETED:
        transition = commands.delete(
            ws, actor=principal.actor, now=ports.clock.now(), hard=hard, reason=reason
        )
        await commit(ports, transition)
        current = transition.workset
        if not hard:
            await record_workset(
                ports, principal, AuditAction.WORKSET_DELETE, before=ws, after=current
            )
            return DeleteResult(workset=current)
    if not hard:
        return DeleteResult(workset=ws)
    removed = await purge_folder(ports.objects, ws.bucket, workset_prefix(ws.workset_id))
    if removed == 0 and await _purged_before(ports, ws):
        return DeleteResult(workset=ws)
    purged = commands.purge_completed(
        current, actor=principal.actor, now=ports.clock.now(), objects_removed=removed
    )
    await commit(ports, purged)
    await record(
        ports,
        actor=principal,
        customer_id=ws.customer_id,
        action=AuditAction.WORKSET_HARD_DELETE,
        target=f"workset:{ws.workset_id}",
        before=workset_snapshot(ws),
        after={**(workset_snapshot(purged.workset) or {}), "objects_removed": removed},
    )
    return DeleteResult(workset=purged.workset, objects_removed=removed)
