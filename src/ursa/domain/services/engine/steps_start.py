"""Steps from claim to a running pipeline: staging (with the cluster choice), cluster
provisioning, cluster ready, pipeline starting. Each checks the run record first, so a
step that already happened is skipped on re-entry."""

from __future__ import annotations

from ursa.domain.catalogue import CATALOGUE
from ursa.domain.cluster_choice import choose_cluster, region_order
from ursa.domain.diagnostics import Evidence
from ursa.domain.enums import SampleState
from ursa.domain.headnode import (
    StagedUnit,
    clone_pipeline,
    health_probe,
    launch_pipeline,
    launch_script,
    parse_probe,
    poll_status,
    run_paths,
    samples_tsv,
    units_tsv,
)
from ursa.domain.manifest_types import Manifest
from ursa.domain.manifests import parse_manifest
from ursa.domain.ports.cluster import ClusterInfo, ClusterStatus, StageFile, StageRequest
from ursa.domain.samples import Sample, apply_sample, retry_scope
from ursa.domain.services.engine.context import RunContext
from ursa.domain.services.engine.results import Failure, Next, StepResult, Wait
from ursa.domain.services.inputs import manifest_rules
from ursa.domain.worksets import Workset

LAUNCH_GRACE_S = 120.0
MAX_MANIFEST_BYTES = 16 * 1024 * 1024


async def _choose(ctx: RunContext) -> ClusterInfo | None:
    clusters = ctx.deps.clusters
    for region in region_order(ctx.ws, clusters.regions()):
        found = await clusters.list_clusters(region, journal=ctx.journal)
        chosen = choose_cluster(ctx.ws, found)
        if chosen is not None:
            return chosen
    return None


async def _manifest(ctx: RunContext) -> Manifest:
    ws = ctx.ws
    data = await ctx.deps.ports.objects.get(
        ws.bucket, ws.manifest.key, max_bytes=MAX_MANIFEST_BYTES
    )
    # Validated at submit; head-node paths were allowed then only for provider admins.
    return parse_manifest(data, manifest_rules(ctx.deps.ports.policies, allow_local_paths=True))


def _stage_plan(
    ws: Workset, manifest: Manifest, scope: tuple[str, ...], stage_dir: str
) -> tuple[tuple[StageFile, ...], tuple[StagedUnit, ...]]:
    """Each S3 input becomes ``<stage_dir>/<sample>/<file name>``; a head-node path (provider
    worksets only) is used where it is."""
    sizes = {pin.uri: pin for pin in ws.input_pins}
    files: list[StageFile] = []
    units: list[StagedUnit] = []

    def staged(sample_id: str, uri: str | None) -> str | None:
        if not uri or not uri.startswith("s3://"):
            return uri
        name = f"{sample_id}/{uri.rsplit('/', 1)[-1]}"
        pin = sizes.get(uri)
        files.append(
            StageFile(
                uri=uri,
                version_id=pin.version_id if pin else None,
                size=pin.size if pin else 0,
                name=name,
            )
        )
        return f"{stage_dir}/{name}"

    for sample in manifest.samples:
        if sample.sample_id not in scope:
            continue
        for unit in sample.units:
            for lane in unit.lanes:
                r1 = staged(sample.sample_id, lane.r1_fq) or ""
                r2 = staged(sample.sample_id, lane.r2_fq)
                label = f"{unit.run_id}-L{lane.lane:03d}"
                units.append(StagedUnit(sample_id=sample.sample_id, unit=label, r1=r1, r2=r2))
    return tuple(files), tuple(units)


def _start_samples(samples: tuple[Sample, ...], scope: tuple[str, ...]) -> tuple[Sample, ...]:
    """In-scope samples enter staging; a failed one is requeued first (§3.2)."""
    out = []
    for s in samples:
        if s.sample_id in scope and s.state is SampleState.FAILED:
            s = apply_sample(s, "requeue")
        if s.sample_id in scope and s.state is SampleState.PENDING:
            s = apply_sample(s, "run_started")
        out.append(s)
    return tuple(out)


async def begin_run(ctx: RunContext) -> None:
    """The first call of a run fixes its sample scope (§3.3: failed and pending samples)
    and moves those samples into staging; a resumed call finds the scope set."""
    if ctx.run.sample_scope:
        return
    samples = await ctx.samples()
    scope = retry_scope(samples)
    await ctx.save_samples(_start_samples(samples, scope))
    await ctx.save_run(sample_scope=scope)


async def staging(ctx: RunContext) -> StepResult:
    run = ctx.run
    if run.cluster_name is None:
        chosen = await _choose(ctx)
        if chosen is None:
            return Wait(
                seconds=ctx.deps.config.slow_poll_s, message="waiting for an eligible cluster"
            )
        run = await ctx.save_run(
            cluster_name=chosen.name, region=chosen.region, head_node=chosen.head_node
        )
    if run.staged_at is not None:
        return Next(message="inputs staged")
    cluster = await ctx.cluster()
    if cluster.head_node is None:
        return Wait(seconds=ctx.deps.config.slow_poll_s, message="waiting for the head node")
    stage_dir = f"{ctx.deps.config.stage_base.rstrip('/')}/remote_stage_{run.run_id}"
    files, _ = _stage_plan(ctx.ws, await _manifest(ctx), run.sample_scope, stage_dir)
    await ctx.deps.stager.stage(
        StageRequest(
            run_id=run.run_id,
            cluster=cluster,
            node=cluster.head_node,
            stage_dir=stage_dir,
            files=files,
        ),
        ctx.journal,
    )
    await ctx.save_run(stage_dir=stage_dir, staged_at=ctx.now())
    return Next(message=f"{len(files)} input files staged")


async def cluster_provisioning(ctx: RunContext) -> StepResult:
    cluster = await ctx.cluster()
    if cluster.status is ClusterStatus.CREATING:
        return Wait(seconds=ctx.deps.config.slow_poll_s, message="the cluster is being created")
    if cluster.status is not ClusterStatus.READY or cluster.head_node is None:
        text = cluster.failure or f"cluster {cluster.name} is {cluster.status.value}"
        return Failure(evidence=Evidence(log_excerpt=text))
    if ctx.run.head_node != cluster.head_node:
        await ctx.save_run(head_node=cluster.head_node)
    probe = await ctx.remote(health_probe())
    if probe.exit_code != 0:
        return Failure(
            evidence=Evidence(exit_code=probe.exit_code, log_excerpt=probe.stderr or probe.stdout)
        )
    return Next(message=f"cluster {cluster.name} is ready")


async def cluster_ready(ctx: RunContext) -> StepResult:
    return Next(message="starting the pipeline")


def _pipeline_argv(ctx: RunContext) -> tuple[str, ...]:
    configured = ctx.deps.config.pipeline_command
    if configured:
        return configured
    entry = CATALOGUE[ctx.ws.pipeline_type]
    return (
        "./bin/day_run",
        *entry.targets,
        "-p",
        "-k",
        "--config",
        f"genome_build={ctx.ws.genome_build}",
    )


def _clone_argv(ctx: RunContext, pipeline_dir: str, workdir: str) -> tuple[str, ...]:
    values = {"workdir": workdir, "version": ctx.ws.pipeline_version, "pipeline_dir": pipeline_dir}
    return tuple(token.format(**values) for token in ctx.deps.config.clone_command)


async def _launch(ctx: RunContext) -> Failure | None:
    ws, run = ctx.ws, ctx.run
    paths = run_paths(ctx.deps.config.pipeline_base, ws.workset_id, run.run_id)
    cloned = await ctx.remote(
        clone_pipeline(paths, _clone_argv(ctx, paths.pipeline_dir, ws.workset_id))
    )
    if cloned.exit_code != 0:
        return Failure(evidence=Evidence(exit_code=cloned.exit_code, log_excerpt=cloned.stderr))
    _, units = _stage_plan(ws, await _manifest(ctx), run.sample_scope, run.stage_dir or "")
    await ctx.put_remote("push_config", f"{paths.pipeline_dir}/config/units.tsv", units_tsv(units))
    await ctx.put_remote(
        "push_config", f"{paths.pipeline_dir}/config/samples.tsv", samples_tsv(run.sample_scope)
    )
    environment = {
        "DAY_PROJECT": ws.customer_id,
        "DAY_CONTAINERIZED": "0",
        "URSA_RUN_ID": run.run_id,
        "URSA_GENOME_BUILD": ws.genome_build,
        **dict(ctx.deps.config.pipeline_environment),
    }
    script = launch_script(paths, pipeline_argv=_pipeline_argv(ctx), environment=environment)
    await ctx.put_remote("upload_launch", paths.launch_path, script, mode=0o755)
    launched = await ctx.remote(launch_pipeline(paths, run.sample_scope, ws.genome_build))
    if launched.exit_code != 0:
        return Failure(evidence=Evidence(exit_code=launched.exit_code, log_excerpt=launched.stderr))
    await ctx.save_run(launched_at=ctx.now())
    return None


async def pipeline_starting(ctx: RunContext) -> StepResult:
    ws, run = ctx.ws, ctx.run
    paths = run_paths(ctx.deps.config.pipeline_base, ws.workset_id, run.run_id)
    if run.pipeline_dir != paths.pipeline_dir or run.tmux_session != paths.session:
        run = await ctx.save_run(
            workdir_name=ws.workset_id,
            pipeline_dir=paths.pipeline_dir,
            tmux_session=paths.session,
            status_path=paths.status_path,
        )
    if run.launched_at is None:
        failed = await _launch(ctx)
        if failed is not None:
            return failed
        run = ctx.run
    probe = parse_probe((await ctx.remote(poll_status(paths, run.sample_scope))).stdout)
    if probe.started_at:
        samples = await ctx.samples()
        await ctx.save_samples(
            tuple(
                apply_sample(s, "staged") if s.state is SampleState.STAGING else s for s in samples
            )
        )
        await ctx.save_run(pipeline_started_at=ctx.now())
        return Next(message="the pipeline is running", pct=probe.progress_pct or 0)
    waited = (ctx.now() - run.launched_at).total_seconds() if run.launched_at else 0.0
    if not probe.tmux_alive and waited > LAUNCH_GRACE_S:
        return Failure(evidence=Evidence(log_excerpt="engine_lost_session\n" + probe.log_tail))
    return Wait(seconds=ctx.deps.config.fast_poll_s, message="waiting for the pipeline to start")
