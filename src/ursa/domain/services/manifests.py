"""Saved manifests (§4): save (validated first), list, read, download, edit and delete.

Manifests are shared within their customer (``tenancy.authorize_shared``): every user of the
customer sees and uses them; only the owner, a customer admin or a provider admin edits or
deletes one. Another tenant's manifest is ``NotFound``, exactly like a missing one.

Saving writes the TSV (create-only) to ``manifests/<id>/stage_samples.tsv`` in the customer's
bucket, then the record (create-only); an id collision on either is retried with a fresh id
and never overwrites. Deleting removes the record first, then the file, so a record never
names a missing file. Every save, edit and delete is audited."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ursa.domain.audit import AuditAction
from ursa.domain.customers import Customer
from ursa.domain.errors import Conflict, InvalidInput, NotFound, PreconditionFailed, StaleVersion
from ursa.domain.manifest_types import Manifest
from ursa.domain.ports import Page
from ursa.domain.principals import Principal
from ursa.domain.saved_manifests import (
    ID_FIELD,
    MISSING,
    SavedManifest,
    edited,
    input_bucket_issues,
    is_manifest_id,
    new_manifest_id,
    one_manifest_source,
    saved_manifest,
    validate_description,
    validate_manifest_name,
)
from ursa.domain.services.audit import Snapshot, record
from ursa.domain.services.context import Ports
from ursa.domain.services.idempotency import begin, fingerprint
from ursa.domain.services.inputs import customer_for, read_manifest
from ursa.domain.tenancy import Action, authorize_shared, require_scope

TSV_MEDIA_TYPE = "text/tab-separated-values"
MAX_ID_ATTEMPTS = 3
WHAT = "manifest"


@dataclass(frozen=True, slots=True, kw_only=True)
class SaveRequest:
    name: str
    tsv: bytes
    description: str = ""
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SaveResult:
    manifest: SavedManifest
    replayed: bool


async def readable_buckets(ports: Ports, customer: Customer) -> frozenset[str]:
    """The buckets a customer's manifests may name: its own and its linked ones (§4.5).
    The one place to switch to the full linked-bucket records (``can_read``, validated)."""
    return frozenset({customer.bucket, *customer.linked_buckets})


async def checked_manifest(
    ports: Ports, principal: Principal, customer: Customer, data: bytes
) -> Manifest:
    """§4.1-§4.4 under the deployment's rules, plus every input in a readable bucket."""
    manifest = read_manifest(ports, principal, data)
    if issues := input_bucket_issues(manifest, await readable_buckets(ports, customer)):
        raise InvalidInput(f"{len(issues)} input file problem(s) in the manifest", issues)
    return manifest


def snapshot(manifest: SavedManifest | None) -> Snapshot | None:
    """What a manifest mutation is audited by."""
    if manifest is None:
        return None
    return {
        "name": manifest.name,
        "description": manifest.description,
        "sha256": manifest.sha256,
        "version": manifest.version,
    }


async def _audit(
    ports: Ports,
    principal: Principal,
    action: AuditAction,
    subject: SavedManifest,
    *,
    before: SavedManifest | None,
    after: SavedManifest | None,
) -> None:
    await record(
        ports,
        actor=principal,
        customer_id=subject.customer_id,
        action=action,
        target=f"manifest:{subject.manifest_id}",
        before=snapshot(before),
        after=snapshot(after),
    )


async def load_manifest(
    ports: Ports, principal: Principal, manifest_id: str, action: Action = Action.VIEW
) -> SavedManifest:
    if not is_manifest_id(manifest_id):
        raise NotFound(MISSING)
    manifest = await ports.manifests.get(manifest_id)
    authorize_shared(principal, manifest, action, what=WHAT)
    return manifest


async def save_manifest(
    ports: Ports, principal: Principal, request: SaveRequest, *, customer_id: str | None = None
) -> SaveResult:
    """Validate, then store; with an idempotency key the same body replays the first save."""
    require_scope(principal, Action.EDIT)
    customer = await customer_for(ports, principal, customer_id)
    name = validate_manifest_name(request.name)
    description = validate_description(request.description)
    manifest = await checked_manifest(ports, principal, customer, request.tsv)
    key = request.idempotency_key
    if key is None:
        saved = await _create(ports, principal, customer, name, description, manifest)
        return SaveResult(manifest=saved, replayed=False)
    scope = f"{customer.customer_id}#manifest_save"
    print_ = fingerprint({"name": name, "description": description, "manifest": manifest.sha256})
    replay_id = await begin(ports, scope=scope, key=key, print_=print_)
    if replay_id is not None:
        return SaveResult(manifest=await load_manifest(ports, principal, replay_id), replayed=True)
    try:
        saved = await _create(ports, principal, customer, name, description, manifest)
    except BaseException:
        await ports.idempotency.abandon(scope, key)
        raise
    await ports.idempotency.finish(scope, key, result_id=saved.manifest_id, result_status=201)
    return SaveResult(manifest=saved, replayed=False)


async def _create(
    ports: Ports,
    principal: Principal,
    customer: Customer,
    name: str,
    description: str,
    manifest: Manifest,
) -> SavedManifest:
    for _ in range(MAX_ID_ATTEMPTS):
        saved = saved_manifest(
            manifest_id=new_manifest_id(name, ports.ids.hex8()),
            customer_id=customer.customer_id,
            owner_user_id=principal.user_id,
            name=name,
            description=description,
            bucket=customer.bucket,
            manifest=manifest,
            now=ports.clock.now(),
        )
        try:
            await ports.objects.put(
                saved.bucket,
                saved.key,
                manifest.raw,
                if_none_match=True,
                content_type=TSV_MEDIA_TYPE,
            )
        except Conflict:
            continue  # the id is taken: draw another, never overwrite
        try:
            await ports.manifests.put(saved)
        except Conflict:
            await ports.objects.delete(saved.bucket, saved.key)
            continue
        except BaseException:
            await ports.objects.delete(saved.bucket, saved.key)
            raise
        await _audit(ports, principal, AuditAction.MANIFEST_SAVE, saved, before=None, after=saved)
        return saved
    raise Conflict("could not find a free manifest id; try again")


async def list_manifests(
    ports: Ports,
    principal: Principal,
    *,
    customer_id: str | None = None,
    limit: int = 25,
    cursor: str | None = None,
) -> Page[SavedManifest]:
    """A customer's users list their customer's manifests, whatever ``customer_id`` says;
    provider admins list every customer's, or the one they name."""
    require_scope(principal, Action.VIEW)
    tenant = customer_id if principal.is_provider_admin else principal.customer_id
    return await ports.manifests.list(tenant, limit=limit, cursor=cursor)


async def download_manifest(
    ports: Ports, principal: Principal, manifest_id: str
) -> tuple[SavedManifest, bytes]:
    """The stored TSV, checked against the record's digest."""
    manifest = await load_manifest(ports, principal, manifest_id)
    data = await ports.objects.get(manifest.bucket, manifest.key, max_bytes=manifest.size + 1)
    if hashlib.sha256(data).hexdigest() != manifest.sha256:
        raise Conflict(
            f"the stored file of manifest {manifest_id} no longer matches its sha256; "
            "save the manifest again",
            code="MANIFEST_CHANGED",
        )
    return manifest, data


async def submitted_manifest(
    ports: Ports,
    principal: Principal,
    *,
    tsv: bytes | None,
    manifest_id: str | None,
    customer_id: str | None,
) -> bytes:
    """The manifest a submit, its dry run or its estimate names, as bytes: the TSV as given,
    or a saved manifest's stored file (``download_manifest``: visible to the caller and
    digest-checked, so another tenant's id is NotFound exactly like a missing one). A provider
    admin's saved manifest must belong to the customer they act for (``customer_id``, once
    known). Exactly one of ``tsv`` and ``manifest_id`` (``one_manifest_source``)."""
    source = one_manifest_source(tsv, manifest_id)
    if isinstance(source, bytes):
        return source
    saved, data = await download_manifest(ports, principal, source)
    if customer_id is not None and saved.customer_id != customer_id:
        raise InvalidInput.single(
            ID_FIELD,
            "BAD_VALUE",
            f"manifest {source} belongs to customer {saved.customer_id}, not {customer_id}",
        )
    return data


def _check_precondition(manifest: SavedManifest, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != manifest.version:
        raise PreconditionFailed(
            f"manifest {manifest.manifest_id} is at version {manifest.version}, not "
            f"{expected_version}; read it again"
        )


async def edit_manifest(
    ports: Ports,
    principal: Principal,
    manifest_id: str,
    *,
    name: str | None = None,
    description: str | None = None,
    expected_version: int | None = None,
) -> SavedManifest:
    """Rename or re-describe; ``expected_version`` (If-Match) must be current. Setting the
    values a manifest already has is a no-op (no new version, no audit record)."""
    new_name = None if name is None else validate_manifest_name(name)
    new_description = None if description is None else validate_description(description)
    current = await load_manifest(ports, principal, manifest_id, Action.EDIT)
    _check_precondition(current, expected_version)
    if new_name in (None, current.name) and new_description in (None, current.description):
        return current
    updated = edited(current, name=new_name, description=new_description, now=ports.clock.now())
    try:
        await ports.manifests.update(updated, expected_version=current.version)
    except StaleVersion as exc:
        if expected_version is None:
            raise
        raise PreconditionFailed(
            f"manifest {manifest_id} changed meanwhile; read it again"
        ) from exc
    await _audit(
        ports, principal, AuditAction.MANIFEST_EDIT, updated, before=current, after=updated
    )
    return updated


async def delete_manifest(
    ports: Ports, principal: Principal, manifest_id: str, *, expected_version: int | None = None
) -> SavedManifest:
    """The record, then its file. Worksets submitted from it keep their own copy (§4.9)."""
    current = await load_manifest(ports, principal, manifest_id, Action.DELETE)
    _check_precondition(current, expected_version)
    try:
        await ports.manifests.delete(manifest_id, expected_version=current.version)
    except StaleVersion as exc:
        if expected_version is None:
            raise
        raise PreconditionFailed(
            f"manifest {manifest_id} changed meanwhile; read it again"
        ) from exc
    await ports.objects.delete(current.bucket, current.key)
    await _audit(ports, principal, AuditAction.MANIFEST_DELETE, current, before=current, after=None)
    return current
