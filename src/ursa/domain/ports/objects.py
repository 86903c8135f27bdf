"""The object-storage port (S3-shaped). Real adapter: ``adapters/s3``; twin: ``adapters/memory``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ursa.domain.errors import InvalidInput
from ursa.domain.ports.pages import Page

MIN_PART_SIZE = 5 * 2**20
"""S3's minimum size of every multipart part except the last."""
MAX_PART_NUMBER = 10_000
MAX_LIST_LIMIT = 1000
MAX_PRESIGN_S = 7 * 24 * 3600
"""SigV4 presigned URLs live at most seven days."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ObjectFacts:
    """What a HEAD (or a listing) tells about one object.

    ``etag`` is unquoted. ``metadata`` is the user metadata (lower-case keys); listings do
    not carry it, so it is filled only by ``head``."""

    bucket: str
    key: str
    size: int
    etag: str
    version_id: str | None = None
    region: str | None = None
    storage_class: str = "STANDARD"
    metadata: Mapping[str, str] = field(default_factory=dict, hash=False)


class ObjectStore(Protocol):
    """S3-shaped storage, region-aware. Every method raises ``NotFound`` for a missing bucket,
    ``Forbidden`` when access is denied and ``Unavailable`` when the service does not answer.

    * ``put`` overwrites, unless ``if_none_match`` makes it create-only (``Conflict`` if the
      key exists; S3's ``If-None-Match: *``). ``metadata`` is stored as user metadata.
    * ``get`` raises ``NotFound`` for a missing key. With ``max_bytes`` it streams and stops
      after that many bytes, so a huge object is never read whole.
    * ``head`` returns None for a missing key, otherwise facts including ``metadata``.
    * ``delete`` is idempotent: a missing key is not an error.
    * ``list`` returns keys under ``prefix`` in lexicographic order, at most ``limit``
      (1..1000) per page; ``next_cursor`` is an opaque signed token bound to the bucket
      and prefix (``InvalidInput`` if forged, edited or reused elsewhere). Listed facts carry
      no metadata.
    * ``presign_get`` / ``presign_put`` / ``presign_part`` return URLs that work over plain
      HTTP for ``expires_s`` seconds (1..604800, else ``InvalidInput``). They do not check
      that the key or the upload exists; the fetch fails instead. A ``content_type`` given to
      ``presign_put`` must be sent as the ``Content-Type`` header of the upload.
    * Multipart: ``create_multipart`` returns an upload id; parts are uploaded through
      ``presign_part`` URLs (the response ``ETag`` header is the part's etag);
      ``complete_multipart`` assembles the listed parts in part-number order (the order given
      does not matter) and returns the object's facts; every part but the last must be at
      least ``MIN_PART_SIZE`` bytes and every etag must match, else ``InvalidInput``.
      ``abort_multipart`` discards the upload. An unknown or finished upload id raises
      ``NotFound`` from ``abort_multipart`` and ``complete_multipart``.
    * ``bucket_region`` names the bucket's region (``NotFound`` if it does not exist).
    """

    async def put(
        self,
        bucket: str,
        key: str,
        body: bytes,
        *,
        if_none_match: bool = False,
        metadata: Mapping[str, str] | None = None,
        content_type: str | None = None,
    ) -> ObjectFacts: ...
    async def get(self, bucket: str, key: str, *, max_bytes: int | None = None) -> bytes: ...
    async def head(self, bucket: str, key: str) -> ObjectFacts | None: ...
    async def delete(self, bucket: str, key: str) -> None: ...
    async def list(
        self, bucket: str, prefix: str, *, limit: int = 1000, cursor: str | None = None
    ) -> Page[ObjectFacts]: ...
    async def presign_get(self, bucket: str, key: str, *, expires_s: int = 900) -> str: ...
    async def presign_put(
        self, bucket: str, key: str, *, expires_s: int = 900, content_type: str | None = None
    ) -> str: ...
    async def create_multipart(self, bucket: str, key: str) -> str: ...
    async def presign_part(
        self, bucket: str, key: str, upload_id: str, part_number: int, *, expires_s: int = 900
    ) -> str: ...
    async def complete_multipart(
        self, bucket: str, key: str, upload_id: str, parts: Sequence[tuple[int, str]]
    ) -> ObjectFacts: ...
    async def abort_multipart(self, bucket: str, key: str, upload_id: str) -> None: ...
    async def bucket_region(self, bucket: str) -> str: ...


def check_expiry(expires_s: int) -> int:
    """The same bounds for every implementation (S3 refuses more than seven days)."""
    if not 1 <= expires_s <= MAX_PRESIGN_S:
        raise InvalidInput.single(
            "expires_s", "BAD_VALUE", f"expires_s must be 1..{MAX_PRESIGN_S} (got {expires_s})"
        )
    return expires_s


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIST_LIMIT:
        raise InvalidInput.single(
            "limit", "BAD_VALUE", f"limit must be 1..{MAX_LIST_LIMIT} (got {limit})"
        )
    return limit


def check_part_number(part_number: int) -> int:
    if not 1 <= part_number <= MAX_PART_NUMBER:
        raise InvalidInput.single(
            "part_number",
            "BAD_VALUE",
            f"part_number must be 1..{MAX_PART_NUMBER} (got {part_number})",
        )
    return part_number


def ordered_parts(parts: Sequence[tuple[int, str]]) -> tuple[tuple[int, str], ...]:
    """Parts sorted by number with unquoted etags; S3 wants ascending, distinct numbers."""
    if not parts:
        raise InvalidInput.single("parts", "BAD_VALUE", "a multipart upload needs parts")
    ordered = tuple(sorted((check_part_number(n), etag.strip('"')) for n, etag in parts))
    numbers = [n for n, _ in ordered]
    if len(set(numbers)) != len(numbers):
        raise InvalidInput.single("parts", "BAD_VALUE", "part numbers must be distinct")
    return ordered
