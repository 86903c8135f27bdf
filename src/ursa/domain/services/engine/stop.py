"""Cancel really stops work (§2.7): interrupt the pipeline, scancel the run's jobs (found by
working directory), end the tmux session, cancel an unfinished export, and only then mark
unfinished samples and the workset canceled. Unreachable head node: try again later."""

from __future__ import annotations

import asyncio

from ursa.domain import runs
from ursa.domain.enums import SampleState
from ursa.domain.headnode import (
    RunPaths,
    cancel_jobs,
    interrupt_pipeline,
    jobs_of_run,
    kill_session,
    parse_squeue,
    run_paths,
    slurm_queue,
)
from ursa.domain.principals import ENGINE
from ursa.domain.runs import CancelEvidence
from ursa.domain.samples import apply_sample
from ursa.domain.services.engine.context import RunContext
from ursa.domain.services.engine.results import Done, StepResult, Wait

POLL_S = 2.0
_UNFINISHED = (SampleState.PENDING, SampleState.STAGING, SampleState.RUNNING)


async def _run_jobs(ctx: RunContext, paths: RunPaths) -> tuple[str, ...]:
    queue = await ctx.remote(slurm_queue(paths))
    return tuple(j.job_id for j in jobs_of_run(parse_squeue(queue.stdout), paths.pipeline_dir))


async def _wait_for_jobs(ctx: RunContext, paths: RunPaths, seconds: float) -> tuple[str, ...]:
    jobs = await _run_jobs(ctx, paths)
    waited = 0.0
    while jobs and waited < seconds:
        await asyncio.sleep(POLL_S)
        waited += POLL_S
        jobs = await _run_jobs(ctx, paths)
    return jobs


async def stop_pipeline(ctx: RunContext) -> tuple[int, int, int, bool]:
    """Returns (jobs found, jobs cancelled, jobs remaining, tmux gone)."""
    config = ctx.deps.config
    paths = run_paths(config.pipeline_base, ctx.ws.workset_id, ctx.run.run_id)
    await ctx.remote(interrupt_pipeline(paths))
    found = await _wait_for_jobs(ctx, paths, config.cancel_interrupt_wait_s)
    if found:
        await ctx.remote(cancel_jobs(paths, found))
    remaining = await _wait_for_jobs(ctx, paths, config.cancel_jobs_wait_s)
    gone = (await ctx.remote(kill_session(paths))).exit_code == 1
    return len(found), len(found) - len(remaining), len(remaining), gone


async def stop_run(ctx: RunContext) -> StepResult:
    run = ctx.run
    found = cancelled = remaining = 0
    tmux_gone = True
    if run.launched_at is not None and run.head_node is not None:
        found, cancelled, remaining, tmux_gone = await stop_pipeline(ctx)
    if run.export_task_id is not None and run.exported_at is None:
        await ctx.deps.exporter.cancel(await ctx.export_request(), run.export_task_id, ctx.journal)
    if remaining or not tmux_gone:
        message = f"{remaining} jobs still running; retrying the stop"
        return Wait(seconds=ctx.deps.config.slow_poll_s, message=message)
    samples = await ctx.samples()
    await ctx.save_samples(
        tuple(apply_sample(s, "workset_canceled") if s.state in _UNFINISHED else s for s in samples)
    )
    evidence = CancelEvidence(
        jobs_found=found,
        jobs_cancelled=cancelled,
        jobs_remaining=0,
        tmux_gone=True,
        at=ctx.now(),
    )
    await ctx.handle.transition(
        lambda ws: runs.cancel_confirmed(
            ws, actor=ENGINE, token=ctx.handle.token, evidence=evidence, now=ctx.now()
        )
    )
    return Done()
