"""Browse a linked bucket and move objects in and out of it with presigned URLs.

Every user of the customer may browse, download and upload (uploads are refused on read-only
links); every key must lie inside the link's prefix. Ursa itself never carries the bytes:
the caller talks to S3 with the URLs. Storage refusals become ``Conflict`` (the link needs a
revalidation), never a 403/404 that would read as "you may not" or "no such link"."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from ursa.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from ursa.domain.linked_buckets import (
    MAX_UPLOAD_PARTS,
    LinkAction,
    LinkedBucket,
    browse_prefix,
    object_key,
    require_writable,
)
from ursa.domain.ports import ObjectFacts, Page
from ursa.domain.principals import Principal
from ursa.domain.services.context import Ports
from ursa.domain.services.linked_buckets import load_link

DEFAULT_EXPIRES_S = 900


@dataclass(frozen=True, slots=True, kw_only=True)
class Presigned:
    key: str
    url: str
    expires_at: datetime
    content_type: str | None = None
    size: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MultipartStart:
    key: str
    upload_id: str
    parts: tuple[tuple[int, str], ...]
    """(part number, presigned PUT URL) for parts 1..N."""
    expires_at: datetime


@asynccontextmanager
async def _storage(link: LinkedBucket, *, gone: bool = True) -> AsyncIterator[None]:
    """A bucket that stopped answering for Ursa is the link's state, not the caller's role.
    ``gone``: the calls inside raise NotFound only for a missing bucket (not for an upload)."""
    try:
        yield
    except Forbidden as exc:
        raise Conflict(
            f"Ursa can no longer reach s3://{link.bucket}/{link.prefix}: revalidate the link",
            code="BUCKET_ACCESS_LOST",
        ) from exc
    except NotFound as exc:
        if not gone:
            raise
        raise Conflict(
            f"bucket {link.bucket} no longer exists: revalidate or unlink it", code="BUCKET_GONE"
        ) from exc


async def browse(
    ports: Ports,
    principal: Principal,
    bucket_id: str,
    *,
    prefix: str = "",
    cursor: str | None = None,
    limit: int = 100,
) -> tuple[LinkedBucket, Page[ObjectFacts]]:
    link = await load_link(ports, principal, bucket_id, LinkAction.VIEW)
    where = browse_prefix(link, prefix)
    async with _storage(link):
        page = await ports.objects.list(link.bucket, where, limit=limit, cursor=cursor)
    return link, page


async def _writable(
    ports: Ports, principal: Principal, bucket_id: str, key: str
) -> tuple[LinkedBucket, str]:
    link = await load_link(ports, principal, bucket_id, LinkAction.TRANSFER)
    require_writable(link)
    return link, object_key(link, key)


async def presign_upload(
    ports: Ports,
    principal: Principal,
    bucket_id: str,
    key: str,
    *,
    content_type: str | None = None,
    expires_s: int = DEFAULT_EXPIRES_S,
) -> Presigned:
    link, key = await _writable(ports, principal, bucket_id, key)
    async with _storage(link):
        url = await ports.objects.presign_put(
            link.bucket, key, expires_s=expires_s, content_type=content_type
        )
    expires_at = ports.clock.now() + timedelta(seconds=expires_s)
    return Presigned(key=key, url=url, expires_at=expires_at, content_type=content_type)


async def start_multipart(
    ports: Ports,
    principal: Principal,
    bucket_id: str,
    key: str,
    *,
    parts: int,
    expires_s: int = DEFAULT_EXPIRES_S,
) -> MultipartStart:
    if not 1 <= parts <= MAX_UPLOAD_PARTS:
        raise InvalidInput.single("parts", "BAD_VALUE", f"parts must be 1..{MAX_UPLOAD_PARTS}")
    link, key = await _writable(ports, principal, bucket_id, key)
    async with _storage(link):
        upload_id = await ports.objects.create_multipart(link.bucket, key)
        urls = [
            (
                n,
                await ports.objects.presign_part(
                    link.bucket, key, upload_id, n, expires_s=expires_s
                ),
            )
            for n in range(1, parts + 1)
        ]
    expires_at = ports.clock.now() + timedelta(seconds=expires_s)
    return MultipartStart(key=key, upload_id=upload_id, parts=tuple(urls), expires_at=expires_at)


async def complete_multipart(
    ports: Ports,
    principal: Principal,
    bucket_id: str,
    key: str,
    upload_id: str,
    parts: Sequence[tuple[int, str]],
) -> ObjectFacts:
    link, key = await _writable(ports, principal, bucket_id, key)
    async with _storage(link, gone=False):
        return await ports.objects.complete_multipart(link.bucket, key, upload_id, parts)


async def abort_multipart(
    ports: Ports, principal: Principal, bucket_id: str, key: str, upload_id: str
) -> None:
    link, key = await _writable(ports, principal, bucket_id, key)
    async with _storage(link, gone=False):
        await ports.objects.abort_multipart(link.bucket, key, upload_id)


async def presign_download(
    ports: Ports,
    principal: Principal,
    bucket_id: str,
    key: str,
    *,
    expires_s: int = DEFAULT_EXPIRES_S,
) -> Presigned:
    link = await load_link(ports, principal, bucket_id, LinkAction.VIEW)
    key = object_key(link, key)
    async with _storage(link):
        facts = await ports.objects.head(link.bucket, key)
    if facts is None:
        raise NotFound("object not found")
    async with _storage(link):
        url = await ports.objects.presign_get(link.bucket, key, expires_s=expires_s)
    expires_at = ports.clock.now() + timedelta(seconds=expires_s)
    return Presigned(key=key, url=url, expires_at=expires_at, size=facts.size)
