"""Validate a manifest without saving it, and generate a draft from an S3 prefix (§4.7).

``validate_manifest`` answers a report (every issue, the samples when valid) instead of an
error, so a client can show all problems at once. ``generate_manifest`` lists a prefix of the
customer's own or a linked bucket (at most ``MAX_DISCOVERED_OBJECTS`` objects, paged), pairs
R1/R2 names, and proposes a draft with the generator defaults visible; it saves the draft
only when asked and only when the draft is valid."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ursa.domain.customers import Customer
from ursa.domain.errors import InvalidInput, Issue
from ursa.domain.manifest_types import Manifest
from ursa.domain.pairing import (
    DEFAULT_MANIFEST_DEFAULTS,
    ManifestDefaults,
    PairingResult,
    draft_manifest,
    pair_keys,
)
from ursa.domain.principals import Principal
from ursa.domain.saved_manifests import (
    MAX_DISCOVERED_OBJECTS,
    SavedManifest,
    ValidationReport,
    check_prefix,
    input_bucket_issues,
    invalid_report,
    valid_report,
    validate_description,
    validate_manifest_name,
)
from ursa.domain.services.context import Ports
from ursa.domain.services.inputs import customer_for, read_manifest
from ursa.domain.services.manifests import SaveRequest, readable_buckets, save_manifest
from ursa.domain.tenancy import Action, require_scope
from ursa.domain.validation import validate_bucket_name

LIST_PAGE = 1000


async def validate_manifest(
    ports: Ports, principal: Principal, data: bytes, *, customer_id: str | None = None
) -> ValidationReport:
    """The §4.1-§4.4 rules and the bucket of every input (no object is read). A provider
    admin who names no customer gets the format rules only."""
    require_scope(principal, Action.VIEW)
    customer: Customer | None = None
    if principal.customer_id is not None or customer_id is not None:
        customer = await customer_for(ports, principal, customer_id)
    try:
        manifest = read_manifest(ports, principal, data)
    except InvalidInput as exc:
        return invalid_report(data, exc.issues)
    if customer is None:
        return valid_report(manifest)
    return valid_report(
        manifest, input_bucket_issues(manifest, await readable_buckets(ports, customer))
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class GenerateRequest:
    bucket: str
    prefix: str
    defaults: ManifestDefaults = DEFAULT_MANIFEST_DEFAULTS
    save: bool = False
    name: str | None = None
    description: str = ""
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class GenerateResult:
    tsv: bytes
    pairing: PairingResult
    issues: tuple[Issue, ...]
    """What keeps the draft from being saved as is: left-out pairs, proposed ids, §4 rules."""
    defaults: ManifestDefaults
    listed: int
    manifest: Manifest | None
    """The parsed draft when it is valid."""
    saved: SavedManifest | None


async def _discover(ports: Ports, bucket: str, prefix: str) -> list[str]:
    keys: list[str] = []
    cursor: str | None = None
    while True:
        page = await ports.objects.list(bucket, prefix, limit=LIST_PAGE, cursor=cursor)
        keys.extend(facts.key for facts in page.items)
        if len(keys) > MAX_DISCOVERED_OBJECTS:
            raise InvalidInput.single(
                "prefix",
                "TOO_MANY_OBJECTS",
                f"more than {MAX_DISCOVERED_OBJECTS} objects under s3://{bucket}/{prefix}; "
                "narrow the prefix (for example to one run folder)",
            )
        if page.next_cursor is None:
            return keys
        cursor = page.next_cursor


async def generate_manifest(
    ports: Ports, principal: Principal, request: GenerateRequest, *, customer_id: str | None = None
) -> GenerateResult:
    require_scope(principal, Action.EDIT if request.save else Action.VIEW)
    customer = await customer_for(ports, principal, customer_id)
    if request.save:
        if request.name is None:
            raise InvalidInput.single(
                "name", "EMPTY_REQUIRED", "name is required to save the generated manifest"
            )
        validate_manifest_name(request.name)
        validate_description(request.description)
    bucket = validate_bucket_name(request.bucket)
    prefix = check_prefix(request.prefix)
    if bucket not in await readable_buckets(ports, customer):
        raise InvalidInput.single(
            "bucket",
            "INPUT_NOT_ALLOWED",
            f"bucket {bucket} is not linked to your account; link and validate it first",
        )
    keys = await _discover(ports, bucket, prefix)
    pairing = pair_keys(keys)
    defaults = replace(request.defaults, stage_target=ports.policies.stage_target)
    tsv, draft_issues = draft_manifest(bucket, pairing, defaults)
    manifest: Manifest | None = None
    issues = draft_issues
    try:
        manifest = read_manifest(ports, principal, tsv)
    except InvalidInput as exc:
        issues = draft_issues + exc.issues
    saved = None
    if request.save:
        if issues:
            raise InvalidInput(
                f"the generated manifest has {len(issues)} problem(s); fix them (or edit the "
                "draft and save it with POST /manifests) first",
                issues,
            )
        result = await save_manifest(
            ports,
            principal,
            SaveRequest(
                name=request.name or "",
                description=request.description,
                tsv=tsv,
                idempotency_key=request.idempotency_key,
            ),
            customer_id=customer_id,
        )
        saved = result.manifest
    return GenerateResult(
        tsv=tsv,
        pairing=pairing,
        issues=issues,
        defaults=defaults,
        listed=len(keys),
        manifest=manifest,
        saved=saved,
    )
