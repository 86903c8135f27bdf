"""submit_workset (T1–T3): validate, pin inputs, quote, gate, create; idempotent by key.

The manifest comes in the request (``manifest``) or from the customer's library
(``manifest_id``, a saved manifest's stored bytes): ``manifests.submitted_manifest``."""

from __future__ import annotations

from dataclasses import dataclass, field

from ursa.domain.audit import AuditAction
from ursa.domain.catalogue import CATALOGUE, genome_build
from ursa.domain.creation import created
from ursa.domain.enums import (
    Origin,
    PipelineType,
    Priority,
    ReferenceGenome,
    WorksetState,
    WorksetType,
)
from ursa.domain.ids import new_workset_id, quote_id, workset_prefix
from ursa.domain.principals import Principal
from ursa.domain.services.audit import record_workset
from ursa.domain.services.context import Ports
from ursa.domain.services.idempotency import begin, fingerprint
from ursa.domain.services.inputs import (
    customer_for,
    pin_inputs,
    read_manifest,
    sample_records,
    store_submission,
)
from ursa.domain.services.manifests import submitted_manifest
from ursa.domain.services.pricing import check_quota, gate, price
from ursa.domain.tenancy import Action, require_scope
from ursa.domain.validation import validate_email, validate_pipeline_version, validate_workset_name
from ursa.domain.worksets import Affinity, ManifestRef, RunOptions, Workset


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitRequest:
    name: str
    pipeline_type: PipelineType
    reference_genome: ReferenceGenome
    idempotency_key: str
    manifest: bytes | None = None
    """The TSV itself; or ``manifest_id``, a saved manifest's: exactly one of the two."""
    manifest_id: str | None = None
    priority: Priority = Priority.NORMAL
    workset_type: WorksetType = WorksetType.RUO
    pipeline_version: str | None = None
    options: RunOptions = field(default_factory=RunOptions)
    affinity: Affinity = field(default_factory=Affinity)
    origin: Origin = Origin.API


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitResult:
    workset: Workset
    replayed: bool


def request_fingerprint(request: SubmitRequest, manifest_sha: str) -> str:
    """§6.6: the manifest counts by its digest, so the same bytes give the same fingerprint
    whether they were sent or named by a saved manifest's id."""
    return fingerprint(
        {
            "name": request.name,
            "pipeline_type": request.pipeline_type.value,
            "reference_genome": request.reference_genome.value,
            "priority": request.priority.value,
            "workset_type": request.workset_type.value,
            "manifest": manifest_sha,
            "pipeline_version": request.pipeline_version or "",
            "options": [
                request.options.enable_qc,
                request.options.archive_results,
                list(request.options.notification_emails),
            ],
            "affinity": [request.affinity.mode.value, request.affinity.cluster_name or ""],
        }
    )


async def submit_workset(
    ports: Ports, principal: Principal, request: SubmitRequest, *, customer_id: str | None = None
) -> SubmitResult:
    require_scope(principal, Action.SUBMIT)
    customer = await customer_for(ports, principal, customer_id)
    name = validate_workset_name(request.name)
    for email in request.options.notification_emails:
        validate_email(email)
    entry = CATALOGUE[request.pipeline_type]
    version = validate_pipeline_version(request.pipeline_version or entry.default_version)
    build = genome_build(request.pipeline_type, request.reference_genome)
    data = await submitted_manifest(
        ports,
        principal,
        tsv=request.manifest,
        manifest_id=request.manifest_id,
        customer_id=customer.customer_id,
    )
    manifest = read_manifest(ports, principal, data)
    scope = f"{customer.customer_id}#submit"
    print_ = request_fingerprint(request, manifest.sha256)
    replay_id = await begin(ports, scope=scope, key=request.idempotency_key, print_=print_)
    if replay_id is not None:
        return SubmitResult(workset=await ports.worksets.get(replay_id), replayed=True)
    try:
        pins, sizes = await pin_inputs(ports, customer, manifest)
        now = ports.clock.now()
        workset_id = new_workset_id(name, ports.ids.hex8())
        figures, quote = price(
            sizes,
            request.pipeline_type,
            request.priority,
            request.workset_type,
            quote_id=quote_id(workset_id, 1),
            workset_id=workset_id,
            now=now,
        )
        check_quota(customer, figures)
        state = await gate(ports, customer, request.workset_type, quote.point)
        ws = Workset(
            workset_id=workset_id,
            name=name,
            customer_id=customer.customer_id,
            owner_user_id=principal.user_id,
            created_by_email=principal.email,
            origin=request.origin,
            idempotency_key=request.idempotency_key,
            request_fingerprint=print_,
            created_at=now,
            submitted_at=now,
            updated_at=now,
            ready_since=now if state is WorksetState.READY else None,
            pipeline_type=request.pipeline_type,
            pipeline_version=version,
            reference_genome=request.reference_genome,
            genome_build=build,
            workset_type=request.workset_type,
            priority=request.priority,
            options=request.options,
            input_pins=pins,
            manifest=ManifestRef(
                key=f"{workset_prefix(workset_id)}stage_samples.tsv",
                sha256=manifest.sha256,
                row_count=manifest.row_count,
                sample_count=manifest.sample_count,
            ),
            bucket=customer.bucket,
            prefix=workset_prefix(workset_id),
            bucket_region=customer.bucket_region,
            cluster_affinity=request.affinity,
            state=state,
            quote_id=quote.quote_id,
            cost_estimate=quote.point,
            cost_cap=None if state is WorksetState.AWAITING_APPROVAL else quote.high,
        )
        transition = created(ws, event="submit", actor=principal.actor, now=now)
        samples = sample_records(ws, manifest, sizes, quote)
        await ports.quotes.put(quote)
        await ports.worksets.create(transition, samples)
        await store_submission(ports, ws, data, [s.sample_id for s in samples])
        await ports.notifier.publish(transition.events)
    except BaseException:
        await ports.idempotency.abandon(scope, request.idempotency_key)
        raise
    await ports.idempotency.finish(
        scope, request.idempotency_key, result_id=workset_id, result_status=201
    )
    await record_workset(ports, principal, AuditAction.WORKSET_SUBMIT, before=None, after=ws)
    return SubmitResult(workset=ws, replayed=False)
