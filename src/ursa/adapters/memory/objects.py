"""InMemoryObjectStore: a dict of buckets with S3's create-only and paging semantics."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import quote

from ursa.domain.errors import Conflict, NotFound
from ursa.domain.ports import ObjectFacts, Page


@dataclass(frozen=True, slots=True)
class _Stored:
    body: bytes
    facts: ObjectFacts
    metadata: dict[str, str]


class InMemoryObjectStore:
    def __init__(self, region: str = "us-west-2") -> None:
        self._buckets: dict[str, dict[str, _Stored]] = {}
        self._region = region

    def create_bucket(self, bucket: str) -> None:
        self._buckets.setdefault(bucket, {})

    def seed_object(self, bucket: str, key: str, size: int) -> ObjectFacts:
        """A placeholder with a nominal size (demo FASTQs are tens of GiB; no bytes kept)."""
        facts = ObjectFacts(
            bucket=bucket,
            key=key,
            size=size,
            etag=hashlib.md5(f"{key}:{size}".encode(), usedforsecurity=False).hexdigest(),
            region=self._region,
        )
        self._buckets.setdefault(bucket, {})[key] = _Stored(b"", facts, {})
        return facts

    def _bucket(self, bucket: str) -> dict[str, _Stored]:
        try:
            return self._buckets[bucket]
        except KeyError:
            raise NotFound(f"bucket {bucket} does not exist") from None

    async def put(
        self,
        bucket: str,
        key: str,
        body: bytes,
        *,
        if_none_match: bool = False,
        metadata: dict[str, str] | None = None,
    ) -> ObjectFacts:
        objects = self._bucket(bucket)
        if if_none_match and key in objects:
            raise Conflict(f"s3://{bucket}/{key} already exists")
        facts = ObjectFacts(
            bucket=bucket,
            key=key,
            size=len(body),
            etag=hashlib.md5(body, usedforsecurity=False).hexdigest(),
            region=self._region,
        )
        objects[key] = _Stored(body, facts, dict(metadata or {}))
        return facts

    async def get(self, bucket: str, key: str, *, max_bytes: int | None = None) -> bytes:
        stored = self._bucket(bucket).get(key)
        if stored is None:
            raise NotFound(f"s3://{bucket}/{key} does not exist")
        return stored.body if max_bytes is None else stored.body[:max_bytes]

    async def head(self, bucket: str, key: str) -> ObjectFacts | None:
        stored = self._bucket(bucket).get(key)
        return stored.facts if stored else None

    async def delete(self, bucket: str, key: str) -> None:
        self._bucket(bucket).pop(key, None)

    async def list(
        self, bucket: str, prefix: str, *, limit: int = 1000, cursor: str | None = None
    ) -> Page[ObjectFacts]:
        keys = sorted(
            k
            for k in self._bucket(bucket)
            if k.startswith(prefix) and (cursor is None or k > cursor)
        )
        page = keys[:limit]
        more = len(keys) > limit
        return Page(
            items=tuple(self._buckets[bucket][k].facts for k in page),
            next_cursor=page[-1] if more and page else None,
        )

    async def presign_get(self, bucket: str, key: str, *, expires_s: int = 900) -> str:
        if key not in self._bucket(bucket):
            raise NotFound(f"s3://{bucket}/{key} does not exist")
        return f"memory://{bucket}/{quote(key)}?expires={expires_s}"
