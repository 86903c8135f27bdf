"""How a run ends, for the engine (and the demo seed): fail by policy, or post costs and
complete. fetch → decide (diagnostics, retries, billing) → apply (one transition)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal

from ursa.domain import runs
from ursa.domain.billing import Basis, CostComponent, per_sample_costs
from ursa.domain.diagnostics import Evidence, classify
from ursa.domain.diagnostics_types import Diagnosis
from ursa.domain.enums import SampleState
from ursa.domain.principals import ENGINE
from ursa.domain.records import CostLedgerEntry
from ursa.domain.retries import NoRetryCancelPending, RetrySnapshot, decide_retry
from ursa.domain.samples import apply_sample, retry_scope
from ursa.domain.services.context import Ports, commit
from ursa.domain.services.pricing import RATE_CARD
from ursa.domain.worksets import Workset


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
    diagnosis = classify(evidence)
    samples = await ports.worksets.samples(workset_id)
    updated = tuple(
        apply_sample(s, "sample_failed", failure_code=diagnosis.code)
        if s.sample_id in failed_samples and s.state is SampleState.RUNNING
        else apply_sample(s, "run_aborted")
        if s.state in (SampleState.STAGING, SampleState.RUNNING)
        else s
        for s in samples
    )
    decision = decide_retry(
        (),
        diagnosis,
        RetrySnapshot(
            attempts=ws.attempts,
            extra_attempts=ws.extra_attempts,
            cancel_pending=ws.cancel_pending,
            cost_cap=ws.cost_cap,
            actual_cost_so_far=ws.cost_actual or Decimal(0),
            failed_step=ws.progress_step,
            retry_sample_scope=retry_scope(updated),
        ),
        ports.policies.retry,
        ports.clock.now(),
        ports.random.random(),
    )
    if isinstance(decision, NoRetryCancelPending):
        return ws, diagnosis  # the holder finishes the stop procedure instead (§8 rule 1)
    transition = runs.fail(
        ws,
        actor=ENGINE,
        token=token,
        now=ports.clock.now(),
        decision=decision,
        code=diagnosis.code,
        category=diagnosis.category.value,
        owner=diagnosis.owner.value,
        message=f"{diagnosis.name}: {diagnosis.remediation}",
    )
    await commit(ports, transition)
    await ports.worksets.save_samples(workset_id, updated)
    return transition.workset, diagnosis


async def post_actual_costs(
    ports: Ports,
    workset_id: str,
    *,
    token: int,
    direct: Mapping[str, Decimal],
    cpu_seconds: Mapping[str, Decimal],
    overhead: Decimal,
) -> Decimal:
    """Per-sample actual compute: direct + overhead by CPU share, exact to the cent (§9.4)."""
    ws = await ports.worksets.get(workset_id)
    samples = await ports.worksets.samples(workset_id)
    ids = [s.sample_id for s in samples]
    amounts = per_sample_costs(
        {i: direct.get(i, Decimal(0)) for i in ids},
        {i: cpu_seconds.get(i, Decimal(0)) for i in ids},
        overhead,
    )
    total = sum(amounts.values(), Decimal(0))
    now = ports.clock.now()
    posted = runs.record_actual_cost(ws, token=token, total=total, now=now)
    for sample_id, amount in amounts.items():
        await ports.ledger.post(
            CostLedgerEntry(
                entry_id=f"{ws.current_run_id}:{sample_id}:compute",
                workset_id=workset_id,
                customer_id=ws.customer_id,
                run_id=ws.current_run_id,
                sample_id=sample_id,
                component=CostComponent.COMPUTE_DIRECT.value,
                amount=amount,
                basis=Basis.ACTUAL.value,
                rate_card_version=RATE_CARD.version,
                posted_at=now,
            )
        )
    await ports.worksets.save_samples(
        workset_id, [replace(s, cost_actual=amounts[s.sample_id]) for s in samples]
    )
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
