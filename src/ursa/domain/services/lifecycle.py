"""Cancel, archive, restore and delete (T17, T19, T24–T26).

Cancel, archive and restore are naturally idempotent: repeating them on the target state
is a no-op that writes no history (§6.6)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ursa.domain import commands, runs
from ursa.domain.audit import AuditAction
from ursa.domain.enums import SampleState, WorksetState, WorksetType
from ursa.domain.errors import Forbidden
from ursa.domain.principals import Principal, Role
from ursa.domain.samples import apply_sample
from ursa.domain.services.audit import record_workset
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


async def delete_workset(
    ports: Ports,
    principal: Principal,
    workset_id: str,
    *,
    hard: bool = False,
    reason: str | None = None,
) -> Workset:
    """Soft delete by default. A customer_user may soft-delete own ``ruo`` worksets only;
    hard delete of ``clinical`` data is provider-only (T26)."""
    action = Action.HARD_DELETE if hard else Action.DELETE
    ws = await load_visible(ports, principal, workset_id, action)
    if principal.role is Role.CUSTOMER_USER and ws.workset_type is not WorksetType.RUO:
        raise Forbidden("only research-use worksets can be deleted by their owner")
    if hard and ws.workset_type is WorksetType.CLINICAL and not principal.is_provider_admin:
        raise Forbidden("clinical data can only be purged by the provider")
    if ws.state is WorksetState.DELETED:
        return ws
    transition = commands.delete(
        ws, actor=principal.actor, now=ports.clock.now(), hard=hard, reason=reason
    )
    await commit(ports, transition)
    delete = AuditAction.WORKSET_HARD_DELETE if hard else AuditAction.WORKSET_DELETE
    await record_workset(ports, principal, delete, before=ws, after=transition.workset)
    return transition.workset
