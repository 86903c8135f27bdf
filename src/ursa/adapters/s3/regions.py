"""Where each bucket lives: asked once, then cached, so every call goes to the bucket's own
regional endpoint (no 301 redirects, and presigned URLs are signed for the right region)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ursa.adapters.aws.clients import AwsClients
from ursa.adapters.aws.errors import NOT_FOUND_CODES, error_code, translate, translated

REGION_HEADER = "x-amz-bucket-region"
DEFAULT_REGION = "us-east-1"
LEGACY_LOCATIONS = {"EU": "eu-west-1"}
"""GetBucketLocation still answers ``EU`` for buckets created long ago."""


def location_to_region(location: str | None) -> str:
    """GetBucketLocation answers None or "" for us-east-1."""
    if not location:
        return DEFAULT_REGION
    return LEGACY_LOCATIONS.get(location, location)


def _header(response: dict[str, Any]) -> str | None:
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    value = headers.get(REGION_HEADER)
    return str(value) if value else None


class BucketRegions:
    """HeadBucket's ``x-amz-bucket-region`` header first (S3 sends it even with a 403 or a
    301), then GetBucketLocation; the answer is cached for the life of the adapter."""

    def __init__(self, clients: AwsClients) -> None:
        self._clients = clients
        self._cache: dict[str, str] = {}

    async def region(self, bucket: str) -> str:
        cached = self._cache.get(bucket)
        if cached is not None:
            return cached
        region = await self._discover(bucket)
        self._cache[bucket] = region
        return region

    async def _discover(self, bucket: str) -> str:
        what = f"find the region of bucket {bucket}"
        client = await self._clients.client("s3")
        try:
            response = await client.head_bucket(Bucket=bucket)
        except ClientError as exc:
            found = _header(exc.response)
            if found:
                return found
            if error_code(exc) in NOT_FOUND_CODES:
                raise translate(exc, what) from exc
            return await self._location(client, bucket, what)
        except BotoCoreError as exc:
            raise translate(exc, what) from exc
        return str(response.get("BucketRegion") or _header(response) or "") or (
            await self._location(client, bucket, what)
        )

    async def _location(self, client: Any, bucket: str, what: str) -> str:
        with translated(what):
            response = await client.get_bucket_location(Bucket=bucket)
        return location_to_region(response.get("LocationConstraint"))
