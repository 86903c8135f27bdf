"""The engine end to end on a real head node: ``ursa monitor`` → SSH → tmux → Slurm → export
to S3 on the emulator → per-sample costs; cancel leaves no job; kill -9 then restart finishes
the run from the table alone; two replicas never run the same workset."""

from __future__ import annotations

import random
import signal
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from engine_world import SETTLED, USER, EngineWorld, engine_world, engines

from integration.conftest import IntegrationEnv
from ursa.domain.enums import ProgressStep, SampleState, WorksetState
from ursa.domain.run_record import HeadNodeRef
from ursa.domain.services.lifecycle import cancel_workset
from ursa.domain.worksets import Workset

pytestmark = [pytest.mark.integration, pytest.mark.anyio]


@pytest.fixture
async def world(
    integration_env: IntegrationEnv, moto_endpoint: str, request: pytest.FixtureRequest
) -> AsyncIterator[EngineWorld]:
    table = f"it-{request.node.name.removeprefix('test_')[:40].replace('_', '-')}"
    env = integration_env
    node = HeadNodeRef(host=env.ssh_host, port=env.ssh_port, user=env.ssh_user)
    async with engine_world(moto_endpoint, table, node, env.ssh_key, env.known_hosts) as built:
        yield built


def settled(ws: Workset) -> bool:
    return ws.state in SETTLED


def at_step(step: ProgressStep) -> Callable[[Workset], bool]:
    return lambda ws: ws.progress_step is step or ws.state in SETTLED


async def test_three_samples_run_end_to_end_with_one_out_of_memory(
    world: EngineWorld, tmp_path: Path
) -> None:
    ports = world.container.ports
    with engines(world):
        world.start_engine(tmp_path / "engine.log", fail_sample="S2")
        ws = await world.submit("trio", ("S1", "S2", "S3"))
        done = await world.wait_for(ws.workset_id, settled, timeout_s=150)

    assert done.state is WorksetState.RETRYING, (tmp_path / "engine.log").read_text()[-3000:]
    assert done.last_error_code == "WS-RES-001"
    samples = {s.sample_id: s for s in await ports.worksets.samples(ws.workset_id)}
    assert samples["S2"].state is SampleState.FAILED
    assert samples["S2"].failure_code == "WS-RES-001"
    assert samples["S1"].state is samples["S3"].state is SampleState.SUCCEEDED
    ledger = await ports.ledger.for_workset(ws.workset_id)
    assert {e.sample_id for e in ledger} == {"S1", "S2", "S3"}
    costs = {sid: s.cost_actual for sid, s in samples.items()}
    assert costs["S1"] and costs["S3"] and costs["S1"] > 0 and costs["S3"] > 0, costs
    assert costs["S2"] is not None  # its OOM-killed job left no benchmark row
    assert sum(e.amount for e in ledger) == sum(c or 0 for c in costs.values()) == done.cost_actual
    prefix = f"{ws.prefix}results/results/day/hg38/"
    assert await ports.objects.head(ws.bucket, f"{prefix}S1/S1.cram") is not None
    assert await ports.objects.head(ws.bucket, f"{prefix}S2/S2.cram") is None
    labels = [e.label for e in await world.container.command_log.for_workset(ws.workset_id)]
    for label in ("stage_samples", "clone_pipeline", "launch_pipeline", "slurm_queue"):
        assert label in labels
    assert done.run is not None and done.run.pipeline_dir is not None
    assert await world.jobs_under(done.run.pipeline_dir) == []


async def test_cancel_mid_run_leaves_no_slurm_job(world: EngineWorld, tmp_path: Path) -> None:
    ports = world.container.ports
    with engines(world):
        world.start_engine(tmp_path / "engine.log", sleep_s=30)
        ws = await world.submit("cancel-me", ("C1", "C2"))
        running = await world.wait_for(ws.workset_id, at_step(ProgressStep.PIPELINE_RUNNING))
        assert running.run is not None and running.run.pipeline_dir is not None
        pipeline_dir = running.run.pipeline_dir
        for _ in range(100):  # the pipeline submits its jobs a moment after it starts
            if await world.jobs_under(pipeline_dir):
                break
        assert await world.jobs_under(pipeline_dir)
        await cancel_workset(ports, USER, ws.workset_id, reason="wrong reference")
        done = await world.wait_for(ws.workset_id, settled, timeout_s=180)

    assert done.state is WorksetState.CANCELED, (tmp_path / "engine.log").read_text()[-3000:]
    assert await world.jobs_under(pipeline_dir) == []
    sessions = await world.remote("bash", "-c", "tmux ls 2>/dev/null || true")
    assert running.run.tmux_session not in sessions
    samples = await ports.worksets.samples(ws.workset_id)
    assert {s.state for s in samples} == {SampleState.CANCELED}


@pytest.mark.parametrize(
    "step",
    [
        ProgressStep.PIPELINE_RUNNING,
        random.Random(7).choice(
            [ProgressStep.PIPELINE_STARTING, ProgressStep.EXPORTING, ProgressStep.FINALIZING]
        ),
    ],
    ids=lambda s: s.value,
)
async def test_kill_9_then_restart_finishes_the_run(
    world: EngineWorld, tmp_path: Path, step: ProgressStep
) -> None:
    ports = world.container.ports
    with engines(world):
        first = world.start_engine(tmp_path / "a.log", sleep_s=3)
        ws = await world.submit("crash", ("K1", "K2"))
        await world.wait_for(ws.workset_id, at_step(step))
        first.send_signal(signal.SIGKILL)
        first.wait()
        world.start_engine(tmp_path / "b.log", sleep_s=3)
        done = await world.wait_for(ws.workset_id, settled, timeout_s=150)

    logs = (tmp_path / "a.log").read_text()[-2000:] + (tmp_path / "b.log").read_text()[-3000:]
    assert done.state is WorksetState.COMPLETE, logs
    assert done.attempts == 1, "an engine crash must not burn a customer retry"
    history = await ports.worksets.history(ws.workset_id)
    assert [h.event for h in history].count("claim") == 1
    entries = await world.container.command_log.for_workset(ws.workset_id)
    assert [e.label for e in entries].count("launch_pipeline") <= 2  # has-session guards it
    assert done.run is not None
    singleton = await ports.objects.get(
        ws.bucket,
        f"{ws.prefix}results/results/day/hg38/other_reports/rules_benchmark_data_singleton.tsv",
    )
    rows = [tuple(line.split("\t")[:2]) for line in singleton.decode().splitlines()[1:]]
    assert len(rows) == len(set(rows)), f"a rule ran twice: {rows}"


async def test_two_replicas_never_run_the_same_workset(world: EngineWorld, tmp_path: Path) -> None:
    ports = world.container.ports
    with engines(world):
        world.start_engine(tmp_path / "a.log")
        world.start_engine(tmp_path / "b.log")
        worksets = [await world.submit(f"pair-{i}", (f"P{i}",)) for i in range(3)]
        done = [await world.wait_for(ws.workset_id, settled, timeout_s=150) for ws in worksets]

    assert {ws.state for ws in done} == {WorksetState.COMPLETE}
    for ws in done:
        history = await ports.worksets.history(ws.workset_id)
        assert [h.event for h in history].count("claim") == 1
        assert "takeover" not in [h.event for h in history]
        labels = [e.label for e in await world.container.command_log.for_workset(ws.workset_id)]
        assert labels.count("launch_pipeline") == 1
