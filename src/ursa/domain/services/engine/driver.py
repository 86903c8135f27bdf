"""One call = one step's worth of work on one leased workset: dispatch on the progress
step (or the stop procedure when a cancel is pending), then apply the result through the
domain. Returns the seconds until the next call, or None once the workset left
``in_progress`` or the lease is gone."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from types import MappingProxyType

from ursa.domain import runs
from ursa.domain.diagnostics import Evidence
from ursa.domain.enums import ProgressStep, WorksetState
from ursa.domain.errors import LeaseLost, Unavailable, UrsaError
from ursa.domain.principals import ENGINE
from ursa.domain.services.engine import steps_finish, steps_start
from ursa.domain.services.engine.context import RunContext
from ursa.domain.services.engine.deps import EngineDeps
from ursa.domain.services.engine.journal import StepJournal, flush
from ursa.domain.services.engine.lease import LeaseHandle
from ursa.domain.services.engine.results import Done, Failure, Next, StepResult, Wait
from ursa.domain.services.engine.stop import stop_run
from ursa.domain.services.run_outcomes import fail_transition, plan_failure
from ursa.domain.services.sentinels import mirror_sentinels
from ursa.domain.worksets import Workset

log = logging.getLogger("ursa.engine")

Step = Callable[[RunContext], Awaitable[StepResult]]
STEPS: Mapping[ProgressStep, Step] = MappingProxyType(
    {
        ProgressStep.STAGING: steps_start.staging,
        ProgressStep.CLUSTER_PROVISIONING: steps_start.cluster_provisioning,
        ProgressStep.CLUSTER_READY: steps_start.cluster_ready,
        ProgressStep.PIPELINE_STARTING: steps_start.pipeline_starting,
        ProgressStep.PIPELINE_RUNNING: steps_finish.pipeline_running,
        ProgressStep.PIPELINE_COMPLETE: steps_finish.pipeline_complete,
        ProgressStep.EXPORTING: steps_finish.exporting,
        ProgressStep.EXPORT_COMPLETE: steps_finish.export_complete,
        ProgressStep.COLLECTING_METRICS: steps_finish.collecting_metrics,
        ProgressStep.FINALIZING: steps_finish.finalizing,
    }
)


async def mirror(deps: EngineDeps, ws: Workset) -> None:
    """Sentinels follow every state change (§5.3); a failure here is repaired by the next
    mirror pass and must not stop the run."""
    try:
        await mirror_sentinels(
            deps.ports.objects, ws.bucket, ws.prefix, ws, deps.ports.clock.now(), deps.config.owner
        )
    except UrsaError as exc:
        log.warning("sentinel mirror for %s failed: %s", ws.workset_id, exc)


class RunDriver:
    """Per leased workset: the journal counter and the streak of troubled calls live here,
    in memory only; everything needed to resume lives on the workset."""

    def __init__(self, deps: EngineDeps, handle: LeaseHandle) -> None:
        self.deps = deps
        self.handle = handle
        self._counter = 0
        self._troubled_since: datetime | None = None
        self._errors = 0

    async def step(self) -> float | None:
        self.handle.ensure_live()
        ws = self.handle.ws
        if ws.state is not WorksetState.IN_PROGRESS:
            return None
        step_name = ws.progress_step.value if ws.progress_step else "start"
        journal = StepJournal(self.deps.ports.clock, ws, step_name, self._counter)
        ctx = RunContext(deps=self.deps, handle=self.handle, journal=journal)
        try:
            result = await self._dispatch(ctx)
        finally:
            self._counter = journal.counter
            await self._flush(journal)
        return await self._apply(ctx, result)

    async def _dispatch(self, ctx: RunContext) -> StepResult:
        ws = ctx.ws
        canceling = ws.cancel_pending
        try:
            if canceling:
                result = await stop_run(ctx)
            else:
                await steps_start.begin_run(ctx)
                result = await STEPS[ws.progress_step or ProgressStep.STAGING](ctx)
        except LeaseLost:
            raise
        except Unavailable as exc:
            return self._troubled(ctx, f"{exc}", canceling, transient=True)
        except UrsaError as exc:
            if canceling:
                return self._troubled(ctx, str(exc), canceling, transient=True)
            return Failure(evidence=Evidence(log_excerpt=f"{exc.code}: {exc}"))
        except Exception as exc:  # a bug: keep the lease, retry a few times, then fail
            log.exception("step %s of %s raised", ws.progress_step, ws.workset_id)
            return self._troubled(
                ctx, f"internal error {type(exc).__name__}", canceling, transient=False
            )
        self._troubled_since, self._errors = None, 0
        return result

    def _troubled(
        self, ctx: RunContext, text: str, canceling: bool, *, transient: bool
    ) -> StepResult:
        """Head node or service unreachable: wait and retry for the grace period (the
        pipeline keeps running in tmux meanwhile); a cancel never gives up (§2.7 step 5)."""
        config = self.deps.config
        now = ctx.now()
        self._troubled_since = self._troubled_since or now
        self._errors += 1
        waited = (now - self._troubled_since).total_seconds()
        log.warning("%s: %s (for %.0f s)", ctx.ws.workset_id, text, waited)
        exhausted = (
            waited > config.unreachable_grace_s
            if transient
            else self._errors > config.max_step_errors
        )
        if canceling or not exhausted:
            return Wait(seconds=config.slow_poll_s, message=text[:200])
        return Failure(evidence=Evidence(log_excerpt=text))

    async def _flush(self, journal: StepJournal) -> None:
        try:
            await flush(journal, self.deps.command_log, self.deps.ports.objects, self.handle.ws)
        except UrsaError as exc:
            log.warning("command log flush for %s failed: %s", self.handle.workset_id, exc)

    async def _apply(self, ctx: RunContext, result: StepResult) -> float | None:
        handle, now = self.handle, ctx.now()
        if isinstance(result, Next):
            await handle.transition(
                lambda ws: runs.advance(
                    ws,
                    actor=ENGINE,
                    token=handle.token,
                    step=runs.next_step(ws.progress_step),
                    now=now,
                    message=result.message,
                    pct=result.pct,
                )
            )
            return 0.0
        if isinstance(result, Wait):
            return result.seconds
        if isinstance(result, Failure):
            if handle.ws.cancel_pending:
                return 0.0  # the stop procedure takes over on the next call (§8 rule 1)
            await self._fail(ctx, result)
        await mirror(self.deps, handle.ws)
        return None

    async def _fail(self, ctx: RunContext, failure: Failure) -> None:
        ports = self.deps.ports
        plan = plan_failure(
            self.handle.ws,
            await ctx.samples(),
            failure.evidence,
            failed_samples=failure.failed_samples,
            policy=ports.policies.retry,
            now=ctx.now(),
            rand=ports.random.random(),
        )
        await ctx.save_samples(plan.samples)
        await self.handle.transition(
            lambda ws: fail_transition(ws, token=self.handle.token, plan=plan, now=ctx.now())
        )
        log.info("%s failed: %s", ctx.ws.workset_id, plan.diagnosis.code)


__all__ = ["STEPS", "Done", "RunDriver", "mirror"]
