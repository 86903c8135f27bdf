"""The matrix's rows for saved manifests (validate, generate, save, read, edit, delete), with
their bodies and checks."""

from __future__ import annotations

import httpx
from matrix_vocabulary import (
    CREATED,
    INVALID,
    OK,
    After,
    Expect,
    F,
    H,
    Payload,
    Row,
    Rows,
    U,
    cells,
)
from tenancy_world import OTHER_TENANT, World

from ursa.domain.saved_manifests import SavedManifest

# -- manifests --

MANIFEST_API = "/api/v1/manifests/{manifest_id:str}"


def manifest_for_acme(world: World, principal: str) -> Payload:
    """A valid one-sample manifest in Acme's bucket, naming Acme (customers' naming is
    ignored: Globex is checked against its own buckets)."""
    tag = principal.replace("_", "-")
    return Payload(
        json={
            "name": f"Matrix {tag}",
            "tsv": world.manifest(tag),
            "customer_id": world.subject.customer_id,
        },
        headers={"Idempotency-Key": f"matrix-manifest-{principal}"},
    )


def validate_for_acme(world: World, principal: str) -> Payload:
    body = manifest_for_acme(world, principal).json
    return Payload(json={"tsv": body["tsv"], "customer_id": body["customer_id"]})


def generate_from_acme(world: World, principal: str) -> Payload:
    return Payload(
        json={
            "bucket": world.params["bucket"],
            "prefix": "sequencing/",
            "customer_id": world.subject.customer_id,
        }
    )


def rename_manifest(world: World, principal: str) -> Payload:
    return Payload(json={"name": f"Renamed by {principal.replace('_', '-')}"})


def _manifests(world: World) -> dict[str, SavedManifest]:
    page = world.run(world.container.ports.manifests.list(None, limit=100))
    return {m.manifest_id: m for m in page.items}


def no_manifest_saved(world: World, principal: str) -> After:
    """Validate and generate (without ``save``) store nothing, whoever calls; another
    tenant's view of Acme's bucket is refused (generate) or reported (validate)."""
    before = _manifests(world)
    audit = world.run(world.container.ports.audit.head(world.subject.customer_id))

    def after(expect: Expect, response: httpx.Response) -> None:
        assert _manifests(world) == before, f"a dry run by {principal} saved a manifest"
        assert world.run(world.container.ports.audit.head(world.subject.customer_id)) == audit
        body = response.json()
        if response.status_code == 422:
            assert {e["code"] for e in body["errors"]} == {"INPUT_NOT_ALLOWED"}, body
        elif response.status_code == 200 and "issues" in body and "tsv" not in body:
            assert body["valid"] == (principal != OTHER_TENANT), body

    return after


def manifest_saved_only_if_allowed(world: World, principal: str) -> After:
    before = set(_manifests(world))

    def after(expect: Expect, response: httpx.Response) -> None:
        created = [m for m_id, m in _manifests(world).items() if m_id not in before]
        if not expect.allowed:
            assert created == [], f"a refused save by {principal} stored a manifest"
            if response.status_code == 422:
                assert {e["code"] for e in response.json()["errors"]} == {"INPUT_NOT_ALLOWED"}
            return
        (saved,) = created
        assert saved.customer_id == world.subject.customer_id
        assert saved.owner_user_id == world.user_id(principal)

    return after


def subject_manifest_renamed_only_if_allowed(world: World, principal: str) -> After:
    before = world.subject_manifest

    def after(expect: Expect, response: httpx.Response) -> None:
        now = world.run(world.container.ports.manifests.get(before.manifest_id))
        if expect.allowed:
            assert now.version == before.version + 1 and now.name != before.name
        else:
            assert now == before, f"a refused edit by {principal} changed the manifest"

    return after


def subject_manifest_deleted_only_if_allowed(world: World, principal: str) -> After:
    before = world.subject_manifest

    def after(expect: Expect, response: httpx.Response) -> None:
        left = _manifests(world).get(before.manifest_id)
        stored = world.run(world.objects.head(before.bucket, before.key))
        if expect.allowed:
            assert left is None and stored is None
        else:
            assert left == before and stored is not None, f"a refused delete by {principal}"

    return after


# Columns: anonymous, owner, customer_admin, colleague, other_tenant, provider_admin.
MANIFEST_ROWS: Rows = {
    # -- manifests --
    ("POST", "/api/v1/manifests/validate"): Row(
        expect=cells(U, OK, OK, OK, OK, OK), payload=validate_for_acme, check=no_manifest_saved
    ),
    ("POST", "/api/v1/manifests/generate"): Row(
        # Globex naming Acme lists for Globex, whose account Acme's bucket is not linked to.
        expect=cells(U, OK, OK, OK, INVALID, OK),
        payload=generate_from_acme,
        check=no_manifest_saved,
    ),
    ("POST", "/api/v1/manifests"): Row(
        expect=cells(U, CREATED, CREATED, CREATED, INVALID, CREATED),
        payload=manifest_for_acme,
        check=manifest_saved_only_if_allowed,
    ),
    ("GET", "/api/v1/manifests"): Row(expect=cells(U, OK, OK, OK, OK, OK)),
    # Shared within the customer: the colleague reads it too, but only the owner and the
    # admins change it.
    ("GET", MANIFEST_API): Row(expect=cells(U, OK, OK, OK, H, OK)),
    ("GET", f"{MANIFEST_API}/download"): Row(expect=cells(U, OK, OK, OK, H, OK)),
    ("PATCH", MANIFEST_API): Row(
        expect=cells(U, OK, OK, F, H, OK),
        payload=rename_manifest,
        check=subject_manifest_renamed_only_if_allowed,
    ),
    ("DELETE", MANIFEST_API): Row(
        expect=cells(U, Expect(204), Expect(204), F, H, Expect(204)),
        check=subject_manifest_deleted_only_if_allowed,
    ),
}
