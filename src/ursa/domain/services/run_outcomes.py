"""How a run ends, for the engine (and the demo seed): fail by policy, or post costs and
complete. fetch → decide (diagnostics, retries, billing) → apply (one transition)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from ursa.domain import runs
from ursa.domain.billing import Basis, CostComponent, per_sample_costs
from ursa.domain.diagnostics import Evidence, classify
from ursa.domain.diagnostics_types import Diagnosis
from ursa.domain.enums import SampleState
from ursa.domain.principals import ENGINE
from ursa.domain.records import CostLedgerEntry
from ursa.domain.retries import (
    Dead,
    NoRetryCancelPending,
    Park,
    RetryAt,
    RetryPolicy,
    RetrySnapshot,
    decide_retry,
)
from ursa.domain.samples import Sample, apply_sample, retry_scope
from ursa.domain.services.context import Ports, commit
from ursa.domain.services.pricing import RATE_CARD
from ursa.domain.worksets import Transition, Workset


@dataclass(frozen=True, slots=True, kw_only=True)
class FailurePlan:
    """What a failed run decides: the diagnosis, the samples after it, and the retry
    decision (None while a cancel is pending: the stop procedure finishes instead)."""

    diagnosis: Diagnosis
    samples: tuple[Sample, ...]
    decision: RetryAt | Park | Dead | None
    failed_samples: tuple[str, ...] = ()


def plan_failure(
    ws: Workset,
    samples: tuple[Sample, ...],
    evidence: Evidence,
    *,
    failed_samples: tuple[str, ...],
    policy: RetryPolicy,
    now: datetime,
    rand: float,
) -> FailurePlan:
    """Classify the evidence; the named samples fail, the others of the run go back to
    pending; then ``decide_retry`` over the workset's attempt history (§8)."""
    diagnosis = classify(evidence)
    updated = tuple(
        apply_sample(s, "sample_failed", failure_code=diagnosis.code)
        if s.sample_id in failed_samples and s.state is SampleState.RUNNING
        else apply_sample(s, "run_aborted")
        if s.state in (SampleState.STAGING, SampleState.RUNNING)
        else s
        for s in samples
    )
    decision = decide_retry(
        ws.attempt_history,
        diagnosis,
        RetrySnapshot(
            attempts=ws.attempts,
            extra_attempts=ws.extra_attempts,
            cancel_pending=ws.cancel_pending,
            cost_cap=ws.cost_cap,
            actual_cost_so_far=ws.cost_actual or Decimal(0),
            failed_step=evidence.failed_step or ws.progress_step,
            retry_sample_scope=retry_scope(updated),
        ),
        policy,
        now,
        rand,
    )
    return FailurePlan(
        diagnosis=diagnosis,
        samples=updated,
        decision=None if isinstance(decision, NoRetryCancelPending) else decision,
        failed_samples=failed_samples,
    )


def fail_transition(ws: Workset, *, token: int, plan: FailurePlan, now: datetime) -> Transition:
    if plan.decision is None:
        raise ValueError("a pending cancel is finished by the stop procedure, not by fail")
    d = plan.diagnosis
    failed = tuple(
        (s.sample_id, s.failure_code or d.code)
        for s in plan.samples
        if s.sample_id in plan.failed_samples and s.state is SampleState.FAILED
    )
    return runs.fail(
        ws,
        actor=ENGINE,
        token=token,
        now=now,
        decision=plan.decision,
        code=d.code,
        category=d.category.value,
        owner=d.owner.value,
        message=f"{d.name}: {d.remediation}",
        failed_samples=failed,
    )


async def record_failure(
    ports: Ports,
    workset_id: str,
    *,
    token: int,
    evidence: Evidence,
    failed_samples: tuple[str, ...] = (),
) -> tuple[Workset, Diagnosis]:
    """Classify the evidence, decide the retry, fail the run and the named samples."""
    ws = await ports.worksets.get(workset_id)
    plan = plan_failure(
        ws,
        await ports.worksets.samples(workset_id),
        evidence,
        failed_samples=failed_samples,
        policy=ports.policies.retry,
        now=ports.clock.now(),
        rand=ports.random.random(),
    )
    if plan.decision is None:
        return ws, plan.diagnosis
    transition = fail_transition(ws, token=token, plan=plan, now=ports.clock.now())
    await commit(ports, transition)
    await ports.worksets.save_samples(workset_id, plan.samples)
    return transition.workset, plan.diagnosis


def compute_entries(
    ws: Workset,
    samples: tuple[Sample, ...],
    *,
    direct: Mapping[str, Decimal],
    cpu_seconds: Mapping[str, Decimal],
    overhead: Decimal,
    now: datetime,
) -> tuple[dict[str, Decimal], tuple[CostLedgerEntry, ...]]:
    """Per-sample actual compute: direct + overhead by CPU share, exact to the cent (§9.4)."""
    ids = [s.sample_id for s in samples]
    amounts = per_sample_costs(
        {i: direct.get(i, Decimal(0)) for i in ids},
        {i: cpu_seconds.get(i, Decimal(0)) for i in ids},
        overhead,
    )
    entries = tuple(
        ledger_entry(ws, sample_id, CostComponent.COMPUTE_DIRECT, amount, now)
        for sample_id, amount in amounts.items()
    )
    return amounts, entries


def ledger_entry(
    ws: Workset,
    sample_id: str,
    component: CostComponent,
    amount: Decimal,
    now: datetime,
    basis: Basis = Basis.ACTUAL,
) -> CostLedgerEntry:
    """One posting; its id makes a second post of the same figure a no-op."""
    return CostLedgerEntry(
        entry_id=f"{ws.current_run_id}:{sample_id}:{component.value}",
        workset_id=ws.workset_id,
        customer_id=ws.customer_id,
        run_id=ws.current_run_id,
        sample_id=sample_id,
        component=component.value,
        amount=amount,
        basis=basis.value,
        rate_card_version=RATE_CARD.version,
        posted_at=now,
    )


async def post_actual_costs(
    ports: Ports,
    workset_id: str,
    *,
    token: int,
    direct: Mapping[str, Decimal],
    cpu_seconds: Mapping[str, Decimal],
    overhead: Decimal,
) -> Decimal:
    """Post the per-sample compute figures and the run's actual total."""
    ws = await ports.worksets.get(workset_id)
    samples = await ports.worksets.samples(workset_id)
    now = ports.clock.now()
    amounts, entries = compute_entries(
        ws, samples, direct=direct, cpu_seconds=cpu_seconds, overhead=overhead, now=now
    )
    total = sum(amounts.values(), Decimal(0))
    for entry in entries:
        await ports.ledger.post(entry)
    await ports.worksets.save_samples(
        workset_id, [replace(s, cost_actual=amounts[s.sample_id]) for s in samples]
    )
    posted = runs.record_actual_cost(ws, token=token, total=total, now=now)
    await ports.worksets.save_workset(posted, expected_version=ws.version)
    return total


async def complete_run(ports: Ports, workset_id: str, *, token: int) -> Workset:
    """Samples whose outputs were verified succeed; the workset completes (T15)."""
    samples = await ports.worksets.samples(workset_id)
    verified = tuple(
        apply_sample(s, "outputs_verified") if s.state is SampleState.RUNNING else s
        for s in samples
    )
    await ports.worksets.save_samples(workset_id, verified)
    ws = await ports.worksets.get(workset_id)
    transition = runs.complete(
        ws,
        actor=ENGINE,
        token=token,
        now=ports.clock.now(),
        samples_ok=all(s.state in (SampleState.SUCCEEDED, SampleState.SKIPPED) for s in verified),
        export_complete=True,
        costs_posted=ws.cost_actual is not None,
    )
    await commit(ports, transition)
    return transition.workset
