"""S3ObjectStore: the ``ObjectStore`` port on aiobotocore, one regional client per bucket."""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ursa.adapters.aws.clients import AwsClients
from ursa.adapters.aws.errors import error_code, translate, translated
from ursa.adapters.cursors import CursorCodec
from ursa.adapters.s3.regions import BucketRegions
from ursa.domain.errors import InvalidInput, NotFound
from ursa.domain.ports import ObjectFacts, Page
from ursa.domain.ports.objects import (
    check_expiry,
    check_limit,
    check_part_number,
    ordered_parts,
)

CHUNK = 64 * 1024
MISSING_KEY_CODES = frozenset({"404", "NoSuchKey", "NotFound"})
REJECTED_PART_CODES = {
    "EntityTooSmall": "ENTITY_TOO_SMALL",
    "InvalidPart": "INVALID_PART",
    "InvalidPartOrder": "INVALID_PART",
}


def _etag(value: object) -> str:
    return str(value or "").strip('"')


def _version(value: object) -> str | None:
    # Unversioned buckets report the literal "null" (S3 and moto alike).
    return None if value in (None, "", "null") else str(value)


@contextmanager
def _multipart(what: str) -> Iterator[None]:
    """Rejected parts are the caller's input error (``translate`` would call EntityTooSmall
    an outage)."""
    try:
        yield
    except ClientError as exc:
        code = REJECTED_PART_CODES.get(error_code(exc))
        if code is not None:
            raise InvalidInput.single("parts", code, f"{what}: parts rejected") from exc
        raise translate(exc, what) from exc
    except BotoCoreError as exc:
        raise translate(exc, what) from exc


class S3ObjectStore:
    """Region-aware: each bucket's region is discovered once (``BucketRegions``) and its calls
    and presigned URLs use ``clients.client("s3", region)``. Pass a stable ``cursor_key``
    (the app's secret) so list cursors stay valid across processes and restarts."""

    def __init__(self, clients: AwsClients, *, cursor_key: bytes | None = None) -> None:
        self._clients = clients
        self._regions = BucketRegions(clients)
        self._cursors = CursorCodec(cursor_key or secrets.token_bytes(32))

    async def bucket_region(self, bucket: str) -> str:
        return await self._regions.region(bucket)

    async def _client(self, bucket: str) -> tuple[Any, str]:
        region = await self._regions.region(bucket)
        return await self._clients.client("s3", region), region

    async def put(
        self,
        bucket: str,
        key: str,
        body: bytes,
        *,
        if_none_match: bool = False,
        metadata: Mapping[str, str] | None = None,
        content_type: str | None = None,
    ) -> ObjectFacts:
        client, region = await self._client(bucket)
        kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key, "Body": body}
        if metadata:
            kwargs["Metadata"] = dict(metadata)
        if content_type:
            kwargs["ContentType"] = content_type
        if if_none_match:
            # Conditional create (412 PreconditionFailed → Conflict). moto 5.2.5 honours
            # If-None-Match on PutObject (checked), so no emulator-only HEAD-then-PUT fallback.
            kwargs["IfNoneMatch"] = "*"
        with translated(f"put s3://{bucket}/{key}"):
            response = await client.put_object(**kwargs)
        return ObjectFacts(
            bucket=bucket,
            key=key,
            size=len(body),
            etag=_etag(response.get("ETag")),
            version_id=_version(response.get("VersionId")),
            region=region,
            metadata={k.lower(): v for k, v in (metadata or {}).items()},
        )

    async def get(self, bucket: str, key: str, *, max_bytes: int | None = None) -> bytes:
        if max_bytes is not None and max_bytes < 0:
            raise InvalidInput.single("max_bytes", "BAD_VALUE", "max_bytes must be ≥ 0")
        client, _ = await self._client(bucket)
        with translated(f"read s3://{bucket}/{key}"):
            response = await client.get_object(Bucket=bucket, Key=key)
            # Closing the stream early drops the connection instead of draining the object.
            async with response["Body"] as stream:
                if max_bytes is None:
                    return bytes(await stream.read())
                data = bytearray()
                while len(data) < max_bytes:
                    chunk = await stream.read(min(max_bytes - len(data), CHUNK))
                    if not chunk:
                        break
                    data += chunk
                return bytes(data)

    async def head(self, bucket: str, key: str) -> ObjectFacts | None:
        client, region = await self._client(bucket)
        what = f"inspect s3://{bucket}/{key}"
        try:
            response = await client.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if error_code(exc) in MISSING_KEY_CODES:
                return None
            raise translate(exc, what) from exc
        except BotoCoreError as exc:
            raise translate(exc, what) from exc
        return ObjectFacts(
            bucket=bucket,
            key=key,
            size=int(response.get("ContentLength", 0)),
            etag=_etag(response.get("ETag")),
            version_id=_version(response.get("VersionId")),
            region=region,
            storage_class=str(response.get("StorageClass") or "STANDARD"),
            metadata={str(k).lower(): str(v) for k, v in response.get("Metadata", {}).items()},
        )

    async def delete(self, bucket: str, key: str) -> None:
        client, _ = await self._client(bucket)
        with translated(f"delete s3://{bucket}/{key}"):
            await client.delete_object(Bucket=bucket, Key=key)

    async def list(
        self, bucket: str, prefix: str, *, limit: int = 1000, cursor: str | None = None
    ) -> Page[ObjectFacts]:
        check_limit(limit)
        kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": limit}
        if cursor is not None:
            # [bucket, prefix, "t", continuation token] or [bucket, prefix, "a", start-after key]
            position = self._cursors.decode(cursor)
            if len(position) != 4 or position[:3] not in (
                [bucket, prefix, "t"],
                [bucket, prefix, "a"],
            ):
                raise InvalidInput.single("cursor", "BAD_CURSOR", "the page cursor is not valid")
            kwargs["ContinuationToken" if position[2] == "t" else "StartAfter"] = position[3]
        client, region = await self._client(bucket)
        with translated(f"list s3://{bucket}/{prefix}"):
            response = await client.list_objects_v2(**kwargs)
        items = tuple(
            ObjectFacts(
                bucket=bucket,
                key=str(obj["Key"]),
                size=int(obj.get("Size", 0)),
                etag=_etag(obj.get("ETag")),
                region=region,
                storage_class=str(obj.get("StorageClass") or "STANDARD"),
            )
            for obj in response.get("Contents", [])
        )
        next_cursor = None
        if response.get("IsTruncated") and items:
            token = response.get("NextContinuationToken")
            where = ["t", str(token)] if token else ["a", items[-1].key]
            next_cursor = self._cursors.encode([bucket, prefix, *where])
        return Page(items=items, next_cursor=next_cursor)

    async def _presign(self, bucket: str, operation: str, params: dict[str, Any], ttl: int) -> str:
        client, _ = await self._client(bucket)
        with translated(f"presign {operation} on s3://{bucket}/{params['Key']}"):
            url = await client.generate_presigned_url(
                operation, Params={"Bucket": bucket, **params}, ExpiresIn=check_expiry(ttl)
            )
        return str(url)

    async def presign_get(self, bucket: str, key: str, *, expires_s: int = 900) -> str:
        return await self._presign(bucket, "get_object", {"Key": key}, expires_s)

    async def presign_put(
        self, bucket: str, key: str, *, expires_s: int = 900, content_type: str | None = None
    ) -> str:
        params: dict[str, Any] = {"Key": key}
        if content_type:
            params["ContentType"] = content_type
        return await self._presign(bucket, "put_object", params, expires_s)

    async def presign_part(
        self, bucket: str, key: str, upload_id: str, part_number: int, *, expires_s: int = 900
    ) -> str:
        params = {"Key": key, "UploadId": upload_id, "PartNumber": check_part_number(part_number)}
        return await self._presign(bucket, "upload_part", params, expires_s)

    async def create_multipart(self, bucket: str, key: str) -> str:
        client, _ = await self._client(bucket)
        with translated(f"start a multipart upload to s3://{bucket}/{key}"):
            response = await client.create_multipart_upload(Bucket=bucket, Key=key)
        return str(response["UploadId"])

    async def complete_multipart(
        self, bucket: str, key: str, upload_id: str, parts: Sequence[tuple[int, str]]
    ) -> ObjectFacts:
        ordered = ordered_parts(parts)
        client, _ = await self._client(bucket)
        with _multipart(f"complete the multipart upload to s3://{bucket}/{key}"):
            await client.complete_multipart_upload(
                Bucket=bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={
                    "Parts": [{"PartNumber": n, "ETag": f'"{etag}"'} for n, etag in ordered]
                },
            )
        # The completion answer has no size; one HEAD gives the full facts.
        facts = await self.head(bucket, key)
        if facts is None:  # S3 is read-after-write consistent; only a racing delete gets here
            raise NotFound(f"s3://{bucket}/{key} vanished after its upload completed")
        return facts

    async def abort_multipart(self, bucket: str, key: str, upload_id: str) -> None:
        client, _ = await self._client(bucket)
        with translated(f"abort the multipart upload to s3://{bucket}/{key}"):
            await client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
