"""The matrix's rows for linked buckets (link, edit, revalidate, unlink, browse, presigned and
multipart uploads), with their bodies and checks."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import httpx
from matrix_vocabulary import (
    CREATED,
    NO_CONTENT,
    OK,
    After,
    Expect,
    F,
    H,
    Payload,
    Row,
    Rows,
    U,
    cells,
)
from tenancy_world import EMAILS, World

from ursa.adapters.memory.seed_data import LINKS
from ursa.domain.errors import NotFound
from ursa.domain.linked_buckets import LinkedBucket, challenge_key

# -- linked buckets --

BUCKETS_API = "/api/v1/buckets"
BUCKET_API = "/api/v1/buckets/{bucket_id:str}"
LINKED = LINKS[0].bucket
"""Acme's seeded link (the subject's customer), writable and unrestricted."""
LINKED_OBJECT = {"key": challenge_key("acme-genomics-3f9c01ab", LINKED, "")}
"""An object in it: the challenge the seed wrote to prove control."""
MATRIX_KEY = "matrix/upload.fastq.gz"
_OPEN_UPLOADS: dict[int, str] = {}
"""world → the multipart upload its payload opened (for the abort row's check)."""


def _link(world: World) -> LinkedBucket | None:
    links = world.run(world.container.ports.linked_buckets.list_all())
    return next((lb for lb in links if lb.bucket_id == world.params["bucket_id"]), None)


def _new_bucket(principal: str) -> str:
    return f"matrix-{principal.replace('_', '-')}-inputs"


def link_new_bucket(world: World, principal: str) -> Payload:
    """A fresh bucket with the challenge of every customer in it, linked naming Acme."""
    bucket = _new_bucket(principal)
    world.objects.create_bucket(bucket)
    for customer in world.run(world.container.ports.directory.list_customers()):
        world.objects.seed_object(bucket, challenge_key(customer.customer_id, bucket, ""), 0)
    body = {"bucket": bucket, "display_name": "Matrix", "customer_id": world.subject.customer_id}
    return Payload(json=body)


def link_created_only_if_allowed(world: World, principal: str) -> After:
    """Linked into the caller's own customer (the provider's: the one named), or nothing."""
    before = world.run(world.container.ports.linked_buckets.list_all())

    def after(expect: Expect, response: httpx.Response) -> None:
        now = world.run(world.container.ports.linked_buckets.list_all())
        added = [lb for lb in now if lb not in before]
        if not expect.allowed:
            assert added == [], f"a refused link by {principal} was stored"
            return
        (link,) = added
        caller = world.run(world.container.ports.directory.user_by_email(EMAILS[principal]))
        assert link.bucket == _new_bucket(principal)
        assert link.customer_id == (caller.customer_id or world.subject.customer_id)

    return after


def edit_description(world: World, principal: str) -> Payload:
    return Payload(json={"description": f"matrix: {principal}"})


def link_changed_only_if_allowed(world: World, principal: str) -> After:
    """Edit, revalidate and unlink change the seeded link (a new version, or gone)."""
    before = _link(world)
    audit = world.run(world.container.ports.audit.head(world.subject.customer_id))
    assert before is not None

    def after(expect: Expect, response: httpx.Response) -> None:
        now = _link(world)
        if expect.allowed:
            assert now is None or now.version == before.version + 1, principal
        else:
            assert now == before, f"a refused call by {principal} changed the link"
            assert world.run(world.container.ports.audit.head(world.subject.customer_id)) == audit

    return after


def single_upload(world: World, principal: str) -> Payload:
    return Payload(json={"key": MATRIX_KEY})


def upload_key(world: World, principal: str) -> Payload:
    return Payload(json={"key": MATRIX_KEY, "parts": 1})


def presigning_stores_nothing(world: World, principal: str) -> After:
    before = _link(world)

    def after(expect: Expect, response: httpx.Response) -> None:
        assert _link(world) == before
        assert world.run(world.objects.head(LINKED, MATRIX_KEY)) is None

    return after


def uploaded_part(world: World, principal: str) -> Payload:
    """A multipart upload with its one part already uploaded (through its presigned URL)."""
    upload_id = world.run(world.objects.create_multipart(LINKED, MATRIX_KEY))
    url = world.run(world.objects.presign_part(LINKED, MATRIX_KEY, upload_id, 1))
    query = dict(parse_qsl(urlsplit(url).query))
    reply = world.objects.open_presigned("PUT", LINKED, MATRIX_KEY, query, b"matrix part")
    parts = [{"part_number": 1, "etag": reply.etag}]
    return Payload(json={"key": MATRIX_KEY, "upload_id": upload_id, "parts": parts})


def object_stored_only_if_allowed(world: World, principal: str) -> After:
    def after(expect: Expect, response: httpx.Response) -> None:
        stored = world.run(world.objects.head(LINKED, MATRIX_KEY))
        assert (stored is not None) == expect.allowed, principal

    return after


def open_upload(world: World, principal: str) -> Payload:
    upload_id = world.run(world.objects.create_multipart(LINKED, MATRIX_KEY))
    _OPEN_UPLOADS[id(world)] = upload_id
    return Payload(json={"key": MATRIX_KEY, "upload_id": upload_id})


def upload_aborted_only_if_allowed(world: World, principal: str) -> After:
    upload_id = _OPEN_UPLOADS.pop(id(world))

    def after(expect: Expect, response: httpx.Response) -> None:
        try:
            world.run(world.objects.abort_multipart(LINKED, MATRIX_KEY, upload_id))
        except NotFound:
            assert expect.allowed, f"a refused abort by {principal} discarded the upload"
        else:
            assert not expect.allowed, f"an abort by {principal} left the upload open"

    return after


# Columns: anonymous, owner, customer_admin, colleague, other_tenant, provider_admin.
BUCKET_ROWS: Rows = {
    # -- linked buckets --
    # Customer admins manage their customer's links, every user of the customer browses and
    # transfers; another tenant's link is 404. Linking goes into the caller's own customer.
    ("GET", BUCKETS_API): Row(expect=cells(U, OK, OK, OK, OK, OK)),
    ("POST", BUCKETS_API): Row(
        expect=cells(U, F, CREATED, F, CREATED, CREATED),
        payload=link_new_bucket,
        check=link_created_only_if_allowed,
    ),
    ("GET", BUCKET_API): Row(expect=cells(U, OK, OK, OK, H, OK)),
    ("PATCH", BUCKET_API): Row(
        expect=cells(U, F, OK, F, H, OK),
        payload=edit_description,
        check=link_changed_only_if_allowed,
    ),
    ("DELETE", BUCKET_API): Row(
        expect=cells(U, F, NO_CONTENT, F, H, NO_CONTENT), check=link_changed_only_if_allowed
    ),
    ("POST", f"{BUCKET_API}/revalidate"): Row(
        expect=cells(U, F, OK, F, H, OK), check=link_changed_only_if_allowed
    ),
    ("GET", f"{BUCKET_API}/objects"): Row(expect=cells(U, OK, OK, OK, H, OK)),
    ("GET", f"{BUCKET_API}/download"): Row(expect=cells(U, OK, OK, OK, H, OK), query=LINKED_OBJECT),
    ("POST", f"{BUCKET_API}/uploads"): Row(
        expect=cells(U, OK, OK, OK, H, OK),
        payload=single_upload,
        check=presigning_stores_nothing,
    ),
    ("POST", f"{BUCKET_API}/multipart"): Row(
        expect=cells(U, CREATED, CREATED, CREATED, H, CREATED),
        payload=upload_key,
        check=presigning_stores_nothing,
    ),
    ("POST", f"{BUCKET_API}/multipart/complete"): Row(
        expect=cells(U, OK, OK, OK, H, OK),
        payload=uploaded_part,
        check=object_stored_only_if_allowed,
    ),
    ("POST", f"{BUCKET_API}/multipart/abort"): Row(
        expect=cells(U, NO_CONTENT, NO_CONTENT, NO_CONTENT, H, NO_CONTENT),
        payload=open_upload,
        check=upload_aborted_only_if_allowed,
    ),
}
