"""retry_as_clone and retry_failed_samples (T4, §3.5): a new workset, original untouched."""

from __future__ import annotations

from dataclasses import replace

from ursa.domain.audit import AuditAction
from ursa.domain.creation import clone_for_retry, submission_state
from ursa.domain.enums import SampleState
from ursa.domain.principals import Principal
from ursa.domain.samples import mark_succeeded_as_skipped
from ursa.domain.services.audit import record_workset
from ursa.domain.services.context import Ports
from ursa.domain.services.idempotency import begin, fingerprint
from ursa.domain.services.pricing import budget_outcome
from ursa.domain.services.queries import load_visible
from ursa.domain.tenancy import Action
from ursa.domain.worksets import Workset


async def retry_as_clone(
    ports: Ports,
    principal: Principal,
    workset_id: str,
    *,
    idempotency_key: str,
    only_failed: bool = False,
    reason: str | None = None,
) -> tuple[Workset, bool]:
    """Returns (clone, replayed). The clone inherits the approval and cost cap."""
    original = await load_visible(ports, principal, workset_id, Action.CLONE_RETRY)
    scope = f"{original.customer_id}#clone#{original.workset_id}"
    print_ = fingerprint({"only_failed": only_failed, "reason": reason or ""})
    replay_id = await begin(ports, scope=scope, key=idempotency_key, print_=print_)
    if replay_id is not None:
        return await ports.worksets.get(replay_id), True
    try:
        customer = await ports.directory.get_customer(original.customer_id)
        state = submission_state(
            approval_required=False,
            budget=await budget_outcome(ports, customer, original.cost_estimate),
        )
        now = ports.clock.now()
        transition = clone_for_retry(
            original,
            requester=principal.actor,
            requester_email=principal.email,
            now=now,
            id_suffix=ports.ids.hex8(),
            state=state,
            reason=reason,
            quote_id=original.quote_id,
            cost_estimate=original.cost_estimate,
            input_pins=original.input_pins,
            # The requester owns the clone: their user, even when a token of theirs asks
            # (the token is the history's actor, not an owner).
            owner_user_id=principal.user_id,
        )
        clone = transition.workset
        samples = await ports.worksets.samples(original.workset_id)
        if only_failed:
            samples = mark_succeeded_as_skipped(samples, original.workset_id)
        fresh = [
            replace(
                s,
                workset_id=clone.workset_id,
                attempts=(),
                cost_actual=None,
                failure_code=None,
                state=SampleState.SKIPPED
                if s.state is SampleState.SKIPPED
                else SampleState.PENDING,
            )
            for s in samples
        ]
        await ports.worksets.create(transition, fresh)
        manifest = await ports.objects.get(original.bucket, original.manifest.key)
        await ports.objects.put(clone.bucket, clone.manifest.key, manifest)
        await ports.notifier.publish(transition.events)
    except BaseException:
        await ports.idempotency.abandon(scope, idempotency_key)
        raise
    await ports.idempotency.finish(
        scope, idempotency_key, result_id=clone.workset_id, result_status=201
    )
    await record_workset(ports, principal, AuditAction.WORKSET_RETRY, before=None, after=clone)
    return clone, False


async def retry_failed_samples(
    ports: Ports,
    principal: Principal,
    workset_id: str,
    *,
    idempotency_key: str,
    reason: str | None = None,
) -> tuple[Workset, bool]:
    """A clone whose succeeded samples are skipped: only failed ones run again (§3.3)."""
    return await retry_as_clone(
        ports,
        principal,
        workset_id,
        idempotency_key=idempotency_key,
        only_failed=True,
        reason=reason,
    )
