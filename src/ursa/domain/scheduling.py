"""Scheduling order (§10.1) and admission (§10.2). Pure: callers pass ``now`` and counts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from ursa.domain.enums import Priority, WaitReason, WorksetState

LOW_TO_NORMAL_AFTER = timedelta(hours=12)
NORMAL_TO_URGENT_AFTER = timedelta(hours=4)
CLAIMABLE_STATES = frozenset({WorksetState.READY, WorksetState.RETRYING})


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """A ``ready`` or due ``retrying`` workset. ``need_*`` are from its estimate."""

    workset_id: str
    customer_id: str
    priority: Priority
    ready_since: datetime
    state: WorksetState
    need_vcpus: int = 0
    need_fsx_gib: Decimal = Decimal(0)


def effective_rank(priority: Priority, ready_since: datetime, now: datetime) -> int:
    """Rank minus the aging bonus: low reaches normal after 12 h ready and, 4 h later
    (16 h), urgent; normal reaches urgent after 4 h. Everything ends at rank 0, so
    nothing starves."""
    age = max(now - ready_since, timedelta(0))
    if priority is Priority.LOW:
        if age >= LOW_TO_NORMAL_AFTER + NORMAL_TO_URGENT_AFTER:
            return 0
        return 1 if age >= LOW_TO_NORMAL_AFTER else 2
    if priority is Priority.NORMAL:
        return 0 if age >= NORMAL_TO_URGENT_AFTER else 1
    return 0


def order_candidates(
    candidates: Iterable[Candidate], running_by_customer: Mapping[str, int], now: datetime
) -> list[Candidate]:
    """Claim order: effective rank; then customers take turns, fewest running first (each
    pick counts as one more running for its customer); then ``ready_since`` (FIFO); then
    ``workset_id``. Never cheapest-first. Candidates not ready/retrying are left out."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    pending = [c for c in candidates if c.state in CLAIMABLE_STATES]
    ranks = {c.workset_id: effective_rank(c.priority, c.ready_since, now) for c in pending}
    running = dict(running_by_customer)
    ordered: list[Candidate] = []
    while pending:
        best = min(
            pending,
            key=lambda c: (
                ranks[c.workset_id],
                running.get(c.customer_id, 0),
                c.ready_since,
                c.workset_id,
            ),
        )
        pending.remove(best)
        ordered.append(best)
        running[best.customer_id] = running.get(best.customer_id, 0) + 1
    return ordered


@dataclass(frozen=True, slots=True, kw_only=True)
class AdmissionLimits:
    global_max_running: int = 20
    customer_max_default: int = 5
    cluster_max: int = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class AdmissionSnapshot:
    """Counter values read in the claim transaction. ``customer_limits`` overrides the
    default per customer. Cluster fields are None when no cluster is chosen yet."""

    global_running: int
    customer_running: Mapping[str, int]
    customer_limits: Mapping[str, int]
    cluster_running: int | None = None
    cluster_free_vcpus: int | None = None
    cluster_free_fsx_gib: Decimal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Admit:
    workset_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Wait:
    reason: WaitReason


def admit(
    candidate: Candidate, snapshot: AdmissionSnapshot, limits: AdmissionLimits | None = None
) -> Admit | Wait:
    """§10.2: customer limit (``quota``) first, then the global limit, the cluster's
    running limit and its free vCPU / FSx (``capacity``)."""
    lim = limits or AdmissionLimits()
    customer = candidate.customer_id
    customer_limit = snapshot.customer_limits.get(customer, lim.customer_max_default)
    if snapshot.customer_running.get(customer, 0) >= customer_limit:
        return Wait(reason=WaitReason.QUOTA)
    if snapshot.global_running >= lim.global_max_running:
        return Wait(reason=WaitReason.CAPACITY)
    if snapshot.cluster_running is not None and snapshot.cluster_running >= lim.cluster_max:
        return Wait(reason=WaitReason.CAPACITY)
    free_vcpus = snapshot.cluster_free_vcpus
    if free_vcpus is not None and candidate.need_vcpus > free_vcpus:
        return Wait(reason=WaitReason.CAPACITY)
    free_fsx = snapshot.cluster_free_fsx_gib
    if free_fsx is not None and candidate.need_fsx_gib > free_fsx:
        return Wait(reason=WaitReason.CAPACITY)
    return Admit(workset_id=candidate.workset_id)
