"""InMemoryManifestStore: the ManifestStore twin (create-only puts, version-checked updates
and deletes, newest-first signed cursor pages)."""

from __future__ import annotations

from ursa.adapters.cursors import CursorCodec
from ursa.domain.errors import Conflict, InvalidInput, NotFound, StaleVersion
from ursa.domain.ports import Page
from ursa.domain.ports.pages import MAX_PAGE_SIZE
from ursa.domain.saved_manifests import MISSING, SavedManifest


def _sort_key(m: SavedManifest) -> tuple[str, str]:
    return (m.created_at.isoformat(), m.manifest_id)


class InMemoryManifestStore:
    """No method awaits between its check and its write, so each is atomic on the loop."""

    def __init__(self, cursor_key: bytes = b"ursa-memory") -> None:
        self._items: dict[str, SavedManifest] = {}
        self._cursors = CursorCodec(cursor_key)

    async def put(self, manifest: SavedManifest) -> None:
        if manifest.manifest_id in self._items:
            raise Conflict(f"manifest {manifest.manifest_id} already exists")
        self._items[manifest.manifest_id] = manifest

    async def get(self, manifest_id: str) -> SavedManifest:
        try:
            return self._items[manifest_id]
        except KeyError:
            raise NotFound(MISSING) from None

    async def list(
        self, customer_id: str | None, *, limit: int = 25, cursor: str | None = None
    ) -> Page[SavedManifest]:
        limit = max(1, min(limit, MAX_PAGE_SIZE))
        rows = sorted(
            (m for m in self._items.values() if customer_id in (None, m.customer_id)),
            key=_sort_key,
            reverse=True,
        )
        if cursor:
            position = self._cursors.decode(cursor)
            if len(position) != 3 or position[0] != (customer_id or "*"):
                raise InvalidInput.single(
                    "cursor", "BAD_CURSOR", "the page cursor belongs to a different listing"
                )
            after = (position[1], position[2])
            rows = [m for m in rows if _sort_key(m) < after]
        page = rows[:limit]
        next_cursor = None
        if len(rows) > limit:
            next_cursor = self._cursors.encode([customer_id or "*", *_sort_key(page[-1])])
        return Page(items=tuple(page), next_cursor=next_cursor)

    async def update(self, manifest: SavedManifest, *, expected_version: int) -> None:
        self._check_version(manifest.manifest_id, expected_version)
        self._items[manifest.manifest_id] = manifest

    async def delete(self, manifest_id: str, *, expected_version: int) -> None:
        self._check_version(manifest_id, expected_version)
        del self._items[manifest_id]

    def _check_version(self, manifest_id: str, expected: int) -> None:
        current = self._items.get(manifest_id)
        if current is None:
            raise NotFound(MISSING)
        if current.version != expected:
            raise StaleVersion(
                f"manifest {manifest_id} changed (version {current.version}, expected {expected})"
            )
