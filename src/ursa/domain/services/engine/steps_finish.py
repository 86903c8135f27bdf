"""Steps from a running pipeline to the outcome: watch, export, metrics and costs, finalize.
After ``pipeline_complete`` export and metrics run even when the pipeline failed, so the
outputs of the samples that succeeded are kept and billed (§2.6)."""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import replace
from decimal import Decimal

from ursa.domain import runs
from ursa.domain.benchmarks import BenchmarkSummary, parse_benchmark_tsv
from ursa.domain.billing import CostComponent, split_by_weight, storage_cost, transfer_cost
from ursa.domain.catalogue import CATALOGUE
from ursa.domain.diagnostics import Evidence, classify, log_tail
from ursa.domain.enums import ProgressStep, SampleState
from ursa.domain.errors import Conflict, InvalidInput, NotFound
from ursa.domain.headnode import (
    RunPaths,
    jobs_of_run,
    parse_probe,
    parse_squeue,
    poll_status,
    remove_dir,
    resolve_dir,
    run_paths,
    slurm_queue,
)
from ursa.domain.ports.cluster import ExportLifecycle, ExportRequest
from ursa.domain.principals import ENGINE
from ursa.domain.records import CostLedgerEntry
from ursa.domain.run_outputs import (
    ExportedObject,
    benchmark_key,
    delivered_samples,
    failure_logs,
    result_bytes,
)
from ursa.domain.run_record import PipelineOutcome, with_jobs, with_warning
from ursa.domain.samples import Sample, apply_sample, outcome_all_succeeded
from ursa.domain.services.engine.context import RunContext, run_of
from ursa.domain.services.engine.results import Done, Failure, Next, StepResult, Wait
from ursa.domain.services.engine.stop import stop_pipeline
from ursa.domain.services.pricing import RATE_CARD
from ursa.domain.services.run_outcomes import compute_entries, ledger_entry
from ursa.domain.shell import check_removable_pipeline_dir

MAX_TSV_BYTES = 64 * 1024 * 1024
MAX_LOG_BYTES = 256 * 1024
FIRST_MONTH_HOURS = 730


def _paths(ctx: RunContext) -> RunPaths:
    return run_paths(ctx.deps.config.pipeline_base, ctx.ws.workset_id, ctx.run.run_id)


async def pipeline_running(ctx: RunContext) -> StepResult:
    paths = _paths(ctx)
    probe = parse_probe((await ctx.remote(poll_status(paths, ctx.run.sample_scope))).stdout)
    queue = await ctx.remote(slurm_queue(paths))
    jobs = jobs_of_run(parse_squeue(queue.stdout), paths.pipeline_dir)
    run = ctx.run
    if jobs:
        run = await ctx.update_run(lambda r: with_jobs(r, tuple(j.job_id for j in jobs)))
    timeout_min = CATALOGUE[ctx.ws.pipeline_type].timeout_minutes
    started = run.pipeline_started_at or run.launched_at
    if started is not None and (ctx.now() - started).total_seconds() > timeout_min * 60:
        # §2.7: a timeout runs the same stop procedure as a cancel, then fails WS-RES-003.
        _, _, remaining, gone = await stop_pipeline(ctx)
        if remaining or not gone:
            return Wait(seconds=ctx.deps.config.slow_poll_s, message="stopping the pipeline")
        text = f"pipeline exceeded {timeout_min} minutes; stopped"
        return Failure(evidence=Evidence(pipeline_timeout=True, log_excerpt=text))
    if not probe.finished:
        pct = probe.progress_pct
        message = f"{pct}% of the pipeline's steps done" if pct is not None else "running"
        await ctx.handle.apply(
            lambda ws: runs.update_progress(
                ws, token=ctx.handle.token, pct=pct, message=message, now=ctx.now()
            )
        )
        return Wait(seconds=ctx.deps.config.fast_poll_s, message=message)
    outcome = PipelineOutcome.SUCCEEDED if probe.succeeded else PipelineOutcome.FAILED
    evidence = None
    if outcome is PipelineOutcome.FAILED:
        lost = "engine_lost_session\n" if probe.exit_code is None else ""
        evidence = lost + log_tail(probe.log_tail)
    await ctx.save_run(
        pipeline_exit_code=probe.exit_code,
        pipeline_outcome=outcome,
        pipeline_ended_at=ctx.now(),
        failure_evidence=evidence,
    )
    return Next(message=f"the pipeline {outcome.value}", pct=100)


async def pipeline_complete(ctx: RunContext) -> StepResult:
    if ctx.run.export_task_id is None:
        task_id = await ctx.deps.exporter.start(await ctx.export_request(), ctx.journal)
        await ctx.save_run(export_task_id=task_id)
    return Next(message="exporting results")


async def exporting(ctx: RunContext) -> StepResult:
    run = ctx.run
    if run.exported_at is not None:
        return Next(message="results exported")
    request = await ctx.export_request()
    status = await ctx.deps.exporter.poll(request, run.export_task_id or "", ctx.journal)
    await ctx.save_run(export_lifecycle=status.lifecycle.value)
    if status.lifecycle in (ExportLifecycle.FAILED, ExportLifecycle.CANCELED):
        text = f"export {status.lifecycle.value}: {status.message}"
        return Failure(evidence=Evidence(log_excerpt=text))
    if status.lifecycle is not ExportLifecycle.SUCCEEDED or not status.detached:
        return Wait(seconds=ctx.deps.config.slow_poll_s, message="exporting results")
    key = await _write_export_manifest(ctx, request)
    await ctx.save_run(exported_at=ctx.now(), export_manifest_key=key)
    return Next(message=f"{status.files} result files exported")


async def _exported(ctx: RunContext) -> tuple[ExportedObject, ...]:
    ws = ctx.ws
    prefix = f"{ws.prefix}results/"
    found: list[ExportedObject] = []
    cursor: str | None = None
    while True:
        page = await ctx.deps.ports.objects.list(ws.bucket, prefix, cursor=cursor)
        found += [
            ExportedObject(key=o.key[len(prefix) :], size=o.size)
            for o in page.items
            if not o.key[len(prefix) :].startswith("_manifests/")
        ]
        if page.next_cursor is None:
            return tuple(found)
        cursor = page.next_cursor


async def _write_export_manifest(ctx: RunContext, request: ExportRequest) -> str:
    """The export manifest and its create-only completion marker (§4.9, §6.3)."""
    ws, run = ctx.ws, ctx.run
    objects = await _exported(ctx)
    body = json.dumps(
        {"run_id": run.run_id, "objects": [{"key": o.key, "size": o.size} for o in objects]},
        sort_keys=True,
    ).encode()
    base = f"{request.prefix}_manifests/{run.run_id}"
    store = ctx.deps.ports.objects
    await store.put(ws.bucket, f"{base}.json", body, content_type="application/json")
    digest = hashlib.sha256(body).hexdigest()
    # An earlier holder may have finished first; its marker covers the same run's manifest.
    with contextlib.suppress(Conflict):
        await store.put(ws.bucket, f"{base}.complete", digest.encode(), if_none_match=True)
    receipt = (
        "fsx_export:\n"
        f"  status: success\n  s3_uri: s3://{ws.bucket}/{request.prefix}\n"
        f"  task_id: {run.export_task_id}\n  task_lifecycle: SUCCEEDED\n  detached: true\n"
    )
    await store.put(ws.bucket, f"{ws.prefix}runs/{run.run_id}/fsx_export.yaml", receipt.encode())
    return f"{base}.json"


async def export_complete(ctx: RunContext) -> StepResult:
    return Next(message="collecting metrics and costs")


async def _diagnose(ctx: RunContext, objects: tuple[ExportedObject, ...], sample_id: str) -> str:
    """The failing sample's Slurm stderr tails, as classifier evidence."""
    ws = ctx.ws
    texts = []
    for key in failure_logs(objects, sample_id)[-5:]:
        try:
            data = await ctx.deps.ports.objects.get(
                ws.bucket, f"{ws.prefix}results/{key}", max_bytes=MAX_LOG_BYTES
            )
        except (NotFound, InvalidInput):
            continue
        texts.append(data.decode("utf-8", "replace"))
    return log_tail("\n".join(texts)) if texts else ""


async def collecting_metrics(ctx: RunContext) -> StepResult:
    """Decide each in-scope sample from the exported objects, then post the costs. Every
    part is recomputed on re-entry: samples already decided keep their outcome, and the
    ledger is idempotent by entry id, so a crash here repeats nothing."""
    ws, run = ctx.ws, ctx.run
    if run.costs_posted_at is not None:
        return Next(message="costs posted")
    objects = await _exported(ctx)
    samples = await ctx.samples()
    running = [s.sample_id for s in samples if s.state is SampleState.RUNNING]
    expected = CATALOGUE[ws.pipeline_type].expected_outputs
    if expected:
        ok = delivered_samples(
            objects, build=ws.genome_build, sample_ids=running, expected=expected
        )
    else:  # test_help: the sample outcome is the run outcome
        ok = (
            frozenset(running) if run.pipeline_outcome is PipelineOutcome.SUCCEEDED else frozenset()
        )
    failed = tuple(
        s.sample_id
        for s in samples
        if s.sample_id in run.sample_scope
        and (s.state is SampleState.FAILED or (s.sample_id in running and s.sample_id not in ok))
    )
    pipeline_evidence = run.failure_evidence or ""
    sample_evidence: list[str] = []
    updated: list[Sample] = []
    for s in samples:
        if s.sample_id in ok:
            s = apply_sample(s, "outputs_verified")
        elif s.sample_id in failed:
            text = await _diagnose(ctx, objects, s.sample_id)
            sample_evidence.append(text)
            if s.state is SampleState.RUNNING:
                evidence = Evidence(log_excerpt=text or pipeline_evidence or "outputs missing")
                s = apply_sample(s, "sample_failed", failure_code=classify(evidence).code)
        updated.append(s)
    samples = tuple(updated)
    await ctx.save_samples(samples)
    if failed:
        # The samples' own logs name the cause; the pipeline's log tail only backs them up.
        combined = "\n".join([*filter(None, sample_evidence), pipeline_evidence])
        await ctx.save_run(failure_evidence=log_tail(combined), failed_samples=failed)
    await _post_costs(ctx, samples, objects)
    return Next(message="costs posted")


def _run_entries(
    ctx: RunContext,
    samples: tuple[Sample, ...],
    objects: tuple[ExportedObject, ...],
    summary: BenchmarkSummary | None,
) -> list[CostLedgerEntry]:
    """§9.3–9.5 for this run's samples: compute (direct + overhead by CPU share), results
    storage for the first month, and the staging transfer (intra or cross region)."""
    ws, run, now = ctx.ws, ctx.run, ctx.now()
    billed = tuple(s for s in samples if s.sample_id in run.sample_scope)
    ids = [s.sample_id for s in billed]
    direct = summary.direct_costs() if summary else {}
    cpu = summary.cpu_seconds() if summary else {}
    started = run.pipeline_started_at or run.launched_at or now
    ended = run.pipeline_ended_at or now
    wall_h = Decimal(str(max((ended - started).total_seconds(), 0.0))) / Decimal(3600)
    overhead = RATE_CARD.head_node_per_hour * wall_h + (summary.pseudo_total if summary else 0)
    _, entries = compute_entries(
        ws, billed, direct=direct, cpu_seconds=cpu, overhead=overhead, now=now
    )
    posted = list(entries)
    per, cohort = result_bytes(objects, build=ws.genome_build, sample_ids=ids)
    shares = split_by_weight(Decimal(cohort), {i: per[i] for i in ids}) if ids else {}
    for sample in billed:
        stored = per[sample.sample_id] + int(shares.get(sample.sample_id, 0))
        cost = storage_cost(stored, FIRST_MONTH_HOURS, RATE_CARD.s3_storage_per_gb_month)
        posted.append(ledger_entry(ws, sample.sample_id, CostComponent.STORAGE, cost, now))
        component, moved = transfer_cost(
            sample.input_bytes, ws.bucket_region == run.region, RATE_CARD
        )
        posted.append(ledger_entry(ws, sample.sample_id, component, moved, now))
    return posted


async def _post_costs(
    ctx: RunContext, samples: tuple[Sample, ...], objects: tuple[ExportedObject, ...]
) -> None:
    """Post this run's entries, then derive every figure from the whole ledger, so sample
    costs add up to the workset's across retries and a re-entry changes nothing."""
    ws = ctx.ws
    summary = None
    try:
        data = await ctx.deps.ports.objects.get(
            ws.bucket,
            f"{ws.prefix}results/{benchmark_key(ws.genome_build)}",
            max_bytes=MAX_TSV_BYTES,
        )
        summary = parse_benchmark_tsv(data, list(ctx.run.sample_scope))
    except NotFound:
        await ctx.update_run(lambda r: with_warning(r, "benchmark TSV missing; compute = overhead"))
    ledger = ctx.deps.ports.ledger
    for entry in _run_entries(ctx, samples, objects, summary):
        await ledger.post(entry)
    per_sample: dict[str, Decimal] = {}
    for entry in await ledger.for_workset(ws.workset_id):
        if entry.sample_id is not None:
            per_sample[entry.sample_id] = per_sample.get(entry.sample_id, Decimal(0)) + entry.amount
    await ctx.save_samples(
        tuple(
            replace(s, cost_actual=per_sample[s.sample_id]) if s.sample_id in per_sample else s
            for s in samples
        )
    )
    total, now = sum(per_sample.values(), Decimal(0)), ctx.now()
    await ctx.handle.apply(
        lambda w: runs.update_run(
            runs.record_actual_cost(w, token=ctx.handle.token, total=total, now=now),
            token=ctx.handle.token,
            run=replace(run_of(w), costs_posted_at=now),
            now=now,
        )
    )


async def _cleanup(ctx: RunContext) -> None:
    """Remove the head-node dir only after the export, and only the checked dir (§11.4)."""
    run, paths = ctx.run, _paths(ctx)
    try:
        checked = check_removable_pipeline_dir(
            paths.pipeline_dir, ctx.ws.workset_id, ctx.deps.config.pipeline_base
        )
        resolved = await ctx.remote(resolve_dir(paths))
        if resolved.exit_code == 0 and resolved.stdout.strip() == checked:
            await ctx.remote(remove_dir(paths, checked))
        elif resolved.exit_code == 0:
            await ctx.update_run(
                lambda r: with_warning(r, "cleanup_failed: the pipeline dir resolves elsewhere")
            )
    except InvalidInput as exc:
        problem = f"cleanup_failed: {exc}"
        await ctx.update_run(lambda r: with_warning(r, problem))
    if run.cleaned_up_at is None:
        await ctx.save_run(cleaned_up_at=ctx.now())


async def finalizing(ctx: RunContext) -> StepResult:
    samples = await ctx.samples()
    if outcome_all_succeeded(samples):
        if ctx.run.cleaned_up_at is None:
            await _cleanup(ctx)
        await ctx.handle.transition(
            lambda ws: runs.complete(
                ws,
                actor=ENGINE,
                token=ctx.handle.token,
                now=ctx.now(),
                samples_ok=True,
                export_complete=ws.run is not None and ws.run.exported_at is not None,
                costs_posted=ws.cost_actual is not None,
            )
        )
        return Done()
    run = ctx.run
    # The samples failed in the pipeline, so a retry resumes where it starts (§2.6).
    return Failure(
        evidence=Evidence(
            log_excerpt=run.failure_evidence or "samples did not deliver their outputs",
            failed_step=ProgressStep.PIPELINE_RUNNING,
        ),
        failed_samples=run.failed_samples,
    )
