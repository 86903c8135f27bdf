"""InMemoryObjectStore: a dict of buckets with S3's create-only, paging, multipart and
presigned-URL semantics. Presigned URLs are real HTTP URLs when ``presign_base_url`` points
at a server that calls ``open_presigned`` (the dev route ``/_objects`` or a test server)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import quote, urlencode

from ursa.adapters.cursors import CursorCodec
from ursa.adapters.memory.system import SystemClock
from ursa.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from ursa.domain.ports import Clock, ObjectFacts, Page
from ursa.domain.ports.objects import (
    MIN_PART_SIZE,
    check_expiry,
    check_limit,
    check_part_number,
    ordered_parts,
)


@dataclass(frozen=True, slots=True)
class _Stored:
    body: bytes
    facts: ObjectFacts
    content_type: str | None = None


@dataclass(slots=True)
class _Upload:
    bucket: str
    key: str
    parts: dict[int, bytes] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class PresignedReply:
    """What the HTTP side sends back: the body of a GET, the ETag of a PUT."""

    body: bytes = b""
    etag: str = ""
    content_type: str | None = None


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


class InMemoryObjectStore:
    def __init__(
        self,
        region: str = "us-west-2",
        *,
        presign_base_url: str = "memory://objects",
        signing_key: bytes | None = None,
        clock: Clock | None = None,
        cursor_key: bytes | None = None,
    ) -> None:
        self._buckets: dict[str, dict[str, _Stored]] = {}
        self._regions: dict[str, str] = {}
        self._uploads: dict[str, _Upload] = {}
        self._denied: dict[str, set[str]] = {}
        self._region = region
        self._base = presign_base_url.rstrip("/")
        self._signing_key = signing_key or secrets.token_bytes(32)
        self._clock: Clock = clock or SystemClock()
        self._cursors = CursorCodec(cursor_key or secrets.token_bytes(32))
        # open_presigned runs on HTTP server threads while the event loop uses the store.
        self._lock = threading.RLock()

    # -- seeding (dev and tests) -------------------------------------------------------------

    def create_bucket(self, bucket: str, region: str | None = None) -> None:
        with self._lock:
            self._buckets.setdefault(bucket, {})
            self._regions.setdefault(bucket, region or self._region)

    def seed_object(self, bucket: str, key: str, size: int) -> ObjectFacts:
        """A placeholder with a nominal size (demo FASTQs are tens of GiB; no bytes kept)."""
        self.create_bucket(bucket)
        facts = ObjectFacts(
            bucket=bucket,
            key=key,
            size=size,
            etag=_md5(f"{key}:{size}".encode()),
            region=self._regions[bucket],
        )
        with self._lock:
            self._buckets[bucket][key] = _Stored(b"", facts)
        return facts

    def deny(self, bucket: str, *operations: str) -> None:
        """Simulate a bucket policy that refuses Ursa (dev and tests): each of ``region``,
        ``list``, ``read`` (get, head) and ``write`` (put, delete, multipart) named here
        raises ``Forbidden`` from then on; no operations lifts every refusal."""
        unknown = set(operations) - {"region", "list", "read", "write"}
        if unknown:
            raise ValueError(f"unknown operations: {sorted(unknown)}")
        with self._lock:
            if operations:
                self._denied.setdefault(bucket, set()).update(operations)
            else:
                self._denied.pop(bucket, None)

    def _bucket(self, bucket: str, operation: str | None = None) -> dict[str, _Stored]:
        try:
            objects = self._buckets[bucket]
        except KeyError:
            raise NotFound(f"bucket {bucket} does not exist") from None
        if operation is not None and operation in self._denied.get(bucket, ()):
            raise Forbidden(f"{operation} on bucket {bucket}: access denied")
        return objects

    def _store(
        self,
        bucket: str,
        key: str,
        body: bytes,
        *,
        etag: str | None = None,
        metadata: Mapping[str, str] | None = None,
        content_type: str | None = None,
    ) -> ObjectFacts:
        objects = self._bucket(bucket)
        facts = ObjectFacts(
            bucket=bucket,
            key=key,
            size=len(body),
            etag=etag or _md5(body),
            region=self._regions[bucket],
            # S3 lower-cases user-metadata keys.
            metadata={k.lower(): v for k, v in (metadata or {}).items()},
        )
        objects[key] = _Stored(body, facts, content_type)
        return facts

    # -- the port ------------------------------------------------------------------------------

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
        with self._lock:
            if key in self._bucket(bucket, "write") and if_none_match:
                raise Conflict(f"s3://{bucket}/{key} already exists")
            return self._store(bucket, key, body, metadata=metadata, content_type=content_type)

    async def get(self, bucket: str, key: str, *, max_bytes: int | None = None) -> bytes:
        if max_bytes is not None and max_bytes < 0:
            raise InvalidInput.single("max_bytes", "BAD_VALUE", "max_bytes must be ≥ 0")
        with self._lock:
            stored = self._bucket(bucket, "read").get(key)
        if stored is None:
            raise NotFound(f"s3://{bucket}/{key} does not exist")
        return stored.body if max_bytes is None else stored.body[:max_bytes]

    async def head(self, bucket: str, key: str) -> ObjectFacts | None:
        with self._lock:
            stored = self._bucket(bucket, "read").get(key)
        return stored.facts if stored else None

    async def delete(self, bucket: str, key: str) -> None:
        with self._lock:
            self._bucket(bucket, "write").pop(key, None)

    async def list(
        self, bucket: str, prefix: str, *, limit: int = 1000, cursor: str | None = None
    ) -> Page[ObjectFacts]:
        check_limit(limit)
        after = ""
        if cursor is not None:
            position = self._cursors.decode(cursor)
            if len(position) != 3 or position[:2] != [bucket, prefix]:
                raise InvalidInput.single("cursor", "BAD_CURSOR", "the page cursor is not valid")
            after = position[2]
        with self._lock:
            objects = self._bucket(bucket, "list")
            keys = sorted(k for k in objects if k.startswith(prefix) and k > after)
            page = keys[:limit]
            # Listings carry no user metadata (S3's ListObjectsV2 does not return it).
            items = tuple(replace(objects[k].facts, metadata={}) for k in page)
        more = len(keys) > limit
        return Page(
            items=items,
            next_cursor=self._cursors.encode([bucket, prefix, page[-1]]) if more else None,
        )

    async def bucket_region(self, bucket: str) -> str:
        with self._lock:
            self._bucket(bucket, "region")
            return self._regions[bucket]

    # -- presigned URLs ------------------------------------------------------------------------

    def _signature(self, method: str, bucket: str, key: str, params: Mapping[str, str]) -> str:
        signed = "\n".join([method, bucket, key, *(f"{k}={params[k]}" for k in sorted(params))])
        return hmac.new(self._signing_key, signed.encode(), hashlib.sha256).hexdigest()

    def _presign(
        self, method: str, bucket: str, key: str, expires_s: int, extra: Mapping[str, str]
    ) -> str:
        with self._lock:
            self._bucket(bucket)
        expires = int(self._clock.now().timestamp()) + check_expiry(expires_s)
        params = {**extra, "expires": str(expires)}
        params["signature"] = self._signature(method, bucket, key, params)
        return f"{self._base}/{bucket}/{quote(key, safe='/')}?{urlencode(params)}"

    async def presign_get(self, bucket: str, key: str, *, expires_s: int = 900) -> str:
        return self._presign("GET", bucket, key, expires_s, {})

    async def presign_put(
        self, bucket: str, key: str, *, expires_s: int = 900, content_type: str | None = None
    ) -> str:
        extra = {"content-type": content_type} if content_type else {}
        return self._presign("PUT", bucket, key, expires_s, extra)

    async def presign_part(
        self, bucket: str, key: str, upload_id: str, part_number: int, *, expires_s: int = 900
    ) -> str:
        extra = {"uploadId": upload_id, "partNumber": str(check_part_number(part_number))}
        return self._presign("PUT", bucket, key, expires_s, extra)

    def open_presigned(
        self,
        method: str,
        bucket: str,
        key: str,
        query: Mapping[str, str],
        body: bytes | None,
        *,
        content_type: str | None = None,
    ) -> PresignedReply:
        """Serve one presigned request: ``Forbidden`` for a bad or expired signature or a
        content type other than the signed one, ``NotFound`` for a missing object or upload."""
        method = method.upper()
        params = {k: v for k, v in query.items() if k != "signature"}
        expected = self._signature(method, bucket, key, params)
        if not hmac.compare_digest(query.get("signature", ""), expected):
            raise Forbidden("the presigned URL's signature does not match")
        if int(self._clock.now().timestamp()) > int(params["expires"]):
            raise Forbidden("the presigned URL has expired")
        signed_type = params.get("content-type")
        if signed_type is not None and signed_type != content_type:
            raise Forbidden("the Content-Type differs from the signed one")
        with self._lock:
            if method == "GET":
                stored = self._bucket(bucket).get(key)
                if stored is None:
                    raise NotFound(f"s3://{bucket}/{key} does not exist")
                return PresignedReply(
                    body=stored.body, etag=stored.facts.etag, content_type=stored.content_type
                )
            data = body or b""
            if "uploadId" in params:
                upload = self._upload(bucket, key, params["uploadId"])
                upload.parts[int(params["partNumber"])] = data
                return PresignedReply(etag=_md5(data))
            facts = self._store(bucket, key, data, content_type=content_type)
            return PresignedReply(etag=facts.etag)

    # -- multipart -----------------------------------------------------------------------------

    def _upload(self, bucket: str, key: str, upload_id: str) -> _Upload:
        upload = self._uploads.get(upload_id)
        if upload is None or (upload.bucket, upload.key) != (bucket, key):
            raise NotFound(f"upload {upload_id} of s3://{bucket}/{key} does not exist")
        return upload

    async def create_multipart(self, bucket: str, key: str) -> str:
        with self._lock:
            self._bucket(bucket, "write")
            upload_id = secrets.token_urlsafe(24)
            self._uploads[upload_id] = _Upload(bucket, key)
        return upload_id

    async def complete_multipart(
        self, bucket: str, key: str, upload_id: str, parts: Sequence[tuple[int, str]]
    ) -> ObjectFacts:
        ordered = ordered_parts(parts)
        with self._lock:
            upload = self._upload(bucket, key, upload_id)
            chunks: tuple[bytes, ...] = ()
            for index, (number, etag) in enumerate(ordered):
                data = upload.parts.get(number)
                if data is None or _md5(data) != etag:
                    raise InvalidInput.single(
                        "parts", "INVALID_PART", f"part {number} was not uploaded as listed"
                    )
                if len(data) < MIN_PART_SIZE and index < len(ordered) - 1:
                    raise InvalidInput.single(
                        "parts", "ENTITY_TOO_SMALL", f"part {number} is below 5 MiB"
                    )
                chunks += (data,)
            # S3's multipart ETag: md5 of the parts' binary md5s, then "-<count>".
            digest = hashlib.md5(usedforsecurity=False)
            for chunk in chunks:
                digest.update(hashlib.md5(chunk, usedforsecurity=False).digest())
            del self._uploads[upload_id]
            return self._store(
                bucket, key, b"".join(chunks), etag=f"{digest.hexdigest()}-{len(chunks)}"
            )

    async def abort_multipart(self, bucket: str, key: str, upload_id: str) -> None:
        with self._lock:
            self._upload(bucket, key, upload_id)
            del self._uploads[upload_id]
