"""Drive one seeded workset to its story's state through the domain's own commands."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from ursa.adapters.memory.system import FixedClock
from ursa.adapters.simulated.cluster import SIM_CLUSTER, SIM_HEAD
from ursa.domain import commands, runs
from ursa.domain.catalogue import CATALOGUE
from ursa.domain.diagnostics import Evidence
from ursa.domain.enums import STEP_ORDER, ProgressStep
from ursa.domain.headnode import run_paths
from ursa.domain.principals import ENGINE, Principal
from ursa.domain.samples import apply_sample
from ursa.domain.services.context import Ports, commit
from ursa.domain.services.lifecycle import archive_workset, cancel_workset, delete_workset
from ursa.domain.services.run_outcomes import complete_run, post_actual_costs, record_failure
from ursa.domain.shell import DEFAULT_PIPELINE_BASE
from ursa.domain.worksets import Workset

SEED_ENGINE = "seed-host/1/5eed0000"

_OOM_LOG = "slurmstepd: error: Detected 1 oom_kill event in StepId=4242.batch.\n"
_FASTQ_LOG = "ERROR: sequence and quality have different length in TU2_R1.fastq.gz\n"
_REFERENCE_LOG = "[E::fai_retrieve] Failed to populate reference for sequence chr1\n"


async def _claim_and_run_to(
    ports: Ports, clock: FixedClock, workset_id: str, step: ProgressStep
) -> int:
    ws = await ports.worksets.get(workset_id)
    transition = runs.claim(ws, actor=ENGINE, owner=SEED_ENGINE, now=clock.now())
    await commit(ports, transition)
    token = transition.workset.lease_token
    samples = await ports.worksets.samples(workset_id)
    samples = tuple(apply_sample(s, "run_started") for s in samples)
    if STEP_ORDER.index(step) >= STEP_ORDER.index(ProgressStep.PIPELINE_STARTING):
        samples = tuple(apply_sample(s, "staged") for s in samples)
    await ports.worksets.save_samples(workset_id, samples)
    ws = transition.workset
    await ports.worksets.save_workset(
        _seeded_run(ws, step, tuple(s.sample_id for s in samples), clock.now()),
        expected_version=ws.version,
    )
    for target in STEP_ORDER[1 : STEP_ORDER.index(step) + 1]:
        clock.advance(900)
        ws = await ports.worksets.get(workset_id)
        pct = 42 if target is ProgressStep.PIPELINE_RUNNING else None
        await commit(
            ports,
            runs.advance(
                ws,
                actor=ENGINE,
                token=token,
                step=target,
                now=clock.now(),
                pct=pct,
                message=target.value.replace("_", " "),
            ),
        )
    return token


def _seeded_run(ws: Workset, step: ProgressStep, scope: tuple[str, ...], now: datetime) -> Workset:
    """The run record the engine would have written up to ``step``, on the simulated
    cluster, so that ``ursa dev``'s engine can take the seeded runs over and finish them."""
    assert ws.run is not None
    reached = STEP_ORDER.index(step)
    run = replace(
        ws.run,
        sample_scope=scope,
        cluster_name=SIM_CLUSTER,
        region=ws.bucket_region,
        head_node=SIM_HEAD,
    )
    if reached > STEP_ORDER.index(ProgressStep.STAGING):
        run = replace(
            run, stage_dir=f"/fsx/data/staged_sample_data/remote_stage_{run.run_id}", staged_at=now
        )
    if reached >= STEP_ORDER.index(ProgressStep.PIPELINE_RUNNING):
        paths = run_paths(DEFAULT_PIPELINE_BASE, ws.workset_id, run.run_id)
        run = replace(
            run,
            workdir_name=ws.workset_id,
            pipeline_dir=paths.pipeline_dir,
            tmux_session=paths.session,
            status_path=paths.status_path,
            launched_at=now,
            pipeline_started_at=now,
        )
    return runs.update_run(ws, token=ws.lease_token, run=run, now=now)


async def _export(ports: Ports, ws: Workset, sample_ids: list[str]) -> None:
    """What the export would have left under ``results/`` (§4.9): each sample's expected
    outputs and a cohort report, so the results endpoints have something to list."""
    base = f"{ws.prefix}results/results/day/{ws.genome_build}/"
    keys = [
        f"{base}{sample}/{pattern.replace('*', sample)}"
        for sample in sample_ids
        for pattern in CATALOGUE[ws.pipeline_type].expected_outputs
    ]
    for key in [*keys, f"{base}other_reports/multiqc_final_wgs_report.html"]:
        await ports.objects.put(ws.bucket, key, f"seeded {key.rsplit('/', 1)[-1]}\n".encode())


async def _complete(ports: Ports, clock: FixedClock, workset_id: str) -> None:
    token = await _claim_and_run_to(ports, clock, workset_id, ProgressStep.FINALIZING)
    ws = await ports.worksets.get(workset_id)
    samples = await ports.worksets.samples(workset_id)
    await _export(ports, ws, [s.sample_id for s in samples])
    # A deterministic ±10 % spread around the estimate stands in for measured telemetry.
    wobble = Decimal(90 + int(hashlib.sha256(workset_id.encode()).hexdigest()[:2], 16) % 21)
    direct = {s.sample_id: s.cost_estimate * wobble / 100 * Decimal("0.8") for s in samples}
    cpu = {s.sample_id: Decimal(s.input_bytes // 2**20) for s in samples}
    await post_actual_costs(
        ports,
        workset_id,
        token=token,
        direct=direct,
        cpu_seconds=cpu,
        overhead=ws.cost_estimate * wobble / 100 * Decimal("0.2"),
    )
    await complete_run(ports, workset_id, token=token)


async def _fail(ports: Ports, clock: FixedClock, workset_id: str, log: str, sample: int) -> None:
    token = await _claim_and_run_to(ports, clock, workset_id, ProgressStep.PIPELINE_RUNNING)
    samples = await ports.worksets.samples(workset_id)
    clock.advance(1800)
    await record_failure(
        ports,
        workset_id,
        token=token,
        evidence=Evidence(log_excerpt=log, exit_code=1),
        failed_samples=(samples[sample % len(samples)].sample_id,),
    )


async def drive_to(
    ports: Ports, clock: FixedClock, workset_id: str, target: str, provider: Principal
) -> None:
    """Play one story: see ``SeedWorkset.target`` for the vocabulary."""
    kind, _, step = target.partition(":")
    if kind in ("ready", "awaiting_approval"):
        return
    if kind == "in_progress":
        await _claim_and_run_to(ports, clock, workset_id, ProgressStep(step))
    elif kind == "on_hold":
        ws = await ports.worksets.get(workset_id)
        await commit(
            ports,
            commands.hold(
                ws, actor=provider.actor, now=clock.now(), reason="credit review by the provider"
            ),
        )
    elif kind == "retrying":
        await _fail(ports, clock, workset_id, _OOM_LOG, sample=1)
    elif kind == "error":
        await _fail(ports, clock, workset_id, _FASTQ_LOG, sample=1)
    elif kind == "failed":
        await _fail(ports, clock, workset_id, _REFERENCE_LOG, sample=0)
        ws = await ports.worksets.get(workset_id)
        await commit(
            ports,
            commands.give_up(
                ws, actor=provider.actor, now=clock.now(), reason="reference bundle retired"
            ),
        )
    elif kind in ("complete", "archived"):
        await _complete(ports, clock, workset_id)
        if kind == "archived":
            clock.advance(86400)
            await archive_workset(ports, provider, workset_id)
    elif kind in ("canceled", "deleted"):
        await cancel_workset(ports, provider, workset_id, reason="duplicate order")
        if kind == "deleted":
            clock.advance(3600)
            await delete_workset(ports, provider, workset_id, reason="submitted in error")
    elif kind == "ignored":
        ws = await ports.worksets.get(workset_id)
        await commit(
            ports,
            commands.ignore(
                ws, actor=provider.actor, now=clock.now(), reason="handled outside Ursa"
            ),
        )
    else:
        raise ValueError(f"unknown seed story {target!r}")
