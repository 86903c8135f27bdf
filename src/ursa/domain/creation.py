"""Creating worksets: submit (T1–T3), clone for retry (T4, §3.5) and the approval gate."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from ursa.domain.enums import Origin, WorksetState, WorksetType
from ursa.domain.errors import BudgetExhausted, GuardFailed
from ursa.domain.estimates import Quote
from ursa.domain.ids import new_workset_id, workset_prefix
from ursa.domain.principals import Actor
from ursa.domain.transitions import build_events
from ursa.domain.worksets import HistoryEntry, InputPin, OverrideDiff, Transition, Workset

_STAMPS = re.compile(r"^(?P<prefix>.*?)(?:-\d{8}T\d{6})+$")
CLONEABLE = frozenset(
    {WorksetState.ERROR, WorksetState.FAILED, WorksetState.CANCELED, WorksetState.COMPLETE}
)


class ApprovalMode(StrEnum):
    NEVER = "never"
    ALWAYS = "always"
    ABOVE = "above"


@dataclass(frozen=True, slots=True, kw_only=True)
class ApprovalPolicy:
    mode: ApprovalMode = ApprovalMode.NEVER
    threshold: Decimal = Decimal(0)
    self_approval_below: Decimal = Decimal(0)

    def requires_approval(self, workset_type: WorksetType, point: Decimal) -> bool:
        if workset_type is WorksetType.CLINICAL or self.mode is ApprovalMode.ALWAYS:
            return True
        return self.mode is ApprovalMode.ABOVE and point > self.threshold


class BudgetOutcome(StrEnum):
    """What the budget check said about new work (§9.9)."""

    OK = "ok"
    HOLD = "hold"
    REJECT = "reject"


def submission_state(*, approval_required: bool, budget: BudgetOutcome) -> WorksetState:
    """T1–T3 (and the T4 clone variant): where a new workset starts."""
    if budget is BudgetOutcome.REJECT:
        raise BudgetExhausted("the customer's budget is exhausted; new work is refused")
    if approval_required:
        return WorksetState.AWAITING_APPROVAL
    return WorksetState.ON_HOLD if budget is BudgetOutcome.HOLD else WorksetState.READY


def submitted_payload(ws: Workset) -> dict[str, object]:
    """The §12 ``workset.submitted`` payload, read off the new workset itself."""
    return {
        "name": ws.name,
        "pipeline_type": ws.pipeline_type.value,
        "pipeline_version": ws.pipeline_version,
        "reference_genome": ws.reference_genome.value,
        "priority": ws.priority.value,
        "workset_type": ws.workset_type.value,
        "sample_count": ws.manifest.sample_count,
        "origin": ws.origin.value,
        "retried_from": ws.retried_from,
    }


def created(ws: Workset, *, event: str, actor: Actor, now: datetime) -> Transition:
    """The create-only write of a new aggregate with its first history entry."""
    entry = HistoryEntry(
        seq=1,
        at=now,
        actor=actor,
        event=event,
        from_state=None,
        to_state=ws.state,
        version_after=ws.version,
        details=MappingProxyType({"origin": ws.origin.value}),
    )
    specs: tuple[tuple[str, MappingProxyType[str, object]], ...] = (
        ("workset.submitted", MappingProxyType(submitted_payload(ws))),
    )
    if ws.retried_from:
        specs += (
            (
                "workset.cloned_for_retry",
                MappingProxyType({"original_id": ws.retried_from, "clone_id": ws.workset_id}),
            ),
        )
    return Transition(
        workset=ws, history=entry, events=build_events(ws, actor, now, specs), expected_version=None
    )


def retry_name(original_name: str, now: datetime) -> str:
    """``<prefix>-<UTC %Y%m%dT%H%M%S>``, stripping stacked stamps first (§3.5)."""
    match = _STAMPS.match(original_name)
    prefix = match.group("prefix") if match else original_name
    prefix = prefix[:64].rstrip(" ._-") or "workset"
    return f"{prefix}-{now.strftime('%Y%m%dT%H%M%S')}"


def clone_workset_id(original: Workset, *, now: datetime, id_suffix: str) -> str:
    """The id ``clone_for_retry`` gives the clone: its fresh quote is made for this id first."""
    return new_workset_id(retry_name(original.name, now), id_suffix)


def clone_for_retry(
    original: Workset,
    *,
    requester: Actor,
    requester_email: str,
    now: datetime,
    id_suffix: str,
    state: WorksetState,
    input_pins: tuple[InputPin, ...],
    quote: Quote,
    reason: str | None = None,
    overrides: tuple[OverrideDiff, ...] = (),
    **replacements: object,
) -> Transition:
    """A new workset from ``original``; the original is never written (§3.5).

    The input pins are re-taken (``input_pins``: the facts of the inputs now, not at the
    original's submit) and the clone carries its own fresh ``quote`` (made for
    ``clone_workset_id``), while inheriting the original's approval and cost cap.
    ``replacements`` carries the overridden fields (manifest, priority, cluster_affinity,
    options); ``overrides`` records each as a before/after diff."""
    source_state = (
        original.pre_archive_state if original.state is WorksetState.ARCHIVED else original.state
    )
    if source_state not in CLONEABLE:
        raise GuardFailed(
            f"only worksets in error, failed, canceled or complete can be retried "
            f"(this one is {original.state.value})",
            code="NOT_RETRYABLE",
        )
    name = retry_name(original.name, now)
    workset_id = new_workset_id(name, id_suffix)
    if quote.workset_id != workset_id:
        raise ValueError(f"quote {quote.quote_id} is for {quote.workset_id}, not {workset_id}")
    clone = Workset(
        workset_id=workset_id,
        name=name,
        customer_id=original.customer_id,
        owner_user_id=requester.id,
        created_by_email=requester_email,
        origin=Origin.RETRY_CLONE,
        retried_from=original.workset_id,
        retry_reason=reason,
        retry_overrides=overrides,
        created_at=now,
        submitted_at=now,
        updated_at=now,
        ready_since=now if state is WorksetState.READY else None,
        pipeline_type=original.pipeline_type,
        pipeline_version=original.pipeline_version,
        reference_genome=original.reference_genome,
        genome_build=original.genome_build,
        workset_type=original.workset_type,
        priority=original.priority,
        options=original.options,
        # The same bytes and digest, read from the clone's own folder (§4.9), so purging
        # the original never takes a clone's manifest with it.
        manifest=replace(original.manifest, key=f"{workset_prefix(workset_id)}stage_samples.tsv"),
        bucket=original.bucket,
        prefix=workset_prefix(workset_id),
        bucket_region=original.bucket_region,
        cluster_affinity=original.cluster_affinity,
        state=state,
        input_pins=input_pins,
        quote_id=quote.quote_id,
        cost_estimate=quote.point,
        max_attempts=original.max_attempts,
        approved_quote_id=original.approved_quote_id,
        approved_by=original.approved_by,
        approved_at=original.approved_at,
        cost_cap=original.cost_cap,
    )
    clone = replace(clone, **replacements)  # type: ignore[arg-type]
    return created(clone, event="clone_retry", actor=requester, now=now)
