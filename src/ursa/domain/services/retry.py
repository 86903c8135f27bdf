"""retry_as_clone and retry_failed_samples (T4, §3.5): a new workset, original untouched.

The clone carries the original's manifest bytes verbatim (checked against the original's
digest) and everything §3.5 lists, but not its pins or its quote:

* the input pins are **re-taken** for the samples the clone will run: an input that vanished,
  emptied or went to Glacier since, or whose bucket is no longer linked, refuses the retry
  with a 422 naming the row, the sample and the object (as submit does); an input that was
  replaced is pinned as it is now (re-uploading a bad file is what a clone is for);
* a fresh quote is computed on those inputs and stored under the clone's id; the clone
  carries it (``quote_id``, ``cost_estimate``) and still inherits the original's approval
  and cost cap, so it starts ``ready`` (or ``on_hold`` under a budget hold)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from ursa.domain.audit import AuditAction
from ursa.domain.creation import clone_for_retry, clone_workset_id, submission_state
from ursa.domain.enums import SampleState
from ursa.domain.errors import Conflict, GuardFailed, NotFound
from ursa.domain.estimates import Quote
from ursa.domain.ids import quote_id
from ursa.domain.manifest_types import Manifest
from ursa.domain.manifests import parse_manifest
from ursa.domain.principals import Principal
from ursa.domain.samples import Sample, mark_succeeded_as_skipped
from ursa.domain.services.audit import record_workset
from ursa.domain.services.context import Ports
from ursa.domain.services.idempotency import begin, fingerprint
from ursa.domain.services.inputs import manifest_rules, pin_inputs, sample_estimates
from ursa.domain.services.pricing import budget_outcome, price
from ursa.domain.services.queries import load_visible
from ursa.domain.tenancy import Action
from ursa.domain.worksets import Transition, Workset


async def carried_manifest(ports: Ports, original: Workset) -> tuple[bytes, Manifest]:
    """The original's stored manifest, parsed, and only if it still has the original's digest.

    Head-node paths are allowed as the engine allows them: these are the very bytes that were
    validated (under the submitter's rights) at the original's submit."""
    rules = manifest_rules(ports.policies, allow_local_paths=True)
    try:
        data = await ports.objects.get(
            original.bucket, original.manifest.key, max_bytes=rules.max_bytes + 1
        )
    except NotFound:
        raise Conflict(
            f"the manifest of workset {original.workset_id} is missing from its folder; "
            "submit it again as a new workset",
            code="MANIFEST_MISSING",
        ) from None
    manifest = parse_manifest(data, rules)
    if manifest.sha256 != original.manifest.sha256:
        raise Conflict(
            f"the stored manifest of workset {original.workset_id} no longer matches its "
            "sha256; submit it again as a new workset",
            code="MANIFEST_CHANGED",
        )
    return data, manifest


def _fresh_samples(
    original: Workset, samples: tuple[Sample, ...], clone_id: str, *, only_failed: bool
) -> list[Sample]:
    """The clone's samples: pending, or skipped (skipped before, or succeeded and only the
    failed ones are retried); no attempts, costs or failures."""
    if only_failed:
        samples = mark_succeeded_as_skipped(samples, original.workset_id)
    return [
        replace(
            s,
            workset_id=clone_id,
            attempts=(),
            cost_actual=None,
            failure_code=None,
            state=SampleState.SKIPPED if s.state is SampleState.SKIPPED else SampleState.PENDING,
        )
        for s in samples
    ]


def _in_scope(original: Workset, samples: list[Sample]) -> list[str]:
    scope = [s.sample_id for s in samples if s.state is SampleState.PENDING]
    if not scope:
        raise GuardFailed(
            f"nothing to retry: every sample of workset {original.workset_id} succeeded or "
            "was skipped",
            code="NOTHING_TO_RETRY",
        )
    return scope


async def retry_as_clone(
    ports: Ports,
    principal: Principal,
    workset_id: str,
    *,
    idempotency_key: str,
    only_failed: bool = False,
    reason: str | None = None,
) -> tuple[Workset, bool]:
    """Returns (clone, replayed). The clone inherits the approval and cost cap; its pins and
    quote are its own."""
    original = await load_visible(ports, principal, workset_id, Action.CLONE_RETRY)
    scope = f"{original.customer_id}#clone#{original.workset_id}"
    print_ = fingerprint({"only_failed": only_failed, "reason": reason or ""})
    replay_id = await begin(ports, scope=scope, key=idempotency_key, print_=print_)
    if replay_id is not None:
        return await ports.worksets.get(replay_id), True
    try:
        plan = await _plan_clone(ports, principal, original, only_failed, reason)
        clone = plan.transition.workset
        await ports.quotes.put(plan.quote)
        await ports.worksets.create(plan.transition, plan.samples)
        await ports.objects.put(clone.bucket, clone.manifest.key, plan.manifest)
        await ports.notifier.publish(plan.transition.events)
    except BaseException:
        await ports.idempotency.abandon(scope, idempotency_key)
        raise
    await ports.idempotency.finish(
        scope, idempotency_key, result_id=clone.workset_id, result_status=201
    )
    await record_workset(ports, principal, AuditAction.WORKSET_RETRY, before=None, after=clone)
    return clone, False


@dataclass(frozen=True, slots=True, kw_only=True)
class _ClonePlan:
    transition: Transition
    samples: list[Sample]
    quote: Quote
    manifest: bytes


async def _plan_clone(
    ports: Ports,
    principal: Principal,
    original: Workset,
    only_failed: bool,
    reason: str | None,
) -> _ClonePlan:
    """Fetch and decide, writing nothing: the manifest, re-taken pins, a fresh quote."""
    customer = await ports.directory.get_customer(original.customer_id)
    now = ports.clock.now()
    suffix = ports.ids.hex8()
    clone_id = clone_workset_id(original, now=now, id_suffix=suffix)
    data, manifest = await carried_manifest(ports, original)
    samples = _fresh_samples(
        original,
        await ports.worksets.samples(original.workset_id),
        clone_id,
        only_failed=only_failed,
    )
    pins, sizes = await pin_inputs(ports, customer, manifest, samples=_in_scope(original, samples))
    _, quote = price(
        sizes,
        original.pipeline_type,
        original.priority,
        original.workset_type,
        quote_id=quote_id(clone_id, 1),
        workset_id=clone_id,
        now=now,
    )
    state = submission_state(
        approval_required=False, budget=await budget_outcome(ports, customer, quote.point)
    )
    transition = clone_for_retry(
        original,
        requester=principal.actor,
        requester_email=principal.email,
        now=now,
        id_suffix=suffix,
        state=state,
        reason=reason,
        input_pins=pins,
        quote=quote,
        # The requester owns the clone: their user, even when a token of theirs asks
        # (the token is the history's actor, not an owner).
        owner_user_id=principal.user_id,
    )
    estimates = sample_estimates(quote)
    priced = [
        replace(
            s,
            input_bytes=sizes.get(s.sample_id, s.input_bytes),
            cost_estimate=estimates.get(s.sample_id, Decimal(0)),
        )
        for s in samples
    ]
    return _ClonePlan(transition=transition, samples=priced, quote=quote, manifest=data)


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
