"""Link, list, revalidate, edit and unlink a customer's buckets (glossary, §11.2, defect 5).

Linking refuses a bucket another customer linked (or uses as its workset bucket) with one
message that names nobody, asks for the proof-of-control challenge object, then runs the
probes of ``bucket_validation``; only a bucket that passes is stored, create-only with a
guard on its name. ``Customer.linked_buckets``, the buckets submit may read inputs from
(§4.5), follows every change: a bucket is in it exactly while its link is validated and
linked for inputs. The tuple is updated after an add and before a removal, so a failure in
between leaves a bucket out rather than in (a revalidation puts it back)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from ursa.domain.buckets import BucketProbe, BucketReport, bucket_report
from ursa.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    StaleVersion,
)
from ursa.domain.linked_buckets import (
    BUCKET_ID_RE,
    CHALLENGE_MISSING,
    CHALLENGE_UNREADABLE,
    BucketAudit,
    BucketNotUsable,
    BucketType,
    LinkAction,
    LinkedBucket,
    LinkEdit,
    apply_edit,
    authorize_link,
    challenge_key,
    check_new_link,
    linked_bucket_id,
    needs_probe,
    not_usable,
    recorded,
    require_link_action,
    tenant_for,
    validate_description,
    validate_display_name,
)
from ursa.domain.principals import Principal
from ursa.domain.services.audit import record
from ursa.domain.services.bucket_validation import validate_bucket
from ursa.domain.services.context import Ports

TAKEN = "this bucket is already linked to an account or reserved by Ursa"
"""The one answer for a bucket of another customer: it names no customer."""
SYNC_ATTEMPTS = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkRequest:
    bucket: str
    display_name: str
    bucket_type: BucketType = BucketType.INPUT
    description: str = ""
    prefix: str = ""
    read_only: bool = False
    customer_id: str | None = None
    """Provider admins only: the customer to link for (ignored for customer callers)."""


def snapshot(link: LinkedBucket | None) -> Mapping[str, object] | None:
    """What a link mutation is audited by."""
    if link is None:
        return None
    return {
        "bucket": link.bucket,
        "prefix": link.prefix,
        "read_only": link.read_only,
        "bucket_type": link.bucket_type,
        "display_name": link.display_name,
        "validated": link.validation.ok,
        "version": link.version,
    }


async def _audit(
    ports: Ports,
    principal: Principal,
    action: BucketAudit,
    before: LinkedBucket | None,
    after: LinkedBucket | None,
) -> None:
    subject = after or before
    assert subject is not None
    await record(
        ports,
        actor=principal,
        customer_id=subject.customer_id,
        action=action,
        target=f"bucket:{subject.bucket_id}",
        before=snapshot(before),
        after=snapshot(after),
    )


async def load_link(
    ports: Ports, principal: Principal, bucket_id: str, action: LinkAction
) -> LinkedBucket:
    """The link if the caller may take ``action`` on it; another tenant's is NotFound (and
    so is an id of the wrong shape, which the store is never asked about)."""
    if not BUCKET_ID_RE.fullmatch(bucket_id):
        raise NotFound("linked bucket not found")
    link = await ports.linked_buckets.get(bucket_id)
    authorize_link(principal, link, action)
    return link


async def get_link(ports: Ports, principal: Principal, bucket_id: str) -> LinkedBucket:
    return await load_link(ports, principal, bucket_id, LinkAction.VIEW)


async def sync_inputs(ports: Ports, link: LinkedBucket, *, usable: bool) -> None:
    """Keep ``Customer.linked_buckets`` in step with one link (a versioned put, re-read on a
    race with another edit of the customer)."""
    for _ in range(SYNC_ATTEMPTS):
        customer = await ports.directory.get_customer(link.customer_id)
        if (link.bucket in customer.linked_buckets) == usable:
            return
        others = tuple(b for b in customer.linked_buckets if b != link.bucket)
        buckets = tuple(sorted((*others, link.bucket) if usable else others))
        changed = replace(customer, linked_buckets=buckets, version=customer.version + 1)
        try:
            await ports.directory.put_customer(changed, expected_version=customer.version)
        except StaleVersion:
            continue
        return
    raise Conflict(f"customer {link.customer_id} keeps changing; try again")


async def _refuse_taken(ports: Ports, customer_id: str, bucket: str) -> None:
    existing = await ports.linked_buckets.by_bucket(bucket)
    if existing is not None and existing.customer_id == customer_id:
        raise Conflict(
            f"bucket {bucket} is already linked to this account as {existing.bucket_id}",
            code="BUCKET_ALREADY_LINKED",
        )
    if existing is not None:
        raise Conflict(TAKEN, code="BUCKET_ALREADY_LINKED")
    for customer in await ports.directory.list_customers():
        used = bucket == customer.bucket or bucket in customer.linked_buckets
        if customer.customer_id != customer_id and used:
            raise Conflict(TAKEN, code="BUCKET_ALREADY_LINKED")
        if customer.customer_id == customer_id and bucket == customer.bucket:
            raise InvalidInput.single(
                "bucket", "BAD_VALUE", "this is the account's Ursa workset bucket: no link needed"
            )


async def _probe(ports: Ports, bucket: str, prefix: str, read_only: bool) -> BucketReport:
    return await validate_bucket(
        ports.objects, bucket, prefix, ports.ids.hex8(), read_only=read_only
    )


async def _prove_and_probe(
    ports: Ports, customer_id: str, bucket: str, prefix: str, read_only: bool
) -> BucketReport:
    """The challenge object first (nothing is written into a bucket whose control is not
    proven), then every probe; raises ``BucketNotUsable`` with what to fix."""
    challenge = challenge_key(customer_id, bucket, prefix)

    def refused(report: BucketReport | None, code: str = "") -> BucketNotUsable:
        return not_usable(
            report,
            bucket=bucket,
            prefix=prefix,
            read_only=read_only,
            challenge=challenge,
            challenge_code=code,
        )

    try:
        proven = await ports.objects.head(bucket, challenge) is not None
        code = CHALLENGE_MISSING
    except NotFound:
        missing = BucketProbe(bucket=bucket, prefix=prefix, exists=False, read_only=read_only)
        raise refused(bucket_report(missing)) from None
    except Forbidden:
        proven, code = False, CHALLENGE_UNREADABLE
    if not proven:
        raise refused(None, code)
    report = await _probe(ports, bucket, prefix, read_only)
    if not report.ok:
        raise refused(report)
    return report


async def link_bucket(ports: Ports, principal: Principal, request: LinkRequest) -> LinkedBucket:
    require_link_action(principal, LinkAction.MANAGE)
    customer = await ports.directory.get_customer(tenant_for(principal, request.customer_id))
    prefix = check_new_link(request.bucket, request.prefix, request.bucket_type, request.read_only)
    display_name = validate_display_name(request.display_name)
    description = validate_description(request.description)
    await _refuse_taken(ports, customer.customer_id, request.bucket)
    report = await _prove_and_probe(
        ports, customer.customer_id, request.bucket, prefix, request.read_only
    )
    now = ports.clock.now()
    link = LinkedBucket(
        bucket_id=linked_bucket_id(customer.customer_id, request.bucket),
        customer_id=customer.customer_id,
        bucket=request.bucket,
        region=report.region,
        display_name=display_name,
        bucket_type=request.bucket_type,
        description=description,
        prefix=prefix,
        read_only=request.read_only,
        validation=recorded(report, now),
        linked_by=principal.user_id,
        created_at=now,
        updated_at=now,
    )
    try:
        await ports.linked_buckets.create(link)
    except Conflict:
        raise Conflict(TAKEN, code="BUCKET_ALREADY_LINKED") from None  # lost a race
    await sync_inputs(ports, link, usable=link.usable_for_inputs)
    await _audit(ports, principal, BucketAudit.LINK, None, link)
    return link


async def list_links(
    ports: Ports, principal: Principal, customer_id: str | None = None
) -> tuple[LinkedBucket, ...]:
    """A customer's own links; a provider admin's view of one customer or of everyone."""
    require_link_action(principal, LinkAction.VIEW)
    if principal.customer_id is not None:
        return await ports.linked_buckets.list_for_customer(principal.customer_id)
    if customer_id is not None:
        return await ports.linked_buckets.list_for_customer(customer_id)
    return await ports.linked_buckets.list_all()


async def _save(
    ports: Ports, before: LinkedBucket, after: LinkedBucket, *, if_match: int | None
) -> None:
    """The versioned write, then the customer's input buckets (re-checked every time, which
    also repairs a tuple left behind by an earlier failure)."""
    try:
        await ports.linked_buckets.update(after, expected_version=before.version)
    except StaleVersion:
        if if_match is None:
            raise
        raise PreconditionFailed("the link changed since it was read; read it again") from None
    await sync_inputs(ports, after, usable=after.usable_for_inputs)


async def revalidate(ports: Ports, principal: Principal, bucket_id: str) -> LinkedBucket:
    """Probe again and record the report, passing or not (a failing link stops serving as
    an input bucket until it passes again)."""
    link = await load_link(ports, principal, bucket_id, LinkAction.MANAGE)
    report = await _probe(ports, link.bucket, link.prefix, link.read_only)
    now = ports.clock.now()
    after = replace(
        link,
        validation=recorded(report, now),
        region=report.region or link.region,
        updated_at=now,
        version=link.version + 1,
    )
    await _save(ports, link, after, if_match=None)
    await _audit(ports, principal, BucketAudit.REVALIDATE, link, after)
    return after


async def edit_link(
    ports: Ports, principal: Principal, bucket_id: str, edit: LinkEdit, *, if_match: int | None
) -> LinkedBucket:
    """Change the description fields freely; a new prefix or read-only setting is probed
    first and refused (nothing stored) when the probes fail."""
    link = await load_link(ports, principal, bucket_id, LinkAction.MANAGE)
    if if_match is not None and if_match != link.version:
        raise PreconditionFailed(f"the link is at version {link.version}, not {if_match}")
    now = ports.clock.now()
    after = apply_edit(link, edit, now)
    if after == replace(link, updated_at=now, version=link.version + 1):
        return link  # nothing changed: no write, no audit record
    if needs_probe(link, after):
        report = await _probe(ports, link.bucket, after.prefix, after.read_only)
        if not report.ok:
            raise not_usable(
                report, bucket=link.bucket, prefix=after.prefix, read_only=after.read_only
            )
        after = replace(after, validation=recorded(report, now), region=report.region)
    await _save(ports, link, after, if_match=if_match)
    await _audit(ports, principal, BucketAudit.EDIT, link, after)
    return after


async def unlink(ports: Ports, principal: Principal, bucket_id: str) -> LinkedBucket:
    link = await load_link(ports, principal, bucket_id, LinkAction.MANAGE)
    await sync_inputs(ports, link, usable=False)
    await ports.linked_buckets.delete(link.bucket_id)
    await _audit(ports, principal, BucketAudit.UNLINK, link, None)
    return link
