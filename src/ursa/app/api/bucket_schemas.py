"""/api/v1/buckets bodies (msgspec Structs), their examples, and the domain → Struct
presenters. Requests forbid unknown fields; every string is bounded."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar.openapi.spec import Example

from ursa.app.api.problems import Problem
from ursa.domain.buckets import Probe, ProbeResult
from ursa.domain.linked_buckets import (
    MAX_DESCRIPTION,
    MAX_DISPLAY_NAME,
    MAX_PREFIX_BYTES,
    MAX_UPLOAD_PARTS,
    BucketNotUsable,
    BucketType,
    LinkedBucket,
)
from ursa.domain.ports import ObjectFacts, Page
from ursa.domain.ports.objects import MAX_PART_NUMBER
from ursa.domain.services.bucket_objects import MultipartStart, Presigned

BucketName = Annotated[
    str, msgspec.Meta(min_length=3, max_length=63, examples=["acme-sequencing-inputs"])
]
DisplayName = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_DISPLAY_NAME)]
Description = Annotated[str, msgspec.Meta(max_length=MAX_DESCRIPTION)]
Prefix = Annotated[str, msgspec.Meta(max_length=MAX_PREFIX_BYTES, examples=["runs/"])]
Key = Annotated[
    str,
    msgspec.Meta(min_length=1, max_length=1024, examples=["runs/HG002_S1_L001_R1_001.fastq.gz"]),
]
ContentType = Annotated[
    str,
    msgspec.Meta(
        max_length=127,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$",
        examples=["application/gzip"],
    ),
]
ExpiresS = Annotated[int, msgspec.Meta(ge=60, le=43_200, description="URL lifetime, seconds")]
UploadId = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
CustomerId = Annotated[str, msgspec.Meta(max_length=64, examples=["acme-genomics-3f9c01ab"])]

# -- requests -----------------------------------------------------------------------------------


class LinkBucket(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    bucket: BucketName
    display_name: DisplayName
    bucket_type: BucketType = BucketType.INPUT
    description: Description = ""
    prefix: Prefix = ""
    """Restrict the link to keys under this prefix ("" for the whole bucket)."""
    read_only: bool = False
    """Ursa never writes (no write probe, no uploads); only ``input`` links may be read-only."""
    customer_id: CustomerId | None = None
    """Provider admins only: the customer to link for."""


class EditBucket(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Absent fields stay as they are; a new prefix or read_only is probed first."""

    display_name: DisplayName | None = None
    bucket_type: BucketType | None = None
    description: Description | None = None
    prefix: Prefix | None = None
    read_only: bool | None = None


class UploadRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    key: Key
    content_type: ContentType | None = None
    """If given, the upload must send this exact ``Content-Type`` header."""
    expires_s: ExpiresS = 900


class MultipartRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    key: Key
    parts: Annotated[int, msgspec.Meta(ge=1, le=MAX_UPLOAD_PARTS)]
    """How many parts; each but the last at least 5 MiB."""
    expires_s: ExpiresS = 3600


class PartIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    part_number: Annotated[int, msgspec.Meta(ge=1, le=MAX_PART_NUMBER)]
    etag: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    """The ``ETag`` response header of the part's PUT."""


class CompleteMultipart(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    key: Key
    upload_id: UploadId
    parts: Annotated[list[PartIn], msgspec.Meta(min_length=1, max_length=MAX_UPLOAD_PARTS)]


class AbortMultipart(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    key: Key
    upload_id: UploadId


LINK_EXAMPLES = [
    Example(
        summary="A sequencing input bucket, restricted to one prefix",
        value={
            "bucket": "acme-sequencing-inputs",
            "display_name": "Sequencing inputs",
            "bucket_type": "input",
            "prefix": "runs/",
            "read_only": False,
        },
    )
]
EDIT_EXAMPLES = [Example(summary="Rename", value={"display_name": "NovaSeq X runs"})]
UPLOAD_EXAMPLES = [
    Example(
        summary="One FASTQ",
        value={"key": "runs/HG002_S1_L001_R1_001.fastq.gz", "content_type": "application/gzip"},
    )
]
MULTIPART_EXAMPLES = [
    Example(summary="A 40 GiB FASTQ in 400 parts", value={"key": "runs/big.fastq.gz", "parts": 400})
]
COMPLETE_EXAMPLES = [
    Example(
        summary="Two parts uploaded",
        value={
            "key": "runs/big.fastq.gz",
            "upload_id": "2~abc",
            "parts": [{"part_number": 1, "etag": "9b2cf5"}, {"part_number": 2, "etag": "77aa01"}],
        },
    )
]
ABORT_EXAMPLES = [
    Example(summary="Give up", value={"key": "runs/big.fastq.gz", "upload_id": "2~abc"})
]

# -- answers ------------------------------------------------------------------------------------


class ProbeOut(msgspec.Struct, kw_only=True):
    probe: Probe
    ok: bool | None
    """None when the probe had nothing to test (no object to read)."""
    remediation: str
    """For a failed probe: the exact permission and resource to allow."""


class ValidationOut(msgspec.Struct, kw_only=True):
    at: datetime
    ok: bool
    region: str | None
    results: list[ProbeOut]


class LinkedBucketOut(msgspec.Struct, kw_only=True):
    bucket_id: str
    customer_id: str
    bucket: str
    region: str | None
    display_name: str
    bucket_type: BucketType
    description: str
    prefix: str
    read_only: bool
    usable_for_inputs: bool
    """Manifests may name objects here (validated, and an input link)."""
    validation: ValidationOut
    linked_by: str
    created_at: datetime
    updated_at: datetime
    version: int


class LinkedBucketList(msgspec.Struct, kw_only=True):
    items: list[LinkedBucketOut]


class ObjectOut(msgspec.Struct, kw_only=True):
    key: str
    size: int
    etag: str
    storage_class: str


class ObjectPage(msgspec.Struct, kw_only=True):
    bucket_id: str
    prefix: str
    items: list[ObjectOut]
    next_cursor: str | None


class PresignedOut(msgspec.Struct, kw_only=True):
    key: str
    method: str
    url: str
    expires_at: datetime
    headers: dict[str, str]
    """Headers the request must carry (the signed Content-Type)."""
    size: int | None = None


class PartUrlOut(msgspec.Struct, kw_only=True):
    part_number: int
    url: str


class MultipartOut(msgspec.Struct, kw_only=True):
    key: str
    upload_id: str
    parts: list[PartUrlOut]
    expires_at: datetime


class LinkRefusalOut(msgspec.Struct, kw_only=True):
    """Why a bucket cannot be linked (or an edit was refused), and how to fix it."""

    bucket: str
    prefix: str
    read_only: bool
    results: list[ProbeOut]
    """The probes that ran; empty when the challenge object is what is missing."""
    challenge_key: str | None
    """Write an object at this key (it may be empty) to prove control of the bucket."""
    iam_policy: dict[str, Any]
    """The least-privilege policy (JSON) Ursa's role needs on this bucket and prefix."""


class LinkRefused(Problem, kw_only=True):
    validation: LinkRefusalOut | None = None


# -- presenters ---------------------------------------------------------------------------------


def probe(result: ProbeResult) -> ProbeOut:
    return ProbeOut(probe=result.probe, ok=result.ok, remediation=result.remediation)


def link(lb: LinkedBucket) -> LinkedBucketOut:
    return LinkedBucketOut(
        bucket_id=lb.bucket_id,
        customer_id=lb.customer_id,
        bucket=lb.bucket,
        region=lb.region,
        display_name=lb.display_name,
        bucket_type=lb.bucket_type,
        description=lb.description,
        prefix=lb.prefix,
        read_only=lb.read_only,
        usable_for_inputs=lb.usable_for_inputs,
        validation=ValidationOut(
            at=lb.validation.at,
            ok=lb.validation.ok,
            region=lb.validation.region,
            results=[probe(r) for r in lb.validation.results],
        ),
        linked_by=lb.linked_by,
        created_at=lb.created_at,
        updated_at=lb.updated_at,
        version=lb.version,
    )


def object_out(facts: ObjectFacts) -> ObjectOut:
    return ObjectOut(
        key=facts.key, size=facts.size, etag=facts.etag, storage_class=facts.storage_class
    )


def objects(bucket_id: str, prefix: str, page: Page[ObjectFacts]) -> ObjectPage:
    return ObjectPage(
        bucket_id=bucket_id,
        prefix=prefix,
        items=[object_out(f) for f in page.items],
        next_cursor=page.next_cursor,
    )


def presigned(p: Presigned, method: str) -> PresignedOut:
    headers = {"Content-Type": p.content_type} if p.content_type else {}
    return PresignedOut(
        key=p.key, method=method, url=p.url, expires_at=p.expires_at, headers=headers, size=p.size
    )


def multipart(m: MultipartStart) -> MultipartOut:
    return MultipartOut(
        key=m.key,
        upload_id=m.upload_id,
        parts=[PartUrlOut(part_number=n, url=url) for n, url in m.parts],
        expires_at=m.expires_at,
    )


def refusal(exc: BucketNotUsable) -> dict[str, Any]:
    """The ``validation`` member of a 422 problem body (``app/errors.py``)."""
    body = LinkRefusalOut(
        bucket=exc.bucket,
        prefix=exc.prefix,
        read_only=exc.read_only,
        results=[probe(r) for r in exc.report.results] if exc.report else [],
        challenge_key=exc.challenge_key,
        iam_policy=dict(exc.policy),
    )
    result: dict[str, Any] = msgspec.to_builtins(body)
    return result
