"""Seeding the demo onto the AWS emulator (``ursa dev --aws-emulator``).

The demo's FASTQs are tens of GiB each, which an emulator cannot hold, so each input is a
small placeholder object whose nominal size travels in its metadata (``ursa-nominal-size``).
Only the seeding run prices inputs at that nominal size (``NominalSizes``), so the emulator
shows the same quotes, approvals and states as the in-memory demo; the served product reads
S3 as it is."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, cast

from botocore.exceptions import ClientError

from ursa.adapters.aws.errors import error_code
from ursa.domain.ports import ObjectFacts, ObjectStore

NOMINAL_SIZE = "ursa-nominal-size"
PLACEHOLDER = b"@demo placeholder: the real FASTQ is not stored on the emulator\n"


class S3DemoObjects:
    def __init__(self, s3: Any, region: str) -> None:
        self._s3 = s3
        self._region = region
        self.sizes: dict[tuple[str, str], int] = {}

    async def ensure_bucket(self, bucket: str) -> None:
        request: dict[str, Any] = {"Bucket": bucket}
        if self._region != "us-east-1":
            request["CreateBucketConfiguration"] = {"LocationConstraint": self._region}
        try:
            await self._s3.create_bucket(**request)
        except ClientError as exc:
            if error_code(exc) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise

    async def place(self, bucket: str, key: str, nominal_size: int) -> None:
        await self._s3.put_object(
            Bucket=bucket, Key=key, Body=PLACEHOLDER, Metadata={NOMINAL_SIZE: str(nominal_size)}
        )
        self.sizes[(bucket, key)] = nominal_size


class NominalSizes:
    """An ObjectStore view that reports placeholders at their nominal size (seeding only)."""

    def __init__(self, objects: ObjectStore, sizes: dict[tuple[str, str], int]) -> None:
        self._objects = objects
        self._sizes = sizes

    def __getattr__(self, name: str) -> Any:
        return getattr(self._objects, name)

    async def head(self, bucket: str, key: str) -> ObjectFacts | None:
        facts = await self._objects.head(bucket, key)
        size = self._sizes.get((bucket, key))
        return replace(facts, size=size) if facts is not None and size is not None else facts


def nominal_view(objects: ObjectStore, demo: S3DemoObjects) -> ObjectStore:
    return cast(ObjectStore, NominalSizes(objects, demo.sizes))
