"""Domain → API Structs."""

from __future__ import annotations

import msgspec

from ursa.app.api import schemas
from ursa.domain.command_log import CommandLogEntry
from ursa.domain.samples import Sample
from ursa.domain.worksets import HistoryEntry, Workset


def summary(ws: Workset) -> schemas.WorksetSummary:
    return schemas.WorksetSummary(
        workset_id=ws.workset_id,
        name=ws.name,
        customer_id=ws.customer_id,
        owner_user_id=ws.owner_user_id,
        state=ws.state,
        progress_step=ws.progress_step,
        progress_pct=ws.progress_pct,
        priority=ws.priority,
        workset_type=ws.workset_type,
        pipeline_type=ws.pipeline_type,
        reference_genome=ws.reference_genome,
        sample_count=ws.manifest.sample_count,
        created_at=ws.created_at,
        updated_at=ws.updated_at,
        cost_estimate=ws.cost_estimate,
        cost_actual=ws.cost_actual,
        last_error_code=ws.last_error_code,
        version=ws.version,
    )


def detail(ws: Workset) -> schemas.WorksetDetail:
    return schemas.WorksetDetail(
        **msgspec.structs.asdict(summary(ws)),
        pipeline_version=ws.pipeline_version,
        genome_build=ws.genome_build,
        bucket=ws.bucket,
        prefix=ws.prefix,
        attempts=ws.attempts,
        max_attempts=ws.attempts_allowed,
        current_run_id=ws.current_run_id,
        next_attempt_at=ws.next_attempt_at,
        last_error_message=ws.last_error_message,
        quote_id=ws.quote_id,
        cost_cap=ws.cost_cap,
        retried_from=ws.retried_from,
        completed_at=ws.completed_at,
        cancel_requested_at=ws.cancel_requested_at,
    )


def sample(s: Sample) -> schemas.SampleOut:
    return schemas.SampleOut(
        sample_id=s.sample_id,
        state=s.state,
        external_sample_id=s.external_sample_id,
        sample_type=s.sample_type,
        input_bytes=s.input_bytes,
        failure_code=s.failure_code,
        cost_estimate=s.cost_estimate,
        cost_actual=s.cost_actual,
    )


def history(h: HistoryEntry) -> schemas.HistoryOut:
    return schemas.HistoryOut(
        seq=h.seq,
        at=h.at,
        actor=h.actor.id,
        event=h.event,
        from_state=h.from_state,
        to_state=h.to_state,
        from_step=h.from_step,
        to_step=h.to_step,
        reason=h.reason,
    )


def command(e: CommandLogEntry) -> schemas.CommandOut:
    return schemas.CommandOut(
        seq=e.seq,
        run_id=e.run_id,
        step=e.step,
        label=e.label,
        transport=e.transport,
        rendered=e.rendered,
        cwd=e.cwd,
        started_at=e.started_at,
        ended_at=e.ended_at,
        duration_s=e.duration_s,
        exit_code=e.exit_code,
        stdout_tail=e.stdout_tail,
        stderr_tail=e.stderr_tail,
        lease_token=e.lease_token,
    )
