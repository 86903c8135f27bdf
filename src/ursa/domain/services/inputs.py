"""Input pinning (§4.5), sample records, and the workset folder written at submit (§4.9)."""

from __future__ import annotations

import json
from collections.abc import Collection
from decimal import Decimal

from ursa.domain.customers import Customer
from ursa.domain.errors import InvalidInput, Issue
from ursa.domain.estimates import Quote
from ursa.domain.manifest_types import Manifest, ManifestRow, ManifestRules
from ursa.domain.manifests import parse_manifest
from ursa.domain.principals import Principal
from ursa.domain.samples import Sample
from ursa.domain.services.context import Policies, Ports
from ursa.domain.validation import parse_s3_uri
from ursa.domain.worksets import InputPin, Workset

_COLD = frozenset({"GLACIER", "DEEP_ARCHIVE"})


async def customer_for(ports: Ports, principal: Principal, customer_id: str | None) -> Customer:
    """A customer's own tenant, or the customer a provider admin names."""
    tenant = principal.customer_id or customer_id
    if tenant is None:
        raise InvalidInput.single(
            "customer_id", "EMPTY_REQUIRED", "a provider admin must name the customer"
        )
    return await ports.directory.get_customer(tenant)


def manifest_rules(policies: Policies, *, allow_local_paths: bool) -> ManifestRules:
    """The deployment's manifest rules; head-node paths only where the caller allows them."""
    return ManifestRules(
        stage_target=policies.stage_target,
        max_samples=policies.max_samples,
        allow_local_paths=allow_local_paths,
        allowed_local_roots=policies.allowed_local_roots,
    )


def read_manifest(ports: Ports, principal: Principal, data: bytes) -> Manifest:
    """Parse under the deployment's rules; only provider admins may name head-node paths."""
    return parse_manifest(
        data, manifest_rules(ports.policies, allow_local_paths=principal.is_provider_admin)
    )


async def pin_inputs(
    ports: Ports,
    customer: Customer,
    manifest: Manifest,
    *,
    samples: Collection[str] | None = None,
) -> tuple[tuple[InputPin, ...], dict[str, int]]:
    """HEAD every R1/R2 (of ``samples`` only, when given); record its facts. Returns the pins
    and the input bytes per sample. Every problem is an issue naming the row, the sample, the
    column and the object."""
    scope = None if samples is None else frozenset(samples)
    allowed = {customer.bucket, *customer.linked_buckets}
    pins: list[InputPin] = []
    sizes = {s.sample_id: 0 for s in manifest.samples if scope is None or s.sample_id in scope}
    issues: list[Issue] = []

    def issue(row: ManifestRow, column: str, code: str, problem: str) -> None:
        where = f"row {row.row} (sample {row.sample_id}), {column}"
        issues.append(Issue(field=column, row=row.row, code=code, message=f"{where}: {problem}"))

    for row in manifest.rows:
        if row.sample_id not in sizes:
            continue
        for column, uri in (("R1_FQ", row.r1_fq), ("R2_FQ", row.r2_fq)):
            if not uri:
                continue
            location = parse_s3_uri(uri)
            if location.bucket not in allowed:
                issue(
                    row,
                    column,
                    "INPUT_NOT_ALLOWED",
                    f"bucket {location.bucket} is not linked to your account; link and "
                    "validate it first",
                )
                continue
            facts = await ports.objects.head(location.bucket, location.key)
            if facts is None:
                issue(row, column, "INPUT_NOT_FOUND", f"{uri} does not exist")
            elif facts.size == 0:
                issue(row, column, "INPUT_EMPTY", f"{uri} is empty")
            elif facts.storage_class in _COLD:
                issue(
                    row, column, "BAD_VALUE", f"{uri} is in {facts.storage_class}; restore it first"
                )
            else:
                pins.append(
                    InputPin(
                        uri=uri,
                        size=facts.size,
                        etag=facts.etag,
                        version_id=facts.version_id,
                        region=facts.region,
                    )
                )
                sizes[row.sample_id] += facts.size
    if issues:
        raise InvalidInput(f"{len(issues)} input file problem(s) in the manifest", tuple(issues))
    return tuple(pins), sizes


def sample_estimates(quote: Quote) -> dict[str, Decimal]:
    """Each sample's estimate: the sum of its quote lines (samples not quoted are absent)."""
    estimates: dict[str, Decimal] = {}
    for line in quote.lines:
        estimates[line.sample_id] = estimates.get(line.sample_id, Decimal(0)) + line.amount
    return estimates


def sample_records(
    ws: Workset, manifest: Manifest, sizes: dict[str, int], quote: Quote
) -> list[Sample]:
    estimates = sample_estimates(quote)
    return [
        Sample(
            workset_id=ws.workset_id,
            sample_id=s.sample_id,
            customer_id=ws.customer_id,
            external_sample_id=s.external_sample_id or "",
            sample_type=s.sample_type.value,
            is_pos_ctrl=s.is_pos_ctrl,
            is_neg_ctrl=s.is_neg_ctrl,
            n_x=s.n_x,
            n_y=s.n_y,
            unit_count=len(s.units),
            input_bytes=sizes.get(s.sample_id, 0),
            cost_estimate=estimates.get(s.sample_id, Decimal(0)),
        )
        for s in manifest.samples
    ]


def info_document(ws: Workset, sample_ids: list[str]) -> bytes:
    """``daylily_info.yaml`` (§4.8). JSON is valid YAML and needs no YAML library."""
    doc = {
        "ursa_schema_version": 1,
        "workset_id": ws.workset_id,
        "workset_name": ws.name,
        "customer_id": ws.customer_id,
        "owner_user_id": ws.owner_user_id,
        "created_at": ws.created_at.isoformat(),
        "submitted_at": ws.submitted_at.isoformat(),
        "pipeline_type": ws.pipeline_type.value,
        "pipeline_version": ws.pipeline_version,
        "reference_genome": ws.reference_genome.value,
        "genome_build": ws.genome_build,
        "priority": ws.priority.value,
        "workset_type": ws.workset_type.value,
        "sample_count": len(sample_ids),
        "sample_ids": sample_ids,
        "enable_qc": ws.options.enable_qc,
        "archive_results": ws.options.archive_results,
        "notification_emails": list(ws.options.notification_emails),
        "s3_bucket": ws.bucket,
        "s3_prefix": ws.prefix,
        "export_uri": f"s3://{ws.bucket}/{ws.prefix}results/",
        "retried_from": ws.retried_from,
        "quote_id": ws.quote_id,
        "manifest_sha256": ws.manifest.sha256,
    }
    return json.dumps(doc, indent=2).encode() + b"\n"


async def store_submission(
    ports: Ports, ws: Workset, manifest: bytes, sample_ids: list[str]
) -> None:
    """The verbatim manifest, the audit document and the folder marker legacy tools need."""
    await ports.objects.put(ws.bucket, ws.manifest.key, manifest)
    await ports.objects.put(
        ws.bucket, f"{ws.prefix}daylily_info.yaml", info_document(ws, sample_ids)
    )
    await ports.objects.put(ws.bucket, f"{ws.prefix}sample_data/.hold", b"")
