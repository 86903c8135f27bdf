"""Contract of the ManifestStore: the in-memory twin and DynamoDB keep the same promises
(create-only puts, version-checked updates and deletes, newest-first signed cursor pages
bound to their listing, no tenant crossing, no Scan)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from builders import ACME, GLOBEX, NOW
from store_world import Stores
from ursa.domain.errors import Conflict, InvalidInput, NotFound, StaleVersion
from ursa.domain.saved_manifests import MISSING, SavedManifest, manifest_key

pytestmark = pytest.mark.anyio


def _manifest(n: int, customer_id: str = ACME, **overrides: object) -> SavedManifest:
    manifest_id = f"mf-trio-{n:08x}"
    base = SavedManifest(
        manifest_id=manifest_id,
        customer_id=customer_id,
        owner_user_id="u-cu",
        name=f"Trio {n}",
        description="HG002-HG004",
        bucket="acme-genomics-ursa",
        key=manifest_key(manifest_id),
        sha256=f"{n:064x}",
        size=1000 + n,
        sample_count=3,
        row_count=4,
        created_at=NOW + timedelta(minutes=n),
        updated_at=NOW + timedelta(minutes=n),
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


async def test_put_is_create_only_and_get_reads_it_back(stores: Stores) -> None:
    first = _manifest(1)
    await stores.manifests.put(first)
    assert await stores.manifests.get(first.manifest_id) == first
    with pytest.raises(Conflict):
        await stores.manifests.put(replace(first, name="Overwritten"))
    assert await stores.manifests.get(first.manifest_id) == first


async def test_a_missing_manifest_is_not_found_with_one_message(stores: Stores) -> None:
    with pytest.raises(NotFound) as caught:
        await stores.manifests.get("mf-nothing-00000000")
    assert caught.value.message == MISSING


async def test_lists_newest_first_per_customer_and_everything_for_none(stores: Stores) -> None:
    acme = [_manifest(n) for n in (1, 2, 3)]
    globex = [_manifest(n, GLOBEX) for n in (4, 5)]
    for m in (*acme, *globex):
        await stores.manifests.put(m)
    page = await stores.manifests.list(ACME)
    assert page.items == tuple(reversed(acme)) and page.next_cursor is None
    assert (await stores.manifests.list(GLOBEX)).items == tuple(reversed(globex))
    assert (await stores.manifests.list("nobody-00000000")).items == ()
    everything = await stores.manifests.list(None)
    assert everything.items == (*reversed(globex), *reversed(acme))


async def test_cursor_pages_walk_every_record_once(stores: Stores) -> None:
    made = [_manifest(n) for n in range(1, 8)]
    for m in made:
        await stores.manifests.put(m)
    await stores.manifests.put(_manifest(20, GLOBEX))
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = await stores.manifests.list(ACME, limit=3, cursor=cursor)
        assert len(page.items) <= 3
        seen += [m.manifest_id for m in page.items]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [m.manifest_id for m in reversed(made)] and pages == 3
    if stores.calls is not None:  # one Query per page, never a Scan
        stores.calls.reset()
        await stores.manifests.list(ACME, limit=3)
        assert stores.calls.ops["query"] == 1 and stores.calls.ops["scan"] == 0


async def test_a_cursor_works_only_on_its_own_listing(stores: Stores) -> None:
    for n in range(1, 4):
        await stores.manifests.put(_manifest(n))
        await stores.manifests.put(_manifest(n + 10, GLOBEX))
    page = await stores.manifests.list(ACME, limit=1)
    assert page.next_cursor is not None
    with pytest.raises(InvalidInput):
        await stores.manifests.list(GLOBEX, limit=1, cursor=page.next_cursor)
    with pytest.raises(InvalidInput):
        await stores.manifests.list(None, limit=1, cursor=page.next_cursor)
    forged = page.next_cursor[:-2] + ("BB" if page.next_cursor.endswith("AA") else "AA")
    with pytest.raises(InvalidInput):
        await stores.manifests.list(ACME, cursor=forged)


async def test_update_is_version_checked(stores: Stores) -> None:
    first = _manifest(1)
    await stores.manifests.put(first)
    renamed = replace(first, name="Renamed", version=2, updated_at=NOW + timedelta(hours=1))
    await stores.manifests.update(renamed, expected_version=1)
    assert await stores.manifests.get(first.manifest_id) == renamed
    with pytest.raises(StaleVersion):
        await stores.manifests.update(replace(first, name="Late", version=2), expected_version=1)
    assert await stores.manifests.get(first.manifest_id) == renamed
    assert (await stores.manifests.list(ACME)).items == (renamed,)
    with pytest.raises(NotFound):
        await stores.manifests.update(_manifest(9), expected_version=1)


async def test_delete_is_version_checked_and_final(stores: Stores) -> None:
    first, second = _manifest(1), _manifest(2)
    await stores.manifests.put(first)
    await stores.manifests.put(second)
    with pytest.raises(StaleVersion):
        await stores.manifests.delete(first.manifest_id, expected_version=7)
    assert await stores.manifests.get(first.manifest_id) == first
    await stores.manifests.delete(first.manifest_id, expected_version=1)
    with pytest.raises(NotFound):
        await stores.manifests.get(first.manifest_id)
    assert (await stores.manifests.list(ACME)).items == (second,)
    with pytest.raises(NotFound):
        await stores.manifests.delete(first.manifest_id, expected_version=1)
