"""The matrix's first rows: the workset API and cancel, clusters and their deletion, the
engine's leases, health, and the in-memory twin's object URLs (with their bodies and checks).
"""

from __future__ import annotations

import time

import httpx
from matrix_vocabulary import (
    BY_NAME,
    CREATED,
    FORBIDDEN,
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
    everyone,
)
from tenancy_world import PROVIDER_ADMIN, World

from ursa.domain.enums import WorksetState


def submit_into_acme(world: World, principal: str) -> Payload:
    """A valid submission for Acme (the subject's customer), naming Acme explicitly."""
    tag = principal.replace("_", "-")
    return Payload(
        json={
            "name": f"Matrix {tag}",
            "pipeline_type": world.subject.pipeline_type.value,
            "manifest_tsv": world.manifest(tag),
            "customer_id": world.subject.customer_id,
        },
        headers={"Idempotency-Key": f"matrix-submit-{principal}"},
    )


def cancel_reason(world: World, principal: str) -> Payload:
    return Payload(json={"reason": f"matrix: {principal}"})


def object_body(world: World, principal: str) -> Payload:
    return Payload(content=b"overwritten by " + principal.encode())


def subject_canceled_only_if_allowed(world: World, principal: str) -> After:
    before = world.stored()
    assert before.state is WorksetState.ERROR

    def after(expect: Expect, response: httpx.Response) -> None:
        now = world.stored()
        if expect.allowed:
            assert now.state is WorksetState.CANCELED
        else:
            assert now == before, f"a refused cancel by {principal} changed the workset"

    return after


def submission_lands_in_own_customer(world: World, principal: str) -> After:
    before = set(world.all_worksets())

    def after(expect: Expect, response: httpx.Response) -> None:
        created = [ws for ws_id, ws in world.all_worksets().items() if ws_id not in before]
        if not expect.allowed:
            assert created == [], f"a refused submit by {principal} created a workset"
            if response.status_code == 422:  # refused for the tenant, not for a bad request
                codes = {e["code"] for e in response.json()["errors"]}
                assert codes == {"INPUT_NOT_ALLOWED"}, response.text
            return
        (ws,) = created
        assert ws.customer_id == world.subject.customer_id
        assert ws.owner_user_id == world.user_id(principal)

    return after


def snapshot_only_if_allowed(world: World, principal: str) -> After:
    # The engine takes one snapshot when it starts; wait for it so it cannot race the check.
    deadline = time.monotonic() + 10
    while not world.run(world.container.snapshots.all_latest()):
        assert time.monotonic() < deadline, "the engine took no snapshot at start-up"
        time.sleep(0.02)
    before = world.run(world.container.snapshots.all_latest())

    def after(expect: Expect, response: httpx.Response) -> None:
        now = world.run(world.container.snapshots.all_latest())
        assert (now != before) == expect.allowed

    return after


CLUSTER = "/api/v1/clusters/{region:str}/{name:str}"


def admins_confirmation(world: World, principal: str) -> Payload:
    """The provider admin's delete plan token, whoever sends it (a well-formed stand-in in a
    world without the engine, where there is nothing to plan)."""
    if world.container.engine is None:
        return Payload(headers={"X-Confirmation-Token": f"v1.0.{'0' * 32}.{'A' * 43}"})
    plan = world.call(PROVIDER_ADMIN, "POST", world.url(f"{CLUSTER}/delete-plan"))
    assert plan.status_code == 200, plan.text
    return Payload(headers={"X-Confirmation-Token": plan.json()["confirmation_token"]})


def cluster_deleted_only_if_allowed(world: World, principal: str) -> After:
    """The control plane was asked to delete the cluster exactly when the cell allows a
    DELETE (a plan never deletes)."""
    assert world.container.engine is not None
    gateway, params = world.container.engine.clusters, world.params

    def status() -> str:
        return str(world.run(gateway.describe(params["region"], params["name"])).status)

    assert status() == "ready"

    def after(expect: Expect, response: httpx.Response) -> None:
        deletes = expect.allowed and response.request.method == "DELETE"
        assert status() == ("deleting" if deletes else "ready"), principal

    return after


def object_unchanged_if_refused(world: World, principal: str) -> After:
    params = world.params
    before = world.run(world.objects.head(params["bucket"], params["key"]))
    assert before is not None

    def after(expect: Expect, response: httpx.Response) -> None:
        now = world.run(world.objects.head(params["bucket"], params["key"]))
        assert expect.allowed or now == before

    return after


# Columns: anonymous, owner, customer_admin, colleague, other_tenant, provider_admin.
API_ROWS: Rows = {
    # -- the JSON API (bearer tokens) --
    ("GET", "/api/v1/worksets"): Row(
        expect=cells(U, OK, OK, OK, OK, OK), query=BY_NAME, names_subject=True
    ),
    ("POST", "/api/v1/worksets"): Row(
        # Tenancy comes from the caller, never the body: Globex naming Acme submits for
        # Globex, whose account Acme's bucket is not linked to.
        expect=cells(U, CREATED, CREATED, CREATED, INVALID, CREATED),
        payload=submit_into_acme,
        check=submission_lands_in_own_customer,
    ),
    ("GET", "/api/v1/worksets/{workset_id:str}"): Row(
        expect=cells(U, OK, OK, H, H, OK), names_subject=True
    ),
    ("GET", "/api/v1/worksets/{workset_id:str}/samples"): Row(expect=cells(U, OK, OK, H, H, OK)),
    ("GET", "/api/v1/worksets/{workset_id:str}/history"): Row(expect=cells(U, OK, OK, H, H, OK)),
    ("GET", "/api/v1/worksets/{workset_id:str}/commands"): Row(expect=cells(U, F, F, H, H, OK)),
    ("POST", "/api/v1/worksets/{workset_id:str}/cancel"): Row(
        expect=cells(U, OK, OK, H, H, OK),
        payload=cancel_reason,
        check=subject_canceled_only_if_allowed,
    ),
    ("GET", "/api/v1/clusters"): Row(expect=cells(U, OK, OK, OK, OK, OK)),
    ("GET", "/api/v1/clusters/{region:str}/{name:str}"): Row(expect=cells(U, OK, OK, OK, OK, OK)),
    ("GET", "/api/v1/clusters/{region:str}/{name:str}/nodes"): Row(expect=cells(U, F, F, F, F, OK)),
    ("POST", "/api/v1/clusters/{region:str}/{name:str}/snapshot"): Row(
        expect=cells(U, F, F, F, F, OK), check=snapshot_only_if_allowed, engine=True
    ),
    ("GET", "/api/v1/engine/leases"): Row(expect=cells(U, F, F, F, F, OK)),
}

LIST_FILTER_ROWS: Rows = {
    # -- workset list filters --
}

CLUSTER_DELETION_ROWS: Rows = {
    # -- cluster deletion --
    ("POST", f"{CLUSTER}/delete-plan"): Row(
        expect=cells(U, F, F, F, F, OK), check=cluster_deleted_only_if_allowed, engine=True
    ),
    ("DELETE", CLUSTER): Row(
        # Everyone sends the provider admin's valid token. The seeded runs are in progress on
        # the simulated cluster, so even the admin is refused (409 CLUSTER_IN_USE); the
        # delete itself is in tests/api/test_cluster_delete_api.py.
        expect=cells(U, F, F, F, F, Expect(409)),
        payload=admins_confirmation,
        check=cluster_deleted_only_if_allowed,
        engine=True,
    ),
}

PUBLIC_ROWS: Rows = {
    # -- health: public --
    ("GET", "/healthz"): Row(expect=everyone(OK)),
    ("GET", "/readyz"): Row(expect=everyone(OK)),
    # -- the in-memory twin's presigned URLs: the signature is the credential, whoever calls;
    #    the cells call without one --
    ("GET", "/_objects/{bucket:str}/{key:path}"): Row(expect=everyone(FORBIDDEN)),
    ("PUT", "/_objects/{bucket:str}/{key:path}"): Row(
        expect=everyone(FORBIDDEN), payload=object_body, check=object_unchanged_if_refused
    ),
}
