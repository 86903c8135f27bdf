"""The engine's step machine on the in-memory product with the simulated cluster: a run to
complete, an out-of-memory sample, cancel, resume after a crash, one winner per claim.
The driver is stepped by hand and the clock moved by the delay it asks for, so the
minute-long simulated pipeline takes milliseconds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal

import pytest

from builders import ACME_USER
from service_world import World
from ursa.adapters.memory.cluster_records import InMemoryClusterSnapshots, InMemoryCommandLog
from ursa.adapters.memory.system import RecordingNotifier
from ursa.adapters.simulated import (
    SimulatedCluster,
    SimulatedExporter,
    SimulatedHeadNode,
    SimulatedStager,
)
from ursa.domain import runs
from ursa.domain.catalogue import CATALOGUE
from ursa.domain.enums import STEP_ORDER, ProgressStep, SampleState, WorksetState
from ursa.domain.principals import ENGINE, SWEEPER
from ursa.domain.services.context import commit
from ursa.domain.services.engine.deps import EngineConfig, EngineDeps
from ursa.domain.services.engine.driver import RunDriver
from ursa.domain.services.engine.lease import LeaseHandle
from ursa.domain.services.engine.monitor import Monitor
from ursa.domain.services.lifecycle import cancel_workset
from ursa.domain.services.submit import SubmitRequest, submit_workset
from ursa.domain.worksets import Workset

OWNER = "engine-a/1/0000000a"


@dataclass
class Engine:
    deps: EngineDeps
    head: SimulatedHeadNode
    log: InMemoryCommandLog


def make_engine(
    world: World, *, failing: frozenset[str] = frozenset(), owner: str = OWNER
) -> Engine:
    ports = world.container.ports
    head = SimulatedHeadNode(clock=world.clock, failing=failing)
    log = InMemoryCommandLog()
    deps = EngineDeps(
        ports=ports,
        shell=head,
        clusters=SimulatedCluster(world.container.settings.aws_region),
        stager=SimulatedStager(),
        exporter=SimulatedExporter(head, ports.objects),
        command_log=log,
        config=EngineConfig(owner=owner),
    )
    return Engine(deps=deps, head=head, log=log)


async def submitted(world: World, request_for: Callable[..., SubmitRequest]) -> Workset:
    result = await submit_workset(world.container.ports, ACME_USER, request_for())
    assert result.workset.state is WorksetState.READY
    return result.workset


async def claimed(engine: Engine, ws: Workset) -> Workset:
    monitor = Monitor(engine.deps)
    taken = await monitor._claim_one(ws)
    assert taken is not None
    return taken


async def drive(
    engine: Engine,
    world: World,
    ws: Workset,
    *,
    until: Callable[[Workset], bool] | None = None,
    calls: int = 400,
) -> Workset:
    driver = RunDriver(engine.deps, LeaseHandle(engine.deps.ports, ws))
    for _ in range(calls):
        if until is not None and until(driver.handle.ws):
            return driver.handle.ws
        delay = await driver.step()
        if delay is None:
            return await engine.deps.ports.worksets.get(ws.workset_id)
        world.clock.advance(max(delay, 0.5))
    raise AssertionError(f"still {driver.handle.ws.progress_step} after {calls} calls")


@pytest.mark.anyio
async def test_a_ready_workset_runs_every_step_to_complete(
    world: World, request_for: Callable[..., SubmitRequest]
) -> None:
    engine = make_engine(world)
    ws = await claimed(engine, await submitted(world, request_for))
    done = await drive(engine, world, ws)

    assert done.state is WorksetState.COMPLETE
    ports = world.container.ports
    steps = [h.to_step for h in await ports.worksets.history(ws.workset_id) if h.event == "advance"]
    assert tuple(steps) == STEP_ORDER[1:]
    samples = await ports.worksets.samples(ws.workset_id)
    assert {s.state for s in samples} == {SampleState.SUCCEEDED}
    ledger = await ports.ledger.for_workset(ws.workset_id)
    assert {e.sample_id for e in ledger} == {s.sample_id for s in samples}
    assert (
        sum(e.amount for e in ledger)
        == done.cost_actual
        == sum(s.cost_actual or 0 for s in samples)
    )
    assert done.cost_actual is not None and done.cost_actual > Decimal(0)
    labels = {e.label for e in await engine.log.for_workset(ws.workset_id)}
    assert {"describe_cluster", "stage_samples", "clone_pipeline", "push_config", "upload_launch",
            "launch_pipeline", "poll_status", "slurm_queue", "export_results", "export_poll",
            "check_tree", "cleanup_headnode"} <= labels  # fmt: skip
    assert await ports.objects.head(ws.bucket, f"{ws.prefix}daylily.complete") is not None
    assert await ports.objects.head(ws.bucket, f"{ws.prefix}workset_command.log") is not None
    assert done.run is not None and done.run.cleaned_up_at is not None


@pytest.mark.anyio
async def test_an_out_of_memory_sample_fails_alone_and_is_retried_alone(
    world: World, request_for: Callable[..., SubmitRequest]
) -> None:
    ports = world.container.ports
    ws = await submitted(world, request_for)
    first, *others = [s.sample_id for s in await ports.worksets.samples(ws.workset_id)]
    engine = make_engine(world, failing=frozenset({first}))
    after = await drive(engine, world, await claimed(engine, ws))

    assert after.state is WorksetState.RETRYING
    assert after.last_error_code == "WS-RES-001"
    samples = {s.sample_id: s for s in await ports.worksets.samples(ws.workset_id)}
    assert samples[first].state is SampleState.FAILED
    assert samples[first].failure_code == "WS-RES-001"
    assert all(samples[o].state is SampleState.SUCCEEDED for o in others)
    assert all(s.cost_actual is not None for s in samples.values())
    notifier = ports.notifier
    assert isinstance(notifier, RecordingNotifier)
    kinds = [(e.type, e.payload.get("sample_id")) for e in notifier.events]
    assert ("workset.sample_failed", first) in kinds
    assert ("workset.retry_scheduled", None) in kinds

    assert after.next_attempt_at is not None
    world.clock.advance((after.next_attempt_at - world.clock.now()).total_seconds() + 1)
    again = await claimed(engine, after)
    assert again.run is not None and again.run.attempt == 2
    second = await drive(engine, world, again)
    assert second.run is not None and second.run.sample_scope == (first,)
    assert second.run.resume_from is ProgressStep.PIPELINE_STARTING
    assert second.last_error_code == "WS-RES-001"
    after_retry = await ports.worksets.samples(ws.workset_id)
    ledger = await ports.ledger.for_workset(ws.workset_id)
    assert {e.run_id for e in ledger} == {after.current_run_id, second.current_run_id}
    assert sum(s.cost_actual or 0 for s in after_retry) == second.cost_actual  # invariant 4
    assert second.cost_actual is not None and after.cost_actual is not None
    assert second.cost_actual > after.cost_actual
    assert second.state in (WorksetState.RETRYING, WorksetState.ERROR, WorksetState.FAILED)


@pytest.mark.anyio
async def test_cancel_stops_the_pipeline_and_cancels_unfinished_samples(
    world: World, request_for: Callable[..., SubmitRequest]
) -> None:
    engine = make_engine(world)
    ws = await claimed(engine, await submitted(world, request_for))
    running = await drive(
        engine,
        world,
        ws,
        until=lambda w: w.progress_step is not None and w.progress_step.value == "pipeline_running",
    )
    await cancel_workset(
        world.container.ports, ACME_USER, running.workset_id, reason="wrong reference"
    )
    fresh = await world.container.ports.worksets.get(ws.workset_id)
    done = await drive(engine, world, fresh)

    assert done.state is WorksetState.CANCELED
    samples = await world.container.ports.worksets.samples(ws.workset_id)
    assert {s.state for s in samples} == {SampleState.CANCELED}
    entries = await engine.log.for_workset(ws.workset_id, label="cancel_pipeline")
    assert len(entries) >= 2  # C-c, then kill-session
    assert not any(r.session_alive for r in engine.head.runs.values())


@pytest.mark.anyio
async def test_a_crashed_engine_is_taken_over_and_nothing_is_launched_twice(
    world: World, request_for: Callable[..., SubmitRequest]
) -> None:
    first = make_engine(world)
    ws = await claimed(first, await submitted(world, request_for))
    mid = await drive(
        first,
        world,
        ws,
        until=lambda w: w.progress_step is not None and w.progress_step.value == "pipeline_running",
    )
    # kill -9: the first engine simply stops; its lease expires.
    world.clock.advance(
        runs.LEASE_DURATION.total_seconds() + runs.TAKEOVER_MARGIN.total_seconds() + 1
    )
    second = make_engine(world, owner="engine-b/2/0000000b")
    second.head.runs.update(first.head.runs)  # the same head node
    second.log = first.log
    second.deps = EngineDeps(
        **{
            **{f: getattr(second.deps, f) for f in second.deps.__dataclass_fields__},
            "shell": first.head,
            "exporter": SimulatedExporter(first.head, world.container.ports.objects),
            "command_log": first.log,
        }
    )
    stored = await world.container.ports.worksets.get(mid.workset_id)
    transition = runs.takeover(
        stored,
        actor=SWEEPER,
        owner="engine-b/2/0000000b",
        seen_token=stored.lease_token,
        now=world.clock.now(),
    )
    await commit(world.container.ports, transition)
    done = await drive(second, world, transition.workset)

    assert done.state is WorksetState.COMPLETE
    assert done.takeovers == 1 and done.attempts == 1
    log = await first.log.for_workset(ws.workset_id)
    assert [e.label for e in log].count("launch_pipeline") == 1
    assert [e.label for e in log].count("clone_pipeline") == 1


@pytest.mark.anyio
async def test_two_replicas_never_claim_the_same_workset(
    world: World, request_for: Callable[..., SubmitRequest]
) -> None:
    ws = await submitted(world, request_for)
    a = Monitor(make_engine(world).deps)
    b = Monitor(make_engine(world, owner="engine-b/2/0000000b").deps)
    won = [await m._claim_one(ws) for m in (a, b)]
    assert sum(w is not None for w in won) == 1
    stored = await world.container.ports.worksets.get(ws.workset_id)
    assert stored.lease_owner == OWNER and stored.attempts == 1
    assert ENGINE.id in {
        h.actor.id for h in await world.container.ports.worksets.history(ws.workset_id)
    }


@pytest.mark.anyio
async def test_an_expired_lease_is_taken_over_by_the_monitor(
    world: World, request_for: Callable[..., SubmitRequest]
) -> None:
    first = make_engine(world)
    ws = await claimed(first, await submitted(world, request_for))
    world.clock.advance(runs.LEASE_DURATION.total_seconds() + 31)
    second = Monitor(make_engine(world, owner="engine-b/2/0000000b").deps)
    await second._take_over()
    assert set(second.status().running) == {ws.workset_id}
    second.stop()
    await second.drain()
    stored = await world.container.ports.worksets.get(ws.workset_id)
    assert stored.takeovers == 1 and stored.attempts == 1


@pytest.mark.anyio
async def test_the_monitor_snapshots_each_ready_cluster_when_due(world: World) -> None:
    engine = make_engine(world)
    snapshots = InMemoryClusterSnapshots()
    deps = replace(engine.deps, snapshots=snapshots)
    monitor = Monitor(deps)
    await monitor.tick()
    (first,) = await snapshots.all_latest()
    assert first.node_count > 0 and first.generated_at == world.clock.now()
    world.clock.advance(120)  # checked again, but not due for 20 minutes
    await monitor.tick()
    assert (await snapshots.latest(first.cluster_name)).generated_at == first.generated_at
    world.clock.advance(20 * 60)
    await monitor.tick()
    assert (await snapshots.latest(first.cluster_name)).generated_at == world.clock.now()


@pytest.mark.anyio
async def test_a_foreign_ignore_on_a_ready_workset_is_accepted_by_the_reconciler(
    world: World, request_for: Callable[..., SubmitRequest]
) -> None:
    ws = await submitted(world, request_for)
    ports = world.container.ports
    await ports.objects.put(ws.bucket, f"{ws.prefix}daylily.ignore", b"skip this one")
    monitor = Monitor(make_engine(world).deps)
    await monitor._reconcile()
    stored = await ports.worksets.get(ws.workset_id)
    assert stored.state is WorksetState.IGNORED
    assert (await ports.worksets.history(ws.workset_id))[-1].actor.id == "system:reconciler"


@pytest.mark.anyio
async def test_a_pipeline_over_its_time_limit_is_stopped_then_failed_as_a_timeout(
    world: World, request_for: Callable[..., SubmitRequest]
) -> None:
    engine = make_engine(world)
    engine.head.first_s = 10 * 3600  # the simulated pipeline would run for ten hours
    ws = await claimed(engine, await submitted(world, request_for))
    running = await drive(
        engine,
        world,
        ws,
        until=lambda w: w.progress_step is ProgressStep.PIPELINE_RUNNING,
    )
    world.clock.advance(CATALOGUE[running.pipeline_type].timeout_minutes * 60 + 1)
    done = await drive(engine, world, running)

    assert done.state is WorksetState.RETRYING and done.last_error_code == "WS-RES-003"
    assert not any(r.session_alive for r in engine.head.runs.values())
    labels = [e.label for e in await engine.log.for_workset(ws.workset_id)]
    assert "cancel_pipeline" in labels
