"""estimate_workset: the dry run. Validates the manifest, checks every input exists and prices
it with the same estimator as submit; creates nothing."""

from __future__ import annotations

from dataclasses import dataclass

from ursa.domain.catalogue import genome_build
from ursa.domain.enums import PipelineType, Priority, ReferenceGenome, WorksetType
from ursa.domain.estimates import Estimate, Quote
from ursa.domain.principals import Principal
from ursa.domain.services.context import Ports
from ursa.domain.services.inputs import customer_for, pin_inputs, read_manifest
from ursa.domain.services.manifests import submitted_manifest
from ursa.domain.services.pricing import check_quota, price
from ursa.domain.tenancy import Action, require_scope

DRY_RUN_QUOTE_ID = "q-dry-run"
DRY_RUN_WORKSET_ID = "dry-run"


@dataclass(frozen=True, slots=True, kw_only=True)
class EstimateResult:
    estimate: Estimate
    quote: Quote
    sample_count: int
    row_count: int
    input_bytes: int


def dry_price(
    ports: Ports,
    sizes: dict[str, int],
    pipeline_type: PipelineType,
    priority: Priority,
    workset_type: WorksetType,
) -> tuple[Estimate, Quote]:
    """The submit estimator on pinned input sizes, under a quote id that is never stored."""
    return price(
        sizes,
        pipeline_type,
        priority,
        workset_type,
        quote_id=DRY_RUN_QUOTE_ID,
        workset_id=DRY_RUN_WORKSET_ID,
        now=ports.clock.now(),
    )


async def estimate_workset(
    ports: Ports,
    principal: Principal,
    *,
    manifest: bytes | None = None,
    manifest_id: str | None = None,
    pipeline_type: PipelineType,
    reference_genome: ReferenceGenome,
    priority: Priority = Priority.NORMAL,
    workset_type: WorksetType = WorksetType.RUO,
    customer_id: str | None = None,
) -> EstimateResult:
    """``manifest`` (the TSV) or ``manifest_id`` (a saved manifest): exactly one."""
    require_scope(principal, Action.VIEW)
    customer = await customer_for(ports, principal, customer_id)
    genome_build(pipeline_type, reference_genome)
    data = await submitted_manifest(
        ports, principal, tsv=manifest, manifest_id=manifest_id, customer_id=customer.customer_id
    )
    parsed = read_manifest(ports, principal, data)
    _, sizes = await pin_inputs(ports, customer, parsed)
    figures, quote = dry_price(ports, sizes, pipeline_type, priority, workset_type)
    check_quota(customer, figures)
    return EstimateResult(
        estimate=figures,
        quote=quote,
        sample_count=parsed.sample_count,
        row_count=parsed.row_count,
        input_bytes=sum(sizes.values()),
    )
