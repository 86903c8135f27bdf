"""Saved manifests on the in-memory product: save, list, download, edit and delete, with
their tenancy, version checks, id collisions and audit records."""

from __future__ import annotations

from dataclasses import replace

import pytest

from builders import ACME, ACME_ADMIN, ACME_COLLEAGUE, ACME_USER, GLOBEX, GLOBEX_ADMIN, PROVIDER
from service_world import LAB_BUCKET, MANIFEST, World
from ursa.adapters.memory.manifests import InMemoryManifestStore
from ursa.adapters.memory.system import SeededIds
from ursa.domain.errors import (
    Conflict,
    Forbidden,
    IdempotencyConflict,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    StaleVersion,
)
from ursa.domain.saved_manifests import SavedManifest, manifest_key, new_manifest_id
from ursa.domain.services.context import Ports
from ursa.domain.services.manifests import (
    SaveRequest,
    delete_manifest,
    download_manifest,
    edit_manifest,
    list_manifests,
    load_manifest,
    save_manifest,
)

pytestmark = pytest.mark.anyio
ACME_BUCKET = "acme-genomics-ursa"


def _request(**overrides: object) -> SaveRequest:
    fields: dict[str, object] = {"name": "GIAB trio", "tsv": MANIFEST, "description": "first"}
    fields.update(overrides)
    return SaveRequest(**fields)  # type: ignore[arg-type]


async def _actions(ports: Ports) -> list[tuple[str, str]]:
    return [(r.action, r.target) for r in await ports.audit.for_tenant(ACME)]


async def test_save_stores_the_file_then_the_record_and_audits(world: World) -> None:
    ports = world.container.ports
    result = await save_manifest(ports, ACME_USER, _request())
    saved = result.manifest
    assert not result.replayed and saved.manifest_id.startswith("mf-giab-trio-")
    assert (saved.customer_id, saved.owner_user_id, saved.version) == (ACME, "u-cu", 1)
    assert (saved.sample_count, saved.row_count, saved.size) == (3, 4, len(MANIFEST))
    assert (saved.bucket, saved.key) == (ACME_BUCKET, manifest_key(saved.manifest_id))
    assert await ports.objects.get(ACME_BUCKET, saved.key) == MANIFEST
    assert await ports.manifests.get(saved.manifest_id) == saved
    assert await _actions(ports) == [("manifest.save", f"manifest:{saved.manifest_id}")]


async def test_an_invalid_manifest_is_refused_with_every_issue_and_nothing_is_kept(
    world: World,
) -> None:
    ports = world.container.ports
    broken = MANIFEST.replace(b"\tblood\t", b"\tblod\t").replace(b"NOVASEQX", b"NOVASEQ")
    with pytest.raises(InvalidInput) as caught:
        await save_manifest(ports, ACME_USER, _request(tsv=broken))
    rows = {(i.row, i.field) for i in caught.value.issues}
    assert {(2, "SAMPLE_TYPE"), (2, "SEQ_PLATFORM"), (5, "SEQ_PLATFORM")} <= rows
    assert (await ports.manifests.list(ACME)).items == ()
    assert (await ports.objects.list(ACME_BUCKET, "manifests/")).items == ()
    assert await ports.audit.for_tenant(ACME) == ()


async def test_inputs_must_be_in_the_customers_buckets(world: World) -> None:
    ports = world.container.ports
    elsewhere = MANIFEST.replace(LAB_BUCKET.encode(), b"someone-elses-bucket")
    with pytest.raises(InvalidInput) as caught:
        await save_manifest(ports, ACME_USER, _request(tsv=elsewhere))
    assert {i.code for i in caught.value.issues} == {"INPUT_NOT_ALLOWED"}
    assert len(caught.value.issues) == 8


async def test_bad_names_and_descriptions_are_refused(world: World) -> None:
    ports = world.container.ports
    with pytest.raises(InvalidInput):
        await save_manifest(ports, ACME_USER, _request(name="-bad"))
    with pytest.raises(InvalidInput):
        await save_manifest(ports, ACME_USER, _request(description="bell\x07 inside"))


async def test_a_provider_admin_saves_for_the_customer_they_name(world: World) -> None:
    ports = world.container.ports
    with pytest.raises(InvalidInput, match="must name the customer"):
        await save_manifest(ports, PROVIDER, _request())
    saved = (await save_manifest(ports, PROVIDER, _request(), customer_id=ACME)).manifest
    assert saved.customer_id == ACME and saved.owner_user_id == PROVIDER.user_id
    # A customer naming another customer still saves into its own.
    own = (await save_manifest(ports, GLOBEX_ADMIN, _request(), customer_id=ACME)).manifest
    assert own.customer_id == GLOBEX and own.bucket == "globex-bio-ursa"


async def test_the_same_idempotency_key_replays_and_another_body_conflicts(world: World) -> None:
    ports = world.container.ports
    first = await save_manifest(ports, ACME_USER, _request(idempotency_key="save-key-0001"))
    again = await save_manifest(ports, ACME_USER, _request(idempotency_key="save-key-0001"))
    assert again.replayed and again.manifest == first.manifest
    with pytest.raises(IdempotencyConflict):
        await save_manifest(
            ports, ACME_USER, _request(idempotency_key="save-key-0001", description="other")
        )
    assert len((await ports.manifests.list(ACME)).items) == 1
    with pytest.raises(InvalidInput):
        await save_manifest(ports, ACME_USER, _request(idempotency_key="short"))


async def test_an_id_collision_draws_a_fresh_id_and_never_overwrites(world: World) -> None:
    ports = world.container.ports
    taken_file = new_manifest_id("GIAB trio", SeededIds(3).hex8())
    await ports.objects.put(ACME_BUCKET, manifest_key(taken_file), b"someone else's file")
    saved = (await save_manifest(ports, ACME_USER, _request())).manifest
    assert saved.manifest_id != taken_file
    assert await ports.objects.get(ACME_BUCKET, manifest_key(taken_file)) == b"someone else's file"
    # A record taken by the id drawn next: its orphan file is removed, the save goes on.
    probe = SeededIds(3)
    probe.hex8(), probe.hex8()
    taken_record = new_manifest_id("GIAB trio", probe.hex8())
    await ports.manifests.put(replace(saved, manifest_id=taken_record))
    second = (await save_manifest(ports, ACME_USER, _request())).manifest
    assert second.manifest_id not in (taken_file, taken_record, saved.manifest_id)
    assert await ports.objects.head(ACME_BUCKET, manifest_key(taken_record)) is None


async def test_manifests_are_listed_for_the_whole_customer_only(world: World) -> None:
    ports = world.container.ports
    sams = (await save_manifest(ports, ACME_USER, _request())).manifest
    adas = (await save_manifest(ports, ACME_ADMIN, _request(name="Adas"))).manifest
    globex = (await save_manifest(ports, GLOBEX_ADMIN, _request(name="Globex"))).manifest
    for who in (ACME_USER, ACME_COLLEAGUE, ACME_ADMIN):
        listed = await list_manifests(ports, who, customer_id=GLOBEX)
        assert {m.manifest_id for m in listed.items} == {sams.manifest_id, adas.manifest_id}
    assert (await list_manifests(ports, GLOBEX_ADMIN)).items == (globex,)
    assert len((await list_manifests(ports, PROVIDER)).items) == 3
    assert (await list_manifests(ports, PROVIDER, customer_id=GLOBEX)).items == (globex,)
    page = await list_manifests(ports, ACME_USER, limit=1)
    assert len(page.items) == 1 and page.next_cursor
    rest = await list_manifests(ports, ACME_USER, limit=1, cursor=page.next_cursor)
    assert rest.items and rest.items[0] != page.items[0]


async def test_another_tenant_cannot_tell_a_manifest_from_a_missing_one(world: World) -> None:
    ports = world.container.ports
    saved = (await save_manifest(ports, ACME_USER, _request())).manifest
    for manifest_id in (saved.manifest_id, "mf-ghost-00000000", "not an id", "x" * 5000):
        for call in (
            load_manifest(ports, GLOBEX_ADMIN, manifest_id),
            download_manifest(ports, GLOBEX_ADMIN, manifest_id),
            edit_manifest(ports, GLOBEX_ADMIN, manifest_id, name="Mine"),
            delete_manifest(ports, GLOBEX_ADMIN, manifest_id),
        ):
            with pytest.raises(NotFound) as caught:
                await call
            assert caught.value.message == "manifest not found"
    assert await ports.manifests.get(saved.manifest_id) == saved


async def test_download_returns_the_stored_file_and_notices_tampering(world: World) -> None:
    ports = world.container.ports
    saved = (await save_manifest(ports, ACME_USER, _request())).manifest
    found, data = await download_manifest(ports, ACME_COLLEAGUE, saved.manifest_id)
    assert found == saved and data == MANIFEST
    await ports.objects.put(ACME_BUCKET, saved.key, MANIFEST + b"extra\n")
    with pytest.raises(Conflict) as caught:
        await download_manifest(ports, ACME_USER, saved.manifest_id)
    assert caught.value.code == "MANIFEST_CHANGED"


async def test_owner_and_admins_edit_colleagues_may_not(world: World) -> None:
    ports = world.container.ports
    saved = (await save_manifest(ports, ACME_USER, _request())).manifest
    with pytest.raises(Forbidden):
        await edit_manifest(ports, ACME_COLLEAGUE, saved.manifest_id, name="Colleagues")
    renamed = await edit_manifest(ports, ACME_USER, saved.manifest_id, name="Renamed")
    assert (renamed.name, renamed.description, renamed.version) == ("Renamed", "first", 2)
    described = await edit_manifest(
        ports, ACME_ADMIN, saved.manifest_id, description="by Ada", expected_version=2
    )
    assert described.version == 3
    by_provider = await edit_manifest(ports, PROVIDER, saved.manifest_id, name="Pats")
    assert by_provider.version == 4 and await ports.manifests.get(saved.manifest_id) == by_provider
    same = await edit_manifest(ports, ACME_USER, saved.manifest_id, name="Pats")
    assert same == by_provider  # nothing changed: no new version, no audit record
    actions = [a for a, _ in await _actions(ports)]
    assert actions == ["manifest.save", "manifest.edit", "manifest.edit", "manifest.edit"]


async def test_a_stale_if_match_is_a_failed_precondition(world: World) -> None:
    ports = world.container.ports
    saved = (await save_manifest(ports, ACME_USER, _request())).manifest
    await edit_manifest(ports, ACME_USER, saved.manifest_id, name="Second")
    with pytest.raises(PreconditionFailed):
        await edit_manifest(ports, ACME_USER, saved.manifest_id, name="Third", expected_version=1)
    with pytest.raises(PreconditionFailed):
        await delete_manifest(ports, ACME_USER, saved.manifest_id, expected_version=1)
    assert (await ports.manifests.get(saved.manifest_id)).name == "Second"


class RacingStore(InMemoryManifestStore):
    """Another writer renames the manifest between our read and our write."""

    async def update(self, manifest: SavedManifest, *, expected_version: int) -> None:
        current = await self.get(manifest.manifest_id)
        await super().update(replace(current, version=current.version + 1), expected_version=1)
        await super().update(manifest, expected_version=expected_version)


async def test_losing_a_race_is_412_with_if_match_and_409_without(world: World) -> None:
    store = RacingStore()
    ports = replace(world.container.ports, manifests=store)
    saved = (await save_manifest(ports, ACME_USER, _request())).manifest
    with pytest.raises(PreconditionFailed):
        await edit_manifest(ports, ACME_USER, saved.manifest_id, name="A", expected_version=1)
    with pytest.raises(StaleVersion):
        await edit_manifest(ports, ACME_USER, saved.manifest_id, name="B")


async def test_delete_removes_record_and_file_and_is_audited(world: World) -> None:
    ports = world.container.ports
    saved = (await save_manifest(ports, ACME_USER, _request())).manifest
    with pytest.raises(Forbidden):
        await delete_manifest(ports, ACME_COLLEAGUE, saved.manifest_id)
    gone = await delete_manifest(ports, ACME_USER, saved.manifest_id, expected_version=1)
    assert gone == saved
    with pytest.raises(NotFound):
        await load_manifest(ports, ACME_USER, saved.manifest_id)
    assert await ports.objects.head(ACME_BUCKET, saved.key) is None
    with pytest.raises(NotFound):
        await delete_manifest(ports, ACME_USER, saved.manifest_id)
    actions = [a for a, _ in await _actions(ports)]
    assert actions == ["manifest.save", "manifest.delete"]
