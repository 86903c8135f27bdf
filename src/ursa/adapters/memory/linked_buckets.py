"""InMemoryLinkedBucketStore: links by id plus a bucket-name index that keeps one customer
per bucket, as the DynamoDB guard item does."""

from __future__ import annotations

import threading

from ursa.domain.errors import Conflict, InvalidInput, NotFound, StaleVersion
from ursa.domain.linked_buckets import LinkedBucket

TAKEN = "this bucket is already linked to an account"


class InMemoryLinkedBucketStore:
    def __init__(self) -> None:
        self._links: dict[str, LinkedBucket] = {}
        self._by_bucket: dict[str, str] = {}
        self._lock = threading.Lock()

    async def create(self, link: LinkedBucket) -> None:
        with self._lock:
            if link.bucket in self._by_bucket or link.bucket_id in self._links:
                raise Conflict(TAKEN, code="BUCKET_ALREADY_LINKED")
            self._links[link.bucket_id] = link
            self._by_bucket[link.bucket] = link.bucket_id

    async def get(self, bucket_id: str) -> LinkedBucket:
        with self._lock:
            link = self._links.get(bucket_id)
        if link is None:
            raise NotFound("linked bucket not found")
        return link

    async def by_bucket(self, bucket: str) -> LinkedBucket | None:
        with self._lock:
            bucket_id = self._by_bucket.get(bucket)
            return None if bucket_id is None else self._links[bucket_id]

    async def list_for_customer(self, customer_id: str) -> tuple[LinkedBucket, ...]:
        with self._lock:
            links = [lb for lb in self._links.values() if lb.customer_id == customer_id]
        return tuple(sorted(links, key=lambda lb: lb.bucket))

    async def list_all(self) -> tuple[LinkedBucket, ...]:
        with self._lock:
            links = list(self._links.values())
        return tuple(sorted(links, key=lambda lb: lb.bucket))

    async def update(self, link: LinkedBucket, *, expected_version: int) -> None:
        with self._lock:
            stored = self._links.get(link.bucket_id)
            if stored is None:
                raise NotFound("linked bucket not found")
            if (stored.bucket, stored.customer_id) != (link.bucket, link.customer_id):
                raise InvalidInput.single(
                    "bucket", "BAD_VALUE", "the bucket and customer of a link never change"
                )
            if stored.version != expected_version:
                raise StaleVersion(
                    f"linked bucket {link.bucket_id} is at version {stored.version}, "
                    f"not {expected_version}"
                )
            self._links[link.bucket_id] = link

    async def delete(self, bucket_id: str) -> None:
        with self._lock:
            link = self._links.pop(bucket_id, None)
            if link is None:
                raise NotFound("linked bucket not found")
            del self._by_bucket[link.bucket]
