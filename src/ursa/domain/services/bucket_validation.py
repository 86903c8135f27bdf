"""Probe a bucket through the ObjectStore port and report what works (``domain.buckets``).

Probes: region, list one key, read (the probe object and one listed object), and write a
probe object then delete it. The probe object is always removed, even when a probe fails."""

from __future__ import annotations

import re

from ursa.domain.buckets import BucketProbe, BucketReport, bucket_report
from ursa.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from ursa.domain.ports import ObjectStore
from ursa.domain.sentinels import folder_prefix

PROBE_BODY = b"ursa bucket validation probe; safe to delete\n"
SUFFIX_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def probe_key(prefix: str, suffix: str) -> str:
    if not SUFFIX_RE.match(suffix):
        raise InvalidInput.single("probe_key_suffix", "BAD_VALUE", "use 1-64 of A-Z a-z 0-9 _ -")
    return f"{folder_prefix(prefix)}ursa-probe-{suffix}"


async def _can_list(objects: ObjectStore, bucket: str, prefix: str) -> tuple[bool, str | None]:
    try:
        page = await objects.list(bucket, prefix, limit=1)
    except Forbidden:
        return False, None
    return True, page.items[0].key if page.items else None


async def _can_read(objects: ObjectStore, bucket: str, key: str) -> bool | None:
    """None when the object vanished in between (nothing was learnt)."""
    try:
        if await objects.head(bucket, key) is None:
            return None
        await objects.get(bucket, key, max_bytes=1)
    except Forbidden:
        return False
    except NotFound:
        return None
    return True


async def _write_probe(objects: ObjectStore, bucket: str, key: str) -> tuple[bool, bool | None]:
    """(can_write, could read the probe back). Create-only, so a customer object is never
    overwritten; once the put may have landed, the delete runs whatever happens next."""
    try:
        await objects.put(bucket, key, PROBE_BODY, if_none_match=True)
    except Forbidden:
        return False, None
    except Conflict:
        raise  # an object we did not write sits at the probe key: never delete it
    except BaseException:
        await _delete(objects, bucket, key)  # the write may have landed before the failure
        raise
    read_back: bool | None = None
    try:
        read_back = await objects.get(bucket, key) == PROBE_BODY
    except Forbidden:
        read_back = False
    finally:
        deleted = await _delete(objects, bucket, key)
    return deleted, read_back


async def _delete(objects: ObjectStore, bucket: str, key: str) -> bool:
    try:
        await objects.delete(bucket, key)
    except Forbidden:
        return False
    return True


async def validate_bucket(
    objects: ObjectStore,
    bucket: str,
    prefix: str,
    probe_key_suffix: str,
    *,
    read_only: bool = False,
) -> BucketReport:
    folder = folder_prefix(prefix)
    key = probe_key(folder, probe_key_suffix)
    region: str | None = None
    try:
        region = await objects.bucket_region(bucket)
    except NotFound:
        return bucket_report(
            BucketProbe(bucket=bucket, prefix=folder, exists=False, read_only=read_only)
        )
    except Forbidden:
        pass  # it exists (S3 says 403, not 404) but its region is hidden from us
    can_list, sample = await _can_list(objects, bucket, folder)
    can_write: bool | None = None
    reads: list[bool | None] = []
    if not read_only:
        can_write, read_back = await _write_probe(objects, bucket, key)
        reads.append(read_back)
    if sample is not None and sample != key:
        reads.append(await _can_read(objects, bucket, sample))
    known = [r for r in reads if r is not None]
    return bucket_report(
        BucketProbe(
            bucket=bucket,
            prefix=folder,
            exists=True,
            region=region,
            can_list=can_list,
            can_read=all(known) if known else None,
            can_write=can_write,
            read_only=read_only,
        )
    )
